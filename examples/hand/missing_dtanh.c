/* missing_dtanh.c: correct.c with one classic mistake, for `rnnc diff` to find:
 * the factor f'(a(t)) = 1 - h(t)^2 of (10.21) is left out, so d(t) = grad_h(t): the
 * gradient skips the tanh.  The first node it breaks is grad_h(tau-1), which uses d(tau).
 *
 *     rnnc diff examples/hand/missing_dtanh.c
 *
 * Everything else is as in correct.c, whose description follows.
 *
 * It handles every variant of the interface: one-hot or dense input, tanh / relu / sigmoid,
 * softmax + negative log-likelihood or squared error, any batch.  The interface (the
 * problem it reads and the gradients it writes) is rnnc_hand.h; `rnnc gen --hand-header`
 * writes a copy.  Equation numbers are those of rnnc's gen/EQUATIONS.md (Deep Learning, chapter 10).
 *
 * Conventions of rnnc_hand.h used below:
 *   - matrices are row-major: M(i,j) is M[i * cols + j];
 *   - a node at time t for batch column b is a contiguous vector, e.g. h(t) is
 *     p->h + (t*B + b)*H (t = 0..tau) and g_o(t) is g->g_o + ((t-1)*B + b)*K (t = 1..tau);
 *   - every output buffer starts as zeros, so the parameter gradients can be accumulated
 *     directly into them;
 *   - p->h and p->p hold the forward pass (h(t) and, for nll, p(t) = softmax(o(t)); for
 *     mse, o(t)), so only the backward pass is written here. */
#include <stdlib.h>

#include "rnnc_hand.h"

/* f'(a) written from h = f(a) alone (gen/EQUATIONS.md, after (10.21)). */
static double act_deriv(int act, double h)
{
    switch (act) {
    case RNNC_HAND_TANH: return 1.0 - h * h;
    case RNNC_HAND_RELU: return h > 0.0 ? 1.0 : 0.0;
    default: return h * (1.0 - h); /* RNNC_HAND_SIGMOID */
    }
}

/* out += W^T v, for the H x H matrix W (row-major): out_j += sum_i W(i,j) v_i. */
static void add_wt_times(const double *W, int H, const double *v, double *out)
{
    for (int i = 0; i < H; i++)
        for (int j = 0; j < H; j++) out[j] += W[i * H + j] * v[i];
}

void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    const int N = p->n_in, H = p->hidden, K = p->n_out, T = p->tau, B = p->batch;
    /* d(t) = f'(a(t)) (.) grad_h(t) for every t and column: step t needs d(t+1). */
    double *d = calloc((size_t)T * B * H, sizeof *d);
    if (!d) return; /* rnnc diff then reports the zeros as differences */

    for (int t = T; t >= 1; t--) {
        for (int b = 0; b < B; b++) {
            const double *ht = p->h + ((size_t)t * B + b) * H;        /* h(t) */
            const double *hprev = p->h + ((size_t)(t - 1) * B + b) * H; /* h(t-1) */
            const double *pt = p->p + ((size_t)(t - 1) * B + b) * K;   /* p(t) or o(t) */
            double *go = g->g_o + ((size_t)(t - 1) * B + b) * K;       /* g_o(t) */
            double *gh = g->grad_h + ((size_t)(t - 1) * B + b) * H;    /* grad_h(t) */
            double *dt = d + ((size_t)(t - 1) * B + b) * H;            /* d(t) */

            /* (10.18) g_o(t) = p(t) - e_y(t) (nll)   or   o(t) - y(t) (mse) */
            for (int k = 0; k < K; k++) go[k] = pt[k];
            if (p->loss == RNNC_HAND_NLL)
                go[p->y_index[(t - 1) * B + b]] -= 1.0;
            else
                for (int k = 0; k < K; k++) go[k] -= p->y[((size_t)(t - 1) * B + b) * K + k];

            /* (10.19) grad_h(tau) = V^T g_o(tau);
             * (10.21) grad_h(t) = W^T d(t+1) + V^T g_o(t) for t < tau. */
            for (int k = 0; k < K; k++)
                for (int j = 0; j < H; j++) gh[j] += p->V[k * H + j] * go[k];
            if (t < T) add_wt_times(p->W, H, d + ((size_t)t * B + b) * H, gh);

            /* (10.21) d(t) = f'(a(t)) (.) grad_h(t): the gradient at the pre-activation. */
            for (int j = 0; j < H; j++) dt[j] = gh[j]; /* BUG: f'(a(t)) = 1 - h(t)^2 is missing */

            /* Step t's share of the parameter gradients (summed over t and the batch). */
            for (int k = 0; k < K; k++) g->grad_c[k] += go[k];       /* (10.22) */
            for (int j = 0; j < H; j++) g->grad_b[j] += dt[j];       /* (10.23) */
            for (int k = 0; k < K; k++)                              /* (10.24) g_o(t) h(t)^T */
                for (int j = 0; j < H; j++) g->grad_V[k * H + j] += go[k] * ht[j];
            for (int i = 0; i < H; i++)                              /* (10.26) d(t) h(t-1)^T */
                for (int j = 0; j < H; j++) g->grad_W[i * H + j] += dt[i] * hprev[j];
            if (p->onehot) {                                         /* (10.28) d(t) x(t)^T */
                int x = p->x_index[(t - 1) * B + b]; /* x(t) = e_x: only column x */
                for (int i = 0; i < H; i++) g->grad_U[i * N + x] += dt[i];
            } else {
                const double *xt = p->x + ((size_t)(t - 1) * B + b) * N;
                for (int i = 0; i < H; i++)
                    for (int j = 0; j < N; j++) g->grad_U[i * N + j] += dt[i] * xt[j];
            }
        }
    }

    /* grad_h(0) = W^T d(1): not in the book; the gradient with respect to the initial state. */
    for (int b = 0; b < B; b++) add_wt_times(p->W, H, d + (size_t)b * H, g->grad_h0 + (size_t)b * H);
    free(d);
}
