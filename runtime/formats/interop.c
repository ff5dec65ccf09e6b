/* interop.c: safetensors export and import of checkpoints (see interop.h). */
#define _POSIX_C_SOURCE 200809L
#include "interop.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
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

/* The tensors of c: nn.RNN's (nn.GRU's, nn.LSTM's: G H rows, gates stacked in PyTorch's order,
 * and bias_hh_l0 = b_h) and nn.Linear's, then R and the end outputs where the model has them,
 * and a learned h(0).  Returns how many were written into t (at most 13). */
static size_t export_tensors(const rnnc_ckpt *c, const rnnc_interop_names *n, export_tensor *t)
{
    const rnnc_spec *s = &c->spec;
    const rnnc_layout *l = &c->layout;
    size_t H = s->hidden, N = s->n_in, K = s->n_out, M = s->max_length, k = 0, GH = l->gh;
    const rnnc_end_info *end = &rnnc_ends[s->end];
    t[k++] = (export_tensor){n->rnn_prefix, "weight_ih_l0", l->off_U, GH, N, 2, NULL};
    if (rnnc_recurrences[s->rec].has_W) t[k++] = (export_tensor){n->rnn_prefix, "weight_hh_l0", l->off_W, GH, H, 2, NULL};
    t[k++] = (export_tensor){n->rnn_prefix, "bias_ih_l0", l->off_b, GH, 1, 1, NULL};
    if (rnnc_cells[s->cell].gates > 1) t[k++] = (export_tensor){n->rnn_prefix, "bias_hh_l0", l->off_bh, GH, 1, 1, NULL};
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
    if (rnnc_cells[s->cell].gates == 1 && rnnc_st_add(w, name, st, 1, hshape, zeros) != 0) { /* the rnn cell's: 0 */
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

/* ---- import ------------------------------------------------------------------------------- */

/* The spec keys that say what function the weights compute: an option that contradicts the
 * file's value of one is an error unless forced.  The others (tau, batch, name, memory,
 * segment, fast) say how rnnc unrolls, trains and names the model: options simply override
 * the file's. */
static const char *const model_keys[] = {"vocab", "in", "out", "hidden", "act", "loss", "recurrence",
                                         "feedback", "end", "max_length", "dtype"};

/* The metadata keys rnnc's export writes (and import reads); any other rnnc.* key is unknown. */
static const char *const meta_keys[] = {"rnnc.spec", "rnnc.act", "rnnc.vocab", "rnnc.chars",
                                        "rnnc.records", "rnnc.sequence_column", "rnnc.end_symbol"};

/* What one import works with: the file, its name, the names and options, which tensors were
 * used, the report, and the message buffer. */
typedef struct import_ctx {
    const rnnc_st_file *f;
    const char *path;
    const rnnc_interop_names *n;
    const rnnc_import_opts *o;
    rnnc_import_report *rep;
    unsigned char *used;         /* per tensor of f: read into the checkpoint */
    char *err;
    size_t errlen;
} import_ctx;

/* One key=value of the file's metadata that sets a spec key (from rnnc.spec or rnnc.act). */
typedef struct meta_kv {
    char key[32], value[160];
    const char *src;             /* "rnnc.spec" or "rnnc.act" */
} meta_kv;

/* Append ("; "-separated) a note to the report: what the import decided that the file did not
 * say.  A note that does not fit is cut. */
static void note(rnnc_import_report *rep, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void note(rnnc_import_report *rep, const char *fmt, ...)
{
    size_t k = strlen(rep->notes);
    if (k + 3 >= sizeof rep->notes) return;
    if (k) k += (size_t)snprintf(rep->notes + k, sizeof rep->notes - k, "; ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->notes + k, sizeof rep->notes - k, fmt, ap);
    va_end(ap);
}

static int is_real(rnnc_st_dtype d)
{
    return d == RNNC_ST_F32 || d == RNNC_ST_F64 || d == RNNC_ST_F16 || d == RNNC_ST_BF16;
}

/* The tensor prefix+suffix, or NULL (err set when it exists but is not a real tensor of rank
 * ndim, or when it is missing and not optional). */
static const rnnc_st_tensor *need(const import_ctx *x, const char *prefix, const char *suffix, size_t ndim,
                                  int optional)
{
    char name[256];
    snprintf(name, sizeof name, "%s%s", prefix, suffix);
    const rnnc_st_tensor *t = rnnc_st_find(x->f, name);
    if (!t) {
        if (!optional)
            rnnc_fail(x->err, x->errlen, "%s: no tensor '%s' (nn.RNN / nn.Linear names under the prefixes "
                      "given by --rnn-prefix and --linear-prefix)", x->path, name);
        return NULL;
    }
    if (t->ndim != ndim || !is_real(t->dtype)) {
        rnnc_fail(x->err, x->errlen, "%s: tensor '%s' must be a %zu-dimensional F32, F64, F16 or BF16 tensor, not "
                  "%zu-dimensional %s", x->path, name, ndim, t->ndim, rnnc_st_dtype_name(t->dtype));
        return NULL;
    }
    return t;
}

/* Element i of tensor t (F32, F64, F16 or BF16, little-endian, possibly unaligned) as double:
 * exactly. */
static double elem(const rnnc_st_tensor *t, size_t i)
{
    if (t->dtype == RNNC_ST_F64) {
        double v;
        memcpy(&v, t->data + i * 8, 8);
        return v;
    }
    if (t->dtype == RNNC_ST_F16 || t->dtype == RNNC_ST_BF16) {
        uint16_t b;
        memcpy(&b, t->data + i * 2, 2);
        return t->dtype == RNNC_ST_F16 ? rnnc_st_f16_to_double(b) : rnnc_st_bf16_to_double(b);
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

/* A list of names for a message: the first LIST_MAX, ", "-separated, then " and N more". */
#define LIST_MAX 8
typedef struct name_list {
    char text[700];
    size_t count;
} name_list;

static void list_add(name_list *l, const char *name)
{
    size_t k = strlen(l->text);
    if (l->count++ < LIST_MAX) snprintf(l->text + k, sizeof l->text - k, "%s%s", k ? ", " : "", name);
}

/* The list's text, with " and N more" when it was cut. */
static const char *list_text(name_list *l)
{
    size_t k = strlen(l->text);
    if (l->count > LIST_MAX && k + 30 < sizeof l->text)
        snprintf(l->text + k, sizeof l->text - k, " and %zu more", l->count - LIST_MAX);
    return l->text;
}

/* The cell from the G gates stacked in weight_ih_l0's G H rows: 1 nn.RNN, 3 nn.GRU, 4 nn.LSTM
 * (H from weight_hh_l0's columns, else from the linear layer's) into *G.  0, or -1 with one
 * line naming the tensor. */
static int read_cell(const import_ctx *x, const rnnc_st_tensor *ih, const rnnc_st_tensor *lw, uint64_t *G)
{
    char name[256];
    snprintf(name, sizeof name, "%sweight_hh_l0", x->n->rnn_prefix);
    const rnnc_st_tensor *hh = rnnc_st_find(x->f, name);
    uint64_t H = hh && hh->ndim == 2 ? hh->shape[1] : lw->shape[1];
    *G = H && ih->shape[0] % H == 0 ? ih->shape[0] / H : 0;
    if (*G == 1 || *G == 3 || *G == 4) return 0;
    return rnnc_fail(x->err, x->errlen, "%s: inconsistent shapes: '%sweight_ih_l0' has %llu rows, not G x %llu (the "
                     "hidden size) with G = 1 (nn.RNN), 3 (nn.GRU) or 4 (nn.LSTM)", x->path, x->n->rnn_prefix,
                     (unsigned long long)ih->shape[0], (unsigned long long)H);
}

/* Layers above the first (*_lN, N > 0) and a reverse direction (*_l0_reverse) of the nn.RNN
 * (nn.GRU, nn.LSTM: G gates) refused with one line naming their tensors; with --ignore-unknown they are left out (they
 * stay unused and are reported with the other unknown tensors).  0, or -1. */
static int check_layers(const import_ctx *x, uint64_t G)
{
    name_list l = {"", 0};
    size_t plen = strlen(x->n->rnn_prefix);
    unsigned long layers = 1;
    int reverse = 0;
    for (size_t i = 0; i < x->f->ntensors; i++) {
        const char *nm = x->f->tensors[i].name, *at = NULL;
        if (strncmp(nm, x->n->rnn_prefix, plen) == 0) at = strstr(nm + plen, "_l");
        if (!at || at[2] < '0' || at[2] > '9') continue;
        char *end;
        unsigned long k = strtoul(at + 2, &end, 10);
        int rev = strcmp(end, "_reverse") == 0;
        if ((k == 0 && !rev) || (*end && !rev)) continue;
        if (k < 1000 && k + 1 > layers) layers = k + 1;
        reverse |= rev;
        list_add(&l, nm);
    }
    if (!l.count || x->o->ignore_unknown) return 0;
    char what[64];
    if (layers > 1) snprintf(what, sizeof what, "a %lu-layer%s", layers, reverse ? " bidirectional" : "");
    else snprintf(what, sizeof what, "a bidirectional");
    return rnnc_fail(x->err, x->errlen, "%s: %s %s (%s): rnnc imports one layer in one direction (give "
                     "--ignore-unknown to import %s alone, a different model)", x->path, what,
                     G == 4 ? "nn.LSTM" : G == 3 ? "nn.GRU" : "nn.RNN", list_text(&l),
                     layers > 1 ? (reverse ? "layer 0's forward direction" : "layer 0") : "the forward direction");
}

/* The spec keys the metadata sets: rnnc.spec's key=value words (each checked as a spec file's
 * line would be) and rnnc.act, which must agree with rnnc.spec's act when both are given.
 * Into kv (at most cap; *nkv).  0, or -1 with a message naming the file and key. */
static int collect_meta(const import_ctx *x, meta_kv *kv, size_t cap, size_t *nkv)
{
    const char *spec = rnnc_st_meta(x->f, "rnnc.spec"), *act = rnnc_st_meta(x->f, "rnnc.act");
    char buf[1024], where[300], *save = NULL;
    rnnc_spec_builder scratch;
    *nkv = 0;
    snprintf(where, sizeof where, "%s: metadata rnnc.spec", x->path);
    snprintf(buf, sizeof buf, "%s", spec ? spec : "");
    for (char *tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok || *nkv == cap || (size_t)(eq - tok) >= sizeof kv->key || strlen(eq + 1) >= sizeof kv->value)
            return rnnc_fail(x->err, x->errlen, "%s: metadata rnnc.spec is not 'key=value ...' (at '%.40s')", x->path, tok);
        *eq = '\0';
        rnnc_spec_begin(&scratch);
        if (rnnc_spec_set(&scratch, tok, eq + 1, where, x->err, x->errlen) != 0) return -1;
        meta_kv *m = &kv[(*nkv)++];
        snprintf(m->key, sizeof m->key, "%s", tok);
        snprintf(m->value, sizeof m->value, "%s", eq + 1);
        m->src = "rnnc.spec";
    }
    /* rnnc.spec names the family and the end only when they are not the defaults. */
    static const char *const implied[][2] = {{"recurrence", "hidden"}, {"feedback", "teacher"}, {"end", "none"}};
    for (size_t k = 0; spec && k < sizeof implied / sizeof implied[0]; k++) {
        int given = 0;
        for (size_t i = 0; i < *nkv; i++) given |= strcmp(kv[i].key, implied[k][0]) == 0;
        if (given) continue;
        if (*nkv == cap) return rnnc_fail(x->err, x->errlen, "%s: metadata rnnc.spec has too many keys", x->path);
        meta_kv *m = &kv[(*nkv)++];
        snprintf(m->key, sizeof m->key, "%s", implied[k][0]);
        snprintf(m->value, sizeof m->value, "%s", implied[k][1]);
        m->src = "rnnc.spec";
    }
    if (!act) return 0;
    snprintf(where, sizeof where, "%s: metadata rnnc.act", x->path);
    rnnc_spec_begin(&scratch);
    if (rnnc_spec_set(&scratch, "act", act, where, x->err, x->errlen) != 0) return -1;
    for (size_t i = 0; i < *nkv; i++)
        if (strcmp(kv[i].key, "act") == 0 && strcmp(kv[i].value, act) != 0 && !rnnc_spec_has(x->o->base, "act"))
            return rnnc_fail(x->err, x->errlen, "%s: metadata rnnc.act = %s contradicts rnnc.spec's act=%s (give "
                             "--act A --force to choose)", x->path, act, kv[i].value);
    if (*nkv == cap) return rnnc_fail(x->err, x->errlen, "%s: metadata rnnc.spec has too many keys", x->path);
    meta_kv *m = &kv[(*nkv)++];
    snprintf(m->key, sizeof m->key, "act");
    snprintf(m->value, sizeof m->value, "%s", act);
    m->src = "rnnc.act";
    return 0;
}

/* The value of spec key in s as text, to compare an option with the file's value. */
static void key_text(const rnnc_spec *s, const char *key, char *buf, size_t n)
{
    if (!strcmp(key, "vocab") || !strcmp(key, "in")) snprintf(buf, n, "%zu", s->n_in);
    else if (!strcmp(key, "out")) snprintf(buf, n, "%zu", s->n_out);
    else if (!strcmp(key, "hidden")) snprintf(buf, n, "%zu", s->hidden);
    else if (!strcmp(key, "act")) snprintf(buf, n, "%s", rnnc_act_name(s->act));
    else if (!strcmp(key, "loss")) snprintf(buf, n, "%s", rnnc_loss_name(s->loss));
    else if (!strcmp(key, "recurrence")) snprintf(buf, n, "%s", rnnc_recurrences[s->rec].name);
    else if (!strcmp(key, "feedback")) snprintf(buf, n, "%s", rnnc_feedbacks[s->fb].name);
    else if (!strcmp(key, "end")) snprintf(buf, n, "%s", rnnc_ends[s->end].name);
    else if (!strcmp(key, "max_length")) snprintf(buf, n, "%zu", s->max_length);
    else if (!strcmp(key, "dtype")) snprintf(buf, n, "%s", rnnc_dtype_name(s->dtype));
    else snprintf(buf, n, "?");
}

static int is_model_key(const char *key)
{
    for (size_t i = 0; i < sizeof model_keys / sizeof model_keys[0]; i++)
        if (strcmp(key, model_keys[i]) == 0) return 1;
    return 0;
}

/* The file's spec keys into b, which holds the user's options: a key the user did not give
 * takes the file's value; one the user gave with a different value is an error for the keys
 * that define the model (model_keys) unless --force (then the option wins, and a note says
 * so); the others take the option's value.  0, or -1 with a message naming the option. */
static int merge_meta(const import_ctx *x, const meta_kv *kv, size_t nkv, rnnc_spec_builder *b)
{
    char where[300], mine[64], theirs[64];
    for (size_t i = 0; i < nkv; i++) {
        const meta_kv *m = &kv[i];
        snprintf(where, sizeof where, "%s: metadata %s", x->path, m->src);
        if (!rnnc_spec_has(x->o->base, m->key)) {
            if (!rnnc_spec_has(b, m->key) && rnnc_spec_set(b, m->key, m->value, where, x->err, x->errlen) != 0) return -1;
            continue;
        }
        if (!is_model_key(m->key)) continue;
        rnnc_spec_builder scratch;
        rnnc_spec_begin(&scratch);
        if (rnnc_spec_set(&scratch, m->key, m->value, where, x->err, x->errlen) != 0) return -1;
        key_text(&x->o->base->spec, m->key, mine, sizeof mine);
        key_text(&scratch.spec, m->key, theirs, sizeof theirs);
        if (strcmp(mine, theirs) == 0) continue;
        char opt[40];
        snprintf(opt, sizeof opt, "--%.32s", m->key);
        for (char *p = opt; *p; p++) if (*p == '_') *p = '-';
        if (!x->o->force)
            return rnnc_fail(x->err, x->errlen, "%s %s: %s says %s=%s (metadata %s); give --force to import it as "
                             "%s=%s anyway", opt, mine, x->path, m->key, theirs, m->src, m->key, mine);
        note(x->rep, "%s %s overrides the file's %s=%s (--force)", opt, mine, m->key, theirs);
    }
    return 0;
}

/* Set key to value unless b has it already. */
static int fill_key(rnnc_spec_builder *b, const char *key, const char *value, const char *where,
                    char *err, size_t errlen)
{
    if (rnnc_spec_has(b, key)) return 0;
    return rnnc_spec_set(b, key, value, where, err, errlen);
}

/* What the tensors say, for the keys neither the options nor the metadata gave: the sizes
 * (N inputs, H hidden, K outputs), the cell from the G gates stacked in weight_ih_l0
 * (1 nn.RNN, 3 nn.GRU, 4 nn.LSTM), one-hot when there is a vocabulary (rnnc.vocab) else dense
 * with squared error, the recurrence from which of weight_hh_l0 / weight_oh_l0 there are, the
 * dtype from weight_ih_l0's (float for F32, F16 and BF16; double for F64), tau 25.  Notes say
 * what was assumed or converted.  0, or -1 with a message. */
static int shape_spec(const import_ctx *x, const rnnc_st_tensor *ih, uint64_t H, uint64_t K, uint64_t G,
                      rnnc_spec_builder *b)
{
    char v[64], where[300], name[256];
    int onehot = rnnc_st_meta(x->f, "rnnc.vocab") != NULL;
    uint64_t N = ih->shape[1];
    snprintf(where, sizeof where, "%s: tensor shapes", x->path);
    if (onehot && (rnnc_spec_has(b, "in") || rnnc_spec_has(b, "out")) && !x->o->force)
        return rnnc_fail(x->err, x->errlen, "--%s: %s has a vocabulary (metadata rnnc.vocab): a one-hot model; give "
                         "--force to import it as a dense one", rnnc_spec_has(b, "in") ? "in" : "out", x->path);
    if (onehot && !rnnc_spec_has(b, "in") && !rnnc_spec_has(b, "out")) {
        snprintf(v, sizeof v, "%llu", (unsigned long long)N);
        if (fill_key(b, "vocab", v, where, x->err, x->errlen) != 0) return -1;
    } else if (!rnnc_spec_has(b, "vocab")) {
        int loss_given = rnnc_spec_has(b, "loss"), sized = rnnc_spec_has(b, "in") || rnnc_spec_has(b, "out");
        snprintf(v, sizeof v, "%llu", (unsigned long long)N);
        if (fill_key(b, "in", v, where, x->err, x->errlen) != 0) return -1;
        snprintf(v, sizeof v, "%llu", (unsigned long long)K);
        if (fill_key(b, "out", v, where, x->err, x->errlen) != 0 || fill_key(b, "loss", "mse", where, x->err, x->errlen) != 0)
            return -1;
        if (!onehot && !sized)
            note(x->rep, "no rnnc.vocab in the file: a dense model of %llu real inputs and %llu outputs%s",
                 (unsigned long long)N, (unsigned long long)K, loss_given ? "" : ", squared error (loss=mse)");
    }
    snprintf(name, sizeof name, "%sweight_hh_l0", x->n->rnn_prefix);
    int has_w = rnnc_st_find(x->f, name) != NULL;
    snprintf(name, sizeof name, "%sweight_oh_l0", x->n->rnn_prefix);
    int has_r = rnnc_st_find(x->f, name) != NULL;
    if (has_r && fill_key(b, "recurrence", has_w ? "both" : "output", where, x->err, x->errlen) != 0) return -1;
    if (!rnnc_spec_has(b, "act") && G == 1) /* a gated cell's activations are its definition's */
        note(x->rep, "act tanh: the file does not say (no rnnc.act); nn.RNN's default, --act relu for nonlinearity='relu'");
    int wide = ih->dtype == RNNC_ST_F64;
    if (!rnnc_spec_has(b, "dtype") && (ih->dtype == RNNC_ST_F16 || ih->dtype == RNNC_ST_BF16))
        note(x->rep, "%s tensors widened to float", rnnc_st_dtype_name(ih->dtype));
    snprintf(v, sizeof v, "%llu", (unsigned long long)H);
    if (fill_key(b, "cell", G == 4 ? "lstm" : G == 3 ? "gru" : "rnn", where, x->err, x->errlen) != 0 ||
        fill_key(b, "hidden", v, where, x->err, x->errlen) != 0 || fill_key(b, "tau", "25", where, x->err, x->errlen) != 0 ||
        fill_key(b, "dtype", wide ? "double" : "float", where, x->err, x->errlen) != 0)
        return -1;
    if (wide && b->spec.dtype == RNNC_FLOAT) note(x->rep, "F64 tensors rounded to float (dtype=float)");
    return 0;
}

/* The spec of the file: the user's options, then the metadata (rnnc.spec, rnnc.act; options
 * that contradict it refused unless --force), then what the tensors say; checked against the
 * tensors' sizes.  0, or -1 with a message. */
static int import_spec(const import_ctx *x, const rnnc_st_tensor *ih, const rnnc_st_tensor *lw, uint64_t G,
                       rnnc_spec *out)
{
    meta_kv kv[24];
    size_t nkv;
    rnnc_spec_builder b = *x->o->base;
    uint64_t N = ih->shape[1], H = lw->shape[1], K = lw->shape[0];
    if (ih->shape[0] != G * H)
        return rnnc_fail(x->err, x->errlen, "%s: inconsistent shapes: %sweight_ih_l0 is [%llu, %llu] (%llu gates of H = "
                         "%llu rows) but %sweight is [%llu, %llu] (expected [K, H])", x->path, x->n->rnn_prefix,
                         (unsigned long long)ih->shape[0], (unsigned long long)N, (unsigned long long)G,
                         (unsigned long long)(ih->shape[0] / G), x->n->lin_prefix, (unsigned long long)K,
                         (unsigned long long)H);
    if (collect_meta(x, kv, sizeof kv / sizeof kv[0], &nkv) != 0 || merge_meta(x, kv, nkv, &b) != 0 ||
        shape_spec(x, ih, H, K, G, &b) != 0 || rnnc_spec_finish(&b, out, x->err, x->errlen) != 0)
        return -1;
    if (out->n_in != N || out->hidden != H || out->n_out != K || (uint64_t)rnnc_cells[out->cell].gates != G)
        return rnnc_fail(x->err, x->errlen, "%s: the tensors give N=%llu H=%llu K=%llu and %llu stacked gates "
                         "(%sweight_ih_l0 [%llu, %llu], %sweight [%llu, %llu]); the spec says in=%zu hidden=%zu out=%zu "
                         "cell=%s", x->path, (unsigned long long)N, (unsigned long long)H, (unsigned long long)K,
                         (unsigned long long)G, x->n->rnn_prefix, (unsigned long long)ih->shape[0],
                         (unsigned long long)N, x->n->lin_prefix, (unsigned long long)K, (unsigned long long)H,
                         out->n_in, out->hidden, out->n_out, rnnc_cells[out->cell].name);
    return 0;
}

/* The records settings and the vocabulary (one-hot models) from the metadata.  0, or -1. */
static int import_meta(const import_ctx *x, rnnc_ckpt *c)
{
    static const char *const rec[] = {"none", "lines", "paragraphs", "csv"};
    const rnnc_st_file *f = x->f;
    const char *path = x->path;
    const char *r = rnnc_st_meta(f, "rnnc.records"), *col = rnnc_st_meta(f, "rnnc.sequence_column");
    const char *end = rnnc_st_meta(f, "rnnc.end_symbol");
    for (int i = 0; r && i < RNNC_RECORDS_COUNT; i++)
        if (strcmp(r, rec[i]) == 0) c->records = (rnnc_records)i;
    if ((r && c->records == RNNC_RECORDS_NONE && strcmp(r, "none") != 0) ||
        (c->records == RNNC_RECORDS_CSV && (!col || strlen(col) >= sizeof c->seq_column)))
        return rnnc_fail(x->err, x->errlen, "%s: metadata rnnc.records must be lines, paragraphs or csv (csv with "
                         "rnnc.sequence_column)", path);
    if (col && c->records != RNNC_RECORDS_CSV)
        return rnnc_fail(x->err, x->errlen, "%s: metadata rnnc.sequence_column needs rnnc.records = csv", path);
    if (col) snprintf(c->seq_column, sizeof c->seq_column, "%s", col);
    if (end) {
        char *e;
        errno = 0;
        unsigned long v = strtoul(end, &e, 10);
        if (errno || *e || e == end || v > 0x10FFFF || !c->spec.onehot || !c->records)
            return rnnc_fail(x->err, x->errlen, "%s: metadata rnnc.end_symbol must be a symbol number of a one-hot "
                             "model of records", path);
        c->has_end_symbol = 1;
        c->end_symbol = (uint32_t)v;
    }
    const char *chars = rnnc_st_meta(f, "rnnc.chars"), *meta_vocab = rnnc_st_meta(f, "rnnc.vocab");
    if (!c->spec.onehot) return 0;
    rnnc_chars mode = chars && strcmp(chars, "utf8") == 0 ? RNNC_CHARS_UTF8 : RNNC_CHARS_BYTES;
    if (chars && strcmp(chars, "utf8") != 0 && strcmp(chars, "bytes") != 0)
        return rnnc_fail(x->err, x->errlen, "%s: metadata rnnc.chars must be bytes or utf8, got '%.40s'", path, chars);
    size_t want = c->spec.n_in - (size_t)c->has_end_symbol;
    if (!meta_vocab || parse_vocab(meta_vocab, mode, want, &c->vocab) != 0 ||
        (c->has_end_symbol && rnnc_vocab_index(&c->vocab, c->end_symbol) >= 0))
        return rnnc_fail(x->err, x->errlen, "%s: a one-hot model needs metadata rnnc.vocab: %zu ascending symbol "
                         "numbers separated by commas%s", path, want, c->has_end_symbol ? ", without rnnc.end_symbol" : "");
    return 0;
}

/* Mark tensor t of the file as read into the checkpoint. */
static void mark_used(const import_ctx *x, const rnnc_st_tensor *t)
{
    if (t) x->used[t - x->f->tensors] = 1;
}

/* Copy the tensors the spec has into c's parameters (the biases may be absent: zero, as in
 * nn.RNN(bias=False) and nn.Linear(bias=False); b = bias_ih_l0 + bias_hh_l0), and a learned
 * h(0), checking each shape and marking each used.  0, or -1 with a message naming the
 * tensor. */
static int import_weights(const import_ctx *x, rnnc_ckpt *c)
{
    const rnnc_spec *s = &c->spec;
    export_tensor t[16];
    rnnc_ckpt probe = *c;
    probe.learn_h0 = 0;
    size_t nt = export_tensors(&probe, x->n, t);
    for (size_t k = 0; k < nt; k++) {
        int bias = strcmp(t[k].suffix, "bias_ih_l0") == 0 || strcmp(t[k].suffix, "bias_hh_l0") == 0 ||
                   (t[k].prefix == x->n->lin_prefix && strcmp(t[k].suffix, "bias") == 0);
        x->err[0] = '\0';
        const rnnc_st_tensor *v = need(x, t[k].prefix, t[k].suffix, (size_t)t[k].ndim, bias);
        if (!v && (x->err[0] || !bias)) return -1;
        if (!v) continue;
        uint64_t r0 = t[k].ndim == 2 ? t[k].rows : t[k].rows * t[k].cols, c0 = t[k].ndim == 2 ? t[k].cols : 1;
        if (v->shape[0] != r0 || (t[k].ndim == 2 && v->shape[1] != c0)) {
            if (t[k].ndim == 2)
                return rnnc_fail(x->err, x->errlen, "%s: inconsistent shapes: tensor '%s%s' must be [%llu, %llu] for "
                                 "the model's spec", x->path, t[k].prefix, t[k].suffix, (unsigned long long)r0,
                                 (unsigned long long)c0);
            return rnnc_fail(x->err, x->errlen, "%s: inconsistent shapes: tensor '%s%s' must be [%llu] for the "
                             "model's spec", x->path, t[k].prefix, t[k].suffix, (unsigned long long)r0);
        }
        mark_used(x, v);
        for (size_t i = 0; i < t[k].rows; i++)
            for (size_t j = 0; j < t[k].cols; j++)
                rnnc_set(c->params, s->dtype, t[k].off + j * t[k].rows + i, elem(v, i * t[k].cols + j));
    }
    const rnnc_st_tensor *bhh = NULL, *h0 = NULL;
    x->err[0] = '\0';
    /* the rnn cell's one bias b is bias_ih + bias_hh (a gated cell's b_h is in the table) */
    if (rnnc_cells[s->cell].gates == 1 && !(bhh = need(x, x->n->rnn_prefix, "bias_hh_l0", 1, 1)) && x->err[0])
        return -1;
    if (bhh && bhh->shape[0] != s->hidden)
        return rnnc_fail(x->err, x->errlen, "%s: tensor '%sbias_hh_l0' must have %zu values", x->path, x->n->rnn_prefix, s->hidden);
    mark_used(x, bhh);
    for (size_t i = 0; bhh && i < s->hidden; i++)
        rnnc_set(c->params, s->dtype, c->layout.off_b + i, rnnc_get(c->params, s->dtype, c->layout.off_b + i) + elem(bhh, i));
    if (!c->learn_h0) return 0;
    if (!(h0 = need(x, "rnnc.", "h0", 1, 0))) return -1;
    if (h0->shape[0] != s->hidden)
        return rnnc_fail(x->err, x->errlen, "%s: tensor 'rnnc.h0' must have %zu values", x->path, s->hidden);
    mark_used(x, h0);
    for (size_t i = 0; i < s->hidden; i++) rnnc_set(c->h0, s->dtype, i, elem(h0, i));
    return 0;
}

/* Every tensor not read into the checkpoint and every rnnc.* metadata key rnnc does not
 * write: an error naming them, or with --ignore-unknown left out and listed in the report.
 * 0, or -1. */
static int check_unused(const import_ctx *x)
{
    name_list l = {"", 0};
    size_t ntensors = 0;
    for (size_t i = 0; i < x->f->ntensors; i++)
        if (!x->used[i]) list_add(&l, x->f->tensors[i].name), ntensors++;
    for (size_t i = 0; i < x->f->nmeta; i++) {
        const char *k = x->f->meta_keys[i];
        int known = strncmp(k, "rnnc.", 5) != 0;
        for (size_t j = 0; !known && j < sizeof meta_keys / sizeof meta_keys[0]; j++) known = strcmp(k, meta_keys[j]) == 0;
        if (!known) list_add(&l, k);
    }
    if (!l.count) return 0;
    if (x->o->ignore_unknown) {
        snprintf(x->rep->ignored, sizeof x->rep->ignored, "%s", list_text(&l));
        x->rep->nignored = l.count;
        return 0;
    }
    size_t nkeys = l.count - ntensors;
    const char *what = !nkeys ? (ntensors > 1 ? "tensors" : "tensor")
                     : !ntensors ? (nkeys > 1 ? "metadata keys" : "metadata key") : "tensors and metadata keys";
    return rnnc_fail(x->err, x->errlen, "%s: unknown %s %s: rnnc's model (nn.RNN, nn.GRU or nn.LSTM and nn.Linear "
                     "under the prefixes %s and %s, rnnc.* of its export) has no place for %s (give --ignore-unknown to import without %s)",
                     x->path, what, list_text(&l), x->n->rnn_prefix, x->n->lin_prefix, l.count > 1 ? "them" : "it",
                     l.count > 1 ? "them" : "it");
}

/* The rest of an imported checkpoint: its origin (the file's base name), finite weights, the
 * schedule of scheduled sampling, min-char-rnn's optimiser, no losses yet.  0, or -1. */
static int import_finish(const import_ctx *x, rnnc_ckpt *c)
{
    for (size_t i = 0; i < c->layout.params_count; i++)
        if (!isfinite(rnnc_get(c->params, c->spec.dtype, i)))
            return rnnc_fail(x->err, x->errlen, "%s: the weights hold a NaN or infinite value", x->path);
    const char *base = strrchr(x->path, '/');
    snprintf(c->imported, sizeof c->imported, "%s", base ? base + 1 : x->path);
    for (char *p = c->imported; *p; p++)   /* it is printed in banners and comments: one line */
        if ((unsigned char)*p < 0x20 || *p == 0x7f) *p = '?';
    if (c->spec.fb == RNNC_FB_SCHEDULED && rnnc_recurrences[c->spec.rec].has_R) c->sched = (rnnc_schedule){RNNC_SCHED_LINEAR, 1, 0};
    c->hp.optim = RNNC_OPTIM_ADAGRAD;
    c->hp.lr = 0.1, c->hp.beta1 = 0.9, c->hp.beta2 = 0.999, c->hp.eps = 1e-8, c->hp.clip = 5;
    c->hp.grad_scale = 1.0 / (double)c->spec.batch;
    c->smooth_loss = c->last_loss = NAN;
    /* What the checkpoint loader would refuse (a learned h(0) that is not finite, metadata
     * that does not fit the model) is refused here, so an imported model always loads. */
    char what[256];
    if (rnnc_ckpt_check(c, what, sizeof what) != 0) return rnnc_fail(x->err, x->errlen, "%s: %s", x->path, what);
    return 0;
}

/* The checkpoint of the open file x->f (see rnnc_import): the cell and layers first (the
 * refusals a PyTorch user meets most), then the spec, the metadata, the weights, and what is
 * left over.  0, or -1 with a message. */
static int import_file(const import_ctx *x, rnnc_ckpt *c)
{
    const rnnc_st_tensor *ih = need(x, x->n->rnn_prefix, "weight_ih_l0", 2, 0), *lw = NULL;
    uint64_t G = 0;
    if (!ih || !(lw = need(x, x->n->lin_prefix, "weight", 2, 0)) || read_cell(x, ih, lw, &G) != 0 ||
        check_layers(x, G) != 0 || import_spec(x, ih, lw, G, &c->spec) != 0 || import_meta(x, c) != 0)
        return -1;
    rnnc_vocab keep = c->vocab;
    memset(&c->vocab, 0, sizeof c->vocab);
    c->learn_h0 = c->records != RNNC_RECORDS_NONE && rnnc_st_find(x->f, "rnnc.h0") != NULL;
    if (rnnc_ckpt_alloc(c, x->err, x->errlen) != 0) {
        rnnc_vocab_free(&keep);
        return -1;
    }
    c->vocab = keep;
    if (import_weights(x, c) != 0 || check_unused(x) != 0) return -1;
    return import_finish(x, c);
}

int rnnc_import_st(const rnnc_st_file *f, const char *path, const rnnc_interop_names *n,
                   const rnnc_import_opts *o, rnnc_ckpt *c, rnnc_import_report *rep, char *err,
                   size_t errlen)
{
    memset(c, 0, sizeof *c);
    memset(rep, 0, sizeof *rep);
    import_ctx x = {f, path, n, o, rep, calloc(f->ntensors ? f->ntensors : 1, 1), err, errlen};
    int rc = x.used ? import_file(&x, c) : rnnc_fail(err, errlen, "%s: out of memory", path);
    free(x.used);
    if (rc != 0) rnnc_ckpt_free(c);
    return rc;
}

int rnnc_import(const char *path, const rnnc_interop_names *n, const rnnc_import_opts *o, rnnc_ckpt *c,
                rnnc_import_report *rep, char *err, size_t errlen)
{
    rnnc_st_file f;
    memset(c, 0, sizeof *c);
    memset(rep, 0, sizeof *rep);
    if (rnnc_st_read(path, &f, err, errlen) != 0) return -1;
    int rc = rnnc_import_st(&f, path, n, o, c, rep, err, errlen);
    rnnc_st_free(&f);
    return rc;
}
