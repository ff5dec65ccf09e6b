/* plot.c: training logs as an SVG line chart of loss (or bits per symbol) against step (see
 * plot.h).
 *
 * A log: the header line "step,loss,bpc,lr,seconds" (a trailing '\r' and a leading UTF-8
 * byte order mark are tolerated), then rows of 5 numbers; blank lines are skipped.  A log of a
 * run with --valid has two more columns, "valid_loss,valid_bpc", empty in the rows where the
 * held-out data was not evaluated; the validation loss is drawn as a line of its own.  Logs of
 * rnnc since issue 13 end in three more, "last_loss,mean_loss,mean_bpc" (the loss of the row's
 * step, and the mean since the previous row), and the mean is drawn too, thin.  step must be
 * a finite number; the other columns may also be nan or inf (as printf writes a diverged run's
 * loss): such losses are not drawn, they break the line.  "loss" is the smoothed loss.
 *
 * The chart: a fixed 800 x 500 canvas, title, a one-line summary, grid lines, "nice" ticks
 * (1, 2 or 5 times a power of ten; about 5 per axis) labelled on both axes, and each loss drawn
 * as one <polyline> per run of finite values (a <circle> for a lone point).  When every log's
 * bits per symbol are a fixed multiple of its loss (nll, the same tau), a second axis on the
 * right gives bits per symbol; RNNC_PLOT_BITS draws bits per symbol on the left axis instead
 * (logs of different tau then compare).  Several logs are overlaid, one colour each, with a
 * legend naming them.  Logs of more than DECIMATE_ROWS rows are reduced per pixel column to
 * its first, lowest, highest and last point (in log order), which draws the same picture at
 * this size with at most 4 points a column.  Every number is printed with a fixed precision,
 * so the same logs give the same bytes.  The SVG has no scripts, style sheets or external
 * references. */
#define _POSIX_C_SOURCE 200809L
#include "plot.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/text.h"
#include "../base/util.h"
#include "../formats/data.h"

/* The header of a log: LOG_BASE, then LOG_VALID (--valid), then LOG_MEANS (rnnc since issue
 * 13); each row has as many numbers. */
#define LOG_BASE "step,loss,bpc,lr,seconds"
#define LOG_VALID ",valid_loss,valid_bpc"
#define LOG_MEANS ",last_loss,mean_loss,mean_bpc"
#define LOG_COLS 5
#define LOG_MAX_COLS 10
#define DECIMATE_ROWS 2000
#define QUOTE_MAX 60

/* Canvas and plot area, in pixels. */
#define SVG_W 800
#define SVG_H 500
#define PLOT_L 80.0
#define PLOT_R 716.0
#define PLOT_T 64.0
#define PLOT_B 436.0

/* s[0..n) quoted for a message: at most QUOTE_MAX bytes, control characters and bytes
 * >= 0x80 as \xHH (the log is ASCII), "..." when cut. */
static void quote(char *dst, size_t cap, const unsigned char *s, size_t n)
{
    size_t o = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        char esc[8];
        size_t k;
        if (i == QUOTE_MAX) {
            if (o + 3 < cap) memcpy(dst + o, "...", 3), o += 3;
            break;
        }
        if (s[i] == '\\' || s[i] == '\'') k = (size_t)snprintf(esc, sizeof esc, "\\%c", s[i]);
        else if (s[i] < 0x20 || s[i] >= 0x7f) k = (size_t)snprintf(esc, sizeof esc, "\\x%02x", s[i]);
        else {
            esc[0] = (char)s[i];
            k = 1;
        }
        if (o + k >= cap) break;
        memcpy(dst + o, esc, k);
        o += k;
    }
    dst[o] = '\0';
}

/* ---- parsing the log --------------------------------------------------------------------- */

/* s[0..n) trimmed of spaces and tabs as a number (rnnc_parse_decimal): decimal, or, when
 * nonfinite_ok, also nan / inf / infinity in any case with an optional sign (and glibc's
 * "-nan").  Returns 0 and *out, or -1. */
static int parse_number(const unsigned char *s, size_t n, int nonfinite_ok, double *out)
{
    while (n > 0 && (s[0] == ' ' || s[0] == '\t')) s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    int flags = nonfinite_ok ? RNNC_NUM_NONFINITE : 0;
    return rnnc_parse_decimal(s, n, flags, out) == RNNC_NUM_OK ? 0 : -1;
}

typedef struct log_data {
    const char *path;
    size_t rows;
    double *step, *loss;     /* the smoothed loss of each row */
    double *valid;           /* the validation loss of each row (NAN: not evaluated there) */
    double *mean;            /* the mean loss since the previous row (NAN: the log has none) */
    int has_valid;           /* the log has the validation columns */
    int has_mean;            /* the log has last_loss, mean_loss, mean_bpc */
    size_t nvalid;           /* rows with a validation loss */
    double last_valid;       /* the last validation loss */
    double last[LOG_MAX_COLS];   /* the last row */
    size_t nonfinite;        /* rows whose loss is nan or inf */
    double bits;             /* bits per symbol per unit of loss (bpc / loss): 0 for mse, NAN
                                when no row says */
} log_data;

static void log_free(log_data *d)
{
    free(d->step);
    free(d->loss);
    free(d->valid);
    free(d->mean);
    memset(d, 0, sizeof *d);
}

/* Grow the row arrays of d to hold one more row.  0, or -1 (out of memory). */
static int log_grow(log_data *d, size_t *cap)
{
    if (d->rows < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 1024;
    if (*cap > SIZE_MAX / 2 / sizeof(double)) return -1;
    double **arrays[4] = {&d->step, &d->loss, &d->valid, &d->mean};
    for (int k = 0; k < 4; k++) {
        double *p = realloc(*arrays[k], nc * sizeof *p);
        if (!p) return -1;
        *arrays[k] = p;
    }
    *cap = nc;
    return 0;
}

/* Parse the fields of one row buf[ls..le) into v (ncols numbers; the columns after the first
 * five may be empty: NAN).  0, or -1 when the row is not ncols numbers. */
static int parse_row(const unsigned char *buf, size_t ls, size_t le, size_t ncols, double *v)
{
    size_t nf = 0, a = ls;
    int bad = 0;
    for (;;) {
        const unsigned char *comma = memchr(buf + a, ',', le - a);
        size_t b = comma ? (size_t)(comma - buf) : le, k = a;
        while (k < b && (buf[k] == ' ' || buf[k] == '\t')) k++;
        if (nf >= LOG_COLS && nf < ncols && k == b) v[nf] = NAN;
        else if (nf < ncols && parse_number(buf + a, b - a, nf != 0, &v[nf]) != 0) bad = 1;
        nf++;
        if (!comma) break;
        a = b + 1;
    }
    return bad || nf != ncols ? -1 : 0;
}

/* The header line buf[ls..le): which of the headers rnnc writes it is (into d: has_valid,
 * has_mean), its text into hdr, its columns into *ncols.  0, or -1 when it is none. */
static int read_header(const unsigned char *buf, size_t ls, size_t le, log_data *d, char *hdr, size_t n,
                       size_t *ncols)
{
    for (int k = 0; k < 4; k++) {
        snprintf(hdr, n, "%s%s%s", LOG_BASE, k & 1 ? LOG_VALID : "", k & 2 ? LOG_MEANS : "");
        if (le - ls == strlen(hdr) && memcmp(buf + ls, hdr, le - ls) == 0) {
            d->has_valid = k & 1;
            d->has_mean = k >> 1 & 1;
            *ncols = LOG_COLS + (k & 1 ? 2 : 0) + (k & 2 ? 3 : 0);
            return 0;
        }
    }
    return -1;
}

/* Keep row v (the log's columns) as row d->rows. */
static void keep_row(log_data *d, const double *v, size_t ncols)
{
    size_t r = d->rows, mean_col = d->has_valid ? 8 : 6;
    d->step[r] = v[0];
    d->loss[r] = v[1];
    d->valid[r] = d->has_valid ? v[5] : NAN;
    d->mean[r] = d->has_mean ? v[mean_col] : NAN;
    if (!isfinite(v[1])) d->nonfinite++;
    if (isfinite(d->valid[r])) d->nvalid++, d->last_valid = d->valid[r];
    if (isnan(d->bits) && isfinite(v[1]) && isfinite(v[2]) && v[1] != 0) d->bits = v[2] / v[1];
    memcpy(d->last, v, ncols * sizeof *v);
    d->rows++;
}

/* Parse the log text buf[0..n) (path names it in messages and the legend) into d. */
static int parse_log(const unsigned char *buf, size_t n, const char *path, log_data *d, char *err,
                     size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->path = path;
    d->bits = NAN;
    size_t pos = 0, line = 0, cap = 0, ncols = LOG_COLS;
    int rc = -1;
    char hdr[128];
    if (n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) pos = 3;
    size_t ls, le;
    d->last_valid = NAN;
    while (rnnc_next_line(buf, n, &pos, &ls, &le)) {
        line++;
        char q[QUOTE_MAX * 4 + 8];
        if (line == 1) {
            if (read_header(buf, ls, le, d, hdr, sizeof hdr, &ncols) != 0) {
                quote(q, sizeof q, buf + ls, le - ls);
                rnnc_fail(err, errlen, "%s:1: expected the header '%s' (or '%s%s'; either may end in '%s'), got '%s'",
                          path, LOG_BASE, LOG_BASE, LOG_VALID, LOG_MEANS, q);
                goto out;
            }
            continue;
        }
        size_t p = ls;
        while (p < le && (buf[p] == ' ' || buf[p] == '\t')) p++;
        if (p == le) continue;
        double v[LOG_MAX_COLS];
        if (parse_row(buf, ls, le, ncols, v) != 0) {
            quote(q, sizeof q, buf + ls, le - ls);
            rnnc_fail(err, errlen, "%s:%zu: expected %zu numbers (%s), got '%s'", path, line, ncols, hdr, q);
            goto out;
        }
        if (log_grow(d, &cap) != 0) {
            rnnc_fail(err, errlen, "%s:%zu: out of memory", path, line);
            goto out;
        }
        keep_row(d, v, ncols);
    }
    if (line == 0) {
        rnnc_fail(err, errlen, "%s: is empty", path);
        goto out;
    }
    if (d->rows == 0) {
        rnnc_fail(err, errlen, "%s: the log has no rows (only the header)", path);
        goto out;
    }
    rc = 0;
out:
    if (rc != 0) log_free(d);
    return rc;
}

/* ---- output: an rnnc_buf (runtime/base/buf.h) ------------------------------------------- */

/* rnnc_buf_printf is for integers and text only: numbers with a fraction go through sb_tpl
 * (locale-independent). */

/* Append tpl with each '@' replaced by the next argument (a double) with one decimal: a pixel
 * coordinate.  Rounded through integer tenths, so no locale can change the decimal point. */
static void sb_tpl(rnnc_buf *b, const char *tpl, ...)
{
    va_list ap;
    va_start(ap, tpl);
    for (const char *p = tpl; *p;) {
        const char *at = strchr(p, '@');
        size_t k = at ? (size_t)(at - p) : strlen(p);
        rnnc_buf_put(b, p, k);
        if (!at) break;
        double v = va_arg(ap, double);
        if (!(fabs(v) < 1e12)) v = 0;   /* cannot happen for points on the canvas */
        long long t = llround(v * 10);
        char num[32];
        int m = snprintf(num, sizeof num, "%s%lld.%lld", t < 0 ? "-" : "", llabs(t) / 10, llabs(t) % 10);
        rnnc_buf_put(b, num, (size_t)m);
        p = at + 1;
    }
    va_end(ap);
}

/* A number with `decimals` places (or 4 significant digits when that would be unreadable),
 * '.' as the decimal point, no "-0". */
static void fmt_value(char out[48], double v, int decimals)
{
    if (isnan(v)) {
        snprintf(out, 48, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, 48, "%s", v > 0 ? "inf" : "-inf");
        return;
    }
    if (v == 0) v = 0;   /* -0 -> +0 */
    if (decimals <= 6 && fabs(v) < 1e9) snprintf(out, 48, "%.*f", decimals, v);
    else snprintf(out, 48, "%.4g", v);
    for (char *p = out; *p; p++)
        if (*p == ',') *p = '.';
    if (strcmp(out, "-0") == 0 || (out[0] == '-' && strspn(out + 1, "0.") == strlen(out + 1)))
        memmove(out, out + 1, strlen(out));
}

/* Text for XML character data / attributes: markup characters as entities, valid UTF-8
 * copied, control characters and invalid bytes as '?'. */
static void sb_xml(rnnc_buf *b, const char *text, size_t maxbytes)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text);
    if (n > maxbytes) n = maxbytes;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c == '&') rnnc_buf_put(b, "&amp;", 5);
        else if (c == '<') rnnc_buf_put(b, "&lt;", 4);
        else if (c == '>') rnnc_buf_put(b, "&gt;", 4);
        else if (c == '"') rnnc_buf_put(b, "&quot;", 6);
        else if (c == '\'') rnnc_buf_put(b, "&apos;", 6);
        else if (c < 0x20 || c == 0x7f) rnnc_buf_put(b, "?", 1);
        else if (c < 0x80) rnnc_buf_put(b, (const char *)s + i, 1);
        else {
            size_t need = c >= 0xF0 && c < 0xF5 ? 3 : c >= 0xE0 && c < 0xF0 ? 2 : c >= 0xC2 && c < 0xE0 ? 1 : 0;
            int ok = need > 0 && need < n - i;
            uint32_t cp = c & (need == 1 ? 0x1Fu : need == 2 ? 0x0Fu : 0x07u);
            for (size_t j = 1; ok && j <= need; j++) {
                if ((s[i + j] & 0xC0) != 0x80) ok = 0;
                else cp = cp << 6 | (s[i + j] & 0x3Fu);
            }
            if (ok && ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
                       (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0x80 && cp <= 0x9F) ||
                       cp == 0xFFFE || cp == 0xFFFF))
                ok = 0;
            if (ok) {
                rnnc_buf_put(b, (const char *)s + i, need + 1);
                i += need + 1;
                continue;
            }
            rnnc_buf_put(b, "?", 1);
        }
        i++;
    }
}

/* ---- axes -------------------------------------------------------------------------------- */

typedef struct axis {
    double lo, hi, step;
    int ticks, decimals;
} axis;

/* 1, 2, 5 or 10 times a power of ten near x (> 0): rounded, or at least x. */
static double nice_num(double x, int round)
{
    double e = floor(log10(x)), p = pow(10, e), f = x / p, nf;
    if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * p;
}

/* An axis over [mn, mx] with about 5 ticks at round values (Heckbert's "nice numbers"). */
static void nice_axis(double mn, double mx, axis *a)
{
    if (!(mx > mn)) {
        double pad = mn == 0 ? 0.5 : fabs(mn) * 0.5;
        if (mn == 0) mx = 1;
        else {
            mn -= pad;
            mx += pad;
        }
    }
    if (!isfinite(mx - mn)) {   /* absurd ranges: keep the arithmetic finite */
        mn /= 4;
        mx /= 4;
    }
    double range = nice_num(mx - mn, 0);
    double step = nice_num(range / 4, 1);
    if (!(step > 0) || !isfinite(step)) step = 1;
    a->step = step;
    a->lo = floor(mn / step) * step;
    a->hi = ceil(mx / step) * step;
    if (!(a->hi > a->lo)) a->hi = a->lo + step;
    double t = (a->hi - a->lo) / step + 1.5;
    a->ticks = !(t >= 2) ? 2 : t > 50 ? 50 : (int)t;
    double d = -floor(log10(step) + 1e-9);
    a->decimals = d < 0 ? 0 : d > 20 ? 20 : (int)d;
}

static double axis_value(const axis *a, int i)
{
    double v = a->lo + i * a->step;
    if (fabs(v) < a->step * 1e-9) v = 0;
    return v;
}

static double map_x(const axis *a, double x) { return PLOT_L + (x - a->lo) / (a->hi - a->lo) * (PLOT_R - PLOT_L); }
static double map_y(const axis *a, double y) { return PLOT_B - (y - a->lo) / (a->hi - a->lo) * (PLOT_B - PLOT_T); }

/* ---- the chart --------------------------------------------------------------------------- */

typedef struct pt {
    double x, y;
} pt;

/* One line of the chart: the values ys (scaled by scale) at the steps xs, rows [0, n). */
typedef struct series {
    const double *xs, *ys;
    size_t n;
    double scale;
} series;

static double series_y(const series *s, size_t i) { return s->ys[i] * s->scale; }

/* Draw one run of finite points (indices [a, b) of s) into pts as pixels, decimated per pixel
 * column when decimate. */
static size_t run_points(const series *s, size_t a, size_t b, int decimate, const axis *ax,
                         const axis *ay, pt *pts)
{
    size_t np = 0;
    if (!decimate) {
        for (size_t i = a; i < b; i++) {
            pts[np].x = map_x(ax, s->xs[i]);
            pts[np].y = map_y(ay, series_y(s, i));
            np++;
        }
        return np;
    }
    size_t i = a;
    while (i < b) {
        double px = floor(map_x(ax, s->xs[i]));
        size_t j = i + 1, lo = i, hi = i;
        while (j < b && floor(map_x(ax, s->xs[j])) == px) {
            if (series_y(s, j) < series_y(s, lo)) lo = j;
            if (series_y(s, j) > series_y(s, hi)) hi = j;
            j++;
        }
        size_t idx[4] = {i, lo < hi ? lo : hi, lo < hi ? hi : lo, j - 1};
        for (int k = 0; k < 4; k++) {
            if (k > 0 && idx[k] == idx[k - 1]) continue;
            pts[np].x = map_x(ax, s->xs[idx[k]]);
            pts[np].y = map_y(ay, series_y(s, idx[k]));
            np++;
        }
        i = j;
    }
    return np;
}

/* How a line is drawn: its colour, width, opacity and dashes; markers: a dot on each point of
 * a short line (always on a lone point). */
typedef struct style {
    const char *color;
    double width;
    int faint, dashed, markers;
} style;

/* Draw s as one <polyline> per run of finite values (pts: room for s->n points). */
static void draw_series(const series *s, const style *st, const axis *ax, const axis *ay, pt *pts, rnnc_buf *sb)
{
    int decimate = s->n > DECIMATE_ROWS;
    for (size_t a = 0; a < s->n;) {
        if (!isfinite(series_y(s, a))) {
            a++;
            continue;
        }
        size_t b = a;
        while (b < s->n && isfinite(series_y(s, b))) b++;
        size_t np = run_points(s, a, b, decimate, ax, ay, pts);
        if (np >= 2) {
            rnnc_buf_printf(sb, "<polyline fill=\"none\" stroke=\"%s\"%s%s stroke-width=\"", st->color,
                      st->faint ? " stroke-opacity=\"0.45\"" : "", st->dashed ? " stroke-dasharray=\"6 3\"" : "");
            sb_tpl(sb, "@\" stroke-linejoin=\"round\" points=\"", st->width);
            for (size_t k = 0; k < np; k++) sb_tpl(sb, k ? " @,@" : "@,@", pts[k].x, pts[k].y);
            rnnc_buf_str(sb, "\"/>\n");
        }
        if (np == 1 || st->markers)
            for (size_t k = 0; k < np; k++) {
                sb_tpl(sb, np == 1 ? "<circle cx=\"@\" cy=\"@\" r=\"3\"" : "<circle cx=\"@\" cy=\"@\" r=\"2\"", pts[k].x, pts[k].y);
                rnnc_buf_printf(sb, " fill=\"%s\"/>\n", st->color);
            }
        a = b;
    }
}

/* What is drawn, shared by the parts of the chart. */
typedef struct chart {
    const log_data *logs;
    size_t nlogs;
    int bits;                /* RNNC_PLOT_BITS: bits per symbol on the y axis */
    double right;            /* > 0: a right axis of bits per symbol, this many per unit of loss */
    axis ax, ay;
} chart;

static const char *const palette[] = {"#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                      "#7f7f7f", "#bcbd22"};

/* The colour of log i (a single log: blue, its validation orange). */
static const char *log_color(const chart *c, size_t i) { return palette[c->nlogs == 1 ? 0 : i % 8]; }

/* The factor from a log's loss to the y axis: 1, or its bits per unit of loss. */
static double y_scale(const chart *c, const log_data *d) { return c->bits ? d->bits : 1; }

/* The extent of every finite value drawn, into the chart's axes. */
static void chart_axes(chart *c)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t l = 0; l < c->nlogs; l++) {
        const log_data *d = &c->logs[l];
        double k = y_scale(c, d);
        for (size_t i = 0; i < d->rows; i++) {
            if (d->step[i] < xmin) xmin = d->step[i];
            if (d->step[i] > xmax) xmax = d->step[i];
            const double v[3] = {d->loss[i] * k, d->valid[i] * k, d->mean[i] * k};
            for (int j = 0; j < 3; j++)
                if (isfinite(v[j])) ymin = v[j] < ymin ? v[j] : ymin, ymax = v[j] > ymax ? v[j] : ymax;
        }
    }
    if (!(ymax >= ymin)) ymin = 0, ymax = 1;   /* no finite loss at all */
    nice_axis(xmin, xmax, &c->ax);
    nice_axis(ymin, ymax, &c->ay);
}

/* The title (the logs' file names) and the one-line summary. */
static void chart_heading(const chart *c, rnnc_buf *sb)
{
    const char *what = c->bits ? "Bits per symbol: " : "Training loss: ";
    char names[400] = "";
    for (size_t l = 0; l < c->nlogs; l++) {
        const char *nm = strrchr(c->logs[l].path, '/');
        size_t k = strlen(names);
        snprintf(names + k, sizeof names - k, "%s%s", l ? ", " : "", nm ? nm + 1 : c->logs[l].path);
    }
    rnnc_buf_str(sb, "<title>");
    rnnc_buf_str(sb, what);
    sb_xml(sb, names, 200);
    rnnc_buf_str(sb, "</title>\n");
    rnnc_buf_printf(sb, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_W, SVG_H);
    sb_tpl(sb, "<text x=\"@\" y=\"26\" font-size=\"16\" font-weight=\"bold\" fill=\"#222222\">", PLOT_L);
    rnnc_buf_str(sb, what);
    sb_xml(sb, names, 200);
    rnnc_buf_str(sb, "</text>\n");
    const log_data *d = &c->logs[0];
    char s0[48], s1[48], s2[48], s3[48];
    fmt_value(s0, c->ax.lo, 0);
    fmt_value(s1, c->ax.hi, 0);
    sb_tpl(sb, "<text x=\"@\" y=\"46\" fill=\"#555555\">", PLOT_L);
    size_t rows = 0, nonfinite = 0;
    for (size_t l = 0; l < c->nlogs; l++) rows += c->logs[l].rows, nonfinite += c->logs[l].nonfinite;
    if (c->nlogs > 1) {
        rnnc_buf_printf(sb, "%zu logs, %zu rows", c->nlogs, rows);
    } else {
        double xmin = d->step[0], xmax = d->step[0];
        for (size_t i = 1; i < d->rows; i++) xmin = d->step[i] < xmin ? d->step[i] : xmin, xmax = d->step[i] > xmax ? d->step[i] : xmax;
        fmt_value(s0, xmin, 0);
        fmt_value(s1, xmax, 0);
        if (xmin == xmax) rnnc_buf_printf(sb, "%zu row%s at step %s", d->rows, d->rows == 1 ? "" : "s", s0);
        else rnnc_buf_printf(sb, "%zu rows, steps %s to %s", d->rows, s0, s1);
        fmt_value(s2, d->last[1], 4);
        fmt_value(s3, d->last[2], 4);
        rnnc_buf_printf(sb, "; last smoothed loss %s (bpc %s)", s2, s3);
        if (d->has_mean) {
            fmt_value(s2, d->mean[d->rows - 1], 4);
            rnnc_buf_printf(sb, ", mean since the previous row %s", s2);
        }
        if (d->nvalid) {
            fmt_value(s2, d->last_valid, 4);
            rnnc_buf_printf(sb, "; last validation loss %s", s2);
        }
    }
    if (nonfinite) rnnc_buf_printf(sb, "; %zu non-finite loss%s not drawn", nonfinite, nonfinite == 1 ? "" : "es");
    int all_bits = 1;
    for (size_t l = 0; l < c->nlogs; l++) all_bits &= c->logs[l].bits > 0;
    if (c->nlogs > 1 && !c->bits && !(c->right > 0) && all_bits)
        rnnc_buf_str(sb, "; no bits axis: the logs' tau differ (--bits draws bits per symbol)");
    if (rows > DECIMATE_ROWS) rnnc_buf_str(sb, "; drawn as min/max per pixel");
    rnnc_buf_str(sb, "</text>\n");
}

/* Grid, tick labels, the axes and their names; the right axis of bits per symbol when the
 * chart has one. */
static void chart_frame(const chart *c, rnnc_buf *sb)
{
    const axis *ax = &c->ax, *ay = &c->ay;
    rnnc_buf_str(sb, "<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n");
    for (int i = 0; i < ax->ticks; i++) {
        double x = map_x(ax, axis_value(ax, i));
        sb_tpl(sb, "<line x1=\"@\" y1=\"@\" x2=\"@\" y2=\"@\"/>\n", x, PLOT_T, x, PLOT_B);
    }
    for (int i = 0; i < ay->ticks; i++) {
        double y = map_y(ay, axis_value(ay, i));
        sb_tpl(sb, "<line x1=\"@\" y1=\"@\" x2=\"@\" y2=\"@\"/>\n", PLOT_L, y, PLOT_R, y);
    }
    rnnc_buf_str(sb, "</g>\n<g fill=\"#333333\" text-anchor=\"middle\">\n");
    char lab[48];
    for (int i = 0; i < ax->ticks; i++) {
        double v = axis_value(ax, i);
        fmt_value(lab, v, ax->decimals);
        sb_tpl(sb, "<text x=\"@\" y=\"@\">", map_x(ax, v), PLOT_B + 18);
        rnnc_buf_str(sb, lab);
        rnnc_buf_str(sb, "</text>\n");
    }
    rnnc_buf_str(sb, "</g>\n<g fill=\"#333333\" text-anchor=\"end\">\n");
    for (int i = 0; i < ay->ticks; i++) {
        double v = axis_value(ay, i);
        fmt_value(lab, v, ay->decimals);
        sb_tpl(sb, "<text x=\"@\" y=\"@\">", PLOT_L - 8, map_y(ay, v) + 4);
        rnnc_buf_str(sb, lab);
        rnnc_buf_str(sb, "</text>\n");
    }
    rnnc_buf_str(sb, "</g>\n");
    sb_tpl(sb, "<path d=\"M@ @V@H@\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n", PLOT_L,
           PLOT_T, PLOT_B, PLOT_R);
    sb_tpl(sb, "<text x=\"@\" y=\"@\" text-anchor=\"middle\" fill=\"#222222\" font-size=\"13\">step</text>\n",
           (PLOT_L + PLOT_R) / 2, PLOT_B + 44);
    sb_tpl(sb, "<text x=\"18\" y=\"@\" text-anchor=\"middle\" fill=\"#222222\" font-size=\"13\" transform=\"rotate(-90 18 @)\">",
           (PLOT_T + PLOT_B) / 2, (PLOT_T + PLOT_B) / 2);
    rnnc_buf_str(sb, c->bits ? "bits per symbol</text>\n" : "loss</text>\n");
    if (!(c->right > 0)) return;
    axis ab;
    nice_axis(ay->lo * c->right, ay->hi * c->right, &ab);
    sb_tpl(sb, "<path d=\"M@ @V@\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n<g fill=\"#333333\">\n",
           PLOT_R, PLOT_T, PLOT_B);
    for (int i = 0; i < ab.ticks; i++) {
        double v = axis_value(&ab, i), y = map_y(ay, v / c->right);
        if (y < PLOT_T - 0.5 || y > PLOT_B + 0.5) continue;
        fmt_value(lab, v, ab.decimals);
        sb_tpl(sb, "<line x1=\"@\" y1=\"@\" x2=\"@\" y2=\"@\" stroke=\"#333333\"/><text x=\"@\" y=\"@\">", PLOT_R, y,
               PLOT_R + 4, y, PLOT_R + 7, y + 4);
        rnnc_buf_str(sb, lab);
        rnnc_buf_str(sb, "</text>\n");
    }
    sb_tpl(sb, "</g>\n<text x=\"@\" y=\"@\" text-anchor=\"middle\" fill=\"#222222\" font-size=\"13\" "
               "transform=\"rotate(90 @ @)\">bits per symbol</text>\n",
           SVG_W - 24.0, (PLOT_T + PLOT_B) / 2, SVG_W - 24.0, (PLOT_T + PLOT_B) / 2);
}

/* One entry of the legend at row k: a short line in style st, then text. */
static void legend_entry(int k, const style *st, const char *text, rnnc_buf *sb)
{
    double y = PLOT_T + 14 + 18 * k;
    sb_tpl(sb, "<line x1=\"@\" y1=\"@\" x2=\"@\" y2=\"@\"", PLOT_R - 272, y, PLOT_R - 248, y);
    rnnc_buf_printf(sb, " stroke=\"%s\"%s%s stroke-width=\"", st->color, st->faint ? " stroke-opacity=\"0.45\"" : "",
              st->dashed ? " stroke-dasharray=\"6 3\"" : "");
    sb_tpl(sb, "@\"/>\n<text x=\"@\" y=\"@\" fill=\"#222222\">", st->width + 0.5, PLOT_R - 242, y + 4);
    sb_xml(sb, text, 60);
    rnnc_buf_str(sb, "</text>\n");
}

/* The legend: for one log, its lines (when it has more than one); for several, each log's
 * name in its colour, then what thin and dashed lines are. */
static void chart_legend(const chart *c, rnnc_buf *sb)
{
    int any_mean = 0, any_valid = 0, k = 0;
    for (size_t l = 0; l < c->nlogs; l++) any_mean |= c->logs[l].has_mean, any_valid |= c->logs[l].has_valid;
    if (c->nlogs == 1 && !any_mean && !any_valid) return;
    int rows = (int)(c->nlogs > 1 ? c->nlogs : 1) + any_mean + any_valid;
    sb_tpl(sb, "<rect x=\"@\" y=\"@\" width=\"276\" height=\"@\" fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>\n",
           PLOT_R - 280, PLOT_T + 4, 18.0 * rows + 2);
    const char *gray = "#555555";
    if (c->nlogs == 1) {
        legend_entry(k++, &(style){palette[0], 1.5, 0, 0, 0}, "training (smoothed)", sb);
        if (any_mean) legend_entry(k++, &(style){palette[0], 1, 1, 0, 0}, "training (mean since the previous row)", sb);
        if (any_valid) legend_entry(k++, &(style){"#ff7f0e", 1.5, 0, 0, 0}, "validation", sb);
        return;
    }
    for (size_t l = 0; l < c->nlogs; l++) {
        const char *nm = strrchr(c->logs[l].path, '/');
        legend_entry(k++, &(style){log_color(c, l), 1.5, 0, 0, 0}, nm ? nm + 1 : c->logs[l].path, sb);
    }
    if (any_mean) legend_entry(k++, &(style){gray, 1, 1, 0, 0}, "thin: mean since the previous row", sb);
    if (any_valid) legend_entry(k++, &(style){gray, 1.5, 0, 1, 0}, "dashed: validation", sb);
}

static void draw_chart(chart *c, rnnc_buf *sb)
{
    chart_axes(c);
    rnnc_buf_printf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                  "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
              SVG_W, SVG_H, SVG_W, SVG_H);
    chart_heading(c, sb);
    chart_frame(c, sb);
    size_t most = 1;
    for (size_t l = 0; l < c->nlogs; l++) most = c->logs[l].rows > most ? c->logs[l].rows : most;
    pt *pts = malloc(most * sizeof *pts);
    double *vx = malloc(most * sizeof *vx), *vy = malloc(most * sizeof *vy);
    if (!pts || !vx || !vy) {
        free(pts);
        free(vx);
        free(vy);
        sb->oom = 1;
        return;
    }
    for (size_t l = 0; l < c->nlogs; l++) {
        const log_data *d = &c->logs[l];
        double k = y_scale(c, d);
        const char *color = log_color(c, l);
        series mean = {d->step, d->mean, d->rows, k}, loss = {d->step, d->loss, d->rows, k};
        if (d->has_mean) draw_series(&mean, &(style){color, 1, 1, 0, 0}, &c->ax, &c->ay, pts, sb);
        draw_series(&loss, &(style){color, 1.5, 0, 0, d->rows <= 60}, &c->ax, &c->ay, pts, sb);
        /* The validation loss through the rows that have one (the others leave it empty). */
        size_t nv = 0;
        for (size_t i = 0; i < d->rows; i++)
            if (isfinite(d->valid[i])) vx[nv] = d->step[i], vy[nv] = d->valid[i], nv++;
        series valid = {vx, vy, nv, k};
        if (nv) draw_series(&valid, &(style){c->nlogs == 1 ? "#ff7f0e" : color, 1.5, 0, c->nlogs > 1, nv <= 200},
                            &c->ax, &c->ay, pts, sb);
    }
    free(pts);
    free(vx);
    free(vy);
    chart_legend(c, sb);
    rnnc_buf_str(sb, "</svg>\n");
}

/* The right axis's bits per unit of loss: every log's (when they agree within 1e-6 and are
 * positive), else 0 (none: mse, or logs of different tau). */
static double common_bits(const log_data *logs, size_t n)
{
    double b = logs[0].bits;
    for (size_t l = 1; l < n; l++)
        if (!(fabs(logs[l].bits - b) <= 1e-6 * b)) return 0;
    return b > 0 ? b : 0;
}

int rnnc_plot_svg(const unsigned char *const *logs, const size_t *lens, const char *const *names,
                  size_t nlogs, unsigned flags, char **svg, size_t *len, char *err, size_t errlen)
{
    *svg = NULL;
    *len = 0;
    if (!logs || !lens || !names || !nlogs) return rnnc_fail(err, errlen, "plot: no log");
    if (nlogs > RNNC_PLOT_MAX_LOGS)
        return rnnc_fail(err, errlen, "%s: at most %d logs in one chart", names[RNNC_PLOT_MAX_LOGS], RNNC_PLOT_MAX_LOGS);
    log_data d[RNNC_PLOT_MAX_LOGS];
    memset(d, 0, sizeof d);
    size_t nread = 0;
    int rc = -1;
    for (; nread < nlogs; nread++)
        if (parse_log(logs[nread], lens[nread], names[nread], &d[nread], err, errlen) != 0) goto out;
    chart c;
    memset(&c, 0, sizeof c);
    c.logs = d;
    c.nlogs = nlogs;
    c.bits = (flags & RNNC_PLOT_BITS) != 0;
    for (size_t l = 0; c.bits && l < nlogs; l++)
        if (!(d[l].bits > 0)) {
            rnnc_fail(err, errlen, "%s: --bits: this log has no bits per symbol (%s)", names[l],
                      d[l].bits == 0 ? "its bpc column is 0: a model with squared error (mse)" : "no row gives one");
            goto out;
        }
    if (!c.bits) c.right = common_bits(d, nlogs);
    rnnc_buf sb = RNNC_BUF_INIT;
    draw_chart(&c, &sb);
    if (!(*svg = rnnc_buf_take(&sb, len))) rnnc_fail(err, errlen, "%s: out of memory drawing the chart", names[0]);
    else rc = 0;
out:
    for (size_t l = 0; l < nread; l++) log_free(&d[l]);
    return rc;
}

int rnnc_plot_logs(const char *const *log_paths, size_t nlogs, const char *svg_path, unsigned flags, char *err,
                   size_t errlen)
{
    if (!log_paths || !nlogs || !svg_path) return rnnc_fail(err, errlen, "plot: no log or SVG file name");
    if (nlogs > RNNC_PLOT_MAX_LOGS)
        return rnnc_fail(err, errlen, "%s: at most %d logs in one chart", log_paths[RNNC_PLOT_MAX_LOGS], RNNC_PLOT_MAX_LOGS);
    unsigned char *buf[RNNC_PLOT_MAX_LOGS] = {NULL};
    size_t n[RNNC_PLOT_MAX_LOGS] = {0}, nread = 0;
    int rc = -1;
    for (; nread < nlogs; nread++)
        if (rnnc_read_file(log_paths[nread], 0, &buf[nread], &n[nread], err, errlen) != 0) goto out;
    char *svg;
    size_t len;
    if (rnnc_plot_svg((const unsigned char *const *)buf, n, log_paths, nlogs, flags, &svg, &len, err, errlen) == 0) {
        rc = rnnc_write_atomic(svg_path, svg, len, err, errlen);
        free(svg);
    }
out:
    for (size_t l = 0; l < nread; l++) free(buf[l]);
    return rc;
}

int rnnc_plot_log(const char *log_path, const char *svg_path, char *err, size_t errlen)
{
    return rnnc_plot_logs(&log_path, 1, svg_path, 0, err, errlen);
}
