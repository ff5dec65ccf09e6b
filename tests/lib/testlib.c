/* testlib.c: see testlib.h. */
#define _POSIX_C_SOURCE 200809L
#include "testlib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../../runtime/commands/check.h"

void tl_pick_dims(tl_case *c)
{
    uint64_t st = 0x7e57ull ^ ((uint64_t)c->act << 8) ^ ((uint64_t)c->loss << 12) ^
                  ((uint64_t)c->dtype << 16) ^ ((uint64_t)c->onehot << 20) ^
                  ((uint64_t)c->batch << 24) ^ ((uint64_t)c->tau << 32);
    static const size_t outs[] = {2, 3, 5, 7, 11, 17, 20};
    c->hidden = 3 + (size_t)(rnnc_rand_next(&st) % 6);
    size_t k = outs[rnnc_rand_next(&st) % (sizeof outs / sizeof outs[0])];
    if (c->onehot) {
        c->n_in = c->n_out = k;
    } else {
        c->n_out = (c->loss == RNNC_LOSS_MSE && rnnc_rand_next(&st) % 4 == 0) ? 1 : k;
        c->n_in = 1 + (size_t)(rnnc_rand_next(&st) % 7);
        if (c->n_in == c->n_out) c->n_in++;
    }
}

static int set_key(rnnc_spec_builder *b, const char *key, const char *value, char *err,
                   size_t errlen)
{
    char where[32];
    snprintf(where, sizeof where, "--%s", key);
    return rnnc_spec_set(b, key, value, where, err, errlen);
}

static int set_size(rnnc_spec_builder *b, const char *key, size_t v, char *err, size_t errlen)
{
    char value[32];
    snprintf(value, sizeof value, "%zu", v);
    return set_key(b, key, value, err, errlen);
}

int tl_build_spec(const tl_case *c, int fast, rnnc_spec *s, char *err, size_t errlen)
{
    return tl_build_spec_cell(c, RNNC_CELL_RNN, fast, s, err, errlen);
}

int tl_build_spec_cell(const tl_case *c, rnnc_cell cell, int fast, rnnc_spec *s, char *err,
                       size_t errlen)
{
    rnnc_spec_builder b;
    rnnc_spec_begin(&b);
    int rc = c->onehot ? set_size(&b, "vocab", c->n_in, err, errlen)
                       : set_size(&b, "in", c->n_in, err, errlen) ||
                             set_size(&b, "out", c->n_out, err, errlen);
    rc = rc || set_size(&b, "hidden", c->hidden, err, errlen) ||
         set_size(&b, "tau", c->tau, err, errlen) || set_size(&b, "batch", c->batch, err, errlen) ||
         set_key(&b, "act", rnnc_act_name(c->act), err, errlen) ||
         set_key(&b, "loss", rnnc_loss_name(c->loss), err, errlen) ||
         set_key(&b, "dtype", rnnc_dtype_name(c->dtype), err, errlen) ||
         (fast && set_key(&b, "fast", "yes", err, errlen)) ||
         (cell != RNNC_CELL_RNN && set_key(&b, "cell", rnnc_cells[cell].name, err, errlen));
    if (rc) return -1;
    return rnnc_spec_finish(&b, s, err, errlen);
}

void tl_summary(const rnnc_spec *s, char *buf, size_t n)
{
    int k;
    if (s->onehot)
        snprintf(buf, n, "vocab=%zu,hidden=%zu,tau=%zu,batch=%zu,%s,%s,%s", s->n_in, s->hidden,
                 s->tau, s->batch, rnnc_act_name(s->act), rnnc_loss_name(s->loss),
                 rnnc_dtype_name(s->dtype));
    else
        snprintf(buf, n, "in=%zu,out=%zu,hidden=%zu,tau=%zu,batch=%zu,%s,%s,%s", s->n_in,
                 s->n_out, s->hidden, s->tau, s->batch, rnnc_act_name(s->act),
                 rnnc_loss_name(s->loss), rnnc_dtype_name(s->dtype));
    k = (int)strlen(buf);
    if (s->cell != RNNC_CELL_RNN && (size_t)k < n) snprintf(buf + k, n - (size_t)k, ",%s", rnnc_cells[s->cell].name);
}

void tl_one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r') *s = '|';
}

double tl_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A value drawn in double and rounded to the model's type: every copy gets exactly it. */
static double draw(uint64_t *st, double lo, double hi, rnnc_dtype dt)
{
    double v = rnnc_rand_uniform(st, lo, hi);
    return dt == RNNC_FLOAT ? (double)(float)v : v;
}

void tl_fill_problem(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *mb, uint64_t seed,
                     const tl_mirror *mirror)
{
    static const tl_mirror none;
    const tl_mirror *r = mirror ? mirror : &none;
    uint64_t st = seed;
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, t);
    const double scale[RNNC_NTENSORS] = {s->onehot ? 0.5 : 1 / sqrt((double)s->n_in),
                                         1 / sqrt((double)s->hidden), 1 / sqrt((double)s->hidden),
                                         0.5, 0.5,
                                         rnnc_losses[s->loss].class_targets ? 0.5 : 1 / sqrt((double)s->n_out),
                                         1 / sqrt((double)s->hidden), 0.5, 1 / sqrt((double)s->hidden), 0.5,
                                         0.5, 0.5};
    for (int k = 0; k < RNNC_NTENSORS; k++)
        for (size_t i = 0; i < t[k].rows * t[k].cols; i++) {
            double v = draw(&st, -scale[k], scale[k], s->dtype);
            rnnc_set(mb->params, s->dtype, t[k].offset + i, v);
            if (r->param[k]) r->param[k][i] = v;
        }
    for (size_t i = 0; i < l->x_count; i++) {
        if (s->onehot) {
            int32_t v = (int32_t)(rnnc_rand_next(&st) % s->n_in);
            ((int32_t *)mb->x)[i] = v;
            if (r->xi) r->xi[i] = v;
        } else {
            double v = draw(&st, -1, 1, s->dtype);
            rnnc_set(mb->x, s->dtype, i, v);
            if (r->xd) r->xd[i] = v;
        }
    }
    for (size_t i = 0; i < l->y_count; i++) {
        if (s->loss == RNNC_LOSS_NLL) {
            int32_t v = (int32_t)(rnnc_rand_next(&st) % s->n_out);
            ((int32_t *)mb->y)[i] = v;
            if (r->yi) r->yi[i] = v;
        } else {
            double v = draw(&st, -1, 1, s->dtype);
            rnnc_set(mb->y, s->dtype, i, v);
            if (r->yd) r->yd[i] = v;
        }
    }
    for (size_t i = 0; i < l->s0_count; i++) {
        double v = draw(&st, -0.5, 0.5, s->dtype);
        rnnc_set(mb->s0, s->dtype, i, v);
        if (r->h0) r->h0[i] = v;
    }
}

void tl_poison(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *mb)
{
    for (size_t i = 0; i < l->ws_count; i++) rnnc_set(mb->ws, s->dtype, i, NAN);
    for (size_t i = 0; i < l->params_count; i++) rnnc_set(mb->grads, s->dtype, i, NAN);
}

double tl_kink(rnnc_dtype dt)
{
    return dt == RNNC_FLOAT ? TL_KINK_FLOAT : TL_KINK_DOUBLE;
}
