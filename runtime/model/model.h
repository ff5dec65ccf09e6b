/* model.h: a generated model made callable.  Asks gen for the source of a spec, compiles it
 * with a backend (jit.h), checks the exported descriptor against the spec, and calls the
 * entry points through libffi with call interfaces prepared once.  Also the llm.c-style
 * buffers: one aligned allocation carved into named pieces. */
#ifndef RNNC_MODEL_H
#define RNNC_MODEL_H

#include <ffi.h>
#include <stddef.h>
#include <stdint.h>

#include "../../gen/spec.h"
#include "../jit/jit.h"
#include "pool.h"

/* The descriptor, hyperparameters and optimiser constants of generated code: the same
 * header the generator copies into every NAME.h (templates/rnn_abi.h), so the two are one. */
#include "../../templates/rnn_abi.h"
#define RNNC_ABI_VERSION RNN_ABI_VERSION
typedef struct rnn_descriptor rnnc_abi_descriptor;
typedef struct rnn_hparams rnnc_hparams;
enum {
    RNNC_OPTIM_SGD = RNN_OPTIM_SGD, RNNC_OPTIM_MOMENTUM = RNN_OPTIM_MOMENTUM,
    RNNC_OPTIM_ADAGRAD = RNN_OPTIM_ADAGRAD, RNNC_OPTIM_RMSPROP = RNN_OPTIM_RMSPROP,
    RNNC_OPTIM_ADAM = RNN_OPTIM_ADAM
};

/* The optimiser named name (sgd momentum adagrad rmsprop adam): its RNNC_OPTIM_* value, or -1
 * if there is none of that name. */
int rnnc_optim_parse(const char *name);

/* The name of optimiser RNNC_OPTIM_* optim, or "?" for a value that names none. */
const char *rnnc_optim_name(int optim);

typedef struct rnnc_model {
    rnnc_spec spec;
    rnnc_layout layout;
    rnnc_backend backend;
    rnnc_jit *jit;
    const rnnc_abi_descriptor *desc;
    void (*fn_forward)(void), (*fn_backward)(void), (*fn_step)(void), (*fn_train_step)(void);
    void (*fn_train_part)(void);
    void (*fn_length)(void);   /* --end length: NAME_length, else NULL */
    ffi_cif cif_forward, cif_backward, cif_step, cif_train_step, cif_train_part, cif_length;
    ffi_type *args[10];        /* 8 pointers, then train_part's stage and part (int32) */
    rnnc_pool *pool;           /* threads for train_step, or NULL (rnnc_model_set_threads) */
} rnnc_model;

/* Generate, compile and bind spec s with backend b.  Returns 0, or -1 with the reason
 * (compiler messages included) in err.  On success free with rnnc_model_unload. */
int rnnc_model_load(rnnc_model *m, const rnnc_spec *s, rnnc_backend b, char *err, size_t errlen);
void rnnc_model_unload(rnnc_model *m);

/* Run rnnc_model_train_step on n threads: the model's batch parts (desc->parts, 2 for even
 * batches of 16 and more, else 1) run at once through NAME_train_part.  n = 0 means one
 * per part, at most the machine's online CPUs; n is capped at the parts.  The results are
 * bit-identical for every n.  Returns the threads used (>= 1), or -1 with the reason in
 * err (the model then keeps its previous setting). */
int rnnc_model_set_threads(rnnc_model *m, int n, char *err, size_t errlen);
int rnnc_model_threads(const rnnc_model *m);

/* The entry points (see templates/rnn.h for their contracts).  Buffers are in the model's
 * real type; forward's loss is returned widened to double. */
double rnnc_model_forward(rnnc_model *m, const void *params, const void *x, const void *y,
                          const void *s0, void *ws);
void rnnc_model_backward(rnnc_model *m, const void *params, const void *x, const void *y,
                         void *ws, void *grads);
double rnnc_model_train_step(rnnc_model *m, void *params, void *grads, void *opt, const void *x,
                             const void *y, const void *s0, void *ws, const rnnc_hparams *hp);
/* Stages first .. last of NAME_train_part (each stage's parts at once on the threads of
 * rnnc_model_set_threads), as a data-parallel step runs them: the gradient stages (0 ..
 * stages - 2) on each share of the batch, then, with the gradients of every share summed,
 * the update (stages - 1).  Returns part 0's value of the last stage run: the loss of the
 * batch from stage 1 on (0 after stage 0 alone).  rnnc_model_train_step is stages 0 ..
 * stages - 1, bit for bit. */
double rnnc_model_train_stages(rnnc_model *m, int first, int last, void *params, void *grads, void *opt,
                               const void *x, const void *y, const void *s0, void *ws,
                               const rnnc_hparams *hp);
void rnnc_model_step(rnnc_model *m, const void *params, const void *x, const void *s_in,
                     void *s_out, void *out);
/* --end length only (m->fn_length): the length distribution p_n (max_length values) of a
 * record starting from h0 (hidden values), NAME_length (10.33n). */
void rnnc_model_length(rnnc_model *m, const void *params, const void *h0, void *pn);

/* One aligned allocation carved into every buffer an entry point needs. */
typedef struct rnnc_buffers {
    void *base;
    void *params, *grads, *ws, *x, *y, *s0, *opt;   /* s0: the initial state */
} rnnc_buffers;
int rnnc_buffers_alloc(rnnc_buffers *b, const rnnc_layout *l);   /* 0 or -1 (out of memory) */
void rnnc_buffers_free(rnnc_buffers *b);

/* Named views of the parameter (and gradient) layout, in the order U, W, V, b, c, R, halt_w,
 * halt_b, len_w, len_b, rem_u, b_h (the slots RNNC_T_*).  A tensor the model does not have (W
 * without a hidden recurrence, R without an output recurrence, the end outputs of section
 * 10.2.3 without --end halt / length, b_h without a gated cell) has rows = cols = 0.  A gated
 * cell's U, W, b and b_h have G H rows (its gates stacked in PyTorch's order). */
typedef struct rnnc_tensor {
    const char *name;
    size_t offset, rows, cols;   /* elements; column-major rows x cols */
} rnnc_tensor;
enum {
    RNNC_T_U, RNNC_T_W, RNNC_T_V, RNNC_T_B, RNNC_T_C, RNNC_T_R, RNNC_T_HALT_W, RNNC_T_HALT_B,
    RNNC_T_LEN_W, RNNC_T_LEN_B, RNNC_T_REM_U, RNNC_T_BH, RNNC_NTENSORS
};
void rnnc_param_tensors(const rnnc_spec *s, const rnnc_layout *l, rnnc_tensor out[RNNC_NTENSORS]);

/* min-char-rnn's initialisation, used by rnnc train and rnnc bench: every entry of the
 * matrices U, W, V, R, halt_w, len_w, rem_u the model has, in that order, set to 0.01 z with
 * z ~ N(0, 1) drawn from
 * *rng (rnnc_rand_normal); the other parameters (the biases) are left as they are, zero in a
 * fresh buffer, but a gated cell starts remembering: rows H..2H of b (PyTorch's bias_ih_l0),
 * the LSTM's forget gate and the GRU's update gate, are set to 1 (b_h stays 0, so that gate's
 * bias totals 1: Jozefowicz, Zaremba and Sutskever 2015; Keras's unit_forget_bias).  At 0 a
 * GRU keeps half of h per step at first and learns no 50-step dependency
 * (tests/unit/test_long_range.c). */
void rnnc_init_weights(const rnnc_spec *s, const rnnc_layout *l, void *params, uint64_t *rng);

/* Element i of a buffer of reals of type dt, as double; and the reverse. */
double rnnc_get(const void *buf, rnnc_dtype dt, size_t i);
void rnnc_set(void *buf, rnnc_dtype dt, size_t i, double v);

/* Elements off .. off+n-1 of a buffer of reals of type dt, as doubles into out[0..n). */
void rnnc_get_range(const void *buf, rnnc_dtype dt, size_t off, size_t n, double *out);

#endif
