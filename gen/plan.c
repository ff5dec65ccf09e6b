/* plan.c: the unrolled graph's operations, their operands and their equations (see plan.h). */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building the list ---- */

typedef struct builder {
    const rnnc_spec *s;
    rnnc_op *ops;
    size_t count, cap;
    int failed;
    size_t B, H, K, ycol, fbcol;   /* sizes of one step's slices */
    size_t DC, GC;                 /* values per column of d(t) and of the gates (gated cells) */
    const rnnc_cell_info *cell;
    size_t T;                      /* steps of the segment */
} builder;

/* Element offsets of step t's slices, relative to the step functions' base pointers (which
 * point at step 1, or h(0), of the part): t appears in the code only as these constants. */
static size_t off_y(const builder *b, size_t t) { return (t - 1) * b->B * b->ycol; }
static size_t off_h(const builder *b, size_t t) { return t * b->B * b->H; }      /* h(t), t >= 0 */
static size_t off_k(const builder *b, size_t t) { return (t - 1) * b->B * b->K; } /* p, g_o */
static size_t off_n(const builder *b, size_t t) { return (t - 1) * b->B * b->H; } /* grad_h, d */
static size_t off_fb(const builder *b, size_t t) { return (t - 1) * b->B * b->fbcol; }
static size_t off_d(const builder *b, size_t t) { return (t - 1) * b->B * b->DC; }  /* d(t) */
static size_t off_x(const builder *b, size_t t) { return (t - 1) * b->B * (b->s->onehot ? 1 : b->s->n_in); }
static size_t off_g(const builder *b, size_t t) { return (t - 1) * b->B * b->GC; }  /* gates */
static size_t off_ctl(const builder *b, size_t t) { return (t - 1) * b->B; }

static rnnc_arg A(const char *base, size_t off) { return (rnnc_arg){base, off, 0}; }
static rnnc_arg P(const char *base) { return (rnnc_arg){base, 0, 0}; }
static rnnc_arg I(size_t v) { return (rnnc_arg){NULL, v, 1}; }
static const rnnc_arg NUL = {NULL, 0, 0};

/* Append an operation of kind at step t calling fn (NULL: no code) with the n operands. */
static void add(builder *b, rnnc_op_kind kind, size_t t, const char *fn, int n, const rnnc_arg *args)
{
    if (b->failed) return;
    if (n > RNNC_OP_MAX_ARGS) { /* a plan written wrong: refuse rather than cut */
        b->failed = 1;
        return;
    }
    if (b->count == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        rnnc_op *ops = realloc(b->ops, cap * sizeof *ops);
        if (!ops) {
            b->failed = 1;
            return;
        }
        b->ops = ops;
        b->cap = cap;
    }
    rnnc_op *op = &b->ops[b->count++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->t = t;
    op->fn = fn;
    op->nargs = n;
    for (int i = 0; i < n; i++) op->args[i] = args[i];
    op->adds_loss = kind == RNNC_OP_LOSS || kind == RNNC_OP_HALT_OUT || kind == RNNC_OP_LENGTH_OUT;
}

#define ADD(b, kind, t, fn, ...)                                                        \
    do {                                                                                \
        const rnnc_arg args_[] = {__VA_ARGS__};                                         \
        add(b, kind, t, fn, (int)(sizeof args_ / sizeof args_[0]), args_);              \
    } while (0)

/* Step t's a(t) += R fb(t-1), from wherever fb(t-1) is: the state at t = 1, else free
 * running's p(t-1) or the scheduled slots (indices for nll). */
static void feedback_in(builder *b, size_t t)
{
    const rnnc_spec *s = b->s;
    rnnc_arg h = A("h", off_h(b, t));
    if (t == 1) ADD(b, RNNC_OP_FEEDBACK_IN, t, "feedback_dense", P("params"), P("fb0"), h);
    else if (s->fb == RNNC_FB_FREE)
        ADD(b, RNNC_OP_FEEDBACK_IN, t, "feedback_dense", P("params"), A("p", off_k(b, t - 1)), h);
    else if (rnnc_losses[s->loss].class_targets)
        ADD(b, RNNC_OP_FEEDBACK_IN, t, "feedback_slots", P("params"), A("fb", off_fb(b, t - 1)), h);
    else ADD(b, RNNC_OP_FEEDBACK_IN, t, "feedback_dense", P("params"), A("fb", off_fb(b, t - 1)), h);
}

/* A gated cell's step t (section 10.10.1): the gates' recurrent product and the cell. */
static void gated_step(builder *b, size_t t)
{
    /* one-hot x(t): the step gathers b + a column of U + b_h itself (no product to batch) */
    rnnc_arg x = b->s->onehot ? A("x", off_x(b, t)) : NUL;
    if (b->cell->has_c)
        ADD(b, RNNC_OP_HIDDEN, t, b->cell->step_fn, P("params"), x, A("h", off_h(b, t - 1)), A("g", off_g(b, t)),
            A("cs", off_h(b, t - 1)), A("cs", off_h(b, t)), A("h", off_h(b, t)));
    else
        ADD(b, RNNC_OP_HIDDEN, t, b->cell->step_fn, P("params"), x, A("h", off_h(b, t - 1)), A("g", off_g(b, t)),
            A("h", off_h(b, t)));
}

/* A gated cell's backward step t: grad_h(t) complete, then d(t) (and grad_c(t)); what comes
 * from step t+1 is null at the chunk's last step. */
static void gated_grad(builder *b, size_t t)
{
    const int last = t == b->T;
    rnnc_arg dnext = last ? NUL : A("d", off_d(b, t + 1)), gnext = last ? NUL : A("g", off_g(b, t + 1));
    if (b->cell->has_c)
        ADD(b, RNNC_OP_HIDDEN_GRAD, t, b->cell->grad_fn, P("WT"), dnext, A("g", off_g(b, t)), gnext,
            A("cs", off_h(b, t - 1)), A("gh", off_n(b, t)), A("gc", off_n(b, t)),
            last ? NUL : A("gc", off_n(b, t + 1)), A("d", off_d(b, t)));
    else
        ADD(b, RNNC_OP_HIDDEN_GRAD, t, b->cell->grad_fn, P("WT"), dnext, A("g", off_g(b, t)), gnext,
            A("h", off_h(b, t - 1)), A("gh", off_n(b, t)), last ? NUL : A("gh", off_n(b, t + 1)),
            A("d", off_d(b, t)));
}

/* The forward pass: the input terms, the sequential sweep, the outputs and losses, the
 * final state. */
static void forward(builder *b)
{
    const rnnc_spec *s = b->s;
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const rnnc_feedback_info *fb = &rnnc_feedbacks[s->fb];
    const int model_fb = rec->has_R && fb->from_model, teacher = rec->has_R && !fb->from_model;
    const rnnc_end_info *end = &rnnc_ends[s->end];
    const size_t T = b->T, BH = b->B * b->H;
    if (end->has_length)
        ADD(b, RNNC_OP_LENGTH_OUT, 1, "length_out", P("params"), P("h"), P("seq"), P("pn"), P("gn"));
    const int gated = b->cell->gates > 1;
    if (!gated) ADD(b, RNNC_OP_INPUTS, 1, "inputs", P("params"), P("x"), A("h", BH), I(T));
    else if (!s->onehot) ADD(b, RNNC_OP_INPUTS, 1, "gated_inputs", P("params"), P("x"), P("g"), I(T));
    if (end->has_length)
        ADD(b, RNNC_OP_REMAINING_INPUTS, 1, "remaining_inputs", P("params"), P("rem"), A("h", BH), I(T));
    if (teacher) ADD(b, RNNC_OP_TEACHER_INPUTS, 1, "teacher_inputs", P("params"), P("y"), P("fb0"), A("h", BH));
    if (teacher && !rec->has_W) ADD(b, RNNC_OP_ACTIVATE_ALL, 1, "activate_all", A("h", BH), I(T));
    if (!model_fb) {
        for (size_t t = 1; t <= T && rec->has_W; t++) {
            if (gated) gated_step(b, t);
            else ADD(b, RNNC_OP_HIDDEN, t, "hidden_step", P("params"), A("h", off_h(b, t - 1)), A("h", off_h(b, t)));
        }
        ADD(b, RNNC_OP_OUTPUTS, 1, "outputs", P("params"), A("h", BH), P("p"), I(T));
    }
    for (size_t t = 1; t <= T; t++) {
        if (model_fb) {
            feedback_in(b, t);
            if (rec->has_W)
                ADD(b, RNNC_OP_HIDDEN, t, "hidden_step", P("params"), A("h", off_h(b, t - 1)), A("h", off_h(b, t)));
            else ADD(b, RNNC_OP_ACTIVATE, t, "activate", A("h", off_h(b, t)));
            ADD(b, RNNC_OP_OUTPUT, t, "output_step", P("params"), A("h", off_h(b, t)), A("p", off_k(b, t)));
        }
        ADD(b, RNNC_OP_LOSS, t, "step_loss", A("y", off_y(b, t)), A("p", off_k(b, t)), P("seq"), A("t0", t));
        if (model_fb && fb->needs_ctl)
            ADD(b, RNNC_OP_FEEDBACK_OUT, t, "schedule", A("y", off_y(b, t)), A("p", off_k(b, t)),
                A("ctl", off_ctl(b, t)), A("fb", off_fb(b, t)));
        else if (model_fb) add(b, RNNC_OP_FEEDBACK_OUT, t, NULL, 0, NULL);
    }
    if (end->has_halt)
        ADD(b, RNNC_OP_HALT_OUT, 1, "halt", P("params"), A("h", BH), P("seq"), P("q"), P("t0"), I(T));
    add(b, RNNC_OP_LOSS_SUM, 1, NULL, 0, NULL);
    if (b->cell->has_c) ADD(b, RNNC_OP_FINAL_STATE, s->tau, "final_state_c", P("hT"), P("s1h"), P("cT"), P("s1c"));
    else ADD(b, RNNC_OP_FINAL_STATE, s->tau, "final_state", P("hT"), P("s1h"));
    if (!rec->has_R) return;
    /* fb(tau), from where it is: free running's p(tau), the teacher's y(tau), the choice */
    rnnc_arg src = fb->differentiable ? P("pT") : fb->needs_ctl ? P("fbT") : P("yT");
    ADD(b, RNNC_OP_FINAL_FEEDBACK, s->tau, "final_feedback", src, P("s1fb"));
}

/* The backward sweep of a batch part, t = tau down to 1, and the initial state's gradient. */
static void backward(builder *b)
{
    const rnnc_spec *s = b->s;
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const int free_fb = rec->has_R && rnnc_feedbacks[s->fb].differentiable;
    const size_t T = b->T;
    add(b, RNNC_OP_BACKWARD_BEGIN, 1, NULL, 0, NULL);
    const int halt = rnnc_ends[s->end].has_halt;
    for (size_t t = T; t >= 1; t--)
        ADD(b, RNNC_OP_OUTPUT_GRAD, t, "output_grad", A("p", off_k(b, t)), A("y", off_y(b, t)),
            A("go", off_k(b, t)), P("seq"), A("t0", t));
    if (!free_fb) ADD(b, RNNC_OP_OUTPUT_BACK, 1, "output_back", P("VT"), P("go"), P("gh"), I(T));
    if (halt)
        ADD(b, RNNC_OP_HALT_GRAD, 1, "halt_grad", P("params"), P("q"), P("seq"), P("gq"), P("gh"), P("t0"), I(T));
    for (size_t t = T; t >= 1 && b->cell->gates > 1; t--) gated_grad(b, t);
    for (size_t t = T; t >= 1 && (rec->has_W || free_fb) && b->cell->gates == 1; t--) {
        if (free_fb && t < T)
            ADD(b, RNNC_OP_FEEDBACK_GRAD, t, "feedback_grad", P("RT"), A("d", off_d(b, t + 1)),
                A("p", off_k(b, t)), P("r"), A("go", off_k(b, t)));
        if (free_fb)
            ADD(b, RNNC_OP_OUTPUT_BACK_STEP, t, "output_back_step", P("VT"), A("go", off_k(b, t)),
                A("gh", off_n(b, t)), P("params"), A("gq", off_ctl(b, t)));
        /* d(t+1) at the segment's last step is the next segment's d(1) (dn: null after tau) */
        rnnc_arg dnext = !rec->has_W ? NUL : t < T ? A("d", off_d(b, t + 1)) : T < s->tau ? P("dn") : NUL;
        ADD(b, RNNC_OP_HIDDEN_GRAD, t, "hidden_grad", P("WT"), dnext, A("h", off_h(b, t)),
            A("gh", off_n(b, t)), A("d", off_d(b, t)));
    }
    if (!rec->has_W && !free_fb)
        ADD(b, RNNC_OP_HIDDEN_GRAD_ALL, 1, "hidden_grad_all", A("h", off_h(b, 1)), P("gh"), P("d"), I(T));
    if (b->cell->gates > 1)
        ADD(b, RNNC_OP_STATE_GRAD, 1, "gated_state_grad", P("ws"), P("d"), P("g"), P("gh"), P("gc"), P("gh0"), P("gc0"));
    else ADD(b, RNNC_OP_STATE_GRAD, 1, "state_grad", P("ws"), P("d"), P("gh0"), P("gfb0"));
    if (rnnc_ends[s->end].has_length)
        ADD(b, RNNC_OP_LENGTH_GRAD, 1, "length_grad", P("params"), P("gn"), P("gh0"));
}

int rnnc_plan_make(const rnnc_spec *s, size_t steps, rnnc_plan *p)
{
    builder b;
    memset(&b, 0, sizeof b);
    b.s = s;
    b.T = steps;
    b.B = s->batch;
    b.H = s->hidden;
    b.K = s->n_out;
    b.ycol = rnnc_losses[s->loss].class_targets ? 1 : s->n_out;
    b.fbcol = s->fb == RNNC_FB_SCHEDULED && rnnc_losses[s->loss].class_targets ? 1 : s->n_out;
    b.cell = &rnnc_cells[s->cell];
    b.DC = b.cell->gates > 1 ? 4 * s->hidden : s->hidden;
    b.GC = (size_t)b.cell->slots * s->hidden;
    forward(&b);
    backward(&b);
    if (b.cell->gates > 1)
        ADD(&b, RNNC_OP_PARAM_GRADS, 1, "gated_param_grads", P("grads"), P("go"), P("d"), P("h"), P("x"),
            P("ws"), P("part"), P("t0"), I(steps));
    else
        ADD(&b, RNNC_OP_PARAM_GRADS, 1, "param_grads", P("grads"), P("go"), P("d"), P("h"), P("x"),
            P("fb0"), P("fb"), P("idx"), P("ws"), P("part"), P("t0"), I(steps));
    if (b.failed) {
        free(b.ops);
        return -1;
    }
    p->ops = b.ops;
    p->count = b.count;
    return 0;
}

void rnnc_plan_free(rnnc_plan *p)
{
    free(p->ops);
    p->ops = NULL;
    p->count = 0;
}

rnnc_hole_kind rnnc_op_hole(rnnc_op op)
{
    switch (op.kind) {
    case RNNC_OP_LENGTH_OUT: return RNNC_HOLE_FORWARD_BEGIN;
    case RNNC_OP_LOSS_SUM:
    case RNNC_OP_FINAL_STATE:
    case RNNC_OP_FINAL_FEEDBACK: return RNNC_HOLE_FORWARD_END;
    case RNNC_OP_STATE_GRAD:
    case RNNC_OP_LENGTH_GRAD: return RNNC_HOLE_BACKWARD_END;
    case RNNC_OP_PARAM_GRADS: return RNNC_HOLE_PARAM_GRADS;
    default: return op.kind >= RNNC_OP_BACKWARD_BEGIN ? RNNC_HOLE_BACKWARD : RNNC_HOLE_FORWARD;
    }
}

/* ---- equations ---- */

/* buf = label + " " + the template expanded at t (see rnnc_variant_text). */
static int line(char *buf, size_t n, const char *label, const char *tmpl, size_t t)
{
    char body[256];
    rnnc_variant_text(body, sizeof body, tmpl, t);
    snprintf(buf, n, "%s%s%s", label, *label ? " " : "", body);
    return 1;
}

/* A gated cell's input terms (dense x) and step lines (the cell's table). */
static int gated_forward_equation(const rnnc_spec *s, rnnc_op op, int k, char *buf, size_t n)
{
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    if (op.kind == RNNC_OP_HIDDEN)
        return k >= 0 && k < 4 && cell->fwd_eq[k] ? line(buf, n, "", cell->fwd_eq[k], op.t) : 0;
    if (k != 0) return 0;
    snprintf(buf, n, "%s b + U x(t)%s, t = 1..%zu: the terms of a(t)%s without h(t-1)",
             cell->has_c ? "(10.40)" : "(10.46)", cell->has_c ? " + b_h" : ", b_h", s->tau,
             cell->has_c ? "" : " and w(t)");
    return 1;
}

/* The forward operations' lines. */
static int forward_equation(const rnnc_spec *s, rnnc_op op, int k, char *buf, size_t n)
{
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    if (cell->gates > 1 && (op.kind == RNNC_OP_INPUTS || op.kind == RNNC_OP_HIDDEN))
        return gated_forward_equation(s, op, k, buf, n);
    const rnnc_loss_info *loss = &rnnc_losses[s->loss];
    const rnnc_act_info *act = &rnnc_acts[s->act];
    size_t t = op.t, T = s->tau;
    char tmp[160];
    switch (op.kind) {
    case RNNC_OP_LENGTH_OUT:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.33n) p_n = softmax(len_b + len_w h(0)), L_n = -log p_n(n), g_n = p_n - e_n at a record's first step");
        return 1;
    case RNNC_OP_REMAINING_INPUTS:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.33r) rem_u r(t), t = 1..%zu: the record's remaining steps, a term of a(t)", T);
        return 1;
    case RNNC_OP_HALT_OUT:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.33h) q(t) = sigmoid(halt_b + halt_w h(t)), L_q(t), t = 1..%zu", T);
        return 1;
    case RNNC_OP_INPUTS:
        if (k != 0) return 0;
        if (!rec->has_R)
            snprintf(buf, n, "(10.8) b + U x(t), t = 1..%zu: the terms of a(t) without h(t-1)", T);
        else
            snprintf(buf, n, "%s b + U x(t), t = 1..%zu: the terms of a(t) that do not depend on the past",
                     rec->label, T);
        return 1;
    case RNNC_OP_TEACHER_INPUTS:
        if (k == 0) {
            snprintf(buf, n, "%s R fb(t-1), t = 1..%zu: teacher forcing feeds the data, known in advance", rec->label, T);
            return 1;
        }
        if (k != 1) return 0;
        snprintf(buf, n, "(10.11t) fb(t) = %s, t = 1..%zu; fb(0) from the state",
                 rnnc_variant_text(tmp, sizeof tmp, loss->teacher, 0), T > 1 ? T - 1 : 1);
        return 1;
    case RNNC_OP_FEEDBACK_IN:
        if (k != 0) return 0;
        snprintf(buf, n, "%s R fb(%zu), a term of a(%zu)%s", rec->label, t - 1, t,
                 t == 1 ? ": fb(0) from the state" : "");
        return 1;
    case RNNC_OP_HIDDEN:
    case RNNC_OP_ACTIVATE:
        if (k == 0) return line(buf, n, rec->label, rec->a_eq, t);
        if (k != 1) return 0;
        snprintf(buf, n, "(10.9) h(%zu) = %s(a(%zu))", t, act->name, t);
        return 1;
    case RNNC_OP_ACTIVATE_ALL:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.9) h(t) = %s(a(t)), t = 1..%zu: every a(t) is known at once", act->name, T);
        return 1;
    case RNNC_OP_OUTPUTS:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.10) o(t) = c + V h(t), t = 1..%zu", T);
        return 1;
    case RNNC_OP_OUTPUT:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.10) o(%zu) = c + V h(%zu)", t, t);
        return 1;
    case RNNC_OP_LOSS:
        if (k == 0) return loss->out_eq ? line(buf, n, "(10.11)", loss->out_eq, t) : line(buf, n, "(10.14)", loss->loss_eq, t);
        if (k == 1 && loss->out_eq) return line(buf, n, "(10.14)", loss->loss_eq, t);
        return 0;
    case RNNC_OP_FEEDBACK_OUT: {
        const rnnc_feedback_info *fb = &rnnc_feedbacks[s->fb];
        if (k != 0) return 0;
        snprintf(buf, n, "%s fb(%zu) = %s", fb->label, t,
                 rnnc_variant_text(tmp, sizeof tmp, fb->needs_ctl ? loss->sampled : loss->model, t));
        return 1;
    }
    case RNNC_OP_FINAL_STATE:
        if (k != 0) return 0;
        if (cell->has_c) snprintf(buf, n, "(s1) s1 = h(%zu), c(%zu): the state the next chunk starts from", T, T);
        else if (rec->has_R) snprintf(buf, n, "(s1) s1 = h(%zu), fb(%zu): the state the next chunk starts from", T, T);
        else snprintf(buf, n, "(s1) s1 = h(%zu): the state the next chunk starts from", T);
        return 1;
    case RNNC_OP_FINAL_FEEDBACK:
        if (k != 0) return 0;
        snprintf(buf, n, "%s fb(%zu) as a vector, for the next chunk's state", rnnc_feedbacks[s->fb].label, T);
        return 1;
    case RNNC_OP_LOSS_SUM:
        if (k == 0) snprintf(buf, n, "(10.13) L = sum_t L(t)");
        else if (k == 1) snprintf(buf, n, "(10.32m) a record that ends at step n counts only t <= n");
        else return 0;
        return 1;
    default:
        return 0;
    }
}

/* A gated cell's backward step t: grad_h(t) ((10.19) at tau; (10.21) or the cell's own),
 * then the cell's lines (the first one as it reads at tau, where it differs). */
static int gated_grad_equation(const rnnc_spec *s, size_t t, int k, char *buf, size_t n)
{
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    if (k == 0 && t == s->tau) snprintf(buf, n, "(10.19) grad_h(%zu) = V^T g_o(%zu)", t, t);
    else if (k == 0 && cell->gh_eq) return line(buf, n, "", cell->gh_eq, t);
    else if (k == 0) snprintf(buf, n, "(10.21) grad_h(%zu) = W^T d(%zu) + V^T g_o(%zu)", t, t + 1, t);
    else if (k == 1 && t == s->tau && cell->bwd_last0) return line(buf, n, "", cell->bwd_last0, t);
    else if (k >= 1 && k <= 4 && cell->bwd_eq[k - 1]) return line(buf, n, "", cell->bwd_eq[k - 1], t);
    else return 0;
    return 1;
}

/* grad_h(t) of a step that has it on its own (10.19), (10.21) or (10.21f). */
static int hidden_grad_equation(const rnnc_spec *s, size_t t, int k, char *buf, size_t n)
{
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    if (rnnc_cells[s->cell].gates > 1) return gated_grad_equation(s, t, k, buf, n);
    if (k == 0) {
        if (!rec->has_W) snprintf(buf, n, "(10.21f) grad_h(%zu) = V^T g_o(%zu)", t, t);
        else if (t == s->tau) snprintf(buf, n, "(10.19) grad_h(%zu) = V^T g_o(%zu)", t, t);
        else snprintf(buf, n, "(10.21) grad_h(%zu) = W^T d(%zu) + V^T g_o(%zu)", t, t + 1, t);
        return 1;
    }
    if (k != 1) return 0;
    char df[96];
    rnnc_variant_text(df, sizeof df, rnnc_acts[s->act].df_eq, t);
    snprintf(buf, n, "%s d(%zu) = %s (.) grad_h(%zu)", rec->has_W ? "(10.21)" : "(10.21f)", t, df, t);
    return 1;
}

/* The backward operations' lines. */
static int backward_equation(const rnnc_spec *s, rnnc_op op, int k, char *buf, size_t n)
{
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const rnnc_loss_info *loss = &rnnc_losses[s->loss];
    size_t t = op.t, T = s->tau;
    char tmp[160];
    switch (op.kind) {
    case RNNC_OP_BACKWARD_BEGIN:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.17) dL/dL(t) = 1");
        return 1;
    case RNNC_OP_OUTPUT_GRAD:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.18) g_o(%zu) = %s", t, rnnc_variant_text(tmp, sizeof tmp, loss->go_eq, t));
        return 1;
    case RNNC_OP_OUTPUT_BACK:
        if (k != 0) return 0;
        if (rec->has_W)
            snprintf(buf, n, "(10.19)/(10.21) V^T g_o(t), t = 1..%zu: the terms of grad_h(t) without d(t+1)", T);
        else snprintf(buf, n, "(10.21o) grad_h(t) = V^T g_o(t), t = 1..%zu: nothing of step t+1 depends on h(t)", T);
        return 1;
    case RNNC_OP_HALT_GRAD:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.33h) g_q(t) = q(t) - z(t), grad_h(t) += halt_w^T g_q(t), t = 1..%zu", T);
        return 1;
    case RNNC_OP_LENGTH_GRAD:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.33n) grad_h(0) += len_w^T g_n");
        return 1;
    case RNNC_OP_FEEDBACK_GRAD:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.18f) g_o(%zu) += %s, r(%zu) = R^T d(%zu)", t,
                 rnnc_variant_text(tmp, sizeof tmp, loss->go_free, t), t, t + 1);
        return 1;
    case RNNC_OP_OUTPUT_BACK_STEP:
        if (k != 0) return 0;
        snprintf(buf, n, "%s V^T g_o(%zu), a term of grad_h(%zu)", rec->has_W ? "(10.21)" : "(10.21f)", t, t);
        return 1;
    case RNNC_OP_HIDDEN_GRAD:
        return hidden_grad_equation(s, t, k, buf, n);
    case RNNC_OP_HIDDEN_GRAD_ALL:
        if (k != 0) return 0;
        snprintf(buf, n, "(10.21o) d(t) = %s (.) grad_h(t), t = 1..%zu",
                 rnnc_variant_text(tmp, sizeof tmp, rnnc_acts[s->act].df_eq, 0), T);
        return 1;
    case RNNC_OP_STATE_GRAD:
        if (rnnc_cells[s->cell].gates > 1) {
            const char *const *h0 = rnnc_cells[s->cell].h0_eq;
            if (k < 0 || k >= 3 || !h0[k]) return 0;
            snprintf(buf, n, "%s", h0[k]);
        } else if (k == 0 && rec->has_W) snprintf(buf, n, "(h0) grad_h(0) = W^T d(1)");
        else if (k == (rec->has_W ? 1 : 0) && rec->has_R) snprintf(buf, n, "(fb0) grad_fb(0) = R^T d(1)");
        else return 0;
        return 1;
    default:
        return 0;
    }
}

/* The parameter sums, in the order of (10.22)-(10.28), each where the model has it. */
static int param_equation(const rnnc_spec *s, int k, char *buf, size_t n)
{
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const int one_hot_fb = rnnc_losses[s->loss].class_targets && !rnnc_feedbacks[s->fb].differentiable;
    const char *lines[12];
    int m = 0;
    lines[m++] = "(10.22) grad_c = sum_t g_o(t)";
    lines[m++] = "(10.23) grad_b = sum_t d(t)";
    lines[m++] = "(10.24) grad_V = sum_t g_o(t) h(t)^T";
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    if (cell->gates > 1) lines[m++] = cell->gW_eq;
    else if (rec->has_W) lines[m++] = "(10.26) grad_W = sum_t d(t) h(t-1)^T";
    if (rec->has_R)
        lines[m++] = one_hot_fb ? "(10.26r) grad_R = sum_t d(t) fb(t-1)^T: column fb(t-1) += d(t) (t > 1)"
                                : "(10.26r) grad_R = sum_t d(t) fb(t-1)^T";
    lines[m++] = s->onehot ? "(10.28) grad_U = sum_t d(t) x(t)^T: column x(t) += d(t)"
                           : "(10.28) grad_U = sum_t d(t) x(t)^T";
    if (cell->gates > 1) lines[m++] = cell->gbh_eq;
    if (rnnc_ends[s->end].has_halt) {
        lines[m++] = "(10.33h) grad_halt_w = sum_t g_q(t) h(t)^T";
        lines[m++] = "(10.33h) grad_halt_b = sum_t g_q(t)";
    }
    if (rnnc_ends[s->end].has_length) {
        lines[m++] = "(10.33n) grad_len_w = g_n h(0)^T";
        lines[m++] = "(10.33n) grad_len_b = g_n";
        lines[m++] = "(10.33r) grad_rem_u = sum_t d(t) r(t)";
    }
    if (k < 0 || k >= m) return 0;
    snprintf(buf, n, "%s", lines[k]);
    return 1;
}

int rnnc_plan_equation(const rnnc_spec *s, rnnc_op op, int k, char *buf, size_t n)
{
    if (op.kind == RNNC_OP_PARAM_GRADS) return param_equation(s, k, buf, n);
    if (op.kind >= RNNC_OP_BACKWARD_BEGIN) return backward_equation(s, op, k, buf, n);
    return forward_equation(s, op, k, buf, n);
}

/* The line of op (kind, t = 1) that contains `needle`: a parameter sum or a state gradient. */
static int find_line(const rnnc_spec *s, rnnc_op_kind kind, const char *needle, char *buf, size_t n)
{
    rnnc_op op;
    memset(&op, 0, sizeof op);
    op.kind = kind;
    op.t = 1;
    for (int k = 0; rnnc_plan_equation(s, op, k, buf, n); k++)
        if (strstr(buf, needle)) return 1;
    return 0;
}

int rnnc_plan_node_equation(const rnnc_spec *s, const char *node, size_t t, char *buf, size_t n)
{
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const rnnc_loss_info *loss = &rnnc_losses[s->loss];
    const int free_fb = rec->has_R && rnnc_feedbacks[s->fb].differentiable;
    char tmp[160], more[160], needle[32];
    rnnc_op op;
    memset(&op, 0, sizeof op);
    op.t = t;
    const int is_go = strcmp(node, "g_o") == 0;
    if (strcmp(node, "grad_cell") == 0) { /* the LSTM's grad_c(t) (10.41b) */
        if (t < 1 || t > s->tau || !rnnc_cells[s->cell].has_c) return 0;
        op.kind = RNNC_OP_HIDDEN_GRAD;
        return rnnc_plan_equation(s, op, 1, buf, n);
    }
    if (is_go || strcmp(node, "grad_h") == 0) {
        if (t < 1 || t > s->tau) return 0;
        if (is_go && free_fb && t < s->tau) {
            snprintf(buf, n, "(10.18f) g_o(%zu) = %s + %s, r(%zu) = R^T d(%zu)", t,
                     rnnc_variant_text(tmp, sizeof tmp, loss->go_eq, t),
                     rnnc_variant_text(more, sizeof more, loss->go_free, t), t, t + 1);
            return 1;
        }
        if (is_go) {
            op.kind = RNNC_OP_OUTPUT_GRAD;
            return rnnc_plan_equation(s, op, 0, buf, n);
        }
        if (!rec->has_W && !free_fb) {
            snprintf(buf, n, "(10.21o) grad_h(%zu) = V^T g_o(%zu)", t, t);
            return 1;
        }
        op.kind = RNNC_OP_HIDDEN_GRAD;
        return rnnc_plan_equation(s, op, 0, buf, n);
    }
    if (strcmp(node, "grad_h0") == 0) return find_line(s, RNNC_OP_STATE_GRAD, "grad_h(0) =", buf, n);
    if (strcmp(node, "grad_fb0") == 0) return find_line(s, RNNC_OP_STATE_GRAD, "grad_fb(0) =", buf, n);
    if (strcmp(node, "grad_c0") == 0) return find_line(s, RNNC_OP_STATE_GRAD, "grad_c(0) =", buf, n);
    if (strcmp(node, "grad_bh") == 0) return find_line(s, RNNC_OP_PARAM_GRADS, " grad_b_h = ", buf, n);
    if (strncmp(node, "grad_", 5) != 0 || strlen(node) != 6) return 0;
    snprintf(needle, sizeof needle, " %s = ", node);
    return find_line(s, RNNC_OP_PARAM_GRADS, needle, buf, n);
}
