/* tests/fuzz/fuzz.h: what every libFuzzer target checks besides AddressSanitizer and
 * UndefinedBehaviorSanitizer: a refused input gets a message that keeps rnnc_fail's promise
 * (runtime/base/util.h: non-empty, one line, no control characters, valid UTF-8), and the
 * properties each target asserts hold.  A failed check calls abort(), which libFuzzer
 * reports as a crash and saves as an input to replay. */
#ifndef RNNC_FUZZ_H
#define RNNC_FUZZ_H

#define _POSIX_C_SOURCE 200809L   /* strnlen; fuzz.h is every target's first include */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(c)                                                                        \
    do {                                                                                      \
        if (!(c)) {                                                                           \
            fprintf(stderr, "fuzz: assertion failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);  \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* Length of the well-formed UTF-8 sequence at p[0..n) (p[0] >= 0x80), or 0. */
static inline size_t fuzz_utf8_len(const unsigned char *p, size_t n)
{
    unsigned b = p[0];
    size_t k;
    uint32_t c, min;
    if (b >= 0xC2 && b <= 0xDF) k = 2, c = b & 0x1F, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF) k = 3, c = b & 0x0F, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4) k = 4, c = b & 0x07, min = 0x10000;
    else return 0;
    if (k > n) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (p[i] & 0x3Fu);
    }
    if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return 0;
    return k;
}

/* Is s[0..n) valid UTF-8 without control characters (but allow_newline: '\n' is allowed)? */
static inline int fuzz_clean_text(const char *s, size_t n, int allow_newline)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            if ((p[i] < 0x20 && !(allow_newline && p[i] == '\n')) || p[i] == 0x7f) return 0;
            i++;
            continue;
        }
        size_t k = fuzz_utf8_len(p + i, n - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* The message of a refusal, in err (errlen bytes). */
static inline void fuzz_check_message(const char *err, size_t errlen)
{
    size_t n = strnlen(err, errlen);
    FUZZ_ASSERT(n > 0 && n < errlen);
    FUZZ_ASSERT(fuzz_clean_text(err, n, 0));
}

#endif
