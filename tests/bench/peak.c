/* tests/bench/peak.c: what one core can do, as the yardstick of rnnc bench.
 *   (a) the fp32 FMA peak: many independent FMA chains on GCC vector types (32- and
 *       64-byte vectors, 8 and 12 accumulators), the best as "fma_peak_gflops=N";
 *   (b) single-threaded OpenBLAS sgemm (cblas_sgemm, openblas_set_num_threads(1)) for
 *       square sizes 256, 512, 1024, the best as "sgemm_gflops=N"; only when built with
 *       -DHAVE_OPENBLAS (run.sh does when OpenBLAS is installed), else a line saying so.
 * Build: cc -O3 -march=native -ffp-contract=fast (a*b+c must become one FMA). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef HAVE_OPENBLAS
#include <cblas.h>
#endif

typedef float v8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile float sink;
static volatile float vm = 0.999999f, va = 1e-7f;

/* N accumulators of vector type VT (L floats), ITER iterations of N independent FMAs each.
 * Returns GFLOP/s (2 FLOPs per lane per FMA). */
#define FMA_KERNEL(fn, VT, L, N)                                                            \
    static double fn(long iter)                                                             \
    {                                                                                       \
        VT acc[N], m, a;                                                                    \
        for (int l = 0; l < (L); l++) {                                                     \
            m[l] = vm;                                                                      \
            a[l] = va;                                                                      \
        }                                                                                   \
        for (int k = 0; k < (N); k++)                                                       \
            for (int l = 0; l < (L); l++) acc[k][l] = (float)(k + l) * 1e-3f;              \
        double t0 = now_s();                                                                \
        for (long i = 0; i < iter; i++) {                                                   \
            _Pragma("GCC unroll 16") for (int k = 0; k < (N); k++) acc[k] = acc[k] * m + a; \
        }                                                                                   \
        double t = now_s() - t0;                                                            \
        float s = 0;                                                                        \
        for (int k = 0; k < (N); k++)                                                       \
            for (int l = 0; l < (L); l++) s += acc[k][l];                                   \
        sink = s;                                                                           \
        return 2.0 * (L) * (N) * (double)iter / t * 1e-9;                                   \
    }

FMA_KERNEL(fma_v8_8, v8, 8, 8)
FMA_KERNEL(fma_v8_12, v8, 8, 12)
FMA_KERNEL(fma_v16_8, v16, 16, 8)
FMA_KERNEL(fma_v16_12, v16, 16, 12)

/* Best of 5 runs of about 0.1 s each. */
static double best_of(double (*fn)(long))
{
    long iter = 1000000;
    double best = 0;
    fn(iter / 10);
    for (int r = 0; r < 5; r++) {
        double g = fn(iter);
        if (g > best) best = g;
    }
    return best;
}

int main(void)
{
    static const struct { const char *name; double (*fn)(long); } k[] = {
        {"32-byte vectors, 8 chains", fma_v8_8},
        {"32-byte vectors, 12 chains", fma_v8_12},
        {"64-byte vectors, 8 chains", fma_v16_8},
        {"64-byte vectors, 12 chains", fma_v16_12},
    };
    double peak = 0;
    const char *best = "";
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        double g = best_of(k[i].fn);
        printf("fma %s: %.1f GFLOP/s\n", k[i].name, g);
        if (g > peak) peak = g, best = k[i].name;
    }
    printf("fma_peak_gflops=%.1f (%s)\n", peak, best);
#ifdef HAVE_OPENBLAS
    openblas_set_num_threads(1);
    double gbest = 0;
    int nbest = 0;
    static const int sizes[] = {256, 512, 1024};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
              *c = malloc(sizeof(float) * n * n);
        if (!a || !b || !c) return 1;
        for (long i = 0; i < (long)n * n; i++) a[i] = (float)(i % 7) * 0.1f, b[i] = (float)(i % 5) * 0.1f, c[i] = 0;
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        double best_t = 1e30, total = 0;
        for (int r = 0; r < 50 && (r < 3 || total < 0.3); r++) {
            double t0 = now_s();
            cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
            double t = now_s() - t0;
            total += t;
            if (t < best_t) best_t = t;
        }
        double g = 2.0 * n * n * (double)n / best_t * 1e-9;
        printf("sgemm %d x %d x %d (OpenBLAS, 1 thread): %.1f GFLOP/s\n", n, n, n, g);
        if (g > gbest) gbest = g, nbest = n;
        sink = c[0];
        free(a), free(b), free(c);
    }
    printf("sgemm_gflops=%.1f (n = %d)\n", gbest, nbest);
#else
    printf("sgemm: skipped (OpenBLAS not found; apt-get install libopenblas-dev, or make bench-peers)\n");
#endif
    return 0;
}
