/* test_long_range.c: the learning test of the gated cells (issue 17): a symbol to recall after
 * a long stretch of noise, which an LSTM and a GRU learn within a fixed budget of steps and a
 * vanilla RNN does not.
 *
 *   test_long_range [STEPS [GAP]]          (defaults 3000 and 50)
 *
 * A record is a key (one of 4 symbols), GAP noise symbols (8 others, uniform) and the marker
 * '=': x = key, n_1 .. n_GAP, '=' (tau = GAP + 2 steps), and the targets are a blank symbol at
 * every step but the last, where the key is to be recalled (the copy-memory task: softmax +
 * nll at every step, from h(0) = 0 and c(0) = 0).  Chance at the recall step is log 4 = 1.386
 * nats.  Each cell (rnn tanh, gru, lstm), hidden 32, batch 32, is trained for STEPS steps on
 * fresh random records with the same settings: Adam (lr 0.01, clip-norm 1), weights
 * U(-1/sqrt(H), 1/sqrt(H)) as PyTorch draws them, biases 0 but the LSTM's forget gate and the
 * GRU's update gate at 1, as `rnnc train` sets them.  Every 250 steps (and at the end) it is
 * evaluated on 512 held-out records: the mean loss at the recall step (nats) and the fraction
 * of keys recalled (the most probable class).
 *
 * Passes when the LSTM and the GRU reach a recall loss below PASS_LOSS with accuracy at least
 * PASS_ACC, and the vanilla RNN stays above FAIL_LOSS (it is not asked to be at chance, only
 * far from solving it).  Output: "ok long-range/CELL: ..." per cell with its curve, then
 * "ok long-range/gated-beats-vanilla" or "FAIL ...".  The cc backend (optimised code). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/base/rng.h"
#include "../../runtime/commands/check.h"
#include "../../runtime/model/model.h"
#include "../lib/testlib.h"

#define KEYS 4
#define NOISE 8
#define MARK (KEYS + NOISE)        /* '=': recall now */
#define BLANK (MARK + 1)           /* the target while nothing is to be recalled */
#define VOCAB (BLANK + 1)          /* keys 0..3, noise 4..11, '=' 12, blank 13 */
#define HIDDEN 32
#define BATCH 32
#define EVAL_RECORDS 512
#define PASS_LOSS 0.1
#define PASS_ACC 0.95
#define FAIL_LOSS 0.7

/* One batch of records into x, y (tau = gap + 2 steps, BATCH columns, column-major in time):
 * x = key, gap noise symbols, '='; y = blank at every step but the last, the key there. */
static void fill_records(uint64_t *rng, size_t gap, int32_t *x, int32_t *y)
{
    size_t T = gap + 2;
    for (size_t b = 0; b < BATCH; b++) {
        int32_t key = (int32_t)(rnnc_rand_next(rng) % KEYS);
        for (size_t t = 0; t < T; t++) {
            x[t * BATCH + b] = t == 0 ? key : t == T - 1 ? MARK : KEYS + (int32_t)(rnnc_rand_next(rng) % NOISE);
            y[t * BATCH + b] = t == T - 1 ? key : BLANK;
        }
    }
}

/* PyTorch's initialisation U(-1/sqrt(H), 1/sqrt(H)) for the weights, zero biases, and rows
 * H..2H of b at 1: the LSTM's forget gate, the GRU's update gate (rnnc train's choice). */
static void init_params(const rnnc_spec *s, const rnnc_layout *l, void *params, uint64_t *rng)
{
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, t);
    static const int mats[] = {RNNC_T_U, RNNC_T_W, RNNC_T_V};
    const double a = 1 / sqrt((double)s->hidden);
    for (size_t m = 0; m < sizeof mats / sizeof mats[0]; m++)
        for (size_t i = 0; i < t[mats[m]].rows * t[mats[m]].cols; i++)
            rnnc_set(params, s->dtype, t[mats[m]].offset + i, rnnc_rand_uniform(rng, -a, a));
    for (size_t i = 0; s->cell != RNNC_CELL_RNN && i < s->hidden; i++)
        rnnc_set(params, s->dtype, l->off_b + s->hidden + i, 1.0);
}

/* Recall loss (nats) and accuracy at the last step over EVAL_RECORDS held-out records. */
static void evaluate(rnnc_model *m, rnnc_buffers *b, size_t gap, double *loss, double *acc)
{
    const rnnc_layout *l = &m->layout;
    uint64_t rng = 0xe7a1u;
    size_t T = gap + 2, right = 0, n = 0;
    double sum = 0;
    for (size_t r = 0; r < EVAL_RECORDS / BATCH; r++) {
        fill_records(&rng, gap, b->x, b->y);
        memset(b->s0, 0, l->s0_bytes);
        (void)rnnc_model_forward(m, b->params, b->x, b->y, b->s0, b->ws);
        for (size_t c = 0; c < BATCH; c++, n++) {
            size_t off = l->ws_p + ((T - 1) * BATCH + c) * VOCAB, best = 0;
            int32_t key = ((int32_t *)b->y)[(T - 1) * BATCH + c];
            for (size_t k = 1; k < VOCAB; k++)
                if (rnnc_get(b->ws, m->spec.dtype, off + k) > rnnc_get(b->ws, m->spec.dtype, off + best)) best = k;
            right += best == (size_t)key;
            sum -= log(fmax(rnnc_get(b->ws, m->spec.dtype, off + (size_t)key), 1e-30));
        }
    }
    *loss = sum / (double)n;
    *acc = (double)right / (double)n;
}

/* Train cell for steps steps; returns 0 with the final recall loss and accuracy (and the curve
 * in curve), or -1 after printing a FAIL line. */
static int train_cell(rnnc_cell cell, size_t steps, size_t gap, double *loss, double *acc, char *curve,
                      size_t cn)
{
    char err[4096], spec_txt[64];
    rnnc_spec_builder sb;
    rnnc_spec s;
    rnnc_model m;
    rnnc_buffers b;
    rnnc_spec_begin(&sb);
    snprintf(spec_txt, sizeof spec_txt, "%zu", gap + 2);
    if (rnnc_spec_set(&sb, "vocab", "14", "test", err, sizeof err) || rnnc_spec_set(&sb, "hidden", "32", "test", err, sizeof err) ||
        rnnc_spec_set(&sb, "tau", spec_txt, "test", err, sizeof err) || rnnc_spec_set(&sb, "batch", "32", "test", err, sizeof err) ||
        rnnc_spec_set(&sb, "cell", rnnc_cells[cell].name, "test", err, sizeof err) ||
        rnnc_spec_finish(&sb, &s, err, sizeof err) || rnnc_model_load(&m, &s, RNNC_BACKEND_CC, err, sizeof err)) {
        tl_one_line(err);
        tl_fail("%s: %s", rnnc_cells[cell].name, err);
        return -1;
    }
    if (rnnc_buffers_alloc(&b, &m.layout) != 0) {
        tl_fail("%s: out of memory", rnnc_cells[cell].name);
        rnnc_model_unload(&m);
        return -1;
    }
    uint64_t rng = 0x10c0ull + (uint64_t)cell, data = 0xda7aull;
    init_params(&s, &m.layout, b.params, &rng);
    rnnc_hparams hp;
    memset(&hp, 0, sizeof hp);
    hp.optim = RNNC_OPTIM_ADAM, hp.lr = 0.01, hp.beta1 = 0.9, hp.beta2 = 0.999, hp.eps = 1e-8;
    hp.clip_norm = 1.0, hp.grad_scale = 1.0 / BATCH;
    size_t o = (size_t)snprintf(curve, cn, "recall loss by step:");
    for (size_t step = 1; step <= steps; step++) {
        fill_records(&data, gap, b.x, b.y);
        memset(b.s0, 0, m.layout.s0_bytes);
        hp.bias1 = 1 - pow(hp.beta1, (double)step), hp.bias2 = 1 - pow(hp.beta2, (double)step);
        (void)rnnc_model_train_step(&m, b.params, b.grads, b.opt, b.x, b.y, b.s0, b.ws, &hp);
        if (step % 250 == 0 || step == steps) {
            evaluate(&m, &b, gap, loss, acc);
            if (o < cn) o += (size_t)snprintf(curve + o, cn - o, " %zu:%.3f", step, *loss);
        }
    }
    rnnc_buffers_free(&b);
    rnnc_model_unload(&m);
    return 0;
}

int main(int argc, char **argv)
{
    tl_suite("long-range");
    size_t steps = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 3000;
    size_t gap = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 50;
    static const rnnc_cell cells[] = {RNNC_CELL_RNN, RNNC_CELL_GRU, RNNC_CELL_LSTM};
    double loss[3], acc[3], t0 = tl_now_s();
    char curve[512];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (steps == 0 || gap == 0 || gap > 1000) {
        tl_fail("usage: test_long_range [STEPS [GAP]]");
        return 2;
    }
    for (int k = 0; k < 3; k++) {
        double t = tl_now_s();
        if (train_cell(cells[k], steps, gap, &loss[k], &acc[k], curve, sizeof curve) != 0) return 1;
        tl_ok("%s: after %zu steps (gap %zu) recall loss %.3f nats (chance %.3f), "
              "accuracy %.1f%%; %s; %.1f s", rnnc_cells[cells[k]].name, steps, gap, loss[k], log(KEYS),
              100 * acc[k], curve, tl_now_s() - t);
    }
    int pass = loss[1] < PASS_LOSS && acc[1] >= PASS_ACC && loss[2] < PASS_LOSS && acc[2] >= PASS_ACC &&
               loss[0] > FAIL_LOSS;
    printf("%s long-range/gated-beats-vanilla: recall loss rnn %.3f, gru %.3f, lstm %.3f (pass: gated < %g "
           "with accuracy >= %g, rnn > %g); %.1f s\n", pass ? "ok" : "FAIL", loss[0], loss[1], loss[2], PASS_LOSS,
           PASS_ACC, FAIL_LOSS, tl_now_s() - t0);
    return pass ? 0 : 1;
}
