/* gru_correct.c: back-propagation through time for a GRU in PyTorch's formulation (the reset
 * gate applied to W_n h(t-1) + b_hn; section 10.10.1 of Deep Learning), written by hand, for
 * `rnnc diff` to compare with the code rnnc generates:
 *
 *     rnnc diff examples/hand/gru_correct.c --cell gru
 *
 * Any input kind, loss and batch.  The interface is rnnc_hand.h; rnnc gives the forward
 * pass: h(t), p(t), the gates r, z, n of every step (p->gate) and w_n(t) = W_n h(t-1) + b_hn
 * (p->w_n).  Matrices are row-major; U, W, b, b_h stack the three gates' rows in PyTorch's
 * order r, z, n.  Equation numbers are those of rnnc's gen/EQUATIONS.md. */
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

/* Step t's share of the parameter sums: grad_c, grad_V (10.22), (10.24); grad_b and grad_U
 * from d(t) (the input side), grad_b_h and grad_W from dw(t) (the recurrent side). */
static void param_grads(const rnnc_hand_problem *p, rnnc_hand_grads *g, int t, int b, const double *go,
                        const double *d, const double *dw)
{
    const int N = p->n_in, H = p->hidden, K = p->n_out, B = p->batch, GH = 3 * H;
    const double *ht = p->h + ((size_t)t * B + b) * H, *hprev = p->h + ((size_t)(t - 1) * B + b) * H;
    for (int k = 0; k < K; k++) {
        g->grad_c[k] += go[k];
        for (int j = 0; j < H; j++) g->grad_V[k * H + j] += go[k] * ht[j];
    }
    for (int r = 0; r < GH; r++) {
        g->grad_b[r] += d[r];
        g->grad_b_h[r] += dw[r];
        for (int j = 0; j < H; j++) g->grad_W[r * H + j] += dw[r] * hprev[j];
        if (p->onehot) g->grad_U[r * N + p->x_index[(t - 1) * B + b]] += d[r];
        else
            for (int j = 0; j < N; j++) g->grad_U[r * N + j] += d[r] * p->x[((size_t)(t - 1) * B + b) * N + j];
    }
}

void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    const int H = p->hidden, K = p->n_out, T = p->tau, B = p->batch, GH = 3 * H;
    double *d = calloc((size_t)T * B * GH, sizeof *d), *dw = calloc((size_t)T * B * GH, sizeof *dw);
    if (!d || !dw) {
        free(d);
        free(dw);
        return;
    }
    for (int t = T; t >= 1; t--)
        for (int b = 0; b < B; b++) {
            const size_t col = (size_t)(t - 1) * B + b, next = (size_t)t * B + b;
            const double *gate = p->gate + col * GH, *wn = p->w_n + col * H;
            const double *hprev = p->h + ((size_t)(t - 1) * B + b) * H;
            double *go = g->g_o + col * K, *gh = g->grad_h + col * H, *dt = d + col * GH, *dwt = dw + col * GH;
            output_grad(p, t, b, go);
            /* (10.46b) grad_h(t) = V^T g_o(t) + W^T dw(t+1) + z(t+1) (.) grad_h(t+1) */
            for (int k = 0; k < K; k++)
                for (int j = 0; j < H; j++) gh[j] += p->V[k * H + j] * go[k];
            if (t < T) {
                add_wt_times(p->W, GH, H, dw + next * GH, gh);
                for (int j = 0; j < H; j++) gh[j] += p->gate[next * GH + H + j] * g->grad_h[next * H + j];
            }
            for (int j = 0; j < H; j++) { /* (10.45b) */
                const double r = gate[j], z = gate[H + j], n = gate[2 * H + j];
                const double dn = gh[j] * (1.0 - z) * (1.0 - n * n);
                dt[j] = dwt[j] = dn * wn[j] * r * (1.0 - r);
                dt[H + j] = dwt[H + j] = gh[j] * (hprev[j] - n) * z * (1.0 - z);
                dt[2 * H + j] = dn;
                dwt[2 * H + j] = dn * r;
            }
            param_grads(p, g, t, b, go, dt, dwt);
        }
    for (int b = 0; b < B; b++) { /* (h0) grad_h(0) = W^T dw(1) + z(1) (.) grad_h(1) */
        add_wt_times(p->W, GH, H, dw + (size_t)b * GH, g->grad_h0 + (size_t)b * H);
        for (int j = 0; j < H; j++) g->grad_h0[b * H + j] += p->gate[(size_t)b * GH + H + j] * g->grad_h[b * H + j];
    }
    free(d);
    free(dw);
}
