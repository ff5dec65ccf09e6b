/* ref.c: independent reference for the vanilla RNN, forward + full BPTT.
 *
 * Written straight from gen/EQUATIONS.md; every block cites the
 * equation it implements.  Plain loops, runtime dimensions, double precision,
 * no allocation.  Layout (tests/ref/LAYOUT.md), all matrices column-major:
 *
 *   U[j*H + i]  (H x n_in)     W[j*H + i]  (H x H)     V[j*K + i]  (K x H)
 *   h(t)   at h [(t*B + bi)*H + i],        t = 0..tau
 *   p(t)   at p [((t-1)*B + bi)*K + i],    t = 1..tau  (also g_o)
 *   grad_h(t) at gh[((t-1)*B + bi)*H + i], t = 1..tau  (also d)
 *
 * Clarity over speed: nothing here is optimised. */
#include "ref.h"

#include <assert.h>
#include <math.h>

/* ---- index helpers (one per row of the LAYOUT.md table) ----------------- */

/* element (i,j) of a column-major matrix with `rows` rows */
static size_t mat(size_t i, size_t j, size_t rows) { return j * rows + i; }

/* h(t), t = 0..tau: start of the H-vector for batch column bi */
static size_t h_at(const ref_spec *s, size_t t, size_t bi)
{ return (t * s->batch + bi) * s->hidden; }

/* p(t), g_o(t), t = 1..tau: start of the K-vector for batch column bi */
static size_t k_at(const ref_spec *s, size_t t, size_t bi)
{ return ((t - 1) * s->batch + bi) * s->n_out; }

/* grad_h(t), d(t), t = 1..tau: start of the H-vector for batch column bi */
static size_t gh_at(const ref_spec *s, size_t t, size_t bi)
{ return ((t - 1) * s->batch + bi) * s->hidden; }

/* one-hot x(t) / class y(t), t = 1..tau */
static size_t cls_at(const ref_spec *s, size_t t, size_t bi)
{ return (t - 1) * s->batch + bi; }

/* dense x(t), t = 1..tau: start of the n_in-vector */
static size_t xd_at(const ref_spec *s, size_t t, size_t bi)
{ return ((t - 1) * s->batch + bi) * s->n_in; }

/* ---- activation and its derivative ---------------------------------------- */

/* (10.9) f(a) */
static double act_f(ref_act act, double a)
{
    switch (act) {
    case REF_TANH:    return tanh(a);
    case REF_RELU:    return a > 0.0 ? a : 0.0;
    case REF_SIGMOID: return 1.0 / (1.0 + exp(-a));
    }
    assert(0 && "unknown activation");
    return 0.0;
}

/* f'(a(t)) written from h(t) = f(a(t)) alone (gen/EQUATIONS.md, below 10.21):
   tanh 1 - h^2, sigmoid h (1 - h), relu [h > 0] */
static double act_df_from_h(ref_act act, double h)
{
    switch (act) {
    case REF_TANH:    return 1.0 - h * h;
    case REF_RELU:    return h > 0.0 ? 1.0 : 0.0;
    case REF_SIGMOID: return h * (1.0 - h);
    }
    assert(0 && "unknown activation");
    return 0.0;
}

/* ---- forward ----------------------------------------------------------------- */

double ref_forward(const ref_spec *s, ref_params P, const int32_t *xi, const double *xd,
                   const int32_t *yi, const double *yd, const double *h0, ref_nodes *n)
{
    const size_t H = s->hidden, K = s->n_out, NI = s->n_in, B = s->batch, T = s->tau;
    double L = 0.0;
    size_t t, bi, i, j;

    /* h(0) = h0 (the initial state is the first stored node) */
    for (bi = 0; bi < B; bi++)
        for (i = 0; i < H; i++)
            n->h[h_at(s, 0, bi) + i] = h0[bi * H + i];

    for (t = 1; t <= T; t++) {
        for (bi = 0; bi < B; bi++) {
            double *hprev = n->h + h_at(s, t - 1, bi);
            double *hcur  = n->h + h_at(s, t, bi);
            double *p     = n->p + k_at(s, t, bi);

            /* (10.8) a(t) = b + W h(t-1) + U x(t), built in the h(t) slot */
            for (i = 0; i < H; i++) {
                double a = P.b[i];
                for (j = 0; j < H; j++)
                    a += P.W[mat(i, j, H)] * hprev[j];
                if (s->onehot) {
                    /* one-hot x(t) = e_k: U x(t) is column k of U */
                    int32_t k = xi[cls_at(s, t, bi)];
                    assert(k >= 0 && (size_t)k < NI);
                    a += P.U[mat(i, (size_t)k, H)];
                } else {
                    const double *x = xd + xd_at(s, t, bi);
                    for (j = 0; j < NI; j++)
                        a += P.U[mat(i, j, H)] * x[j];
                }
                hcur[i] = a;
            }

            /* (10.9) h(t) = f(a(t)) */
            for (i = 0; i < H; i++)
                hcur[i] = act_f(s->act, hcur[i]);

            /* (10.10) o(t) = c + V h(t), built in the p(t) slot */
            for (i = 0; i < K; i++) {
                double o = P.c[i];
                for (j = 0; j < H; j++)
                    o += P.V[mat(i, j, K)] * hcur[j];
                p[i] = o;
            }

            if (s->loss == REF_NLL) {
                /* (10.14) L(t) = logsumexp(o(t)) - o_y(t)(t), with the max subtracted */
                int32_t y = yi[cls_at(s, t, bi)];
                double m = p[0], sum = 0.0;
                assert(y >= 0 && (size_t)y < K);
                for (i = 1; i < K; i++)
                    if (p[i] > m) m = p[i];
                for (i = 0; i < K; i++)
                    sum += exp(p[i] - m);
                /* (10.13) L = sum_t L(t) (and summed over the batch) */
                L += (m + log(sum)) - p[(size_t)y];

                /* (10.11) p(t) = softmax(o(t)) = exp(o - max) / sum exp(o - max) */
                for (i = 0; i < K; i++)
                    p[i] = exp(p[i] - m) / sum;
            } else {
                /* squared error: L(t) = 1/2 ||o(t) - y(t)||^2; p(t) keeps o(t) */
                const double *y = yd + k_at(s, t, bi);
                double lt = 0.0;
                for (i = 0; i < K; i++)
                    lt += 0.5 * (p[i] - y[i]) * (p[i] - y[i]);
                /* (10.13) L = sum_t L(t) (and summed over the batch) */
                L += lt;
            }
        }
    }
    return L;
}

/* ---- backward ---------------------------------------------------------------- */

void ref_backward(const ref_spec *s, ref_params P, const int32_t *xi, const double *xd,
                  const int32_t *yi, const double *yd, ref_nodes *n, ref_grads G)
{
    const size_t H = s->hidden, K = s->n_out, NI = s->n_in, B = s->batch, T = s->tau;
    size_t t, bi, i, j;

    assert(T >= 1);   /* grad_h(0) = W^T d(1) needs at least one step */

    /* (10.17) dL/dL(t) = 1, so each g_o(t) enters the sums with weight one.
       (10.18) g_o(t) = p(t) - e_y(t)  (softmax + NLL)
                      = o(t) - y(t)    (squared error; p(t) holds o(t)) */
    for (t = 1; t <= T; t++) {
        for (bi = 0; bi < B; bi++) {
            const double *p = n->p + k_at(s, t, bi);
            double *go = n->go + k_at(s, t, bi);
            if (s->loss == REF_NLL) {
                int32_t y = yi[cls_at(s, t, bi)];
                assert(y >= 0 && (size_t)y < K);
                for (i = 0; i < K; i++)
                    go[i] = p[i] - (i == (size_t)y ? 1.0 : 0.0);
            } else {
                const double *y = yd + k_at(s, t, bi);
                for (i = 0; i < K; i++)
                    go[i] = p[i] - y[i];
            }
        }
    }

    /* Sweep t = tau .. 1 (loop variable counts down from T to 1). */
    for (t = T; t >= 1; t--) {
        for (bi = 0; bi < B; bi++) {
            const double *go = n->go + k_at(s, t, bi);
            const double *hcur = n->h + h_at(s, t, bi);
            double *gh = n->gh + gh_at(s, t, bi);
            double *d = n->d + gh_at(s, t, bi);

            /* (10.19) grad_h(tau) L = V^T g_o(tau)
               (10.21) grad_h(t) L  = W^T d(t+1) + V^T g_o(t),  t = tau-1 .. 1 */
            for (i = 0; i < H; i++) {
                double g = 0.0;
                for (j = 0; j < K; j++)              /* (V^T g_o)_i = sum_j V_ji go_j */
                    g += P.V[mat(j, i, K)] * go[j];
                if (t < T) {
                    const double *dnext = n->d + gh_at(s, t + 1, bi);
                    for (j = 0; j < H; j++)          /* (W^T d(t+1))_i = sum_j W_ji d_j */
                        g += P.W[mat(j, i, H)] * dnext[j];
                }
                gh[i] = g;
            }

            /* d(t) := grad_a(t) L = f'(a(t)) (.) grad_h(t) L, f' written from h(t) */
            for (i = 0; i < H; i++)
                d[i] = act_df_from_h(s->act, hcur[i]) * gh[i];
        }
    }

    /* (h0) grad_h(0) L = W^T d(1) */
    for (bi = 0; bi < B; bi++) {
        const double *d1 = n->d + gh_at(s, 1, bi);
        for (i = 0; i < H; i++) {
            double g = 0.0;
            for (j = 0; j < H; j++)
                g += P.W[mat(j, i, H)] * d1[j];
            n->gh0[bi * H + i] = g;
        }
    }

    /* Parameter gradients overwrite: start from zero. */
    for (i = 0; i < H * NI; i++) G.U[i] = 0.0;
    for (i = 0; i < H * H; i++)  G.W[i] = 0.0;
    for (i = 0; i < K * H; i++)  G.V[i] = 0.0;
    for (i = 0; i < H; i++)      G.b[i] = 0.0;
    for (i = 0; i < K; i++)      G.c[i] = 0.0;

    for (t = 1; t <= T; t++) {
        for (bi = 0; bi < B; bi++) {
            const double *go = n->go + k_at(s, t, bi);
            const double *d = n->d + gh_at(s, t, bi);
            const double *hcur = n->h + h_at(s, t, bi);
            const double *hprev = n->h + h_at(s, t - 1, bi);

            /* (10.22) grad_c L = sum_t g_o(t) */
            for (i = 0; i < K; i++)
                G.c[i] += go[i];

            /* (10.23) grad_b L = sum_t d(t) */
            for (i = 0; i < H; i++)
                G.b[i] += d[i];

            /* (10.24) grad_V L = sum_t g_o(t) h(t)^T */
            for (j = 0; j < H; j++)
                for (i = 0; i < K; i++)
                    G.V[mat(i, j, K)] += go[i] * hcur[j];

            /* (10.26) grad_W L = sum_t d(t) h(t-1)^T */
            for (j = 0; j < H; j++)
                for (i = 0; i < H; i++)
                    G.W[mat(i, j, H)] += d[i] * hprev[j];

            /* (10.28) grad_U L = sum_t d(t) x(t)^T */
            if (s->onehot) {
                /* one-hot x(t) = e_k: add d(t) into column k = x(t) of grad_U */
                int32_t k = xi[cls_at(s, t, bi)];
                assert(k >= 0 && (size_t)k < NI);
                for (i = 0; i < H; i++)
                    G.U[mat(i, (size_t)k, H)] += d[i];
            } else {
                const double *x = xd + xd_at(s, t, bi);
                for (j = 0; j < NI; j++)
                    for (i = 0; i < H; i++)
                        G.U[mat(i, j, H)] += d[i] * x[j];
            }
        }
    }
}
