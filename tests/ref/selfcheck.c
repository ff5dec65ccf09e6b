/* selfcheck.c: validates the reference (ref.c) itself by central
 * finite differences in double precision.
 *
 * For every spec in the recurrence x feedback (hidden/teacher, then output and
 * both with teacher, free and scheduled) x act x loss x input-kind x batch x tau
 * grid it draws seeded random parameters, inputs, targets and the initial state
 * s0 = h(0), fb(0) (and for scheduled sampling a mix per step and column of the
 * data, fixed choices and, for nll, draws), runs ref_forward + ref_backward, and
 * compares every entry of grad U, W, V, b, c, R, grad_h(0) and grad_fb(0)
 * against (L(theta + eps) - L(theta - eps)) / (2 eps).
 *
 * An entry passes when |a - n| <= RTOL * max(|a|, |n|) + ATOL
 * (a = analytic, n = numeric).  For relu, entries whose perturbation (+eps or
 * -eps) changes the sign pattern of any pre-activation a(t)
 * are skipped, because L is not differentiable across that kink; they are
 * counted and printed.  The same for a perturbation that changes a class drawn
 * by scheduled sampling (L jumps there).
 *
 * Output: one line per (spec, tensor) with the largest |grad|, max abs and max
 * rel error, and err/tol (the worst ratio of error to allowed error; < 1 passes);
 * the last line is `N passed, N failed`
 * counting those (spec, tensor) checks.  Exit status non-zero on any failure.
 *
 * Build: gcc -std=c99 -Wall -Wextra -pedantic -Werror -O2 -o /tmp/refcheck \
 *            selfcheck.c ref.c -lm   (make tests-bin builds it as ref_selfcheck) */
#include "ref.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FD_EPS
#define FD_EPS 1e-5    /* central-difference step                          */
#endif
#ifndef RTOL
#define RTOL   1e-6    /* relative tolerance                               */
#endif
#ifndef ATOL
#define ATOL   1e-8    /* absolute floor (FD rounding ~ 1e-16 * |L| / eps) */
#endif
#define REL_FLOOR 1e-6 /* max_rel is reported over entries above this size */

/* ---- tiny deterministic PRNG (splitmix64) --------------------------------- */

static uint64_t rng_state;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* uniform in [-1, 1) */
static double urand(void)
{
    return (double)(splitmix64() >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static int32_t irand(size_t n) { return (int32_t)(splitmix64() % (uint64_t)n); }

static void fill(double *a, size_t n, double scale)
{
    size_t i;
    for (i = 0; i < n; i++) a[i] = scale * urand();
}

static double *xalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

/* ---- one problem instance ----------------------------------------------------- */

typedef struct {
    ref_spec s;
    double *U, *W, *V, *b, *c, *R, *s0;      /* mutable parameters and state (perturbed) */
    int32_t *xi, *yi, *fix_i;
    double *xd, *yd, *ctl, *fix_d;
    ref_nodes n;                              /* nodes of the unperturbed run   */
    ref_nodes fdn;                            /* scratch nodes for FD runs      */
    double *gU, *gW, *gV, *gb, *gc, *gR;
    unsigned char *mask0, *mask1;             /* relu sign patterns             */
} problem;

static int32_t *ialloc(size_t n)
{
    int32_t *p = calloc(n ? n : 1, sizeof *p);
    if (!p) { fprintf(stderr, "out of memory\n"); exit(2); }
    return p;
}

static void nodes_alloc(ref_nodes *n, const ref_spec *s)
{
    size_t H = s->hidden, K = s->n_out, B = s->batch, T = s->tau;
    n->h = xalloc((T + 1) * B * H);
    n->a = xalloc(T * B * H);
    n->p = xalloc(T * B * K);
    n->fb = ref_has_R(s) ? xalloc((T + 1) * B * K) : NULL;
    n->fbc = ialloc(T * B);
    n->s1 = xalloc(ref_s0_count(s));
    n->go = xalloc(T * B * K);
    n->gh = xalloc(T * B * H);
    n->d = xalloc(T * B * H);
    n->gh0 = xalloc(B * H);
    n->gfb0 = ref_has_R(s) ? xalloc(B * K) : NULL;
}

static void nodes_free(ref_nodes *n)
{
    free(n->h); free(n->a); free(n->p); free(n->fb); free(n->fbc); free(n->s1);
    free(n->go); free(n->gh); free(n->d); free(n->gh0); free(n->gfb0);
}

static ref_params params_of(const problem *q)
{
    ref_params P;
    P.U = q->U; P.W = q->W; P.V = q->V; P.b = q->b; P.c = q->c; P.R = q->R;
    return P;
}

static ref_inputs inputs_of(const problem *q)
{
    ref_inputs in;
    in.xi = q->xi; in.xd = q->xd; in.yi = q->yi; in.yd = q->yd; in.s0 = q->s0;
    in.ctl = q->ctl; in.fix_i = q->fix_i; in.fix_d = q->fix_d;
    return in;
}

/* Scheduled sampling's control values, a mix per step and column of the data (below 0), a
 * fixed choice (1 or more) and, for nll, a draw (in [0, 1)): a drawn class is data to the
 * gradient and constant under a small enough perturbation (a perturbation that changes it
 * is skipped, like a relu kink).  mse's draw feeds o(t) without its gradient, which finite
 * differences cannot check, so mse gets only data and fixed choices here. */
static void fill_ctl(problem *q)
{
    size_t n = q->s.tau * q->s.batch, k;
    for (k = 0; k < n; k++) {
        uint64_t kind = splitmix64() % 3;
        if (kind == 2 && q->s.loss == REF_MSE) kind = 1;
        switch (kind) {
        case 0: q->ctl[k] = splitmix64() % 2 ? -1.0 : -0.25; break;
        case 1: q->ctl[k] = splitmix64() % 2 ? 1.0 : 3.5; break;
        default: q->ctl[k] = 0.5 * (urand() + 1.0); break;
        }
    }
}

static void problem_init(problem *q, const ref_spec *s, uint64_t seed)
{
    size_t H = s->hidden, K = s->n_out, NI = s->n_in, B = s->batch, T = s->tau, i;
    const double scale = 0.5;

    memset(q, 0, sizeof *q);
    q->s = *s;
    rng_state = seed;

    q->U = xalloc(H * NI); fill(q->U, H * NI, scale);
    q->W = xalloc(H * H);  fill(q->W, H * H, scale);
    q->V = xalloc(K * H);  fill(q->V, K * H, scale);
    q->b = xalloc(H);      fill(q->b, H, scale);
    q->c = xalloc(K);      fill(q->c, K, scale);
    q->R = xalloc(H * K);  fill(q->R, H * K, scale);
    q->s0 = xalloc(ref_s0_count(s)); fill(q->s0, ref_s0_count(s), scale);

    if (s->onehot) {
        q->xi = ialloc(T * B);
        for (i = 0; i < T * B; i++) q->xi[i] = irand(NI);
    } else {
        q->xd = xalloc(T * B * NI);
        fill(q->xd, T * B * NI, 1.0);
    }
    if (s->loss == REF_NLL) {
        q->yi = ialloc(T * B);
        for (i = 0; i < T * B; i++) q->yi[i] = irand(K);
    } else {
        q->yd = xalloc(T * B * K);
        fill(q->yd, T * B * K, 1.0);
    }
    if (ref_has_R(s) && s->fb == REF_FB_SCHEDULED) {
        q->ctl = xalloc(T * B);
        fill_ctl(q);
        q->fix_i = ialloc(T * B);
        for (i = 0; i < T * B; i++) q->fix_i[i] = irand(K);
        q->fix_d = xalloc(T * B * K);
        fill(q->fix_d, T * B * K, 1.0);
    }

    nodes_alloc(&q->n, s);
    nodes_alloc(&q->fdn, s);
    q->gU = xalloc(H * NI); q->gW = xalloc(H * H); q->gV = xalloc(K * H);
    q->gb = xalloc(H);      q->gc = xalloc(K);     q->gR = xalloc(H * K);
    q->mask0 = malloc(T * B * H);
    q->mask1 = malloc(T * B * H);
    if (!q->mask0 || !q->mask1) { fprintf(stderr, "out of memory\n"); exit(2); }
}

static void problem_free(problem *q)
{
    free(q->U); free(q->W); free(q->V); free(q->b); free(q->c); free(q->R); free(q->s0);
    free(q->xi); free(q->yi); free(q->xd); free(q->yd);
    free(q->ctl); free(q->fix_i); free(q->fix_d);
    nodes_free(&q->n); nodes_free(&q->fdn);
    free(q->gU); free(q->gW); free(q->gV); free(q->gb); free(q->gc); free(q->gR);
    free(q->mask0); free(q->mask1);
}

/* sign pattern [a(t) > 0] for t = 1..tau */
static void relu_mask(const problem *q, const ref_nodes *n, unsigned char *m)
{
    size_t BH = q->s.batch * q->s.hidden, k;
    for (k = 0; k < q->s.tau * BH; k++)
        m[k] = n->a[k] > 0.0;
}

/* loss at the current (possibly perturbed) parameters, on the scratch nodes */
static double loss_now(problem *q)
{
    ref_inputs in = inputs_of(q);
    return ref_forward(&q->s, params_of(q), &in, &q->fdn);
}

/* 1 if the perturbed run fed back another class somewhere (a scheduled draw that moved) */
static int choice_moved(const problem *q)
{
    size_t n = q->s.tau * q->s.batch;
    return memcmp(q->n.fbc, q->fdn.fbc, n * sizeof *q->n.fbc) != 0;
}

/* ---- FD check of one tensor -------------------------------------------------- */

static int n_pass, n_fail;

static void check_tensor(problem *q, const char *spec_name, const char *tname,
                         double *theta, const double *grad, size_t len)
{
    size_t k, skipped = 0, checked = 0, bad = 0;
    size_t mlen = q->s.tau * q->s.batch * q->s.hidden;
    double max_abs = 0.0, max_rel = 0.0, max_g = 0.0, worst = 0.0;
    int relu = q->s.act == REF_RELU;

    for (k = 0; k < len; k++) {
        double v = theta[k], Lp, Lm, num, ana = grad[k], err, big;
        int flipped = 0;

        theta[k] = v + FD_EPS;
        Lp = loss_now(q);
        if (relu) {
            relu_mask(q, &q->fdn, q->mask1);
            flipped |= memcmp(q->mask0, q->mask1, mlen) != 0;
        }
        flipped |= choice_moved(q);
        theta[k] = v - FD_EPS;
        Lm = loss_now(q);
        if (relu) {
            relu_mask(q, &q->fdn, q->mask1);
            flipped |= memcmp(q->mask0, q->mask1, mlen) != 0;
        }
        flipped |= choice_moved(q);
        theta[k] = v;

        if (flipped) { skipped++; continue; }
        checked++;

        num = (Lp - Lm) / (2.0 * FD_EPS);
        err = fabs(ana - num);
        big = fabs(ana) > fabs(num) ? fabs(ana) : fabs(num);
        if (err > max_abs) max_abs = err;
        if (big > REL_FLOOR && err / big > max_rel) max_rel = err / big;
        if (fabs(ana) > max_g) max_g = fabs(ana);
        if (err / (RTOL * big + ATOL) > worst) worst = err / (RTOL * big + ATOL);
        if (!(err <= RTOL * big + ATOL)) {       /* also catches NaN */
            if (bad < 3)
                fprintf(stderr, "  %s %s[%zu]: analytic %.12g numeric %.12g\n",
                        spec_name, tname, k, ana, num);
            bad++;
        }
    }

    printf("%-44s %-4s n=%-3zu checked=%-3zu skipped=%-2zu max|g|=%.3e "
           "max_abs=%.3e max_rel=%.3e err/tol=%.3f %s\n",
           spec_name, tname, len, checked, skipped, max_g, max_abs, max_rel, worst,
           bad ? "FAIL" : "ok");
    if (bad) n_fail++; else n_pass++;
}

static const char *act_name(ref_act a)
{
    return a == REF_TANH ? "tanh" : a == REF_RELU ? "relu" : "sigmoid";
}

static const char *rec_name(ref_rec r)
{
    return r == REF_REC_HIDDEN ? "hidden" : r == REF_REC_OUTPUT ? "output" : "both";
}

static const char *fb_name(ref_fb f)
{
    return f == REF_FB_TEACHER ? "teacher" : f == REF_FB_FREE ? "free" : "scheduled";
}

static void run_spec(const ref_spec *s, uint64_t seed)
{
    problem q;
    ref_grads G;
    ref_inputs in;
    char name[128];
    double L;
    size_t H = s->hidden, K = s->n_out, NI = s->n_in, B = s->batch;

    snprintf(name, sizeof name, "%s/%s/%s/%s/%s B=%zu tau=%zu in=%zu H=%zu K=%zu",
             rec_name(s->rec), fb_name(s->fb), act_name(s->act), s->loss == REF_NLL ? "nll" : "mse",
             s->onehot ? "onehot" : "dense", s->batch, s->tau, NI, H, K);

    problem_init(&q, s, seed);
    in = inputs_of(&q);

    L = ref_forward(s, params_of(&q), &in, &q.n);
    G.U = q.gU; G.W = q.gW; G.V = q.gV; G.b = q.gb; G.c = q.gc; G.R = q.gR;
    /* poison the outputs: ref_backward must overwrite, not accumulate */
    fill(q.gU, H * NI, 1e3); fill(q.gW, H * H, 1e3); fill(q.gV, K * H, 1e3);
    fill(q.gb, H, 1e3); fill(q.gc, K, 1e3); fill(q.gR, H * K, 1e3);
    fill(q.n.gh0, B * H, 1e3);
    if (q.n.gfb0) fill(q.n.gfb0, B * K, 1e3);
    ref_backward(s, params_of(&q), &in, &q.n, G);
    if (!isfinite(L)) {
        printf("%s: non-finite loss\n", name);
        n_fail++;
        problem_free(&q);
        return;
    }
    relu_mask(&q, &q.n, q.mask0);

    check_tensor(&q, name, "U",   q.U,  q.gU, H * NI);
    if (ref_has_W(s))
        check_tensor(&q, name, "W",   q.W,  q.gW, H * H);
    check_tensor(&q, name, "V",   q.V,  q.gV, K * H);
    check_tensor(&q, name, "b",   q.b,  q.gb, H);
    check_tensor(&q, name, "c",   q.c,  q.gc, K);
    if (ref_has_R(s))
        check_tensor(&q, name, "R",   q.R,  q.gR, H * K);
    /* h(0) is read only with W: without it the analytic gradient is 0 and so must the FD be */
    check_tensor(&q, name, "h0",  q.s0, q.n.gh0, B * H);
    if (ref_has_R(s))
        check_tensor(&q, name, "fb0", q.s0 + B * H, q.n.gfb0, B * K);

    problem_free(&q);
}

int main(void)
{
    static const ref_act acts[] = { REF_TANH, REF_RELU, REF_SIGMOID };
    static const ref_loss losses[] = { REF_NLL, REF_MSE };
    static const struct { ref_rec rec; ref_fb fb; } variants[] = {
        { REF_REC_HIDDEN, REF_FB_TEACHER },
        { REF_REC_OUTPUT, REF_FB_TEACHER }, { REF_REC_OUTPUT, REF_FB_FREE },
        { REF_REC_OUTPUT, REF_FB_SCHEDULED },
        { REF_REC_BOTH, REF_FB_TEACHER }, { REF_REC_BOTH, REF_FB_FREE },
        { REF_REC_BOTH, REF_FB_SCHEDULED },
    };
    static const size_t batches[] = { 1, 3 };
    static const size_t taus[] = { 1, 2, 5 };
    size_t iv, ia, il, io, ib, it, idx = 0;

    printf("FD check of ref.c: eps=%g, pass if |a-n| <= %g*max(|a|,|n|) + %g; "
           "max_rel over entries with max(|a|,|n|) > %g\n", FD_EPS, RTOL, ATOL, REL_FLOOR);

    for (iv = 0; iv < sizeof variants / sizeof variants[0]; iv++)
        for (ia = 0; ia < 3; ia++)
            for (il = 0; il < 2; il++)
                for (io = 0; io < 2; io++)
                    for (ib = 0; ib < 2; ib++)
                        for (it = 0; it < 3; it++) {
                            ref_spec s;
                            s.rec = variants[iv].rec;
                            s.fb = variants[iv].fb;
                            s.act = acts[ia];
                            s.loss = losses[il];
                            s.onehot = (int)io;
                            s.batch = batches[ib];
                            s.tau = taus[it];
                            /* vary sizes; one-hot uses n_in != n_out on purpose */
                            s.hidden = 3 + idx % 3;
                            s.n_in = io ? 6 : 4;
                            s.n_out = io ? 5 : 3 + idx % 2;
                            run_spec(&s, 0x5EED0000ULL + idx);
                            idx++;
                        }

    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
