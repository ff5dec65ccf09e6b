/* output_gradr_uses_fbt.c: output_correct.c with one classic mistake (marked BUG): grad_R
 * summed with fb(t), what step t feeds back, instead of fb(t-1), what step t reads:
 * (10.26r) grad_R = sum_t d(t) fb(t-1)^T, as (10.26) has h(t-1) for W.  The time sweep is
 * right, so grad_R is the only node that differs:
 *
 *     rnnc diff examples/hand/output_gradr_uses_fbt.c --recurrence output --feedback teacher
 *
 * See output_correct.c for the derivation. */
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

/* out += M^T v for the rows x cols matrix M (row-major): out_j += sum_i M(i,j) v_i. */
static void add_mt_times(const double *M, int rows, int cols, const double *v, double *out)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) out[j] += M[i * cols + j] * v[i];
}

/* g_o(t) for one column: (10.18), plus, when the model runs free and t < tau, what reaches
 * o(t) through fb(t) (10.18f).  d_next is d(t+1) of the column, or NULL; r is scratch for K
 * values. */
static void output_grad(const rnnc_hand_problem *p, int t, int b, const double *d_next,
                        double *r, double *go)
{
    const int H = p->hidden, K = p->n_out, B = p->batch;
    const double *pt = p->p + ((size_t)(t - 1) * B + b) * K; /* p(t), or o(t) for mse */

    /* (10.18) g_o(t) = p(t) - e_y(t) (nll)   or   o(t) - y(t) (mse) */
    for (int k = 0; k < K; k++) go[k] = pt[k];
    if (p->loss == RNNC_HAND_NLL) go[p->y_index[(t - 1) * B + b]] -= 1.0;
    else
        for (int k = 0; k < K; k++) go[k] -= p->y[((size_t)(t - 1) * B + b) * K + k];
    if (p->feedback != RNNC_HAND_FB_FREE || !d_next) return;

    /* (10.18f) r(t) = R^T d(t+1): the gradient arriving at fb(t) from a(t+1). */
    for (int k = 0; k < K; k++) r[k] = 0;
    add_mt_times(p->R, H, K, d_next, r);
    if (p->loss == RNNC_HAND_MSE) {
        for (int k = 0; k < K; k++) go[k] += r[k]; /* fb(t) = o(t): the Jacobian is I */
        return;
    }
    /* fb(t) = softmax(o(t)): J^T r = (diag(p) - p p^T) r = p (.) (r - (p^T r) 1) */
    double ptr = 0;
    for (int k = 0; k < K; k++) ptr += pt[k] * r[k];
    for (int k = 0; k < K; k++) go[k] += pt[k] * (r[k] - ptr);
}

void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    const int N = p->n_in, H = p->hidden, K = p->n_out, T = p->tau, B = p->batch;
    /* d(t) = f'(a(t)) (.) grad_h(t) for every t and column: step t needs d(t+1). */
    double *d = calloc((size_t)T * B * H, sizeof *d), *r = calloc((size_t)K, sizeof *r);
    if (!d || !r) { /* rnnc diff then reports the zeros as differences */
        free(d);
        free(r);
        return;
    }

    for (int t = T; t >= 1; t--) {
        for (int b = 0; b < B; b++) {
            const double *ht = p->h + ((size_t)t * B + b) * H;          /* h(t) */
            const double *hprev = p->h + ((size_t)(t - 1) * B + b) * H; /* h(t-1) */
            const double *fbprev = t == 1 ? p->fb0 + (size_t)b * K      /* fb(t-1) */
                                          : p->fb + ((size_t)(t - 2) * B + b) * K;
            const double *dnext = t < T ? d + ((size_t)t * B + b) * H : NULL; /* d(t+1) */
            double *go = g->g_o + ((size_t)(t - 1) * B + b) * K;        /* g_o(t) */
            double *gh = g->grad_h + ((size_t)(t - 1) * B + b) * H;     /* grad_h(t) */
            double *dt = d + ((size_t)(t - 1) * B + b) * H;             /* d(t) */

            output_grad(p, t, b, dnext, r, go);

            /* grad_h(t) = V^T g_o(t)  (10.21o teacher, 10.21f free), and with a hidden
             * recurrence too (both) + W^T d(t+1)  (10.21). */
            add_mt_times(p->V, K, H, go, gh);
            if (p->W && dnext) add_mt_times(p->W, H, H, dnext, gh);

            /* d(t) = f'(a(t)) (.) grad_h(t): the gradient at the pre-activation. */
            for (int j = 0; j < H; j++) dt[j] = act_deriv(p->act, ht[j]) * gh[j];

            /* Step t's share of the parameter gradients (summed over t and the batch). */
            for (int k = 0; k < K; k++) g->grad_c[k] += go[k];       /* (10.22) */
            for (int j = 0; j < H; j++) g->grad_b[j] += dt[j];       /* (10.23) */
            for (int k = 0; k < K; k++)                              /* (10.24) g_o(t) h(t)^T */
                for (int j = 0; j < H; j++) g->grad_V[k * H + j] += go[k] * ht[j];
            /* BUG: (10.26r) is d(t) fb(t-1)^T: R multiplies fb(t-1) in a(t) (10.8o); fb(t)
             * is what step t feeds on to step t+1 (and at t = tau, to the next chunk). */
            const double *fbt = p->fb + ((size_t)(t - 1) * B + b) * K; /* fb(t) */
            (void)fbprev;
            for (int i = 0; i < H; i++)
                for (int k = 0; k < K; k++) g->grad_R[i * K + k] += dt[i] * fbt[k];
            if (p->W)                                                /* (10.26) d(t) h(t-1)^T */
                for (int i = 0; i < H; i++)
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

    /* The initial state: grad_fb(0) = R^T d(1) (fb0), and with W grad_h(0) = W^T d(1). */
    for (int b = 0; b < B; b++) {
        add_mt_times(p->R, H, K, d + (size_t)b * H, g->grad_fb0 + (size_t)b * K);
        if (p->W) add_mt_times(p->W, H, H, d + (size_t)b * H, g->grad_h0 + (size_t)b * H);
    }
    free(d);
    free(r);
}
