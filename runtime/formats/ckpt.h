/* ckpt.h: training checkpoints.  One binary file: magic, format version, total length, the
 * canonical spec (recurrence, feedback, end and max_length included), the vocabulary, the
 * optimiser settings, step, losses, RNG state, data fingerprint and stream positions, the
 * scheduled-sampling schedule, the records' settings and positions, then the weights,
 * optimiser state, the carried state s0 (h(tau) and fb(tau) of every column, the generated
 * code's s0 layout) and a learned h(0) with its optimiser state, where an imported model came
 * from (version 3), and a CRC-32 (zlib) of everything before it.  Version 1 files (carried
 * hidden states only) and version 2 files (no origin) still load.  No timestamps and no paths, so
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

#define RNNC_CKPT_VERSION 3

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
    /* Version 3. */
    char imported[256];           /* the base name of the safetensors file `rnnc import` made it
                                     from ("": trained by rnnc from the start) */
} rnnc_ckpt;

/* Allocate the arrays of c for c->spec (positions, record, params, opt, s0, and h0, h0_opt
 * when c->learn_h0 is set; zeroed); fills layout.  Returns 0, -1 (the spec's layout is
 * refused) or RNNC_ENOMEM, with a message. */
int rnnc_ckpt_alloc(rnnc_ckpt *c, char *err, size_t errlen);
void rnnc_ckpt_free(rnnc_ckpt *c);

/* The bytes of c as a checkpoint file (little-endian hosts): 0 with *buf malloc'd (*len
 * bytes), or RNNC_ENOMEM. */
int rnnc_ckpt_serialize(const rnnc_ckpt *c, unsigned char **buf, size_t *len);

/* Write c to path atomically.  Returns 0, or -1 with a message; path is untouched on error. */
int rnnc_ckpt_save(const rnnc_ckpt *c, const char *path, char *err, size_t errlen);

/* Parse the checkpoint data[0..n) (path names it in messages) into c, allocating its arrays,
 * and check it as strictly as rnnc_ckpt_save's callers promise: a short, foreign (magic),
 * newer-format, truncated or corrupted (CRC-32) file is refused, and so is one with a valid
 * checksum whose content is impossible: a spec not in canonical form or beyond the limits, a
 * vocabulary that does not match the spec, repeats a symbol, is not ascending or holds a
 * symbol out of range (above 0xFF for bytes, not a Unicode scalar value for UTF-8), an unknown
 * optimiser or a setting outside the command line's range (grad_scale must be 1/batch), a
 * negative or non-finite loss (NaN only before the first step), training steps without data,
 * arrays whose sizes do not match the spec (checked before they are allocated, so a small
 * file never makes a large allocation), a stream position beyond the data, a NaN or infinite
 * weight, optimiser state or learned h(0), a carried hidden state outside its activation's
 * range (a gated cell's: [-1, 1]), the LSTM's carried cell state c not finite (no range), a
 * carried fed-back output fb(tau) that is not finite (nll: outside [0, 1]), version 3's
 * imported file name with a NUL, control byte or slash (it is a base name, one line), and
 * optimiser or carried state that is not zero before the first step.  Version 2's settings
 * must go together as rnnc train makes them: a schedule exactly for scheduled sampling (kind,
 * k and end in the command line's ranges), records of text with the end symbol (a byte or
 * Unicode scalar value outside the vocabulary) in a one-hot model, a CSV's sequence column
 * (1 to 127 bytes, no NUL or control character) in a dense one, --end and a learned h(0) only
 * with records, a record's position a multiple of tau, records drawn at most one per column
 * and step.  Version 1 files are read as before (h of s0 only).  Every refusal is one
 * line naming path and what is wrong ("PATH: corrupt checkpoint (weight U[3, 0] is NaN)").
 * Returns 0, -1, or RNNC_ENOMEM when memory ran out; c is empty on failure. */
int rnnc_ckpt_parse(rnnc_ckpt *c, const unsigned char *data, size_t n, const char *path,
                    char *err, size_t errlen);

/* Is c a training state that rnnc_ckpt_parse would accept back (its vocabulary, optimiser
 * settings, losses, positions and arrays; the spec is assumed valid and c->layout filled)?
 * 0, or -1 with what is wrong ("weight U[3, 0] is NaN", no file name) in what.  Checked by
 * the loader and by training before each save, so a checkpoint rnnc writes always loads. */
int rnnc_ckpt_check(const rnnc_ckpt *c, char *what, size_t n);

/* Read path and rnnc_ckpt_parse it.  Also refused: a file that cannot be opened or read.
 * Returns 0, -1, or RNNC_ENOMEM. */
int rnnc_ckpt_load(rnnc_ckpt *c, const char *path, char *err, size_t errlen);

#endif
