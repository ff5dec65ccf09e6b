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

/* One exported tensor: prefix + suffix, rows x cols of the parameters at off (or of src when
 * given: the learned h(0)); ndim 1 writes a vector of rows x cols values. */
typedef struct export_tensor {
    const char *prefix, *suffix;
    size_t off, rows, cols;
    int ndim;
    const void *src;
} export_tensor;

/* The tensors of c: nn.RNN's and nn.Linear's, then R and the end outputs where the model has
 * them, and a learned h(0).  Returns how many were written into t (at most 13). */
static size_t export_tensors(const rnnc_ckpt *c, const rnnc_interop_names *n, export_tensor *t)
{
    const rnnc_spec *s = &c->spec;
    const rnnc_layout *l = &c->layout;
    size_t H = s->hidden, N = s->n_in, K = s->n_out, M = s->max_length, k = 0;
    const rnnc_end_info *end = &rnnc_ends[s->end];
    t[k++] = (export_tensor){n->rnn_prefix, "weight_ih_l0", l->off_U, H, N, 2, NULL};
    if (rnnc_recurrences[s->rec].has_W) t[k++] = (export_tensor){n->rnn_prefix, "weight_hh_l0", l->off_W, H, H, 2, NULL};
    t[k++] = (export_tensor){n->rnn_prefix, "bias_ih_l0", l->off_b, H, 1, 1, NULL};
    if (rnnc_recurrences[s->rec].has_R) t[k++] = (export_tensor){n->rnn_prefix, "weight_oh_l0", l->off_R, H, K, 2, NULL};
    t[k++] = (export_tensor){n->lin_prefix, "weight", l->off_V, K, H, 2, NULL};
    t[k++] = (export_tensor){n->lin_prefix, "bias", l->off_c, K, 1, 1, NULL};
    if (end->has_halt) {
        t[k++] = (export_tensor){"rnnc.", "halt_w", l->off_halt_w, 1, H, 2, NULL};
        t[k++] = (export_tensor){"rnnc.", "halt_b", l->off_halt_b, 1, 1, 1, NULL};
    }
    if (end->has_length) {
        t[k++] = (export_tensor){"rnnc.", "len_w", l->off_len_w, M, H, 2, NULL};
        t[k++] = (export_tensor){"rnnc.", "len_b", l->off_len_b, M, 1, 1, NULL};
        t[k++] = (export_tensor){"rnnc.", "rem_u", l->off_rem_u, H, 1, 1, NULL};
    }
    if (c->learn_h0 && c->h0) t[k++] = (export_tensor){"rnnc.", "h0", 0, H, 1, 1, c->h0};
    return k;
}

/* The metadata of c: format, spec, activation, vocabulary, records and end symbol.  0, or -1
 * (out of memory). */
static int export_meta(const rnnc_ckpt *c, rnnc_st_writer *w)
{
    static const char *const rec[] = {"none", "lines", "paragraphs", "csv"};
    char canon[512], num[32];
    rnnc_spec_format(&c->spec, canon, sizeof canon);
    int ok = rnnc_st_set_meta(w, "format", "pt") == 0 && rnnc_st_set_meta(w, "rnnc.spec", canon) == 0 &&
             rnnc_st_set_meta(w, "rnnc.act", rnnc_act_name(c->spec.act)) == 0;
    if (ok && c->records) {
        ok = rnnc_st_set_meta(w, "rnnc.records", rec[c->records]) == 0 &&
             (c->records != RNNC_RECORDS_CSV || rnnc_st_set_meta(w, "rnnc.sequence_column", c->seq_column) == 0);
    }
    if (ok && c->has_end_symbol) {
        snprintf(num, sizeof num, "%lu", (unsigned long)c->end_symbol);
        ok = rnnc_st_set_meta(w, "rnnc.end_symbol", num) == 0;
    }
    if (!ok || !c->spec.onehot) return ok ? 0 : -1;
    char *vocab = malloc(c->vocab.size * 11 + 1);
    if (!vocab) return -1;
    size_t o = 0;
    vocab[0] = '\0';
    for (size_t i = 0; i < c->vocab.size; i++)
        o += (size_t)sprintf(vocab + o, "%s%lu", i ? "," : "", (unsigned long)c->vocab.symbols[i]);
    ok = rnnc_st_set_meta(w, "rnnc.vocab", vocab) == 0 &&
         rnnc_st_set_meta(w, "rnnc.chars", c->vocab.mode == RNNC_CHARS_UTF8 ? "utf8" : "bytes") == 0;
    free(vocab);
    return ok ? 0 : -1;
}

int rnnc_export(const rnnc_ckpt *c, const rnnc_interop_names *n, const char *path, char *err,
                size_t errlen)
{
    const rnnc_spec *s = &c->spec;
    size_t H = s->hidden, rs = c->layout.real_size, biggest = H;
    rnnc_st_dtype st = s->dtype == RNNC_DOUBLE ? RNNC_ST_F64 : RNNC_ST_F32;
    export_tensor t[16];
    size_t nt = export_tensors(c, n, t);
    for (size_t k = 0; k < nt; k++)
        if (t[k].rows * t[k].cols > biggest) biggest = t[k].rows * t[k].cols;
    void *buf = calloc(biggest ? biggest : 1, rs), *zeros = calloc(H ? H : 1, rs);
    rnnc_st_writer *w = rnnc_st_writer_new();
    char name[256];
    int rc = -1;
    if (!buf || !zeros || !w) {
        rnnc_fail(err, errlen, "%s: out of memory", path);
        goto out;
    }
    for (size_t k = 0; k < nt; k++) {
        uint64_t shape[2] = {t[k].ndim == 2 ? t[k].rows : t[k].rows * t[k].cols, t[k].cols};
        snprintf(name, sizeof name, "%s%s", t[k].prefix, t[k].suffix);
        to_row_major(t[k].src ? t[k].src : c->params, s->dtype, t[k].off, t[k].rows, t[k].cols, buf);
        if (rnnc_st_add(w, name, st, (size_t)t[k].ndim, shape, buf) != 0) {
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
    if (export_meta(c, w) != 0) {
        rnnc_fail(err, errlen, "%s: out of memory", path);
        goto out;
    }
    rc = rnnc_st_write(w, path, err, errlen);
out:
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

/* The spec of an imported file: the user's options, then the file's rnnc.spec, then what the
 * shapes say (N, H, K; one-hot when there is a vocabulary).  0, or -1 with a message. */
static int import_spec(const rnnc_st_file *f, const char *path, const rnnc_spec_builder *base,
                       uint64_t N, uint64_t H, uint64_t K, int f64, rnnc_spec *out, char *err,
                       size_t errlen)
{
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
                return -1;
            }
            *eq = '\0';
            if (strcmp(tok, "dtype") == 0) continue; /* the tensors' dtype decides, below */
            if (fill_key(&b, tok, eq + 1, where, err, errlen) != 0) return -1;
        }
    }
    snprintf(where, sizeof where, "%s: tensor shapes", path);
    int onehot = meta_vocab != NULL;
    if (onehot && !rnnc_spec_has(&b, "vocab") && !rnnc_spec_has(&b, "in")) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)N);
        if (fill_key(&b, "vocab", v, where, err, errlen) != 0) return -1;
    } else if (!onehot && !rnnc_spec_has(&b, "vocab")) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)N);
        if (fill_key(&b, "in", v, where, err, errlen) != 0) return -1;
        snprintf(v, sizeof v, "%llu", (unsigned long long)K);
        if (fill_key(&b, "out", v, where, err, errlen) != 0) return -1;
        if (fill_key(&b, "loss", "mse", where, err, errlen) != 0) return -1;
    }
    snprintf(v, sizeof v, "%llu", (unsigned long long)H);
    if (fill_key(&b, "hidden", v, where, err, errlen) != 0 || fill_key(&b, "tau", "25", where, err, errlen) != 0 ||
        fill_key(&b, "dtype", f64 ? "double" : "float", where, err, errlen) != 0)
        return -1;
    if (rnnc_spec_finish(&b, out, err, errlen) != 0) return -1;
    if (out->n_in != N || out->hidden != H || out->n_out != K) {
        rnnc_fail(err, errlen, "%s: the tensors give N=%llu H=%llu K=%llu; the spec says in=%zu hidden=%zu out=%zu",
                 path, (unsigned long long)N, (unsigned long long)H, (unsigned long long)K, out->n_in,
                 out->hidden, out->n_out);
        return -1;
    }
    return 0;
}

/* The records settings and the vocabulary (one-hot models) from the metadata.  0, or -1. */
static int import_meta(const rnnc_st_file *f, const char *path, rnnc_ckpt *c, char *err, size_t errlen)
{
    static const char *const rec[] = {"none", "lines", "paragraphs", "csv"};
    const char *r = rnnc_st_meta(f, "rnnc.records"), *col = rnnc_st_meta(f, "rnnc.sequence_column");
    const char *end = rnnc_st_meta(f, "rnnc.end_symbol");
    for (int i = 0; r && i < RNNC_RECORDS_COUNT; i++)
        if (strcmp(r, rec[i]) == 0) c->records = (rnnc_records)i;
    if ((r && c->records == RNNC_RECORDS_NONE && strcmp(r, "none") != 0) ||
        (c->records == RNNC_RECORDS_CSV && (!col || strlen(col) >= sizeof c->seq_column))) {
        rnnc_fail(err, errlen, "%s: metadata rnnc.records must be lines, paragraphs or csv (csv with "
                 "rnnc.sequence_column)", path);
        return -1;
    }
    if (col) snprintf(c->seq_column, sizeof c->seq_column, "%s", col);
    if (end) {
        char *e;
        errno = 0;
        unsigned long x = strtoul(end, &e, 10);
        if (errno || *e || e == end || x > 0x10FFFF || !c->spec.onehot) {
            rnnc_fail(err, errlen, "%s: metadata rnnc.end_symbol must be a symbol number of a one-hot model", path);
            return -1;
        }
        c->has_end_symbol = 1;
        c->end_symbol = (uint32_t)x;
    }
    if (!c->spec.onehot) return 0;
    const char *chars = rnnc_st_meta(f, "rnnc.chars"), *meta_vocab = rnnc_st_meta(f, "rnnc.vocab");
    rnnc_chars mode = chars && strcmp(chars, "utf8") == 0 ? RNNC_CHARS_UTF8 : RNNC_CHARS_BYTES;
    if (chars && strcmp(chars, "utf8") != 0 && strcmp(chars, "bytes") != 0) {
        rnnc_fail(err, errlen, "%s: metadata rnnc.chars must be bytes or utf8, got '%.40s'", path, chars);
        return -1;
    }
    size_t want = c->spec.n_in - (size_t)c->has_end_symbol;
    if (!meta_vocab || parse_vocab(meta_vocab, mode, want, &c->vocab) != 0 ||
        (c->has_end_symbol && rnnc_vocab_index(&c->vocab, c->end_symbol) >= 0)) {
        rnnc_fail(err, errlen, "%s: a one-hot model needs metadata rnnc.vocab: %zu ascending symbol "
                 "numbers separated by commas%s", path, want, c->has_end_symbol ? ", without rnnc.end_symbol" : "");
        return -1;
    }
    return 0;
}

/* Copy the tensors the spec has into c's parameters (and a learned h(0)), checking each
 * shape.  0, or -1 with a message naming the tensor. */
static int import_weights(const rnnc_st_file *f, const char *path, const rnnc_interop_names *n,
                          rnnc_ckpt *c, char *err, size_t errlen)
{
    const rnnc_spec *s = &c->spec;
    export_tensor t[16];
    rnnc_ckpt probe = *c;
    probe.learn_h0 = 0;
    size_t nt = export_tensors(&probe, n, t);
    for (size_t k = 0; k < nt; k++) {
        const rnnc_st_tensor *x = need(f, path, t[k].prefix, t[k].suffix, (size_t)t[k].ndim, 0, err, errlen);
        if (!x) return -1;
        uint64_t r0 = t[k].ndim == 2 ? t[k].rows : t[k].rows * t[k].cols, c0 = t[k].ndim == 2 ? t[k].cols : 1;
        if (x->shape[0] != r0 || (t[k].ndim == 2 && x->shape[1] != c0)) {
            if (t[k].ndim == 2)
                rnnc_fail(err, errlen, "%s: inconsistent shapes: tensor '%s%s' must be [%llu, %llu] for the "
                         "model's spec", path, t[k].prefix, t[k].suffix, (unsigned long long)r0, (unsigned long long)c0);
            else
                rnnc_fail(err, errlen, "%s: inconsistent shapes: tensor '%s%s' must be [%llu] for the model's "
                         "spec", path, t[k].prefix, t[k].suffix, (unsigned long long)r0);
            return -1;
        }
        for (size_t i = 0; i < t[k].rows; i++)
            for (size_t j = 0; j < t[k].cols; j++)
                rnnc_set(c->params, s->dtype, t[k].off + j * t[k].rows + i, elem(x, i * t[k].cols + j));
    }
    const rnnc_st_tensor *bhh = NULL, *h0 = NULL;
    err[0] = '\0';
    if (!(bhh = need(f, path, n->rnn_prefix, "bias_hh_l0", 1, 1, err, errlen)) && err[0]) return -1;
    for (size_t i = 0; bhh && i < s->hidden && bhh->shape[0] == s->hidden; i++)
        rnnc_set(c->params, s->dtype, c->layout.off_b + i, rnnc_get(c->params, s->dtype, c->layout.off_b + i) + elem(bhh, i));
    if (bhh && bhh->shape[0] != s->hidden) return rnnc_fail(err, errlen, "%s: tensor '%sbias_hh_l0' must have %zu values", path, n->rnn_prefix, s->hidden), -1;
    if (!(h0 = need(f, path, "rnnc.", "h0", 1, 1, err, errlen)) && err[0]) return -1;
    if (h0 && h0->shape[0] != s->hidden) return rnnc_fail(err, errlen, "%s: tensor 'rnnc.h0' must have %zu values", path, s->hidden), -1;
    for (size_t i = 0; h0 && i < s->hidden; i++) rnnc_set(c->h0, s->dtype, i, elem(h0, i));
    return 0;
}

int rnnc_import_st(const rnnc_st_file *f, const char *path, const rnnc_interop_names *n,
                   const rnnc_spec_builder *base, rnnc_ckpt *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    int rc = -1;
    const rnnc_st_tensor *ih = need(f, path, n->rnn_prefix, "weight_ih_l0", 2, 0, err, errlen), *lw = NULL;
    if (!ih || !(lw = need(f, path, n->lin_prefix, "weight", 2, 0, err, errlen))) goto out;
    if (import_spec(f, path, base, ih->shape[1], ih->shape[0], lw->shape[0], ih->dtype == RNNC_ST_F64,
                    &c->spec, err, errlen) != 0 ||
        import_meta(f, path, c, err, errlen) != 0)
        goto out;
    rnnc_vocab keep = c->vocab;
    memset(&c->vocab, 0, sizeof c->vocab);
    c->learn_h0 = rnnc_st_find(f, "rnnc.h0") != NULL;
    if ((rc = rnnc_ckpt_alloc(c, err, errlen)) != 0) {
        rnnc_vocab_free(&keep);
        goto out;
    }
    rc = -1;
    c->vocab = keep;
    if (import_weights(f, path, n, c, err, errlen) != 0) goto out;
    for (size_t i = 0; i < c->layout.params_count; i++)
        if (!isfinite(rnnc_get(c->params, c->spec.dtype, i))) {
            rnnc_fail(err, errlen, "%s: the weights hold a NaN or infinite value", path);
            goto out;
        }
    if (c->spec.fb == RNNC_FB_SCHEDULED && rnnc_recurrences[c->spec.rec].has_R) c->sched = (rnnc_schedule){RNNC_SCHED_LINEAR, 1, 0};
    c->hp.optim = RNNC_OPTIM_ADAGRAD;
    c->hp.lr = 0.1, c->hp.beta1 = 0.9, c->hp.beta2 = 0.999, c->hp.eps = 1e-8, c->hp.clip = 5;
    c->hp.grad_scale = 1.0 / (double)c->spec.batch;
    c->smooth_loss = c->last_loss = NAN;
    /* What the checkpoint loader would refuse (a learned h(0) that is not finite, metadata
     * that does not fit the model) is refused here, so an imported model always loads. */
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
