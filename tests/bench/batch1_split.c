/* tests/bench/batch1_split.c: does splitting the per-step matrix-vector product of a batch-1
 * vanilla RNN over two cores pay, and from which hidden size (issue 14, part 2)?
 *
 * For H in {100, 256, 512} it times tau dependent steps of
 *     forward:   h(t) = tanh(b + U e_x(t) + W h(t-1))      (one-hot input: a column gather)
 *     backward:  d(t) = (1 - h(t)^2) (.) (g(t) + W^T d(t+1))   (g(t) stands for V^T g_o(t))
 * in three ways:
 *   1T       one thread, no barrier;
 *   spin     two threads, each owning half of the rows of the product (it writes its half of
 *            h(t) or d(t)), then a sense-reversing spin barrier on C11 atomics before the next
 *            step reads all of the vector;
 *   pthread  the same with a pthread_barrier_t;
 * and the barriers alone (steps with no work, tiny vectors), and per H an exchange sweep: no
 * product, each step reads all of h(t-1) and writes its rows of h(t), so the two-thread times
 * are the barrier plus moving the halves of the vector between the cores.  Threads are pinned to CPUs 0 and 1 when
 * pthread_setaffinity_np allows (a note on stderr otherwise).
 *
 * The arithmetic mirrors the generated code (templates/rnn.c, batch 1): W column-major with
 * leading dimension H, the product as rnn_gemm_ld's one-column tiles of 128 rows (eight 512-bit
 * accumulators) summing over W's columns in order with explicit fmaf; the backward product uses a
 * stored W^T (rnn_transpose_weights' copy) in the same form; tanh is rnnc's rnn_tanhf
 * (templates/rnn_math.c, included).  The backward split is therefore a row split of W^T, not a
 * column split of W with two partial sums: every element of h(t) and d(t) is one fmaf chain over
 * j = 0..H-1 whichever thread computes it, so two threads give the bits of one thread (checked
 * with memcmp after every timed two-thread run; exit status 1 if not).  A column split would add
 * two half sums, a different rounding from the one-thread chain.
 *
 *   make bench-split                         (builds out/obj/bench/batch1_split and runs it)
 *   batch1_split [ROUNDS [TAU]]              (defaults 7 and 64)
 *
 * Build flags as rnnc's cc backend: -O3 -march=native -ffp-contract=off -fno-math-errno
 * -fno-trapping-math, plus -pthread.  Each round runs every variant once (interleaved, so load
 * from other jobs hits all of them alike) for about 10 ms; per variant the minimum and the median
 * over the rounds are printed in ns per step, and the speed-ups are same-run ratios of minima. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twocore.h"
#include "../../templates/rnn_math.c" /* rnn_tanhf: the generated code's tanh, same bits */

#define ALWAYS __attribute__((always_inline)) static inline
#define TR1 128  /* rows of a one-column tile: RNN_TR1 of templates/rnn.c */
#define VOCAB 65 /* columns of U (configs A and B) */
#define MAX_ROUNDS 64

static unsigned long long rng = 1;
/* A uniform float in [-a, a) (splitmix64). */
static float uniform(float a)
{
    unsigned long long z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return a * (float)((double)((z ^ (z >> 31)) >> 11) * 0x1.0p-52 - 1.0);
}

/* One problem: the parameters and the tau steps' vectors, each vector ld floats apart (ld = H
 * rounded up to 16, so the two threads' halves of a step never share a cache line). */
struct prob {
    size_t H, ld, tau;
    float *W, *WT, *U, *b; /* W, W^T: H x H column-major; U: H x VOCAB column-major */
    int *x;                /* x(t) at x[t - 1], t = 1..tau */
    float *g;              /* g(t) at g + (t - 1) ld */
    float *hs;             /* h(t) at hs + t ld, t = 0..tau (h(0) given) */
    float *ds;             /* d(t) at ds + t ld, t = 1..tau + 1 (d(tau + 1) = 0) */
};

/* rnn_tile of templates/rnn.c for one column: y[i] += sum over r < cols, in order, of
 * M[r ms + i] x[r], for i < nr (nr <= TR1), the sums in local accumulators. */
ALWAYS void tile1(float *y, const float *M, size_t ms, size_t cols, const float *x, size_t nr)
{
    float acc[TR1];
    size_t i, r;
    for (i = 0; i < nr; i++) acc[i] = y[i];
    for (r = 0; r < cols; r++) {
        const float *m = M + r * ms, xv = x[r];
        for (i = 0; i < nr; i++) acc[i] = fmaf(m[i], xv, acc[i]);
    }
    for (i = 0; i < nr; i++) y[i] = acc[i];
}

/* Rows [r0, r1) of y += M x, M column-major with leading dimension ms: the batch-1 branch of
 * rnn_gemm_ld (tiles of TR1 rows, then the rest). */
ALWAYS void matvec_rows(float *y, const float *M, size_t ms, size_t r0, size_t r1, size_t cols,
                        const float *x)
{
    size_t i0;
    for (i0 = r0; i0 + TR1 <= r1; i0 += TR1) tile1(y + i0, M + i0, ms, cols, x, TR1);
    if (i0 < r1) tile1(y + i0, M + i0, ms, cols, x, r1 - i0);
}

/* Rows [r0, r1) of forward step t (H is p->H, a constant where this is inlined). */
ALWAYS void fwd_rows(const struct prob *p, size_t H, size_t t, size_t r0, size_t r1)
{
    const float *u = p->U + (size_t)p->x[t - 1] * H, *hp = p->hs + (t - 1) * p->ld;
    float *h = p->hs + t * p->ld;
    size_t i;
    for (i = r0; i < r1; i++) h[i] = p->b[i] + u[i];
    matvec_rows(h, p->W, H, r0, r1, H, hp);
    for (i = r0; i < r1; i++) h[i] = rnn_tanhf(h[i]);
}

/* Rows [r0, r1) of backward step t. */
ALWAYS void bwd_rows(const struct prob *p, size_t H, size_t t, size_t r0, size_t r1)
{
    const float *dn = p->ds + (t + 1) * p->ld, *h = p->hs + t * p->ld, *g = p->g + (t - 1) * p->ld;
    float *d = p->ds + t * p->ld;
    size_t i;
    for (i = r0; i < r1; i++) d[i] = g[i];
    matvec_rows(d, p->WT, H, r0, r1, H, dn);
    for (i = r0; i < r1; i++) d[i] = (1 - h[i] * h[i]) * d[i];
}

/* Rows [r0, r1) of an exchange step t: no product, but like a forward step it reads all of
 * h(t-1) (each thread the other's half too) and writes its rows of h(t). */
ALWAYS void xch_rows(const struct prob *p, size_t H, size_t t, size_t r0, size_t r1)
{
    const float *hp = p->hs + (t - 1) * p->ld;
    float *h = p->hs + t * p->ld;
    size_t i;
    for (i = r0; i < r1; i++) h[i] = 0.5f * (hp[i] + hp[H - 1 - i]);
}

/* The row halves: [0, SPLIT) and [SPLIT, H), SPLIT = H / 2 rounded down to whole 64-byte lines. */
#define SPLIT(H) ((H) / 32 * 16)
typedef void step_fn(const struct prob *p, size_t t, int part);
/* fwd_H / bwd_H / xch_H: step t of part 0 (all rows), 1 (first half) or 2 (second half), H constant. */
#define DEFINE_STEPS(HH)                                                            \
    static void fwd_##HH(const struct prob *p, size_t t, int part)                  \
    {                                                                               \
        if (part == 0) fwd_rows(p, HH, t, 0, HH);                                   \
        else if (part == 1) fwd_rows(p, HH, t, 0, SPLIT(HH));                       \
        else fwd_rows(p, HH, t, SPLIT(HH), HH);                                     \
    }                                                                               \
    static void bwd_##HH(const struct prob *p, size_t t, int part)                  \
    {                                                                               \
        if (part == 0) bwd_rows(p, HH, t, 0, HH);                                   \
        else if (part == 1) bwd_rows(p, HH, t, 0, SPLIT(HH));                       \
        else bwd_rows(p, HH, t, SPLIT(HH), HH);                                     \
    }                                                                               \
    static void xch_##HH(const struct prob *p, size_t t, int part)                  \
    {                                                                               \
        if (part == 0) xch_rows(p, HH, t, 0, HH);                                   \
        else if (part == 1) xch_rows(p, HH, t, 0, SPLIT(HH));                       \
        else xch_rows(p, HH, t, SPLIT(HH), HH);                                     \
    }
DEFINE_STEPS(100)
DEFINE_STEPS(256)
DEFINE_STEPS(512)

enum variant { ONE_THREAD, SPIN, PTHREAD, NVARIANTS };
static const char *const variant_name[NVARIANTS] = {"1T", "spin", "pthread"};

/* One timed run: reps sweeps of p->tau steps (forward t = 1..tau or backward t = tau..1) of
 * step (null: empty steps, the barrier alone), by one thread or two. */
struct job {
    const struct prob *p;
    step_fn *step;
    int backward;
    enum variant v;
    long reps;
    struct spin_barrier spin;
    pthread_barrier_t pbar;
};

static void job_barrier(struct job *j, unsigned *sense)
{
    if (j->v == SPIN) spin_wait(&j->spin, sense);
    else if (j->v == PTHREAD) pthread_barrier_wait(&j->pbar);
}

/* The sweeps of part (0: everything, one thread; 1, 2: a half), a barrier after each step. */
static void sweep(struct job *j, int part, unsigned *sense)
{
    size_t tau = j->p->tau, s;
    long r;
    for (r = 0; r < j->reps; r++)
        for (s = 0; s < tau; s++) {
            if (j->step) j->step(j->p, j->backward ? tau - s : s + 1, part);
            job_barrier(j, sense);
        }
}

static void *worker(void *arg)
{
    struct job *j = arg;
    unsigned sense = 0;
    pin(1, "batch1_split");
    job_barrier(j, &sense); /* start */
    sweep(j, 2, &sense);
    return NULL;
}

/* Runs the job and returns ns per step (the main thread times from the start barrier to the
 * last step's barrier, which both threads pass). */
static double run_job(struct job *j)
{
    pthread_t th;
    unsigned sense = 0;
    double t0;
    if (j->v == ONE_THREAD) {
        t0 = now_s();
        sweep(j, 0, &sense);
        return (now_s() - t0) * 1e9 / ((double)j->reps * (double)j->p->tau);
    }
    atomic_store(&j->spin.count, 2);
    atomic_store(&j->spin.sense, 0);
    if (pthread_barrier_init(&j->pbar, NULL, 2) != 0 || pthread_create(&th, NULL, worker, j) != 0) {
        fprintf(stderr, "batch1_split: cannot start the second thread\n");
        exit(1);
    }
    job_barrier(j, &sense);
    t0 = now_s();
    sweep(j, 1, &sense);
    t0 = now_s() - t0;
    pthread_join(th, NULL);
    pthread_barrier_destroy(&j->pbar);
    return t0 * 1e9 / ((double)j->reps * (double)j->p->tau);
}

static float *alloc(size_t n)
{
    float *q = aligned_alloc(64, (n * sizeof *q + 63) / 64 * 64);
    if (!q) {
        fprintf(stderr, "batch1_split: out of memory\n");
        exit(1);
    }
    memset(q, 0, n * sizeof *q);
    return q;
}

/* A problem of size H with random parameters (W scaled so that tanh does not saturate). */
static struct prob make_prob(size_t H, size_t tau)
{
    struct prob p;
    size_t i, j;
    p.H = H;
    p.ld = (H + 15) / 16 * 16;
    p.tau = tau;
    p.W = alloc(H * H);
    p.WT = alloc(H * H);
    p.U = alloc(H * VOCAB);
    p.b = alloc(H);
    p.g = alloc(tau * p.ld);
    p.hs = alloc((tau + 1) * p.ld);
    p.ds = alloc((tau + 2) * p.ld);
    p.x = malloc(tau * sizeof *p.x);
    if (!p.x) exit(1);
    for (i = 0; i < H * H; i++) p.W[i] = uniform(2.0f / (float)H);
    for (i = 0; i < H; i++)
        for (j = 0; j < H; j++) p.WT[i * H + j] = p.W[j * H + i];
    for (i = 0; i < H * VOCAB; i++) p.U[i] = uniform(0.5f);
    for (i = 0; i < H; i++) p.b[i] = uniform(0.1f), p.hs[i] = uniform(0.5f);
    for (i = 0; i < tau; i++) {
        p.x[i] = (int)((uniform(0.5f) + 0.5f) * VOCAB) % VOCAB;
        for (j = 0; j < H; j++) p.g[i * p.ld + j] = uniform(0.1f);
    }
    return p;
}

static void free_prob(struct prob *p)
{
    free(p->W);
    free(p->WT);
    free(p->U);
    free(p->b);
    free(p->g);
    free(p->hs);
    free(p->ds);
    free(p->x);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Minimum and median of n values (sorts them). */
static void min_median(double *v, int n, double *mn, double *med)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    *mn = v[0];
    *med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Times step (null: empty steps) over rounds interleaved rounds of the three variants (empty:
 * the two barriers only); ns per step into mn[v], med[v].  After every two-thread run the
 * output vectors must equal ref (the one-thread result) bit for bit, else exit status 1. */
static void measure(const struct prob *p, step_fn *step, int backward, int rounds, const float *ref,
                    double mn[NVARIANTS], double med[NVARIANTS])
{
    static double ns[NVARIANTS][MAX_ROUNDS];
    struct job j;
    long reps[NVARIANTS];
    const float *out = backward ? p->ds : p->hs;
    size_t bytes = (p->tau + 2) * p->ld * sizeof(float) - (backward ? 0 : p->ld * sizeof(float));
    int r, v;
    memset(&j, 0, sizeof j);
    j.p = p, j.step = step, j.backward = backward, j.v = ONE_THREAD, j.reps = 1;
    for (v = step ? ONE_THREAD : SPIN; v < NVARIANTS; v++) { /* about 10 ms per run */
        j.v = (enum variant)v;
        j.reps = 4;
        reps[v] = (long)(0.01 / (run_job(&j) * 1e-9 * (double)p->tau)) + 1;
    }
    for (r = 0; r < rounds; r++)
        for (v = step ? ONE_THREAD : SPIN; v < NVARIANTS; v++) {
            j.v = (enum variant)v;
            j.reps = reps[v];
            ns[v][r] = run_job(&j);
            if (ref && memcmp(out, ref, bytes) != 0) {
                fprintf(stderr, "batch1_split: FAIL: H=%zu %s %s differs from one thread\n", p->H,
                        backward ? "backward" : "forward or exchange", variant_name[v]);
                exit(1);
            }
        }
    for (v = step ? ONE_THREAD : SPIN; v < NVARIANTS; v++) min_median(ns[v], rounds, &mn[v], &med[v]);
}

/* The one-thread result of a sweep (one sweep, from the state in p) as a copy. */
static float *reference(const struct prob *p, step_fn *step, int backward)
{
    size_t n = (p->tau + 2) * p->ld, t;
    float *ref = alloc(n);
    for (t = 1; t <= p->tau; t++) step(p, backward ? p->tau + 1 - t : t, 0);
    memcpy(ref, backward ? p->ds : p->hs, n * sizeof *ref - (backward ? 0 : p->ld * sizeof *ref));
    return ref;
}

int main(int argc, char **argv)
{
    static const struct { size_t H; step_fn *fn[3]; } sizes[] = {
        {100, {fwd_100, bwd_100, xch_100}}, {256, {fwd_256, bwd_256, xch_256}},
        {512, {fwd_512, bwd_512, xch_512}}};
    static const char *const sweep_name[3] = {"forward", "backward", "exchange"};
    int rounds = argc > 1 ? atoi(argv[1]) : 7, k, dir;
    size_t tau = argc > 2 ? (size_t)atol(argv[2]) : 64;
    double load[3] = {0, 0, 0}, mn[NVARIANTS], med[NVARIANTS];
    struct prob p0;
    if (rounds < 1 || rounds > MAX_ROUNDS || tau < 1) {
        fprintf(stderr, "usage: batch1_split [ROUNDS (1..%d) [TAU]]\n", MAX_ROUNDS);
        return 2;
    }
    pin(0, "batch1_split");
    if (getloadavg(load, 3) < 0) load[0] = load[1] = load[2] = -1;
    printf("batch1_split: tau %zu, %d rounds, load average %.2f %.2f %.2f\n", tau, rounds, load[0],
           load[1], load[2]);
    p0 = make_prob(16, tau);
    measure(&p0, NULL, 0, rounds, NULL, mn, med);
    printf("barrier alone (ns per step, min / median): spin %.0f / %.0f, pthread %.0f / %.0f\n",
           mn[SPIN], med[SPIN], mn[PTHREAD], med[PTHREAD]);
    free_prob(&p0);
    printf("%-4s %-8s %9s %9s %9s %7s %7s   %s\n", "H", "sweep", "1T_ns", "spin_ns", "pthr_ns",
           "spin_x", "pthr_x", "medians 1T/spin/pthr ns, 1T GFLOP/s");
    for (k = 0; k < 3; k++) {
        struct prob p = make_prob(sizes[k].H, tau);
        for (dir = 0; dir < 3; dir++) { /* exchange last: it overwrites h(t) */
            step_fn *step = sizes[k].fn[dir];
            float *ref = reference(&p, step, dir == 1);
            measure(&p, step, dir == 1, rounds, ref, mn, med);
            printf("%-4zu %-8s %9.0f %9.0f %9.0f %7.2f %7.2f   %.0f/%.0f/%.0f", p.H, sweep_name[dir],
                   mn[ONE_THREAD], mn[SPIN], mn[PTHREAD], mn[ONE_THREAD] / mn[SPIN],
                   mn[ONE_THREAD] / mn[PTHREAD], med[ONE_THREAD], med[SPIN], med[PTHREAD]);
            if (dir < 2) printf(", %.1f", 2.0 * (double)(p.H * p.H) / mn[ONE_THREAD]);
            printf("\n");
            free(ref);
            fflush(stdout);
        }
        free_prob(&p);
    }
    printf("two-thread results bit-identical to one thread: yes (memcmp after every run)\n");
    return 0;
}
