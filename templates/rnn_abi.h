/*@ ABI_PRELUDE @*/
/* templates/rnn_abi.h: the binary interface between a generated training model and a runtime
 * that drives it: the descriptor every generated model exports and the hyperparameters of its
 * training step.  Written once: the generator copies this file into every NAME.h (renaming
 * rnn_ / RNN_ to the model's name) and rnnc's runtime includes it as it is
 * (runtime/model/model.h), so the two cannot disagree. */
#ifndef RNN_ABI_H_INCLUDED
#define RNN_ABI_H_INCLUDED
#include <stdint.h>
/*@ end @*/

/* ABI version of the descriptor and entry points below. */
#define RNN_ABI_VERSION 4

/* The descriptor lets a runtime drive any generated model without knowing its dimensions at
 * build time.  Its layout is fixed for a given RNN_ABI_VERSION.  The variant fields hold the
 * RNN_ACT_*, RNN_LOSS_*, RNN_REC_*, RNN_FB_*, RNN_END_* and RNN_CELL_* constants of the model's header; offsets and
 * counts are in elements of the model's real type (RNN_OFF_*, RNN_S0_*, RNN_WS_*). */
struct rnn_descriptor {
    uint32_t abi_version;      /* RNN_ABI_VERSION */
    uint32_t descriptor_size;  /* sizeof(struct rnn_descriptor) */
    uint32_t dtype;            /* 1 = float, 2 = double */
    uint32_t onehot;           /* 1: inputs are class indices (int32) */
    uint32_t act, loss, rec, fb, end;
    uint32_t fast;             /* 1: built for speed; backends may differ in the last bits */
    uint32_t cell, gates;      /* RNN_CELL_*, and its gates G (1 for the rnn cell) */
    uint64_t n_in, hidden, n_out, tau, batch, max_length;
    uint64_t off_U, off_W, off_V, off_b, off_c, off_R;
    uint64_t off_halt_w, off_halt_b, off_len_w, off_len_b, off_rem_u, off_bh, params_count;
    uint64_t s0_h, s0_fb, s0_c, s0_count;
    uint64_t ws_h, ws_p, ws_go, ws_gh, ws_d, ws_gs0, ws_s1, ws_wt, ws_vt, ws_rt, ws_fb0, ws_fb;
    uint64_t ws_ctl, ws_seq, ws_rem, ws_q, ws_gq, ws_pn, ws_gn, ws_g, ws_c, ws_gc;
    uint64_t ws_loss, ws_count;
    uint64_t x_count, y_count, opt_count;
    uint64_t parts;            /* RNN_PARTS */
    uint64_t stages;           /* RNN_STAGES */
    const char *name;          /* the model's name (the prefix of every symbol) */
    const char *spec;          /* the canonical spec the code was generated from */
    const char *forward;       /* symbol names of the entry points */
    const char *backward;
    const char *step;
    const char *train_step;
    const char *train_part;
    const char *length;        /* --end length: the length output's entry point, else NULL */
    uint64_t step_state, step_out;   /* RNN_STEP_STATE, RNN_STEP_OUT */
};

/* Optimisers of the training step.  The optimiser state (RNN_OPT_COUNT values, zero at the
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
/*@ ABI_EPILOGUE @*/
#endif
/*@ end @*/
