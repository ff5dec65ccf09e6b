/* ckpt.h: training checkpoints.  One binary file: magic, format version, total length, the
 * canonical spec (recurrence, feedback, end and max_length included), the vocabulary, the
 * optimiser settings, step, losses, RNG state, data fingerprint and stream positions, the
 * scheduled-sampling schedule, the records' settings and positions, then the weights,
 * optimiser state, the carried state s0 (h(tau) and fb(tau) of every column, the generated
 * code's s0 layout) and a learned h(0) with its optimiser state, and a CRC-32 (zlib) of
 * everything before it.  Version 1 files (carried hidden states only) still load.  No timestamps and no paths, so
 * equal training states give byte-identical files.  Written atomically: a temporary file
 * in the same directory, fsync, rename, fsync of the directory; a crash at any moment
 * leaves the previous checkpoint intact.  Library code: status + message. */
#ifndef RNNC_CKPT_H
#define RNNC_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include "../../gen/spec.h"
#include "data.h"
#include "../model/model.h"

#define RNNC_CKPT_VERSION 2

/* Scheduled sampling's decay of eps_i, the probability that step i feeds the data
 * (Bengio et al. 2015; i = the training steps done before it):
 *   linear   eps_i = max(end, 1 - i / k)          k >= 1: the steps to fall from 1 to 0
 *   exp      eps_i = max(end, k^i)                0 < k < 1
 *   sigmoid  eps_i = max(end, k / (k + exp(i / k)))   k >= 1 (inverse sigmoid)
 * kind NONE: not scheduled sampling. */
typedef enum {
    RNNC_SCHED_NONE, RNNC_SCHED_LINEAR, RNNC_SCHED_EXP, RNNC_SCHED_SIGMOID, RNNC_SCHED_COUNT
} rnnc_sched_kind;
typedef struct rnnc_schedule {
    rnnc_sched_kind kind;
    double k, end;
} rnnc_schedule;

/* How the training data is cut into sequences: one stream (truncated BPTT), or records
 * (section 10.2.3) that each start from h(0): the lines of a text, its blank-line-separated
 * paragraphs, or the runs of equal values of a CSV's sequence column. */
typedef enum {
    RNNC_RECORDS_NONE, RNNC_RECORDS_LINES, RNNC_RECORDS_PARAGRAPHS, RNNC_RECORDS_CSV,
    RNNC_RECORDS_COUNT
} rnnc_records;

typedef struct rnnc_ckpt {
    rnnc_spec spec;
    rnnc_layout layout;
    rnnc_vocab vocab;             /* one-hot models: the data's symbols (classes 0..size-1);
                                     size 0 for dense */
    rnnc_hparams hp;              /* optimiser settings (bias1/bias2 are recomputed) */
    uint64_t step;                /* training steps done */
    uint64_t seed;                /* the run's --seed */
    uint64_t rng;                 /* RNG state after initialisation */
    double smooth_loss, last_loss;
    uint64_t data_len, data_hash; /* the encoded training data: length and FNV-1a hash */
    uint64_t *positions;          /* per column: streams, the position in the data; records,
                                     the steps done in the column's record */
    void *params, *opt, *s0;      /* params_count, opt_count, s0_count reals (the carried state) */
    /* Version 2. */
    rnnc_schedule sched;          /* scheduled sampling (kind NONE otherwise) */
    rnnc_records records;
    char seq_column[128];         /* RNNC_RECORDS_CSV: the sequence column's name */
    int has_end_symbol;           /* records of text: class vocab.size (the last) is the end
                                     symbol (--end eos) or the start symbol (other ends) */
    uint32_t end_symbol;          /* its value: a byte / code point outside the data's */
    uint64_t *record;             /* records: the record each column is in (batch values) */
    uint64_t drawn;               /* records: how many records the columns have drawn */
    int learn_h0;                 /* --learn-h0: h0 and its optimiser state follow */
    void *h0, *h0_opt;            /* hidden and 2 x hidden reals (NULL without --learn-h0) */
} rnnc_ckpt;

/* Allocate the arrays of c for c->spec (positions, record, params, opt, s0, and h0, h0_opt
 * when c->learn_h0 is set; zeroed); fills layout. */
int rnnc_ckpt_alloc(rnnc_ckpt *c, char *err, size_t errlen);
void rnnc_ckpt_free(rnnc_ckpt *c);

/* Write c to path atomically.  Returns 0, or -1 with a message; path is untouched on error. */
int rnnc_ckpt_save(const rnnc_ckpt *c, const char *path, char *err, size_t errlen);

/* Read path into c (allocating its arrays).  A truncated, corrupted (checksum), foreign
 * (magic) or newer-format file is refused with a message naming the file and the problem. */
int rnnc_ckpt_load(rnnc_ckpt *c, const char *path, char *err, size_t errlen);

#endif
