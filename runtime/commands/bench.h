/* bench.h: the benchmark of one generated train_step (issue 6).  Builds a spec's model with
 * a backend, fills it with a seeded random problem (weights N(0, 0.01^2) as in training,
 * random inputs and targets, h(0) = 0), warms up, then times individual train_step calls
 * with CLOCK_MONOTONIC until both a minimum number of calls and a minimum time have passed.
 * Library code: returns status codes with a message; prints only to the FILE* it is given.
 *
 * FLOP count (rnnc_bench_flops): 2 FLOPs per multiply-add of the matrix products only (a
 * one-hot input is free).  Per time step and batch column:
 *   forward   W h (H*H) + V h (K*H)                       [+ U x (H*N) if dense]
 *   backward  V^T g_o (K*H) + W^T d (H*H) + grad_V (K*H) + grad_W (H*H)  [+ grad_U (H*N)]
 * times tau * B.  Vocab 65, hidden 100, tau 25, B 1: 2.475 MFLOP per step.  The W terms only
 * with a hidden recurrence; with an output recurrence R fb (H*K) and grad_R (H*K) unless fb
 * is one-hot (teacher forcing or scheduled sampling with nll: free, as U x), and R^T d (K*H)
 * when running free. */
#ifndef RNNC_BENCH_H
#define RNNC_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../gen/spec.h"
#include "../jit/jit.h"

typedef struct rnnc_bench_opts {
    rnnc_backend backend;
    int optim;            /* RNNC_OPTIM_* (model.h); hyperparameters as rnnc train's defaults */
    uint64_t reps;        /* at least this many timed calls (>= 1) */
    double seconds;       /* and at least this much timed time */
    uint64_t seed;        /* the random problem */
    int threads;          /* rnnc_model_set_threads: 1 (the default), 0 = one per batch part */
    int records;          /* 1: every column holds a record of exactly tau steps (NAME_WS_SEQ:
                             end tau, first, length tau): masking on full chunks */
} rnnc_bench_opts;

/* Defaults: tcc, adagrad, 20 calls, 1 second, seed 1, one thread. */
void rnnc_bench_defaults(rnnc_bench_opts *o);

typedef struct rnnc_bench_result {
    double compile_ms;    /* rnnc_jit_compile_ms: cc from its cache counts as the dlopen */
    int cache_hit;
    size_t src_bytes;     /* the generated translation unit at tau ... */
    size_t src_bytes_t1;  /* ... and at tau1 (tau + 1, or tau - 1 at the tau limit) */
    size_t tau1;
    double bytes_per_step;   /* (src_bytes_t1 - src_bytes) / (tau1 - tau) */
    double flops;         /* per train_step call */
    int threads;          /* threads used (the batch parts cap it) */
    size_t parts;         /* the model's batch parts */
    uint64_t warmup;      /* untimed calls */
    uint64_t reps;        /* timed calls */
    double total_s;       /* their total time */
    double median_us, min_us, max_us, mean_us;
    double gflops;        /* flops / median */
    double loss_first, loss_last;   /* of the first and the last call */
} rnnc_bench_result;

/* The FLOPs of one train_step call of spec s (see the top of this file). */
double rnnc_bench_flops(const rnnc_spec *s);

/* Run the benchmark.  Returns 0, or -1 with the reason (e.g. compiler messages) in err. */
int rnnc_bench_run(const rnnc_spec *s, const rnnc_bench_opts *o, rnnc_bench_result *r,
                   char *err, size_t errlen);

/* Write the report; its last line is exactly
 *   median_us=N min_us=N max_us=N gflops=N
 * Returns 0, or -1 if writing failed. */
int rnnc_bench_report(const rnnc_spec *s, const rnnc_bench_opts *o, const rnnc_bench_result *r,
                      FILE *out);

#endif
