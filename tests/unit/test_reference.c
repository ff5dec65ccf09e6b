/* test_reference.c: the generated forward and backward passes against the independent
 * double-precision reference (tests/ref/ref.c).
 *
 *   test_reference tcc|cc
 *
 * Every spec of the matrix act (tanh relu sigmoid) x loss (nll mse) x dtype (float double)
 * x input (one-hot: vocab V; dense: in N out K with N != K) x batch {1,3} x tau {1,2,9}
 * (and batches 16 and 18, split in two parts, at tau 3) is
 * built with the spec builder exactly as the CLI builds it, generated, compiled with the
 * backend named on the command line and called through rnnc_model_*.  A seeded random
 * problem (parameters scaled by 1/sqrt(fan-in), inputs, targets, h(0)) is drawn in double and
 * rounded to float for float specs, so both sides see identical values.  Compared, entry by
 * entry: the loss, every node h(t) (t = 0..tau), p(t), g_o(t), grad_h(t), d(t), grad_h(0)
 * read from the workspace at the layout's offsets (tests/ref/LAYOUT.md), and every parameter
 * gradient U W V b c.  The workspace and the gradients are filled with NaN before the calls,
 * so an entry the generated code forgets to write fails.
 *
 * Tolerance, per entry (r = reference, a = generated):
 *     |a - r| <= TOL * max(1, |r|)
 * with TOL = TOL_DOUBLE for double specs and TOL_FLOAT for float specs (values below; the
 * program prints the worst err/TOL it saw, so the headroom is visible on every run).
 *
 * relu: L is not differentiable where a pre-activation a(t) is 0, and an a(t) within
 * rounding of 0 may legitimately land on either side in the two implementations.  Problems
 * with some |a(t)| below TL_KINK_FLOAT / TL_KINK_DOUBLE (testlib.h) are redrawn with the
 * next seed.
 *
 * Also: rnnc_model_step, chained from h(0) over t = 1..tau on batch column 0, must
 * reproduce forward's h(t) and p(t) bit for bit (it runs the same per-column code).
 *
 * Output: "ok reference/BACKEND/SPEC" or "FAIL reference/BACKEND/SPEC: the worst entry";
 * lines starting with '#' are information.  Exit status 1 if anything failed. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/model/model.h"
#include "../ref/ref.h"
#include "../lib/testlib.h"

/* Measured worst |a - r| / max(1, |r|) over the whole matrix, both backends, 8 seed bases:
 * double 2.0e-15, float 6.6e-7 (so TOL_DOUBLE has ~50x and TOL_FLOAT ~15x headroom). */
#define TOL_DOUBLE 1e-13
#define TOL_FLOAT 1e-5
#ifndef SEED_BASE
#define SEED_BASE 1000   /* -DSEED_BASE=N draws other problems (to survey the headroom) */
#endif

/* ---- The reference side: every buffer in double, carved from one allocation. ---- */

typedef struct refbufs {
    double *mem;
    double *U, *W, *V, *b, *c;          /* parameters, LAYOUT.md order inside each tensor */
    double *gU, *gW, *gV, *gb, *gc;     /* gradients */
    double *xd, *yd, *h0;               /* dense inputs, mse targets, h(0) */
    int32_t *xi, *yi;                   /* class indices */
    ref_nodes n;
} refbufs;

static int refbufs_alloc(refbufs *r, const rnnc_spec *s, const rnnc_layout *l)
{
    size_t H = s->hidden, N = s->n_in, K = s->n_out, T = s->tau, B = s->batch;
    size_t sizes[19] = {H * N, H * H, K * H, H, K, H * N, H * H, K * H, H, K,
                        s->onehot ? 0 : l->x_count, s->loss == RNNC_LOSS_NLL ? 0 : l->y_count,
                        B * H, (T + 1) * B * H, T * B * K, T * B * K, T * B * H, T * B * H, B * H};
    double **views[19] = {&r->U, &r->W, &r->V, &r->b, &r->c, &r->gU, &r->gW, &r->gV, &r->gb,
                          &r->gc, &r->xd, &r->yd, &r->h0, &r->n.h, &r->n.p, &r->n.go,
                          &r->n.gh, &r->n.d, &r->n.gh0};
    size_t total = 0;
    for (int i = 0; i < 19; i++) total += sizes[i] + 1;
    memset(r, 0, sizeof *r);
    r->mem = calloc(total, sizeof(double));
    r->xi = calloc(l->x_count + 1, sizeof(int32_t));
    r->yi = calloc(l->y_count + 1, sizeof(int32_t));
    if (!r->mem || !r->xi || !r->yi) return -1;
    double *p = r->mem;
    for (int i = 0; i < 19; i++) {
        *views[i] = p;
        p += sizes[i] + 1;
    }
    return 0;
}

static void refbufs_free(refbufs *r)
{
    free(r->mem);
    free(r->xi);
    free(r->yi);
    memset(r, 0, sizeof *r);
}

static ref_spec to_ref_spec(const rnnc_spec *s)
{
    ref_spec rs;
    rs.n_in = s->n_in;
    rs.hidden = s->hidden;
    rs.n_out = s->n_out;
    rs.tau = s->tau;
    rs.batch = s->batch;
    rs.onehot = s->onehot;
    rs.act = s->act == RNNC_ACT_TANH ? REF_TANH : s->act == RNNC_ACT_RELU ? REF_RELU : REF_SIGMOID;
    rs.loss = s->loss == RNNC_LOSS_NLL ? REF_NLL : REF_MSE;
    return rs;
}

/* The reference side's buffers as the destination of tl_fill_problem's double copies. */
static tl_mirror mirror_of(const refbufs *r)
{
    tl_mirror m = {{r->U, r->W, r->V, r->b, r->c}, r->xi, r->yi, r->xd, r->yd, r->h0};
    return m;
}

/* min |a_i(t)| over every pre-activation, recomputed in double from the reference's h. */
static double min_abs_preact(const rnnc_spec *s, const refbufs *r)
{
    size_t H = s->hidden, N = s->n_in, B = s->batch;
    double m = INFINITY;
    for (size_t t = 1; t <= s->tau; t++)
        for (size_t bi = 0; bi < B; bi++) {
            const double *hp = r->n.h + ((t - 1) * B + bi) * H;
            for (size_t i = 0; i < H; i++) {
                double a = r->b[i];
                for (size_t j = 0; j < H; j++) a += r->W[j * H + i] * hp[j];
                if (s->onehot) a += r->U[(size_t)r->xi[(t - 1) * B + bi] * H + i];
                else
                    for (size_t j = 0; j < N; j++) a += r->U[j * H + i] * r->xd[((t - 1) * B + bi) * N + j];
                if (fabs(a) < m) m = fabs(a);
            }
        }
    return m;
}

/* ---- Comparison: the worst entry (largest err/tol) and how many are out of tolerance. ---- */

typedef struct cmp {
    double tol;
    double worst;        /* largest |a - r| / (tol * max(1, |r|)); INFINITY for NaN */
    double got, want;
    char where[96];
    size_t bad, checked;
} cmp;

/* kind: 'l' loss, 'n' node (t, b, i), 'h' grad_h(0) (b, i), 'g' parameter gradient (i, j). */
static void cmp_entry(cmp *c, double got, double want, char kind, const char *name, size_t t,
                      size_t u, size_t v)
{
    double bound = c->tol * fmax(1.0, fabs(want));
    double err = fabs(got - want);
    double ratio = isnan(err) ? INFINITY : err / bound;
    c->checked++;
    if (!(err <= bound)) c->bad++;
    if (!(ratio <= c->worst)) {
        c->worst = ratio;
        c->got = got;
        c->want = want;
        switch (kind) {
        case 'n': snprintf(c->where, sizeof c->where, "%s(t=%zu)[b=%zu,i=%zu]", name, t, u, v); break;
        case 'h': snprintf(c->where, sizeof c->where, "%s[b=%zu,i=%zu]", name, u, v); break;
        case 'g': snprintf(c->where, sizeof c->where, "%s[i=%zu,j=%zu]", name, u, v); break;
        default: snprintf(c->where, sizeof c->where, "%s", name); break;
        }
    }
}

/* A node stored as tau' x B x n, first time step t0 (h: t0 = 0; the others: t0 = 1). */
static void cmp_node(cmp *c, const char *name, const rnnc_spec *s, const void *ws, size_t off,
                     const double *ref, size_t t0, size_t tn, size_t n)
{
    size_t B = s->batch;
    for (size_t t = t0; t <= tn; t++)
        for (size_t bi = 0; bi < B; bi++)
            for (size_t i = 0; i < n; i++) {
                size_t k = ((t - t0) * B + bi) * n + i;
                cmp_entry(c, rnnc_get(ws, s->dtype, off + k), ref[k], 'n', name, t, bi, i);
            }
}

/* Results of one spec, also gathered for the headroom report. */
typedef struct stats {
    double worst[3];                 /* index: dtype (1 float, 2 double) */
    char where[3][320];
    size_t specs[3];
    size_t redraws;                  /* relu problems redrawn for a pre-activation near 0 */
} stats;

/* Run one spec: load, fill, call, compare.  Returns 1 if it passed. */
static int run_spec(const tl_case *tc, rnnc_backend be, uint64_t seed, stats *stt)
{
    char err[4096], name[160], loc[256];
    rnnc_spec s;
    rnnc_model m;
    rnnc_buffers mb = {0};
    refbufs r = {0};
    int pass = 0, loaded = 0;
    const char *bn = rnnc_backend_name(be);
    if (tl_build_spec(tc, 0, &s, err, sizeof err) != 0) {
        tl_one_line(err);
        printf("FAIL reference/%s/spec: %s\n", bn, err);
        return 0;
    }
    tl_summary(&s, name, sizeof name);
    if (rnnc_model_load(&m, &s, be, err, sizeof err) != 0) {
        tl_one_line(err);
        printf("FAIL reference/%s/%s: load: %s\n", bn, name, err);
        return 0;
    }
    loaded = 1;
    if (rnnc_buffers_alloc(&mb, &m.layout) != 0 || refbufs_alloc(&r, &s, &m.layout) != 0) {
        printf("FAIL reference/%s/%s: out of memory\n", bn, name);
        goto out;
    }
    const rnnc_layout *l = &m.layout;
    ref_spec rs = to_ref_spec(&s);
    ref_params P = {r.U, r.W, r.V, r.b, r.c};
    ref_grads G = {r.gU, r.gW, r.gV, r.gb, r.gc};
    tl_mirror mir = mirror_of(&r);
    double L_ref = 0;
    int tries = 0;
    for (;; tries++) {
        tl_fill_problem(&s, l, &mb, seed + (uint64_t)tries, &mir);
        L_ref = ref_forward(&rs, P, r.xi, r.xd, r.yi, r.yd, r.h0, &r.n);
        if (s.act != RNNC_ACT_RELU) break;
        double kink = tl_kink(s.dtype);
        if (min_abs_preact(&s, &r) >= kink) break;
        if (tries == TL_MAX_REDRAWS) {
            printf("FAIL reference/%s/%s: every problem drawn has a relu pre-activation within "
                   "%g of 0\n", bn, name, kink);
            goto out;
        }
    }
    stt->redraws += (size_t)tries;
    ref_backward(&rs, P, r.xi, r.xd, r.yi, r.yd, &r.n, G);

    /* NaN everywhere the generated code must write. */
    tl_poison(&s, l, &mb);
    double L = rnnc_model_forward(&m, mb.params, mb.x, mb.y, mb.s0, mb.ws);
    rnnc_model_backward(&m, mb.params, mb.x, mb.y, mb.ws, mb.grads);

    cmp c = {0};
    c.worst = -1;
    c.tol = s.dtype == RNNC_DOUBLE ? TOL_DOUBLE : TOL_FLOAT;
    size_t H = s.hidden, K = s.n_out, T = s.tau;
    cmp_entry(&c, L, L_ref, 'l', "loss", 0, 0, 0);
    cmp_node(&c, "h", &s, mb.ws, l->ws_h, r.n.h, 0, T, H);
    cmp_node(&c, s.loss == RNNC_LOSS_NLL ? "p" : "p=o", &s, mb.ws, l->ws_p, r.n.p, 1, T, K);
    cmp_node(&c, "g_o", &s, mb.ws, l->ws_go, r.n.go, 1, T, K);
    cmp_node(&c, "grad_h", &s, mb.ws, l->ws_gh, r.n.gh, 1, T, H);
    cmp_node(&c, "d", &s, mb.ws, l->ws_d, r.n.d, 1, T, H);
    for (size_t bi = 0; bi < s.batch; bi++)
        for (size_t i = 0; i < H; i++)
            cmp_entry(&c, rnnc_get(mb.ws, s.dtype, l->ws_gs0 + bi * H + i), r.n.gh0[bi * H + i],
                      'h', "grad_h(0)", 0, bi, i);
    rnnc_tensor tn[RNNC_NTENSORS];
    rnnc_param_tensors(&s, l, tn);
    const double *gref[RNNC_NTENSORS] = {r.gU, r.gW, r.gV, r.gb, r.gc};
    for (int k = 0; k < RNNC_NTENSORS; k++) {
        char gname[16];
        snprintf(gname, sizeof gname, "grad_%s", tn[k].name);
        for (size_t j = 0; j < tn[k].cols; j++)
            for (size_t i = 0; i < tn[k].rows; i++)
                cmp_entry(&c, rnnc_get(mb.grads, s.dtype, tn[k].offset + j * tn[k].rows + i),
                          gref[k][j * tn[k].rows + i], 'g', gname, 0, i, j);
    }

    int d = (int)s.dtype;
    stt->specs[d]++;
    if (c.worst > stt->worst[d] || stt->specs[d] == 1) {
        stt->worst[d] = c.worst;
        snprintf(stt->where[d], sizeof stt->where[d], "%s: %s", name, c.where);
    }
    snprintf(loc, sizeof loc, "%s got %.17g expected %.17g (|err| %.3g, allowed %.3g; "
             "%zu of %zu entries out of tolerance; seed %llu)",
             c.where, c.got, c.want, fabs(c.got - c.want), c.tol * fmax(1.0, fabs(c.want)), c.bad,
             c.checked, (unsigned long long)(seed + (uint64_t)tries));
    if (c.bad == 0) {
        printf("ok reference/%s/%s\n", bn, name);
        pass = 1;
    } else {
        printf("FAIL reference/%s/%s: %s\n", bn, name, loc);
    }
out:
    refbufs_free(&r);
    rnnc_buffers_free(&mb);
    if (loaded) rnnc_model_unload(&m);
    return pass;
}

/* rnnc_model_step chained from h(0) on column 0 must reproduce forward's h(t), p(t) exactly. */
static int run_step(const tl_case *tc, rnnc_backend be, uint64_t seed)
{
    char err[4096], name[160];
    rnnc_spec s;
    rnnc_model m;
    rnnc_buffers mb = {0};
    refbufs r = {0};
    void *hbuf[2] = {NULL, NULL}, *out = NULL;
    int pass = 0, loaded = 0;
    const char *bn = rnnc_backend_name(be);
    if (tl_build_spec(tc, 0, &s, err, sizeof err) != 0) {
        tl_one_line(err);
        printf("FAIL reference/%s/step/spec: %s\n", bn, err);
        return 0;
    }
    tl_summary(&s, name, sizeof name);
    if (rnnc_model_load(&m, &s, be, err, sizeof err) != 0) {
        tl_one_line(err);
        printf("FAIL reference/%s/step/%s: load: %s\n", bn, name, err);
        return 0;
    }
    loaded = 1;
    const rnnc_layout *l = &m.layout;
    size_t rs = l->real_size, H = s.hidden, K = s.n_out, B = s.batch;
    hbuf[0] = malloc(H * rs);
    hbuf[1] = malloc(H * rs);
    out = malloc(K * rs);
    if (!hbuf[0] || !hbuf[1] || !out || rnnc_buffers_alloc(&mb, l) != 0 ||
        refbufs_alloc(&r, &s, l) != 0) {
        printf("FAIL reference/%s/step/%s: out of memory\n", bn, name);
        goto out;
    }
    tl_mirror mir = mirror_of(&r);
    tl_fill_problem(&s, l, &mb, seed, &mir);
    (void)rnnc_model_forward(&m, mb.params, mb.x, mb.y, mb.s0, mb.ws);
    memcpy(hbuf[0], mb.s0, H * rs);   /* column 0 of h(0) */
    for (size_t t = 1; t <= s.tau; t++) {
        const char *x = (const char *)mb.x + (t - 1) * B * (s.onehot ? 1 : s.n_in) * l->x_elem_size;
        void *hin = hbuf[(t - 1) % 2], *hout = hbuf[t % 2];
        memset(out, 0xff, K * rs);
        memset(hout, 0xff, H * rs);
        rnnc_model_step(&m, mb.params, x, hin, hout, out);
        const char *ws = mb.ws;
        const char *hf = ws + (l->ws_h + t * B * H) * rs, *pf = ws + (l->ws_p + (t - 1) * B * K) * rs;
        const char *what = memcmp(hout, hf, H * rs) ? "h" : memcmp(out, pf, K * rs) ? "p" : NULL;
        if (what) {
            size_t n = what[0] == 'h' ? H : K, i;
            const void *a = what[0] == 'h' ? hout : out, *f = what[0] == 'h' ? (const void *)hf : pf;
            for (i = 0; i + 1 < n && memcmp((const char *)a + i * rs, (const char *)f + i * rs, rs) == 0; i++) {}
            printf("FAIL reference/%s/step/%s: %s(t=%zu)[b=0,i=%zu]: step gives %.17g, forward "
                   "%.17g (must be bit-identical)\n",
                   bn, name, what, t, i, rnnc_get(a, s.dtype, i), rnnc_get(f, s.dtype, i));
            goto out;
        }
    }
    printf("ok reference/%s/step/%s\n", bn, name);
    pass = 1;
out:
    free(hbuf[0]);
    free(hbuf[1]);
    free(out);
    refbufs_free(&r);
    rnnc_buffers_free(&mb);
    if (loaded) rnnc_model_unload(&m);
    return pass;
}

int main(int argc, char **argv)
{
    rnnc_backend be;
    if (argc != 2 || rnnc_backend_parse(argv[1], &be) != 0) {
        printf("FAIL reference: usage: test_reference tcc|cc\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const size_t batches[] = {1, 3}, taus[] = {1, 2, 9};
    static const rnnc_dtype dtypes[] = {RNNC_FLOAT, RNNC_DOUBLE};
    stats st;
    memset(&st, 0, sizeof st);
    int failed = 0, n = 0;
    double t0 = tl_now_s();
    uint64_t seed = SEED_BASE;
    for (int act = 0; act < 3; act++)
        for (int loss = 0; loss < 2; loss++)
            for (int di = 0; di < 2; di++)
                for (int onehot = 1; onehot >= 0; onehot--)
                    for (int bi = 0; bi < 2; bi++)
                        for (int ti = 0; ti < 3; ti++) {
                            tl_case c = {(rnnc_act)act, (rnnc_loss)loss, dtypes[di], onehot,
                                          0, 0, 0, taus[ti], batches[bi]};
                            tl_pick_dims(&c);
                            failed += !run_spec(&c, be, seed, &st);
                            seed += 1000;
                            n++;
                        }
    /* Even batches of 16 and more are split into two parts (NAME_train_part), each part
     * with its share of every gradient: batch 18 with odd sizes leaves uneven shares. */
    for (int act = 0; act < 3; act++)
        for (int loss = 0; loss < 2; loss++)
            for (int onehot = 1; onehot >= 0; onehot--) {
                tl_case c = {(rnnc_act)act, (rnnc_loss)loss, (act + loss) % 2 ? RNNC_DOUBLE : RNNC_FLOAT,
                             onehot, 0, 0, 0, 3, onehot ? 18 : 16};
                tl_pick_dims(&c);
                failed += !run_spec(&c, be, seed, &st);
                seed += 1000;
                n++;
            }
    static const tl_case steps[] = {
        {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 9, 3},
        {RNNC_ACT_SIGMOID, RNNC_LOSS_MSE, RNNC_DOUBLE, 0, 0, 0, 0, 9, 3},
        {RNNC_ACT_RELU, RNNC_LOSS_NLL, RNNC_DOUBLE, 1, 0, 0, 0, 9, 3},
        {RNNC_ACT_TANH, RNNC_LOSS_MSE, RNNC_FLOAT, 0, 0, 0, 0, 9, 3},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        tl_case c = steps[i];
        tl_pick_dims(&c);
        failed += !run_step(&c, be, SEED_BASE + 7 + i);
        n++;
    }
    const char *bn = rnnc_backend_name(be);
    printf("# reference/%s: worst err/tol over %zu float specs (tol %g): %.3g at %s\n", bn,
           st.specs[RNNC_FLOAT], TOL_FLOAT, st.worst[RNNC_FLOAT], st.where[RNNC_FLOAT]);
    printf("# reference/%s: worst err/tol over %zu double specs (tol %g): %.3g at %s\n", bn,
           st.specs[RNNC_DOUBLE], TOL_DOUBLE, st.worst[RNNC_DOUBLE], st.where[RNNC_DOUBLE]);
    printf("# reference/%s: %d cases, %d failed, %zu relu problems redrawn, %.2f s\n", bn, n,
           failed, st.redraws, tl_now_s() - t0);
    return failed ? 1 : 0;
}
