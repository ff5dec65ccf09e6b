/* tests/fuzz/fuzz_spec.c: spec text (gen/spec.c: rnnc_spec_read_text, then rnnc_spec_finish
 * and rnnc_spec_layout).  An accepted spec's canonical form, written back as spec lines,
 * must parse to the same spec. */
#include "fuzz.h"

#include "../../gen/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rnnc_spec_builder b;
    rnnc_spec s;
    char err[1024] = "";
    rnnc_spec_begin(&b);
    if (rnnc_spec_read_text(&b, (const char *)data, size, "fuzz.spec", err, sizeof err) != 0) {
        fuzz_check_message(err, sizeof err);
        return 0;
    }
    if (rnnc_spec_finish(&b, &s, err, sizeof err) != 0) {
        fuzz_check_message(err, sizeof err);
        return 0;
    }
    char canon[512], lines[600], again[512];
    size_t n = rnnc_spec_format(&s, canon, sizeof canon), k = 0;
    FUZZ_ASSERT(n > 0 && n < sizeof canon - 1);
    for (size_t i = 0; i < n; i++) lines[k++] = canon[i] == ' ' ? '\n' : canon[i];
    rnnc_spec_builder b2;
    rnnc_spec s2;
    rnnc_spec_begin(&b2);
    FUZZ_ASSERT(rnnc_spec_read_text(&b2, lines, k, "canonical", err, sizeof err) == 0);
    FUZZ_ASSERT(rnnc_spec_finish(&b2, &s2, err, sizeof err) == 0);
    rnnc_spec_format(&s2, again, sizeof again);
    FUZZ_ASSERT(strcmp(canon, again) == 0);
    rnnc_layout l;
    FUZZ_ASSERT(rnnc_spec_layout(&s, &l, err, sizeof err) == 0);
    return 0;
}
