/* bench.c: time the generated train_step (see bench.h). */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../gen/gen.h"
#include "../base/rng.h"
#include "../base/util.h"
#include "../model/model.h"

void rnnc_bench_defaults(rnnc_bench_opts *o)
{
    memset(o, 0, sizeof *o);
    o->backend = RNNC_BACKEND_TCC;
    o->optim = RNNC_OPTIM_ADAGRAD;
    o->reps = 20;
    o->seconds = 1.0;
    o->threads = 1;
    o->seed = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double rnnc_bench_flops(const rnnc_spec *s)
{
    double H = (double)s->hidden, K = (double)s->n_out, N = (double)s->n_in;
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    double G = (double)rnnc_cells[s->cell].gates;
    /* forward V h; backward V^T g_o, grad_V: 3 K*H; with W, W h, W^T d, grad_W: 3 G H*H (G
     * gates stacked: 1, or 3 and 4 for the GRU and LSTM). */
    double macs = 3 * K * H + (rec->has_W ? 3 * G * H * H : 0);
    if (!s->onehot) macs += 2 * G * H * N;   /* U x and grad_U */
    if (rec->has_R) {
        /* R fb(t-1) and grad_R: column reads and updates when fb is one-hot (teacher forcing
         * or scheduled sampling with nll), else products; R^T d(t+1) when running free. */
        int onehot_fb = s->loss == RNNC_LOSS_NLL && s->fb != RNNC_FB_FREE;
        macs += (onehot_fb ? 0 : 2 * H * K) + (s->fb == RNNC_FB_FREE ? H * K : 0);
    }
    return 2 * macs * (double)s->tau * (double)s->batch;
}

/* The size of the generated translation unit (as the backends compile it) of s at tau. */
static int source_size(const rnnc_spec *s, size_t tau, size_t *bytes, char *err, size_t errlen)
{
    rnnc_spec t = *s;
    t.tau = tau;
    char *text = NULL;
    size_t len = 0;
    if (rnnc_gen_source(&t, 1, &text, &len, err, errlen) != 0) return -1;
    free(text);
    *bytes = len;
    return 0;
}

/* Is tau a valid unrolled length for s (within the limits, buffers included)? */
static int tau_ok(const rnnc_spec *s, size_t tau)
{
    if (tau < 1 || tau > RNNC_MAX_TAU) return 0;
    rnnc_spec t = *s;
    rnnc_layout l;
    char err[256];
    t.tau = tau;
    return rnnc_spec_layout(&t, &l, err, sizeof err) == 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* rnnc train's initialisation: weights N(0, 0.01^2) (Box-Muller), biases zero; then random
 * inputs and targets (class indices, or values in [-1, 1]); h(0) stays zero. */
static void fill_problem(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *b, uint64_t seed)
{
    uint64_t rng = seed;
    rnnc_init_weights(s, l, b->params, &rng);
    for (size_t i = 0; i < l->x_count; i++) {
        if (s->onehot) ((int32_t *)b->x)[i] = (int32_t)rnnc_rand_below(&rng, s->n_in);
        else rnnc_set(b->x, s->dtype, i, rnnc_rand_uniform(&rng, -1, 1));
    }
    for (size_t i = 0; i < l->y_count; i++) {
        if (s->loss == RNNC_LOSS_NLL) ((int32_t *)b->y)[i] = (int32_t)rnnc_rand_below(&rng, s->n_out);
        else rnnc_set(b->y, s->dtype, i, rnnc_rand_uniform(&rng, -1, 1));
    }
}

/* The generated source's size at s->tau and at a neighbouring tau (r->tau1: tau + 1, or
 * tau - 1 at the limit, 0 when neither is valid), and the bytes per time step between them.
 * Returns 0, or -1 with a message. */
static int measure_source(const rnnc_spec *s, rnnc_bench_result *r, char *err, size_t errlen)
{
    if (source_size(s, s->tau, &r->src_bytes, err, errlen) != 0) return -1;
    r->tau1 = tau_ok(s, s->tau + 1) ? s->tau + 1 : tau_ok(s, s->tau - 1) ? s->tau - 1 : 0;
    if (r->tau1) {
        if (source_size(s, r->tau1, &r->src_bytes_t1, err, errlen) != 0) return -1;
        r->bytes_per_step = ((double)r->src_bytes_t1 - (double)r->src_bytes) /
                            ((double)r->tau1 - (double)s->tau);
    }
    return 0;
}

/* Every batch column holds a record of exactly tau steps: NAME_WS_SEQ's (end tau, first,
 * length tau) per column, in the workspace b->ws. */
static void fill_records(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *b)
{
    for (size_t c = 0; c < s->batch; c++) {
        rnnc_set(b->ws, s->dtype, l->ws_seq + 3 * c, (double)s->tau);
        rnnc_set(b->ws, s->dtype, l->ws_seq + 3 * c + 1, 1);
        rnnc_set(b->ws, s->dtype, l->ws_seq + 3 * c + 2, (double)s->tau);
    }
}

/* rnnc train's defaults (min-char-rnn's) with optimiser optim: lr 0.1, clip 5, eps 1e-8;
 * grad_scale 1/B.  Returns them. */
static rnnc_hparams bench_hparams(const rnnc_spec *s, int optim)
{
    rnnc_hparams hp;
    memset(&hp, 0, sizeof hp);
    hp.optim = optim;
    hp.lr = 0.1;
    hp.beta1 = 0.9;
    hp.beta2 = 0.999;
    hp.eps = 1e-8;
    hp.clip = 5;
    hp.grad_scale = 1.0 / (double)s->batch;
    return hp;
}

/* Make hp the optimiser's step number step: Adam's bias corrections 1 - beta^step. */
static void set_step(rnnc_hparams *hp, uint64_t step)
{
    hp->bias1 = 1 - pow(hp->beta1, (double)step);
    hp->bias2 = 1 - pow(hp->beta2, (double)step);
}

/* One train_step call on b's buffers.  Returns its loss. */
static double call_step(rnnc_model *m, rnnc_buffers *b, const rnnc_hparams *hp)
{
    return rnnc_model_train_step(m, b->params, b->grads, b->opt, b->x, b->y, b->s0, b->ws, hp);
}

/* The untimed calls: at least one, then up to 3 within 0.2 s, counted in r->warmup (and
 * *step); r->loss_first and r->loss_last are their first and last losses. */
static void warm_up(rnnc_model *m, rnnc_buffers *b, rnnc_hparams *hp, uint64_t *step, rnnc_bench_result *r)
{
    double w0 = now_s();
    do {
        set_step(hp, ++*step);
        double loss = call_step(m, b, hp);
        if (*step == 1) r->loss_first = loss;
        r->loss_last = loss;
        r->warmup++;
    } while (r->warmup < 3 && now_s() - w0 < 0.2);
}

/* The timed calls, until there have been o->reps of them and o->seconds have passed: each
 * call's seconds into *times (allocated and grown here; the caller frees it), their count in
 * r->reps, their span in r->total_s, the last loss in r->loss_last.  Returns 0, or -1 with a
 * message (out of memory). */
static int time_calls(rnnc_model *m, rnnc_buffers *b, rnnc_hparams *hp, uint64_t *step,
                      const rnnc_bench_opts *o, double **times, rnnc_bench_result *r, char *err, size_t errlen)
{
    size_t cap = 1024;
    if (!(*times = malloc(cap * sizeof **times))) return rnnc_fail(err, errlen, "out of memory for the timings");
    double t_start = now_s(), t_end = t_start;
    while (r->reps < o->reps || t_end - t_start < o->seconds) {
        if (r->reps == cap) {
            double *nt = realloc(*times, 2 * cap * sizeof **times);
            if (!nt) return rnnc_fail(err, errlen, "out of memory for the timings");
            *times = nt;
            cap *= 2;
        }
        set_step(hp, ++*step);
        double t0 = now_s();
        double loss = call_step(m, b, hp);
        t_end = now_s();
        (*times)[r->reps++] = t_end - t0;
        r->loss_last = loss;
    }
    r->total_s = t_end - t_start;
    return 0;
}

/* The statistics of r->reps (>= 1) timings in seconds, sorted here in place: r's median,
 * minimum, maximum and mean in microseconds, and GFLOP/s at the median. */
static void summarize(double *times, rnnc_bench_result *r)
{
    double sum = 0;
    for (uint64_t i = 0; i < r->reps; i++) sum += times[i];
    qsort(times, r->reps, sizeof *times, cmp_double);
    size_t n = r->reps;
    double med = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    r->median_us = med * 1e6;
    r->min_us = times[0] * 1e6;
    r->max_us = times[n - 1] * 1e6;
    r->mean_us = sum / (double)n * 1e6;
    r->gflops = med > 0 ? r->flops / med * 1e-9 : 0;
}

int rnnc_bench_run(const rnnc_spec *s, const rnnc_bench_opts *o, rnnc_bench_result *r,
                   char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (o->reps < 1 || !(o->seconds >= 0))
        return rnnc_fail(err, errlen, "bench: reps must be >= 1 and seconds >= 0");
    if (o->optim < RNNC_OPTIM_SGD || o->optim > RNNC_OPTIM_ADAM)
        return rnnc_fail(err, errlen, "bench: unknown optimiser");
    r->flops = rnnc_bench_flops(s);
    if (measure_source(s, r, err, errlen) != 0) return -1;

    rnnc_model m;
    if (rnnc_model_load(&m, s, o->backend, err, errlen) != 0) return -1;
    r->compile_ms = rnnc_jit_compile_ms(m.jit);
    r->parts = m.layout.parts;
    if ((r->threads = rnnc_model_set_threads(&m, o->threads, err, errlen)) < 0) {
        rnnc_model_unload(&m);
        return -1;
    }
    r->cache_hit = rnnc_jit_cache_hit(m.jit);
    rnnc_buffers b;
    if (rnnc_buffers_alloc(&b, &m.layout) != 0) {
        rnnc_model_unload(&m);
        return rnnc_fail(err, errlen, "out of memory for the benchmark's buffers");
    }
    fill_problem(s, &m.layout, &b, o->seed);
    if (o->records) fill_records(s, &m.layout, &b);

    rnnc_hparams hp = bench_hparams(s, o->optim);
    uint64_t step = 0;
    double *times = NULL;
    warm_up(&m, &b, &hp, &step, r);
    int rc = time_calls(&m, &b, &hp, &step, o, &times, r, err, errlen);
    if (rc == 0) summarize(times, r);
    free(times);
    rnnc_buffers_free(&b);
    rnnc_model_unload(&m);
    return rc;
}

int rnnc_bench_report(const rnnc_spec *s, const rnnc_bench_opts *o, const rnnc_bench_result *r,
                      FILE *out)
{
    char canon[512];
    rnnc_spec_format(s, canon, sizeof canon);
    fprintf(out, "bench %s\n", canon);
    fprintf(out, "backend %s: %s, compile_ms=%.1f\n", rnnc_backend_name(o->backend),
            o->backend == RNNC_BACKEND_CC
                ? (r->cache_hit ? "loaded from the cache (the time is the dlopen; set RNNC_CACHE_DIR to an empty directory for a cold compile)"
                                : "compiled (cache miss)")
                : "compiled in memory",
            r->compile_ms);
    if (r->tau1)
        fprintf(out, "source: source_bytes=%zu at tau %zu, %zu at tau %zu: bytes_per_step=%.0f\n",
                r->src_bytes, s->tau, r->src_bytes_t1, r->tau1, r->bytes_per_step);
    else
        fprintf(out, "source: source_bytes=%zu at tau %zu (no other tau to compare)\n", r->src_bytes, s->tau);
    fprintf(out, "flops_per_step=%.0f: 2 per multiply-add of the matrix products only (one-hot input "
            "free): forward W h, V h%s; backward V^T g_o, W^T d, grad_V, grad_W%s; times tau*B = %zu\n",
            r->flops, s->onehot ? "" : ", U x", s->onehot ? "" : ", grad_U", s->tau * s->batch);
    fprintf(out, "threads=%d (batch parts: %zu)\n", r->threads, r->parts);
    {
        rnnc_layout l;
        char err[256];
        if (rnnc_spec_layout(s, &l, err, sizeof err) == 0)
            fprintf(out, "memory: workspace_bytes=%zu, %zu segment(s) of %zu steps%s\n", l.ws_bytes, l.nseg,
                    l.seg, s->recompute ? ", h kept at segment starts, each segment recomputed" : "");
    }
    fprintf(out, "train_step: %s lr 0.1 clip 5 grad_scale 1/%zu, seed %llu, fixed random inputs, h(0) = 0; "
            "%llu warm-up calls, %llu timed calls in %.3f s (mean %.3f us); loss %.6g -> %.6g\n",
            rnnc_optim_name(o->optim), s->batch, (unsigned long long)o->seed,
            (unsigned long long)r->warmup, (unsigned long long)r->reps, r->total_s, r->mean_us,
            r->loss_first, r->loss_last);
    if (!isfinite(r->loss_last))
        fprintf(out, "note: the loss is not finite (%g): the timings may not be representative\n", r->loss_last);
    fprintf(out, "median_us=%.3f min_us=%.3f max_us=%.3f gflops=%.4f\n", r->median_us, r->min_us,
            r->max_us, r->gflops);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
