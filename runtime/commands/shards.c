/* shards.c: the data-parallel training step (see shards.h).
 *
 * A share's message, the same size for every share: four doubles (the share's loss, its
 * steps that carry a loss, its stop request, the seconds its gradient stages took: timing
 * only, never part of the training state), its final state s1 (the s0 layout of the
 * share's columns: h of each, then fb) and, with --learn-h0, the gradient of h(0) of each of
 * its columns (NAME_WS_GS0's h part), all in the model's real type. */
#define _POSIX_C_SOURCE 200809L
#include "shards.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/util.h"
#include "../model/dist.h"

/* The doubles at the head of a share's message. */
enum { HEAD_LOSS, HEAD_LIVE, HEAD_STOP, HEAD_SECONDS, HEAD_COUNT };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What the fingerprint of rnnc_shards_check holds, one value each, and what a difference
 * in it is called. */
enum { FP_DATA_LEN, FP_DATA_HASH, FP_RESUME_STEP, FP_RESUME_HASH, FP_SPEC, FP_STEPS, FP_EVERY,
       FP_SEED, FP_SAVE, FP_LEARN_H0, FP_COUNT };

/* A hash of a checkpoint's training state (0 for none): step, weights, optimiser state,
 * carried state, columns and h(0). */
static uint64_t ckpt_hash(const rnnc_ckpt *c)
{
    if (!c) return 0;
    const rnnc_layout *l = &c->layout;
    uint64_t h = rnnc_fnv1a(RNNC_FNV_OFFSET, &c->step, sizeof c->step);
    h = rnnc_fnv1a(h, c->params, l->params_bytes);
    h = rnnc_fnv1a(h, c->opt, l->opt_bytes);
    h = rnnc_fnv1a(h, c->s0, l->s0_bytes);
    h = rnnc_fnv1a(h, c->positions, c->spec.batch * sizeof *c->positions);
    if (c->record) h = rnnc_fnv1a(h, c->record, c->spec.batch * sizeof *c->record);
    if (c->h0) h = rnnc_fnv1a(h, c->h0, c->spec.hidden * l->real_size);
    return h;
}

/* The message of a rank whose fingerprint differs from rank 0's in value `which`. */
static int differ(int who, size_t which, const uint64_t *r0, const uint64_t *rk, const char *unit, char *err,
                  size_t errlen)
{
    static const char *const opt[FP_COUNT] = {
        [FP_STEPS] = "--steps", [FP_EVERY] = "--every", [FP_SEED] = "--seed", [FP_SAVE] = "--save",
        [FP_LEARN_H0] = "--learn-h0"};
    if (which <= FP_DATA_HASH)
        return rnnc_fail(err, errlen, "DATA: rank %d read different training data than rank 0 (%llu %s, "
                         "hash %016llx, against %llu, %016llx): every rank must be given the same files with the "
                         "same contents", who, (unsigned long long)rk[FP_DATA_LEN], unit, (unsigned long long)rk[FP_DATA_HASH],
                         (unsigned long long)r0[FP_DATA_LEN], (unsigned long long)r0[FP_DATA_HASH]), 2;
    if (which <= FP_RESUME_HASH)
        return rnnc_fail(err, errlen, "--resume: rank %d read a different checkpoint than rank 0 (%s): every "
                         "rank must resume from the same file (copy it to every host, or share the directory)",
                         who, rk[FP_RESUME_STEP] == UINT64_MAX || r0[FP_RESUME_STEP] == UINT64_MAX ? "one of them none" :
                         rk[FP_RESUME_STEP] != r0[FP_RESUME_STEP] ? "at another step" : "other contents"), 2;
    if (which == FP_SPEC)
        return rnnc_fail(err, errlen, "rank %d describes a different model than rank 0 (its options, spec file or "
                         "data differ): every rank must run the same command", who), 2;
    if (which == FP_SAVE || which == FP_LEARN_H0)
        return rnnc_fail(err, errlen, "%s: rank 0 was %s and rank %d %s: every rank must run the same command",
                         opt[which], r0[which] ? "given it" : "not", who, rk[which] ? "was" : "was not"), 2;
    return rnnc_fail(err, errlen, "%s: rank %d was given %llu, rank 0 %llu: every rank must run the same command",
                     opt[which], who, (unsigned long long)rk[which], (unsigned long long)r0[which]), 2;
}

int rnnc_shards_check(const rnnc_train_opts *o, const rnnc_dataset *d, const rnnc_ckpt *resumed,
                      const rnnc_spec *s, char *err, size_t errlen)
{
    char canon[512];
    rnnc_spec_format(s, canon, sizeof canon);
    uint64_t fp[FP_COUNT] = {0}, r0[FP_COUNT], rk[FP_COUNT];
    fp[FP_DATA_LEN] = d->len;
    fp[FP_DATA_HASH] = d->hash;
    fp[FP_RESUME_STEP] = resumed ? resumed->step : UINT64_MAX;
    fp[FP_RESUME_HASH] = ckpt_hash(resumed);
    fp[FP_SPEC] = rnnc_fnv1a(RNNC_FNV_OFFSET, canon, strlen(canon));
    fp[FP_STEPS] = o->steps;
    fp[FP_EVERY] = o->every;
    fp[FP_SEED] = o->seed;
    fp[FP_SAVE] = o->save != NULL;
    fp[FP_LEARN_H0] = (uint64_t)o->learn_h0;
    size_t which = 0;
    int who = rnnc_dist_compare(fp, FP_COUNT, &which, r0, rk, err, errlen);
    if (who == -2) return 1;
    return who < 0 ? 0 : differ(who, which, r0, rk, d->text ? "symbols" : "rows", err, errlen);
}

int rnnc_shards_plan(rnnc_shards *sh, const rnnc_spec *s, int shards, int learn_h0, int scheduled,
                     char *err, size_t errlen)
{
    memset(sh, 0, sizeof *sh);
    int ranks = rnnc_dist_size();
    if (ranks > 1 && shards > 0)
        return rnnc_fail(err, errlen, "--shards: only for one process (under mpirun each of the %d ranks "
                         "computes one share of the batch)", ranks), 2;
    if (ranks == 1 && shards == 0 && !rnnc_dist_active()) return 0;
    int count = ranks > 1 ? ranks : shards > 0 ? shards : 1;
    if (s->batch % (size_t)count != 0)
        return rnnc_fail(err, errlen, "--batch %zu: not a multiple of the %d %s (each takes an equal, contiguous "
                         "share of the columns)", s->batch, count, ranks > 1 ? "ranks" : "shares of --shards"), 2;
    sh->count = count;
    sh->ranks = ranks;
    sh->first = ranks > 1 ? rnnc_dist_rank() : 0;
    sh->local = ranks > 1 ? 1 : count;
    sh->cols = s->batch / (size_t)count;
    sh->spec = *s;
    sh->spec.batch = sh->cols;
    rnnc_layout l, run;
    if (rnnc_spec_layout(&sh->spec, &l, err, errlen) != 0 || rnnc_spec_layout(s, &run, err, errlen) != 0) return 2;
    size_t rs = l.real_size, H = s->hidden;
    sh->msg_bytes = HEAD_COUNT * sizeof(double) + l.s0_count * rs + (learn_h0 ? sh->cols * H * rs : 0);
    sh->msgs = calloc((size_t)count, sh->msg_bytes);
    if (sh->local > 1) sh->acc = malloc(l.params_count * sizeof *sh->acc + 1);
    if (learn_h0) sh->gs0 = calloc(1, run.s0_bytes);
    if (scheduled) sh->ctl = calloc(s->tau * s->batch, sizeof *sh->ctl);
    if (!sh->msgs || (sh->local > 1 && !sh->acc) || (learn_h0 && !sh->gs0) || (scheduled && !sh->ctl))
        return rnnc_fail(err, errlen, "out of memory for the shares of the batch"), 1;
    return 0;
}

void rnnc_shards_free(rnnc_shards *sh)
{
    free(sh->msgs);
    free(sh->acc);
    free(sh->gs0);
    free(sh->ctl);
    memset(sh, 0, sizeof *sh);
}

int rnnc_shards_threads(const rnnc_shards *sh, int threads)
{
    int local = rnnc_dist_local_size();
    if (threads > 0 || !sh->count || local <= 1) return threads;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus / local > 1 ? (int)(cpus / local) : 1;
}

/* Scheduled sampling: the share's control values (columns c0 ..) from the run's (sh->ctl,
 * tau x B, step-major) into the share's NAME_WS_CTL. */
static void share_controls(const rnnc_shards *sh, const rnnc_layout *l, void *ws, size_t c0, size_t B)
{
    for (size_t t = 0; t < sh->spec.tau; t++)
        for (size_t c = 0; c < sh->cols; c++)
            rnnc_set(ws, sh->spec.dtype, l->ws_ctl + t * sh->cols + c, sh->ctl[t * B + c0 + c]);
}

/* Write share k's message from its workspace ws (layout l) after the gradient stages. */
static void pack(rnnc_shards *sh, int k, const rnnc_layout *l, const void *ws, double loss, size_t live,
                 int stop, double seconds)
{
    unsigned char *m = sh->msgs + (size_t)k * sh->msg_bytes;
    double head[HEAD_COUNT] = {loss, (double)live, (double)stop, seconds};
    size_t rs = l->real_size, s1 = l->s0_count * rs;
    memcpy(m, head, sizeof head);
    memcpy(m + sizeof head, (const char *)ws + l->ws_s1 * rs, s1);
    if (sh->gs0) memcpy(m + sizeof head + s1, (const char *)ws + (l->ws_gs0 + l->s0_h) * rs, sh->cols * sh->spec.hidden * rs);
}

/* The batch's loss and live steps, the lowest share's stop request and the longest gradient
 * stages of a share (seconds), from every message in share order. */
static double sum_messages(const rnnc_shards *sh, size_t *live, int *stop, double *slowest)
{
    double loss = 0, head[HEAD_COUNT];
    *live = 0;
    *stop = 0;
    *slowest = 0;
    for (int k = 0; k < sh->count; k++) {
        memcpy(head, sh->msgs + (size_t)k * sh->msg_bytes, sizeof head);
        loss += head[HEAD_LOSS];
        *live += (size_t)head[HEAD_LIVE];
        if (!*stop && head[HEAD_STOP] != 0) *stop = (int)head[HEAD_STOP];
        if (head[HEAD_SECONDS] > *slowest) *slowest = head[HEAD_SECONDS];
    }
    return loss;
}

/* Every share's final state into its columns of the carried state, and its gradient of h(0)
 * into sh->gs0 (the run's s0 layout). */
static void carry_messages(rnnc_shards *sh, rnnc_batcher *b)
{
    size_t rs = b->ck->layout.real_size, H = sh->spec.hidden;
    size_t s1 = (sh->msg_bytes - HEAD_COUNT * sizeof(double)) - (sh->gs0 ? sh->cols * H * rs : 0);
    for (int k = 0; k < sh->count; k++) {
        const unsigned char *m = sh->msgs + (size_t)k * sh->msg_bytes + HEAD_COUNT * sizeof(double);
        rnnc_batch_carry(b, (size_t)k * sh->cols, sh->cols, m);
        if (sh->gs0)
            memcpy((char *)sh->gs0 + (b->ck->layout.s0_h + (size_t)k * sh->cols * H) * rs, m + s1, sh->cols * H * rs);
    }
}

double rnnc_shards_step(rnnc_shards *sh, rnnc_batcher *b, rnnc_model *m, rnnc_buffers *buf, int *stop,
                        size_t *live, int *status, char *err, size_t errlen)
{
    rnnc_ckpt *ck = b->ck;
    const rnnc_layout *l = &m->layout;
    const int dbl = ck->spec.dtype == RNNC_DOUBLE, last = (int)m->desc->stages - 1;
    const size_t P = l->params_count;
    double t0 = now_s();
    *status = 0;
    rnnc_batch_wrap(b);
    for (int k = sh->first; k < sh->first + sh->local; k++) {
        double tk = now_s();
        size_t c0 = (size_t)k * sh->cols;
        size_t n = rnnc_batch_fill_share(b, c0, &sh->spec, l, buf->x, buf->y, buf->ws, buf->s0);
        if (sh->ctl) share_controls(sh, l, buf->ws, c0, ck->spec.batch);
        double loss = rnnc_model_train_stages(m, 0, last - 1, ck->params, buf->grads, ck->opt, buf->x, buf->y,
                                              buf->s0, buf->ws, &ck->hp);
        pack(sh, k, l, buf->ws, loss, n, *stop, now_s() - tk);
        if (sh->local > 1) rnnc_dist_accumulate(sh->acc, buf->grads, P, dbl, k == sh->first);
    }
    if (sh->local > 1) rnnc_dist_round(sh->acc, buf->grads, P, dbl);
    double t1 = now_s();
    if (rnnc_dist_sum(buf->grads, P, dbl, err, errlen) != 0 ||
        rnnc_dist_allgather(sh->msgs, sh->msg_bytes, err, errlen) != 0) {
        *status = 1;
        return NAN;
    }
    double t2 = now_s(), slowest, loss = sum_messages(sh, live, stop, &slowest);
    if (isfinite(loss)) {
        /* The update (every rank the same), the carried state, h(0), the columns moved on. */
        rnnc_model_train_stages(m, last, last, ck->params, buf->grads, ck->opt, buf->x, buf->y, buf->s0,
                                buf->ws, &ck->hp);
        carry_messages(sh, b);
        if (sh->gs0) rnnc_batch_update_h0_from(b, sh->gs0);
        rnnc_batch_move(b);
    }
    sh->steps++;
    sh->t_compute += t1 - t0;
    sh->t_exchange += t2 - t1;
    /* Of the exchange, the time spent waiting for a slower rank's gradient stages. */
    if (sh->ranks > 1 && slowest > t1 - t0) sh->t_wait += slowest - (t1 - t0) < t2 - t1 ? slowest - (t1 - t0) : t2 - t1;
    sh->t_update += now_s() - t2;
    return loss;
}

void rnnc_shards_describe(const rnnc_shards *sh, FILE *out)
{
    if (sh->ranks > 1)
        fprintf(out, "data parallel: %d ranks, each one share of %zu columns of the batch of %zu; the gradients "
                "added in rank order (the bits of --shards %d on one process)\n", sh->ranks, sh->cols,
                sh->spec.batch * (size_t)sh->count, sh->count);
    else
        fprintf(out, "data parallel: %d share%s of %zu columns of the batch of %zu, in turn on one process; the "
                "gradients added in share order\n", sh->count, sh->count == 1 ? "" : "s", sh->cols,
                sh->spec.batch * (size_t)sh->count);
}

void rnnc_shards_report(const rnnc_shards *sh, FILE *out)
{
    if (!sh->steps) return;
    double n = (double)sh->steps, c = sh->t_compute / n * 1e3, e = sh->t_exchange / n * 1e3;
    double u = sh->t_update / n * 1e3, w = sh->t_wait / n * 1e3, all = c + e + u;
    fprintf(out, "data parallel: per step (mean of %llu): compute %.3f ms, exchange %.3f ms (%.1f%%; of it "
            "waiting for a slower rank %.3f ms), update %.3f ms; total %.3f ms\n", (unsigned long long)sh->steps, c,
            e, all > 0 ? 100 * e / all : 0, w, u, all);
}
