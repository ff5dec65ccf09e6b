/* plot.h: draw a training log (the CSV `rnnc train --log` writes: header
 * "step,loss,bpc,lr,seconds", one row per report) as an SVG line chart of loss against
 * step that a person can open in a browser.  Library code: status + message. */
#ifndef RNNC_PLOT_H
#define RNNC_PLOT_H

#include <stddef.h>

/* Read log_path, write svg_path (atomically: rnnc_write_atomic).  Errors name the
 * file and line ("FILE:LINE: expected 5 numbers ..."), or say the log has no rows. */
int rnnc_plot_log(const char *log_path, const char *svg_path, char *err, size_t errlen);

/* The chart of the log text log[0..n) (name: the file, named in messages and, without its
 * directory, in the title): 0 with *svg malloc'd (*len bytes, NUL-terminated), or -1 with a
 * message. */
int rnnc_plot_svg(const unsigned char *log, size_t n, const char *name, char **svg, size_t *len,
                  char *err, size_t errlen);

#endif
