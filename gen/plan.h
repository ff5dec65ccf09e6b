/* plan.h: the unrolled graph as a list of operations, each carrying the kernel it calls, its
 * operands and the equations (labels of gen/EQUATIONS.md) it implements.  gen.c renders the
 * operations into calls, and `rnnc equations` prints the same equation lines, so the code's
 * comments and the equations agree.  Which operations a model has follows from its variants
 * (gen/variants.h): what is sequential in t depends on the recurrence and the feedback. */
#ifndef RNNC_PLAN_H
#define RNNC_PLAN_H

#include <stddef.h>

#include "spec.h"

/* The operations, in the order the generated code runs them.  "every t" operations are one
 * product (or loop) over all tau x B columns; the others are one step t. */
typedef enum {
    RNNC_OP_LENGTH_OUT,       /* (10.33n) the length output, from h(0) */
    RNNC_OP_INPUTS,           /* b + U x(t) of (10.8), every t */
    RNNC_OP_REMAINING_INPUTS, /* (10.33r) rem_u r(t), every t */
    RNNC_OP_TEACHER_INPUTS,   /* + R fb(t-1) with the teacher's fb, every t (10.8o/b, 10.11t) */
    RNNC_OP_FEEDBACK_IN,      /* step t: + R fb(t-1), fb from the model (10.8o/b) */
    RNNC_OP_HIDDEN,           /* step t: + W h(t-1), then f (10.8)-(10.9) */
    RNNC_OP_ACTIVATE,         /* step t: f alone (10.9) */
    RNNC_OP_ACTIVATE_ALL,     /* f, every t (10.9): an output recurrence with teacher forcing */
    RNNC_OP_OUTPUTS,          /* (10.10) o(t) = c + V h(t), every t */
    RNNC_OP_OUTPUT,           /* step t: (10.10), needed at once to be fed back */
    RNNC_OP_LOSS,             /* step t: softmax and L(t) (10.11)-(10.14) */
    RNNC_OP_FEEDBACK_OUT,     /* step t: fb(t) (10.11f/s) */
    RNNC_OP_HALT_OUT,         /* (10.33h) the halting unit q(t) and L_q(t), every t */
    RNNC_OP_FINAL_STATE,      /* (s1) h(tau) for the next chunk */
    RNNC_OP_FINAL_FEEDBACK,   /* (s1) fb(tau) for the next chunk (output recurrence) */
    RNNC_OP_LOSS_SUM,         /* (10.13) L = sum_t L(t): no code of its own */
    RNNC_OP_BACKWARD_BEGIN,   /* (10.17) dL/dL(t) = 1: no code of its own */
    RNNC_OP_OUTPUT_GRAD,      /* step t: (10.18) g_o(t), its own term */
    RNNC_OP_OUTPUT_BACK,      /* V^T g_o(t) of (10.19)/(10.21), every t */
    RNNC_OP_HALT_GRAD,        /* (10.33h) g_q(t) (and its term of grad_h(t)), every t */
    RNNC_OP_FEEDBACK_GRAD,    /* step t: (10.18f) what reaches o(t) through fb(t) */
    RNNC_OP_OUTPUT_BACK_STEP, /* step t: V^T g_o(t) (10.21f) */
    RNNC_OP_HIDDEN_GRAD,      /* step t: (10.19)/(10.21)/(10.21f) grad_h(t) and d(t) */
    RNNC_OP_HIDDEN_GRAD_ALL,  /* (10.21o) d(t), every t */
    RNNC_OP_STATE_GRAD,       /* (h0) grad_h(0), (fb0) grad_fb(0) */
    RNNC_OP_LENGTH_GRAD,      /* (10.33n) g_n and its term of grad_h(0) */
    RNNC_OP_PARAM_GRADS       /* (10.22)-(10.28): the parameter gradients, summed over every t */
} rnnc_op_kind;

/* An operand: the pointer `base + off` (off in elements), one of the names the template's
 * step functions declare (templates/rnn.c); the null pointer when base is NULL; or, when
 * literal is set, the whole number off (a time step). */
typedef struct rnnc_arg {
    const char *base;
    size_t off;
    int literal;
} rnnc_arg;

#define RNNC_OP_MAX_ARGS 12

typedef struct rnnc_op {
    rnnc_op_kind kind;
    size_t t;               /* time step 1..tau (1 for the operations over every step) */
    const char *fn;         /* the kernel, without the model's prefix; NULL: no code */
    int adds_loss;          /* the call returns L(t), added to the step's loss */
    int nargs;
    rnnc_arg args[RNNC_OP_MAX_ARGS];
} rnnc_op;

typedef struct rnnc_plan {
    rnnc_op *ops;
    size_t count;
} rnnc_plan;

/* The plan of s for a segment of `steps` steps (s->tau: the whole chunk, as `rnnc equations`
 * prints it; the layout's seg or seg_last for the generated segment functions, whose step j
 * is step t0 + j of the chunk), with the chunk's operations before and after the segments.
 * Returns 0, or -1 when out of memory.  Free with rnnc_plan_free. */
int rnnc_plan_make(const rnnc_spec *s, size_t steps, rnnc_plan *p);
void rnnc_plan_free(rnnc_plan *p);

/* Which template hole op belongs to: the chunk's start, a segment's forward pass, the chunk's
 * end, a segment's backward sweep, the end of the sweep, or a segment's parameter gradients. */
typedef enum {
    RNNC_HOLE_FORWARD_BEGIN, RNNC_HOLE_FORWARD, RNNC_HOLE_FORWARD_END, RNNC_HOLE_BACKWARD,
    RNNC_HOLE_BACKWARD_END, RNNC_HOLE_PARAM_GRADS
} rnnc_hole_kind;
rnnc_hole_kind rnnc_op_hole(rnnc_op op);

/* The equation lines operation op implements (only its kind and t are read), e.g.
 * "(10.21) grad_h(7) = W^T d(8) + V^T g_o(7)".  Writes line k (0-based) into buf and returns
 * 1, or returns 0 when op has no line k.  PARAM_GRADS lines are the sums in the order of
 * (10.22)-(10.28); STATE_GRAD lines are (h0), then (fb0) for an output recurrence. */
int rnnc_plan_equation(const rnnc_spec *s, rnnc_op op, int k, char *buf, size_t n);

/* The equation that governs one node of the backward pass, by the name `rnnc diff` gives it:
 * "g_o" and "grad_h" at step t (1..tau), or "grad_c", "grad_b", "grad_V", "grad_W", "grad_R",
 * "grad_U", "grad_h0", "grad_fb0", and for the gated cells "grad_bh" (b_h) and "grad_c0" (t is
 * then ignored), and the LSTM's "grad_cell" (grad_c(t) of (10.41b), at step t).  With free running, g_o(t) for t < tau
 * is the whole of (10.18f); with an output recurrence and teacher forcing or scheduled
 * sampling, grad_h(t) is (10.21o).  Writes the line (the text rnnc_plan_equation writes for
 * that node) into buf and returns 1, or returns 0 when s has no such node. */
int rnnc_plan_node_equation(const rnnc_spec *s, const char *node, size_t t, char *buf, size_t n);

#endif
