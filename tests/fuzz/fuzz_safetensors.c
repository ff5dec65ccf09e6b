/* tests/fuzz/fuzz_safetensors.c: safetensors files (runtime/formats/safetensors.c:
 * rnnc_st_parse, header and data) and the PyTorch import on top of them
 * (runtime/formats/interop.c: rnnc_import_st).  Every tensor of an accepted file lies inside
 * the data (its bytes are read here, so ASan sees any overrun), and an imported checkpoint
 * passes rnnc_ckpt_check.  --ignore-unknown and --force are taken from the input's size. */
#include "fuzz.h"

#include "../../runtime/formats/interop.h"
#include "../../runtime/formats/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rnnc_st_file f;
    char err[1024] = "", what[256];
    if (rnnc_st_parse("fuzz.safetensors", data, size, &f, err, sizeof err) != 0) {
        fuzz_check_message(err, sizeof err);
        return 0;
    }
    unsigned sum = 0;
    for (size_t i = 0; i < f.ntensors; i++) {
        const rnnc_st_tensor *t = &f.tensors[i];
        FUZZ_ASSERT(t->data >= f.buf && t->data + t->nbytes <= f.buf + f.len);
        for (size_t k = 0; k < t->nbytes; k++) sum += t->data[k];
        FUZZ_ASSERT(rnnc_st_find(&f, t->name) != NULL);
    }
    for (size_t i = 0; i < f.nmeta; i++) FUZZ_ASSERT(rnnc_st_meta(&f, f.meta_keys[i]) != NULL);
    (void)sum;
    rnnc_interop_names names = {"rnn.", "fc."};
    rnnc_spec_builder b;
    rnnc_spec_begin(&b);
    /* --ignore-unknown and --force from the input's size (the bytes stay the file's). */
    rnnc_import_opts o = {&b, (size & 2) != 0, (size & 1) != 0};
    rnnc_import_report rep;
    rnnc_ckpt c;
    err[0] = '\0';
    if (rnnc_import_st(&f, "fuzz.safetensors", &names, &o, &c, &rep, err, sizeof err) != 0) {
        fuzz_check_message(err, sizeof err);
    } else {
        FUZZ_ASSERT(rnnc_ckpt_check(&c, what, sizeof what) == 0);
        rnnc_ckpt_free(&c);
    }
    rnnc_st_free(&f);
    return 0;
}
