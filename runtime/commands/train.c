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
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../base/rng.h"
#include "../base/text.h"
#include "../base/util.h"
#include "../formats/ckpt.h"
#include "../formats/dataset.h"
#include "../model/dist.h"
#include "../model/model.h"
#include "batch.h"
#include "eval.h"
#include "progress.h"
#include "sample.h"
#include "shards.h"

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
    o->sample_seconds = 20;
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

/* ---- progress ---- */

typedef struct run_state {
    const rnnc_train_opts *o;
    rnnc_spec spec;
    rnnc_ckpt ck;              /* the whole training state, as saved */
    rnnc_dataset_opts dopts;   /* how the data was read (messages name its files) */
    rnnc_dataset data;
    rnnc_batcher batch;        /* the columns of a step */
    size_t live;               /* steps of the last step that carried a loss */
    rnnc_dataset valid;        /* --valid: the held-out data, and its model */
    rnnc_evaluator veval;
    int have_valid;
    double valid_loss;         /* the last validation loss per step (NAN: none yet) */
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
    double shown_sum;          /* the losses since the last report (progress line), and how many */
    uint64_t shown_n;
    double shown_mean;         /* the mean of the window the last report closed (NAN: none) */
    double logged_sum;         /* the losses since the last --log row, and how many */
    uint64_t logged_n;
    double next_sample;        /* on a terminal without --sample-every: when the next sample is due */
    rnnc_shards shards;        /* data parallelism (shards.h; count 0: the plain step) */
    int writer;                /* this process writes the checkpoint and the log (rank 0) */
    int agreed_stop;           /* data parallel: the stop request every share saw (a signal) */
    FILE *quiet;               /* ranks other than 0: their output goes here (/dev/null) */
    int saved, save_existed;   /* this run saved a checkpoint; --save existed before it */
    uint64_t saved_step;       /* the step of the last one saved */
} run_state;

/* Bits per symbol per unit of loss per sequence: 1 / (tau ln 2) for nll, 0 for mse. */
static double bits_per_loss(const run_state *r)
{
    return r->spec.loss == RNNC_LOSS_NLL ? 1 / ((double)r->spec.tau * log(2.0)) : 0;
}

/* The terminal's width in columns: o->columns (COLUMNS), else the window's, else 0 (unknown:
 * no limit).  Asked at every draw, so a resized window is followed. */
static size_t terminal_width(const rnnc_train_opts *o)
{
    if (o->columns) return o->columns;
    struct winsize ws;
    if (ioctl(fileno(o->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 0;
}

/* The progress line (rnnc_progress_line): on a terminal it replaces the line in place, fitted
 * to the window's width (final: then ends it); otherwise it is a line of its own.  report: the
 * mean shown starts again after this line (a report every --every steps; a terminal's redraws
 * in between keep accumulating it). */
static void progress(run_state *r, int final, int report)
{
    const rnnc_train_opts *o = r->o;
    double el = now_s() - r->t0, done = (double)(r->ck.step - r->step0);
    double rate = el > 0 ? done / el : 0;
    rnnc_progress p = {r->ck.step, o->steps, r->spec.loss == RNNC_LOSS_NLL, r->ck.smooth_loss,
                       r->shown_n ? r->shown_sum / (double)r->shown_n : r->shown_mean, bits_per_loss(r), rate,
                       (double)(r->spec.tau * r->spec.batch),
                       rate > 0 ? (double)(o->steps - r->ck.step) / rate : -1, r->valid_loss};
    char line[512];
    rnnc_progress_line(&p, o->tty ? terminal_width(o) : 0, line, sizeof line);
    if (o->tty) fprintf(o->out, "\r\033[K%s%s", line, final ? "\n" : "");
    else fprintf(o->out, "%s\n", line);
    fflush(o->out);
    if (report && r->shown_n) r->shown_mean = r->shown_sum / (double)r->shown_n, r->shown_sum = 0, r->shown_n = 0;
}

/* The header of the --log file: the columns of rnnc before the raw losses (so tools that read
 * them by name still do), then the validation's (--valid), then the loss of the row's step and
 * the mean since the previous row. */
static const char *log_header(const rnnc_train_opts *o)
{
    return o->valid ? "step,loss,bpc,lr,seconds,valid_loss,valid_bpc,last_loss,mean_loss,mean_bpc\n"
                    : "step,loss,bpc,lr,seconds,last_loss,mean_loss,mean_bpc\n";
}

/* One row of --log (log_header's columns), written whole (never part of it); the first
 * failure is reported once on o->diag, and the log stops there while training goes on.  The
 * mean since the previous row starts again. */
static void log_row(run_state *r)
{
    double mean = r->logged_n ? r->logged_sum / (double)r->logged_n : r->ck.last_loss, bits = bits_per_loss(r);
    r->logged_sum = 0;
    r->logged_n = 0;
    if (r->log_fd < 0 || r->log_errno) return;
    char row[400], valid[96] = "";
    if (r->o->valid && isfinite(r->valid_loss))
        snprintf(valid, sizeof valid, ",%.9g,%.9g", r->valid_loss, r->valid_loss * bits);
    else if (r->o->valid)
        snprintf(valid, sizeof valid, ",,");
    int n = snprintf(row, sizeof row, "%llu,%.9g,%.9g,%.9g,%.3f%s,%.9g,%.9g,%.9g\n", (unsigned long long)r->ck.step,
                     r->ck.smooth_loss, r->ck.smooth_loss * bits, r->ck.hp.lr, now_s() - r->t0, valid,
                     r->ck.last_loss, mean, mean * bits);
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
    size_t rs = l->real_size, K = rnnc_recurrences[s->rec].has_R ? s->n_out : 0, H = s->hidden;
    memcpy(st, (const char *)s0 + (l->s0_h + b * H) * rs, H * rs);
    if (K) memcpy((char *)st + H * rs, (const char *)s0 + (l->s0_fb + b * K) * rs, K * rs);
    if (rnnc_cells[s->cell].has_c) /* the LSTM's c follows h (and fb) in a column's state */
        memcpy((char *)st + (H + K) * rs, (const char *)s0 + (l->s0_c + b * H) * rs, H * rs);
}

/* A 200-symbol sample from stream 0's carried state and its next input, or three records
 * from the initial state (--records), between "----" lines; a private RNG seeded by (seed,
 * step), so that sampling never changes the training run. */
static void print_sample(run_state *r)
{
    if (!r->data.text || !r->writer) return;
    const rnnc_spec *s = &r->spec;
    /* One column's state (rnnc_sample): h, then fb with an output recurrence, then r. */
    void *h = calloc(r->ck.layout.s0_count / s->batch + 1, r->ck.layout.real_size);
    if (!h) return;
    rnnc_sample_opts so = {200, 1.0, 0, r->ck.seed ^ (r->ck.step * 0x9e3779b97f4a7c15ull), 3};
    FILE *out = r->o->out;
    if (r->o->tty) fputs("\r\033[K", out);
    fputs("----\n", out);
    if (r->data.records) {
        rnnc_sample_records(r->model, r->ck.params, r->ck.learn_h0 ? r->ck.h0 : NULL, &r->data.vocab,
                            r->data.records == RNNC_RECORDS_PARAGRAPHS ? "\n\n" : "\n", &so, out);
    } else {
        column_state(s, &r->ck.layout, r->ck.s0, 0, h);
        uint64_t pos = r->ck.positions[0];
        int32_t start = rnnc_ids_at(&r->data.ids, pos < r->data.len ? pos : 0);
        rnnc_sample(r->model, r->ck.params, &r->data.vocab, h, NULL, 0, start, &so, out);
        fputs("\n", out);
    }
    fputs("----\n", out);
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

static int save_here(run_state *r, char *err, size_t errlen)
{
    /* A step with a finite loss can still update the weights (or the optimiser state, a
     * learned h(0)) to Inf/NaN: never save what the loader would refuse over the last good
     * checkpoint. */
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

/* Save the checkpoint (--save): rank 0 writes it (every rank holds the same state), and under
 * MPI every rank learns whether that worked (so all of them stop if it did not).  0, or 1
 * with err set. */
static int save(run_state *r, char *err, size_t errlen)
{
    if (!r->o->save) return 0;
    int rc = r->writer ? save_here(r, err, errlen) : 0;
    return rnnc_dist_active() ? rnnc_dist_agree(rc, 0, err, errlen) : rc;
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

/* Settle the spec: the user's options, training defaults, and the data's sizes (text: its
 * symbols and the records' boundary symbol; CSV: its inputs and targets). */
static int settle_spec(const rnnc_train_opts *o, const rnnc_dataset *d, rnnc_spec *s, char *err,
                       size_t errlen)
{
    size_t n_in = d->n_in, n_out = d->n_out, classes = d->vocab.size + (size_t)d->has_end_symbol;
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
        snprintf(v, sizeof v, "%zu", classes);
        if (rnnc_spec_has(&b, "vocab")) {
            if (b.spec.n_in != classes) {
                rnnc_fail(err, errlen, "--vocab: the data has %zu distinct symbols%s, not %zu",
                          d->vocab.size, d->has_end_symbol ? " and the records' boundary symbol" : "", b.spec.n_in);
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
                            l.s0_bytes, l.opt_bytes};
    uint64_t train = 0, state = 0, data;
    for (int i = 0; i < 7; i++) train += ((uint64_t)bufs[i] + 63) / 64 * 64;
    if (!have_state)
        state = (uint64_t)l.params_bytes + l.opt_bytes + l.s0_bytes + r->spec.batch * 16 +
                (r->o->learn_h0 ? 3 * (uint64_t)r->spec.hidden * l.real_size : 0);
    data = r->data.text ? (uint64_t)r->data.ids.len * r->data.ids.width
                        : (uint64_t)r->data.len * (r->data.n_in + r->data.n_out) * sizeof(double);
    data += (uint64_t)r->data.nrec * 4 * sizeof(size_t);
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

/* The CLI status of a failed library call: 1 when memory ran out (a runtime failure), else
 * 2 (bad input). */
static int input_status(int rc) { return rc == RNNC_ENOMEM ? 1 : 2; }

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

/* The options that need records (--end, --learn-h0, --end-symbol, --max-record) and the
 * records of a resumed run (the checkpoint's): 0, or 2 with a message naming the option.
 * end: the run's --end (the options' or the checkpoint's). */
static int check_record_options(const rnnc_train_opts *o, const rnnc_ckpt *resumed, rnnc_end end,
                                char *err, size_t errlen)
{
    static const char *const how[] = {"none", "--records lines", "--records paragraphs", "--sequence-column"};
    rnnc_records rec = resumed ? resumed->records : o->records;
    if (resumed && o->records_set && (o->records != resumed->records ||
                                      (o->seq_column && strcmp(o->seq_column, resumed->seq_column) != 0)))
        return rnnc_fail(err, errlen, "%s: the checkpoint was trained %s%s%s", o->records == RNNC_RECORDS_CSV ?
                         "--sequence-column" : "--records", resumed->records ? "on records, " : "on one stream",
                         resumed->records ? how[resumed->records] : "", resumed->records == RNNC_RECORDS_CSV ?
                         resumed->seq_column : ""), 2;
    if (resumed && o->learn_h0 && !resumed->learn_h0)
        return rnnc_fail(err, errlen, "--learn-h0: the checkpoint was trained without it"), 2;
    if (rec == RNNC_RECORDS_NONE) {
        const char *opt = end != RNNC_END_NONE ? "--end" : o->learn_h0 ? "--learn-h0" :
                          o->has_end_symbol ? "--end-symbol" : o->max_record ? "--max-record" : NULL;
        if (opt)
            return rnnc_fail(err, errlen, "%s: only for data cut into records (give --records lines|"
                             "paragraphs for text, --sequence-column COL for a CSV file)", opt), 2;
    }
    if (o->has_end_symbol && (rec == RNNC_RECORDS_CSV || resumed))
        return rnnc_fail(err, errlen, "--end-symbol: %s", resumed ? "the checkpoint has its own" :
                         "a CSV file's records have no symbols"), 2;
    if (o->valid_every && !o->valid)
        return rnnc_fail(err, errlen, "--valid-every: give the held-out data with --valid FILE"), 2;
    return 0;
}

/* Are the data files read as CSV whatever their names?  With --csv; and standard input ("-")
 * when resuming a dense model's checkpoint (its data can only be a CSV). */
static int data_is_csv(const rnnc_train_opts *o, const rnnc_ckpt *resumed)
{
    int stdin_data = 0;
    for (size_t i = 0; i < o->ndata; i++) stdin_data |= strcmp(o->data[i], "-") == 0;
    return o->csv || (stdin_data && resumed && !resumed->spec.onehot);
}

/* The options of reading the training data (or, with valid set, the --valid file): the
 * checkpoint's vocabulary, records and end symbol when resuming, else the options'. */
static rnnc_dataset_opts data_opts(const rnnc_train_opts *o, const rnnc_ckpt *resumed, rnnc_end end,
                                   size_t max_length, const char *const *valid)
{
    rnnc_dataset_opts d;
    memset(&d, 0, sizeof d);
    d.files = valid ? valid : o->data;
    d.nfiles = valid ? 1 : o->ndata;
    d.csv = data_is_csv(o, resumed);
    d.builtin = rnnc_corpus_corpus_txt;
    d.chars = o->chars;
    d.vocab = resumed ? &resumed->vocab : NULL;
    d.targets = o->targets;
    d.records = resumed ? resumed->records : o->records;
    d.seq_column = resumed ? resumed->seq_column : o->seq_column;
    d.eos = end == RNNC_END_EOS;
    d.has_end_symbol = resumed ? resumed->has_end_symbol : o->has_end_symbol;
    d.end_symbol = resumed ? resumed->end_symbol : o->end_symbol;
    d.max_record = o->max_record;
    d.max_length = rnnc_ends[end].has_length ? max_length : 0;
    return d;
}

/* Phase 1, validate the inputs: load the checkpoint to resume (into *resumed, setting
 * *have_resumed), check and lock the --save path (r->lock_fd), check the options and the data
 * files against each other and against the checkpoint, and load the data into r->data (with
 * the checkpoint's vocabulary and records when resuming).  RUN_GO, or 2 (bad input, err
 * set), 1 (failure, err set), 130 / 143 (a signal came). */
static int phase_validate(run_state *r, rnnc_ckpt *resumed, int *have_resumed, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    int rc;
    if (o->resume) {
        if ((rc = rnnc_ckpt_load(resumed, o->resume, err, errlen)) != 0) return input_status(rc);
        *have_resumed = 1;
    }
    if (o->save && r->writer && (rc = check_save_dir(o->save, err, errlen)) != 0) return rc;
    r->save_existed = o->save && access(o->save, F_OK) == 0;
    /* One writer per checkpoint: a second trainer with the same --save is refused here. */
    if (o->save && r->writer && (r->lock_fd = rnnc_lock_output(o->save, err, errlen)) < 0) {
        rnnc_fail(err, errlen, "--save: %s", err);
        return 2;
    }
    const rnnc_ckpt *from = *have_resumed ? resumed : NULL;
    int csv = o->ndata > 0 && (data_is_csv(o, from) || rnnc_dataset_is_csv(o->data[0]));
    if (from && from->spec.onehot == csv) {
        rnnc_fail(err, errlen, "%s: the checkpoint is a %s model; the data is %s", o->resume,
                  from->spec.onehot ? "one-hot (text)" : "dense (CSV)", csv ? "CSV" : "text");
        return 2;
    }
    if (from && o->chars_set && from->spec.onehot && o->chars != from->vocab.mode) {
        rnnc_fail(err, errlen, "--chars: the checkpoint was trained with --chars %s",
                  from->vocab.mode == RNNC_CHARS_UTF8 ? "utf8" : "bytes");
        return 2;
    }
    rnnc_end end = from ? from->spec.end : o->spec.spec.end;
    size_t maxlen = from ? from->spec.max_length : o->spec.spec.max_length;
    if ((rc = check_record_options(o, from, end, err, errlen)) != 0) return rc;
    if (!from && (rc = check_spec_early(o, err, errlen)) != 0) return rc;
    r->dopts = data_opts(o, from, end, maxlen, NULL);
    if ((rc = rnnc_dataset_load(&r->dopts, &r->data, err, errlen)) != 0) return rc;
    return stop_signal ? stopped_before_start(o) : RUN_GO;
}

/* The model feeds back a choice between the data and a sample (10.11s), drawn per step. */
static int scheduled(const rnnc_spec *s)
{
    return rnnc_recurrences[s->rec].has_R && rnnc_feedbacks[s->fb].needs_ctl;
}

/* A resumed run's data must fit the checkpoint's model: RUN_GO, or 2 with a message. */
static int check_resumed_data(const run_state *r, char *err, size_t errlen)
{
    const rnnc_spec *s = &r->spec;
    if (r->data.text && s->n_in != r->data.vocab.size + (size_t)r->data.has_end_symbol)
        return rnnc_fail(err, errlen, "%s: corrupt vocabulary", r->o->resume), 2;
    if (!r->data.text && (s->n_in != r->data.n_in || s->n_out != r->data.n_out))
        return rnnc_fail(err, errlen, "DATA: the CSV gives %zu inputs and %zu outputs; the checkpoint's "
                         "model has %zu and %zu", r->data.n_in, r->data.n_out, s->n_in, s->n_out), 2;
    return RUN_GO;
}

/* Phase 2a, the spec (r->spec): the checkpoint's when resuming (options the user gave must
 * describe the same model, and the data must fit it), else the options settled with the
 * data's sizes; a stream must hold at least one chunk; only scheduled sampling has a
 * schedule.  RUN_GO or 2 with err set. */
static int phase_spec(run_state *r, const rnnc_ckpt *resumed, int have_resumed, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    if (have_resumed) {
        rnnc_spec want;
        r->spec = resumed->spec;
        if (o->spec.set) {
            /* Options the user gave must agree with the checkpoint. */
            if (settle_spec(o, &r->data, &want, err, errlen) != 0) return 2;
            if (!same_spec(&want, &r->spec)) {
                char have[512];
                rnnc_spec_format(&r->spec, have, sizeof have);
                rnnc_fail(err, errlen, "--resume: the options describe a different model than "
                          "the checkpoint's (%s)", have);
                return 2;
            }
        } else if (check_resumed_data(r, err, errlen) != RUN_GO) {
            return 2;
        }
    } else if (settle_spec(o, &r->data, &r->spec, err, errlen) != 0) {
        return 2;
    }
    if (!r->data.records && r->data.len < r->spec.tau + r->data.look) {
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

/* Phase 2b, data parallelism (shards.h): under mpirun every rank must have read the same
 * data and checkpoint and settled the same model and options (else one line naming what
 * differs and the first rank that does); then the shares of the batch, --shards N on one
 * process or one per rank (a batch they do not divide is refused).  RUN_GO, or 2 (1) with
 * err set. */
static int phase_dist(run_state *r, const rnnc_ckpt *resumed, int have_resumed, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    int rc = rnnc_shards_check(o, &r->data, have_resumed ? resumed : NULL, &r->spec, err, errlen);
    if (rc != 0) return rc;
    int learn_h0 = have_resumed ? resumed->learn_h0 : o->learn_h0;
    rc = rnnc_shards_plan(&r->shards, &r->spec, o->shards, learn_h0, scheduled(&r->spec), err, errlen);
    if (rc == 0) rc = check_memory(r, have_resumed, err, errlen);
    return rc != 0 ? rc : RUN_GO;
}

/* A fresh training state for r->spec in r->ck: weights from the seed, the data's records
 * settings, h(0) zero (learned from there with --learn-h0), every column at its start.
 * RUN_GO, or 1 with err set (out of memory). */
static int fresh_state(run_state *r, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    r->ck.spec = r->spec;
    r->ck.learn_h0 = o->learn_h0;
    if (rnnc_ckpt_alloc(&r->ck, err, errlen) != 0) return 1;
    settle_hparams(o, NULL, &r->ck.hp);
    r->ck.seed = o->seed;
    r->ck.rng = o->seed;
    rnnc_init_weights(&r->spec, &r->ck.layout, r->ck.params, &r->ck.rng);
    r->ck.smooth_loss = NAN;   /* the first loss starts it (rnnc_smooth_next) */
    r->ck.data_len = r->data.len;
    r->ck.data_hash = r->data.hash;
    r->ck.records = r->data.records;
    snprintf(r->ck.seq_column, sizeof r->ck.seq_column, "%s", o->seq_column ? o->seq_column : "");
    r->ck.has_end_symbol = r->data.has_end_symbol;
    r->ck.end_symbol = r->data.end_symbol;
    rnnc_batch_restart(&r->batch);
    return RUN_GO;
}

/* The columns of a resumed checkpoint whose data is the data read (same length and
 * fingerprint): with records, each column's record exists and its position is inside the
 * record's steps (the loader cannot know the records; a crafted file could point past them).
 * RUN_GO, or 2 with "PATH: corrupt checkpoint (...)". */
static int check_resumed_columns(const run_state *r, char *err, size_t errlen)
{
    if (!r->data.records) return RUN_GO;
    for (size_t c = 0; c < r->ck.spec.batch; c++) {
        uint64_t rec = r->ck.record[c];
        if (rec >= r->data.nrec)
            return rnnc_fail(err, errlen, "%s: corrupt checkpoint (column %zu is in record %llu; the data "
                             "has %zu)", r->o->resume, c, (unsigned long long)rec, r->data.nrec), 2;
        size_t steps = rnnc_dataset_record_steps(&r->data, (size_t)rec);
        if (r->ck.positions[c] >= steps)
            return rnnc_fail(err, errlen, "%s: corrupt checkpoint (column %zu is %llu steps into record %llu, "
                             "which has %zu)", r->o->resume, c, (unsigned long long)r->ck.positions[c],
                             (unsigned long long)rec, steps), 2;
    }
    return RUN_GO;
}

/* Phase 2b, the training state r->ck: the resumed checkpoint (taken over from *resumed, which
 * is cleared and *have_resumed reset; its columns restart when the data changed), or a fresh
 * one.  The optimiser settings and the schedule are settled, the vocabulary is a view of the
 * data's.  RUN_GO; 0 when the run is already at --steps (nothing to do); 1 with err set when
 * memory runs out; 2 for a schedule out of range, or a resumed checkpoint whose columns point
 * past the records of its data (check_resumed_columns). */
static int phase_state(run_state *r, rnnc_ckpt *resumed, int *have_resumed, char *err,
                       size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    if (rnnc_batch_init(&r->batch, &r->data, &r->ck) != 0) return rnnc_fail(err, errlen, "out of memory"), 1;
    if (*have_resumed) {
        r->ck = *resumed;
        *have_resumed = 0; /* owned by r->ck now; its vocabulary is the data's from here on */
        memset(resumed, 0, sizeof *resumed);
        rnnc_vocab_free(&r->ck.vocab);
        settle_hparams(o, &r->ck, &r->ck.hp);
        if (r->ck.data_len != r->data.len || r->ck.data_hash != r->data.hash) {
            fprintf(o->out, "note: the data differs from the checkpoint's; %s\n", r->data.records ?
                    "the columns restart with the first records drawn" : "streams restart at evenly spaced offsets");
            rnnc_batch_restart(&r->batch);
            r->ck.data_len = r->data.len;
            r->ck.data_hash = r->data.hash;
        } else if (check_resumed_columns(r, err, errlen) != RUN_GO) {
            return 2;
        }
    } else if (fresh_state(r, err, errlen) != RUN_GO) {
        return 1;
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
    /* Data parallel: the model of one share of the batch (shards.h). */
    const rnnc_spec *ms = r->shards.count ? &r->shards.spec : &r->spec;
    if (rnnc_model_load(&r->tcc, ms, first, err, errlen) != 0)
        return stop_signal ? stopped_before_start(o) : 1;
    show_cc_notices(o);
    r->have_tcc = 1;
    r->model = &r->tcc;
    r->threads = rnnc_model_set_threads(r->model, rnnc_shards_threads(&r->shards, o->threads), err, errlen);
    if (r->threads < 0) return 1;
    if (o->backend == RNNC_RUN_AUTO) {
        r->job = calloc(1, sizeof *r->job);
        if (r->job) {
            r->job->spec = *ms;
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

/* Phase 3b, --valid: read the held-out data as the training data is read (its vocabulary,
 * records and end symbol) and build its evaluation model (batch 1; an output recurrence runs
 * free when it was trained free or with scheduled sampling, teacher-forced when it was
 * trained so; on cc with --backend cc, else on tcc).  RUN_GO, 2 (bad data), 1 (compile). */
static int phase_valid(run_state *r, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    r->valid_loss = NAN;
    if (!o->valid) return RUN_GO;
    rnnc_dataset_opts v = r->dopts;
    const char *files[1] = {o->valid};
    v.files = files;
    v.nfiles = 1;
    v.vocab = r->data.text ? &r->data.vocab : NULL;
    v.has_end_symbol = r->data.has_end_symbol;
    v.end_symbol = r->data.end_symbol;
    v.seq_column = r->data.records == RNNC_RECORDS_CSV ? r->ck.seq_column : NULL;
    int rc = rnnc_dataset_load(&v, &r->valid, err, errlen);
    if (rc != 0) return rc;
    if (!r->valid.text && (r->valid.n_in != r->spec.n_in || r->valid.n_out != r->spec.n_out))
        return rnnc_fail(err, errlen, "--valid: %s gives %zu inputs and %zu outputs; the model has %zu and %zu",
                         o->valid, r->valid.n_in, r->valid.n_out, r->spec.n_in, r->spec.n_out), 2;
    if (!r->valid.records && r->valid.len <= r->valid.look)
        return rnnc_fail(err, errlen, "--valid: %s is too short to predict anything", o->valid), 2;
    rnnc_feedback fb = r->spec.fb == RNNC_FB_TEACHER ? RNNC_FB_TEACHER : RNNC_FB_FREE;
    if (rnnc_eval_open(&r->veval, &r->spec, fb, o->backend == RNNC_RUN_CC ? RNNC_BACKEND_CC : RNNC_BACKEND_TCC,
                       err, errlen) != 0)
        return stop_signal ? stopped_before_start(o) : 1;
    r->have_valid = 1;
    return RUN_GO;
}

/* The loss of the --valid data now, per chunk of tau steps (as the training loss is shown)
 * into r->valid_loss. */
static void run_valid(run_state *r)
{
    rnnc_eval_result res;
    char err[256];
    if (rnnc_eval_run(&r->veval, r->ck.params, r->ck.learn_h0 ? r->ck.h0 : NULL, &r->valid, 0, &res, err,
                      sizeof err) != 0 || res.steps == 0) {
        r->valid_loss = NAN;
        return;
    }
    r->valid_loss = res.loss / (double)res.steps * (double)r->spec.tau;
    rnnc_eval_result_free(&res);
}

/* Phase 4, open the --log file (r->log_fd; its header when new).  RUN_GO, 2 with err set
 * (a path that cannot be a log), or 130 / 143 when a signal came before the first step. */
static int phase_log(run_state *r, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    if (o->log && (r->log_fd = rnnc_log_open(o->log, log_header(o), err, errlen)) < 0)
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
        if (r->shards.count) r->shards.ctl[i] = u1 < eps ? -1.0 : u2; /* each share takes its columns' */
        else rnnc_set(r->buf.ws, s->dtype, l->ws_ctl + i, u1 < eps ? -1.0 : u2);
    }
}

/* A step whose loss is not finite stops the run (nothing was updated).  Returns 1, err set. */
static int loss_not_finite(const run_state *r, double loss, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    char note[4200];
    if (o->tty) fputc('\n', o->out);
    rnnc_fail(err, errlen, "the loss became %s at step %llu; stopping (lower --lr, or "
              "clip with --clip / --clip-norm)%s", isnan(loss) ? "NaN" : "infinite",
              (unsigned long long)r->ck.step + 1, kept_note(r, note, sizeof note));
    return 1;
}

/* After a step's update: the step and the losses. */
static void step_done(run_state *r, double loss)
{
    r->ck.step++;
    /* The loss of a chunk of tau steps per column (records: of the steps that carry one). */
    double per_seq = r->live ? loss * (double)r->spec.tau / (double)r->live : 0;
    r->ck.last_loss = per_seq;
    r->ck.smooth_loss = rnnc_smooth_next(r->ck.smooth_loss, per_seq, r->ck.step);
    r->shown_sum += per_seq, r->shown_n++;
    r->logged_sum += per_seq, r->logged_n++;
}

/* One data-parallel training step (shards.h): this process's shares of the batch, the
 * exchange with the other ranks, the update; the stop request that every rank saw goes to
 * r->agreed_stop.  RUN_GO, or 1 with err set (a loss that is not finite: nothing was
 * updated; a failed exchange). */
static int train_shared_step(run_state *r, char *err, size_t errlen)
{
    int stop = stop_signal, status = 0;
    r->ck.hp.bias1 = 1 - pow(r->ck.hp.beta1, (double)(r->ck.step + 1));
    r->ck.hp.bias2 = 1 - pow(r->ck.hp.beta2, (double)(r->ck.step + 1));
    if (scheduled(&r->spec)) fill_schedule(r);
    double loss = rnnc_shards_step(&r->shards, &r->batch, r->model, &r->buf, &stop, &r->live, &status, err, errlen);
    if (status) return 1;
    r->agreed_stop = stop;
    if (!isfinite(loss)) return loss_not_finite(r, loss, err, errlen);
    step_done(r, loss);
    return RUN_GO;
}

/* One training step: fill the batch, call the generated train step, update a learned h(0),
 * carry the final state of every column into the next chunk, advance the columns, the step
 * and the losses (data parallel: train_shared_step).
 * RUN_GO, or 1 with err set when the loss is not finite (nothing is updated then). */
static int train_one_step(run_state *r, char *err, size_t errlen)
{
    if (r->shards.count) return train_shared_step(r, err, errlen);
    r->live = rnnc_batch_fill(&r->batch, r->buf.x, r->buf.y, r->buf.ws);
    r->ck.hp.bias1 = 1 - pow(r->ck.hp.beta1, (double)(r->ck.step + 1));
    r->ck.hp.bias2 = 1 - pow(r->ck.hp.beta2, (double)(r->ck.step + 1));
    if (scheduled(&r->spec)) fill_schedule(r);
    double loss = rnnc_model_train_step(r->model, r->ck.params, r->buf.grads, r->ck.opt, r->buf.x,
                                        r->buf.y, r->ck.s0, r->buf.ws, &r->ck.hp);
    if (!isfinite(loss)) return loss_not_finite(r, loss, err, errlen);
    /* The learned h(0), then the final state (s1: h(tau), fb(tau)) of every column carried
     * into the next chunk (truncated BPTT), the columns moved on. */
    rnnc_batch_update_h0(&r->batch, r->buf.ws);
    rnnc_batch_advance(&r->batch, r->buf.ws);
    step_done(r, loss);
    return RUN_GO;
}

/* Are samples drawn by time (every o->sample_seconds seconds of training: --sample-every Ts,
 * or a terminal without --sample-every) rather than by steps? */
static int sample_by_time(const rnnc_train_opts *o)
{
    return o->sample_seconds > 0 && (o->sample_every_set || o->tty);
}

/* Is a sample due after this step?  By time (next_sample), or every o->sample_every steps (0:
 * never). */
static int sample_due(run_state *r)
{
    const rnnc_train_opts *o = r->o;
    if (!sample_by_time(o)) return o->sample_every && r->ck.step % o->sample_every == 0;
    double t = now_s();
    if (t < r->next_sample) return 0;
    r->next_sample = t + o->sample_seconds;
    return 1;
}

/* After a step: the log row (every --log-every steps, at the last, and with a validation) and
 * the progress line (every --every steps; on a terminal redrawn at most every 0.1 s), a sample,
 * the checkpoint (every --every steps and at the last), and on SIGINT / SIGTERM a save and the
 * stop.  RUN_GO, or 1 with err set (a save failed), or 130 / 143 after a signal. */
static int after_step(run_state *r, double *last_draw, char *err, size_t errlen)
{
    const rnnc_train_opts *o = r->o;
    int rc, last = r->ck.step == o->steps, report = r->ck.step % o->every == 0 || last;
    uint64_t ve = o->valid_every ? o->valid_every : o->every, le = o->log_every ? o->log_every : o->every;
    int valid = r->have_valid && (r->ck.step % ve == 0 || last);
    r->valid_loss = NAN;
    if (valid) run_valid(r);
    if (r->ck.step % le == 0 || last || valid) log_row(r);
    if (o->tty) {
        double t = now_s();
        if (t - *last_draw > 0.1 || report || valid) {
            progress(r, 0, report);
            *last_draw = t;
        }
    } else if (report || valid) {
        progress(r, 0, report);
    }
    if (sample_due(r)) print_sample(r);
    if (report && (rc = save(r, err, errlen)) != 0) return rc;
    /* Data parallel: the request every rank saw in this step's exchange (a signal that came
     * later goes into the next one), so that all of them stop after the same step. */
    int stop = r->shards.count ? r->agreed_stop : stop_signal;
    if (stop) {
        if (!report && (rc = save(r, err, errlen)) != 0) return rc;
        if (o->tty) fputc('\n', o->out);
        fprintf(o->out, "stopped by %s at step %llu%s%s\n", stop == SIGINT ? "SIGINT" : "SIGTERM",
                (unsigned long long)r->ck.step, o->save ? "; saved " : "", o->save ? o->save : "");
        return stop == SIGINT ? 130 : 143;
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
    if (r->shards.count) rnnc_shards_describe(&r->shards, o->out);
    fflush(o->out);
    r->t0 = now_s();
    r->step0 = r->ck.step;
    r->next_sample = r->t0 + o->sample_seconds;
    r->shown_mean = NAN;
    double last_draw = 0;
    int rc;
    while (r->ck.step < o->steps) {
        switch_backend_if_ready(r);
        if ((rc = train_one_step(r, err, errlen)) != RUN_GO) return rc;
        if ((rc = after_step(r, &last_draw, err, errlen)) != RUN_GO) return rc;
    }
    if (o->tty) progress(r, 1, 1);
    /* A last sample, unless samples are off (--sample-every 0) or one was just printed. */
    if (r->data.text && (sample_by_time(o) || (o->sample_every && r->ck.step % o->sample_every != 0))) print_sample(r);
    if (r->shards.count) rnnc_shards_report(&r->shards, o->out);
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
    rnnc_batch_free(&r->batch);
    rnnc_dataset_free(&r->data);
    if (r->have_valid) rnnc_eval_close(&r->veval);
    rnnc_dataset_free(&r->valid);
    if (have_resumed) rnnc_ckpt_free(resumed);
    rnnc_unlock_output(o->save, r->lock_fd);
    rnnc_shards_free(&r->shards);
    if (r->quiet) fclose(r->quiet);
    signals_restore(handlers);
    return rc;
}

/* Under MPI the ranks agree after each phase (rnnc_dist_agree): the lowest rank that stops
 * decides for all, with its message, so that every rank leaves at the same point (the loop's
 * exits are the same on every rank by construction: the step, the loss and the stop request
 * are shared, and save agrees).  A signal that stopped another rank before the first step
 * stops this one too.  The status to go on with. */
static int together(run_state *r, int rc, char *err, size_t errlen)
{
    if (!rnnc_dist_active()) return rc;
    int all = rnnc_dist_agree(rc, RUN_GO, err, errlen);
    if (rc == RUN_GO && (all == 130 || all == 143)) {
        stop_signal = all == 130 ? SIGINT : SIGTERM;
        return stopped_before_start(r->o);
    }
    return all;
}

/* The options of a rank other than 0 (o, rewritten in place): it writes nothing (no log,
 * checkpoint or samples: rank 0 does; save() keeps --save's path, the writer flag gates it),
 * evaluates no --valid data and prints nothing (to quiet: /dev/null). */
static void follower_opts(rnnc_train_opts *o, FILE *quiet)
{
    o->log = NULL;
    o->valid = NULL;
    o->valid_every = 0;
    o->log_every = 0;
    o->sample_every = 0;
    o->sample_seconds = 0;
    o->tty = 0;
    if (quiet) o->out = o->diag = quiet;
}

int rnnc_train_run(const rnnc_train_opts *o, char *err, size_t errlen)
{
    run_state r;
    rnnc_ckpt resumed;
    rnnc_train_opts follower;
    int have_resumed = 0, rc;
    memset(&r, 0, sizeof r);
    memset(&resumed, 0, sizeof resumed);
    if (err && errlen) err[0] = '\0';
    r.writer = rnnc_dist_rank() == 0;
    if (!r.writer) {
        follower = *o;
        r.quiet = fopen("/dev/null", "w");
        follower_opts(&follower, r.quiet);
        o = &follower;
    }
    r.o = o;
    r.log_fd = -1;
    r.lock_fd = -1;
    /* Signals first of all, so that one during anything slow below is seen (and cancels a cc
     * compile under way). */
    saved_handlers handlers;
    signals_install(&handlers);
    if ((rc = together(&r, phase_validate(&r, &resumed, &have_resumed, err, errlen), err, errlen)) == RUN_GO &&
        (rc = together(&r, phase_spec(&r, &resumed, have_resumed, err, errlen), err, errlen)) == RUN_GO &&
        (rc = together(&r, phase_dist(&r, &resumed, have_resumed, err, errlen), err, errlen)) == RUN_GO &&
        (rc = together(&r, phase_state(&r, &resumed, &have_resumed, err, errlen), err, errlen)) == RUN_GO &&
        (rc = together(&r, phase_backends(&r, err, errlen), err, errlen)) == RUN_GO &&
        (rc = together(&r, phase_valid(&r, err, errlen), err, errlen)) == RUN_GO &&
        (rc = together(&r, phase_log(&r, err, errlen), err, errlen)) == RUN_GO)
        rc = phase_loop(&r, err, errlen);
    return run_cleanup(&r, rc, &resumed, have_resumed, &handlers, err, errlen);
}
