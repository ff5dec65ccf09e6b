/* variants.c: the variant tables (see variants.h). */
#include "variants.h"

#include <stdio.h>
#include <string.h>

const rnnc_act_info rnnc_acts[RNNC_ACT_COUNT] = {
    [RNNC_ACT_TANH] = {"tanh", "TANH", "RNN_TANH(a)", "(1 - (h) * (h))", "(1 - h({t})^2)",
                       "diag(1 - h({k})^2)"},
    [RNNC_ACT_RELU] = {"relu", "RELU", "((a) > 0 ? (a) : 0)", "((h) > 0 ? 1 : 0)", "[h({t}) > 0]",
                       "diag([h({k}) > 0])"},
    [RNNC_ACT_SIGMOID] = {"sigmoid", "SIGMOID", "(1 / (1 + RNN_EXP(-(a))))", "((h) * (1 - (h)))",
                          "h({t}) (1 - h({t}))", "diag(h({k}) (1 - h({k})))"},
};

const rnnc_loss_info rnnc_losses[RNNC_LOSS_COUNT] = {
    [RNNC_LOSS_NLL] = {"nll", "NLL", "softmax + nll, targets are class indices", 1,
                       "p({t}) = softmax(o({t}))", "L({t}) = -log p_y({t})({t})",
                       "p({t}) - e_y({t})", "p({t}) (.) (r({t}) - (p({t})^T r({t})) 1)",
                       "e_y({t})", "p({t})", "e_y({t}) or e_s({t}), s({t}) ~ p({t})"},
    [RNNC_LOSS_MSE] = {"mse", "MSE", "1/2 squared error, targets are vectors", 0, NULL,
                       "L({t}) = 1/2 ||o({t}) - y({t})||^2", "o({t}) - y({t})", "r({t})",
                       "y({t})", "o({t})", "y({t}) or o({t})"},
};

const rnnc_recurrence_info rnnc_recurrences[RNNC_REC_COUNT] = {
    [RNNC_REC_HIDDEN] = {"hidden", "HIDDEN", 1, 0, "(10.8)", "a({t}) = b + W h({t-1}) + U x({t})",
                         "hidden to hidden (figure 10.3)"},
    [RNNC_REC_OUTPUT] = {"output", "OUTPUT", 0, 1, "(10.8o)", "a({t}) = b + R fb({t-1}) + U x({t})",
                         "output to hidden (figure 10.4)"},
    [RNNC_REC_BOTH] = {"both", "BOTH", 1, 1, "(10.8b)",
                       "a({t}) = b + W h({t-1}) + R fb({t-1}) + U x({t})",
                       "hidden to hidden and output to hidden"},
};

const rnnc_feedback_info rnnc_feedbacks[RNNC_FB_COUNT] = {
    [RNNC_FB_TEACHER] = {"teacher", "TEACHER", "(10.11t)", 0, 0, 0,
                         "teacher forcing: the data's y(t) is fed back"},
    [RNNC_FB_FREE] = {"free", "FREE", "(10.11f)", 1, 1, 0,
                      "free running: the model's own output is fed back, with its gradient"},
    [RNNC_FB_SCHEDULED] = {"scheduled", "SCHEDULED", "(10.11s)", 1, 0, 1,
                           "scheduled sampling: the data or a sample of the model, per step"},
};

const rnnc_end_info rnnc_ends[RNNC_END_COUNT] = {
    [RNNC_END_NONE] = {"none", "NONE", 0, 0, 0, "streams: nothing marks an end"},
    [RNNC_END_EOS] = {"eos", "EOS", 0, 0, 1, "an end-of-sequence symbol in the vocabulary"},
    [RNNC_END_HALT] = {"halt", "HALT", 1, 0, 0, "a halting unit: continue or halt at each step (10.33h)"},
    [RNNC_END_LENGTH] = {"length", "LENGTH", 0, 1, 0,
                         "a length output and the remaining steps as an input (10.33n), (10.33r)"},
};

const rnnc_cell_info rnnc_cells[RNNC_CELL_COUNT] = {
    [RNNC_CELL_RNN] = {"rnn", "RNN", 1, 0, 0, "hidden_step", "hidden_grad", {NULL}, {NULL}, NULL, NULL,
                       {NULL}, NULL, NULL, "the vanilla cell (10.8)-(10.9)"},
    [RNNC_CELL_GRU] = {
        "gru", "GRU", 3, 4, 0, "gru_step", "gru_grad",
        {"(10.46) a({t}) = b + U x({t}) = [a_r; a_z; a_n], w({t}) = W h({t-1}) + b_h = [w_r; w_z; w_n]",
         "(10.46) r({t}) = sigmoid(a_r + w_r), z({t}) = sigmoid(a_z + w_z), n({t}) = tanh(a_n + r({t}) (.) w_n)",
         "(10.45) h({t}) = (1 - z({t})) (.) n({t}) + z({t}) (.) h({t-1})", NULL},
        {"(10.45b) d_n({t}) = grad_h({t}) (.) (1 - z({t})) (.) (1 - n({t})^2), "
         "d_z({t}) = grad_h({t}) (.) (h({t-1}) - n({t})) (.) z({t}) (1 - z({t}))",
         "(10.45b) d_r({t}) = d_n({t}) (.) w_n({t}) (.) r({t}) (1 - r({t})), d({t}) = [d_r; d_z; d_n], "
         "dw({t}) = [d_r; d_z; d_n (.) r({t})]", NULL},
        NULL,
        "(10.46b) grad_h({t}) = V^T g_o({t}) + W^T dw({t+1}) + z({t+1}) (.) grad_h({t+1})",
        {"(h0) grad_h(0) = W^T dw(1) + z(1) (.) grad_h(1)", NULL},
        "(10.26) grad_W = sum_t dw(t) h(t-1)^T", "(10.23) grad_b_h = sum_t dw(t)",
        "gated recurrent unit (10.45)-(10.46), PyTorch's nn.GRU"},
    [RNNC_CELL_LSTM] = {
        "lstm", "LSTM", 4, 5, 1, "lstm_step", "lstm_grad",
        {"(10.40) a({t}) = b + U x({t}) + W h({t-1}) + b_h = [a_i; a_f; a_g; a_o]",
         "(10.40) i({t}) = sigmoid(a_i), f({t}) = sigmoid(a_f), g({t}) = tanh(a_g), o({t}) = sigmoid(a_o)",
         "(10.41) c({t}) = f({t}) (.) c({t-1}) + i({t}) (.) g({t})",
         "(10.42) h({t}) = o({t}) (.) tanh(c({t}))"},
        {"(10.41b) grad_c({t}) = grad_h({t}) (.) o({t}) (.) (1 - tanh(c({t}))^2) + f({t+1}) (.) grad_c({t+1})",
         "(10.40b) d({t}) = [grad_c({t}) (.) g({t}) (.) i({t}) (1 - i({t})); grad_c({t}) (.) c({t-1}) (.) "
         "f({t}) (1 - f({t})); grad_c({t}) (.) i({t}) (.) (1 - g({t})^2); grad_h({t}) (.) tanh(c({t})) (.) "
         "o({t}) (1 - o({t}))]", NULL},
        "(10.41b) grad_c({t}) = grad_h({t}) (.) o({t}) (.) (1 - tanh(c({t}))^2)",
        NULL,
        {"(h0) grad_h(0) = W^T d(1)", "(c0) grad_c(0) = f(1) (.) grad_c(1)", NULL},
        "(10.26) grad_W = sum_t d(t) h(t-1)^T", "(10.23) grad_b_h = sum_t d(t)",
        "long short-term memory (10.40)-(10.42), PyTorch's nn.LSTM"},
};

/* The index of the row of a table whose first member (a name) equals name, or -1.  The
 * tables are arrays of structs starting with `const char *name`. */
static int find(const void *table, size_t count, size_t size, const char *name)
{
    for (size_t i = 0; i < count; i++) {
        const char *const *row = (const char *const *)(const void *)((const char *)table + i * size);
        if (strcmp(*row, name) == 0) return (int)i;
    }
    return -1;
}

int rnnc_act_find(const char *n) { return find(rnnc_acts, RNNC_ACT_COUNT, sizeof rnnc_acts[0], n); }
int rnnc_loss_find(const char *n) { return find(rnnc_losses, RNNC_LOSS_COUNT, sizeof rnnc_losses[0], n); }
int rnnc_recurrence_find(const char *n)
{
    return find(rnnc_recurrences, RNNC_REC_COUNT, sizeof rnnc_recurrences[0], n);
}
int rnnc_feedback_find(const char *n)
{
    return find(rnnc_feedbacks, RNNC_FB_COUNT, sizeof rnnc_feedbacks[0], n);
}
int rnnc_end_find(const char *n) { return find(rnnc_ends, RNNC_END_COUNT, sizeof rnnc_ends[0], n); }
int rnnc_cell_find(const char *n) { return find(rnnc_cells, RNNC_CELL_COUNT, sizeof rnnc_cells[0], n); }

/* "a, b or c" from the names of a table, into buf. */
static const char *choices(char *buf, size_t n, const void *table, size_t count, size_t size)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        const char *const *row = (const char *const *)(const void *)((const char *)table + i * size);
        const char *sep = i == 0 ? "" : i + 1 == count ? " or " : ", ";
        int k = snprintf(buf + o, n - o, "%s%s", sep, *row);
        if (k < 0 || (size_t)k >= n - o) break;
        o += (size_t)k;
    }
    return buf;
}

const char *rnnc_act_choices(void)
{
    static char buf[64];
    return choices(buf, sizeof buf, rnnc_acts, RNNC_ACT_COUNT, sizeof rnnc_acts[0]);
}
const char *rnnc_loss_choices(void)
{
    static char buf[64];
    return choices(buf, sizeof buf, rnnc_losses, RNNC_LOSS_COUNT, sizeof rnnc_losses[0]);
}
const char *rnnc_recurrence_choices(void)
{
    static char buf[64];
    return choices(buf, sizeof buf, rnnc_recurrences, RNNC_REC_COUNT, sizeof rnnc_recurrences[0]);
}
const char *rnnc_feedback_choices(void)
{
    static char buf[64];
    return choices(buf, sizeof buf, rnnc_feedbacks, RNNC_FB_COUNT, sizeof rnnc_feedbacks[0]);
}

const char *rnnc_end_choices(void)
{
    static char buf[64];
    return choices(buf, sizeof buf, rnnc_ends, RNNC_END_COUNT, sizeof rnnc_ends[0]);
}

const char *rnnc_cell_choices(void)
{
    static char buf[64];
    return choices(buf, sizeof buf, rnnc_cells, RNNC_CELL_COUNT, sizeof rnnc_cells[0]);
}

char *rnnc_variant_text(char *buf, size_t n, const char *tmpl, size_t t)
{
    size_t o = 0;
    if (n == 0) return buf;
    for (const char *p = tmpl; *p && o + 1 < n;) {
        static const struct { const char *tok; int delta; } toks[] = {
            {"{t}", 0}, {"{t-1}", -1}, {"{t+1}", 1}, {"{k}", 2}};
        size_t i, len = 0;
        for (i = 0; i < sizeof toks / sizeof toks[0]; i++) {
            len = strlen(toks[i].tok);
            if (strncmp(p, toks[i].tok, len) == 0) break;
        }
        if (i == sizeof toks / sizeof toks[0]) {
            buf[o++] = *p++;
            continue;
        }
        int k;
        if (toks[i].delta == 2) k = snprintf(buf + o, n - o, "k");
        else if (t == 0) k = snprintf(buf + o, n - o, "%s", toks[i].delta == 0 ? "t" : toks[i].delta < 0 ? "t-1" : "t+1");
        else k = snprintf(buf + o, n - o, "%zu", toks[i].delta < 0 ? t - 1 : t + (size_t)toks[i].delta);
        if (k < 0 || (size_t)k >= n - o) break;
        o += (size_t)k;
        p += len;
    }
    buf[o] = '\0';
    return buf;
}
