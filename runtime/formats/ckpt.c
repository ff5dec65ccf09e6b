/* ckpt.c: checkpoint files (see ckpt.h).  Layout of version 3, all integers and reals
 * little-endian:
 *   "RNNCCKPT" | u32 version | u32 0 | u64 total file length
 *   u32 len + canonical spec text
 *   u32 chars mode | u64 vocab size | u32 symbol x size
 *   u32 optim | f64 lr beta1 beta2 eps weight_decay clip clip_norm grad_scale
 *   u64 step seed rng | f64 smooth_loss last_loss | u64 data_len data_hash
 *   u64 position x batch
 *   u32 schedule kind | f64 schedule k, end
 *   u32 records mode | u32 len + sequence column name | u32 has_end_symbol | u32 end_symbol
 *   u64 drawn | u64 record x batch | u32 learn_h0
 *   u32 len + the name of the file it was imported from (0: none)
 *   params (params_count reals) | optimiser state (opt_count) | s0 (s0_count)
 *   [learn_h0: h0 (hidden) | its optimiser state (2 x hidden)]
 *   u32 CRC-32 of every byte before it
 * Version 2 (still read) has no imported name.  Version 1 (still read) ends after the
 * positions with params | optimiser state | h (batch x hidden: the carried hidden states, h
 * of s0); it has no schedule and no records. */
#define _POSIX_C_SOURCE 200809L
#include "ckpt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../base/buf.h"
#include "../base/util.h"

static const char magic[8] = {'R', 'N', 'N', 'C', 'C', 'K', 'P', 'T'};

int rnnc_ckpt_alloc(rnnc_ckpt *c, char *err, size_t errlen)
{
    if (rnnc_spec_layout(&c->spec, &c->layout, err, errlen) != 0) return -1;
    size_t rs = c->layout.real_size, H = c->spec.hidden;
    c->positions = calloc(c->spec.batch, sizeof *c->positions);
    c->record = calloc(c->spec.batch, sizeof *c->record);
    c->params = calloc(c->layout.params_count ? c->layout.params_count : 1, rs);
    c->opt = calloc(c->layout.opt_count ? c->layout.opt_count : 1, rs);
    c->s0 = calloc(c->layout.s0_count ? c->layout.s0_count : 1, rs);
    if (c->learn_h0) {
        c->h0 = calloc(H, rs);
        c->h0_opt = calloc(2 * H, rs);
    }
    if (!c->positions || !c->record || !c->params || !c->opt || !c->s0 ||
        (c->learn_h0 && (!c->h0 || !c->h0_opt))) {
        rnnc_ckpt_free(c);
        rnnc_fail(err, errlen, "out of memory for the checkpoint");
        return RNNC_ENOMEM;
    }
    return 0;
}

void rnnc_ckpt_free(rnnc_ckpt *c)
{
    free(c->positions);
    free(c->record);
    free(c->params);
    free(c->opt);
    free(c->s0);
    free(c->h0);
    free(c->h0_opt);
    rnnc_vocab_free(&c->vocab);
    c->positions = c->record = NULL;
    c->params = c->opt = c->s0 = c->h0 = c->h0_opt = NULL;
}

/* ---- serialisation into a growing buffer ---- */

static void put_u32(rnnc_buf *w, uint32_t v) { rnnc_buf_put(w, &v, 4); }
static void put_u64(rnnc_buf *w, uint64_t v) { rnnc_buf_put(w, &v, 8); }
static void put_f64(rnnc_buf *w, double v) { rnnc_buf_put(w, &v, 8); }

int rnnc_ckpt_serialize(const rnnc_ckpt *c, unsigned char **buf, size_t *len)
{
    const rnnc_layout *l = &c->layout;
    char spec[512];
    size_t sl = rnnc_spec_format(&c->spec, spec, sizeof spec);
    rnnc_buf w = RNNC_BUF_INIT;
    *buf = NULL;
    *len = 0;
    rnnc_buf_put(&w, magic, 8);
    put_u32(&w, RNNC_CKPT_VERSION);
    put_u32(&w, 0);
    put_u64(&w, 0); /* total length, patched below */
    put_u32(&w, (uint32_t)sl);
    rnnc_buf_put(&w, spec, sl);
    put_u32(&w, (uint32_t)c->vocab.mode);
    put_u64(&w, c->vocab.size);
    for (size_t i = 0; i < c->vocab.size; i++) put_u32(&w, c->vocab.symbols[i]);
    put_u32(&w, (uint32_t)c->hp.optim);
    const double hp[8] = {c->hp.lr, c->hp.beta1, c->hp.beta2, c->hp.eps, c->hp.weight_decay,
                          c->hp.clip, c->hp.clip_norm, c->hp.grad_scale};
    for (int i = 0; i < 8; i++) put_f64(&w, hp[i]);
    put_u64(&w, c->step);
    put_u64(&w, c->seed);
    put_u64(&w, c->rng);
    put_f64(&w, c->smooth_loss);
    put_f64(&w, c->last_loss);
    put_u64(&w, c->data_len);
    put_u64(&w, c->data_hash);
    for (size_t b = 0; b < c->spec.batch; b++) put_u64(&w, c->positions[b]);
    put_u32(&w, (uint32_t)c->sched.kind);
    put_f64(&w, c->sched.k);
    put_f64(&w, c->sched.end);
    put_u32(&w, (uint32_t)c->records);
    size_t cl = strnlen(c->seq_column, sizeof c->seq_column - 1);
    put_u32(&w, (uint32_t)cl);
    rnnc_buf_put(&w, c->seq_column, cl);
    put_u32(&w, (uint32_t)c->has_end_symbol);
    put_u32(&w, c->end_symbol);
    put_u64(&w, c->drawn);
    for (size_t b = 0; b < c->spec.batch; b++) put_u64(&w, c->record[b]);
    put_u32(&w, (uint32_t)c->learn_h0);
    size_t il = strnlen(c->imported, sizeof c->imported - 1);
    put_u32(&w, (uint32_t)il);
    rnnc_buf_put(&w, c->imported, il);
    rnnc_buf_put(&w, c->params, l->params_bytes);
    rnnc_buf_put(&w, c->opt, l->opt_bytes);
    rnnc_buf_put(&w, c->s0, l->s0_bytes);
    if (c->learn_h0) {
        rnnc_buf_put(&w, c->h0, c->spec.hidden * l->real_size);
        rnnc_buf_put(&w, c->h0_opt, 2 * c->spec.hidden * l->real_size);
    }
    uint64_t total = w.len + 4;
    if (!w.oom) memcpy(w.data + 16, &total, 8);
    put_u32(&w, 0); /* the checksum, filled in below */
    size_t n;
    unsigned char *p = (unsigned char *)rnnc_buf_take(&w, &n);
    if (!p) return RNNC_ENOMEM;
    /* CRC over everything before the checksum itself (zlib's crc32 takes uInt lengths). */
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < n - 4;) {
        size_t k = n - 4 - off;
        if (k > 1u << 30) k = 1u << 30;
        crc = crc32(crc, p + off, (uInt)k);
        off += k;
    }
    uint32_t crc32v = (uint32_t)crc;
    memcpy(p + n - 4, &crc32v, 4);
    *buf = p;
    *len = n;
    return 0;
}

int rnnc_ckpt_save(const rnnc_ckpt *c, const char *path, char *err, size_t errlen)
{
    if (!rnnc_host_is_little_endian()) {
        rnnc_fail(err, errlen, "%s: checkpoints are little-endian; this host is not", path);
        return -1;
    }
    unsigned char *p;
    size_t n;
    if (rnnc_ckpt_serialize(c, &p, &n) != 0) {
        rnnc_fail(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = rnnc_write_atomic(path, p, n, err, errlen);
    free(p);
    return rc;
}

/* ---- parsing with bounds checks ---- */

typedef struct { const unsigned char *p; size_t len, off; int bad; } rbuf;

static void get(rbuf *r, void *dst, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = 1;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p + r->off, n);
    r->off += n;
}
static uint32_t get_u32(rbuf *r) { uint32_t v; get(r, &v, 4); return v; }
static uint64_t get_u64(rbuf *r) { uint64_t v; get(r, &v, 8); return v; }
static double get_f64(rbuf *r) { double v; get(r, &v, 8); return v; }

/* Skip n bytes (r->bad when fewer are left); returns where they start. */
static size_t skip(rbuf *r, size_t n)
{
    size_t at = r->off;
    if (r->bad || n > r->len - r->off) r->bad = 1;
    else r->off += n;
    return at;
}

/* Parse the canonical spec text "key=value key=value ..."; it must be exactly what
 * rnnc_spec_format writes for the spec it describes.  A refusal names path and the key:
 * "PATH: corrupt checkpoint (spec: hidden: expected ...)". */
static int parse_spec(const char *text, const char *path, rnnc_spec *out, char *err, size_t errlen)
{
    rnnc_spec_builder b;
    char what[600];
    rnnc_spec_begin(&b);
    int rc = rnnc_spec_set_text(&b, text, 0, NULL, NULL, what, sizeof what);
    if (rc == 0) rc = rnnc_spec_finish(&b, out, what, sizeof what);
    if (rc != 0) return rnnc_fail(err, errlen, "%s: corrupt checkpoint (spec: %s)", path, what);
    char canon[512];
    rnnc_spec_format(out, canon, sizeof canon);
    if (strcmp(canon, text) != 0)
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (spec '%s' is not in canonical form)",
                         path, text);
    return 0;
}

/* The frame: length, magic, a version this rnnc reads (1 to 3, into *version), the reserved
 * word, total length, CRC-32. */
static int check_frame(const unsigned char *data, size_t n, const char *path, uint32_t *version,
                       char *err, size_t errlen)
{
    if (n < 28)
        return rnnc_fail(err, errlen, "%s: not an rnnc checkpoint (too short: %zu bytes)", path, n);
    if (memcmp(data, magic, 8) != 0)
        return rnnc_fail(err, errlen, "%s: not an rnnc checkpoint (bad magic number)", path);
    uint32_t reserved;
    uint64_t total;
    memcpy(version, data + 8, 4);
    memcpy(&reserved, data + 12, 4);
    memcpy(&total, data + 16, 8);
    if (*version < 1 || *version > RNNC_CKPT_VERSION)
        return rnnc_fail(err, errlen, "%s: checkpoint format version %u, this rnnc reads versions 1 to %d",
                         path, *version, RNNC_CKPT_VERSION);
    if (total != n)
        return rnnc_fail(err, errlen, "%s: truncated or damaged checkpoint (%zu bytes, header says %llu)",
                         path, n, (unsigned long long)total);
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < n - 4;) {
        size_t k = n - 4 - off;
        if (k > 1u << 30) k = 1u << 30;
        crc = crc32(crc, data + off, (uInt)k);
        off += k;
    }
    uint32_t stored;
    memcpy(&stored, data + n - 4, 4);
    if ((uint32_t)crc != stored)
        return rnnc_fail(err, errlen, "%s: corrupted checkpoint (checksum mismatch)", path);
    if (reserved != 0)
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (reserved header word is %u, not 0)",
                         path, reserved);
    return 0;
}

/* ---- what a checkpoint may hold ----
 * Each check_* writes what is wrong (without the file name) into what and returns -1. */

static const char *const records_names[RNNC_RECORDS_COUNT] = {"none", "lines", "paragraphs", "csv"};

/* Is sym a symbol of mode: a byte (bytes), a Unicode scalar value (UTF-8)? */
static int symbol_ok(rnnc_chars mode, uint32_t sym)
{
    return mode == RNNC_CHARS_BYTES ? sym <= 0xFF : sym <= 0x10FFFF && !(sym >= 0xD800 && sym <= 0xDFFF);
}

/* The vocabulary: the spec's classes less the records' boundary symbol (none for dense
 * models), strictly ascending (so no symbol repeats), bytes below 256, code points Unicode
 * scalar values; the boundary symbol of the same kind and not one of them. */
static int check_vocab(const rnnc_ckpt *c, char *what, size_t n)
{
    const rnnc_vocab *v = &c->vocab;
    if (v->mode != RNNC_CHARS_BYTES && v->mode != RNNC_CHARS_UTF8)
        return rnnc_fail(what, n, "character mode %d", (int)v->mode);
    size_t classes = c->spec.onehot ? c->spec.n_in : 0, end = c->has_end_symbol == 1;
    if (c->spec.onehot ? v->size + end != classes : v->size != 0)
        return rnnc_fail(what, n, "vocabulary of %zu symbols%s for %zu classes", v->size,
                         end ? " and an end symbol" : "", classes);
    for (size_t i = 0; i < v->size; i++) {
        uint32_t sym = v->symbols[i];
        if (!symbol_ok(v->mode, sym))
            return rnnc_fail(what, n, "vocabulary symbol %zu is 0x%X, not a %s", i, (unsigned)sym,
                             v->mode == RNNC_CHARS_BYTES ? "byte" : "Unicode scalar value");
        if (i && sym <= v->symbols[i - 1])
            return rnnc_fail(what, n, "vocabulary symbol %zu, 0x%X, %s the one before it", i,
                             (unsigned)sym, sym == v->symbols[i - 1] ? "repeats" : "is below");
    }
    if (c->has_end_symbol && (!symbol_ok(v->mode, c->end_symbol) || rnnc_vocab_index(v, c->end_symbol) >= 0))
        return rnnc_fail(what, n, "end symbol 0x%X is %s", (unsigned)c->end_symbol,
                         symbol_ok(v->mode, c->end_symbol) ? "in the vocabulary" :
                         v->mode == RNNC_CHARS_BYTES ? "not a byte" : "not a Unicode scalar value");
    if (!c->has_end_symbol && c->end_symbol != 0)
        return rnnc_fail(what, n, "end symbol 0x%X without records of text", (unsigned)c->end_symbol);
    return 0;
}

/* Version 2's settings, as rnnc train makes them: records of text (lines, paragraphs) in a
 * one-hot model with the boundary symbol, records of a CSV (a sequence column of 1 to 127
 * bytes without control characters) in a dense one; --end and --learn-h0 only with records;
 * a schedule exactly when the model samples (its kind's k and an end in [0, 1]), else zeros;
 * the records drawn at most one per column per step and before it. */
static int check_settings(const rnnc_ckpt *c, char *what, size_t n)
{
    const rnnc_spec *s = &c->spec;
    if ((unsigned)c->records >= RNNC_RECORDS_COUNT) return rnnc_fail(what, n, "records mode %d", (int)c->records);
    const char *rn = records_names[c->records];
    int text_rec = c->records == RNNC_RECORDS_LINES || c->records == RNNC_RECORDS_PARAGRAPHS;
    if (c->has_end_symbol != text_rec)
        return rnnc_fail(what, n, "%s end symbol with records %s", c->has_end_symbol ? "an" : "no", rn);
    if ((text_rec && !s->onehot) || (c->records == RNNC_RECORDS_CSV && s->onehot))
        return rnnc_fail(what, n, "records %s in a %s model", rn, s->onehot ? "one-hot" : "dense");
    size_t cl = strnlen(c->seq_column, sizeof c->seq_column);
    if (cl == sizeof c->seq_column || (c->records == RNNC_RECORDS_CSV) != (cl > 0))
        return rnnc_fail(what, n, "a sequence column %s records %s", cl ? "with" : "missing for", rn);
    for (size_t i = 0; i < cl; i++)
        if ((unsigned char)c->seq_column[i] < 0x20 || c->seq_column[i] == 0x7f)
            return rnnc_fail(what, n, "control character 0x%02X in the sequence column's name",
                             (unsigned)(unsigned char)c->seq_column[i]);
    if (c->records == RNNC_RECORDS_NONE && (s->end != RNNC_END_NONE || c->learn_h0))
        return rnnc_fail(what, n, "%s without records", c->learn_h0 ? "a learned h(0)" : "an end");
    if (c->learn_h0 != 0 && c->learn_h0 != 1) return rnnc_fail(what, n, "learn_h0 is %d", c->learn_h0);
    const rnnc_schedule *sc = &c->sched;
    int sampled = rnnc_recurrences[s->rec].has_R && rnnc_feedbacks[s->fb].needs_ctl;
    if ((unsigned)sc->kind >= RNNC_SCHED_COUNT || (sc->kind != RNNC_SCHED_NONE) != sampled)
        return rnnc_fail(what, n, "schedule kind %d for a model %s scheduled sampling", (int)sc->kind,
                         sampled ? "with" : "without");
    int k_ok = sc->kind == RNNC_SCHED_NONE ? sc->k == 0 && sc->end == 0
             : sc->kind == RNNC_SCHED_EXP  ? sc->k > 0 && sc->k < 1
                                           : sc->k >= 1 && isfinite(sc->k);
    if (!k_ok || !(sc->end >= 0 && sc->end <= 1))
        return rnnc_fail(what, n, "schedule k %g, end %g", sc->k, sc->end);
    uint64_t B = s->batch;
    if (c->records == RNNC_RECORDS_NONE ? c->drawn != 0 : c->step < UINT64_MAX / B - 1 && c->drawn > (c->step + 1) * B)
        return rnnc_fail(what, n, "%llu records drawn by step %llu", (unsigned long long)c->drawn,
                         (unsigned long long)c->step);
    return 0;
}

/* Version 3's origin: the base name of the file `rnnc import` read, or empty.  It is printed
 * by info and in the embedded model's banner comment: one line, no control bytes, and no '/'
 * (a base name has none; so no comment end either); NUL-terminated within its field. */
static int check_origin(const rnnc_ckpt *c, char *what, size_t n)
{
    size_t il = strnlen(c->imported, sizeof c->imported);
    if (il == sizeof c->imported) return rnnc_fail(what, n, "imported file name not terminated");
    for (size_t i = 0; i < il; i++) {
        unsigned char ch = (unsigned char)c->imported[i];
        if (ch < 0x20 || ch == 0x7f || ch == '/')
            return rnnc_fail(what, n, "%s 0x%02X in the imported file's name",
                             ch == '/' ? "slash" : "control character", (unsigned)ch);
    }
    return 0;
}

/* The optimiser settings, in the ranges the command line accepts; grad_scale is 1/batch. */
static int check_hparams(const rnnc_ckpt *c, char *what, size_t n)
{
    if (c->hp.optim < RNNC_OPTIM_SGD || c->hp.optim > RNNC_OPTIM_ADAM)
        return rnnc_fail(what, n, "optimiser %d", (int)c->hp.optim);
    static const char *const names[8] = {"lr", "beta1", "beta2", "eps", "weight-decay", "clip",
                                         "clip-norm", "gradient scale"};
    const double hp[8] = {c->hp.lr, c->hp.beta1, c->hp.beta2, c->hp.eps, c->hp.weight_decay,
                          c->hp.clip, c->hp.clip_norm, c->hp.grad_scale};
    for (int i = 0; i < 8; i++) {
        double v = hp[i];
        int ok = isfinite(v) && v >= 0;
        if (i == 0 || i == 3) ok = ok && v > 0;       /* lr, eps */
        if (i == 1 || i == 2) ok = ok && v < 1;       /* beta1, beta2 */
        if (i == 7) ok = v == 1.0 / (double)c->spec.batch;
        if (!ok) return rnnc_fail(what, n, "optimiser setting %s is %g", names[i], v);
    }
    return 0;
}

/* A loss is finite and >= 0, or NaN before the first step (a fresh mse model, an imported
 * one); a checkpoint of one stream that has trained (step > 0) has data of at least tau
 * symbols or rows (records may be shorter). */
static int check_progress(const rnnc_ckpt *c, char *what, size_t n)
{
    const double loss[2] = {c->smooth_loss, c->last_loss};
    for (int i = 0; i < 2; i++)
        if (!(isfinite(loss[i]) && loss[i] >= 0) && !(isnan(loss[i]) && c->step == 0))
            return rnnc_fail(what, n, "%s loss %g at step %llu", i ? "last" : "smoothed", loss[i],
                             (unsigned long long)c->step);
    if (c->step > 0 && c->records == RNNC_RECORDS_NONE && c->data_len < c->spec.tau)
        return rnnc_fail(what, n, "step %llu on %llu symbols or rows of data, fewer than tau %zu",
                         (unsigned long long)c->step, (unsigned long long)c->data_len, c->spec.tau);
    return 0;
}

/* Which tensor element i of the parameters belongs to, as "U[3, 7]" (or "padding"). */
static void param_name(const rnnc_ckpt *c, size_t i, char *buf, size_t n)
{
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(&c->spec, &c->layout, t);
    for (int k = 0; k < RNNC_NTENSORS; k++)
        if (i >= t[k].offset && i - t[k].offset < t[k].rows * t[k].cols) {
            size_t e = i - t[k].offset;   /* column-major */
            snprintf(buf, n, "%s[%zu, %zu]", t[k].name, e % t[k].rows, e / t[k].rows);
            return;
        }
    snprintf(buf, n, "padding entry %zu", i);
}

static const char *nonfinite_name(double v) { return isnan(v) ? "NaN" : "infinite"; }

/* Column b's place: streams, a position inside the data; records, the steps done in its
 * record (a multiple of tau, inside the data) and the record (one of at most data_len). */
static int check_columns(const rnnc_ckpt *c, char *what, size_t n)
{
    const rnnc_spec *s = &c->spec;
    for (size_t b = 0; b < s->batch; b++) {
        if (c->positions[b] > c->data_len)
            return rnnc_fail(what, n, "%s %zu is at position %llu of %llu",
                             c->records ? "column" : "stream", b,
                             (unsigned long long)c->positions[b], (unsigned long long)c->data_len);
        if (c->records && c->positions[b] % s->tau != 0)
            return rnnc_fail(what, n, "column %zu is %llu steps into its record, not a multiple of "
                             "tau %zu", b, (unsigned long long)c->positions[b], s->tau);
        if (c->records ? c->record[b] != 0 && c->record[b] >= c->data_len : c->record[b] != 0)
            return rnnc_fail(what, n, "column %zu is in record %llu%s", b,
                             (unsigned long long)c->record[b], c->records ? " (beyond the data)"
                                                                          : " without records");
    }
    return 0;
}

/* n reals of a (type dt) finite, and, when zero is set, all zero.  -1 with a message naming
 * entry i of name otherwise. */
static int check_reals(const void *a, rnnc_dtype dt, size_t count, int zero, const char *name,
                       char *what, size_t n)
{
    for (size_t i = 0; i < count; i++) {
        double v = rnnc_get(a, dt, i);
        if (!isfinite(v)) return rnnc_fail(what, n, "%s entry %zu is %s", name, i, nonfinite_name(v));
        if (zero && v != 0) return rnnc_fail(what, n, "%s entry %zu is %g before the first step", name, i, v);
    }
    return 0;
}

/* The carried state s0 of every column: h inside the activation's range (tanh in [-1, 1],
 * sigmoid in [0, 1], relu >= 0, with a little slack for --fast builds; a gated cell's h is
 * tanh-like: the GRU's a convex mix of tanh values, the LSTM's o (.) tanh(c)); with an output
 * recurrence fb (the teacher's e_y, the model's p or a sample of it with nll: in [0, 1];
 * y or o with mse: finite); the LSTM's cell state c finite (a running sum: no bound); all
 * zero before the first step. */
static int check_state(const rnnc_ckpt *c, char *what, size_t n)
{
    const rnnc_spec *s = &c->spec;
    const rnnc_layout *l = &c->layout;
    const double slack = 1e-6;
    int gated = rnnc_cells[s->cell].gates > 1;
    double lo = gated || s->act == RNNC_ACT_TANH ? -1 : 0;
    double hi = !gated && s->act == RNNC_ACT_RELU ? INFINITY : 1;
    for (size_t i = 0; i < s->batch * s->hidden; i++) {
        double v = rnnc_get(c->s0, s->dtype, l->s0_h + i);
        if (!isfinite(v) || v < lo - slack || v > hi + slack || (c->step == 0 && v != 0))
            return rnnc_fail(what, n, "carried hidden state %zu of %s %zu is %g, %s",
                             i % s->hidden, c->records ? "column" : "stream", i / s->hidden, v,
                             c->step == 0 && isfinite(v) ? "not 0 before the first step"
                                                          : "impossible for its activation");
    }
    size_t K = rnnc_recurrences[s->rec].has_R ? s->n_out : 0;
    int probs = rnnc_losses[s->loss].out_eq != NULL;
    for (size_t i = 0; i < s->batch * K; i++) {
        double v = rnnc_get(c->s0, s->dtype, l->s0_fb + i);
        if (!isfinite(v) || (probs && (v < -slack || v > 1 + slack)) || (c->step == 0 && v != 0))
            return rnnc_fail(what, n, "carried fed-back output fb %zu of %s %zu is %g, %s",
                             i % K, c->records ? "column" : "stream", i / K, v,
                             c->step == 0 && isfinite(v) ? "not 0 before the first step"
                                                          : "impossible for its loss");
    }
    size_t C = rnnc_cells[s->cell].has_c ? s->batch * s->hidden : 0;
    for (size_t i = 0; i < C; i++) {
        double v = rnnc_get(c->s0, s->dtype, l->s0_c + i);
        if (!isfinite(v) || (c->step == 0 && v != 0))
            return rnnc_fail(what, n, "carried cell state c %zu of %s %zu is %g, %s",
                             i % s->hidden, c->records ? "column" : "stream", i / s->hidden, v,
                             isfinite(v) ? "not 0 before the first step" : "not finite");
    }
    return 0;
}

/* The arrays: finite weights and optimiser state (zero before the first step), the carried
 * state (check_state), a learned h(0) finite and its optimiser state as the weights'. */
static int check_arrays(const rnnc_ckpt *c, char *what, size_t n)
{
    const rnnc_spec *s = &c->spec;
    char where[64];
    for (size_t i = 0; i < c->layout.params_count; i++) {
        double v = rnnc_get(c->params, s->dtype, i);
        if (!isfinite(v)) {
            param_name(c, i, where, sizeof where);
            return rnnc_fail(what, n, "weight %s is %s", where, nonfinite_name(v));
        }
    }
    if (check_reals(c->opt, s->dtype, c->layout.opt_count, c->step == 0, "optimiser state", what, n) ||
        check_state(c, what, n))
        return -1;
    if (c->learn_h0 && (check_reals(c->h0, s->dtype, s->hidden, 0, "learned h(0)", what, n) ||
                        check_reals(c->h0_opt, s->dtype, 2 * s->hidden, c->step == 0,
                                    "learned h(0)'s optimiser state", what, n)))
        return -1;
    return 0;
}

int rnnc_ckpt_check(const rnnc_ckpt *c, char *what, size_t n)
{
    if (check_vocab(c, what, n) || check_settings(c, what, n) || check_origin(c, what, n) ||
        check_hparams(c, what, n) || check_progress(c, what, n) || check_columns(c, what, n) ||
        check_arrays(c, what, n))
        return -1;
    return 0;
}

/* "PATH: corrupt checkpoint (WHAT)"; returns -1. */
static int corrupt(const char *path, const char *what, char *err, size_t errlen)
{
    return rnnc_fail(err, errlen, "%s: corrupt checkpoint (%s)", path, what);
}

/* The vocabulary's fields (allocating its symbols; the size is checked against the bytes
 * left first), the optimiser settings, and step, seed, RNG, losses and data fingerprint. */
static int read_fields(rbuf *r, rnnc_ckpt *c, const char *path, char *err, size_t errlen)
{
    uint32_t mode = get_u32(r);
    uint64_t vs = get_u64(r);
    c->vocab.mode = mode <= RNNC_CHARS_UTF8 ? (rnnc_chars)mode : RNNC_CHARS_BYTES;
    if (r->bad || mode > RNNC_CHARS_UTF8) return rnnc_fail(err, errlen, "%s: corrupt checkpoint "
                                                           "(character mode %u)", path, mode);
    if (vs > (r->len - r->off) / 4 || vs > RNNC_MAX_DIM)
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (vocabulary of %llu symbols for %zu "
                         "classes)", path, (unsigned long long)vs, c->spec.onehot ? c->spec.n_in : 0);
    if (vs && !(c->vocab.symbols = malloc(vs * sizeof *c->vocab.symbols))) {
        rnnc_fail(err, errlen, "%s: out of memory", path);
        return RNNC_ENOMEM;
    }
    c->vocab.size = vs;
    for (size_t i = 0; i < vs; i++) c->vocab.symbols[i] = get_u32(r);
    c->hp.optim = (int32_t)get_u32(r);
    double hp[8];
    for (int i = 0; i < 8; i++) hp[i] = get_f64(r);
    c->hp.lr = hp[0], c->hp.beta1 = hp[1], c->hp.beta2 = hp[2], c->hp.eps = hp[3];
    c->hp.weight_decay = hp[4], c->hp.clip = hp[5], c->hp.clip_norm = hp[6], c->hp.grad_scale = hp[7];
    c->step = get_u64(r);
    c->seed = get_u64(r);
    c->rng = get_u64(r);
    c->smooth_loss = get_f64(r);
    c->last_loss = get_f64(r);
    c->data_len = get_u64(r);
    c->data_hash = get_u64(r);
    if (r->bad) return rnnc_fail(err, errlen, "%s: corrupt checkpoint (sizes do not match its spec)", path);
    return 0;
}

/* Version 2's settings after the positions: the schedule, the records, the end symbol, the
 * records drawn and (skipped: read once allocated, from *rec_at) each column's record,
 * whether a learned h(0) follows, and (version 3) the name of the file it was imported from.  Values are checked later (check_settings); this only
 * refuses what cannot be stored in c. */
static int read_settings(rbuf *r, rnnc_ckpt *c, uint32_t version, size_t *rec_at, const char *path,
                         char *err, size_t errlen)
{
    uint32_t kind = get_u32(r);
    c->sched.k = get_f64(r);
    c->sched.end = get_f64(r);
    uint32_t records = get_u32(r), cl = get_u32(r);
    if (!r->bad && (kind >= RNNC_SCHED_COUNT || records >= RNNC_RECORDS_COUNT))
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (%s %u)", path,
                         kind >= RNNC_SCHED_COUNT ? "schedule kind" : "records mode",
                         kind >= RNNC_SCHED_COUNT ? kind : records);
    c->sched.kind = (rnnc_sched_kind)kind;
    c->records = (rnnc_records)records;
    if (!r->bad && cl >= sizeof c->seq_column)
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (sequence column name of %u bytes)", path, cl);
    get(r, c->seq_column, r->bad ? 0 : cl);
    if (!r->bad && strnlen(c->seq_column, cl) != cl)
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (NUL byte in the sequence column's name)", path);
    uint32_t has_end = get_u32(r);
    c->end_symbol = get_u32(r);
    c->drawn = get_u64(r);
    *rec_at = skip(r, c->spec.batch * 8);
    uint32_t learn = get_u32(r);
    if (!r->bad && (has_end > 1 || learn > 1))
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (%s is %u)", path,
                         has_end > 1 ? "has_end_symbol" : "learn_h0", has_end > 1 ? has_end : learn);
    c->has_end_symbol = (int)has_end;
    c->learn_h0 = (int)learn;
    if (version >= 3) {   /* the imported file's name (checked by check_origin) */
        uint32_t il = get_u32(r);
        if (!r->bad && il >= sizeof c->imported)
            return rnnc_fail(err, errlen, "%s: corrupt checkpoint (imported file name of %u bytes)", path, il);
        get(r, c->imported, r->bad ? 0 : il);
        if (!r->bad && strnlen(c->imported, il) != il)
            return rnnc_fail(err, errlen, "%s: corrupt checkpoint (NUL byte in the imported file's name)", path);
    }
    if (r->bad) return rnnc_fail(err, errlen, "%s: corrupt checkpoint (sizes do not match its spec)", path);
    return 0;
}

/* The arrays: the positions (at pos_at), version 2's settings and records, then the sizes of
 * the arrays (checked before they are allocated), then their content and the whole state's
 * meaning (rnnc_ckpt_check). */
static int read_arrays(rbuf *r, rnnc_ckpt *c, uint32_t version, const char *path, char *err,
                       size_t errlen)
{
    rnnc_layout l;
    if (rnnc_spec_layout(&c->spec, &l, err, errlen) != 0) return -1;
    size_t pos_at = skip(r, c->spec.batch * 8), rec_at = 0;
    if (r->bad) return rnnc_fail(err, errlen, "%s: corrupt checkpoint (sizes do not match its spec)", path);
    int rc;
    if (version >= 2 && (rc = read_settings(r, c, version, &rec_at, path, err, errlen)) != 0) return rc;
    size_t H = c->spec.hidden, rs = l.real_size;
    /* Version 1 carried h(tau) only: h of s0 (fb, if the model has one, starts at zero). */
    size_t s0b = version >= 2 ? l.s0_bytes : c->spec.batch * H * rs, left = r->len - r->off;
    const size_t want[5] = {l.params_bytes, l.opt_bytes, s0b, c->learn_h0 ? H * rs : 0,
                            c->learn_h0 ? 2 * H * rs : 0};
    for (int i = 0; i < 5; i++) left = want[i] > left ? SIZE_MAX : left - want[i];
    if (left != 0) return rnnc_fail(err, errlen, "%s: corrupt checkpoint (sizes do not match its spec)", path);
    rnnc_vocab keep = c->vocab;
    c->vocab.symbols = NULL;
    c->vocab.size = 0;
    rc = rnnc_ckpt_alloc(c, err, errlen);
    c->vocab = keep;
    if (rc != 0) return rc;
    size_t arrays_at = r->off;
    r->off = pos_at;
    for (size_t b = 0; b < c->spec.batch; b++) c->positions[b] = get_u64(r);
    if (version >= 2) {
        r->off = rec_at;
        for (size_t b = 0; b < c->spec.batch; b++) c->record[b] = get_u64(r);
    }
    r->off = arrays_at;
    get(r, c->params, c->layout.params_bytes);
    get(r, c->opt, c->layout.opt_bytes);
    get(r, c->s0, s0b);
    if (c->learn_h0) {
        get(r, c->h0, H * rs);
        get(r, c->h0_opt, 2 * H * rs);
    }
    if (r->bad || r->off != r->len)
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (sizes do not match its spec)", path);
    char what[256];
    if (rnnc_ckpt_check(c, what, sizeof what) != 0) return corrupt(path, what, err, errlen);
    return 0;
}

int rnnc_ckpt_parse(rnnc_ckpt *c, const unsigned char *data, size_t n, const char *path,
                    char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    uint32_t version = 0;
    if (check_frame(data, n, path, &version, err, errlen) != 0) return -1;
    rbuf r = {data, n - 4, 24, 0};
    uint32_t sl = get_u32(&r);
    char spec[512];
    if (sl >= sizeof spec || sl > r.len - r.off)
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (spec length %u)", path, sl);
    get(&r, spec, sl);
    spec[sl] = '\0';
    if (strlen(spec) != sl)
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (NUL byte in the spec)", path);
    int rc = -1;
    if (parse_spec(spec, path, &c->spec, err, errlen) == 0 &&
        (rc = read_fields(&r, c, path, err, errlen)) == 0)
        rc = read_arrays(&r, c, version, path, err, errlen);
    if (rc != 0) rnnc_ckpt_free(c);
    return rc;
}

int rnnc_ckpt_load(rnnc_ckpt *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    unsigned char *data;
    size_t n;
    int rc = rnnc_read_file(path, 1, &data, &n, err, errlen);
    if (rc != 0) return rc;
    rc = rnnc_ckpt_parse(c, data, n, path, err, errlen);
    free(data);
    return rc;
}
