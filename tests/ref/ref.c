/* ref.c: independent reference for the RNNs of gen/EQUATIONS.md, forward + full BPTT, for
 * the hidden (10.8), output (10.8o) and both (10.8b) recurrences and the teacher (10.11t),
 * free-running (10.11f) and scheduled-sampling (10.11s) feedbacks.
 *
 * Written straight from gen/EQUATIONS.md; every block cites the
 * equation it implements.  Plain loops, runtime dimensions, double precision,
 * no allocation.  Layout (tests/ref/LAYOUT.md), all matrices column-major:
 *
 *   U[j*H + i]  (H x n_in)     W[j*H + i]  (H x H)     V[j*K + i]  (K x H)
 *   R[j*H + i]  (H x K)
 *   h(t)   at h [(t*B + bi)*H + i],        t = 0..tau
 *   fb(t)  at fb[(t*B + bi)*K + i],        t = 0..tau
 *   p(t)   at p [((t-1)*B + bi)*K + i],    t = 1..tau  (also g_o)
 *   grad_h(t) at gh[((t-1)*B + bi)*H + i], t = 1..tau  (also d, a)
 *   s0, s1, grad s0: [h: B x H][fb: B x K (output recurrence)]
 *
 * fb(t) is always kept as a dense K-vector (a one-hot e_c is a vector of zeros with a one),
 * so (10.8o) and (10.26r) are written once, as products, for every feedback: with a one-hot
 * fb(t-1) the product R fb(t-1) is column c of R, exactly, in double.
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

/* fb(t), t = 0..tau: start of the K-vector for batch column bi */
static size_t fb_at(const ref_spec *s, size_t t, size_t bi)
{ return (t * s->batch + bi) * s->n_out; }

/* p(t), g_o(t), t = 1..tau: start of the K-vector for batch column bi */
static size_t k_at(const ref_spec *s, size_t t, size_t bi)
{ return ((t - 1) * s->batch + bi) * s->n_out; }

/* grad_h(t), d(t), a(t), t = 1..tau: start of the H-vector for batch column bi */
static size_t gh_at(const ref_spec *s, size_t t, size_t bi)
{ return ((t - 1) * s->batch + bi) * s->hidden; }

/* one-hot x(t) / class y(t) / control value / fixed class, t = 1..tau */
static size_t cls_at(const ref_spec *s, size_t t, size_t bi)
{ return (t - 1) * s->batch + bi; }

/* dense x(t), t = 1..tau: start of the n_in-vector */
static size_t xd_at(const ref_spec *s, size_t t, size_t bi)
{ return ((t - 1) * s->batch + bi) * s->n_in; }

/* in s0 / s1 / grad s0: h part of column bi, and fb part of column bi */
static size_t s_h_at(const ref_spec *s, size_t bi) { return bi * s->hidden; }
static size_t s_fb_at(const ref_spec *s, size_t bi)
{ return s->batch * s->hidden + bi * s->n_out; }

/* ---- variant ------------------------------------------------------------------ */

int ref_has_W(const ref_spec *s) { return s->rec == REF_REC_HIDDEN || s->rec == REF_REC_BOTH; }
int ref_has_R(const ref_spec *s) { return s->rec == REF_REC_OUTPUT || s->rec == REF_REC_BOTH; }

size_t ref_s0_count(const ref_spec *s)
{
    return s->batch * s->hidden + (ref_has_R(s) ? s->batch * s->n_out : 0);
}

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

/* ---- scheduled sampling's draw ------------------------------------------------ */

/* (10.11s), nll: e_s with s drawn from p(t) by inverse CDF: the first class whose cumulative
   probability exceeds u (classes with p = 0 are never drawn). */
int32_t ref_sample_class(const double *p, size_t K, double u)
{
    double cum = 0.0;
    int32_t last = -1;
    size_t k;
    for (k = 0; k < K; k++) {
        if (p[k] == 0.0) continue;
        cum += p[k];
        last = (int32_t)k;
        if (cum > u) return (int32_t)k;
    }
    assert(last >= 0 && "p(t) has no class with p > 0");
    return last;   /* rounding left the total at or below u */
}

/* ---- forward ----------------------------------------------------------------- */

double ref_forward(const ref_spec *s, ref_params P, const ref_inputs *in, ref_nodes *n)
{
    const size_t H = s->hidden, K = s->n_out, NI = s->n_in, B = s->batch, T = s->tau;
    const int hasW = ref_has_W(s), hasR = ref_has_R(s);
    double L = 0.0;
    size_t t, bi, i, j;

    /* h(0) and fb(0) come from the initial state s0 (they are the first stored nodes) */
    for (bi = 0; bi < B; bi++) {
        for (i = 0; i < H; i++)
            n->h[h_at(s, 0, bi) + i] = in->s0[s_h_at(s, bi) + i];
        if (hasR)
            for (i = 0; i < K; i++)
                n->fb[fb_at(s, 0, bi) + i] = in->s0[s_fb_at(s, bi) + i];
    }

    for (t = 1; t <= T; t++) {
        for (bi = 0; bi < B; bi++) {
            const double *hprev = n->h + h_at(s, t - 1, bi);
            double *hcur  = n->h + h_at(s, t, bi);
            double *p     = n->p + k_at(s, t, bi);

            /* (10.8)  a(t) = b + W h(t-1) + U x(t)                hidden
               (10.8o) a(t) = b + R fb(t-1) + U x(t)               output
               (10.8b) a(t) = b + W h(t-1) + R fb(t-1) + U x(t)    both
               built in the h(t) slot */
            for (i = 0; i < H; i++) {
                double a = P.b[i];
                if (hasW)
                    for (j = 0; j < H; j++)
                        a += P.W[mat(i, j, H)] * hprev[j];
                if (hasR) {
                    const double *fprev = n->fb + fb_at(s, t - 1, bi);
                    for (j = 0; j < K; j++)
                        a += P.R[mat(i, j, H)] * fprev[j];
                }
                if (s->onehot) {
                    /* one-hot x(t) = e_k: U x(t) is column k of U */
                    int32_t k = in->xi[cls_at(s, t, bi)];
                    assert(k >= 0 && (size_t)k < NI);
                    a += P.U[mat(i, (size_t)k, H)];
                } else {
                    const double *x = in->xd + xd_at(s, t, bi);
                    for (j = 0; j < NI; j++)
                        a += P.U[mat(i, j, H)] * x[j];
                }
                hcur[i] = a;
                if (n->a) n->a[gh_at(s, t, bi) + i] = a;
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
                int32_t y = in->yi[cls_at(s, t, bi)];
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
                /* (10.14) squared error: L(t) = 1/2 ||o(t) - y(t)||^2; p(t) keeps o(t) */
                const double *y = in->yd + k_at(s, t, bi);
                double lt = 0.0;
                for (i = 0; i < K; i++)
                    lt += 0.5 * (p[i] - y[i]) * (p[i] - y[i]);
                /* (10.13) L = sum_t L(t) (and summed over the batch) */
                L += lt;
            }

            /* What step t hands to step t+1 (output recurrence only). */
            if (hasR) {
                double *f = n->fb + fb_at(s, t, bi);
                int32_t cls = -1;          /* the class of a one-hot fb(t), or -1 */
                int data = 0;              /* 1: the data y(t); 0: the model's output */
                if (s->fb == REF_FB_TEACHER) {
                    /* (10.11t) fb(t) = e_y(t) (nll) or y(t) (mse) */
                    data = 1;
                } else if (s->fb == REF_FB_FREE) {
                    /* (10.11f) fb(t) = p(t) (nll) or o(t) (mse) */
                    data = 0;
                } else {
                    /* (10.11s) per step and column, the caller's control value says:
                       below 0 the data, in [0, 1) a draw of the model, 1 or more a
                       fixed choice (data to the gradient, like a draw) */
                    double u = in->ctl[cls_at(s, t, bi)];
                    assert(!isnan(u));
                    if (u < 0.0) {
                        data = 1;
                    } else if (u < 1.0) {
                        if (s->loss == REF_NLL)
                            cls = ref_sample_class(p, K, u);   /* e_s, s drawn from p(t) */
                        /* mse: o(t) itself (data = 0, cls = -1) */
                    } else if (s->loss == REF_NLL) {
                        cls = in->fix_i[cls_at(s, t, bi)];
                        assert(cls >= 0 && (size_t)cls < K);
                    } else {
                        const double *v = in->fix_d + k_at(s, t, bi);
                        for (i = 0; i < K; i++)
                            f[i] = v[i];
                        cls = -2;          /* written: a fixed vector */
                    }
                }
                if (data) {
                    if (s->loss == REF_NLL) {
                        cls = in->yi[cls_at(s, t, bi)];       /* e_y(t) */
                    } else {
                        const double *y = in->yd + k_at(s, t, bi);
                        for (i = 0; i < K; i++)
                            f[i] = y[i];                      /* y(t) */
                        cls = -2;
                    }
                }
                if (cls >= 0) {
                    for (i = 0; i < K; i++)
                        f[i] = i == (size_t)cls ? 1.0 : 0.0;  /* e_cls */
                } else if (cls == -1) {
                    for (i = 0; i < K; i++)
                        f[i] = p[i];                          /* p(t), or o(t) for mse */
                }
                if (n->fbc) n->fbc[cls_at(s, t, bi)] = cls >= 0 ? cls : -1;
            }
        }
    }

    /* (s1) s1 = h(tau), fb(tau): the state the next chunk starts from */
    for (bi = 0; bi < B; bi++) {
        for (i = 0; i < H; i++)
            n->s1[s_h_at(s, bi) + i] = n->h[h_at(s, T, bi) + i];
        if (hasR)
            for (i = 0; i < K; i++)
                n->s1[s_fb_at(s, bi) + i] = n->fb[fb_at(s, T, bi) + i];
    }
    return L;
}

/* ---- backward ---------------------------------------------------------------- */

void ref_backward(const ref_spec *s, ref_params P, const ref_inputs *in, ref_nodes *n,
                  ref_grads G)
{
    const size_t H = s->hidden, K = s->n_out, NI = s->n_in, B = s->batch, T = s->tau;
    const int hasW = ref_has_W(s), hasR = ref_has_R(s);
    /* gradients flow through fb(t) only when it is the model's own output (free running) */
    const int through_fb = hasR && s->fb == REF_FB_FREE;
    size_t t, bi, i, j;

    assert(T >= 1);   /* grad_h(0) = W^T d(1) needs at least one step */

    /* (10.17) dL/dL(t) = 1, so each g_o(t) enters the sums with weight one.
       (10.18) g_o(t) = p(t) - e_y(t)  (softmax + NLL)
                      = o(t) - y(t)    (squared error; p(t) holds o(t))
       This is the whole of g_o(t) unless free running adds (10.18f) in the sweep below. */
    for (t = 1; t <= T; t++) {
        for (bi = 0; bi < B; bi++) {
            const double *p = n->p + k_at(s, t, bi);
            double *go = n->go + k_at(s, t, bi);
            if (s->loss == REF_NLL) {
                int32_t y = in->yi[cls_at(s, t, bi)];
                assert(y >= 0 && (size_t)y < K);
                for (i = 0; i < K; i++)
                    go[i] = p[i] - (i == (size_t)y ? 1.0 : 0.0);
            } else {
                const double *y = in->yd + k_at(s, t, bi);
                for (i = 0; i < K; i++)
                    go[i] = p[i] - y[i];
            }
        }
    }

    /* Sweep t = tau .. 1 (loop variable counts down from T to 1). */
    for (t = T; t >= 1; t--) {
        for (bi = 0; bi < B; bi++) {
            double *go = n->go + k_at(s, t, bi);
            const double *hcur = n->h + h_at(s, t, bi);
            double *gh = n->gh + gh_at(s, t, bi);
            double *d = n->d + gh_at(s, t, bi);

            /* (10.18f) free running, t < tau: o(t) also reaches a(t+1) through fb(t), so
               with r(t) = R^T d(t+1), the gradient arriving at fb(t),
                 g_o(t) += p(t) (.) (r(t) - (p(t)^T r(t)) 1)    (nll: softmax Jacobian)
                 g_o(t) += r(t)                                  (mse: fb(t) = o(t))
               At t = tau, fb(tau) is carried to the next chunk, not differentiated. */
            if (through_fb && t < T) {
                const double *dnext = n->d + gh_at(s, t + 1, bi);
                const double *p = n->p + k_at(s, t, bi);
                double ptr = 0.0;   /* p(t)^T r(t); r(t) is formed entry by entry, twice */
                if (s->loss == REF_NLL) {
                    /* p(t)^T r(t) = sum_i p_i (sum_j R_ji d_j) */
                    for (i = 0; i < K; i++) {
                        double ri = 0.0;
                        for (j = 0; j < H; j++)     /* (R^T d(t+1))_i = sum_j R_ji d_j */
                            ri += P.R[mat(j, i, H)] * dnext[j];
                        ptr += p[i] * ri;
                    }
                    for (i = 0; i < K; i++) {
                        double ri = 0.0;
                        for (j = 0; j < H; j++)
                            ri += P.R[mat(j, i, H)] * dnext[j];
                        go[i] += p[i] * (ri - ptr);
                    }
                } else {
                    for (i = 0; i < K; i++) {
                        double ri = 0.0;
                        for (j = 0; j < H; j++)
                            ri += P.R[mat(j, i, H)] * dnext[j];
                        go[i] += ri;
                    }
                }
            }

            /* (10.19)  grad_h(tau) L = V^T g_o(tau)
               (10.21)  grad_h(t) L  = W^T d(t+1) + V^T g_o(t),  t = tau-1 .. 1  (hidden, both)
               (10.21o) grad_h(t) L  = V^T g_o(t)     (output; teacher or scheduled)
               (10.21f) grad_h(t) L  = V^T g_o(t)     (output, free; g_o(t) with (10.18f)) */
            for (i = 0; i < H; i++) {
                double g = 0.0;
                for (j = 0; j < K; j++)              /* (V^T g_o)_i = sum_j V_ji go_j */
                    g += P.V[mat(j, i, K)] * go[j];
                if (hasW && t < T) {
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

    for (bi = 0; bi < B; bi++) {
        const double *d1 = n->d + gh_at(s, 1, bi);
        /* (h0) grad_h(0) L = W^T d(1); without W, h(0) is not read and its gradient is 0 */
        for (i = 0; i < H; i++) {
            double g = 0.0;
            if (hasW)
                for (j = 0; j < H; j++)
                    g += P.W[mat(j, i, H)] * d1[j];
            n->gh0[bi * H + i] = g;
        }
        /* (fb0) grad_fb(0) L = R^T d(1) */
        if (hasR)
            for (i = 0; i < K; i++) {
                double g = 0.0;
                for (j = 0; j < H; j++)
                    g += P.R[mat(j, i, H)] * d1[j];
                n->gfb0[bi * K + i] = g;
            }
    }

    /* Parameter gradients overwrite: start from zero. */
    for (i = 0; i < H * NI; i++) G.U[i] = 0.0;
    if (hasW)
        for (i = 0; i < H * H; i++) G.W[i] = 0.0;
    if (hasR)
        for (i = 0; i < H * K; i++) G.R[i] = 0.0;
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

            /* (10.26) grad_W L = sum_t d(t) h(t-1)^T   (hidden, both) */
            if (hasW)
                for (j = 0; j < H; j++)
                    for (i = 0; i < H; i++)
                        G.W[mat(i, j, H)] += d[i] * hprev[j];

            /* (10.26r) grad_R L = sum_t d(t) fb(t-1)^T   (output, both); fb(t-1) is data
               or, free running, a function of the parameters whose own dependence is
               already carried by (10.18f) */
            if (hasR) {
                const double *fprev = n->fb + fb_at(s, t - 1, bi);
                for (j = 0; j < K; j++)
                    for (i = 0; i < H; i++)
                        G.R[mat(i, j, H)] += d[i] * fprev[j];
            }

            /* (10.28) grad_U L = sum_t d(t) x(t)^T */
            if (s->onehot) {
                /* one-hot x(t) = e_k: add d(t) into column k = x(t) of grad_U */
                int32_t k = in->xi[cls_at(s, t, bi)];
                assert(k >= 0 && (size_t)k < NI);
                for (i = 0; i < H; i++)
                    G.U[mat(i, (size_t)k, H)] += d[i];
            } else {
                const double *x = in->xd + xd_at(s, t, bi);
                for (j = 0; j < NI; j++)
                    for (i = 0; i < H; i++)
                        G.U[mat(i, j, H)] += d[i] * x[j];
            }
        }
    }
}
