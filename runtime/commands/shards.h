/* shards.h: the data-parallel training step (issue 12).  The global batch of B columns is cut
 * into `count` shares of B / count contiguous columns; share k is columns k B/count ..
 * (k+1) B/count - 1.  Under `mpirun -np N` rank r computes share r (count = N); with
 * `--shards N` one process computes the N shares in turn.  A step:
 *   1. every share runs the gradient stages of NAME_train_part (forward, BPTT, parameter
 *      gradients) on its columns with a model built for B / count columns;
 *   2. the shares' gradients are added element by element in share order, in double, and
 *      rounded once (rnnc_dist_accumulate / rnnc_dist_round in one process, rnnc_dist_sum
 *      across ranks: the same additions), and every share's loss, live steps, final state,
 *      gradient of h(0) and stop request go to every rank (rnnc_dist_allgather);
 *   3. every rank runs the update stage with that gradient and grad_scale 1/B, carries each
 *      share's final state into its columns, updates a learned h(0) from every column's
 *      gradient in column order, and moves the columns on.
 * So every rank holds the whole training state (identical on all of them: rank 0 writes it),
 * a run on N ranks gives the bits of `--shards N` on one process, and one share gives the
 * bits of the plain step.  Library code: status codes and one-line messages. */
#ifndef RNNC_SHARDS_H
#define RNNC_SHARDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../formats/ckpt.h"
#include "../formats/dataset.h"
#include "../model/model.h"
#include "batch.h"
#include "train.h"

typedef struct rnnc_shards {
    int count;                   /* shares of the global batch; 0: the plain step */
    int first, local;            /* this process computes shares first .. first + local - 1 */
    int ranks;                   /* processes of the run (rnnc_dist_size) */
    size_t cols;                 /* columns per share */
    rnnc_spec spec;              /* the model of one share: the run's spec with batch = cols */
    size_t msg_bytes;            /* one share's message (see shards.c) */
    unsigned char *msgs;         /* count messages, in share order */
    double *acc;                 /* the gradient of the local shares, summed in double */
    void *gs0;                   /* --learn-h0: every column's gradient of s0 (the run's layout) */
    double *ctl;                 /* scheduled sampling: the run's control values (tau x B) */
    uint64_t steps;              /* steps timed, and their seconds: */
    double t_compute, t_exchange, t_update;
    double t_wait;               /* of t_exchange: waiting for a slower rank's gradient stages */
} rnnc_shards;

/* Fingerprints that every rank must share (collective; nothing without MPI): the training
 * data d (length and hash), the checkpoint to resume (NULL: none), the settled spec s and
 * the options that decide how many steps run and when the ranks save.  Returns 0, or 2 with
 * one line naming what differs and the first rank that differs from rank 0 (1 when MPI
 * fails). */
int rnnc_shards_check(const rnnc_train_opts *o, const rnnc_dataset *d, const rnnc_ckpt *resumed,
                      const rnnc_spec *s, char *err, size_t errlen);

/* Plan the shares of the run's spec s: `shards` (--shards; 0 when not given) on one process,
 * or one per rank under MPI; none (count 0: the plain step) for one process without
 * --shards.  Returns 0, or 2 with one line when the shares do not divide the batch or
 * --shards is given to more than one rank, 1 with a message when memory runs out.  learn_h0
 * and scheduled say what the messages carry.  Free with rnnc_shards_free. */
int rnnc_shards_plan(rnnc_shards *sh, const rnnc_spec *s, int shards, int learn_h0, int scheduled,
                     char *err, size_t errlen);
void rnnc_shards_free(rnnc_shards *sh);

/* The threads of each share's model: the user's (threads > 0), else rnnc_model_set_threads's
 * automatic choice (0) capped at the online CPUs shared by the ranks on this host. */
int rnnc_shards_threads(const rnnc_shards *sh, int threads);

/* One data-parallel step (above) on the batcher b (its ck holds the run's state; b->ck->hp
 * with bias1 / bias2 set and grad_scale 1/B), with the share model m, buffers buf of m's
 * layout, and *stop this process's stop request (a signal number, 0 for none): on return
 * *stop is the lowest share's request (so every rank stops after the same step) and *live
 * the steps that carried a loss.  Returns the batch's loss; when it is not finite nothing
 * was updated.  *status: 0, or 1 with a message when an exchange failed. */
double rnnc_shards_step(rnnc_shards *sh, rnnc_batcher *b, rnnc_model *m, rnnc_buffers *buf, int *stop,
                        size_t *live, int *status, char *err, size_t errlen);

/* One line on out describing the split ("data parallel: ..."), and one with the mean time of
 * a step's compute, exchange (and of it the wait for a slower rank: the longest gradient
 * stages of any share, from the messages, less this rank's) and update so far. */
void rnnc_shards_describe(const rnnc_shards *sh, FILE *out);
void rnnc_shards_report(const rnnc_shards *sh, FILE *out);

#endif
