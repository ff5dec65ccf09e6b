/* test_backends.c: the same spec compiled by both backends (libtcc in memory, and the system
 * compiler into a cached shared object) must compute the same thing.
 *
 *   test_backends
 *
 * Default flags (exact: explicit fma, no contraction, fixed summation trees): results must
 * be bit-identical.  Over the matrix act (tanh relu sigmoid) x loss (nll mse) x dtype
 * (float double) x input (one-hot, dense) x batch {1,3} x tau {1,9}, plus the min-char-rnn
 * size (vocab 65, hidden 100, tau 25, float), for the output recurrence (output, both x
 * teacher, free, scheduled) two cases each (nll, mse) that take act, dtype, input kind, batch
 * and tau {1,2,9} in turn, plus the min-char-rnn size with both/free, and the gated cells (gru,
 * lstm) x loss x dtype x batch {1,3} x tau {1,9} and at batch 16: the loss, the whole workspace
 * (the final state, the gradient of s0 and scheduled sampling's choices included) and the whole
 * gradient buffer are compared with memcmp after forward + backward, and rnnc_model_step
 * chained over batch column 0 must give the same bytes too.  Workspace and gradients start
 * as NaN in both, so padding compares equal and a missed write shows as a NaN.
 *
 * --fast (spec key fast=yes; cc builds with -ffast-math): the backends may differ in the last
 * bits.  For every node tensor (h, p, g_o, grad_h, d, grad s0, s1), every gradient tensor and
 * the loss, with a = cc and b = tcc:
 *     max_i |a_i - b_i| / max(FAST_FLOOR, max_i |b_i|) <= FAST_RTOL
 * i.e. a normwise relative error per tensor (the floor keeps an all-but-zero tensor from
 * turning rounding noise into a large ratio).  The program prints the worst ratio seen.
 * relu problems with a pre-activation within rounding of 0 are redrawn (see
 * test_reference.c), since the two fast builds may put it on either side of the kink.
 *
 * Output: "ok backends/SPEC", "ok backends/fast/SPEC" or "FAIL backends/...: details";
 * lines starting with '#' are information.  Exit status 1 if anything failed. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/model/model.h"
#include "../lib/testlib.h"

/* Measured worst normwise ratio: 5.6e-7 (min-char-rnn size, float, p); ~18x headroom.  A
 * per-entry ratio |a - b| / max(1e-3, |b|) reaches 1.8e-4 there (grad_V), so it is not used. */
#define FAST_RTOL 1e-5
#define FAST_FLOOR 1e-3

/* Name workspace element k ("d(t=3)[b=1,i=2]", "s1[4]", or "padding"). */
static void name_ws(const rnnc_spec *s, const rnnc_layout *l, size_t k, char *buf, size_t n)
{
    size_t H = s->hidden, K = s->n_out, B = s->batch, T = s->tau;
    int sched = rnnc_recurrences[s->rec].has_R && s->fb == RNNC_FB_SCHEDULED;
    size_t nfb = sched ? T * B * (rnnc_losses[s->loss].class_targets ? 1 : K) : 0;
    /* width 0: a flat range, named by its index */
    const struct { const char *name; size_t off, t0, count, width; } r[] = {
        {"h", l->ws_h, 0, (T + 1) * B * H, H}, {"p", l->ws_p, 1, T * B * K, K},
        {"g_o", l->ws_go, 1, T * B * K, K},    {"grad_h", l->ws_gh, 1, T * B * H, H},
        {"d", l->ws_d, 1, T * B * H, H},       {"grad_s0", l->ws_gs0, 0, l->s0_count, 0},
        {"s1", l->ws_s1, 0, l->s0_count, 0},   {"fb(0) copy", l->ws_fb0, 0, l->ws_fb - l->ws_fb0, 0},
        {"fb slots", l->ws_fb, 0, nfb, 0},     {"ctl", l->ws_ctl, 0, sched ? T * B : 0, 0},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (k >= r[i].off && k < r[i].off + r[i].count) {
            size_t e = k - r[i].off;
            if (!r[i].width) {
                snprintf(buf, n, "%s[%zu]", r[i].name, e);
            } else {
                size_t col = e / r[i].width;
                snprintf(buf, n, "%s(t=%zu)[b=%zu,i=%zu]", r[i].name, r[i].t0 + col / B, col % B, e % r[i].width);
            }
            return;
        }
    snprintf(buf, n, "workspace element %zu (padding or scratch)", k);
}

/* Name gradient element k ("grad_W[i=2,j=1]", or "padding"). */
static void name_grad(const rnnc_spec *s, const rnnc_layout *l, size_t k, char *buf, size_t n)
{
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, t);
    for (int i = 0; i < RNNC_NTENSORS; i++)
        if (k >= t[i].offset && k < t[i].offset + t[i].rows * t[i].cols) {
            size_t e = k - t[i].offset;
            snprintf(buf, n, "grad_%s[i=%zu,j=%zu]", t[i].name, e % t[i].rows, e / t[i].rows);
            return;
        }
    snprintf(buf, n, "gradient padding [%zu]", k);
}

/* The first element (of real type) where two buffers differ, or -1. */
static long first_diff(const void *a, const void *b, size_t count, size_t rs)
{
    for (size_t i = 0; i < count; i++)
        if (memcmp((const char *)a + i * rs, (const char *)b + i * rs, rs) != 0) return (long)i;
    return -1;
}

typedef struct side {
    rnnc_model m;
    rnnc_buffers b;
    int loaded;
    double loss;
} side;

static void side_free(side *sd)
{
    rnnc_buffers_free(&sd->b);
    if (sd->loaded) rnnc_model_unload(&sd->m);
    sd->loaded = 0;
}

/* Load spec s with both backends and run forward + backward on the same problem (tcc's
 * buffers are filled, then copied).  Returns 0, or -1 after printing a FAIL line. */
static int run_both(const rnnc_spec *s, const char *label, uint64_t seed, side sd[2])
{
    char err[4096];
    const rnnc_backend be[2] = {RNNC_BACKEND_TCC, RNNC_BACKEND_CC};
    for (int k = 0; k < 2; k++) {
        if (rnnc_model_load(&sd[k].m, s, be[k], err, sizeof err) != 0) {
            tl_one_line(err);
            tl_fail("%s: load with %s: %s", label, rnnc_backend_name(be[k]), err);
            return -1;
        }
        sd[k].loaded = 1;
        if (rnnc_buffers_alloc(&sd[k].b, &sd[k].m.layout) != 0) {
            tl_fail("%s: out of memory", label);
            return -1;
        }
    }
    const rnnc_layout *l = &sd[0].m.layout;
    uint64_t kept = seed;   /* the seed of the problem used */
    for (int tries = 0;; tries++) {
        kept = seed + (uint64_t)tries;
        tl_fill_problem(s, l, &sd[0].b, kept, NULL);
        if (!(s->fast && s->act == RNNC_ACT_RELU)) break;
        tl_fill_sched(s, l, sd[0].b.ws, kept, NULL, NULL, NULL);
        (void)rnnc_model_forward(&sd[0].m, sd[0].b.params, sd[0].b.x, sd[0].b.y, sd[0].b.s0, sd[0].b.ws);
        double kink = tl_kink(s->dtype);
        if (tl_min_abs_preact(s, l, &sd[0].b) >= kink) break;
        if (tries == TL_MAX_REDRAWS) {
            tl_fail("%s: every problem drawn has a relu pre-activation within %g "
                    "of 0", label, kink);
            return -1;
        }
    }
    memcpy(sd[1].b.params, sd[0].b.params, l->params_bytes);
    memcpy(sd[1].b.x, sd[0].b.x, l->x_bytes);
    memcpy(sd[1].b.y, sd[0].b.y, l->y_bytes);
    memcpy(sd[1].b.s0, sd[0].b.s0, l->s0_bytes);
    for (int k = 0; k < 2; k++) {
        rnnc_buffers *b = &sd[k].b;
        tl_poison(s, l, b);
        /* scheduled sampling: the same draws and fixed choices on both sides */
        tl_fill_sched(s, l, b->ws, kept, NULL, NULL, NULL);
        sd[k].loss = rnnc_model_forward(&sd[k].m, b->params, b->x, b->y, b->s0, b->ws);
        rnnc_model_backward(&sd[k].m, b->params, b->x, b->y, b->ws, b->grads);
    }
    return 0;
}

/* rnnc_model_step chained over column 0 from s0: the step's state is h, then fb(0) with an
 * output recurrence (which the step then feeds back itself), then the LSTM's c.  Writes tau x
 * (H + K) values (h(t), out) into out. */
static int step_chain(side *sd, void *out)
{
    const rnnc_spec *s = &sd->m.spec;
    const rnnc_layout *l = &sd->m.layout;
    size_t rs = l->real_size, H = s->hidden, K = s->n_out, B = s->batch;
    size_t nfb = rnnc_recurrences[s->rec].has_R ? K : 0, nc = rnnc_cells[s->cell].has_c ? H : 0;
    size_t S = H + nfb + nc + 1; /* + 1: the remaining steps of --end length */
    char *st[2] = {calloc(S, rs), calloc(S, rs)};
    if (!st[0] || !st[1]) {
        free(st[0]);
        free(st[1]);
        return -1;
    }
    (void)B;
    memcpy(st[0], (const char *)sd->b.s0 + l->s0_h * rs, H * rs);
    if (nfb) memcpy(st[0] + H * rs, (const char *)sd->b.s0 + l->s0_fb * rs, K * rs);
    if (nc) memcpy(st[0] + (H + nfb) * rs, (const char *)sd->b.s0 + l->s0_c * rs, H * rs);
    for (size_t t = 1; t <= s->tau; t++) {
        const char *x = (const char *)sd->b.x + (t - 1) * B * (s->onehot ? 1 : s->n_in) * l->x_elem_size;
        char *o = (char *)out + (t - 1) * (H + K) * rs;
        rnnc_model_step(&sd->m, sd->b.params, x, st[(t - 1) % 2], st[t % 2], o + H * rs);
        memcpy(o, st[t % 2], H * rs);
    }
    free(st[0]);
    free(st[1]);
    return 0;
}

/* Default flags: everything bit-identical, for the given cell.  Returns 1 if it passed. */
static int run_exact_cell(const tl_case *tc, rnnc_cell cell, uint64_t seed)
{
    char err[1024], name[160], where[96];
    rnnc_spec s;
    side sd[2];
    void *st[2] = {NULL, NULL};
    int pass = 0;
    memset(sd, 0, sizeof sd);
    if (tl_build_spec_cell(tc, cell, 0, &s, err, sizeof err) != 0) {
        tl_one_line(err);
        tl_fail("spec: %s", err);
        return 0;
    }
    tl_summary(&s, name, sizeof name);
    if (run_both(&s, name, seed, sd) != 0) goto out;
    const rnnc_layout *l = &sd[0].m.layout;
    size_t rs = l->real_size;
    long k;
    if (memcmp(&sd[0].loss, &sd[1].loss, sizeof(double)) != 0) {
        tl_fail("%s: loss: tcc %.17g, cc %.17g", name, sd[0].loss, sd[1].loss);
        goto out;
    }
    if ((k = first_diff(sd[0].b.ws, sd[1].b.ws, l->ws_count, rs)) >= 0) {
        name_ws(&s, l, (size_t)k, where, sizeof where);
        tl_fail("%s: workspace %s: tcc %.17g, cc %.17g", name, where,
                rnnc_get(sd[0].b.ws, s.dtype, (size_t)k), rnnc_get(sd[1].b.ws, s.dtype, (size_t)k));
        goto out;
    }
    if ((k = first_diff(sd[0].b.grads, sd[1].b.grads, l->params_count, rs)) >= 0) {
        name_grad(&s, l, (size_t)k, where, sizeof where);
        tl_fail("%s: %s: tcc %.17g, cc %.17g", name, where,
                rnnc_get(sd[0].b.grads, s.dtype, (size_t)k), rnnc_get(sd[1].b.grads, s.dtype, (size_t)k));
        goto out;
    }
    /* Belt and braces: the whole buffers, padding included, byte for byte. */
    if (memcmp(sd[0].b.ws, sd[1].b.ws, l->ws_bytes) || memcmp(sd[0].b.grads, sd[1].b.grads, l->params_bytes)) {
        tl_fail("%s: buffers differ outside every element", name);
        goto out;
    }
    size_t per = (s.hidden + s.n_out) * rs, n = s.tau * per;
    st[0] = malloc(n);
    st[1] = malloc(n);
    if (!st[0] || !st[1] || step_chain(&sd[0], st[0]) != 0 || step_chain(&sd[1], st[1]) != 0) {
        tl_fail("%s: out of memory", name);
        goto out;
    }
    if ((k = first_diff(st[0], st[1], n / rs, rs)) >= 0) {
        size_t t = (size_t)k / (s.hidden + s.n_out) + 1, e = (size_t)k % (s.hidden + s.n_out);
        tl_fail("%s: step %s(t=%zu)[b=0,i=%zu]: tcc %.17g, cc %.17g", name,
                e < s.hidden ? "h" : "out", t, e < s.hidden ? e : e - s.hidden,
                rnnc_get(st[0], s.dtype, (size_t)k), rnnc_get(st[1], s.dtype, (size_t)k));
        goto out;
    }
    tl_ok("%s", name);
    pass = 1;
out:
    free(st[0]);
    free(st[1]);
    side_free(&sd[0]);
    side_free(&sd[1]);
    return pass;
}

/* run_exact_cell for the rnn cell. */
static int run_exact(const tl_case *tc, uint64_t seed)
{
    return run_exact_cell(tc, RNNC_CELL_RNN, seed);
}

/* --fast: normwise relative difference per tensor within FAST_RTOL.  Returns 1 if it passed;
 * *worst gets the largest ratio seen (over every tensor of every fast spec). */
static int run_fast(const tl_case *tc, uint64_t seed, double *worst, char *worst_where, size_t wn)
{
    char err[1024], name[160], label[200];
    rnnc_spec s;
    side sd[2];
    int pass = 0;
    memset(sd, 0, sizeof sd);
    if (tl_build_spec(tc, 1, &s, err, sizeof err) != 0) {
        tl_one_line(err);
        tl_fail("fast/spec: %s", err);
        return 0;
    }
    tl_summary(&s, name, sizeof name);
    snprintf(label, sizeof label, "fast/%s", name);
    if (run_both(&s, label, seed, sd) != 0) goto out;
    const rnnc_layout *l = &sd[0].m.layout;
    size_t H = s.hidden, K = s.n_out, T = s.tau, B = s.batch;
    rnnc_tensor tn[RNNC_NTENSORS];
    rnnc_param_tensors(&s, l, tn);
    struct { const char *name; int grads; size_t off, count; } t[7 + RNNC_NTENSORS] = {
        {"h", 0, l->ws_h, (T + 1) * B * H}, {"p", 0, l->ws_p, T * B * K},
        {"g_o", 0, l->ws_go, T * B * K},     {"grad_h", 0, l->ws_gh, T * B * H},
        {"d", 0, l->ws_d, T * B * H},        {"grad_s0", 0, l->ws_gs0, l->s0_count},
        {"s1", 0, l->ws_s1, l->s0_count},
    };
    static const char *const gnames[RNNC_NTENSORS] = {"grad_U", "grad_W", "grad_V", "grad_b", "grad_c", "grad_R"};
    for (int i = 0; i < RNNC_NTENSORS; i++) {
        t[7 + i].name = gnames[i];
        t[7 + i].grads = 1;
        t[7 + i].off = tn[i].offset;
        t[7 + i].count = tn[i].rows * tn[i].cols;
    }
    double bad_ratio = 0;
    const char *bad = NULL;
    const int nt = 7 + RNNC_NTENSORS;   /* the loss is "tensor" nt */
    for (int i = 0; i <= nt; i++) {
        double num, den = 0, ratio;
        if (i == nt) {   /* the loss, as one more "tensor" */
            num = fabs(sd[1].loss - sd[0].loss);
            den = fabs(sd[0].loss);
        } else {
            num = 0;
            for (size_t e = 0; e < t[i].count; e++) {
                const void *a = t[i].grads ? sd[1].b.grads : sd[1].b.ws;
                const void *b = t[i].grads ? sd[0].b.grads : sd[0].b.ws;
                double va = rnnc_get(a, s.dtype, t[i].off + e), vb = rnnc_get(b, s.dtype, t[i].off + e);
                double diff = fabs(va - vb);
                if (!(diff <= num)) num = diff;          /* NaN sticks */
                if (fabs(vb) > den) den = fabs(vb);
            }
        }
        ratio = num / fmax(FAST_FLOOR, den);
        if (isnan(ratio)) ratio = INFINITY;
        const char *tname = i == nt ? "loss" : t[i].name;
        if (!(ratio <= *worst)) {
            *worst = ratio;
            snprintf(worst_where, wn, "%s: %s", name, tname);
        }
        if (!(ratio <= FAST_RTOL) && !(ratio <= bad_ratio)) {
            bad_ratio = ratio;
            bad = tname;
        }
    }
    if (bad) {
        tl_fail("%s: %s: max |cc - tcc| / max(%g, max |tcc|) = %.3g > %g", label,
                bad, FAST_FLOOR, bad_ratio, FAST_RTOL);
        goto out;
    }
    tl_ok("%s", label);
    pass = 1;
out:
    side_free(&sd[0]);
    side_free(&sd[1]);
    return pass;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        tl_fail("usage: test_backends");
        return 2;
    }
    tl_suite("backends");
    static const size_t batches[] = {1, 3}, taus[] = {1, 9};
    static const rnnc_dtype dtypes[] = {RNNC_FLOAT, RNNC_DOUBLE};
    int failed = 0, n = 0;
    double t0 = tl_now_s();
    uint64_t seed = 5000;
    for (int act = 0; act < 3; act++)
        for (int loss = 0; loss < 2; loss++)
            for (int di = 0; di < 2; di++)
                for (int onehot = 1; onehot >= 0; onehot--)
                    for (int bi = 0; bi < 2; bi++)
                        for (int ti = 0; ti < 2; ti++) {
                            tl_case c = {(rnnc_act)act, (rnnc_loss)loss, dtypes[di], onehot,
                                          0, 0, 0, taus[ti], batches[bi], RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
                            tl_pick_dims(&c);
                            failed += !run_exact(&c, seed);
                            seed += 1000;
                            n++;
                        }
    /* The gated cells (section 10.10.1): cell x loss (nll one-hot, mse dense) x dtype x
     * batch x tau, and a larger LSTM and GRU (batch 16: two parts). */
    for (int cell = RNNC_CELL_GRU; cell <= RNNC_CELL_LSTM; cell++)
        for (int loss = 0; loss < 2; loss++)
            for (int di = 0; di < 2; di++)
                for (int bi = 0; bi < 2; bi++)
                    for (int ti = 0; ti < 2; ti++) {
                        tl_case c = {RNNC_ACT_TANH, (rnnc_loss)loss, dtypes[di], loss == RNNC_LOSS_NLL,
                                     0, 0, 0, taus[ti], batches[bi], RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
                        tl_pick_dims(&c);
                        failed += !run_exact_cell(&c, (rnnc_cell)cell, seed);
                        seed += 1000;
                        n++;
                    }
    for (int cell = RNNC_CELL_GRU; cell <= RNNC_CELL_LSTM; cell++) {
        const tl_case big = {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 65, 40, 65, 7, 16, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
        failed += !run_exact_cell(&big, (rnnc_cell)cell, 44);
        n++;
    }
    /* min-char-rnn: vocab 65, hidden 100, tau 25, float (tanh, softmax + nll, batch 1). */
    const tl_case charrnn = {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 65, 100, 65, 25, 1,
                             RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
    failed += !run_exact(&charrnn, 42);
    n++;
    /* The output recurrence: per variant two cases (nll, mse) that rotate act, dtype, input,
     * batch and tau over the variants (scheduled sampling with a mix of the data, draws and
     * fixed choices).  Few, as each is a compile with cc. */
    static const size_t taus3[] = {9, 2, 1};
    int k = 0;
    for (int rec = RNNC_REC_OUTPUT; rec <= RNNC_REC_BOTH; rec++)
        for (int fb = 0; fb < RNNC_FB_COUNT; fb++)
            for (int j = 0; j < 2; j++, k++) {
                tl_case c = {(rnnc_act)(k % 3), (rnnc_loss)j, (rec + fb + j) % 2 ? RNNC_DOUBLE : RNNC_FLOAT,
                             (rec + fb + j + k / 6) % 2, 0, 0, 0, taus3[(fb + j + rec) % 3], j ? 3 : 1 + 2 * (size_t)(k % 4 == 0),
                             (rnnc_recurrence)rec, (rnnc_feedback)fb};
                tl_pick_dims(&c);
                failed += !run_exact(&c, seed);
                seed += 1000;
                n++;
            }
    const tl_case charrnn_free = {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 65, 100, 65, 25, 1,
                                  RNNC_REC_BOTH, RNNC_FB_FREE};
    failed += !run_exact(&charrnn_free, 44);
    n++;

    static const tl_case fast[] = {
        {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 9, 3, RNNC_REC_HIDDEN, RNNC_FB_TEACHER},
        {RNNC_ACT_RELU, RNNC_LOSS_MSE, RNNC_FLOAT, 0, 0, 0, 0, 9, 3, RNNC_REC_HIDDEN, RNNC_FB_TEACHER},
        {RNNC_ACT_SIGMOID, RNNC_LOSS_NLL, RNNC_DOUBLE, 0, 0, 0, 0, 9, 1, RNNC_REC_HIDDEN, RNNC_FB_TEACHER},
        {RNNC_ACT_TANH, RNNC_LOSS_MSE, RNNC_DOUBLE, 1, 0, 0, 0, 9, 3, RNNC_REC_HIDDEN, RNNC_FB_TEACHER},
        {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 9, 3, RNNC_REC_OUTPUT, RNNC_FB_FREE},
        {RNNC_ACT_RELU, RNNC_LOSS_MSE, RNNC_FLOAT, 0, 0, 0, 0, 9, 3, RNNC_REC_BOTH, RNNC_FB_SCHEDULED},
    };
    double worst = 0;
    char worst_where[256] = "-";
    for (size_t i = 0; i < sizeof fast / sizeof fast[0]; i++) {
        tl_case c = fast[i];
        tl_pick_dims(&c);
        failed += !run_fast(&c, 9000 + i, &worst, worst_where, sizeof worst_where);
        n++;
    }
    failed += !run_fast(&charrnn, 43, &worst, worst_where, sizeof worst_where);
    n++;
    printf("# backends/fast: worst max|cc - tcc| / max(%g, max|tcc|) per tensor: %.3g "
           "(tolerance %g) at %s\n", FAST_FLOOR, worst, FAST_RTOL, worst_where);
    printf("# backends: %d cases, %d failed, %.2f s\n", n, failed, tl_now_s() - t0);
    return failed ? 1 : 0;
}
