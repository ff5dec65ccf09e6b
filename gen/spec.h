/* spec.h: the description of one RNN model (dimensions, activation, loss, dtype, name),
 * parsed from command-line options or a spec file and validated against the documented
 * limits.  Library code: every function returns a status and writes a one-line message
 * into the caller's buffer; nothing here prints or exits. */
#ifndef RNNC_SPEC_H
#define RNNC_SPEC_H

#include <stddef.h>

#define RNNC_VERSION "0.1.0"

/* Documented limits (README "Limits").  Each dimension is at most RNNC_MAX_DIM, tau at most
 * RNNC_MAX_TAU, batch at most RNNC_MAX_BATCH, and every buffer the caller provides at most
 * RNNC_MAX_BUFFER_BYTES, so every offset fits comfortably in size_t and in the generated
 * code's index arithmetic. */
#define RNNC_MAX_DIM 65536
#define RNNC_MAX_TAU 10000
#define RNNC_MAX_BATCH 4096
#define RNNC_MAX_BUFFER_BYTES ((size_t)1 << 32)
#define RNNC_MAX_NAME 48

typedef enum { RNNC_ACT_TANH, RNNC_ACT_RELU, RNNC_ACT_SIGMOID } rnnc_act;
typedef enum { RNNC_LOSS_NLL, RNNC_LOSS_MSE } rnnc_loss;
typedef enum { RNNC_FLOAT = 1, RNNC_DOUBLE = 2 } rnnc_dtype;

typedef struct rnnc_spec {
    size_t n_in;     /* input size: vocabulary V (one-hot) or dense vector length */
    size_t hidden;   /* H */
    size_t n_out;    /* K: V for one-hot models */
    size_t tau;      /* unrolled sequence length */
    size_t batch;    /* B independent columns */
    int onehot;      /* 1: --vocab V, input is a class index; 0: --in N --out K */
    rnnc_act act;
    rnnc_loss loss;
    rnnc_dtype dtype;
    int fast;        /* 1: --fast, plain a*b+c and fast-math; results may differ by backend */
    char name[RNNC_MAX_NAME + 1];
} rnnc_spec;

/* Byte sizes and element offsets of every buffer, computed once with overflow checks.
 * Offsets are in elements of the model's real type and start on 64-byte boundaries. */
typedef struct rnnc_layout {
    size_t real_size;
    size_t off_U, off_W, off_V, off_b, off_c, params_count;   /* parameters = gradients */
    size_t ws_h, ws_p, ws_go, ws_gh, ws_d, ws_gh0;            /* workspace nodes */
    size_t ws_wt, ws_vt;                                      /* W^T, V^T copies for backward */
    size_t ws_loss, ws_count;                                 /* one double per batch part */
    size_t parts;        /* batch parts of a training step (threads may run them at once) */
    size_t x_count, y_count, h0_count;                        /* inputs, targets, h(0) */
    size_t opt_count;                                         /* optimiser state: 2 x params */
    size_t x_elem_size, y_elem_size;
    size_t params_bytes, ws_bytes, x_bytes, y_bytes, h0_bytes, opt_bytes;
} rnnc_layout;

/* Parser state: which keys were set, so the spec is checked as a whole at the end. */
typedef struct rnnc_spec_builder {
    rnnc_spec spec;
    unsigned set;    /* bit per key (RNNC_KEY_*), see spec.c */
} rnnc_spec_builder;

/* Start a builder with every default (batch 1, tanh, float, name "rnn"). */
void rnnc_spec_begin(rnnc_spec_builder *b);

/* Is KEY (without leading dashes) a spec key?  Returns 1 if it is, 0 if not. */
int rnnc_spec_is_key(const char *key);

/* Was KEY set (by a file or an option)?  1 or 0. */
int rnnc_spec_has(const rnnc_spec_builder *b, const char *key);

/* Set KEY to VALUE.  WHERE names the source for messages ("--hidden", "m.spec:3").
 * Returns 0, or -1 with a one-line message in err. */
int rnnc_spec_set(rnnc_spec_builder *b, const char *key, const char *value, const char *where,
                  char *err, size_t errlen);

/* Parse spec text text[0..n) (lines "key = value", '#' comments, blank lines; "\n" or
 * "\r\n" line ends; a leading UTF-8 byte-order mark is skipped), naming it NAME in messages.
 * Refused with "NAME:LINE: message": a NUL byte ("NAME:LINE: NUL byte ..."), a line longer
 * than 510 characters, a line that is not 'key = value', and whatever rnnc_spec_set refuses.
 * Returns 0, or -1 with the message in err. */
int rnnc_spec_read_text(rnnc_spec_builder *b, const char *text, size_t n, const char *name,
                        char *err, size_t errlen);

/* Read the spec file path (at most 1 MiB) with rnnc_spec_read_text.
 * Returns 0, or -1 with "FILE:LINE: message" (or "FILE: cannot open ...") in err. */
int rnnc_spec_read_file(rnnc_spec_builder *b, const char *path, char *err, size_t errlen);

/* Check the spec as a whole (required keys, combinations, limits) and fill *out.
 * Returns 0, or -1 with a message naming the option. */
int rnnc_spec_finish(const rnnc_spec_builder *b, rnnc_spec *out, char *err, size_t errlen);

/* Compute the buffer layout; fails (-1) if any size exceeds the limits. */
int rnnc_spec_layout(const rnnc_spec *s, rnnc_layout *l, char *err, size_t errlen);

/* The canonical one-line form of the spec ("vocab=65 hidden=100 ..."), used in banners and
 * checkpoints: deterministic, no paths.  Returns the length written (truncated to n-1). */
size_t rnnc_spec_format(const rnnc_spec *s, char *buf, size_t n);

/* The same spec as command-line options ("--vocab 65 --hidden 100 ..."). */
size_t rnnc_spec_format_options(const rnnc_spec *s, char *buf, size_t n);

const char *rnnc_act_name(rnnc_act a);
const char *rnnc_loss_name(rnnc_loss l);
const char *rnnc_dtype_name(rnnc_dtype d);

#endif
