/* plot.h: draw training logs (the CSV `rnnc train --log` writes: header
 * "step,loss,bpc,lr,seconds", with --valid ",valid_loss,valid_bpc", then
 * ",last_loss,mean_loss,mean_bpc"; one row per report) as an SVG line chart of loss (or bits
 * per symbol) against step that a person can open in a browser; several logs overlaid with a
 * legend.  Library code: status + message. */
#ifndef RNNC_PLOT_H
#define RNNC_PLOT_H

#include <stddef.h>

#define RNNC_PLOT_MAX_LOGS 8
#define RNNC_PLOT_BITS 1u      /* bits per symbol on the y axis, not the loss per sequence */

/* Read the nlogs (1..RNNC_PLOT_MAX_LOGS) logs, write svg_path (atomically: rnnc_write_atomic).
 * Each log's smoothed loss is a line (the mean since the previous row a thin one, the
 * validation loss another), one colour per log.  Without RNNC_PLOT_BITS the y axis is the loss
 * per sequence, with a second axis of bits per symbol on the right when every log has the same
 * ratio of bpc to loss (nll models of one tau); with it, bits per symbol (a log of an mse
 * model has none: an error naming it).  Errors name the file and line ("FILE:LINE: expected 5
 * numbers ..."), or say the log has no rows; nothing is written then. */
int rnnc_plot_logs(const char *const *log_paths, size_t nlogs, const char *svg_path, unsigned flags, char *err,
                   size_t errlen);

/* rnnc_plot_logs of one log, without flags. */
int rnnc_plot_log(const char *log_path, const char *svg_path, char *err, size_t errlen);

/* The chart of the nlogs log texts logs[i][0..lens[i]) (names[i]: the file, named in
 * messages and, without its directory, in the legend and title), as rnnc_plot_logs draws it:
 * 0 with *svg malloc'd (*len bytes, NUL-terminated), or -1 with a message. */
int rnnc_plot_svg(const unsigned char *const *logs, const size_t *lens, const char *const *names,
                  size_t nlogs, unsigned flags, char **svg, size_t *len, char *err, size_t errlen);

#endif
