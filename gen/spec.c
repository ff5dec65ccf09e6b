/* spec.c: parse and validate model specs (see spec.h). */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/base/util.h"

#define SPEC_LINE_MAX 510          /* characters of a spec line, without its newline */
#define SPEC_FILE_MAX (1 << 20)    /* bytes of a spec file */

enum {
    KEY_VOCAB = 1u << 0, KEY_IN = 1u << 1, KEY_OUT = 1u << 2, KEY_HIDDEN = 1u << 3,
    KEY_TAU = 1u << 4, KEY_BATCH = 1u << 5, KEY_ACT = 1u << 6, KEY_LOSS = 1u << 7,
    KEY_DTYPE = 1u << 8, KEY_NAME = 1u << 9, KEY_FAST = 1u << 10
};

static const struct { const char *name; unsigned bit; } spec_keys[] = {
    {"vocab", KEY_VOCAB}, {"in", KEY_IN}, {"out", KEY_OUT}, {"hidden", KEY_HIDDEN},
    {"tau", KEY_TAU}, {"batch", KEY_BATCH}, {"act", KEY_ACT}, {"loss", KEY_LOSS},
    {"dtype", KEY_DTYPE}, {"name", KEY_NAME}, {"fast", KEY_FAST},
};

void rnnc_spec_begin(rnnc_spec_builder *b)
{
    memset(b, 0, sizeof *b);
    b->spec.batch = 1;
    b->spec.act = RNNC_ACT_TANH;
    b->spec.loss = RNNC_LOSS_NLL;
    b->spec.dtype = RNNC_FLOAT;
    strcpy(b->spec.name, "rnn");
}

static unsigned key_bit(const char *key)
{
    for (size_t i = 0; i < sizeof spec_keys / sizeof spec_keys[0]; i++)
        if (strcmp(spec_keys[i].name, key) == 0) return spec_keys[i].bit;
    return 0;
}

int rnnc_spec_is_key(const char *key) { return key_bit(key) != 0; }

int rnnc_spec_has(const rnnc_spec_builder *b, const char *key)
{
    unsigned bit = key_bit(key);
    return bit != 0 && (b->set & bit) != 0;
}

/* A size: decimal digits only (no sign, no spaces, no 0x), 1 .. max. */
static int parse_size(const char *v, size_t max, size_t *out, const char *where, char *err,
                      size_t errlen)
{
    if (*v == '\0')
        return rnnc_fail(err, errlen, "%s: expected a whole number, got nothing", where);
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p))
            return rnnc_fail(err, errlen, "%s: expected a whole number from 1 to %zu, got '%s'",
                             where, max, v);
    errno = 0;
    unsigned long long n = strtoull(v, NULL, 10);
    if (errno == ERANGE || n == 0 || n > max)
        return rnnc_fail(err, errlen, "%s: expected a whole number from 1 to %zu, got '%s'", where,
                         max, v);
    *out = (size_t)n;
    return 0;
}

static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "asm", "typeof",
};

/* A name is pasted into generated C (and compiled in-process): only a plain identifier,
 * never a keyword or a reserved name, so it can never inject code. */
static int check_name(const char *v, const char *where, char *err, size_t errlen)
{
    size_t n = strlen(v);
    if (n == 0 || n > RNNC_MAX_NAME)
        return rnnc_fail(err, errlen, "%s: expected a C identifier of 1 to %d characters", where,
                         RNNC_MAX_NAME);
    if (!(isalpha((unsigned char)v[0]) || v[0] == '_'))
        return rnnc_fail(err, errlen,
                         "%s: expected a C identifier ([A-Za-z_][A-Za-z0-9_]*), got '%.60s'",
                         where, v);
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)v[i]) || v[i] == '_') || (unsigned char)v[i] > 127)
            return rnnc_fail(err, errlen,
                             "%s: expected a C identifier ([A-Za-z_][A-Za-z0-9_]*), got '%.60s'",
                             where, v);
    if (v[0] == '_')
        return rnnc_fail(err, errlen, "%s: names starting with '_' are reserved in C, got '%s'",
                         where, v);
    for (size_t i = 0; i < sizeof c_keywords / sizeof c_keywords[0]; i++)
        if (strcmp(v, c_keywords[i]) == 0)
            return rnnc_fail(err, errlen, "%s: '%s' is a C keyword", where, v);
    return 0;
}

int rnnc_spec_set(rnnc_spec_builder *b, const char *key, const char *value, const char *where,
                  char *err, size_t errlen)
{
    rnnc_spec *s = &b->spec;
    unsigned bit = key_bit(key);
    if (!bit)
        return rnnc_fail(err, errlen,
                         "%s: unknown key '%s' (expected vocab, in, out, hidden, tau, batch, act, "
                         "loss, dtype, name or fast)",
                         where, key);
    if (b->set & bit) return rnnc_fail(err, errlen, "%s: '%s' is given twice", where, key);
    int rc = 0;
    switch (bit) {
    case KEY_VOCAB: rc = parse_size(value, RNNC_MAX_DIM, &s->n_in, where, err, errlen); break;
    case KEY_IN: rc = parse_size(value, RNNC_MAX_DIM, &s->n_in, where, err, errlen); break;
    case KEY_OUT: rc = parse_size(value, RNNC_MAX_DIM, &s->n_out, where, err, errlen); break;
    case KEY_HIDDEN: rc = parse_size(value, RNNC_MAX_DIM, &s->hidden, where, err, errlen); break;
    case KEY_TAU: rc = parse_size(value, RNNC_MAX_TAU, &s->tau, where, err, errlen); break;
    case KEY_BATCH: rc = parse_size(value, RNNC_MAX_BATCH, &s->batch, where, err, errlen); break;
    case KEY_ACT:
        if (strcmp(value, "tanh") == 0) s->act = RNNC_ACT_TANH;
        else if (strcmp(value, "relu") == 0) s->act = RNNC_ACT_RELU;
        else if (strcmp(value, "sigmoid") == 0) s->act = RNNC_ACT_SIGMOID;
        else rc = rnnc_fail(err, errlen, "%s: expected tanh, relu or sigmoid, got '%.60s'", where, value);
        break;
    case KEY_LOSS:
        if (strcmp(value, "nll") == 0) s->loss = RNNC_LOSS_NLL;
        else if (strcmp(value, "mse") == 0) s->loss = RNNC_LOSS_MSE;
        else rc = rnnc_fail(err, errlen, "%s: expected nll or mse, got '%.60s'", where, value);
        break;
    case KEY_DTYPE:
        if (strcmp(value, "float") == 0) s->dtype = RNNC_FLOAT;
        else if (strcmp(value, "double") == 0) s->dtype = RNNC_DOUBLE;
        else rc = rnnc_fail(err, errlen, "%s: expected float or double, got '%.60s'", where, value);
        break;
    case KEY_NAME:
        rc = check_name(value, where, err, errlen);
        if (rc == 0) strcpy(s->name, value);
        break;
    case KEY_FAST:
        if (strcmp(value, "1") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "true") == 0) s->fast = 1;
        else if (strcmp(value, "0") == 0 || strcmp(value, "no") == 0 || strcmp(value, "false") == 0) s->fast = 0;
        else rc = rnnc_fail(err, errlen, "%s: expected yes or no, got '%.60s'", where, value);
        break;
    }
    if (rc == 0) b->set |= bit;
    return rc;
}

static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    char *e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) *--e = '\0';
    return p;
}

/* One line of a spec (NUL-terminated, at most SPEC_LINE_MAX characters, no newline): a
 * blank or comment line, or "key = value".  where is "NAME:LINE". */
static int spec_line(rnnc_spec_builder *b, char *line, const char *where, char *err, size_t errlen)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *p = trim(line);
    if (*p == '\0') return 0;
    char *eq = strchr(p, '=');
    if (!eq) return rnnc_fail(err, errlen, "%s: expected 'key = value', got '%.60s'", where, p);
    *eq = '\0';
    char *key = trim(p), *value = trim(eq + 1);
    if (*key == '\0') return rnnc_fail(err, errlen, "%s: expected a key before '='", where);
    return rnnc_spec_set(b, key, value, where, err, errlen);
}

int rnnc_spec_read_text(rnnc_spec_builder *b, const char *text, size_t n, const char *name,
                        char *err, size_t errlen)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t pos = 0;
    /* A UTF-8 byte-order mark (as some editors write) is not part of the first line. */
    if (n >= 3 && t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF) pos = 3;
    char line[SPEC_LINE_MAX + 1], where[600];
    for (long lineno = 1; pos < n; lineno++) {
        const unsigned char *nl = memchr(t + pos, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - (t + pos)) : n - pos;
        snprintf(where, sizeof where, "%s:%ld", name, lineno);
        if (memchr(t + pos, '\0', len))
            return rnnc_fail(err, errlen, "%s: NUL byte (a spec file is text)", where);
        if (len > SPEC_LINE_MAX)
            return rnnc_fail(err, errlen, "%s: line longer than %d characters", where,
                             SPEC_LINE_MAX);
        memcpy(line, t + pos, len);
        line[len] = '\0';
        if (spec_line(b, line, where, err, errlen) != 0) return -1;
        pos += len + (nl ? 1 : 0);
    }
    return 0;
}

int rnnc_spec_read_file(rnnc_spec_builder *b, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return rnnc_fail(err, errlen, "%s: cannot open spec file: %s", path, strerror(errno));
    char *buf = malloc(SPEC_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return rnnc_fail(err, errlen, "%s: out of memory reading the spec file", path);
    }
    size_t n = fread(buf, 1, SPEC_FILE_MAX + 1, f);
    int rc = 0;
    if (ferror(f)) rc = rnnc_fail(err, errlen, "%s: cannot read spec file: %s", path, strerror(errno));
    else if (n > SPEC_FILE_MAX)
        rc = rnnc_fail(err, errlen, "%s: larger than %d bytes; not a spec file", path, SPEC_FILE_MAX);
    else rc = rnnc_spec_read_text(b, buf, n, path, err, errlen);
    fclose(f);
    free(buf);
    return rc;
}

int rnnc_spec_finish(const rnnc_spec_builder *b, rnnc_spec *out, char *err, size_t errlen)
{
    rnnc_spec s = b->spec;
    unsigned set = b->set;
    if (set & KEY_VOCAB) {
        if (set & (KEY_IN | KEY_OUT))
            return rnnc_fail(err, errlen,
                             "--vocab: give either --vocab V or --in N --out K, not both");
        s.onehot = 1;
        s.n_out = s.n_in;
    } else {
        if (!(set & KEY_IN) && !(set & KEY_OUT))
            return rnnc_fail(err, errlen, "--vocab: missing (give --vocab V, or --in N --out K)");
        if (!(set & KEY_IN))
            return rnnc_fail(err, errlen, "--in: missing (dense models need --in N and --out K)");
        if (!(set & KEY_OUT))
            return rnnc_fail(err, errlen, "--out: missing (dense models need --in N and --out K)");
        s.onehot = 0;
    }
    if (!(set & KEY_HIDDEN)) return rnnc_fail(err, errlen, "--hidden: missing (the hidden size H)");
    if (!(set & KEY_TAU))
        return rnnc_fail(err, errlen, "--tau: missing (the unrolled sequence length)");
    if (s.loss == RNNC_LOSS_NLL && s.n_out < 2)
        return rnnc_fail(err, errlen,
                         "--loss: nll needs at least 2 output classes, got %zu", s.n_out);
    rnnc_layout l;
    if (rnnc_spec_layout(&s, &l, err, errlen) != 0) return -1;
    *out = s;
    return 0;
}

/* a*b, a+b with overflow and limit checks. */
static int mul_ok(size_t a, size_t b, size_t *r)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *r = a * b;
    return 1;
}

typedef struct { size_t cur, real_size; int ok; } carver;

/* Reserve n elements at the next 64-byte boundary; returns its offset in elements. */
static size_t carve(carver *c, size_t n)
{
    size_t per = 64 / c->real_size;
    size_t off = (c->cur + per - 1) / per * per;
    if (off < c->cur || off > SIZE_MAX - n) { c->ok = 0; return 0; }
    c->cur = off + n;
    return off;
}

static int product(size_t *r, size_t a, size_t b, size_t c)
{
    size_t t;
    return mul_ok(a, b, &t) && mul_ok(t, c, r);
}

int rnnc_spec_layout(const rnnc_spec *s, rnnc_layout *l, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    size_t H = s->hidden, N = s->n_in, K = s->n_out, T = s->tau, B = s->batch;
    l->real_size = s->dtype == RNNC_DOUBLE ? 8 : 4;
    size_t nU, nW, nV, nh, nk, nhb, nkb;
    int ok = product(&nU, H, N, 1) && product(&nW, H, H, 1) && product(&nV, K, H, 1) &&
             product(&nh, T + 1, B, H) && product(&nk, T, B, K) && product(&nhb, T, B, H) &&
             product(&nkb, B, H, 1);
    carver c = {0, l->real_size, 1};
    if (ok) {
        l->off_U = carve(&c, nU);
        l->off_W = carve(&c, nW);
        l->off_V = carve(&c, nV);
        l->off_b = carve(&c, H);
        l->off_c = carve(&c, K);
        l->params_count = carve(&c, 0);
        c.cur = 0;
        l->ws_h = carve(&c, nh);
        l->ws_p = carve(&c, nk);
        l->ws_go = carve(&c, nk);
        l->ws_gh = carve(&c, nhb);
        l->ws_d = carve(&c, nhb);
        l->ws_gh0 = carve(&c, nkb);
        l->ws_wt = carve(&c, nW);
        l->ws_vt = carve(&c, nV);
        /* Two parts (halves of the batch, one per core) once each half fills a register
         * tile's columns (8); otherwise splitting would only slow the single thread. */
        l->parts = B % 2 == 0 && B >= 16 ? 2 : 1;
        l->ws_loss = carve(&c, l->parts * (8 / l->real_size));
        l->ws_count = carve(&c, 0);
        ok = c.ok;
    }
    l->x_elem_size = s->onehot ? 4 : l->real_size;
    l->y_elem_size = s->loss == RNNC_LOSS_NLL ? 4 : l->real_size;
    ok = ok && product(&l->x_count, T, B, s->onehot ? 1 : N) &&
         product(&l->y_count, T, B, s->loss == RNNC_LOSS_NLL ? 1 : K) &&
         product(&l->h0_count, B, H, 1) && mul_ok(l->params_count, l->real_size, &l->params_bytes) &&
         mul_ok(l->ws_count, l->real_size, &l->ws_bytes) &&
         mul_ok(l->x_count, l->x_elem_size, &l->x_bytes) &&
         mul_ok(l->y_count, l->y_elem_size, &l->y_bytes) &&
         mul_ok(l->h0_count, l->real_size, &l->h0_bytes) &&
         mul_ok(l->params_count, 2, &l->opt_count) &&
         mul_ok(l->opt_count, l->real_size, &l->opt_bytes);
    if (!ok) return rnnc_fail(err, errlen, "--hidden: buffer sizes overflow size_t for this spec");
    const struct { const char *what, *opt; size_t bytes; } bufs[] = {
        {"parameters", "--hidden", l->params_bytes}, {"optimiser state", "--hidden", l->opt_bytes},
        {"workspace", "--tau", l->ws_bytes},
        {"inputs", "--tau", l->x_bytes}, {"targets", "--tau", l->y_bytes},
    };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i].bytes > RNNC_MAX_BUFFER_BYTES)
            return rnnc_fail(err, errlen,
                             "%s: the %s buffer would need %zu bytes, over the limit of %zu "
                             "(reduce hidden, tau, batch or the input/output size)",
                             bufs[i].opt, bufs[i].what, bufs[i].bytes, (size_t)RNNC_MAX_BUFFER_BYTES);
    return 0;
}

const char *rnnc_act_name(rnnc_act a)
{
    return a == RNNC_ACT_TANH ? "tanh" : a == RNNC_ACT_RELU ? "relu" : "sigmoid";
}
const char *rnnc_loss_name(rnnc_loss l) { return l == RNNC_LOSS_NLL ? "nll" : "mse"; }
const char *rnnc_dtype_name(rnnc_dtype d) { return d == RNNC_DOUBLE ? "double" : "float"; }

static size_t format_with(const rnnc_spec *s, char *buf, size_t n, const char *pre, const char *sep)
{
    int len;
    if (s->onehot)
        len = snprintf(buf, n, "%svocab%s%zu", pre, sep, s->n_in);
    else
        len = snprintf(buf, n, "%sin%s%zu %sout%s%zu", pre, sep, s->n_in, pre, sep, s->n_out);
    if (len < 0 || (size_t)len >= n) return n ? n - 1 : 0;
    int more = snprintf(buf + len, n - (size_t)len,
                        " %shidden%s%zu %stau%s%zu %sbatch%s%zu %sact%s%s %sloss%s%s %sdtype%s%s "
                        "%sname%s%s%s",
                        pre, sep, s->hidden, pre, sep, s->tau, pre, sep, s->batch, pre, sep,
                        rnnc_act_name(s->act), pre, sep, rnnc_loss_name(s->loss), pre, sep,
                        rnnc_dtype_name(s->dtype), pre, sep, s->name,
                        s->fast ? (*pre ? " --fast" : " fast=yes") : "");
    if (more < 0) return (size_t)len;
    size_t total = (size_t)len + (size_t)more;
    return total >= n ? n - 1 : total;
}

size_t rnnc_spec_format(const rnnc_spec *s, char *buf, size_t n)
{
    return format_with(s, buf, n, "", "=");
}

size_t rnnc_spec_format_options(const rnnc_spec *s, char *buf, size_t n)
{
    return format_with(s, buf, n, "--", " ");
}
