/* hand_header.c: `rnnc gen --hand-header`: DIR/rnnc_hand.h, the interface a hand-written BPTT
 * implements for `rnnc diff` (see diff.h). */
#include <stdio.h>
#include <string.h>

#include "../../gen/templates.h"
#include "../base/util.h"
#include "diff.h"

int rnnc_diff_write_header(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/rnnc_hand.h", dir) >= (int)sizeof path)
        return rnnc_fail(err, errlen, "-o: directory path too long");
    return rnnc_write_atomic(path, rnnc_template_rnnc_hand_h, strlen(rnnc_template_rnnc_hand_h),
                             err, errlen);
}
