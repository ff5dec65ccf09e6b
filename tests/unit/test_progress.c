/* test_progress.c: the smoothed loss and the progress line of rnnc train
 * (runtime/commands/progress.h).
 *
 *   - rnnc_smooth_next: the first loss is the smoothed loss (no assumed start); after n losses
 *     it equals the weighted mean sum_k 0.999^(n-k) x_k / sum_k 0.999^(n-k), computed directly,
 *     for n up to 5000 (within 1e-12 relative); a constant loss stays that constant; stepping
 *     from a saved value continues with the same bits (resume);
 *   - rnnc_progress_line: in full at width 0; at every width from 1 to 160 no longer than
 *     width - 1 columns; the fields go in the documented order (speed, then double spaces, the
 *     means, ETA, valid, the loss), the step always kept while it fits; an mse line has no bpc.
 * Output: testlib's reporter (tests/lib/testlib.h), suite "progress". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../runtime/commands/progress.h"
#include "../lib/testlib.h"

/* Report one case: ok when cond, else FAIL with why. */
static void report(int cond, const char *name, const char *why) { tl_expect(cond, name, "%s", why); }

static void test_smoothing(void)
{
    char why[200] = "";
    double s = NAN, num = 0, den = 0, xs[5000];
    for (int n = 1; n <= 5000 && !why[0]; n++) {
        double x = 40.0 * exp(-n / 700.0) + 3 + sin(n * 0.37);   /* a falling, noisy loss */
        xs[n - 1] = x;
        s = rnnc_smooth_next(s, x, (uint64_t)n);
        num = num * RNNC_SMOOTH + x;
        den = den * RNNC_SMOOTH + 1;
        if (n == 1 && s != x) snprintf(why, sizeof why, "s_1 = %.17g, not the first loss %.17g", s, x);
        else if (fabs(s - num / den) > 1e-12 * fabs(num / den))
            snprintf(why, sizeof why, "n = %d: %.17g, the weighted mean is %.17g", n, s, num / den);
    }
    report(!why[0], "smoothed-is-the-weighted-mean-of-the-losses-so-far", why);
    double c = NAN;
    for (int n = 1; n <= 3000; n++) c = rnnc_smooth_next(c, 2.5, (uint64_t)n);
    report(fabs(c - 2.5) < 1e-12, "constant-loss-stays-constant", "drifted from 2.5");
    /* Resume: continuing from the value after 1234 losses gives the bits of one run. */
    double a = NAN, b;
    for (int n = 1; n <= 1234; n++) a = rnnc_smooth_next(a, xs[n - 1], (uint64_t)n);
    b = a;
    for (int n = 1235; n <= 5000; n++) a = rnnc_smooth_next(a, xs[n - 1], (uint64_t)n);
    for (int n = 1235; n <= 5000; n++) b = rnnc_smooth_next(b, xs[n - 1], (uint64_t)n);
    report(memcmp(&a, &b, sizeof a) == 0 && a == s, "resumed-smoothing-same-bits", "differs");
}

static void test_line(void)
{
    rnnc_progress p = {25000, 300000, 1, 52.1279, 50.7712, 1 / (25 * log(2.0)), 8.8, 25, 32.4, 2.91};
    char line[512], why[1200] = "";
    rnnc_progress_line(&p, 0, line, sizeof line);
    report(strcmp(line, "step 25000/300000  loss 52.1279 (mean 50.7712)  bpc 3.008 (2.930)  220 char/s  ETA 0:32  valid 2.91") == 0,
           "full-line", line);
    for (size_t w = 1; w <= 160 && !why[0]; w++) {
        size_t k = rnnc_progress_line(&p, w, line, sizeof line);
        if (k != strlen(line) || k > w - 1) snprintf(why, sizeof why, "width %zu: %zu columns: '%s'", w, k, line);
    }
    report(!why[0], "never-wider-than-width-less-one", why);
    static const struct { size_t w; const char *want; } steps[] = {
        {100, "step 25000/300000  loss 52.1279 (mean 50.7712)  bpc 3.008 (2.930)  220 char/s  ETA 0:32  valid 2.91"},
        {99, "step 25000/300000  loss 52.1279 (mean 50.7712)  bpc 3.008 (2.930)  ETA 0:32  valid 2.91"},
        {87, "step 25000/300000 loss 52.1279 (mean 50.7712) bpc 3.008 (2.930) ETA 0:32 valid 2.91"},
        {83, "step 25000/300000 loss 52.1279 bpc 3.008 ETA 0:32 valid 2.91"},
        {60, "step 25000/300000 loss 52.1279 bpc 3.008 valid 2.91"},
        {51, "step 25000/300000 loss 52.1279 bpc 3.008"},
        {40, "step 25000/300000 bpc 3.008"},
        {10, "step 2500"},
    };
    why[0] = '\0';
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && !why[0]; i++) {
        rnnc_progress_line(&p, steps[i].w, line, sizeof line);
        if (strcmp(line, steps[i].want) != 0) snprintf(why, sizeof why, "width %zu: '%s', not '%s'", steps[i].w, line, steps[i].want);
    }
    report(!why[0], "fields-dropped-in-order", why);
    rnnc_progress m = {7, 10, 0, 0.0123, NAN, 0, 2, 1, -1, NAN};
    rnnc_progress_line(&m, 0, line, sizeof line);
    report(strcmp(line, "step 7/10  loss 0.0123  2 steps/s  ETA --:--") == 0, "mse-line-no-bpc-unknown-eta", line);
}

int main(void)
{
    tl_suite("progress");
    test_smoothing();
    test_line();
    return tl_status();
}
