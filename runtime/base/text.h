/* text.h: reading text the same way everywhere: decimal numbers (CSV data, training logs) and
 * file-name suffixes.  libc only; nothing here prints or exits. */
#ifndef RNNC_TEXT_H
#define RNNC_TEXT_H

#include <stddef.h>

/* What rnnc_parse_decimal found. */
typedef enum {
    RNNC_NUM_OK,      /* a number, in *out */
    RNNC_NUM_EMPTY,   /* no text at all */
    RNNC_NUM_BAD,     /* not a number of the accepted form (or longer than RNNC_NUM_MAX_TEXT) */
    RNNC_NUM_RANGE    /* a decimal too large for a double (it would be infinite) */
} rnnc_numstat;

enum {
    RNNC_NUM_MAX_TEXT = 400,   /* the longest number text accepted, in bytes */
    RNNC_NUM_NONFINITE = 1     /* flag: also accept nan / inf / infinity (and overflow to inf) */
};

/* Parse s[0..n) (already trimmed: no white space is skipped) as a decimal number:
 * [+-] digits [. digits] [e [+-] digits], at least one digit before the exponent, nothing
 * after it; no hexadecimal.  The decimal point is always '.', whatever LC_NUMERIC says.  With
 * RNNC_NUM_NONFINITE in flags, also nan, inf and infinity in any case with an optional sign
 * (glibc's "-nan" included; nan is stored without its sign), and a decimal that overflows
 * gives RNNC_NUM_OK with +-inf.  *out is written only on RNNC_NUM_OK. */
rnnc_numstat rnnc_parse_decimal(const unsigned char *s, size_t n, int flags, double *out);

/* 1 when s ends with suffix and is longer than it ("a.csv" ends with ".csv"; ".csv" alone
 * does not), else 0. */
int rnnc_ends_with(const char *s, const char *suffix);

#endif
