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
 * The output recurrence (figure 10.4, section 10.2.1; `--recurrence output` or `both`): step t
 * also reads fb(t-1), the output of step t-1 fed back through R (H x K):
 *   a(t) = b + R fb(t-1) + U x(t)             (10.8o, output: no W)
 *   a(t) = b + W h(t-1) + R fb(t-1) + U x(t)  (10.8b, both)
 *   fb(t) = e_y(t) (nll) or y(t) (mse)        (10.11t, teacher forcing: data)
 *   fb(t) = p(t) (nll) or o(t) (mse)          (10.11f, free running: differentiable)
 *   fb(t) = the data or a sample of the model (10.11s, scheduled sampling: data)
 * With teacher forcing or scheduled sampling fb is data: grad_h(t) = V^T g_o(t) (10.21o) with
 * an output recurrence, (10.21) with both.  Free running adds, for t < tau, what reaches o(t)
 * through fb(t), with r(t) = R^T d(t+1):
 *   g_o(t) = p(t) - e_y(t) + p(t) (.) (r(t) - (p(t)^T r(t)) 1)   (10.18f, nll: the softmax Jacobian)
 *   g_o(t) = o(t) - y(t) + r(t)                                   (10.18f, mse)
 *   grad_h(t) = V^T g_o(t)  (10.21f, output)   or  W^T d(t+1) + V^T g_o(t)  (both)
 * (fb(tau) is carried to the next chunk, not differentiated: g_o(tau) is (10.18)), and
 *   grad_R = sum_t d(t) fb(t-1)^T (10.26r)    grad_fb(0) = R^T d(1) (fb0)
 * g_o(t) is always the whole gradient of L with respect to o(t).
 *
 * The gated cells (section 10.10.1; `--cell lstm` or `gru`), in PyTorch's formulation: U, W,
 * b and b_h (the recurrent bias) stack G gates' rows in PyTorch's order, G = 4 for the LSTM
 * (i, f, g, o) and 3 for the GRU (r, z, n); s() is the logistic sigmoid.
 *   LSTM  a(t) = b + U x(t) + W h(t-1) + b_h = [a_i; a_f; a_g; a_o]                (10.40)
 *         i = s(a_i), f = s(a_f), g = tanh(a_g), o = s(a_o)
 *         c(t) = f (.) c(t-1) + i (.) g   (10.41)      h(t) = o (.) tanh(c(t))  (10.42)
 *         grad_h(t) = W^T d(t+1) + V^T g_o(t)                                      (10.21)
 *         grad_c(t) = grad_h (.) o (.) (1 - tanh(c(t))^2) + f(t+1) (.) grad_c(t+1) (10.41b)
 *         d(t) = [grad_c g i(1-i); grad_c c(t-1) f(1-f); grad_c i (1-g^2); grad_h tanh(c(t)) o(1-o)]
 *                                                                                  (10.40b)
 *         grad_h(0) = W^T d(1),  grad_c(0) = f(1) (.) grad_c(1)                    (h0), (c0)
 *   GRU   a(t) = b + U x(t) = [a_r; a_z; a_n],  w(t) = W h(t-1) + b_h = [w_r; w_z; w_n]
 *         r = s(a_r + w_r), z = s(a_z + w_z), n = tanh(a_n + r (.) w_n)            (10.46)
 *         h(t) = (1 - z) (.) n + z (.) h(t-1)                                      (10.45)
 *         d_n = grad_h (1 - z) (1 - n^2), d_z = grad_h (h(t-1) - n) z(1-z),
 *         d_r = d_n (.) w_n (.) r(1-r);  d = [d_r; d_z; d_n],  dw = [d_r; d_z; d_n (.) r]  (10.45b)
 *         grad_h(t) = V^T g_o(t) + W^T dw(t+1) + z(t+1) (.) grad_h(t+1)             (10.46b)
 *         grad_h(0) = W^T dw(1) + z(1) (.) grad_h(1)                               (h0)
 *   both  grad_U = sum_t d(t) x(t)^T, grad_b = sum_t d(t), grad_W = sum_t dw(t) h(t-1)^T,
 *         grad_b_h = sum_t dw(t)  (dw = d for the LSTM)
 *
 * Layout: matrices are row-major, as written on paper: M(i,j) is M[i * cols + j].
 * Time runs t = 1..tau; "at t" below means the slice for that t. */
#ifndef RNNC_HAND_H
#define RNNC_HAND_H

enum { RNNC_HAND_TANH = 0, RNNC_HAND_RELU = 1, RNNC_HAND_SIGMOID = 2 };
enum { RNNC_HAND_NLL = 0, RNNC_HAND_MSE = 1 };
enum { RNNC_HAND_REC_HIDDEN = 0, RNNC_HAND_REC_OUTPUT = 1, RNNC_HAND_REC_BOTH = 2 };
enum { RNNC_HAND_FB_TEACHER = 0, RNNC_HAND_FB_FREE = 1, RNNC_HAND_FB_SCHEDULED = 2 };
enum { RNNC_HAND_CELL_RNN = 0, RNNC_HAND_CELL_GRU = 1, RNNC_HAND_CELL_LSTM = 2 };

typedef struct rnnc_hand_problem {
    int n_in, hidden, n_out, tau, batch;  /* N (or vocabulary V), H, K, tau, B */
    int onehot;        /* 1: x(t) is a class index (x_index); 0: a vector of n_in (x) */
    int act;           /* RNNC_HAND_TANH, _RELU or _SIGMOID: f' from h: 1-h^2, [h>0], h(1-h) */
    int loss;          /* RNNC_HAND_NLL (y_index) or RNNC_HAND_MSE (y) */
    const double *U;   /* H x N (G H x N for a gated cell) */
    const double *W;   /* H x H (G H x H); NULL without a hidden recurrence (recurrence output) */
    const double *V;   /* K x H */
    const double *b;   /* H (G H) */
    const double *c;   /* K */
    const int *x_index;   /* one-hot: x(t) for column b at [(t-1)*B + b] */
    const double *x;      /* dense:   x(t) for column b at [((t-1)*B + b)*N + j] */
    const int *y_index;   /* nll: target class at [(t-1)*B + b] */
    const double *y;      /* mse: target at [((t-1)*B + b)*K + i] */
    const double *h0;     /* h(0) for column b at [b*H + i] (read only through W) */
    /* The forward pass, computed by rnnc for convenience (you may compute your own):
     * h(t), t = 0..tau, at [(t*B + b)*H + i]; p(t) (softmax for nll, o(t) for mse),
     * t = 1..tau, at [((t-1)*B + b)*K + i]. */
    const double *h;
    const double *p;
    /* The output recurrence (NULL, and feedback 0, with recurrence RNNC_HAND_REC_HIDDEN). */
    int recurrence;       /* RNNC_HAND_REC_HIDDEN, _OUTPUT (figure 10.4) or _BOTH */
    int feedback;         /* RNNC_HAND_FB_TEACHER, _FREE or _SCHEDULED: what fb(t) is */
    const double *R;      /* H x K */
    const double *fb0;    /* fb(0) for column b at [b*K + i] */
    /* fb(t), t = 1..tau, at [((t-1)*B + b)*K + i]: what step t fed back into step t+1, as K
     * values (e_y(t), y(t), p(t), o(t), or scheduled sampling's choice: e_y(t) or the sampled
     * e_s(t) for nll, y(t) or o(t) for mse; its choices are data to the gradient). */
    const double *fb;
    /* The gated cells (NULL, and cell 0, for the rnn cell).  The forward pass, as for h and p:
     * gates(t), t = 1..tau, the activated gates (LSTM i f g o, GRU r z n) at
     * [((t-1)*B + b)*G*H + q*H + i] for gate q; the LSTM's c(t), t = 0..tau, at
     * [(t*B + b)*H + i] (c(0) = c0); the GRU's w_n(t) = W_n h(t-1) + b_hn at
     * [((t-1)*B + b)*H + i]. */
    int cell;             /* RNNC_HAND_CELL_RNN, _GRU or _LSTM */
    int gates;            /* G: 1, 3 or 4 */
    const double *b_h;    /* G H */
    const double *c0;     /* LSTM: c(0) for column b at [b*H + i] */
    const double *gate;
    const double *cs;     /* LSTM: c(t) */
    const double *w_n;    /* GRU */
} rnnc_hand_problem;

typedef struct rnnc_hand_grads {
    double *g_o;      /* g_o(t) = grad_o(t) L at [((t-1)*B + b)*K + i], t = 1..tau */
    double *grad_h;   /* grad_h(t) at [((t-1)*B + b)*H + i], t = 1..tau */
    double *grad_U;   /* H x N (G H x N), row-major */
    double *grad_W;   /* H x H (G H x H); NULL without a hidden recurrence */
    double *grad_V;   /* K x H */
    double *grad_b;   /* H (G H) */
    double *grad_c;   /* K */
    double *grad_h0;  /* [b*H + i]; NULL without a hidden recurrence */
    double *grad_R;   /* H x K; NULL without an output recurrence */
    double *grad_fb0; /* [b*K + i]; NULL without an output recurrence */
    double *grad_b_h; /* G H; NULL for the rnn cell */
    double *grad_cs;  /* LSTM: grad_c(t) (10.41b) at [((t-1)*B + b)*H + i]; else NULL */
    double *grad_c0;  /* LSTM: grad_c(0) at [b*H + i]; else NULL */
} rnnc_hand_grads;

/* Fill every buffer of g (all start as zeros) from p. */
void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g);

#endif
