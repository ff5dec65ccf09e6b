/* ref.h: independent reference implementation of the vanilla RNN forward pass,
 * loss and full back-propagation through time, written straight from
 * gen/EQUATIONS.md with plain loops, runtime dimensions and double
 * precision.  Buffer layout: tests/ref/LAYOUT.md (column-major matrices).
 *
 * It shares no code with the generator: it exists so that generated code can be
 * compared against something obviously correct.  It is deliberately slow. */
#ifndef RNN_REF_H
#define RNN_REF_H

#include <stddef.h>
#include <stdint.h>

typedef enum { REF_TANH, REF_RELU, REF_SIGMOID } ref_act;
typedef enum { REF_NLL, REF_MSE } ref_loss;

typedef struct {
    size_t n_in, hidden, n_out, tau, batch;  /* n_in = vocabulary size V when onehot; then n_out = V too, but do not assume it */
    int onehot;        /* 1: x holds class indices (int32), 0: dense vectors of n_in doubles */
    ref_act act;
    ref_loss loss;     /* NLL: softmax + negative log-likelihood, y holds int32 class indices in [0,n_out); MSE: L = 1/2 ||o - y||^2, y holds n_out doubles per step */
} ref_spec;

typedef struct { const double *U, *W, *V, *b, *c; } ref_params;       /* layout as in LAYOUT.md */
typedef struct { double *U, *W, *V, *b, *c; } ref_grads;

typedef struct {           /* every node of the unrolled graph, layout as in LAYOUT.md */
    double *h;    /* (tau+1) x B x H */
    double *p;    /* tau x B x K: softmax probabilities (nll) or o(t) (mse) */
    double *go;   /* tau x B x K */
    double *gh;   /* tau x B x H */
    double *d;    /* tau x B x H */
    double *gh0;  /* B x H */
} ref_nodes;

/* Forward (10.8)-(10.14): fills nodes->h and nodes->p, returns the summed loss over t and batch.
   xi/yi are used when onehot / loss==NLL, xd/yd otherwise (the unused ones may be NULL). */
double ref_forward(const ref_spec *s, ref_params P, const int32_t *xi, const double *xd,
                   const int32_t *yi, const double *yd, const double *h0, ref_nodes *n);

/* Backward (10.17)-(10.28) and grad_h(0) = W^T d(1): needs a prior ref_forward on the same nodes.
   Overwrites every gradient (does not accumulate into old values). */
void ref_backward(const ref_spec *s, ref_params P, const int32_t *xi, const double *xd,
                  const int32_t *yi, const double *yd, ref_nodes *n, ref_grads G);

#endif /* RNN_REF_H */
