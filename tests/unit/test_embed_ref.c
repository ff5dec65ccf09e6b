/* test_embed_ref.c: the tool's own inference, the reference for the embedded model
 * (tests/suites/embed.sh).
 *
 *   test_embed_ref CKPT [tcc|cc] < INPUTS > OUTPUTS
 *
 * Loads the checkpoint, loads its model as `rnnc sample` does (tau 1, batch 1, tcc unless
 * told otherwise) and runs rnnc_model_step from h = 0 over the inputs read from stdin,
 * carrying the hidden state from step to step.  INPUTS: whitespace-separated numbers, one
 * class index per step (one-hot models) or n_in values per step (dense; parsed with strtod
 * and rounded to the model's real type).  OUTPUTS: one line per step, the n_out outputs
 * (probabilities or values) as hexadecimal floats (%a), separated by single spaces; exactly
 * the format of the suite's driver for the embedded model.  Exit status 0, or 1 with one
 * line "test_embed_ref: why" on stderr. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../gen/spec.h"
#include "../../runtime/formats/ckpt.h"
#include "../../runtime/jit/jit.h"
#include "../../runtime/model/model.h"

static int fail(const char *what)
{
    fprintf(stderr, "test_embed_ref: %s\n", what);
    return 1;
}

/* The next whitespace-separated word of stdin into buf; 0 at end of input. */
static int next_word(char *buf, size_t n)
{
    int ch;
    size_t k = 0;
    while ((ch = getchar()) != EOF && (ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r')) {}
    while (ch != EOF && ch != ' ' && ch != '\n' && ch != '\t' && ch != '\r') {
        if (k + 1 < n) buf[k++] = (char)ch;
        ch = getchar();
    }
    buf[k] = '\0';
    return k > 0;
}

int main(int argc, char **argv)
{
    rnnc_ckpt c;
    rnnc_model m;
    char err[8192], word[128];
    rnnc_backend backend = RNNC_BACKEND_TCC;
    if (argc < 2 || argc > 3) return fail("usage: test_embed_ref CKPT [tcc|cc] < INPUTS");
    if (argc == 3 && rnnc_backend_parse(argv[2], &backend) != 0) return fail("backend: expected tcc or cc");
    if (rnnc_ckpt_load(&c, argv[1], err, sizeof err) != 0) return fail(err);
    rnnc_spec one = c.spec;
    one.batch = 1;
    one.tau = 1;
    if (rnnc_model_load(&m, &one, backend, err, sizeof err) != 0) {
        rnnc_ckpt_free(&c);
        return fail(err);
    }
    const rnnc_spec *s = &c.spec;
    size_t rs = c.layout.real_size, nx = s->onehot ? 1 : s->n_in;
    void *h = calloc(s->hidden, rs), *h2 = calloc(s->hidden, rs), *out = calloc(s->n_out, rs);
    void *x = calloc(nx, s->onehot ? sizeof(int32_t) : rs);
    int rc = 0;
    if (!h || !h2 || !out || !x) {
        rc = fail("out of memory");
        goto done;
    }
    for (;;) {
        size_t j;
        for (j = 0; j < nx; j++) {
            char *end;
            if (!next_word(word, sizeof word)) break;
            errno = 0;
            if (s->onehot) {
                long k = strtol(word, &end, 10);
                if (*end || errno || k < 0 || (size_t)k >= s->n_in) {
                    rc = fail("bad class index in the input");
                    goto done;
                }
                ((int32_t *)x)[0] = (int32_t)k;
            } else {
                double v = strtod(word, &end);
                if (*end || end == word) {
                    rc = fail("bad number in the input");
                    goto done;
                }
                rnnc_set(x, s->dtype, j, v);
            }
        }
        if (j == 0) break;
        if (j < nx) {
            rc = fail("the input ends inside a step");
            goto done;
        }
        rnnc_model_step(&m, c.params, x, h, h2, out);
        memcpy(h, h2, s->hidden * rs);
        for (size_t i = 0; i < s->n_out; i++)
            printf(i ? " %a" : "%a", rnnc_get(out, s->dtype, i));
        putchar('\n');
    }
    if (fflush(stdout) != 0) rc = fail("cannot write the output");
done:
    free(h), free(h2), free(out), free(x);
    rnnc_model_unload(&m);
    rnnc_ckpt_free(&c);
    return rc;
}
