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

/* Version 2 (issue 17): the carried state of an LSTM holds c(tau) after h(tau); version 1
 * files (every model then had the rnn cell) read as they always have. */
#define RNNC_CKPT_VERSION 2
#define RNNC_CKPT_VERSION_MIN 1

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
    void *params, *opt, *h;       /* params_count, opt_count, and the carried state:
                                     rnnc_ckpt_state_count reals */
} rnnc_ckpt;

/* Reals of the state a checkpoint carries: h(tau) of every stream (batch x hidden), then the
 * LSTM's c(tau) (batch x hidden more), the layout of a gated model's s0. */
size_t rnnc_ckpt_state_count(const rnnc_spec *s);

/* Allocate the arrays of c for c->spec (positions, params, opt, h, zeroed); fills layout. */
int rnnc_ckpt_alloc(rnnc_ckpt *c, char *err, size_t errlen);
void rnnc_ckpt_free(rnnc_ckpt *c);

/* Write c to path atomically.  Returns 0, or -1 with a message; path is untouched on error. */
int rnnc_ckpt_save(const rnnc_ckpt *c, const char *path, char *err, size_t errlen);

/* Read path into c (allocating its arrays).  A truncated, corrupted (checksum), foreign
 * (magic) or newer-format file is refused with a message naming the file and the problem. */
int rnnc_ckpt_load(rnnc_ckpt *c, const char *path, char *err, size_t errlen);

#endif
