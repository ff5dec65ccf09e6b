/* plan.c: the unrolled graph's operations and their equations (see plan.h). */
#include "plan.h"

#include <stdio.h>

size_t rnnc_plan_count(const rnnc_spec *s) { return s->tau + 2 + 3 * s->tau + 1; }

rnnc_op rnnc_plan_op(const rnnc_spec *s, size_t i)
{
    rnnc_op op;
    op.t = 1;
    if (i < s->tau) {
        op.kind = RNNC_OP_FORWARD;
        op.t = i + 1;
    } else if (i == s->tau) {
        op.kind = RNNC_OP_LOSS_SUM;
    } else if (i == s->tau + 1) {
        op.kind = RNNC_OP_BACKWARD_BEGIN;
    } else if (i < 4 * s->tau + 2) {
        size_t k = i - s->tau - 2;
        static const rnnc_op_kind order[3] = {RNNC_OP_OUTPUT_GRAD, RNNC_OP_HIDDEN_GRAD,
                                              RNNC_OP_PARAM_GRADS};
        op.kind = order[k % 3];
        op.t = s->tau - k / 3;
    } else {
        op.kind = RNNC_OP_H0_GRAD;
    }
    return op;
}

int rnnc_op_is_backward(rnnc_op op)
{
    return op.kind != RNNC_OP_FORWARD && op.kind != RNNC_OP_LOSS_SUM;
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
    case RNNC_OP_FORWARD:
        switch (k) {
        case 0: snprintf(buf, n, "(10.8) a(%zu) = b + W h(%zu) + U x(%zu)", t, t - 1, t); return 1;
        case 1: snprintf(buf, n, "(10.9) h(%zu) = %s(a(%zu))", t, act_text(s->act), t); return 1;
        case 2: snprintf(buf, n, "(10.10) o(%zu) = c + V h(%zu)", t, t); return 1;
        case 3:
            if (nll) snprintf(buf, n, "(10.11) p(%zu) = softmax(o(%zu))", t, t);
            else snprintf(buf, n, "(10.14) L(%zu) = 1/2 ||o(%zu) - y(%zu)||^2", t, t, t);
            return 1;
        case 4:
            if (!nll) return 0;
            snprintf(buf, n, "(10.14) L(%zu) = -log p_y(%zu)(%zu)", t, t, t);
            return 1;
        }
        return 0;
    case RNNC_OP_LOSS_SUM:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.13) L = sum_t L(t)");
        return 1;
    case RNNC_OP_BACKWARD_BEGIN: {
        static const char *const sums[] = {
            "(10.17) dL/dL(t) = 1",
            "(10.22) grad_c = sum_t g_o(t)",
            "(10.23) grad_b = sum_t d(t)",
            "(10.24) grad_V = sum_t g_o(t) h(t)^T",
            "(10.26) grad_W = sum_t d(t) h(t-1)^T",
            "(10.28) grad_U = sum_t d(t) x(t)^T",
        };
        if (k < 0 || k >= 6) return 0;
        snprintf(buf, n, "%s", sums[k]);
        return 1;
    }
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
    case RNNC_OP_PARAM_GRADS:
        switch (k) {
        case 0: snprintf(buf, n, "(10.22) grad_c += g_o(%zu)", t); return 1;
        case 1: snprintf(buf, n, "(10.23) grad_b += d(%zu)", t); return 1;
        case 2: snprintf(buf, n, "(10.24) grad_V += g_o(%zu) h(%zu)^T", t, t); return 1;
        case 3: snprintf(buf, n, "(10.26) grad_W += d(%zu) h(%zu)^T", t, t - 1); return 1;
        case 4:
            if (s->onehot) snprintf(buf, n, "(10.28) grad_U[:, x(%zu)] += d(%zu)", t, t);
            else snprintf(buf, n, "(10.28) grad_U += d(%zu) x(%zu)^T", t, t);
            return 1;
        }
        return 0;
    case RNNC_OP_H0_GRAD:
        if (k != 0) return 0;
        snprintf(buf, n, "(h0) grad_h(0) = W^T d(1)");
        return 1;
    }
    return 0;
}
