/* tests/bench/mpi_comm.c: the exchanges of a data-parallel step, timed (make bench-mpi).
 * Run under mpirun: every rank times rnnc_dist_sum (the deterministic sum of a gradient:
 * MPI_Alltoallv, then MPI_Allgatherv) and rnnc_dist_allgather (the per-share messages) for a
 * range of sizes, the gradient sizes of configurations C and D among them, through
 * runtime/model/dist.h only (no MPI call of its own).  Rank 0 prints one line per
 * measurement:
 *   sum floats=N bytes=B median_us=T min_us=T reps=R
 *   allgather bytes=B median_us=T min_us=T reps=R
 * and a first line `ranks=N local=L`.  Usage: mpi_comm [SECONDS per size (0.3)] [EXTRA
 * float counts...]. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../runtime/model/dist.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Time one exchange of n floats (sum) or n bytes per rank (allgather): a few calls to
 * estimate it, then as many as fit in about `seconds` (rank 0 decides, and tells the others
 * through rnnc_dist_agree, so that every rank makes the same calls), back to back; print its
 * line on rank 0.  0, or -1 with a message on stderr. */
static int time_one(int sum, size_t n, double seconds)
{
    int N = rnnc_dist_size();
    size_t bytes = sum ? n * sizeof(float) : n;
    unsigned char *buf = malloc(sum ? bytes : bytes * (size_t)N);
    double *t = malloc(100000 * sizeof *t);
    char err[1024];
    if (!buf || !t) return fprintf(stderr, "mpi_comm: out of memory\n"), -1;
    memset(buf, 0, sum ? bytes : bytes * (size_t)N);
    int reps = 3;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < reps; i++) {
            double a = now_s();
            int rc = sum ? rnnc_dist_sum(buf, n, 0, err, sizeof err) : rnnc_dist_allgather(buf, bytes, err, sizeof err);
            if (rc != 0) return fprintf(stderr, "mpi_comm: %s\n", err), -1;
            t[i] = now_s() - a;
        }
        if (pass == 0) {
            double est = t[0] < t[1] ? (t[0] < t[2] ? t[0] : t[2]) : (t[1] < t[2] ? t[1] : t[2]);
            int want = est > 0 ? (int)(seconds / est) : 100000;
            want = want < 5 ? 5 : want > 100000 ? 100000 : want;
            reps = rnnc_dist_agree(rnnc_dist_rank() == 0 ? want : -1, -1, err, sizeof err);
            if (reps < 1) return fprintf(stderr, "mpi_comm: %s\n", err), -1;
        }
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_double);
    if (rnnc_dist_rank() == 0) {
        if (sum) printf("sum floats=%zu bytes=%zu median_us=%.2f min_us=%.2f reps=%d\n", n, bytes, t[reps / 2] * 1e6, t[0] * 1e6, reps);
        else printf("allgather bytes=%zu median_us=%.2f min_us=%.2f reps=%d\n", bytes, t[reps / 2] * 1e6, t[0] * 1e6, reps);
        fflush(stdout);
    }
    free(buf);
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    char err[1024];
    if (rnnc_dist_start(err, sizeof err) != 0) return fprintf(stderr, "mpi_comm: %s\n", err), 2;
    if (!rnnc_dist_active()) return fprintf(stderr, "mpi_comm: run me under mpirun (with an MPI build)\n"), 2;
    double seconds = argc > 1 ? atof(argv[1]) : 0.3;
    if (rnnc_dist_rank() == 0) printf("ranks=%d local=%d\n", rnnc_dist_size(), rnnc_dist_local_size());
    static const size_t sizes[] = {1, 16, 256, 4096, 65536, 262144, 1048576, 4194304};
    int rc = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && rc == 0; i++) rc = time_one(1, sizes[i], seconds);
    for (int i = 2; i < argc && rc == 0; i++) rc = time_one(1, (size_t)strtoull(argv[i], NULL, 10), seconds);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && rc == 0; i++) rc = time_one(0, sizes[i], seconds);
    return rnnc_dist_end(rc == 0 ? 0 : 1);
}
