/* plan.h: the unrolled graph as a list of operations, each tagged with the equations of
 * bptt.md it implements.  The emitter renders it into calls (gen.c); later, `rnnc
 * equations` prints the same equation lines, so code comments and equations agree. */
#ifndef RNNC_PLAN_H
#define RNNC_PLAN_H

#include <stddef.h>

#include "spec.h"

typedef enum {
    RNNC_OP_FORWARD,      /* (10.8)-(10.14) at step t, every batch column */
    RNNC_OP_LOSS_SUM,     /* (10.13) L = sum_t L(t): no code of its own */
    RNNC_OP_BACKWARD_BEGIN, /* (10.17) and the sums (10.22)-(10.28) the steps accumulate */
    RNNC_OP_OUTPUT_GRAD,  /* (10.18) g_o(t) */
    RNNC_OP_HIDDEN_GRAD,  /* (10.19) or (10.21): grad_h(t) and d(t) */
    RNNC_OP_PARAM_GRADS,  /* (10.22)-(10.28): step t's share of the parameter gradients */
    RNNC_OP_H0_GRAD       /* grad_h(0) = W^T d(1) */
} rnnc_op_kind;

typedef struct rnnc_op {
    rnnc_op_kind kind;
    size_t t;             /* time step 1..tau (1 for H0_GRAD) */
} rnnc_op;

/* Number of operations of the plan for s: the forward steps, the loss sum, the start of
 * the backward pass, the backward steps from tau down to 1, and grad_h(0). */
size_t rnnc_plan_count(const rnnc_spec *s);

/* Operation i (0 <= i < rnnc_plan_count(s)) of the plan. */
rnnc_op rnnc_plan_op(const rnnc_spec *s, size_t i);

/* Is op part of the backward pass? */
int rnnc_op_is_backward(rnnc_op op);

/* The equation lines operation op implements, e.g. "(10.21) grad_h(7) = W^T d(8) + V^T g_o(7)".
 * Writes line k (0-based) into buf and returns 1, or returns 0 when op has no line k. */
int rnnc_plan_equation(const rnnc_spec *s, rnnc_op op, int k, char *buf, size_t n);

#endif
