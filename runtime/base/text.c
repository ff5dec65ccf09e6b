/* text.c: decimal numbers and file-name suffixes (see text.h). */
#include "text.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* s[0..n) (after any sign) as nan / inf / infinity in any case: 1 and *out (the sign neg
 * applied to infinity), else 0. */
static int parse_nonfinite(const unsigned char *s, size_t n, int neg, double *out)
{
    char w[16];
    if (n >= sizeof w) return 0;
    for (size_t j = 0; j < n; j++) {
        unsigned char c = s[j];
        w[j] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    w[n] = '\0';
    if (strcmp(w, "nan") == 0) {
        *out = NAN;
        return 1;
    }
    if (strcmp(w, "inf") == 0 || strcmp(w, "infinity") == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return 1;
    }
    return 0;
}

/* Does s[0..n) follow the grammar [+-] digits [. digits] [e [+-] digits] with a digit before
 * the exponent and one in it? */
static int is_decimal(const unsigned char *s, size_t n)
{
    size_t i = 0, digits = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (digits == 0) return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t ed = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, ed++;
        if (ed == 0) return 0;
    }
    return i == n;
}

rnnc_numstat rnnc_parse_decimal(const unsigned char *s, size_t n, int flags, double *out)
{
    if (n == 0) return RNNC_NUM_EMPTY;
    if (n > RNNC_NUM_MAX_TEXT) return RNNC_NUM_BAD;
    int neg = s[0] == '-', sign = s[0] == '+' || s[0] == '-';
    if ((flags & RNNC_NUM_NONFINITE) && parse_nonfinite(s + sign, n - (size_t)sign, neg, out))
        return RNNC_NUM_OK;
    if (!is_decimal(s, n)) return RNNC_NUM_BAD;
    /* strtod follows LC_NUMERIC: use its decimal point in place of '.'. */
    char tmp[RNNC_NUM_MAX_TEXT + 8];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    const char *dp = localeconv()->decimal_point;
    if (dp && dp[0] && dp[0] != '.' && !dp[1]) {
        char *p = strchr(tmp, '.');
        if (p) *p = dp[0];
    }
    char *end;
    double d = strtod(tmp, &end);
    if (end != tmp + n) return RNNC_NUM_BAD;
    if (!isfinite(d) && !(flags & RNNC_NUM_NONFINITE)) return RNNC_NUM_RANGE;
    *out = d;
    return RNNC_NUM_OK;
}

int rnnc_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}
