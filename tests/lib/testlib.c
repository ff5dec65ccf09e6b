/* testlib.c: see testlib.h. */
#define _POSIX_C_SOURCE 200809L
#include "testlib.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../../runtime/base/rng.h"

/* ---- the reporter ---- */

static const char *suite_name = "test";
static int n_pass, n_fail;

void tl_suite(const char *suite)
{
    suite_name = suite;
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* Print "WORD SUITE/" and the text of fmt, ap as one line. */
static void put_result(const char *word, const char *fmt, va_list ap)
{
    char text[4096];
    vsnprintf(text, sizeof text, fmt, ap);
    tl_one_line(text);
    printf("%s %s/%s\n", word, suite_name, text);
}

void tl_ok(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put_result("ok", fmt, ap);
    va_end(ap);
    n_pass++;
}

void tl_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    put_result("FAIL", fmt, ap);
    va_end(ap);
    n_fail++;
}

int tl_expect(int cond, const char *name, const char *fmt, ...)
{
    if (cond) {
        tl_ok("%s", name);
        return 1;
    }
    char why[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    tl_fail("%s: %s", name, why);
    return 0;
}

int tl_passes(void) { return n_pass; }
int tl_failures(void) { return n_fail; }
int tl_status(void) { return n_fail ? 1 : 0; }

/* ---- files ---- */

static char work_dir[2048];

const char *tl_workdir(const char *name)
{
    const char *base = getenv("TESTS_TMP");
    if (base && *base) {
        snprintf(work_dir, sizeof work_dir, "%s/%s", base, name);
        if (mkdir(work_dir, 0755) != 0 && errno != EEXIST) {
            tl_fail("setup: cannot create %s: %s", work_dir, strerror(errno));
            exit(1);
        }
    } else {
        snprintf(work_dir, sizeof work_dir, "/tmp/rnnc-%s.XXXXXX", name);
        if (!mkdtemp(work_dir)) {
            tl_fail("setup: cannot create a directory under /tmp: %s", strerror(errno));
            exit(1);
        }
        printf("# files in %s\n", work_dir);
    }
    return work_dir;
}

const char *tl_path(const char *name)
{
    static char bufs[16][2304];
    static int next;
    char *p = bufs[next++ % 16];
    snprintf(p, sizeof bufs[0], "%s/%s", work_dir, name);
    return p;
}

const char *tl_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f) != 0) {
        tl_fail("setup: cannot write %s: %s", path, strerror(errno));
        exit(1);
    }
    return path;
}

int tl_no_temp_files(void)
{
    DIR *d = opendir(work_dir);
    if (!d) return 0;
    struct dirent *e;
    int ok = 1;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) ok = 0;
    closedir(d);
    return ok;
}

/* ---- model tests ---- */

void tl_pick_dims(tl_case *c)
{
    uint64_t st = 0x7e57ull ^ ((uint64_t)c->act << 8) ^ ((uint64_t)c->loss << 12) ^
                  ((uint64_t)c->dtype << 16) ^ ((uint64_t)c->onehot << 20) ^
                  ((uint64_t)c->batch << 24) ^ ((uint64_t)c->tau << 32) ^
                  ((uint64_t)c->rec << 40) ^ ((uint64_t)c->fb << 44);
    static const size_t outs[] = {2, 3, 5, 7, 11, 17, 20};
    c->hidden = 3 + rnnc_rand_below(&st, 6);
    size_t k = outs[rnnc_rand_below(&st, sizeof outs / sizeof outs[0])];
    if (c->onehot) {
        c->n_in = c->n_out = k;
    } else {
        c->n_out = (c->loss == RNNC_LOSS_MSE && rnnc_rand_below(&st, 4) == 0) ? 1 : k;
        c->n_in = 1 + rnnc_rand_below(&st, 7);
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
         (c->rec != RNNC_REC_HIDDEN &&
          (set_key(&b, "recurrence", rnnc_recurrences[c->rec].name, err, errlen) ||
           set_key(&b, "feedback", rnnc_feedbacks[c->fb].name, err, errlen))) ||
         (cell != RNNC_CELL_RNN && set_key(&b, "cell", rnnc_cells[cell].name, err, errlen));
    if (rc) return -1;
    return rnnc_spec_finish(&b, s, err, errlen);
}

void tl_summary(const rnnc_spec *s, char *buf, size_t n)
{
    char var[64] = "";
    if (s->rec != RNNC_REC_HIDDEN)
        snprintf(var, sizeof var, ",%s,%s", rnnc_recurrences[s->rec].name, rnnc_feedbacks[s->fb].name);
    else if (s->cell != RNNC_CELL_RNN)
        snprintf(var, sizeof var, ",%s", rnnc_cells[s->cell].name);
    if (s->onehot)
        snprintf(buf, n, "vocab=%zu,hidden=%zu,tau=%zu,batch=%zu,%s,%s,%s%s", s->n_in, s->hidden,
                 s->tau, s->batch, rnnc_act_name(s->act), rnnc_loss_name(s->loss),
                 rnnc_dtype_name(s->dtype), var);
    else
        snprintf(buf, n, "in=%zu,out=%zu,hidden=%zu,tau=%zu,batch=%zu,%s,%s,%s%s", s->n_in,
                 s->n_out, s->hidden, s->tau, s->batch, rnnc_act_name(s->act),
                 rnnc_loss_name(s->loss), rnnc_dtype_name(s->dtype), var);
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
            int32_t v = (int32_t)rnnc_rand_below(&st, s->n_in);
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
            int32_t v = (int32_t)rnnc_rand_below(&st, s->n_out);
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
        if (r->s0) r->s0[i] = v;
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

void tl_fill_sched(const rnnc_spec *s, const rnnc_layout *l, void *ws, uint64_t seed,
                   double *ctl, int32_t *fix_i, double *fix_d)
{
    if (!rnnc_recurrences[s->rec].has_R || s->fb != RNNC_FB_SCHEDULED) return;
    uint64_t st = seed ^ 0x5c4edull;
    size_t K = s->n_out, n = s->tau * s->batch;
    int nll = rnnc_losses[s->loss].class_targets;
    for (size_t k = 0; k < n; k++) {
        uint64_t kind = rnnc_rand_next(&st) % 3;
        double u;
        if (kind == 0) {
            u = -draw(&st, 0.125, 2, s->dtype);                       /* the data */
        } else if (kind == 1) {
            u = rnnc_rand_next(&st) % 8 ? draw(&st, 0, 1, s->dtype) : 0.0;   /* a draw */
            if (!(u < 1.0)) u = 0.5;       /* rounded up to 1 in float: keep it a draw */
        } else {
            u = rnnc_rand_next(&st) % 4 ? draw(&st, 1, 3, s->dtype) : 1.0;   /* fixed */
        }
        rnnc_set(ws, s->dtype, l->ws_ctl + k, u);
        if (ctl) ctl[k] = u;
        if (kind != 2) continue;
        if (nll) {
            int32_t c = (int32_t)(rnnc_rand_next(&st) % K);
            rnnc_set(ws, s->dtype, l->ws_fb + k, (double)c);
            if (fix_i) fix_i[k] = c;
        } else {
            for (size_t i = 0; i < K; i++) {
                double v = draw(&st, -1, 1, s->dtype);
                rnnc_set(ws, s->dtype, l->ws_fb + k * K + i, v);
                if (fix_d) fix_d[k * K + i] = v;
            }
        }
    }
}

double tl_min_abs_preact(const rnnc_spec *s, const rnnc_layout *l, const rnnc_buffers *mb)
{
    size_t H = s->hidden, N = s->n_in, K = s->n_out, B = s->batch;
    rnnc_dtype dt = s->dtype;
    int hasW = rnnc_recurrences[s->rec].has_W, hasR = rnnc_recurrences[s->rec].has_R;
    int nll = rnnc_losses[s->loss].class_targets;
    double m = INFINITY;
    for (size_t t = 1; t <= s->tau; t++)
        for (size_t bi = 0; bi < B; bi++) {
            size_t hp = l->ws_h + ((t - 1) * B + bi) * H, k = (t - 2) * B + bi;   /* k: fb(t-1)'s step */
            for (size_t i = 0; i < H; i++) {
                double a = rnnc_get(mb->params, dt, l->off_b + i);
                for (size_t j = 0; hasW && j < H; j++)
                    a += rnnc_get(mb->params, dt, l->off_W + j * H + i) * rnnc_get(mb->ws, dt, hp + j);
                for (size_t j = 0; hasR && j < K; j++) {
                    double f;
                    if (t == 1) f = rnnc_get(mb->s0, dt, l->s0_fb + bi * K + j);
                    else if (s->fb == RNNC_FB_FREE) f = rnnc_get(mb->ws, dt, l->ws_p + k * K + j);
                    else if (s->fb == RNNC_FB_SCHEDULED && nll)
                        f = (size_t)rnnc_get(mb->ws, dt, l->ws_fb + k) == j;
                    else if (s->fb == RNNC_FB_SCHEDULED) f = rnnc_get(mb->ws, dt, l->ws_fb + k * K + j);
                    else if (nll) f = (size_t)((const int32_t *)mb->y)[k] == j;
                    else f = rnnc_get(mb->y, dt, k * K + j);
                    a += rnnc_get(mb->params, dt, l->off_R + j * H + i) * f;
                }
                if (s->onehot)
                    a += rnnc_get(mb->params, dt, l->off_U + (size_t)((const int32_t *)mb->x)[(t - 1) * B + bi] * H + i);
                else
                    for (size_t j = 0; j < N; j++)
                        a += rnnc_get(mb->params, dt, l->off_U + j * H + i) *
                             rnnc_get(mb->x, dt, ((t - 1) * B + bi) * N + j);
                if (fabs(a) < m) m = fabs(a);
            }
        }
    return m;
}
