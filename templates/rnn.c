/*@ BANNER @*/
/* templates/rnn.c: the source rnnc writes for every model.  Holes are replaced by the
 * generator (the stubs between a hole and its end marker let this file compile on its
 * own, against templates/rnn.h); identifiers starting rnn_ / RNN_ are renamed to the
 * model's name. */
/*@ end @*/
/*@ INCLUDE @*/
#include "rnn.h"
/*@ end @*/

#if defined(__GNUC__) && !defined(__clang__) && !defined(__TINYC__)
/* gcc's loop interchange (on at -O3) swaps the column and j loops of the register tiles
 * below for some shapes (65 or 64 rows, say), which moves their accumulators to memory:
 * 7x slower products, measured on gcc 12.  Per-element order is unaffected either way. */
#pragma GCC optimize("no-loop-interchange")
#endif

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

/* Register tile of rnn_gemm_acc: RNN_TR rows by RNN_TC batch columns of Y are accumulated
 * in registers over all of M's columns (RNN_TR floats = two 512-bit vectors). */
#define RNN_TR (128 / sizeof(rnn_real))
#define RNN_TC 8

/* Y[:, b] += M X[:, b] for every batch column b: M is column-major rows x cols; column b of
 * X starts at X + b * xs, of Y at Y + b * ys.  Tiles of RNN_TR x RNN_TC outputs are summed
 * in local accumulators (registers), reading each column of M once per tile.  Every
 * element still sums over j in order, so the result is bit-identical to the one-column
 * loops of the inference kernels.
 * No `restrict` here on purpose: gcc 12 with AVX-512 (-O3 -march=native) miscompiled the
 * inlined kernel with restrict-qualified arguments after the relu loop of
 * rnn_forward_step (loads of h moved above its stores; clang, gcc -O2 and AVX2 builds were
 * right).  gcc versions the loops with a run-time overlap check instead. */
#if defined(__GNUC__) && !defined(__TINYC__)
/* Inlined at each call, so rows and cols are constants there and every loop is specialised. */
__attribute__((always_inline))
#endif
static inline void rnn_gemm_acc(rnn_real *Y, size_t ys, const rnn_real *M, size_t rows,
                                size_t cols, const rnn_real *X, size_t xs)
{
    size_t b0 = 0, b, i, j;
#if RNN_BATCH >= RNN_TC
    const size_t full_rows = rows / RNN_TR * RNN_TR;
    size_t i0;
    for (; b0 + RNN_TC <= RNN_BATCH; b0 += RNN_TC) {
        /* Full tiles: constant trip counts, so the accumulators live in registers. */
        for (i0 = 0; i0 < full_rows; i0 += RNN_TR) {
            rnn_real acc[RNN_TC][RNN_TR];
            for (b = 0; b < RNN_TC; b++)
                for (i = 0; i < RNN_TR; i++) acc[b][i] = Y[(b0 + b) * ys + i0 + i];
            for (j = 0; j < cols; j++) {
                const rnn_real *m = M + j * rows + i0;
                for (b = 0; b < RNN_TC; b++) {
                    const rnn_real xj = X[(b0 + b) * xs + j];
                    for (i = 0; i < RNN_TR; i++) acc[b][i] = RNN_FMA(m[i], xj, acc[b][i]);
                }
            }
            for (b = 0; b < RNN_TC; b++)
                for (i = 0; i < RNN_TR; i++) Y[(b0 + b) * ys + i0 + i] = acc[b][i];
        }
        /* The rows below the last full tile, in axpy form. */
        if (full_rows < rows)
            for (j = 0; j < cols; j++) {
                const rnn_real *m = M + j * rows;
                for (b = b0; b < b0 + RNN_TC; b++) {
                    const rnn_real xj = X[b * xs + j];
                    rnn_real *y = Y + b * ys;
                    for (i = full_rows; i < rows; i++) y[i] = RNN_FMA(m[i], xj, y[i]);
                }
            }
    }
#endif
    /* The batch columns left over (all of them when RNN_BATCH < RNN_TC), in axpy form. */
    if (b0 < RNN_BATCH)
        for (j = 0; j < cols; j++) {
            const rnn_real *m = M + j * rows;
            for (b = b0; b < RNN_BATCH; b++) {
                const rnn_real xj = X[b * xs + j];
                rnn_real *y = Y + b * ys;
                for (i = 0; i < rows; i++) y[i] = RNN_FMA(m[i], xj, y[i]);
            }
        }
}

/* C += sum_b A[:, b] X[:, b]^T over the batch columns b, in order: C is column-major
 * rows x cols, column b of A starts at A + b * as (rows values), of X at X + b * xs (cols
 * values).  The parameter gradients (10.24), (10.26), (10.28) of one step.  For batches of
 * RNN_TC columns and more, tiles of RNN_TR rows by 4 columns of C stay in registers while
 * every batch column adds to them; the summation order per element is the same as the
 * plain loops'. */
#if defined(__GNUC__) && !defined(__TINYC__)
__attribute__((always_inline))
#endif
static inline void rnn_rank_acc(rnn_real *C, size_t rows, size_t cols, const rnn_real *A,
                                size_t as, const rnn_real *X, size_t xs)
{
    size_t j = 0, b, i;
#if RNN_BATCH >= RNN_TC
    const size_t full_rows = rows / RNN_TR * RNN_TR;
    size_t i0, c;
    for (; j + 4 <= cols; j += 4) {
        for (i0 = 0; i0 < full_rows; i0 += RNN_TR) {
            rnn_real acc[4][RNN_TR];
            for (c = 0; c < 4; c++)
                for (i = 0; i < RNN_TR; i++) acc[c][i] = C[(j + c) * rows + i0 + i];
            for (b = 0; b < RNN_BATCH; b++) {
                const rnn_real *a = A + b * as + i0;
                for (c = 0; c < 4; c++) {
                    const rnn_real xj = X[b * xs + j + c];
                    for (i = 0; i < RNN_TR; i++) acc[c][i] = RNN_FMA(a[i], xj, acc[c][i]);
                }
            }
            for (c = 0; c < 4; c++)
                for (i = 0; i < RNN_TR; i++) C[(j + c) * rows + i0 + i] = acc[c][i];
        }
        if (full_rows < rows)
            for (c = 0; c < 4; c++) {
                rnn_real *col = C + (j + c) * rows;
                for (b = 0; b < RNN_BATCH; b++) {
                    const rnn_real *a = A + b * as, xj = X[b * xs + j + c];
                    for (i = full_rows; i < rows; i++) col[i] = RNN_FMA(a[i], xj, col[i]);
                }
            }
    }
#endif
    /* The columns left over (all of them when RNN_BATCH < RNN_TC), in axpy form. */
    for (; j < cols; j++) {
        rnn_real *col = C + j * rows;
        for (b = 0; b < RNN_BATCH; b++) {
            const rnn_real *a = A + b * as, xj = X[b * xs + j];
            for (i = 0; i < rows; i++) col[i] = RNN_FMA(a[i], xj, col[i]);
        }
    }
}

/* Row-major copies of W and V, i.e. W^T and V^T column-major, so that the backward
 * products W^T d and V^T g_o are axpy loops over contiguous columns like the forward ones:
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

/* One unrolled forward step (10.8)-(10.14) for every batch column; returns sum_b L(t).
 * The same arithmetic, in the same order, as rnn_hidden_col and rnn_output_col. */
static double rnn_forward_step(const rnn_real *restrict P, const rnn_input *restrict x,
                               const rnn_target *restrict y, const rnn_real *h_prev,
                               rnn_real *h, rnn_real *restrict p)
{
    const rnn_real *b = P + RNN_OFF_B, *c = P + RNN_OFF_C;
    double loss = 0;
    size_t bi, i;
    for (bi = 0; bi < RNN_BATCH; bi++) {
        rnn_real *hb = h + bi * RNN_HIDDEN;
#if RNN_ONEHOT
        const rnn_real *u = P + RNN_OFF_U + (size_t)x[bi] * RNN_HIDDEN;
        for (i = 0; i < RNN_HIDDEN; i++) hb[i] = b[i] + u[i];
#else
        for (i = 0; i < RNN_HIDDEN; i++) hb[i] = b[i];
#endif
    }
#if !RNN_ONEHOT
    rnn_gemm_acc(h, RNN_HIDDEN, P + RNN_OFF_U, RNN_HIDDEN, RNN_N_IN, x, RNN_N_IN);
#endif
    rnn_gemm_acc(h, RNN_HIDDEN, P + RNN_OFF_W, RNN_HIDDEN, RNN_HIDDEN, h_prev, RNN_HIDDEN);
    for (i = 0; i < RNN_BATCH * RNN_HIDDEN; i++) h[i] = RNN_F(h[i]);
    for (bi = 0; bi < RNN_BATCH; bi++)
        for (i = 0; i < RNN_N_OUT; i++) p[bi * RNN_N_OUT + i] = c[i];
    rnn_gemm_acc(p, RNN_N_OUT, P + RNN_OFF_V, RNN_N_OUT, RNN_HIDDEN, h, RNN_HIDDEN);
    for (bi = 0; bi < RNN_BATCH; bi++)
        loss += rnn_output_finish(y + bi * (RNN_LOSS == 0 ? 1 : RNN_N_OUT), p + bi * RNN_N_OUT);
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
 * copies made by rnn_transpose_weights. */
static void rnn_hidden_grad(const rnn_real *restrict WT, const rnn_real *restrict VT,
                            const rnn_real *restrict go, const rnn_real *restrict d_next,
                            const rnn_real *restrict h, rnn_real *restrict gh,
                            rnn_real *restrict d)
{
    size_t i;
    for (i = 0; i < RNN_BATCH * RNN_HIDDEN; i++) gh[i] = 0;
    rnn_gemm_acc(gh, RNN_HIDDEN, VT, RNN_HIDDEN, RNN_N_OUT, go, RNN_N_OUT);
    if (d_next) rnn_gemm_acc(gh, RNN_HIDDEN, WT, RNN_HIDDEN, RNN_HIDDEN, d_next, RNN_HIDDEN);
    for (i = 0; i < RNN_BATCH * RNN_HIDDEN; i++) d[i] = RNN_DF(h[i]) * gh[i];
}

/* (10.22)-(10.28) for one step, every column: grad_c += g_o(t), grad_b += d(t),
 * grad_V += g_o(t) h(t)^T, grad_W += d(t) h(t-1)^T, grad_U += d(t) x(t)^T.  The batch is the
 * inner loop, so each gradient column stays in L1 while every batch column adds to it. */
static void rnn_param_grads(rnn_real *restrict G, const rnn_real *restrict go,
                            const rnn_real *restrict d, const rnn_real *restrict h,
                            const rnn_real *restrict h_prev, const rnn_input *restrict x)
{
    rnn_real *gU = G + RNN_OFF_U, *gW = G + RNN_OFF_W, *gV = G + RNN_OFF_V;
    rnn_real *gb = G + RNN_OFF_B, *gc = G + RNN_OFF_C;
    size_t bi, i;
    for (bi = 0; bi < RNN_BATCH; bi++) {
        const rnn_real *gob = go + bi * RNN_N_OUT, *db = d + bi * RNN_HIDDEN;
        for (i = 0; i < RNN_N_OUT; i++) gc[i] += gob[i];
        for (i = 0; i < RNN_HIDDEN; i++) gb[i] += db[i];
    }
    rnn_rank_acc(gV, RNN_N_OUT, RNN_HIDDEN, go, RNN_N_OUT, h, RNN_HIDDEN);
    rnn_rank_acc(gW, RNN_HIDDEN, RNN_HIDDEN, d, RNN_HIDDEN, h_prev, RNN_HIDDEN);
#if RNN_ONEHOT
    for (bi = 0; bi < RNN_BATCH; bi++) {
        /* one-hot x(t) = e_k: add d(t) into column k, no multiply */
        const rnn_real *db = d + bi * RNN_HIDDEN;
        rnn_real *col = gU + (size_t)x[bi] * RNN_HIDDEN;
        for (i = 0; i < RNN_HIDDEN; i++) col[i] += db[i];
    }
#else
    rnn_rank_acc(gU, RNN_HIDDEN, RNN_N_IN, d, RNN_HIDDEN, x, RNN_N_IN);
#endif
}

/* The initial state's gradient, (h0): grad_h(0) = W^T d(1), every column. */
static void rnn_h0_grad(const rnn_real *restrict WT, const rnn_real *restrict d1,
                        rnn_real *restrict gh0)
{
    size_t i;
    for (i = 0; i < RNN_BATCH * RNN_HIDDEN; i++) gh0[i] = 0;
    rnn_gemm_acc(gh0, RNN_HIDDEN, WT, RNN_HIDDEN, RNN_HIDDEN, d1, RNN_HIDDEN);
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
