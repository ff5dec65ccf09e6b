/* test_reference_gated.c: the generated gated cells (--cell gru|lstm) against their
 * independent double-precision reference (tests/ref/ref_gated.c), node by node.
 *
 *   test_reference_gated tcc|cc
 *
 * Every spec of the matrix cell (gru lstm) x loss (nll mse) x dtype (float double) x input
 * (one-hot, dense) x batch {1,3} x tau {1,2,9}, and batches 16 and 18 (two parts) at tau 3,
 * is built as the CLI builds it, generated, compiled with the backend named on the command
 * line and called through rnnc_model_*, on a seeded random problem drawn in double and rounded
 * to the dtype (tests/lib/testlib.c).  Compared, entry by entry: the loss, h(t), c(t) (lstm),
 * the gates of every step (lstm i f g o; gru r z n and w_n), p(t), g_o(t), grad_h(t),
 * grad_c(t) (lstm), d(t) (and the gru's dw_n), grad_h(0), grad_c(0) (lstm) and every
 * parameter gradient (U W V b c b_h), read at the layout's offsets (templates/rnn.h).  The
 * workspace and gradients start as NaN, so an entry the generated code forgets to write fails.
 *
 * Tolerance, per entry: |a - r| <= TOL * max(1, |r|), TOL_DOUBLE or TOL_FLOAT (the program
 * prints the worst err/TOL it saw).  Also: rnnc_model_step chained from the initial state over
 * t = 1..tau on column 0 must reproduce forward's h(t), c(t) and p(t) bit for bit.
 *
 * Output: "ok reference-gated/BACKEND/SPEC" or "FAIL reference-gated/BACKEND/SPEC: the worst
 * entry"; lines starting with '#' are information.  Exit status 1 if anything failed. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/model/model.h"
#include "../ref/ref_gated.h"
#include "../lib/testlib.h"

/* Measured worst |a - r| / max(1, |r|) over the matrix, both backends: double 1.3e-15, float
 * 4.3e-7 (TOL_DOUBLE ~75x, TOL_FLOAT ~23x headroom). */
#define TOL_DOUBLE 1e-13
#define TOL_FLOAT 1e-5

/* The reference side: every buffer in double. */
typedef struct gbufs {
    double *t[6], *g[6];          /* U W V b c b_h and their gradients (tensor order) */
    double *xd, *yd, *s0;         /* dense inputs, mse targets, the initial state h(0), c(0) */
    int32_t *xi, *yi;
    refg_nodes n;
    double *all[32];
    int nall;
} gbufs;

static double *take(gbufs *r, size_t n)
{
    double *p = calloc(n + 1, sizeof *p);
    if (p) r->all[r->nall++] = p;
    return p;
}

static int gbufs_alloc(gbufs *r, const rnnc_spec *s, const rnnc_layout *l)
{
    size_t H = s->hidden, K = s->n_out, T = s->tau, B = s->batch, GH = l->gh;
    const size_t len[6] = {GH * s->n_in, GH * H, K * H, GH, K, GH};
    memset(r, 0, sizeof *r);
    for (int k = 0; k < 6; k++) r->t[k] = take(r, len[k]), r->g[k] = take(r, len[k]);
    r->xd = take(r, l->x_count), r->yd = take(r, l->y_count), r->s0 = take(r, l->s0_count);
    r->n.h = take(r, (T + 1) * B * H), r->n.c = take(r, (T + 1) * B * H);
    r->n.gate = take(r, T * B * GH), r->n.wn = take(r, T * B * H);
    r->n.p = take(r, T * B * K), r->n.go = take(r, T * B * K);
    r->n.gh = take(r, T * B * H), r->n.gc = take(r, T * B * H);
    r->n.d = take(r, T * B * GH), r->n.dw = take(r, T * B * GH);
    r->n.gh0 = take(r, B * H), r->n.gc0 = take(r, B * H);
    r->xi = calloc(l->x_count + 1, sizeof(int32_t));
    r->yi = calloc(l->y_count + 1, sizeof(int32_t));
    return r->nall == 27 && r->xi && r->yi ? 0 : -1;
}

static void gbufs_free(gbufs *r)
{
    for (int k = 0; k < r->nall; k++) free(r->all[k]);
    free(r->xi);
    free(r->yi);
    memset(r, 0, sizeof *r);
}

typedef struct cmp {
    double tol, worst, got, want;
    char where[96];
    size_t bad, checked;
} cmp;

static void cmp_entry(cmp *c, double got, double want, const char *name, size_t t, size_t u, size_t v)
{
    double bound = c->tol * fmax(1.0, fabs(want)), err = fabs(got - want);
    double ratio = isnan(err) ? INFINITY : err / bound;
    c->checked++;
    if (!(err <= bound)) c->bad++;
    if (!(ratio <= c->worst)) {
        c->worst = ratio, c->got = got, c->want = want;
        snprintf(c->where, sizeof c->where, "%s(t=%zu)[%zu,%zu]", name, t, u, v);
    }
}

/* A node of n values per column, steps t0..tn: the generated one at ws + off with stride
 * gs per column, from row gr of it; the reference's with stride rs, from row rr. */
static void cmp_rows(cmp *c, const char *name, const rnnc_spec *s, const void *ws, size_t off,
                     size_t gs, size_t gr, const double *ref, size_t rs, size_t rr, size_t t0,
                     size_t tn, size_t n)
{
    for (size_t t = t0; t <= tn; t++)
        for (size_t bi = 0; bi < s->batch; bi++) {
            size_t col = (t - t0) * s->batch + bi;
            for (size_t i = 0; i < n; i++)
                cmp_entry(c, rnnc_get(ws, s->dtype, off + col * gs + gr + i), ref[col * rs + rr + i], name,
                          t, bi, i);
        }
}

/* The gates and d(t): the generated slots against the reference's rows (gate buffer: lstm
 * i f g o at slots 0-3; gru r z at 0-1, w_n at 2, n at 3; d: the same slots, gru's dw_n at 2). */
static void cmp_gates(cmp *c, const rnnc_spec *s, const rnnc_layout *l, const void *ws, const gbufs *r)
{
    const size_t H = s->hidden, T = s->tau, GH = l->gh;
    const int lstm = s->cell == RNNC_CELL_LSTM;
    cmp_rows(c, "gates(i|r,f|z)", s, ws, l->ws_g, l->gcol, 0, r->n.gate, GH, 0, 1, T, 2 * H);
    cmp_rows(c, lstm ? "gate g" : "gate n", s, ws, l->ws_g, l->gcol, lstm ? 2 * H : 3 * H, r->n.gate, GH, 2 * H, 1, T, H);
    if (lstm) cmp_rows(c, "gate o", s, ws, l->ws_g, l->gcol, 3 * H, r->n.gate, GH, 3 * H, 1, T, H);
    else cmp_rows(c, "w_n", s, ws, l->ws_g, l->gcol, 2 * H, r->n.wn, H, 0, 1, T, H);
    cmp_rows(c, "d(i|r,f|z)", s, ws, l->ws_d, l->dcol, 0, r->n.d, GH, 0, 1, T, 2 * H);
    cmp_rows(c, lstm ? "d_g" : "d_n", s, ws, l->ws_d, l->dcol, lstm ? 2 * H : 3 * H, r->n.d, GH, 2 * H, 1, T, H);
    if (lstm) cmp_rows(c, "d_o", s, ws, l->ws_d, l->dcol, 3 * H, r->n.d, GH, 3 * H, 1, T, H);
    else cmp_rows(c, "dw_n", s, ws, l->ws_d, l->dcol, 2 * H, r->n.dw, GH, 2 * H, 1, T, H);
}

/* Everything the two sides computed. */
static void compare(cmp *c, const rnnc_spec *s, const rnnc_layout *l, const rnnc_buffers *mb,
                    const gbufs *r, double L, double L_ref)
{
    const size_t H = s->hidden, K = s->n_out, T = s->tau, B = s->batch;
    const int lstm = s->cell == RNNC_CELL_LSTM;
    cmp_entry(c, L, L_ref, "loss", 0, 0, 0);
    cmp_rows(c, "h", s, mb->ws, l->ws_h, H, 0, r->n.h, H, 0, 0, T, H);
    if (lstm) cmp_rows(c, "c", s, mb->ws, l->ws_c, H, 0, r->n.c, H, 0, 0, T, H);
    cmp_gates(c, s, l, mb->ws, r);
    cmp_rows(c, "p", s, mb->ws, l->ws_p, K, 0, r->n.p, K, 0, 1, T, K);
    cmp_rows(c, "g_o", s, mb->ws, l->ws_go, K, 0, r->n.go, K, 0, 1, T, K);
    cmp_rows(c, "grad_h", s, mb->ws, l->ws_gh, H, 0, r->n.gh, H, 0, 1, T, H);
    if (lstm) cmp_rows(c, "grad_c", s, mb->ws, l->ws_gc, H, 0, r->n.gc, H, 0, 1, T, H);
    for (size_t k = 0; k < B * H; k++) {
        cmp_entry(c, rnnc_get(mb->ws, s->dtype, l->ws_gs0 + l->s0_h + k), r->n.gh0[k], "grad_h0", 0, k / H, k % H);
        if (lstm)
            cmp_entry(c, rnnc_get(mb->ws, s->dtype, l->ws_gs0 + l->s0_c + k), r->n.gc0[k], "grad_c0", 0, k / H, k % H);
    }
    rnnc_tensor tn[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, tn);
    static const int slot[6] = {RNNC_T_U, RNNC_T_W, RNNC_T_V, RNNC_T_B, RNNC_T_C, RNNC_T_BH};
    for (int k = 0; k < 6; k++) {
        const rnnc_tensor *t = &tn[slot[k]];
        char gname[16];
        snprintf(gname, sizeof gname, "grad_%s", t->name);
        for (size_t e = 0; e < t->rows * t->cols; e++)
            cmp_entry(c, rnnc_get(mb->grads, s->dtype, t->offset + e), r->g[k][e], gname, 0, e % t->rows, e / t->rows);
    }
}

/* rnnc_model_step chained from s0's column 0 must give forward's h(t), c(t) and p(t) exactly.
 * Returns NULL or what differed. */
static const char *step_chain(rnnc_model *m, const rnnc_buffers *mb, size_t *at)
{
    const rnnc_spec *s = &m->spec;
    const rnnc_layout *l = &m->layout;
    size_t rs = l->real_size, H = s->hidden, K = s->n_out, B = s->batch, ns = l->s0_count / B;
    char *st[2] = {calloc(ns, rs), calloc(ns, rs)}, *out = calloc(K, rs);
    const char *what = st[0] && st[1] && out ? NULL : "out of memory";
    if (!what) {
        memcpy(st[0], mb->s0, H * rs);
        if (s->cell == RNNC_CELL_LSTM) memcpy(st[0] + H * rs, (char *)mb->s0 + l->s0_c * rs, H * rs);
    }
    for (size_t t = 1; !what && t <= s->tau; t++) {
        const char *x = (const char *)mb->x + (t - 1) * B * (s->onehot ? 1 : s->n_in) * l->x_elem_size;
        char *sin = st[(t - 1) % 2], *sout = st[t % 2];
        const char *ws = mb->ws;
        rnnc_model_step(m, mb->params, x, sin, sout, out);
        *at = t;
        if (memcmp(sout, ws + (l->ws_h + t * B * H) * rs, H * rs)) what = "h";
        else if (s->cell == RNNC_CELL_LSTM && memcmp(sout + H * rs, ws + (l->ws_c + t * B * H) * rs, H * rs)) what = "c";
        else if (memcmp(out, ws + (l->ws_p + (t - 1) * B * K) * rs, K * rs)) what = "p";
    }
    free(st[0]);
    free(st[1]);
    free(out);
    return what;
}

static refg_spec to_refg(const rnnc_spec *s)
{
    refg_spec r = {s->n_in, s->hidden, s->n_out, s->tau, s->batch, s->onehot,
                   s->cell == RNNC_CELL_LSTM ? REFG_LSTM : REFG_GRU, s->loss == RNNC_LOSS_NLL ? REF_NLL : REF_MSE};
    return r;
}

/* Run one spec: load, fill, call, compare.  Returns 1 if it passed; *worst gets err/TOL. */
static int run_spec(const tl_case *tc, rnnc_cell cell, rnnc_backend be, uint64_t seed, double *worst)
{
    char err[4096], name[160];
    rnnc_spec s;
    rnnc_model m;
    rnnc_buffers mb = {0};
    gbufs r = {0};
    int pass = 0;
    const char *bn = rnnc_backend_name(be);
    if (tl_build_spec_cell(tc, cell, 0, &s, err, sizeof err) != 0) {
        tl_one_line(err);
        printf("FAIL reference-gated/%s/spec: %s\n", bn, err);
        return 0;
    }
    tl_summary(&s, name, sizeof name);
    if (rnnc_model_load(&m, &s, be, err, sizeof err) != 0) {
        tl_one_line(err);
        printf("FAIL reference-gated/%s/%s: load: %s\n", bn, name, err);
        return 0;
    }
    const rnnc_layout *l = &m.layout;
    if (rnnc_buffers_alloc(&mb, l) != 0 || gbufs_alloc(&r, &s, l) != 0) {
        printf("FAIL reference-gated/%s/%s: out of memory\n", bn, name);
        goto out;
    }
    tl_mirror mir = {{r.t[0], r.t[1], r.t[2], r.t[3], r.t[4]}, r.xi, r.yi, r.xd, r.yd, r.s0};
    mir.param[RNNC_T_BH] = r.t[5];
    tl_fill_problem(&s, l, &mb, seed, &mir);
    refg_spec rs = to_refg(&s);
    refg_params P = {r.t[0], r.t[1], r.t[2], r.t[3], r.t[4], r.t[5]};
    refg_grads G = {r.g[0], r.g[1], r.g[2], r.g[3], r.g[4], r.g[5]};
    double L_ref = refg_forward(&rs, P, r.xi, r.xd, r.yi, r.yd, r.s0, r.s0 + l->s0_c, &r.n);
    refg_backward(&rs, P, r.xi, r.xd, r.yi, r.yd, &r.n, G);
    tl_poison(&s, l, &mb);
    double L = rnnc_model_forward(&m, mb.params, mb.x, mb.y, mb.s0, mb.ws);
    rnnc_model_backward(&m, mb.params, mb.x, mb.y, mb.ws, mb.grads);
    cmp c = {s.dtype == RNNC_DOUBLE ? TOL_DOUBLE : TOL_FLOAT, -1, 0, 0, "", 0, 0};
    compare(&c, &s, l, &mb, &r, L, L_ref);
    size_t t = 0;
    const char *step = step_chain(&m, &mb, &t);
    if (c.worst > *worst) *worst = c.worst;
    if (c.bad)
        printf("FAIL reference-gated/%s/%s: %s got %.17g expected %.17g (%zu of %zu entries out of "
               "tolerance %g; seed %llu)\n", bn, name, c.where, c.got, c.want, c.bad, c.checked, c.tol,
               (unsigned long long)seed);
    else if (step)
        printf("FAIL reference-gated/%s/%s: rnnc_model_step differs from forward in %s(t=%zu) (must be "
               "bit-identical)\n", bn, name, step, t);
    else printf("ok reference-gated/%s/%s (worst err/tol %.3g)\n", bn, name, c.worst);
    pass = !c.bad && !step;
out:
    gbufs_free(&r);
    rnnc_buffers_free(&mb);
    rnnc_model_unload(&m);
    return pass;
}

int main(int argc, char **argv)
{
    rnnc_backend be;
    if (argc != 2 || rnnc_backend_parse(argv[1], &be) != 0) {
        printf("FAIL reference-gated: usage: test_reference_gated tcc|cc\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const size_t batches[] = {1, 3}, taus[] = {1, 2, 9};
    static const rnnc_dtype dtypes[] = {RNNC_FLOAT, RNNC_DOUBLE};
    double worst[3] = {0, 0, 0}, t0 = tl_now_s();
    int failed = 0, n = 0;
    uint64_t seed = 7000;
    for (int cell = RNNC_CELL_GRU; cell <= RNNC_CELL_LSTM; cell++)
        for (int loss = 0; loss < 2; loss++)
            for (int di = 0; di < 2; di++)
                for (int onehot = 1; onehot >= 0; onehot--)
                    for (int bi = 0; bi < 2; bi++)
                        for (int ti = 0; ti < 3; ti++, n++, seed += 1000) {
                            tl_case c = {RNNC_ACT_TANH, (rnnc_loss)loss, dtypes[di], onehot, 0, 0, 0, taus[ti],
                                         batches[bi], RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
                            tl_pick_dims(&c);
                            failed += !run_spec(&c, (rnnc_cell)cell, be, seed, &worst[dtypes[di]]);
                        }
    for (int cell = RNNC_CELL_GRU; cell <= RNNC_CELL_LSTM; cell++) /* two parts */
        for (int onehot = 1; onehot >= 0; onehot--, n++, seed += 1000) {
            tl_case c = {RNNC_ACT_TANH, onehot ? RNNC_LOSS_NLL : RNNC_LOSS_MSE, onehot ? RNNC_FLOAT : RNNC_DOUBLE,
                         onehot, 0, 0, 0, 3, onehot ? 18 : 16, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
            tl_pick_dims(&c);
            failed += !run_spec(&c, (rnnc_cell)cell, be, seed, &worst[c.dtype]);
        }
    const char *bn = rnnc_backend_name(be);
    printf("# reference-gated/%s: worst err/tol: float %.3g (tol %g), double %.3g (tol %g)\n", bn,
           worst[RNNC_FLOAT], TOL_FLOAT, worst[RNNC_DOUBLE], TOL_DOUBLE);
    printf("# reference-gated/%s: %d cases, %d failed, %.2f s\n", bn, n, failed, tl_now_s() - t0);
    return failed ? 1 : 0;
}
