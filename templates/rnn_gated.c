/*@ GATED_PRELUDE @*/
/* templates/rnn_gated.c: the gated cells' training kernels, copied by the generator into the
 * training source (templates/rnn.c, hole GATED) of an LSTM or GRU only.  The stub here is
 * empty: this file compiles as part of a generated source. */
/*@ end @*/

/* ---- Gated cells (section 10.10.1; gen/EQUATIONS.md, "Gated cells"), in PyTorch's
 * formulation and gate order: U (G H x n_in), W (G H x H), b and b_h (G H) stack the gates'
 * weights.  As for the vanilla cell, only W h(t-1) (forward) and W^T d(t+1) (backward) are
 * sequential, each one product of the stacked gates per step; the input terms and every
 * parameter gradient are products over all tau x B columns.  Per step and column the gate
 * buffer holds RNN_GCOL values (lstm: i, f, g, o, tanh(c(t)); gru: r, z, w_n, n) and d(t)
 * RNN_DCOL (lstm: d_i, d_f, d_g, d_o; gru: d_r, d_z, dw_n = d_n r, d_n): the rows the
 * recurrent product reads come first, so W h(t-1) and W^T dw(t+1) are single products. ---- */

/* rnn_gemm_ld with the row tiles outermost: one tile's rows of M (every column of them) stay
 * in cache while the column tiles of X pass, which matters for the stacked gates' tall W (G H
 * rows, larger than L2 at hidden 256) and W^T.  Each element is summed by rnn_tile in the
 * same order as in rnn_gemm_ld, so the two give the same bits. */
RNN_INLINE void rnn_gemm_rows(rnn_real *Y, size_t ys, const rnn_real *M, size_t ms, size_t rows,
                              size_t cols, const rnn_real *X, size_t xs, size_t n)
{
    size_t i0, b0;
    if (n < 2) { /* one column: rnn_gemm_ld's tall tiles */
        rnn_gemm_ld(Y, ys, M, ms, rows, cols, X, xs, n);
        return;
    }
    for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR) {
        for (b0 = 0; b0 + RNN_TC <= n; b0 += RNN_TC)
            rnn_tile(Y + b0 * ys + i0, ys, M + i0, ms, cols, X + b0 * xs, xs, 1, RNN_TR, RNN_TC);
        if (b0 < n) rnn_tile(Y + b0 * ys + i0, ys, M + i0, ms, cols, X + b0 * xs, xs, 1, RNN_TR, n - b0);
    }
    if (i0 < rows) {
        for (b0 = 0; b0 + RNN_TC <= n; b0 += RNN_TC)
            rnn_tile_rest(Y + b0 * ys, ys, M, ms, cols, X + b0 * xs, xs, 1, i0, rows, RNN_TC);
        if (b0 < n) rnn_tile_rest(Y + b0 * ys, ys, M, ms, cols, X + b0 * xs, xs, 1, i0, rows, n - b0);
    }
}

/* Columns of the reduction of rnn_rank_blocked per block: a row tile of A over a block
 * (RNN_TR x RNN_KB reals) stays in L1 while the column tiles pass. */
#define RNN_KB 256

/* rnn_rank_ld over the n columns in blocks of RNN_KB, row tiles outermost within a block: the
 * parameter gradients of the stacked gates (G H rows of d(t) per column, 4 H apart) read A
 * once per block instead of once per column tile.  Each element is still the sum over k in
 * order (its accumulator goes to C between blocks), so the bits are rnn_rank_ld's. */
RNN_INLINE void rnn_rank_blocked(rnn_real *C, size_t cs, size_t rows, size_t cols, const rnn_real *A,
                                 size_t as, const rnn_real *X, size_t xs, size_t n)
{
    size_t k0, i0, j0;
    for (k0 = 0; k0 < n; k0 += RNN_KB) {
        const size_t nk = n - k0 < RNN_KB ? n - k0 : RNN_KB;
        const rnn_real *Ak = A + k0 * as, *Xk = X + k0 * xs;
        for (i0 = 0; i0 + RNN_TR <= rows; i0 += RNN_TR) {
            for (j0 = 0; j0 + RNN_TC <= cols; j0 += RNN_TC)
                rnn_tile(C + j0 * cs + i0, cs, Ak + i0, as, nk, Xk + j0, 1, xs, RNN_TR, RNN_TC);
            if (j0 < cols) rnn_tile(C + j0 * cs + i0, cs, Ak + i0, as, nk, Xk + j0, 1, xs, RNN_TR, cols - j0);
        }
        if (i0 < rows) {
            for (j0 = 0; j0 + RNN_TC <= cols; j0 += RNN_TC)
                rnn_tile_rest(C + j0 * cs, cs, Ak, as, nk, Xk + j0, 1, xs, i0, rows, RNN_TC);
            if (j0 < cols) rnn_tile_rest(C + j0 * cs, cs, Ak, as, nk, Xk + j0, 1, xs, i0, rows, cols - j0);
        }
    }
}

/* The row of a G H vector in PyTorch's order (U's, b's) that slot row s of a column of the
 * gate buffer or of d(t) holds: the gru's n rows sit after w_n (one slot of H later). */
#define RNN_GSLOT(i) (RNN_CELL == RNN_CELL_GRU && (i) >= 2 * RNN_HIDDEN ? (i) + RNN_HIDDEN : (i))

#if RNN_ONEHOT
/* The terms of the pre-activations that do not depend on the past, for one step, every
 * column of a part, with one-hot x(t): (10.40) b + U x(t) + b_h into the lstm's four gate
 * rows; (10.46) b + U x(t) + b_h into the gru's r and z rows, b_n + U_n x(t) into its n row
 * and b_hn into w_n.  U x(t) is column x(t) of U: a read, done here, at the step, rather than
 * over every step at once (no product to batch; the gate buffer stays in cache).  g = the
 * gates of the step. */
static void rnn_gated_gather(const rnn_real *restrict P, const rnn_input *restrict x, rnn_real *restrict g)
{
    const rnn_real *b = P + RNN_OFF_B, *bh = P + RNN_OFF_BH;
    size_t bi, i;
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        const rnn_real *u = P + RNN_OFF_U + (size_t)x[bi] * RNN_GH;
        rnn_real *gk = g + bi * RNN_GCOL;
#if RNN_CELL == RNN_CELL_LSTM
        for (i = 0; i < RNN_GH; i++) gk[i] = (b[i] + u[i]) + bh[i];
#else
        for (i = 0; i < 2 * RNN_HIDDEN; i++) gk[i] = (b[i] + u[i]) + bh[i];
        for (i = 2 * RNN_HIDDEN; i < RNN_GH; i++) {
            gk[i] = bh[i];                             /* w_n starts as b_hn */
            gk[i + RNN_HIDDEN] = b[i] + u[i];          /* a_n */
        }
#endif
    }
}
#else
/* The terms of the pre-activations that do not depend on the past, for the n steps of a
 * segment, every column of a part, with dense x(t): (10.40) b + U x(t) + b_h into the lstm's
 * four gate rows; (10.46) b + U x(t) + b_h into the gru's r and z rows, b_n + U_n x(t) into
 * its n row and b_hn into w_n: b, then U x(t) as one product over every step's columns, then
 * b_h.  g = the gates of step 1 of the part. */
static void rnn_gated_inputs(const rnn_real *restrict P, const rnn_input *restrict x,
                             rnn_real *restrict g, size_t n)
{
    const rnn_real *b = P + RNN_OFF_B, *bh = P + RNN_OFF_BH;
    size_t ch, k, i;
    for (ch = 0; ch < RNN_CHUNKS(n); ch++) {
        rnn_real *gc = g + ch * RNN_BATCH * RNN_GCOL;
        const rnn_input *xc = x + ch * RNN_BATCH * RNN_N_IN;
        for (k = 0; k < RNN_CHUNK_COLS(n); k++)
            for (i = 0; i < RNN_GH; i++) gc[k * RNN_GCOL + RNN_GSLOT(i)] = b[i];
        /* rows 0 .. 2H (gru) or 4H (lstm) in place; the gru's n rows one slot later */
        rnn_gemm_ld(gc, RNN_GCOL, P + RNN_OFF_U, RNN_GH, RNN_CELL == RNN_CELL_GRU ? 2 * RNN_HIDDEN : RNN_GH,
                    RNN_N_IN, xc, RNN_N_IN, RNN_CHUNK_COLS(n));
#if RNN_CELL == RNN_CELL_GRU
        rnn_gemm_ld(gc + 3 * RNN_HIDDEN, RNN_GCOL, P + RNN_OFF_U + 2 * RNN_HIDDEN, RNN_GH, RNN_HIDDEN,
                    RNN_N_IN, xc, RNN_N_IN, RNN_CHUNK_COLS(n));
#endif
        for (k = 0; k < RNN_CHUNK_COLS(n); k++) {
            rnn_real *gk = gc + k * RNN_GCOL;
#if RNN_CELL == RNN_CELL_LSTM
            for (i = 0; i < RNN_GH; i++) gk[i] += bh[i];
#else
            for (i = 0; i < 2 * RNN_HIDDEN; i++) gk[i] += bh[i];
            for (i = 2 * RNN_HIDDEN; i < RNN_GH; i++) gk[i] = bh[i]; /* w_n starts as b_hn */
#endif
        }
    }
}
#endif

/* The stacked gates' pre-activations at one step, every column of a part, for both cells: g
 * gets (one-hot x: the step's inputs, else already holds) the terms that do not depend on the
 * past, then W h(t-1) is added, one product of the stacked gates. */
static void rnn_gated_preact(const rnn_real *restrict P, const rnn_input *x, const rnn_real *h_prev, rnn_real *g)
{
#if RNN_ONEHOT
    rnn_gated_gather(P, x, g);
#else
    (void)x;
#endif
    rnn_gemm_rows(g, RNN_GCOL, P + RNN_OFF_W, RNN_GH, RNN_GH, RNN_HIDDEN, h_prev, RNN_HIDDEN, RNN_PART_BATCH);
}

#if RNN_CELL == RNN_CELL_LSTM
/* (10.40)-(10.42) at one step, every column of a part: g gets (one-hot x: the step's
 * inputs, else already holds) b + U x(t) + b_h; adds W h(t-1) (rnn_gated_preact), then
 * the gates, c(t) from c(t-1), tanh(c(t)) (kept for the backward pass) and h(t). */
static void rnn_lstm_step(const rnn_real *restrict P, const rnn_input *x, const rnn_real *h_prev,
                          rnn_real *g, const rnn_real *c_prev, rnn_real *c, rnn_real *h)
{
    size_t bi, i;
    rnn_gated_preact(P, x, h_prev, g);
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        rnn_real *gb = g + bi * RNN_GCOL, *cb = c + bi * RNN_HIDDEN, *hb = h + bi * RNN_HIDDEN;
        const rnn_real *cp = c_prev + bi * RNN_HIDDEN;
        for (i = 0; i < RNN_HIDDEN; i++)
            rnn_lstm_unit(gb[i], gb[RNN_HIDDEN + i], gb[2 * RNN_HIDDEN + i], gb[3 * RNN_HIDDEN + i], cp[i],
                          &gb[i], &gb[RNN_HIDDEN + i], &gb[2 * RNN_HIDDEN + i], &gb[3 * RNN_HIDDEN + i],
                          &cb[i], &gb[4 * RNN_HIDDEN + i], &hb[i]);
    }
}

/* The state the next chunk starts from, for the columns of a part: h(tau) into s1h, c(tau)
 * into s1c. */
static void rnn_final_state_c(const rnn_real *restrict h, rnn_real *restrict s1h,
                              const rnn_real *restrict c, rnn_real *restrict s1c)
{
    size_t i;
    rnn_final_state(h, s1h);
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) s1c[i] = c[i];
}

/* The backward step t of the lstm, every column of a part: gh holds V^T g_o(t); adds W^T d(t+1)
 * (10.21) (d_next null at the chunk's last step), then grad_c(t) (10.41b) into gc, with
 * f(t+1) (.) grad_c(t+1) from g_next, gc_next (null at the last step), and d(t) (10.40b) from
 * the gates g, c_prev = c(t-1) and tanh(c(t)). */
static void rnn_lstm_grad(const rnn_real *restrict WT, const rnn_real *restrict d_next,
                          const rnn_real *restrict g, const rnn_real *restrict g_next,
                          const rnn_real *restrict c_prev, rnn_real *restrict gh, rnn_real *restrict gc,
                          const rnn_real *restrict gc_next, rnn_real *restrict d)
{
    size_t bi, i;
    if (d_next)
        rnn_gemm_rows(gh, RNN_HIDDEN, WT, RNN_HIDDEN, RNN_HIDDEN, RNN_GH, d_next, RNN_DCOL, RNN_PART_BATCH);
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        const rnn_real *gb = g + bi * RNN_GCOL, *cp = c_prev + bi * RNN_HIDDEN, *ghb = gh + bi * RNN_HIDDEN;
        const rnn_real *fn = g_next ? g_next + bi * RNN_GCOL + RNN_HIDDEN : 0;
        const rnn_real *gcn = gc_next ? gc_next + bi * RNN_HIDDEN : 0;
        rnn_real *gcb = gc + bi * RNN_HIDDEN, *db = d + bi * RNN_DCOL;
        for (i = 0; i < RNN_HIDDEN; i++) {
            const rnn_real ig = gb[i], fg = gb[RNN_HIDDEN + i], gg = gb[2 * RNN_HIDDEN + i];
            const rnn_real og = gb[3 * RNN_HIDDEN + i], tc = gb[4 * RNN_HIDDEN + i], ghv = ghb[i];
            rnn_real gcv = ghv * og * (1 - tc * tc);
            if (gcn) gcv = RNN_FMA(fn[i], gcn[i], gcv);
            gcb[i] = gcv;
            db[i] = gcv * gg * (ig * (1 - ig));
            db[RNN_HIDDEN + i] = gcv * cp[i] * (fg * (1 - fg));
            db[2 * RNN_HIDDEN + i] = gcv * ig * (1 - gg * gg);
            db[3 * RNN_HIDDEN + i] = ghv * tc * (og * (1 - og));
        }
    }
}
#else
/* (10.45)-(10.46) at one step, every column of a part: g gets (one-hot x: the step's
 * inputs, else already holds) the input terms and b_h; adds W h(t-1) (rnn_gated_preact:
 * the r and z rows into their pre-activations, the n rows into w_n), then r, z, n and h(t). */
static void rnn_gru_step(const rnn_real *restrict P, const rnn_input *x, const rnn_real *h_prev,
                         rnn_real *g, rnn_real *h)
{
    size_t bi, i;
    rnn_gated_preact(P, x, h_prev, g);
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        rnn_real *gb = g + bi * RNN_GCOL, *hb = h + bi * RNN_HIDDEN;
        const rnn_real *hp = h_prev + bi * RNN_HIDDEN;
        for (i = 0; i < RNN_HIDDEN; i++)
            rnn_gru_unit(gb[i], gb[RNN_HIDDEN + i], gb[2 * RNN_HIDDEN + i], gb[3 * RNN_HIDDEN + i], hp[i],
                         &gb[i], &gb[RNN_HIDDEN + i], &gb[3 * RNN_HIDDEN + i], &hb[i]);
    }
}

/* The backward step t of the gru, every column of a part: gh holds V^T g_o(t); adds
 * W^T dw(t+1) and z(t+1) (.) grad_h(t+1) (10.46b) (d_next, g_next, gh_next null at the
 * chunk's last step), then d(t) and dw(t) (10.45b) from the gates g and h_prev = h(t-1). */
static void rnn_gru_grad(const rnn_real *restrict WT, const rnn_real *restrict d_next,
                         const rnn_real *restrict g, const rnn_real *restrict g_next,
                         const rnn_real *restrict h_prev, rnn_real *restrict gh,
                         const rnn_real *restrict gh_next, rnn_real *restrict d)
{
    size_t bi, i;
    if (d_next)
        rnn_gemm_rows(gh, RNN_HIDDEN, WT, RNN_HIDDEN, RNN_HIDDEN, RNN_GH, d_next, RNN_DCOL, RNN_PART_BATCH);
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        const rnn_real *gb = g + bi * RNN_GCOL, *hp = h_prev + bi * RNN_HIDDEN;
        const rnn_real *zn = g_next ? g_next + bi * RNN_GCOL + RNN_HIDDEN : 0;
        const rnn_real *ghn = gh_next ? gh_next + bi * RNN_HIDDEN : 0;
        rnn_real *ghb = gh + bi * RNN_HIDDEN, *db = d + bi * RNN_DCOL;
        for (i = 0; i < RNN_HIDDEN; i++) {
            const rnn_real r = gb[i], z = gb[RNN_HIDDEN + i], wn = gb[2 * RNN_HIDDEN + i];
            const rnn_real nn = gb[3 * RNN_HIDDEN + i];
            rnn_real ghv = ghb[i], dn;
            if (ghn) ghv = RNN_FMA(zn[i], ghn[i], ghv);
            ghb[i] = ghv;
            dn = ghv * (1 - z) * (1 - nn * nn);
            db[i] = dn * wn * (r * (1 - r));
            db[RNN_HIDDEN + i] = ghv * (hp[i] - nn) * (z * (1 - z));
            db[2 * RNN_HIDDEN + i] = dn * r;
            db[3 * RNN_HIDDEN + i] = dn;
        }
    }
}
#endif

/* The gradient of the initial state, every column of a part: (h0) grad_h(0) = W^T d(1) (lstm)
 * or W^T dw(1) + z(1) (.) grad_h(1) (gru) into gh0; (c0) grad_c(0) = f(1) (.) grad_c(1) into
 * gc0 (lstm).  d1, g1, gh1, gc1: step 1's d, gates, grad_h and grad_c of the part. */
static void rnn_gated_state_grad(const rnn_real *restrict ws, const rnn_real *restrict d1,
                                 const rnn_real *restrict g1, const rnn_real *restrict gh1,
                                 const rnn_real *restrict gc1, rnn_real *restrict gh0,
                                 rnn_real *restrict gc0)
{
    size_t bi, i;
    for (i = 0; i < RNN_PART_BATCH * RNN_HIDDEN; i++) gh0[i] = 0;
    rnn_gemm_rows(gh0, RNN_HIDDEN, ws + RNN_WS_WT, RNN_HIDDEN, RNN_HIDDEN, RNN_GH, d1, RNN_DCOL, RNN_PART_BATCH);
    for (bi = 0; bi < RNN_PART_BATCH; bi++) {
        const rnn_real *gate = g1 + bi * RNN_GCOL + RNN_HIDDEN; /* f(1) or z(1) */
        for (i = 0; i < RNN_HIDDEN; i++) {
#if RNN_CELL == RNN_CELL_LSTM
            gc0[bi * RNN_HIDDEN + i] = gate[i] * gc1[bi * RNN_HIDDEN + i];
#else
            gh0[bi * RNN_HIDDEN + i] = RNN_FMA(gate[i], gh1[bi * RNN_HIDDEN + i], gh0[bi * RNN_HIDDEN + i]);
#endif
        }
    }
    (void)gh1;
    (void)gc1;
    (void)gc0;
}

/* Rows [i0, i1) of the sums over the n columns k of d, in order, each where the model has
 * it: grad_b += d(t) (the input side: row i of the stacked gates from slot row RNN_GSLOT(i)),
 * one-hot grad_U's column x(t) += d(t) (the same rows), and the gru's grad_b_h += dw(t) (row
 * i from slot row i: the rows the recurrent product reads).  One pass over d. */
RNN_INLINE void rnn_gated_sums(rnn_real *restrict G, const rnn_real *restrict d, const rnn_input *restrict x,
                               size_t n, size_t i0, size_t i1)
{
    const size_t split = RNN_CELL == RNN_CELL_GRU ? 2 * RNN_HIDDEN : RNN_GH;
    const size_t a1 = i1 < split ? i1 : split, b0 = i0 > split ? i0 : split;
    rnn_real *gb = G + RNN_OFF_B, *gbh = G + RNN_OFF_BH;
    size_t k, i;
    for (k = 0; k < n; k++) {
        const rnn_real *dk = d + k * RNN_DCOL;
#if RNN_ONEHOT
        rnn_real *col = G + RNN_OFF_U + (size_t)x[k] * RNN_GH; /* x(t) = e_j: column j += d(t) */
        for (i = i0; i < a1; i++) col[i] += dk[i];
        for (i = b0; i < i1; i++) col[i] += dk[i + RNN_HIDDEN];
#endif
        for (i = i0; i < a1; i++) gb[i] += dk[i];
        for (i = b0; i < i1; i++) gb[i] += dk[i + RNN_HIDDEN];
#if RNN_CELL == RNN_CELL_GRU
        for (i = i0; i < i1; i++) gbh[i] += dk[i];
#endif
    }
#if RNN_CELL == RNN_CELL_LSTM
    for (i = i0; i < i1; i++) gbh[i] = gb[i]; /* dw = d: the same sum, in the same order */
#endif
    (void)x;
}

/* The parameter gradients of a gated cell, each element a sum over every step and column
 * k = (t-1) B + b in order, for the share of the elements given by the ranges: columns
 * [j0, j1) of grad_V and grad_W, rows [i0, i1) (of G H) of grad_b, grad_b_h and one-hot
 * grad_U, rows [c0, c1) of grad_c, columns [u0, u1) of dense grad_U.  Those elements of G must
 * be zero.  (10.22) grad_c = sum g_o(t), (10.23) grad_b = sum d(t), grad_b_h = sum dw(t),
 * (10.24) grad_V = sum g_o(t) h(t)^T, (10.26) grad_W = sum dw(t) h(t-1)^T, (10.28)
 * grad_U = sum d(t) x(t)^T (dw = d for the lstm).  h = h(0) of the segment. */
RNN_INLINE void rnn_gated_grads_share(rnn_real *restrict G, const rnn_real *restrict go,
                                      const rnn_real *restrict d, const rnn_real *restrict h,
                                      const rnn_input *restrict x, size_t steps, size_t j0, size_t j1,
                                      size_t i0, size_t i1, size_t c0, size_t c1, size_t u0, size_t u1)
{
    rnn_real *gc = G + RNN_OFF_C;
    const size_t n = steps * RNN_BATCH, rec = RNN_CELL == RNN_CELL_GRU ? 3 * RNN_HIDDEN : RNN_GH;
    size_t k, i;
    for (k = 0; k < n; k++) {
        const rnn_real *gok = go + k * RNN_N_OUT;
        for (i = c0; i < c1; i++) gc[i] += gok[i];
    }
    rnn_gated_sums(G, d, x, n, i0, i1);
    rnn_rank_acc(G + RNN_OFF_V + j0 * RNN_N_OUT, RNN_N_OUT, j1 - j0, go, RNN_N_OUT,
                 h + RNN_BATCH * RNN_HIDDEN + j0, RNN_HIDDEN, n);
    rnn_rank_blocked(G + RNN_OFF_W + j0 * RNN_GH, RNN_GH, rec, j1 - j0, d, RNN_DCOL, h + j0, RNN_HIDDEN, n);
#if RNN_ONEHOT
    (void)u0;
    (void)u1;
#else
    rnn_real *gU = G + RNN_OFF_U;
    rnn_rank_blocked(gU + u0 * RNN_GH, RNN_GH, RNN_CELL == RNN_CELL_GRU ? 2 * RNN_HIDDEN : RNN_GH, u1 - u0,
                     d, RNN_DCOL, x + u0, RNN_N_IN, n);
#if RNN_CELL == RNN_CELL_GRU
    rnn_rank_blocked(gU + u0 * RNN_GH + 2 * RNN_HIDDEN, RNN_GH, RNN_HIDDEN, u1 - u0, d + 3 * RNN_HIDDEN,
                     RNN_DCOL, x + u0, RNN_N_IN, n);
#endif
#endif
}

/* Part `part`'s share of a gated cell's parameter gradients (rnn_gated_grads_share, and the
 * halting unit's rnn_end_grads): the same sums, in the same order, however the elements are
 * shared out. */
static void rnn_gated_param_grads(rnn_real *restrict G, const rnn_real *restrict go,
                                  const rnn_real *restrict d, const rnn_real *restrict h,
                                  const rnn_input *restrict x, const rnn_real *restrict ws, size_t part,
                                  size_t t0, size_t steps)
{
#if RNN_HAS_HALT
    rnn_end_grads(G, d, h, ws, part, t0, steps);
#else
    (void)ws;
    (void)t0;
#endif
#if RNN_PARTS == 2
    if (part) {
        rnn_gated_grads_share(G, go, d, h, x, steps, RNN_SHARE(RNN_HIDDEN, 1), RNN_SHARE(RNN_GH, 1),
                              RNN_SHARE(RNN_N_OUT, 1), RNN_SHARE(RNN_N_IN, 1));
        return;
    }
#endif
    (void)part;
    rnn_gated_grads_share(G, go, d, h, x, steps, RNN_SHARE(RNN_HIDDEN, 0), RNN_SHARE(RNN_GH, 0),
                          RNN_SHARE(RNN_N_OUT, 0), RNN_SHARE(RNN_N_IN, 0));
}
/*@ GATED_EPILOGUE @*/
/*@ end @*/
