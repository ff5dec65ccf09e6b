/* dist.c: the processes of a data-parallel run (see dist.h).  The only file of rnnc that
 * includes <mpi.h>, and only when built with RNNC_MPI=1 (make MPI=1, or mpicc found). */
#define _POSIX_C_SOURCE 200809L
#include "dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/util.h"

#if defined(RNNC_MPI) && RNNC_MPI
#include <mpi.h>
#define HAVE_MPI 1
#else
#define HAVE_MPI 0
#endif

int rnnc_dist_built(void) { return HAVE_MPI; }

/* A whole number from the environment variable name, or -1 when unset or not a number. */
static int env_int(const char *name)
{
    const char *v = getenv(name);
    if (!v || *v < '0' || *v > '9') return -1;
    char *end;
    long n = strtol(v, &end, 10);
    return *end || n > INT_MAX ? -1 : (int)n;
}

int rnnc_dist_env_rank(void)
{
    int r = env_int("OMPI_COMM_WORLD_RANK");
    if (r < 0) r = env_int("PMI_RANK");
    return r < 0 ? 0 : r;
}

int rnnc_dist_env_size(void)
{
    int n = env_int("OMPI_COMM_WORLD_SIZE");
    if (n < 0) n = env_int("PMI_SIZE");
    return n < 0 ? 0 : n;
}

/* The run: started with MPI or not, rank, size, ranks on this host, broken by a failed call,
 * and the seconds spent in collectives. */
static struct {
    int active, rank, size, local, broken;
    double seconds;
#if HAVE_MPI
    MPI_Comm comm;
#endif
} run = {.size = 1, .local = 1};

int rnnc_dist_active(void) { return run.active; }
int rnnc_dist_rank(void) { return run.rank; }
int rnnc_dist_size(void) { return run.size; }
int rnnc_dist_local_size(void) { return run.local; }
int rnnc_dist_broken(void) { return run.broken; }
double rnnc_dist_seconds(void) { return run.seconds; }

void rnnc_dist_accumulate(double *acc, const void *src, size_t count, int is_double, int first)
{
    /* One loop per case, so that each vectorizes. */
    const double *d = src;
    const float *f = src;
    if (first && is_double) memcpy(acc, d, count * sizeof *acc);
    else if (first)
        for (size_t i = 0; i < count; i++) acc[i] = (double)f[i];
    else if (is_double)
        for (size_t i = 0; i < count; i++) acc[i] += d[i];
    else
        for (size_t i = 0; i < count; i++) acc[i] += (double)f[i];
}

void rnnc_dist_round(const double *acc, void *out, size_t count, int is_double)
{
    float *f = out;
    if (is_double) memcpy(out, acc, count * sizeof *acc);
    else
        for (size_t i = 0; i < count; i++) f[i] = (float)acc[i];
}

#if HAVE_MPI

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A failed MPI call: the message (naming what was called) in err, the run marked broken so
 * that rnnc_dist_end aborts the job.  Returns -1. */
static int mpi_fail(int code, const char *what, char *err, size_t errlen)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(code, msg, &len) != MPI_SUCCESS) snprintf(msg, sizeof msg, "error %d", code);
    run.broken = 1;
    return rnnc_fail(err, errlen, "MPI: %s failed on rank %d: %s", what, run.rank, msg);
}

int rnnc_dist_start(char *err, size_t errlen)
{
    if (run.active || rnnc_dist_env_size() == 0) return 0;
    int provided = 0, rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return rnnc_fail(err, errlen, "MPI: MPI_Init_thread failed (error %d)", rc);
    run.active = 1;
    /* A communicator of rnnc's own, whose errors come back as codes (then: broken, abort). */
    MPI_Comm node;
    if ((rc = MPI_Comm_dup(MPI_COMM_WORLD, &run.comm)) != MPI_SUCCESS)
        return mpi_fail(rc, "MPI_Comm_dup", err, errlen);
    MPI_Comm_set_errhandler(run.comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(run.comm, &run.rank);
    MPI_Comm_size(run.comm, &run.size);
    if ((rc = MPI_Comm_split_type(run.comm, MPI_COMM_TYPE_SHARED, run.rank, MPI_INFO_NULL, &node)) != MPI_SUCCESS)
        return mpi_fail(rc, "MPI_Comm_split_type", err, errlen);
    MPI_Comm_size(node, &run.local);
    MPI_Comm_free(&node);
    return 0;
}

int rnnc_dist_agree(int status, int go, char *err, size_t errlen)
{
    if (!run.active || run.broken) return status;
    double t0 = now_s();
    int *all = malloc((size_t)run.size * sizeof *all), rc, who = -1;
    if (!all) {
        run.broken = 1;
        return rnnc_fail(err, errlen, "out of memory on rank %d", run.rank), 1;
    }
    if ((rc = MPI_Allgather(&status, 1, MPI_INT, all, 1, MPI_INT, run.comm)) != MPI_SUCCESS) {
        free(all);
        return mpi_fail(rc, "MPI_Allgather", err, errlen), 1;
    }
    for (int i = 0; i < run.size && who < 0; i++)
        if (all[i] != go) who = i;
    int agreed = who < 0 ? go : all[who];
    free(all);
    if (who >= 0) {
        /* The deciding rank's message, to every rank. */
        char msg[4096] = "";
        if (run.rank == who && err && errlen) snprintf(msg, sizeof msg, "%s", err);
        if ((rc = MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, who, run.comm)) != MPI_SUCCESS)
            return mpi_fail(rc, "MPI_Bcast", err, errlen), 1;
        msg[sizeof msg - 1] = '\0';
        if (who != 0 && msg[0]) rnnc_fail(err, errlen, "rank %d: %s", who, msg);
        else rnnc_fail(err, errlen, "%s", msg);
    }
    run.seconds += now_s() - t0;
    return agreed;
}

int rnnc_dist_compare(const uint64_t *mine, size_t n, size_t *which, uint64_t *theirs0,
                      uint64_t *theirs, char *err, size_t errlen)
{
    if (!run.active || run.size == 1) return -1;
    if (run.broken) return rnnc_fail(err, errlen, "MPI: the run is broken"), -2;
    if (n == 0 || n > (size_t)INT_MAX / 8) return rnnc_fail(err, errlen, "MPI: bad fingerprint size"), -2;
    double t0 = now_s();
    uint64_t *all = malloc((size_t)run.size * n * sizeof *all);
    if (!all) return run.broken = 1, rnnc_fail(err, errlen, "out of memory on rank %d", run.rank), -2;
    int rc = MPI_Allgather(mine, (int)(n * 8), MPI_BYTE, all, (int)(n * 8), MPI_BYTE, run.comm), who = -1;
    if (rc != MPI_SUCCESS) {
        free(all);
        return mpi_fail(rc, "MPI_Allgather", err, errlen), -2;
    }
    for (int r = 1; r < run.size && who < 0; r++)
        for (size_t i = 0; i < n && who < 0; i++)
            if (all[(size_t)r * n + i] != all[i]) {
                who = r;
                if (which) *which = i;
                if (theirs0) memcpy(theirs0, all, n * sizeof *all);
                if (theirs) memcpy(theirs, all + (size_t)r * n, n * sizeof *all);
            }
    free(all);
    run.seconds += now_s() - t0;
    return who;
}

int rnnc_dist_allgather(void *all, size_t bytes, char *err, size_t errlen)
{
    if (!run.active || run.size == 1) return 0;
    if (run.broken) return rnnc_fail(err, errlen, "MPI: the run is broken");
    if (bytes > INT_MAX) return rnnc_fail(err, errlen, "MPI: %zu bytes per rank are too many for one exchange", bytes);
    double t0 = now_s();
    int rc = MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, (int)bytes, MPI_BYTE, run.comm);
    run.seconds += now_s() - t0;
    return rc == MPI_SUCCESS ? 0 : mpi_fail(rc, "MPI_Allgather", err, errlen);
}

/* The first element of rank r's share of count elements (count <= INT_MAX): count r / N. */
static size_t share_begin(size_t count, int r)
{
    return (size_t)((uint64_t)count * (uint64_t)r / (uint64_t)run.size);
}

/* rnnc_dist_sum's exchange: recv gets every rank's values of this rank's share (rank order,
 * mine elements each); the share's sums go to sum.  0 or -1. */
static int sum_share(const void *buf, size_t count, int is_double, void *recv, double *acc, char *err,
                     size_t errlen)
{
    int N = run.size, *sc = malloc(4 * (size_t)N * sizeof *sc), rc;
    if (!sc) return run.broken = 1, rnnc_fail(err, errlen, "out of memory on rank %d", run.rank);
    int *sd = sc + N, *rcn = sc + 2 * N, *rd = sc + 3 * N;
    size_t lo = share_begin(count, run.rank), mine = share_begin(count, run.rank + 1) - lo;
    for (int j = 0; j < N; j++) {
        sc[j] = (int)(share_begin(count, j + 1) - share_begin(count, j));
        sd[j] = (int)share_begin(count, j);
        rcn[j] = (int)mine;
        rd[j] = (int)(mine * (size_t)j);
    }
    MPI_Datatype t = is_double ? MPI_DOUBLE : MPI_FLOAT;
    rc = MPI_Alltoallv(buf, sc, sd, t, recv, rcn, rd, t, run.comm);
    free(sc);
    if (rc != MPI_SUCCESS) return mpi_fail(rc, "MPI_Alltoallv", err, errlen);
    size_t es = is_double ? 8 : 4;
    for (int j = 0; j < N; j++)
        rnnc_dist_accumulate(acc, (const char *)recv + (size_t)j * mine * es, mine, is_double, j == 0);
    return 0;
}

/* rnnc_dist_sum's buffers, kept from one step to the next (a step's exchange would otherwise
 * map and fault in fresh pages every time): at least n bytes, or NULL. */
static void *scratch(size_t which, size_t n)
{
    static void *p[3];
    static size_t have[3];
    if (n <= have[which]) return p[which];
    free(p[which]);
    have[which] = 0;
    if (!(p[which] = malloc(n))) return NULL;
    have[which] = n;
    return p[which];
}

int rnnc_dist_sum(void *buf, size_t count, int is_double, char *err, size_t errlen)
{
    if (!run.active || run.size == 1 || count == 0) return 0;
    if (run.broken) return rnnc_fail(err, errlen, "MPI: the run is broken");
    if (count > INT_MAX) return rnnc_fail(err, errlen, "MPI: %zu values are too many for one exchange", count);
    double t0 = now_s();
    int N = run.size, rc;
    size_t es = is_double ? 8 : 4, lo = share_begin(count, run.rank), mine = share_begin(count, run.rank + 1) - lo;
    void *recv = scratch(0, (size_t)N * mine * es + 1);
    double *acc = scratch(1, mine * sizeof *acc + 1);
    int *cn = scratch(2, 2 * (size_t)N * sizeof *cn);
    if (!recv || !acc || !cn) {
        run.broken = 1;
        return rnnc_fail(err, errlen, "out of memory on rank %d", run.rank);
    }
    if ((rc = sum_share(buf, count, is_double, recv, acc, err, errlen)) == 0) {
        /* The share's sums, rounded, then every share to every rank. */
        rnnc_dist_round(acc, recv, mine, is_double);
        for (int j = 0; j < N; j++) {
            cn[j] = (int)(share_begin(count, j + 1) - share_begin(count, j));
            cn[N + j] = (int)share_begin(count, j);
        }
        MPI_Datatype t = is_double ? MPI_DOUBLE : MPI_FLOAT;
        int e = MPI_Allgatherv(recv, (int)mine, t, buf, cn, cn + N, t, run.comm);
        rc = e == MPI_SUCCESS ? 0 : mpi_fail(e, "MPI_Allgatherv", err, errlen);
    }
    run.seconds += now_s() - t0;
    return rc;
}

int rnnc_dist_end(int status)
{
    if (!run.active) return status;
    if (run.broken) MPI_Abort(MPI_COMM_WORLD, status ? status : 1);
    /* A stop with an error: rank 0 has printed why; nobody exits (which makes mpirun kill the
     * others) before it has. */
    if (status != 0) MPI_Barrier(run.comm);
    MPI_Comm_free(&run.comm);
    MPI_Finalize();
    run.active = 0;
    return status;
}

#else /* without MPI: one process */

int rnnc_dist_start(char *err, size_t errlen)
{
    if (rnnc_dist_env_size() > 1)
        return rnnc_fail(err, errlen, "this rnnc was built without MPI, but mpirun started %d copies of it; "
                         "build it with 'make MPI=1' (Debian: apt-get install openmpi-bin libopenmpi-dev)",
                         rnnc_dist_env_size());
    return 0;
}

int rnnc_dist_agree(int status, int go, char *err, size_t errlen)
{
    (void)go, (void)err, (void)errlen;
    return status;
}

int rnnc_dist_compare(const uint64_t *mine, size_t n, size_t *which, uint64_t *theirs0,
                      uint64_t *theirs, char *err, size_t errlen)
{
    (void)mine, (void)n, (void)which, (void)theirs0, (void)theirs, (void)err, (void)errlen;
    return -1;
}

int rnnc_dist_allgather(void *all, size_t bytes, char *err, size_t errlen)
{
    (void)all, (void)bytes, (void)err, (void)errlen;
    return 0;
}

int rnnc_dist_sum(void *buf, size_t count, int is_double, char *err, size_t errlen)
{
    (void)buf, (void)count, (void)is_double, (void)err, (void)errlen;
    return 0;
}

int rnnc_dist_end(int status) { return status; }

#endif
