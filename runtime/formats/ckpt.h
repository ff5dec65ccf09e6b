/* ckpt.h: training checkpoints.  One binary file: magic, format version, total length, the
 * canonical spec, the vocabulary, the optimiser settings, step, losses, RNG state, data
 * fingerprint and stream positions, then the weights, optimiser state and carried hidden
 * states, and a CRC-32 (zlib) of everything before it.  No timestamps and no paths, so
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

#define RNNC_CKPT_VERSION 1

typedef struct rnnc_ckpt {
    rnnc_spec spec;
    rnnc_layout layout;
    rnnc_vocab vocab;             /* one-hot models; size 0 for dense */
    rnnc_hparams hp;              /* optimiser settings (bias1/bias2 are recomputed) */
    uint64_t step;                /* training steps done */
    uint64_t seed;                /* the run's --seed */
    uint64_t rng;                 /* RNG state after initialisation */
    double smooth_loss, last_loss;
    uint64_t data_len, data_hash; /* the encoded training data: length and FNV-1a hash */
    uint64_t *positions;          /* batch stream positions */
    void *params, *opt, *h;       /* params_count, opt_count, batch x hidden reals */
} rnnc_ckpt;

/* Allocate the arrays of c for c->spec (positions, params, opt, h, zeroed); fills layout.
 * Returns 0, -1 (the spec's layout is refused) or RNNC_ENOMEM, with a message. */
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
 * weight or optimiser state, a carried hidden state outside its activation's range, and
 * optimiser or hidden state that is not zero before the first step.  Every refusal is one
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
