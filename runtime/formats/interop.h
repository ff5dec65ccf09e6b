/* interop.h: checkpoints to and from safetensors files with the tensor names of PyTorch's
 * nn.RNN, nn.GRU, nn.LSTM and nn.Linear, so weights move between rnnc and PyTorch:
 *   PREFIX_RNN weight_ih_l0 = U (G H x N), weight_hh_l0 = W (G H x H),
 *              rnn cell (G = 1): bias_ih_l0 + bias_hh_l0 = b (H)   (export writes b and zeros)
 *              gated cells: bias_ih_l0 = b, bias_hh_l0 = b_h (G H), gates stacked in PyTorch's
 *              order (nn.GRU: G = 3, r z n; nn.LSTM: G = 4, i f g o), which is rnnc's
 *   PREFIX_LIN weight = V (K x H), bias = c (K)
 * Import reads the cell from the rnnc.spec metadata or the user's --cell, else from the
 * shapes (G = weight_hh rows / columns), and checks that they agree.
 * Default prefixes "rnn." and "fc." (a module with attributes `rnn` and `fc`).  Metadata:
 * rnnc.spec (canonical spec), rnnc.chars (bytes or utf8) and rnnc.vocab (the symbols as
 * comma-separated decimal numbers) for one-hot models.  Library code: status + message. */
#ifndef RNNC_INTEROP_H
#define RNNC_INTEROP_H

#include <stddef.h>

#include "ckpt.h"

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

#endif
