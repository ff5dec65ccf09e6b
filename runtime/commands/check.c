/* check.c: gradient check by central finite differences (see check.h). */
#include "check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"
#include "../base/util.h"
#include "../model/model.h"

/* A value drawn in double, rounded to the model's type, so that the double-precision
 * reference sees exactly the numbers the model under test sees. */
static double draw(uint64_t *st, double lo, double hi, rnnc_dtype dt)
{
    double v = rnnc_rand_uniform(st, lo, hi);
    return dt == RNNC_FLOAT ? (double)(float)v : v;
}

/* See check.h.  Weights are scaled by 1/sqrt(fan-in) so tanh and sigmoid are not
 * saturated. */
void rnnc_check_random_problem(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *a,
                               const rnnc_layout *ld, rnnc_buffers *b, uint64_t seed)
{
    uint64_t st = seed;
    rnnc_tensor ta[RNNC_NTENSORS], tb[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, ta);
    rnnc_param_tensors(s, ld ? ld : l, tb);
    const double scale[RNNC_NTENSORS] = {
        s->onehot ? 0.5 : 1 / sqrt((double)s->n_in), 1 / sqrt((double)s->hidden),
        1 / sqrt((double)s->hidden), 0.1, 0.1,
        rnnc_losses[s->loss].class_targets ? 0.5 : 1 / sqrt((double)s->n_out),
        1 / sqrt((double)s->hidden), 0.1, 1 / sqrt((double)s->hidden), 0.1, 0.5, 0.1};
    for (int k = 0; k < RNNC_NTENSORS; k++)
        for (size_t i = 0; i < ta[k].rows * ta[k].cols; i++) {
            double v = draw(&st, -scale[k], scale[k], s->dtype);
            rnnc_set(a->params, s->dtype, ta[k].offset + i, v);
            if (b) rnnc_set(b->params, RNNC_DOUBLE, tb[k].offset + i, v);
        }
    for (size_t i = 0; i < l->x_count; i++) {
        if (s->onehot) {
            ((int32_t *)a->x)[i] = (int32_t)rnnc_rand_below(&st, s->n_in);
            if (b) ((int32_t *)b->x)[i] = ((int32_t *)a->x)[i];
        } else {
            double v = draw(&st, -1, 1, s->dtype);
            rnnc_set(a->x, s->dtype, i, v);
            if (b) rnnc_set(b->x, RNNC_DOUBLE, i, v);
        }
    }
    for (size_t i = 0; i < l->y_count; i++) {
        if (s->loss == RNNC_LOSS_NLL) {
            ((int32_t *)a->y)[i] = (int32_t)rnnc_rand_below(&st, s->n_out);
            if (b) ((int32_t *)b->y)[i] = ((int32_t *)a->y)[i];
        } else {
            double v = draw(&st, -1, 1, s->dtype);
            rnnc_set(a->y, s->dtype, i, v);
            if (b) rnnc_set(b->y, RNNC_DOUBLE, i, v);
        }
    }
    for (size_t i = 0; i < l->s0_count; i++) {
        double v = draw(&st, -0.5, 0.5, s->dtype);
        rnnc_set(a->s0, s->dtype, i, v);
        if (b) rnnc_set(b->s0, RNNC_DOUBLE, i, v);
    }
    if (!(rnnc_recurrences[s->rec].has_R && rnnc_feedbacks[s->fb].needs_ctl)) return;
    for (size_t i = 0; i < s->tau * s->batch; i++) {
        double u = rnnc_rand_uniform(&st, 0, 1) < 0.5 ? -1 : draw(&st, 0, 1, s->dtype);
        if (u >= 1) u = 0; /* rounded up to 1 in float: still a draw */
        rnnc_set(a->ws, s->dtype, l->ws_ctl + i, u);
        if (b) rnnc_set(b->ws, RNNC_DOUBLE, ld->ws_ctl + i, u);
    }
}

/* The check's records (section 10.2.3), drawn from their own stream of seed: where each
 * column's record ends (none for a quarter), whether step 1 starts it, its length; and the
 * remaining steps r(t) of --end length.  Only the check masks: the problem of
 * rnnc_check_random_problem (diff, dumps) is a stream. */
static void random_records(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *a,
                           const rnnc_layout *ld, rnnc_buffers *b, uint64_t seed)
{
    uint64_t st = seed ^ 0x7ec07d5ull;
    for (size_t col = 0; col < s->batch; col++) {
        /* One draw after the other, in this order: in an initializer list the order of the
         * calls is the compiler's choice. */
        double v[3];
        v[0] = (double)rnnc_rand_below(&st, s->tau + 1);
        v[1] = (double)rnnc_rand_below(&st, 2);
        v[2] = s->max_length ? (double)(1 + rnnc_rand_below(&st, s->max_length)) : 0;
        if (rnnc_rand_below(&st, 4) == 0) v[0] = 0;
        for (size_t k = 0; k < 3; k++) {
            rnnc_set(a->ws, s->dtype, l->ws_seq + 3 * col + k, v[k]);
            rnnc_set(b->ws, RNNC_DOUBLE, ld->ws_seq + 3 * col + k, v[k]);
        }
    }
    for (size_t i = 0; rnnc_ends[s->end].has_length && i < s->tau * s->batch; i++) {
        double v = draw(&st, 0, 1, s->dtype);
        rnnc_set(a->ws, s->dtype, l->ws_rem + i, v);
        rnnc_set(b->ws, RNNC_DOUBLE, ld->ws_rem + i, v);
    }
}

/* Scheduled sampling: after a forward pass of the model under test has made its choices
 * (in its fb slots), hold them fixed (control 2, see templates/rnn.h) in both models, the
 * double one receiving the same choices. */
static void fix_choices(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *a,
                        const rnnc_layout *ld, rnnc_buffers *b)
{
    size_t n = s->tau * s->batch, per = rnnc_losses[s->loss].class_targets ? 1 : s->n_out;
    for (size_t i = 0; i < n; i++) {
        rnnc_set(a->ws, s->dtype, l->ws_ctl + i, 2);
        rnnc_set(b->ws, RNNC_DOUBLE, ld->ws_ctl + i, 2);
    }
    for (size_t i = 0; i < n * per; i++)
        rnnc_set(b->ws, RNNC_DOUBLE, ld->ws_fb + i, rnnc_get(a->ws, s->dtype, l->ws_fb + i));
}

/* The rows the check fills: each parameter tensor the model has, then the initial state's
 * parts (h(0) where W reads it, fb(0) where R does, the LSTM's c(0)), with where their values
 * and gradients live. */
typedef struct {
    const char *name;
    size_t count, off_test, off_double, grad_off;
    int in_s0;            /* 1: the values are in s0 and the gradient in ws at grad_off */
} check_target;

static int check_targets(const rnnc_spec *s, const rnnc_layout *l, const rnnc_layout *ld,
                         check_target *out)
{
    rnnc_tensor tm[RNNC_NTENSORS], td[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, tm);
    rnnc_param_tensors(s, ld, td);
    int n = 0;
    for (int k = 0; k < RNNC_NTENSORS; k++)
        if (tm[k].rows * tm[k].cols != 0)
            out[n++] = (check_target){tm[k].name, tm[k].rows * tm[k].cols, tm[k].offset, td[k].offset,
                                      tm[k].offset, 0};
    const size_t B = s->batch;
    if (rnnc_recurrences[s->rec].has_W)
        out[n++] = (check_target){"h0", B * s->hidden, l->s0_h, ld->s0_h, l->ws_gs0 + l->s0_h, 1};
    if (rnnc_recurrences[s->rec].has_R)
        out[n++] = (check_target){"fb0", B * s->n_out, l->s0_fb, ld->s0_fb, l->ws_gs0 + l->s0_fb, 1};
    if (rnnc_cells[s->cell].has_c)
        out[n++] = (check_target){"c0", B * s->hidden, l->s0_c, ld->s0_c, l->ws_gs0 + l->s0_c, 1};
    return n;
}

/* relu: 1 if the activation pattern of h(1..tau) differs from base (a kink was crossed). */
static int pattern_changed(const rnnc_spec *s, const rnnc_layout *ld, const double *ws,
                           const unsigned char *base)
{
    size_t n = s->tau * s->batch * s->hidden, off = ld->ws_h + s->batch * s->hidden;
    for (size_t i = 0; i < n; i++)
        if ((ws[off + i] > 0) != base[i]) return 1;
    return 0;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The entries of a tensor of n values to check: all, or a sorted random subset. */
static size_t pick_entries(size_t n, size_t max, uint64_t *st, size_t *idx)
{
    if (n <= max) {
        for (size_t i = 0; i < n; i++) idx[i] = i;
        return n;
    }
    for (size_t i = 0; i < max; i++) idx[i] = rnnc_rand_below(st, n);
    qsort(idx, max, sizeof *idx, cmp_size);
    size_t k = 0;
    for (size_t i = 0; i < max; i++)
        if (k == 0 || idx[i] != idx[k - 1]) idx[k++] = idx[i];
    return k;
}

/* One run's finite differences: the double-precision model and its buffers (perturbed in
 * place and restored), the relu activation pattern of the unperturbed run, the gradients of
 * the model under test, and the step and tolerances (r->eps, rtol, atol). */
typedef struct fd_run {
    const rnnc_spec *s;
    rnnc_model *md;
    rnnc_buffers *bd;
    const rnnc_buffers *bm;
    const unsigned char *base;
    const rnnc_check_result *r;
} fd_run;

/* Check entries idx[0..n) of target tg: a central difference of the double-precision loss
 * against the model's gradient for each (relu entries whose perturbation crosses a kink are
 * skipped and counted), filling row's checked, skipped, max_abs, max_rel (a NaN difference
 * sticks) and pass (0 when any entry is outside the tolerance, or every entry was skipped). */
static void check_entries(const fd_run *f, const check_target *tg, const size_t *idx, size_t n,
                          rnnc_check_row *row)
{
    const rnnc_spec *s = f->s;
    const rnnc_check_result *r = f->r;
    rnnc_buffers *bd = f->bd;
    const double *wsd = bd->ws;
    double *target = (double *)(tg->in_s0 ? bd->s0 : bd->params) + tg->off_double;
    int relu = s->act == RNNC_ACT_RELU;
    row->pass = 1;
    for (size_t e = 0; e < n; e++) {
        size_t i = idx[e];
        double v = target[i];
        target[i] = v + r->eps;
        double lp = rnnc_model_forward(f->md, bd->params, bd->x, bd->y, bd->s0, bd->ws);
        int kink = relu && pattern_changed(s, &f->md->layout, wsd, f->base);
        target[i] = v - r->eps;
        double lm = rnnc_model_forward(f->md, bd->params, bd->x, bd->y, bd->s0, bd->ws);
        kink = kink || (relu && pattern_changed(s, &f->md->layout, wsd, f->base));
        target[i] = v;
        if (kink) {
            row->skipped++;
            continue;
        }
        double num = (lp - lm) / (2 * r->eps);
        double ana = rnnc_get(tg->in_s0 ? f->bm->ws : f->bm->grads, s->dtype, tg->grad_off + i);
        double diff = fabs(ana - num), mag = fmax(fabs(ana), fabs(num));
        row->checked++;
        if (!(diff <= r->rtol * mag + r->atol)) row->pass = 0; /* NaN fails too */
        /* A NaN difference sticks (it must show in the row, not be replaced later). */
        if (!isnan(row->max_abs) && !(diff <= row->max_abs)) row->max_abs = diff;
        if (!isnan(row->max_rel) && (isnan(diff) || (mag > r->atol && !(diff / mag <= row->max_rel))))
            row->max_rel = isnan(diff) ? diff : diff / mag;
    }
    if (row->checked == 0 && n > 0) row->pass = 0; /* every entry skipped: nothing proven */
}

int rnnc_check_run(const rnnc_spec *s, const rnnc_check_opts *o, rnnc_check_result *r,
                   char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    rnnc_model m, md_own, *md = &m;
    rnnc_buffers bm = {0}, bd_own = {0}, *bd = &bm;
    size_t *idx = NULL;
    unsigned char *base = NULL;
    int rc = -1, have_md = 0;
    if (rnnc_model_load(&m, s, o->backend, err, errlen) != 0) return -1;
    r->compile_ms = rnnc_jit_compile_ms(m.jit);
    r->cache_hit = rnnc_jit_cache_hit(m.jit);
    /* Finite differences always run on an exact double-precision build of the same graph,
     * keeping every step's nodes (the relu kink test reads them all). */
    if (s->dtype != RNNC_DOUBLE || s->fast || s->recompute) {
        rnnc_spec sd = *s;
        sd.dtype = RNNC_DOUBLE;
        sd.fast = 0;
        sd.recompute = 0;
        if (rnnc_model_load(&md_own, &sd, o->backend, err, errlen) != 0) goto out;
        have_md = 1;
        md = &md_own;
        bd = &bd_own;
    }
    if (rnnc_buffers_alloc(&bm, &m.layout) != 0 || (bd != &bm && rnnc_buffers_alloc(bd, &md->layout) != 0)) {
        rnnc_fail(err, errlen, "out of memory for the check's buffers");
        goto out;
    }
    rnnc_check_random_problem(s, &m.layout, &bm, &md->layout, bd, o->seed);
    random_records(s, &m.layout, &bm, &md->layout, bd, o->seed);

    r->loss = rnnc_model_forward(&m, bm.params, bm.x, bm.y, bm.s0, bm.ws);
    if (rnnc_recurrences[s->rec].has_R && rnnc_feedbacks[s->fb].needs_ctl)
        fix_choices(s, &m.layout, &bm, &md->layout, bd);
    rnnc_model_backward(&m, bm.params, bm.x, bm.y, bm.ws, bm.grads);
    r->loss_ref = rnnc_model_forward(md, bd->params, bd->x, bd->y, bd->s0, bd->ws);

    size_t nh = s->tau * s->batch * s->hidden;
    base = malloc(nh ? nh : 1);
    size_t max = o->max_entries ? o->max_entries : 2000;
    idx = malloc(max * sizeof *idx);
    if (!base || !idx) {
        rnnc_fail(err, errlen, "out of memory for the check's buffers");
        goto out;
    }
    double *wsd = bd->ws;
    for (size_t i = 0; i < nh; i++) base[i] = wsd[md->layout.ws_h + s->batch * s->hidden + i] > 0;

    int dbl = s->dtype == RNNC_DOUBLE && !s->fast;
    r->eps = 1e-5;
    r->rtol = dbl ? 1e-7 : 1e-3;
    r->atol = dbl ? 1e-8 : 1e-5;
    check_target tg[RNNC_CHECK_ROWS];
    r->nrows = check_targets(s, &m.layout, &md->layout, tg);
    uint64_t st = o->seed ^ 0x5eed5eed5eedull;
    r->pass = 1;
    const fd_run f = {s, md, bd, &bm, base, r};
    for (int k = 0; k < r->nrows; k++) {
        rnnc_check_row *row = &r->rows[k];
        row->tensor = tg[k].name;
        row->count = tg[k].count;
        check_entries(&f, &tg[k], idx, pick_entries(row->count, max, &st, idx), row);
        r->pass = r->pass && row->pass;
    }
    rc = 0;
out:
    free(idx);
    free(base);
    rnnc_buffers_free(&bm);
    if (bd != &bm) rnnc_buffers_free(bd);
    if (have_md) rnnc_model_unload(&md_own);
    rnnc_model_unload(&m);
    return rc;
}
