/* test_half.c: the safetensors reader's F16 and BF16 tensors (what PyTorch's .half() and
 * .bfloat16() save) and their exact widening (runtime/formats/safetensors.h).
 *
 *   - rnnc_st_f16_to_double: every one of the 65536 bit patterns against an independent
 *     formula (sign, exponent, fraction as the IEEE 754 binary16 definition gives them), and
 *     named values: 1, -2, 65504 (the largest), 2^-14 (the smallest normal), 2^-24 (the
 *     smallest subnormal), +-0, +-infinity, NaN;
 *   - rnnc_st_bf16_to_double: every bit pattern is the binary32 with those 16 high bits;
 *   - a file written with F16 and BF16 tensors reads back with dtype, shape, size and bytes
 *     intact, and names the dtypes "F16", "BF16".
 * Output: testlib's reporter (tests/lib/testlib.h), suite "half". */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/formats/safetensors.h"
#include "../lib/testlib.h"

/* Report one case: ok when cond, else FAIL with why. */
static void report(int cond, const char *name, const char *why) { tl_expect(cond, name, "%s", why); }

/* binary16 bits as IEEE 754 defines them, computed with pow() (not ldexp, as the library). */
static double f16_reference(unsigned bits)
{
    double sign = bits & 0x8000 ? -1.0 : 1.0;
    unsigned e = bits >> 10 & 0x1f, f = bits & 0x3ff;
    if (e == 31) return f ? NAN : sign * INFINITY;
    if (e == 0) return sign * pow(2.0, -14) * (f / 1024.0);
    return sign * pow(2.0, (double)e - 15) * (1.0 + f / 1024.0);
}

/* Every binary16 pattern against the reference; NaNs must stay NaN, zeros keep their sign. */
static void test_f16_all(void)
{
    char why[160] = "";
    for (unsigned b = 0; b < 65536 && !why[0]; b++) {
        double got = rnnc_st_f16_to_double((uint16_t)b), want = f16_reference(b);
        int same = isnan(want) ? isnan(got) : got == want && !signbit(got) == !signbit(want);
        if (!same) snprintf(why, sizeof why, "bits 0x%04x: got %.17g, want %.17g", b, got, want);
    }
    report(!why[0], "f16-every-bit-pattern", why);
    static const struct { uint16_t bits; double v; } named[] = {
        {0x3c00, 1.0}, {0xc000, -2.0}, {0x7bff, 65504.0}, {0x0400, 0x1p-14}, {0x0001, 0x1p-24},
        {0x3555, 0x1.554p-2}, {0x7c00, INFINITY}, {0xfc00, -INFINITY},
    };
    why[0] = '\0';
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (rnnc_st_f16_to_double(named[i].bits) != named[i].v)
            snprintf(why, sizeof why, "0x%04x is not %.17g", named[i].bits, named[i].v);
    if (!isnan(rnnc_st_f16_to_double(0x7e00))) snprintf(why, sizeof why, "0x7e00 is not NaN");
    if (!signbit(rnnc_st_f16_to_double(0x8000))) snprintf(why, sizeof why, "0x8000 is not -0");
    report(!why[0], "f16-named-values", why);
}

/* Every bfloat16 pattern is the float with those high 16 bits. */
static void test_bf16_all(void)
{
    char why[160] = "";
    for (uint32_t b = 0; b < 65536 && !why[0]; b++) {
        uint32_t u = b << 16;
        float f;
        memcpy(&f, &u, sizeof f);
        double got = rnnc_st_bf16_to_double((uint16_t)b);
        int same = isnan(f) ? isnan(got) : got == (double)f && !signbit(got) == !signbit(f);
        if (!same) snprintf(why, sizeof why, "bits 0x%04x: got %.17g, want %.17g", (unsigned)b, got, (double)f);
    }
    report(!why[0] && rnnc_st_bf16_to_double(0x3f80) == 1.0 && rnnc_st_bf16_to_double(0xc040) == -3.0,
           "bf16-every-bit-pattern", why[0] ? why : "1.0 or -3.0 wrong");
}

/* A file with an F16 and a BF16 tensor, written by the writer and read back. */
static void test_file(void)
{
    char err[512];
    const char *path = tl_path("half.safetensors");
    const uint16_t h[3] = {0x3c00, 0xc000, 0x0001}, bf[2] = {0x3f80, 0xc040};
    const uint64_t sh[1] = {3}, sb[2] = {1, 2};
    rnnc_st_writer *w = rnnc_st_writer_new();
    int ok = w && rnnc_st_add(w, "h", RNNC_ST_F16, 1, sh, h) == 0 && rnnc_st_add(w, "b", RNNC_ST_BF16, 2, sb, bf) == 0 &&
             rnnc_st_write(w, path, err, sizeof err) == 0;
    rnnc_st_writer_free(w);
    rnnc_st_file f;
    char why[2000] = "";
    if (!ok) snprintf(why, sizeof why, "cannot write %s: %s", path, err);
    else if (rnnc_st_read(path, &f, err, sizeof err) != 0) snprintf(why, sizeof why, "cannot read it back: %s", err);
    else {
        const rnnc_st_tensor *th = rnnc_st_find(&f, "h"), *tb = rnnc_st_find(&f, "b");
        uint16_t v0, b1;
        if (!th || !tb || th->dtype != RNNC_ST_F16 || tb->dtype != RNNC_ST_BF16 || th->nbytes != 6 ||
            tb->nbytes != 4 || tb->ndim != 2 || tb->shape[1] != 2)
            snprintf(why, sizeof why, "tensors, dtypes or sizes wrong");
        else {
            memcpy(&v0, th->data + 4, 2);
            memcpy(&b1, tb->data + 2, 2);
            if (rnnc_st_f16_to_double(v0) != 0x1p-24 || rnnc_st_bf16_to_double(b1) != -3.0)
                snprintf(why, sizeof why, "values read back wrong");
            else if (strcmp(rnnc_st_dtype_name(th->dtype), "F16") || strcmp(rnnc_st_dtype_name(tb->dtype), "BF16"))
                snprintf(why, sizeof why, "dtype names wrong");
        }
        rnnc_st_free(&f);
    }
    unlink(path);
    report(!why[0], "f16-bf16-file-round-trip", why);
}

int main(void)
{
    tl_suite("half");
    tl_workdir("test_half");
    test_f16_all();
    test_bf16_all();
    test_file();
    return tl_status();
}
