/* progress.c: the smoothed loss and the progress line (see progress.h). */
#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

double rnnc_smooth_next(double s, double x, uint64_t n)
{
    if (!isfinite(s) || n <= 1) return x;
    double w = (1 - RNNC_SMOOTH) / (1 - pow(RNNC_SMOOTH, (double)n));
    return s + (x - s) * w;
}

void rnnc_format_eta(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 359999) {
        snprintf(buf, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

/* The fields of a line, in order, and how far it is shortened. */
enum { F_STEP, F_LOSS, F_BPC, F_SPEED, F_ETA, F_VALID, F_COUNT };
enum { L_FULL, L_NO_SPEED, L_SINGLE, L_NO_MEANS, L_NO_ETA, L_NO_VALID, L_NO_LOSS, L_LAST = L_NO_LOSS };

/* Field f of p at shortening level (empty: not shown) into buf (n bytes). */
static void field(const rnnc_progress *p, int f, int level, char *buf, size_t n)
{
    int means = level < L_NO_MEANS && isfinite(p->mean);
    char eta[32];
    buf[0] = '\0';
    switch (f) {
    case F_STEP:
        snprintf(buf, n, "step %llu/%llu", (unsigned long long)p->step, (unsigned long long)p->steps);
        break;
    case F_LOSS:
        if (level >= L_NO_LOSS && p->nll) break;
        if (p->nll && means) snprintf(buf, n, "loss %.4f (mean %.4f)", p->loss, p->mean);
        else if (p->nll) snprintf(buf, n, "loss %.4f", p->loss);
        else if (means) snprintf(buf, n, "loss %.6g (mean %.6g)", p->loss, p->mean);
        else snprintf(buf, n, "loss %.6g", p->loss);
        break;
    case F_BPC:
        if (!p->nll) break;
        if (means) snprintf(buf, n, "bpc %.3f (%.3f)", p->loss * p->bits, p->mean * p->bits);
        else snprintf(buf, n, "bpc %.3f", p->loss * p->bits);
        break;
    case F_SPEED:
        if (level >= L_NO_SPEED) break;
        if (p->nll) snprintf(buf, n, "%.0f char/s", p->rate * p->symbols);
        else snprintf(buf, n, "%.0f steps/s", p->rate);
        break;
    case F_ETA:
        if (level >= L_NO_ETA) break;
        rnnc_format_eta(p->rate > 0 ? p->eta : -1, eta, sizeof eta);
        snprintf(buf, n, "ETA %s", eta);
        break;
    case F_VALID:
        if (level < L_NO_VALID && isfinite(p->valid)) snprintf(buf, n, "valid %.4g", p->valid);
        break;
    }
}

/* The line at one shortening level into buf (n bytes); its length. */
static size_t line_at(const rnnc_progress *p, int level, char *buf, size_t n)
{
    const char *sep = level >= L_SINGLE ? " " : "  ";
    size_t k = 0;
    buf[0] = '\0';
    for (int f = 0; f < F_COUNT; f++) {
        char text[96];
        field(p, f, level, text, sizeof text);
        if (!text[0] || k + 1 >= n) continue;
        int m = snprintf(buf + k, n - k, "%s%s", k ? sep : "", text);
        if (m > 0) k += (size_t)m < n - k ? (size_t)m : n - k - 1;
    }
    return k;
}

size_t rnnc_progress_line(const rnnc_progress *p, size_t width, char *buf, size_t n)
{
    if (!n) return 0;
    size_t k = 0;
    for (int level = L_FULL; level <= L_LAST; level++) {
        k = line_at(p, level, buf, n);
        if (!width || k < width) return k;
    }
    if (k >= width) {   /* even the shortest does not fit: cut it */
        k = width - 1 < n ? width - 1 : n - 1;
        buf[k] = '\0';
    }
    return k;
}
