/* dist.h: the processes of a data-parallel run (issue 12): `mpirun -np N rnnc train ...` on
 * one host or many, through MPI (Open MPI as Debian ships it).  dist.c is the only file of
 * rnnc that includes <mpi.h>; built without MPI (make MPI=0, or no mpicc), every function
 * below behaves as in a run of one process, and a program that mpirun started several
 * times says so (rnnc_dist_start).
 *
 * What the ranks exchange is defined here so that it does not depend on the reduction tree
 * MPI picks: rnnc_dist_sum adds the ranks' buffers element by element in rank order (in
 * double, rounded once to the buffer's type), exactly as rnnc_dist_accumulate and
 * rnnc_dist_round do for buffers held by one process, so N ranks give the bits of one
 * process adding the same N buffers in the same order.
 *
 * Every collective below must be called by every rank in the same order.  A failed MPI call
 * (with MPI_ERRORS_RETURN on the run's communicator) returns -1 with a message and marks
 * the run broken: rnnc_dist_end then aborts the job instead of waiting for the others.
 * A peer that dies is Open MPI's to notice: its runtime then ends every rank of the job.
 * Library code: status codes and one-line messages; only rnnc_dist_end, which cli.c calls as
 * its exit path, may end the process (MPI_Abort). */
#ifndef RNNC_DIST_H
#define RNNC_DIST_H

#include <stddef.h>
#include <stdint.h>

/* 1 when rnnc was built with MPI (make MPI=1), else 0. */
int rnnc_dist_built(void);

/* The rank and size that the launcher's environment announces (OMPI_COMM_WORLD_RANK /
 * _SIZE, PMI_RANK / PMI_SIZE, PMIX_RANK), before and without MPI_Init: rank 0 and size 0
 * when the process was not started by mpirun (or srun).  cli.c uses the rank to keep the
 * other ranks quiet. */
int rnnc_dist_env_rank(void);
int rnnc_dist_env_size(void);

/* Join the run's ranks: when the launcher started this process (rnnc_dist_env_size() > 0
 * announces it; mpirun -np 1 included) and rnnc was built with MPI, MPI_Init_thread
 * (MPI_THREAD_FUNNELED: only the calling thread makes MPI calls) and a private communicator;
 * otherwise nothing (one process).  Returns 0; -1 with a message when MPI fails to start,
 * or when mpirun started several copies of an rnnc built without MPI. */
int rnnc_dist_start(char *err, size_t errlen);

/* Started with MPI (rnnc_dist_start joined a job, of one rank or more). */
int rnnc_dist_active(void);

/* This process's rank (0 .. size-1), the ranks of the run, and the ranks on this host
 * (1 without MPI). */
int rnnc_dist_rank(void);
int rnnc_dist_size(void);
int rnnc_dist_local_size(void);

/* Collective: agree on how the run goes on.  Every rank gives its status; go is the status
 * meaning "carry on".  Returns go when every rank gave go; otherwise the status of the
 * lowest rank that did not, whose message is copied into err on every rank (prefixed
 * "rank K: " when K is not 0), so that all ranks stop at the same point with the same
 * status and rank 0 can say why.  Without MPI: returns status unchanged. */
int rnnc_dist_agree(int status, int go, char *err, size_t errlen);

/* Collective: compare n values (a fingerprint) with rank 0's.  Returns -1 when every rank
 * has the same values, else the lowest rank that differs, with the index of its first
 * differing value in *which and rank 0's and that rank's values in theirs0 and theirs (n
 * values each; either may be NULL).  -2 with a message when MPI fails.  Without MPI: -1. */
int rnnc_dist_compare(const uint64_t *mine, size_t n, size_t *which, uint64_t *theirs0,
                      uint64_t *theirs, char *err, size_t errlen);

/* Collective: every rank's block of bytes (the same size on every rank) to every rank:
 * all[r * bytes .. (r+1) * bytes) is rank r's, this rank's already in place (no copy is
 * read from elsewhere).  0, or -1 with a message.  Without MPI: nothing to do. */
int rnnc_dist_allgather(void *all, size_t bytes, char *err, size_t errlen);

/* Collective: replace buf (count reals, double when is_double else float) on every rank by
 * the sum over the ranks of their buf, element by element in rank order: each rank adds the
 * ranks' values of its own contiguous 1/N of the elements (an exchange that moves data
 * only: MPI_Alltoallv) with rnnc_dist_accumulate and rnnc_dist_round, then every rank
 * gathers the sums (MPI_Allgatherv).  Bandwidth as a ring allreduce's, bits independent of
 * MPI's algorithms.  0, or -1 with a message.  Without MPI (or one rank): buf unchanged. */
int rnnc_dist_sum(void *buf, size_t count, int is_double, char *err, size_t errlen);

/* The order of addition rnnc_dist_sum uses, for the shares of one process: acc[i] =
 * (double)src[i] when first, else acc[i] += (double)src[i]; then out[i] = acc[i] rounded to
 * the type of out (float unless is_double). */
void rnnc_dist_accumulate(double *acc, const void *src, size_t count, int is_double, int first);
void rnnc_dist_round(const double *acc, void *out, size_t count, int is_double);

/* The seconds this process has spent inside the collectives above (waiting for the other
 * ranks included). */
double rnnc_dist_seconds(void);

/* A failed MPI call marked the run broken: this rank cannot leave with the others. */
int rnnc_dist_broken(void);

/* Leave the run, as cli.c's exit path: MPI_Finalize, returning status; or, when the run is
 * broken (a failed MPI call: the other ranks may be waiting in a collective that will never
 * complete), MPI_Abort with status (1 if 0), which ends every rank of the job and does not
 * return.  Without MPI: returns status. */
int rnnc_dist_end(int status);

#endif
