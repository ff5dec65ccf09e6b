/* dump.c: `rnnc check --dump FILE`: the check's random problem, every node and every gradient
 * as safetensors (see dump.h). */
#define _POSIX_C_SOURCE 200809L
#include "dump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "../formats/safetensors.h"
#include "../model/model.h"
#include "problem.h"

/* Add n elements of es bytes from src as tensor name; with t, src is the column-major
 * matrix t (offset included) and is written row-major.  Returns 0 or -1 (out of memory). */
static int add_tensor(rnnc_st_writer *w, const char *name, rnnc_st_dtype dt, size_t es,
                      size_t ndim, const uint64_t *shape, const void *src, const rnnc_tensor *t)
{
    if (!t) return rnnc_st_add(w, name, dt, ndim, shape, src);
    unsigned char *buf = malloc(t->rows * t->cols * es + 1);
    if (!buf) return -1;
    const unsigned char *from = (const unsigned char *)src + t->offset * es;
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++)
            memcpy(buf + (i * t->cols + j) * es, from + (j * t->rows + i) * es, es);
    int rc = rnnc_st_add(w, name, dt, ndim, shape, buf);
    free(buf);
    return rc;
}

/* Every tensor of the dump with its description (its metadata entry): those of every model,
 * W, grad_W and grad_h0 with a hidden recurrence, R, grad_R, fb0, fb and grad_fb0 with an
 * output recurrence.  fb is a copy in the model's dtype of what each step fed back (rnnc_problem_fed_back). */
static int add_dump_tensors(rnnc_st_writer *w, const rnnc_spec *s, const rnnc_problem *g, const void *fb)
{
    const rnnc_layout *l = &g->m.layout;
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    uint64_t H = s->hidden, N = s->n_in, K = s->n_out, T = s->tau, B = s->batch, GH = l->gh;
    uint64_t DC = l->dcol, GC = l->gcol;
    size_t es = l->real_size;
    rnnc_st_dtype real = s->dtype == RNNC_DOUBLE ? RNNC_ST_F64 : RNNC_ST_F32;
    int nll = s->loss == RNNC_LOSS_NLL;
    const unsigned char *ws = g->buf.ws, *s0 = g->buf.s0;
    rnnc_tensor pt[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, pt);
    const struct {
        int when;             /* 0: always; 'W': with a hidden recurrence; 'R': with an output one;
                                 'G': a gated cell; 'L': the LSTM */
        const char *name, *desc;
        rnnc_st_dtype dt;
        size_t ndim;
        uint64_t shape[3];
        const void *src;
        const rnnc_tensor *t;
    } list[] = {
        {0, "x", s->onehot ? "inputs x(t), t = 1..tau, as class indices: [tau, B], x(t) of column b at [t-1, b]"
                           : "inputs x(t), t = 1..tau: [tau, B, N], x(t) of column b at [t-1, b, :]",
         s->onehot ? RNNC_ST_I32 : real, s->onehot ? 2u : 3u, {T, B, N}, g->buf.x, NULL},
        {0, "y", nll ? "targets y(t), t = 1..tau, as class indices: [tau, B]"
                     : "targets y(t), t = 1..tau: [tau, B, K]",
         nll ? RNNC_ST_I32 : real, nll ? 2u : 3u, {T, B, K}, g->buf.y, NULL},
        {0, "h0", "initial state h(0): [B, H]", real, 2, {B, H}, s0 + l->s0_h * es, NULL},
        {'R', "fb0", "initial fed-back output fb(0): [B, K]", real, 2, {B, K}, s0 + l->s0_fb * es, NULL},
        {'L', "c0", "the LSTM's initial cell state c(0): [B, H]", real, 2, {B, H}, s0 + l->s0_c * es, NULL},
        {0, "U", "input-to-hidden weights U: [H, N] (gated: [G H, N], gates stacked in PyTorch's order)",
         real, 2, {GH, N}, g->buf.params, &pt[RNNC_T_U]},
        {'W', "W", "hidden-to-hidden weights W: [H, H] (gated: [G H, H])", real, 2, {GH, H}, g->buf.params,
         &pt[RNNC_T_W]},
        {0, "V", "hidden-to-output weights V: [K, H]", real, 2, {K, H}, g->buf.params, &pt[RNNC_T_V]},
        {0, "b", "hidden bias b: [H] (gated: [G H])", real, 1, {GH}, g->buf.params, &pt[RNNC_T_B]},
        {'G', "b_h", "the gated cell's recurrent bias b_h (PyTorch's bias_hh): [G H]", real, 1, {GH},
         g->buf.params, &pt[RNNC_T_BH]},
        {0, "c", "output bias c: [K]", real, 1, {K}, g->buf.params, &pt[RNNC_T_C]},
        {'R', "R", "output-to-hidden weights R (figure 10.4): [H, K]", real, 2, {H, K}, g->buf.params, &pt[RNNC_T_R]},
        {0, "h", "hidden states h(t) = f(a(t)) (10.9), t = 0..tau (h(0) = h0): [tau+1, B, H], h(t) at [t]",
         real, 3, {T + 1, B, H}, ws + l->ws_h * es, NULL},
        {0, "p", nll ? "p(t) = softmax(o(t)) (10.11), t = 1..tau: [tau, B, K], p(t) at [t-1]"
                     : "o(t) = c + V h(t) (10.10), t = 1..tau: [tau, B, K], o(t) at [t-1]",
         real, 3, {T, B, K}, ws + l->ws_p * es, NULL},
        {'R', "fb", "fb(t), what step t fed back (10.11t/f/s), t = 1..tau: [tau, B, K], at [t-1]",
         real, 3, {T, B, K}, fb, NULL},
        {0, "g_o", "g_o(t) = grad_o(t) L (10.18, 10.18f), t = 1..tau: [tau, B, K], at [t-1]", real, 3,
         {T, B, K}, ws + l->ws_go * es, NULL},
        {0, "grad_h", "grad_h(t) L (10.19, 10.21, 10.21o/f), t = 1..tau: [tau, B, H], at [t-1]", real, 3,
         {T, B, H}, ws + l->ws_gh * es, NULL},
        {0, "d", cell->gates > 1 ? "d(t), the gradient at the gates' pre-activations (10.40b, 10.45b), t = 1..tau: "
                                  "[tau, B, 4 H], at [t-1]: lstm d_i d_f d_g d_o; gru d_r d_z dw_n d_n"
                                : "d(t) = f'(a(t)) (.) grad_h(t) L (10.21), t = 1..tau: [tau, B, H], at [t-1]",
         real, 3, {T, B, DC}, ws + l->ws_d * es, NULL},
        {'G', "gates", "the gates of step t = 1..tau (10.40, 10.46): [tau, B, slots H], at [t-1]: lstm i f g o "
                       "tanh(c(t)); gru r z w_n n", real, 3, {T, B, GC}, ws + l->ws_g * es, NULL},
        {'L', "cell", "the LSTM's cell state c(t) (10.41), t = 0..tau (c(0) = c0): [tau+1, B, H], c(t) at [t]",
         real, 3, {T + 1, B, H}, ws + l->ws_c * es, NULL},
        {'L', "grad_cell", "grad_c(t) L, the LSTM's cell state's gradient (10.41b), t = 1..tau: [tau, B, H], "
                           "at [t-1]", real, 3, {T, B, H}, ws + l->ws_gc * es, NULL},
        {'L', "grad_c0", "grad_c(0) L = f(1) (.) grad_c(1) (c0): [B, H]", real, 2, {B, H},
         ws + (l->ws_gs0 + l->s0_c) * es, NULL},
        {'W', "grad_h0", "grad_h(0) L = W^T d(1): [B, H]", real, 2, {B, H}, ws + (l->ws_gs0 + l->s0_h) * es, NULL},
        {'R', "grad_fb0", "grad_fb(0) L = R^T d(1) (fb0): [B, K]", real, 2, {B, K},
         ws + (l->ws_gs0 + l->s0_fb) * es, NULL},
        {0, "grad_U", "grad_U L = sum_t d(t) x(t)^T (10.28), summed over the batch: [H, N] (gated: [G H, N])",
         real, 2, {GH, N}, g->buf.grads, &pt[RNNC_T_U]},
        {'W', "grad_W", "grad_W L = sum_t d(t) h(t-1)^T (10.26; gru: dw(t)), summed over the batch: [H, H] "
                        "(gated: [G H, H])", real, 2, {GH, H}, g->buf.grads, &pt[RNNC_T_W]},
        {0, "grad_V", "grad_V L = sum_t g_o(t) h(t)^T (10.24), summed over the batch: [K, H]", real,
         2, {K, H}, g->buf.grads, &pt[RNNC_T_V]},
        {0, "grad_b", "grad_b L = sum_t d(t) (10.23), summed over the batch: [H] (gated: [G H])", real, 1,
         {GH}, g->buf.grads, &pt[RNNC_T_B]},
        {'G', "grad_b_h", "grad_b_h L = sum_t dw(t) (10.23; lstm: d(t)), summed over the batch: [G H]", real, 1,
         {GH}, g->buf.grads, &pt[RNNC_T_BH]},
        {0, "grad_c", "grad_c L = sum_t g_o(t) (10.22), summed over the batch: [K]", real, 1, {K},
         g->buf.grads, &pt[RNNC_T_C]},
        {'R', "grad_R", "grad_R L = sum_t d(t) fb(t-1)^T (10.26r), summed over the batch: [H, K]", real,
         2, {H, K}, g->buf.grads, &pt[RNNC_T_R]},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        size_t esz = list[i].dt == RNNC_ST_I32 ? 4 : es;
        if ((list[i].when == 'W' && !rec->has_W) || (list[i].when == 'R' && !rec->has_R) ||
            (list[i].when == 'G' && cell->gates == 1) || (list[i].when == 'L' && !cell->has_c))
            continue;
        if (add_tensor(w, list[i].name, list[i].dt, esz, list[i].ndim, list[i].shape, list[i].src,
                       list[i].t) != 0 ||
            rnnc_st_set_meta(w, list[i].name, list[i].desc) != 0)
            return -1;
    }
    return 0;
}

/* fb(t) of the run g as the model's reals (tau x B x K, malloc'd), or NULL without an output
 * recurrence or memory. */
static void *dump_fed_back(const rnnc_spec *s, const rnnc_problem *g)
{
    size_t n = s->tau * s->batch * s->n_out;
    if (!rnnc_recurrences[s->rec].has_R) return NULL;
    double *d = malloc(n * sizeof *d);
    void *out = malloc(n * g->m.layout.real_size);
    if (d && out) {
        rnnc_problem_fed_back(s, g, d);
        for (size_t i = 0; i < n; i++) rnnc_set(out, s->dtype, i, d[i]);
    } else {
        free(out);
        out = NULL;
    }
    free(d);
    return out;
}

int rnnc_check_dump(const rnnc_spec *s, rnnc_backend b, uint64_t seed, const char *path,
                    char *err, size_t errlen)
{
    rnnc_problem g;
    char canon[512], num[64];
    int rc = -1;
    rnnc_st_writer *w = NULL;
    void *fb = NULL;
    if (rnnc_problem_run(&g, s, b, seed, err, errlen) != 0) goto out;
    w = rnnc_st_writer_new();
    if (!w) {
        rnnc_fail(err, errlen, "%s: out of memory", path);
        goto out;
    }
    rnnc_spec_format(s, canon, sizeof canon);
    snprintf(num, sizeof num, "%llu", (unsigned long long)seed);
    fb = dump_fed_back(s, &g);
    if ((rnnc_recurrences[s->rec].has_R && !fb) || add_dump_tensors(w, s, &g, fb) != 0 ||
        rnnc_st_add(w, "loss", RNNC_ST_F64, 0, NULL, &g.loss) != 0 ||
        rnnc_st_set_meta(w, "loss", "L = sum over t and the batch of L(t) (10.13), as F64") != 0 ||
        rnnc_st_set_meta(w, "spec", canon) != 0 || rnnc_st_set_meta(w, "layout", "row-major") != 0 ||
        rnnc_st_set_meta(w, "seed", num) != 0 ||
        rnnc_st_set_meta(w, "backend", rnnc_backend_name(b)) != 0 ||
        rnnc_st_set_meta(w, "rnnc_version", RNNC_VERSION) != 0 ||
        rnnc_st_set_meta(w, "format", "rnnc check --dump: the random problem of rnnc check --seed, "
                                      "the generated forward and backward pass on it; tensors in "
                                      "the model's dtype, row-major; dimensions N (input), H "
                                      "(hidden), K (output), B (batch), tau") != 0) {
        rnnc_fail(err, errlen, "%s: out of memory collecting the tensors", path);
        goto out;
    }
    rc = rnnc_st_write(w, path, err, errlen);
out:
    free(fb);
    rnnc_st_writer_free(w);
    rnnc_problem_free(&g);
    return rc;
}
