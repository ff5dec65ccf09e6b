/* test_math.c: the float exp and tanh of templates/rnn_math.c (copied into every float
 * model) against the double-precision libm, in units in the last place of the float result,
 * over every float in [-20, 20] sampled densely, plus the edge cases. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../templates/rnn_math.c"
#include "../lib/testlib.h"

/* |got - want| in units of the float spacing at want. */
static double ulps(float got, double want)
{
    double spacing = ldexp(1.0, ilogb(want == 0 ? 1e-30 : want) - 23);
    return fabs((double)got - want) / spacing;
}

int main(void)
{
    tl_suite("math");
    double worst_exp = 0, worst_tanh = 0, at_exp = 0, at_tanh = 0;
    char msg[200];
    /* Every 2^-12 step over [-87, 88] for exp and [-12, 12] for tanh, plus tiny values. */
    for (double v = -87; v <= 88; v += 1.0 / 4096) {
        float x = (float)v;
        double e = ulps(rnn_expf(x), exp((double)x));
        if (e > worst_exp) worst_exp = e, at_exp = x;
    }
    for (double v = -12; v <= 12; v += 1.0 / 65536) {
        float x = (float)v;
        double t = ulps(rnn_tanhf(x), tanh((double)x));
        if (t > worst_tanh) worst_tanh = t, at_tanh = x;
    }
    for (float x = 1e-30f; x < 1e-2f; x *= 1.37f) {
        double t = ulps(rnn_tanhf(x), tanh((double)x));
        if (t > worst_tanh) worst_tanh = t, at_tanh = x;
    }
    /* Stated bounds: exp within 2 ulp, tanh within 4 ulp (libm's own are within 1). */
    snprintf(msg, sizeof msg, "worst %.2f ulp at x = %.9g", worst_exp, at_exp);
    printf("# exp: %s\n", msg);
    tl_expect(worst_exp <= 2, "expf-within-2-ulp", "%s", msg);
    snprintf(msg, sizeof msg, "worst %.2f ulp at x = %.9g", worst_tanh, at_tanh);
    printf("# tanh: %s\n", msg);
    tl_expect(worst_tanh <= 4, "tanhf-within-4-ulp", "%s", msg);
    tl_expect(rnn_expf(-100.0f) == 0.0f && rnn_expf(-87.5f) == 0.0f, "expf-underflows-to-0", "not 0");
    tl_expect(isnan(rnn_expf(NAN)) && isnan(rnn_tanhf(NAN)), "nan-stays-nan", "NaN was lost");
    tl_expect(rnn_tanhf(INFINITY) == 1.0f && rnn_tanhf(-INFINITY) == -1.0f && rnn_tanhf(30.0f) == 1.0f,
              "tanhf-saturates", "tanh(inf) != 1");
    tl_expect(rnn_tanhf(0.0f) == 0.0f && rnn_expf(0.0f) == 1.0f, "exact-at-0", "exp(0) != 1 or tanh(0) != 0");
    int odd = 1;
    for (float x = 0.001f; x < 10; x *= 1.1f) odd = odd && rnn_tanhf(-x) == -rnn_tanhf(x);
    tl_expect(odd, "tanhf-is-odd", "tanh(-x) != -tanh(x)");
    return tl_status();
}
