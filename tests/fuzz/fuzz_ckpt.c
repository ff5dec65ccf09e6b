/* tests/fuzz/fuzz_ckpt.c: checkpoints (runtime/formats/ckpt.c: rnnc_ckpt_parse).  The input's
 * total-length field and CRC-32 are fixed up first (inputs of 28 bytes and more), so the
 * fuzzer reaches the checks of meaning behind the checksum instead of stopping at it.  An
 * accepted checkpoint must pass rnnc_ckpt_check (what training checks before it saves), and
 * written back by rnnc_ckpt_serialize it must give the same bytes: the loader accepts
 * exactly what the writer writes, nothing it would write differently.  (The writer writes
 * version 3.  A version 2 file, which the loader still reads, is written back as the same
 * bytes with version 3's empty imported name (a u32 0) inserted before the arrays, and the
 * header's version, length and CRC updated.  A version 1 file is written back as version 3:
 * those bytes must load and write back to themselves.) */
#include "fuzz.h"

#include <zlib.h>

#include "../../runtime/formats/ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    if (size >= 28) {
        uint64_t total = size;
        memcpy(buf + 16, &total, 8);
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(size - 4));
        memcpy(buf + size - 4, &crc, 4);
    }
    rnnc_ckpt c;
    char err[1024] = "", what[256];
    int rc = rnnc_ckpt_parse(&c, buf, size, "fuzz.ckpt", err, sizeof err);
    if (rc != 0) {
        fuzz_check_message(err, sizeof err);
    } else {
        FUZZ_ASSERT(rnnc_ckpt_check(&c, what, sizeof what) == 0);
        unsigned char *again;
        size_t n;
        uint32_t version;
        memcpy(&version, buf + 8, 4);
        FUZZ_ASSERT(rnnc_ckpt_serialize(&c, &again, &n) == 0);
        rnnc_ckpt_free(&c);
        if (version == RNNC_CKPT_VERSION) {
            FUZZ_ASSERT(n == size && memcmp(again, buf, n) == 0);
        } else if (version == 2) {
            /* again = buf's fields with 4 zero bytes inserted at some k (the first byte that
             * differs after the header: inside a run of zeros any place gives these bytes). */
            static const unsigned char zero[4] = {0};
            uint32_t v3;
            uint64_t total;
            memcpy(&v3, again + 8, 4);
            memcpy(&total, again + 16, 8);
            FUZZ_ASSERT(n == size + 4 && v3 == 3 && total == n && memcmp(again, buf, 8) == 0 &&
                        memcmp(again + 12, buf + 12, 4) == 0);
            size_t k = 24;
            while (k < size - 4 && again[k] == buf[k]) k++;
            FUZZ_ASSERT(memcmp(again + k, zero, 4) == 0 && memcmp(again + k + 4, buf + k, size - 4 - k) == 0);
        } else {
            unsigned char *third;
            size_t n3;
            FUZZ_ASSERT(rnnc_ckpt_parse(&c, again, n, "fuzz.ckpt", err, sizeof err) == 0);
            FUZZ_ASSERT(rnnc_ckpt_serialize(&c, &third, &n3) == 0);
            FUZZ_ASSERT(n3 == n && memcmp(third, again, n) == 0);
            free(third);
            rnnc_ckpt_free(&c);
        }
        free(again);
    }
    free(buf);
    return 0;
}
