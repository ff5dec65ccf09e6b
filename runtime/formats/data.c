/* data.c: training data (see data.h).
 *
 * Positions in messages: LINE counts '\n' from 1; COL counts characters from 1 (bytes in
 * bytes mode, code points in UTF-8 mode and in CSV files).  A '\r' before '\n' is an ordinary
 * character of a text file (it is in the vocabulary like any other) and is dropped from the end
 * of a CSV line.  Positions are computed only when an error is reported, by rescanning the
 * buffer, so the hot loops do not track them.
 *
 * Every message is one line: the text quoted from the input shows control characters (and, in
 * bytes mode, bytes >= 0x80) escaped, and the whole message passes through rnnc_fail()
 * (runtime/base/util.h), which escapes any control character that reached it another way (e.g. inside
 * a file name). */
#define _POSIX_C_SOURCE 200809L
#include "data.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/buf.h"
#include "../base/text.h"
#include "../base/util.h"

#define UNICODE_LIMIT 0x110000u      /* code points are < this */
#define CSV_MAX_COLS 4096
#define QUOTE_MAX 40                 /* characters of input quoted in a message */

/* ---- messages ---------------------------------------------------------------------------- */

/* Append s to dst (capacity cap, length *o), keeping it NUL-terminated; false if it did not
 * fit (nothing appended then). */
static int put(char *dst, size_t cap, size_t *o, const char *s, size_t k)
{
    if (*o + k >= cap) return 0;
    memcpy(dst + *o, s, k);
    *o += k;
    dst[*o] = '\0';
    return 1;
}

/* The escaped form of one symbol as shown between quotes in a message.  utf8: a code point
 * (control characters, C1 controls and the line/paragraph separators escaped); bytes: a byte
 * (anything but printable ASCII escaped). */
static size_t show_symbol(char out[16], uint32_t sym, int utf8)
{
    if (sym == '\n') return (size_t)snprintf(out, 16, "\\n");
    if (sym == '\r') return (size_t)snprintf(out, 16, "\\r");
    if (sym == '\t') return (size_t)snprintf(out, 16, "\\t");
    if (sym == '\\') return (size_t)snprintf(out, 16, "\\\\");
    if (sym == '\'') return (size_t)snprintf(out, 16, "\\'");
    if (sym < 0x20 || sym == 0x7f || (!utf8 && sym >= 0x80))
        return (size_t)snprintf(out, 16, "\\x%02x", (unsigned)(sym & 0xFF));
    if (utf8 && ((sym >= 0x80 && sym <= 0x9f) || sym == 0x2028 || sym == 0x2029))
        return (size_t)snprintf(out, 16, "\\u%04x", (unsigned)sym);
    size_t k = rnnc_symbol_bytes(utf8 ? RNNC_CHARS_UTF8 : RNNC_CHARS_BYTES, sym, out);
    out[k] = '\0';
    return k;
}

/* Quote at most QUOTE_MAX characters of s[0..n) into dst (escaped as by show_symbol; invalid
 * UTF-8 bytes as \xHH), adding "..." when cut short. */
static void quote_text(char *dst, size_t cap, const unsigned char *s, size_t n)
{
    size_t o = 0, shown = 0, i = 0;
    dst[0] = '\0';
    while (i < n) {
        if (shown == QUOTE_MAX) {
            put(dst, cap, &o, "...", 3);
            return;
        }
        char esc[16];
        size_t k, used = 1;
        unsigned b = s[i];
        if (b < 0x80) k = show_symbol(esc, b, 1);
        else {
            /* A valid multi-byte sequence is copied; anything else is one escaped byte. */
            size_t need = b >= 0xF0 && b < 0xF5 ? 3 : b >= 0xE0 && b < 0xF0 ? 2 : b >= 0xC2 && b < 0xE0 ? 1 : 0;
            int ok = need > 0 && need < n - i;
            uint32_t c = b & (need == 1 ? 0x1F : need == 2 ? 0x0F : 0x07);
            for (size_t j = 1; ok && j <= need; j++) {
                if ((s[i + j] & 0xC0) != 0x80) ok = 0;
                else c = c << 6 | (s[i + j] & 0x3F);
            }
            if (ok && ((need == 2 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
                       (need == 3 && (c < 0x10000 || c > 0x10FFFF))))
                ok = 0;
            if (ok) {
                k = show_symbol(esc, c, 1);
                used = need + 1;
            } else k = (size_t)snprintf(esc, sizeof esc, "\\x%02x", b);
        }
        if (!put(dst, cap, &o, esc, k)) return;
        i += used;
        shown++;
    }
}

/* ---- positions --------------------------------------------------------------------------- */

/* Line and column (both from 1) of byte offset off in buf.  Columns count characters: in
 * utf8 mode the bytes that do not continue a sequence. */
static void locate(const unsigned char *buf, size_t off, int utf8, size_t *line, size_t *col)
{
    size_t l = 1, ls = 0;
    const unsigned char *p = buf, *end = buf + off;
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break;
        l++;
        p = nl + 1;
        ls = (size_t)(p - buf);
    }
    size_t c = 1;
    for (size_t i = ls; i < off; i++)
        if (!utf8 || (buf[i] & 0xC0) != 0x80) c++;
    *line = l;
    *col = c;
}

/* ---- reading files ----------------------------------------------------------------------- */

const char *rnnc_file_label(const char *path)
{
    return path && strcmp(path, "-") == 0 ? "(standard input)" : path;
}

/* Append the whole file ("-": standard input, to its end) to the buffer *buf (length *len,
 * capacity *cap; realloc'd, always with room for a terminating NUL after the data, which is
 * stored).  The file's size, when known, sizes the buffer in one step.  Returns 0, -1 (cannot
 * open or read), or RNNC_ENOMEM, with a message naming the file (rnnc_file_label); *buf stays
 * valid (and owned by the caller). */
static int read_append(const char *file, unsigned char **buf, size_t *len, size_t *cap,
                       char *err, size_t errlen)
{
    if (!file) return rnnc_fail(err, errlen, "(null): cannot open: no file name");
    const char *path = rnnc_file_label(file);
    int fd;
    if (strcmp(file, "-") == 0) fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
    else
        do fd = open(file, O_RDONLY | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
    if (fd < 0) return rnnc_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    size_t hint = 0;   /* bytes to add for a file of known size: the data, EOF's read, the NUL */
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            close(fd);
            return rnnc_fail(err, errlen, "%s: cannot read: %s", path, strerror(EISDIR));
        }
        /* A regular file's size is a hint (it may grow or shrink while we read). */
        if (S_ISREG(st.st_mode) && st.st_size > 0) {
            if ((uintmax_t)st.st_size >= (uintmax_t)(SIZE_MAX - *len - 2)) {
                close(fd);
                return rnnc_fail(err, errlen, "%s: cannot read: file too large (%jd bytes)", path,
                                 (intmax_t)st.st_size);
            }
            hint = (size_t)st.st_size + 2;
        }
    }
    int rc = 0;
    for (;;) {
        if (*cap - *len < 2) {   /* room for at least one byte and the terminating NUL */
            size_t nc = 0;
            if (hint) nc = *len + hint;
            else if (*cap <= SIZE_MAX / 2 && *len <= SIZE_MAX - 4096)
                nc = *cap * 2 > *len + 4096 ? *cap * 2 : *len + 4096;
            hint = 0;   /* beyond the size it had: grow by doubling */
            unsigned char *nb = nc ? realloc(*buf, nc) : NULL;
            if (!nb) {
                rnnc_fail(err, errlen, "%s: cannot read: out of memory for %zu bytes", path, nc);
                rc = RNNC_ENOMEM;
                break;
            }
            *buf = nb;
            *cap = nc;
        }
        size_t room = *cap - 1 - *len;
        if (room > ((size_t)1 << 30)) room = (size_t)1 << 30;
        ssize_t got = read(fd, *buf + *len, room);
        if (got < 0) {
            if (errno == EINTR) continue;
            rc = rnnc_fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
        if (got == 0) break;
        *len += (size_t)got;
    }
    close(fd);
    if (rc == 0) (*buf)[*len] = '\0';
    return rc;
}

int rnnc_read_file(const char *path, int allow_empty, unsigned char **buf, size_t *n, char *err,
                   size_t errlen)
{
    unsigned char *b = NULL;
    size_t len = 0, cap = 0;
    *buf = NULL;
    *n = 0;
    int rc = read_append(path, &b, &len, &cap, err, errlen);
    if (rc == 0 && len == 0 && !allow_empty)
        rc = rnnc_fail(err, errlen, "%s: is empty", rnnc_file_label(path));
    if (rc != 0) {
        free(b);
        return rc;
    }
    *buf = b;
    *n = len;
    return 0;
}

/* ---- UTF-8 ------------------------------------------------------------------------------- */

typedef enum { U_OK, U_CONT, U_BADBYTE, U_TRUNC, U_OVERLONG, U_SURROGATE, U_RANGE } ustat;

/* Decode the character at s[i] (i < n): *cp and *len (bytes) on U_OK. */
static ustat utf8_decode(const unsigned char *s, size_t n, size_t i, uint32_t *cp, size_t *len)
{
    unsigned b = s[i];
    *cp = b;
    *len = 1;
    if (b < 0x80) return U_OK;
    if (b < 0xC0) return U_CONT;
    size_t need;
    uint32_t c, min;
    if (b < 0xE0) {
        need = 1;
        c = b & 0x1F;
        min = 0x80;
    } else if (b < 0xF0) {
        need = 2;
        c = b & 0x0F;
        min = 0x800;
    } else if (b < 0xF8) {
        need = 3;
        c = b & 0x07;
        min = 0x10000;
    } else return U_BADBYTE;
    for (size_t k = 1; k <= need; k++) {
        if (k >= n - i || (s[i + k] & 0xC0) != 0x80) return U_TRUNC;
        c = c << 6 | (s[i + k] & 0x3Fu);
    }
    *cp = c;
    *len = need + 1;
    if (c < min) return U_OVERLONG;
    if (c >= 0xD800 && c <= 0xDFFF) return U_SURROGATE;
    if (c >= UNICODE_LIMIT) return U_RANGE;
    return U_OK;
}

static int utf8_error(ustat st, uint32_t cp, const unsigned char *s, size_t i, const char *file,
                      char *err, size_t errlen)
{
    size_t line, col;
    locate(s, i, 1, &line, &col);
    switch (st) {
    case U_CONT:
        return rnnc_fail(err, errlen,
                         "%s:%zu:%zu: invalid UTF-8: unexpected continuation byte 0x%02X",
                         file, line, col, s[i]);
    case U_BADBYTE:
        return rnnc_fail(err, errlen,
                         "%s:%zu:%zu: invalid UTF-8: byte 0x%02X never occurs in UTF-8",
                         file, line, col, s[i]);
    case U_TRUNC:
        return rnnc_fail(err, errlen,
                         "%s:%zu:%zu: invalid UTF-8: truncated sequence (lead byte 0x%02X "
                         "without all its continuation bytes)",
                         file, line, col, s[i]);
    case U_OVERLONG:
        return rnnc_fail(err, errlen,
                         "%s:%zu:%zu: invalid UTF-8: overlong encoding of U+%04X", file,
                         line, col, (unsigned)cp);
    case U_SURROGATE:
        return rnnc_fail(err, errlen, "%s:%zu:%zu: invalid UTF-8: encoded UTF-16 surrogate U+%04X",
                         file, line, col, (unsigned)cp);
    case U_RANGE:
        return rnnc_fail(err, errlen,
                         "%s:%zu:%zu: invalid UTF-8: code point U+%X is above U+10FFFF",
                         file, line, col, (unsigned)cp);
    case U_OK:
        break;
    }
    return rnnc_fail(err, errlen, "%s:%zu:%zu: invalid UTF-8", file, line, col);
}

size_t rnnc_symbol_bytes(rnnc_chars mode, uint32_t sym, char out[4])
{
    unsigned char *o = (unsigned char *)out;
    if (mode == RNNC_CHARS_BYTES) {
        o[0] = (unsigned char)(sym & 0xFF);
        return 1;
    }
    /* Not a scalar value: U+FFFD REPLACEMENT CHARACTER, so the output is always UTF-8. */
    if (sym >= UNICODE_LIMIT || (sym >= 0xD800 && sym <= 0xDFFF)) sym = 0xFFFD;
    if (sym < 0x80) {
        o[0] = (unsigned char)sym;
        return 1;
    }
    if (sym < 0x800) {
        o[0] = (unsigned char)(0xC0 | sym >> 6);
        o[1] = (unsigned char)(0x80 | (sym & 0x3F));
        return 2;
    }
    if (sym < 0x10000) {
        o[0] = (unsigned char)(0xE0 | sym >> 12);
        o[1] = (unsigned char)(0x80 | (sym >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (sym & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | sym >> 18);
    o[1] = (unsigned char)(0x80 | (sym >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (sym >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (sym & 0x3F));
    return 4;
}

/* ---- vocabulary -------------------------------------------------------------------------- */

static int check_vocab(const rnnc_vocab *v, char *err, size_t errlen)
{
    if (v->mode != RNNC_CHARS_BYTES && v->mode != RNNC_CHARS_UTF8)
        return rnnc_fail(err, errlen, "vocabulary: unknown character mode %d", (int)v->mode);
    if (v->size > 0 && !v->symbols) return rnnc_fail(err, errlen, "vocabulary: no symbols array");
    uint32_t limit = v->mode == RNNC_CHARS_BYTES ? 256u : UNICODE_LIMIT;
    for (size_t i = 0; i < v->size; i++)
        if (v->symbols[i] >= limit || (i > 0 && v->symbols[i] <= v->symbols[i - 1]))
            return rnnc_fail(err, errlen,
                             "vocabulary: symbols not strictly ascending and in range");
    return 0;
}

int rnnc_vocab_add(rnnc_vocab *v, const unsigned char *buf, size_t n, const char *file,
                   char *err, size_t errlen)
{
    if (!file) file = "(input)";
    if (!v) return rnnc_fail(err, errlen, "%s: no vocabulary", file);
    if (check_vocab(v, err, errlen) != 0) return -1;
    if (n > 0 && !buf) return rnnc_fail(err, errlen, "%s: no data", file);
    uint32_t *syms;
    size_t count = 0;
    if (v->mode == RNNC_CHARS_BYTES) {
        unsigned char seen[256] = {0};
        for (size_t i = 0; i < v->size; i++) seen[v->symbols[i]] = 1;
        for (size_t i = 0; i < n; i++) seen[buf[i]] = 1;
        for (int c = 0; c < 256; c++) count += seen[c];
        if (count == v->size) return 0;
        if (!(syms = malloc(count * sizeof *syms))) {
            rnnc_fail(err, errlen, "%s: out of memory for the vocabulary", file);
            return RNNC_ENOMEM;
        }
        count = 0;
        for (uint32_t c = 0; c < 256; c++)
            if (seen[c]) syms[count++] = c;
    } else {
        /* A bitmap over every code point: 136 KiB. */
        enum { WORDS = UNICODE_LIMIT / 64 };
        uint64_t *bits = calloc(WORDS, sizeof *bits);
        if (!bits) {
            rnnc_fail(err, errlen, "%s: out of memory for the vocabulary", file);
            return RNNC_ENOMEM;
        }
        for (size_t i = 0; i < v->size; i++)
            bits[v->symbols[i] >> 6] |= (uint64_t)1 << (v->symbols[i] & 63);
        for (size_t i = 0; i < n;) {
            if (buf[i] < 0x80) {
                bits[buf[i] >> 6] |= (uint64_t)1 << (buf[i] & 63);
                i++;
                continue;
            }
            uint32_t cp;
            size_t len;
            ustat st = utf8_decode(buf, n, i, &cp, &len);
            if (st != U_OK) {
                free(bits);
                return utf8_error(st, cp, buf, i, file, err, errlen);
            }
            bits[cp >> 6] |= (uint64_t)1 << (cp & 63);
            i += len;
        }
        for (size_t w = 0; w < WORDS; w++)
            for (uint64_t x = bits[w]; x; x &= x - 1) count++;
        if (count == v->size) {
            free(bits);
            return 0;
        }
        if (!(syms = malloc(count * sizeof *syms))) {
            free(bits);
            rnnc_fail(err, errlen, "%s: out of memory for the vocabulary", file);
            return RNNC_ENOMEM;
        }
        count = 0;
        for (size_t w = 0; w < WORDS; w++) {
            if (!bits[w]) continue;
            for (unsigned k = 0; k < 64; k++)
                if (bits[w] >> k & 1) syms[count++] = (uint32_t)(w * 64 + k);
        }
        free(bits);
    }
    free(v->symbols);
    v->symbols = syms;
    v->size = count;
    return 0;
}

void rnnc_vocab_free(rnnc_vocab *v)
{
    if (!v) return;
    free(v->symbols);
    v->symbols = NULL;
    v->size = 0;
}

int32_t rnnc_vocab_index(const rnnc_vocab *v, uint32_t sym)
{
    if (!v || !v->symbols) return -1;
    size_t lo = 0, hi = v->size;   /* search [lo, hi) */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->symbols[mid] < sym) lo = mid + 1;
        else if (v->symbols[mid] > sym) hi = mid;
        else return (int32_t)mid;
    }
    return -1;
}

/* ---- encoding ---------------------------------------------------------------------------- */

/* Make room for need ids: double the capacity (at least), falling back to exactly need. */
static int reserve_ids(int32_t **ids, size_t *cap, size_t need)
{
    if (need <= *cap && *ids) return 0;
    const size_t max = SIZE_MAX / sizeof(int32_t);
    if (need > max) return -1;
    size_t nc = *cap > max / 2 ? max : *cap * 2;
    if (nc < need) nc = need;
    if (nc < 256 && max >= 256) nc = 256;
    int32_t *p = realloc(*ids, nc * sizeof *p);
    if (!p && nc > need) p = realloc(*ids, (nc = need > 0 ? need : 1) * sizeof *p);
    if (!p) return -1;
    *ids = p;
    *cap = nc;
    return 0;
}

static int missing_symbol(const rnnc_vocab *v, uint32_t sym, const unsigned char *buf, size_t i,
                          const char *file, char *err, size_t errlen)
{
    int utf8 = v->mode == RNNC_CHARS_UTF8;
    size_t line, col;
    locate(buf, i, utf8, &line, &col);
    char shown[16];
    show_symbol(shown, sym, utf8);
    if (!utf8 && sym >= 0x80)
        return rnnc_fail(err, errlen,
                         "%s:%zu:%zu: byte '%s' (0x%02X) is not in the model's vocabulary", file,
                         line, col, shown, (unsigned)sym);
    return rnnc_fail(err, errlen,
                     "%s:%zu:%zu: character '%s' (U+%04X) is not in the model's vocabulary",
                     file, line, col, shown, (unsigned)sym);
}

int rnnc_text_encode(const rnnc_vocab *v, const unsigned char *buf, size_t n, const char *file,
                     int32_t **ids, size_t *len, size_t *cap, char *err, size_t errlen)
{
    if (!file) file = "(input)";
    if (!v || !ids || !len || !cap)
        return rnnc_fail(err, errlen, "%s: no vocabulary or output", file);
    if (check_vocab(v, err, errlen) != 0) return -1;
    if (n > 0 && !buf) return rnnc_fail(err, errlen, "%s: no data", file);
    if (*len > *cap || (*cap > 0 && !*ids))
        return rnnc_fail(err, errlen, "%s: inconsistent output buffer", file);
    if (n == 0) return 0;
    /* Symbols below 256 (all of them in bytes mode) through a table. */
    int32_t low[256];
    for (uint32_t c = 0; c < 256; c++) low[c] = rnnc_vocab_index(v, c);
    const size_t start = *len;
    if (v->mode == RNNC_CHARS_BYTES) {
        if (n > SIZE_MAX - start || reserve_ids(ids, cap, start + n) != 0) {
            rnnc_fail(err, errlen, "%s: out of memory for %zu class indices", file, n);
            return RNNC_ENOMEM;
        }
        int32_t *out = *ids + start;
        for (size_t i = 0; i < n; i++) {
            int32_t id = low[buf[i]];
            if (id < 0) return missing_symbol(v, buf[i], buf, i, file, err, errlen);
            out[i] = id;
        }
        *len = start + n;
        return 0;
    }
    size_t o = start;
    for (size_t i = 0; i < n;) {
        uint32_t cp = buf[i];
        size_t k = 1;
        if (cp >= 0x80) {
            ustat st = utf8_decode(buf, n, i, &cp, &k);
            if (st != U_OK) return utf8_error(st, cp, buf, i, file, err, errlen);
        }
        int32_t id = cp < 256 ? low[cp] : rnnc_vocab_index(v, cp);
        if (id < 0) return missing_symbol(v, cp, buf, i, file, err, errlen);
        if (o == *cap || !*ids) {
            if (o == SIZE_MAX || reserve_ids(ids, cap, o + 1) != 0) {
                rnnc_fail(err, errlen, "%s: out of memory for %zu class indices", file, o + 1);
                return RNNC_ENOMEM;
            }
        }
        (*ids)[o++] = id;
        i += k;
    }
    *len = o;
    return 0;
}

/* ---- training text, compactly ---------------------------------------------------------- */

static unsigned ids_width(size_t vocab_size)
{
    return vocab_size <= 256 ? 1 : vocab_size <= 65536 ? 2 : 4;
}

static void ids_put(void *p, unsigned width, size_t i, int32_t id)
{
    if (width == 1) ((uint8_t *)p)[i] = (uint8_t)id;
    else if (width == 2) ((uint16_t *)p)[i] = (uint16_t)id;
    else ((uint32_t *)p)[i] = (uint32_t)id;
}

void rnnc_ids_free(rnnc_ids *ids)
{
    if (!ids) return;
    free(ids->p);
    memset(ids, 0, sizeof *ids);
}

int rnnc_ids_pack(const int32_t *v, size_t n, size_t classes, rnnc_ids *ids)
{
    memset(ids, 0, sizeof *ids);
    unsigned w = ids_width(classes);
    if (n > SIZE_MAX / w) return RNNC_ENOMEM;
    if (!(ids->p = malloc((n ? n : 1) * w))) return RNNC_ENOMEM;
    for (size_t i = 0; i < n; i++) ids_put(ids->p, w, i, v[i]);
    ids->len = n;
    ids->width = w;
    return 0;
}

uint64_t rnnc_ids_hash(const rnnc_ids *ids)
{
    uint64_t h = RNNC_FNV_OFFSET;
    for (size_t i = 0; i < ids->len; i++) {
        int32_t v = rnnc_ids_at(ids, i);
        unsigned char b[4];
        memcpy(b, &v, 4);
        h = (h ^ b[0]) * 1099511628211ull;
        h = (h ^ b[1]) * 1099511628211ull;
        h = (h ^ b[2]) * 1099511628211ull;
        h = (h ^ b[3]) * 1099511628211ull;
    }
    return h;
}

int rnnc_text_encode_ids(const rnnc_vocab *v, const unsigned char *buf, size_t n,
                         const char *file, rnnc_ids *ids, char *err, size_t errlen)
{
    if (!file) file = "(input)";
    if (!v || !ids) return rnnc_fail(err, errlen, "%s: no vocabulary or output", file);
    if (check_vocab(v, err, errlen) != 0) return -1;
    if (n > 0 && !buf) return rnnc_fail(err, errlen, "%s: no data", file);
    unsigned w = ids_width(v->size);
    if (ids->len && ids->width != w)
        return rnnc_fail(err, errlen, "%s: indices of %u bytes appended to indices of %u", file, w,
                         ids->width);
    ids->width = w;
    /* Room for one index per byte (the most there can be), given back at the end. */
    if (ids->len >= SIZE_MAX / w - 1 || n > SIZE_MAX / w - 1 - ids->len) {
        rnnc_fail(err, errlen, "%s: out of memory for %zu class indices", file, n);
        return RNNC_ENOMEM;
    }
    void *p = realloc(ids->p, (ids->len + n + 1) * w);
    if (!p) {
        rnnc_fail(err, errlen, "%s: out of memory for %zu class indices", file, n);
        return RNNC_ENOMEM;
    }
    ids->p = p;
    int32_t low[256];   /* symbols below 256 (all of them in bytes mode) through a table */
    for (uint32_t c = 0; c < 256; c++) low[c] = rnnc_vocab_index(v, c);
    size_t o = ids->len;
    for (size_t i = 0; i < n;) {
        uint32_t cp = buf[i];
        size_t k = 1;
        if (cp >= 0x80 && v->mode == RNNC_CHARS_UTF8) {
            ustat st = utf8_decode(buf, n, i, &cp, &k);
            if (st != U_OK) return utf8_error(st, cp, buf, i, file, err, errlen);
        }
        int32_t id = cp < 256 ? low[cp] : rnnc_vocab_index(v, cp);
        if (id < 0) return missing_symbol(v, cp, buf, i, file, err, errlen);
        ids_put(ids->p, w, o++, id);
        i += k;
    }
    ids->len = o;
    if ((p = realloc(ids->p, (o ? o : 1) * w))) ids->p = p;
    return 0;
}

/* Append mem[0..n) to the buffer of read_append (same contract). */
static int append_mem(const unsigned char *mem, size_t n, const char *name, unsigned char **buf,
                      size_t *len, size_t *cap, char *err, size_t errlen)
{
    if (n > SIZE_MAX - *len - 1 || *len + n + 1 > *cap) {
        unsigned char *nb = n > SIZE_MAX - *len - 1 ? NULL : realloc(*buf, *len + n + 1);
        if (!nb) {
            rnnc_fail(err, errlen, "%s: out of memory for %zu bytes", name, n);
            return RNNC_ENOMEM;
        }
        *buf = nb;
        *cap = *len + n + 1;
    }
    if (n) memcpy(*buf + *len, mem, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static int copy_vocab(const rnnc_vocab *from, rnnc_vocab *to, char *err, size_t errlen)
{
    if (check_vocab(from, err, errlen) != 0) return -1;
    to->mode = from->mode;
    to->symbols = malloc((from->size ? from->size : 1) * sizeof *to->symbols);
    if (!to->symbols) {
        rnnc_fail(err, errlen, "out of memory for the vocabulary");
        return RNNC_ENOMEM;
    }
    if (from->size) memcpy(to->symbols, from->symbols, from->size * sizeof *to->symbols);
    to->size = from->size;
    return 0;
}

/* Bytes mode: buf[start[k]..start[k + 1]) is text k; replace every byte by its index. */
static int encode_in_place(const rnnc_vocab *v, unsigned char *buf, const size_t *start,
                           const rnnc_text_src *src, size_t nsrc, char *err, size_t errlen)
{
    int32_t low[256];
    for (uint32_t c = 0; c < 256; c++) low[c] = rnnc_vocab_index(v, c);
    for (size_t k = 0; k < nsrc; k++)
        for (size_t i = start[k]; i < start[k + 1]; i++) {
            int32_t id = low[buf[i]];
            if (id < 0) {
                /* Undo this text's encoding so far, so the message can name the place. */
                for (size_t j = start[k]; j < i; j++) buf[j] = (unsigned char)v->symbols[buf[j]];
                return missing_symbol(v, buf[i], buf + start[k], i - start[k],
                                      rnnc_file_label(src[k].name), err, errlen);
            }
            buf[i] = (unsigned char)id;
        }
    return 0;
}

/* Bytes mode of rnnc_text_load: one buffer, encoded in place. */
static int load_bytes(const rnnc_text_src *src, size_t nsrc, const rnnc_vocab *fixed,
                      rnnc_vocab *vocab, rnnc_ids *ids, char *err, size_t errlen)
{
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0, *start = malloc((nsrc + 1) * sizeof *start);
    int rc = 0;
    if (!start) {
        rnnc_fail(err, errlen, "out of memory reading the data");
        return RNNC_ENOMEM;
    }
    for (size_t k = 0; k < nsrc && rc == 0; k++) {
        start[k] = len;
        rc = src[k].data ? append_mem(src[k].data, src[k].len, src[k].name, &buf, &len, &cap, err, errlen)
                         : read_append(src[k].name, &buf, &len, &cap, err, errlen);
        if (rc == 0 && len == start[k])
            rc = rnnc_fail(err, errlen, "%s: is empty", rnnc_file_label(src[k].name));
    }
    start[nsrc] = len;
    vocab->mode = RNNC_CHARS_BYTES;
    if (rc == 0 && fixed) rc = copy_vocab(fixed, vocab, err, errlen);
    for (size_t k = 0; k < nsrc && rc == 0 && !fixed; k++)
        rc = rnnc_vocab_add(vocab, buf + start[k], start[k + 1] - start[k], rnnc_file_label(src[k].name),
                            err, errlen);
    if (rc == 0) rc = encode_in_place(vocab, buf, start, src, nsrc, err, errlen);
    if (rc == 0) {
        unsigned char *p = cap > len + 4096 ? realloc(buf, len + 1) : NULL;
        ids->p = p ? p : buf;
        ids->len = len;
        ids->width = 1;
        buf = NULL;
    }
    free(buf);
    free(start);
    return rc;
}

/* UTF-8 mode of rnnc_text_load: each text read whole, encoded, freed. */
static int load_utf8(const rnnc_text_src *src, size_t nsrc, const rnnc_vocab *fixed,
                     rnnc_vocab *vocab, rnnc_ids *ids, char *err, size_t errlen)
{
    unsigned char **owned = calloc(nsrc ? nsrc : 1, sizeof *owned);
    const unsigned char **text = calloc(nsrc ? nsrc : 1, sizeof *text);
    size_t *lens = calloc(nsrc ? nsrc : 1, sizeof *lens);
    int rc = 0;
    if (!owned || !text || !lens) {
        rnnc_fail(err, errlen, "out of memory reading the data");
        rc = RNNC_ENOMEM;
    }
    for (size_t k = 0; k < nsrc && rc == 0; k++) {
        if (src[k].data) text[k] = src[k].data, lens[k] = src[k].len;
        else if ((rc = rnnc_read_file(src[k].name, 0, &owned[k], &lens[k], err, errlen)) == 0)
            text[k] = owned[k];
        if (rc == 0 && lens[k] == 0)
            rc = rnnc_fail(err, errlen, "%s: is empty", rnnc_file_label(src[k].name));
    }
    vocab->mode = RNNC_CHARS_UTF8;
    if (rc == 0 && fixed) rc = copy_vocab(fixed, vocab, err, errlen);
    for (size_t k = 0; k < nsrc && rc == 0 && !fixed; k++)
        rc = rnnc_vocab_add(vocab, text[k], lens[k], rnnc_file_label(src[k].name), err, errlen);
    for (size_t k = 0; k < nsrc && rc == 0; k++) {
        rc = rnnc_text_encode_ids(vocab, text[k], lens[k], rnnc_file_label(src[k].name), ids, err,
                                  errlen);
        free(owned[k]);
        owned[k] = NULL;
    }
    for (size_t k = 0; owned && k < nsrc; k++) free(owned[k]);
    free(owned);
    free(text);
    free(lens);
    return rc;
}

int rnnc_text_load(const rnnc_text_src *src, size_t nsrc, rnnc_chars mode, const rnnc_vocab *fixed,
                   rnnc_vocab *vocab, rnnc_ids *ids, char *err, size_t errlen)
{
    memset(vocab, 0, sizeof *vocab);
    memset(ids, 0, sizeof *ids);
    if (fixed) mode = fixed->mode;
    int rc = mode == RNNC_CHARS_BYTES ? load_bytes(src, nsrc, fixed, vocab, ids, err, errlen)
                                      : load_utf8(src, nsrc, fixed, vocab, ids, err, errlen);
    if (rc != 0) {
        rnnc_vocab_free(vocab);
        rnnc_ids_free(ids);
    }
    return rc;
}

/* ---- CSV --------------------------------------------------------------------------------- */

static int is_blank(unsigned char c) { return c == ' ' || c == '\t'; }

/* Characters (UTF-8 lead or ASCII bytes) in buf[a..b), plus one: the column of b when a is
 * the start of its line. */
static size_t column_of(const unsigned char *buf, size_t a, size_t b)
{
    size_t c = 1;
    for (size_t i = a; i < b; i++)
        if ((buf[i] & 0xC0) != 0x80) c++;
    return c;
}

/* One field of a line: [a, b) as written, [ta, tb) trimmed of spaces and tabs. */
typedef struct field {
    size_t a, b, ta, tb;
} field;

static void trim_field(const unsigned char *buf, field *f)
{
    f->ta = f->a;
    f->tb = f->b;
    while (f->ta < f->tb && is_blank(buf[f->ta])) f->ta++;
    while (f->tb > f->ta && is_blank(buf[f->tb - 1])) f->tb--;
}

/* Header names sorted by (name, index) to find duplicates. */
typedef struct name_ref {
    const char *name;
    size_t index;
} name_ref;

static int cmp_name_ref(const void *pa, const void *pb)
{
    const name_ref *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (c) return c;
    return a->index < b->index ? -1 : a->index > b->index;
}

static int number_error(rnnc_numstat st, const unsigned char *buf, size_t ls, const field *f,
                        const char *path, size_t line, char *err, size_t errlen)
{
    size_t col = column_of(buf, ls, st == RNNC_NUM_EMPTY ? f->a : f->ta);
    if (st == RNNC_NUM_EMPTY)
        return rnnc_fail(err, errlen,
                         "%s:%zu:%zu: expected a number, got an empty field", path, line,
                         col);
    char q[QUOTE_MAX * 8 + 8];
    quote_text(q, sizeof q, buf + f->ta, f->tb - f->ta);
    if (st == RNNC_NUM_RANGE)
        return rnnc_fail(err, errlen,
                         "%s:%zu:%zu: expected a number in the range of a double, got '%s'",
                         path, line, col, q);
    return rnnc_fail(err, errlen, "%s:%zu:%zu: expected a number, got '%s'", path, line, col, q);
}

void rnnc_csv_free(rnnc_csv *c)
{
    if (!c) return;
    if (c->names)
        for (size_t j = 0; j < c->cols; j++) free(c->names[j]);
    free(c->names);
    free(c->values);
    free(c->lines);
    memset(c, 0, sizeof *c);
}

int rnnc_next_line(const unsigned char *buf, size_t n, size_t *pos, size_t *start, size_t *end)
{
    if (*pos >= n) return 0;
    const unsigned char *nl = memchr(buf + *pos, '\n', n - *pos);
    size_t ls = *pos, le = nl ? (size_t)(nl - buf) : n;
    *pos = nl ? le + 1 : n;
    if (le > ls && buf[le - 1] == '\r') le--;
    *start = ls;
    *end = le;
    return 1;
}

/* The CSV reader's state: the file, the line being read and its fields, the table so far. */
typedef struct csv_reader {
    const char *path;
    const unsigned char *buf;
    size_t n;
    size_t line, ls, le;     /* the current line: its number and [ls, le) without the newline */
    field *fields;           /* its fields (room for CSV_MAX_COLS) */
    size_t nf;
    double *row;             /* their values (room for CSV_MAX_COLS) */
    size_t cols, rows;       /* columns (0 before the first row), data rows read */
    rnnc_buf values;         /* the rows' values, doubles, row-major: out->values at the end */
    rnnc_buf lines;          /* each row's line, size_t: out->lines at the end */
    int header;              /* the first row was a header */
    rnnc_csv *out;
    char *err;
    size_t errlen;
} csv_reader;

/* Split the current line at its commas into r->fields (trimmed).  Returns 0, or -1 with a
 * message when it has more than CSV_MAX_COLS fields. */
static int split_line(csv_reader *r)
{
    const unsigned char *buf = r->buf;
    size_t a = r->ls, le = r->le;
    r->nf = 0;
    for (;;) {
        const unsigned char *comma = memchr(buf + a, ',', le - a);
        size_t b = comma ? (size_t)(comma - buf) : le;
        if (r->nf == CSV_MAX_COLS) {
            size_t total = r->nf;
            for (size_t i = a; i < le; i++) total += buf[i] == ',';
            return rnnc_fail(r->err, r->errlen, "%s:%zu: too many columns (%zu; at most %d)", r->path,
                             r->line, total + 1, CSV_MAX_COLS);
        }
        field *f = &r->fields[r->nf++];
        f->a = a;
        f->b = b;
        trim_field(buf, f);
        if (!comma) return 0;
        a = b + 1;
    }
}

/* Is the current line (the first row) a header: is any field not a number?  Empty fields and
 * out-of-range numbers do not make a header: they are reported as errors of a data row. */
static int is_header(const csv_reader *r)
{
    for (size_t j = 0; j < r->nf; j++) {
        double d;
        const field *f = &r->fields[j];
        if (rnnc_parse_decimal(r->buf + f->ta, f->tb - f->ta, 0, &d) == RNNC_NUM_BAD) return 1;
    }
    return 0;
}

/* The current line's fields as column names (out->names, out->cols set so that rnnc_csv_free
 * frees them): none empty, none with a control character.  Returns 0, or -1 with a message
 * naming the first bad field's column. */
static int read_names(csv_reader *r)
{
    const unsigned char *buf = r->buf;
    rnnc_csv *out = r->out;
    if (!(out->names = calloc(r->nf, sizeof *out->names))) {
        rnnc_fail(r->err, r->errlen, "%s: out of memory", r->path);
        return RNNC_ENOMEM;
    }
    out->cols = r->nf;
    for (size_t j = 0; j < r->nf; j++) {
        const field *f = &r->fields[j];
        if (f->ta == f->tb)
            return rnnc_fail(r->err, r->errlen, "%s:%zu:%zu: empty column name", r->path, r->line,
                             column_of(buf, r->ls, f->a));
        for (size_t i = f->ta; i < f->tb; i++)
            if (buf[i] < 0x20 || buf[i] == 0x7f) {
                char q[16];
                show_symbol(q, buf[i], 0);
                return rnnc_fail(r->err, r->errlen, "%s:%zu:%zu: control character '%s' in a column name",
                                 r->path, r->line, column_of(buf, r->ls, i), q);
            }
        if (!(out->names[j] = malloc(f->tb - f->ta + 1))) {
            rnnc_fail(r->err, r->errlen, "%s: out of memory", r->path);
            return RNNC_ENOMEM;
        }
        memcpy(out->names[j], buf + f->ta, f->tb - f->ta);
        out->names[j][f->tb - f->ta] = '\0';
    }
    return 0;
}

/* No two of the header's names (read_names) alike.  Returns 0, or -1 with a message naming the
 * earliest column whose name an earlier column already has, and that column. */
static int check_unique_names(csv_reader *r)
{
    size_t nf = r->nf;
    name_ref *refs = malloc(nf * sizeof *refs);
    if (!refs) {
        rnnc_fail(r->err, r->errlen, "%s: out of memory", r->path);
        return RNNC_ENOMEM;
    }
    for (size_t j = 0; j < nf; j++) refs[j] = (name_ref){r->out->names[j], j};
    qsort(refs, nf, sizeof *refs, cmp_name_ref);
    size_t dup = SIZE_MAX, first = 0, head = 0;
    for (size_t j = 1; j < nf; j++) {
        if (strcmp(refs[j].name, refs[j - 1].name) != 0) {
            head = j;
            continue;
        }
        if (refs[j].index < dup) {   /* the earliest repeated name in the row */
            dup = refs[j].index;
            first = refs[head].index;
        }
    }
    free(refs);
    if (dup == SIZE_MAX) return 0;
    char q[QUOTE_MAX * 8 + 8];
    const field *f = &r->fields[dup];
    quote_text(q, sizeof q, r->buf + f->ta, f->tb - f->ta);
    return rnnc_fail(r->err, r->errlen, "%s:%zu:%zu: duplicate column name '%s' (also column %zu)",
                     r->path, r->line, column_of(r->buf, r->ls, f->ta), q, first + 1);
}

/* Append the current line's fields, every one a number, as a row of the table (r->values,
 * r->lines).  Returns 0, or -1 with a message (FILE:LINE:COL for a field that is not a number).
 * Running out of memory for the row is reported before a field that is not a number. */
static int add_row(csv_reader *r)
{
    size_t rows = r->rows, cols = r->cols;
    if (rows == SIZE_MAX || rows + 1 > SIZE_MAX / sizeof(double) / cols)
        return rnnc_fail(r->err, r->errlen, "%s:%zu: too many rows", r->path, r->line);
    size_t bad = r->nf;   /* the first field that is not a number, and why */
    rnnc_numstat st = RNNC_NUM_OK;
    for (size_t j = 0; j < r->nf && bad == r->nf; j++) {
        const field *f = &r->fields[j];
        st = rnnc_parse_decimal(r->buf + f->ta, f->tb - f->ta, 0, &r->row[j]);
        if (st != RNNC_NUM_OK) bad = j;
    }
    rnnc_buf_put(&r->values, r->row, cols * sizeof *r->row);
    rnnc_buf_put(&r->lines, &r->line, sizeof r->line);
    if (r->values.oom || r->lines.oom) {
        rnnc_fail(r->err, r->errlen, "%s:%zu: out of memory for %zu rows", r->path, r->line, rows + 1);
        return RNNC_ENOMEM;
    }
    if (bad < r->nf)
        return number_error(st, r->buf, r->ls, &r->fields[bad], r->path, r->line, r->err, r->errlen);
    r->rows++;
    return 0;
}

/* Every line of r->buf in turn: blank and comment lines skipped, the first row a header or
 * data, the others data with as many columns.  Returns 0, or -1 (RNNC_ENOMEM when memory ran
 * out) with a message. */
static int read_lines(csv_reader *r)
{
    size_t pos = 0;
    /* A UTF-8 byte order mark is not part of the first line. */
    if (r->n >= 3 && r->buf[0] == 0xEF && r->buf[1] == 0xBB && r->buf[2] == 0xBF) pos = 3;
    while (rnnc_next_line(r->buf, r->n, &pos, &r->ls, &r->le)) {
        r->line++;
        size_t p = r->ls;
        while (p < r->le && is_blank(r->buf[p])) p++;
        if (p == r->le || r->buf[p] == '#') continue;
        if (split_line(r) != 0) return -1;
        if (r->cols == 0) {
            r->cols = r->nf;
            r->header = is_header(r);
            if (r->header) {
                int rc = read_names(r);
                if (rc == 0) rc = check_unique_names(r);
                if (rc != 0) return rc;
                continue;
            }
        } else if (r->nf != r->cols) {
            return rnnc_fail(r->err, r->errlen, "%s:%zu: expected %zu columns, got %zu", r->path, r->line,
                             r->cols, r->nf);
        }
        int rc = add_row(r);
        if (rc != 0) return rc;
    }
    return 0;
}

int rnnc_csv_parse(const unsigned char *buf, size_t n, const char *path, rnnc_csv *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    csv_reader r = {.path = path, .buf = buf, .n = n, .out = out, .err = err, .errlen = errlen};
    int rc = -1;
    r.fields = malloc(CSV_MAX_COLS * sizeof *r.fields);
    r.row = malloc(CSV_MAX_COLS * sizeof *r.row);
    if (!r.fields || !r.row) {
        rnnc_fail(err, errlen, "%s: out of memory", path);
        rc = RNNC_ENOMEM;
    } else if ((rc = read_lines(&r)) == 0) {
        if (r.rows == 0 && r.header) rc = rnnc_fail(err, errlen, "%s: has a header but no data rows", path);
        else if (r.rows == 0) rc = rnnc_fail(err, errlen, "%s: has no data rows (only blank or comment lines)", path);
        out->rows = r.rows;
        out->cols = r.cols;
    }
    if (rc == 0) {   /* rows > 0 and no allocation failed: both buffers hold data */
        out->values = (double *)(void *)rnnc_buf_take(&r.values, NULL);
        out->lines = (size_t *)(void *)rnnc_buf_take(&r.lines, NULL);
    }
    rnnc_buf_free(&r.values);
    rnnc_buf_free(&r.lines);
    free(r.fields);
    free(r.row);
    if (rc != 0) rnnc_csv_free(out);
    return rc;
}

int rnnc_csv_read(const char *file, rnnc_csv *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    unsigned char *buf;
    size_t n;
    int rc = rnnc_read_file(file, 0, &buf, &n, err, errlen);
    if (rc != 0) return rc;
    rc = rnnc_csv_parse(buf, n, rnnc_file_label(file), out, err, errlen);   /* "-": standard input */
    free(buf);
    return rc;
}

long rnnc_csv_column(const rnnc_csv *c, const char *name)
{
    if (!c || !c->names || !name) return -1;
    for (size_t j = 0; j < c->cols; j++)
        if (c->names[j] && strcmp(c->names[j], name) == 0) return (long)j;
    return -1;
}
