/* interop.h: checkpoints to and from safetensors files with the tensor names of PyTorch's
 * nn.RNN and nn.Linear, so weights move between rnnc and PyTorch:
 *   PREFIX_RNN weight_ih_l0 = U (H x N), weight_hh_l0 = W (H x H; hidden and both
 *              recurrences), bias_ih_l0 + bias_hh_l0 = b (H)   (export writes b and zeros)
 *   PREFIX_LIN weight = V (K x H), bias = c (K)
 * What PyTorch has no module for, under names of rnnc's own:
 *   PREFIX_RNN weight_oh_l0 = R (H x K): the output-to-hidden weights of an output recurrence
 *              (figure 10.4), named as nn.RNN would name them
 *   rnnc.halt_w (1 x H), rnnc.halt_b (1): the halting unit (--end halt, 10.33h)
 *   rnnc.len_w (M x H), rnnc.len_b (M), rnnc.rem_u (H): the length output (--end length)
 *   rnnc.h0 (H): a learned initial state (--learn-h0)
 * Default prefixes "rnn." and "fc." (a module with attributes `rnn` and `fc`).  Metadata:
 * rnnc.spec (canonical spec, with recurrence, feedback, end and max_length), rnnc.chars (bytes
 * or utf8) and rnnc.vocab (the data's symbols as comma-separated decimal numbers) for one-hot
 * models; rnnc.records (lines, paragraphs or csv), rnnc.sequence_column and rnnc.end_symbol
 * (the records' boundary symbol, the last class) for models of records.  Library code:
 * status + message. */
#ifndef RNNC_INTEROP_H
#define RNNC_INTEROP_H

#include <stddef.h>

#include "ckpt.h"
#include "safetensors.h"

typedef struct rnnc_interop_names {
    const char *rnn_prefix;   /* "rnn." */
    const char *lin_prefix;   /* "fc." */
} rnnc_interop_names;

/* Write c's weights (row-major, in its dtype) and metadata to path (atomically). */
int rnnc_export(const rnnc_ckpt *c, const rnnc_interop_names *n, const char *path, char *err,
                size_t errlen);

/* Build a checkpoint (step 0, fresh optimiser state) from path.  The spec comes from the
 * rnnc.spec metadata when present, else from the shapes; base supplies the options the
 * user gave (act, loss, tau, batch, dtype, name: unset keys take the file's or default
 * values).  Every shape, dtype and the vocabulary are validated. */
int rnnc_import(const char *path, const rnnc_interop_names *n, const rnnc_spec_builder *base,
                rnnc_ckpt *c, char *err, size_t errlen);

/* rnnc_import of a file already read and validated by rnnc_st_read or rnnc_st_parse (path
 * names it in messages). */
int rnnc_import_st(const rnnc_st_file *f, const char *path, const rnnc_interop_names *n,
                   const rnnc_spec_builder *base, rnnc_ckpt *c, char *err, size_t errlen);

#endif
