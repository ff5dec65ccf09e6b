/* lstm_correct.c: back-propagation through time for an LSTM (PyTorch's formulation, section
 * 10.10.1 of Deep Learning), written by hand, for `rnnc diff` to compare with the code rnnc
 * generates:
 *
 *     rnnc diff examples/hand/lstm_correct.c --cell lstm
 *
 * Any input kind, loss and batch.  The interface is rnnc_hand.h (`rnnc gen --hand-header`
 * writes a copy); rnnc gives the forward pass: h(t), p(t), the gates i f g o of every step
 * (p->gate) and the cell states c(t) (p->cs).  Matrices are row-major; U, W, b, b_h stack the
 * four gates' rows in PyTorch's order i, f, g, o.  Equation numbers are those of rnnc's
 * gen/EQUATIONS.md. */
#include <math.h>
#include <stdlib.h>

#include "rnnc_hand.h"

/* out += W^T v for the G H x H matrix W (row-major): out_j += sum_r W(r,j) v_r. */
static void add_wt_times(const double *W, int GH, int H, const double *v, double *out)
{
    for (int r = 0; r < GH; r++)
        for (int j = 0; j < H; j++) out[j] += W[r * H + j] * v[r];
}

/* (10.18) g_o(t) = p(t) - e_y(t) (nll) or o(t) - y(t) (mse), for column b at step t. */
static void output_grad(const rnnc_hand_problem *p, int t, int b, double *go)
{
    const int K = p->n_out, B = p->batch;
    const double *pt = p->p + ((size_t)(t - 1) * B + b) * K;
    for (int k = 0; k < K; k++) go[k] = pt[k];
    if (p->loss == RNNC_HAND_NLL) go[p->y_index[(t - 1) * B + b]] -= 1.0;
    else
        for (int k = 0; k < K; k++) go[k] -= p->y[((size_t)(t - 1) * B + b) * K + k];
}

/* Step t's share of the parameter sums: (10.22)-(10.28), grad_b_h = sum_t d(t). */
static void param_grads(const rnnc_hand_problem *p, rnnc_hand_grads *g, int t, int b, const double *go,
                        const double *d)
{
    const int N = p->n_in, H = p->hidden, K = p->n_out, B = p->batch, GH = 4 * H;
    const double *ht = p->h + ((size_t)t * B + b) * H, *hprev = p->h + ((size_t)(t - 1) * B + b) * H;
    for (int k = 0; k < K; k++) {
        g->grad_c[k] += go[k];
        for (int j = 0; j < H; j++) g->grad_V[k * H + j] += go[k] * ht[j];
    }
    for (int r = 0; r < GH; r++) {
        g->grad_b[r] += d[r];
        g->grad_b_h[r] += d[r];
        for (int j = 0; j < H; j++) g->grad_W[r * H + j] += d[r] * hprev[j];
        if (p->onehot) g->grad_U[r * N + p->x_index[(t - 1) * B + b]] += d[r];
        else
            for (int j = 0; j < N; j++) g->grad_U[r * N + j] += d[r] * p->x[((size_t)(t - 1) * B + b) * N + j];
    }
}

void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    const int H = p->hidden, K = p->n_out, T = p->tau, B = p->batch, GH = 4 * H;
    double *d = calloc((size_t)T * B * GH, sizeof *d); /* d(t) for every t and column */
    if (!d) return;
    for (int t = T; t >= 1; t--)
        for (int b = 0; b < B; b++) {
            const size_t col = (size_t)(t - 1) * B + b;
            const double *gate = p->gate + col * GH, *ct = p->cs + ((size_t)t * B + b) * H;
            const double *cprev = p->cs + ((size_t)(t - 1) * B + b) * H;
            double *go = g->g_o + col * K, *gh = g->grad_h + col * H, *gc = g->grad_cs + col * H;
            double *dt = d + col * GH;
            output_grad(p, t, b, go);
            /* (10.19), (10.21) grad_h(t) = V^T g_o(t) + W^T d(t+1) */
            for (int k = 0; k < K; k++)
                for (int j = 0; j < H; j++) gh[j] += p->V[k * H + j] * go[k];
            if (t < T) add_wt_times(p->W, GH, H, d + ((size_t)t * B + b) * GH, gh);
            for (int j = 0; j < H; j++) {
                const double i = gate[j], f = gate[H + j], gg = gate[2 * H + j], o = gate[3 * H + j];
                const double tc = tanh(ct[j]);
                /* (10.41b) grad_c(t) = grad_h o (1 - tanh(c)^2) + f(t+1) grad_c(t+1) */
                gc[j] = gh[j] * o * (1.0 - tc * tc);
                if (t < T) gc[j] += p->gate[((size_t)t * B + b) * GH + H + j] * g->grad_cs[((size_t)t * B + b) * H + j];
                /* (10.40b) the gradient at the four gates' pre-activations */
                dt[j] = gc[j] * gg * i * (1.0 - i);
                dt[H + j] = gc[j] * cprev[j] * f * (1.0 - f);
                dt[2 * H + j] = gc[j] * i * (1.0 - gg * gg);
                dt[3 * H + j] = gh[j] * tc * o * (1.0 - o);
            }
            param_grads(p, g, t, b, go, dt);
        }
    for (int b = 0; b < B; b++) { /* (h0) grad_h(0) = W^T d(1); (c0) grad_c(0) = f(1) grad_c(1) */
        add_wt_times(p->W, GH, H, d + (size_t)b * GH, g->grad_h0 + (size_t)b * H);
        for (int j = 0; j < H; j++) g->grad_c0[b * H + j] = p->gate[(size_t)b * GH + H + j] * g->grad_cs[b * H + j];
    }
    free(d);
}
