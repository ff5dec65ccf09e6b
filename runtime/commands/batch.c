/* batch.c: the columns of a training step (see batch.h). */
#include "batch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "eval.h"

int rnnc_batch_init(rnnc_batcher *b, const rnnc_dataset *d, rnnc_ckpt *ck)
{
    memset(b, 0, sizeof *b);
    b->d = d;
    b->ck = ck;
    return 0;
}

void rnnc_batch_free(rnnc_batcher *b)
{
    free(b->perm);
    memset(b, 0, sizeof *b);
}

/* Zero column c of s0 (h, fb and the LSTM's c): the start of a sequence; h = the learned h(0)
 * with records and --learn-h0. */
static void column_start(rnnc_batcher *b, size_t c)
{
    const rnnc_spec *s = &b->ck->spec;
    const rnnc_layout *l = &b->ck->layout;
    size_t rs = l->real_size, K = rnnc_recurrences[s->rec].has_R ? s->n_out : 0;
    char *h = (char *)b->ck->s0 + (l->s0_h + c * s->hidden) * rs;
    if (b->ck->learn_h0 && b->ck->h0) memcpy(h, b->ck->h0, s->hidden * rs);
    else memset(h, 0, s->hidden * rs);
    if (K) memset((char *)b->ck->s0 + (l->s0_fb + c * K) * rs, 0, K * rs);
    if (rnnc_cells[s->cell].has_c) memset((char *)b->ck->s0 + (l->s0_c + c * s->hidden) * rs, 0, s->hidden * rs);
}

/* The next record in the seeded order: epoch e (every record once) is a permutation drawn by
 * Fisher-Yates from the seed and e; ck->drawn counts the draws. */
static uint64_t draw_record(rnnc_batcher *b)
{
    size_t n = b->d->nrec;
    uint64_t e = b->ck->drawn / n, k = b->ck->drawn % n;
    if (!b->perm || b->epoch != e) {
        if (!b->perm && !(b->perm = malloc(n * sizeof *b->perm))) return k; /* fall back: in order */
        uint64_t rng = b->ck->seed ^ (0x9e3779b97f4a7c15ull * (e + 1));
        for (size_t i = 0; i < n; i++) b->perm[i] = i;
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(rnnc_rand_next(&rng) % (i + 1));
            uint64_t t = b->perm[i];
            b->perm[i] = b->perm[j];
            b->perm[j] = t;
        }
        b->epoch = e;
    }
    b->ck->drawn++;
    return b->perm[k];
}

void rnnc_batch_restart(rnnc_batcher *b)
{
    rnnc_ckpt *ck = b->ck;
    size_t B = ck->spec.batch;
    ck->drawn = 0;
    for (size_t c = 0; c < B; c++) {
        ck->positions[c] = b->d->records ? 0 : (uint64_t)c * (b->d->len / B);
        ck->record[c] = b->d->records ? draw_record(b) : 0;
    }
    memset(ck->s0, 0, ck->layout.s0_bytes);
}

void rnnc_batch_wrap(rnnc_batcher *b)
{
    rnnc_ckpt *ck = b->ck;
    const rnnc_dataset *d = b->d;
    if (d->records) return;
    for (size_t c = 0; c < ck->spec.batch; c++)
        if (ck->positions[c] + ck->spec.tau + d->look > d->len) {
            ck->positions[c] = 0;
            column_start(b, c);
        }
}

/* The carried state of n columns from column c0 is three spans of the global s0, in the order
 * of the s0 layout: h, fb (an output recurrence) and the LSTM's c.  A share's own s0 (a spec of
 * n columns) holds the same spans one after the other, in the same order. */
typedef struct {
    char *at[3];    /* where each span starts in the global s0 */
    size_t bytes[3]; /* its size for n columns (0: the model has no such state) */
} state_spans;

static state_spans column_spans(const rnnc_batcher *b, size_t c0, size_t n)
{
    const rnnc_spec *s = &b->ck->spec;
    const rnnc_layout *l = &b->ck->layout;
    size_t rs = l->real_size, H = s->hidden, K = rnnc_recurrences[s->rec].has_R ? s->n_out : 0;
    size_t C = rnnc_cells[s->cell].has_c ? H : 0;
    char *s0 = (char *)b->ck->s0;
    state_spans sp = {{s0 + (l->s0_h + c0 * H) * rs, s0 + (l->s0_fb + c0 * K) * rs, s0 + (l->s0_c + c0 * C) * rs},
                      {n * H * rs, n * K * rs, n * C * rs}};
    return sp;
}

size_t rnnc_batch_fill_share(rnnc_batcher *b, size_t c0, const rnnc_spec *s, const rnnc_layout *l,
                             void *x, void *y, void *ws, void *s0)
{
    rnnc_ckpt *ck = b->ck;
    const rnnc_dataset *d = b->d;
    size_t T = s->tau, n = s->batch, live = 0;
    for (size_t c = c0; c < c0 + n; c++) {
        if (d->records) {
            size_t i = (size_t)ck->record[c], j0 = (size_t)ck->positions[c];
            size_t len = rnnc_dataset_record_steps(d, i);
            if (j0 == 0) column_start(b, c);
            for (size_t t = 0; t < T; t++) rnnc_dataset_record_step(d, s, i, j0 + t, x, y, t * n + c - c0);
            rnnc_records_column(s, l, ws, c - c0, j0, len);
            live += len - j0 < T ? len - j0 : T;
            continue;
        }
        for (size_t t = 0; t < T; t++)
            rnnc_dataset_stream_step(d, s, (size_t)ck->positions[c] + t, x, y, t * n + c - c0);
        live += T;
    }
    if (s0) {
        /* The share's carried state, in the s0 layout of n columns. */
        state_spans sp = column_spans(b, c0, n);
        char *to = s0;
        for (int k = 0; k < 3; to += sp.bytes[k], k++) memcpy(to, sp.at[k], sp.bytes[k]);
    }
    return live;
}

size_t rnnc_batch_fill(rnnc_batcher *b, void *x, void *y, void *ws)
{
    rnnc_batch_wrap(b);
    return rnnc_batch_fill_share(b, 0, &b->ck->spec, &b->ck->layout, x, y, ws, NULL);
}

void rnnc_batch_carry(rnnc_batcher *b, size_t c0, size_t n, const void *s1)
{
    state_spans sp = column_spans(b, c0, n);
    const char *from = s1;
    for (int k = 0; k < 3; from += sp.bytes[k], k++) memcpy(sp.at[k], from, sp.bytes[k]);
}

void rnnc_batch_move(rnnc_batcher *b)
{
    rnnc_ckpt *ck = b->ck;
    size_t T = ck->spec.tau;
    for (size_t c = 0; c < ck->spec.batch; c++) {
        if (b->d->records &&
            rnnc_dataset_record_steps(b->d, (size_t)ck->record[c]) - ck->positions[c] <= T) {
            ck->record[c] = draw_record(b);
            ck->positions[c] = 0;
        } else {
            ck->positions[c] += T;
        }
    }
}

void rnnc_batch_advance(rnnc_batcher *b, const void *ws)
{
    const rnnc_layout *l = &b->ck->layout;
    memcpy(b->ck->s0, (const char *)ws + l->ws_s1 * l->real_size, l->s0_bytes);
    rnnc_batch_move(b);
}

/* One element of the optimiser of hp on p (moments m, v) with the final gradient g. */
static double opt_step(const rnnc_hparams *hp, double p, double g, double *m, double *v)
{
    switch (hp->optim) {
    case RNNC_OPTIM_SGD: return p - hp->lr * g;
    case RNNC_OPTIM_MOMENTUM: *m = hp->beta1 * *m + g; return p - hp->lr * *m;
    case RNNC_OPTIM_ADAGRAD: *m += g * g; return p - hp->lr * g / sqrt(*m + hp->eps);
    case RNNC_OPTIM_RMSPROP:
        *m = hp->beta2 * *m + (1 - hp->beta2) * g * g;
        return p - hp->lr * g / (sqrt(*m) + hp->eps);
    case RNNC_OPTIM_ADAM:
        *m = hp->beta1 * *m + (1 - hp->beta1) * g;
        *v = hp->beta2 * *v + (1 - hp->beta2) * g * g;
        return p - hp->lr * (*m / hp->bias1) / (sqrt(*v / hp->bias2) + hp->eps);
    default: return p;
    }
}

void rnnc_batch_update_h0_from(rnnc_batcher *b, const void *gs0)
{
    rnnc_ckpt *ck = b->ck;
    const rnnc_spec *s = &ck->spec;
    const rnnc_layout *l = &ck->layout;
    const rnnc_hparams *hp = &ck->hp;
    size_t H = s->hidden, started = 0;
    if (!ck->learn_h0 || !b->d->records) return;
    double *g = calloc(H, sizeof *g), ss = 0;
    if (!g) return;
    for (size_t c = 0; c < s->batch; c++) {
        if (ck->positions[c] != 0) continue;
        started++;
        for (size_t i = 0; i < H; i++) g[i] += rnnc_get(gs0, s->dtype, l->s0_h + c * H + i);
    }
    for (size_t i = 0; i < H; i++) {
        g[i] *= hp->grad_scale;
        ss += g[i] * g[i];
    }
    double f = hp->clip_norm > 0 && sqrt(ss) > hp->clip_norm ? hp->clip_norm / sqrt(ss) : 1;
    for (size_t i = 0; started && i < H; i++) {
        double gi = g[i] * f, p = rnnc_get(ck->h0, s->dtype, i);
        double m = rnnc_get(ck->h0_opt, s->dtype, i), v = rnnc_get(ck->h0_opt, s->dtype, H + i);
        if (hp->clip > 0) gi = gi > hp->clip ? hp->clip : gi < -hp->clip ? -hp->clip : gi;
        gi += hp->weight_decay * p;
        rnnc_set(ck->h0, s->dtype, i, opt_step(hp, p, gi, &m, &v));
        rnnc_set(ck->h0_opt, s->dtype, i, m);
        rnnc_set(ck->h0_opt, s->dtype, H + i, v);
    }
    free(g);
}

void rnnc_batch_update_h0(rnnc_batcher *b, const void *ws)
{
    const rnnc_layout *l = &b->ck->layout;
    rnnc_batch_update_h0_from(b, (const char *)ws + l->ws_gs0 * l->real_size);
}
