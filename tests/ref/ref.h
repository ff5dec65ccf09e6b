/* ref.h: independent reference implementation of the RNNs of gen/EQUATIONS.md: forward pass,
 * loss and full back-propagation through time for the three recurrences (hidden (10.8),
 * output (10.8o), both (10.8b)) and the three feedbacks of an output recurrence (teacher
 * forcing (10.11t), free running (10.11f), scheduled sampling (10.11s)), written straight
 * from gen/EQUATIONS.md with plain loops, runtime dimensions and double precision.  Buffer
 * layout: tests/ref/LAYOUT.md (column-major matrices).
 *
 * It shares no code with the generator: it exists so that generated code can be
 * compared against something obviously correct.  It is deliberately slow. */
#ifndef RNN_REF_H
#define RNN_REF_H

#include <stddef.h>
#include <stdint.h>

typedef enum { REF_TANH, REF_RELU, REF_SIGMOID } ref_act;
typedef enum { REF_NLL, REF_MSE } ref_loss;
/* Which connections carry the state from one step to the next (gen/EQUATIONS.md, "The three
 * recurrences"): W h(t-1) (hidden), R fb(t-1) (output), or both. */
typedef enum { REF_REC_HIDDEN, REF_REC_OUTPUT, REF_REC_BOTH } ref_rec;
/* What step t hands to step t+1 as fb(t) with an output recurrence: the data (10.11t), the
 * model's output (10.11f), or per step and column one of the two (10.11s).  Ignored with a
 * hidden recurrence. */
typedef enum { REF_FB_TEACHER, REF_FB_FREE, REF_FB_SCHEDULED } ref_fb;

typedef struct {
    size_t n_in, hidden, n_out, tau, batch;  /* n_in = vocabulary size V when onehot; then n_out = V too, but do not assume it */
    int onehot;        /* 1: x holds class indices (int32), 0: dense vectors of n_in doubles */
    ref_act act;
    ref_loss loss;     /* NLL: softmax + negative log-likelihood, y holds int32 class indices in [0,n_out); MSE: L = 1/2 ||o - y||^2, y holds n_out doubles per step */
    ref_rec rec;
    ref_fb fb;
} ref_spec;

/* Parameters and their gradients, layout as in LAYOUT.md.  W is used (and grad W written)
 * only with a hidden recurrence (hidden, both), R only with an output recurrence (output,
 * both); the pointer of a tensor the model does not have may be NULL. */
typedef struct { const double *U, *W, *V, *b, *c, *R; } ref_params;
typedef struct { double *U, *W, *V, *b, *c, *R; } ref_grads;

/* The inputs of one call.  xi/yi are used when onehot / loss == NLL, xd/yd otherwise (the
 * unused ones may be NULL).  s0 is the initial state, ref_s0_count(s) values: h(0) (B x H),
 * then with an output recurrence fb(0) (B x K).  Scheduled sampling only (else NULL): ctl,
 * one control value per step and column (tau x B, at (t-1)*B + bi): below 0, fb(t) is the
 * data; in [0, 1), a draw of the model (nll: the class whose cumulative probability first
 * exceeds ctl, see ref_sample_class; mse: o(t)); 1 or more, a fixed choice: fix_i's class
 * (nll, tau x B) or fix_d's vector (mse, tau x B x K). */
typedef struct {
    const int32_t *xi;
    const double *xd;
    const int32_t *yi;
    const double *yd;
    const double *s0;
    const double *ctl;
    const int32_t *fix_i;
    const double *fix_d;
} ref_inputs;

typedef struct {           /* every node of the unrolled graph, layout as in LAYOUT.md */
    double *h;    /* (tau+1) x B x H */
    double *a;    /* optional (may be NULL): tau x B x H, the pre-activations a(t) */
    double *p;    /* tau x B x K: softmax probabilities (nll) or o(t) (mse) */
    double *fb;   /* output recurrence: (tau+1) x B x K, fb(t) for t = 0..tau (NULL without) */
    int32_t *fbc; /* optional (may be NULL): tau x B, the class fed back as fb(t) = e_c (nll,
                     teacher or scheduled); -1 where fb(t) is not one-hot (free running, mse) */
    double *s1;   /* ref_s0_count(s): the final state h(tau), then fb(tau) (s0's layout) */
    double *go;   /* tau x B x K */
    double *gh;   /* tau x B x H */
    double *d;    /* tau x B x H */
    double *gh0;  /* B x H: grad_h(0) (zero without a hidden recurrence: h(0) is not read) */
    double *gfb0; /* output recurrence: B x K, grad_fb(0) (NULL without) */
} ref_nodes;

/* 1 if a(t) has W h(t-1) (hidden, both); 1 if it has R fb(t-1) (output, both). */
int ref_has_W(const ref_spec *s);
int ref_has_R(const ref_spec *s);

/* Values in the state s0 (and s1, and grad s0): B x H, plus B x K with an output recurrence. */
size_t ref_s0_count(const ref_spec *s);

/* Scheduled sampling's draw for nll (10.11s): the first class whose cumulative probability
 * p_0 + ... + p_k (summed in double, in class order) exceeds u, skipping classes with
 * p = 0; if rounding leaves every cumulative sum at or below u, the last class with p > 0. */
int32_t ref_sample_class(const double *p, size_t K, double u);

/* Forward (10.8)-(10.14) with (10.11t/f/s) and (s1): fills h, p, fb, s1 (and a, fbc when
 * given), returns the summed loss over t and batch. */
double ref_forward(const ref_spec *s, ref_params P, const ref_inputs *in, ref_nodes *n);

/* Backward (10.17)-(10.28) with (10.18f), (10.21o/f), (10.26r), (h0) and (fb0): needs a prior
 * ref_forward on the same nodes.  Overwrites every gradient (does not accumulate into old
 * values).  A scheduled sample is data to the gradient (no gradient through the draw). */
void ref_backward(const ref_spec *s, ref_params P, const ref_inputs *in, ref_nodes *n,
                  ref_grads G);

#endif /* RNN_REF_H */
