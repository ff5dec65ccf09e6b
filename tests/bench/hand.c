/* tests/bench/hand.c: the training step a student writes by hand, as the baseline for
 * `rnnc bench`: Karpathy's min-char-rnn in plain C with runtime dimensions.  malloc'd
 * row-major arrays, plain loops with a dot product as the inner loop, float, one-hot input,
 * tanh, softmax + negative log-likelihood, BPTT, gradients averaged over the batch, clipped
 * to [-5, 5], Adagrad (lr 0.1, eps 1e-8).  Built with cc -O3 -march=native (no fast-math).
 *
 *   hand VOCAB HIDDEN TAU BATCH [REPS [SECONDS]]
 *
 * Times individual steps (CLOCK_MONOTONIC) until both REPS (20) steps and SECONDS (1.0)
 * have passed; the last line is "median_us=N min_us=N max_us=N gflops=N" with the FLOP count
 * of rnnc bench: 2 per multiply-add of the matrix products (one-hot input free), per time
 * step and column W h + V h + V^T g_o + W^T d + grad_V + grad_W, times TAU * BATCH. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int V, H, T, B;
/* Parameters, gradients, Adagrad memories: Wxh H x V, Whh H x H, Why V x H (row-major). */
static float *Wxh, *Whh, *Why, *bh, *by;
static float *dWxh, *dWhh, *dWhy, *dbh, *dby;
static float *mWxh, *mWhh, *mWhy, *mbh, *mby;
/* Per time step and column: hs[(t*B + b)*H] (t = 0..T, hs(0) = hprev), ps[((t-1)*B + b)*V]. */
static float *hs, *ps, *hprev, *dh, *dhraw, *dhnext, *dy;
static int *xs, *ys;

static float *alloc(size_t n)
{
    float *p = calloc(n, sizeof *p);
    if (!p) {
        fprintf(stderr, "hand: out of memory\n");
        exit(1);
    }
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static unsigned long long rng = 1;
static double uniform(void)
{
    unsigned long long z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}
static float randn(void)
{
    double u1 = uniform(), u2 = uniform();
    return (float)(sqrt(-2 * log(1 - u1)) * cos(6.283185307179586 * u2));
}

static void adagrad(float *p, float *d, float *m, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) {
        float g = d[i] * scale;
        if (g > 5) g = 5;
        if (g < -5) g = -5;
        m[i] += g * g;
        p[i] -= 0.1f * g / sqrtf(m[i] + 1e-8f);
    }
}

/* One step of min-char-rnn's lossFun + Adagrad update over B columns; returns the loss. */
static float train_step(void)
{
    float loss = 0;
    memcpy(hs, hprev, (size_t)B * H * sizeof *hs);
    /* forward */
    for (int t = 1; t <= T; t++)
        for (int b = 0; b < B; b++) {
            const float *h0 = hs + ((size_t)(t - 1) * B + b) * H;
            float *h = hs + ((size_t)t * B + b) * H, *p = ps + ((size_t)(t - 1) * B + b) * V;
            int x = xs[(t - 1) * B + b];
            for (int i = 0; i < H; i++) {
                float s = Wxh[(size_t)i * V + x] + bh[i];
                for (int j = 0; j < H; j++) s += Whh[(size_t)i * H + j] * h0[j];
                h[i] = tanhf(s);
            }
            float mx = -INFINITY;
            for (int k = 0; k < V; k++) {
                float s = by[k];
                for (int j = 0; j < H; j++) s += Why[(size_t)k * H + j] * h[j];
                p[k] = s;
                if (s > mx) mx = s;
            }
            float sum = 0;
            for (int k = 0; k < V; k++) {
                p[k] = expf(p[k] - mx);
                sum += p[k];
            }
            for (int k = 0; k < V; k++) p[k] /= sum;
            loss -= logf(p[ys[(t - 1) * B + b]]);
        }
    /* backward */
    memset(dWxh, 0, (size_t)H * V * sizeof(float));
    memset(dWhh, 0, (size_t)H * H * sizeof(float));
    memset(dWhy, 0, (size_t)V * H * sizeof(float));
    memset(dbh, 0, (size_t)H * sizeof(float));
    memset(dby, 0, (size_t)V * sizeof(float));
    memset(dhnext, 0, (size_t)B * H * sizeof(float));
    for (int t = T; t >= 1; t--)
        for (int b = 0; b < B; b++) {
            const float *h = hs + ((size_t)t * B + b) * H, *h0 = hs + ((size_t)(t - 1) * B + b) * H;
            const float *p = ps + ((size_t)(t - 1) * B + b) * V;
            float *dn = dhnext + (size_t)b * H;
            int x = xs[(t - 1) * B + b];
            for (int k = 0; k < V; k++) dy[k] = p[k];
            dy[ys[(t - 1) * B + b]] -= 1;
            for (int k = 0; k < V; k++) {
                for (int j = 0; j < H; j++) dWhy[(size_t)k * H + j] += dy[k] * h[j];
                dby[k] += dy[k];
            }
            for (int j = 0; j < H; j++) {
                float s = dn[j];
                for (int k = 0; k < V; k++) s += Why[(size_t)k * H + j] * dy[k];
                dh[j] = s;
            }
            for (int i = 0; i < H; i++) dhraw[i] = (1 - h[i] * h[i]) * dh[i];
            for (int i = 0; i < H; i++) {
                dbh[i] += dhraw[i];
                dWxh[(size_t)i * V + x] += dhraw[i];
                for (int j = 0; j < H; j++) dWhh[(size_t)i * H + j] += dhraw[i] * h0[j];
            }
            for (int j = 0; j < H; j++) {
                float s = 0;
                for (int i = 0; i < H; i++) s += Whh[(size_t)i * H + j] * dhraw[i];
                dn[j] = s;
            }
        }
    /* average over the batch, clip, Adagrad */
    float scale = 1.0f / (float)B;
    adagrad(Wxh, dWxh, mWxh, (size_t)H * V, scale);
    adagrad(Whh, dWhh, mWhh, (size_t)H * H, scale);
    adagrad(Why, dWhy, mWhy, (size_t)V * H, scale);
    adagrad(bh, dbh, mbh, (size_t)H, scale);
    adagrad(by, dby, mby, (size_t)V, scale);
    return loss;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: hand VOCAB HIDDEN TAU BATCH [REPS [SECONDS]]\n");
        return 2;
    }
    V = atoi(argv[1]), H = atoi(argv[2]), T = atoi(argv[3]), B = atoi(argv[4]);
    long reps = argc > 5 ? atol(argv[5]) : 20;
    double seconds = argc > 6 ? atof(argv[6]) : 1.0;
    if (V < 2 || H < 1 || T < 1 || B < 1 || reps < 1) {
        fprintf(stderr, "hand: bad dimensions\n");
        return 2;
    }
    Wxh = alloc((size_t)H * V), Whh = alloc((size_t)H * H), Why = alloc((size_t)V * H);
    bh = alloc(H), by = alloc(V);
    dWxh = alloc((size_t)H * V), dWhh = alloc((size_t)H * H), dWhy = alloc((size_t)V * H);
    dbh = alloc(H), dby = alloc(V);
    mWxh = alloc((size_t)H * V), mWhh = alloc((size_t)H * H), mWhy = alloc((size_t)V * H);
    mbh = alloc(H), mby = alloc(V);
    hs = alloc((size_t)(T + 1) * B * H), ps = alloc((size_t)T * B * V);
    hprev = alloc((size_t)B * H), dh = alloc(H), dhraw = alloc(H), dhnext = alloc((size_t)B * H);
    dy = alloc(V);
    xs = malloc((size_t)T * B * sizeof *xs), ys = malloc((size_t)T * B * sizeof *ys);
    if (!xs || !ys) return 1;
    for (size_t i = 0; i < (size_t)H * V; i++) Wxh[i] = 0.01f * randn();
    for (size_t i = 0; i < (size_t)H * H; i++) Whh[i] = 0.01f * randn();
    for (size_t i = 0; i < (size_t)V * H; i++) Why[i] = 0.01f * randn();
    for (int i = 0; i < T * B; i++) xs[i] = (int)(uniform() * V);
    for (int i = 0; i < T * B; i++) ys[i] = (int)(uniform() * V);

    float first = 0, last = 0;
    int warm = 0;
    double w0 = now_s();
    do {
        last = train_step();
        if (!warm) first = last;
    } while (++warm < 3 && now_s() - w0 < 0.2);
    size_t cap = 1024, n = 0;
    double *times = malloc(cap * sizeof *times), t_start = now_s(), t_end = t_start;
    if (!times) return 1;
    while ((long)n < reps || t_end - t_start < seconds) {
        if (n == cap) {
            times = realloc(times, (cap *= 2) * sizeof *times);
            if (!times) return 1;
        }
        double t0 = now_s();
        last = train_step();
        t_end = now_s();
        times[n++] = t_end - t0;
    }
    qsort(times, n, sizeof *times, cmp);
    double med = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
    double flops = 2.0 * (3.0 * H * H + 3.0 * V * H) * T * B;
    printf("hand C (min-char-rnn style, -O3 -march=native): vocab %d hidden %d tau %d batch %d\n", V, H, T, B);
    printf("flops_per_step=%.0f; %d warm-up steps, %zu timed steps in %.3f s; loss %.6g -> %.6g\n", flops,
           warm, n, t_end - t_start, first, last);
    printf("median_us=%.3f min_us=%.3f max_us=%.3f gflops=%.4f\n", med * 1e6, times[0] * 1e6,
           times[n - 1] * 1e6, flops / med * 1e-9);
    free(times);
    return 0;
}
