/* train.h: training from the CLI.  Truncated BPTT over B parallel streams of the data, or
 * over records drawn column by column (section 10.2.3; batch.h), one generated train_step call
 * per step (forward, loss, BPTT, clipping, update; scheduled sampling's draws filled in),
 * the carried state s0 (h(tau), fb(tau)), a learned h(0), progress, logs, validation,
 * samples and atomic checkpoints; resumable bit-exactly. */
#ifndef RNNC_TRAIN_H
#define RNNC_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../gen/spec.h"
#include "../formats/ckpt.h"
#include "../formats/data.h"

typedef enum { RNNC_RUN_TCC, RNNC_RUN_CC, RNNC_RUN_AUTO } rnnc_run_backend;

/* Which optimiser settings the user gave explicitly (so a resumed run keeps the
 * checkpoint's value for the others). */
enum {
    RNNC_SET_OPTIM = 1, RNNC_SET_LR = 2, RNNC_SET_BETA1 = 4, RNNC_SET_BETA2 = 8,
    RNNC_SET_EPS = 16, RNNC_SET_WD = 32, RNNC_SET_CLIP = 64, RNNC_SET_CLIP_NORM = 128,
    RNNC_SET_SCHEDULE = 256, RNNC_SET_SCHEDULE_K = 512, RNNC_SET_SCHEDULE_END = 1024
};

typedef struct rnnc_train_opts {
    rnnc_spec_builder spec;      /* the user's spec options; hidden 100, tau 25 by default */
    rnnc_run_backend backend;
    int threads;                 /* rnnc_model_set_threads: 0 (default) = one per batch part */
    int shards;                  /* --shards N: the batch in N shares computed in turn and their
                                    gradients added in share order, as N MPI ranks do (shards.h);
                                    0: not given */
    int optim;                   /* RNNC_OPTIM_* */
    double lr, beta1, beta2, eps, weight_decay, clip, clip_norm;
    unsigned set;                /* RNNC_SET_* bits */
    rnnc_schedule schedule;      /* --schedule, --schedule-k, --schedule-end (bits in set; the
                                    others take the checkpoint's or the defaults, see
                                    rnnc_schedule_settle) */
    uint64_t steps;              /* total steps of the run (a resumed run counts from 0) */
    uint64_t seed;
    uint64_t every;              /* progress line and checkpoint every N steps */
    uint64_t log_every;          /* a --log row every N steps (0: every) */
    uint64_t sample_every;       /* a short sample every N steps (0: none) ... */
    double sample_seconds;       /* ... or every T seconds of training (> 0) */
    int sample_every_set;        /* given (--sample-every N or Ts): as given; else (defaults
                                    1000 and 20) by time on a terminal, by steps otherwise;
                                    none at all when both are 0 */
    rnnc_chars chars;
    int chars_set;
    const char *save, *resume, *log;
    const char *const *data;     /* files ("-": standard input); none: the built-in corpus */
    int csv;                     /* --csv: read them as CSV whatever their names */
    size_t ndata;
    const char *targets;         /* CSV: comma-separated target columns (else: the next row) */
    rnnc_records records;        /* --records lines|paragraphs, --sequence-column (records_set) */
    int records_set;
    const char *seq_column;      /* --sequence-column COL */
    int learn_h0;                /* --learn-h0: records start from a learned h(0) */
    int has_end_symbol;          /* --end-symbol C: the end (or start) symbol's value */
    uint32_t end_symbol;
    size_t max_record;           /* --max-record N: longer records are bad input (0: any) */
    const char *valid;           /* --valid FILE: held-out data, evaluated every valid_every */
    uint64_t valid_every;
    FILE *out;                   /* progress and samples */
    FILE *diag;                  /* warnings that do not stop the run, one line each: stderr */
    int tty;                     /* out is a terminal: one self-updating line */
    size_t columns;              /* the terminal's width (COLUMNS); 0: ask the terminal */
} rnnc_train_opts;

/* Defaults: min-char-rnn's (adagrad, lr 0.1, clip 5, eps 1e-8), seed 1, every 100, a sample
 * every 1000 steps (on a terminal every 20 s). */
void rnnc_train_defaults(rnnc_train_opts *o);

/* Run training (under mpirun: data parallel, see shards.h; rank 0 alone prints, writes the
 * log and the checkpoint, and the ranks return the same status).  Returns 0 when done, 130 / 143 when stopped by SIGINT / SIGTERM (after
 * saving, once training has started; the handlers are installed first of all, and a signal
 * during a cc compile cancels it), 2 for bad input (data, options, checkpoint, a --save path
 * another process is writing; message in err), 1 for a runtime failure (compile error,
 * non-finite loss, I/O, a --log that could not be written to the end; message in err).
 * Holds the lock of the --save path (rnnc_lock_output) for the whole run. */
int rnnc_train_run(const rnnc_train_opts *o, char *err, size_t errlen);

/* Scheduled sampling's schedule (ckpt.h): the user's kind, k and end where given (set:
 * RNNC_SET_SCHEDULE* bits of the options), else from, else the defaults: linear, end 0, and
 * k for a run of `steps` steps: linear k = steps (eps falls from 1 to 0 over the run), exp
 * k = 0.01^(1/steps) (eps_steps = 0.01), sigmoid k with k ln k = steps / 2 (eps = 1/2 half
 * way).  Returns 0, or 2 with a message naming the option when k or end is out of range. */
int rnnc_schedule_settle(const rnnc_schedule *user, unsigned set, const rnnc_schedule *from,
                         uint64_t steps, rnnc_schedule *out, char *err, size_t errlen);

/* eps_i of schedule s at step i (the steps done before it): the probability of feeding the
 * data. */
double rnnc_schedule_eps(const rnnc_schedule *s, uint64_t i);
const char *rnnc_schedule_name(rnnc_sched_kind k);
int rnnc_schedule_parse(const char *name);   /* linear exp sigmoid; -1 if unknown */

/* The built-in default corpus: the project's own sources, compiled into the binary. */
extern const char rnnc_corpus_corpus_txt[];

#endif
