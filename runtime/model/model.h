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

/* The runtime's copy of struct NAME_descriptor (templates/rnn.h), ABI version 2. */
#define RNNC_ABI_VERSION 2
typedef struct rnnc_abi_descriptor {
    uint32_t abi_version, descriptor_size, dtype, onehot, act, loss, fast, reserved;
    uint64_t n_in, hidden, n_out, tau, batch;
    uint64_t off_U, off_W, off_V, off_b, off_c, params_count;
    uint64_t ws_h, ws_p, ws_go, ws_gh, ws_d, ws_gh0, ws_wt, ws_vt, ws_loss, ws_count;
    uint64_t x_count, y_count, h0_count, opt_count, parts, stages;
    const char *name, *spec, *forward, *backward, *step, *train_step, *train_part;
} rnnc_abi_descriptor;

/* The runtime's copy of struct NAME_hparams (templates/rnn.h). */
enum { RNNC_OPTIM_SGD, RNNC_OPTIM_MOMENTUM, RNNC_OPTIM_ADAGRAD, RNNC_OPTIM_RMSPROP, RNNC_OPTIM_ADAM };
typedef struct rnnc_hparams {
    double lr, beta1, beta2, eps, weight_decay, clip, clip_norm, grad_scale;
    double bias1, bias2;
    int32_t optim, reserved;
} rnnc_hparams;

typedef struct rnnc_model {
    rnnc_spec spec;
    rnnc_layout layout;
    rnnc_backend backend;
    rnnc_jit *jit;
    const rnnc_abi_descriptor *desc;
    void (*fn_forward)(void), (*fn_backward)(void), (*fn_step)(void), (*fn_train_step)(void);
    void (*fn_train_part)(void);
    ffi_cif cif_forward, cif_backward, cif_step, cif_train_step, cif_train_part;
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
                          const void *h0, void *ws);
void rnnc_model_backward(rnnc_model *m, const void *params, const void *x, const void *y,
                         void *ws, void *grads);
double rnnc_model_train_step(rnnc_model *m, void *params, void *grads, void *opt, const void *x,
                             const void *y, const void *h0, void *ws, const rnnc_hparams *hp);
void rnnc_model_step(rnnc_model *m, const void *params, const void *x, const void *h_in,
                     void *h_out, void *out);

/* One aligned allocation carved into every buffer an entry point needs. */
typedef struct rnnc_buffers {
    void *base;
    void *params, *grads, *ws, *x, *y, *h0, *opt;
} rnnc_buffers;
int rnnc_buffers_alloc(rnnc_buffers *b, const rnnc_layout *l);   /* 0 or -1 (out of memory) */
void rnnc_buffers_free(rnnc_buffers *b);

/* Named views of the parameter (and gradient) layout. */
typedef struct rnnc_tensor {
    const char *name;
    size_t offset, rows, cols;   /* elements; column-major rows x cols */
} rnnc_tensor;
enum { RNNC_NTENSORS = 5 };
void rnnc_param_tensors(const rnnc_spec *s, const rnnc_layout *l, rnnc_tensor out[RNNC_NTENSORS]);

/* Element i of a buffer of reals of type dt, as double; and the reverse. */
double rnnc_get(const void *buf, rnnc_dtype dt, size_t i);
void rnnc_set(void *buf, rnnc_dtype dt, size_t i, double v);

#endif
