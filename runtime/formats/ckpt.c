/* ckpt.c: checkpoint files (see ckpt.h).  Layout, all integers and reals little-endian:
 *   "RNNCCKPT" | u32 version | u32 0 | u64 total file length
 *   u32 len + canonical spec text
 *   u32 chars mode | u64 vocab size | u32 symbol x size
 *   u32 optim | f64 lr beta1 beta2 eps weight_decay clip clip_norm grad_scale
 *   u64 step seed rng | f64 smooth_loss last_loss | u64 data_len data_hash
 *   u64 position x batch
 *   params (params_count reals) | optimiser state (opt_count) | h (batch x hidden)
 *   [| c (batch x hidden): the LSTM's cell state, version 2]
 *   u32 CRC-32 of every byte before it */
#define _POSIX_C_SOURCE 200809L
#include "ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../base/util.h"

static const char magic[8] = {'R', 'N', 'N', 'C', 'C', 'K', 'P', 'T'};

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

size_t rnnc_ckpt_state_count(const rnnc_spec *s)
{
    return s->batch * s->hidden * (rnnc_cells[s->cell].has_c ? 2 : 1);
}

int rnnc_ckpt_alloc(rnnc_ckpt *c, char *err, size_t errlen)
{
    if (rnnc_spec_layout(&c->spec, &c->layout, err, errlen) != 0) return -1;
    size_t rs = c->layout.real_size, hb = rnnc_ckpt_state_count(&c->spec);
    c->positions = calloc(c->spec.batch, sizeof *c->positions);
    c->params = calloc(c->layout.params_count ? c->layout.params_count : 1, rs);
    c->opt = calloc(c->layout.opt_count ? c->layout.opt_count : 1, rs);
    c->h = calloc(hb ? hb : 1, rs);
    if (!c->positions || !c->params || !c->opt || !c->h) {
        rnnc_ckpt_free(c);
        snprintf(err, errlen, "out of memory for the checkpoint");
        return -1;
    }
    return 0;
}

void rnnc_ckpt_free(rnnc_ckpt *c)
{
    free(c->positions);
    free(c->params);
    free(c->opt);
    free(c->h);
    rnnc_vocab_free(&c->vocab);
    c->positions = NULL;
    c->params = c->opt = c->h = NULL;
}

/* ---- serialisation into a growing buffer ---- */

typedef struct { unsigned char *p; size_t len, cap; int oom; } wbuf;

static void put(wbuf *w, const void *src, size_t n)
{
    if (w->oom) return;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->len + n) cap *= 2;
        unsigned char *q = realloc(w->p, cap);
        if (!q) {
            w->oom = 1;
            return;
        }
        w->p = q;
        w->cap = cap;
    }
    memcpy(w->p + w->len, src, n);
    w->len += n;
}
static void put_u32(wbuf *w, uint32_t v) { put(w, &v, 4); }
static void put_u64(wbuf *w, uint64_t v) { put(w, &v, 8); }
static void put_f64(wbuf *w, double v) { put(w, &v, 8); }

int rnnc_ckpt_save(const rnnc_ckpt *c, const char *path, char *err, size_t errlen)
{
    if (!host_is_little_endian()) {
        snprintf(err, errlen, "%s: checkpoints are little-endian; this host is not", path);
        return -1;
    }
    const rnnc_layout *l = &c->layout;
    char spec[512];
    size_t sl = rnnc_spec_format(&c->spec, spec, sizeof spec);
    wbuf w = {0};
    put(&w, magic, 8);
    put_u32(&w, RNNC_CKPT_VERSION);
    put_u32(&w, 0);
    put_u64(&w, 0); /* total length, patched below */
    put_u32(&w, (uint32_t)sl);
    put(&w, spec, sl);
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
    put(&w, c->params, l->params_bytes);
    put(&w, c->opt, l->opt_bytes);
    put(&w, c->h, rnnc_ckpt_state_count(&c->spec) * l->real_size);
    uint64_t total = w.len + 4;
    if (!w.oom) memcpy(w.p + 16, &total, 8);
    put_u32(&w, 0); /* the checksum, filled in below */
    if (w.oom) {
        free(w.p);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    /* CRC over everything before the checksum itself (zlib's crc32 takes uInt lengths). */
    uLong crc = crc32(0L, Z_NULL, 0);
    for (size_t off = 0; off < w.len - 4;) {
        size_t k = w.len - 4 - off;
        if (k > 1u << 30) k = 1u << 30;
        crc = crc32(crc, w.p + off, (uInt)k);
        off += k;
    }
    uint32_t crc32v = (uint32_t)crc;
    memcpy(w.p + w.len - 4, &crc32v, 4);
    int rc = rnnc_write_atomic(path, w.p, w.len, err, errlen);
    free(w.p);
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
            snprintf(err, errlen, "%s: corrupt spec in the checkpoint", path);
            return -1;
        }
        *eq = '\0';
        if (rnnc_spec_set(&b, tok, eq + 1, where, err, errlen) != 0) return -1;
    }
    return rnnc_spec_finish(&b, out, err, errlen);
}

int rnnc_ckpt_load(rnnc_ckpt *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    unsigned char *data;
    size_t n;
    if (rnnc_read_file(path, 1, &data, &n, err, errlen) != 0) return -1;
    int rc = -1;
    rbuf r = {data, n, 0, 0};
    char m[8];
    if (n < 24) {
        snprintf(err, errlen, "%s: not an rnnc checkpoint (too short: %zu bytes)", path, n);
        goto out;
    }
    get(&r, m, 8);
    if (memcmp(m, magic, 8) != 0) {
        snprintf(err, errlen, "%s: not an rnnc checkpoint (bad magic number)", path);
        goto out;
    }
    uint32_t version = get_u32(&r);
    (void)get_u32(&r);
    if (version < RNNC_CKPT_VERSION_MIN || version > RNNC_CKPT_VERSION) {
        snprintf(err, errlen, "%s: checkpoint format version %u, this rnnc reads versions %d to %d",
                 path, version, RNNC_CKPT_VERSION_MIN, RNNC_CKPT_VERSION);
        goto out;
    }
    uint64_t total = get_u64(&r);
    if (total != n) {
        snprintf(err, errlen, "%s: truncated or damaged checkpoint (%zu bytes, header says %llu)",
                 path, n, (unsigned long long)total);
        goto out;
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
        snprintf(err, errlen, "%s: corrupted checkpoint (checksum mismatch)", path);
        goto out;
    }
    r.len = n - 4;
    uint32_t sl = get_u32(&r);
    char spec[512];
    if (sl >= sizeof spec || sl > r.len - r.off) {
        snprintf(err, errlen, "%s: corrupt checkpoint (spec length %u)", path, sl);
        goto out;
    }
    get(&r, spec, sl);
    spec[sl] = '\0';
    if (parse_spec(spec, path, &c->spec, err, errlen) != 0) goto out;
    c->vocab.mode = (rnnc_chars)get_u32(&r);
    uint64_t vs = get_u64(&r);
    if (c->vocab.mode != RNNC_CHARS_BYTES && c->vocab.mode != RNNC_CHARS_UTF8) r.bad = 1;
    if (c->spec.onehot ? vs != c->spec.n_in : vs != 0) {
        snprintf(err, errlen, "%s: corrupt checkpoint (vocabulary of %llu symbols for %s)", path,
                 (unsigned long long)vs, spec);
        goto out;
    }
    if (vs) {
        c->vocab.symbols = malloc(vs * sizeof *c->vocab.symbols);
        if (!c->vocab.symbols) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto out;
        }
        c->vocab.size = vs;
        for (size_t i = 0; i < vs; i++) {
            c->vocab.symbols[i] = get_u32(&r);
            if (i && c->vocab.symbols[i] <= c->vocab.symbols[i - 1]) r.bad = 1;
        }
    }
    c->hp.optim = (int32_t)get_u32(&r);
    double hp[8];
    for (int i = 0; i < 8; i++) hp[i] = get_f64(&r);
    c->hp.lr = hp[0], c->hp.beta1 = hp[1], c->hp.beta2 = hp[2], c->hp.eps = hp[3];
    c->hp.weight_decay = hp[4], c->hp.clip = hp[5], c->hp.clip_norm = hp[6], c->hp.grad_scale = hp[7];
    if (c->hp.optim < RNNC_OPTIM_SGD || c->hp.optim > RNNC_OPTIM_ADAM) r.bad = 1;
    c->step = get_u64(&r);
    c->seed = get_u64(&r);
    c->rng = get_u64(&r);
    c->smooth_loss = get_f64(&r);
    c->last_loss = get_f64(&r);
    c->data_len = get_u64(&r);
    c->data_hash = get_u64(&r);
    if (r.bad) {
        snprintf(err, errlen, "%s: corrupt checkpoint (bad header fields)", path);
        goto out;
    }
    rnnc_vocab keep = c->vocab;
    c->vocab.symbols = NULL;
    if (rnnc_ckpt_alloc(c, err, errlen) != 0) {
        c->vocab = keep;
        goto out;
    }
    c->vocab = keep;
    for (size_t b = 0; b < c->spec.batch; b++) {
        c->positions[b] = get_u64(&r);
        if (c->positions[b] > c->data_len) r.bad = 1;
    }
    get(&r, c->params, c->layout.params_bytes);
    get(&r, c->opt, c->layout.opt_bytes);
    get(&r, c->h, rnnc_ckpt_state_count(&c->spec) * c->layout.real_size);
    if (r.bad || r.off != r.len) {
        snprintf(err, errlen, "%s: corrupt checkpoint (sizes do not match its spec)", path);
        goto out;
    }
    rc = 0;
out:
    free(data);
    if (rc != 0) rnnc_ckpt_free(c);
    return rc;
}
