/* selfcheck_gated.c: validates the gated reference (ref_gated.c) itself by central finite
 * differences in double precision, as selfcheck.c does for ref.c.
 *
 * For every spec of the grid cell (gru, lstm) x loss (nll, mse) x input (one-hot, dense) x
 * batch {1, 3} x tau {1, 2, 5} it draws seeded random parameters, inputs, targets, h(0) and
 * c(0), runs refg_forward + refg_backward, and compares every entry of the gradients of U, W,
 * V, b, c, b_h, h(0) and (LSTM) c(0) with (L(theta + eps) - L(theta - eps)) / (2 eps).  An
 * entry passes when |a - n| <= RTOL * max(|a|, |n|) + ATOL (a analytic, n numeric).
 *
 * Output: one line per (spec, tensor); the last line is `N passed, N failed`.  Exit status
 * non-zero on any failure.  Links ref_gated.c only. */
#include "ref_gated.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FD_EPS 1e-5
#define RTOL 1e-6
#define ATOL 1e-8

static uint64_t rng_state;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* uniform in [-scale, scale) */
static double urand(double scale) { return scale * ((double)(splitmix64() >> 11) * (2.0 / 9007199254740992.0) - 1.0); }

static double *xalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* One problem: the parameters and initial state (perturbed in place), the data, two sets of
 * nodes (the unperturbed run's and the finite differences' scratch), the gradients. */
typedef struct {
    refg_spec s;
    double *t[8];           /* U W V b c b_h h0 c0 */
    double *g[6];           /* their gradients (h0, c0: the nodes' gh0, gc0) */
    size_t len[8];
    int32_t *xi, *yi;
    double *xd, *yd;
    refg_nodes n, fd;
} problem;

static void nodes_alloc(refg_nodes *n, const refg_spec *s)
{
    size_t H = s->hidden, K = s->n_out, B = s->batch, T = s->tau, GH = refg_gates(s) * H;
    n->h = xalloc((T + 1) * B * H);
    n->c = xalloc((T + 1) * B * H);
    n->gate = xalloc(T * B * GH);
    n->wn = xalloc(T * B * H);
    n->p = xalloc(T * B * K);
    n->go = xalloc(T * B * K);
    n->gh = xalloc(T * B * H);
    n->gc = xalloc(T * B * H);
    n->d = xalloc(T * B * GH);
    n->dw = xalloc(T * B * GH);
    n->gh0 = xalloc(B * H);
    n->gc0 = xalloc(B * H);
}

static void nodes_free(refg_nodes *n)
{
    double *all[] = {n->h, n->c, n->gate, n->wn, n->p, n->go, n->gh, n->gc, n->d, n->dw, n->gh0, n->gc0};
    size_t i;
    for (i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]);
}

static refg_params params_of(const problem *q)
{
    refg_params P = {q->t[0], q->t[1], q->t[2], q->t[3], q->t[4], q->t[5]};
    return P;
}

static void problem_init(problem *q, const refg_spec *s, uint64_t seed)
{
    size_t H = s->hidden, K = s->n_out, NI = s->n_in, B = s->batch, T = s->tau, GH = refg_gates(s) * H, i, k;
    const double scale[8] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    memset(q, 0, sizeof *q);
    q->s = *s;
    rng_state = seed;
    q->len[0] = GH * NI, q->len[1] = GH * H, q->len[2] = K * H, q->len[3] = GH;
    q->len[4] = K, q->len[5] = GH, q->len[6] = B * H, q->len[7] = B * H;
    for (k = 0; k < 8; k++) {
        q->t[k] = xalloc(q->len[k]);
        for (i = 0; i < q->len[k]; i++) q->t[k][i] = urand(scale[k]);
    }
    for (k = 0; k < 6; k++) q->g[k] = xalloc(q->len[k]);
    q->xi = calloc(T * B, sizeof *q->xi);
    q->yi = calloc(T * B, sizeof *q->yi);
    q->xd = xalloc(T * B * NI);
    q->yd = xalloc(T * B * K);
    if (!q->xi || !q->yi) exit(2);
    for (i = 0; i < T * B; i++) q->xi[i] = (int32_t)(splitmix64() % NI), q->yi[i] = (int32_t)(splitmix64() % K);
    for (i = 0; i < T * B * NI; i++) q->xd[i] = urand(1.0);
    for (i = 0; i < T * B * K; i++) q->yd[i] = urand(1.0);
    nodes_alloc(&q->n, s);
    nodes_alloc(&q->fd, s);
}

static void problem_free(problem *q)
{
    size_t k;
    for (k = 0; k < 8; k++) free(q->t[k]);
    for (k = 0; k < 6; k++) free(q->g[k]);
    free(q->xi), free(q->yi), free(q->xd), free(q->yd);
    nodes_free(&q->n);
    nodes_free(&q->fd);
}

static double loss_now(problem *q)
{
    return refg_forward(&q->s, params_of(q), q->xi, q->xd, q->yi, q->yd, q->t[6], q->t[7], &q->fd);
}

static int n_pass, n_fail;

/* Central differences for every entry of tensor k against its analytic gradient grad. */
static void check_tensor(problem *q, const char *spec_name, const char *tname, size_t k, const double *grad)
{
    double *theta = q->t[k], max_abs = 0, max_g = 0, worst = 0;
    size_t e, bad = 0;
    for (e = 0; e < q->len[k]; e++) {
        double v = theta[e], Lp, Lm, num, err, big;
        theta[e] = v + FD_EPS;
        Lp = loss_now(q);
        theta[e] = v - FD_EPS;
        Lm = loss_now(q);
        theta[e] = v;
        num = (Lp - Lm) / (2.0 * FD_EPS);
        err = fabs(grad[e] - num);
        big = fabs(grad[e]) > fabs(num) ? fabs(grad[e]) : fabs(num);
        if (err > max_abs) max_abs = err;
        if (fabs(grad[e]) > max_g) max_g = fabs(grad[e]);
        if (err / (RTOL * big + ATOL) > worst) worst = err / (RTOL * big + ATOL);
        if (!(err <= RTOL * big + ATOL)) {
            if (bad < 3) fprintf(stderr, "  %s %s[%zu]: analytic %.12g numeric %.12g\n", spec_name, tname, e, grad[e], num);
            bad++;
        }
    }
    printf("%-40s %-4s n=%-3zu max|g|=%.3e max_abs=%.3e err/tol=%.3f %s\n", spec_name, tname,
           q->len[k], max_g, max_abs, worst, bad ? "FAIL" : "ok");
    if (bad) n_fail++;
    else n_pass++;
}

static void run_spec(const refg_spec *s, uint64_t seed)
{
    static const char *const names[8] = {"U", "W", "V", "b", "c", "b_h", "h0", "c0"};
    problem q;
    char name[96];
    size_t k;
    snprintf(name, sizeof name, "%s/%s/%s B=%zu tau=%zu in=%zu H=%zu K=%zu",
             s->cell == REFG_LSTM ? "lstm" : "gru", s->loss == REF_NLL ? "nll" : "mse",
             s->onehot ? "onehot" : "dense", s->batch, s->tau, s->n_in, s->hidden, s->n_out);
    problem_init(&q, s, seed);
    double L = refg_forward(s, params_of(&q), q.xi, q.xd, q.yi, q.yd, q.t[6], q.t[7], &q.n);
    refg_grads G = {q.g[0], q.g[1], q.g[2], q.g[3], q.g[4], q.g[5]};
    for (k = 0; k < 6; k++) /* poison: refg_backward must overwrite, not accumulate */
        for (size_t i = 0; i < q.len[k]; i++) q.g[k][i] = 1e3;
    refg_backward(s, params_of(&q), q.xi, q.xd, q.yi, q.yd, &q.n, G);
    if (!isfinite(L)) {
        printf("%s: non-finite loss\n", name);
        n_fail++;
    } else {
        for (k = 0; k < 6; k++) check_tensor(&q, name, names[k], k, q.g[k]);
        check_tensor(&q, name, names[6], 6, q.n.gh0);
        if (s->cell == REFG_LSTM) check_tensor(&q, name, names[7], 7, q.n.gc0);
    }
    problem_free(&q);
}

int main(void)
{
    static const size_t batches[] = {1, 3}, taus[] = {1, 2, 5};
    size_t ic, il, io, ib, it, idx = 0;
    printf("FD check of ref_gated.c: eps=%g, pass if |a-n| <= %g*max(|a|,|n|) + %g\n", FD_EPS, RTOL, ATOL);
    for (ic = 0; ic < 2; ic++)
        for (il = 0; il < 2; il++)
            for (io = 0; io < 2; io++)
                for (ib = 0; ib < 2; ib++)
                    for (it = 0; it < 3; it++) {
                        refg_spec s;
                        s.cell = ic ? REFG_LSTM : REFG_GRU;
                        s.loss = il ? REF_MSE : REF_NLL;
                        s.onehot = (int)io;
                        s.batch = batches[ib];
                        s.tau = taus[it];
                        s.hidden = 2 + idx % 3;
                        s.n_in = io ? 6 : 4;
                        s.n_out = io ? 5 : 3 + idx % 2;
                        run_spec(&s, 0x6A7ED000ULL + idx);
                        idx++;
                    }
    printf("%d passed, %d failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
