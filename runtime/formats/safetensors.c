/* safetensors.c: reading and writing the safetensors format (see safetensors.h).
 *
 * The file: a u64 little-endian N, N bytes of UTF-8 JSON (an object, possibly padded with
 * trailing spaces), then the data.  The JSON maps each tensor name to {"dtype", "shape",
 * "data_offsets": [begin, end]} (offsets relative to the start of the data) and may hold
 * "__metadata__": an object of strings.
 *
 * The reader trusts nothing.  Beyond what safetensors.h lists, it refuses: a file shorter than
 * 8 bytes or not a regular file, a tensor entry with keys other than dtype, shape and
 * data_offsets, shape entries above 2^53 (the largest integer every JSON reader keeps exact),
 * and dtypes other than F32, F64, I32, I64, F16 and BF16 (rnnc needs no others: U8, BOOL, ...
 * are refused as unsupported; F16 and BF16 are what PyTorch's .half() and .bfloat16() save).  Empty tensors may share an offset with each other but not lie
 * inside another tensor.  A raw NUL byte in the header is refused; the JSON parser (jansson)
 * also refuses invalid UTF-8, "\u0000" in strings and integers beyond 64 bits.
 *
 * Memory: the whole file is read into one allocation placed so that the data section starts
 * 8-byte aligned in memory (the allocation starts (-N) mod 8 bytes before f->buf), so a tensor
 * whose offset is a multiple of its element size can be accessed in place; rnnc_st_free
 * recomputes that distance from the header length in f->buf (so f->buf must not be freed
 * directly).  Offsets inside the data need not be multiples of the element size (an F32
 * tensor of odd length moves the next F64 off alignment), so callers should memcpy.
 *
 * The writer sorts tensors by name (strcmp, as jansson's JSON_SORT_KEYS sorts keys), lays
 * their data out contiguously in that order, dumps the header with JSON_COMPACT |
 * JSON_SORT_KEYS and pads it with spaces to a multiple of 8 bytes, so equal content gives
 * equal bytes.  Data handed to rnnc_st_add is in host order; it is stored little-endian. */
#define _POSIX_C_SOURCE 200809L
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/buf.h"
#include "../base/util.h"

#define MAX_HEADER 100000000ULL   /* 100 MB, as the reference implementation */
#define MAX_DIM (1ULL << 53)
#define QUOTE_MAX 64

static const char *const dtype_names[] = {"F32", "F64", "I32", "I64", "F16", "BF16"};
#define NDTYPES (sizeof dtype_names / sizeof dtype_names[0])

size_t rnnc_st_dtype_size(rnnc_st_dtype d)
{
    switch (d) {
    case RNNC_ST_F16:
    case RNNC_ST_BF16: return 2;
    case RNNC_ST_F32:
    case RNNC_ST_I32: return 4;
    case RNNC_ST_F64:
    case RNNC_ST_I64: return 8;
    }
    return 0;
}

static int valid_dtype(int d) { return d >= RNNC_ST_F32 && d <= RNNC_ST_BF16; }

const char *rnnc_st_dtype_name(rnnc_st_dtype d)
{
    return valid_dtype((int)d) ? dtype_names[d] : "?";
}

double rnnc_st_f16_to_double(uint16_t bits)
{
    int e = bits >> 10 & 0x1f;
    double m = (double)(bits & 0x3ff), v;
    if (e == 0x1f) v = m ? NAN : INFINITY;
    else if (e == 0) v = ldexp(m, -24);              /* subnormal: m * 2^-14 / 2^10 */
    else v = ldexp(m + 1024, e - 25);                /* (1 + m / 2^10) * 2^(e - 15) */
    return bits & 0x8000 ? -v : v;
}

double rnnc_st_bf16_to_double(uint16_t bits)
{
    uint32_t u = (uint32_t)bits << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return (double)f;
}

/* s for a message (in buf, n >= QUOTE_MAX + 4 bytes): control characters (from file or tensor
 * names) as \xHH, cut to QUOTE_MAX bytes (at a UTF-8 character boundary, never inside an
 * escape) with "..." when longer. */
static const char *shorten(const char *s, char *buf, size_t n)
{
    if (n < QUOTE_MAX + 4) return s;
    size_t full = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        full += *p < 0x20 || *p == 0x7f ? 4 : 1;
    size_t limit = full <= QUOTE_MAX ? QUOTE_MAX : QUOTE_MAX - 3, o = 0, i = 0;
    for (; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t k = c < 0x20 || c == 0x7f ? 4 : 1;
        if (o + k > limit) break;
        if (k == 4) snprintf(buf + o, 5, "\\x%02x", c);
        else buf[o] = (char)c;
        o += k;
    }
    if (!s[i]) {
        buf[o] = '\0';
        return buf;
    }
    /* Cut: drop the copied bytes of a character the cut splits (they are never escaped). */
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--, o--;
    memcpy(buf + o, "...", 4);
    return buf;
}

/* A JSON value as compact text for a message, shortened. */
static const char *show(const json_t *v, char *buf, size_t n)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
        snprintf(buf, n, "?");
        return buf;
    }
    char tmp[QUOTE_MAX + 4];
    snprintf(buf, n, "%s", shorten(s, tmp, sizeof tmp));
    free(s);
    return buf;
}

/* "[3, 4]" */
static const char *shape_str(const uint64_t *shape, size_t ndim, char *buf, size_t n)
{
    size_t o = 0;
    o += (size_t)snprintf(buf, n, "[");
    for (size_t i = 0; i < ndim && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%llu", i ? ", " : "", (unsigned long long)shape[i]);
    if (o < n) snprintf(buf + o, n - o, "]");
    return buf;
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* Bytes between the start of the allocation and f->buf for header length n: puts the data
 * section (at 8 + n) on an 8-byte boundary. */
static size_t lead_pad(uint64_t n) { return (size_t)((8 - n % 8) % 8); }

/* Reads exactly n bytes; 0, or -1 with errno (0 at end of file). */
static int read_full(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = read(fd, p, n > (1u << 30) ? (1u << 30) : n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (k == 0) {
            errno = 0;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

void rnnc_st_free(rnnc_st_file *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->ntensors; i++) free(f->tensors[i].name);
    free(f->tensors);
    for (size_t i = 0; i < f->nmeta; i++) {
        free(f->meta_keys[i]);
        free(f->meta_values[i]);
    }
    free(f->meta_keys);
    free(f->meta_values);
    if (f->buf) free(f->buf - lead_pad(le64(f->buf)));
    memset(f, 0, sizeof *f);
}

/* ---- reading ----------------------------------------------------------------------------- */

/* A non-negative JSON integer at most max, into *out; else 0. */
static int get_uint(const json_t *v, uint64_t max, uint64_t *out)
{
    if (!json_is_integer(v)) return 0;
    json_int_t x = json_integer_value(v);
    if (x < 0 || (unsigned long long)x > max) return 0;
    *out = (uint64_t)x;
    return 1;
}

/* Tensor entry val (quoted name qn) has no key but dtype, shape and data_offsets.  Returns 0,
 * or -1 with a message. */
static int check_keys(const char *path, const char *qn, json_t *val, char *err, size_t errlen)
{
    char vb[QUOTE_MAX + 8];
    const char *k;
    json_t *v;
    json_object_foreach(val, k, v) {
        if (strcmp(k, "dtype") != 0 && strcmp(k, "shape") != 0 && strcmp(k, "data_offsets") != 0)
            return rnnc_fail(err, errlen,
                             "%s: tensor '%s': unknown key '%s' "
                             "(expected dtype, shape, data_offsets)",
                             path, qn, shorten(k, vb, sizeof vb));
    }
    return 0;
}

/* The dtype of tensor entry val (quoted name qn) into t->dtype, its name into *name (val's
 * string).  Returns 0, or -1 with a message: missing, not a string, not one rnnc reads. */
static int parse_dtype(const char *path, const char *qn, const json_t *val, rnnc_st_tensor *t, const char **name,
                       char *err, size_t errlen)
{
    char vb[QUOTE_MAX + 8];
    const json_t *dt = json_object_get(val, "dtype");
    if (!dt) return rnnc_fail(err, errlen, "%s: tensor '%s': no dtype", path, qn);
    if (!json_is_string(dt))
        return rnnc_fail(err, errlen, "%s: tensor '%s': dtype %s is not a string", path, qn,
                         show(dt, vb, sizeof vb));
    const char *ds = json_string_value(dt);
    int d = -1;
    for (int i = 0; i < (int)NDTYPES; i++)
        if (strcmp(ds, dtype_names[i]) == 0) d = i;
    if (d < 0)
        return rnnc_fail(err, errlen,
                         "%s: tensor '%s': dtype '%s' is not supported "
                         "(rnnc reads F32, F64, F16, BF16, I32, I64)",
                         path, qn, shorten(ds, vb, sizeof vb));
    t->dtype = (rnnc_st_dtype)d;
    *name = ds;
    return 0;
}

/* The shape of tensor entry val (quoted name qn) into t->ndim and t->shape: a list of at most
 * RNNC_ST_MAX_DIMS integers in [0, 2^53].  Returns 0, or -1 with a message. */
static int parse_shape(const char *path, const char *qn, const json_t *val, rnnc_st_tensor *t, char *err,
                       size_t errlen)
{
    char vb[QUOTE_MAX + 8];
    const json_t *sh = json_object_get(val, "shape");
    if (!sh) return rnnc_fail(err, errlen, "%s: tensor '%s': no shape", path, qn);
    if (!json_is_array(sh))
        return rnnc_fail(err, errlen, "%s: tensor '%s': shape %s is not a list", path, qn,
                         show(sh, vb, sizeof vb));
    size_t nd = json_array_size(sh);
    if (nd > RNNC_ST_MAX_DIMS)
        return rnnc_fail(err, errlen,
                         "%s: tensor '%s': shape has %zu dimensions, more than %d", path,
                         qn, nd, RNNC_ST_MAX_DIMS);
    t->ndim = nd;
    for (size_t i = 0; i < nd; i++) {
        const json_t *e = json_array_get(sh, i);
        if (!get_uint(e, MAX_DIM, &t->shape[i]))
            return rnnc_fail(err, errlen,
                             "%s: tensor '%s': shape entry %zu (%s) is not an integer in [0, 2^53]",
                             path, qn, i, show(e, vb, sizeof vb));
    }
    return 0;
}

/* The data_offsets [begin, end] of tensor entry val (quoted name qn) into be: in order and
 * within the data_len bytes of the data.  Returns 0, or -1 with a message. */
static int parse_offsets(const char *path, const char *qn, const json_t *val, uint64_t data_len, uint64_t be[2],
                         char *err, size_t errlen)
{
    char vb[QUOTE_MAX + 8];
    const json_t *off = json_object_get(val, "data_offsets");
    if (!off) return rnnc_fail(err, errlen, "%s: tensor '%s': no data_offsets", path, qn);
    if (!json_is_array(off) || json_array_size(off) != 2)
        return rnnc_fail(err, errlen, "%s: tensor '%s': data_offsets %s is not a list [begin, end]",
                         path, qn, show(off, vb, sizeof vb));
    for (size_t i = 0; i < 2; i++) {
        const json_t *e = json_array_get(off, i);
        if (!get_uint(e, UINT64_MAX, &be[i]))
            return rnnc_fail(err, errlen,
                             "%s: tensor '%s': data_offsets entry %zu (%s) "
                             "is not a non-negative integer",
                             path, qn, i, show(e, vb, sizeof vb));
    }
    if (be[0] > be[1])
        return rnnc_fail(err, errlen,
                         "%s: tensor '%s': data_offsets [%llu, %llu] are reversed", path,
                         qn, (unsigned long long)be[0], (unsigned long long)be[1]);
    if (be[1] > data_len)
        return rnnc_fail(err, errlen,
                         "%s: tensor '%s': data_offsets [%llu, %llu] are outside the data "
                         "(%llu bytes; is the file truncated?)",
                         path, qn, (unsigned long long)be[0], (unsigned long long)be[1],
                         (unsigned long long)data_len);
    return 0;
}

/* t's shape times its element size (dtype named ds), overflow checked and 0 if a dimension
 * is 0, must be the be[1] - be[0] bytes of its data_offsets.  Returns 0, or -1 with a
 * message. */
static int check_size(const char *path, const char *qn, const rnnc_st_tensor *t, const char *ds,
                      const uint64_t be[2], char *err, size_t errlen)
{
    char sb[256];
    size_t nd = t->ndim;
    uint64_t bytes = rnnc_st_dtype_size(t->dtype);
    int zero = 0, over = 0;
    for (size_t i = 0; i < nd; i++) zero |= t->shape[i] == 0;
    if (zero) bytes = 0;
    else
        for (size_t i = 0; i < nd; i++) {
            if (bytes > UINT64_MAX / t->shape[i]) {
                over = 1;
                break;
            }
            bytes *= t->shape[i];
        }
    shape_str(t->shape, nd, sb, sizeof sb);
    if (over)
        return rnnc_fail(err, errlen,
                         "%s: tensor '%s': shape %s x %s overflows 64 bits", path, qn, sb,
                         ds);
    if (bytes != be[1] - be[0])
        return rnnc_fail(err, errlen,
                         "%s: tensor '%s': data_offsets [%llu, %llu] "
                         "do not match shape %s x %s = %llu bytes",
                         path, qn, (unsigned long long)be[0], (unsigned long long)be[1], sb, ds,
                         (unsigned long long)bytes);
    return 0;
}

/* Tensor entry val of the header (named name) into t: its dtype, shape, and where its bytes
 * lie in the data_len bytes at data.  Returns 0, or -1 with a message. */
static int parse_tensor(const char *path, const char *name, json_t *val,
                        const unsigned char *data, uint64_t data_len, rnnc_st_tensor *t,
                        char *err, size_t errlen)
{
    char nb[QUOTE_MAX + 4];
    const char *qn = shorten(name, nb, sizeof nb), *ds = NULL;
    uint64_t be[2];
    if (!json_is_object(val))
        return rnnc_fail(err, errlen, "%s: tensor '%s': entry is not a JSON object", path, qn);
    if (check_keys(path, qn, val, err, errlen) != 0 || parse_dtype(path, qn, val, t, &ds, err, errlen) != 0 ||
        parse_shape(path, qn, val, t, err, errlen) != 0 || parse_offsets(path, qn, val, data_len, be, err, errlen) != 0 ||
        check_size(path, qn, t, ds, be, err, errlen) != 0)
        return -1;
    t->data = data + be[0];
    t->nbytes = (size_t)(be[1] - be[0]);
    return 0;
}

static int by_offset(const void *a, const void *b)
{
    const rnnc_st_tensor *x = a, *y = b;
    if (x->data != y->data) return x->data < y->data ? -1 : 1;
    if (x->nbytes != y->nbytes) return x->nbytes < y->nbytes ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The n bytes of JSON after the length at f->buf, parsed.  Returns the root (the caller
 * frees it), or NULL with a message: a NUL byte, invalid JSON, a key given twice. */
static json_t *load_header_json(const char *path, const rnnc_st_file *f, uint64_t n, char *err, size_t errlen)
{
    const unsigned char *nul = memchr(f->buf + 8, 0, (size_t)n);
    if (nul) {
        rnnc_fail(err, errlen, "%s: header has a NUL byte at offset %llu", path, (unsigned long long)(nul - f->buf));
        return NULL;
    }
    json_error_t je;
    json_t *root = json_loadb((const char *)f->buf + 8, (size_t)n, JSON_REJECT_DUPLICATES, &je);
    if (root) return root;
    if (json_error_code(&je) == json_error_duplicate_key)
        rnnc_fail(err, errlen, "%s: header names something twice: %s (line %d, column %d)", path, je.text, je.line,
                  je.column);
    else
        rnnc_fail(err, errlen, "%s: header is not valid JSON: %s (line %d, column %d)", path, je.text, je.line,
                  je.column);
    return NULL;
}

/* The entries of __metadata__ (val), which must all be strings, copied into f's meta_keys and
 * meta_values.  Returns 0, or -1 with a message (what f holds so far rnnc_st_free frees). */
static int parse_metadata(const char *path, rnnc_st_file *f, json_t *val, char *err, size_t errlen)
{
    char nb[QUOTE_MAX + 4];
    if (!json_is_object(val)) return rnnc_fail(err, errlen, "%s: __metadata__ is not a JSON object", path);
    size_t m = json_object_size(val);
    f->meta_keys = calloc(m ? m : 1, sizeof *f->meta_keys);
    f->meta_values = calloc(m ? m : 1, sizeof *f->meta_values);
    if (!f->meta_keys || !f->meta_values) return rnnc_fail(err, errlen, "%s: out of memory", path);
    const char *mk;
    json_t *mv;
    json_object_foreach(val, mk, mv) {
        if (!json_is_string(mv))
            return rnnc_fail(err, errlen, "%s: __metadata__ '%s' is not a string", path, shorten(mk, nb, sizeof nb));
        f->meta_keys[f->nmeta] = strdup(mk);
        f->meta_values[f->nmeta] = strdup(json_string_value(mv));
        f->nmeta++;
        if (!f->meta_keys[f->nmeta - 1] || !f->meta_values[f->nmeta - 1])
            return rnnc_fail(err, errlen, "%s: out of memory", path);
    }
    return 0;
}

/* Every entry of the header object root: __metadata__ into f's metadata, the others into f's
 * tensors (named by copies of their keys), their data within data_len bytes at data.  Returns
 * 0, or -1 with a message (what f holds so far rnnc_st_free frees). */
static int parse_entries(const char *path, rnnc_st_file *f, json_t *root, const unsigned char *data,
                         uint64_t data_len, char *err, size_t errlen)
{
    size_t cap = json_object_size(root);
    f->tensors = calloc(cap ? cap : 1, sizeof *f->tensors);
    if (!f->tensors) return rnnc_fail(err, errlen, "%s: out of memory", path);
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        if (strcmp(key, "__metadata__") == 0) {
            if (parse_metadata(path, f, val, err, errlen) != 0) return -1;
            continue;
        }
        rnnc_st_tensor *t = &f->tensors[f->ntensors];
        if (!(t->name = strdup(key))) return rnnc_fail(err, errlen, "%s: out of memory", path);
        f->ntensors++;
        if (parse_tensor(path, key, val, data, data_len, t, err, errlen) != 0) return -1;
    }
    return 0;
}

/* f's tensors, sorted here in offset order, must tile the data_len bytes at data exactly: no
 * overlap, no hole, no tail.  Returns 0, or -1 with a message naming the first fault. */
static int check_tiling(const char *path, rnnc_st_file *f, const unsigned char *data, uint64_t data_len, char *err,
                        size_t errlen)
{
    if (f->ntensors > 1) qsort(f->tensors, f->ntensors, sizeof *f->tensors, by_offset);
    uint64_t pos = 0;
    const rnnc_st_tensor *prev = NULL;
    char nb[QUOTE_MAX + 4], nb2[QUOTE_MAX + 4];
    for (size_t i = 0; i < f->ntensors; i++) {
        const rnnc_st_tensor *t = &f->tensors[i];
        uint64_t b = (uint64_t)(t->data - data), e = b + t->nbytes;
        if (b < pos) {
            uint64_t pb = (uint64_t)(prev->data - data);
            return rnnc_fail(err, errlen, "%s: tensors '%s' [%llu, %llu] and '%s' [%llu, %llu] overlap", path,
                             shorten(prev->name, nb, sizeof nb), (unsigned long long)pb,
                             (unsigned long long)(pb + prev->nbytes), shorten(t->name, nb2, sizeof nb2),
                             (unsigned long long)b, (unsigned long long)e);
        }
        if (b > pos)
            return rnnc_fail(err, errlen, "%s: bytes [%llu, %llu) of the data belong to no tensor", path,
                             (unsigned long long)pos, (unsigned long long)b);
        pos = e;
        prev = t;
    }
    if (pos < data_len)
        return rnnc_fail(err, errlen, "%s: bytes [%llu, %llu) of the data, after the last tensor, belong to no tensor",
                         path, (unsigned long long)pos, (unsigned long long)data_len);
    return 0;
}

/* The header of f (n bytes after the length; the file whole in f->buf, f->len bytes): its
 * tensors and metadata into f, checked against the data that follows.  Returns 0, or -1 with
 * a message (what f holds so far rnnc_st_free frees). */
static int parse_header(const char *path, rnnc_st_file *f, uint64_t n, char *err, size_t errlen)
{
    json_t *root = load_header_json(path, f, n, err, errlen);
    if (!root) return -1;
    const unsigned char *data = f->buf + 8 + n;
    uint64_t data_len = f->len - 8 - n;
    int rc = -1;
    if (!json_is_object(root)) rnnc_fail(err, errlen, "%s: header is not a JSON object", path);
    else if (parse_entries(path, f, root, data, data_len, err, errlen) == 0 &&
             check_tiling(path, f, data, data_len, err, errlen) == 0)
        rc = 0;
    json_decref(root);
    return rc;
}

/* The file's size and its header length n: room for the length, a header inside the file,
 * at most MAX_HEADER.  0, or -1 with a message. */
static int check_lengths(const char *path, uint64_t size, uint64_t n, char *err, size_t errlen)
{
    if (n > size - 8)
        return rnnc_fail(err, errlen,
                         "%s: header length %llu is beyond the end of the file (%llu bytes)",
                         path, (unsigned long long)n, (unsigned long long)size);
    if (n > MAX_HEADER)
        return rnnc_fail(err, errlen, "%s: header length %llu is above the 100 MB limit", path,
                         (unsigned long long)n);
    return 0;
}

static int too_short(const char *path, uint64_t size, char *err, size_t errlen)
{
    return rnnc_fail(err, errlen, "%s: file is %llu bytes, too short for the 8-byte header length",
                     path, (unsigned long long)size);
}

int rnnc_st_parse(const char *path, const void *data, size_t len, rnnc_st_file *f, char *err,
                  size_t errlen)
{
    if (!f) return rnnc_fail(err, errlen, "%s: no place to read into", path ? path : "safetensors");
    memset(f, 0, sizeof *f);
    if (!path) path = "safetensors";
    if (len < 8) return too_short(path, len, err, errlen);
    if (len > SIZE_MAX - 16) return rnnc_fail(err, errlen, "%s: file too large (%zu bytes)", path, len);
    uint64_t n = le64(data);
    if (check_lengths(path, len, n, err, errlen) != 0) return -1;
    size_t pad = lead_pad(n);
    unsigned char *base = malloc(pad + len);
    if (!base) return rnnc_fail(err, errlen, "%s: out of memory for %zu bytes", path, len);
    f->buf = base + pad;
    f->len = len;
    memcpy(f->buf, data, len);
    if (parse_header(path, f, n, err, errlen) != 0) {
        rnnc_st_free(f);
        return -1;
    }
    return 0;
}

int rnnc_st_read(const char *path, rnnc_st_file *f, char *err, size_t errlen)
{
    if (!f) return rnnc_fail(err, errlen, "%s: no place to read into", path ? path : "safetensors");
    memset(f, 0, sizeof *f);
    if (!path) return rnnc_fail(err, errlen, "safetensors: no file name");
    int fd = open(path, O_RDONLY);
    if (fd < 0) return rnnc_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return rnnc_fail(err, errlen, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return rnnc_fail(err, errlen, "%s: not a regular file", path);
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < 8) {
        close(fd);
        return too_short(path, size, err, errlen);
    }
    if (size > (uint64_t)SIZE_MAX - 16) {
        close(fd);
        return rnnc_fail(err, errlen,
                         "%s: file too large (%llu bytes)", path, (unsigned long long)size);
    }
    unsigned char lenb[8];
    if (read_full(fd, lenb, 8) != 0) {
        int e = errno;
        close(fd);
        return rnnc_fail(err, errlen, "%s: cannot read: %s", path, e ? strerror(e) : "file shrank");
    }
    uint64_t n = le64(lenb);
    if (check_lengths(path, size, n, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    /* Read straight into the aligned allocation (no second copy of a large file). */
    size_t pad = lead_pad(n);
    unsigned char *base = malloc(pad + (size_t)size);
    if (!base) {
        close(fd);
        return rnnc_fail(err, errlen,
                         "%s: out of memory for %llu bytes", path, (unsigned long long)size);
    }
    f->buf = base + pad;
    f->len = (size_t)size;
    memcpy(f->buf, lenb, 8);
    if (read_full(fd, f->buf + 8, (size_t)size - 8) != 0) {
        int e = errno;
        close(fd);
        rnnc_st_free(f);
        return rnnc_fail(err, errlen, "%s: cannot read: %s", path,
                         e ? strerror(e) : "file shrank while being read");
    }
    close(fd);
    if (parse_header(path, f, n, err, errlen) != 0) {
        rnnc_st_free(f);
        return -1;
    }
    return 0;
}

const rnnc_st_tensor *rnnc_st_find(const rnnc_st_file *f, const char *name)
{
    if (!f || !name) return NULL;
    for (size_t i = 0; i < f->ntensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *rnnc_st_meta(const rnnc_st_file *f, const char *key)
{
    if (!f || !key) return NULL;
    for (size_t i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}

/* ---- writing ----------------------------------------------------------------------------- */

typedef struct wtensor {
    char *name;
    rnnc_st_dtype dtype;
    size_t ndim;
    uint64_t shape[RNNC_ST_MAX_DIMS];
    unsigned char *data;   /* little-endian copy; NULL when nbytes is 0 */
    size_t nbytes;
} wtensor;

struct rnnc_st_writer {
    wtensor *t;
    size_t nt, capt;
    char **mk, **mv;
    size_t nm, capm;
};

rnnc_st_writer *rnnc_st_writer_new(void) { return calloc(1, sizeof(rnnc_st_writer)); }

void rnnc_st_writer_free(rnnc_st_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->nt; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    free(w->t);
    for (size_t i = 0; i < w->nm; i++) {
        free(w->mk[i]);
        free(w->mv[i]);
    }
    free(w->mk);
    free(w->mv);
    free(w);
}

/* Valid UTF-8 without NUL, as a JSON string must be. */
static int json_ok(const char *s)
{
    json_t *j = json_string(s);
    if (!j) return 0;
    json_decref(j);
    return 1;
}

int rnnc_st_add(rnnc_st_writer *w, const char *name, rnnc_st_dtype dtype, size_t ndim,
                const uint64_t *shape, const void *data)
{
    if (!w || !name || !valid_dtype((int)dtype) || ndim > RNNC_ST_MAX_DIMS || (ndim && !shape))
        return -1;
    if (strcmp(name, "__metadata__") == 0 || !json_ok(name)) return -1;
    for (size_t i = 0; i < w->nt; i++)
        if (strcmp(w->t[i].name, name) == 0) return -1;
    size_t es = rnnc_st_dtype_size(dtype);
    uint64_t bytes = es;
    int zero = 0;
    for (size_t i = 0; i < ndim; i++) {
        if (shape[i] > MAX_DIM) return -1;
        zero |= shape[i] == 0;
    }
    if (zero) bytes = 0;
    else
        for (size_t i = 0; i < ndim; i++) {
            if (bytes > UINT64_MAX / shape[i]) return -1;
            bytes *= shape[i];
        }
    if (bytes > (uint64_t)SIZE_MAX / 2 || bytes > (uint64_t)INT64_MAX / 2) return -1;
    if (bytes && !data) return -1;
    if (w->nt == w->capt) {
        size_t cap = w->capt ? 2 * w->capt : 8;
        wtensor *nt = realloc(w->t, cap * sizeof *nt);
        if (!nt) return -1;
        w->t = nt;
        w->capt = cap;
    }
    wtensor t;
    memset(&t, 0, sizeof t);
    t.name = strdup(name);
    t.data = bytes ? malloc((size_t)bytes) : NULL;
    if (!t.name || (bytes && !t.data)) {
        free(t.name);
        free(t.data);
        return -1;
    }
    t.dtype = dtype;
    t.ndim = ndim;
    for (size_t i = 0; i < ndim; i++) t.shape[i] = shape[i];
    t.nbytes = (size_t)bytes;
    if (bytes) memcpy(t.data, data, (size_t)bytes);
    if (!rnnc_host_is_little_endian())
        for (size_t o = 0; o < t.nbytes; o += es)
            for (size_t a = 0, b = es - 1; a < b; a++, b--) {
                unsigned char c = t.data[o + a];
                t.data[o + a] = t.data[o + b];
                t.data[o + b] = c;
            }
    w->t[w->nt++] = t;
    return 0;
}

int rnnc_st_set_meta(rnnc_st_writer *w, const char *key, const char *value)
{
    if (!w || !key || !value || !json_ok(key) || !json_ok(value)) return -1;
    char *v = strdup(value);
    if (!v) return -1;
    for (size_t i = 0; i < w->nm; i++)
        if (strcmp(w->mk[i], key) == 0) {
            free(w->mv[i]);
            w->mv[i] = v;
            return 0;
        }
    if (w->nm == w->capm) {
        size_t cap = w->capm ? 2 * w->capm : 8;
        char **a = realloc(w->mk, cap * sizeof *a);
        if (!a) {
            free(v);
            return -1;
        }
        w->mk = a;
        char **b = realloc(w->mv, cap * sizeof *b);
        if (!b) {
            free(v);
            return -1;
        }
        w->mv = b;
        w->capm = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return -1;
    }
    w->mk[w->nm] = k;
    w->mv[w->nm] = v;
    w->nm++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const wtensor *)a)->name, ((const wtensor *)b)->name);
}

/* The header JSON (compact, keys sorted), or NULL (out of memory). */
static char *build_header(rnnc_st_writer *w)
{
    json_t *root = json_object();
    if (!root) return NULL;
    int bad = 0;
    uint64_t off = 0;
    for (size_t i = 0; i < w->nt && !bad; i++) {
        const wtensor *t = &w->t[i];
        json_t *e = json_object(), *sh = json_array(), *of = json_array();
        if (!e || !sh || !of) {
            json_decref(e);
            json_decref(sh);
            json_decref(of);
            bad = 1;
            break;
        }
        for (size_t d = 0; d < t->ndim; d++)
            bad |= json_array_append_new(sh, json_integer((json_int_t)t->shape[d])) != 0;
        bad |= json_array_append_new(of, json_integer((json_int_t)off)) != 0;
        off += t->nbytes;
        bad |= json_array_append_new(of, json_integer((json_int_t)off)) != 0;
        bad |= json_object_set_new(e, "dtype", json_string(dtype_names[t->dtype])) != 0;
        bad |= json_object_set_new(e, "shape", sh) != 0;
        bad |= json_object_set_new(e, "data_offsets", of) != 0;
        bad |= json_object_set_new(root, t->name, e) != 0;
    }
    if (!bad && w->nm) {
        json_t *m = json_object();
        bad = !m;
        for (size_t i = 0; i < w->nm && !bad; i++)
            bad |= json_object_set_new(m, w->mk[i], json_string(w->mv[i])) != 0;
        if (!bad) bad = json_object_set_new(root, "__metadata__", m) != 0;
        else json_decref(m);
    }
    char *s = bad ? NULL : json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    return s;
}

int rnnc_st_write(rnnc_st_writer *w, const char *path, char *err, size_t errlen)
{
    if (!path) return rnnc_fail(err, errlen, "safetensors: no file name");
    if (!w) return rnnc_fail(err, errlen, "%s: no writer", path);
    if (w->nt > 1) qsort(w->t, w->nt, sizeof *w->t, by_name);
    uint64_t total = 0;
    for (size_t i = 0; i < w->nt; i++) {
        if (w->t[i].nbytes > (uint64_t)INT64_MAX / 2 - total)
            return rnnc_fail(err, errlen, "%s: tensors too large for one file", path);
        total += w->t[i].nbytes;
    }
    char *hdr = build_header(w);
    if (!hdr) return rnnc_fail(err, errlen, "%s: cannot build the header: out of memory", path);
    size_t hl = strlen(hdr), padded = (hl + 7) / 8 * 8;
    if (padded > MAX_HEADER) {
        free(hdr);
        return rnnc_fail(err, errlen,
                         "%s: header of %zu bytes is above the 100 MB limit", path, padded);
    }
    unsigned char *head = malloc(8 + padded);
    if (!head) {
        free(hdr);
        return rnnc_fail(err, errlen, "%s: out of memory", path);
    }
    for (int i = 0; i < 8; i++) head[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    memcpy(head + 8, hdr, hl);
    memset(head + 8 + hl, ' ', padded - hl);
    free(hdr);

    /* The header, then the tensors' data in order. */
    rnnc_span *parts = malloc((w->nt + 1) * sizeof *parts);
    if (!parts) {
        free(head);
        return rnnc_fail(err, errlen, "%s: out of memory", path);
    }
    parts[0] = (rnnc_span){head, 8 + padded};
    for (size_t i = 0; i < w->nt; i++)
        parts[i + 1] = (rnnc_span){w->t[i].data, (size_t)w->t[i].nbytes};
    int rc = rnnc_write_atomic_parts(path, parts, w->nt + 1, err, errlen);
    free(parts);
    free(head);
    return rc;
}
