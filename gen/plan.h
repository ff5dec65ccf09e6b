/* plan.h: the unrolled graph as a list of operations, each tagged with the equations of
 * bptt.md it implements.  The emitter renders it into calls (gen.c); later, `rnnc
 * equations` prints the same equation lines, so code comments and equations agree. */
#ifndef RNNC_PLAN_H
#define RNNC_PLAN_H

#include <stddef.h>

#include "spec.h"

/* The operations in the order the generated code runs them.  Only W h(t-1) (forward) and
 * W^T d(t+1) (backward) are sequential in t; the other terms are computed for every step
 * and batch column at once (the GROUP operations), before or after the sequential sweeps. */
typedef enum {
    RNNC_OP_INPUTS,       /* b + U x(t) of (10.8), every t at once */
    RNNC_OP_FORWARD,      /* (10.8)-(10.9) at step t: adds W h(t-1), applies f */
    RNNC_OP_OUTPUTS,      /* (10.10) o(t) = c + V h(t), every t at once */
    RNNC_OP_LOSS,         /* (10.11)-(10.14) at step t: softmax and L(t) */
    RNNC_OP_LOSS_SUM,     /* (10.13) L = sum_t L(t): no code of its own */
    RNNC_OP_BACKWARD_BEGIN, /* (10.17) dL/dL(t) = 1 */
    RNNC_OP_OUTPUT_GRAD,  /* (10.18) g_o(t) */
    RNNC_OP_OUTPUT_BACK,  /* V^T g_o(t) of (10.19)/(10.21), every t at once */
    RNNC_OP_HIDDEN_GRAD,  /* (10.19) or (10.21) at step t: grad_h(t) and d(t) */
    RNNC_OP_H0_GRAD,      /* grad_h(0) = W^T d(1) */
    RNNC_OP_PARAM_GRADS   /* (10.22)-(10.28): the parameter gradients, summed over every t */
} rnnc_op_kind;

typedef struct rnnc_op {
    rnnc_op_kind kind;
    size_t t;             /* time step 1..tau (1 for the operations over every step) */
} rnnc_op;

/* Number of operations of the plan for s. */
size_t rnnc_plan_count(const rnnc_spec *s);

/* Operation i (0 <= i < rnnc_plan_count(s)) of the plan. */
rnnc_op rnnc_plan_op(const rnnc_spec *s, size_t i);

/* Which template hole op belongs to: the forward pass, the backward sweep of a batch part,
 * or the parameter gradients (summed over every part). */
typedef enum { RNNC_HOLE_FORWARD, RNNC_HOLE_BACKWARD, RNNC_HOLE_PARAM_GRADS } rnnc_hole_kind;
rnnc_hole_kind rnnc_op_hole(rnnc_op op);

/* The equation lines operation op implements, e.g. "(10.21) grad_h(7) = W^T d(8) + V^T g_o(7)".
 * Writes line k (0-based) into buf and returns 1, or returns 0 when op has no line k. */
int rnnc_plan_equation(const rnnc_spec *s, rnnc_op op, int k, char *buf, size_t n);

#endif
