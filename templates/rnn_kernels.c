/*@ KERNELS_PRELUDE @*/
/* templates/rnn_kernels.c: the inference kernels, copied by the generator into both the
 * training source (templates/rnn.c) and the embedded model (templates/embed.c), so that
 * the two compute bit-identical outputs.  The stub here lets this file compile on its own. */
#include "rnn.h"
#include <math.h>
#define RNN_EXP expf
#define RNN_LOG logf
#define RNN_FMA(a, b, c) fmaf(a, b, c)
#define RNN_F(a) tanhf(a)
/*@ end @*/
/* restrict is C99's; C++ has none, but g++, clang++ and MSVC take __restrict (the embedded
 * model compiles as C++ as well as C99). */
#ifndef RNN_RESTRICT
#if !defined(__cplusplus)
#define RNN_RESTRICT restrict
#elif defined(__GNUC__) || defined(_MSC_VER)
#define RNN_RESTRICT __restrict
#else
#define RNN_RESTRICT
#endif
#endif

/* ---- Shared fixed-size kernels.  Every loop bound is a compile-time constant, and the
 * inner loops are axpy forms or independent per-lane sums, so they vectorize without
 * -ffast-math.  Matrices are column-major (see the header). ---- */

#if RNN_GATES == 1
/* (10.8)-(10.9) for one column: h = f(b + U x + rem_u r + R fb_prev + W h_prev), each term
 * where the model has it ((10.8), (10.8o), (10.8b); (10.33r) with --end length, r the
 * remaining steps), added in that order (the order of the training kernels).  h must not
 * overlap h_prev or fb_prev. */
static void rnn_hidden_col(const rnn_real *RNN_RESTRICT P, const rnn_input *RNN_RESTRICT x, rnn_real r,
                           const rnn_real *RNN_RESTRICT h_prev, const rnn_real *RNN_RESTRICT fb_prev,
                           rnn_real *RNN_RESTRICT h)
{
    const rnn_real *b = P + RNN_OFF_B;
    size_t i, j;
#if RNN_ONEHOT
    /* U x(t) with x(t) = e_k is column k of U: a read, not a multiply. */
    const rnn_real *u = P + RNN_OFF_U + (size_t)x[0] * RNN_HIDDEN;
    for (i = 0; i < RNN_HIDDEN; i++) h[i] = b[i] + u[i];
#else
    const rnn_real *U = P + RNN_OFF_U;
    for (i = 0; i < RNN_HIDDEN; i++) h[i] = b[i];
    for (j = 0; j < RNN_N_IN; j++) {
        const rnn_real xj = x[j], *col = U + j * RNN_HIDDEN;
        for (i = 0; i < RNN_HIDDEN; i++) h[i] = RNN_FMA(col[i], xj, h[i]);
    }
#endif
#if RNN_END == RNN_END_LENGTH
    for (i = 0; i < RNN_HIDDEN; i++) h[i] = RNN_FMA(P[RNN_OFF_REM_U + i], r, h[i]);
#else
    (void)r;
#endif
#if RNN_HAS_R
    for (j = 0; j < RNN_N_OUT; j++) {
        const rnn_real fj = fb_prev[j], *col = P + RNN_OFF_R + j * RNN_HIDDEN;
        for (i = 0; i < RNN_HIDDEN; i++) h[i] = RNN_FMA(col[i], fj, h[i]);
    }
#else
    (void)fb_prev;
#endif
#if RNN_HAS_W
    for (j = 0; j < RNN_HIDDEN; j++) {
        const rnn_real hj = h_prev[j], *col = P + RNN_OFF_W + j * RNN_HIDDEN;
        for (i = 0; i < RNN_HIDDEN; i++) h[i] = RNN_FMA(col[i], hj, h[i]);
    }
#else
    (void)h_prev;
#endif
    for (i = 0; i < RNN_HIDDEN; i++) h[i] = RNN_F(h[i]);
}
#endif

/* (10.11) and (10.14) for one column whose out holds o = c + V h: out becomes
 * p = softmax(o) (nll) or stays o (mse).  With a target y, returns L(t) of (10.14)
 * (or 1/2 ||o - y||^2). */
static double rnn_output_finish(const rnn_target *RNN_RESTRICT y, rnn_real *RNN_RESTRICT out)
{
    size_t i;
    double loss = 0;
#if RNN_LOSS == RNN_LOSS_NLL
    {
        /* Stable softmax: subtract max_i o_i first; L = logsumexp(o) - o_y. */
        rnn_real m = out[0], s = 0;
        for (i = 1; i < RNN_N_OUT; i++) m = out[i] > m ? out[i] : m;
        if (y) loss = (double)m - (double)out[y[0]];
        for (i = 0; i < RNN_N_OUT; i++) {
            out[i] = RNN_EXP(out[i] - m);
            s += out[i];
        }
        if (y) loss += (double)RNN_LOG(s);
        for (i = 0; i < RNN_N_OUT; i++) out[i] /= s;
    }
#else
    if (y)
        for (i = 0; i < RNN_N_OUT; i++) {
            double e = (double)out[i] - (double)y[i];
            loss += 0.5 * e * e;
        }
#endif
    return loss;
}

/* (10.10)-(10.11) for one column: o = c + V h, then p = softmax(o) (nll) or o itself
 * (mse) into out.  With a target y, returns L(t) of (10.14) (or 1/2 ||o - y||^2). */
static double rnn_output_col(const rnn_real *RNN_RESTRICT P, const rnn_real *RNN_RESTRICT h,
                             const rnn_target *RNN_RESTRICT y, rnn_real *RNN_RESTRICT out)
{
    const rnn_real *c = P + RNN_OFF_C, *V = P + RNN_OFF_V;
    size_t i, j;
    for (i = 0; i < RNN_N_OUT; i++) out[i] = c[i];
    for (j = 0; j < RNN_HIDDEN; j++) {
        const rnn_real hj = h[j], *col = V + j * RNN_N_OUT;
        for (i = 0; i < RNN_N_OUT; i++) out[i] = RNN_FMA(col[i], hj, out[i]);
    }
    return rnn_output_finish(y, out);
}

#if RNN_END == RNN_END_HALT
/* (10.33h) The halting unit for one column: q = sigmoid(halt_b + halt_w h), the arithmetic
 * of the training kernel. */
static rnn_real rnn_halt_col(const rnn_real *RNN_RESTRICT P, const rnn_real *RNN_RESTRICT h)
{
    rnn_real s = P[RNN_OFF_HALT_B];
    size_t i;
    for (i = 0; i < RNN_HIDDEN; i++) s = RNN_FMA(P[RNN_OFF_HALT_W + i], h[i], s);
    return 1 / (1 + RNN_EXP(-s));
}
#endif

#if RNN_END == RNN_END_LENGTH
/* (10.33n) The length output for one column, from the state h0 the record starts from:
 * pn[m] = p_n(m + 1) = softmax(len_b + len_w h0), the arithmetic of the training kernel. */
static void rnn_length_col(const rnn_real *RNN_RESTRICT P, const rnn_real *RNN_RESTRICT h0,
                           rnn_real *RNN_RESTRICT pn)
{
    rnn_real mx, sum = 0;
    size_t m, j;
    for (m = 0; m < RNN_MAX_LENGTH; m++) pn[m] = P[RNN_OFF_LEN_B + m];
    for (j = 0; j < RNN_HIDDEN; j++) {
        const rnn_real hj = h0[j], *col = P + RNN_OFF_LEN_W + j * RNN_MAX_LENGTH;
        for (m = 0; m < RNN_MAX_LENGTH; m++) pn[m] = RNN_FMA(col[m], hj, pn[m]);
    }
    for (m = 1, mx = pn[0]; m < RNN_MAX_LENGTH; m++) mx = pn[m] > mx ? pn[m] : mx;
    for (m = 0; m < RNN_MAX_LENGTH; m++) {
        pn[m] = RNN_EXP(pn[m] - mx);
        sum += pn[m];
    }
    for (m = 0; m < RNN_MAX_LENGTH; m++) pn[m] /= sum;
}
#endif

/*@ KERNELS_EPILOGUE @*/
/* stub: uses the kernels, so this file also compiles alone under -Wall -Werror */
void rnn_kernels_stub(const rnn_real *P, const rnn_input *x, rnn_real *h, rnn_real *out);
void rnn_kernels_stub(const rnn_real *P, const rnn_input *x, rnn_real *h, rnn_real *out)
{
#if RNN_GATES == 1
    rnn_hidden_col(P, x, 0, h, out, h + RNN_HIDDEN);
#endif
    (void)rnn_output_col(P, h, 0, out);
}
/*@ end @*/
