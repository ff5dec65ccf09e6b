/* test_reference.c: the generated forward and backward passes against the independent
 * double-precision reference (tests/ref/ref.c).
 *
 *   test_reference tcc|cc
 *
 * The matrix: recurrence x feedback (hidden; output and both, each with teacher forcing,
 * free running and scheduled sampling) x act (tanh relu sigmoid) x loss (nll mse) x dtype
 * (float double) x input (one-hot: vocab V; dense: in N out K with N != K) x batch {1,3} x
 * tau {1,2,9}, and batches 16 and 18 (split in two parts) at tau 3 over recurrence x
 * feedback x act x loss x input.  With tcc every point runs; with cc (whose compiler takes
 * a few hundred ms a model) the hidden family runs whole and the new family on a diagonal:
 * every CC_STRIDE-th point of its enumeration (CC_STRIDE = 22, chosen by enumerating the
 * points: for each variant every value of every axis comes up, the two-part batches
 * included; about 7 specs per variant, 43 in all, instead of 936).  Each spec is
 * built with the spec builder exactly as the CLI builds it, generated, compiled with the
 * backend named on the command line and called through rnnc_model_*.  A seeded random
 * problem (parameters scaled by 1/sqrt(fan-in), inputs, targets, the initial state h(0),
 * fb(0), and for scheduled sampling a mix per step and column of the data, draws and fixed
 * choices: tl_fill_sched) is drawn in double and
 * rounded to float for float specs, so both sides see identical values.  Compared, entry by
 * entry: the loss, every node h(t) (t = 0..tau), p(t), g_o(t), grad_h(t), d(t), the
 * gradient of the initial state (grad_h(0), grad_fb(0)) and the final state s1 (h(tau),
 * fb(tau)), the choices scheduled sampling leaves in fb(t)'s slots, all
 * read from the workspace at the layout's offsets (tests/ref/LAYOUT.md), and every parameter
 * gradient U W V b c R; then the same gradients, the loss and s1 from a training step
 * (NAME_train_step, whose stages and batch parts are another code path) with plain SGD at
 * learning rate 0, scale 1, no clipping and no decay.  The workspace and the gradients are filled with NaN before the calls,
 * so an entry the generated code forgets to write fails.
 *
 * Tolerance, per entry (r = reference, a = generated):
 *     |a - r| <= TOL * max(1, |r|)
 * with TOL = TOL_DOUBLE for double specs and TOL_FLOAT for float specs (values below; the
 * program prints the worst err/TOL it saw per variant, so the headroom is visible on every
 * run).
 *
 * relu: L is not differentiable where a pre-activation a(t) is 0, and an a(t) within
 * rounding of 0 may legitimately land on either side in the two implementations.  Problems
 * with some |a(t)| below TL_KINK_FLOAT / TL_KINK_DOUBLE (testlib.h) are redrawn with the
 * next seed.  Likewise a scheduled-sampling draw u within that bound of a cumulative
 * probability of p(t) (where the two sides could pick different classes).
 *
 * Also: rnnc_model_step, chained from s0 over t = 1..tau on batch column 0, must
 * reproduce forward's h(t) and p(t) bit for bit (it runs the same per-column code); with
 * an output recurrence the step feeds back its own output (free running), and for teacher
 * forcing and scheduled sampling the test writes the forward's fb(t-1) into the state first.
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
 * hidden recurrence double 2.0e-15, float 6.6e-7 (so TOL_DOUBLE has ~50x and TOL_FLOAT ~15x
 * headroom).  With the output recurrence (tcc, 8 seed bases -DSEED_BASE=1000, 2000001, ...,
 * 8000007, every variant): double 5.0e-15 (both/teacher, grad_R; 20x headroom), float 4.4e-6
 * (both/free, mse, tau 9: grad_b, a sum over 27 steps and columns of d(t) with cancellation,
 * its error carried through 9 steps of o(t) fed back; 2.3x headroom), every other variant
 * below 1.5e-6.  The tolerances are kept: the default seeds give 9.9e-7 at worst (10x). */
#define TOL_DOUBLE 1e-13
#define TOL_FLOAT 1e-5
#ifndef SEED_BASE
#define SEED_BASE 1000   /* -DSEED_BASE=N draws other problems (to survey the headroom) */
#endif

/* ---- The reference side: every buffer in double, carved from one allocation. ---- */

typedef struct refbufs {
    double *mem;
    double *U, *W, *V, *b, *c, *R;      /* parameters, LAYOUT.md order inside each tensor */
    double *gU, *gW, *gV, *gb, *gc, *gR;   /* gradients */
    double *xd, *yd, *s0;               /* dense inputs, mse targets, the initial state */
    double *ctl, *fix_d;                /* scheduled sampling: control values, fixed vectors */
    int32_t *imem;
    int32_t *xi, *yi, *fix_i;           /* class indices */
    ref_nodes n;
} refbufs;

#define NVIEWS 25
static int refbufs_alloc(refbufs *r, const rnnc_spec *s, const rnnc_layout *l)
{
    size_t H = s->hidden, N = s->n_in, K = s->n_out, T = s->tau, B = s->batch;
    size_t sizes[NVIEWS] = {H * N, H * H, K * H, H, K, H * K,
                            H * N, H * H, K * H, H, K, H * K,
                            s->onehot ? 0 : l->x_count, s->loss == RNNC_LOSS_NLL ? 0 : l->y_count,
                            l->s0_count, T * B, T * B * K,
                            (T + 1) * B * H, T * B * H, T * B * K, (T + 1) * B * K, l->s0_count,
                            T * B * K, T * B * H, T * B * H};
    double **views[NVIEWS] = {&r->U, &r->W, &r->V, &r->b, &r->c, &r->R,
                              &r->gU, &r->gW, &r->gV, &r->gb, &r->gc, &r->gR,
                              &r->xd, &r->yd, &r->s0, &r->ctl, &r->fix_d,
                              &r->n.h, &r->n.a, &r->n.p, &r->n.fb, &r->n.s1,
                              &r->n.go, &r->n.gh, &r->n.d};
    size_t total = 2 * B * (H + K) + 2;   /* gh0, gfb0 */
    for (int i = 0; i < NVIEWS; i++) total += sizes[i] + 1;
    memset(r, 0, sizeof *r);
    r->mem = calloc(total, sizeof(double));
    r->imem = calloc(l->x_count + l->y_count + 3 * T * B + 3, sizeof(int32_t));
    if (!r->mem || !r->imem) return -1;
    double *p = r->mem;
    for (int i = 0; i < NVIEWS; i++) {
        *views[i] = p;
        p += sizes[i] + 1;
    }
    r->n.gh0 = p;
    p += B * H + 1;
    r->n.gfb0 = p;
    r->xi = r->imem;
    r->yi = r->xi + l->x_count + 1;
    r->fix_i = r->yi + l->y_count + 1;
    r->n.fbc = r->fix_i + T * B + 1;
    return 0;
}

static void refbufs_free(refbufs *r)
{
    free(r->mem);
    free(r->imem);
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
    rs.rec = s->rec == RNNC_REC_HIDDEN ? REF_REC_HIDDEN : s->rec == RNNC_REC_OUTPUT ? REF_REC_OUTPUT : REF_REC_BOTH;
    rs.fb = s->fb == RNNC_FB_TEACHER ? REF_FB_TEACHER : s->fb == RNNC_FB_FREE ? REF_FB_FREE : REF_FB_SCHEDULED;
    return rs;
}

/* The reference side's buffers as the destination of tl_fill_problem's double copies. */
static tl_mirror mirror_of(const refbufs *r)
{
    tl_mirror m = {{r->U, r->W, r->V, r->b, r->c, r->R}, r->xi, r->yi, r->xd, r->yd, r->s0};
    return m;
}

static ref_inputs inputs_of(const refbufs *r)
{
    ref_inputs in = {r->xi, r->xd, r->yi, r->yd, r->s0, r->ctl, r->fix_i, r->fix_d};
    return in;
}

/* min |a_i(t)| over every pre-activation of the reference. */
static double min_abs_preact(const rnnc_spec *s, const refbufs *r)
{
    double m = INFINITY;
    for (size_t k = 0; k < s->tau * s->batch * s->hidden; k++)
        if (fabs(r->n.a[k]) < m) m = fabs(r->n.a[k]);
    return m;
}

/* Scheduled sampling, nll: min |u - (p_0 + ... + p_k)| over every draw u in [0, 1) and every
 * class k, on the reference's p(t): how far each draw is from picking another class. */
static double min_draw_margin(const rnnc_spec *s, const refbufs *r)
{
    size_t K = s->n_out;
    double m = INFINITY;
    if (s->rec == RNNC_REC_HIDDEN || s->fb != RNNC_FB_SCHEDULED || s->loss != RNNC_LOSS_NLL) return m;
    for (size_t k = 0; k < s->tau * s->batch; k++) {
        double u = r->ctl[k], cum = 0;
        if (u < 0 || u >= 1) continue;
        for (size_t i = 0; i < K; i++) {
            cum += r->n.p[k * K + i];
            if (fabs(cum - u) < m) m = fabs(cum - u);
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

/* kind: 'l' loss, 'n' node (t, b, i), 'h' a state (b, i), 'g' parameter gradient (i, j). */
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

/* Results of one spec, also gathered for the headroom report: per variant (recurrence x
 * feedback, 3 x 3 slots of which 7 are used) and dtype. */
typedef struct stats {
    double worst[RNNC_REC_COUNT][RNNC_FB_COUNT][3];   /* last index: dtype (1 float, 2 double) */
    char where[RNNC_REC_COUNT][RNNC_FB_COUNT][3][320];
    size_t specs[RNNC_REC_COUNT][RNNC_FB_COUNT][3];
    size_t redraws;                  /* problems redrawn for a relu kink or a draw's margin */
} stats;

/* Run one spec: load, fill, call, compare.  Returns 1 if it passed. */
static int run_spec(const tl_case *tc, rnnc_backend be, uint64_t seed, stats *stt)
{
    char err[4096], name[200], loc[400];
    rnnc_spec s;
    rnnc_model m;
    rnnc_buffers mb = {0};
    refbufs r = {0};
    int pass = 0, loaded = 0;
    const char *bn = rnnc_backend_name(be);
    if (tl_build_spec(tc, 0, &s, err, sizeof err) != 0) {
        tl_one_line(err);
        tl_fail("%s/spec: %s", bn, err);
        return 0;
    }
    tl_summary(&s, name, sizeof name);
    if (rnnc_model_load(&m, &s, be, err, sizeof err) != 0) {
        tl_one_line(err);
        tl_fail("%s/%s: load: %s", bn, name, err);
        return 0;
    }
    loaded = 1;
    if (rnnc_buffers_alloc(&mb, &m.layout) != 0 || refbufs_alloc(&r, &s, &m.layout) != 0) {
        tl_fail("%s/%s: out of memory", bn, name);
        goto out;
    }
    const rnnc_layout *l = &m.layout;
    ref_spec rs = to_ref_spec(&s);
    ref_params P = {r.U, r.W, r.V, r.b, r.c, r.R};
    ref_grads G = {r.gU, r.gW, r.gV, r.gb, r.gc, r.gR};
    ref_inputs in = inputs_of(&r);
    tl_mirror mir = mirror_of(&r);
    double L_ref = 0;
    int tries = 0;
    const int hasR = rnnc_recurrences[s.rec].has_R, sched = hasR && s.fb == RNNC_FB_SCHEDULED;
    for (;; tries++) {
        tl_fill_problem(&s, l, &mb, seed + (uint64_t)tries, &mir);
        /* NaN everywhere the generated code must write; then the caller's scheduled-sampling
         * draws and fixed choices (their slots are inputs). */
        tl_poison(&s, l, &mb);
        tl_fill_sched(&s, l, mb.ws, seed + (uint64_t)tries, r.ctl, r.fix_i, r.fix_d);
        L_ref = ref_forward(&rs, P, &in, &r.n);
        double kink = tl_kink(s.dtype);
        if ((s.act != RNNC_ACT_RELU || min_abs_preact(&s, &r) >= kink) &&
            min_draw_margin(&s, &r) >= kink)
            break;
        if (tries == TL_MAX_REDRAWS) {
            tl_fail("%s/%s: every problem drawn has a relu pre-activation or a "
                    "draw within %g of a boundary", bn, name, kink);
            goto out;
        }
    }
    stt->redraws += (size_t)tries;
    ref_backward(&rs, P, &in, &r.n, G);

    double L = rnnc_model_forward(&m, mb.params, mb.x, mb.y, mb.s0, mb.ws);
    rnnc_model_backward(&m, mb.params, mb.x, mb.y, mb.ws, mb.grads);

    cmp c = {0};
    c.worst = -1;
    c.tol = s.dtype == RNNC_DOUBLE ? TOL_DOUBLE : TOL_FLOAT;
    size_t H = s.hidden, K = s.n_out, T = s.tau, B = s.batch;
    cmp_entry(&c, L, L_ref, 'l', "loss", 0, 0, 0);
    cmp_node(&c, "h", &s, mb.ws, l->ws_h, r.n.h, 0, T, H);
    cmp_node(&c, s.loss == RNNC_LOSS_NLL ? "p" : "p=o", &s, mb.ws, l->ws_p, r.n.p, 1, T, K);
    cmp_node(&c, "g_o", &s, mb.ws, l->ws_go, r.n.go, 1, T, K);
    cmp_node(&c, "grad_h", &s, mb.ws, l->ws_gh, r.n.gh, 1, T, H);
    cmp_node(&c, "d", &s, mb.ws, l->ws_d, r.n.d, 1, T, H);
    /* The states, s0's layout: h part at s0_h, fb part at s0_fb; the reference keeps them
     * as [B x H][B x K]. */
    for (size_t bi = 0; bi < B; bi++) {
        for (size_t i = 0; i < H; i++) {
            cmp_entry(&c, rnnc_get(mb.ws, s.dtype, l->ws_gs0 + l->s0_h + bi * H + i),
                      r.n.gh0[bi * H + i], 'h', "grad_h(0)", 0, bi, i);
            cmp_entry(&c, rnnc_get(mb.ws, s.dtype, l->ws_s1 + l->s0_h + bi * H + i),
                      r.n.s1[bi * H + i], 'h', "s1.h(tau)", 0, bi, i);
        }
        for (size_t i = 0; hasR && i < K; i++) {
            cmp_entry(&c, rnnc_get(mb.ws, s.dtype, l->ws_gs0 + l->s0_fb + bi * K + i),
                      r.n.gfb0[bi * K + i], 'h', "grad_fb(0)", 0, bi, i);
            cmp_entry(&c, rnnc_get(mb.ws, s.dtype, l->ws_s1 + l->s0_fb + bi * K + i),
                      r.n.s1[B * H + bi * K + i], 'h', "s1.fb(tau)", 0, bi, i);
        }
    }
    /* Scheduled sampling: the forward leaves each step's choice in fb(t)'s slot. */
    if (sched && s.loss == RNNC_LOSS_NLL) {
        for (size_t t = 1; t <= T; t++)
            for (size_t bi = 0; bi < B; bi++)
                cmp_entry(&c, rnnc_get(mb.ws, s.dtype, l->ws_fb + (t - 1) * B + bi),
                          (double)r.n.fbc[(t - 1) * B + bi], 'n', "fb-class", t, bi, 0);
    } else if (sched) {
        cmp_node(&c, "fb", &s, mb.ws, l->ws_fb, r.n.fb + B * K, 1, T, K);
    }
    rnnc_tensor tn[RNNC_NTENSORS];
    rnnc_param_tensors(&s, l, tn);
    const double *gref[RNNC_NTENSORS] = {r.gU, r.gW, r.gV, r.gb, r.gc, r.gR};
    for (int k = 0; k < RNNC_NTENSORS; k++) {
        char gname[16];
        snprintf(gname, sizeof gname, "grad_%s", tn[k].name);
        for (size_t j = 0; j < tn[k].cols; j++)
            for (size_t i = 0; i < tn[k].rows; i++)
                cmp_entry(&c, rnnc_get(mb.grads, s.dtype, tn[k].offset + j * tn[k].rows + i),
                          gref[k][j * tn[k].rows + i], 'g', gname, 0, i, j);
    }

    /* The training step's own path (NAME_train_step: forward, sweep and parameter gradients
     * in the stages and batch parts of NAME_train_part): plain SGD with lr 0, scale 1 and no
     * clipping or decay leaves the parameters as they are and the raw gradient in grads. */
    {
        rnnc_hparams hp;
        memset(&hp, 0, sizeof hp);
        hp.optim = RNNC_OPTIM_SGD;
        hp.grad_scale = 1;
        tl_poison(&s, l, &mb);
        tl_fill_sched(&s, l, mb.ws, seed + (uint64_t)tries, NULL, NULL, NULL);
        double Ls = rnnc_model_train_step(&m, mb.params, mb.grads, mb.opt, mb.x, mb.y, mb.s0, mb.ws, &hp);
        cmp_entry(&c, Ls, L_ref, 'l', "train_step loss", 0, 0, 0);
        for (size_t bi = 0; bi < B; bi++) {
            for (size_t i = 0; i < H; i++)
                cmp_entry(&c, rnnc_get(mb.ws, s.dtype, l->ws_s1 + l->s0_h + bi * H + i),
                          r.n.s1[bi * H + i], 'h', "train_step s1.h(tau)", 0, bi, i);
            for (size_t i = 0; hasR && i < K; i++)
                cmp_entry(&c, rnnc_get(mb.ws, s.dtype, l->ws_s1 + l->s0_fb + bi * K + i),
                          r.n.s1[B * H + bi * K + i], 'h', "train_step s1.fb(tau)", 0, bi, i);
        }
        for (int k = 0; k < RNNC_NTENSORS; k++) {
            char gname[32];
            snprintf(gname, sizeof gname, "train_step grad_%s", tn[k].name);
            for (size_t j = 0; j < tn[k].cols; j++)
                for (size_t i = 0; i < tn[k].rows; i++)
                    cmp_entry(&c, rnnc_get(mb.grads, s.dtype, tn[k].offset + j * tn[k].rows + i),
                              gref[k][j * tn[k].rows + i], 'g', gname, 0, i, j);
        }
    }

    int d = (int)s.dtype;
    size_t *ns = &stt->specs[s.rec][s.fb][d];
    (*ns)++;
    if (c.worst > stt->worst[s.rec][s.fb][d] || *ns == 1) {
        stt->worst[s.rec][s.fb][d] = c.worst;
        snprintf(stt->where[s.rec][s.fb][d], sizeof stt->where[s.rec][s.fb][d], "%s: %s", name, c.where);
    }
    snprintf(loc, sizeof loc, "%s got %.17g expected %.17g (|err| %.3g, allowed %.3g; "
             "%zu of %zu entries out of tolerance; seed %llu)",
             c.where, c.got, c.want, fabs(c.got - c.want), c.tol * fmax(1.0, fabs(c.want)), c.bad,
             c.checked, (unsigned long long)(seed + (uint64_t)tries));
    if (c.bad == 0) {
        tl_ok("%s/%s", bn, name);
        pass = 1;
    } else {
        tl_fail("%s/%s: %s", bn, name, loc);
    }
out:
    refbufs_free(&r);
    rnnc_buffers_free(&mb);
    if (loaded) rnnc_model_unload(&m);
    return pass;
}

/* rnnc_model_step chained from s0 on column 0 must reproduce forward's h(t), p(t) exactly.
 * The state of one column is h, then fb with an output recurrence.  The step feeds back its
 * own output (free running); for teacher forcing and scheduled sampling, the forward's
 * fb(t-1) (the data, or the choice left in its slot) is written into the state first. */
static int run_step(const tl_case *tc, rnnc_backend be, uint64_t seed)
{
    char err[4096], name[200];
    rnnc_spec s;
    rnnc_model m;
    rnnc_buffers mb = {0};
    char *sbuf[2] = {NULL, NULL}, *out = NULL;
    int pass = 0, loaded = 0;
    const char *bn = rnnc_backend_name(be);
    if (tl_build_spec(tc, 0, &s, err, sizeof err) != 0) {
        tl_one_line(err);
        tl_fail("%s/step/spec: %s", bn, err);
        return 0;
    }
    tl_summary(&s, name, sizeof name);
    if (rnnc_model_load(&m, &s, be, err, sizeof err) != 0) {
        tl_one_line(err);
        tl_fail("%s/step/%s: load: %s", bn, name, err);
        return 0;
    }
    loaded = 1;
    const rnnc_layout *l = &m.layout;
    size_t rs = l->real_size, H = s.hidden, K = s.n_out, B = s.batch;
    const int hasR = rnnc_recurrences[s.rec].has_R, nll = s.loss == RNNC_LOSS_NLL;
    size_t S = l->s0_count / B;   /* H, or H + K */
    sbuf[0] = malloc(S * rs);
    sbuf[1] = malloc(S * rs);
    out = malloc(K * rs);
    if (!sbuf[0] || !sbuf[1] || !out || rnnc_buffers_alloc(&mb, l) != 0) {
        tl_fail("%s/step/%s: out of memory", bn, name);
        goto out;
    }
    tl_fill_problem(&s, l, &mb, seed, NULL);
    tl_poison(&s, l, &mb);
    tl_fill_sched(&s, l, mb.ws, seed, NULL, NULL, NULL);
    (void)rnnc_model_forward(&m, mb.params, mb.x, mb.y, mb.s0, mb.ws);
    const char *s0 = mb.s0, *ws = mb.ws;
    memcpy(sbuf[0], s0 + l->s0_h * rs, H * rs);                     /* h(0) of column 0 */
    if (hasR) memcpy(sbuf[0] + H * rs, s0 + l->s0_fb * rs, K * rs); /* fb(0) of column 0 */
    for (size_t t = 1; t <= s.tau; t++) {
        const char *x = (const char *)mb.x + (t - 1) * B * (s.onehot ? 1 : s.n_in) * l->x_elem_size;
        char *sin = sbuf[(t - 1) % 2], *sout = sbuf[t % 2];
        if (hasR && t > 1 && s.fb != RNNC_FB_FREE) {
            /* fb(t-1) as forward fed it: scheduled's choice, or teacher's data */
            size_t k = (t - 2) * B;   /* step t-1, column 0 */
            for (size_t i = 0; i < K; i++) {
                double v;
                if (s.fb == RNNC_FB_SCHEDULED)
                    v = nll ? (double)((size_t)rnnc_get(ws, s.dtype, l->ws_fb + k) == i)
                            : rnnc_get(ws, s.dtype, l->ws_fb + k * K + i);
                else
                    v = nll ? (double)((size_t)((const int32_t *)mb.y)[k] == i)
                            : rnnc_get(mb.y, s.dtype, k * K + i);
                rnnc_set(sin + H * rs, s.dtype, i, v);
            }
        }
        memset(out, 0xff, K * rs);
        memset(sout, 0xff, S * rs);
        rnnc_model_step(&m, mb.params, x, sin, sout, out);
        const char *hf = ws + (l->ws_h + t * B * H) * rs, *pf = ws + (l->ws_p + (t - 1) * B * K) * rs;
        const char *what = memcmp(sout, hf, H * rs) ? "h" : memcmp(out, pf, K * rs) ? "p"
                         : hasR && memcmp(sout + H * rs, out, K * rs) ? "fb" : NULL;
        if (what) {
            size_t n = what[0] == 'h' ? H : K, i;
            const char *a = what[0] == 'h' ? sout : what[0] == 'p' ? out : sout + H * rs;
            const char *f = what[0] == 'h' ? hf : what[0] == 'p' ? pf : out;
            for (i = 0; i + 1 < n && memcmp(a + i * rs, f + i * rs, rs) == 0; i++) {}
            tl_fail("%s/step/%s: %s(t=%zu)[b=0,i=%zu]: step gives %.17g, %s "
                    "%.17g (must be bit-identical)",
                    bn, name, what, t, i, rnnc_get(a, s.dtype, i),
                    what[0] == 'f' ? "its output" : "forward", rnnc_get(f, s.dtype, i));
            goto out;
        }
    }
    tl_ok("%s/step/%s", bn, name);
    pass = 1;
out:
    free(sbuf[0]);
    free(sbuf[1]);
    free(out);
    rnnc_buffers_free(&mb);
    if (loaded) rnnc_model_unload(&m);
    return pass;
}

/* Scheduled sampling's draw at its edges, where rounding cannot blur the answer: V = 0, so
 * o(t) = c and p(t) is exact, with c = (-big, 0 x 7, -big): p = (0, 1/7 x 7, 0), the 1/7 as
 * rounded (exactly the same on both sides).  Draws per column: u = 0 (class 0 has p = 0 and
 * is skipped: class 1), u = 1/7 as rounded (a tie: cum(1) = u is not above it: class 2),
 * u = 0.5 (class 4), and the largest u below 1: in double the sum of seven 1/7 is
 * 0.9999999999999998 < u, so no class exceeds u and the draw is the last class with p > 0,
 * 7, not 8; in float the sum exceeds u at class 7.  Both steps, every column, the generated
 * choices against the reference's and the expected classes. */
static int run_draw_edges(rnnc_backend be, rnnc_dtype dt)
{
    char err[4096], name[200];
    const char *bn = rnnc_backend_name(be);
    tl_case tc = {RNNC_ACT_TANH, RNNC_LOSS_NLL, dt, 1, 9, 2, 9, 2, 4, RNNC_REC_OUTPUT, RNNC_FB_SCHEDULED};
    rnnc_spec s;
    rnnc_model m;
    rnnc_buffers mb = {0};
    refbufs r = {0};
    int pass = 0, loaded = 0;
    if (tl_build_spec(&tc, 0, &s, err, sizeof err) != 0) {
        tl_one_line(err);
        tl_fail("%s/draw-edges/spec: %s", bn, err);
        return 0;
    }
    tl_summary(&s, name, sizeof name);
    if (rnnc_model_load(&m, &s, be, err, sizeof err) != 0) {
        tl_one_line(err);
        tl_fail("%s/draw-edges/%s: load: %s", bn, name, err);
        return 0;
    }
    loaded = 1;
    const rnnc_layout *l = &m.layout;
    if (rnnc_buffers_alloc(&mb, l) != 0 || refbufs_alloc(&r, &s, l) != 0) {
        tl_fail("%s/draw-edges/%s: out of memory", bn, name);
        goto out;
    }
    tl_poison(&s, l, &mb);
    memset(mb.params, 0, l->params_bytes);
    memset(mb.s0, 0, l->s0_bytes);
    memset(mb.x, 0, l->x_bytes);
    memset(mb.y, 0, l->y_bytes);
    const double big = 1000;   /* exp(-big) is 0 in float and in double */
    for (size_t i = 0; i < 9; i++) {
        double c = i == 0 || i == 8 ? -big : 0;
        rnnc_set(mb.params, dt, l->off_c + i, c);
        r.c[i] = c;
    }
    double p7 = dt == RNNC_DOUBLE ? 1.0 / 7 : (double)(1.0f / 7);
    double top = dt == RNNC_DOUBLE ? nextafter(1.0, 0.0) : (double)nextafterf(1.0f, 0.0f);
    const double us[4] = {0.0, p7, 0.5, top};
    const int32_t want[2][4] = {{1, 2, 4, 7}, {1, 2, 4, 7}};   /* [dtype float, double] */
    for (size_t t = 1; t <= 2; t++)
        for (size_t bi = 0; bi < 4; bi++) {
            rnnc_set(mb.ws, dt, l->ws_ctl + (t - 1) * 4 + bi, us[bi]);
            r.ctl[(t - 1) * 4 + bi] = us[bi];
        }
    ref_spec rs = to_ref_spec(&s);
    ref_params P = {r.U, r.W, r.V, r.b, r.c, r.R};
    ref_inputs in = inputs_of(&r);
    (void)ref_forward(&rs, P, &in, &r.n);
    (void)rnnc_model_forward(&m, mb.params, mb.x, mb.y, mb.s0, mb.ws);
    for (size_t t = 1; t <= 2; t++)
        for (size_t bi = 0; bi < 4; bi++) {
            double got = rnnc_get(mb.ws, dt, l->ws_fb + (t - 1) * 4 + bi);
            int32_t ref = r.n.fbc[(t - 1) * 4 + bi], exp = want[dt == RNNC_DOUBLE][bi];
            if (!(got == (double)ref && ref == exp)) {
                tl_fail("%s/draw-edges/%s: step %zu, u = %.17g: the generated code "
                        "feeds back class %.17g, the reference %d, expected %d",
                        bn, name, t, us[bi], got, ref, exp);
                goto out;
            }
        }
    tl_ok("%s/draw-edges/%s", bn, name);
    pass = 1;
out:
    refbufs_free(&r);
    rnnc_buffers_free(&mb);
    if (loaded) rnnc_model_unload(&m);
    return pass;
}

/* The variants: hidden (teacher is its only feedback), then output and both with each feedback. */
static const struct { rnnc_recurrence rec; rnnc_feedback fb; } variants[] = {
    {RNNC_REC_HIDDEN, RNNC_FB_TEACHER},
    {RNNC_REC_OUTPUT, RNNC_FB_TEACHER}, {RNNC_REC_OUTPUT, RNNC_FB_FREE}, {RNNC_REC_OUTPUT, RNNC_FB_SCHEDULED},
    {RNNC_REC_BOTH, RNNC_FB_TEACHER},   {RNNC_REC_BOTH, RNNC_FB_FREE},   {RNNC_REC_BOTH, RNNC_FB_SCHEDULED},
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

/* With cc, the new family runs every CC_STRIDE-th point of its matrix (see the top; a stride
 * that is merely prime to the axes is not enough: 19 and 23 each miss some variant's two-part
 * batch or a dtype). */
#ifndef CC_STRIDE
#define CC_STRIDE 22
#endif

int main(int argc, char **argv)
{
    rnnc_backend be;
    tl_suite("reference");
    if (argc != 2 || rnnc_backend_parse(argv[1], &be) != 0) {
        tl_fail("usage: test_reference tcc|cc");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    static const size_t batches[] = {1, 3}, taus[] = {1, 2, 9};
    static const rnnc_dtype dtypes[] = {RNNC_FLOAT, RNNC_DOUBLE};
    static stats st;
    memset(&st, 0, sizeof st);
    int failed = 0, n = 0;
    double t0 = tl_now_s();
    size_t point = 0;   /* index of a point of the new family's matrix (for cc's diagonal) */
    for (size_t v = 0; v < NVARIANTS; v++) {
        /* The hidden family keeps its seeds from before the new family existed. */
        uint64_t seed = SEED_BASE + 1000000 * (uint64_t)v;
        for (int act = 0; act < 3; act++)
            for (int loss = 0; loss < 2; loss++)
                for (int di = 0; di < 2; di++)
                    for (int onehot = 1; onehot >= 0; onehot--)
                        for (int bi = 0; bi < 2; bi++)
                            for (int ti = 0; ti < 3; ti++) {
                                tl_case c = {(rnnc_act)act, (rnnc_loss)loss, dtypes[di], onehot,
                                              0, 0, 0, taus[ti], batches[bi], variants[v].rec, variants[v].fb};
                                seed += 1000;
                                if (v > 0 && be == RNNC_BACKEND_CC && point++ % CC_STRIDE != 0) continue;
                                tl_pick_dims(&c);
                                failed += !run_spec(&c, be, seed - 1000, &st);
                                n++;
                            }
        /* Even batches of 16 and more are split into two parts (NAME_train_part), each part
         * with its share of every gradient: batch 18 with odd sizes leaves uneven shares. */
        for (int act = 0; act < 3; act++)
            for (int loss = 0; loss < 2; loss++)
                for (int onehot = 1; onehot >= 0; onehot--) {
                    tl_case c = {(rnnc_act)act, (rnnc_loss)loss, (act + loss) % 2 ? RNNC_DOUBLE : RNNC_FLOAT,
                                 onehot, 0, 0, 0, 3, onehot ? 18 : 16, variants[v].rec, variants[v].fb};
                    seed += 1000;
                    if (v > 0 && be == RNNC_BACKEND_CC && point++ % CC_STRIDE != 0) continue;
                    tl_pick_dims(&c);
                    failed += !run_spec(&c, be, seed - 1000, &st);
                    n++;
                }
    }
    static const tl_case steps[] = {
        {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 9, 3, RNNC_REC_HIDDEN, RNNC_FB_TEACHER},
        {RNNC_ACT_SIGMOID, RNNC_LOSS_MSE, RNNC_DOUBLE, 0, 0, 0, 0, 9, 3, RNNC_REC_HIDDEN, RNNC_FB_TEACHER},
        {RNNC_ACT_RELU, RNNC_LOSS_NLL, RNNC_DOUBLE, 1, 0, 0, 0, 9, 3, RNNC_REC_HIDDEN, RNNC_FB_TEACHER},
        {RNNC_ACT_TANH, RNNC_LOSS_MSE, RNNC_FLOAT, 0, 0, 0, 0, 9, 3, RNNC_REC_HIDDEN, RNNC_FB_TEACHER},
        {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 9, 3, RNNC_REC_OUTPUT, RNNC_FB_FREE},
        {RNNC_ACT_SIGMOID, RNNC_LOSS_MSE, RNNC_DOUBLE, 0, 0, 0, 0, 9, 3, RNNC_REC_OUTPUT, RNNC_FB_FREE},
        {RNNC_ACT_RELU, RNNC_LOSS_NLL, RNNC_DOUBLE, 1, 0, 0, 0, 9, 3, RNNC_REC_BOTH, RNNC_FB_FREE},
        {RNNC_ACT_TANH, RNNC_LOSS_MSE, RNNC_FLOAT, 0, 0, 0, 0, 9, 3, RNNC_REC_BOTH, RNNC_FB_FREE},
        {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_DOUBLE, 1, 0, 0, 0, 9, 3, RNNC_REC_OUTPUT, RNNC_FB_TEACHER},
        {RNNC_ACT_SIGMOID, RNNC_LOSS_MSE, RNNC_FLOAT, 0, 0, 0, 0, 9, 3, RNNC_REC_BOTH, RNNC_FB_TEACHER},
        {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 9, 3, RNNC_REC_BOTH, RNNC_FB_SCHEDULED},
        {RNNC_ACT_TANH, RNNC_LOSS_MSE, RNNC_DOUBLE, 0, 0, 0, 0, 9, 3, RNNC_REC_OUTPUT, RNNC_FB_SCHEDULED},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        tl_case c = steps[i];
        /* cc: the hidden family's and two of the new family's (one free, one scheduled) */
        if (be == RNNC_BACKEND_CC && c.rec != RNNC_REC_HIDDEN && i != 4 && i != 10) continue;
        tl_pick_dims(&c);
        failed += !run_step(&c, be, SEED_BASE + 7 + i);
        n++;
    }
    failed += !run_draw_edges(be, RNNC_FLOAT);
    failed += !run_draw_edges(be, RNNC_DOUBLE);
    n += 2;
    const char *bn = rnnc_backend_name(be);
    for (size_t v = 0; v < NVARIANTS; v++)
        for (int d = RNNC_FLOAT; d <= RNNC_DOUBLE; d++) {
            rnnc_recurrence rc = variants[v].rec;
            rnnc_feedback fb = variants[v].fb;
            if (!st.specs[rc][fb][d]) continue;
            printf("# reference/%s: %s/%s: worst err/tol over %zu %s specs (tol %g): %.3g at %s\n",
                   bn, rnnc_recurrences[rc].name, rnnc_feedbacks[fb].name, st.specs[rc][fb][d],
                   rnnc_dtype_name((rnnc_dtype)d), d == RNNC_FLOAT ? TOL_FLOAT : TOL_DOUBLE,
                   st.worst[rc][fb][d], st.where[rc][fb][d]);
        }
    printf("# reference/%s: %d cases, %d failed, %zu problems redrawn (relu kink or draw margin), %.2f s\n",
           bn, n, failed, st.redraws, tl_now_s() - t0);
    return failed ? 1 : 0;
}
