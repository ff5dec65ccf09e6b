/* plot.h: draw a training log (the CSV `rnnc train --log` writes: header
 * "step,loss,bpc,lr,seconds", one row per report) as an SVG line chart of loss against
 * step that a person can open in a browser.  Library code: status + message. */
#ifndef RNNC_PLOT_H
#define RNNC_PLOT_H

#include <stddef.h>

/* Read log_path, write svg_path (atomically: rnnc_write_atomic).  Errors name the
 * file and line ("FILE:LINE: expected 5 numbers ..."), or say the log has no rows. */
int rnnc_plot_log(const char *log_path, const char *svg_path, char *err, size_t errlen);

#endif
