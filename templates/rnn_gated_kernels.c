/*@ GKERNELS_PRELUDE @*/
/* templates/rnn_gated_kernels.c: the gated cells' inference kernels (section 10.10.1 of Deep
 * Learning, gen/EQUATIONS.md "Gated cells"), copied by the generator after
 * templates/rnn_kernels.c into both the training source and the embedded model of an LSTM or
 * GRU, so that the two compute bit-identical outputs.  The stub here lets this file compile on
 * its own (as an LSTM; RNN_CELL selects the cell). */
#include "rnn.h"
#include <math.h>
#undef RNN_CELL
#undef RNN_GATES
#define RNN_CELL RNN_CELL_LSTM
#define RNN_GATES 4
#define RNN_OFF_BH 0
#define RNN_EXP expf
#define RNN_FMA(a, b, c) fmaf(a, b, c)
#define RNN_F(a) tanhf(a)
#define RNN_RESTRICT restrict
/*@ end @*/
/* ---- Gated cells.  The per-unit arithmetic below is the one place it is written: the
 * training kernels (templates/rnn_gated.c) and the one-column step call the same functions,
 * so training's forward pass and inference give the same bits.  Pre-activations are summed in
 * one order everywhere: b + U x (one-hot: b + a column of U), then + b_h, then + W h(t-1)
 * with one multiply-add per column of W, in order. ---- */

/* The logistic sigmoid of the gates, from the model's exp. */
static inline rnn_real rnn_sigmoid(rnn_real a)
{
    return 1 / (1 + RNN_EXP(-a));
}

#if RNN_CELL == RNN_CELL_LSTM
/* (10.40)-(10.42) for one unit: from its pre-activations ai, af, ag, ao (a of (10.40)) and
 * cp = c(t-1): the gates *i, *f, *g, *o, the cell *c = c(t), *tc = tanh(c(t)) and
 * *h = h(t).  The outputs may alias nothing but each other's inputs (they are written last). */
static inline void rnn_lstm_unit(rnn_real ai, rnn_real af, rnn_real ag, rnn_real ao, rnn_real cp,
                                 rnn_real *i, rnn_real *f, rnn_real *g, rnn_real *o, rnn_real *c,
                                 rnn_real *tc, rnn_real *h)
{
    const rnn_real ig = rnn_sigmoid(ai), fg = rnn_sigmoid(af), gg = RNN_F(ag), og = rnn_sigmoid(ao);
    const rnn_real cc = RNN_FMA(fg, cp, ig * gg), t = RNN_F(cc);
    *i = ig;
    *f = fg;
    *g = gg;
    *o = og;
    *c = cc;
    *tc = t;
    *h = og * t;
}
#else
/* (10.45)-(10.46) for one unit, PyTorch's GRU: from ar = a_r + w_r, az = a_z + w_z (the
 * reset and update gates' pre-activations, input and recurrent parts summed), wn = w_n =
 * W_n h(t-1) + b_hn, an = a_n = b_n + U_n x and hp = h(t-1): *r, *z, *n = tanh(a_n + r w_n)
 * and *h = (1 - z) n + z h(t-1), computed as n + z (h(t-1) - n). */
static inline void rnn_gru_unit(rnn_real ar, rnn_real az, rnn_real wn, rnn_real an, rnn_real hp,
                                rnn_real *r, rnn_real *z, rnn_real *n, rnn_real *h)
{
    const rnn_real rg = rnn_sigmoid(ar), zg = rnn_sigmoid(az), ng = RNN_F(RNN_FMA(rg, wn, an));
    *r = rg;
    *z = zg;
    *n = ng;
    *h = RNN_FMA(zg, hp - ng, ng);
}
#endif

/* Rows of the pre-activations one column's step works on at a time (a multiple of the
 * vector width): the stacked gates' rows i, H + i, 2H + i, ... of a block of units stay in a
 * small local array while W's columns stream past. */
#define RNN_GBLK 32

/* The input and bias terms of the pre-activations of units [i0, i0 + m) of one column, into
 * acc (4 rows of RNN_GBLK: lstm a_i, a_f, a_g, a_o; gru a_r + b_hr, a_z + b_hz, b_hn, a_n):
 * b + U x (one-hot x: b + column x of U), then + b_h where it joins the sum. */
static void rnn_gated_col_inputs(const rnn_real *RNN_RESTRICT P, const rnn_input *RNN_RESTRICT x,
                                 size_t i0, size_t m, rnn_real acc[4][RNN_GBLK])
{
    const rnn_real *b = P + RNN_OFF_B, *bh = P + RNN_OFF_BH;
    /* the row of U, b and b_h for accumulator q (gru: q = 2 holds w_n, from b_hn alone) */
    static const size_t row[4] = {0, 1, 2, RNN_CELL == RNN_CELL_LSTM ? 3 : 2};
    size_t q, i, j;
    for (q = 0; q < 4; q++) {
        const size_t o = row[q] * RNN_HIDDEN + i0;
        const int input = RNN_CELL == RNN_CELL_LSTM || q != 2, bias = RNN_CELL == RNN_CELL_LSTM || q < 3;
        for (i = 0; i < m; i++) acc[q][i] = input ? b[o + i] : bh[o + i];
        if (!input) continue;
#if RNN_ONEHOT
        for (i = 0; i < m; i++) acc[q][i] = acc[q][i] + P[RNN_OFF_U + (size_t)x[0] * RNN_GH + o + i];
#else
        for (j = 0; j < RNN_N_IN; j++) {
            const rnn_real xj = x[j], *col = P + RNN_OFF_U + j * RNN_GH + o;
            for (i = 0; i < m; i++) acc[q][i] = RNN_FMA(col[i], xj, acc[q][i]);
        }
#endif
        if (bias)
            for (i = 0; i < m; i++) acc[q][i] += bh[o + i];
    }
    (void)j;
}

/* One step of a gated cell for one column (10.40)-(10.42) or (10.45)-(10.46): from the input
 * x, h_prev = h(t-1) and c_prev = c(t-1) (lstm), h = h(t) and c = c(t).  h must not overlap
 * h_prev; c may be c_prev (each unit reads its own c(t-1) before writing). */
static void rnn_gated_col(const rnn_real *RNN_RESTRICT P, const rnn_input *RNN_RESTRICT x,
                          const rnn_real *h_prev, const rnn_real *c_prev, rnn_real *c, rnn_real *h)
{
    rnn_real acc[4][RNN_GBLK];
    size_t i0, i, j, q;
    for (i0 = 0; i0 < RNN_HIDDEN; i0 += RNN_GBLK) {
        const size_t m = RNN_HIDDEN - i0 < RNN_GBLK ? RNN_HIDDEN - i0 : RNN_GBLK;
        rnn_gated_col_inputs(P, x, i0, m, acc);
        for (j = 0; j < RNN_HIDDEN; j++) { /* + W h(t-1): rows of W in PyTorch's gate order */
            const rnn_real hj = h_prev[j], *col = P + RNN_OFF_W + j * RNN_GH + i0;
            for (q = 0; q < (RNN_CELL == RNN_CELL_LSTM ? 4u : 3u); q++)
                for (i = 0; i < m; i++) acc[q][i] = RNN_FMA(col[q * RNN_HIDDEN + i], hj, acc[q][i]);
        }
        for (i = 0; i < m; i++) {
#if RNN_CELL == RNN_CELL_LSTM
            rnn_real ig, fg, gg, og, tc;
            rnn_lstm_unit(acc[0][i], acc[1][i], acc[2][i], acc[3][i], c_prev[i0 + i], &ig, &fg, &gg,
                          &og, &c[i0 + i], &tc, &h[i0 + i]);
#else
            rnn_real rg, zg, ng;
            rnn_gru_unit(acc[0][i], acc[1][i], acc[2][i], acc[3][i], h_prev[i0 + i], &rg, &zg, &ng,
                         &h[i0 + i]);
#endif
        }
    }
    (void)c_prev, (void)c;
}
/*@ GKERNELS_EPILOGUE @*/
/* stub: uses the kernels, so this file also compiles alone under -Wall -Werror */
void rnn_gated_kernels_stub(const rnn_real *P, const rnn_input *x, rnn_real *h, rnn_real *c);
void rnn_gated_kernels_stub(const rnn_real *P, const rnn_input *x, rnn_real *h, rnn_real *c)
{
    rnn_gated_col(P, x, h, c, c, h + RNN_HIDDEN);
}
/*@ end @*/
