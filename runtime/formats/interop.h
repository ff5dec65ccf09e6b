/* interop.h: checkpoints to and from safetensors files with the tensor names of PyTorch's
 * nn.RNN, nn.GRU, nn.LSTM and nn.Linear, so weights move between rnnc and PyTorch:
 *   PREFIX_RNN weight_ih_l0 = U (H x N), weight_hh_l0 = W (H x H; hidden and both
 *              recurrences), bias_ih_l0 + bias_hh_l0 = b (H)   (export writes b and zeros)
 *              gated cells (--cell gru|lstm): U (G H x N), W (G H x H), bias_ih_l0 = b and
 *              bias_hh_l0 = b_h (G H), gates stacked in PyTorch's order (nn.GRU: G = 3, r z n;
 *              nn.LSTM: G = 4, i f g o), which is rnnc's; import reads the cell from rnnc.spec,
 *              --cell or the shapes (G = weight_ih_l0's rows / H) and checks that they agree
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
 * (the records' boundary symbol, the last class) for models of records; rnnc.act (the
 * activation, also in rnnc.spec: a file written by PyTorch may carry rnnc.act alone).  Import
 * reads every one of them back.  F16 and BF16 tensors (PyTorch's .half(), .bfloat16()) import
 * as float.  Library code: status + message. */
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

/* What `rnnc import` is told beyond the file. */
typedef struct rnnc_import_opts {
    const rnnc_spec_builder *base;   /* the user's spec options (act, loss, tau, batch, dtype, ...) */
    int force;                       /* --force: an option wins over the file's metadata */
    int ignore_unknown;              /* --ignore-unknown: leave out (and report) what rnnc cannot
                                        place: unknown tensors, further layers, a reverse
                                        direction, unknown rnnc.* metadata keys */
} rnnc_import_opts;

/* What an import decided that the file did not say, for the command's output line. */
typedef struct rnnc_import_report {
    char notes[1536];       /* "; "-separated notes: defaults taken (the activation, a dense
                               model for a file without rnnc.vocab), conversions (F16 widened),
                               options that overrode the metadata (--force); "" when none */
    char ignored[768];      /* ", "-separated: the tensors and metadata keys left out by
                               --ignore-unknown (the first 8, then "and N more") */
    size_t nignored;
} rnnc_import_report;

/* Build a checkpoint (step 0, fresh optimiser state, c->imported = the file's base name) from
 * path.  The spec: the options in o->base, then the file's metadata (rnnc.spec, rnnc.act: every
 * key rnnc's export writes is read back), then what the tensors say (sizes; one-hot when the
 * file has rnnc.vocab, else a dense mse model; the recurrence from which of weight_hh_l0 and
 * weight_oh_l0 it has; the dtype: double for F64, float for F32, F16, BF16), tau 25.  Refused
 * with one line (-1): a tensor or metadata problem (every shape and dtype is validated), an
 * nn.LSTM or nn.GRU (named by weight_ih_l0's 4 H or 3 H rows), further layers (*_l1 ...) or a
 * reverse direction (*_reverse), any tensor the model has no place for and any unknown rnnc.*
 * metadata key (naming them; with o->ignore_unknown they are left out and listed in
 * rep->ignored), an option of a key that defines the model (vocab in out hidden act loss
 * recurrence feedback end max_length dtype) whose value contradicts the metadata (unless
 * o->force; then the option wins and a note says so).  rep gets the notes for the output
 * line. */
int rnnc_import(const char *path, const rnnc_interop_names *n, const rnnc_import_opts *o, rnnc_ckpt *c,
                rnnc_import_report *rep, char *err, size_t errlen);

/* rnnc_import of a file already read and validated by rnnc_st_read or rnnc_st_parse (path
 * names it in messages). */
int rnnc_import_st(const rnnc_st_file *f, const char *path, const rnnc_interop_names *n,
                   const rnnc_import_opts *o, rnnc_ckpt *c, rnnc_import_report *rep, char *err,
                   size_t errlen);

#endif
