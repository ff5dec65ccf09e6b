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

/* ---- Training kernels: fixed sizes, as above. ----
 * Only W h(t-1) (forward) and W^T d(t+1) (backward) are sequential in t.  The rest is one
 * product over all tau x B columns at once, before or after the sequential sweep: the input
 * terms U x(t), the outputs V h(t), the output terms V^T g_o(t) of grad_h(t), and the
 * parameter gradients. */

#if defined(__GNUC__) && !defined(__TINYC__)
/* Inlined at each call, so the sizes are constants there and every loop is specialised. */
#define RNN_INLINE __attribute__((always_inline)) static inline
#else
#define RNN_INLINE static inline
#endif

/* Batch parts (see rnn_train_part in the header): part q is columns
 * [q RNN_PART_BATCH, (q+1) RNN_PART_BATCH) of every step.  The products over every step of
 * a part run over RNN_CHUNKS chunks of RNN_CHUNK_COLS contiguous columns, RNN_BATCH columns
 * apart (one chunk of all tau x B columns when there is one part). */
#define RNN_PART_BATCH (RNN_BATCH / RNN_PARTS)
#define RNN_CHUNKS (RNN_PARTS == 1 ? 1 : RNN_TAU)
#define RNN_CHUNK_COLS (RNN_PARTS == 1 ? RNN_TAU * RNN_BATCH : RNN_PART_BATCH)
#define RNN_X_COL (RNN_ONEHOT ? 1 : RNN_N_IN)   /* inputs per column */
#define RNN_Y_COL (RNN_LOSS == 0 ? 1 : RNN_N_OUT) /* targets per column */

/* The share [n part / RNN_PARTS, n (part+1) / RNN_PARTS) of n items that part q handles. */
#define RNN_SHARE_BEGIN(n, q) ((size_t)(n) * (q) / RNN_PARTS)
#define RNN_SHARE(n, q) RNN_SHARE_BEGIN(n, q), RNN_SHARE_BEGIN(n, (q) + 1) /* begin, end */

/* Register tiles: RNN_TR rows by RNN_TC columns (two 512-bit vectors by 8), or RNN_TR1 rows
 * of one column (eight vectors). */
#define RNN_TR (128 / sizeof(rnn_real))
#define RNN_TC 8
#define RNN_TR1 (512 / sizeof(rnn_real))

/* One register tile: for c < nc and i < nr,
 *     Y[c * ys + i] += sum over r < nred, in order, of M[r * ms + i] * X[c * xc + r * xr].
 * The nr x nc sums stay in local accumulators (registers once the sizes are constant), M's
 * rows are contiguous (the vectorized loop), X's values are broadcast.
 * No `restrict` on purpose: gcc 12 with AVX-512 (-O3 -march=native) miscompiled an inlined
 * product with restrict-qualified arguments after the relu loop of a step (loads of h moved
 * above its stores; clang, gcc -O2 and AVX2 builds were right). */
RNN_INLINE void rnn_tile(rnn_real *Y, size_t ys, const rnn_real *M, size_t ms, size_t nred,
                         const rnn_real *X, size_t xc, size_t xr, size_t nr, size_t nc)
{
    rnn_real acc[RNN_TC * RNN_TR];
    size_t c, i, r;
    for (c = 0; c < nc; c++)
        for (i = 0; i < nr; i++) acc[c * nr + i] = Y[c * ys + i];
    for (r = 0; r < nred; r++) {
        const rnn_real *m = M + r * ms;
        for (c = 0; c < nc; c++) {
            const rnn_real xv = X[c * xc + r * xr];
            for (i = 0; i < nr; i++) acc[c * nr + i] = RNN_FMA(m[i], xv, acc[c * nr + i]);
        }
    }
    for (c = 0; c < nc; c++)
        for (i = 0; i < nr; i++) Y[c * ys + i] = acc[c * nr + i];
}

/* Y[:, b] += M X[:, b] for the n columns b: M is column-major rows x cols, column b of X
 * starts at X + b * xs, of Y at Y + b * ys.  Every element sums over M's columns in order,
 * the order of the inference kernels, so the results are bit-identical to theirs. */
RNN_INLINE void rnn_gemm_acc(rnn_real *Y, size_t ys, const rnn_real *M, size_t rows,
                             size_t cols, const rnn_real *X, size_t xs, size_t n)
{
    size_t b0 = 0, i0;
    for (; b0 + RNN_TC <= n; b0 += RNN_TC) {
        for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, rows, cols, X + b0 * xs, xs, 1, RNN_TR, RNN_TC);
        if (i0 < rows)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, rows, cols, X + b0 * xs, xs, 1, rows - i0, RNN_TC);
    }
    if (n - b0 > 1) { /* 2..RNN_TC-1 columns left */
        for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, rows, cols, X + b0 * xs, xs, 1, RNN_TR, n - b0);
        if (i0 < rows)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, rows, cols, X + b0 * xs, xs, 1, rows - i0, n - b0);
    } else if (n - b0 == 1) { /* one column (batch 1): tall one-column tiles */
        for (i0 = 0; i0 + RNN_TR1 <= rows; i0 += RNN_TR1)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, rows, cols, X + b0 * xs, xs, 1, RNN_TR1, 1);
        if (i0 < rows)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, rows, cols, X + b0 * xs, xs, 1, rows - i0, 1);
    }
}

/* C += sum over the n columns k, in order, of A[:, k] X[:, k]^T: C is column-major
 * rows x cols, column k of A starts at A + k * as (rows values), of X at X + k * xs (cols
 * values).  The parameter gradients (10.24), (10.26), (10.28) over every step and column. */
RNN_INLINE void rnn_rank_acc(rnn_real *C, size_t rows, size_t cols, const rnn_real *A,
                             size_t as, const rnn_real *X, size_t xs, size_t n)
{
    size_t j0 = 0, i0;
    for (; j0 + RNN_TC <= cols; j0 += RNN_TC) {
        for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR)
            rnn_tile(C + j0 * rows + i0, rows, A + i0, as, n, X + j0, 1, xs, RNN_TR, RNN_TC);
        if (i0 < rows)
            rnn_tile(C + j0 * rows + i0, rows, A + i0, as, n, X + j0, 1, xs, rows - i0, RNN_TC);
    }
    if (j0 < cols) {
        for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR)
            rnn_tile(C + j0 * rows + i0, rows, A + i0, as, n, X + j0, 1, xs, RNN_TR, cols - j0);
        if (i0 < rows)
            rnn_tile(C + j0 * rows + i0, rows, A + i0, as, n, X + j0, 1, xs, rows - i0, cols - j0);
    }
}

/* Row-major copies of W and V, i.e. W^T and V^T column-major, so that the backward
 * products W^T d and V^T g_o are the same column products as the forward ones: no
 * reductions, vectorizable without -ffast-math.  Part q copies its share of the columns. */
/* Blocks of RNN_TB x RNN_TB: a plain transpose writes one value per cache line down a
 * whole column (measured: 72% of the update stage at hidden 256, batch 1); a block keeps
 * its RNN_TB source and destination lines in L1. */
#define RNN_TB 16
static void rnn_transpose_weights(const rnn_real *restrict P, rnn_real *restrict WT,
                                  rnn_real *restrict VT, size_t part)
{
    const rnn_real *W = P + RNN_OFF_W, *V = P + RNN_OFF_V;
    const size_t j0 = RNN_SHARE_BEGIN(RNN_HIDDEN, part), j1 = RNN_SHARE_BEGIN(RNN_HIDDEN, part + 1);
    size_t i, j, ib, jb, iend, jend;
    for (jb = j0; jb < j1; jb += RNN_TB) {
        jend = jb + RNN_TB < j1 ? jb + RNN_TB : j1;
        for (ib = 0; ib < RNN_HIDDEN; ib += RNN_TB) {
            iend = ib + RNN_TB < RNN_HIDDEN ? ib + RNN_TB : RNN_HIDDEN;
            for (i = ib; i < iend; i++)
                for (j = jb; j < jend; j++) WT[i * RNN_HIDDEN + j] = W[j * RNN_HIDDEN + i];
        }
        for (ib = 0; ib < RNN_N_OUT; ib += RNN_TB) {
            iend = ib + RNN_TB < RNN_N_OUT ? ib + RNN_TB : RNN_N_OUT;
            for (i = ib; i < iend; i++)
                for (j = jb; j < jend; j++) VT[i * RNN_HIDDEN + j] = V[j * RNN_N_OUT + i];
        }
    }
}

/* The terms of (10.8) that do not depend on h(t-1), for every step and column of a part:
 * a(t) starts as b + U x(t) (one-hot: b + column x(t) of U) in h(t), h = h(1) of the part. */
static void rnn_inputs(const rnn_real *restrict P, const rnn_input *restrict x, rnn_real *restrict h)
{
    const rnn_real *b = P + RNN_OFF_B;
    size_t ch, k, i;
    for (ch = 0; ch < RNN_CHUNKS; ch++)
        for (k = ch * RNN_BATCH; k < ch * RNN_BATCH + RNN_CHUNK_COLS; k++) {
            rnn_real *hk = h + k * RNN_HIDDEN;
#if RNN_ONEHOT
            const rnn_real *u = P + RNN_OFF_U + (size_t)x[k] * RNN_HIDDEN;
            for (i = 0; i < RNN_HIDDEN; i++) hk[i] = b[i] + u[i];
#else
            for (i = 0; i < RNN_HIDDEN; i++) hk[i] = b[i];
#endif
        }
#if !RNN_ONEHOT
    for (ch = 0; ch < RNN_CHUNKS; ch++)
        rnn_gemm_acc(h + ch * RNN_BATCH * RNN_HIDDEN, RNN_HIDDEN, P + RNN_OFF_U, RNN_HIDDEN,
                     RNN_N_IN, x + ch * RNN_BATCH * RNN_N_IN, RNN_N_IN, RNN_CHUNK_COLS);
#endif
}

/* Equations (10.8)-(10.9) at one step, every column of a part: h holds b + U x(t)
 * (rnn_inputs); adds W h(t-1) and applies f.  The same arithmetic, in the same order, as
 * rnn_hidden_col. */
static void rnn_hidden_step(const rnn_real *restrict P, const rnn_real *h_prev, rnn_real *h)
{
    size_t i;
    rnn_gemm_acc(h, RNN_HIDDEN, P + RNN_OFF_W, RNN_HIDDEN, RNN_HIDDEN, h_prev, RNN_HIDDEN,
                 RNN_PART_BATCH);
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) h[i] = RNN_F(h[i]);
}

/* The outputs (10.10) of every step and column of a part: o(t) = c + V h(t) into p, from
 * h = h(1) of the part. */
static void rnn_outputs(const rnn_real *restrict P, const rnn_real *restrict h, rnn_real *restrict p)
{
    const rnn_real *c = P + RNN_OFF_C;
    size_t ch, k, i;
    for (ch = 0; ch < RNN_CHUNKS; ch++) {
        for (k = ch * RNN_BATCH; k < ch * RNN_BATCH + RNN_CHUNK_COLS; k++)
            for (i = 0; i < RNN_N_OUT; i++) p[k * RNN_N_OUT + i] = c[i];
        rnn_gemm_acc(p + ch * RNN_BATCH * RNN_N_OUT, RNN_N_OUT, P + RNN_OFF_V, RNN_N_OUT,
                     RNN_HIDDEN, h + ch * RNN_BATCH * RNN_HIDDEN, RNN_HIDDEN, RNN_CHUNK_COLS);
    }
}

/* Equations (10.11) and (10.14) at one step, every column of a part: p(t) = softmax(o(t))
 * in place (nll) or o(t) itself (mse); returns the sum of L(t) over the columns. */
static double rnn_step_loss(const rnn_target *restrict y, rnn_real *restrict p)
{
    double loss = 0;
    size_t bi;
    for (bi = 0; bi < RNN_PART_BATCH; bi++)
        loss += rnn_output_finish(y + bi * RNN_Y_COL, p + bi * RNN_N_OUT);
    return loss;
}

/* Output gradient, (10.18): g_o(t) = p(t) - e_y(t) (softmax + nll) or o(t) - y(t) (mse),
 * every column of a part. */
static void rnn_output_grad(const rnn_real *restrict p, const rnn_target *restrict y,
                            rnn_real *restrict go)
{
    for (size_t bi = 0; bi < RNN_PART_BATCH; bi++) {
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

/* The V^T g_o(t) term of (10.19)/(10.21) for every step and column of a part:
 * gh(t) = V^T g_o(t).  VT: the copy made by rnn_transpose_weights. */
static void rnn_output_back(const rnn_real *restrict VT, const rnn_real *restrict go,
                            rnn_real *restrict gh)
{
    size_t ch, i;
    for (ch = 0; ch < RNN_CHUNKS; ch++) {
        rnn_real *g = gh + ch * RNN_BATCH * RNN_HIDDEN;
        for (i = 0; i < RNN_CHUNK_COLS * RNN_HIDDEN; i++) g[i] = 0;
        rnn_gemm_acc(g, RNN_HIDDEN, VT, RNN_HIDDEN, RNN_N_OUT, go + ch * RNN_BATCH * RNN_N_OUT,
                     RNN_N_OUT, RNN_CHUNK_COLS);
    }
}

/* Equations (10.19)/(10.21) at one step, every column of a part: gh holds V^T g_o(t)
 * (rnn_output_back); adds
 * W^T d(t+1) (d_next is null at t = tau), then d(t) = f'(a(t)) (.) grad_h(t), with f'
 * written from h(t).  WT: the copy made by rnn_transpose_weights. */
static void rnn_hidden_grad(const rnn_real *restrict WT, const rnn_real *restrict d_next,
                            const rnn_real *restrict h, rnn_real *restrict gh,
                            rnn_real *restrict d)
{
    size_t i;
    if (d_next)
        rnn_gemm_acc(gh, RNN_HIDDEN, WT, RNN_HIDDEN, RNN_HIDDEN, d_next, RNN_HIDDEN,
                     RNN_PART_BATCH);
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) d[i] = RNN_DF(h[i]) * gh[i];
}

/* The parameter gradients (10.22)-(10.28), each element a sum over every step and column
 * k = (t-1) B + b in order, for the share of the elements given by the ranges: columns
 * [j0, j1) of grad_V and grad_W, rows [i0, i1) of grad_b (and of one-hot grad_U), rows
 * [c0, c1) of grad_c, columns [u0, u1) of dense grad_U.  Those elements of G must be zero.
 * grad_c = sum g_o(t), grad_b = sum d(t), grad_V = sum g_o(t) h(t)^T,
 * grad_W = sum d(t) h(t-1)^T, grad_U = sum d(t) x(t)^T.  h = h(0). */
RNN_INLINE void rnn_param_grads_share(rnn_real *restrict G, const rnn_real *restrict go,
                                      const rnn_real *restrict d, const rnn_real *restrict h,
                                      const rnn_input *restrict x, size_t j0, size_t j1,
                                      size_t i0, size_t i1, size_t c0, size_t c1, size_t u0,
                                      size_t u1)
{
    rnn_real *gU = G + RNN_OFF_U, *gb = G + RNN_OFF_B, *gc = G + RNN_OFF_C;
    const size_t n = RNN_TAU * RNN_BATCH;
    size_t k, i;
    for (k = 0; k < n; k++) {
        const rnn_real *gok = go + k * RNN_N_OUT, *dk = d + k * RNN_HIDDEN;
        for (i = c0; i < c1; i++) gc[i] += gok[i];
        for (i = i0; i < i1; i++) gb[i] += dk[i];
    }
    rnn_rank_acc(G + RNN_OFF_V + j0 * RNN_N_OUT, RNN_N_OUT, j1 - j0, go, RNN_N_OUT,
                 h + RNN_BATCH * RNN_HIDDEN + j0, RNN_HIDDEN, n);
    rnn_rank_acc(G + RNN_OFF_W + j0 * RNN_HIDDEN, RNN_HIDDEN, j1 - j0, d, RNN_HIDDEN, h + j0,
                 RNN_HIDDEN, n);
#if RNN_ONEHOT
    (void)u0;
    (void)u1;
    for (k = 0; k < n; k++) {
        /* one-hot x(t) = e_j: add d(t) into column j, no multiply */
        const rnn_real *dk = d + k * RNN_HIDDEN;
        rnn_real *col = gU + (size_t)x[k] * RNN_HIDDEN;
        for (i = i0; i < i1; i++) col[i] += dk[i];
    }
#else
    rnn_rank_acc(gU + u0 * RNN_HIDDEN, RNN_HIDDEN, u1 - u0, d, RNN_HIDDEN, x + u0, RNN_N_IN, n);
#endif
}

/* Part `part`'s share of the parameter gradients (rnn_param_grads_share): the same sums,
 * in the same order, however the elements are shared out. */
static void rnn_param_grads(rnn_real *restrict G, const rnn_real *restrict go,
                            const rnn_real *restrict d, const rnn_real *restrict h,
                            const rnn_input *restrict x, size_t part)
{
    /* Constant ranges in each call, so every product is specialised. */
#if RNN_PARTS == 2
    if (part) {
        rnn_param_grads_share(G, go, d, h, x, RNN_SHARE(RNN_HIDDEN, 1), RNN_SHARE(RNN_HIDDEN, 1),
                              RNN_SHARE(RNN_N_OUT, 1), RNN_SHARE(RNN_N_IN, 1));
        return;
    }
#endif
    (void)part;
    rnn_param_grads_share(G, go, d, h, x, RNN_SHARE(RNN_HIDDEN, 0), RNN_SHARE(RNN_HIDDEN, 0),
                          RNN_SHARE(RNN_N_OUT, 0), RNN_SHARE(RNN_N_IN, 0));
}

/* The initial state's gradient, (h0): grad_h(0) = W^T d(1), every column of a part. */
static void rnn_h0_grad(const rnn_real *restrict WT, const rnn_real *restrict d1,
                        rnn_real *restrict gh0)
{
    size_t i;
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) gh0[i] = 0;
    rnn_gemm_acc(gh0, RNN_HIDDEN, WT, RNN_HIDDEN, RNN_HIDDEN, d1, RNN_HIDDEN, RNN_PART_BATCH);
}

/* Gradient element i as the optimiser sees it: times scale (unless already applied), clipped
 * to [-clip, clip] (if clip > 0), plus wd p (if wd != 0); stored back into g. */
#define RNN_GRAD_FINAL(i) \
    rnn_real gi = g[i]; \
    if (scale_here) gi *= scale; \
    if (clip > 0) gi = gi > clip ? clip : gi < -clip ? -clip : gi; \
    if (wd != 0) gi = RNN_FMA(wd, p[i], gi); \
    g[i] = gi

/* The optimiser update over every parameter (padding included: its gradient is zero, so it
 * stays zero).  Gradient scaling, clipping and decay first, as documented in the header;
 * all but the global norm are done in the update's own pass (one pass over the buffers
 * instead of up to four; the arithmetic per element is the same). */
static void rnn_update(rnn_real *restrict p, rnn_real *restrict g, rnn_real *restrict m,
                       rnn_real *restrict v, const struct rnn_hparams *hp)
{
    const rnn_real lr = (rnn_real)hp->lr, b1 = (rnn_real)hp->beta1, b2 = (rnn_real)hp->beta2;
    const rnn_real eps = (rnn_real)hp->eps, wd = (rnn_real)hp->weight_decay;
    const rnn_real clip = (rnn_real)hp->clip, scale = (rnn_real)hp->grad_scale;
    const rnn_real c1 = 1 - b1, c2 = 1 - b2;
    const rnn_real bias1 = (rnn_real)hp->bias1, bias2 = (rnn_real)hp->bias2;
    int scale_here = scale != 1;
    size_t i;
    if (hp->clip_norm > 0) {
        /* The global norm needs the scaled gradient first. */
        double ss = 0, norm;
        if (scale_here)
            for (i = 0; i < RNN_PARAMS_COUNT; i++) g[i] *= scale;
        scale_here = 0;
        for (i = 0; i < RNN_PARAMS_COUNT; i++) ss += (double)g[i] * (double)g[i];
        norm = sqrt(ss);
        if (norm > hp->clip_norm) {
            const rnn_real f = (rnn_real)(hp->clip_norm / norm);
            for (i = 0; i < RNN_PARAMS_COUNT; i++) g[i] *= f;
        }
    }
    switch (hp->optim) {
    case RNN_OPTIM_SGD:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            p[i] = RNN_FMA(-lr, gi, p[i]);
        }
        break;
    case RNN_OPTIM_MOMENTUM:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            m[i] = RNN_FMA(b1, m[i], gi);
            p[i] = RNN_FMA(-lr, m[i], p[i]);
        }
        break;
    case RNN_OPTIM_ADAGRAD:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            m[i] = RNN_FMA(gi, gi, m[i]);
            p[i] -= lr * gi / RNN_SQRT(m[i] + eps);
        }
        break;
    case RNN_OPTIM_RMSPROP:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            m[i] = RNN_FMA(b2, m[i], c2 * gi * gi);
            p[i] -= lr * gi / (RNN_SQRT(m[i]) + eps);
        }
        break;
    case RNN_OPTIM_ADAM:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            m[i] = RNN_FMA(b1, m[i], c1 * gi);
            v[i] = RNN_FMA(b2, v[i], c2 * gi * gi);
            p[i] -= lr * (m[i] / bias1) / (RNN_SQRT(v[i] / bias2) + eps);
        }
        break;
    default:
        break;
    }
}
#undef RNN_GRAD_FINAL

/* ---- The unrolled graph: one block per time step, each citing its equations.  Each
 * function below runs one batch part (see rnn_train_part in the header); pointers are moved
 * to the part's first column, and the constants step over whole steps of RNN_BATCH
 * columns. ---- */

static double rnn_forward_part(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                               const rnn_real *h0, rnn_real *ws, size_t part)
{
    rnn_real *h = ws + RNN_WS_H + part * RNN_PART_BATCH * RNN_HIDDEN;
    rnn_real *p = ws + RNN_WS_P + part * RNN_PART_BATCH * RNN_N_OUT;
    double loss = 0;
    size_t i;
    x += part * RNN_PART_BATCH * RNN_X_COL;
    y += part * RNN_PART_BATCH * RNN_Y_COL;
    h0 += part * RNN_PART_BATCH * RNN_HIDDEN;
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) h[i] = h0[i]; /* h(0) */
    /*@ FORWARD_STEPS @*/
    rnn_inputs(params, x, h + RNN_BATCH * RNN_HIDDEN);
    rnn_hidden_step(params, h, h + RNN_BATCH * RNN_HIDDEN);
    rnn_outputs(params, h + RNN_BATCH * RNN_HIDDEN, p);
    loss += rnn_step_loss(y, p);
    /*@ end @*/
    return loss;
}

static void rnn_backward_part(const rnn_target *y, rnn_real *ws, size_t part)
{
    const rnn_real *h = ws + RNN_WS_H + part * RNN_PART_BATCH * RNN_HIDDEN;
    const rnn_real *p = ws + RNN_WS_P + part * RNN_PART_BATCH * RNN_N_OUT;
    rnn_real *go = ws + RNN_WS_GO + part * RNN_PART_BATCH * RNN_N_OUT;
    rnn_real *gh = ws + RNN_WS_GH + part * RNN_PART_BATCH * RNN_HIDDEN;
    rnn_real *d = ws + RNN_WS_D + part * RNN_PART_BATCH * RNN_HIDDEN;
    rnn_real *gh0 = ws + RNN_WS_GH0 + part * RNN_PART_BATCH * RNN_HIDDEN;
    const rnn_real *WT = ws + RNN_WS_WT, *VT = ws + RNN_WS_VT;
    y += part * RNN_PART_BATCH * RNN_Y_COL;
    /*@ BACKWARD_STEPS @*/
    rnn_output_grad(p, y, go);
    rnn_output_back(VT, go, gh);
    rnn_hidden_grad(WT, 0, h + RNN_BATCH * RNN_HIDDEN, gh, d);
    rnn_h0_grad(WT, d, gh0);
    /*@ end @*/
}

/* Part `part`'s share of the parameter gradients, from the whole workspace. */
static void rnn_grads_part(const rnn_input *x, const rnn_real *ws, rnn_real *grads, size_t part)
{
    const rnn_real *h = ws + RNN_WS_H, *go = ws + RNN_WS_GO, *d = ws + RNN_WS_D;
    /*@ PARAM_GRADS @*/
    rnn_param_grads(grads, go, d, h, x, part);
    /*@ end @*/
}

/* Stage 0's preparation of the backward pass: part q's share of the W^T, V^T copies and of
 * zeroing grads (whose padding must stay zero). */
static void rnn_backward_prepare(const rnn_real *params, rnn_real *ws, rnn_real *grads, size_t part)
{
    size_t i;
    rnn_transpose_weights(params, ws + RNN_WS_WT, ws + RNN_WS_VT, part);
    for (i = RNN_SHARE_BEGIN(RNN_PARAMS_COUNT, part); i < RNN_SHARE_BEGIN(RNN_PARAMS_COUNT, part + 1); i++)
        grads[i] = 0;
}

rnn_real rnn_forward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                     const rnn_real *h0, rnn_real *ws)
{
    double loss = 0;
    size_t q;
    for (q = 0; q < RNN_PARTS; q++) loss += rnn_forward_part(params, x, y, h0, ws, q);
    return (rnn_real)loss;
}

void rnn_backward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                  rnn_real *ws, rnn_real *grads)
{
    size_t q;
    for (q = 0; q < RNN_PARTS; q++) rnn_backward_prepare(params, ws, grads, q);
    for (q = 0; q < RNN_PARTS; q++) rnn_backward_part(y, ws, q);
    for (q = 0; q < RNN_PARTS; q++) rnn_grads_part(x, ws, grads, q);
}

void rnn_step(const rnn_real *params, const rnn_input *x, const rnn_real *h_in,
              rnn_real *h_out, rnn_real *out)
{
    rnn_hidden_col(params, x, h_in, h_out);
    (void)rnn_output_col(params, h_out, 0, out);
}

rnn_real rnn_train_part(rnn_real *params, rnn_real *grads, rnn_real *opt, const rnn_input *x,
                        const rnn_target *y, const rnn_real *h0, rnn_real *ws,
                        const struct rnn_hparams *hp, int32_t stage, int32_t part)
{
    /* The part losses, doubles in the workspace (64-byte aligned), summed in part order. */
    double *part_loss = (double *)(void *)(ws + RNN_WS_LOSS), sum = 0;
    const size_t q = (size_t)part;
    rnn_real loss;
    size_t i;
    if (part < 0 || part >= RNN_PARTS) return 0;
    if (stage == 0) {
        part_loss[q] = rnn_forward_part(params, x, y, h0, ws, q);
        rnn_backward_prepare(params, ws, grads, q);
        return 0;
    }
    for (i = 0; i < RNN_PARTS; i++) sum += part_loss[i];
    loss = (rnn_real)sum;
    if (!(loss - loss == 0)) return loss; /* NaN or infinite: leave the parameters alone */
    if (stage == 1) rnn_backward_part(y, ws, q);
    else if (stage == 2) rnn_grads_part(x, ws, grads, q);
    else if (stage == 3 && q == 0) rnn_update(params, grads, opt, opt + RNN_PARAMS_COUNT, hp);
    return loss;
}

rnn_real rnn_train_step(rnn_real *params, rnn_real *grads, rnn_real *opt, const rnn_input *x,
                        const rnn_target *y, const rnn_real *h0, rnn_real *ws,
                        const struct rnn_hparams *hp)
{
    rnn_real loss = 0;
    int32_t stage, part;
    for (stage = 0; stage < RNN_STAGES; stage++)
        for (part = 0; part < RNN_PARTS; part++)
            loss = rnn_train_part(params, grads, opt, x, y, h0, ws, hp, stage, part);
    return loss;
}

const struct rnn_descriptor rnn_descriptor = {
    RNN_ABI_VERSION, sizeof(struct rnn_descriptor), RNN_DTYPE, RNN_ONEHOT, RNN_ACT, RNN_LOSS,
    RNN_FAST, 0,
    RNN_N_IN, RNN_HIDDEN, RNN_N_OUT, RNN_TAU, RNN_BATCH,
    RNN_OFF_U, RNN_OFF_W, RNN_OFF_V, RNN_OFF_B, RNN_OFF_C, RNN_PARAMS_COUNT,
    RNN_WS_H, RNN_WS_P, RNN_WS_GO, RNN_WS_GH, RNN_WS_D, RNN_WS_GH0, RNN_WS_WT, RNN_WS_VT,
    RNN_WS_LOSS, RNN_WS_COUNT,
    RNN_X_COUNT, RNN_Y_COUNT, RNN_H0_COUNT, RNN_OPT_COUNT, RNN_PARTS, RNN_STAGES,
    RNN_NAME, RNN_SPEC, "rnn_forward", "rnn_backward", "rnn_step", "rnn_train_step",
    "rnn_train_part",
};
