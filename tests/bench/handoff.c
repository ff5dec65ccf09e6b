/* tests/bench/handoff.c: what it costs one core to use data the other core has just written
 * (issue 14, part 2).  A batch-1 step shared out between two cores in stages (the sweeps on one
 * core, shares of the parameter gradients and of the update on both) hands data from core to
 * core every step: the half of the parameters the second core updated is read by the first
 * core's next forward sweep, the gradients it wrote are zeroed or updated by the other.  This
 * times that handoff alone, for buffers of the sizes involved (configuration A: W is 40 KB,
 * half the parameters 46 KB; B: half the parameters 200 KB), in three ways per size:
 *   local    core 0 writes the buffer, then core 0 reads all of it (timed);
 *   read     core 1 writes it, a spin barrier, then core 0 reads all of it (timed);
 *   update   core 1 writes it, a spin barrier, then core 0 adds 1 to every value (timed: the
 *            lines are fetched for writing, as the update does with gradients).
 * Threads are pinned to CPUs 0 and 1 when the system allows (a note on stderr otherwise).
 *
 *   make bench-split                     (runs batch1_split, then this)
 *   handoff [ROUNDS]                     (default 15)
 *
 * Per size and way, the minimum and the median over the interleaved rounds, in ns per 64-byte
 * line, and the median time for the whole buffer in microseconds. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twocore.h"

#define MAX_ROUNDS 64
#define LINE 64

enum way { LOCAL, READ, UPDATE, NWAYS };
static const char *const way_name[NWAYS] = {"local", "read", "update"};

/* The shared state of one size: the buffer, the barrier, and what the rounds do. */
struct bench {
    float *buf;
    size_t n;            /* floats in buf */
    int rounds;
    struct spin_barrier bar;
    double ns[NWAYS][MAX_ROUNDS];
    volatile float sink;
};

static void write_all(float *b, size_t n, float v)
{
    for (size_t i = 0; i < n; i++) b[i] = v + (float)(i & 7);
}

static float read_all(const float *b, size_t n)
{
    float s[16] = {0};
    for (size_t i = 0; i < n; i += 16)
        for (size_t k = 0; k < 16; k++) s[k] += b[i + k];
    float t = 0;
    for (size_t k = 0; k < 16; k++) t += s[k];
    return t;
}

static void add_all(float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] += 1.0f;
}

/* Core 1: writes the buffer before each round's read and update (two barriers per way). */
static void *writer(void *arg)
{
    struct bench *bn = arg;
    unsigned sense = 0;
    pin(1, "handoff");
    for (int r = 0; r < bn->rounds; r++)
        for (int w = READ; w <= UPDATE; w++) {
            write_all(bn->buf, bn->n, (float)r);
            spin_wait(&bn->bar, &sense); /* written */
            spin_wait(&bn->bar, &sense); /* used by core 0 */
        }
    return NULL;
}

/* Core 0's timed use of the buffer in way w (ns per line). */
static double use(struct bench *bn, enum way w)
{
    double t0 = now_s();
    if (w == UPDATE) add_all(bn->buf, bn->n);
    else bn->sink = read_all(bn->buf, bn->n);
    return (now_s() - t0) * 1e9 / ((double)bn->n * sizeof(float) / LINE);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void run_size(size_t kb, int rounds)
{
    struct bench bn;
    memset(&bn, 0, sizeof bn);
    bn.n = kb * 1024 / sizeof(float);
    bn.rounds = rounds;
    bn.buf = aligned_alloc(LINE, bn.n * sizeof(float));
    if (!bn.buf) {
        fprintf(stderr, "handoff: out of memory\n");
        exit(1);
    }
    atomic_store(&bn.bar.count, 2);
    atomic_store(&bn.bar.sense, 0);
    pthread_t th;
    if (pthread_create(&th, NULL, writer, &bn) != 0) {
        fprintf(stderr, "handoff: cannot start the second thread\n");
        exit(1);
    }
    unsigned sense = 0;
    for (int r = 0; r < rounds; r++) {
        write_all(bn.buf, bn.n, (float)r); /* local: written and read on core 0 */
        bn.ns[LOCAL][r] = use(&bn, LOCAL);
        for (int w = READ; w <= UPDATE; w++) {
            spin_wait(&bn.bar, &sense);
            bn.ns[w][r] = use(&bn, (enum way)w);
            spin_wait(&bn.bar, &sense);
        }
    }
    pthread_join(th, NULL);
    for (int w = 0; w < NWAYS; w++) {
        qsort(bn.ns[w], (size_t)rounds, sizeof(double), cmp_double);
        double mn = bn.ns[w][0], med = bn.ns[w][rounds / 2];
        printf("| %zu | %s | %.1f | %.1f | %.2f |\n", kb, way_name[w], mn, med,
               med * (double)(kb * 1024 / LINE) / 1000);
    }
    free(bn.buf);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 15;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "handoff: ROUNDS must be 1..%d\n", MAX_ROUNDS);
        return 2;
    }
    static const size_t sizes[] = {4, 20, 46, 93, 200, 400};
    pin(0, "handoff");
    printf("handoff: core 0 using a buffer that core 0 (local) or core 1 (read, update) wrote; "
           "%d interleaved rounds\n\n", rounds);
    printf("| KB | way | min ns/line | median ns/line | median us |\n|---:|---|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) run_size(sizes[i], rounds);
    return 0;
}
