/* test_ref_selfcheck.c: validates the reference (ref.c) itself by central
 * finite differences in double precision.
 *
 * For every spec in the act x loss x input-kind x batch x tau grid it draws
 * seeded random parameters, inputs, targets and h0, runs ref_forward +
 * ref_backward, and compares every entry of grad U, W, V, b, c and grad_h(0)
 * against (L(theta + eps) - L(theta - eps)) / (2 eps).
 *
 * An entry passes when |a - n| <= RTOL * max(|a|, |n|) + ATOL
 * (a = analytic, n = numeric).  For relu, entries whose perturbation (+eps or
 * -eps) changes the sign pattern of any pre-activation a(t) (seen as h(t) > 0)
 * are skipped, because L is not differentiable across that kink; they are
 * counted and printed.
 *
 * Output: one line per (spec, tensor) with the largest |grad|, max abs and max
 * rel error, and err/tol (the worst ratio of error to allowed error; < 1 passes);
 * the last line is `N passed, N failed`
 * counting those (spec, tensor) checks.  Exit status non-zero on any failure.
 *
 * Build: gcc -std=c99 -Wall -Wextra -pedantic -Werror -O2 -o /tmp/refcheck \
 *            test_ref_selfcheck.c ref.c -lm */
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
    double *U, *W, *V, *b, *c, *h0;          /* mutable parameters (perturbed) */
    int32_t *xi, *yi;
    double *xd, *yd;
    ref_nodes n;                              /* nodes of the unperturbed run   */
    ref_nodes fdn;                            /* scratch nodes for FD runs      */
    double *gU, *gW, *gV, *gb, *gc;
    unsigned char *mask0, *mask1;             /* relu sign patterns             */
} problem;

static void nodes_alloc(ref_nodes *n, const ref_spec *s)
{
    size_t H = s->hidden, K = s->n_out, B = s->batch, T = s->tau;
    n->h = xalloc((T + 1) * B * H);
    n->p = xalloc(T * B * K);
    n->go = xalloc(T * B * K);
    n->gh = xalloc(T * B * H);
    n->d = xalloc(T * B * H);
    n->gh0 = xalloc(B * H);
}

static void nodes_free(ref_nodes *n)
{
    free(n->h); free(n->p); free(n->go); free(n->gh); free(n->d); free(n->gh0);
}

static ref_params params_of(const problem *q)
{
    ref_params P;
    P.U = q->U; P.W = q->W; P.V = q->V; P.b = q->b; P.c = q->c;
    return P;
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
    q->h0 = xalloc(B * H); fill(q->h0, B * H, scale);

    if (s->onehot) {
        q->xi = malloc(T * B * sizeof *q->xi);
        if (!q->xi) { fprintf(stderr, "out of memory\n"); exit(2); }
        for (i = 0; i < T * B; i++) q->xi[i] = irand(NI);
    } else {
        q->xd = xalloc(T * B * NI);
        fill(q->xd, T * B * NI, 1.0);
    }
    if (s->loss == REF_NLL) {
        q->yi = malloc(T * B * sizeof *q->yi);
        if (!q->yi) { fprintf(stderr, "out of memory\n"); exit(2); }
        for (i = 0; i < T * B; i++) q->yi[i] = irand(K);
    } else {
        q->yd = xalloc(T * B * K);
        fill(q->yd, T * B * K, 1.0);
    }

    nodes_alloc(&q->n, s);
    nodes_alloc(&q->fdn, s);
    q->gU = xalloc(H * NI); q->gW = xalloc(H * H); q->gV = xalloc(K * H);
    q->gb = xalloc(H);      q->gc = xalloc(K);
    q->mask0 = malloc(T * B * H);
    q->mask1 = malloc(T * B * H);
    if (!q->mask0 || !q->mask1) { fprintf(stderr, "out of memory\n"); exit(2); }
}

static void problem_free(problem *q)
{
    free(q->U); free(q->W); free(q->V); free(q->b); free(q->c); free(q->h0);
    free(q->xi); free(q->yi); free(q->xd); free(q->yd);
    nodes_free(&q->n); nodes_free(&q->fdn);
    free(q->gU); free(q->gW); free(q->gV); free(q->gb); free(q->gc);
    free(q->mask0); free(q->mask1);
}

/* sign pattern [h(t) > 0] for t = 1..tau, i.e. [a(t) > 0] under relu */
static void relu_mask(const problem *q, const ref_nodes *n, unsigned char *m)
{
    size_t BH = q->s.batch * q->s.hidden, k;
    for (k = 0; k < q->s.tau * BH; k++)
        m[k] = n->h[BH + k] > 0.0;
}

/* loss at the current (possibly perturbed) parameters, on the scratch nodes */
static double loss_now(problem *q)
{
    return ref_forward(&q->s, params_of(q), q->xi, q->xd, q->yi, q->yd, q->h0, &q->fdn);
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
        theta[k] = v - FD_EPS;
        Lm = loss_now(q);
        if (relu) {
            relu_mask(q, &q->fdn, q->mask1);
            flipped |= memcmp(q->mask0, q->mask1, mlen) != 0;
        }
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

static void run_spec(const ref_spec *s, uint64_t seed)
{
    problem q;
    ref_grads G;
    char name[96];
    double L;
    size_t H = s->hidden, K = s->n_out, NI = s->n_in;

    snprintf(name, sizeof name, "%s/%s/%s B=%zu tau=%zu in=%zu H=%zu K=%zu",
             act_name(s->act), s->loss == REF_NLL ? "nll" : "mse",
             s->onehot ? "onehot" : "dense", s->batch, s->tau, NI, H, K);

    problem_init(&q, s, seed);

    L = ref_forward(s, params_of(&q), q.xi, q.xd, q.yi, q.yd, q.h0, &q.n);
    G.U = q.gU; G.W = q.gW; G.V = q.gV; G.b = q.gb; G.c = q.gc;
    /* poison the outputs: ref_backward must overwrite, not accumulate */
    fill(q.gU, H * NI, 1e3); fill(q.gW, H * H, 1e3); fill(q.gV, K * H, 1e3);
    fill(q.gb, H, 1e3); fill(q.gc, K, 1e3); fill(q.n.gh0, s->batch * H, 1e3);
    ref_backward(s, params_of(&q), q.xi, q.xd, q.yi, q.yd, &q.n, G);
    if (!isfinite(L)) {
        printf("%s: non-finite loss\n", name);
        n_fail++;
        problem_free(&q);
        return;
    }
    relu_mask(&q, &q.n, q.mask0);

    check_tensor(&q, name, "U",   q.U,  q.gU, H * NI);
    check_tensor(&q, name, "W",   q.W,  q.gW, H * H);
    check_tensor(&q, name, "V",   q.V,  q.gV, K * H);
    check_tensor(&q, name, "b",   q.b,  q.gb, H);
    check_tensor(&q, name, "c",   q.c,  q.gc, K);
    check_tensor(&q, name, "h0",  q.h0, q.n.gh0, s->batch * H);

    problem_free(&q);
}

int main(void)
{
    static const ref_act acts[] = { REF_TANH, REF_RELU, REF_SIGMOID };
    static const ref_loss losses[] = { REF_NLL, REF_MSE };
    static const size_t batches[] = { 1, 3 };
    static const size_t taus[] = { 1, 2, 5 };
    size_t ia, il, io, ib, it, idx = 0;

    printf("FD check of ref.c: eps=%g, pass if |a-n| <= %g*max(|a|,|n|) + %g; "
           "max_rel over entries with max(|a|,|n|) > %g\n", FD_EPS, RTOL, ATOL, REL_FLOOR);

    for (ia = 0; ia < 3; ia++)
        for (il = 0; il < 2; il++)
            for (io = 0; io < 2; io++)
                for (ib = 0; ib < 2; ib++)
                    for (it = 0; it < 3; it++) {
                        ref_spec s;
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
