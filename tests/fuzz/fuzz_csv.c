/* tests/fuzz/fuzz_csv.c: CSV data files (runtime/formats/data.c: rnnc_csv_parse).  An accepted
 * file has rows x cols finite values, and each header name is found at its own column (names
 * are unique). */
#include "fuzz.h"

#include <math.h>

#include "../../runtime/formats/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rnnc_csv c;
    char err[1024] = "";
    if (rnnc_csv_parse(data, size, "fuzz.csv", &c, err, sizeof err) != 0) {
        fuzz_check_message(err, sizeof err);
        return 0;
    }
    FUZZ_ASSERT(c.rows > 0 && c.cols > 0);
    for (size_t i = 0; i < c.rows * c.cols; i++) FUZZ_ASSERT(isfinite(c.values[i]));
    for (size_t j = 0; c.names && j < c.cols; j++)
        FUZZ_ASSERT(rnnc_csv_column(&c, c.names[j]) == (long)j);
    rnnc_csv_free(&c);
    return 0;
}
