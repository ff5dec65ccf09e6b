/* ref_gated.c: independent reference for the gated cells, forward + full BPTT (see
 * ref_gated.h).  Written from gen/EQUATIONS.md, "Gated cells: LSTM and GRU (10.10.1)"; every
 * block cites its equation.  Plain loops, runtime dimensions, double precision, no
 * allocation.  Clarity over speed. */
#include "ref_gated.h"

#include <math.h>

size_t refg_gates(const refg_spec *s) { return s->cell == REFG_LSTM ? 4 : 3; }

/* element (i,j) of a column-major matrix with `rows` rows */
static size_t mat(size_t i, size_t j, size_t rows) { return j * rows + i; }

/* h(t), c(t), t = 0..tau, column bi */
static size_t st_at(const refg_spec *s, size_t t, size_t bi) { return (t * s->batch + bi) * s->hidden; }

/* gate(t), d(t), dw(t), t = 1..tau, column bi: start of the G H vector */
static size_t g_at(const refg_spec *s, size_t t, size_t bi)
{
    return ((t - 1) * s->batch + bi) * refg_gates(s) * s->hidden;
}

/* gh(t), gc(t), wn(t), t = 1..tau */
static size_t v_at(const refg_spec *s, size_t t, size_t bi) { return ((t - 1) * s->batch + bi) * s->hidden; }

/* p(t), go(t), t = 1..tau */
static size_t k_at(const refg_spec *s, size_t t, size_t bi) { return ((t - 1) * s->batch + bi) * s->n_out; }

/* class index / dense input of step t */
static size_t cls_at(const refg_spec *s, size_t t, size_t bi) { return (t - 1) * s->batch + bi; }

static double sigm(double a) { return 1.0 / (1.0 + exp(-a)); }

/* Row r (of G H) of U x(t): a column read for one-hot input. */
static double ux(const refg_spec *s, refg_params P, const int32_t *xi, const double *xd, size_t t,
                 size_t bi, size_t r)
{
    size_t GH = refg_gates(s) * s->hidden, j;
    double v = 0.0;
    if (s->onehot) return P.U[mat(r, (size_t)xi[cls_at(s, t, bi)], GH)];
    for (j = 0; j < s->n_in; j++) v += P.U[mat(r, j, GH)] * xd[cls_at(s, t, bi) * s->n_in + j];
    return v;
}

/* Row r of W h(t-1). */
static double wh(const refg_spec *s, refg_params P, const double *hprev, size_t r)
{
    size_t GH = refg_gates(s) * s->hidden, j;
    double v = 0.0;
    for (j = 0; j < s->hidden; j++) v += P.W[mat(r, j, GH)] * hprev[j];
    return v;
}

/* One step of the cell for column bi: h(t), c(t), the gates, w_n. */
static void cell_forward(const refg_spec *s, refg_params P, const int32_t *xi, const double *xd,
                         size_t t, size_t bi, refg_nodes *n)
{
    const size_t H = s->hidden;
    const double *hp = n->h + st_at(s, t - 1, bi);
    double *h = n->h + st_at(s, t, bi), *gate = n->gate + g_at(s, t, bi);
    size_t i;
    for (i = 0; i < H; i++) {
        if (s->cell == REFG_LSTM) {
            /* (10.40) a(t) = b + U x(t) + W h(t-1) + b_h = [a_i; a_f; a_g; a_o] */
            double a[4];
            size_t q;
            for (q = 0; q < 4; q++) {
                size_t r = q * H + i;
                a[q] = P.b[r] + ux(s, P, xi, xd, t, bi, r) + wh(s, P, hp, r) + P.bh[r];
            }
            gate[i] = sigm(a[0]);
            gate[H + i] = sigm(a[1]);
            gate[2 * H + i] = tanh(a[2]);
            gate[3 * H + i] = sigm(a[3]);
            /* (10.41) c(t) = f (.) c(t-1) + i (.) g */
            n->c[st_at(s, t, bi) + i] = gate[H + i] * n->c[st_at(s, t - 1, bi) + i] + gate[i] * gate[2 * H + i];
            /* (10.42) h(t) = o (.) tanh(c(t)) */
            h[i] = gate[3 * H + i] * tanh(n->c[st_at(s, t, bi) + i]);
        } else {
            /* (10.46) a(t) = b + U x(t), w(t) = W h(t-1) + b_h */
            double ar = P.b[i] + ux(s, P, xi, xd, t, bi, i);
            double az = P.b[H + i] + ux(s, P, xi, xd, t, bi, H + i);
            double an = P.b[2 * H + i] + ux(s, P, xi, xd, t, bi, 2 * H + i);
            double wr = wh(s, P, hp, i) + P.bh[i], wz = wh(s, P, hp, H + i) + P.bh[H + i];
            double wn = wh(s, P, hp, 2 * H + i) + P.bh[2 * H + i];
            /* r = s(a_r + w_r), z = s(a_z + w_z), n = tanh(a_n + r (.) w_n) */
            gate[i] = sigm(ar + wr);
            gate[H + i] = sigm(az + wz);
            gate[2 * H + i] = tanh(an + gate[i] * wn);
            n->wn[v_at(s, t, bi) + i] = wn;
            /* (10.45) h(t) = (1 - z) (.) n + z (.) h(t-1) */
            h[i] = (1.0 - gate[H + i]) * gate[2 * H + i] + gate[H + i] * hp[i];
        }
    }
}

/* (10.10), (10.11), (10.14) for column bi at step t: p(t) (or o(t)) and L(t). */
static double output_forward(const refg_spec *s, refg_params P, const int32_t *yi, const double *yd,
                             size_t t, size_t bi, refg_nodes *n)
{
    const size_t H = s->hidden, K = s->n_out;
    const double *h = n->h + st_at(s, t, bi);
    double *p = n->p + k_at(s, t, bi), L = 0.0, mx, sum = 0.0;
    size_t k, j;
    for (k = 0; k < K; k++) { /* (10.10) o(t) = c + V h(t) */
        p[k] = P.c[k];
        for (j = 0; j < H; j++) p[k] += P.V[mat(k, j, K)] * h[j];
    }
    if (s->loss == REF_MSE) { /* (10.14) L(t) = 1/2 ||o(t) - y(t)||^2 */
        for (k = 0; k < K; k++) {
            double e = p[k] - yd[cls_at(s, t, bi) * K + k];
            L += 0.5 * e * e;
        }
        return L;
    }
    /* (10.11) p(t) = softmax(o(t)), (10.14) L(t) = logsumexp(o(t)) - o_y(t) */
    mx = p[0];
    for (k = 1; k < K; k++) mx = p[k] > mx ? p[k] : mx;
    for (k = 0; k < K; k++) sum += exp(p[k] - mx);
    L = mx + log(sum) - p[yi[cls_at(s, t, bi)]];
    for (k = 0; k < K; k++) p[k] = exp(p[k] - mx) / sum;
    return L;
}

double refg_forward(const refg_spec *s, refg_params P, const int32_t *xi, const double *xd,
                    const int32_t *yi, const double *yd, const double *h0, const double *c0,
                    refg_nodes *n)
{
    const size_t H = s->hidden, B = s->batch, T = s->tau;
    double L = 0.0;
    size_t t, bi, i;
    for (bi = 0; bi < B; bi++)
        for (i = 0; i < H; i++) {
            n->h[st_at(s, 0, bi) + i] = h0[bi * H + i];
            if (s->cell == REFG_LSTM) n->c[st_at(s, 0, bi) + i] = c0[bi * H + i];
        }
    for (t = 1; t <= T; t++)
        for (bi = 0; bi < B; bi++) {
            cell_forward(s, P, xi, xd, t, bi, n);
            L += output_forward(s, P, yi, yd, t, bi, n); /* (10.13) L = sum_t L(t) */
        }
    return L;
}

/* grad_h(t) for column bi: (10.19) V^T g_o(t) at tau; plus W^T d(t+1) (10.21, LSTM) or
 * W^T dw(t+1) + z(t+1) (.) grad_h(t+1) (10.46b, GRU) before it. */
static void hidden_grad(const refg_spec *s, refg_params P, size_t t, size_t bi, refg_nodes *n)
{
    const size_t H = s->hidden, K = s->n_out, GH = refg_gates(s) * H;
    double *gh = n->gh + v_at(s, t, bi);
    size_t i, k, r;
    for (i = 0; i < H; i++) {
        gh[i] = 0.0;
        for (k = 0; k < K; k++) gh[i] += P.V[mat(k, i, K)] * n->go[k_at(s, t, bi) + k];
        if (t == s->tau) continue;
        for (r = 0; r < GH; r++) gh[i] += P.W[mat(r, i, GH)] * n->dw[g_at(s, t + 1, bi) + r];
        if (s->cell == REFG_GRU)
            gh[i] += n->gate[g_at(s, t + 1, bi) + H + i] * n->gh[v_at(s, t + 1, bi) + i];
    }
}

/* d(t) and dw(t) of column bi: (10.41b) grad_c(t) and (10.40b) for the LSTM; (10.45b) for
 * the GRU. */
static void gate_grad(const refg_spec *s, size_t t, size_t bi, refg_nodes *n)
{
    const size_t H = s->hidden, G = refg_gates(s);
    const double *gate = n->gate + g_at(s, t, bi), *gh = n->gh + v_at(s, t, bi);
    double *d = n->d + g_at(s, t, bi), *dw = n->dw + g_at(s, t, bi);
    size_t i, r;
    for (i = 0; i < H; i++) {
        if (s->cell == REFG_LSTM) {
            double ig = gate[i], fg = gate[H + i], gg = gate[2 * H + i], og = gate[3 * H + i];
            double tc = tanh(n->c[st_at(s, t, bi) + i]), gc;
            gc = gh[i] * og * (1.0 - tc * tc);
            if (t < s->tau) gc += n->gate[g_at(s, t + 1, bi) + H + i] * n->gc[v_at(s, t + 1, bi) + i];
            n->gc[v_at(s, t, bi) + i] = gc;
            d[i] = gc * gg * ig * (1.0 - ig);
            d[H + i] = gc * n->c[st_at(s, t - 1, bi) + i] * fg * (1.0 - fg);
            d[2 * H + i] = gc * ig * (1.0 - gg * gg);
            d[3 * H + i] = gh[i] * tc * og * (1.0 - og);
        } else {
            double r_ = gate[i], z = gate[H + i], nn = gate[2 * H + i];
            double hp = n->h[st_at(s, t - 1, bi) + i];
            double dn = gh[i] * (1.0 - z) * (1.0 - nn * nn);
            double dz = gh[i] * (hp - nn) * z * (1.0 - z);
            double dr = dn * n->wn[v_at(s, t, bi) + i] * r_ * (1.0 - r_);
            d[i] = dr;
            d[H + i] = dz;
            d[2 * H + i] = dn;
        }
    }
    for (r = 0; r < G * H; r++) dw[r] = d[r];
    if (s->cell == REFG_GRU)
        for (i = 0; i < H; i++) dw[2 * H + i] = d[2 * H + i] * gate[i]; /* d_n (.) r */
}

/* The parameter sums over every step and column. */
static void param_grads(const refg_spec *s, const int32_t *xi, const double *xd, refg_nodes *n,
                        refg_grads G)
{
    const size_t H = s->hidden, K = s->n_out, NI = s->n_in, GH = refg_gates(s) * H;
    size_t t, bi, r, j, k;
    for (r = 0; r < GH * NI; r++) G.U[r] = 0.0;
    for (r = 0; r < GH * H; r++) G.W[r] = 0.0;
    for (r = 0; r < K * H; r++) G.V[r] = 0.0;
    for (r = 0; r < GH; r++) G.b[r] = G.bh[r] = 0.0;
    for (k = 0; k < K; k++) G.c[k] = 0.0;
    for (t = 1; t <= s->tau; t++)
        for (bi = 0; bi < s->batch; bi++) {
            const double *d = n->d + g_at(s, t, bi), *dw = n->dw + g_at(s, t, bi);
            const double *go = n->go + k_at(s, t, bi), *h = n->h + st_at(s, t, bi);
            const double *hp = n->h + st_at(s, t - 1, bi);
            for (k = 0; k < K; k++) {
                G.c[k] += go[k];                                              /* (10.22) */
                for (j = 0; j < H; j++) G.V[mat(k, j, K)] += go[k] * h[j];     /* (10.24) */
            }
            for (r = 0; r < GH; r++) {
                G.b[r] += d[r];                                               /* (10.23) */
                G.bh[r] += dw[r];
                for (j = 0; j < H; j++) G.W[mat(r, j, GH)] += dw[r] * hp[j];   /* (10.26) */
                if (s->onehot) G.U[mat(r, (size_t)xi[cls_at(s, t, bi)], GH)] += d[r]; /* (10.28) */
                else
                    for (j = 0; j < NI; j++) G.U[mat(r, j, GH)] += d[r] * xd[cls_at(s, t, bi) * NI + j];
            }
        }
}

void refg_backward(const refg_spec *s, refg_params P, const int32_t *xi, const double *xd,
                   const int32_t *yi, const double *yd, refg_nodes *n, refg_grads G)
{
    const size_t H = s->hidden, K = s->n_out, B = s->batch, GH = refg_gates(s) * H;
    size_t t, bi, k, i, r;
    for (t = s->tau; t >= 1; t--)
        for (bi = 0; bi < B; bi++) {
            /* (10.18) g_o(t) = p(t) - e_y(t) (nll), o(t) - y(t) (mse) */
            for (k = 0; k < K; k++) {
                double target = s->loss == REF_MSE ? yd[cls_at(s, t, bi) * K + k]
                                                   : (size_t)yi[cls_at(s, t, bi)] == k ? 1.0 : 0.0;
                n->go[k_at(s, t, bi) + k] = n->p[k_at(s, t, bi) + k] - target;
            }
            hidden_grad(s, P, t, bi, n);
            gate_grad(s, t, bi, n);
        }
    for (bi = 0; bi < B; bi++)
        for (i = 0; i < H; i++) {
            /* (h0) grad_h(0) = W^T d(1) (LSTM), W^T dw(1) + z(1) (.) grad_h(1) (GRU) */
            double g = 0.0;
            for (r = 0; r < GH; r++) g += P.W[mat(r, i, GH)] * n->dw[g_at(s, 1, bi) + r];
            if (s->cell == REFG_GRU) g += n->gate[g_at(s, 1, bi) + H + i] * n->gh[v_at(s, 1, bi) + i];
            n->gh0[bi * H + i] = g;
            /* (c0) grad_c(0) = f(1) (.) grad_c(1) */
            if (s->cell == REFG_LSTM)
                n->gc0[bi * H + i] = n->gate[g_at(s, 1, bi) + H + i] * n->gc[v_at(s, 1, bi) + i];
        }
    param_grads(s, xi, xd, n, G);
}
