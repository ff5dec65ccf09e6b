/* ref_gated.h: independent reference implementation of the gated cells (LSTM and GRU in
 * PyTorch's formulation, section 10.10.1 of Deep Learning), forward pass, loss and full
 * back-propagation through time, written straight from gen/EQUATIONS.md ("Gated cells")
 * with plain loops, runtime dimensions and double precision.  It shares no code with the
 * generator (nor with ref.c beyond ref.h's loss enum).  It is deliberately slow.
 *
 * Layout: matrices column-major (M(i,j) at M[j*rows + i]).  The gates are stacked in
 * PyTorch's order, G = 4 for the LSTM (i, f, g, o) and G = 3 for the GRU (r, z, n):
 *   U  G H x n_in      W  G H x H      V  K x H      b, b_h  G H      c  K
 * Nodes, for step t and batch column bi (t = 0..tau for h and c, 1..tau for the rest):
 *   h(t), c(t)        [(t*B + bi)*H + i]
 *   gate(t)           [((t-1)*B + bi)*G*H + q*H + i]   the activated gate q (i f g o / r z n)
 *   wn(t)  (GRU)      [((t-1)*B + bi)*H + i]           w_n = W_n h(t-1) + b_hn
 *   p(t), go(t)       [((t-1)*B + bi)*K + k]
 *   gh(t), gc(t)      [((t-1)*B + bi)*H + i]           grad_h(t) (total), grad_c(t) (LSTM)
 *   d(t), dw(t)       [((t-1)*B + bi)*G*H + q*H + i]   the gradient at the input
 *                     pre-activations a(t) and at the recurrent ones (W h(t-1) + b_h); the
 *                     same for the LSTM, different in the n rows for the GRU
 *   gh0, gc0          [bi*H + i]                        grad_h(0), grad_c(0) (LSTM) */
#ifndef RNN_REF_GATED_H
#define RNN_REF_GATED_H

#include <stddef.h>
#include <stdint.h>

#include "ref.h"

typedef enum { REFG_GRU, REFG_LSTM } refg_cell;

typedef struct {
    size_t n_in, hidden, n_out, tau, batch;
    int onehot;        /* 1: x holds class indices (int32), 0: dense vectors of n_in doubles */
    refg_cell cell;
    ref_loss loss;     /* as in ref.h */
} refg_spec;

typedef struct { const double *U, *W, *V, *b, *c, *bh; } refg_params;
typedef struct { double *U, *W, *V, *b, *c, *bh; } refg_grads;

typedef struct {
    double *h, *c;          /* (tau+1) x B x H; c only for the LSTM (may be NULL for the GRU) */
    double *gate;           /* tau x B x G H */
    double *wn;             /* tau x B x H (GRU; may be NULL for the LSTM) */
    double *p, *go;         /* tau x B x K */
    double *gh, *gc;        /* tau x B x H; gc only for the LSTM */
    double *d, *dw;         /* tau x B x G H */
    double *gh0, *gc0;      /* B x H; gc0 only for the LSTM */
} refg_nodes;

/* The number of gates of a cell: 3 or 4. */
size_t refg_gates(const refg_spec *s);

/* Forward (10.40)-(10.42) or (10.45)-(10.46), then (10.10)-(10.14): fills h, c, gate, wn, p
 * and returns the loss summed over t and the batch.  h0 and c0 (LSTM; may be NULL for the
 * GRU) hold B x H initial values.  xi/yi are used when onehot / loss == NLL, xd/yd else. */
double refg_forward(const refg_spec *s, refg_params P, const int32_t *xi, const double *xd,
                    const int32_t *yi, const double *yd, const double *h0, const double *c0,
                    refg_nodes *n);

/* Backward: (10.18), then (10.21), (10.41b), (10.40b), (c0) for the LSTM or (10.46b),
 * (10.45b) for the GRU, (h0), and the parameter sums.  Needs a prior refg_forward on the same
 * nodes; overwrites every gradient and the backward nodes. */
void refg_backward(const refg_spec *s, refg_params P, const int32_t *xi, const double *xd,
                   const int32_t *yi, const double *yd, refg_nodes *n, refg_grads G);

#endif /* RNN_REF_GATED_H */
