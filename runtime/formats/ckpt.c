/* ckpt.c: checkpoint files (see ckpt.h).  Layout, all integers and reals little-endian:
 *   "RNNCCKPT" | u32 version | u32 0 | u64 total file length
 *   u32 len + canonical spec text
 *   u32 chars mode | u64 vocab size | u32 symbol x size
 *   u32 optim | f64 lr beta1 beta2 eps weight_decay clip clip_norm grad_scale
 *   u64 step seed rng | f64 smooth_loss last_loss | u64 data_len data_hash
 *   u64 position x batch
 *   params (params_count reals) | optimiser state (opt_count) | h (batch x hidden)
 *   u32 CRC-32 of every byte before it */
#define _POSIX_C_SOURCE 200809L
#include "ckpt.h"

#include <math.h>
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

int rnnc_ckpt_alloc(rnnc_ckpt *c, char *err, size_t errlen)
{
    if (rnnc_spec_layout(&c->spec, &c->layout, err, errlen) != 0) return -1;
    size_t rs = c->layout.real_size, hb = c->spec.batch * c->spec.hidden;
    c->positions = calloc(c->spec.batch, sizeof *c->positions);
    c->params = calloc(c->layout.params_count ? c->layout.params_count : 1, rs);
    c->opt = calloc(c->layout.opt_count ? c->layout.opt_count : 1, rs);
    c->h = calloc(hb ? hb : 1, rs);
    if (!c->positions || !c->params || !c->opt || !c->h) {
        rnnc_ckpt_free(c);
        rnnc_fail(err, errlen, "out of memory for the checkpoint");
        return RNNC_ENOMEM;
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

int rnnc_ckpt_serialize(const rnnc_ckpt *c, unsigned char **buf, size_t *len)
{
    const rnnc_layout *l = &c->layout;
    char spec[512];
    size_t sl = rnnc_spec_format(&c->spec, spec, sizeof spec);
    wbuf w = {0};
    *buf = NULL;
    *len = 0;
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
    put(&w, c->h, c->spec.batch * c->spec.hidden * l->real_size);
    uint64_t total = w.len + 4;
    if (!w.oom) memcpy(w.p + 16, &total, 8);
    put_u32(&w, 0); /* the checksum, filled in below */
    if (w.oom) {
        free(w.p);
        return RNNC_ENOMEM;
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
    *buf = w.p;
    *len = w.len;
    return 0;
}

int rnnc_ckpt_save(const rnnc_ckpt *c, const char *path, char *err, size_t errlen)
{
    if (!host_is_little_endian()) {
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

/* Parse the canonical spec text "key=value key=value ..."; it must be exactly what
 * rnnc_spec_format writes for the spec it describes.  A refusal names path and the key:
 * "PATH: corrupt checkpoint (spec: hidden: expected ...)". */
static int parse_spec(const char *text, const char *path, rnnc_spec *out, char *err, size_t errlen)
{
    rnnc_spec_builder b;
    char buf[512], what[600];
    snprintf(buf, sizeof buf, "%s", text);
    rnnc_spec_begin(&b);
    char *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(buf, " ", &save); tok && rc == 0; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            rc = rnnc_fail(what, sizeof what, "'%s' is not key=value", tok);
            break;
        }
        *eq = '\0';
        rc = rnnc_spec_set(&b, tok, eq + 1, tok, what, sizeof what);
    }
    if (rc == 0) rc = rnnc_spec_finish(&b, out, what, sizeof what);
    if (rc != 0) return rnnc_fail(err, errlen, "%s: corrupt checkpoint (spec: %s)", path, what);
    char canon[512];
    rnnc_spec_format(out, canon, sizeof canon);
    if (strcmp(canon, text) != 0)
        return rnnc_fail(err, errlen, "%s: corrupt checkpoint (spec '%s' is not in canonical form)",
                         path, text);
    return 0;
}

/* The frame: length, magic, version, the reserved word, total length, CRC-32. */
static int check_frame(const unsigned char *data, size_t n, const char *path, char *err,
                       size_t errlen)
{
    if (n < 28)
        return rnnc_fail(err, errlen, "%s: not an rnnc checkpoint (too short: %zu bytes)", path, n);
    if (memcmp(data, magic, 8) != 0)
        return rnnc_fail(err, errlen, "%s: not an rnnc checkpoint (bad magic number)", path);
    uint32_t version, reserved;
    uint64_t total;
    memcpy(&version, data + 8, 4);
    memcpy(&reserved, data + 12, 4);
    memcpy(&total, data + 16, 8);
    if (version != RNNC_CKPT_VERSION)
        return rnnc_fail(err, errlen, "%s: checkpoint format version %u, this rnnc reads version %d",
                         path, version, RNNC_CKPT_VERSION);
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

/* The vocabulary: the spec's classes (none for dense models), strictly ascending (so no
 * symbol repeats), bytes below 256, code points Unicode scalar values. */
static int check_vocab(const rnnc_ckpt *c, char *what, size_t n)
{
    const rnnc_vocab *v = &c->vocab;
    if (v->mode != RNNC_CHARS_BYTES && v->mode != RNNC_CHARS_UTF8)
        return rnnc_fail(what, n, "character mode %d", (int)v->mode);
    if (c->spec.onehot ? v->size != c->spec.n_in : v->size != 0)
        return rnnc_fail(what, n, "vocabulary of %zu symbols for %zu classes", v->size,
                         c->spec.onehot ? c->spec.n_in : 0);
    uint32_t max = v->mode == RNNC_CHARS_BYTES ? 0xFF : 0x10FFFF;
    for (size_t i = 0; i < v->size; i++) {
        uint32_t sym = v->symbols[i];
        if (sym > max || (sym >= 0xD800 && sym <= 0xDFFF && v->mode == RNNC_CHARS_UTF8))
            return rnnc_fail(what, n, "vocabulary symbol %zu is 0x%X, not a %s", i, (unsigned)sym,
                             v->mode == RNNC_CHARS_BYTES ? "byte" : "Unicode scalar value");
        if (i && sym <= v->symbols[i - 1])
            return rnnc_fail(what, n, "vocabulary symbol %zu, 0x%X, %s the one before it", i,
                             (unsigned)sym, sym == v->symbols[i - 1] ? "repeats" : "is below");
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
 * one); a checkpoint that has trained (step > 0) has data of at least tau symbols or rows. */
static int check_progress(const rnnc_ckpt *c, char *what, size_t n)
{
    const double loss[2] = {c->smooth_loss, c->last_loss};
    for (int i = 0; i < 2; i++)
        if (!(isfinite(loss[i]) && loss[i] >= 0) && !(isnan(loss[i]) && c->step == 0))
            return rnnc_fail(what, n, "%s loss %g at step %llu", i ? "last" : "smoothed", loss[i],
                             (unsigned long long)c->step);
    if (c->step > 0 && c->data_len < c->spec.tau)
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

/* The arrays: positions inside the data, finite weights and optimiser state, carried hidden
 * states finite and inside the activation's range; before the first step the optimiser
 * state and the hidden states are zero. */
static int check_arrays(const rnnc_ckpt *c, char *what, size_t n)
{
    const rnnc_spec *s = &c->spec;
    char where[64];
    for (size_t b = 0; b < s->batch; b++)
        if (c->positions[b] > c->data_len)
            return rnnc_fail(what, n, "stream %zu is at position %llu of %llu", b,
                             (unsigned long long)c->positions[b], (unsigned long long)c->data_len);
    for (size_t i = 0; i < c->layout.params_count; i++) {
        double v = rnnc_get(c->params, s->dtype, i);
        if (!isfinite(v)) {
            param_name(c, i, where, sizeof where);
            return rnnc_fail(what, n, "weight %s is %s", where, nonfinite_name(v));
        }
    }
    for (size_t i = 0; i < c->layout.opt_count; i++) {
        double v = rnnc_get(c->opt, s->dtype, i);
        if (!isfinite(v)) return rnnc_fail(what, n, "optimiser state entry %zu is %s", i, nonfinite_name(v));
        if (c->step == 0 && v != 0)
            return rnnc_fail(what, n, "optimiser state entry %zu is %g before the first step", i, v);
    }
    /* tanh in [-1, 1], sigmoid in [0, 1], relu >= 0 (a little slack for --fast builds). */
    double lo = s->act == RNNC_ACT_TANH ? -1 : 0, hi = s->act == RNNC_ACT_RELU ? INFINITY : 1;
    const double slack = 1e-6;
    for (size_t i = 0; i < s->batch * s->hidden; i++) {
        double v = rnnc_get(c->h, s->dtype, i);
        if (!isfinite(v) || v < lo - slack || v > hi + slack || (c->step == 0 && v != 0))
            return rnnc_fail(what, n, "carried hidden state %zu of stream %zu is %g, %s",
                             i % s->hidden, i / s->hidden, v,
                             c->step == 0 && isfinite(v) ? "not 0 before the first step"
                                                          : "impossible for its activation");
    }
    return 0;
}

int rnnc_ckpt_check(const rnnc_ckpt *c, char *what, size_t n)
{
    if (check_vocab(c, what, n) || check_hparams(c, what, n) || check_progress(c, what, n) ||
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
    char what[256];
    if (check_vocab(c, what, sizeof what) || check_hparams(c, what, sizeof what) ||
        check_progress(c, what, sizeof what))
        return corrupt(path, what, err, errlen);
    return 0;
}

/* The arrays: their sizes (checked before they are allocated), then their content. */
static int read_arrays(rbuf *r, rnnc_ckpt *c, const char *path, char *err, size_t errlen)
{
    rnnc_layout l;
    if (rnnc_spec_layout(&c->spec, &l, err, errlen) != 0) return -1;
    size_t hb = c->spec.batch * c->spec.hidden * l.real_size, left = r->len - r->off;
    const size_t want[4] = {c->spec.batch * 8, l.params_bytes, l.opt_bytes, hb};
    for (int i = 0; i < 4; i++) left = want[i] > left ? SIZE_MAX : left - want[i];
    if (left != 0) return rnnc_fail(err, errlen, "%s: corrupt checkpoint (sizes do not match its spec)", path);
    rnnc_vocab keep = c->vocab;
    c->vocab.symbols = NULL;
    c->vocab.size = 0;
    int rc = rnnc_ckpt_alloc(c, err, errlen);
    c->vocab = keep;
    if (rc != 0) return rc;
    for (size_t b = 0; b < c->spec.batch; b++) c->positions[b] = get_u64(r);
    get(r, c->params, c->layout.params_bytes);
    get(r, c->opt, c->layout.opt_bytes);
    get(r, c->h, hb);
    char what[256];
    if (r->bad || r->off != r->len) return rnnc_fail(err, errlen, "%s: corrupt checkpoint (sizes do not match its spec)", path);
    if (check_arrays(c, what, sizeof what) != 0) return corrupt(path, what, err, errlen);
    return 0;
}

int rnnc_ckpt_parse(rnnc_ckpt *c, const unsigned char *data, size_t n, const char *path,
                    char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (check_frame(data, n, path, err, errlen) != 0) return -1;
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
        rc = read_arrays(&r, c, path, err, errlen);
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
