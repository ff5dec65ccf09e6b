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
#define RNN_ACT 0       /* 0: tanh, 1: relu, 2: sigmoid */
#define RNN_LOSS 0      /* 0: softmax + nll (targets are class indices), 1: mse */
#define RNN_FAST 0      /* 1: plain a*b+c for speed; backends may differ in the last bits */
typedef float rnn_real;
typedef int32_t rnn_input;
typedef int32_t rnn_target;
/*@ end @*/

/* ABI version of the descriptor and entry points below. */
#define RNN_ABI_VERSION 2

/* Element offsets (in rnn_real) of each tensor in the parameter buffer, its element count,
 * and the same for the workspace.  Gradients use the parameter layout.  Matrices are
 * column-major: M(i,j) is at M[j*rows + i].  Every tensor starts on a 64-byte boundary. */
/*@ LAYOUT @*/
#define RNN_OFF_U 0
#define RNN_OFF_W 32
#define RNN_OFF_V 48
#define RNN_OFF_B 80
#define RNN_OFF_C 96
#define RNN_PARAMS_COUNT 112
#define RNN_WS_H 0
#define RNN_WS_P 32
#define RNN_WS_GO 64
#define RNN_WS_GH 96
#define RNN_WS_D 128
#define RNN_WS_GH0 160
#define RNN_WS_WT 176
#define RNN_WS_VT 192
#define RNN_WS_LOSS 224
#define RNN_WS_COUNT 240
#define RNN_X_COUNT 6
#define RNN_Y_COUNT 6
#define RNN_H0_COUNT 8
#define RNN_OPT_COUNT 224
/*@ end @*/

/* Bytes of every buffer the caller provides (align each to 64 bytes for speed). */
#define RNN_PARAMS_BYTES (RNN_PARAMS_COUNT * sizeof(rnn_real))
#define RNN_GRADS_BYTES RNN_PARAMS_BYTES
#define RNN_WORKSPACE_BYTES (RNN_WS_COUNT * sizeof(rnn_real))
#define RNN_X_BYTES (RNN_X_COUNT * sizeof(rnn_input))
#define RNN_Y_BYTES (RNN_Y_COUNT * sizeof(rnn_target))
#define RNN_H0_BYTES (RNN_H0_COUNT * sizeof(rnn_real))
#define RNN_OPT_BYTES (RNN_OPT_COUNT * sizeof(rnn_real))

/* Where node values live in the workspace after forward/backward (offsets in rnn_real),
 * for time step t and batch column b:
 *   h(t), t = 0..tau        RNN_WS_H_AT(t, b)    RNN_HIDDEN values
 *   p(t) (nll: softmax; mse: o(t)), t = 1..tau   RNN_WS_P_AT(t, b)   RNN_N_OUT values
 *   g_o(t) (10.18)          RNN_WS_GO_AT(t, b)   RNN_N_OUT values
 *   grad_h(t) (10.19/10.21) RNN_WS_GH_AT(t, b)   RNN_HIDDEN values
 *   d(t) = f'(a(t)) (.) grad_h(t)  RNN_WS_D_AT(t, b)  RNN_HIDDEN values
 *   grad_h(0)               RNN_WS_GH0 + b * RNN_HIDDEN */
#define RNN_WS_H_AT(t, b) (RNN_WS_H + ((size_t)(t) * RNN_BATCH + (size_t)(b)) * RNN_HIDDEN)
#define RNN_WS_P_AT(t, b) (RNN_WS_P + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_N_OUT)
#define RNN_WS_GO_AT(t, b) (RNN_WS_GO + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_N_OUT)
#define RNN_WS_GH_AT(t, b) (RNN_WS_GH + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_HIDDEN)
#define RNN_WS_D_AT(t, b) (RNN_WS_D + (((size_t)(t) - 1) * RNN_BATCH + (size_t)(b)) * RNN_HIDDEN)

/* The descriptor lets a runtime drive any generated model without knowing its
 * dimensions at build time.  Its layout is fixed for a given RNN_ABI_VERSION. */
struct rnn_descriptor {
    uint32_t abi_version;      /* RNN_ABI_VERSION */
    uint32_t descriptor_size;  /* sizeof(struct rnn_descriptor) */
    uint32_t dtype;            /* 1 = float, 2 = double */
    uint32_t onehot;           /* 1: inputs are class indices (int32) */
    uint32_t act;              /* 0 = tanh, 1 = relu, 2 = sigmoid */
    uint32_t loss;             /* 0 = nll (targets int32), 1 = mse (targets rnn_real) */
    uint32_t fast;             /* 1: built for speed; backends may differ in the last bits */
    uint32_t reserved;
    uint64_t n_in, hidden, n_out, tau, batch;
    uint64_t off_U, off_W, off_V, off_b, off_c, params_count;
    uint64_t ws_h, ws_p, ws_go, ws_gh, ws_d, ws_gh0, ws_wt, ws_vt, ws_loss, ws_count;
    uint64_t x_count, y_count, h0_count, opt_count;
    uint64_t parts;            /* RNN_PARTS */
    uint64_t stages;           /* RNN_STAGES */
    const char *name;          /* the model's name (the prefix of every symbol) */
    const char *spec;          /* the canonical spec the code was generated from */
    const char *forward;       /* symbol names of the entry points below */
    const char *backward;
    const char *step;
    const char *train_step;
    const char *train_part;
};
extern const struct rnn_descriptor rnn_descriptor;

/* Forward pass (10.8)-(10.14) over the tau unrolled steps for all RNN_BATCH columns.
 * params: RNN_PARAMS_COUNT values; x: RNN_X_COUNT inputs (class indices must lie in
 * [0, RNN_N_IN)); y: RNN_Y_COUNT targets (class indices in [0, RNN_N_OUT) for nll);
 * h0: RNN_H0_COUNT values (the initial state h(0)); ws: RNN_WS_COUNT values.
 * Stores h(0..tau) and p(1..tau) in ws and returns the summed loss L (10.13). */
rnn_real rnn_forward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                     const rnn_real *h0, rnn_real *ws);

/* Backward pass (10.17)-(10.28): needs the ws of a forward call with the same params,
 * x and y.  Overwrites grads (RNN_PARAMS_COUNT values, parameter layout) with the
 * gradients summed over time and batch, and fills g_o(t), grad_h(t), d(t) and grad_h(0)
 * in ws. */
void rnn_backward(const rnn_real *params, const rnn_input *x, const rnn_target *y,
                  rnn_real *ws, rnn_real *grads);

/* One time step for streaming inference on a single column: x points to one input
 * (one class index, or RNN_N_IN values), h_in/h_out are RNN_HIDDEN values (must not
 * overlap), out receives RNN_N_OUT probabilities (nll) or outputs o (mse). */
void rnn_step(const rnn_real *params, const rnn_input *x, const rnn_real *h_in,
              rnn_real *h_out, rnn_real *out);

/* Optimisers of rnn_train_step.  The optimiser state (RNN_OPT_COUNT values, zero at the
 * start) holds one moment per parameter (momentum, adagrad, rmsprop) or two (adam: first
 * moments, then second moments). */
#define RNN_OPTIM_SGD 0      /* p -= lr g */
#define RNN_OPTIM_MOMENTUM 1 /* m = beta1 m + g; p -= lr m */
#define RNN_OPTIM_ADAGRAD 2  /* m += g^2; p -= lr g / sqrt(m + eps)   (min-char-rnn's form) */
#define RNN_OPTIM_RMSPROP 3  /* m = beta2 m + (1 - beta2) g^2; p -= lr g / (sqrt(m) + eps) */
#define RNN_OPTIM_ADAM 4     /* m, v as in Kingma & Ba; p -= lr (m / bias1) / (sqrt(v / bias2) + eps) */

/* Hyperparameters of one training step.  The gradient is first multiplied by grad_scale
 * (e.g. 1/B), then scaled down to global L2 norm clip_norm (if > 0), clipped to
 * [-clip, clip] entrywise (if > 0), and weight_decay * p is added (L2 regularisation). */
struct rnn_hparams {
    double lr, beta1, beta2, eps, weight_decay, clip, clip_norm, grad_scale;
    double bias1, bias2;     /* adam: 1 - beta1^t and 1 - beta2^t for step t (from 1) */
    int32_t optim;           /* RNN_OPTIM_* */
    int32_t reserved;
};

/* One training step: forward, loss, BPTT and the optimiser update in one call.  Buffers as
 * for rnn_forward / rnn_backward; opt is the optimiser state.  Returns the loss of the
 * step; if it is not finite, the parameters and opt are left unchanged. */
rnn_real rnn_train_step(rnn_real *params, rnn_real *grads, rnn_real *opt, const rnn_input *x,
                        const rnn_target *y, const rnn_real *h0, rnn_real *ws,
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
                        const rnn_target *y, const rnn_real *h0, rnn_real *ws,
                        const struct rnn_hparams *hp, int32_t stage, int32_t part);

#ifdef __cplusplus
}
#endif

#endif
