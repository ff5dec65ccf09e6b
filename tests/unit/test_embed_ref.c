/* test_embed_ref.c: the tool's own inference, the reference for the embedded model
 * (tests/suites/embed.sh).
 *
 *   test_embed_ref CKPT [tcc|cc] [forced] < INPUTS > OUTPUTS
 *
 * Loads the checkpoint, loads its model as `rnnc sample` loads it (tau 1, batch 1, tcc unless
 * told otherwise) and runs rnnc_model_step from the zero state over the inputs read from
 * stdin, carrying the state of the column (h, and fb with an output recurrence) from step to
 * step: with an output recurrence the step feeds back its own output (free running, 10.11f).
 * INPUTS: whitespace-separated numbers, one class index per step (one-hot models) or n_in
 * values per step (dense; parsed with strtod and rounded to the model's real type).
 * With `forced` (models with an output recurrence only: the embedded NAME_step_forced), each
 * step's input is followed by the previous step's true value y_prev, one class index (nll) or
 * n_out values (mse), and the step feeds back e_y_prev or y_prev instead (10.11t).
 * OUTPUTS: one line per step, the n_out outputs (probabilities or values) as hexadecimal
 * floats (%a), separated by single spaces; exactly the format of the suite's driver for the
 * embedded model.  Exit status 0, or 1 with one line "test_embed_ref: why" on stderr. */
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

/* Read n values of one step from stdin into buf: class indices below `classes` (int32) when
 * classes > 0, else reals of type dt.  Returns n when read, 0 at the end of the input, -1
 * with a message on bad input or an input that ends inside a step. */
static int read_step(void *buf, size_t n, size_t classes, rnnc_dtype dt)
{
    char word[128];
    size_t j;
    for (j = 0; j < n; j++) {
        char *end;
        if (!next_word(word, sizeof word)) break;
        errno = 0;
        if (classes) {
            long k = strtol(word, &end, 10);
            if (*end || errno || k < 0 || (size_t)k >= classes) return fail("bad class index in the input"), -1;
            ((int32_t *)buf)[j] = (int32_t)k;
        } else {
            double v = strtod(word, &end);
            if (*end || end == word) return fail("bad number in the input"), -1;
            rnnc_set(buf, dt, j, v);
        }
    }
    if (j > 0 && j < n) return fail("the input ends inside a step"), -1;
    return (int)j;
}

int main(int argc, char **argv)
{
    rnnc_ckpt c;
    rnnc_model m;
    char err[8192];
    rnnc_backend backend = RNNC_BACKEND_TCC;
    int forced = argc >= 3 && strcmp(argv[argc - 1], "forced") == 0;
    if (forced) argc--;
    if (argc < 2 || argc > 3) return fail("usage: test_embed_ref CKPT [tcc|cc] [forced] < INPUTS");
    if (argc == 3 && rnnc_backend_parse(argv[2], &backend) != 0) return fail("backend: expected tcc or cc");
    if (rnnc_ckpt_load(&c, argv[1], err, sizeof err) != 0) return fail(err);
    const rnnc_spec *s = &c.spec;
    if (forced && !rnnc_recurrences[s->rec].has_R) {
        rnnc_ckpt_free(&c);
        return fail("forced: the model has no output recurrence");
    }
    rnnc_spec one = c.spec;
    one.batch = 1;
    one.tau = 1;
    if (rnnc_model_load(&m, &one, backend, err, sizeof err) != 0) {
        rnnc_ckpt_free(&c);
        return fail(err);
    }
    int nll = rnnc_losses[s->loss].class_targets;
    size_t rs = c.layout.real_size, nx = s->onehot ? 1 : s->n_in, ny = nll ? 1 : s->n_out;
    size_t ns = m.layout.s0_count;   /* one column: h, then fb */
    void *st = calloc(ns, rs), *st2 = calloc(ns, rs), *out = calloc(s->n_out, rs);
    void *x = calloc(nx, s->onehot ? sizeof(int32_t) : rs), *y = calloc(ny, nll ? sizeof(int32_t) : rs);
    int rc = 0;
    if (!st || !st2 || !out || !x || !y) {
        rc = fail("out of memory");
        goto done;
    }
    for (;;) {
        int got = read_step(x, nx, s->onehot ? s->n_in : 0, s->dtype);
        if (got < 0) rc = 1;
        if (got <= 0) break;
        if (forced) {
            got = read_step(y, ny, nll ? s->n_out : 0, s->dtype);
            if (got <= 0) {
                rc = got < 0 ? 1 : fail("the input ends inside a step");
                break;
            }
            /* teacher forcing (10.11t): fb(t-1) = e_y(t-1) (nll) or y(t-1) (mse) */
            for (size_t i = 0; i < s->n_out; i++)
                rnnc_set(st, s->dtype, s->hidden + i,
                         nll ? ((size_t)((int32_t *)y)[0] == i ? 1 : 0) : rnnc_get(y, s->dtype, i));
        }
        rnnc_model_step(&m, c.params, x, st, st2, out);
        memcpy(st, st2, ns * rs);
        for (size_t i = 0; i < s->n_out; i++)
            printf(i ? " %a" : "%a", rnnc_get(out, s->dtype, i));
        putchar('\n');
    }
    if (rc == 0 && fflush(stdout) != 0) rc = fail("cannot write the output");
done:
    free(st), free(st2), free(out), free(x), free(y);
    rnnc_model_unload(&m);
    rnnc_ckpt_free(&c);
    return rc;
}
