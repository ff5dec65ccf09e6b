/* batch.h: what one training step sees, and how the columns move on: the inputs, targets and
 * initial state of every column (streams at evenly spaced offsets, or records drawn in a
 * seeded order, section 10.2.3), the records' column values in the workspace, the state
 * carried into the next chunk (truncated BPTT), and the update of a learned h(0).  All of it
 * lives in the checkpoint (positions, records, carried state), so a resumed run continues
 * bit-exactly.  Library code. */
#ifndef RNNC_BATCH_H
#define RNNC_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "../formats/ckpt.h"
#include "../formats/dataset.h"
#include "../model/model.h"

typedef struct rnnc_batcher {
    const rnnc_dataset *d;
    rnnc_ckpt *ck;              /* spec, layout, positions, records, s0, h0 */
    uint64_t *perm;             /* records: the order of the current epoch (nrec values) */
    uint64_t epoch;             /* the epoch perm belongs to (perm NULL: none yet) */
} rnnc_batcher;

/* Start b on data d for the state ck.  0, or -1 (out of memory). */
int rnnc_batch_init(rnnc_batcher *b, const rnnc_dataset *d, rnnc_ckpt *ck);
void rnnc_batch_free(rnnc_batcher *b);

/* Put every column at its start: streams at evenly spaced offsets of the data, records each
 * the next record drawn (the draws restart from the seed); the carried state zeroed. */
void rnnc_batch_restart(rnnc_batcher *b);

/* Fill x, y, the records' column values in ws and s0 (buffers of the model's layout) for the
 * next step: a stream that would run off the end of the data wraps to the start with its state
 * reset; a column whose record starts here starts from h(0) (zeros, or the learned ck->h0) and
 * fb(0) = 0.  Returns the steps that carry a loss (tau x batch for streams). */
size_t rnnc_batch_fill(rnnc_batcher *b, void *x, void *y, void *ws);

/* The two halves of rnnc_batch_fill, for a batch computed in shares of contiguous columns
 * (data parallelism, shards.h).  wrap: every stream that would run off the end of the data
 * wraps to the start with its state reset (every column: the positions stay the same on
 * every rank).  fill_share: columns c0 .. c0 + s->batch - 1 into the buffers of the share's
 * model (spec s and layout l: the run's with batch = the share's columns), x, y and the
 * records' column values in ws as rnnc_batch_fill does, and, when s0 is not NULL, their
 * carried state into s0 (the s0 layout of the share: h of every column, then fb, then the LSTM's c).  Returns
 * the steps of the share that carry a loss. */
void rnnc_batch_wrap(rnnc_batcher *b);
size_t rnnc_batch_fill_share(rnnc_batcher *b, size_t c0, const rnnc_spec *s, const rnnc_layout *l,
                             void *x, void *y, void *ws, void *s0);

/* After a step: carry the final state (NAME_WS_S1 of ws) into s0, move every column on by tau
 * steps, and a column whose record ended in this chunk to the next record drawn.  The same as
 * rnnc_batch_carry of every column, then rnnc_batch_move. */
void rnnc_batch_advance(rnnc_batcher *b, const void *ws);

/* The halves of rnnc_batch_advance: carry a share's final state s1 (the s0 layout of n
 * columns, as in rnnc_batch_fill_share) into columns c0 .. c0 + n - 1 of the carried state;
 * move every column on. */
void rnnc_batch_carry(rnnc_batcher *b, size_t c0, size_t n, const void *s1);
void rnnc_batch_move(rnnc_batcher *b);

/* --learn-h0: update ck->h0 by the optimiser of ck->hp (the training step's, bias1 and bias2
 * set) with the gradient of the loss with respect to h(0) summed over the columns whose
 * record started in this step (NAME_WS_GS0 of ws), scaled, clipped and decayed as the
 * parameters are (clip-norm over h(0)'s own gradient). */
void rnnc_batch_update_h0(rnnc_batcher *b, const void *ws);

/* The same with the gradient of s0 of every column given in the run's s0 layout (gs0), as a
 * data-parallel step gathers it from the shares. */
void rnnc_batch_update_h0_from(rnnc_batcher *b, const void *gs0);

#endif
