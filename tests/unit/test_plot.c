/* test_plot.c: rnnc plot's charts of several logs, of bits per symbol, and of the logs rnnc
 * writes since issue 13 (runtime/commands/plot.h; the single-log cases of older logs are in
 * test_data.c).
 *
 *   - two logs of different tau overlaid: a line per log in its own colour, the thin mean line
 *     of each, a legend naming both files and the thin lines, no bits axis (and the summary
 *     says why); the same bytes twice;
 *   - one nll log, and two of one tau: a right axis of bits per symbol;
 *   - RNNC_PLOT_BITS: the y axis in bits per symbol (the ticks at the bits' scale, not the
 *     loss's); an mse log (bpc 0) is refused naming it, nothing written;
 *   - the header with --valid and the means: the validation line runs through the rows that
 *     have one (empty elsewhere), a row with too few numbers names the header;
 *   - more than RNNC_PLOT_MAX_LOGS logs are refused.
 * Files under $TESTS_TMP/test_plot.  Output: testlib's reporter (tests/lib/testlib.h), suite "plot2". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../runtime/commands/plot.h"
#include "../lib/testlib.h"

/* Report one case: ok when cond, else FAIL with why. */
static void report(int cond, const char *name, const char *why) { tl_expect(cond, name, "%s", why); }

/* name in the program's directory (tl_path). */
static const char *path_of(const char *name) { return tl_path(name); }

static const char *write_log(const char *name, const char *text) { return tl_write(tl_path(name), text, strlen(text)); }

/* The whole file (NUL-terminated, malloc'd), or NULL. */
static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    char *b = malloc(1 << 20);
    size_t n = b ? fread(b, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (b) b[n] = '\0';
    return b;
}

static size_t count(const char *s, const char *w)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, w)); p += strlen(w)) n++;
    return n;
}

/* A log of rows rows, tau given (bpc = loss / (tau ln 2)), loss falling from start; with the
 * mean columns (each row's mean a little below its smoothed loss). */
static const char *make_log(const char *name, int rows, double tau, double start, int mse)
{
    static char text[1 << 16];
    size_t o = (size_t)snprintf(text, sizeof text, "step,loss,bpc,lr,seconds,last_loss,mean_loss,mean_bpc\n");
    for (int i = 1; i <= rows && o < sizeof text - 200; i++) {
        double loss = start / (1.0 + 0.1 * i), mean = loss * 0.8, k = mse ? 0 : 1 / (tau * 0.6931471805599453);
        o += (size_t)snprintf(text + o, sizeof text - o, "%d,%.9g,%.9g,0.1,%d,%.9g,%.9g,%.9g\n", i * 10, loss, loss * k,
                              i, mean * 0.9, mean, mean * k);
    }
    return write_log(name, text);
}

static void test_overlay(void)
{
    char err[1024], why[1400] = "";
    const char *logs[2] = {make_log("a.csv", 30, 8, 20, 0), make_log("b.csv", 30, 16, 40, 0)};
    const char *s1 = path_of("cmp1.svg"), *s2 = path_of("cmp2.svg");
    int rc = rnnc_plot_logs(logs, 2, s1, 0, err, sizeof err);
    char *a = rc == 0 ? slurp(s1) : NULL, *b = NULL;
    if (!a) snprintf(why, sizeof why, "rc %d: %s", rc, err);
    else if (count(a, "<polyline") != 4 || count(a, "stroke=\"#1f77b4\"") < 2 || count(a, "stroke=\"#2ca02c\"") < 2)
        snprintf(why, sizeof why, "not 4 lines in two colours (%zu polylines)", count(a, "<polyline"));
    else if (count(a, "stroke-opacity=\"0.45\"") < 2)
        snprintf(why, sizeof why, "no thin mean line per log");
    else if (!strstr(a, ">a.csv<") || !strstr(a, ">b.csv<") || !strstr(a, ">thin: mean since the previous row<"))
        snprintf(why, sizeof why, "the legend does not name both logs and the thin lines");
    else if (!strstr(a, "no bits axis: the logs' tau differ") || strstr(a, ">bits per symbol<"))
        snprintf(why, sizeof why, "a bits axis for logs of different tau, or no note why there is none");
    report(!why[0], "overlay-two-logs-with-legend", why);
    rc = rnnc_plot_logs(logs, 2, s2, 0, err, sizeof err);
    b = rc == 0 ? slurp(s2) : NULL;
    report(a && b && strcmp(a, b) == 0, "overlay-deterministic", "two runs differ");
    free(a);
    free(b);
}

static void test_bits(void)
{
    char err[1024], why[1400] = "";
    const char *one = make_log("one.csv", 20, 8, 20, 0), *same[2] = {one, make_log("same.csv", 20, 8, 30, 0)};
    const char *s = path_of("bits.svg");
    int rc = rnnc_plot_logs(&one, 1, s, 0, err, sizeof err);
    char *a = rc == 0 ? slurp(s) : NULL;
    report(a && strstr(a, ">bits per symbol</text>") && strstr(a, ">loss</text>"), "one-log-has-a-right-bits-axis",
           a ? "no right axis" : err);
    free(a);
    rc = rnnc_plot_logs(same, 2, s, 0, err, sizeof err);
    a = rc == 0 ? slurp(s) : NULL;
    report(a && strstr(a, ">bits per symbol</text>") && !strstr(a, "no bits axis"), "same-tau-logs-share-a-bits-axis",
           a ? "no right axis" : err);
    free(a);
    /* --bits: 20 / 1.1 = 18.2 .. 20 / 3 = 6.7 per sequence, 3.3 .. 1.2 bits per symbol. */
    rc = rnnc_plot_logs(same, 2, s, RNNC_PLOT_BITS, err, sizeof err);
    a = rc == 0 ? slurp(s) : NULL;
    if (!a) snprintf(why, sizeof why, "rc %d: %s", rc, err);
    else if (!strstr(a, "<title>Bits per symbol: one.csv, same.csv</title>") || !strstr(a, ">bits per symbol</text>"))
        snprintf(why, sizeof why, "the title or the axis is not bits per symbol");
    else if (strstr(a, ">15<") || strstr(a, ">20<") || !strstr(a, ">3<"))
        snprintf(why, sizeof why, "the y ticks are not at the bits' scale");
    report(!why[0], "bits-flag-draws-bits-per-symbol", why);
    free(a);
    const char *mse = make_log("mse.csv", 10, 8, 20, 1);
    unlink(s);
    rc = rnnc_plot_logs(&mse, 1, s, RNNC_PLOT_BITS, err, sizeof err);
    report(rc != 0 && strstr(err, "mse.csv: --bits: this log has no bits per symbol (its bpc column is 0") &&
               access(s, F_OK) != 0,
           "bits-flag-refuses-an-mse-log", rc ? err : "accepted");
}

static void test_new_header(void)
{
    char err[1024];
    const char *p = write_log("valid.csv", "step,loss,bpc,lr,seconds,valid_loss,valid_bpc,last_loss,mean_loss,mean_bpc\n"
                                           "10,3,4,0.1,0,,,2.9,2.95,3.9\n20,2.5,3.5,0.1,1,2.9,4.1,2.2,2.3,3.2\n"
                                           "30,2,3,0.1,2,,,1.9,1.95,2.7\n40,1.8,2.6,0.1,3,2.4,3.4,1.6,1.7,2.4\n");
    const char *s = path_of("valid.svg");
    int rc = rnnc_plot_logs(&p, 1, s, 0, err, sizeof err);
    char *a = rc == 0 ? slurp(s) : NULL;
    report(a && count(a, "<polyline") == 3 && strstr(a, "stroke=\"#ff7f0e\" stroke-width") && strstr(a, ">validation<") &&
               strstr(a, ">training (mean since the previous row)<") && strstr(a, "mean since the previous row 1.7"),
           "valid-and-means-drawn-validation-through-sparse-rows", a ? "lines or legend missing" : err);
    free(a);
    p = write_log("short.csv", "step,loss,bpc,lr,seconds,last_loss,mean_loss,mean_bpc\n1,2,3,0.1,0,2\n");
    rc = rnnc_plot_logs(&p, 1, s, 0, err, sizeof err);
    report(rc != 0 && strstr(err, "short.csv:2: expected 8 numbers (step,loss,bpc,lr,seconds,last_loss,mean_loss,"
                                  "mean_bpc), got '1,2,3,0.1,0,2'"),
           "short-row-names-the-header", rc ? err : "accepted");
    const char *many[RNNC_PLOT_MAX_LOGS + 1];
    for (int i = 0; i <= RNNC_PLOT_MAX_LOGS; i++) many[i] = p;
    rc = rnnc_plot_logs(many, RNNC_PLOT_MAX_LOGS + 1, s, 0, err, sizeof err);
    report(rc != 0 && strstr(err, "at most 8 logs"), "too-many-logs-refused", rc ? err : "accepted");
}

int main(void)
{
    tl_suite("plot2");
    tl_workdir("test_plot");
    test_overlay();
    test_bits();
    test_new_header();
    return tl_status();
}
