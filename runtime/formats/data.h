/* data.h: training data.  Text files read as bytes or as UTF-8 characters, the vocabulary
 * built from them (sorted, so it is deterministic), text encoded as class indices; and CSV
 * files of numbers for dense models.  Library code: status codes and messages that name the
 * file, line and column; never prints or exits. */
#ifndef RNNC_DATA_H
#define RNNC_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef enum { RNNC_CHARS_BYTES, RNNC_CHARS_UTF8 } rnnc_chars;

/* Read a whole file ("-": standard input, to its end).  On success *buf is malloc'd
 * (NUL-terminated for convenience, the NUL not counted in *n).  Errors: "PATH: cannot open:
 * ...", "PATH: is empty" (when allow_empty is 0), "PATH: cannot read: ...", with PATH as
 * rnnc_file_label gives it; -1, or RNNC_ENOMEM when memory ran out ("PATH: cannot read: out
 * of memory for N bytes").  So do the functions below: every one returns RNNC_ENOMEM
 * (runtime/base/util.h) rather than -1 when it failed for lack of memory. */
int rnnc_read_file(const char *path, int allow_empty, unsigned char **buf, size_t *n, char *err,
                   size_t errlen);

/* A file's name in messages: "(standard input)" for "-", else path. */
const char *rnnc_file_label(const char *path);

/* The symbols of a model: byte values or Unicode code points, strictly ascending. */
typedef struct rnnc_vocab {
    rnnc_chars mode;
    size_t size;
    uint32_t *symbols;   /* malloc'd */
} rnnc_vocab;

/* Add the symbols of buf (file names it in messages) to the set being built in v (start
 * from a zeroed v with v->mode set).  Invalid UTF-8 in utf8 mode is an error naming
 * "FILE:LINE:COL".  Call once per data file. */
int rnnc_vocab_add(rnnc_vocab *v, const unsigned char *buf, size_t n, const char *file,
                   char *err, size_t errlen);
void rnnc_vocab_free(rnnc_vocab *v);

/* Index of symbol sym in v, or -1. */
int32_t rnnc_vocab_index(const rnnc_vocab *v, uint32_t sym);

/* Encode buf as class indices, appending to *ids (length *len, capacity *cap; realloc'd).
 * A symbol missing from v is an error "FILE:LINE:COL: character 'X' (U+XXXX) is not in the
 * model's vocabulary"; invalid UTF-8 likewise names the place. */
int rnnc_text_encode(const rnnc_vocab *v, const unsigned char *buf, size_t n, const char *file,
                     int32_t **ids, size_t *len, size_t *cap, char *err, size_t errlen);

/* Training text as class indices, each stored in the narrowest unsigned type that holds
 * every index of its vocabulary: width 1 (uint8_t: at most 256 symbols, so always in bytes
 * mode), 2 (uint16_t: at most 65536) or 4 (uint32_t). */
typedef struct rnnc_ids {
    void *p;             /* len elements of width bytes; malloc'd */
    size_t len;
    unsigned width;
} rnnc_ids;

/* Index i (< ids->len) of ids. */
static inline int32_t rnnc_ids_at(const rnnc_ids *ids, size_t i)
{
    if (ids->width == 1) return ((const uint8_t *)ids->p)[i];
    if (ids->width == 2) return ((const uint16_t *)ids->p)[i];
    return (int32_t)((const uint32_t *)ids->p)[i];
}
void rnnc_ids_free(rnnc_ids *ids);

/* Store v[0..n) (indices of a vocabulary of classes symbols: each below classes) as *ids in
 * the narrowest width that holds them.  0, or RNNC_ENOMEM (*ids left empty). */
int rnnc_ids_pack(const int32_t *v, size_t n, size_t classes, rnnc_ids *ids);

/* The data fingerprint of a checkpoint: 64-bit FNV-1a of the indices as they were stored
 * before rnnc_ids existed (host-order int32), so older checkpoints still match their data. */
uint64_t rnnc_ids_hash(const rnnc_ids *ids);

/* One text to load: the file at name, or (when data is not NULL) data[0..len) named name. */
typedef struct rnnc_text_src {
    const char *name;
    const unsigned char *data;
    size_t len;
} rnnc_text_src;

/* Read the texts src[0..nsrc) (a name "-" without data: standard input, named in messages
 * as rnnc_file_label gives it) and encode them one after another into *ids.  The vocabulary
 * is a copy of fixed when it is not NULL (a symbol missing from it is an error naming
 * FILE:LINE:COL), else built from the texts in mode (fixed->mode wins when fixed is given);
 * it is stored in *vocab.  Memory: in bytes mode every text is read into one buffer that is
 * then encoded in place (width 1): the peak is the data's size, with no second copy; in
 * utf8 mode each text is read whole, then encoded into ids of width 1, 2 or 4 and freed: the
 * peak is about the texts plus width bytes per character.  Empty files are refused.
 * Returns 0, -1 or RNNC_ENOMEM with a message; *vocab and *ids are empty on failure. */
int rnnc_text_load(const rnnc_text_src *src, size_t nsrc, rnnc_chars mode, const rnnc_vocab *fixed,
                   rnnc_vocab *vocab, rnnc_ids *ids, char *err, size_t errlen);

/* Encode buf as indices of v (as rnnc_text_encode does), appending to ids: an empty ids
 * (len 0, p NULL) takes the width v needs; a non-empty one must have it.  Returns 0, -1 or
 * RNNC_ENOMEM. */
int rnnc_text_encode_ids(const rnnc_vocab *v, const unsigned char *buf, size_t n,
                         const char *file, rnnc_ids *ids, char *err, size_t errlen);

/* Write symbol sym as bytes (one byte, or its UTF-8 encoding) into out; returns the count
 * (1..4). */
size_t rnnc_symbol_bytes(rnnc_chars mode, uint32_t sym, char out[4]);

/* Lines of a text buffer: from *pos, the next line of buf[0..n) is [*start, *end), without
 * its "\n" or "\r\n"; *pos moves past it.  Returns 0 (and leaves *start, *end alone) when
 * *pos == n: no line is left. */
int rnnc_next_line(const unsigned char *buf, size_t n, size_t *pos, size_t *start, size_t *end);

/* A CSV file of numbers: an optional header row of column names (a first row that is not
 * all numbers), then rows of numbers separated by commas, all with the same number of
 * columns.  Blank lines and lines starting with '#' are skipped, and so is a leading UTF-8
 * byte-order mark.  Errors name "FILE:LINE:COL" and what was expected.  rnnc_csv_parse
 * reads the text buf[0..n) (named path in messages), rnnc_csv_read the file path. */
typedef struct rnnc_csv {
    size_t rows, cols;
    double *values;      /* rows x cols, row-major; malloc'd */
    char **names;        /* cols names, or NULL when the file has no header; malloc'd */
    size_t *lines;       /* rows values: the line (from 1) of each row, for messages; malloc'd */
} rnnc_csv;
int rnnc_csv_parse(const unsigned char *buf, size_t n, const char *path, rnnc_csv *out,
                   char *err, size_t errlen);
int rnnc_csv_read(const char *path, rnnc_csv *out, char *err, size_t errlen);   /* "-": stdin */
void rnnc_csv_free(rnnc_csv *c);

/* Find column `name` (exact match) in c's header; -1 if absent or c has no header. */
long rnnc_csv_column(const rnnc_csv *c, const char *name);

#endif
