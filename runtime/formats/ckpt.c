/* ckpt.c: checkpoint files (see ckpt.h).  Layout of version 2, all integers and reals
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
 *   params (params_count reals) | optimiser state (opt_count) | s0 (s0_count)
 *   [learn_h0: h0 (hidden) | its optimiser state (2 x hidden)]
 *   u32 CRC-32 of every byte before it
 * Version 1 (still read) ends after the positions with params | optimiser state | h (batch x
 * hidden: the carried hidden states, h of s0); it has no schedule and no records. */
#define _POSIX_C_SOURCE 200809L
#include "ckpt.h"

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
        return -1;
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

int rnnc_ckpt_save(const rnnc_ckpt *c, const char *path, char *err, size_t errlen)
{
    if (!rnnc_host_is_little_endian()) {
        rnnc_fail(err, errlen, "%s: checkpoints are little-endian; this host is not", path);
        return -1;
    }
    const rnnc_layout *l = &c->layout;
    char spec[512];
    size_t sl = rnnc_spec_format(&c->spec, spec, sizeof spec);
    rnnc_buf w = {0};
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
    if (w.oom) {
        rnnc_buf_free(&w);
        rnnc_fail(err, errlen, "%s: out of memory", path);
        return -1;
    }
    /* CRC over everything before the checksum itself (zlib's crc32 takes uInt lengths). */
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < w.len - 4;) {
        size_t k = w.len - 4 - off;
        if (k > 1u << 30) k = 1u << 30;
        crc = crc32(crc, (const Bytef *)w.data + off, (uInt)k);
        off += k;
    }
    uint32_t crc32v = (uint32_t)crc;
    memcpy(w.data + w.len - 4, &crc32v, 4);
    int rc = rnnc_write_atomic(path, w.data, w.len, err, errlen);
    rnnc_buf_free(&w);
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

/* Parse the canonical spec text "key=value key=value ...". */
static int parse_spec(const char *text, const char *path, rnnc_spec *out, char *err, size_t errlen)
{
    rnnc_spec_builder b;
    char buf[512], where[600];
    snprintf(buf, sizeof buf, "%s", text);
    snprintf(where, sizeof where, "%s: spec", path);
    rnnc_spec_begin(&b);
    char *save = NULL;
    for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            rnnc_fail(err, errlen, "%s: corrupt spec in the checkpoint", path);
            return -1;
        }
        *eq = '\0';
        if (rnnc_spec_set(&b, tok, eq + 1, where, err, errlen) != 0) return -1;
    }
    return rnnc_spec_finish(&b, out, err, errlen);
}

/* The envelope of a checkpoint in data[0..n): magic, a version this rnnc reads (1 or 2, into
 * *version), the total length and the CRC-32.  On success r reads the fields after the
 * envelope's header and stops before the checksum.  0, or -1 with a message naming path. */
static int read_envelope(const unsigned char *data, size_t n, const char *path, rbuf *r,
                         uint32_t *version, char *err, size_t errlen)
{
    char m[8];
    if (n < 24) {
        rnnc_fail(err, errlen, "%s: not an rnnc checkpoint (too short: %zu bytes)", path, n);
        return -1;
    }
    get(r, m, 8);
    if (memcmp(m, magic, 8) != 0) {
        rnnc_fail(err, errlen, "%s: not an rnnc checkpoint (bad magic number)", path);
        return -1;
    }
    *version = get_u32(r);
    (void)get_u32(r);
    if (*version < 1 || *version > RNNC_CKPT_VERSION) {
        rnnc_fail(err, errlen, "%s: checkpoint format version %u, this rnnc reads versions 1 to %d",
                 path, *version, RNNC_CKPT_VERSION);
        return -1;
    }
    uint64_t total = get_u64(r);
    if (total != n) {
        rnnc_fail(err, errlen, "%s: truncated or damaged checkpoint (%zu bytes, header says %llu)",
                 path, n, (unsigned long long)total);
        return -1;
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < n - 4;) {
        size_t k = n - 4 - off;
        if (k > 1u << 30) k = 1u << 30;
        crc = crc32(crc, data + off, (uInt)k);
        off += k;
    }
    uint32_t stored;
    memcpy(&stored, data + n - 4, 4);
    if ((uint32_t)crc != stored) {
        rnnc_fail(err, errlen, "%s: corrupted checkpoint (checksum mismatch)", path);
        return -1;
    }
    r->len = n - 4;
    return 0;
}

/* The spec and the vocabulary (its data symbols: the spec's classes less the end symbol,
 * which version 2's settings say whether there is; checked in read_settings).  0, or -1 with
 * a message naming path. */
static int read_spec_vocab(rbuf *r, const char *path, rnnc_ckpt *c, char *err, size_t errlen)
{
    uint32_t sl = get_u32(r);
    char spec[512];
    if (sl >= sizeof spec || sl > r->len - r->off) {
        rnnc_fail(err, errlen, "%s: corrupt checkpoint (spec length %u)", path, sl);
        return -1;
    }
    get(r, spec, sl);
    spec[sl] = '\0';
    if (parse_spec(spec, path, &c->spec, err, errlen) != 0) return -1;
    c->vocab.mode = (rnnc_chars)get_u32(r);
    uint64_t vs = get_u64(r);
    if (c->vocab.mode != RNNC_CHARS_BYTES && c->vocab.mode != RNNC_CHARS_UTF8) r->bad = 1;
    if (c->spec.onehot ? vs != c->spec.n_in && vs + 1 != c->spec.n_in : vs != 0) {
        rnnc_fail(err, errlen, "%s: corrupt checkpoint (vocabulary of %llu symbols for %s)", path,
                 (unsigned long long)vs, spec);
        return -1;
    }
    if (vs) {
        c->vocab.symbols = malloc(vs * sizeof *c->vocab.symbols);
        if (!c->vocab.symbols) {
            rnnc_fail(err, errlen, "%s: out of memory", path);
            return -1;
        }
        c->vocab.size = vs;
        for (size_t i = 0; i < vs; i++) {
            c->vocab.symbols[i] = get_u32(r);
            if (i && c->vocab.symbols[i] <= c->vocab.symbols[i - 1]) r->bad = 1;
        }
    }
    return 0;
}

/* The optimiser settings and the counters after the vocabulary.  Sets r->bad when a field is
 * out of range. */
static void read_counters(rbuf *r, rnnc_ckpt *c)
{
    c->hp.optim = (int32_t)get_u32(r);
    double hp[8];
    for (int i = 0; i < 8; i++) hp[i] = get_f64(r);
    c->hp.lr = hp[0], c->hp.beta1 = hp[1], c->hp.beta2 = hp[2], c->hp.eps = hp[3];
    c->hp.weight_decay = hp[4], c->hp.clip = hp[5], c->hp.clip_norm = hp[6], c->hp.grad_scale = hp[7];
    if (c->hp.optim < RNNC_OPTIM_SGD || c->hp.optim > RNNC_OPTIM_ADAM) r->bad = 1;
    c->step = get_u64(r);
    c->seed = get_u64(r);
    c->rng = get_u64(r);
    c->smooth_loss = get_f64(r);
    c->last_loss = get_f64(r);
    c->data_len = get_u64(r);
    c->data_hash = get_u64(r);
}

/* Version 2's settings after the positions: the schedule, the records, the end symbol and
 * whether a learned h(0) follows, checked against the spec and the vocabulary.  Sets r->bad
 * when one is out of range; the record indices are read by the caller once allocated. */
static void read_settings(rbuf *r, rnnc_ckpt *c)
{
    c->sched.kind = (rnnc_sched_kind)get_u32(r);
    c->sched.k = get_f64(r);
    c->sched.end = get_f64(r);
    int sched = c->spec.fb == RNNC_FB_SCHEDULED && rnnc_recurrences[c->spec.rec].has_R;
    if ((unsigned)c->sched.kind >= RNNC_SCHED_COUNT || (c->sched.kind != RNNC_SCHED_NONE) != sched ||
        !(c->sched.end >= 0 && c->sched.end <= 1) || !(c->sched.k >= 0))
        r->bad = 1;
    c->records = (rnnc_records)get_u32(r);
    uint32_t cl = get_u32(r);
    if ((unsigned)c->records >= RNNC_RECORDS_COUNT || cl >= sizeof c->seq_column) r->bad = 1;
    else get(r, c->seq_column, cl);
    c->has_end_symbol = (int)get_u32(r);
    c->end_symbol = get_u32(r);
    if (c->has_end_symbol > 1 || (c->spec.onehot && c->vocab.size + (size_t)c->has_end_symbol != c->spec.n_in) ||
        (c->has_end_symbol && rnnc_vocab_index(&c->vocab, c->end_symbol) >= 0))
        r->bad = 1;
    c->drawn = get_u64(r);
}

int rnnc_ckpt_load(rnnc_ckpt *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    unsigned char *data;
    size_t n;
    uint32_t version = 0;
    if (rnnc_read_file(path, 1, &data, &n, err, errlen) != 0) return -1;
    int rc = -1;
    rbuf r = {data, n, 0, 0};
    if (read_envelope(data, n, path, &r, &version, err, errlen) != 0 ||
        read_spec_vocab(&r, path, c, err, errlen) != 0)
        goto out;
    read_counters(&r, c);
    if (version == 1 && c->spec.onehot && c->vocab.size != c->spec.n_in) r.bad = 1;
    if (r.bad) {
        rnnc_fail(err, errlen, "%s: corrupt checkpoint (bad header fields)", path);
        goto out;
    }
    /* The positions come before version 2's settings, which say how much to allocate. */
    size_t pos_at = r.off;
    r.off += c->spec.batch * 8 <= r.len - r.off ? c->spec.batch * 8 : r.len - r.off;
    if (version >= 2) {
        read_settings(&r, c);
    }
    rnnc_vocab keep = c->vocab;
    c->vocab.symbols = NULL;
    size_t rec_at = r.off;
    if (version >= 2) {
        r.off += c->spec.batch * 8 <= r.len - r.off ? c->spec.batch * 8 : r.len - r.off;
        c->learn_h0 = (int)get_u32(&r);
        if (c->learn_h0 > 1) r.bad = 1;
    }
    if (r.bad) {
        c->vocab = keep;
        rnnc_fail(err, errlen, "%s: corrupt checkpoint (bad settings)", path);
        goto out;
    }
    if (rnnc_ckpt_alloc(c, err, errlen) != 0) {
        c->vocab = keep;
        goto out;
    }
    c->vocab = keep;
    size_t arrays_at = r.off;
    r.off = pos_at;
    for (size_t b = 0; b < c->spec.batch; b++) {
        c->positions[b] = get_u64(&r);
        if (c->records == RNNC_RECORDS_NONE && c->positions[b] > c->data_len) r.bad = 1;
    }
    if (version >= 2) {
        r.off = rec_at;
        for (size_t b = 0; b < c->spec.batch; b++) c->record[b] = get_u64(&r);
    }
    r.off = arrays_at;
    get(&r, c->params, c->layout.params_bytes);
    get(&r, c->opt, c->layout.opt_bytes);
    /* Version 1 carried h(tau) only: h of s0 (fb, if the model has one, starts at zero). */
    get(&r, c->s0, version >= 2 ? c->layout.s0_bytes : c->spec.batch * c->spec.hidden * c->layout.real_size);
    if (c->learn_h0) {
        get(&r, c->h0, c->spec.hidden * c->layout.real_size);
        get(&r, c->h0_opt, 2 * c->spec.hidden * c->layout.real_size);
    }
    if (r.bad || r.off != r.len) {
        rnnc_fail(err, errlen, "%s: corrupt checkpoint (sizes do not match its spec)", path);
        goto out;
    }
    rc = 0;
out:
    free(data);
    if (rc != 0) rnnc_ckpt_free(c);
    return rc;
}
