/* train.c: the training loop (see train.h). */
#define _POSIX_C_SOURCE 200809L
#include "train.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/util.h"
#include "check.h"
#include "../formats/ckpt.h"
#include "../model/model.h"
#include "sample.h"

static const char *const optim_names[] = {"sgd", "momentum", "adagrad", "rmsprop", "adam"};

int rnnc_optim_parse(const char *name)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, optim_names[i]) == 0) return i;
    return -1;
}

const char *rnnc_optim_name(int optim)
{
    return optim >= 0 && optim < 5 ? optim_names[optim] : "?";
}

void rnnc_train_defaults(rnnc_train_opts *o)
{
    memset(o, 0, sizeof *o);
    rnnc_spec_begin(&o->spec);
    o->backend = RNNC_RUN_AUTO;
    o->optim = RNNC_OPTIM_ADAGRAD;
    o->lr = 0.1;
    o->beta1 = 0.9;
    o->beta2 = 0.999;
    o->eps = 1e-8;
    o->clip = 5;
    o->steps = 10000;
    o->seed = 1;
    o->every = 100;
    o->sample_every = 1000;
    o->chars = RNNC_CHARS_BYTES;
    o->out = stdout;
    o->diag = stderr;
}

/* ---- scheduled sampling (10.11s) ---- */

static const char *const sched_names[] = {"none", "linear", "exp", "sigmoid"};

const char *rnnc_schedule_name(rnnc_sched_kind k)
{
    return (unsigned)k < RNNC_SCHED_COUNT ? sched_names[k] : "?";
}

int rnnc_schedule_parse(const char *name)
{
    for (int i = RNNC_SCHED_LINEAR; i < RNNC_SCHED_COUNT; i++)
        if (strcmp(name, sched_names[i]) == 0) return i;
    return -1;
}

double rnnc_schedule_eps(const rnnc_schedule *s, uint64_t i)
{
    double x = (double)i, e;
    switch (s->kind) {
    case RNNC_SCHED_LINEAR: e = 1 - x / s->k; break;
    case RNNC_SCHED_EXP: e = pow(s->k, x); break;
    case RNNC_SCHED_SIGMOID: e = s->k / (s->k + exp(x / s->k)); break;
    default: return 1;
    }
    return e > s->end ? e : s->end;
}

/* The sigmoid's default k: the root of k ln k = half (>= 1), by Newton's method from above. */
static double sigmoid_k(double half)
{
    double k = half > 2 ? half : 2;
    for (int i = 0; i < 100; i++) {
        double f = k * log(k) - half, next = k - f / (log(k) + 1);
        if (next < 1) next = 1;
        if (fabs(next - k) < 1e-12 * k) return next;
        k = next;
    }
    return k;
}

int rnnc_schedule_settle(const rnnc_schedule *user, unsigned set, const rnnc_schedule *from,
                         uint64_t steps, rnnc_schedule *out, char *err, size_t errlen)
{
    rnnc_schedule s = {RNNC_SCHED_LINEAR, 0, 0};
    int have = from && from->kind != RNNC_SCHED_NONE;
    if (have) s = *from;
    if (set & RNNC_SET_SCHEDULE) s.kind = user->kind;
    if (set & RNNC_SET_SCHEDULE_END) s.end = user->end;
    if (set & RNNC_SET_SCHEDULE_K) s.k = user->k;
    else if (!have || (set & RNNC_SET_SCHEDULE)) {
        double n = (double)(steps ? steps : 1);
        s.k = s.kind == RNNC_SCHED_LINEAR ? n : s.kind == RNNC_SCHED_EXP ? pow(0.01, 1 / n) : sigmoid_k(n / 2);
    }
    if (!(s.end >= 0 && s.end <= 1))
        return rnnc_fail(err, errlen, "--schedule-end: expected a probability in [0, 1], got %g", s.end), 2;
    if (s.kind == RNNC_SCHED_EXP && !(s.k > 0 && s.k < 1))
        return rnnc_fail(err, errlen, "--schedule-k: the exp schedule (eps_i = k^i) needs 0 < k < 1, got %g", s.k), 2;
    if (s.kind != RNNC_SCHED_EXP && !(s.k >= 1 && isfinite(s.k)))
        return rnnc_fail(err, errlen, "--schedule-k: the %s schedule needs k >= 1 (%s), got %g",
                         rnnc_schedule_name(s.kind),
                         s.kind == RNNC_SCHED_LINEAR ? "the steps over which eps falls from 1 to 0"
                                                     : "eps_i = k / (k + exp(i / k))", s.k), 2;
    *out = s;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- signals: finish the step, save, exit 130 / 143; a cc compile under way is cancelled ---- */

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig)
{
    stop_signal = sig;
    rnnc_cc_cancel();
}

typedef struct saved_handlers { struct sigaction sigint, sigterm; } saved_handlers;

static void signals_install(saved_handlers *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    rnnc_cc_cancel_reset();
    sigaction(SIGINT, &sa, &old->sigint);
    sigaction(SIGTERM, &sa, &old->sigterm);
}

static void signals_restore(const saved_handlers *old)
{
    sigaction(SIGINT, &old->sigint, NULL);
    sigaction(SIGTERM, &old->sigterm, NULL);
}

/* A signal came before the first step: nothing new to save.  The exit status. */
static int stopped_before_start(const rnnc_train_opts *o)
{
    fprintf(o->out, "%sstopped by %s before the first step; nothing to save\n", o->tty ? "\r\033[K" : "",
            stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    fflush(o->out);
    return stop_signal == SIGINT ? 130 : 143;
}

/* The cc cache's notices (a refused directory or file), one line each on o->diag. */
static void show_cc_notices(const rnnc_train_opts *o)
{
    char msg[1024];
    while (rnnc_cc_take_notice(msg, sizeof msg))
        fprintf(o->diag, "%srnnc: %s\n", o->tty ? "\r\033[K" : "", msg);
    fflush(o->diag);
}

/* ---- the data, as the model sees it ---- */

typedef struct dataset {
    int text;                 /* 1: class ids; 0: CSV rows */
    rnnc_vocab vocab;
    int32_t *ids;             /* text: len ids */
    double *xrows, *yrows;    /* CSV: len rows of n_in / n_out values */
    size_t len, look;         /* look: 1 when the target is the next symbol / row */
    uint64_t hash;
} dataset;

static void dataset_free(dataset *d)
{
    rnnc_vocab_free(&d->vocab);
    free(d->ids);
    free(d->xrows);
    free(d->yrows);
    memset(d, 0, sizeof *d);
}

static int is_csv(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".csv") == 0;
}

/* Text: the vocabulary comes from the data, or from the checkpoint when resuming. */
static int load_text(const rnnc_train_opts *o, const rnnc_vocab *fixed, dataset *d, char *err,
                     size_t errlen)
{
    size_t nfiles = o->ndata ? o->ndata : 1;
    unsigned char **bufs = calloc(nfiles, sizeof *bufs);
    size_t *lens = calloc(nfiles, sizeof *lens), cap = 0;
    int rc = 2;
    if (!bufs || !lens) {
        rnnc_fail(err, errlen, "out of memory reading the data");
        rc = 1;
        goto out;
    }
    for (size_t i = 0; i < nfiles; i++) {
        if (o->ndata) {
            if (rnnc_read_file(o->data[i], 0, &bufs[i], &lens[i], err, errlen) != 0) goto out;
        } else {
            lens[i] = strlen(rnnc_corpus_corpus_txt);
            bufs[i] = malloc(lens[i] + 1);
            if (!bufs[i]) goto out;
            memcpy(bufs[i], rnnc_corpus_corpus_txt, lens[i] + 1);
        }
    }
    const char *name0 = o->ndata ? NULL : "(built-in corpus)";
    if (fixed) {
        d->vocab.mode = fixed->mode;
        d->vocab.size = fixed->size;
        d->vocab.symbols = malloc(fixed->size * sizeof *fixed->symbols);
        if (!d->vocab.symbols) goto out;
        memcpy(d->vocab.symbols, fixed->symbols, fixed->size * sizeof *fixed->symbols);
    } else {
        d->vocab.mode = o->chars;
        for (size_t i = 0; i < nfiles; i++)
            if (rnnc_vocab_add(&d->vocab, bufs[i], lens[i], name0 ? name0 : o->data[i], err, errlen) != 0)
                goto out;
    }
    for (size_t i = 0; i < nfiles; i++)
        if (rnnc_text_encode(&d->vocab, bufs[i], lens[i], name0 ? name0 : o->data[i], &d->ids,
                             &d->len, &cap, err, errlen) != 0)
            goto out;
    d->text = 1;
    d->look = 1;
    d->hash = rnnc_fnv1a(RNNC_FNV_OFFSET, d->ids, d->len * sizeof *d->ids);
    rc = 0;
out:
    for (size_t i = 0; bufs && i < nfiles; i++) free(bufs[i]);
    free(bufs);
    free(lens);
    return rc;
}

/* CSV: one time step per row; targets are the named columns, or the next row. */
static int load_csv(const rnnc_train_opts *o, dataset *d, size_t *n_in, size_t *n_out, char *err,
                    size_t errlen)
{
    rnnc_csv c = {0};
    if (o->ndata != 1) {
        rnnc_fail(err, errlen, "DATA: give exactly one CSV file for a dense model");
        return 2;
    }
    if (rnnc_csv_read(o->data[0], &c, err, errlen) != 0) return 2;
    int rc = 2;
    unsigned char *is_target = calloc(c.cols, 1);
    if (!is_target) {
        rnnc_fail(err, errlen, "out of memory");
        rc = 1;
        goto out;
    }
    size_t nt = 0;
    if (o->targets) {
        char buf[4096];
        snprintf(buf, sizeof buf, "%s", o->targets);
        char *save = NULL;
        for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            long col = rnnc_csv_column(&c, name);
            if (col < 0) {
                rnnc_fail(err, errlen, "--target: %s has no column '%s'%s", o->data[0], name,
                          c.names ? "" : " (it has no header row)");
                rc = 2;
                goto out;
            }
            if (!is_target[col]) nt++;
            is_target[col] = 1;
        }
        if (nt == c.cols) {
            rnnc_fail(err, errlen, "--target: every column is a target; no input columns are left");
            rc = 2;
            goto out;
        }
    }
    d->look = nt ? 0 : 1;
    *n_in = nt ? c.cols - nt : c.cols;
    *n_out = nt ? nt : c.cols;
    d->len = c.rows;
    d->xrows = malloc(c.rows * *n_in * sizeof *d->xrows);
    d->yrows = malloc(c.rows * *n_out * sizeof *d->yrows);
    if (!d->xrows || !d->yrows) {
        rnnc_fail(err, errlen, "out of memory");
        rc = 1;
        goto out;
    }
    for (size_t r = 0; r < c.rows; r++) {
        size_t xi = 0, yi = 0;
        for (size_t k = 0; k < c.cols; k++) {
            double v = c.values[r * c.cols + k];
            if (!nt || !is_target[k]) d->xrows[r * *n_in + xi++] = v;
            if (!nt || is_target[k]) d->yrows[r * *n_out + yi++] = v;
        }
    }
    d->hash = rnnc_fnv1a(rnnc_fnv1a(RNNC_FNV_OFFSET, d->xrows, c.rows * *n_in * sizeof(double)),
                  d->yrows, c.rows * *n_out * sizeof(double));
    rc = 0;
out:
    free(is_target);
    rnnc_csv_free(&c);
    return rc;
}

/* ---- the background cc compile of --backend auto ---- */

typedef struct cc_job {
    pthread_t thread;
    rnnc_spec spec;
    rnnc_model model;
    double seconds;
    int ok;
    int done;                    /* under lock: the thread has finished */
    int joined;                  /* the main thread has joined it */
    pthread_mutex_t lock;
    char err[2048];
} cc_job;

static void *cc_job_run(void *arg)
{
    cc_job *j = arg;
    double t0 = now_s();
    int ok = rnnc_model_load(&j->model, &j->spec, RNNC_BACKEND_CC, j->err, sizeof j->err) == 0;
    pthread_mutex_lock(&j->lock);
    j->seconds = now_s() - t0;
    j->ok = ok;
    j->done = 1;
    pthread_mutex_unlock(&j->lock);
    return NULL;
}

static int cc_job_done(cc_job *j)
{
    pthread_mutex_lock(&j->lock);
    int d = j->done;
    pthread_mutex_unlock(&j->lock);
    return d;
}

/* ---- parameters ---- */

/* min-char-rnn's initialisation: weights N(0, 0.01^2), biases zero. */
static void init_params(const rnnc_spec *s, const rnnc_layout *l, void *params, uint64_t *rng)
{
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, t);
    /* The matrices U, W, V, R (a model has W, R or both); the biases start at zero. */
    static const int mats[] = {RNNC_T_U, RNNC_T_W, RNNC_T_V, RNNC_T_R};
    for (size_t m = 0; m < sizeof mats / sizeof mats[0]; m++)
        for (size_t i = 0, k = (size_t)mats[m]; i < t[k].rows * t[k].cols; i++) {
            double u1 = rnnc_rand_uniform(rng, 0, 1), u2 = rnnc_rand_uniform(rng, 0, 1);
            double z = sqrt(-2 * log(1 - u1)) * cos(6.283185307179586 * u2);
            rnnc_set(params, s->dtype, t[k].offset + i, 0.01 * z);
        }
}

static void reset_positions(const rnnc_spec *s, size_t len, uint64_t *pos)
{
    for (size_t b = 0; b < s->batch; b++) pos[b] = (uint64_t)b * (len / s->batch);
}

/* ---- progress ---- */

static void format_eta(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 359999) {
        snprintf(buf, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

typedef struct run_state {
    const rnnc_train_opts *o;
    rnnc_spec spec;
    rnnc_ckpt ck;              /* the whole training state, as saved */
    dataset data;
    rnnc_model tcc, *model;
    int have_tcc;
    cc_job *job;
    rnnc_buffers buf;
    double t0;
    uint64_t step0;
    int log_fd;                /* --log, or -1 */
    int log_errno;             /* why the log stopped (0: it did not) */
    uint64_t log_stop;         /* the step of the first row that could not be written */
    int lock_fd;               /* the lock of --save, or -1 */
    int threads;               /* threads of the training step (rnnc_model_set_threads) */
} run_state;

static double bits_per_symbol(const run_state *r)
{
    return r->spec.loss == RNNC_LOSS_NLL ? r->ck.smooth_loss / ((double)r->spec.tau * log(2.0)) : 0;
}

static void progress(run_state *r, int final)
{
    const rnnc_train_opts *o = r->o;
    double el = now_s() - r->t0, done = (double)(r->ck.step - r->step0);
    double rate = el > 0 ? done / el : 0;
    double cps = rate * (double)(r->spec.tau * r->spec.batch);
    char eta[32];
    format_eta(rate > 0 ? (double)(o->steps - r->ck.step) / rate : -1, eta, sizeof eta);
    char line[256];
    if (r->spec.loss == RNNC_LOSS_NLL)
        snprintf(line, sizeof line, "step %llu/%llu  loss %.4f  bpc %.3f  %.0f char/s  ETA %s",
                 (unsigned long long)r->ck.step, (unsigned long long)o->steps, r->ck.smooth_loss,
                 bits_per_symbol(r), cps, eta);
    else
        snprintf(line, sizeof line, "step %llu/%llu  loss %.6g  %.0f steps/s  ETA %s",
                 (unsigned long long)r->ck.step, (unsigned long long)o->steps, r->ck.smooth_loss,
                 rate, eta);
    if (o->tty) fprintf(o->out, "\r\033[K%s%s", line, final ? "\n" : "");
    else fprintf(o->out, "%s\n", line);
    fflush(o->out);
}

/* One row of --log, written whole (never part of it); the first failure is reported once on
 * o->diag, and the log stops there while training goes on. */
static void log_row(run_state *r)
{
    if (r->log_fd < 0 || r->log_errno) return;
    char row[256];
    int n = snprintf(row, sizeof row, "%llu,%.9g,%.9g,%.9g,%.3f\n", (unsigned long long)r->ck.step,
                     r->ck.smooth_loss, bits_per_symbol(r), r->ck.hp.lr, now_s() - r->t0);
    errno = EOVERFLOW;
    if (n > 0 && (size_t)n < sizeof row && rnnc_append_whole(r->log_fd, row, (size_t)n) == 0) return;
    r->log_errno = errno ? errno : EIO;
    r->log_stop = r->ck.step;
    fprintf(r->o->diag, "%srnnc: --log %s: cannot write the row of step %llu (%s); training goes on, "
            "the log stops here\n", r->o->tty ? "\r\033[K" : "", r->o->log, (unsigned long long)r->ck.step,
            strerror(r->log_errno));
    fflush(r->o->diag);
}

/* At the end of a run whose log stopped early: an error (exit 1) if the run otherwise
 * succeeded, else one more line on o->diag.  The run's status. */
static int log_incomplete(const run_state *r, int rc, char *err, size_t errlen)
{
    char msg[1024];
    rnnc_fail(msg, sizeof msg, "--log %s is incomplete: it stops before step %llu (%s)%s", r->o->log,
              (unsigned long long)r->log_stop, strerror(r->log_errno),
              rc == 0 ? (r->o->save ? "; training finished and the checkpoint was saved" : "; training finished") : "");
    if (rc == 0) {
        rnnc_fail(err, errlen, "%s", msg);
        return 1;
    }
    fprintf(r->o->diag, "rnnc: %s\n", msg);
    return rc;
}

/* The state of one column of s0 (layout l, batch B) into st: its h, then its fb with an output
 * recurrence (the step API's column state, less r). */
static void column_state(const rnnc_spec *s, const rnnc_layout *l, const void *s0, size_t b, void *st)
{
    size_t rs = l->real_size, K = rnnc_recurrences[s->rec].has_R ? s->n_out : 0;
    memcpy(st, (const char *)s0 + (l->s0_h + b * s->hidden) * rs, s->hidden * rs);
    if (K) memcpy((char *)st + s->hidden * rs, (const char *)s0 + (l->s0_fb + b * K) * rs, K * rs);
}

/* Zero column b of s0 (h and fb): the start of a sequence. */
static void column_reset(const rnnc_spec *s, const rnnc_layout *l, void *s0, size_t b)
{
    size_t rs = l->real_size, K = rnnc_recurrences[s->rec].has_R ? s->n_out : 0;
    memset((char *)s0 + (l->s0_h + b * s->hidden) * rs, 0, s->hidden * rs);
    if (K) memset((char *)s0 + (l->s0_fb + b * K) * rs, 0, K * rs);
}

static void print_sample(run_state *r)
{
    if (!r->data.text) return;
    const rnnc_spec *s = &r->spec;
    /* One column's state (rnnc_sample): h, then fb with an output recurrence. */
    void *h = calloc(r->model->layout.s0_count / s->batch + 1, r->model->layout.real_size);
    if (!h) return;
    /* From stream 0's carried state and its next input; a private RNG seeded by (seed, step)
     * so that sampling never changes the training run. */
    column_state(s, &r->ck.layout, r->ck.s0, 0, h);
    uint64_t pos = r->ck.positions[0];
    int32_t start = r->data.ids[pos < r->data.len ? pos : 0];
    rnnc_sample_opts so = {200, 1.0, 0, r->ck.seed ^ (r->ck.step * 0x9e3779b97f4a7c15ull)};
    FILE *out = r->o->out;
    if (r->o->tty) fputs("\r\033[K", out);
    fputs("----\n", out);
    rnnc_sample(r->model, r->ck.params, &r->data.vocab, h, NULL, 0, start, &so, out);
    fputs("\n----\n", out);
    fflush(out);
    free(h);
}

static int save(run_state *r, char *err, size_t errlen)
{
    if (!r->o->save) return 0;
    /* A step with a finite loss can still update the weights to Inf/NaN: never save those
     * over the last good checkpoint. */
    const rnnc_spec *s = &r->spec;
    for (size_t i = 0; i < r->ck.layout.params_count; i++)
        if (!isfinite(rnnc_get(r->ck.params, s->dtype, i))) {
            rnnc_fail(err, errlen, "the weights became non-finite at step %llu; stopping "
                      "(lower --lr, or clip with --clip / --clip-norm); the last good "
                      "checkpoint is kept", (unsigned long long)r->ck.step);
            return 1;
        }
    return rnnc_ckpt_save(&r->ck, r->o->save, err, errlen) == 0 ? 0 : 1;
}

/* Fail early, not at the first save, when the checkpoint's directory is not writable. */
static int check_save_dir(const char *path, char *err, size_t errlen)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *(slash == dir ? slash + 1 : slash) = '\0';
    else snprintf(dir, sizeof dir, ".");
    if (access(dir, W_OK) != 0) {
        rnnc_fail(err, errlen, "--save: cannot write in directory '%s': %s", dir, strerror(errno));
        return 2;
    }
    return 0;
}

/* Fill x, y of one step from each stream's position (streams that would run off the end of
 * the data wrap to the start, with their hidden state reset). */
static void fill_batch(run_state *r)
{
    const rnnc_spec *s = &r->spec;
    size_t T = s->tau, B = s->batch;
    for (size_t b = 0; b < B; b++) {
        if (r->ck.positions[b] + T + r->data.look > r->data.len) {
            r->ck.positions[b] = 0;
            column_reset(s, &r->ck.layout, r->ck.s0, b);
        }
        size_t p = r->ck.positions[b];
        for (size_t t = 0; t < T; t++) {
            size_t i = t * B + b;
            if (r->data.text) {
                ((int32_t *)r->buf.x)[i] = r->data.ids[p + t];
                ((int32_t *)r->buf.y)[i] = r->data.ids[p + t + 1];
            } else {
                size_t row = p + t;
                for (size_t k = 0; k < s->n_in; k++)
                    rnnc_set(r->buf.x, s->dtype, i * s->n_in + k, r->data.xrows[row * s->n_in + k]);
                for (size_t k = 0; k < s->n_out; k++)
                    rnnc_set(r->buf.y, s->dtype, i * s->n_out + k,
                             r->data.yrows[(row + r->data.look) * s->n_out + k]);
            }
        }
    }
}

/* Settle the spec: the user's options, training defaults, and the data's sizes. */
static int settle_spec(const rnnc_train_opts *o, const dataset *d, size_t n_in, size_t n_out,
                       rnnc_spec *s, char *err, size_t errlen)
{
    rnnc_spec_builder b = o->spec;
    char v[32];
    if (!rnnc_spec_has(&b, "hidden") && rnnc_spec_set(&b, "hidden", "100", "--hidden", err, errlen) != 0) return 2;
    if (!rnnc_spec_has(&b, "tau") && rnnc_spec_set(&b, "tau", "25", "--tau", err, errlen) != 0) return 2;
    if (d->text) {
        if (rnnc_spec_has(&b, "in") || rnnc_spec_has(&b, "out")) {
            rnnc_fail(err, errlen,
                      "--in: text data makes a one-hot model; use --vocab or a .csv file");
            return 2;
        }
        snprintf(v, sizeof v, "%zu", d->vocab.size);
        if (rnnc_spec_has(&b, "vocab")) {
            if (b.spec.n_in != d->vocab.size) {
                rnnc_fail(err, errlen, "--vocab: the data has %zu distinct symbols, not %zu",
                          d->vocab.size, b.spec.n_in);
                return 2;
            }
        } else if (rnnc_spec_set(&b, "vocab", v, "DATA", err, errlen) != 0) {
            return 2;
        }
    } else {
        if (rnnc_spec_has(&b, "vocab")) {
            rnnc_fail(err, errlen, "--vocab: a CSV file makes a dense model; use --in/--out");
            return 2;
        }
        const char *keys[2] = {"in", "out"};
        size_t vals[2] = {n_in, n_out};
        for (int k = 0; k < 2; k++) {
            snprintf(v, sizeof v, "%zu", vals[k]);
            if (rnnc_spec_has(&b, keys[k])) {
                size_t have = k == 0 ? b.spec.n_in : b.spec.n_out;
                if (have != vals[k]) {
                    rnnc_fail(err, errlen,
                              "--%s: the data gives %zu, not %zu", keys[k], vals[k], have);
                    return 2;
                }
            } else if (rnnc_spec_set(&b, keys[k], v, "DATA", err, errlen) != 0) {
                return 2;
            }
        }
        if (!rnnc_spec_has(&b, "loss") && rnnc_spec_set(&b, "loss", "mse", "--loss", err, errlen) != 0) return 2;
    }
    return rnnc_spec_finish(&b, s, err, errlen) == 0 ? 0 : 2;
}

/* The optimiser settings: the user's, else the checkpoint's, else the defaults. */
static void settle_hparams(const rnnc_train_opts *o, const rnnc_ckpt *from, rnnc_hparams *hp)
{
    if (from) *hp = from->hp;
    else {
        memset(hp, 0, sizeof *hp);
        hp->optim = o->optim, hp->lr = o->lr, hp->beta1 = o->beta1, hp->beta2 = o->beta2;
        hp->eps = o->eps, hp->weight_decay = o->weight_decay, hp->clip = o->clip;
        hp->clip_norm = o->clip_norm;
        return;
    }
    if (o->set & RNNC_SET_OPTIM) hp->optim = o->optim;
    if (o->set & RNNC_SET_LR) hp->lr = o->lr;
    if (o->set & RNNC_SET_BETA1) hp->beta1 = o->beta1;
    if (o->set & RNNC_SET_BETA2) hp->beta2 = o->beta2;
    if (o->set & RNNC_SET_EPS) hp->eps = o->eps;
    if (o->set & RNNC_SET_WD) hp->weight_decay = o->weight_decay;
    if (o->set & RNNC_SET_CLIP) hp->clip = o->clip;
    if (o->set & RNNC_SET_CLIP_NORM) hp->clip_norm = o->clip_norm;
}

static int same_spec(const rnnc_spec *a, const rnnc_spec *b)
{
    char x[512], y[512];
    rnnc_spec_format(a, x, sizeof x);
    rnnc_spec_format(b, y, sizeof y);
    return strcmp(x, y) == 0;
}

/* ---- the phases of a run: each returns RUN_GO to go on, or the run's status ---- */

enum { RUN_GO = -1 };

/* Phase 1, validate the inputs: load the checkpoint to resume (into *resumed, setting
 * *have_resumed), check and lock the --save path (r->lock_fd), check the data files against
 * each other and against the checkpoint, and load the data into r->data (its vocabulary the
 * checkpoint's when resuming; a CSV's sizes into *n_in, *n_out).  RUN_GO, or 2 (bad input, err
 * set), 1 (failure, err set), 130 / 143 (a signal came). */
static int phase_validate(run_state *r, rnnc_ckpt *resumed, int *have_resumed, size_t *n_in,
                          size_t *n_out, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    int rc;
    if (o->resume) {
        if (rnnc_ckpt_load(resumed, o->resume, err, errlen) != 0) return 2;
        *have_resumed = 1;
    }
    if (o->save && (rc = check_save_dir(o->save, err, errlen)) != 0) return rc;
    /* One writer per checkpoint: a second trainer with the same --save is refused here. */
    if (o->save && (r->lock_fd = rnnc_lock_output(o->save, err, errlen)) < 0) {
        rnnc_fail(err, errlen, "--save: %s", err);
        return 2;
    }
    int csv = o->ndata > 0 && is_csv(o->data[0]);
    if (o->targets && !csv)
        return rnnc_fail(err, errlen, "--target: names columns of a CSV data file; this data is text"), 2;
    for (size_t i = 1; i < o->ndata; i++)
        if (is_csv(o->data[i]) != csv)
            return rnnc_fail(err, errlen, "%s: mixing CSV and text data files", o->data[i]), 2;
    if (*have_resumed && resumed->spec.onehot == csv) {
        rnnc_fail(err, errlen, "%s: the checkpoint is a %s model; the data is %s", o->resume,
                  resumed->spec.onehot ? "one-hot (text)" : "dense (CSV)", csv ? "CSV" : "text");
        return 2;
    }
    if (*have_resumed && o->chars_set && resumed->spec.onehot && o->chars != resumed->vocab.mode) {
        rnnc_fail(err, errlen, "--chars: the checkpoint was trained with --chars %s",
                  resumed->vocab.mode == RNNC_CHARS_UTF8 ? "utf8" : "bytes");
        return 2;
    }
    rc = csv ? load_csv(o, &r->data, n_in, n_out, err, errlen)
             : load_text(o, *have_resumed ? &resumed->vocab : NULL, &r->data, err, errlen);
    if (rc != 0) return rc;
    return stop_signal ? stopped_before_start(o) : RUN_GO;
}

/* The model feeds back a choice between the data and a sample (10.11s), drawn per step. */
static int scheduled(const rnnc_spec *s)
{
    return rnnc_recurrences[s->rec].has_R && rnnc_feedbacks[s->fb].needs_ctl;
}

/* Phase 2a, the spec (r->spec): the checkpoint's when resuming (options the user gave must
 * describe the same model, and the data must fit it), else the options settled with the
 * data's sizes; the data must hold at least one chunk.  RUN_GO or 2 with err set. */
static int phase_spec(run_state *r, const rnnc_ckpt *resumed, int have_resumed, size_t n_in,
                      size_t n_out, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    if (have_resumed) {
        rnnc_spec want;
        r->spec = resumed->spec;
        if (o->spec.set) {
            /* Options the user gave must agree with the checkpoint. */
            if (settle_spec(o, &r->data, n_in, n_out, &want, err, errlen) != 0) return 2;
            if (!same_spec(&want, &r->spec)) {
                char have[512];
                rnnc_spec_format(&r->spec, have, sizeof have);
                rnnc_fail(err, errlen, "--resume: the options describe a different model than "
                          "the checkpoint's (%s)", have);
                return 2;
            }
        } else if (r->data.text && r->spec.n_in != r->data.vocab.size) {
            rnnc_fail(err, errlen, "%s: corrupt vocabulary", o->resume);
            return 2;
        } else if (!r->data.text && (r->spec.n_in != n_in || r->spec.n_out != n_out)) {
            rnnc_fail(err, errlen,
                      "DATA: the CSV gives %zu inputs and %zu outputs; "
                      "the checkpoint's model has %zu and %zu",
                      n_in, n_out, r->spec.n_in, r->spec.n_out);
            return 2;
        }
    } else if (settle_spec(o, &r->data, n_in, n_out, &r->spec, err, errlen) != 0) {
        return 2;
    }
    if (r->data.len < r->spec.tau + r->data.look) {
        rnnc_fail(err, errlen, "DATA: %zu %s, but --tau %zu needs at least %zu", r->data.len,
                  r->data.text ? "symbols" : "rows", r->spec.tau, r->spec.tau + r->data.look);
        return 2;
    }
    if ((o->set & (RNNC_SET_SCHEDULE | RNNC_SET_SCHEDULE_K | RNNC_SET_SCHEDULE_END)) && !scheduled(&r->spec)) {
        const char *opt = o->set & RNNC_SET_SCHEDULE ? "--schedule" : o->set & RNNC_SET_SCHEDULE_K ? "--schedule-k" : "--schedule-end";
        rnnc_fail(err, errlen, "%s: only scheduled sampling has a schedule (give --recurrence output "
                  "or both with --feedback scheduled%s, or drop %s)", opt,
                  have_resumed ? "; the checkpoint's model is not one" : "", opt);
        return 2;
    }
    return RUN_GO;
}

/* Phase 2b, the training state r->ck: the resumed checkpoint (taken over from *resumed, which
 * is cleared and *have_resumed reset; its streams restart when the data changed), or a fresh
 * one (initial weights from the seed).  The optimiser settings and the schedule are settled,
 * the vocabulary is a view of the data's.  RUN_GO; 0 when the run is already at --steps
 * (nothing to do); 1 with err set when memory runs out; 2 for a schedule out of range. */
static int phase_state(run_state *r, rnnc_ckpt *resumed, int *have_resumed, char *err,
                       size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    if (*have_resumed) {
        r->ck = *resumed;
        *have_resumed = 0; /* owned by r->ck now; its vocabulary is the data's from here on */
        memset(resumed, 0, sizeof *resumed);
        rnnc_vocab_free(&r->ck.vocab);
        settle_hparams(o, &r->ck, &r->ck.hp);
        if (r->ck.data_len != r->data.len || r->ck.data_hash != r->data.hash) {
            fprintf(o->out, "note: the data differs from the checkpoint's; streams restart at evenly spaced offsets\n");
            reset_positions(&r->spec, r->data.len, r->ck.positions);
            memset(r->ck.s0, 0, r->ck.layout.s0_bytes);
            r->ck.data_len = r->data.len;
            r->ck.data_hash = r->data.hash;
        }
    } else {
        r->ck.spec = r->spec;
        if (rnnc_ckpt_alloc(&r->ck, err, errlen) != 0) return 1;
        settle_hparams(o, NULL, &r->ck.hp);
        r->ck.seed = o->seed;
        r->ck.rng = o->seed;
        init_params(&r->spec, &r->ck.layout, r->ck.params, &r->ck.rng);
        r->ck.smooth_loss = r->spec.loss == RNNC_LOSS_NLL ? -log(1.0 / (double)r->spec.n_out) * (double)r->spec.tau : NAN;
        r->ck.data_len = r->data.len;
        r->ck.data_hash = r->data.hash;
        reset_positions(&r->spec, r->data.len, r->ck.positions);
    }
    /* The checkpoint keeps the vocabulary (a view of the data's; not freed through ck). */
    r->ck.vocab = r->data.vocab;
    r->ck.hp.grad_scale = 1.0 / (double)r->spec.batch;
    if (scheduled(&r->spec) && rnnc_schedule_settle(&o->schedule, o->set, &r->ck.sched, o->steps, &r->ck.sched,
                                                    err, errlen) != 0)
        return 2;
    if (r->ck.step >= o->steps) {
        fprintf(o->out, "already at step %llu of %llu; nothing to do\n",
                (unsigned long long)r->ck.step, (unsigned long long)o->steps);
        return 0;
    }
    return RUN_GO;
}

/* Phase 3, start the backends: the model on tcc at once (cc with --backend cc) in r->tcc
 * (r->model points at it) with its threads (r->threads), with --backend auto the cc compile in
 * the background (r->job; none if the thread cannot start: tcc stays), and the training
 * buffers.  RUN_GO, or 1 with err set, or 130 / 143 when a signal cancelled the compile. */
static int phase_backends(run_state *r, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    rnnc_backend first = o->backend == RNNC_RUN_CC ? RNNC_BACKEND_CC : RNNC_BACKEND_TCC;
    if (rnnc_model_load(&r->tcc, &r->spec, first, err, errlen) != 0)
        return stop_signal ? stopped_before_start(o) : 1;
    show_cc_notices(o);
    r->have_tcc = 1;
    r->model = &r->tcc;
    r->threads = rnnc_model_set_threads(r->model, o->threads, err, errlen);
    if (r->threads < 0) return 1;
    if (o->backend == RNNC_RUN_AUTO) {
        r->job = calloc(1, sizeof *r->job);
        if (r->job) {
            r->job->spec = r->spec;
            pthread_mutex_init(&r->job->lock, NULL);
            if (pthread_create(&r->job->thread, NULL, cc_job_run, r->job) != 0) {
                pthread_mutex_destroy(&r->job->lock);
                free(r->job);
                r->job = NULL;
            }
        }
    }
    if (rnnc_buffers_alloc(&r->buf, &r->model->layout) != 0) {
        rnnc_fail(err, errlen, "out of memory for the training buffers");
        return 1;
    }
    return RUN_GO;
}

/* Phase 4, open the --log file (r->log_fd; its header when new).  RUN_GO, 2 with err set
 * (a path that cannot be a log), or 130 / 143 when a signal came before the first step. */
static int phase_log(run_state *r, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    if (o->log && (r->log_fd = rnnc_log_open(o->log, "step,loss,bpc,lr,seconds\n", err, errlen)) < 0)
        return 2;
    return stop_signal ? stopped_before_start(o) : RUN_GO;
}

/* Between steps: when the background cc compile has finished, join it and move training to
 * its model (same threads; one if they cannot start), or say why tcc stays. */
static void switch_backend_if_ready(run_state *r)
{
    const rnnc_train_opts *o = r->o;
    if (!r->job || r->job->joined || !cc_job_done(r->job)) return;
    pthread_join(r->job->thread, NULL);
    r->job->joined = 1;
    /* Same threads on cc (the pool is per model); if they cannot start, one. */
    if (r->job->ok && rnnc_model_set_threads(&r->job->model, r->threads, r->job->err, sizeof r->job->err) < 0)
        fprintf(o->out, "%scc backend: %s; one thread\n", o->tty ? "\r\033[K" : "", r->job->err);
    if (r->job->ok) {
        r->model = &r->job->model;
        fprintf(o->out, "%sswitched to the cc backend at step %llu (compiled in %.2f s)\n",
                o->tty ? "\r\033[K" : "", (unsigned long long)r->ck.step, r->job->seconds);
    } else {
        fprintf(o->out, "%scc backend unavailable, staying on tcc: %s\n",
                o->tty ? "\r\033[K" : "", r->job->err);
    }
    show_cc_notices(o);
}

/* Scheduled sampling's draws of one step (10.11s), from the trainer's RNG (saved in the
 * checkpoint, so a resumed run draws the same): for every step t and column b two uniforms
 * u1, u2; the control value is -1 (feed the data) when u1 < eps_i, else u2 (the sample's
 * uniform), kept below 1 in the model's precision. */
static void fill_schedule(run_state *r)
{
    const rnnc_spec *s = &r->spec;
    const rnnc_layout *l = &r->model->layout;
    double eps = rnnc_schedule_eps(&r->ck.sched, r->ck.step);
    for (size_t i = 0; i < s->tau * s->batch; i++) {
        double u1 = rnnc_rand_uniform(&r->ck.rng, 0, 1), u2 = rnnc_rand_uniform(&r->ck.rng, 0, 1);
        if (s->dtype == RNNC_FLOAT && (float)u2 >= 1.0f) u2 = 0x1.fffffep-1;
        rnnc_set(r->buf.ws, s->dtype, l->ws_ctl + i, u1 < eps ? -1.0 : u2);
    }
}

/* One training step: fill the batch, call the generated train step, carry the final state
 * of every stream into the next chunk, advance the positions, the step and the losses.
 * RUN_GO, or 1 with err set when the loss is not finite (nothing is updated then). */
static int train_one_step(run_state *r, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    fill_batch(r);
    r->ck.hp.bias1 = 1 - pow(r->ck.hp.beta1, (double)(r->ck.step + 1));
    r->ck.hp.bias2 = 1 - pow(r->ck.hp.beta2, (double)(r->ck.step + 1));
    if (scheduled(&r->spec)) fill_schedule(r);
    double loss = rnnc_model_train_step(r->model, r->ck.params, r->buf.grads, r->ck.opt, r->buf.x,
                                        r->buf.y, r->ck.s0, r->buf.ws, &r->ck.hp);
    if (!isfinite(loss)) {
        if (o->tty) fputc('\n', o->out);
        rnnc_fail(err, errlen, "the loss became %s at step %llu; stopping (lower --lr, or "
                  "clip with --clip / --clip-norm)%s", isnan(loss) ? "NaN" : "infinite",
                  (unsigned long long)r->ck.step + 1,
                  o->save ? "; the last good checkpoint is kept" : "");
        return 1;
    }
    /* Carry the final state (s1: h(tau), fb(tau)) of every stream into the next chunk
     * (truncated BPTT). */
    const rnnc_layout *l = &r->model->layout;
    memcpy(r->ck.s0, (char *)r->buf.ws + l->ws_s1 * l->real_size, l->s0_bytes);
    for (size_t b = 0; b < r->spec.batch; b++) r->ck.positions[b] += r->spec.tau;
    r->ck.step++;
    double per_seq = loss / (double)r->spec.batch;
    r->ck.last_loss = per_seq;
    r->ck.smooth_loss = isnan(r->ck.smooth_loss) ? per_seq : r->ck.smooth_loss * 0.999 + per_seq * 0.001;
    return RUN_GO;
}

/* After a step: the log row and progress line, a sample, the checkpoint (every --every steps
 * and at the last), and on SIGINT / SIGTERM a save and the stop.  RUN_GO, or 1 with err set
 * (a save failed), or 130 / 143 after a signal. */
static int after_step(run_state *r, double *last_draw, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    int rc, report = r->ck.step % o->every == 0 || r->ck.step == o->steps;
    if (report) log_row(r);
    if (o->tty) {
        double t = now_s();
        if (t - *last_draw > 0.1 || report) {
            progress(r, 0);
            *last_draw = t;
        }
    } else if (report) {
        progress(r, 0);
    }
    if (o->sample_every && r->ck.step % o->sample_every == 0) print_sample(r);
    if (report && (rc = save(r, err, errlen)) != 0) return rc;
    if (stop_signal) {
        if (!report && (rc = save(r, err, errlen)) != 0) return rc;
        if (o->tty) fputc('\n', o->out);
        fprintf(o->out, "stopped by %s at step %llu%s%s\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM",
                (unsigned long long)r->ck.step, o->save ? "; saved " : "", o->save ? o->save : "");
        return stop_signal == SIGINT ? 130 : 143;
    }
    return RUN_GO;
}

/* Phase 5, the loop: the "training ..." line, then steps until --steps (switching to cc when
 * it is ready), then the final progress line and sample.  0 when done, or the status of the
 * step that stopped it (err set for 1). */
static int phase_loop(run_state *r, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    char canon[512];
    rnnc_spec_format(&r->spec, canon, sizeof canon);
    fprintf(o->out, "training %s on %zu %s; %s lr %g, backend %s%s, %d thread%s\n", canon,
            r->data.len, r->data.text ? "symbols" : "rows", rnnc_optim_name(r->ck.hp.optim), r->ck.hp.lr,
            rnnc_backend_name(r->model->backend), r->job ? " (cc compiling in the background)" : "",
            r->threads, r->threads == 1 ? "" : "s");
    fflush(o->out);
    r->t0 = now_s();
    r->step0 = r->ck.step;
    double last_draw = 0;
    int rc;
    while (r->ck.step < o->steps) {
        switch_backend_if_ready(r);
        if ((rc = train_one_step(r, err, errlen)) != RUN_GO) return rc;
        if ((rc = after_step(r, &last_draw, err, errlen)) != RUN_GO) return rc;
    }
    if (o->tty) progress(r, 1);
    if (r->data.text && !(o->sample_every && r->ck.step % o->sample_every == 0)) print_sample(r);
    return 0;
}

/* Release everything a run holds, whatever phase it reached: the log (an incomplete one turns
 * a successful status into 1, with err set), the background compile (waited for), the models,
 * buffers, state, data, the --save lock and the signal handlers.  Returns the final status. */
static int run_cleanup(run_state *r, int rc, rnnc_ckpt *resumed, int have_resumed,
                       const saved_handlers *handlers, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    if (r->log_fd >= 0) {
        if (r->log_errno) rc = log_incomplete(r, rc, err, errlen);
        close(r->log_fd);
    }
    if (r->job) {
        /* Wait for a compile still under way: the thread owns its model until it ends. */
        if (!r->job->joined) pthread_join(r->job->thread, NULL);
        if (r->job->ok) rnnc_model_unload(&r->job->model);
        pthread_mutex_destroy(&r->job->lock);
        free(r->job);
    }
    if (r->have_tcc) rnnc_model_unload(&r->tcc);
    rnnc_buffers_free(&r->buf);
    r->ck.vocab.symbols = NULL;
    r->ck.vocab.size = 0;
    rnnc_ckpt_free(&r->ck);
    dataset_free(&r->data);
    if (have_resumed) rnnc_ckpt_free(resumed);
    rnnc_unlock_output(o->save, r->lock_fd);
    signals_restore(handlers);
    return rc;
}

int rnnc_train_run(const rnnc_train_opts *o, char *err, size_t errlen)
{
    run_state r;
    rnnc_ckpt resumed;
    int have_resumed = 0, rc;
    size_t n_in = 0, n_out = 0;
    memset(&r, 0, sizeof r);
    memset(&resumed, 0, sizeof resumed);
    r.o = o;
    r.log_fd = -1;
    r.lock_fd = -1;
    /* Signals first of all, so that one during anything slow below is seen (and cancels a cc
     * compile under way). */
    saved_handlers handlers;
    signals_install(&handlers);
    if ((rc = phase_validate(&r, &resumed, &have_resumed, &n_in, &n_out, err, errlen)) == RUN_GO &&
        (rc = phase_spec(&r, &resumed, have_resumed, n_in, n_out, err, errlen)) == RUN_GO &&
        (rc = phase_state(&r, &resumed, &have_resumed, err, errlen)) == RUN_GO &&
        (rc = phase_backends(&r, err, errlen)) == RUN_GO &&
        (rc = phase_log(&r, err, errlen)) == RUN_GO)
        rc = phase_loop(&r, err, errlen);
    return run_cleanup(&r, rc, &resumed, have_resumed, &handlers, err, errlen);
}
