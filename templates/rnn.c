/*@ BANNER @*/
/* templates/rnn.c: the source rnnc writes for every model.  Holes are replaced by the
 * generator (the stubs between a hole and its end marker let this file compile on its
 * own, against templates/rnn.h); identifiers starting rnn_ / RNN_ are renamed to the
 * model's name. */
/*@ end @*/
/*@ INCLUDE @*/
#include "rnn.h"
/*@ end @*/

#ifdef __TINYC__
/* tcc: declaring the few libm functions used here instead of including <math.h> makes the
 * in-process compile several times faster. */
float tanhf(float);
float expf(float);
float logf(float);
float fmaf(float, float, float);
float sqrtf(float);
double tanh(double);
double exp(double);
double log(double);
double fma(double, double, double);
double sqrt(double);
#else
#include <math.h>
#endif

/* Math for rnn_real, and the activation f of (10.9) with its derivative written from
 * h = f(a) (bptt.md, below (10.21)).  RNN_FMA is fused multiply-add: explicit, so every
 * compiler rounds the same way (no implicit contraction) while gcc still emits the
 * hardware instruction. */
/*@ MATH @*/
#define RNN_EXP expf
#define RNN_LOG logf
#define RNN_SQRT sqrtf
#define RNN_FMA(a, b, c) fmaf(a, b, c)
#define RNN_F(a) tanhf(a)
#define RNN_DF(h) (1 - (h) * (h))
/*@ end @*/

/* The inference kernels, shared with the embedded models `rnnc embed` writes. */
/*@ KERNELS @*/
#include "rnn_kernels.c"
/*@ end @*/

/* ---- Training kernels: fixed sizes, as above. ---- */

/* Row-major copies of W and V (W^T and V^T read row by row), so that the backward
 * products W^T d and V^T g_o are axpy loops over contiguous rows, like the forward ones:
 * no reductions, vectorizable without -ffast-math. */
static void rnn_transpose_weights(const rnn_real *restrict P, rnn_real *restrict WT,
                                  rnn_real *restrict VT)
{
    const rnn_real *W = P + RNN_OFF_W, *V = P + RNN_OFF_V;
    size_t i, j;
    for (j = 0; j < RNN_HIDDEN; j++)
        for (i = 0; i < RNN_HIDDEN; i++) WT[i * RNN_HIDDEN + j] = W[j * RNN_HIDDEN + i];
    for (j = 0; j < RNN_HIDDEN; j++)
        for (i = 0; i < RNN_N_OUT; i++) VT[i * RNN_HIDDEN + j] = V[j * RNN_N_OUT + i];
}

/* y += M^T x for a row-major copy MT of M (rows of length RNN_HIDDEN). */
static void rnn_mtv(rnn_real *restrict y, const rnn_real *restrict MT, const rnn_real *restrict x,
                    size_t rows)
{
    size_t i, j;
    for (i = 0; i < rows; i++) {
        const rnn_real xi = x[i], *row = MT + i * RNN_HIDDEN;
        for (j = 0; j < RNN_HIDDEN; j++) y[j] = RNN_FMA(row[j], xi, y[j]);
    }
}

/* One unrolled forward step for every batch column; returns sum_b L(t). */
static double rnn_forward_step(const rnn_real *restrict P, const rnn_input *restrict x,
                               const rnn_target *restrict y, const rnn_real *h_prev,
                               rnn_real *h, rnn_real *restrict p)
{
    double loss = 0;
    for (size_t bi = 0; bi < RNN_BATCH; bi++) {
        rnn_hidden_col(P, x + bi * (RNN_ONEHOT ? 1 : RNN_N_IN), h_prev + bi * RNN_HIDDEN,
                       h + bi * RNN_HIDDEN);
        loss += rnn_output_col(P, h + bi * RNN_HIDDEN, y + bi * (RNN_LOSS == 0 ? 1 : RNN_N_OUT),
                               p + bi * RNN_N_OUT);
    }
    return loss;
}

/* Output gradient, (10.18): g_o(t) = p(t) - e_y(t) (softmax + nll) or o(t) - y(t) (mse),
 * every column. */
static void rnn_output_grad(const rnn_real *restrict p, const rnn_target *restrict y,
                            rnn_real *restrict go)
{
    for (size_t bi = 0; bi < RNN_BATCH; bi++) {
        const rnn_real *pb = p + bi * RNN_N_OUT;
        rnn_real *gb = go + bi * RNN_N_OUT;
        size_t i;
#if RNN_LOSS == 0
        for (i = 0; i < RNN_N_OUT; i++) gb[i] = pb[i];
        gb[y[bi]] -= 1;
#else
        const rnn_target *yb = y + bi * RNN_N_OUT;
        for (i = 0; i < RNN_N_OUT; i++) gb[i] = pb[i] - yb[i];
#endif
    }
}

/* (10.19)/(10.21): grad_h(t) = W^T d(t+1) + V^T g_o(t) (d_next is null at t = tau), then
 * d(t) = f'(a(t)) (.) grad_h(t), with f' written from h(t); every column.  WT, VT: the
 * row-major copies of rnn_transpose_weights. */
static void rnn_hidden_grad(const rnn_real *restrict WT, const rnn_real *restrict VT,
                            const rnn_real *restrict go, const rnn_real *restrict d_next,
                            const rnn_real *restrict h, rnn_real *restrict gh,
                            rnn_real *restrict d)
{
    for (size_t bi = 0; bi < RNN_BATCH; bi++) {
        const rnn_real *hb = h + bi * RNN_HIDDEN;
        rnn_real *ghb = gh + bi * RNN_HIDDEN, *db = d + bi * RNN_HIDDEN;
        size_t j;
        for (j = 0; j < RNN_HIDDEN; j++) ghb[j] = 0;
        rnn_mtv(ghb, VT, go + bi * RNN_N_OUT, RNN_N_OUT);
        if (d_next) rnn_mtv(ghb, WT, d_next + bi * RNN_HIDDEN, RNN_HIDDEN);
        for (j = 0; j < RNN_HIDDEN; j++) db[j] = RNN_DF(hb[j]) * ghb[j];
    }
}

/* (10.22)-(10.28) for one step, every column: grad_c += g_o(t), grad_b += d(t),
 * grad_V += g_o(t) h(t)^T, grad_W += d(t) h(t-1)^T, grad_U += d(t) x(t)^T. */
static void rnn_param_grads(rnn_real *restrict G, const rnn_real *restrict go,
                            const rnn_real *restrict d, const rnn_real *restrict h,
                            const rnn_real *restrict h_prev, const rnn_input *restrict x)
{
    rnn_real *gU = G + RNN_OFF_U, *gW = G + RNN_OFF_W, *gV = G + RNN_OFF_V;
    rnn_real *gb = G + RNN_OFF_B, *gc = G + RNN_OFF_C;
    for (size_t bi = 0; bi < RNN_BATCH; bi++) {
        const rnn_real *gob = go + bi * RNN_N_OUT, *db = d + bi * RNN_HIDDEN;
        const rnn_real *hb = h + bi * RNN_HIDDEN, *hpb = h_prev + bi * RNN_HIDDEN;
        size_t i, j;
        for (i = 0; i < RNN_N_OUT; i++) gc[i] += gob[i];
        for (i = 0; i < RNN_HIDDEN; i++) gb[i] += db[i];
        for (j = 0; j < RNN_HIDDEN; j++) {
            rnn_real *col = gV + j * RNN_N_OUT;
            for (i = 0; i < RNN_N_OUT; i++) col[i] = RNN_FMA(gob[i], hb[j], col[i]);
        }
        for (j = 0; j < RNN_HIDDEN; j++) {
            rnn_real *col = gW + j * RNN_HIDDEN;
            for (i = 0; i < RNN_HIDDEN; i++) col[i] = RNN_FMA(db[i], hpb[j], col[i]);
        }
#if RNN_ONEHOT
        {   /* one-hot x(t) = e_k: add d(t) into column k, no multiply */
            rnn_real *col = gU + (size_t)x[bi] * RNN_HIDDEN;
            for (i = 0; i < RNN_HIDDEN; i++) col[i] += db[i];
        }
#else
        for (j = 0; j < RNN_N_IN; j++) {
            rnn_real *col = gU + j * RNN_HIDDEN;
            const rnn_real xj = x[bi * RNN_N_IN + j];
            for (i = 0; i < RNN_HIDDEN; i++) col[i] = RNN_FMA(db[i], xj, col[i]);
        }
#endif
    }
}

/* The initial state's gradient, (h0): grad_h(0) = W^T d(1), every column. */
static void rnn_h0_grad(const rnn_real *restrict WT, const rnn_real *restrict d1,
                        rnn_real *restrict gh0)
{
    for (size_t bi = 0; bi < RNN_BATCH; bi++) {
        rnn_real *g = gh0 + bi * RNN_HIDDEN;
        for (size_t j = 0; j < RNN_HIDDEN; j++) g[j] = 0;
        rnn_mtv(g, WT, d1 + bi * RNN_HIDDEN, RNN_HIDDEN);
    }
}

/* The optimiser update over every parameter (padding included: its gradient is zero, so it
 * stays zero).  Gradient scaling, clipping and decay first, as documented in the header. */
static void rnn_update(rnn_real *restrict p, rnn_real *restrict g, rnn_real *restrict m,
                       rnn_real *restrict v, const struct rnn_hparams *hp)
{
    const rnn_real lr = (rnn_real)hp->lr, b1 = (rnn_real)hp->beta1, b2 = (rnn_real)hp->beta2;
    const rnn_real eps = (rnn_real)hp->eps, wd = (rnn_real)hp->weight_decay;
    const rnn_real clip = (rnn_real)hp->clip, scale = (rnn_real)hp->grad_scale;
    const rnn_real c1 = 1 - b1, c2 = 1 - b2;
    const rnn_real bias1 = (rnn_real)hp->bias1, bias2 = (rnn_real)hp->bias2;
    size_t i;
    if (scale != 1)
        for (i = 0; i < RNN_PARAMS_COUNT; i++) g[i] *= scale;
    if (hp->clip_norm > 0) {
        double ss = 0, norm;
        for (i = 0; i < RNN_PARAMS_COUNT; i++) ss += (double)g[i] * (double)g[i];
        norm = sqrt(ss);
        if (norm > hp->clip_norm) {
            const rnn_real f = (rnn_real)(hp->clip_norm / norm);
            for (i = 0; i < RNN_PARAMS_COUNT; i++) g[i] *= f;
        }
    }
    if (clip > 0)
        for (i = 0; i < RNN_PARAMS_COUNT; i++) g[i] = g[i] > clip ? clip : g[i] < -clip ? -clip : g[i];
    if (wd != 0)
        for (i = 0; i < RNN_PARAMS_COUNT; i++) g[i] = RNN_FMA(wd, p[i], g[i]);
    switch (hp->optim) {
    case RNN_OPTIM_SGD:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) p[i] = RNN_FMA(-lr, g[i], p[i]);
        break;
    case RNN_OPTIM_MOMENTUM:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            m[i] = RNN_FMA(b1, m[i], g[i]);
            p[i] = RNN_FMA(-lr, m[i], p[i]);
        }
        break;
    case RNN_OPTIM_ADAGRAD:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            m[i] = RNN_FMA(g[i], g[i], m[i]);
            p[i] -= lr * g[i] / RNN_SQRT(m[i] + eps);
        }
        break;
    case RNN_OPTIM_RMSPROP:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            m[i] = RNN_FMA(b2, m[i], c2 * g[i] * g[i]);
            p[i] -= lr * g[i] / (RNN_SQRT(m[i]) + eps);
        }
        break;
    case RNN_OPTIM_ADAM:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            m[i] = RNN_FMA(b1, m[i], c1 * g[i]);
            v[i] = RNN_FMA(b2, v[i], c2 * g[i] * g[i]);
            p[i] -= lr * (m[i] / bias1) / (RNN_SQRT(v[i] / bias2) + eps);
        }
        break;
    default:
        break;
    }
}

/* ---- The unrolled graph: one block per time step, each citing its equations. ---- */

rnn_real rnn_forward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                     const rnn_real *h0, rnn_real *ws)
{
    rnn_real *h = ws + RNN_WS_H, *p = ws + RNN_WS_P;
    double loss = 0;
    size_t i;
    for (i = 0; i < RNN_H0_COUNT; i++) h[i] = h0[i]; /* h(0) */
    /*@ FORWARD_STEPS @*/
    loss += rnn_forward_step(params, x, y, h, h + RNN_BATCH * RNN_HIDDEN, p);
    /*@ end @*/
    return (rnn_real)loss;
}

void rnn_backward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                  rnn_real *ws, rnn_real *grads)
{
    const rnn_real *h = ws + RNN_WS_H, *p = ws + RNN_WS_P;
    rnn_real *go = ws + RNN_WS_GO, *gh = ws + RNN_WS_GH, *d = ws + RNN_WS_D;
    const rnn_real *WT = ws + RNN_WS_WT, *VT = ws + RNN_WS_VT;
    size_t i;
    for (i = 0; i < RNN_PARAMS_COUNT; i++) grads[i] = 0;
    rnn_transpose_weights(params, ws + RNN_WS_WT, ws + RNN_WS_VT);
    /*@ BACKWARD_STEPS @*/
    rnn_output_grad(p, y, go);
    rnn_hidden_grad(WT, VT, go, 0, h + RNN_BATCH * RNN_HIDDEN, gh, d);
    rnn_param_grads(grads, go, d, h + RNN_BATCH * RNN_HIDDEN, h, x);
    rnn_h0_grad(WT, d, ws + RNN_WS_GH0);
    /*@ end @*/
}

void rnn_step(const rnn_real *params, const rnn_input *x, const rnn_real *h_in,
              rnn_real *h_out, rnn_real *out)
{
    rnn_hidden_col(params, x, h_in, h_out);
    (void)rnn_output_col(params, h_out, 0, out);
}

rnn_real rnn_train_step(rnn_real *params, rnn_real *grads, rnn_real *opt, const rnn_input *x,
                        const rnn_target *y, const rnn_real *h0, rnn_real *ws,
                        const struct rnn_hparams *hp)
{
    rnn_real loss = rnn_forward(params, x, y, h0, ws);
    if (!(loss - loss == 0)) return loss; /* NaN or infinite: leave the parameters alone */
    rnn_backward(params, x, y, ws, grads);
    rnn_update(params, grads, opt, opt + RNN_PARAMS_COUNT, hp);
    return loss;
}

const struct rnn_descriptor rnn_descriptor = {
    RNN_ABI_VERSION, sizeof(struct rnn_descriptor), RNN_DTYPE, RNN_ONEHOT, RNN_ACT, RNN_LOSS,
    RNN_FAST, 0,
    RNN_N_IN, RNN_HIDDEN, RNN_N_OUT, RNN_TAU, RNN_BATCH,
    RNN_OFF_U, RNN_OFF_W, RNN_OFF_V, RNN_OFF_B, RNN_OFF_C, RNN_PARAMS_COUNT,
    RNN_WS_H, RNN_WS_P, RNN_WS_GO, RNN_WS_GH, RNN_WS_D, RNN_WS_GH0, RNN_WS_WT, RNN_WS_VT,
    RNN_WS_COUNT,
    RNN_X_COUNT, RNN_Y_COUNT, RNN_H0_COUNT, RNN_OPT_COUNT,
    RNN_NAME, RNN_SPEC, "rnn_forward", "rnn_backward", "rnn_step", "rnn_train_step",
};
