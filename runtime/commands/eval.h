/* eval.h: the loss of a trained model on held-out data (rnnc eval, and rnnc train --valid).
 * The generated code is fixed-size, so the data is run in chunks of tau steps on one column
 * (batch 1) with the state carried from chunk to chunk, as in training: one stream from the
 * zero state, or each record from its initial state (zeros or the learned h(0)), the steps
 * after a stream's or a record's end masked (10.32m).  Only forward passes; nothing is
 * changed.  Library code: status + message. */
#ifndef RNNC_EVAL_H
#define RNNC_EVAL_H

#include <stddef.h>

#include "../../gen/spec.h"
#include "../formats/dataset.h"
#include "../jit/jit.h"
#include "../model/model.h"

/* A trained spec's model rebuilt for evaluation: batch 1, the same weights' layout. */
typedef struct rnnc_evaluator {
    rnnc_spec spec;
    rnnc_model model;
    rnnc_buffers buf;
    int loaded;
} rnnc_evaluator;

/* Build the evaluation model of the trained spec s with feedback fb (RNNC_FB_TEACHER or
 * RNNC_FB_FREE; used only with an output recurrence: the same weights run teacher-forced or
 * free, 10.11t / 10.11f) on backend b.  0, or -1 with the compiler's message. */
int rnnc_eval_open(rnnc_evaluator *e, const rnnc_spec *s, rnnc_feedback fb, rnnc_backend b,
                   char *err, size_t errlen);
void rnnc_eval_close(rnnc_evaluator *e);

typedef struct rnnc_eval_result {
    double loss;       /* the total loss: nll in nats, mse the sum of 1/2 ||o - y||^2; each
                          record's end included (the end symbol's -log p, the halting unit's
                          terms, L_n); the sum of rec_loss in record order */
    size_t steps;      /* the steps that carry a loss (symbols or rows predicted) */
    size_t nrec;       /* records evaluated (0 for a stream) */
    double *rec_loss;  /* with per_record: each record's loss (-log P of the record), malloc'd */
} rnnc_eval_result;

/* Evaluate params (the trained layout) on d: a stream (d->records NONE: from the zero state),
 * or every record (from h0, the learned initial state of hidden values, or zeros when h0 is
 * NULL).  d must be encoded for the model (its vocabulary, its inputs and outputs).  Returns
 * 0, or -1 with a message (out of memory). */
int rnnc_eval_run(rnnc_evaluator *e, const void *params, const void *h0, const rnnc_dataset *d,
                  int per_record, rnnc_eval_result *r, char *err, size_t errlen);
void rnnc_eval_result_free(rnnc_eval_result *r);

/* Write the column values of records at ws (layout l, dtype dt) for column b: its record
 * ends at step `end` of the chunk (0: not in it), the chunk starts it (first), its steps n;
 * with --end length also r(t) = (n - j0 - t) / M for the chunk's steps t = 1..tau (0 after
 * the end), j0 the record's steps before the chunk.  Shared with training. */
void rnnc_records_column(const rnnc_spec *s, const rnnc_layout *l, void *ws, size_t b, size_t j0,
                         size_t n);

#endif
