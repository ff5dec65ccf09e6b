/* train.c: the training loop (see train.h). */
#define _POSIX_C_SOURCE 200809L
#include "train.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- signals: finish the step, save, exit 130 / 143 ---- */

static volatile sig_atomic_t stop_signal;
static void on_signal(int sig) { stop_signal = sig; }

/* ---- the data, as the model sees it ---- */

typedef struct dataset {
    int text;                 /* 1: class ids; 0: CSV rows */
    rnnc_vocab vocab;
    rnnc_ids ids;             /* text: len class indices */
    double *xrows, *yrows;    /* CSV: len rows of n_in / n_out values */
    size_t len, look;         /* look: 1 when the target is the next symbol / row */
    uint64_t hash;
} dataset;

static void dataset_free(dataset *d)
{
    rnnc_vocab_free(&d->vocab);
    rnnc_ids_free(&d->ids);
    free(d->xrows);
    free(d->yrows);
    memset(d, 0, sizeof *d);
}

static int is_csv(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".csv") == 0;
}

/* The CLI status of a failed library call: 1 when memory ran out (a runtime failure), else
 * 2 (bad input). */
static int input_status(int rc) { return rc == RNNC_ENOMEM ? 1 : 2; }

/* Text: the vocabulary comes from the data, or from the checkpoint when resuming.  The
 * indices take one byte per symbol in bytes mode (see rnnc_text_load). */
static int load_text(const rnnc_train_opts *o, const rnnc_vocab *fixed, dataset *d, char *err,
                     size_t errlen)
{
    size_t nsrc = o->ndata ? o->ndata : 1;
    rnnc_text_src *src = calloc(nsrc, sizeof *src);
    if (!src) {
        rnnc_fail(err, errlen, "out of memory reading the data");
        return 1;
    }
    if (o->ndata)
        for (size_t i = 0; i < nsrc; i++) src[i].name = o->data[i];
    else
        src[0] = (rnnc_text_src){"(built-in corpus)", (const unsigned char *)rnnc_corpus_corpus_txt,
                                 strlen(rnnc_corpus_corpus_txt)};
    int rc = rnnc_text_load(src, nsrc, o->chars, fixed, &d->vocab, &d->ids, err, errlen);
    free(src);
    if (rc != 0) return input_status(rc);
    d->text = 1;
    d->look = 1;
    d->len = d->ids.len;
    d->hash = rnnc_ids_hash(&d->ids);
    return 0;
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
    int rc = rnnc_csv_read(o->data[0], &c, err, errlen);
    if (rc != 0) return input_status(rc);
    rc = 2;
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
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < t[k].rows * t[k].cols; i++) {
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
    FILE *log;
    int saved, save_existed;   /* this run saved a checkpoint; --save existed before it */
    uint64_t saved_step;       /* the step of the last one saved */
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

static void log_row(run_state *r)
{
    if (!r->log) return;
    fprintf(r->log, "%llu,%.9g,%.9g,%.9g,%.3f\n", (unsigned long long)r->ck.step,
            r->ck.smooth_loss, bits_per_symbol(r), r->ck.hp.lr, now_s() - r->t0);
    fflush(r->log);
}

static void print_sample(run_state *r)
{
    if (!r->data.text) return;
    const rnnc_spec *s = &r->spec;
    void *h = malloc(s->hidden * r->model->layout.real_size);
    if (!h) return;
    /* From stream 0's carried state and its next input; a private RNG seeded by (seed, step)
     * so that sampling never changes the training run. */
    memcpy(h, r->ck.h, s->hidden * r->model->layout.real_size);
    uint64_t pos = r->ck.positions[0];
    int32_t start = rnnc_ids_at(&r->data.ids, pos < r->data.len ? pos : 0);
    rnnc_sample_opts so = {200, 1.0, 0, r->ck.seed ^ (r->ck.step * 0x9e3779b97f4a7c15ull)};
    FILE *out = r->o->out;
    if (r->o->tty) fputs("\r\033[K", out);
    fputs("----\n", out);
    rnnc_sample(r->model, r->ck.params, &r->data.vocab, h, NULL, 0, start, &so, out);
    fputs("\n----\n", out);
    fflush(out);
    free(h);
}

/* What a run that stops on an error says about --save: the checkpoint this run saved last,
 * the file it found (resumed from, or another run's), or that there is none. */
static const char *kept_note(const run_state *r, char *buf, size_t n)
{
    const char *path = r->o->save;
    if (!path) snprintf(buf, n, "%s", "");
    else if (r->saved)
        snprintf(buf, n, "; the last good checkpoint (step %llu) is kept in %s",
                 (unsigned long long)r->saved_step, path);
    else if (r->save_existed) snprintf(buf, n, "; %s is left as it was", path);
    else snprintf(buf, n, "; no checkpoint was saved");
    return buf;
}

static int save(run_state *r, char *err, size_t errlen)
{
    if (!r->o->save) return 0;
    /* A step with a finite loss can still update the weights (or the optimiser state) to
     * Inf/NaN: never save what the loader would refuse over the last good checkpoint. */
    char what[256], note[4200];
    if (rnnc_ckpt_check(&r->ck, what, sizeof what) != 0) {
        rnnc_fail(err, errlen, "at step %llu the %s; stopping (lower --lr, or clip with --clip / "
                  "--clip-norm)%s", (unsigned long long)r->ck.step, what,
                  kept_note(r, note, sizeof note));
        return 1;
    }
    if (rnnc_ckpt_save(&r->ck, r->o->save, err, errlen) != 0) return 1;
    r->saved = 1;
    r->saved_step = r->ck.step;
    return 0;
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
    size_t T = s->tau, B = s->batch, rs = r->model->layout.real_size;
    for (size_t b = 0; b < B; b++) {
        if (r->ck.positions[b] + T + r->data.look > r->data.len) {
            r->ck.positions[b] = 0;
            memset((char *)r->ck.h + b * s->hidden * rs, 0, s->hidden * rs);
        }
        size_t p = r->ck.positions[b];
        for (size_t t = 0; t < T; t++) {
            size_t i = t * B + b;
            if (r->data.text) {
                ((int32_t *)r->buf.x)[i] = rnnc_ids_at(&r->data.ids, p + t);
                ((int32_t *)r->buf.y)[i] = rnnc_ids_at(&r->data.ids, p + t + 1);
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

/* Refuse a model beyond the limits before reading any data, when the options alone fix its
 * size (--vocab, or --in and --out): absurd dimensions cost one line, not a read of the data
 * first.  0, or 2 with the message (which names the bytes a buffer would need). */
static int check_spec_early(const rnnc_train_opts *o, char *err, size_t errlen)
{
    rnnc_spec_builder b = o->spec;
    int dense = rnnc_spec_has(&b, "in") && rnnc_spec_has(&b, "out");
    if (!rnnc_spec_has(&b, "vocab") && !dense) return 0;
    if ((!rnnc_spec_has(&b, "hidden") && rnnc_spec_set(&b, "hidden", "100", "--hidden", err, errlen) != 0) ||
        (!rnnc_spec_has(&b, "tau") && rnnc_spec_set(&b, "tau", "25", "--tau", err, errlen) != 0) ||
        (dense && !rnnc_spec_has(&b, "loss") && rnnc_spec_set(&b, "loss", "mse", "--loss", err, errlen) != 0))
        return 2;
    rnnc_spec s;
    return rnnc_spec_finish(&b, &s, err, errlen) == 0 ? 0 : 2;
}

/* The machine's memory and swap in bytes (UINT64_MAX when unknown). */
static uint64_t machine_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psize <= 0) return UINT64_MAX;
    uint64_t total = (uint64_t)pages * (uint64_t)psize;
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    unsigned long long kb;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "SwapTotal: %llu kB", &kb) == 1) total += kb * 1024;
    if (f) fclose(f);
    return total;
}

/* The bytes the address-space limit (ulimit -v) leaves beyond this process's current size
 * (UINT64_MAX when there is no limit). */
static uint64_t address_space_left(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return UINT64_MAX;
    uint64_t used = 0, vm_pages;
    long psize = sysconf(_SC_PAGESIZE);
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%" SCNu64, &vm_pages) == 1 && psize > 0) used = vm_pages * (uint64_t)psize;
        fclose(f);
    }
    return (uint64_t)rl.rlim_cur > used ? (uint64_t)rl.rlim_cur - used : 0;
}

/* Refuse, before any large allocation, a run whose buffers cannot fit in memory: the
 * training buffers (rnnc_buffers_alloc) and the checkpoint's copy of the state (unless it
 * is already allocated), with the data (already read) against the machine's memory and
 * swap, or without it against what ulimit -v leaves.  0, or 1 ("out of memory": a runtime
 * failure) with a message giving the bytes needed. */
static int check_memory(const run_state *r, int have_state, char *err, size_t errlen)
{
    rnnc_layout l;
    if (rnnc_spec_layout(&r->spec, &l, err, errlen) != 0) return 2;
    const size_t bufs[7] = {l.params_bytes, l.params_bytes, l.ws_bytes, l.x_bytes, l.y_bytes,
                            l.h0_bytes, l.opt_bytes};
    uint64_t train = 0, state = 0, data;
    for (int i = 0; i < 7; i++) train += ((uint64_t)bufs[i] + 63) / 64 * 64;
    if (!have_state) state = (uint64_t)l.params_bytes + l.opt_bytes + l.h0_bytes + r->spec.batch * 8;
    data = r->data.text ? (uint64_t)r->data.ids.len * r->data.ids.width
                        : (uint64_t)r->data.len * (r->spec.n_in + r->spec.n_out) * sizeof(double);
    uint64_t ram = machine_memory(), as = address_space_left(), avail;
    const char *why;
    if (ram != UINT64_MAX && train + state + data > ram)
        avail = ram, why = "of memory and swap of this machine";
    else if (train + state > as)
        avail = as, why = "that the address-space limit (ulimit -v) leaves";
    else
        return 0;
    char canon[512];
    rnnc_spec_format(&r->spec, canon, sizeof canon);
    rnnc_fail(err, errlen, "out of memory: training %s needs %llu bytes (training buffers %llu, "
              "checkpoint state %llu, and the data already read takes %llu), more than the %llu "
              "bytes %s", canon, (unsigned long long)(train + state + data),
              (unsigned long long)train, (unsigned long long)state, (unsigned long long)data,
              (unsigned long long)avail, why);
    return 1;
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

int rnnc_train_run(const rnnc_train_opts *o, char *err, size_t errlen)
{
    run_state r;
    memset(&r, 0, sizeof r);
    r.o = o;
    rnnc_ckpt resumed;
    int have_resumed = 0, rc = 1;
    size_t n_in = 0, n_out = 0;
    memset(&resumed, 0, sizeof resumed);

    /* 1. The checkpoint to resume, then the data (its vocabulary fixed by the checkpoint). */
    if (o->resume) {
        if ((rc = rnnc_ckpt_load(&resumed, o->resume, err, errlen)) != 0) return input_status(rc);
        have_resumed = 1;
    }
    if (o->save && (rc = check_save_dir(o->save, err, errlen)) != 0) goto out;
    r.save_existed = o->save && access(o->save, F_OK) == 0;
    if (!have_resumed && (rc = check_spec_early(o, err, errlen)) != 0) goto out;
    int csv = o->ndata > 0 && is_csv(o->data[0]);
    if (o->targets && !csv) {
        rnnc_fail(err, errlen, "--target: names columns of a CSV data file; this data is text");
        rc = 2;
        goto out;
    }
    for (size_t i = 1; i < o->ndata; i++)
        if (is_csv(o->data[i]) != csv) {
            rnnc_fail(err, errlen, "%s: mixing CSV and text data files", o->data[i]);
            rc = 2;
            goto out;
        }
    if (have_resumed && resumed.spec.onehot == csv) {
        rnnc_fail(err, errlen, "%s: the checkpoint is a %s model; the data is %s", o->resume,
                  resumed.spec.onehot ? "one-hot (text)" : "dense (CSV)", csv ? "CSV" : "text");
        rc = 2;
        goto out;
    }
    if (have_resumed && o->chars_set && resumed.spec.onehot && o->chars != resumed.vocab.mode) {
        rnnc_fail(err, errlen, "--chars: the checkpoint was trained with --chars %s",
                  resumed.vocab.mode == RNNC_CHARS_UTF8 ? "utf8" : "bytes");
        rc = 2;
        goto out;
    }
    rc = csv ? load_csv(o, &r.data, &n_in, &n_out, err, errlen)
             : load_text(o, have_resumed ? &resumed.vocab : NULL, &r.data, err, errlen);
    if (rc != 0) goto out;
    rc = 2;

    /* 2. The spec; a resumed run must match its checkpoint. */
    if (have_resumed) {
        rnnc_spec want;
        r.spec = resumed.spec;
        if (o->spec.set) {
            /* Options the user gave must agree with the checkpoint. */
            if (settle_spec(o, &r.data, n_in, n_out, &want, err, errlen) != 0) goto out;
            if (!same_spec(&want, &r.spec)) {
                char have[512];
                rnnc_spec_format(&r.spec, have, sizeof have);
                rnnc_fail(err, errlen, "--resume: the options describe a different model than "
                          "the checkpoint's (%s)", have);
                rc = 2;
                goto out;
            }
        } else if (!csv && r.spec.n_in != r.data.vocab.size) {
            rnnc_fail(err, errlen, "%s: corrupt vocabulary", o->resume);
            rc = 2;
            goto out;
        } else if (csv && (r.spec.n_in != n_in || r.spec.n_out != n_out)) {
            rnnc_fail(err, errlen,
                      "DATA: the CSV gives %zu inputs and %zu outputs; "
                      "the checkpoint's model has %zu and %zu",
                      n_in, n_out, r.spec.n_in, r.spec.n_out);
            rc = 2;
            goto out;
        }
    } else if (settle_spec(o, &r.data, n_in, n_out, &r.spec, err, errlen) != 0) {
        goto out;
    }
    if (r.data.len < r.spec.tau + r.data.look) {
        rnnc_fail(err, errlen, "DATA: %zu %s, but --tau %zu needs at least %zu", r.data.len,
                  r.data.text ? "symbols" : "rows", r.spec.tau, r.spec.tau + r.data.look);
        rc = 2;
        goto out;
    }
    if ((rc = check_memory(&r, have_resumed, err, errlen)) != 0) goto out;

    /* 3. The training state: resumed, or fresh. */
    if (have_resumed) {
        r.ck = resumed;
        have_resumed = 0; /* owned by r.ck now; its vocabulary is the data's from here on */
        memset(&resumed, 0, sizeof resumed);
        rnnc_vocab_free(&r.ck.vocab);
        settle_hparams(o, &r.ck, &r.ck.hp);
        if (r.ck.data_len != r.data.len || r.ck.data_hash != r.data.hash) {
            fprintf(o->out, "note: the data differs from the checkpoint's; streams restart at evenly spaced offsets\n");
            reset_positions(&r.spec, r.data.len, r.ck.positions);
            memset(r.ck.h, 0, r.spec.batch * r.spec.hidden * r.ck.layout.real_size);
            r.ck.data_len = r.data.len;
            r.ck.data_hash = r.data.hash;
        }
    } else {
        r.ck.spec = r.spec;
        if (rnnc_ckpt_alloc(&r.ck, err, errlen) != 0) {
            rc = 1;
            goto out;
        }
        settle_hparams(o, NULL, &r.ck.hp);
        r.ck.seed = o->seed;
        r.ck.rng = o->seed;
        init_params(&r.spec, &r.ck.layout, r.ck.params, &r.ck.rng);
        r.ck.smooth_loss = r.spec.loss == RNNC_LOSS_NLL ? -log(1.0 / (double)r.spec.n_out) * (double)r.spec.tau : NAN;
        r.ck.data_len = r.data.len;
        r.ck.data_hash = r.data.hash;
        reset_positions(&r.spec, r.data.len, r.ck.positions);
    }
    /* The checkpoint keeps the vocabulary (a view of the data's; not freed through ck). */
    r.ck.vocab = r.data.vocab;
    r.ck.hp.grad_scale = 1.0 / (double)r.spec.batch;
    if (r.ck.step >= o->steps) {
        fprintf(o->out, "already at step %llu of %llu; nothing to do\n",
                (unsigned long long)r.ck.step, (unsigned long long)o->steps);
        rc = 0;
        goto out;
    }

    /* 4. The model: tcc at once; with auto, cc in the background. */
    rnnc_backend first = o->backend == RNNC_RUN_CC ? RNNC_BACKEND_CC : RNNC_BACKEND_TCC;
    if (rnnc_model_load(&r.tcc, &r.spec, first, err, errlen) != 0) {
        rc = 1;
        goto out;
    }
    r.have_tcc = 1;
    r.model = &r.tcc;
    int threads = rnnc_model_set_threads(r.model, o->threads, err, errlen);
    if (threads < 0) {
        rc = 1;
        goto out;
    }
    if (o->backend == RNNC_RUN_AUTO) {
        r.job = calloc(1, sizeof *r.job);
        if (r.job) {
            r.job->spec = r.spec;
            pthread_mutex_init(&r.job->lock, NULL);
            if (pthread_create(&r.job->thread, NULL, cc_job_run, r.job) != 0) {
                pthread_mutex_destroy(&r.job->lock);
                free(r.job);
                r.job = NULL;
            }
        }
    }
    if (rnnc_buffers_alloc(&r.buf, &r.model->layout) != 0) {
        rnnc_fail(err, errlen, "out of memory for the training buffers");
        rc = 1;
        goto out;
    }
    if (o->log) {
        FILE *probe = fopen(o->log, "r");
        int fresh = 1;
        if (probe) {
            fresh = fgetc(probe) == EOF;
            fclose(probe);
        }
        r.log = fopen(o->log, "a");
        if (!r.log) {
            rnnc_fail(err, errlen, "--log: cannot open %s: %s", o->log, strerror(errno));
            rc = 2;
            goto out;
        }
        if (fresh) fprintf(r.log, "step,loss,bpc,lr,seconds\n");
    }

    /* 5. Train. */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    char canon[512];
    rnnc_spec_format(&r.spec, canon, sizeof canon);
    fprintf(o->out, "training %s on %zu %s; %s lr %g, backend %s%s, %d thread%s\n", canon,
            r.data.len, r.data.text ? "symbols" : "rows", rnnc_optim_name(r.ck.hp.optim), r.ck.hp.lr,
            rnnc_backend_name(r.model->backend), r.job ? " (cc compiling in the background)" : "",
            threads, threads == 1 ? "" : "s");
    fflush(o->out);
    r.t0 = now_s();
    r.step0 = r.ck.step;
    size_t hb = r.spec.batch * r.spec.hidden * r.model->layout.real_size;
    double last_draw = 0;
    rc = 0;
    while (r.ck.step < o->steps) {
        if (r.job && !r.job->joined && cc_job_done(r.job)) {
            pthread_join(r.job->thread, NULL);
            r.job->joined = 1;
            /* Same threads on cc (the pool is per model); if they cannot start, one. */
            if (r.job->ok && rnnc_model_set_threads(&r.job->model, threads, r.job->err, sizeof r.job->err) < 0)
                fprintf(o->out, "%scc backend: %s; one thread\n", o->tty ? "\r\033[K" : "", r.job->err);
            if (r.job->ok) {
                r.model = &r.job->model;
                fprintf(o->out, "%sswitched to the cc backend at step %llu (compiled in %.2f s)\n",
                        o->tty ? "\r\033[K" : "", (unsigned long long)r.ck.step, r.job->seconds);
            } else {
                fprintf(o->out, "%scc backend unavailable, staying on tcc: %s\n",
                        o->tty ? "\r\033[K" : "", r.job->err);
            }
        }
        fill_batch(&r);
        r.ck.hp.bias1 = 1 - pow(r.ck.hp.beta1, (double)(r.ck.step + 1));
        r.ck.hp.bias2 = 1 - pow(r.ck.hp.beta2, (double)(r.ck.step + 1));
        double loss = rnnc_model_train_step(r.model, r.ck.params, r.buf.grads, r.ck.opt, r.buf.x,
                                            r.buf.y, r.ck.h, r.buf.ws, &r.ck.hp);
        if (!isfinite(loss)) {
            char note[4200];
            if (o->tty) fputc('\n', o->out);
            rnnc_fail(err, errlen, "the loss became %s at step %llu; stopping (lower --lr, or "
                      "clip with --clip / --clip-norm)%s", isnan(loss) ? "NaN" : "infinite",
                      (unsigned long long)r.ck.step + 1, kept_note(&r, note, sizeof note));
            rc = 1;
            goto restore;
        }
        /* Carry h(tau) of every stream into the next chunk (truncated BPTT). */
        memcpy(r.ck.h, (char *)r.buf.ws + (r.model->layout.ws_h + r.spec.tau * r.spec.batch * r.spec.hidden) * r.model->layout.real_size, hb);
        for (size_t b = 0; b < r.spec.batch; b++) r.ck.positions[b] += r.spec.tau;
        r.ck.step++;
        double per_seq = loss / (double)r.spec.batch;
        r.ck.last_loss = per_seq;
        r.ck.smooth_loss = isnan(r.ck.smooth_loss) ? per_seq : r.ck.smooth_loss * 0.999 + per_seq * 0.001;
        int report = r.ck.step % o->every == 0 || r.ck.step == o->steps;
        if (report) log_row(&r);
        if (o->tty) {
            double t = now_s();
            if (t - last_draw > 0.1 || report) {
                progress(&r, 0);
                last_draw = t;
            }
        } else if (report) {
            progress(&r, 0);
        }
        if (o->sample_every && r.ck.step % o->sample_every == 0) print_sample(&r);
        if ((r.ck.step % o->every == 0 || r.ck.step == o->steps) && (rc = save(&r, err, errlen)) != 0) goto restore;
        if (stop_signal) {
            if (r.ck.step % o->every != 0 && r.ck.step != o->steps && (rc = save(&r, err, errlen)) != 0) goto restore;
            if (o->tty) fputc('\n', o->out);
            fprintf(o->out, "stopped by %s at step %llu%s%s\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM",
                    (unsigned long long)r.ck.step, o->save ? "; saved " : "", o->save ? o->save : "");
            rc = stop_signal == SIGINT ? 130 : 143;
            goto restore;
        }
    }
    if (o->tty) progress(&r, 1);
    if (r.data.text && !(o->sample_every && r.ck.step % o->sample_every == 0)) print_sample(&r);
restore:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
out:
    if (r.log) fclose(r.log);
    if (r.job) {
        /* Wait for a compile still under way: the thread owns its model until it ends. */
        if (!r.job->joined) pthread_join(r.job->thread, NULL);
        if (r.job->ok) rnnc_model_unload(&r.job->model);
        pthread_mutex_destroy(&r.job->lock);
        free(r.job);
    }
    if (r.have_tcc) rnnc_model_unload(&r.tcc);
    rnnc_buffers_free(&r.buf);
    r.ck.vocab.symbols = NULL;
    r.ck.vocab.size = 0;
    rnnc_ckpt_free(&r.ck);
    dataset_free(&r.data);
    if (have_resumed) rnnc_ckpt_free(&resumed);
    return rc;
}
