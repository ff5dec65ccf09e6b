/* tests/fuzz/fuzz_hand.c: the one parser of the hand-written BPTT interface's inputs
 * (runtime/commands/diff.c: rnnc_diff_hand_unit, which finds HAND.c's #include lines of
 * rnnc_hand.h and pastes the header in).  HAND.c is otherwise C source handed to a compiler,
 * and its results are doubles compared in a child process, so there is nothing else to parse.
 * The unit must exist and hold the header's interface. */
#include "fuzz.h"

#include "../../runtime/commands/diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memchr(data, '\0', size)) return 0;   /* refused by the reader before this parser */
    char *unit = rnnc_diff_hand_unit((const char *)data, size, "fuzz/hand.c");
    FUZZ_ASSERT(unit != NULL);
    FUZZ_ASSERT(strstr(unit, "rnnc_hand_bptt") != NULL);
    free(unit);
    return 0;
}
