/* diff.h: `rnnc diff HAND.c`: a hand-written BPTT (templates/rnnc_hand.h) against the
 * generated one, node by node in backward order, on the seeded random problem of
 * `rnnc check`.  HAND.c is compiled by a backend (jit.h) and run in a child process with a
 * time limit, so a crash or an endless loop in it is reported, never suffered.  Also the
 * writer of that interface, rnnc_hand.h (`rnnc gen --hand-header`, hand_header.c).
 * Library code: returns a status with a message; never prints or exits. */
#ifndef RNNC_DIFF_H
#define RNNC_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "../../gen/spec.h"
#include "../jit/jit.h"

/* Seconds rnnc_hand_bptt may run before it is stopped and reported. */
#define RNNC_DIFF_TIME_LIMIT 10
/* Entries shown for the first node that differs. */
#define RNNC_DIFF_MAX_WORST 3

typedef enum {
    RNNC_DIFF_RAN = 0,        /* both ran and were compared: see rnnc_diff_result.agree */
    RNNC_DIFF_NO_COMPILE,     /* HAND.c did not compile: the message's first line says so,
                                 the compiler's messages (FILE:LINE: ...) follow */
    RNNC_DIFF_HAND_FAILED,    /* no rnnc_hand_bptt, or it crashed, timed out or exited */
    RNNC_DIFF_BAD_INPUT,      /* HAND.c could not be read */
    RNNC_DIFF_FAILED          /* the generated model could not be built, or out of memory */
} rnnc_diff_status;

typedef struct rnnc_diff_opts {
    const char *hand;         /* path of HAND.c; also the file name in compiler messages */
    rnnc_backend backend;     /* compiles HAND.c and the generated model */
    uint64_t seed;            /* the random problem (as rnnc check --seed) */
    unsigned time_limit;      /* seconds for rnnc_hand_bptt; 0 means RNNC_DIFF_TIME_LIMIT */
} rnnc_diff_opts;

/* How a node's entries are indexed in reports. */
typedef enum {
    RNNC_DIFF_IDX_BATCH,      /* (b, i): g_o(t), grad_h(t), grad_h0, grad_fb0 (rows = batch) */
    RNNC_DIFF_IDX_MATRIX,     /* (i, j): grad_V, grad_W, grad_R, grad_U */
    RNNC_DIFF_IDX_VECTOR      /* (i): grad_c, grad_b (cols = 1) */
} rnnc_diff_index;

typedef struct rnnc_diff_entry {
    size_t row, col;          /* printed as the node's index kind says */
    double hand, gen;
} rnnc_diff_entry;

typedef struct rnnc_diff_node {
    char name[32];            /* "g_o(3)", "grad_h(3)", "grad_c", ..., "grad_h0", "grad_fb0" */
    char equation[192];       /* the equation that governs it (rnnc_plan_node_equation) */
    rnnc_diff_index index;
    size_t rows, cols;
    double max_abs;           /* over every entry; +inf if some value is not finite */
    double max_rel;           /* |hand - gen| / max(|hand|, |gen|) over entries above atol */
    size_t bad;               /* entries outside the tolerance (non-finite ones included) */
    rnnc_diff_entry worst[RNNC_DIFF_MAX_WORST];   /* the bad entries furthest outside it */
    size_t nworst;
} rnnc_diff_node;

typedef struct rnnc_diff_result {
    rnnc_diff_node *nodes;    /* backward order: g_o(tau), grad_h(tau), ..., g_o(1), grad_h(1),
                                 grad_c, grad_b, grad_V, grad_W, grad_R, grad_U, grad_h0,
                                 grad_fb0, each where the model has it (W and h0 with a hidden
                                 recurrence, R and fb0 with an output recurrence) */
    size_t nnodes;
    size_t first;             /* index of the first node that differs, or nnodes */
    double rtol, atol;        /* |hand - gen| <= rtol * max(|hand|, |gen|) + atol */
    double loss;              /* the generated forward pass's loss */
    int agree;                /* 1: every node within tolerance */
} rnnc_diff_result;

/* Fill the spec keys the user left unset with diff's defaults: --vocab 5 (unless vocab, in
 * or out is given), --hidden 4, --tau 4, and --dtype double.  Returns 0, or -1 with a
 * message. */
int rnnc_diff_spec_defaults(rnnc_spec_builder *b, char *err, size_t errlen);

/* Compile o->hand, run it and the generated BPTT of s on the random problem of o->seed, and
 * compare every node.  With scheduled sampling the forward pass's seeded choices are held
 * fixed and handed to HAND.c as data (p->fb).  Returns RNNC_DIFF_RAN with *r filled (free it with rnnc_diff_free),
 * or another status with the reason in err (r is then empty). */
rnnc_diff_status rnnc_diff_run(const rnnc_spec *s, const rnnc_diff_opts *o, rnnc_diff_result *r,
                               char *err, size_t errlen);
void rnnc_diff_free(rnnc_diff_result *r);

/* The report of a run: spec, tolerance, the first node that differs (its equation, errors
 * and worst entries), then a table of every node.  Returns 0 with *text malloc'd, or -1
 * (out of memory). */
int rnnc_diff_report(const rnnc_spec *s, const rnnc_diff_opts *o, const rnnc_diff_result *r,
                     char **text);

/* The translation unit rnnc compiles for HAND.c's text[0..len) (which holds no NUL byte: the
 * reader refuses those): each line that includes rnnc_hand.h replaced by the header (or the
 * header first, if none does), with #line directives naming hand.  Malloc'd, or NULL when
 * out of memory.  (The one parser of the hand-written interface's inputs; the fuzzer calls
 * it.) */
char *rnnc_diff_hand_unit(const char *text, size_t len, const char *hand);

/* `rnnc gen --hand-header` (hand_header.c): write DIR/rnnc_hand.h (templates/rnnc_hand.h, built
 * into the binary) atomically (rnnc_write_atomic).  Returns 0, or -1 with a message naming
 * the file. */
int rnnc_diff_write_header(const char *dir, char *err, size_t errlen);

#endif
