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
 * h = f(a) (gen/EQUATIONS.md, below (10.21)).  RNN_FMA is fused multiply-add: explicit, so every
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
 * [q RNN_PART_BATCH, (q+1) RNN_PART_BATCH) of every step.  The products over the n steps of a
 * segment of a part run over RNN_CHUNKS(n) chunks of RNN_CHUNK_COLS(n) contiguous columns,
 * RNN_BATCH columns apart (one chunk of all n x B columns when there is one part). */
#define RNN_PART_BATCH (RNN_BATCH / RNN_PARTS)
#define RNN_CHUNKS(n) (RNN_PARTS == 1 ? 1 : (n))
#define RNN_CHUNK_COLS(n) (RNN_PARTS == 1 ? (n) * RNN_BATCH : RNN_PART_BATCH)
#define RNN_X_COL (RNN_ONEHOT ? 1 : RNN_N_IN)   /* inputs per column */
#define RNN_Y_COL (RNN_LOSS == RNN_LOSS_NLL ? 1 : RNN_N_OUT) /* targets per column */
/* Values per column of the fb(t) slots at RNN_WS_FB: scheduled sampling keeps a class index
 * (nll, as an rnn_real: exact below 2^24) or RNN_N_OUT values (mse); free running uses the
 * slots of one step as scratch for R^T d(t+1) (RNN_N_OUT values). */
#define RNN_FB_COL (RNN_FB == RNN_FB_SCHEDULED && RNN_LOSS == RNN_LOSS_NLL ? 1 : RNN_N_OUT)
/* The outputs are fed back from the model (free running, scheduled sampling): o(t) is needed
 * within the sweep; and gradients flow through them (free running).  Kernels a model does
 * not use are not compiled (unused static functions draw warnings). */
#define RNN_MODEL_FB (RNN_HAS_R && RNN_FB != RNN_FB_TEACHER)
#define RNN_HAS_HALT (RNN_END == RNN_END_HALT)
#define RNN_HAS_LENGTH (RNN_END == RNN_END_LENGTH)
/* Records (section 10.2.3): column b's values at RNN_WS_SEQ + 3 b (see the header): where its
 * record ends in this chunk (0: not in it), whether step 1 starts it, its whole length.  A
 * step t after the end carries no loss and no gradient (10.32m). */
#define RNN_SEQ_END(seq, b) ((size_t)(seq)[3 * (b)])
#define RNN_SEQ_FIRST(seq, b) ((seq)[3 * (b) + 1] != 0)
#define RNN_SEQ_LENGTH(seq, b) ((size_t)(seq)[3 * (b) + 2])
#define RNN_MASKED(seq, b, t) (RNN_SEQ_END(seq, b) != 0 && (size_t)(t) > RNN_SEQ_END(seq, b))
#define RNN_DIFF_FB (RNN_HAS_R && RNN_FB == RNN_FB_FREE)
/* A gated cell (section 10.10.1): its own kernels replace the vanilla cell's (the gated
 * training kernels are copied in below for those models only). */
#define RNN_GATED (RNN_GATES > 1)

/* The share [n part / RNN_PARTS, n (part+1) / RNN_PARTS) of n items that part q handles. */
#define RNN_SHARE_BEGIN(n, q) ((size_t)(n) * (q) / RNN_PARTS)
#define RNN_SHARE(n, q) RNN_SHARE_BEGIN(n, q), RNN_SHARE_BEGIN(n, (q) + 1) /* begin, end */

/* Register tiles: RNN_TR rows by RNN_TC columns (two 512-bit vectors by 8), or RNN_TR1 rows
 * of one column (eight vectors). */
#define RNN_TR (128 / sizeof(rnn_real))
#define RNN_TC 8
#define RNN_TR1 (512 / sizeof(rnn_real))

/* One register tile: for c < nc and i < nr,
 *     Y[c * ys + i] += sum over r < nred, in order, of M[r * ms + i] * X[c * xc + r * xr],
 * stored for the rows i >= from only (0 but in rnn_tile_rest, whose rows before `from` are
 * already finished by the tile above them).  The nr x nc sums stay in local accumulators
 * (registers once the sizes are constant), M's rows are contiguous (the vectorized loop), X's
 * values are broadcast.
 * No `restrict` on purpose: gcc 12 with AVX-512 (-O3 -march=native) miscompiled an inlined
 * product with restrict-qualified arguments after the relu loop of a step (loads of h moved
 * above its stores; clang, gcc -O2 and AVX2 builds were right). */
RNN_INLINE void rnn_tile_from(rnn_real *Y, size_t ys, const rnn_real *M, size_t ms, size_t nred,
                              const rnn_real *X, size_t xc, size_t xr, size_t nr, size_t nc,
                              size_t from)
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
        for (i = from; i < nr; i++) Y[c * ys + i] = acc[c * nr + i];
}

/* rnn_tile_from storing every row. */
RNN_INLINE void rnn_tile(rnn_real *Y, size_t ys, const rnn_real *M, size_t ms, size_t nred,
                         const rnn_real *X, size_t xc, size_t xr, size_t nr, size_t nc)
{
    rnn_tile_from(Y, ys, M, ms, nred, X, xc, xr, nr, nc, 0);
}

/* The rows [i0, rows) that the whole RNN_TR-row tiles of a block of nc columns leave
 * (0 < rows - i0 < RNN_TR), arguments as rnn_tile's at row 0.  Three or more of them (in a
 * product of at least RNN_TR rows) are done as the block's last RNN_TR rows, storing only
 * rows i0 on: every stored element is the same chain of multiply-adds, so the bits are those
 * of a tile of their own, and gcc 12 (AVX-512) vectorizes a tile of 3 to RNN_TR - 1 rows
 * across its columns instead, with a permute of every accumulator at each step (measured:
 * 4 x 8 tiles at 7% of the FMA peak; a 100 x 100 += 100 x 25 times 25 x 100 product 7.8 ->
 * 6.4 us, 112 rows 16.3 -> 8.3 us; one or two rows are faster as they are).  The whole tile
 * reads RNN_TR - (rows - i0) rows of Y and M before i0 and writes none of them: Y's must be
 * the caller's own (the same columns, never another part's share). */
RNN_INLINE void rnn_tile_rest(rnn_real *Y, size_t ys, const rnn_real *M, size_t ms, size_t nred,
                              const rnn_real *X, size_t xc, size_t xr, size_t i0, size_t rows,
                              size_t nc)
{
    if (rows >= RNN_TR && rows - i0 >= 3)
        rnn_tile_from(Y + rows - RNN_TR, ys, M + rows - RNN_TR, ms, nred, X, xc, xr, RNN_TR, nc,
                      RNN_TR - (rows - i0));
    else
        rnn_tile(Y + i0, ys, M + i0, ms, nred, X, xc, xr, rows - i0, nc);
}

/* Y[:, b] += M X[:, b] for the n columns b: M is column-major rows x cols with leading
 * dimension ms (column j at M + j * ms), column b of X starts at X + b * xs, of Y at
 * Y + b * ys.  Every element sums over M's columns in order, the order of the inference
 * kernels, so the results are bit-identical to theirs. */
RNN_INLINE void rnn_gemm_ld(rnn_real *Y, size_t ys, const rnn_real *M, size_t ms, size_t rows,
                            size_t cols, const rnn_real *X, size_t xs, size_t n)
{
    size_t b0 = 0, i0;
    for (; b0 + RNN_TC <= n; b0 += RNN_TC) {
        for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, ms, cols, X + b0 * xs, xs, 1, RNN_TR, RNN_TC);
        if (i0 < rows) rnn_tile_rest(Y + b0 * ys, ys, M, ms, cols, X + b0 * xs, xs, 1, i0, rows, RNN_TC);
    }
    if (n - b0 > 1) { /* 2..RNN_TC-1 columns left */
        for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, ms, cols, X + b0 * xs, xs, 1, RNN_TR, n - b0);
        if (i0 < rows) rnn_tile_rest(Y + b0 * ys, ys, M, ms, cols, X + b0 * xs, xs, 1, i0, rows, n - b0);
    } else if (n - b0 == 1) { /* one column (batch 1): tall one-column tiles */
        for (i0 = 0; i0 + RNN_TR1 <= rows; i0 += RNN_TR1)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, ms, cols, X + b0 * xs, xs, 1, RNN_TR1, 1);
        if (i0 < rows)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, ms, cols, X + b0 * xs, xs, 1, rows - i0, 1);
    }
}

/* rnn_gemm_ld for a whole matrix M, whose leading dimension is its row count. */
RNN_INLINE void rnn_gemm_acc(rnn_real *Y, size_t ys, const rnn_real *M, size_t rows,
                             size_t cols, const rnn_real *X, size_t xs, size_t n)
{
    rnn_gemm_ld(Y, ys, M, rows, rows, cols, X, xs, n);
}

/* C += sum over the n columns k, in order, of A[:, k] X[:, k]^T: C is column-major
 * rows x cols with leading dimension cs (column j at C + j * cs), column k of A starts at
 * A + k * as (rows values), of X at X + k * xs (cols values).  The parameter gradients
 * (10.24), (10.26), (10.28) over every step and column. */
RNN_INLINE void rnn_rank_ld(rnn_real *C, size_t cs, size_t rows, size_t cols, const rnn_real *A,
                            size_t as, const rnn_real *X, size_t xs, size_t n)
{
    size_t j0 = 0, i0;
    for (; j0 + RNN_TC <= cols; j0 += RNN_TC) {
        for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR)
            rnn_tile(C + j0 * cs + i0, cs, A + i0, as, n, X + j0, 1, xs, RNN_TR, RNN_TC);
        if (i0 < rows) rnn_tile_rest(C + j0 * cs, cs, A, as, n, X + j0, 1, xs, i0, rows, RNN_TC);
    }
    if (j0 < cols) {
        for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR)
            rnn_tile(C + j0 * cs + i0, cs, A + i0, as, n, X + j0, 1, xs, RNN_TR, cols - j0);
        if (i0 < rows) rnn_tile_rest(C + j0 * cs, cs, A, as, n, X + j0, 1, xs, i0, rows, cols - j0);
    }
}

/* rnn_rank_ld for a whole matrix C, whose leading dimension is its row count. */
RNN_INLINE void rnn_rank_acc(rnn_real *C, size_t rows, size_t cols, const rnn_real *A,
                             size_t as, const rnn_real *X, size_t xs, size_t n)
{
    rnn_rank_ld(C, rows, rows, cols, A, as, X, xs, n);
}

/* MT = M^T for columns [j0, j1) of the column-major rows x cols matrix M: MT is column-major
 * cols x rows (a row-major copy of M), so that a backward product M^T v is the same column
 * product as the forward ones: no reductions, vectorizable without -ffast-math.  Blocks of
 * RNN_TB x RNN_TB: a plain transpose writes one value per cache line down a whole column
 * (measured: 72% of the update stage at hidden 256, batch 1); a block keeps its RNN_TB source
 * and destination lines in L1. */
#define RNN_TB 16
RNN_INLINE void rnn_transpose(const rnn_real *restrict M, size_t rows, size_t cols,
                              rnn_real *restrict MT, size_t j0, size_t j1)
{
    size_t i, j, ib, jb, iend, jend;
    for (jb = j0; jb < j1; jb += RNN_TB) {
        jend = jb + RNN_TB < j1 ? jb + RNN_TB : j1;
        for (ib = 0; ib < rows; ib += RNN_TB) {
            iend = ib + RNN_TB < rows ? ib + RNN_TB : rows;
            for (i = ib; i < iend; i++)
                for (j = jb; j < jend; j++) MT[i * cols + j] = M[j * rows + i];
        }
    }
}

/* Part q's share of the copies W^T (H x G H), V^T (columns of H) and R^T (columns of K)
 * that the backward products use. */
static void rnn_transpose_weights(const rnn_real *restrict P, rnn_real *restrict ws, size_t part)
{
#if RNN_HAS_W
    rnn_transpose(P + RNN_OFF_W, RNN_GH, RNN_HIDDEN, ws + RNN_WS_WT, RNN_SHARE(RNN_HIDDEN, part));
#endif
    rnn_transpose(P + RNN_OFF_V, RNN_N_OUT, RNN_HIDDEN, ws + RNN_WS_VT, RNN_SHARE(RNN_HIDDEN, part));
#if RNN_HAS_R
    rnn_transpose(P + RNN_OFF_R, RNN_HIDDEN, RNN_N_OUT, ws + RNN_WS_RT, RNN_SHARE(RNN_N_OUT, part));
#endif
}

/* ---- Forward kernels.  h(t) holds a(t) until the activation; the terms are added in the
 * order b + U x(t), R fb(t-1), W h(t-1), the order of the inference kernel rnn_hidden_col, so
 * the two give the same bits. ---- */

#if !RNN_GATED
/* The terms of (10.8) that do not depend on the past, for the n steps of a segment, every
 * column of a part: a(t) starts as b + U x(t) (one-hot: b + column x(t) of U) in h(t),
 * h = h(1) of the segment's part. */
static void rnn_inputs(const rnn_real *restrict P, const rnn_input *restrict x, rnn_real *restrict h,
                       size_t n)
{
    const rnn_real *b = P + RNN_OFF_B;
    size_t ch, k, i;
    for (ch = 0; ch < RNN_CHUNKS(n); ch++)
        for (k = ch * RNN_BATCH; k < ch * RNN_BATCH + RNN_CHUNK_COLS(n); k++) {
            rnn_real *hk = h + k * RNN_HIDDEN;
#if RNN_ONEHOT
            const rnn_real *u = P + RNN_OFF_U + (size_t)x[k] * RNN_HIDDEN;
            for (i = 0; i < RNN_HIDDEN; i++) hk[i] = b[i] + u[i];
#else
            for (i = 0; i < RNN_HIDDEN; i++) hk[i] = b[i];
#endif
        }
#if !RNN_ONEHOT
    for (ch = 0; ch < RNN_CHUNKS(n); ch++)
        rnn_gemm_acc(h + ch * RNN_BATCH * RNN_HIDDEN, RNN_HIDDEN, P + RNN_OFF_U, RNN_HIDDEN,
                     RNN_N_IN, x + ch * RNN_BATCH * RNN_N_IN, RNN_N_IN, RNN_CHUNK_COLS(n));
#endif
}
#endif

#if RNN_HAS_LENGTH
/* (10.33r) a(t) += rem_u r(t) for every step and column of a part: r(t), the record's
 * remaining steps scaled by 1/RNN_MAX_LENGTH, from the caller (rem = r(1) of the part,
 * RNN_BATCH apart per step), for the n steps of a segment.  h = a(1) of the part. */
static void rnn_remaining_inputs(const rnn_real *restrict P, const rnn_real *restrict rem,
                                 rnn_real *restrict h, size_t n)
{
    const rnn_real *u = P + RNN_OFF_REM_U;
    size_t t, bi, i;
    for (t = 0; t < n; t++)
        for (bi = 0; bi < RNN_PART_BATCH; bi++) {
            rnn_real *hb = h + (t * RNN_BATCH + bi) * RNN_HIDDEN;
            const rnn_real r = rem[t * RNN_BATCH + bi];
            for (i = 0; i < RNN_HIDDEN; i++) hb[i] = RNN_FMA(u[i], r, hb[i]);
        }
}
#endif

#if RNN_HAS_R
/* a(t) += R fb(t-1) for the columns of a part: fb holds RNN_PART_BATCH vectors of RNN_N_OUT
 * values (dense feedback: fb(0), free running's p(t-1), mse's y(t-1) or scheduled choice). */
static void rnn_feedback_dense(const rnn_real *restrict P, const rnn_real *fb, rnn_real *h)
{
    rnn_gemm_acc(h, RNN_HIDDEN, P + RNN_OFF_R, RNN_HIDDEN, RNN_N_OUT, fb, RNN_N_OUT, RNN_PART_BATCH);
}
#endif

#if RNN_HAS_R && RNN_LOSS == RNN_LOSS_NLL && RNN_FB != RNN_FB_FREE
/* a(t) += R e_j for one column: column j of R, a read and an add (one-hot feedback of nll:
 * the teacher's y(t-1), or a scheduled choice). */
static void rnn_feedback_column(const rnn_real *restrict P, size_t j, rnn_real *restrict h)
{
    const rnn_real *r = P + RNN_OFF_R + j * RNN_HIDDEN;
    size_t i;
    for (i = 0; i < RNN_HIDDEN; i++) h[i] += r[i];
}
#endif

#if RNN_HAS_R && RNN_FB == RNN_FB_SCHEDULED && RNN_LOSS == RNN_LOSS_NLL
/* a(t) += R e_j for the columns of a part, j = the class index in fb's slot (scheduled). */
static void rnn_feedback_slots(const rnn_real *restrict P, const rnn_real *fb, rnn_real *h)
{
    size_t bi;
    for (bi = 0; bi < RNN_PART_BATCH; bi++) rnn_feedback_column(P, (size_t)fb[bi], h + bi * RNN_HIDDEN);
}
#endif

#if RNN_HAS_R && RNN_FB == RNN_FB_TEACHER
/* Teacher forcing: the R fb(t-1) terms of every step at once, as the data is known in
 * advance: fb(0) from the state, then fb(t-1) = e_y(t-1) (nll) or y(t-1) (mse) (10.11t).
 * h = a(1) of the part, fb0 = fb(0) of the part, y = y(1) of the part. */
static void rnn_teacher_inputs(const rnn_real *restrict P, const rnn_target *restrict y,
                               const rnn_real *restrict fb0, rnn_real *restrict h)
{
    size_t t;
    rnn_feedback_dense(P, fb0, h);
#if RNN_LOSS == RNN_LOSS_NLL
    for (t = 2; t <= RNN_TAU; t++) {
        size_t bi;
        for (bi = 0; bi < RNN_PART_BATCH; bi++)
            rnn_feedback_column(P, (size_t)y[(t - 2) * RNN_BATCH + bi],
                                h + ((t - 1) * RNN_BATCH + bi) * RNN_HIDDEN);
    }
#else
    if (RNN_PARTS == 1) /* steps 2..tau: one product over (tau-1) x B contiguous columns */
        rnn_gemm_acc(h + RNN_BATCH * RNN_HIDDEN, RNN_HIDDEN, P + RNN_OFF_R, RNN_HIDDEN, RNN_N_OUT,
                     y, RNN_N_OUT, (RNN_TAU - 1) * RNN_BATCH);
    else
        for (t = 2; t <= RNN_TAU; t++)
            rnn_feedback_dense(P, y + (t - 2) * RNN_BATCH * RNN_N_OUT, h + (t - 1) * RNN_BATCH * RNN_HIDDEN);
#endif
}
#endif

#if (RNN_HAS_W || RNN_MODEL_FB) && !RNN_GATED
/* h(t) = f(a(t)) (10.9) for the columns of a part. */
static void rnn_activate(rnn_real *h)
{
    size_t i;
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) h[i] = RNN_F(h[i]);
}
#endif

#if RNN_HAS_R && !RNN_MODEL_FB && !RNN_HAS_W
/* h(t) = f(a(t)) (10.9) for every step and column of a part: nothing is sequential. */
static void rnn_activate_all(rnn_real *h, size_t n)
{
    size_t ch, i;
    for (ch = 0; ch < RNN_CHUNKS(n); ch++) {
        rnn_real *hc = h + ch * RNN_BATCH * RNN_HIDDEN;
        for (i = 0; i < RNN_CHUNK_COLS(n) * RNN_HIDDEN; i++) hc[i] = RNN_F(hc[i]);
    }
}
#endif

#if RNN_HAS_W && !RNN_GATED
/* Equations (10.8)-(10.9) at one step, every column of a part: h holds a(t) without
 * W h(t-1); adds W h(t-1) and applies f. */
static void rnn_hidden_step(const rnn_real *restrict P, const rnn_real *h_prev, rnn_real *h)
{
    rnn_gemm_acc(h, RNN_HIDDEN, P + RNN_OFF_W, RNN_HIDDEN, RNN_HIDDEN, h_prev, RNN_HIDDEN,
                 RNN_PART_BATCH);
    rnn_activate(h);
}
#endif

#if !RNN_MODEL_FB
/* The outputs (10.10) of the n steps of a segment, every column of a part: o(t) = c + V h(t)
 * into p, from h = h(1) of the part (the outputs are not fed back, so they wait for the
 * sweep's end). */
static void rnn_outputs(const rnn_real *restrict P, const rnn_real *restrict h, rnn_real *restrict p,
                        size_t n)
{
    const rnn_real *c = P + RNN_OFF_C;
    size_t ch, k, i;
    for (ch = 0; ch < RNN_CHUNKS(n); ch++) {
        for (k = ch * RNN_BATCH; k < ch * RNN_BATCH + RNN_CHUNK_COLS(n); k++)
            for (i = 0; i < RNN_N_OUT; i++) p[k * RNN_N_OUT + i] = c[i];
        rnn_gemm_acc(p + ch * RNN_BATCH * RNN_N_OUT, RNN_N_OUT, P + RNN_OFF_V, RNN_N_OUT,
                     RNN_HIDDEN, h + ch * RNN_BATCH * RNN_HIDDEN, RNN_HIDDEN, RNN_CHUNK_COLS(n));
    }
}

#endif

#if RNN_MODEL_FB
/* The outputs (10.10) of one step, every column of a part: o(t) = c + V h(t) into p (the
 * same arithmetic as rnn_outputs; needed at once, as step t+1 feeds it back). */
static void rnn_output_step(const rnn_real *restrict P, const rnn_real *restrict h, rnn_real *restrict p)
{
    const rnn_real *c = P + RNN_OFF_C;
    size_t k, i;
    for (k = 0; k < RNN_PART_BATCH; k++)
        for (i = 0; i < RNN_N_OUT; i++) p[k * RNN_N_OUT + i] = c[i];
    rnn_gemm_acc(p, RNN_N_OUT, P + RNN_OFF_V, RNN_N_OUT, RNN_HIDDEN, h, RNN_HIDDEN, RNN_PART_BATCH);
}
#endif

/* Equations (10.11) and (10.14) at step t, every column of a part: p(t) = softmax(o(t)) in
 * place (nll) or o(t) itself (mse); returns the sum of L(t) over the columns whose record has
 * not ended before t (10.32m). */
static double rnn_step_loss(const rnn_target *restrict y, rnn_real *restrict p,
                            const rnn_real *restrict seq, size_t t)
{
    double loss = 0;
    size_t bi;
    for (bi = 0; bi < RNN_PART_BATCH; bi++)
        loss += rnn_output_finish(RNN_MASKED(seq, bi, t) ? 0 : y + bi * RNN_Y_COL, p + bi * RNN_N_OUT);
    return loss;
}

#if RNN_HAS_R && RNN_FB == RNN_FB_SCHEDULED
/* Scheduled sampling (10.11s) at one step, every column of a part: what fb(t) is, from the
 * caller's control value (see the header): the data y(t), a draw of the model (nll: the
 * class s whose cumulative probability in p(t) first exceeds u = ctl; mse: o(t)), or the
 * caller's fixed choice already in the slot.  The choice goes to fb's slot. */
static void rnn_schedule(const rnn_target *restrict y, const rnn_real *restrict p,
                         const rnn_real *restrict ctl, rnn_real *restrict fb)
{
    size_t bi, i;
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        const rnn_real u = ctl[bi];
        const rnn_real *pb = p + bi * RNN_N_OUT;
        if (u >= 1) continue; /* the caller's choice */
#if RNN_LOSS == RNN_LOSS_NLL
        {
            size_t s = (size_t)y[bi];
            if (u >= 0) {
                /* the first class whose cumulative probability exceeds u; the last possible
                 * class if rounding leaves the sum at or below u; class 0 if none is (NaN) */
                double acc = 0;
                for (i = 0, s = 0; i < RNN_N_OUT; i++) {
                    if (!(pb[i] > 0)) continue;
                    s = i;
                    acc += pb[i];
                    if ((double)u < acc) break;
                }
            }
            fb[bi] = (rnn_real)s;
        }
#else
        for (i = 0; i < RNN_N_OUT; i++) fb[bi * RNN_N_OUT + i] = u < 0 ? y[bi * RNN_N_OUT + i] : pb[i];
#endif
    }
}
#endif

/* The state the next chunk starts from (truncated BPTT), for the columns of a part: h(tau)
 * into s1h. */
static void rnn_final_state(const rnn_real *restrict h, rnn_real *restrict s1h)
{
    size_t i;
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) s1h[i] = h[i];
}

#if RNN_HAS_R && (RNN_DIFF_FB || RNN_LOSS == RNN_LOSS_MSE)
/* fb(tau) of the next chunk's state (10.11t/f/s), for the columns of a part, when it is a
 * vector already: free running's p(tau) or o(tau), mse's y(tau) or scheduled choice. */
static void rnn_final_feedback(const rnn_real *restrict fb, rnn_real *restrict s1fb)
{
    size_t i;
    for (i = 0; i < RNN_PART_BATCH * RNN_N_OUT; i++) s1fb[i] = fb[i];
}
#elif RNN_HAS_R
/* fb(tau) of the next chunk's state as the one-hot vector e_j (nll), j the teacher's y(tau)
 * or the scheduled choice, for the columns of a part. */
static void rnn_final_feedback_class(size_t bi, size_t j, rnn_real *restrict s1fb)
{
    size_t i;
    for (i = 0; i < RNN_N_OUT; i++) s1fb[bi * RNN_N_OUT + i] = i == j ? 1 : 0;
}
#if RNN_FB == RNN_FB_TEACHER
static void rnn_final_feedback(const rnn_target *restrict y, rnn_real *restrict s1fb)
{
    size_t bi;
    for (bi = 0; bi < RNN_PART_BATCH; bi++) rnn_final_feedback_class(bi, (size_t)y[bi], s1fb);
}
#else
static void rnn_final_feedback(const rnn_real *restrict fb, rnn_real *restrict s1fb)
{
    size_t bi;
    for (bi = 0; bi < RNN_PART_BATCH; bi++) rnn_final_feedback_class(bi, (size_t)fb[bi], s1fb);
}
#endif
#endif

#if RNN_HAS_HALT
/* log(1 + e^x) in double, without overflow. */
static double rnn_softplus(double x)
{
    return x > 0 ? x + log(1 + exp(-x)) : log(1 + exp(x));
}
#endif

#if RNN_HAS_HALT
/* (10.33h) The halting unit for the n steps t0+1 .. t0+n of a segment, every column of a
 * part: q(t) = sigmoid(halt_b + halt_w h(t)) into q (RNN_BATCH apart per step), and the sum of
 * its cross-entropy L_q(t) with z(t) = [t = n] over the steps t <= n (10.32m), computed from
 * the logit s as z softplus(-s) + (1 - z) softplus(s).  h, q: at the segment's first step. */
static double rnn_halt(const rnn_real *restrict P, const rnn_real *restrict h,
                       const rnn_real *restrict seq, rnn_real *restrict q, size_t t0, size_t n)
{
    const rnn_real *w = P + RNN_OFF_HALT_W;
    double loss = 0;
    size_t t, bi, i;
    for (t = 1; t <= n; t++)
        for (bi = 0; bi < RNN_PART_BATCH; bi++) {
            const rnn_real *hb = h + ((t - 1) * RNN_BATCH + bi) * RNN_HIDDEN;
            rnn_real sl = P[RNN_OFF_HALT_B];
            for (i = 0; i < RNN_HIDDEN; i++) sl = RNN_FMA(w[i], hb[i], sl);
            q[(t - 1) * RNN_BATCH + bi] = 1 / (1 + RNN_EXP(-sl));
            if (!RNN_MASKED(seq, bi, t0 + t))
                loss += RNN_SEQ_END(seq, bi) == t0 + t ? rnn_softplus(-(double)sl) : rnn_softplus((double)sl);
        }
    return loss;
}
#endif

#if RNN_HAS_LENGTH
/* (10.33n) The length output of every column of a part, from h(0): p_n = softmax(len_b +
 * len_w h(0)) into pn (RNN_MAX_LENGTH values per column) and its gradient at the logits
 * g_n = p_n - e_n into gn (0 for the columns whose step 1 does not start a record); returns
 * the sum of L_n = -log p_n(n) over the columns whose step 1 starts a record. */
static double rnn_length_out(const rnn_real *restrict P, const rnn_real *restrict h0,
                             const rnn_real *restrict seq, rnn_real *restrict pn,
                             rnn_real *restrict gn)
{
    double loss = 0;
    size_t bi, m;
    for (bi = 0; bi < RNN_PART_BATCH; bi++)
        for (m = 0; m < RNN_MAX_LENGTH; m++) pn[bi * RNN_MAX_LENGTH + m] = P[RNN_OFF_LEN_B + m];
    rnn_gemm_acc(pn, RNN_MAX_LENGTH, P + RNN_OFF_LEN_W, RNN_MAX_LENGTH, RNN_HIDDEN, h0, RNN_HIDDEN,
                 RNN_PART_BATCH);
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        rnn_real *o = pn + bi * RNN_MAX_LENGTH, *g = gn + bi * RNN_MAX_LENGTH, mx = o[0], sum = 0;
        const int first = RNN_SEQ_FIRST(seq, bi);
        for (m = 1; m < RNN_MAX_LENGTH; m++) mx = o[m] > mx ? o[m] : mx;
        if (first) loss += (double)mx - (double)o[RNN_SEQ_LENGTH(seq, bi) - 1];
        for (m = 0; m < RNN_MAX_LENGTH; m++) {
            o[m] = RNN_EXP(o[m] - mx);
            sum += o[m];
        }
        if (first) loss += (double)RNN_LOG(sum);
        for (m = 0; m < RNN_MAX_LENGTH; m++) {
            o[m] /= sum;
            g[m] = first ? o[m] : 0;
        }
        if (first) g[RNN_SEQ_LENGTH(seq, bi) - 1] -= 1;
    }
    return loss;
}
#endif

/* ---- Backward kernels ---- */

/* Output gradient, (10.18) at step t: g_o(t) = p(t) - e_y(t) (softmax + nll) or o(t) - y(t)
 * (mse), every column of a part; 0 after the column's record has ended (10.32m). */
static void rnn_output_grad(const rnn_real *restrict p, const rnn_target *restrict y,
                            rnn_real *restrict go, const rnn_real *restrict seq, size_t t)
{
    for (size_t bi = 0; bi < RNN_PART_BATCH; bi++) {
        const rnn_real *pb = p + bi * RNN_N_OUT;
        rnn_real *gb = go + bi * RNN_N_OUT;
        /* 0 after the column's record has ended: a multiplier, not a branch (gcc 12's
         * AVX-512 vectorizer got the branch wrong) */
        const rnn_real keep = RNN_MASKED(seq, bi, t) ? 0 : 1;
        size_t i;
#if RNN_LOSS == RNN_LOSS_NLL
        for (i = 0; i < RNN_N_OUT; i++) gb[i] = keep * pb[i];
        gb[y[bi]] -= keep;
#else
        const rnn_target *yb = y + bi * RNN_N_OUT;
        for (i = 0; i < RNN_N_OUT; i++) gb[i] = keep * (pb[i] - yb[i]);
#endif
    }
}

#if RNN_DIFF_FB
/* Free running, (10.18f) at one step, every column of a part: the gradient that reaches
 * o(t) through fb(t) = p(t) (or o(t)) and R: r = R^T d(t+1) (into the scratch r), then
 * g_o(t) += p (.) (r - (p^T r) 1) (nll: the softmax's Jacobian) or += r (mse). */
static void rnn_feedback_grad(const rnn_real *restrict RT, const rnn_real *restrict d_next,
                              const rnn_real *restrict p, rnn_real *restrict r,
                              rnn_real *restrict go)
{
    size_t bi, i;
    for (i = 0; i < RNN_PART_BATCH * RNN_N_OUT; i++) r[i] = 0;
    rnn_gemm_acc(r, RNN_N_OUT, RT, RNN_N_OUT, RNN_HIDDEN, d_next, RNN_HIDDEN, RNN_PART_BATCH);
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        const rnn_real *pb = p + bi * RNN_N_OUT, *rb = r + bi * RNN_N_OUT;
        rnn_real *gb = go + bi * RNN_N_OUT;
#if RNN_LOSS == RNN_LOSS_NLL
        double dot = 0;
        for (i = 0; i < RNN_N_OUT; i++) dot += (double)pb[i] * (double)rb[i];
        {
            const rnn_real pr = (rnn_real)dot;
            for (i = 0; i < RNN_N_OUT; i++) gb[i] = RNN_FMA(pb[i], rb[i] - pr, gb[i]);
        }
#else
        (void)pb;
        for (i = 0; i < RNN_N_OUT; i++) gb[i] += rb[i];
#endif
    }
}

/* The V^T g_o(t) term of (10.21f) at one step, every column of a part (free running: g_o(t)
 * is complete only once step t+1's d is known), and the halting unit's halt_w^T g_q(t)
 * (10.33h; gq = g_q(t) of the part). */
static void rnn_output_back_step(const rnn_real *restrict VT, const rnn_real *restrict go,
                                 rnn_real *restrict gh, const rnn_real *restrict P,
                                 const rnn_real *restrict gq)
{
    size_t i;
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) gh[i] = 0;
    rnn_gemm_acc(gh, RNN_HIDDEN, VT, RNN_HIDDEN, RNN_N_OUT, go, RNN_N_OUT, RNN_PART_BATCH);
#if RNN_HAS_HALT
    for (size_t bi = 0; bi < RNN_PART_BATCH; bi++)
        for (i = 0; i < RNN_HIDDEN; i++)
            gh[bi * RNN_HIDDEN + i] = RNN_FMA(P[RNN_OFF_HALT_W + i], gq[bi], gh[bi * RNN_HIDDEN + i]);
#else
    (void)P;
    (void)gq;
#endif
}
#else
/* The V^T g_o(t) term of (10.19)/(10.21) for the n steps of a segment, every column of a
 * part: gh(t) = V^T g_o(t).  VT: the copy made by rnn_transpose_weights. */
static void rnn_output_back(const rnn_real *restrict VT, const rnn_real *restrict go,
                            rnn_real *restrict gh, size_t n)
{
    size_t ch, i;
    for (ch = 0; ch < RNN_CHUNKS(n); ch++) {
        rnn_real *g = gh + ch * RNN_BATCH * RNN_HIDDEN;
        for (i = 0; i < RNN_CHUNK_COLS(n) * RNN_HIDDEN; i++) g[i] = 0;
        rnn_gemm_acc(g, RNN_HIDDEN, VT, RNN_HIDDEN, RNN_N_OUT, go + ch * RNN_BATCH * RNN_N_OUT,
                     RNN_N_OUT, RNN_CHUNK_COLS(n));
    }
}
#endif

#if (RNN_HAS_W || RNN_DIFF_FB) && !RNN_GATED
/* Equations (10.19)/(10.21) at one step, every column of a part: gh holds V^T g_o(t); adds
 * W^T d(t+1) (d_next is null at t = tau, and without W), then d(t) = f'(a(t)) (.) grad_h(t),
 * with f' written from h(t).  WT: the copy made by rnn_transpose_weights. */
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
#endif

#if RNN_HAS_R && !RNN_HAS_W && !RNN_DIFF_FB
/* (10.21o) for every step and column of a part: d(t) = f'(a(t)) (.) V^T g_o(t), as nothing of
 * step t+1 depends on h(t).  h = h(1), gh = grad_h(1), d = d(1) of the part. */
static void rnn_hidden_grad_all(const rnn_real *restrict h, const rnn_real *restrict gh,
                                rnn_real *restrict d, size_t n)
{
    size_t ch, i;
    for (ch = 0; ch < RNN_CHUNKS(n); ch++) {
        const size_t o = ch * RNN_BATCH * RNN_HIDDEN;
        for (i = 0; i < RNN_CHUNK_COLS(n) * RNN_HIDDEN; i++) d[o + i] = RNN_DF(h[o + i]) * gh[o + i];
    }
}
#endif

#if !RNN_GATED
/* The gradient of the initial state, every column of a part: (h0) grad_h(0) = W^T d(1) into
 * gh0 (zero without W: h(0) is then unused), and (fb0) grad_fb(0) = R^T d(1) into gfb0. */
static void rnn_state_grad(const rnn_real *restrict ws, const rnn_real *restrict d1,
                           rnn_real *restrict gh0, rnn_real *restrict gfb0)
{
    size_t i;
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) gh0[i] = 0;
#if RNN_HAS_W
    rnn_gemm_acc(gh0, RNN_HIDDEN, ws + RNN_WS_WT, RNN_HIDDEN, RNN_HIDDEN, d1, RNN_HIDDEN, RNN_PART_BATCH);
#endif
#if RNN_HAS_R
    for (i = 0; i < RNN_PART_BATCH * RNN_N_OUT; i++) gfb0[i] = 0;
    rnn_gemm_acc(gfb0, RNN_N_OUT, ws + RNN_WS_RT, RNN_N_OUT, RNN_HIDDEN, d1, RNN_HIDDEN,
                 RNN_PART_BATCH);
#endif
    (void)ws;
    (void)d1;
    (void)gfb0;
}
#endif

#if RNN_HAS_HALT
/* (10.33h) g_q(t) = q(t) - z(t) (0 after the end, 10.32m) for the n steps t0+1 .. t0+n of a
 * segment, every column of a part, into gq; without free running also grad_h(t) +=
 * halt_w^T g_q(t) into gh (which holds V^T g_o(t) already); free running adds it in
 * rnn_output_back_step. */
static void rnn_halt_grad(const rnn_real *restrict P, const rnn_real *restrict q,
                          const rnn_real *restrict seq, rnn_real *restrict gq, rnn_real *restrict gh,
                          size_t t0, size_t n)
{
    const rnn_real *w = P + RNN_OFF_HALT_W;
    size_t t, bi, i;
    for (t = 1; t <= n; t++)
        for (bi = 0; bi < RNN_PART_BATCH; bi++) {
            const size_t k = (t - 1) * RNN_BATCH + bi;
            const rnn_real g = RNN_MASKED(seq, bi, t0 + t) ? 0 : q[k] - (RNN_SEQ_END(seq, bi) == t0 + t ? 1 : 0);
            rnn_real *ghb = gh + k * RNN_HIDDEN;
            gq[k] = g;
            for (i = 0; i < RNN_HIDDEN && !RNN_DIFF_FB; i++) ghb[i] = RNN_FMA(w[i], g, ghb[i]);
        }
}
#endif

#if RNN_HAS_LENGTH
/* (10.33n) grad_h(0) += len_w^T g_n for the columns of a part, into gh0 (after rnn_state_grad;
 * g_n from rnn_length_out). */
static void rnn_length_grad(const rnn_real *restrict P, const rnn_real *restrict gn,
                            rnn_real *restrict gh0)
{
    const rnn_real *lw = P + RNN_OFF_LEN_W;
    size_t bi, m, j;
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        const rnn_real *g = gn + bi * RNN_MAX_LENGTH;
        for (j = 0; j < RNN_HIDDEN; j++) {
            rnn_real acc = gh0[bi * RNN_HIDDEN + j];
            for (m = 0; m < RNN_MAX_LENGTH; m++) acc = RNN_FMA(lw[j * RNN_MAX_LENGTH + m], g[m], acc);
            gh0[bi * RNN_HIDDEN + j] = acc;
        }
    }
}
#endif

/* ---- Parameter gradients ---- */

#if RNN_HAS_R
/* fb(t-1) of grad_R is one-hot for nll unless it is free running's p(t-1). */
#define RNN_FB_ONEHOT (RNN_LOSS == RNN_LOSS_NLL && RNN_FB != RNN_FB_FREE)

/* (10.26r) grad_R = sum_t d(t) fb(t-1)^T for a share of grad_R's elements (rows [i0, i1) of
 * every column when fb is one-hot, else columns [c0, c1)), each element summed over the
 * steps and columns k = (t-1) B + b in order: fb(0) from fb0 (a dense vector), then fb(t-1)
 * from fb (RNN_N_OUT values per column: p(t-1), y(t-1) or the scheduled slots) or, one-hot,
 * as class indices: idx (the teacher's y(t-1)) or the scheduled slots fb. */
RNN_INLINE void rnn_grad_R(rnn_real *restrict gR, const rnn_real *restrict d,
                           const rnn_real *restrict fb0, const rnn_real *fb, const int32_t *idx,
                           size_t i0, size_t i1, size_t c0, size_t c1)
{
    const size_t n1 = (RNN_TAU - 1) * RNN_BATCH;
    size_t k, i, j;
    if (!RNN_FB_ONEHOT) {
        rnn_rank_acc(gR + c0 * RNN_HIDDEN, RNN_HIDDEN, c1 - c0, d, RNN_HIDDEN, fb0 + c0, RNN_N_OUT,
                     RNN_BATCH);
        rnn_rank_acc(gR + c0 * RNN_HIDDEN, RNN_HIDDEN, c1 - c0, d + RNN_BATCH * RNN_HIDDEN,
                     RNN_HIDDEN, fb + c0, RNN_N_OUT, n1);
        return;
    }
    for (k = 0; k < RNN_BATCH; k++)
        for (j = 0; j < RNN_N_OUT; j++) {
            const rnn_real f = fb0[k * RNN_N_OUT + j];
            for (i = i0; i < i1; i++)
                gR[j * RNN_HIDDEN + i] = RNN_FMA(d[k * RNN_HIDDEN + i], f, gR[j * RNN_HIDDEN + i]);
        }
    for (k = 0; k < n1; k++) {
        /* one-hot fb(t-1) = e_j: add d(t) into column j, no multiply */
        const rnn_real *dk = d + (RNN_BATCH + k) * RNN_HIDDEN;
        rnn_real *col = gR + (idx ? (size_t)idx[k] : (size_t)fb[k]) * RNN_HIDDEN;
        for (i = i0; i < i1; i++) col[i] += dk[i];
    }
}
#endif

#if !RNN_GATED
/* The parameter gradients (10.22)-(10.28), each element a sum over every step and column
 * k = (t-1) B + b in order, for the share of the elements given by the ranges: columns
 * [j0, j1) of grad_V and grad_W, rows [i0, i1) of grad_b (and of one-hot grad_U and grad_R),
 * rows [c0, c1) of grad_c (and columns of dense grad_R), columns [u0, u1) of dense grad_U.
 * Those elements of G must be zero.  grad_c = sum g_o(t), grad_b = sum d(t),
 * grad_V = sum g_o(t) h(t)^T, grad_W = sum d(t) h(t-1)^T, grad_U = sum d(t) x(t)^T,
 * grad_R = sum d(t) fb(t-1)^T, over the given steps of a segment (every step with an output
 * recurrence: one segment).  h = h(0) of the segment; fb0, fb, idx: the feedback
 * (rnn_grad_R). */
RNN_INLINE void rnn_param_grads_share(rnn_real *restrict G, const rnn_real *restrict go,
                                      const rnn_real *restrict d, const rnn_real *restrict h,
                                      const rnn_input *restrict x, const rnn_real *fb0,
                                      const rnn_real *fb, const int32_t *idx, size_t steps,
                                      size_t j0, size_t j1, size_t i0, size_t i1, size_t c0,
                                      size_t c1, size_t u0, size_t u1)
{
    rnn_real *gU = G + RNN_OFF_U, *gb = G + RNN_OFF_B, *gc = G + RNN_OFF_C;
    const size_t n = steps * RNN_BATCH;
    size_t k, i;
    for (k = 0; k < n; k++) {
        const rnn_real *gok = go + k * RNN_N_OUT, *dk = d + k * RNN_HIDDEN;
        for (i = c0; i < c1; i++) gc[i] += gok[i];
        for (i = i0; i < i1; i++) gb[i] += dk[i];
    }
    rnn_rank_acc(G + RNN_OFF_V + j0 * RNN_N_OUT, RNN_N_OUT, j1 - j0, go, RNN_N_OUT,
                 h + RNN_BATCH * RNN_HIDDEN + j0, RNN_HIDDEN, n);
#if RNN_HAS_W
    rnn_rank_acc(G + RNN_OFF_W + j0 * RNN_HIDDEN, RNN_HIDDEN, j1 - j0, d, RNN_HIDDEN, h + j0,
                 RNN_HIDDEN, n);
#endif
#if RNN_HAS_R
    rnn_grad_R(G + RNN_OFF_R, d, fb0, fb, idx, i0, i1, c0, c1);
#else
    (void)fb0;
    (void)fb;
    (void)idx;
#endif
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
#endif

#if RNN_HAS_HALT || RNN_HAS_LENGTH
/* The end outputs' gradients (section 10.2.3) for part's share of their elements (columns
 * [j0, j1) of H, rows [m0, m1) of len_b; halt_b in the part whose share of H ends at H),
 * each summed over the steps and columns k = (t-1) B + b of the segment starting after step t0
 * in order (the length output's with the first segment):
 * (10.33h) grad_halt_w = sum g_q(t) h(t)^T, grad_halt_b = sum g_q(t);
 * (10.33n) grad_len_w = sum_b g_n h(0)^T, grad_len_b = sum_b g_n;
 * (10.33r) grad_rem_u = sum d(t) r(t).  h = h(0) of the whole workspace. */
static void rnn_end_grads(rnn_real *restrict G, const rnn_real *restrict d,
                          const rnn_real *restrict h, const rnn_real *restrict ws, size_t part,
                          size_t t0, size_t steps)
{
    const size_t j0 = RNN_SHARE_BEGIN(RNN_HIDDEN, part), j1 = RNN_SHARE_BEGIN(RNN_HIDDEN, part + 1);
    const size_t n = steps * RNN_BATCH;
    size_t k, i;
    (void)d;
#if RNN_HAS_HALT
    const rnn_real *gq = ws + RNN_WS_GQ + t0 * RNN_BATCH;
    for (k = 0; k < n; k++) {
        const rnn_real *hk = h + (RNN_BATCH + k) * RNN_HIDDEN;
        for (i = j0; i < j1; i++) G[RNN_OFF_HALT_W + i] = RNN_FMA(gq[k], hk[i], G[RNN_OFF_HALT_W + i]);
        if (j1 == RNN_HIDDEN) G[RNN_OFF_HALT_B] += gq[k];
    }
#endif
#if RNN_HAS_LENGTH
    const rnn_real *gn = ws + RNN_WS_GN, *rem = ws + RNN_WS_REM + t0 * RNN_BATCH;
    const size_t m0 = RNN_SHARE_BEGIN(RNN_MAX_LENGTH, part), m1 = RNN_SHARE_BEGIN(RNN_MAX_LENGTH, part + 1);
    size_t m;
    for (k = 0; k < RNN_BATCH && t0 == 0; k++) { /* the length output: once, with the first segment */
        const rnn_real *g = gn + k * RNN_MAX_LENGTH, *h0 = h + k * RNN_HIDDEN;
        for (i = j0; i < j1; i++)
            for (m = 0; m < RNN_MAX_LENGTH; m++)
                G[RNN_OFF_LEN_W + i * RNN_MAX_LENGTH + m] =
                    RNN_FMA(g[m], h0[i], G[RNN_OFF_LEN_W + i * RNN_MAX_LENGTH + m]);
        for (m = m0; m < m1; m++) G[RNN_OFF_LEN_B + m] += g[m];
    }
    for (k = 0; k < n; k++)
        for (i = j0; i < j1; i++)
            G[RNN_OFF_REM_U + i] = RNN_FMA(d[k * RNN_HIDDEN + i], rem[k], G[RNN_OFF_REM_U + i]);
#endif
}
#endif

#if !RNN_GATED
/* Part `part`'s share of the parameter gradients (rnn_param_grads_share, rnn_end_grads): the
 * same sums, in the same order, however the elements are shared out. */
static void rnn_param_grads(rnn_real *restrict G, const rnn_real *restrict go,
                            const rnn_real *restrict d, const rnn_real *restrict h,
                            const rnn_input *restrict x, const rnn_real *fb0, const rnn_real *fb,
                            const int32_t *idx, const rnn_real *restrict ws, size_t part,
                            size_t t0, size_t steps)
{
#if RNN_HAS_HALT || RNN_HAS_LENGTH
    rnn_end_grads(G, d, h, ws, part, t0, steps);
#else
    (void)ws;
    (void)t0;
#endif
    /* Constant ranges in each call, so every product is specialised. */
#if RNN_PARTS == 2
    if (part) {
        rnn_param_grads_share(G, go, d, h, x, fb0, fb, idx, steps, RNN_SHARE(RNN_HIDDEN, 1),
                              RNN_SHARE(RNN_HIDDEN, 1), RNN_SHARE(RNN_N_OUT, 1),
                              RNN_SHARE(RNN_N_IN, 1));
        return;
    }
#endif
    (void)part;
    rnn_param_grads_share(G, go, d, h, x, fb0, fb, idx, steps, RNN_SHARE(RNN_HIDDEN, 0),
                          RNN_SHARE(RNN_HIDDEN, 0), RNN_SHARE(RNN_N_OUT, 0), RNN_SHARE(RNN_N_IN, 0));
}
#endif
/*@ GATED @*/
/*@ end @*/

/*@ UPDATE @*/
#include "rnn_update.c"
/*@ end @*/

/* ---- The unrolled graph: one block per time step, each citing its equations.  The steps
 * are written out in segment functions (templates/rnn_segment.c), one block per step: the
 * whole tau in one segment by default, or RNN_NSEG segments of RNN_SEG steps (the last of
 * RNN_SEG_LAST) that the part functions below loop over (--memory, --segment).  Each part
 * function runs one batch part (see rnn_train_part in the header); pointers are moved to the
 * part's first column, and the segment's constants step over whole steps of RNN_BATCH
 * columns.  The names the step holes use are the pointers declared in the segment
 * functions (gen/plan.c's table of operands). ---- */

/*@ SEGMENTS @*/
/* stub (the generator writes the segment functions of templates/rnn_segment.c here): one
 * segment of RNN_TAU steps, using the kernels, so this file compiles on its own */
static double rnn_forward_last(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                               rnn_real *h, rnn_real *p, const rnn_real *fb0, rnn_real *fb,
                               const rnn_real *ctl, const rnn_real *seq, const rnn_real *rem,
                               rnn_real *q, rnn_real *g, rnn_real *cs, size_t t0)
{
    double loss = 0;
    rnn_inputs(params, x, h + RNN_BATCH * RNN_HIDDEN, RNN_TAU);
    rnn_hidden_step(params, h, h + RNN_BATCH * RNN_HIDDEN);
    rnn_outputs(params, h + RNN_BATCH * RNN_HIDDEN, p, RNN_TAU);
    loss += rnn_step_loss(y, p, seq, t0 + 1);
    (void)fb0, (void)fb, (void)ctl, (void)rem, (void)q, (void)g, (void)cs;
    return loss;
}
static void rnn_backward_last(const rnn_real *params, const rnn_target *y, const rnn_real *h,
                              const rnn_real *p, rnn_real *go, rnn_real *gh, rnn_real *d,
                              const rnn_real *dn, rnn_real *r, const rnn_real *WT,
                              const rnn_real *VT, const rnn_real *RT, const rnn_real *seq,
                              const rnn_real *q, rnn_real *gq, const rnn_real *g,
                              const rnn_real *cs, rnn_real *gc, size_t t0)
{
    rnn_output_grad(p, y, go, seq, t0 + 1);
    rnn_output_back(VT, go, gh, RNN_TAU);
    rnn_hidden_grad(WT, dn, h + RNN_BATCH * RNN_HIDDEN, gh, d);
    (void)params, (void)r, (void)RT, (void)q, (void)gq, (void)g, (void)cs, (void)gc;
}
static void rnn_grads_last(rnn_real *grads, const rnn_real *go, const rnn_real *d, const rnn_real *h,
                           const rnn_input *x, const rnn_real *fb0, const rnn_real *fb,
                           const int32_t *idx, const rnn_real *ws, size_t part, size_t t0)
{
    rnn_param_grads(grads, go, d, h, x, fb0, fb, idx, ws, part, t0, RNN_TAU);
}
/*@ end @*/

/* The node buffers of a part and the segment starting after step t0: in the whole
 * workspace, or (recompute) in the one segment's buffers. */
typedef struct {
    rnn_real *h, *p, *go, *gh, *d;
    rnn_real *g, *c, *gc;     /* gated cells: the gates, c(t) and grad_c(t) (lstm) */
} rnn_nodes;

static rnn_nodes rnn_nodes_at(rnn_real *ws, size_t col, size_t t0)
{
    rnn_nodes n;
    const size_t s = RNN_RECOMPUTE ? 0 : t0 * RNN_BATCH;  /* columns before the segment */
    n.h = ws + RNN_WS_H + (s + col) * RNN_HIDDEN;
    n.p = ws + RNN_WS_P + (s + col) * RNN_N_OUT;
    n.go = ws + RNN_WS_GO + (s + col) * RNN_N_OUT;
    n.gh = ws + RNN_WS_GH + (s + col) * RNN_HIDDEN;
    n.d = ws + RNN_WS_D + (s + col) * RNN_DCOL;
    n.g = ws + RNN_WS_G + (s + col) * RNN_GCOL;
    n.c = ws + RNN_WS_C + (s + col) * RNN_HIDDEN;
    n.gc = ws + RNN_WS_GC + (s + col) * RNN_HIDDEN;
    return n;
}

/* The forward pass of segment seg (steps t0+1 .. t0+n) of a part; its h(0) is in place. */
static double rnn_forward_segment(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                                  rnn_real *ws, size_t part, size_t seg)
{
    const size_t col = part * RNN_PART_BATCH, t0 = seg * RNN_SEG;
    const rnn_nodes n = rnn_nodes_at(ws, col, t0);
    const rnn_input *xs = x + (t0 * RNN_BATCH + col) * RNN_X_COL;
    const rnn_target *ys = y + (t0 * RNN_BATCH + col) * RNN_Y_COL;
    rnn_real *fb0 = ws + RNN_WS_FB0 + col * RNN_N_OUT;
    rnn_real *fb = ws + RNN_WS_FB + col * RNN_FB_COL;
    const rnn_real *ctl = ws + RNN_WS_CTL + col, *seq = ws + RNN_WS_SEQ + 3 * col;
    const rnn_real *rem = ws + RNN_WS_REM + t0 * RNN_BATCH + col;
    rnn_real *q = ws + RNN_WS_Q + t0 * RNN_BATCH + col;
    if (seg + 1 == RNN_NSEG)
        return rnn_forward_last(params, xs, ys, n.h, n.p, fb0, fb, ctl, seq, rem, q, n.g, n.c, t0);
#if RNN_NSEG > 1
    return rnn_forward_seg(params, xs, ys, n.h, n.p, fb0, fb, ctl, seq, rem, q, n.g, n.c, t0);
#else
    return 0;
#endif
}

static double rnn_forward_part(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                               const rnn_real *s0, rnn_real *ws, size_t part)
{
    const size_t col = part * RNN_PART_BATCH; /* the part's first column */
    const rnn_real *seq = ws + RNN_WS_SEQ + 3 * col;     /* the records' ends */
    rnn_real *h = ws + RNN_WS_H + col * RNN_HIDDEN;       /* h(0) */
    rnn_real *fb0 = ws + RNN_WS_FB0 + col * RNN_N_OUT;    /* fb(0) */
    rnn_real *pn = ws + RNN_WS_PN + col * RNN_MAX_LENGTH; /* --end length: p_n, g_n */
    rnn_real *gn = ws + RNN_WS_GN + col * RNN_MAX_LENGTH;
    rnn_real *s1h = ws + RNN_WS_S1 + col * RNN_HIDDEN;    /* the final state */
    rnn_real *s1fb = ws + RNN_WS_S1 + RNN_S0_FB + col * RNN_N_OUT;
    rnn_real *s1c = ws + RNN_WS_S1 + RNN_S0_C + col * RNN_HIDDEN;   /* lstm: c(tau) */
    double loss = 0;
    size_t i, seg;
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) h[i] = s0[col * RNN_HIDDEN + i];
#if RNN_CELL == RNN_CELL_LSTM
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++)
        ws[RNN_WS_C + col * RNN_HIDDEN + i] = s0[RNN_S0_C + col * RNN_HIDDEN + i];
#endif
#if RNN_HAS_R
    for (i = 0; i < RNN_PART_BATCH * RNN_N_OUT; i++) fb0[i] = s0[RNN_S0_FB + col * RNN_N_OUT + i];
#endif
    /*@ FORWARD_BEGIN @*/
    /*@ end @*/
    for (seg = 0; seg < RNN_NSEG; seg++) {
#if RNN_RECOMPUTE
        /* keep the segment's h(0), then run it in the segment buffer from there */
        rnn_real *ck = ws + RNN_WS_HCK + (seg * RNN_BATCH + col) * RNN_HIDDEN;
        if (seg > 0)
            for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) h[i] = h[RNN_SEG * RNN_BATCH * RNN_HIDDEN + i];
        for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) ck[i] = h[i];
#endif
        loss += rnn_forward_segment(params, x, y, ws, part, seg);
    }
    {
        /* the last step's slices, for the final state */
        const size_t tl = RNN_TAU - RNN_SEG_LAST; /* steps before the last segment */
        const rnn_nodes n = rnn_nodes_at(ws, col, tl);
        const rnn_real *hT = n.h + RNN_SEG_LAST * RNN_BATCH * RNN_HIDDEN;
        const rnn_real *pT = n.p + (RNN_SEG_LAST - 1) * RNN_BATCH * RNN_N_OUT;
        const rnn_target *yT = y + ((RNN_TAU - 1) * RNN_BATCH + col) * RNN_Y_COL;
        const rnn_real *fbT = ws + RNN_WS_FB + ((RNN_TAU - 1) * RNN_BATCH + col) * RNN_FB_COL;
        const rnn_real *cT = n.c + RNN_SEG_LAST * RNN_BATCH * RNN_HIDDEN;
        /*@ FORWARD_END @*/
        rnn_final_state(hT, s1h);
        /*@ end @*/
        (void)pT;
        (void)yT;
        (void)fbT;
        (void)cT;
    }
    (void)seq;
    (void)fb0;
    (void)pn;
    (void)gn;
    (void)s1fb;
    (void)s1c;
    return loss;
}

/* The backward sweep of segment seg of a part, from d(t0+n+1) in dn (null after the last
 * step); with recompute, the segment's forward pass is run again first, from its h(0). */
static void rnn_backward_segment(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                                 rnn_real *ws, size_t part, size_t seg, const rnn_real *dn)
{
    const size_t col = part * RNN_PART_BATCH, t0 = seg * RNN_SEG;
    const rnn_nodes n = rnn_nodes_at(ws, col, t0);
    const rnn_target *ys = y + (t0 * RNN_BATCH + col) * RNN_Y_COL;
    rnn_real *r = ws + RNN_WS_FB + col * RNN_FB_COL;      /* free running's scratch */
    const rnn_real *WT = ws + RNN_WS_WT, *VT = ws + RNN_WS_VT, *RT = ws + RNN_WS_RT;
    const rnn_real *seq = ws + RNN_WS_SEQ + 3 * col;
    const rnn_real *q = ws + RNN_WS_Q + t0 * RNN_BATCH + col;
    rnn_real *gq = ws + RNN_WS_GQ + t0 * RNN_BATCH + col;
#if RNN_RECOMPUTE
    if (seg + 1 < RNN_NSEG) { /* the last segment is still in the buffers after the forward pass */
        size_t i;
        const rnn_real *ck = ws + RNN_WS_HCK + (seg * RNN_BATCH + col) * RNN_HIDDEN;
        for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) n.h[i] = ck[i];
        (void)rnn_forward_segment(params, x, y, ws, part, seg);
    }
#else
    (void)x;
#endif
    if (seg + 1 == RNN_NSEG) {
        rnn_backward_last(params, ys, n.h, n.p, n.go, n.gh, n.d, dn, r, WT, VT, RT, seq, q, gq, n.g,
                          n.c, n.gc, t0);
        return;
    }
#if RNN_NSEG > 1
    rnn_backward_seg(params, ys, n.h, n.p, n.go, n.gh, n.d, dn, r, WT, VT, RT, seq, q, gq, n.g, n.c,
                     n.gc, t0);
#endif
}

/* Part `part`'s share of the parameter gradients of segment seg, from the workspace (with
 * recompute, right after the segment's backward sweep, while its nodes are there).  The
 * feedback of grad_R (10.26r): fb(0) kept by the forward pass, then fb(t-1) as the teacher's
 * y(t-1), free running's p(t-1) or the scheduled slots; as indices when one-hot (nll). */
static void rnn_grads_segment(const rnn_input *x, const rnn_target *y, const rnn_real *ws,
                              rnn_real *grads, size_t part, size_t seg)
{
    const size_t t0 = seg * RNN_SEG, s = RNN_RECOMPUTE ? 0 : t0 * RNN_BATCH;
    const rnn_real *h = ws + RNN_WS_H + s * RNN_HIDDEN, *go = ws + RNN_WS_GO + s * RNN_N_OUT;
    const rnn_real *d = ws + RNN_WS_D + s * RNN_HIDDEN;
    const rnn_input *xs = x + t0 * RNN_BATCH * RNN_X_COL;
    const rnn_real *fb0 = ws + RNN_WS_FB0, *fb = 0;
    const int32_t *idx = 0;
#if RNN_HAS_R && RNN_FB == RNN_FB_TEACHER && RNN_LOSS == RNN_LOSS_NLL
    idx = y;
#elif RNN_HAS_R && RNN_FB == RNN_FB_TEACHER
    fb = y;
#elif RNN_HAS_R && RNN_FB == RNN_FB_FREE
    fb = ws + RNN_WS_P;
#elif RNN_HAS_R
    fb = ws + RNN_WS_FB; /* scheduled: indices (nll) or vectors (mse) */
#endif
    (void)y;
    if (seg + 1 == RNN_NSEG)
        rnn_grads_last(grads, go, d, h, xs, fb0, fb, idx, ws, part, t0);
#if RNN_NSEG > 1
    else rnn_grads_seg(grads, go, d, h, xs, fb0, fb, idx, ws, part, t0);
#endif
}

static void rnn_backward_part(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                              rnn_real *ws, rnn_real *grads, size_t part)
{
    const size_t col = part * RNN_PART_BATCH;
    rnn_real *gh0 = ws + RNN_WS_GS0 + col * RNN_HIDDEN;
    rnn_real *gfb0 = ws + RNN_WS_GS0 + RNN_S0_FB + col * RNN_N_OUT;
    rnn_real *gc0 = ws + RNN_WS_GS0 + RNN_S0_C + col * RNN_HIDDEN;    /* lstm: grad_c(0) */
    const rnn_real *gn = ws + RNN_WS_GN + col * RNN_MAX_LENGTH;
    const rnn_nodes n1 = rnn_nodes_at(ws, col, 0);                    /* step 1's nodes */
    const rnn_real *g = n1.g, *gh = n1.gh, *gc = n1.gc;
    const rnn_real *dn = 0, *d;
    size_t seg = RNN_NSEG;
    while (seg-- > 0) {
        rnn_backward_segment(params, x, y, ws, part, seg, dn);
        d = rnn_nodes_at(ws, col, seg * RNN_SEG).d;     /* d(t0+1) of the segment */
#if RNN_RECOMPUTE
        {
            /* the segment buffer is reused: keep d(t0+1) for the segment before, and take this
             * segment's share of the parameter gradients while its nodes are there */
            rnn_real *carry = ws + RNN_WS_DN + col * RNN_HIDDEN;
            size_t i;
            if (seg > 0)
                for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) carry[i] = d[i];
            rnn_grads_segment(x, y, ws, grads, part, seg);
            dn = carry;
        }
#else
        (void)grads;
        dn = d;
#endif
    }
    d = rnn_nodes_at(ws, col, 0).d;                      /* d(1) */
    /*@ BACKWARD_END @*/
    rnn_state_grad(ws, d, gh0, gfb0);
    /*@ end @*/
    (void)gn;
    (void)gfb0;
    (void)gc0;
    (void)g;
    (void)gh;
    (void)gc;
}

/* Part `part`'s share of the parameter gradients, segment by segment from the last (the
 * order of recompute's, so both give the same bits); with recompute they were taken during
 * the backward sweep. */
static void rnn_grads_part(const rnn_input *x, const rnn_target *y, const rnn_real *ws,
                           rnn_real *grads, size_t part)
{
    size_t seg = RNN_NSEG;
    if (RNN_RECOMPUTE) return;
    while (seg-- > 0) rnn_grads_segment(x, y, ws, grads, part, seg);
}

/* Stage 0's preparation of the backward pass: part q's share of the W^T, V^T, R^T copies
 * and of zeroing grads (whose padding must stay zero). */
static void rnn_backward_prepare(const rnn_real *params, rnn_real *ws, rnn_real *grads, size_t part)
{
    size_t i;
    rnn_transpose_weights(params, ws, part);
    for (i = RNN_SHARE_BEGIN(RNN_PARAMS_COUNT, part); i < RNN_SHARE_BEGIN(RNN_PARAMS_COUNT, part + 1); i++)
        grads[i] = 0;
}

rnn_real rnn_forward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                     const rnn_real *s0, rnn_real *ws)
{
    double loss = 0;
    size_t q;
    for (q = 0; q < RNN_PARTS; q++) loss += rnn_forward_part(params, x, y, s0, ws, q);
    return (rnn_real)loss;
}

void rnn_backward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                  rnn_real *ws, rnn_real *grads)
{
    size_t q;
    for (q = 0; q < RNN_PARTS; q++) rnn_backward_prepare(params, ws, grads, q);
    for (q = 0; q < RNN_PARTS; q++) rnn_backward_part(params, x, y, ws, grads, q);
    for (q = 0; q < RNN_PARTS; q++) rnn_grads_part(x, y, ws, grads, q);
}

void rnn_step(const rnn_real *params, const rnn_input *x, const rnn_real *s_in,
              rnn_real *s_out, rnn_real *out)
{
    const rnn_real r = RNN_HAS_LENGTH ? s_in[RNN_STEP_R] : 0;
#if RNN_GATED
    /* (10.40)-(10.42), (10.45)-(10.46): c (lstm) follows h (and fb) in the state */
    rnn_gated_col(params, x, s_in, s_in + RNN_STEP_C, s_out + RNN_STEP_C, s_out);
    (void)r;
#else
    rnn_hidden_col(params, x, r, s_in, s_in + RNN_HIDDEN, s_out);
#endif
    (void)rnn_output_col(params, s_out, 0, out);
#if RNN_HAS_R
    {
        size_t i; /* free running: fb(t) = p(t) (nll) or o(t) (mse) */
        for (i = 0; i < RNN_N_OUT; i++) s_out[RNN_HIDDEN + i] = out[i];
    }
#endif
#if RNN_HAS_HALT
    out[RNN_N_OUT] = rnn_halt_col(params, s_out);
#endif
#if RNN_HAS_LENGTH
    s_out[RNN_STEP_R] = r;
#endif
}

#if RNN_HAS_LENGTH
void rnn_length(const rnn_real *params, const rnn_real *h0, rnn_real *pn)
{
    rnn_length_col(params, h0, pn);
}
#endif

rnn_real rnn_train_part(rnn_real *params, rnn_real *grads, rnn_real *opt, const rnn_input *x,
                        const rnn_target *y, const rnn_real *s0, rnn_real *ws,
                        const struct rnn_hparams *hp, int32_t stage, int32_t part)
{
    /* The part losses, doubles in the workspace (64-byte aligned), summed in part order. */
    double *part_loss = (double *)(void *)(ws + RNN_WS_LOSS), sum = 0;
    const size_t q = (size_t)part;
    rnn_real loss;
    size_t i;
    if (part < 0 || part >= RNN_PARTS) return 0;
    if (stage == 0) {
        part_loss[q] = rnn_forward_part(params, x, y, s0, ws, q);
        rnn_backward_prepare(params, ws, grads, q);
        return 0;
    }
    for (i = 0; i < RNN_PARTS; i++) sum += part_loss[i];
    loss = (rnn_real)sum;
    if (!(loss - loss == 0)) return loss; /* NaN or infinite: leave the parameters alone */
    if (stage == 1) rnn_backward_part(params, x, y, ws, grads, q);
    else if (stage == 2) rnn_grads_part(x, y, ws, grads, q);
    else if (stage == 3 && q == 0) rnn_update(params, grads, opt, opt + RNN_PARAMS_COUNT, hp);
    return loss;
}

rnn_real rnn_train_step(rnn_real *params, rnn_real *grads, rnn_real *opt, const rnn_input *x,
                        const rnn_target *y, const rnn_real *s0, rnn_real *ws,
                        const struct rnn_hparams *hp)
{
    rnn_real loss = 0;
    int32_t stage, part;
    for (stage = 0; stage < RNN_STAGES; stage++)
        for (part = 0; part < RNN_PARTS; part++)
            loss = rnn_train_part(params, grads, opt, x, y, s0, ws, hp, stage, part);
    return loss;
}

const struct rnn_descriptor rnn_descriptor = {
    RNN_ABI_VERSION, sizeof(struct rnn_descriptor), RNN_DTYPE, RNN_ONEHOT, RNN_ACT, RNN_LOSS,
    RNN_REC, RNN_FB, RNN_END, RNN_FAST, RNN_CELL, RNN_GATES,
    RNN_N_IN, RNN_HIDDEN, RNN_N_OUT, RNN_TAU, RNN_BATCH, RNN_MAX_LENGTH,
    RNN_OFF_U, RNN_OFF_W, RNN_OFF_V, RNN_OFF_B, RNN_OFF_C, RNN_OFF_R,
    RNN_OFF_HALT_W, RNN_OFF_HALT_B, RNN_OFF_LEN_W, RNN_OFF_LEN_B, RNN_OFF_REM_U, RNN_OFF_BH,
    RNN_PARAMS_COUNT, RNN_S0_H, RNN_S0_FB, RNN_S0_C, RNN_S0_COUNT,
    RNN_WS_H, RNN_WS_P, RNN_WS_GO, RNN_WS_GH, RNN_WS_D, RNN_WS_GS0, RNN_WS_S1, RNN_WS_WT,
    RNN_WS_VT, RNN_WS_RT, RNN_WS_FB0, RNN_WS_FB, RNN_WS_CTL, RNN_WS_SEQ, RNN_WS_REM, RNN_WS_Q,
    RNN_WS_GQ, RNN_WS_PN, RNN_WS_GN, RNN_WS_G, RNN_WS_C, RNN_WS_GC, RNN_WS_LOSS, RNN_WS_COUNT,
    RNN_X_COUNT, RNN_Y_COUNT, RNN_OPT_COUNT, RNN_PARTS, RNN_STAGES,
    RNN_NAME, RNN_SPEC, "rnn_forward", "rnn_backward", "rnn_step", "rnn_train_step",
    "rnn_train_part", RNN_HAS_LENGTH ? "rnn_length" : 0, RNN_STEP_STATE, RNN_STEP_OUT,
};
