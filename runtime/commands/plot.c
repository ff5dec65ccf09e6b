/* plot.c: a training log as an SVG line chart of loss against step (see plot.h).
 *
 * The log: the header line "step,loss,bpc,lr,seconds" (a trailing '\r' and a leading UTF-8
 * byte order mark are tolerated), then rows of 5 numbers; blank lines are skipped.  A log of a
 * run with --valid has two more columns, "valid_loss,valid_bpc", empty in the rows where the
 * held-out data was not evaluated; the validation loss is drawn as a second line.  step must
 * be a finite number; the other columns may also be nan or inf (as printf writes a diverged
 * run's loss): such losses are not drawn, they break the line.
 *
 * The chart: a fixed 800 x 500 canvas, title, a one-line summary, grid lines, "nice" ticks
 * (1, 2 or 5 times a power of ten; about 5 per axis) labelled on both axes, and the loss drawn
 * as one <polyline> per run of finite losses (a <circle> for a lone point).  Logs of more than
 * DECIMATE_ROWS rows are reduced per pixel column to its first, lowest, highest and last point
 * (in log order), which draws the same picture at this size with at most 4 points a column.
 * Every number is printed with a fixed precision, so the same log gives the same bytes.  The
 * SVG has no scripts, styles sheets or external references. */
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

#define LOG_HEADER "step,loss,bpc,lr,seconds"
#define LOG_HEADER_VALID "step,loss,bpc,lr,seconds,valid_loss,valid_bpc"
#define LOG_COLS 5
#define LOG_COLS_VALID 7
#define DECIMATE_ROWS 2000
#define QUOTE_MAX 60

/* Canvas and plot area, in pixels. */
#define SVG_W 800
#define SVG_H 500
#define PLOT_L 80.0
#define PLOT_R 764.0
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
    size_t rows;
    double *step, *loss;
    double *valid;           /* the validation loss of each row (NAN: not evaluated there) */
    int has_valid;           /* the log has the validation columns */
    size_t nvalid;           /* rows with a validation loss */
    double last_valid;       /* the last validation loss */
    double last[LOG_COLS_VALID];   /* the last row */
    size_t nonfinite;        /* rows whose loss is nan or inf */
} log_data;

static void log_free(log_data *d)
{
    free(d->step);
    free(d->loss);
    free(d->valid);
    memset(d, 0, sizeof *d);
}

/* Grow the row arrays of d to hold one more row.  0, or -1 (out of memory). */
static int log_grow(log_data *d, size_t *cap)
{
    if (d->rows < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 1024;
    if (*cap > SIZE_MAX / 2 / sizeof(double)) return -1;
    double *s2 = realloc(d->step, nc * sizeof *s2);
    if (s2) d->step = s2;
    double *l2 = s2 ? realloc(d->loss, nc * sizeof *l2) : NULL;
    if (l2) d->loss = l2;
    double *v2 = l2 ? realloc(d->valid, nc * sizeof *v2) : NULL;
    if (!v2) return -1;
    d->valid = v2;
    *cap = nc;
    return 0;
}

/* Parse the fields of one row buf[ls..le) into v (ncols numbers; the validation columns may
 * be empty: NAN).  0, or -1 when the row is not ncols numbers. */
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

/* Parse the log text buf[0..n) (path names it in messages) into d. */
static int parse_log(const unsigned char *buf, size_t n, const char *path, log_data *d, char *err,
                     size_t errlen)
{
    memset(d, 0, sizeof *d);
    size_t pos = 0, line = 0, cap = 0, ncols = LOG_COLS;
    int rc = -1;
    if (n >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF) pos = 3;
    size_t ls, le;
    d->last_valid = NAN;
    while (rnnc_next_line(buf, n, &pos, &ls, &le)) {
        line++;
        char q[QUOTE_MAX * 4 + 8];
        if (line == 1) {
            d->has_valid = le - ls == strlen(LOG_HEADER_VALID) && memcmp(buf + ls, LOG_HEADER_VALID, le - ls) == 0;
            ncols = d->has_valid ? LOG_COLS_VALID : LOG_COLS;
            if (!d->has_valid && (le - ls != strlen(LOG_HEADER) || memcmp(buf + ls, LOG_HEADER, le - ls) != 0)) {
                quote(q, sizeof q, buf + ls, le - ls);
                rnnc_fail(err, errlen, "%s:1: expected the header '%s' (or '%s'), got '%s'", path,
                          LOG_HEADER, LOG_HEADER_VALID, q);
                goto out;
            }
            continue;
        }
        size_t p = ls;
        while (p < le && (buf[p] == ' ' || buf[p] == '\t')) p++;
        if (p == le) continue;
        double v[LOG_COLS_VALID];
        if (parse_row(buf, ls, le, ncols, v) != 0) {
            quote(q, sizeof q, buf + ls, le - ls);
            rnnc_fail(err, errlen, "%s:%zu: expected %zu numbers (%s), got '%s'", path, line, ncols,
                      d->has_valid ? LOG_HEADER_VALID : LOG_HEADER, q);
            goto out;
        }
        if (log_grow(d, &cap) != 0) {
            rnnc_fail(err, errlen, "%s:%zu: out of memory", path, line);
            goto out;
        }
        d->step[d->rows] = v[0];
        d->loss[d->rows] = v[1];
        d->valid[d->rows] = d->has_valid ? v[5] : NAN;
        if (!isfinite(v[1])) d->nonfinite++;
        if (isfinite(d->valid[d->rows])) d->nvalid++, d->last_valid = d->valid[d->rows];
        memcpy(d->last, v, ncols * sizeof *v);
        d->rows++;
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

/* Draw one run of finite points (indices [a, b) of the log) into pts as pixels, decimated per
 * pixel column when decimate. */
static size_t run_points(const log_data *d, size_t a, size_t b, int decimate, const axis *ax,
                         const axis *ay, pt *pts)
{
    size_t np = 0;
    if (!decimate) {
        for (size_t i = a; i < b; i++) {
            pts[np].x = map_x(ax, d->step[i]);
            pts[np].y = map_y(ay, d->loss[i]);
            np++;
        }
        return np;
    }
    size_t i = a;
    while (i < b) {
        double px = floor(map_x(ax, d->step[i]));
        size_t j = i + 1, lo = i, hi = i;
        while (j < b && floor(map_x(ax, d->step[j])) == px) {
            if (d->loss[j] < d->loss[lo]) lo = j;
            if (d->loss[j] > d->loss[hi]) hi = j;
            j++;
        }
        size_t idx[4] = {i, lo < hi ? lo : hi, lo < hi ? hi : lo, j - 1};
        for (int k = 0; k < 4; k++) {
            if (k > 0 && idx[k] == idx[k - 1]) continue;
            pts[np].x = map_x(ax, d->step[idx[k]]);
            pts[np].y = map_y(ay, d->loss[idx[k]]);
            np++;
        }
        i = j;
    }
    return np;
}

/* The validation loss (--valid): one polyline through the rows that have one, a dot on each
 * (they are few), and a legend naming both lines. */
static void draw_valid(const log_data *d, const axis *ax, const axis *ay, rnnc_buf *sb)
{
    sb_tpl(sb, "<line x1=\"@\" y1=\"@\" x2=\"@\" y2=\"@\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n",
           PLOT_R - 170, PLOT_T + 14, PLOT_R - 150, PLOT_T + 14);
    sb_tpl(sb, "<text x=\"@\" y=\"@\" fill=\"#222222\">training (smoothed)</text>\n", PLOT_R - 144, PLOT_T + 18);
    sb_tpl(sb, "<line x1=\"@\" y1=\"@\" x2=\"@\" y2=\"@\" stroke=\"#ff7f0e\" stroke-width=\"2\"/>\n",
           PLOT_R - 170, PLOT_T + 32, PLOT_R - 150, PLOT_T + 32);
    sb_tpl(sb, "<text x=\"@\" y=\"@\" fill=\"#222222\">validation</text>\n", PLOT_R - 144, PLOT_T + 36);
    if (!d->nvalid) return;
    rnnc_buf_str(sb, "<polyline fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"1.5\" "
               "stroke-linejoin=\"round\" points=\"");
    size_t k = 0;
    for (size_t i = 0; i < d->rows; i++)
        if (isfinite(d->valid[i])) sb_tpl(sb, k++ ? " @,@" : "@,@", map_x(ax, d->step[i]), map_y(ay, d->valid[i]));
    rnnc_buf_str(sb, "\"/>\n");
    for (size_t i = 0; i < d->rows && d->nvalid <= 200; i++)
        if (isfinite(d->valid[i]))
            sb_tpl(sb, "<circle cx=\"@\" cy=\"@\" r=\"2.5\" fill=\"#ff7f0e\"/>\n", map_x(ax, d->step[i]),
                   map_y(ay, d->valid[i]));
}

static void draw_chart(const log_data *d, const char *name, rnnc_buf *sb)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < d->rows; i++) {
        if (d->step[i] < xmin) xmin = d->step[i];
        if (d->step[i] > xmax) xmax = d->step[i];
        if (isfinite(d->valid[i]) && d->valid[i] < ymin) ymin = d->valid[i];
        if (isfinite(d->valid[i]) && d->valid[i] > ymax) ymax = d->valid[i];
        if (!isfinite(d->loss[i])) continue;
        if (d->loss[i] < ymin) ymin = d->loss[i];
        if (d->loss[i] > ymax) ymax = d->loss[i];
    }
    if (!(ymax >= ymin)) ymin = 0, ymax = 1;   /* no finite loss at all */
    axis ax, ay;
    nice_axis(xmin, xmax, &ax);
    nice_axis(ymin, ymax, &ay);

    rnnc_buf_printf(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                  "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
              SVG_W, SVG_H, SVG_W, SVG_H);
    rnnc_buf_str(sb, "<title>Training loss: ");
    sb_xml(sb, name, 200);
    rnnc_buf_str(sb, "</title>\n");
    rnnc_buf_printf(sb, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", SVG_W, SVG_H);
    sb_tpl(sb, "<text x=\"@\" y=\"26\" font-size=\"16\" font-weight=\"bold\" fill=\"#222222\">"
               "Training loss: ", PLOT_L);
    sb_xml(sb, name, 200);
    rnnc_buf_str(sb, "</text>\n");

    /* Summary line. */
    char s0[48], s1[48], s2[48], s3[48];
    fmt_value(s0, xmin, 0);
    fmt_value(s1, xmax, 0);
    fmt_value(s2, d->last[1], 4);
    fmt_value(s3, d->last[2], 4);
    sb_tpl(sb, "<text x=\"@\" y=\"46\" fill=\"#555555\">", PLOT_L);
    if (xmin == xmax) rnnc_buf_printf(sb, "%zu row%s at step %s", d->rows, d->rows == 1 ? "" : "s", s0);
    else rnnc_buf_printf(sb, "%zu rows, steps %s to %s", d->rows, s0, s1);
    rnnc_buf_printf(sb, "; last loss %s (bpc %s)", s2, s3);
    if (d->nonfinite)
        rnnc_buf_printf(sb, "; %zu non-finite loss%s not drawn", d->nonfinite,
                  d->nonfinite == 1 ? "" : "es");
    if (d->nvalid) {
        fmt_value(s2, d->last_valid, 4);
        rnnc_buf_printf(sb, "; last validation loss %s", s2);
    }
    if (d->rows > DECIMATE_ROWS) rnnc_buf_str(sb, "; drawn as min/max per pixel");
    rnnc_buf_str(sb, "</text>\n");

    /* Grid, tick labels, axes and their names. */
    rnnc_buf_str(sb, "<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n");
    for (int i = 0; i < ax.ticks; i++) {
        double x = map_x(&ax, axis_value(&ax, i));
        sb_tpl(sb, "<line x1=\"@\" y1=\"@\" x2=\"@\" y2=\"@\"/>\n", x, PLOT_T, x, PLOT_B);
    }
    for (int i = 0; i < ay.ticks; i++) {
        double y = map_y(&ay, axis_value(&ay, i));
        sb_tpl(sb, "<line x1=\"@\" y1=\"@\" x2=\"@\" y2=\"@\"/>\n", PLOT_L, y, PLOT_R, y);
    }
    rnnc_buf_str(sb, "</g>\n<g fill=\"#333333\" text-anchor=\"middle\">\n");
    for (int i = 0; i < ax.ticks; i++) {
        char lab[48];
        double v = axis_value(&ax, i);
        fmt_value(lab, v, ax.decimals);
        sb_tpl(sb, "<text x=\"@\" y=\"@\">", map_x(&ax, v), PLOT_B + 18);
        rnnc_buf_str(sb, lab);
        rnnc_buf_str(sb, "</text>\n");
    }
    rnnc_buf_str(sb, "</g>\n<g fill=\"#333333\" text-anchor=\"end\">\n");
    for (int i = 0; i < ay.ticks; i++) {
        char lab[48];
        double v = axis_value(&ay, i);
        fmt_value(lab, v, ay.decimals);
        sb_tpl(sb, "<text x=\"@\" y=\"@\">", PLOT_L - 8, map_y(&ay, v) + 4);
        rnnc_buf_str(sb, lab);
        rnnc_buf_str(sb, "</text>\n");
    }
    rnnc_buf_str(sb, "</g>\n");
    sb_tpl(sb, "<path d=\"M@ @V@H@\" fill=\"none\" stroke=\"#333333\" stroke-width=\"1\"/>\n", PLOT_L,
           PLOT_T, PLOT_B, PLOT_R);
    sb_tpl(sb, "<text x=\"@\" y=\"@\" text-anchor=\"middle\" fill=\"#222222\" font-size=\"13\">step</text>\n",
           (PLOT_L + PLOT_R) / 2, PLOT_B + 44);
    sb_tpl(sb, "<text x=\"18\" y=\"@\" text-anchor=\"middle\" fill=\"#222222\" font-size=\"13\" "
               "transform=\"rotate(-90 18 @)\">loss</text>\n",
           (PLOT_T + PLOT_B) / 2, (PLOT_T + PLOT_B) / 2);

    /* The loss: one polyline per run of finite values (a dot for a lone point; dots on every
     * point of a short log). */
    int decimate = d->rows > DECIMATE_ROWS;
    pt *pts = malloc(d->rows * sizeof *pts);
    if (!pts) {
        sb->oom = 1;
        return;
    }
    int markers = d->rows <= 60;
    for (size_t a = 0; a < d->rows;) {
        if (!isfinite(d->loss[a])) {
            a++;
            continue;
        }
        size_t b = a;
        while (b < d->rows && isfinite(d->loss[b])) b++;
        size_t np = run_points(d, a, b, decimate, &ax, &ay, pts);
        if (np >= 2) {
            rnnc_buf_str(sb, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" "
                       "stroke-linejoin=\"round\" points=\"");
            for (size_t k = 0; k < np; k++) sb_tpl(sb, k ? " @,@" : "@,@", pts[k].x, pts[k].y);
            rnnc_buf_str(sb, "\"/>\n");
        }
        if (np == 1 || markers)
            for (size_t k = 0; k < np; k++)
                sb_tpl(sb, np == 1 ? "<circle cx=\"@\" cy=\"@\" r=\"3\" fill=\"#1f77b4\"/>\n"
                                   : "<circle cx=\"@\" cy=\"@\" r=\"2\" fill=\"#1f77b4\"/>\n",
                       pts[k].x, pts[k].y);
        a = b;
    }
    free(pts);
    if (d->has_valid) draw_valid(d, &ax, &ay, sb);
    rnnc_buf_str(sb, "</svg>\n");
}

int rnnc_plot_svg(const unsigned char *log, size_t n, const char *name, char **svg, size_t *len,
                  char *err, size_t errlen)
{
    *svg = NULL;
    *len = 0;
    log_data d;
    if (parse_log(log, n, name, &d, err, errlen) != 0) return -1;
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    rnnc_buf sb = RNNC_BUF_INIT;
    draw_chart(&d, base, &sb);
    log_free(&d);
    if (!(*svg = rnnc_buf_take(&sb, len)))
        return rnnc_fail(err, errlen, "%s: out of memory drawing the chart", name);
    return 0;
}

int rnnc_plot_log(const char *log_path, const char *svg_path, char *err, size_t errlen)
{
    if (!log_path || !svg_path) return rnnc_fail(err, errlen, "plot: no log or SVG file name");
    unsigned char *buf;
    size_t n;
    if (rnnc_read_file(log_path, 0, &buf, &n, err, errlen) != 0) return -1;
    char *svg;
    size_t len;
    int rc = rnnc_plot_svg(buf, n, log_path, &svg, &len, err, errlen);
    free(buf);
    if (rc != 0) return -1;
    rc = rnnc_write_atomic(svg_path, svg, len, err, errlen);
    free(svg);
    return rc;
}
