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

/* After a step: carry the final state (NAME_WS_S1 of ws) into s0, move every column on by tau
 * steps, and a column whose record ended in this chunk to the next record drawn. */
void rnnc_batch_advance(rnnc_batcher *b, const void *ws);

/* --learn-h0: update ck->h0 by the optimiser of ck->hp (the training step's, bias1 and bias2
 * set) with the gradient of the loss with respect to h(0) summed over the columns whose
 * record started in this step (NAME_WS_GS0 of ws), scaled, clipped and decayed as the
 * parameters are (clip-norm over h(0)'s own gradient). */
void rnnc_batch_update_h0(rnnc_batcher *b, const void *ws);

#endif
