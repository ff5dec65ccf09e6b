/* interop.c: safetensors export and import of checkpoints (see interop.h). */
#define _POSIX_C_SOURCE 200809L
#include "interop.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"
#include "../base/util.h"

/* Copy tensor t (rows x cols of the model, column-major in params at off) to a row-major
 * buffer of dtype dt, or the reverse. */
static void to_row_major(const void *params, rnnc_dtype dt, size_t off, size_t rows, size_t cols,
                         void *out)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            rnnc_set(out, dt, i * cols + j, rnnc_get(params, dt, off + j * rows + i));
}

int rnnc_export(const rnnc_ckpt *c, const rnnc_interop_names *n, const char *path, char *err,
                size_t errlen)
{
    const rnnc_spec *s = &c->spec;
    size_t H = s->hidden, N = s->n_in, K = s->n_out, rs = c->layout.real_size;
    rnnc_st_dtype st = s->dtype == RNNC_DOUBLE ? RNNC_ST_F64 : RNNC_ST_F32;
    size_t biggest = H * N > H * H ? H * N : H * H;
    if (K * H > biggest) biggest = K * H;
    void *buf = calloc(biggest ? biggest : 1, rs), *zeros = calloc(H ? H : 1, rs);
    rnnc_st_writer *w = rnnc_st_writer_new();
    char name[256], *vocab = NULL;
    int rc = -1;
    if (!buf || !zeros || !w) {
        rnnc_fail(err, errlen, "%s: out of memory", path);
        goto out;
    }
    const struct { const char *prefix, *suffix; size_t off, rows, cols; int matrix; } t[] = {
        {n->rnn_prefix, "weight_ih_l0", c->layout.off_U, H, N, 1},
        {n->rnn_prefix, "weight_hh_l0", c->layout.off_W, H, H, 1},
        {n->rnn_prefix, "bias_ih_l0", c->layout.off_b, H, 1, 0},
        {n->lin_prefix, "weight", c->layout.off_V, K, H, 1},
        {n->lin_prefix, "bias", c->layout.off_c, K, 1, 0},
    };
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        uint64_t shape[2] = {t[k].rows, t[k].cols};
        snprintf(name, sizeof name, "%s%s", t[k].prefix, t[k].suffix);
        to_row_major(c->params, s->dtype, t[k].off, t[k].rows, t[k].cols, buf);
        if (rnnc_st_add(w, name, st, t[k].matrix ? 2 : 1, shape, buf) != 0) {
            rnnc_fail(err, errlen, "%s: cannot add tensor '%s'", path, name);
            goto out;
        }
    }
    uint64_t hshape[1] = {H};
    snprintf(name, sizeof name, "%sbias_hh_l0", n->rnn_prefix);
    if (rnnc_st_add(w, name, st, 1, hshape, zeros) != 0) {
        rnnc_fail(err, errlen, "%s: cannot add tensor '%s'", path, name);
        goto out;
    }
    char canon[512];
    rnnc_spec_format(s, canon, sizeof canon);
    int ok = rnnc_st_set_meta(w, "format", "pt") == 0 && rnnc_st_set_meta(w, "rnnc.spec", canon) == 0 &&
             rnnc_st_set_meta(w, "rnnc.act", rnnc_act_name(s->act)) == 0;
    if (ok && s->onehot) {
        vocab = malloc(c->vocab.size * 11 + 1);
        if (!vocab) ok = 0;
        size_t o = 0;
        for (size_t i = 0; ok && i < c->vocab.size; i++)
            o += (size_t)sprintf(vocab + o, "%s%lu", i ? "," : "", (unsigned long)c->vocab.symbols[i]);
        if (ok) vocab[o] = '\0';
        ok = ok && rnnc_st_set_meta(w, "rnnc.vocab", vocab) == 0 &&
             rnnc_st_set_meta(w, "rnnc.chars", c->vocab.mode == RNNC_CHARS_UTF8 ? "utf8" : "bytes") == 0;
    }
    if (!ok) {
        rnnc_fail(err, errlen, "%s: out of memory", path);
        goto out;
    }
    rc = rnnc_st_write(w, path, err, errlen);
out:
    free(vocab);
    free(buf);
    free(zeros);
    rnnc_st_writer_free(w);
    return rc;
}

/* The tensor prefix+suffix with the given rank; shape checked by the caller. */
static const rnnc_st_tensor *need(const rnnc_st_file *f, const char *path, const char *prefix,
                                  const char *suffix, size_t ndim, int optional, char *err,
                                  size_t errlen)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s", prefix, suffix);
    const rnnc_st_tensor *t = rnnc_st_find(f, name);
    if (!t) {
        if (!optional)
            rnnc_fail(err, errlen, "%s: no tensor '%s' (nn.RNN / nn.Linear names under the prefixes "
                     "given by --rnn-prefix and --linear-prefix)", path, name);
        return NULL;
    }
    if (t->ndim != ndim || (t->dtype != RNNC_ST_F32 && t->dtype != RNNC_ST_F64)) {
        rnnc_fail(err, errlen, "%s: tensor '%s' must be a %zu-dimensional F32 or F64 tensor", path, name, ndim);
        return NULL;
    }
    return t;
}

/* Element i of tensor t (F32 or F64, little-endian, possibly unaligned) as double. */
static double elem(const rnnc_st_tensor *t, size_t i)
{
    if (t->dtype == RNNC_ST_F64) {
        double v;
        memcpy(&v, t->data + i * 8, 8);
        return v;
    }
    float v;
    memcpy(&v, t->data + i * 4, 4);
    return (double)v;
}

/* Parse "n,n,n" into v->symbols: count must be expect, strictly ascending, valid. */
static int parse_vocab(const char *text, rnnc_chars mode, size_t expect, rnnc_vocab *v)
{
    v->mode = mode;
    v->size = 0;
    v->symbols = malloc((expect ? expect : 1) * sizeof *v->symbols);
    if (!v->symbols) return -1;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        if (*p < '0' || *p > '9') return -1;
        unsigned long x = strtoul(p, &end, 10);
        if (errno || x > (mode == RNNC_CHARS_UTF8 ? 0x10FFFFul : 0xFFul) ||
            (mode == RNNC_CHARS_UTF8 && x >= 0xD800 && x <= 0xDFFF) || v->size == expect ||
            (v->size && x <= v->symbols[v->size - 1]))
            return -1;
        v->symbols[v->size++] = (uint32_t)x;
        p = end;
        if (*p == ',') p++;
        else if (*p) return -1;
    }
    return v->size == expect ? 0 : -1;
}

/* Set key to value unless the user already set it. */
static int fill_key(rnnc_spec_builder *b, const char *key, const char *value, const char *where,
                    char *err, size_t errlen)
{
    if (rnnc_spec_has(b, key)) return 0;
    return rnnc_spec_set(b, key, value, where, err, errlen);
}

int rnnc_import_st(const rnnc_st_file *f, const char *path, const rnnc_interop_names *n,
                   const rnnc_spec_builder *base, rnnc_ckpt *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    int rc = -1;
    const rnnc_st_tensor *ih = need(f, path, n->rnn_prefix, "weight_ih_l0", 2, 0, err, errlen), *hh = NULL,
                         *bih = NULL, *bhh = NULL, *lw = NULL, *lb = NULL;
    if (!ih || !(hh = need(f, path, n->rnn_prefix, "weight_hh_l0", 2, 0, err, errlen)) ||
        !(bih = need(f, path, n->rnn_prefix, "bias_ih_l0", 1, 0, err, errlen)) ||
        !(lw = need(f, path, n->lin_prefix, "weight", 2, 0, err, errlen)) ||
        !(lb = need(f, path, n->lin_prefix, "bias", 1, 0, err, errlen)))
        goto out;
    err[0] = '\0';
    bhh = need(f, path, n->rnn_prefix, "bias_hh_l0", 1, 1, err, errlen);
    if (!bhh && err[0]) goto out;
    uint64_t H = ih->shape[0], N = ih->shape[1], K = lw->shape[0];
    if (hh->shape[0] != H || hh->shape[1] != H || bih->shape[0] != H || (bhh && bhh->shape[0] != H) ||
        lw->shape[1] != H || lb->shape[0] != K) {
        rnnc_fail(err, errlen, "%s: inconsistent shapes: weight_ih [%llu, %llu], weight_hh [%llu, %llu], "
                 "bias_ih [%llu], weight [%llu, %llu], bias [%llu] (expected [H, N], [H, H], [H], [K, H], [K])",
                 path, (unsigned long long)H, (unsigned long long)N, (unsigned long long)hh->shape[0],
                 (unsigned long long)hh->shape[1], (unsigned long long)bih->shape[0],
                 (unsigned long long)K, (unsigned long long)lw->shape[1], (unsigned long long)lb->shape[0]);
        goto out;
    }
    /* The spec: the user's options, then the file's own spec, then what the shapes say. */
    rnnc_spec_builder b = *base;
    char v[64], where[300];
    snprintf(where, sizeof where, "%s: metadata rnnc.spec", path);
    const char *meta_spec = rnnc_st_meta(f, "rnnc.spec"), *meta_vocab = rnnc_st_meta(f, "rnnc.vocab");
    if (meta_spec) {
        char buf[512], *save = NULL;
        snprintf(buf, sizeof buf, "%s", meta_spec);
        for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(tok, '=');
            if (!eq) {
                rnnc_fail(err, errlen, "%s: metadata rnnc.spec is not 'key=value ...'", path);
                goto out;
            }
            *eq = '\0';
            if (strcmp(tok, "dtype") == 0) continue; /* the tensors' dtype decides, below */
            if (fill_key(&b, tok, eq + 1, where, err, errlen) != 0) goto out;
        }
    }
    snprintf(where, sizeof where, "%s: tensor shapes", path);
    int onehot = meta_vocab != NULL;
    if (onehot && !rnnc_spec_has(&b, "vocab") && !rnnc_spec_has(&b, "in")) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)N);
        if (fill_key(&b, "vocab", v, where, err, errlen) != 0) goto out;
    } else if (!onehot && !rnnc_spec_has(&b, "vocab")) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)N);
        if (fill_key(&b, "in", v, where, err, errlen) != 0) goto out;
        snprintf(v, sizeof v, "%llu", (unsigned long long)K);
        if (fill_key(&b, "out", v, where, err, errlen) != 0) goto out;
        if (fill_key(&b, "loss", "mse", where, err, errlen) != 0) goto out;
    }
    snprintf(v, sizeof v, "%llu", (unsigned long long)H);
    if (fill_key(&b, "hidden", v, where, err, errlen) != 0 || fill_key(&b, "tau", "25", where, err, errlen) != 0 ||
        fill_key(&b, "dtype", ih->dtype == RNNC_ST_F64 ? "double" : "float", where, err, errlen) != 0)
        goto out;
    if (rnnc_spec_finish(&b, &c->spec, err, errlen) != 0) goto out;
    rnnc_spec *s = &c->spec;
    if (s->n_in != N || s->hidden != H || s->n_out != K) {
        rnnc_fail(err, errlen, "%s: the tensors give N=%llu H=%llu K=%llu; the spec says in=%zu hidden=%zu out=%zu",
                 path, (unsigned long long)N, (unsigned long long)H, (unsigned long long)K, s->n_in,
                 s->hidden, s->n_out);
        goto out;
    }
    if (s->onehot) {
        const char *chars = rnnc_st_meta(f, "rnnc.chars");
        rnnc_chars mode = chars && strcmp(chars, "utf8") == 0 ? RNNC_CHARS_UTF8 : RNNC_CHARS_BYTES;
        if (chars && strcmp(chars, "utf8") != 0 && strcmp(chars, "bytes") != 0) {
            rnnc_fail(err, errlen, "%s: metadata rnnc.chars must be bytes or utf8, got '%.40s'", path, chars);
            goto out;
        }
        if (!meta_vocab || parse_vocab(meta_vocab, mode, s->n_in, &c->vocab) != 0) {
            rnnc_fail(err, errlen, "%s: a one-hot model needs metadata rnnc.vocab: %zu ascending symbol "
                     "numbers separated by commas", path, s->n_in);
            goto out;
        }
    }
    rnnc_vocab keep = c->vocab;
    memset(&c->vocab, 0, sizeof c->vocab);
    if (rnnc_ckpt_alloc(c, err, errlen) != 0) {
        rnnc_vocab_free(&keep);
        goto out;
    }
    c->vocab = keep;
    const rnnc_layout *l = &c->layout;
    const struct { const rnnc_st_tensor *t; size_t off, rows, cols; } m[] = {
        {ih, l->off_U, H, N}, {hh, l->off_W, H, H}, {lw, l->off_V, K, H}, {lb, l->off_c, K, 1},
    };
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++)
        for (size_t i = 0; i < m[k].rows; i++)
            for (size_t j = 0; j < m[k].cols; j++)
                rnnc_set(c->params, s->dtype, m[k].off + j * m[k].rows + i, elem(m[k].t, i * m[k].cols + j));
    for (size_t i = 0; i < H; i++)
        rnnc_set(c->params, s->dtype, l->off_b + i, elem(bih, i) + (bhh ? elem(bhh, i) : 0));
    for (size_t i = 0; i < l->params_count; i++)
        if (!isfinite(rnnc_get(c->params, s->dtype, i))) {
            rnnc_fail(err, errlen, "%s: the weights hold a NaN or infinite value", path);
            goto out;
        }
    c->hp.optim = RNNC_OPTIM_ADAGRAD;
    c->hp.lr = 0.1, c->hp.beta1 = 0.9, c->hp.beta2 = 0.999, c->hp.eps = 1e-8, c->hp.clip = 5;
    c->hp.grad_scale = 1.0 / (double)s->batch;
    c->smooth_loss = c->last_loss = NAN;
    char what[256];
    if (rnnc_ckpt_check(c, what, sizeof what) != 0) {
        rnnc_fail(err, errlen, "%s: %s", path, what);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0) rnnc_ckpt_free(c);
    return rc;
}

int rnnc_import(const char *path, const rnnc_interop_names *n, const rnnc_spec_builder *base,
                rnnc_ckpt *c, char *err, size_t errlen)
{
    rnnc_st_file f;
    memset(c, 0, sizeof *c);
    if (rnnc_st_read(path, &f, err, errlen) != 0) return -1;
    int rc = rnnc_import_st(&f, path, n, base, c, err, errlen);
    rnnc_st_free(&f);
    return rc;
}
