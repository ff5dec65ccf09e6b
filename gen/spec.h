/* spec.h: the description of one RNN model (dimensions, activation, loss, recurrence,
 * feedback, dtype, name),
 * parsed from command-line options or a spec file and validated against the documented
 * limits.  Library code: every function returns a status and writes a one-line message
 * into the caller's buffer; nothing here prints or exits. */
#ifndef RNNC_SPEC_H
#define RNNC_SPEC_H

#include <stddef.h>

#include "variants.h"

#define RNNC_VERSION "0.1.0"

/* Documented limits (README "Limits").  Each dimension is at most RNNC_MAX_DIM, tau at most
 * RNNC_MAX_TAU, batch at most RNNC_MAX_BATCH, and every buffer the caller provides at most
 * RNNC_MAX_BUFFER_BYTES, so every offset fits comfortably in size_t and in the generated
 * code's index arithmetic. */
#define RNNC_MAX_DIM 65536
#define RNNC_MAX_TAU 1000000      /* steps of a chunk; in segments of at most RNNC_MAX_UNROLL */
#define RNNC_MAX_UNROLL 10000     /* steps written out: one segment (the whole tau by default) */
#define RNNC_MAX_BATCH 4096
#define RNNC_MAX_BUFFER_BYTES ((size_t)1 << 32)
#define RNNC_MAX_NAME 48
#define RNNC_MAX_LENGTH 65536   /* --max-length: the lengths a length output can predict */

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
    rnnc_recurrence rec;   /* hidden (W h(t-1)), output (R fb(t-1)) or both */
    rnnc_feedback fb;      /* what an output recurrence feeds back (teacher for hidden) */
    rnnc_end end;          /* how a sequence ends (section 10.2.3) */
    rnnc_cell cell;        /* rnn (10.8)-(10.9), or a gated cell: gru, lstm (section 10.10.1) */
    size_t max_length;     /* --end length: lengths 1..max_length (else 0) */
    size_t segment;        /* steps per segment of the generated loop (--memory N, --segment S);
                              0: the whole tau, written out in one */
    int recompute;         /* --memory sqrt|N: keep h only at segment starts, recompute each
                              segment before its backward sweep */
    rnnc_dtype dtype;
    int fast;        /* 1: --fast, plain a*b+c and fast-math; results may differ by backend */
    char name[RNNC_MAX_NAME + 1];
} rnnc_spec;

/* Byte sizes and element offsets of every buffer, computed once with overflow checks.
 * Offsets are in elements of the model's real type and start on 64-byte boundaries.  A tensor
 * the model does not have (W without a hidden recurrence, R without an output recurrence, the
 * scheduled-sampling buffers without scheduled sampling) has no elements. */
typedef struct rnnc_layout {
    size_t real_size;
    size_t off_U, off_W, off_V, off_b, off_c, off_R;                 /* parameters = gradients */
    size_t off_halt_w, off_halt_b;                  /* the halting unit: 1 x H, 1 */
    size_t off_len_w, off_len_b, off_rem_u;         /* the length output: M x H, M; H */
    size_t off_bh;                  /* a gated cell's recurrent bias b_h, G H (last) */
    size_t params_count;
    size_t s0_h, s0_fb, s0_c, s0_count; /* the initial state: h(0) (B x H), then fb(0) (B x K),
                                       then the LSTM's c(0) (B x H) */
    size_t ws_h, ws_p, ws_go, ws_gh, ws_d;                    /* workspace nodes */
    size_t ws_gs0;                  /* the gradient of the initial state, s0's layout */
    size_t ws_s1;                   /* the final state h(tau), fb(tau), s0's layout */
    size_t ws_wt, ws_vt, ws_rt;     /* W^T, V^T, R^T copies for backward */
    size_t ws_fb0;                  /* fb(0), B x K, kept for grad_R */
    size_t ws_fb;                   /* scheduled sampling: fb(1..tau) (indices for nll);
                                       free running: B x K scratch for R^T d(t+1) */
    size_t ws_ctl;                  /* scheduled sampling: the caller's draws, tau x B */
    size_t ws_seq;                  /* records: the caller's end, first, length per column */
    size_t ws_rem;                  /* --end length: the caller's r(t), tau x B */
    size_t ws_q, ws_gq;             /* --end halt: q(t) and g_q(t), tau x B each */
    size_t ws_pn, ws_gn;            /* --end length: p_n and g_n, B x M each */
    size_t ws_hck, ws_dn;           /* --memory sqrt|N: h at each segment's start; d(t0+1) */
    size_t ws_g;                    /* gated cells: the gates of every step, tau x B x slots H */
    size_t ws_c, ws_gc;             /* lstm: c(0..tau), (tau+1) x B x H; grad_c(1..tau) */
    size_t gh, dcol, gcol;          /* G H; values per column of d(t) (H, or 4 H gated) and of
                                       the gate buffer (0, 4 H or 5 H) */
    size_t seg, nseg, seg_last;     /* steps per segment, segments, steps of the last one */
    size_t ws_loss, ws_count;                                 /* one double per batch part */
    size_t parts;        /* batch parts of a training step (threads may run them at once) */
    size_t x_count, y_count;                                  /* inputs, targets */
    size_t opt_count;                                         /* optimiser state: 2 x params */
    size_t x_elem_size, y_elem_size;
    size_t params_bytes, ws_bytes, x_bytes, y_bytes, s0_bytes, opt_bytes;
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

/* rnnc_spec_set_text's flags: a key b already has keeps its value (the user's options win
 * over a file's own spec). */
enum { RNNC_SPEC_TEXT_KEEP_SET = 1 };

/* Apply the canonical spec text (rnnc_spec_format's "key=value key=value ...", as checkpoints
 * and safetensors metadata store it; cut at 511 bytes) to b, word by word in order, through
 * rnnc_spec_set with where in its messages (where NULL: each key names itself, "hidden: ...").
 * The key skip (none when NULL) is passed over, and with RNNC_SPEC_TEXT_KEEP_SET so is every
 * key b already has.  Stops at the first word that fails.  Returns 0; 1 when a word is not
 * key=value, with "WHERE: 'WORD' is not key=value" in err (a caller may say it its own way);
 * -1 with rnnc_spec_set's message. */
int rnnc_spec_set_text(rnnc_spec_builder *b, const char *text, unsigned flags, const char *skip,
                       const char *where, char *err, size_t errlen);

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
