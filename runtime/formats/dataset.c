/* dataset.c: training and evaluation data as a model sees it (see dataset.h). */
#define _POSIX_C_SOURCE 200809L
#include "dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"
#include "../model/model.h"
#include "../base/text.h"

static const char builtin_name[] = "(built-in corpus)";

/* The name of data file i of o in messages: "(built-in corpus)" without files,
 * "(standard input)" for "-". */
static const char *file_name(const rnnc_dataset_opts *o, size_t i)
{
    return o->nfiles ? rnnc_file_label(o->files[i]) : builtin_name;
}

int rnnc_dataset_is_csv(const char *path) { return rnnc_ends_with(path, ".csv"); }

void rnnc_dataset_free(rnnc_dataset *d)
{
    rnnc_vocab_free(&d->vocab);
    rnnc_ids_free(&d->ids);
    free(d->xrows);
    free(d->yrows);
    free(d->rec_start);
    free(d->rec_len);
    free(d->rec_line);
    free(d->rec_file);
    memset(d, 0, sizeof *d);
}

const char *rnnc_dataset_file(const rnnc_dataset_opts *o, const rnnc_dataset *d, size_t i)
{
    size_t f = d->rec_file && i < d->nrec ? d->rec_file[i] : 0;
    return file_name(o, f < o->nfiles ? f : 0);
}

size_t rnnc_dataset_record_steps(const rnnc_dataset *d, size_t i)
{
    return d->rec_len[i] + (d->text && d->eos ? 1 : 0);
}

/* ---- filling the model's buffers ---- */

/* Slot k of x: class c (one-hot), or row r of xrows (r == SIZE_MAX: zeros). */
static void put_x(const rnnc_dataset *d, const rnnc_spec *s, void *x, size_t k, int32_t c, size_t r)
{
    if (s->onehot) {
        ((int32_t *)x)[k] = c;
        return;
    }
    for (size_t i = 0; i < s->n_in; i++)
        rnnc_set(x, s->dtype, k * s->n_in + i, r == SIZE_MAX ? 0 : d->xrows[r * d->n_in + i]);
}

/* Slot k of y: class c (nll), its one-hot vector (mse on text), or row r of yrows (r ==
 * SIZE_MAX: zeros). */
static void put_y(const rnnc_dataset *d, const rnnc_spec *s, void *y, size_t k, int32_t c, size_t r)
{
    if (rnnc_losses[s->loss].class_targets) {
        ((int32_t *)y)[k] = c;
        return;
    }
    for (size_t i = 0; i < s->n_out; i++) {
        double v = d->text ? (r == SIZE_MAX ? 0 : (size_t)c == i ? 1 : 0)
                           : r == SIZE_MAX ? 0 : d->yrows[r * d->n_out + i];
        rnnc_set(y, s->dtype, k * s->n_out + i, v);
    }
}

void rnnc_dataset_record_step(const rnnc_dataset *d, const rnnc_spec *s, size_t i, size_t j,
                              void *x, void *y, size_t k)
{
    size_t st = d->rec_start[i], m = d->rec_len[i];
    if (j >= rnnc_dataset_record_steps(d, i)) {
        put_x(d, s, x, k, 0, SIZE_MAX);
        put_y(d, s, y, k, 0, SIZE_MAX);
        return;
    }
    if (d->text) {
        int32_t bound = (int32_t)d->vocab.size;
        put_x(d, s, x, k, j == 0 ? bound : rnnc_ids_at(&d->ids, st + j - 1), 0);
        put_y(d, s, y, k, j < m ? rnnc_ids_at(&d->ids, st + j) : bound, 0);
        return;
    }
    put_x(d, s, x, k, 0, d->look && j == 0 ? SIZE_MAX : st + j - d->look);
    put_y(d, s, y, k, 0, st + j);
}

void rnnc_dataset_stream_step(const rnnc_dataset *d, const rnnc_spec *s, size_t p, void *x,
                              void *y, size_t k)
{
    if (d->text) {
        put_x(d, s, x, k, rnnc_ids_at(&d->ids, p), 0);
        put_y(d, s, y, k, rnnc_ids_at(&d->ids, p + 1), 0);
    } else {
        put_x(d, s, x, k, 0, p);
        put_y(d, s, y, k, 0, p + d->look);
    }
}

/* ---- records ---- */

/* Append record [start, start + len) starting at line of file f. 0, or 1 (out of memory). */
static int add_record(rnnc_dataset *d, size_t *cap, size_t start, size_t len, size_t line, size_t f)
{
    if (d->nrec == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        size_t *a = realloc(d->rec_start, nc * sizeof *a), *b = a ? realloc(d->rec_len, nc * sizeof *b) : NULL;
        if (a) d->rec_start = a;
        if (b) d->rec_len = b;
        size_t *c = b ? realloc(d->rec_line, nc * sizeof *c) : NULL;
        if (c) d->rec_line = c;
        size_t *e = c ? realloc(d->rec_file, nc * sizeof *e) : NULL;
        if (!e) return 1;
        d->rec_file = e;
        *cap = nc;
    }
    d->rec_start[d->nrec] = start;
    d->rec_len[d->nrec] = len;
    d->rec_line[d->nrec] = line;
    d->rec_file[d->nrec] = f;
    d->nrec++;
    return 0;
}

/* The records' lengths against --max-record and --max-length (in steps), and that there is
 * at least one.  0, or 2 with a message naming the file and line. */
static int check_records(const rnnc_dataset_opts *o, const rnnc_dataset *d, char *err, size_t errlen)
{
    if (d->nrec == 0)
        return rnnc_fail(err, errlen, "%s: no records (the data is empty or only blank lines)",
                         file_name(o, 0)), 2;
    for (size_t i = 0; i < d->nrec; i++) {
        size_t n = rnnc_dataset_record_steps(d, i);
        const char *what = d->text ? "symbols" : "rows";
        if (o->max_record && n > o->max_record)
            return rnnc_fail(err, errlen, "%s:%zu: a record of %zu steps (%zu %s%s), longer than "
                             "--max-record %zu", rnnc_dataset_file(o, d, i), d->rec_line[i], n,
                             d->rec_len[i], what, d->text && d->eos ? " and the end symbol" : "",
                             o->max_record), 2;
        if (o->max_length && n > o->max_length)
            return rnnc_fail(err, errlen, "%s:%zu: a record of %zu steps, longer than --max-length "
                             "%zu (--end length predicts lengths 1..%zu)",
                             rnnc_dataset_file(o, d, i), d->rec_line[i], n, o->max_length,
                             o->max_length), 2;
    }
    return 0;
}

/* ---- text ---- */

typedef struct texts {
    size_t n;
    unsigned char **bufs;
    size_t *lens;
} texts;

static void texts_free(texts *t)
{
    for (size_t i = 0; t->bufs && i < t->n; i++) free(t->bufs[i]);
    free(t->bufs);
    free(t->lens);
}

/* Read every file of o (or the built-in text).  0, 2 (with a message), 1 (out of memory). */
static int texts_read(const rnnc_dataset_opts *o, texts *t, char *err, size_t errlen)
{
    t->n = o->nfiles ? o->nfiles : 1;
    t->bufs = calloc(t->n, sizeof *t->bufs);
    t->lens = calloc(t->n, sizeof *t->lens);
    if (!t->bufs || !t->lens) return rnnc_fail(err, errlen, "out of memory reading the data"), 1;
    for (size_t i = 0; i < t->n; i++) {
        if (o->nfiles) {
            int rc = rnnc_read_file(o->files[i], 0, &t->bufs[i], &t->lens[i], err, errlen);
            if (rc != 0) return rc == RNNC_ENOMEM ? 1 : 2;
            continue;
        }
        t->lens[i] = strlen(o->builtin ? o->builtin : "");
        if (!(t->bufs[i] = malloc(t->lens[i] + 1))) return rnnc_fail(err, errlen, "out of memory"), 1;
        memcpy(t->bufs[i], o->builtin ? o->builtin : "", t->lens[i] + 1);
    }
    return 0;
}

/* The vocabulary of o: a copy of the given one, or the symbols of every file; with records
 * also '\n' and '\r', which cut them (extra adds them).  0, or 2 with a message. */
static int text_vocab(const rnnc_dataset_opts *o, const texts *t, int extra, rnnc_vocab *v,
                      char *err, size_t errlen)
{
    if (o->vocab) {
        v->mode = o->vocab->mode;
        v->size = o->vocab->size;
        v->symbols = malloc((v->size ? v->size : 1) * sizeof *v->symbols);
        if (!v->symbols) return rnnc_fail(err, errlen, "out of memory"), 1;
        memcpy(v->symbols, o->vocab->symbols, v->size * sizeof *v->symbols);
    } else {
        v->mode = o->chars;
        for (size_t i = 0; i < t->n; i++) {
            int rc = rnnc_vocab_add(v, t->bufs[i], t->lens[i], file_name(o, i), err, errlen);
            if (rc != 0) return rc == RNNC_ENOMEM ? 1 : 2;
        }
    }
    if (extra && rnnc_vocab_add(v, (const unsigned char *)"\n\r", 2, "(records)", err, errlen) != 0) return 1;
    return 0;
}

/* Encode every file with v, one after another into *ids (*len); file i starts at starts[i]
 * (t->n + 1 entries, the last the end).  0, or 2 with "FILE:LINE:COL: ...". */
static int text_encode_all(const rnnc_dataset_opts *o, const texts *t, const rnnc_vocab *v,
                           int32_t **ids, size_t *len, size_t *starts, char *err, size_t errlen)
{
    size_t cap = 0;
    for (size_t i = 0; i < t->n; i++) {
        starts[i] = *len;
        int rc = rnnc_text_encode(v, t->bufs[i], t->lens[i], file_name(o, i), ids, len, &cap, err,
                                  errlen);
        if (rc != 0) return rc == RNNC_ENOMEM ? 1 : 2;
    }
    starts[t->n] = *len;
    return 0;
}

/* One stream of every file's symbols (or the built-in text), the targets the next symbol:
 * read and encoded by rnnc_text_load, so the indices take about the text's own size. */
static int load_text_stream(const rnnc_dataset_opts *o, rnnc_dataset *d, char *err, size_t errlen)
{
    size_t nsrc = o->nfiles ? o->nfiles : 1;
    rnnc_text_src *src = calloc(nsrc, sizeof *src);
    if (!src) return rnnc_fail(err, errlen, "out of memory reading the data"), 1;
    if (o->nfiles)
        for (size_t i = 0; i < nsrc; i++) src[i].name = o->files[i];
    else
        src[0] = (rnnc_text_src){builtin_name, (const unsigned char *)(o->builtin ? o->builtin : ""),
                                 strlen(o->builtin ? o->builtin : "")};
    int rc = rnnc_text_load(src, nsrc, o->chars, o->vocab, &d->vocab, &d->ids, err, errlen);
    free(src);
    if (rc != 0) return rc == RNNC_ENOMEM ? 1 : 2;
    d->text = 1;
    d->look = 1;
    d->len = d->ids.len;
    d->hash = rnnc_ids_hash(&d->ids);
    return 0;
}

/* The classes of '\n', '\r', ' ' and '\t' in v (-1 when absent). */
typedef struct cutters { int32_t nl, cr, sp, tab; } cutters;

/* Is ids[a..b) a blank line (only spaces and tabs)? */
static int blank(const int32_t *ids, size_t a, size_t b, const cutters *c)
{
    for (size_t i = a; i < b; i++)
        if (ids[i] != c->sp && ids[i] != c->tab) return 0;
    return 1;
}

/* Cut file f's ids[a..b) into records (lines, or paragraphs: blocks of non-blank lines, their
 * line ends kept inside) appended to out[*n..] (a CR before each line end dropped).  0, 1 (out
 * of memory) or 2 (an empty line in lines mode). */
static int cut_records(const rnnc_dataset_opts *o, rnnc_dataset *d, size_t *cap, const int32_t *ids,
                       size_t a, size_t b, size_t f, const cutters *c, int32_t *out, size_t *n,
                       char *err, size_t errlen)
{
    size_t line = 1, s = a, para = SIZE_MAX, pline = 0;
    for (size_t i = a; i <= b; i++) {
        if (i < b && ids[i] != c->nl) continue;
        size_t e = i;
        if (e > s && ids[e - 1] == c->cr) e--;
        int last = i == b;
        if (o->records == RNNC_RECORDS_LINES && !(last && s == b)) {
            if (e == s)
                return rnnc_fail(err, errlen, "%s:%zu: an empty record (an empty line; --records lines "
                                 "makes one record of each line)", file_name(o, f),
                                 line), 2;
            if (add_record(d, cap, *n, e - s, line, f)) return 1;
            memcpy(out + *n, ids + s, (e - s) * sizeof *out);
            *n += e - s;
        } else if (o->records == RNNC_RECORDS_PARAGRAPHS) {
            int bl = blank(ids, s, e, c);
            if (!bl) {
                if (para == SIZE_MAX) para = *n, pline = line;
                else out[(*n)++] = c->nl;
                memcpy(out + *n, ids + s, (e - s) * sizeof *out);
                *n += e - s;
            }
            if ((bl || last) && para != SIZE_MAX) {
                if (add_record(d, cap, para, *n - para, pline, f)) return 1;
                para = SIZE_MAX;
            }
        }
        line++;
        s = i + 1;
    }
    return 0;
}

/* A symbol as messages quote it: printable ASCII as it is, else \n, \r, \t, \xHH (bytes) or
 * U+XXXX. */
static const char *show(char out[24], uint32_t sym, rnnc_chars mode)
{
    if (sym == '\n') snprintf(out, 24, "\\n");
    else if (sym == '\r') snprintf(out, 24, "\\r");
    else if (sym == '\t') snprintf(out, 24, "\\t");
    else if (sym >= 0x20 && sym < 0x7f) snprintf(out, 24, "%c", (char)sym);
    else if (mode == RNNC_CHARS_BYTES) snprintf(out, 24, "\\x%02x", (unsigned)sym);
    else snprintf(out, 24, "U+%04X", (unsigned)sym);
    return out;
}

/* The line of the first occurrence of class k (of the working vocabulary, before the records
 * are remapped) in the records; its record in *rec.  0 when absent. */
static size_t locate_class(const rnnc_dataset *d, const int32_t *ids, int32_t k, int32_t nl, size_t *rec)
{
    for (size_t r = 0; r < d->nrec; r++) {
        size_t line = d->rec_line[r];
        for (size_t j = 0; j < d->rec_len[r]; j++) {
            int32_t v = ids[d->rec_start[r] + j];
            if (v == k) {
                *rec = r;
                return line;
            }
            line += v == nl;
        }
    }
    return 0;
}

/* The boundary symbol's value: the given one (it must not occur in the records: used marks
 * the working vocabulary's classes they use), else '\n' when no record holds it, else the
 * smallest byte / code point that none holds.  0, or 2 with a message naming file and line. */
static int choose_end(const rnnc_dataset_opts *o, const rnnc_vocab *w, const unsigned char *used,
                      rnnc_dataset *d, const int32_t *ids, const cutters *c, char *err, size_t errlen)
{
    char q[24];
    if (o->has_end_symbol) {
        int32_t k = rnnc_vocab_index(w, o->end_symbol);
        size_t rec = 0, line = k >= 0 && used[k] ? locate_class(d, ids, k, c->nl, &rec) : 0;
        if (line)
            return rnnc_fail(err, errlen, "%s:%zu: the %s symbol '%s' occurs in the data (it must "
                             "differ from every symbol of the records%s)", rnnc_dataset_file(o, d, rec), line,
                             o->eos ? "end" : "start", show(q, o->end_symbol, w->mode),
                             o->vocab ? "" : "; choose another with --end-symbol"), 2;
        d->end_symbol = o->end_symbol;
        return 0;
    }
    uint32_t limit = w->mode == RNNC_CHARS_BYTES ? 256 : 0x110000;
    for (uint32_t v = '\n', first = 1; v < limit; v = first ? 0 : v + 1, first = 0) {
        int32_t k = rnnc_vocab_index(w, v);
        if ((v >= 0xD800 && v <= 0xDFFF) || (k >= 0 && used[k])) continue;
        d->end_symbol = v;
        return 0;
    }
    return rnnc_fail(err, errlen, "%s: every byte value occurs in the records, so none is left "
                     "for the %s symbol (use --chars utf8)", file_name(o, 0),
                     o->eos ? "end" : "start"), 2;
}

/* Map the records' symbols from the working vocabulary w to the final one: the given
 * vocabulary (every symbol must be in it), or the symbols the records use; the boundary
 * symbol is chosen or checked first.  0, 1 (out of memory) or 2 with a message. */
static int remap_records(const rnnc_dataset_opts *o, const rnnc_vocab *w, rnnc_dataset *d, int32_t *ids,
                         const cutters *c, char *err, size_t errlen)
{
    unsigned char *used = calloc(w->size ? w->size : 1, 1);
    int32_t *map = malloc((w->size ? w->size : 1) * sizeof *map);
    int rc = 1;
    if (!used || !map) goto out;
    for (size_t i = 0; i < d->len; i++) used[ids[i]] = 1;
    if ((rc = choose_end(o, w, used, d, ids, c, err, errlen)) != 0) goto out;
    rc = 1;
    d->vocab.mode = w->mode;
    d->vocab.symbols = malloc((w->size ? w->size : 1) * sizeof *d->vocab.symbols);
    if (!d->vocab.symbols) goto out;
    for (size_t k = 0; k < w->size; k++) {
        if (!used[k]) continue;
        map[k] = o->vocab ? rnnc_vocab_index(o->vocab, w->symbols[k]) : (int32_t)d->vocab.size;
        if (!o->vocab) d->vocab.symbols[d->vocab.size++] = w->symbols[k];
        if (map[k] < 0) {
            char q[24];
            size_t rec = 0, line = locate_class(d, ids, (int32_t)k, c->nl, &rec);
            rnnc_fail(err, errlen, "%s:%zu: character '%s' is not in the model's vocabulary",
                      rnnc_dataset_file(o, d, rec), line, show(q, w->symbols[k], w->mode));
            rc = 2;
            goto out;
        }
    }
    if (o->vocab) {
        d->vocab.size = o->vocab->size;
        memcpy(d->vocab.symbols, o->vocab->symbols, o->vocab->size * sizeof *d->vocab.symbols);
    }
    for (size_t i = 0; i < d->len; i++) ids[i] = map[ids[i]];
    rc = 0;
out:
    if (rc == 1) rnnc_fail(err, errlen, "out of memory for the records");
    free(used);
    free(map);
    return rc;
}

/* Records of text: every file cut into lines or paragraphs, the vocabulary that of their
 * symbols (or the given one), plus the boundary symbol (class vocab.size). */
static int load_text_records(const rnnc_dataset_opts *o, const texts *t, rnnc_dataset *d,
                             char *err, size_t errlen)
{
    rnnc_vocab w = {0};
    int32_t *all = NULL, *ids = NULL;   /* every file's indices; the records' (then packed) */
    size_t n = 0, *starts = malloc((t->n + 1) * sizeof *starts), cap = 0;
    int rc = starts ? text_vocab(o, t, 1, &w, err, errlen) : 1;
    if (rc == 0) rc = text_encode_all(o, t, &w, &all, &n, starts, err, errlen);
    if (rc == 0 && !(ids = malloc((n ? n : 1) * sizeof *ids))) rc = 1;
    cutters c = {rnnc_vocab_index(&w, '\n'), rnnc_vocab_index(&w, '\r'), rnnc_vocab_index(&w, ' '),
                 rnnc_vocab_index(&w, '\t')};
    for (size_t f = 0; rc == 0 && f < t->n; f++)
        rc = cut_records(o, d, &cap, all, starts[f], starts[f + 1], f, &c, ids, &d->len, err, errlen);
    d->text = 1;
    d->eos = o->eos;
    d->has_end_symbol = 1;
    if (rc == 0) rc = check_records(o, d, err, errlen);
    if (rc == 0) rc = remap_records(o, &w, d, ids, &c, err, errlen);
    if (rc == 0) {
        d->hash = rnnc_fnv1a(rnnc_fnv1a(RNNC_FNV_OFFSET, ids, d->len * sizeof *ids), d->rec_len,
                             d->nrec * sizeof *d->rec_len);
        d->hash = rnnc_fnv1a(d->hash, &d->end_symbol, sizeof d->end_symbol);
        if (rnnc_ids_pack(ids, d->len, d->vocab.size, &d->ids) != 0) rc = 1;
    }
    if (rc == 1) rnnc_fail(err, errlen, "out of memory reading the records");
    rnnc_vocab_free(&w);
    free(all);
    free(ids);
    free(starts);
    return rc;
}

/* ---- CSV ---- */

/* The columns of c: *seq the sequence column (-1 without records), is_target[] the --target
 * columns (none: the next row is the target).  0, or 2 with a message naming the file. */
static int csv_columns(const rnnc_dataset_opts *o, const rnnc_csv *c, long *seq,
                       unsigned char *is_target, size_t *nt, char *err, size_t errlen)
{
    const char *path = file_name(o, 0);
    *seq = -1;
    *nt = 0;
    if (o->records == RNNC_RECORDS_CSV) {
        if (!c->names)
            return rnnc_fail(err, errlen, "%s:1: --sequence-column: the file has no header row, so "
                             "it has no column '%s'", path, o->seq_column), 2;
        if ((*seq = rnnc_csv_column(c, o->seq_column)) < 0)
            return rnnc_fail(err, errlen, "%s:1: --sequence-column: no column '%s'", path, o->seq_column), 2;
    }
    if (!o->targets) return 0;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", o->targets);
    char *save = NULL;
    for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        long col = rnnc_csv_column(c, name);
        if (col < 0)
            return rnnc_fail(err, errlen, "--target: %s has no column '%s'%s", path, name,
                             c->names ? "" : " (it has no header row)"), 2;
        if (col == *seq)
            return rnnc_fail(err, errlen, "--target: '%s' is the sequence column (--sequence-column)", name), 2;
        if (!is_target[col]) (*nt)++;
        is_target[col] = 1;
    }
    if (*nt + (*seq >= 0) == c->cols)
        return rnnc_fail(err, errlen, "--target: every column is a target; no input columns are left"), 2;
    return 0;
}

/* A sequence's value and its run's index, ordered by value then index. */
typedef struct run_key { double v; size_t run; } run_key;
static int cmp_run(const void *pa, const void *pb)
{
    const run_key *a = pa, *b = pb;
    if (a->v != b->v) return a->v < b->v ? -1 : 1;
    return a->run < b->run ? -1 : a->run > b->run;
}

/* Cut the rows into records by the sequence column: runs of one value; a value that comes
 * back after another is an error naming the line of the first such run.  0, 1 (out of
 * memory) or 2. */
static int csv_records(const rnnc_dataset_opts *o, const rnnc_csv *c, long seq, rnnc_dataset *d,
                       char *err, size_t errlen)
{
    size_t cap = 0, bad = SIZE_MAX, first = 0;
    run_key *keys = malloc(c->rows * sizeof *keys);
    if (!keys) return 1;
    for (size_t r = 0; r < c->rows; r++) {
        double v = c->values[r * c->cols + (size_t)seq];
        if (r > 0 && v == keys[d->nrec - 1].v) {
            d->rec_len[d->nrec - 1]++;
            continue;
        }
        if (add_record(d, &cap, r, 1, c->lines[r], 0)) {
            free(keys);
            return 1;
        }
        keys[d->nrec - 1] = (run_key){v, d->nrec - 1};
    }
    qsort(keys, d->nrec, sizeof *keys, cmp_run);
    for (size_t k = 1; k < d->nrec; k++)
        if (keys[k].v == keys[k - 1].v && keys[k].run < bad) {
            bad = keys[k].run;
            first = keys[k - 1].run;
        }
    free(keys);
    if (bad == SIZE_MAX) return 0;
    double v = c->values[d->rec_start[bad] * c->cols + (size_t)seq];
    return rnnc_fail(err, errlen, "%s:%zu: --sequence-column %s: sequence %.17g comes back after "
                     "other sequences (it started at line %zu; the rows of a sequence must be "
                     "contiguous)", file_name(o, 0), d->rec_line[bad], o->seq_column, v,
                     d->rec_line[first]), 2;
}

/* A CSV file: one time step per row, inputs and targets by --target (or the next row), the
 * sequence column (records) in neither. */
static int load_csv(const rnnc_dataset_opts *o, rnnc_dataset *d, char *err, size_t errlen)
{
    rnnc_csv c = {0};
    if (o->nfiles != 1) return rnnc_fail(err, errlen, "DATA: give exactly one CSV file for a dense model"), 2;
    int rc = rnnc_csv_read(o->files[0], &c, err, errlen);
    if (rc != 0) return rc == RNNC_ENOMEM ? 1 : 2;
    long seq;
    size_t nt;
    unsigned char *is_target = calloc(c.cols, 1);
    rc = is_target ? csv_columns(o, &c, &seq, is_target, &nt, err, errlen) : 1;
    if (rc != 0) goto out;
    size_t used = c.cols - (seq >= 0);
    d->look = nt ? 0 : 1;
    d->n_in = nt ? used - nt : used;
    d->n_out = nt ? nt : used;
    d->len = c.rows;
    d->xrows = malloc(c.rows * d->n_in * sizeof *d->xrows);
    d->yrows = malloc(c.rows * d->n_out * sizeof *d->yrows);
    rc = 1;
    if (!d->xrows || !d->yrows) goto out;
    for (size_t r = 0; r < c.rows; r++) {
        size_t xi = 0, yi = 0;
        for (size_t k = 0; k < c.cols; k++) {
            double v = c.values[r * c.cols + k];
            if ((long)k == seq) continue;
            if (!nt || !is_target[k]) d->xrows[r * d->n_in + xi++] = v;
            if (!nt || is_target[k]) d->yrows[r * d->n_out + yi++] = v;
        }
    }
    d->hash = rnnc_fnv1a(rnnc_fnv1a(RNNC_FNV_OFFSET, d->xrows, c.rows * d->n_in * sizeof(double)),
                         d->yrows, c.rows * d->n_out * sizeof(double));
    rc = 0;
    if (seq >= 0 && (rc = csv_records(o, &c, seq, d, err, errlen)) == 0 &&
        (rc = check_records(o, d, err, errlen)) == 0)
        d->hash = rnnc_fnv1a(d->hash, d->rec_len, d->nrec * sizeof *d->rec_len);
out:
    if (rc == 1) rnnc_fail(err, errlen, "%s: out of memory", file_name(o, 0));
    free(is_target);
    rnnc_csv_free(&c);
    return rc;
}

int rnnc_dataset_load(const rnnc_dataset_opts *o, rnnc_dataset *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->records = o->records;
    int csv = o->nfiles > 0 && (o->csv || rnnc_dataset_is_csv(o->files[0]));
    for (size_t i = 1; i < o->nfiles; i++)
        if ((o->csv || rnnc_dataset_is_csv(o->files[i])) != csv)
            return rnnc_fail(err, errlen, "%s: mixing CSV and text data files", file_name(o, i)), 2;
    for (size_t i = 0; i < o->nfiles; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(o->files[i], "-") == 0 && strcmp(o->files[j], "-") == 0)
                return rnnc_fail(err, errlen, "-: standard input given twice (it can be read once)"), 2;
    if (o->targets && !csv)
        return rnnc_fail(err, errlen, "--target: names columns of a CSV data file; this data is text (--csv reads "
                         "standard input, or a file not named .csv, as CSV)"), 2;
    if (o->records == RNNC_RECORDS_CSV && !csv)
        return rnnc_fail(err, errlen, "--sequence-column: names a column of a CSV data file; this data "
                         "is text (use --records lines or paragraphs, or --csv to read it as CSV)"), 2;
    if ((o->records == RNNC_RECORDS_LINES || o->records == RNNC_RECORDS_PARAGRAPHS) && csv)
        return rnnc_fail(err, errlen, "--records: %s is a CSV file; its records are given by "
                         "--sequence-column COL", file_name(o, 0)), 2;
    if (csv) return load_csv(o, d, err, errlen);
    if (o->records == RNNC_RECORDS_NONE) return load_text_stream(o, d, err, errlen);
    texts t = {0};
    int rc = texts_read(o, &t, err, errlen);
    if (rc == 0) rc = load_text_records(o, &t, d, err, errlen);
    texts_free(&t);
    return rc;
}
