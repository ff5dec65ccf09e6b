/* gru_book_reset.c: a classic mistake in a GRU's BPTT: deriving with the reset gate where the
 * book puts it (Deep Learning, (10.46): n = tanh(... + W_n (r (.) h(t-1)))) while the model is
 * PyTorch's, which rnnc follows (n = tanh(a_n + r (.) (W_n h(t-1) + b_hn)), gen/EQUATIONS.md).
 * Both are GRUs, but weights trained in one do not work in the other, and the derivative
 * differs wherever the reset gate meets W_n:
 *     book:     grad at r = (W_n^T d_n) (.) h(t-1),   h(t-1) receives r (.) (W_n^T d_n),
 *               grad_W_n = sum_t d_n (r (.) h(t-1))^T,  grad_b_hn = sum_t d_n
 *     PyTorch:  grad at r = d_n (.) w_n,              h(t-1) receives W_n^T (d_n (.) r),
 *               grad_W_n = sum_t (d_n (.) r) h(t-1)^T,  grad_b_hn = sum_t d_n (.) r
 * Otherwise identical to gru_correct.c.
 *
 *     rnnc diff examples/hand/gru_book_reset.c --cell gru
 *
 * rnnc diff finds grad_h(3) (with tau 4) first: grad_h(4) has no later step, and the wrong
 * d(4) is not a node; it reaches grad_h(3) through the recurrent products. */
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
        for (int j = 0; j < H; j++) /* MISTAKE (book): the n rows multiply r (.) h(t-1) */
            g->grad_W[r * H + j] += dw[r] * hprev[j] * (r >= 2 * H ? p->gate[((size_t)(t - 1) * B + b) * GH + j] : 1.0);
        if (p->onehot) g->grad_U[r * N + p->x_index[(t - 1) * B + b]] += d[r];
        else
            for (int j = 0; j < N; j++) g->grad_U[r * N + j] += d[r] * p->x[((size_t)(t - 1) * B + b) * N + j];
    }
}

void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    const int H = p->hidden, K = p->n_out, T = p->tau, B = p->batch, GH = 3 * H;
    double *d = calloc((size_t)T * B * GH, sizeof *d), *dw = calloc((size_t)T * B * GH, sizeof *dw);
    double *wtdn = calloc((size_t)T * B * H, sizeof *wtdn); /* W_n^T d_n(t) */
    if (!d || !dw || !wtdn) {
        free(d);
        free(dw);
        free(wtdn);
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
                /* MISTAKE (book): the n rows reach h(t) as r(t+1) (.) (W_n^T d_n(t+1)) */
                add_wt_times(p->W, 2 * H, H, dw + next * GH, gh);
                for (int j = 0; j < H; j++) gh[j] += p->gate[next * GH + j] * wtdn[next * H + j];
                for (int j = 0; j < H; j++) gh[j] += p->gate[next * GH + H + j] * g->grad_h[next * H + j];
            }
            for (int j = 0; j < H; j++) /* d_n, and W_n^T d_n for the book's reset gradient */
                dt[2 * H + j] = gh[j] * (1.0 - gate[H + j]) * (1.0 - gate[2 * H + j] * gate[2 * H + j]);
            add_wt_times(p->W + 2 * H * H, H, H, dt + 2 * H, wtdn + col * H);
            for (int j = 0; j < H; j++) { /* (10.45b), with the book's reset placement */
                const double r = gate[j], z = gate[H + j], n = gate[2 * H + j], dn = dt[2 * H + j];
                dt[j] = dwt[j] = wtdn[col * H + j] * hprev[j] * r * (1.0 - r); /* MISTAKE (book) */
                dt[H + j] = dwt[H + j] = gh[j] * (hprev[j] - n) * z * (1.0 - z);
                dwt[2 * H + j] = dn; /* MISTAKE (book): the reset is not on this side */
                (void)wn;
            }
            param_grads(p, g, t, b, go, dt, dwt);
        }
    for (int b = 0; b < B; b++) { /* (h0), with the book's n path */
        add_wt_times(p->W, 2 * H, H, dw + (size_t)b * GH, g->grad_h0 + (size_t)b * H);
        for (int j = 0; j < H; j++)
            g->grad_h0[b * H + j] += p->gate[(size_t)b * GH + j] * wtdn[b * H + j] +
                                     p->gate[(size_t)b * GH + H + j] * g->grad_h[b * H + j];
    }
    free(d);
    free(dw);
    free(wtdn);
}
