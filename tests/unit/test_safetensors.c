/* test_safetensors.c: the safetensors reader and writer (runtime/formats/safetensors.h).
 *
 *   test_safetensors              run every case
 *   test_safetensors --read FILE  read FILE; print its tensors (in data order) and metadata:
 *                                   tensor NAME DTYPE [d0, d1] nbytes=N: v0 v1 ...
 *                                   meta KEY = VALUE
 *                                 or the error on stderr and exit 1
 *   test_safetensors --write FILE write the fixed file the interop check reads (see
 *                                 tests/suites/safetensors.sh)
 *
 * Round trip: F32/F64/I32/I64 tensors of ranks 0 to 4, empty tensors, metadata (also UTF-8
 * and empty values) written and read back (bytes, shapes, metadata, order, padding, aligned
 * data); equal content gives equal bytes whatever the insertion order; the writer's refusals.
 * Hostile files: each must be refused with a one-line message starting with the file name
 * and naming the problem, leaving the rnnc_st_file empty.  U8, BOOL and other dtypes are
 * refused as unsupported: rnnc needs only F32, F64, F16, BF16, I32 and I64 (F16 and BF16 are
 * read by tests/unit/test_half.c).
 *
 * Files are written under $TESTS_TMP/test_safetensors (or a fresh directory under /tmp).
 * Output: "ok st/NAME" or "FAIL st/NAME: why"; exit status 1 if anything failed. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../runtime/formats/safetensors.h"
#include "../lib/testlib.h"

static const char *dir;   /* tl_workdir */

static unsigned char *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    unsigned char *b = malloc(cap);
    size_t k;
    while (b && (k = fread(b + len, 1, cap - len, f)) > 0) {
        len += k;
        if (len == cap) {
            unsigned char *nb = realloc(b, cap *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            }
            b = nb;
        }
    }
    fclose(f);
    *n = len;
    return b;
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A file: header length hlen (as stored), header text, then dlen data bytes (0x5a). */
static const char *make_file(const char *name, uint64_t hlen, const char *header, size_t dlen)
{
    size_t h = strlen(header);
    unsigned char *b = malloc(8 + h + dlen + 1);
    put_le64(b, hlen);
    memcpy(b + 8, header, h);
    memset(b + 8 + h, 0x5a, dlen);
    const char *p = tl_path(name);
    tl_write(p, b, 8 + h + dlen);
    free(b);
    return p;
}

static int f_is_empty(const rnnc_st_file *f)
{
    return !f->buf && !f->len && !f->tensors && !f->ntensors && !f->meta_keys && !f->meta_values &&
           !f->nmeta;
}

/* path must be refused with a one-line message "PATH: ..." containing want. */
static void expect_refused(const char *path, const char *want, const char *name)
{
    rnnc_st_file f;
    char err[1024] = "";
    memset(&f, 0x11, sizeof f);
    int rc = rnnc_st_read(path, &f, err, sizeof err);
    size_t pl = strlen(path);
    int names_file = strncmp(err, path, pl) == 0 && err[pl] == ':';
    int one_line = !strchr(err, '\n') && !strchr(err, '\r');
    tl_expect(rc != 0 && names_file && one_line && strstr(err, want) && f_is_empty(&f), name,
              "rc %d, message '%s', expected '%s: ...%s...'%s", rc, err, path, want,
              f_is_empty(&f) ? "" : " (rnnc_st_file not left empty)");
    if (rc == 0) rnnc_st_free(&f);
}

/* A header "{"a": ENTRY}" with data bytes. */
static void hostile_entry(const char *name, const char *entry, size_t dlen, const char *want)
{
    char hdr[2048], fn[256], cname[256];
    snprintf(hdr, sizeof hdr, "{\"a\":%s}", entry);
    snprintf(fn, sizeof fn, "h_%s.safetensors", name);
    snprintf(cname, sizeof cname, "hostile/%s", name);
    expect_refused(make_file(fn, strlen(hdr), hdr, dlen), want, cname);
}

static void hostile(const char *name, const char *hdr, size_t dlen, const char *want)
{
    char fn[256], cname[256];
    snprintf(fn, sizeof fn, "h_%s.safetensors", name);
    snprintf(cname, sizeof cname, "hostile/%s", name);
    expect_refused(make_file(fn, strlen(hdr), hdr, dlen), want, cname);
}

/* ---- round trip -------------------------------------------------------------------------- */

typedef struct src_tensor {
    const char *name;
    rnnc_st_dtype dtype;
    size_t ndim;
    uint64_t shape[RNNC_ST_MAX_DIMS];
    const void *data;
    size_t nbytes;
} src_tensor;

static float w_f32[12], s_f32[1] = {-0.0f};
static double b_f64[5] = {0.1, -1e300, 4.9e-324, 1.0 / 3.0, 12345.678};
static int32_t idx_i32[12];
static int64_t big_i64[4] = {INT64_MIN, -1, (int64_t)1 << 53 | 1, INT64_MAX};
static int32_t rank4_i32[16];

static src_tensor src[] = {
    {"W", RNNC_ST_F32, 2, {3, 4}, w_f32, sizeof w_f32},
    {"b", RNNC_ST_F64, 1, {5}, b_f64, sizeof b_f64},
    {"idx", RNNC_ST_I32, 3, {2, 3, 2}, idx_i32, sizeof idx_i32},
    {"big", RNNC_ST_I64, 1, {4}, big_i64, sizeof big_i64},
    {"scalar", RNNC_ST_F32, 0, {0}, s_f32, sizeof s_f32},
    {"empty", RNNC_ST_F64, 1, {0}, NULL, 0},
    {"empty2", RNNC_ST_I32, 3, {2, 0, 3}, NULL, 0},
    {"rank4", RNNC_ST_I32, 4, {2, 2, 2, 2}, rank4_i32, sizeof rank4_i32},
    {"layer.0/weight \xc3\xa9", RNNC_ST_F32, 1, {1}, w_f32 + 5, 4},
};
#define NSRC (sizeof src / sizeof src[0])

static const char *meta_src[][2] = {
    {"format", "pt"},
    {"rnnc", "hidden=8,tanh"},
    {"utf8", "h\xc3\xa9llo \xe2\x9c\x93"},
    {"empty", ""},
    {"quote", "a \"b\" \\ c\nd"},
};
#define NMETA (sizeof meta_src / sizeof meta_src[0])

/* Adds the tensors and metadata in the order given by the permutations (NULL: as listed). */
static int fill_writer(rnnc_st_writer *w, const size_t *tperm, const size_t *mperm)
{
    for (size_t i = 0; i < NSRC; i++) {
        const src_tensor *s = &src[tperm ? tperm[i] : i];
        if (rnnc_st_add(w, s->name, s->dtype, s->ndim, s->shape, s->data) != 0) return -1;
    }
    for (size_t i = 0; i < NMETA; i++) {
        size_t k = mperm ? mperm[i] : i;
        if (rnnc_st_set_meta(w, meta_src[k][0], meta_src[k][1]) != 0) return -1;
    }
    return 0;
}

static void test_round_trip(void)
{
    for (size_t i = 0; i < 12; i++) {
        w_f32[i] = (float)i * 0.25f - 1.5f;
        idx_i32[i] = (int32_t)(i * 1000003u) - 7;
    }
    for (size_t i = 0; i < 16; i++) rank4_i32[i] = -(int32_t)i;
    w_f32[7] = 3.4028235e38f;

    rnnc_st_writer *w = rnnc_st_writer_new();
    char err[1024] = "";
    const char *p1 = tl_path("rt1.safetensors");
    int rc = w ? fill_writer(w, NULL, NULL) : -1;
    tl_expect(rc == 0, "rt/add", "rnnc_st_add / rnnc_st_set_meta failed");
    rc = rnnc_st_write(w, p1, err, sizeof err);
    tl_expect(rc == 0, "rt/write", "%s", err);
    rnnc_st_writer_free(w);

    rnnc_st_file f;
    rc = rnnc_st_read(p1, &f, err, sizeof err);
    tl_expect(rc == 0, "rt/read", "%s", err);
    if (rc != 0) return;
    tl_expect(f.ntensors == NSRC, "rt/count", "%zu tensors, expected %zu", f.ntensors, NSRC);
    int bad = 0;
    char why[512] = "";
    for (size_t i = 0; i < NSRC; i++) {
        const src_tensor *s = &src[i];
        const rnnc_st_tensor *t = rnnc_st_find(&f, s->name);
        if (!t) {
            snprintf(why, sizeof why, "tensor '%s' missing", s->name);
            bad = 1;
            break;
        }
        int same = t->dtype == s->dtype && t->ndim == s->ndim && t->nbytes == s->nbytes &&
                   strcmp(t->name, s->name) == 0;
        for (size_t d = 0; same && d < s->ndim; d++) same = t->shape[d] == s->shape[d];
        if (same && s->nbytes) same = memcmp(t->data, s->data, s->nbytes) == 0;
        if (!same) {
            snprintf(why, sizeof why, "tensor '%s' differs (dtype %d ndim %zu nbytes %zu)", s->name,
                     (int)t->dtype, t->ndim, t->nbytes);
            bad = 1;
            break;
        }
    }
    tl_expect(!bad, "rt/tensors", "%s", why);
    tl_expect(rnnc_st_find(&f, "nope") == NULL && rnnc_st_find(&f, "__metadata__") == NULL,
              "rt/find-missing", "rnnc_st_find returned a tensor for a missing name");

    bad = f.nmeta != NMETA;
    for (size_t i = 0; i < NMETA && !bad; i++) {
        const char *v = rnnc_st_meta(&f, meta_src[i][0]);
        bad = !v || strcmp(v, meta_src[i][1]) != 0;
    }
    tl_expect(!bad && rnnc_st_meta(&f, "nope") == NULL, "rt/meta", "%zu metadata entries, or a value differs",
              f.nmeta);

    /* Data order is name order; the tensors tile the data; the header is padded with spaces
     * to a multiple of 8 and the data is 8-byte aligned in memory. */
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--) hl = hl << 8 | f.buf[i];
    const unsigned char *data = f.buf + 8 + hl;
    int ordered = 1;
    size_t pos = 0;
    for (size_t i = 0; i < f.ntensors; i++) {
        if (i && strcmp(f.tensors[i - 1].name, f.tensors[i].name) >= 0) ordered = 0;
        if (f.tensors[i].data != data + pos) ordered = 0;
        pos += f.tensors[i].nbytes;
    }
    tl_expect(ordered && 8 + hl + pos == f.len, "rt/layout",
              "tensors not contiguous in name order (%zu + %llu + %zu vs %zu bytes)", (size_t)8,
              (unsigned long long)hl, pos, f.len);
    int padded = hl % 8 == 0 && f.buf[8] == '{';
    size_t last = (size_t)hl + 7;
    while (last > 8 && f.buf[last] == ' ') last--;
    padded = padded && f.buf[last] == '}' && (size_t)hl + 8 - last - 1 < 8;
    tl_expect(padded, "rt/padding", "header of %llu bytes not a JSON object padded with < 8 spaces",
              (unsigned long long)hl);
    tl_expect(((uintptr_t)data % 8) == 0, "rt/aligned", "data section at %p", (const void *)data);
    char head[48];
    size_t hn = hl < sizeof head - 1 ? (size_t)hl : sizeof head - 1;
    memcpy(head, f.buf + 8, hn);
    head[hn] = '\0';
    tl_expect(strncmp(head, "{\"W\":{\"data_offsets\":[0,48],\"dtype\":\"F32\"", 40) == 0,
              "rt/compact-sorted", "header starts '%s'", head);
    rnnc_st_free(&f);
    tl_expect(f_is_empty(&f), "rt/free", "rnnc_st_free left fields set");
    rnnc_st_free(&f); /* twice is harmless */

    /* Determinism: other insertion orders, same bytes. */
    static const size_t tperm[NSRC] = {8, 3, 0, 7, 5, 1, 6, 2, 4};
    static const size_t mperm[NMETA] = {4, 2, 0, 3, 1};
    w = rnnc_st_writer_new();
    const char *p2 = tl_path("rt2.safetensors");
    rc = fill_writer(w, tperm, mperm);
    if (rc == 0) rc = rnnc_st_write(w, p2, err, sizeof err);
    /* Writing again (replacing the file) gives the same bytes too. */
    if (rc == 0) rc = rnnc_st_write(w, p2, err, sizeof err);
    rnnc_st_writer_free(w);
    size_t n1 = 0, n2 = 0;
    unsigned char *b1 = slurp(p1, &n1), *b2 = slurp(p2, &n2);
    tl_expect(rc == 0 && b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0, "rt/deterministic",
              "rc %d (%s), %zu vs %zu bytes or contents differ", rc, rc ? err : "", n1, n2);
    free(b1);
    free(b2);
    tl_expect(tl_no_temp_files(), "rt/no-temp-left", "a .tmp. file was left in %s", dir);

    /* Replacing a metadata value. */
    w = rnnc_st_writer_new();
    rc = rnnc_st_set_meta(w, "k", "one") | rnnc_st_set_meta(w, "k", "two");
    const char *p3 = tl_path("rt3.safetensors");
    if (rc == 0) rc = rnnc_st_write(w, p3, err, sizeof err);
    rnnc_st_writer_free(w);
    if (rc == 0) rc = rnnc_st_read(p3, &f, err, sizeof err);
    tl_expect(rc == 0 && f.nmeta == 1 && f.ntensors == 0 && strcmp(rnnc_st_meta(&f, "k"), "two") == 0,
              "rt/meta-replace", "rc %d (%s)", rc, err);
    if (rc == 0) rnnc_st_free(&f);

    /* Nothing at all: "{}" padded to 8, no data. */
    w = rnnc_st_writer_new();
    const char *p4 = tl_path("rt4.safetensors");
    rc = rnnc_st_write(w, p4, err, sizeof err);
    rnnc_st_writer_free(w);
    size_t n4 = 0;
    unsigned char *b4 = slurp(p4, &n4);
    tl_expect(rc == 0 && b4 && n4 == 16 && b4[0] == 8 && memcmp(b4 + 8, "{}      ", 8) == 0,
              "rt/nothing-bytes", "rc %d (%s), %zu bytes", rc, err, n4);
    free(b4);
    rc = rnnc_st_read(p4, &f, err, sizeof err);
    tl_expect(rc == 0 && f.ntensors == 0 && f.nmeta == 0, "rt/nothing-read", "rc %d: %s", rc, err);
    if (rc == 0) rnnc_st_free(&f);

    /* A foreign file with an unpadded header: still read, data still aligned in memory. */
    const char *hdr = "{\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}";
    unsigned char raw[128];
    size_t hlen = strlen(hdr);
    put_le64(raw, hlen);
    memcpy(raw + 8, hdr, hlen);
    double xv[2] = {1.5, -2.25};
    memcpy(raw + 8 + hlen, xv, 16);
    const char *p5 = tl_path("foreign.safetensors");
    tl_write(p5, raw, 8 + hlen + 16);
    rc = rnnc_st_read(p5, &f, err, sizeof err);
    const rnnc_st_tensor *x = rc == 0 ? rnnc_st_find(&f, "x") : NULL;
    tl_expect(rc == 0 && hlen % 8 != 0 && x && ((uintptr_t)x->data % 8) == 0 &&
                  ((const double *)(const void *)x->data)[1] == -2.25,
              "rt/unpadded-foreign", "rc %d (%s)", rc, err);
    if (rc == 0) rnnc_st_free(&f);

    /* Empty tensors may share an offset; whitespace around the JSON is fine. */
    const char *hdr6 = " {\"e1\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[4,4]},"
                       "\"e2\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[4,4]},"
                       "\"a\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]},"
                       "\"e0\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[0,0]}}\n   ";
    const char *p6 = make_file("empties.safetensors", strlen(hdr6), hdr6, 4);
    rc = rnnc_st_read(p6, &f, err, sizeof err);
    tl_expect(rc == 0 && f.ntensors == 4 && strcmp(f.tensors[0].name, "e0") == 0 &&
                  strcmp(f.tensors[1].name, "a") == 0 && strcmp(f.tensors[2].name, "e1") == 0,
              "rt/empties-share-offsets", "rc %d (%s)", rc, err);
    if (rc == 0) rnnc_st_free(&f);

    /* A huge zero-sized shape is fine: the product is 0, not an overflow. */
    const char *hdr7 = "{\"z\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296,0],"
                       "\"data_offsets\":[0,0]}}";
    rc = rnnc_st_read(make_file("zero-huge.safetensors", strlen(hdr7), hdr7, 0), &f, err,
                      sizeof err);
    tl_expect(rc == 0 && f.ntensors == 1 && f.tensors[0].nbytes == 0, "rt/zero-product",
              "rc %d (%s)", rc, err);
    if (rc == 0) rnnc_st_free(&f);
}

static void test_writer_refusals(void)
{
    rnnc_st_writer *w = rnnc_st_writer_new();
    uint64_t sh[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    float v[4] = {1, 2, 3, 4};
    tl_expect(rnnc_st_add(w, "a", RNNC_ST_F32, 1, sh, v) == 0, "writer/add", "first add refused");
    tl_expect(rnnc_st_add(w, "a", RNNC_ST_F32, 1, sh, v) == -1, "writer/duplicate-name",
              "a second 'a' was accepted");
    tl_expect(rnnc_st_add(w, "__metadata__", RNNC_ST_F32, 1, sh, v) == -1, "writer/reserved-name",
              "'__metadata__' accepted as a tensor name");
    tl_expect(rnnc_st_add(w, "nine", RNNC_ST_F32, 9, sh, v) == -1, "writer/too-many-dims",
              "9 dimensions accepted");
    tl_expect(rnnc_st_add(w, "null", RNNC_ST_F32, 1, sh, NULL) == -1, "writer/null-data",
              "NULL data for 4 bytes accepted");
    uint64_t zero[1] = {0};
    tl_expect(rnnc_st_add(w, "null0", RNNC_ST_F32, 1, zero, NULL) == 0, "writer/null-data-empty",
              "NULL data for an empty tensor refused");
    tl_expect(rnnc_st_add(w, "bad\xff", RNNC_ST_F32, 1, sh, v) == -1, "writer/bad-utf8-name",
              "invalid UTF-8 name accepted");
    tl_expect(rnnc_st_add(w, NULL, RNNC_ST_F32, 1, sh, v) == -1, "writer/null-name",
              "NULL name accepted");
    tl_expect(rnnc_st_add(w, "dt", (rnnc_st_dtype)7, 1, sh, v) == -1, "writer/bad-dtype",
              "dtype 7 accepted");
    uint64_t huge[3] = {(uint64_t)1 << 32, (uint64_t)1 << 32, 2};
    tl_expect(rnnc_st_add(w, "huge", RNNC_ST_F32, 3, huge, v) == -1, "writer/overflow",
              "a shape of 2^65 elements accepted");
    uint64_t big[1] = {((uint64_t)1 << 53) + 1};
    tl_expect(rnnc_st_add(w, "big", RNNC_ST_F32, 1, big, v) == -1, "writer/dim-above-2^53",
              "a dimension above 2^53 accepted");
    tl_expect(rnnc_st_set_meta(w, "k", "\xc3") == -1 && rnnc_st_set_meta(w, NULL, "v") == -1 &&
                  rnnc_st_set_meta(w, "k", NULL) == -1,
              "writer/bad-meta", "invalid metadata accepted");
    char err[1024] = "";
    const char *p = tl_path("no/such/dir/x.safetensors");
    int rc = rnnc_st_write(w, p, err, sizeof err);
    tl_expect(rc != 0 && strncmp(err, p, strlen(p)) == 0 && !strchr(err, '\n'), "writer/no-dir",
              "rc %d, message '%s'", rc, err);
    rnnc_st_writer_free(w);
    rnnc_st_writer_free(NULL);
}

/* ---- hostile files ----------------------------------------------------------------------- */

static void test_hostile(void)
{
    const char *ok_entry = "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
    char hdr[1024];

    /* The length field and the file size. */
    {
        const char *p = tl_path("h_empty.safetensors");
        tl_write(p, "", 0);
        expect_refused(p, "file is 0 bytes, too short", "hostile/empty-file");
    }
    {
        const char *p = tl_path("h_seven.safetensors");
        tl_write(p, "\x08\0\0\0\0\0\0", 7);
        expect_refused(p, "file is 7 bytes, too short", "hostile/seven-bytes");
    }
    snprintf(hdr, sizeof hdr, "{\"a\":%s}", ok_entry);
    expect_refused(make_file("h_len-beyond.safetensors", 1000, hdr, 8),
                   "header length 1000 is beyond the end of the file", "hostile/header-len-beyond-file");
    expect_refused(make_file("h_len-huge.safetensors", (uint64_t)1 << 63, hdr, 8),
                   "header length 9223372036854775808 is beyond", "hostile/header-len-2^63");
    expect_refused(make_file("h_len-max.safetensors", UINT64_MAX, hdr, 8),
                   "is beyond the end of the file", "hostile/header-len-2^64-1");
    expect_refused(make_file("h_len-short.safetensors", strlen(hdr) - 1, hdr, 8),
                   "not valid JSON", "hostile/header-len-short");
    expect_refused(make_file("h_len-zero.safetensors", 0, "", 8), "not valid JSON",
                   "hostile/header-len-zero");
    {
        /* 150 MB claimed in a sparse 200 MB file: refused before reading it. */
        const char *p = tl_path("h_len-100mb.safetensors");
        unsigned char b[8];
        put_le64(b, 150000000);
        FILE *fp = fopen(p, "wb");
        int made = fp && fwrite(b, 1, 8, fp) == 8 && fflush(fp) == 0 &&
                   ftruncate(fileno(fp), 200000000) == 0;
        if (fp) fclose(fp);
        if (made) expect_refused(p, "header length 150000000 is above the 100 MB limit",
                                 "hostile/header-len-above-100MB");
        else tl_expect(0, "hostile/header-len-above-100MB", "cannot make a sparse file: %s",
                       strerror(errno));
        unlink(p);
    }
    {
        rnnc_st_file f;
        char err[512];
        expect_refused(tl_path("no-such.safetensors"), "cannot open", "hostile/missing-file");
        expect_refused(dir, "not a regular file", "hostile/directory");
        tl_expect(rnnc_st_read(NULL, &f, err, sizeof err) != 0, "hostile/null-path",
                  "a NULL path was accepted");
    }

    /* The header as JSON. */
    hostile("not-json", "hello", 0, "header is not valid JSON");
    hostile("json-array", "[1,2]", 0, "header is not a JSON object");
    hostile("json-string", "\"x\"", 0, "header is not valid JSON"); /* jansson: no scalars */
    hostile("json-trailing", "{} x", 0, "not valid JSON");
    hostile("json-two-objects", "{}{}", 0, "not valid JSON");
    hostile("bad-utf8", "{\"\xff\":{}}", 0, "not valid JSON");
    hostile("nul-in-name", "{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}",
            0, "not valid JSON");
    {
        /* A raw NUL byte inside the header. */
        unsigned char raw[64];
        const char *h = "{\"a\" \0:1}   ";
        put_le64(raw, 12);
        memcpy(raw + 8, h, 12);
        const char *p = tl_path("h_raw-nul.safetensors");
        tl_write(p, raw, 20);
        expect_refused(p, "header has a NUL byte at offset 13", "hostile/raw-nul-in-header");
        put_le64(raw, 8);
        memcpy(raw + 8, "{}\0xx   ", 8);
        p = tl_path("h_raw-nul-after.safetensors");
        tl_write(p, raw, 16);
        expect_refused(p, "header has a NUL byte at offset 10", "hostile/raw-nul-after-object");
    }
    snprintf(hdr, sizeof hdr, "{\"a\":%s,\"a\":%s}", ok_entry, ok_entry);
    hostile("duplicate-name", hdr, 8, "header names something twice");
    hostile("duplicate-metadata", "{\"__metadata__\":{},\"__metadata__\":{}}", 0,
            "header names something twice");
    hostile("duplicate-meta-key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0,
            "header names something twice");
    hostile("huge-integer",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,0]}}",
            0, "not valid JSON");

    /* Tensor entries. */
    hostile_entry("entry-not-object", "5", 0, "tensor 'a': entry is not a JSON object");
    hostile_entry("entry-array", "[]", 0, "tensor 'a': entry is not a JSON object");
    hostile_entry("dtype-u8", "{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}", 2,
                  "tensor 'a': dtype 'U8' is not supported");
    hostile_entry("dtype-bool", "{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[0,2]}", 2,
                  "dtype 'BOOL' is not supported");
    hostile_entry("dtype-lowercase", "{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}", 8,
                  "dtype 'f32' is not supported");
    hostile_entry("dtype-number", "{\"dtype\":4,\"shape\":[2],\"data_offsets\":[0,8]}", 8,
                  "dtype 4 is not a string");
    hostile_entry("no-dtype", "{\"shape\":[2],\"data_offsets\":[0,8]}", 8, "tensor 'a': no dtype");
    hostile_entry("no-shape", "{\"dtype\":\"F32\",\"data_offsets\":[0,8]}", 8, "tensor 'a': no shape");
    hostile_entry("no-offsets", "{\"dtype\":\"F32\",\"shape\":[2]}", 8, "tensor 'a': no data_offsets");
    hostile_entry("unknown-key", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}", 8,
                  "unknown key 'x'");
    hostile_entry("shape-negative", "{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,8]}", 8,
                  "shape entry 1 (-3) is not an integer in [0, 2^53]");
    hostile_entry("shape-fraction", "{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}", 8,
                  "shape entry 0 (2.5) is not an integer");
    hostile_entry("shape-float-integral", "{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}",
                  8, "shape entry 0 (2.0) is not an integer");
    hostile_entry("shape-string", "{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}", 8,
                  "shape entry 0 (\"2\") is not an integer");
    hostile_entry("shape-null", "{\"dtype\":\"F32\",\"shape\":[null],\"data_offsets\":[0,8]}", 8,
                  "shape entry 0 (null) is not an integer");
    hostile_entry("shape-not-list", "{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}", 8,
                  "shape 2 is not a list");
    hostile_entry("shape-above-2^53",
                  "{\"dtype\":\"F32\",\"shape\":[9007199254740993,0],\"data_offsets\":[0,0]}", 0,
                  "shape entry 0 (9007199254740993) is not an integer in [0, 2^53]");
    hostile_entry("too-many-dims",
                  "{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,2],\"data_offsets\":[0,8]}", 8,
                  "shape has 9 dimensions, more than 8");
    hostile_entry("offsets-reversed", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}", 8,
                  "data_offsets [8, 0] are reversed");
    hostile_entry("offsets-out-of-range",
                  "{\"dtype\":\"F32\",\"shape\":[100],\"data_offsets\":[0,400]}", 8,
                  "data_offsets [0, 400] are outside the data (8 bytes");
    hostile_entry("offsets-huge",
                  "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[9223372036854775800,"
                  "9223372036854775807]}",
                  8, "are outside the data");
    hostile_entry("offsets-negative", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}", 8,
                  "data_offsets entry 0 (-8) is not a non-negative integer");
    hostile_entry("offsets-one", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8]}", 8,
                  "data_offsets [8] is not a list [begin, end]");
    hostile_entry("offsets-three", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}", 8,
                  "is not a list [begin, end]");
    hostile_entry("offsets-fraction", "{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.5]}", 8,
                  "data_offsets entry 1 (8.5) is not a non-negative integer");
    {
        /* The exact message of the brief's example. */
        char hdr2[256], want[2600];
        snprintf(hdr2, sizeof hdr2,
                 "{\"W\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[0,40]}}");
        const char *p = make_file("m.safetensors", strlen(hdr2), hdr2, 40);
        snprintf(want, sizeof want,
                 "%s: tensor 'W': data_offsets [0, 40] do not match shape [3, 4] x F32 = 48 bytes", p);
        rnnc_st_file f;
        char err[2600] = "";
        int rc = rnnc_st_read(p, &f, err, sizeof err);
        tl_expect(rc != 0 && strcmp(err, want) == 0, "hostile/offsets-shape-mismatch",
                  "rc %d, message '%s', expected '%s'", rc, err, want);
        if (rc == 0) rnnc_st_free(&f);
    }
    hostile_entry("scalar-mismatch", "{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,4]}", 4,
                  "do not match shape [] x F64 = 8 bytes");
    hostile_entry("shape-overflow",
                  "{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,2],\"data_offsets\":[0,8]}", 8,
                  "shape [4294967296, 4294967296, 2] x F32 overflows 64 bits");
    hostile_entry("shape-overflow-by-size",
                  "{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}", 8,
                  "overflows 64 bits");
    hostile_entry("shape-wraps-to-match",
                  /* 2^62 x 4 bytes wraps to 0 in 64 bits: must not pass as an empty tensor. */
                  "{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}", 0,
                  "is not an integer in [0, 2^53]");
    hostile_entry("shape-wraps-to-match-2",
                  "{\"dtype\":\"F32\",\"shape\":[4194304,4294967296,256],\"data_offsets\":[0,0]}", 0,
                  "overflows 64 bits");

    /* The tensors against each other and the data. */
    hostile("overlap",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            12, "tensors 'a' [0, 8] and 'b' [4, 12] overlap");
    hostile("same-range",
            "{\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            "\"a\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
            8, "tensors 'a' [0, 8] and 'b' [0, 8] overlap");
    hostile("empty-inside",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
            "\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}",
            8, "tensors 'a' [0, 8] and 'b' [4, 4] overlap");
    hostile("hole",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
            "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
            12, "bytes [4, 8) of the data belong to no tensor");
    hostile("hole-at-start", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
            "bytes [0, 4) of the data belong to no tensor");
    hostile("trailing-bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8,
            "bytes [4, 8) of the data, after the last tensor, belong to no tensor");
    hostile("data-but-no-tensor", "{}", 8, "bytes [0, 8) of the data, after the last tensor");
    {
        /* A valid file cut in the middle of its data. */
        const char *h = "{\"a\":{\"dtype\":\"F64\",\"shape\":[4],\"data_offsets\":[0,32]}}";
        expect_refused(make_file("h_truncated.safetensors", strlen(h), h, 17),
                       "data_offsets [0, 32] are outside the data (17 bytes; is the file truncated?)",
                       "hostile/truncated");
    }

    /* Metadata. */
    hostile("meta-number", "{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ 'k' is not a string");
    hostile("meta-null", "{\"__metadata__\":{\"k\":null}}", 0, "__metadata__ 'k' is not a string");
    hostile("meta-object", "{\"__metadata__\":{\"k\":{}}}", 0, "__metadata__ 'k' is not a string");
    hostile("meta-not-object", "{\"__metadata__\":[\"k\"]}", 0, "__metadata__ is not a JSON object");

    /* Names that would break a one-line message: escaped. */
    hostile("newline-in-name", "{\"a\\nb\":5}", 0, "tensor 'a\\x0ab': entry is not a JSON object");
}

/* ---- the modes the interop check uses ------------------------------------------------------ */

static int mode_read(const char *path)
{
    rnnc_st_file f;
    char err[1024];
    if (rnnc_st_read(path, &f, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    for (size_t i = 0; i < f.ntensors; i++) {
        const rnnc_st_tensor *t = &f.tensors[i];
        printf("tensor %s %s [", t->name, rnnc_st_dtype_name(t->dtype));
        for (size_t d = 0; d < t->ndim; d++)
            printf("%s%llu", d ? ", " : "", (unsigned long long)t->shape[d]);
        printf("] nbytes=%zu:", t->nbytes);
        size_t es = rnnc_st_dtype_size(t->dtype);
        for (size_t k = 0; k < t->nbytes / es; k++) {
            const unsigned char *p = t->data + k * es;
            switch (t->dtype) {
            case RNNC_ST_F16:
            case RNNC_ST_BF16: {
                uint16_t v;
                memcpy(&v, p, 2);
                printf(" %.9g", t->dtype == RNNC_ST_F16 ? rnnc_st_f16_to_double(v) : rnnc_st_bf16_to_double(v));
                break;
            }
            case RNNC_ST_F32: {
                float v;
                memcpy(&v, p, 4);
                printf(" %.9g", (double)v);
                break;
            }
            case RNNC_ST_F64: {
                double v;
                memcpy(&v, p, 8);
                printf(" %.17g", v);
                break;
            }
            case RNNC_ST_I32: {
                int32_t v;
                memcpy(&v, p, 4);
                printf(" %ld", (long)v);
                break;
            }
            case RNNC_ST_I64: {
                int64_t v;
                memcpy(&v, p, 8);
                printf(" %lld", (long long)v);
                break;
            }
            }
        }
        printf("\n");
    }
    for (size_t i = 0; i < f.nmeta; i++) printf("meta %s = %s\n", f.meta_keys[i], f.meta_values[i]);
    rnnc_st_free(&f);
    return 0;
}

static int mode_write(const char *path)
{
    float W[6];
    for (int i = 0; i < 6; i++) W[i] = 0.5f * (float)i - 1.0f;
    double b[3] = {1.0 / 3.0, -2.5, 1e-300};
    int32_t n[4] = {-1, 0, 7, INT32_MAX};
    int64_t q[2] = {-9007199254740993LL, (int64_t)1 << 40};
    float s = 3.25f;
    uint64_t sW[2] = {2, 3}, sb[1] = {3}, sn[1] = {4}, sq[1] = {2}, sz[2] = {0, 5};
    rnnc_st_writer *w = rnnc_st_writer_new();
    int rc = !w || rnnc_st_add(w, "W", RNNC_ST_F32, 2, sW, W) || rnnc_st_add(w, "b", RNNC_ST_F64, 1, sb, b) ||
             rnnc_st_add(w, "n", RNNC_ST_I32, 1, sn, n) || rnnc_st_add(w, "q", RNNC_ST_I64, 1, sq, q) ||
             rnnc_st_add(w, "s", RNNC_ST_F32, 0, NULL, &s) ||
             rnnc_st_add(w, "z", RNNC_ST_F64, 2, sz, NULL) ||
             rnnc_st_set_meta(w, "format", "pt") || rnnc_st_set_meta(w, "note", "rnnc \xe2\x9c\x93");
    char err[1024] = "cannot build the writer";
    if (!rc) rc = rnnc_st_write(w, path, err, sizeof err);
    rnnc_st_writer_free(w);
    if (rc) fprintf(stderr, "%s\n", err);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--read") == 0) return mode_read(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--write") == 0) return mode_write(argv[2]);
    if (argc != 1) {
        fprintf(stderr, "usage: test_safetensors [--read FILE | --write FILE]\n");
        return 2;
    }
    tl_suite("st");
    dir = tl_workdir("test_safetensors");
    test_round_trip();
    test_writer_refusals();
    test_hostile();
    return tl_status();
}
