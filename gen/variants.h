/* variants.h: everything rnnc knows about each variant of a model, one table per axis
 * (activation, loss, recurrence, feedback, end, cell): the spec value, the constant the generated code
 * uses, the C spelling, the derivative, and the equation text (labels of gen/EQUATIONS.md).
 * spec.c parses with these tables, plan.c and equations.c write equations from them, gen.c
 * writes the generated code's constants and macros from them.  Adding a variant is adding a
 * row here, plus its kernels in templates/.
 *
 * Equation text is a template: "{t}" is replaced by the step, "{t-1}" and "{t+1}" by its
 * neighbours, and "{k}" by the index of a sum (rnnc_variant_text). */
#ifndef RNNC_VARIANTS_H
#define RNNC_VARIANTS_H

#include <stddef.h>

typedef enum { RNNC_ACT_TANH, RNNC_ACT_RELU, RNNC_ACT_SIGMOID, RNNC_ACT_COUNT } rnnc_act;
typedef enum { RNNC_LOSS_NLL, RNNC_LOSS_MSE, RNNC_LOSS_COUNT } rnnc_loss;
typedef enum { RNNC_REC_HIDDEN, RNNC_REC_OUTPUT, RNNC_REC_BOTH, RNNC_REC_COUNT } rnnc_recurrence;
typedef enum { RNNC_FB_TEACHER, RNNC_FB_FREE, RNNC_FB_SCHEDULED, RNNC_FB_COUNT } rnnc_feedback;
typedef enum { RNNC_END_NONE, RNNC_END_EOS, RNNC_END_HALT, RNNC_END_LENGTH, RNNC_END_COUNT } rnnc_end;
typedef enum { RNNC_CELL_RNN, RNNC_CELL_GRU, RNNC_CELL_LSTM, RNNC_CELL_COUNT } rnnc_cell;

/* An activation f of (10.9). */
typedef struct rnnc_act_info {
    const char *name;    /* spec value and the f of the equations: "tanh" */
    const char *upper;   /* the generated constant NAME_ACT_<upper> */
    const char *c_f;     /* C for f(a), with the generated macros RNN_TANH / RNN_EXP */
    const char *c_df;    /* C for f'(a) written from h = f(a) */
    const char *df_eq;   /* f'(a({t})) as an equation, from h({t}) */
    const char *df_diag; /* f'(a({k})) as the diagonal of a matrix D({k}) */
} rnnc_act_info;

/* A loss of (10.14), with the output it implies and the gradient (10.18). */
typedef struct rnnc_loss_info {
    const char *name;     /* "nll" */
    const char *upper;    /* NAME_LOSS_<upper> */
    const char *what;     /* the header's comment on the constant */
    int class_targets;    /* 1: y(t) is a class index (int32); 0: K reals */
    const char *out_eq;   /* (10.11) p({t}) = softmax(o({t})), or NULL: the output is o(t) */
    const char *loss_eq;  /* (10.14) L({t}) */
    const char *go_eq;    /* (10.18) the right-hand side of g_o({t}) */
    const char *go_free;  /* (10.18f) what free running adds to g_o({t}) */
    const char *teacher;  /* (10.11t) fb({t}) when teacher-forced */
    const char *model;    /* (10.11f) fb({t}) when running free */
    const char *sampled;  /* (10.11s) fb({t}) with scheduled sampling */
} rnnc_loss_info;

/* Which connections carry the state from one step to the next (section 10.2.1). */
typedef struct rnnc_recurrence_info {
    const char *name;    /* "hidden" */
    const char *upper;   /* NAME_REC_<upper> */
    int has_W;           /* a(t) has W h(t-1): (10.8) */
    int has_R;           /* a(t) has R fb(t-1): (10.8o) */
    const char *label;   /* "(10.8)" */
    const char *a_eq;    /* a({t}) = ... */
    const char *what;    /* for messages and headers: "hidden to hidden (figure 10.3)" */
} rnnc_recurrence_info;

/* What an output recurrence feeds back (section 10.2.1). */
typedef struct rnnc_feedback_info {
    const char *name;    /* "teacher" */
    const char *upper;   /* NAME_FB_<upper> */
    const char *label;   /* "(10.11t)" */
    int from_model;      /* 1: fb(t) depends on the model's output, so o(t) is per step */
    int differentiable;  /* 1: gradients flow through fb(t) (10.18f) */
    int needs_ctl;       /* 1: the caller supplies a draw per step and column */
    const char *what;
} rnnc_feedback_info;

/* How a sequence ends (section 10.2.3). */
typedef struct rnnc_end_info {
    const char *name;    /* "halt" */
    const char *upper;   /* NAME_END_<upper> */
    int has_halt;        /* a halting unit q(t) (10.33h) */
    int has_length;      /* a length output and the remaining-steps input (10.33n), (10.33r) */
    int needs_classes;   /* an end symbol: only with a vocabulary (nll) */
    const char *what;
} rnnc_end_info;

/* The cell of a step: the vanilla one (10.8)-(10.9), or a gated one of section 10.10.1 in
 * PyTorch's formulation (gen/EQUATIONS.md, "Gated cells").  A gated cell stacks its G gates'
 * weights: U is G H x N, W is G H x H, b and b_h are G H; its step and its gradient are one
 * kernel each, with the equation lines below (templates {t}, {t-1}, {t+1}). */
typedef struct rnnc_cell_info {
    const char *name;      /* spec value: "lstm" */
    const char *upper;     /* NAME_CELL_<upper> */
    int gates;             /* G: 1 (rnn), 3 (gru: r, z, n), 4 (lstm: i, f, g, o) */
    int slots;             /* values per column of the gate buffer, in units of H: the gates
                              and what the backward pass keeps (0 for rnn) */
    int has_c;             /* a cell state c(t) carried like h(t) (lstm) */
    const char *step_fn;   /* the forward step's kernel (without the model's prefix) */
    const char *grad_fn;   /* the backward step's kernel */
    const char *fwd_eq[4]; /* the step's equation lines, NULL-terminated */
    const char *bwd_eq[4]; /* the backward step's lines after grad_h(t) (NULL-terminated) */
    const char *bwd_last0; /* bwd_eq[0] at t = tau, when it differs there (nothing after tau) */
    const char *gh_eq;     /* grad_h({t}) for t < tau */
    const char *h0_eq[3];  /* the initial state's gradients */
    const char *gW_eq;     /* grad_W; and grad_b_h below */
    const char *gbh_eq;
    const char *what;
} rnnc_cell_info;

extern const rnnc_act_info rnnc_acts[RNNC_ACT_COUNT];
extern const rnnc_cell_info rnnc_cells[RNNC_CELL_COUNT];
extern const rnnc_loss_info rnnc_losses[RNNC_LOSS_COUNT];
extern const rnnc_recurrence_info rnnc_recurrences[RNNC_REC_COUNT];
extern const rnnc_feedback_info rnnc_feedbacks[RNNC_FB_COUNT];
extern const rnnc_end_info rnnc_ends[RNNC_END_COUNT];

/* The row whose name is name, by axis: returns its index, or -1. */
int rnnc_act_find(const char *name);
int rnnc_loss_find(const char *name);
int rnnc_recurrence_find(const char *name);
int rnnc_feedback_find(const char *name);
int rnnc_end_find(const char *name);
int rnnc_cell_find(const char *name);

/* "tanh, relu or sigmoid": the names of an axis for messages (static storage). */
const char *rnnc_act_choices(void);
const char *rnnc_loss_choices(void);
const char *rnnc_recurrence_choices(void);
const char *rnnc_feedback_choices(void);
const char *rnnc_end_choices(void);
const char *rnnc_cell_choices(void);

/* Expand an equation template into buf (n bytes, always terminated): "{t}", "{t-1}", "{t+1}"
 * become t, t-1, t+1 (or the letters "t", "t-1", "t+1" when t is 0: an equation over every
 * step), "{k}" becomes "k".  Returns buf. */
char *rnnc_variant_text(char *buf, size_t n, const char *tmpl, size_t t);

#endif
