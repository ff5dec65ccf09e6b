/* progress.h: what `rnnc train` reports of the loss, as pure functions: the smoothed loss
 * (bias-corrected, so it starts from the first losses, never from an assumed value) and the
 * progress line, fitted to a terminal's width by shortening and dropping fields.  No I/O. */
#ifndef RNNC_PROGRESS_H
#define RNNC_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* The smoothing factor of the loss (min-char-rnn's 0.999). */
#define RNNC_SMOOTH 0.999

/* The smoothed loss after the n-th loss x of a run (n >= 1), from s, the smoothed loss after
 * the first n - 1: the exponential moving average with factor RNNC_SMOOTH, bias-corrected as
 * Adam corrects its moments,
 *     s_n = s_(n-1) + (x - s_(n-1)) (1 - RNNC_SMOOTH) / (1 - RNNC_SMOOTH^n),
 * so s_1 = x and every s_n is the mean of the losses so far weighted by RNNC_SMOOTH^(n-k)
 * (normalised): the smoothed loss never includes a value no step had.  For large n the weight
 * is 1 - RNNC_SMOOTH, the plain moving average.  A non-finite s (none yet) or n <= 1 gives x.
 * It depends on s, x and n only, so a resumed run continues it bit-exactly. */
double rnnc_smooth_next(double s, double x, uint64_t n);

/* One progress line's numbers. */
typedef struct rnnc_progress {
    uint64_t step, steps;       /* done, of the run's --steps */
    int nll;                    /* a softmax model: bits per symbol and symbols per second */
    double loss;                /* the smoothed loss per sequence of tau steps */
    double mean;                /* the mean loss of the steps since the previous report (NAN:
                                   none) */
    double bits;                /* bits per symbol per unit of loss: 1 / (tau ln 2) (nll) */
    double rate;                /* steps per second (0: unknown) */
    double symbols;             /* symbols per step: tau x batch */
    double eta;                 /* seconds to the end (< 0: unknown) */
    double valid;               /* the validation loss per sequence (NAN: none) */
} rnnc_progress;

/* The line into buf (n bytes, NUL-terminated), at most width - 1 columns when width > 0 (the
 * last column is left free, so a terminal never wraps the line), ASCII only.  In full:
 *     step 300/1000  loss 45.4622 (mean 44.8011)  bpc 2.624 (2.586)  337439 char/s  ETA 0:32  valid 2.91
 * (mse: "loss X (mean Y)", "N steps/s", no bpc).  When it does not fit, it is shortened in
 * this order until it does: the speed dropped; single spaces between fields; the means
 * dropped ("loss 45.4622", "bpc 2.624"); ETA dropped; valid dropped; the loss dropped when
 * bits per symbol remain; finally cut at the width.  Returns the length of the line. */
size_t rnnc_progress_line(const rnnc_progress *p, size_t width, char *buf, size_t n);

/* "m:ss" or "h:mm:ss" for s seconds (rounded), "--:--" when unknown (s < 0, NaN, or over 99
 * hours). */
void rnnc_format_eta(double s, char *buf, size_t n);

#endif
