/* dataset.h: training and evaluation data as a model sees it: text as class indices, or the
 * rows of a CSV file, either as one stream (truncated BPTT over the whole data) or cut into
 * records (book section 10.2.3) that each start from the initial state: the lines or the
 * blank-line-separated paragraphs of a text, or the rows of a CSV that share the value of a
 * sequence column.  Library code: status codes and one-line messages naming the file and
 * line; never prints or exits.
 *
 * A record of m elements is a sequence of steps (0-based j):
 *   text    input j: the boundary symbol for j = 0, else element j-1; target j: element j,
 *           and with --end eos one more step whose target is the boundary symbol (the end
 *           symbol): m + 1 steps; otherwise m steps.  The boundary symbol is one class more
 *           than the data's symbols (class vocab.size), a value outside the data's alphabet.
 *   CSV     with target columns, input and target j are row j's; with the next row as
 *           target, input j is zeros for j = 0, else row j-1, and target j is row j: m steps.
 * The steps of a stream are the positions p = 0 .. len - look - 1: input element p, target
 * element p + look (text: look is 1, the next symbol). */
#ifndef RNNC_DATASET_H
#define RNNC_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "../../gen/spec.h"
#include "ckpt.h"
#include "data.h"

typedef struct rnnc_dataset_opts {
    const char *const *files;   /* the data files ("-": standard input); none: builtin */
    int csv;                    /* read them as CSV whatever their names (else: *.csv is) */
    size_t nfiles;
    const char *builtin;        /* the text used without files (named "(built-in corpus)") */
    rnnc_chars chars;           /* text: bytes or UTF-8 characters */
    const rnnc_vocab *vocab;    /* encode with this vocabulary (resume, eval), else build one */
    const char *targets;        /* CSV: comma-separated target columns (else: the next row) */
    rnnc_records records;       /* how the data is cut into sequences */
    const char *seq_column;     /* RNNC_RECORDS_CSV: the sequence column */
    int eos;                    /* text records end with the end symbol (--end eos) */
    int has_end_symbol;         /* the boundary symbol's value is given: end_symbol */
    uint32_t end_symbol;
    size_t max_record;          /* > 0: a record of more steps is an error (--max-record) */
    size_t max_length;          /* > 0: --end length's lengths 1..max_length; longer is an error */
} rnnc_dataset_opts;

typedef struct rnnc_dataset {
    int text;                   /* 1: class indices; 0: CSV rows */
    rnnc_vocab vocab;           /* text: the data's symbols, classes 0..vocab.size-1 */
    rnnc_ids ids;               /* text: len class indices (records: theirs, one after another),
                                   each in the narrowest type that holds them (data.h) */
    double *xrows, *yrows;      /* CSV: len rows of n_in and n_out values */
    size_t len, look;           /* look: 1 when the target is the next symbol / row */
    size_t n_in, n_out;         /* CSV: inputs and targets per row */
    uint64_t hash;              /* FNV-1a of the encoded data (and the records' lengths) */
    rnnc_records records;
    size_t nrec;                /* records: how many; each starts at rec_start in ids / rows */
    size_t *rec_start, *rec_len, *rec_line;  /* elements, and the line where it starts */
    size_t *rec_file;           /* the index of its file in opts.files */
    int eos;                    /* text records: the end symbol is a last step's target */
    int has_end_symbol;         /* text records: class vocab.size is the boundary symbol */
    uint32_t end_symbol;        /* its value */
} rnnc_dataset;

/* Read and encode the data of o into d.  Errors (status 2, message "FILE:LINE: ..." or naming
 * the option): unreadable or invalid files, symbols missing from a given vocabulary, empty
 * records, records longer than max_record or max_length, an end symbol that occurs in the
 * data, a CSV sequence column that is missing or whose sequences are not contiguous, CSV
 * target columns that are missing or take every column.  Status 1: out of memory.  0 on
 * success; free d with rnnc_dataset_free either way.  Memory: a stream of text takes about
 * the text's size (rnnc_text_load: bytes-mode text is encoded in place, one byte per symbol). */
int rnnc_dataset_load(const rnnc_dataset_opts *o, rnnc_dataset *d, char *err, size_t errlen);
void rnnc_dataset_free(rnnc_dataset *d);

/* Is path a CSV file by its name (*.csv)?  ("-" is not: rnnc_dataset_opts.csv says.) */
int rnnc_dataset_is_csv(const char *path);

/* The steps of record i (see above). */
size_t rnnc_dataset_record_steps(const rnnc_dataset *d, size_t i);

/* Write input and target of one step into slot k of the model's x and y buffers (spec s:
 * one class index each for one-hot inputs and nll targets, else n_in / n_out reals of the
 * spec's dtype).  record_step: step j of record i; for j past its steps, class 0 and zeros
 * (a masked step: valid, and carrying nothing).  stream_step: the step at position p. */
void rnnc_dataset_record_step(const rnnc_dataset *d, const rnnc_spec *s, size_t i, size_t j,
                              void *x, void *y, size_t k);
void rnnc_dataset_stream_step(const rnnc_dataset *d, const rnnc_spec *s, size_t p, void *x,
                              void *y, size_t k);

/* The file name of record i for messages: opts's file, or "(built-in corpus)". */
const char *rnnc_dataset_file(const rnnc_dataset_opts *o, const rnnc_dataset *d, size_t i);

#endif
