/* plan.c: the unrolled graph's operations and their equations (see plan.h). */
#include "plan.h"

#include <stdio.h>

/* Layout of the plan: INPUTS, tau FORWARD, OUTPUTS, tau LOSS, LOSS_SUM, BACKWARD_BEGIN,
 * tau OUTPUT_GRAD (t = tau..1), OUTPUT_BACK, tau HIDDEN_GRAD (t = tau..1), H0_GRAD,
 * PARAM_GRADS. */
size_t rnnc_plan_count(const rnnc_spec *s) { return 4 * s->tau + 7; }

rnnc_op rnnc_plan_op(const rnnc_spec *s, size_t i)
{
    /* Runs of operations: kind, one per step (else one in all), t stepping down? */
    static const struct { rnnc_op_kind kind; int per_step, down; } runs[] = {
        {RNNC_OP_INPUTS, 0, 0},      {RNNC_OP_FORWARD, 1, 0},     {RNNC_OP_OUTPUTS, 0, 0},
        {RNNC_OP_LOSS, 1, 0},        {RNNC_OP_LOSS_SUM, 0, 0},    {RNNC_OP_BACKWARD_BEGIN, 0, 0},
        {RNNC_OP_OUTPUT_GRAD, 1, 1}, {RNNC_OP_OUTPUT_BACK, 0, 0}, {RNNC_OP_HIDDEN_GRAD, 1, 1},
        {RNNC_OP_H0_GRAD, 0, 0},     {RNNC_OP_PARAM_GRADS, 0, 0},
    };
    rnnc_op op = {RNNC_OP_PARAM_GRADS, 1};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        size_t len = runs[r].per_step ? s->tau : 1;
        if (i < len) {
            op.kind = runs[r].kind;
            op.t = runs[r].per_step ? (runs[r].down ? s->tau - i : i + 1) : 1;
            return op;
        }
        i -= len;
    }
    return op;
}

rnnc_hole_kind rnnc_op_hole(rnnc_op op)
{
    return op.kind == RNNC_OP_PARAM_GRADS ? RNNC_HOLE_PARAM_GRADS
         : op.kind >= RNNC_OP_BACKWARD_BEGIN ? RNNC_HOLE_BACKWARD
                                             : RNNC_HOLE_FORWARD;
}

static const char *act_text(rnnc_act a)
{
    return a == RNNC_ACT_TANH ? "tanh" : a == RNNC_ACT_RELU ? "relu" : "sigmoid";
}

int rnnc_plan_equation(const rnnc_spec *s, rnnc_op op, int k, char *buf, size_t n)
{
    size_t t = op.t;
    int nll = s->loss == RNNC_LOSS_NLL;
    switch (op.kind) {
    case RNNC_OP_INPUTS:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.8) b + U x(t), t = 1..%zu: the terms of a(t) without h(t-1)", s->tau);
        return 1;
    case RNNC_OP_FORWARD:
        switch (k) {
        case 0: snprintf(buf, n, "(10.8) a(%zu) = b + W h(%zu) + U x(%zu)", t, t - 1, t); return 1;
        case 1: snprintf(buf, n, "(10.9) h(%zu) = %s(a(%zu))", t, act_text(s->act), t); return 1;
        }
        return 0;
    case RNNC_OP_OUTPUTS:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.10) o(t) = c + V h(t), t = 1..%zu", s->tau);
        return 1;
    case RNNC_OP_LOSS:
        switch (k) {
        case 0:
            if (nll) snprintf(buf, n, "(10.11) p(%zu) = softmax(o(%zu))", t, t);
            else snprintf(buf, n, "(10.14) L(%zu) = 1/2 ||o(%zu) - y(%zu)||^2", t, t, t);
            return 1;
        case 1:
            if (!nll) return 0;
            snprintf(buf, n, "(10.14) L(%zu) = -log p_y(%zu)(%zu)", t, t, t);
            return 1;
        }
        return 0;
    case RNNC_OP_LOSS_SUM:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.13) L = sum_t L(t)");
        return 1;
    case RNNC_OP_BACKWARD_BEGIN:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.17) dL/dL(t) = 1");
        return 1;
    case RNNC_OP_OUTPUT_GRAD:
        if (k != 0) return 0;
        if (nll) snprintf(buf, n, "(10.18) g_o(%zu) = p(%zu) - e_y(%zu)", t, t, t);
        else snprintf(buf, n, "(10.18) g_o(%zu) = o(%zu) - y(%zu)", t, t, t);
        return 1;
    case RNNC_OP_HIDDEN_GRAD:
        if (k == 0) {
            if (t == s->tau) snprintf(buf, n, "(10.19) grad_h(%zu) = V^T g_o(%zu)", t, t);
            else snprintf(buf, n, "(10.21) grad_h(%zu) = W^T d(%zu) + V^T g_o(%zu)", t, t + 1, t);
            return 1;
        }
        if (k == 1) {
            if (s->act == RNNC_ACT_TANH)
                snprintf(buf, n, "(10.21) d(%zu) = (1 - h(%zu)^2) (.) grad_h(%zu)", t, t, t);
            else if (s->act == RNNC_ACT_SIGMOID)
                snprintf(buf, n, "(10.21) d(%zu) = h(%zu) (1 - h(%zu)) (.) grad_h(%zu)", t, t, t, t);
            else
                snprintf(buf, n, "(10.21) d(%zu) = [h(%zu) > 0] (.) grad_h(%zu)", t, t, t);
            return 1;
        }
        return 0;
    case RNNC_OP_OUTPUT_BACK:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.19)/(10.21) V^T g_o(t), t = 1..%zu: the terms of grad_h(t) without d(t+1)",
                 s->tau);
        return 1;
    case RNNC_OP_PARAM_GRADS: {
        static const char *const sums[] = {
            "(10.22) grad_c = sum_t g_o(t)",
            "(10.23) grad_b = sum_t d(t)",
            "(10.24) grad_V = sum_t g_o(t) h(t)^T",
            "(10.26) grad_W = sum_t d(t) h(t-1)^T",
        };
        if (k >= 0 && k < 4) snprintf(buf, n, "%s", sums[k]);
        else if (k == 4 && s->onehot) snprintf(buf, n, "(10.28) grad_U = sum_t d(t) x(t)^T: column x(t) += d(t)");
        else if (k == 4) snprintf(buf, n, "(10.28) grad_U = sum_t d(t) x(t)^T");
        else return 0;
        return 1;
    }
    case RNNC_OP_H0_GRAD:
        if (k != 0) return 0;
        snprintf(buf, n, "(h0) grad_h(0) = W^T d(1)");
        return 1;
    }
    return 0;
}
