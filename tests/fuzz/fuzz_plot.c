/* tests/fuzz/fuzz_plot.c: training logs (runtime/commands/plot.c: rnnc_plot_svg, the parser
 * and the chart drawn from it).  The input is one log or several overlaid: pieces separated
 * by the byte 0x1E (record separator), at most one more than the chart takes (so the refusal
 * of too many is reached too); an odd size asks for bits per symbol (RNNC_PLOT_BITS).  An
 * accepted set of logs gives an SVG document that is valid UTF-8 without control characters
 * other than newlines. */
#include "fuzz.h"

#include "../../runtime/commands/plot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[RNNC_PLOT_MAX_LOGS + 1] = {
        "fuzz/log.csv", "fuzz/b.csv", "c.csv", "fuzz/d.csv", "e.csv", "f.csv", "g.csv", "h.csv", "i.csv"};
    const unsigned char *logs[RNNC_PLOT_MAX_LOGS + 1];
    size_t lens[RNNC_PLOT_MAX_LOGS + 1], nlogs = 0, a = 0;
    for (;;) {
        const unsigned char *sep = nlogs < RNNC_PLOT_MAX_LOGS ? memchr(data + a, 0x1E, size - a) : NULL;
        size_t b = sep ? (size_t)(sep - data) : size;
        logs[nlogs] = data + a;
        lens[nlogs++] = b - a;
        if (!sep) break;
        a = b + 1;
    }
    char err[1024] = "", *svg;
    size_t len;
    if (rnnc_plot_svg(logs, lens, names, nlogs, size & 1 ? RNNC_PLOT_BITS : 0, &svg, &len, err, sizeof err) != 0) {
        fuzz_check_message(err, sizeof err);
        return 0;
    }
    FUZZ_ASSERT(len > 5 && (memcmp(svg, "<svg", 4) == 0 || memcmp(svg, "<?xml", 5) == 0));
    FUZZ_ASSERT(strlen(svg) == len && fuzz_clean_text(svg, len, 1));
    free(svg);
    return 0;
}
