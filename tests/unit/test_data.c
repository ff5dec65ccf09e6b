/* test_data.c: training data (runtime/formats/data.h) and loss plots (runtime/commands/plot.h).
 *
 *   test_data
 *
 * Text as bytes and as UTF-8: the vocabulary built over two files (sorted, unique), index
 * lookup, encoding and its round trip through rnnc_symbol_bytes, symbols missing from the
 * vocabulary and every kind of invalid UTF-8 reported at FILE:LINE:COL, empty and missing
 * files.  CSV: with and without a header, comments, blank lines, CRLF, every error kind with
 * its exact location, rnnc_csv_column.  Plots: a log becomes an SVG (with a polyline, the same
 * bytes every time, small when the log is long), a single row still draws, bad logs are refused
 * with FILE:LINE and leave no file behind.
 *
 * Inputs are written under $TESTS_TMP/test_data (or a fresh directory under /tmp).
 * Output: "ok data/NAME" or "FAIL data/NAME: why"; exit status 1 if anything failed. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/formats/data.h"
#include "../../runtime/commands/plot.h"
#include "../lib/testlib.h"

static const char *dir;   /* tl_workdir */

/* err must be exactly want after a failed call. */
static void expect_err(int rc, const char *err, const char *want, const char *name)
{
    tl_expect(rc != 0 && strcmp(err, want) == 0, name, "rc %d, message '%s', expected '%s'", rc,
              rc ? err : "", want);
}

/* Write data[0..n) to the file name in the test directory; returns its path. */
static const char *write_file(const char *name, const void *data, size_t n)
{
    return tl_write(tl_path(name), data, n);
}

#define WRITE_STR(name, s) write_file(name, s, sizeof s - 1)

/* ---- text -------------------------------------------------------------------------------- */

static int same_symbols(const rnnc_vocab *v, const uint32_t *want, size_t n)
{
    if (v->size != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (v->symbols[i] != want[i]) return 0;
    return 1;
}

/* Encode buf with v and decode it again with rnnc_symbol_bytes: same bytes? */
static int round_trip(const rnnc_vocab *v, const unsigned char *buf, size_t n, char *err,
                      size_t errlen)
{
    int32_t *ids = NULL;
    size_t len = 0, cap = 0;
    if (rnnc_text_encode(v, buf, n, "rt", &ids, &len, &cap, err, errlen) != 0) return 0;
    unsigned char *back = malloc(4 * len + 1);
    size_t o = 0;
    int ok = back != NULL;
    for (size_t i = 0; ok && i < len; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= v->size) ok = 0;
        else o += rnnc_symbol_bytes(v->mode, v->symbols[ids[i]], (char *)back + o);
    }
    ok = ok && o == n && memcmp(back, buf, n) == 0;
    if (!ok) snprintf(err, errlen, "decoded %zu bytes differ from the %zu encoded", o, n);
    free(back);
    free(ids);
    return ok;
}

static void test_bytes(void)
{
    char err[1024];
    static const char a[] = "hello\n";
    static const char b[] = "world\0\xff";   /* with a NUL and a byte >= 0x80, no newline */
    const char *pa = WRITE_STR("bytes_a.txt", a);
    const char *pb = write_file("bytes_b.txt", b, sizeof b - 1);
    unsigned char *ba = NULL, *bb = NULL;
    size_t na = 0, nb = 0;
    int rc = rnnc_read_file(pa, 0, &ba, &na, err, sizeof err);
    rc |= rnnc_read_file(pb, 0, &bb, &nb, err, sizeof err);
    tl_expect(rc == 0 && na == 6 && nb == 7 && ba[na] == 0 && bb[nb] == 0 && bb[5] == 0,
              "read-file", "rc %d, sizes %zu %zu: %s", rc, na, nb, rc ? err : "");
    if (rc) return;

    rnnc_vocab v = {RNNC_CHARS_BYTES, 0, NULL};
    rc = rnnc_vocab_add(&v, ba, na, pa, err, sizeof err);
    rc |= rnnc_vocab_add(&v, bb, nb, pb, err, sizeof err);
    static const uint32_t want[] = {0, '\n', 'd', 'e', 'h', 'l', 'o', 'r', 'w', 0xff};
    tl_expect(rc == 0 && same_symbols(&v, want, 10), "bytes/vocab-two-files-sorted",
              "rc %d, size %zu: %s", rc, v.size, rc ? err : "");
    rc = rnnc_vocab_add(&v, ba, na, pa, err, sizeof err);
    tl_expect(rc == 0 && same_symbols(&v, want, 10), "bytes/vocab-add-again-unchanged", "size %zu",
              v.size);
    tl_expect(rnnc_vocab_index(&v, 0) == 0 && rnnc_vocab_index(&v, 'h') == 4 &&
                  rnnc_vocab_index(&v, 0xff) == 9 && rnnc_vocab_index(&v, 'z') == -1 &&
                  rnnc_vocab_index(&v, 0x100) == -1,
              "bytes/index", "h -> %d, z -> %d", (int)rnnc_vocab_index(&v, 'h'),
              (int)rnnc_vocab_index(&v, 'z'));
    tl_expect(round_trip(&v, ba, na, err, sizeof err) && round_trip(&v, bb, nb, err, sizeof err),
              "bytes/encode-round-trip", "%s", err);

    /* Two files appended to one id array. */
    int32_t *ids = NULL;
    size_t len = 0, cap = 0;
    rc = rnnc_text_encode(&v, ba, na, pa, &ids, &len, &cap, err, sizeof err);
    rc |= rnnc_text_encode(&v, bb, nb, pb, &ids, &len, &cap, err, sizeof err);
    tl_expect(rc == 0 && len == 13 && cap >= len && ids[0] == 4 && ids[5] == 1 && ids[6] == 8 &&
                  ids[11] == 0 && ids[12] == 9,
              "bytes/encode-appends", "rc %d len %zu", rc, len);

    /* Missing symbols: location, the character shown escaped, the ids untouched. */
    static const char m1[] = "he\nwoz";
    rc = rnnc_text_encode(&v, (const unsigned char *)m1, sizeof m1 - 1, "m.txt", &ids, &len,
                          &cap, err, sizeof err);
    expect_err(rc, err, "m.txt:2:3: character 'z' (U+007A) is not in the model's vocabulary",
               "bytes/missing-symbol-message");
    tl_expect(len == 13, "bytes/missing-symbol-leaves-ids", "len %zu", len);
    static const char m2[] = "hello\r\n";
    rc = rnnc_text_encode(&v, (const unsigned char *)m2, sizeof m2 - 1, "crlf.txt", &ids, &len,
                          &cap, err, sizeof err);
    expect_err(rc, err,
               "crlf.txt:1:6: character '\\r' (U+000D) is not in the model's vocabulary",
               "bytes/missing-control-character-escaped");
    static const char m3[] = "oh\x80";
    rc = rnnc_text_encode(&v, (const unsigned char *)m3, sizeof m3 - 1, "hi.txt", &ids, &len,
                          &cap, err, sizeof err);
    expect_err(rc, err, "hi.txt:1:3: byte '\\x80' (0x80) is not in the model's vocabulary",
               "bytes/missing-high-byte");
    static const char m4[] = "\n\n\x01";
    rc = rnnc_text_encode(&v, (const unsigned char *)m4, sizeof m4 - 1, "name\nwith newline",
                          &ids, &len, &cap, err, sizeof err);
    tl_expect(rc != 0 && !strchr(err, '\n') && strstr(err, ":3:1: character '\\x01' (U+0001)"),
              "bytes/message-is-one-line", "%s", err);
    free(ids);

    /* In bytes mode invalid UTF-8 is just bytes. */
    rnnc_vocab w = {RNNC_CHARS_BYTES, 0, NULL};
    static const char bad[] = "\xc0\xaf\xed\xa0\x80\xff";
    rc = rnnc_vocab_add(&w, (const unsigned char *)bad, sizeof bad - 1, "bad", err, sizeof err);
    tl_expect(rc == 0 && w.size == 6, "bytes/invalid-utf8-is-fine", "rc %d size %zu", rc, w.size);
    rnnc_vocab_free(&w);
    rnnc_vocab_free(&v);
    free(ba);
    free(bb);
}

static void test_utf8(void)
{
    char err[1024];
    static const char a[] = "h\xc3\xa9llo\n";                     /* héllo */
    static const char b[] = "w\xc3\xb6rld \xf0\x9f\x98\x80\r\n";  /* wörld 😀 CRLF */
    unsigned char *ba = NULL, *bb = NULL;
    size_t na, nb;
    int rc = rnnc_read_file(WRITE_STR("utf8_a.txt", a), 0, &ba, &na, err, sizeof err);
    rc |= rnnc_read_file(WRITE_STR("utf8_b.txt", b), 0, &bb, &nb, err, sizeof err);
    if (rc) {
        tl_expect(0, "utf8/read", "%s", err);
        return;
    }
    rnnc_vocab v = {RNNC_CHARS_UTF8, 0, NULL};
    rc = rnnc_vocab_add(&v, ba, na, "utf8_a.txt", err, sizeof err);
    rc |= rnnc_vocab_add(&v, bb, nb, "utf8_b.txt", err, sizeof err);
    static const uint32_t want[] = {'\n', '\r', ' ', 'd', 'h', 'l', 'o', 'r', 'w', 0xe9, 0xf6, 0x1f600};
    tl_expect(rc == 0 && same_symbols(&v, want, 12), "utf8/vocab-two-files-sorted",
              "rc %d, size %zu: %s", rc, v.size, rc ? err : "");
    tl_expect(rnnc_vocab_index(&v, 0x1f600) == 11 && rnnc_vocab_index(&v, 0xe9) == 9 &&
                  rnnc_vocab_index(&v, '\n') == 0 && rnnc_vocab_index(&v, 0x20ac) == -1 &&
                  rnnc_vocab_index(&v, 0x10ffff) == -1,
              "utf8/index", "U+1F600 -> %d", (int)rnnc_vocab_index(&v, 0x1f600));
    tl_expect(round_trip(&v, ba, na, err, sizeof err) && round_trip(&v, bb, nb, err, sizeof err),
              "utf8/encode-round-trip", "%s", err);

    int32_t *ids = NULL;
    size_t len = 0, cap = 0;
    rc = rnnc_text_encode(&v, bb, nb, "b", &ids, &len, &cap, err, sizeof err);
    tl_expect(rc == 0 && len == 9 && ids[1] == 10 && ids[6] == 11 && ids[7] == 1 && ids[8] == 0,
              "utf8/encode-one-id-per-character", "rc %d len %zu", rc, len);
    static const char m1[] = "h\xc3\xa9\nw\xc3\xa9\xe2\x82\xac";   /* hé / wé€ */
    rc = rnnc_text_encode(&v, (const unsigned char *)m1, sizeof m1 - 1, "m.txt", &ids, &len,
                          &cap, err, sizeof err);
    expect_err(rc, err,
               "m.txt:2:3: character '\xe2\x82\xac' (U+20AC) is not in the model's vocabulary",
               "utf8/missing-symbol-column-counts-characters");
    tl_expect(len == 9, "utf8/missing-symbol-leaves-ids", "len %zu", len);
    static const char m2[] = "wo\xc2\x85";   /* U+0085, a C1 control */
    rc = rnnc_text_encode(&v, (const unsigned char *)m2, sizeof m2 - 1, "c1", &ids, &len, &cap,
                          err, sizeof err);
    expect_err(rc, err, "c1:1:3: character '\\u0085' (U+0085) is not in the model's vocabulary",
               "utf8/missing-c1-control-escaped");
    free(ids);

    /* NUL is an ordinary character, U+0000. */
    rnnc_vocab z = {RNNC_CHARS_UTF8, 0, NULL};
    static const char nul[] = "a\0b";
    rc = rnnc_vocab_add(&z, (const unsigned char *)nul, 3, "nul", err, sizeof err);
    tl_expect(rc == 0 && z.size == 3 && z.symbols[0] == 0 && round_trip(&z, (const unsigned char *)nul, 3, err, sizeof err),
              "utf8/nul-is-a-character", "rc %d size %zu", rc, z.size);
    rnnc_vocab_free(&z);
    rnnc_vocab_free(&v);
    free(ba);
    free(bb);

    char out[4];
    size_t k = rnnc_symbol_bytes(RNNC_CHARS_UTF8, 'A', out);
    int ok = k == 1 && out[0] == 'A';
    k = rnnc_symbol_bytes(RNNC_CHARS_UTF8, 0xe9, out);
    ok = ok && k == 2 && memcmp(out, "\xc3\xa9", 2) == 0;
    k = rnnc_symbol_bytes(RNNC_CHARS_UTF8, 0x20ac, out);
    ok = ok && k == 3 && memcmp(out, "\xe2\x82\xac", 3) == 0;
    k = rnnc_symbol_bytes(RNNC_CHARS_UTF8, 0x10ffff, out);
    ok = ok && k == 4 && memcmp(out, "\xf4\x8f\xbf\xbf", 4) == 0;
    k = rnnc_symbol_bytes(RNNC_CHARS_BYTES, 0xff, out);
    ok = ok && k == 1 && (unsigned char)out[0] == 0xff;
    k = rnnc_symbol_bytes(RNNC_CHARS_UTF8, 0xd800, out);
    ok = ok && k == 3 && memcmp(out, "\xef\xbf\xbd", 3) == 0;
    tl_expect(ok, "utf8/symbol-bytes", "wrong encoding");
}

static void test_invalid_utf8(void)
{
    static const struct {
        const char *name, *text, *want;
        size_t n;
    } cases[] = {
        {"overlong-2-byte", "ab\n\xc0\xaf", "f:2:1: invalid UTF-8: overlong encoding of U+002F", 5},
        {"overlong-3-byte", "x\xe0\x80\xaf", "f:1:2: invalid UTF-8: overlong encoding of U+002F", 4},
        {"overlong-4-byte", "\xf0\x82\x82\xac", "f:1:1: invalid UTF-8: overlong encoding of U+20AC", 4},
        {"surrogate", "\xc3\xa9\xed\xa0\x80", "f:1:2: invalid UTF-8: encoded UTF-16 surrogate U+D800", 5},
        {"above-10ffff", "\n\n\xf4\x90\x80\x80", "f:3:1: invalid UTF-8: code point U+110000 is above U+10FFFF", 6},
        {"above-10ffff-f5", "\xf5\x80\x80\x80", "f:1:1: invalid UTF-8: code point U+140000 is above U+10FFFF", 4},
        {"truncated-at-end", "abc\xe2\x82", "f:1:4: invalid UTF-8: truncated sequence (lead byte 0xE2 without all its continuation bytes)", 5},
        {"truncated-mid", "\xe2\x82x", "f:1:1: invalid UTF-8: truncated sequence (lead byte 0xE2 without all its continuation bytes)", 3},
        {"stray-continuation", "a\x80", "f:1:2: invalid UTF-8: unexpected continuation byte 0x80", 2},
        {"invalid-byte", "\xc3\xa9\n\xe2\x82\xac\xe2\x82\xac\xff", "f:2:3: invalid UTF-8: byte 0xFF never occurs in UTF-8", 10},
        {"crlf-counts-cr", "a\r\nb\r\xfe", "f:2:3: invalid UTF-8: byte 0xFE never occurs in UTF-8", 6},
    };
    char err[1024], name[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rnnc_vocab v = {RNNC_CHARS_UTF8, 0, NULL};
        static const char seed[] = "abc";
        int rc0 = rnnc_vocab_add(&v, (const unsigned char *)seed, 3, "seed", err, sizeof err);
        int rc = rnnc_vocab_add(&v, (const unsigned char *)cases[i].text, cases[i].n, "f", err,
                                sizeof err);
        snprintf(name, sizeof name, "utf8-invalid/%s/vocab", cases[i].name);
        expect_err(rc0 == 0 ? rc : 0, err, cases[i].want, name);
        snprintf(name, sizeof name, "utf8-invalid/%s/vocab-unchanged", cases[i].name);
        tl_expect(v.size == 3, name, "size %zu", v.size);
        /* The encoder reports the same place (every valid character is in this vocabulary). */
        rnnc_vocab all = {RNNC_CHARS_UTF8, 0, NULL};
        all.symbols = malloc(0x110000 * sizeof *all.symbols);
        for (uint32_t c = 0; c < 0x110000; c++) all.symbols[all.size++] = c;
        int32_t *ids = NULL;
        size_t len = 0, cap = 0;
        rc = rnnc_text_encode(&all, (const unsigned char *)cases[i].text, cases[i].n, "f", &ids,
                              &len, &cap, err, sizeof err);
        snprintf(name, sizeof name, "utf8-invalid/%s/encode", cases[i].name);
        expect_err(rc, err, cases[i].want, name);
        free(ids);
        rnnc_vocab_free(&all);
        rnnc_vocab_free(&v);
    }
}

static void test_files(void)
{
    char err[1024], want[2600];
    static unsigned char dummy[1];
    unsigned char *buf = dummy;
    size_t n = 7;
    const char *p = write_file("empty.txt", "", 0);
    int rc = rnnc_read_file(p, 0, &buf, &n, err, sizeof err);
    snprintf(want, sizeof want, "%s: is empty", p);
    expect_err(rc, err, want, "files/empty-refused");
    tl_expect(buf == NULL && n == 0, "files/empty-refused-outputs-cleared", "n %zu", n);
    rc = rnnc_read_file(p, 1, &buf, &n, err, sizeof err);
    tl_expect(rc == 0 && n == 0 && buf && buf[0] == 0, "files/empty-allowed", "rc %d: %s", rc, err);
    rnnc_vocab v = {RNNC_CHARS_UTF8, 0, NULL};
    int32_t *ids = NULL;
    size_t len = 0, cap = 0;
    rc = rnnc_vocab_add(&v, buf, n, p, err, sizeof err);
    rc |= rnnc_text_encode(&v, buf, n, p, &ids, &len, &cap, err, sizeof err);
    tl_expect(rc == 0 && v.size == 0 && len == 0, "files/empty-text-adds-nothing", "rc %d", rc);
    free(ids);
    free(buf);
    rnnc_vocab_free(&v);

    p = tl_path("does-not-exist.txt");
    rc = rnnc_read_file(p, 1, &buf, &n, err, sizeof err);
    snprintf(want, sizeof want, "%s: cannot open: %s", p, strerror(ENOENT));
    expect_err(rc, err, want, "files/missing");
    rc = rnnc_read_file(dir, 1, &buf, &n, err, sizeof err);
    snprintf(want, sizeof want, "%s: cannot read: ", dir);
    tl_expect(rc != 0 && strncmp(err, want, strlen(want)) == 0, "files/directory", "%s", err);

    /* A file bigger than the first read buffer. */
    size_t big = 1000003;
    char *data = malloc(big);
    for (size_t i = 0; i < big; i++) data[i] = (char)('a' + i % 26);
    p = write_file("big.txt", data, big);
    rc = rnnc_read_file(p, 0, &buf, &n, err, sizeof err);
    tl_expect(rc == 0 && n == big && memcmp(buf, data, big) == 0 && buf[n] == 0, "files/big",
              "rc %d n %zu", rc, n);
    if (rc == 0) free(buf);
    free(data);
}

/* ---- CSV --------------------------------------------------------------------------------- */

static void csv_error(const char *name, const char *text, size_t n, const char *want_tail)
{
    char fname[160], err[1024], want[2600], tname[200];
    snprintf(fname, sizeof fname, "csv_%s.csv", name);
    const char *p = write_file(fname, text, n);
    rnnc_csv c;
    memset(&c, 0xab, sizeof c);
    int rc = rnnc_csv_read(p, &c, err, sizeof err);
    snprintf(want, sizeof want, "%s%s", p, want_tail);
    snprintf(tname, sizeof tname, "csv-error/%s", name);
    expect_err(rc, err, want, tname);
    snprintf(tname, sizeof tname, "csv-error/%s/cleared", name);
    tl_expect(c.rows == 0 && c.cols == 0 && !c.values && !c.names, tname, "output not cleared");
}

#define CSV_ERROR(name, text, want) csv_error(name, text, sizeof text - 1, want)

static void test_csv(void)
{
    char err[1024];
    rnnc_csv c;
    const char *p = WRITE_STR("h.csv", " x , y \n1,2\n3.5, -4e2\n+.5,6.\n");
    int rc = rnnc_csv_read(p, &c, err, sizeof err);
    tl_expect(rc == 0 && c.rows == 3 && c.cols == 2 && c.names && strcmp(c.names[0], "x") == 0 &&
                  strcmp(c.names[1], "y") == 0 && c.values[0] == 1 && c.values[1] == 2 &&
                  c.values[2] == 3.5 && c.values[3] == -400 && c.values[4] == 0.5 && c.values[5] == 6,
              "csv/header", "rc %d: %s", rc, rc ? err : "");
    tl_expect(rc == 0 && rnnc_csv_column(&c, "y") == 1 && rnnc_csv_column(&c, "x") == 0 &&
                  rnnc_csv_column(&c, "z") == -1 && rnnc_csv_column(&c, " x ") == -1,
              "csv/column", "y -> %ld", rc == 0 ? rnnc_csv_column(&c, "y") : -9L);
    rnnc_csv_free(&c);

    p = WRITE_STR("n.csv", "1,2,3\n-4,5e-3,6E+2\n");
    rc = rnnc_csv_read(p, &c, err, sizeof err);
    tl_expect(rc == 0 && c.rows == 2 && c.cols == 3 && !c.names && c.values[3] == -4 &&
                  c.values[4] == 5e-3 && c.values[5] == 600 && rnnc_csv_column(&c, "1") == -1,
              "csv/no-header", "rc %d: %s", rc, rc ? err : "");
    rnnc_csv_free(&c);

    p = WRITE_STR("c.csv", "# comment\n\n   \t\r\na,b\r\n# mid, comment\n 1 ,\t2\r\n\r\n  # indented\n3,4");
    rc = rnnc_csv_read(p, &c, err, sizeof err);
    tl_expect(rc == 0 && c.rows == 2 && c.cols == 2 && c.names && strcmp(c.names[1], "b") == 0 &&
                  c.values[0] == 1 && c.values[3] == 4,
              "csv/comments-blank-crlf-no-final-newline", "rc %d: %s", rc, rc ? err : "");
    rnnc_csv_free(&c);

    p = WRITE_STR("bom.csv", "\xef\xbb\xbf" "a\n1\n");
    rc = rnnc_csv_read(p, &c, err, sizeof err);
    tl_expect(rc == 0 && c.names && strcmp(c.names[0], "a") == 0 && c.rows == 1,
              "csv/byte-order-mark", "rc %d: %s", rc, rc ? err : "");
    rnnc_csv_free(&c);

    /* 4096 columns are fine, 4097 are not. */
    size_t cap = 4097 * 2 + 8;
    char *wide = malloc(cap);
    size_t o = 0;
    for (int j = 0; j < 4096; j++) wide[o++] = '7', wide[o++] = j < 4095 ? ',' : '\n';
    p = write_file("w4096.csv", wide, o);
    rc = rnnc_csv_read(p, &c, err, sizeof err);
    tl_expect(rc == 0 && c.cols == 4096 && c.rows == 1, "csv/4096-columns", "rc %d: %s", rc, err);
    rnnc_csv_free(&c);
    wide[o - 1] = ',';
    wide[o++] = '7';
    csv_error("4097-columns", wide, o, ":1: too many columns (4097; at most 4096)");
    free(wide);

    CSV_ERROR("nan", "a,b\n1,nan\n", ":2:3: expected a number, got 'nan'");
    CSV_ERROR("inf", "a,b\n1,2\n-inf,2\n", ":3:1: expected a number, got '-inf'");
    CSV_ERROR("hex", "1,2\n1,0x10\n", ":2:3: expected a number, got '0x10'");
    CSV_ERROR("empty-field", "a,b\n1,\n", ":2:3: expected a number, got an empty field");
    CSV_ERROR("empty-first-field", "a,b\n,1\n", ":2:1: expected a number, got an empty field");
    CSV_ERROR("blank-field", "a,b\n1,  \n", ":2:3: expected a number, got an empty field");
    CSV_ERROR("trailing-junk", "a,b\n1,  2.5x\n", ":2:5: expected a number, got '2.5x'");
    CSV_ERROR("junk-after-space", "a,b\n1,7 q\n", ":2:3: expected a number, got '7 q'");
    CSV_ERROR("lone-dot", "a\n.\n", ":2:1: expected a number, got '.'");
    CSV_ERROR("exponent-without-digits", "a\n1e\n", ":2:1: expected a number, got '1e'");
    CSV_ERROR("out-of-range", "a\n1e999\n", ":2:1: expected a number in the range of a double, got '1e999'");
    CSV_ERROR("nul-in-field", "a,b\n1,2\0\n", ":2:3: expected a number, got '2\\x00'");
    CSV_ERROR("cr-in-field", "a,b\n1,2\r3\n", ":2:3: expected a number, got '2\\r3'");
    CSV_ERROR("utf8-columns", "\xc3\xa9,b\n1,\xc3\xa9t\xc3\xa9\n", ":2:3: expected a number, got '\xc3\xa9t\xc3\xa9'");
    CSV_ERROR("empty-field-first-row", "1,,2\n", ":1:3: expected a number, got an empty field");
    CSV_ERROR("out-of-range-first-row", "1e999,1\n",
              ":1:1: expected a number in the range of a double, got '1e999'");
    CSV_ERROR("ragged-more", "a,b\n1,2\n1,2,3\n", ":3: expected 2 columns, got 3");
    CSV_ERROR("ragged-fewer", "1,2,3\n# c\n\n4,5\n", ":4: expected 3 columns, got 2");
    CSV_ERROR("duplicate-name", "a,b, a\n1,2,3\n", ":1:6: duplicate column name 'a' (also column 1)");
    CSV_ERROR("duplicate-name-utf8", "\xc3\xa9,b,b\n1,2,3\n", ":1:5: duplicate column name 'b' (also column 2)");
    CSV_ERROR("empty-name", "a,,b\n1,2,3\n", ":1:3: empty column name");
    CSV_ERROR("nul-in-name", "a\0z,b\n1,2\n", ":1:2: control character '\\x00' in a column name");
    CSV_ERROR("header-no-rows", "# c\na,b\n\n# d\n", ": has a header but no data rows");
    CSV_ERROR("no-rows", "# only\n\n", ": has no data rows (only blank or comment lines)");
    CSV_ERROR("empty-file", "", ": is empty");
    char err2[1024];
    p = tl_path("no-such.csv");
    rc = rnnc_csv_read(p, &c, err2, sizeof err2);
    tl_expect(rc != 0 && strstr(err2, ": cannot open: ") && c.values == NULL, "csv-error/missing-file",
              "%s", err2);
    /* A long junk field is quoted in part; the message stays short. */
    char longf[2100] = "a\n";
    memset(longf + 2, 'z', 2000);
    longf[2002] = '\n';
    csv_error("long-field", longf, 2003,
              ":2:1: expected a number, got 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...'");
}

/* ---- plots ------------------------------------------------------------------------------- */

static char *slurp(const char *p, size_t *n)
{
    unsigned char *b;
    char err[1024];
    if (rnnc_read_file(p, 1, &b, n, err, sizeof err) != 0) return NULL;
    return (char *)b;
}

static size_t count(const char *s, const char *needle)
{
    size_t k = 0;
    for (const char *q = s; (q = strstr(q, needle)); q += strlen(needle)) k++;
    return k;
}

/* The SVG checks every chart must pass; returns a reason or NULL. */
static const char *svg_problem(const char *s, size_t n)
{
    const char *body = s;
    if (strncmp(body, "<?xml", 5) == 0) {
        body = strstr(body, "?>");
        if (!body) return "unterminated XML declaration";
        body += 2;
        while (*body == '\n' || *body == ' ') body++;
    }
    if (strncmp(body, "<svg", 4) != 0) return "does not start with <svg";
    if (strlen(s) != n) return "contains a NUL byte";
    if (n < 7 || strcmp(s + n - 7, "</svg>\n") != 0) return "does not end with </svg>";
    if (strstr(s, "<script") || strstr(s, "href") || strstr(s, "url(") || strstr(s, "@import"))
        return "has a script or an external reference";
    if (count(s, "<") != count(s, ">")) return "unbalanced angle brackets";
    return NULL;
}

static void plot_error(const char *name, const char *text, size_t n, const char *want_tail)
{
    char fname[160], sname[160], err[1024], want[2600], tname[200];
    snprintf(fname, sizeof fname, "plot_%s.csv", name);
    snprintf(sname, sizeof sname, "plot_%s.svg", name);
    const char *p = write_file(fname, text, n);
    const char *s = tl_path(sname);
    unlink(s);
    int rc = rnnc_plot_log(p, s, err, sizeof err);
    snprintf(want, sizeof want, "%s%s", p, want_tail);
    snprintf(tname, sizeof tname, "plot-error/%s", name);
    expect_err(rc, err, want, tname);
    snprintf(tname, sizeof tname, "plot-error/%s/no-svg-written", name);
    tl_expect(access(s, F_OK) != 0, tname, "%s exists", s);
}

#define PLOT_ERROR(name, text, want) plot_error(name, text, sizeof text - 1, want)

static void test_plot(void)
{
    char err[1024];
    static const char small[] = "step,loss,bpc,lr,seconds\n"
                                "0,4.17,6.02,0.1,0.0\n"
                                "100,3.2,4.6,0.1,0.5\n"
                                "200,2.71,3.91,0.1,1.0\n"
                                "300,2.4,3.46,0.05,1.5\n"
                                "400,2.2,3.17,0.05,2.0\n";
    const char *lp = WRITE_STR("small.csv", small);
    const char *s1 = tl_path("small1.svg"), *s2 = tl_path("small2.svg");
    int rc1 = rnnc_plot_log(lp, s1, err, sizeof err);
    tl_expect(rc1 == 0, "plot/small", "%s", err);
    int rc2 = rnnc_plot_log(lp, s2, err, sizeof err);
    size_t n1 = 0, n2 = 0;
    char *a = rc1 == 0 ? slurp(s1, &n1) : NULL, *b = rc2 == 0 ? slurp(s2, &n2) : NULL;
    const char *why = a ? svg_problem(a, n1) : "not written";
    tl_expect(!why, "plot/small-is-svg", "%s", why);
    tl_expect(a && strstr(a, "<polyline") && count(a, "<circle") == 5, "plot/small-has-line",
              "no polyline or not 5 markers");
    tl_expect(a && strstr(a, "small.csv</title>") && strstr(a, ">step<") && strstr(a, ">loss<"),
              "plot/small-has-title-and-axis-names", "missing");
    tl_expect(a && strstr(a, ">400<") && strstr(a, ">0<"), "plot/small-has-tick-labels",
              "no 0 or 400 tick on the step axis");
    tl_expect(a && b && n1 == n2 && memcmp(a, b, n1) == 0, "plot/deterministic", "two runs differ");
    free(b);
    /* Overwriting an existing SVG, and no temporary file left behind. */
    rc2 = rnnc_plot_log(lp, s1, err, sizeof err);
    b = rc2 == 0 ? slurp(s1, &n2) : NULL;
    tl_expect(a && b && n1 == n2 && memcmp(a, b, n1) == 0 && tl_no_temp_files(), "plot/overwrite",
              "rc %d: %s", rc2, rc2 ? err : "different bytes or a temporary file left");
    struct stat st;
    tl_expect(stat(s1, &st) == 0 && (st.st_mode & 0444) == 0444, "plot/svg-readable", "mode %o",
              (unsigned)st.st_mode);
    free(a);
    free(b);

    /* One row: still a valid chart, with a dot. */
    lp = WRITE_STR("one.csv", "step,loss,bpc,lr,seconds\r\n7,2.5,3.6,0.1,0.2\r\n");
    s1 = tl_path("one.svg");
    rc1 = rnnc_plot_log(lp, s1, err, sizeof err);
    a = rc1 == 0 ? slurp(s1, &n1) : NULL;
    why = a ? svg_problem(a, n1) : err;
    tl_expect(!why && strstr(a, "<circle"), "plot/single-row", "%s", why ? why : "no circle");
    tl_expect(!a || (!strstr(a, "nan") && !strstr(a, "inf")), "plot/single-row-finite-numbers",
              "nan or inf in the SVG");
    free(a);

    /* Constant loss, no final newline. */
    lp = WRITE_STR("flat.csv", "step,loss,bpc,lr,seconds\n0,1,1,0.1,0\n10,1,1,0.1,1");
    s1 = tl_path("flat.svg");
    rc1 = rnnc_plot_log(lp, s1, err, sizeof err);
    a = rc1 == 0 ? slurp(s1, &n1) : NULL;
    why = a ? svg_problem(a, n1) : err;
    tl_expect(!why && strstr(a, "<polyline") && !strstr(a, "nan"), "plot/flat-loss", "%s",
              why ? why : "no polyline or nan");
    free(a);

    /* A diverged run: nan and inf losses break the line. */
    lp = WRITE_STR("nan.csv", "step,loss,bpc,lr,seconds\n0,3,4,0.1,0\n1,2,3,0.1,1\n2,nan,nan,0.1,2\n"
                               "3,inf,inf,0.1,3\n4,1.5,2,0.1,4\n5,1.4,2,0.1,5\n");
    s1 = tl_path("nan.svg");
    rc1 = rnnc_plot_log(lp, s1, err, sizeof err);
    a = rc1 == 0 ? slurp(s1, &n1) : NULL;
    why = a ? svg_problem(a, n1) : err;
    tl_expect(!why && count(a, "<polyline") == 2 && strstr(a, "2 non-finite losses not drawn"),
              "plot/non-finite-losses", "%s", why ? why : "not two polylines and a note");
    free(a);

    /* A log with the validation columns (--valid): a second line through the rows that have
     * one, and a legend; rows without one leave them empty. */
    lp = WRITE_STR("valid.csv", "step,loss,bpc,lr,seconds,valid_loss,valid_bpc\n10,3,4,0.1,0,,\n20,2.5,3.5,0.1,1,2.9,4.1\n"
                                 "30,2,3,0.1,2,,\n40,1.8,2.6,0.1,3,2.4,3.4\n");
    s1 = tl_path("valid.svg");
    rc1 = rnnc_plot_log(lp, s1, err, sizeof err);
    a = rc1 == 0 ? slurp(s1, &n1) : NULL;
    why = a ? svg_problem(a, n1) : err;
    tl_expect(!why && count(a, "<polyline") == 2 && strstr(a, "stroke=\"#ff7f0e\"") && strstr(a, ">validation<") &&
               strstr(a, "last validation loss 2.4"),
           "plot/validation-line-and-legend", "%s", why ? why : "not two polylines, the orange one and its legend");
    free(a);

    /* A long noisy log: decimated, small, still deterministic. */
    size_t rows = 50000, cap = rows * 64 + 64, o = 0;
    char *big = malloc(cap);
    o += (size_t)snprintf(big, cap, "step,loss,bpc,lr,seconds\n");
    uint64_t r = 42;
    for (size_t i = 0; i < rows; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        double noise = (double)(r >> 11) / 9007199254740992.0 - 0.5;
        double loss = 1.2 + 3.0 * exp(-(double)i / 6000.0) + 0.3 * noise;
        o += (size_t)snprintf(big + o, cap - o, "%zu,%.6f,%.6f,0.001,%.3f\n", i * 10, loss,
                              loss / log(2.0), i * 0.01);
    }
    lp = write_file("big.csv", big, o);
    free(big);
    s1 = tl_path("big1.svg");
    s2 = tl_path("big2.svg");
    rc1 = rnnc_plot_log(lp, s1, err, sizeof err);
    rc2 = rnnc_plot_log(lp, s2, err, sizeof err);
    a = rc1 == 0 ? slurp(s1, &n1) : NULL;
    b = rc2 == 0 ? slurp(s2, &n2) : NULL;
    why = a ? svg_problem(a, n1) : err;
    tl_expect(!why, "plot/long-log-is-svg", "%s", why);
    tl_expect(a && n1 < 100000 && count(a, "<polyline") == 1 && count(a, "<circle") == 0,
              "plot/long-log-decimated", "%zu bytes", n1);
    tl_expect(a && b && n1 == n2 && memcmp(a, b, n1) == 0, "plot/long-log-deterministic",
              "two runs differ");
    free(a);
    free(b);

    PLOT_ERROR("wrong-header", "step,loss\n1,2\n",
               ":1: expected the header 'step,loss,bpc,lr,seconds' (or "
               "'step,loss,bpc,lr,seconds,valid_loss,valid_bpc'; either may end in "
               "',last_loss,mean_loss,mean_bpc'), got 'step,loss'");
    PLOT_ERROR("no-header", "0,4.1,6,0.1,0\n",
               ":1: expected the header 'step,loss,bpc,lr,seconds' (or "
               "'step,loss,bpc,lr,seconds,valid_loss,valid_bpc'; either may end in "
               "',last_loss,mean_loss,mean_bpc'), got '0,4.1,6,0.1,0'");
    PLOT_ERROR("valid-five-numbers", "step,loss,bpc,lr,seconds,valid_loss,valid_bpc\n0,4,6,0.1,0\n",
               ":2: expected 7 numbers (step,loss,bpc,lr,seconds,valid_loss,valid_bpc), got '0,4,6,0.1,0'");
    PLOT_ERROR("valid-empty-loss", "step,loss,bpc,lr,seconds,valid_loss,valid_bpc\n0,,6,0.1,0,,\n",
               ":2: expected 7 numbers (step,loss,bpc,lr,seconds,valid_loss,valid_bpc), got '0,,6,0.1,0,,'");
    PLOT_ERROR("four-numbers", "step,loss,bpc,lr,seconds\n0,4,6,0.1,0\n1,3,5,0.1\n",
               ":3: expected 5 numbers (step,loss,bpc,lr,seconds), got '1,3,5,0.1'");
    PLOT_ERROR("six-numbers", "step,loss,bpc,lr,seconds\n0,4,6,0.1,0,9\n",
               ":2: expected 5 numbers (step,loss,bpc,lr,seconds), got '0,4,6,0.1,0,9'");
    PLOT_ERROR("not-a-number", "step,loss,bpc,lr,seconds\n0,4,6,0.1,0\n\n1,x,6,0.1,0\n",
               ":4: expected 5 numbers (step,loss,bpc,lr,seconds), got '1,x,6,0.1,0'");
    PLOT_ERROR("nan-step", "step,loss,bpc,lr,seconds\nnan,4,6,0.1,0\n",
               ":2: expected 5 numbers (step,loss,bpc,lr,seconds), got 'nan,4,6,0.1,0'");
    PLOT_ERROR("control-character", "step,loss,bpc,lr,seconds\n0,4\x01,6,0.1,0\n",
               ":2: expected 5 numbers (step,loss,bpc,lr,seconds), got '0,4\\x01,6,0.1,0'");
    PLOT_ERROR("header-only", "step,loss,bpc,lr,seconds\n",
               ": the log has no rows (only the header)");
    PLOT_ERROR("empty", "", ": is empty");
    const char *missing = tl_path("no-such-log.csv");
    rc1 = rnnc_plot_log(missing, tl_path("x.svg"), err, sizeof err);
    tl_expect(rc1 != 0 && strstr(err, ": cannot open: "), "plot-error/missing-log", "%s", err);
    rc1 = rnnc_plot_log(tl_path("small.csv"), tl_path("no-such-dir/x.svg"), err, sizeof err);
    tl_expect(rc1 != 0 && strstr(err, "no-such-dir/x.svg: "), "plot-error/unwritable-svg", "%s", err);
}

int main(void)
{
    tl_suite("data");
    dir = tl_workdir("test_data");
    test_bytes();
    test_utf8();
    test_invalid_utf8();
    test_files();
    test_csv();
    test_plot();
    printf("# %d passed, %d failed\n", tl_passes(), tl_failures());
    return tl_status();
}
