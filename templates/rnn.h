/*@ BANNER @*/
/* templates/rnn.h: the header rnnc writes for every model.  Holes such as BANNER are
 * replaced by the generator; the stub values between a hole and its end marker let this
 * file compile on its own.  Identifiers starting rnn_ / RNN_ are renamed to the model's
 * name. */
/*@ end @*/
#ifndef RNN_H_INCLUDED
#define RNN_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Dimensions and variant of this model (fixed when the code was generated). */
/*@ MODEL @*/
#define RNN_NAME "rnn"
#define RNN_SPEC "vocab=5 hidden=4 tau=3 batch=2 act=tanh loss=nll dtype=float name=rnn"
#define RNN_N_IN 5      /* input size (vocabulary size for one-hot input) */
#define RNN_HIDDEN 4    /* H */
#define RNN_N_OUT 5     /* K */
#define RNN_TAU 3       /* unrolled time steps */
#define RNN_BATCH 2     /* independent columns */
#define RNN_PARTS 1     /* batch parts of rnn_train_part */
#define RNN_ONEHOT 1    /* 1: x(t) is a class index; 0: a vector of RNN_N_IN values */
#define RNN_DTYPE 1     /* 1: float, 2: double */
#define RNN_ACT_TANH 0
#define RNN_ACT_RELU 1
#define RNN_ACT_SIGMOID 2
#define RNN_LOSS_NLL 0
#define RNN_LOSS_MSE 1
#define RNN_REC_HIDDEN 0
#define RNN_REC_OUTPUT 1
#define RNN_REC_BOTH 2
#define RNN_FB_TEACHER 0
#define RNN_FB_FREE 1
#define RNN_FB_SCHEDULED 2
#define RNN_ACT RNN_ACT_TANH
#define RNN_LOSS RNN_LOSS_NLL
#define RNN_REC RNN_REC_HIDDEN
#define RNN_FB RNN_FB_TEACHER
#define RNN_END_NONE 0
#define RNN_END_EOS 1
#define RNN_END_HALT 2
#define RNN_END_LENGTH 3
#define RNN_END RNN_END_NONE
#define RNN_MAX_LENGTH 0 /* --end length: lengths 1..RNN_MAX_LENGTH */
#define RNN_CELL_RNN 0
#define RNN_CELL_GRU 1
#define RNN_CELL_LSTM 2
#define RNN_CELL RNN_CELL_RNN
#define RNN_GATES 1     /* G: U is G H x n_in, W is G H x H, b and b_h G H */
#define RNN_SEG 3       /* steps per segment of the generated loop (the whole tau: one) */
#define RNN_NSEG 1      /* segments */
#define RNN_SEG_LAST 3  /* steps of the last segment */
#define RNN_RECOMPUTE 0 /* 1: --memory sqrt|N keeps h only at segment starts */
#define RNN_HAS_W 1     /* a(t) has W h(t-1) */
#define RNN_HAS_R 0     /* a(t) has R fb(t-1) */
#define RNN_FAST 0      /* 1: plain a*b+c for speed; backends may differ in the last bits */
typedef float rnn_real;
typedef int32_t rnn_input;
typedef int32_t rnn_target;
/*@ end @*/

/* Element offsets (in rnn_real) of each tensor in the parameter buffer, its element count,
 * and the same for the initial state s0 and the workspace.  Gradients use the parameter
 * layout.  Matrices are column-major: M(i,j) is at M[j*rows + i].  Every parameter and
 * workspace tensor starts on a 64-byte boundary; a tensor this model does not have has no
 * elements (its offset is that of the next one). */
/*@ LAYOUT @*/
#define RNN_OFF_U 0
#define RNN_OFF_W 32
#define RNN_OFF_V 48
#define RNN_OFF_B 80
#define RNN_OFF_C 96
#define RNN_OFF_R 112
#define RNN_OFF_HALT_W 112
#define RNN_OFF_HALT_B 112
#define RNN_OFF_LEN_W 112
#define RNN_OFF_LEN_B 112
#define RNN_OFF_REM_U 112
#define RNN_OFF_BH 112
#define RNN_PARAMS_COUNT 112
#define RNN_S0_H 0
#define RNN_S0_FB 8
#define RNN_S0_C 8
#define RNN_S0_COUNT 8
#define RNN_WS_H 0
#define RNN_WS_P 32
#define RNN_WS_GO 64
#define RNN_WS_GH 96
#define RNN_WS_D 128
#define RNN_WS_GS0 160
#define RNN_WS_WT 176
#define RNN_WS_VT 192
#define RNN_WS_RT 224
#define RNN_WS_S1 224
#define RNN_WS_FB0 240
#define RNN_WS_FB 240
#define RNN_WS_CTL 240
#define RNN_WS_SEQ 240
#define RNN_WS_REM 256
#define RNN_WS_Q 256
#define RNN_WS_GQ 256
#define RNN_WS_PN 256
#define RNN_WS_GN 256
#define RNN_WS_HCK 256
#define RNN_WS_DN 256
#define RNN_WS_G 256
#define RNN_WS_C 256
#define RNN_WS_GC 256
#define RNN_WS_LOSS 256
#define RNN_WS_COUNT 272
#define RNN_X_COUNT 6
#define RNN_Y_COUNT 6
#define RNN_OPT_COUNT 224
/*@ end @*/

/* Bytes of every buffer the caller provides (align each to 64 bytes for speed). */
#define RNN_PARAMS_BYTES (RNN_PARAMS_COUNT * sizeof(rnn_real))
#define RNN_GRADS_BYTES RNN_PARAMS_BYTES
#define RNN_WORKSPACE_BYTES (RNN_WS_COUNT * sizeof(rnn_real))
#define RNN_X_BYTES (RNN_X_COUNT * sizeof(rnn_input))
#define RNN_Y_BYTES (RNN_Y_COUNT * sizeof(rnn_target))
#define RNN_S0_BYTES (RNN_S0_COUNT * sizeof(rnn_real))
#define RNN_OPT_BYTES (RNN_OPT_COUNT * sizeof(rnn_real))

/* The state a sequence carries from one call to the next: s0 is the initial state, in
 * RNN_S0_COUNT values, h(0) for every batch column (RNN_BATCH x RNN_HIDDEN, from RNN_S0_H;
 * read only with a hidden recurrence), then fb(0) (RNN_BATCH x RNN_N_OUT, from RNN_S0_FB;
 * only with an output recurrence), then the LSTM's cell state c(0) (RNN_BATCH x RNN_HIDDEN,
 * from RNN_S0_C; only with RNN_CELL == RNN_CELL_LSTM).  After a forward pass the workspace
 * holds the final state h(tau), fb(tau), c(tau) in the same layout at RNN_WS_S1 (the next
 * chunk's s0 in truncated BPTT), and after a backward pass the gradient of L with respect to
 * s0 at RNN_WS_GS0 (grad_h(0), grad_fb(0), grad_c(0)).
 *
 * Where node values live in the workspace after forward/backward (offsets in rnn_real),
 * for time step t and batch column b:
 *   h(t), t = 0..tau        RNN_WS_H_AT(t, b)    RNN_HIDDEN values
 *   p(t) (nll: softmax; mse: o(t)), t = 1..tau   RNN_WS_P_AT(t, b)   RNN_N_OUT values
 *   g_o(t) (10.18)          RNN_WS_GO_AT(t, b)   RNN_N_OUT values
 *   grad_h(t) (10.19/10.21) RNN_WS_GH_AT(t, b)   RNN_HIDDEN values
 *   d(t) = f'(a(t)) (.) grad_h(t)  RNN_WS_D_AT(t, b)  RNN_HIDDEN values
 * A gated cell (RNN_GATES > 1, section 10.10.1) keeps per step and column, in PyTorch's gate
 * order:
 *   the gates               RNN_WS_G_AT(t, b)    RNN_GCOL values: lstm i, f, g, o, tanh(c(t));
 *                                                gru r, z, w_n = W_n h(t-1) + b_hn, n
 *   c(t), t = 0..tau (lstm) RNN_WS_C_AT(t, b)    RNN_HIDDEN values
 *   grad_c(t) (lstm)        RNN_WS_GC_AT(t, b)   RNN_HIDDEN values
 *   d(t) (10.40b), (10.45b) RNN_WS_D_AT(t, b)    RNN_DCOL values: the gradient at the gates'
 *                           pre-activations, lstm [d_i; d_f; d_g; d_o]; gru [d_r; d_z; dw_n;
 *                           d_n], where dw_n = d_n (.) r is the n part of dw(t) at w(t)
 * Scheduled sampling (RNN_FB == RNN_FB_SCHEDULED): before each forward or training call the
 * caller writes one control value per step and column at RNN_WS_CTL + (t-1) * RNN_BATCH + b
 * (t = 1..tau), saying what step t feeds back as fb(t) (10.11s): below 0, the data y(t);
 * in [0, 1), a draw of the model: for nll the class s whose cumulative probability first
 * exceeds that uniform number, for mse o(t) itself; 1 or more, whatever the caller left in
 * fb(t)'s slot at RNN_WS_FB + (t-1) * RNN_BATCH + b (nll: a class index, as an rnn_real) or
 * RNN_WS_FB + ((t-1) * RNN_BATCH + b) * RNN_N_OUT (mse: RNN_N_OUT values) (a fixed choice,
 * as a gradient check needs).  The forward pass leaves each step's choice in those slots.
 *
 * Records (section 10.2.3): before each forward or training call the caller writes three
 * values per column b at RNN_WS_SEQ + 3 b: n, the step of this chunk where the column's
 * record ends (1..tau; 0: it goes on past the chunk, as in a stream: all zeros, the
 * workspace's state after allocation, means streams), then 1 if step 1 of this chunk is the
 * record's first step (else 0), then the record's whole length (for --end length; 1..
 * RNN_MAX_LENGTH).  Steps after n carry no loss and no gradient (10.32m).  With --end
 * length the caller also writes r(t) = (length - position of step t) / RNN_MAX_LENGTH at
 * RNN_WS_REM + (t-1) * RNN_BATCH + b (10.33r).  The halting unit's q(t) and g_q(t) are at
 * RNN_WS_Q and RNN_WS_GQ (tau x B); the length output's p_n and g_n at RNN_WS_PN, RNN_WS_GN
 * (B x RNN_MAX_LENGTH). */
#define RNN_WS_H_AT(t, b) (RNN_WS_H + ((size_t)(t) * RNN_BATCH + (size_t)(b)) * RNN_HIDDEN)
#define RNN_WS_P_AT(t, b) (RNN_WS_P + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_N_OUT)
#define RNN_WS_GO_AT(t, b) (RNN_WS_GO + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_N_OUT)
#define RNN_WS_GH_AT(t, b) (RNN_WS_GH + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_HIDDEN)
#define RNN_GH (RNN_GATES * RNN_HIDDEN)   /* rows of U and W */
#define RNN_DCOL (RNN_GATES > 1 ? 4 * RNN_HIDDEN : RNN_HIDDEN)
#define RNN_GCOL (RNN_CELL == RNN_CELL_LSTM ? 5 * RNN_HIDDEN : RNN_CELL == RNN_CELL_GRU ? 4 * RNN_HIDDEN : 0)
#define RNN_WS_D_AT(t, b) (RNN_WS_D + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_DCOL)
#define RNN_WS_G_AT(t, b) (RNN_WS_G + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_GCOL)
#define RNN_WS_C_AT(t, b) (RNN_WS_C + ((size_t)(t) * RNN_BATCH + (size_t)(b)) * RNN_HIDDEN)
#define RNN_WS_GC_AT(t, b) (RNN_WS_GC + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_HIDDEN)

/* The descriptor (its type), the optimisers and the hyperparameters of a training step. */
/*@ ABI @*/
#include "rnn_abi.h"
/*@ end @*/
extern const struct rnn_descriptor rnn_descriptor;

/* Forward pass (10.8)-(10.14) over the tau unrolled steps for all RNN_BATCH columns.
 * params: RNN_PARAMS_COUNT values; x: RNN_X_COUNT inputs (class indices must lie in
 * [0, RNN_N_IN)); y: RNN_Y_COUNT targets (class indices in [0, RNN_N_OUT) for nll);
 * s0: RNN_S0_COUNT values (the initial state, above); ws: RNN_WS_COUNT values.
 * Stores h(0..tau), p(1..tau) and the final state in ws and returns the summed loss L
 * (10.13). */
rnn_real rnn_forward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                     const rnn_real *s0, rnn_real *ws);

/* Backward pass (10.17)-(10.28): needs the ws of a forward call with the same params,
 * x and y.  Overwrites grads (RNN_PARAMS_COUNT values, parameter layout) with the
 * gradients summed over time and batch, and fills g_o(t), grad_h(t), d(t) and the gradient
 * of the initial state (grad_h(0), grad_fb(0)) in ws. */
void rnn_backward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                  rnn_real *ws, rnn_real *grads);

/* One time step for streaming inference on a single column: x points to one input
 * (one class index, or RNN_N_IN values), s_in/s_out are the state of one column
 * (RNN_STEP_STATE values: h (RNN_HIDDEN), then fb (RNN_N_OUT) with an output recurrence,
 * then c (RNN_HIDDEN) for the LSTM, then r, the remaining steps (10.33r), with --end length;
 * must not overlap), out receives
 * RNN_STEP_OUT values: RNN_N_OUT probabilities (nll) or outputs o (mse), then q(t) (10.33h)
 * with --end halt.  With an output recurrence the step feeds back its own output (s_out's
 * fb = out, free running); to feed something else (the data, or a sampled class as e_s),
 * write it into s_in's fb before the call.  r is the caller's: s_out keeps s_in's. */
#define RNN_STEP_C (RNN_HIDDEN + (RNN_HAS_R ? RNN_N_OUT : 0))
#define RNN_STEP_R (RNN_STEP_C + (RNN_CELL == RNN_CELL_LSTM ? RNN_HIDDEN : 0))
#define RNN_STEP_STATE (RNN_STEP_R + (RNN_END == RNN_END_LENGTH ? 1 : 0))
#define RNN_STEP_OUT (RNN_N_OUT + (RNN_END == RNN_END_HALT ? 1 : 0))
void rnn_step(const rnn_real *params, const rnn_input *x, const rnn_real *s_in,
              rnn_real *s_out, rnn_real *out);

#if RNN_END == RNN_END_LENGTH
/* (10.33n) The length distribution of a record starting from the state h0 (RNN_HIDDEN
 * values): pn[m] = p_n(m + 1), RNN_MAX_LENGTH values. */
void rnn_length(const rnn_real *params, const rnn_real *h0, rnn_real *pn);
#endif

/* One training step: forward, loss, BPTT and the optimiser update in one call.  Buffers as
 * for rnn_forward / rnn_backward; opt is the optimiser state.  Returns the loss of the
 * step; if it is not finite, the parameters and opt are left unchanged. */
rnn_real rnn_train_step(rnn_real *params, rnn_real *grads, rnn_real *opt, const rnn_input *x,
                        const rnn_target *y, const rnn_real *s0, rnn_real *ws,
                        const struct rnn_hparams *hp);

/* The same training step in RNN_STAGES stages of RNN_PARTS parts each, for runtimes with
 * threads: every part of a stage may run at once (one thread each); a stage starts after
 * every part of the one before has returned.  Stage 0: forward pass of batch part `part`
 * (columns [part B/RNN_PARTS, (part+1) B/RNN_PARTS) of every step), and a share of the W^T,
 * V^T copies and of zeroing grads; 1: BPTT sweep of that batch part; 2: a share of the
 * parameter gradients (each element summed in the same order whatever the parts); 3 (part
 * 0; the other parts return at once): the update.  Each call returns the step's loss from
 * stage 1 on (0 in stage 0).  rnn_train_step runs the same calls in order, so the results
 * are bit-identical however many threads run them. */
#define RNN_STAGES 4
rnn_real rnn_train_part(rnn_real *params, rnn_real *grads, rnn_real *opt, const rnn_input *x,
                        const rnn_target *y, const rnn_real *s0, rnn_real *ws,
                        const struct rnn_hparams *hp, int32_t stage, int32_t part);

#ifdef __cplusplus
}
#endif

#endif
