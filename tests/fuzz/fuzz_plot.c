/* tests/fuzz/fuzz_plot.c: training logs (runtime/commands/plot.c: rnnc_plot_svg, the parser
 * and the chart drawn from it).  An accepted log gives an SVG document that is valid UTF-8
 * without control characters other than newlines. */
#include "fuzz.h"

#include "../../runtime/commands/plot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024] = "", *svg;
    size_t len;
    if (rnnc_plot_svg(data, size, "fuzz/log.csv", &svg, &len, err, sizeof err) != 0) {
        fuzz_check_message(err, sizeof err);
        return 0;
    }
    FUZZ_ASSERT(len > 5 && (memcmp(svg, "<svg", 4) == 0 || memcmp(svg, "<?xml", 5) == 0));
    FUZZ_ASSERT(strlen(svg) == len && fuzz_clean_text(svg, len, 1));
    free(svg);
    return 0;
}
