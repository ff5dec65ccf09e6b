/* data.h: training data.  Text files read as bytes or as UTF-8 characters, the vocabulary
 * built from them (sorted, so it is deterministic), text encoded as class indices; and CSV
 * files of numbers for dense models.  Library code: status codes and messages that name the
 * file, line and column; never prints or exits. */
#ifndef RNNC_DATA_H
#define RNNC_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef enum { RNNC_CHARS_BYTES, RNNC_CHARS_UTF8 } rnnc_chars;

/* Read a whole file.  On success *buf is malloc'd (NUL-terminated for convenience, the NUL
 * not counted in *n).  Errors: "PATH: cannot open: ...", "PATH: is empty" (when
 * allow_empty is 0), "PATH: cannot read: ...". */
int rnnc_read_file(const char *path, int allow_empty, unsigned char **buf, size_t *n, char *err,
                   size_t errlen);

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

/* Write symbol sym as bytes (one byte, or its UTF-8 encoding) into out; returns the count
 * (1..4). */
size_t rnnc_symbol_bytes(rnnc_chars mode, uint32_t sym, char out[4]);

/* Lines of a text buffer: from *pos, the next line of buf[0..n) is [*start, *end), without
 * its "\n" or "\r\n"; *pos moves past it.  Returns 0 (and leaves *start, *end alone) when
 * *pos == n: no line is left. */
int rnnc_next_line(const unsigned char *buf, size_t n, size_t *pos, size_t *start, size_t *end);

/* A CSV file of numbers: an optional header row of column names (a first row that is not
 * all numbers), then rows of numbers separated by commas, all with the same number of
 * columns.  Blank lines and lines starting with '#' are skipped.  Errors name
 * "FILE:LINE:COL" and what was expected. */
typedef struct rnnc_csv {
    size_t rows, cols;
    double *values;      /* rows x cols, row-major; malloc'd */
    char **names;        /* cols names, or NULL when the file has no header; malloc'd */
    size_t *lines;       /* rows values: the line (from 1) of each row, for messages; malloc'd */
} rnnc_csv;
int rnnc_csv_read(const char *path, rnnc_csv *out, char *err, size_t errlen);
void rnnc_csv_free(rnnc_csv *c);

/* Find column `name` (exact match) in c's header; -1 if absent or c has no header. */
long rnnc_csv_column(const rnnc_csv *c, const char *name);

#endif
