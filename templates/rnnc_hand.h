/* rnnc_hand.h: the interface a hand-written BPTT implements so that `rnnc diff HAND.c`
 * can compare it, node by node, with the code rnnc generates.  Write `rnnc_hand_bptt` in
 * HAND.c (plain C99, double precision, `#include "rnnc_hand.h"`); rnnc compiles it, runs it
 * in a child process on random data, and reports the first node where it disagrees.
 *
 * Notation and equation numbers are those of gen/EQUATIONS.md in rnnc's sources (Deep
 * Learning, ch. 10):
 *   a(t) = b + W h(t-1) + U x(t)      (10.8)     h(t) = f(a(t))               (10.9)
 *   o(t) = c + V h(t)                 (10.10)    p(t) = softmax(o(t))         (10.11)
 *   L = sum_t L(t), L(t) = -log p_y(t)(t)  (nll)  or  1/2 ||o(t) - y(t)||^2  (mse)
 *   g_o(t) = p(t) - e_y(t)  (nll)  or  o(t) - y(t)  (mse)                    (10.18)
 *   grad_h(tau) = V^T g_o(tau)                                               (10.19)
 *   grad_h(t) = W^T d(t+1) + V^T g_o(t),  d(t) = f'(a(t)) (.) grad_h(t)      (10.21)
 *   grad_c = sum_t g_o(t)  (10.22)        grad_b = sum_t d(t)               (10.23)
 *   grad_V = sum_t g_o(t) h(t)^T  (10.24) grad_W = sum_t d(t) h(t-1)^T      (10.26)
 *   grad_U = sum_t d(t) x(t)^T    (10.28) grad_h(0) = W^T d(1)
 * Gradients are summed over the batch.
 *
 * Layout: matrices are row-major, as written on paper: M(i,j) is M[i * cols + j].
 * Time runs t = 1..tau; "at t" below means the slice for that t. */
#ifndef RNNC_HAND_H
#define RNNC_HAND_H

enum { RNNC_HAND_TANH = 0, RNNC_HAND_RELU = 1, RNNC_HAND_SIGMOID = 2 };
enum { RNNC_HAND_NLL = 0, RNNC_HAND_MSE = 1 };

typedef struct rnnc_hand_problem {
    int n_in, hidden, n_out, tau, batch;  /* N (or vocabulary V), H, K, tau, B */
    int onehot;        /* 1: x(t) is a class index (x_index); 0: a vector of n_in (x) */
    int act;           /* RNNC_HAND_TANH, _RELU or _SIGMOID: f' from h: 1-h^2, [h>0], h(1-h) */
    int loss;          /* RNNC_HAND_NLL (y_index) or RNNC_HAND_MSE (y) */
    const double *U;   /* H x N */
    const double *W;   /* H x H */
    const double *V;   /* K x H */
    const double *b;   /* H */
    const double *c;   /* K */
    const int *x_index;   /* one-hot: x(t) for column b at [(t-1)*B + b] */
    const double *x;      /* dense:   x(t) for column b at [((t-1)*B + b)*N + j] */
    const int *y_index;   /* nll: target class at [(t-1)*B + b] */
    const double *y;      /* mse: target at [((t-1)*B + b)*K + i] */
    const double *h0;     /* h(0) for column b at [b*H + i] */
    /* The forward pass, computed by rnnc for convenience (you may compute your own):
     * h(t), t = 0..tau, at [(t*B + b)*H + i]; p(t) (softmax for nll, o(t) for mse),
     * t = 1..tau, at [((t-1)*B + b)*K + i]. */
    const double *h;
    const double *p;
} rnnc_hand_problem;

typedef struct rnnc_hand_grads {
    double *g_o;      /* g_o(t)    at [((t-1)*B + b)*K + i], t = 1..tau */
    double *grad_h;   /* grad_h(t) at [((t-1)*B + b)*H + i], t = 1..tau */
    double *grad_U;   /* H x N, row-major */
    double *grad_W;   /* H x H */
    double *grad_V;   /* K x H */
    double *grad_b;   /* H */
    double *grad_c;   /* K */
    double *grad_h0;  /* [b*H + i] */
} rnnc_hand_grads;

/* Fill every buffer of g (all start as zeros) from p. */
void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g);

#endif
