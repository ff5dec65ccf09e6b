/* tests/fuzz/fuzz_text.c: text data and UTF-8 decoding (runtime/formats/data.c).  The first
 * byte picks the mode (even: bytes, odd: utf8), the rest is the text.  Three encoders must
 * agree: rnnc_text_encode (int32 indices), rnnc_text_encode_ids (narrow indices) and
 * rnnc_text_load (the training loader, in place in bytes mode), all accepting or all
 * refusing; the indices written back as symbols give the text again; rnnc_ids_hash equals
 * FNV-1a of the int32 indices (the checkpoint's data fingerprint); rnnc_ids_pack of the int32
 * indices (how records are stored) gives the same narrow indices; and the vocabulary is
 * strictly ascending. */
#include "fuzz.h"

#include "../../runtime/base/util.h"
#include "../../runtime/formats/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    rnnc_chars mode = data[0] & 1 ? RNNC_CHARS_UTF8 : RNNC_CHARS_BYTES;
    const unsigned char *text = data + 1;
    size_t n = size - 1;
    rnnc_vocab v = {mode, 0, NULL}, lv;
    rnnc_ids ids = {NULL, 0, 0}, lids;
    int32_t *wide = NULL;
    size_t len = 0, cap = 0;
    char err[1024] = "", err2[1024] = "";
    int rc = rnnc_vocab_add(&v, text, n, "fuzz.txt", err, sizeof err);
    rnnc_text_src src = {"fuzz.txt", text, n};
    int lrc = rnnc_text_load(&src, 1, mode, NULL, &lv, &lids, err2, sizeof err2);
    if (rc != 0 || n == 0) {
        FUZZ_ASSERT(lrc != 0);
        if (rc != 0) fuzz_check_message(err, sizeof err);
        fuzz_check_message(err2, sizeof err2);
        rnnc_vocab_free(&v);
        return 0;
    }
    FUZZ_ASSERT(lrc == 0);
    for (size_t i = 1; i < v.size; i++) FUZZ_ASSERT(v.symbols[i - 1] < v.symbols[i]);
    FUZZ_ASSERT(lv.size == v.size && memcmp(lv.symbols, v.symbols, v.size * 4) == 0);
    FUZZ_ASSERT(rnnc_text_encode(&v, text, n, "fuzz.txt", &wide, &len, &cap, err, sizeof err) == 0);
    FUZZ_ASSERT(rnnc_text_encode_ids(&v, text, n, "fuzz.txt", &ids, err, sizeof err) == 0);
    FUZZ_ASSERT(ids.len == len && lids.len == len && lids.width == ids.width);
    unsigned char *back = malloc(4 * len + 1);
    size_t o = 0;
    FUZZ_ASSERT(back != NULL);
    for (size_t i = 0; i < len; i++) {
        FUZZ_ASSERT(wide[i] >= 0 && (size_t)wide[i] < v.size);
        FUZZ_ASSERT(rnnc_ids_at(&ids, i) == wide[i] && rnnc_ids_at(&lids, i) == wide[i]);
        char sym[4];
        size_t k = rnnc_symbol_bytes(mode, v.symbols[wide[i]], sym);
        memcpy(back + o, sym, k);
        o += k;
    }
    FUZZ_ASSERT(o == n && memcmp(back, text, n) == 0);
    FUZZ_ASSERT(rnnc_ids_hash(&ids) == rnnc_fnv1a(RNNC_FNV_OFFSET, wide, len * sizeof *wide));
    rnnc_ids packed;   /* the records' path: int32 indices packed afterwards */
    FUZZ_ASSERT(rnnc_ids_pack(wide, len, v.size, &packed) == 0);
    FUZZ_ASSERT(packed.len == len && packed.width == ids.width &&
                (len == 0 || memcmp(packed.p, ids.p, len * ids.width) == 0));
    rnnc_ids_free(&packed);
    free(back);
    free(wide);
    rnnc_ids_free(&ids);
    rnnc_ids_free(&lids);
    rnnc_vocab_free(&lv);
    rnnc_vocab_free(&v);
    return 0;
}
