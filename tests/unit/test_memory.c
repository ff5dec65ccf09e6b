/* test_memory.c: BPTT in bounded memory (--memory sqrt|N) must give exactly what keeping every
 * step gives with the same segments (--segment S): the same operations in the same order.
 *
 *   test_memory
 *
 * For specs over tau x segment length x act x loss x dtype x input x batch x end mode: two
 * copies of one seeded problem (parameters, inputs, targets, initial state, records' ends),
 * one built with --segment S (every step's nodes kept), the other with --memory S (h kept
 * only at each segment's start, each segment recomputed before its backward sweep); both
 * trained STEPS steps with Adam; after every step the losses, the parameters, the optimiser
 * state, the gradients and the final state are compared with memcmp.  And the workspace of
 * the recomputing build is smaller, as its layout promises.
 *
 * Output: "ok memory/NAME" or "FAIL memory/NAME: details".  Exit status 1 on failure. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/model/model.h"
#include "../lib/testlib.h"

#define STEPS 3

static int failures;

static void result(int ok, const char *name, const char *why)
{
    if (ok) tl_ok("%s", name);
    else tl_fail("%s: %s", name, why);
    failures += !ok;
}

static void adam(rnnc_hparams *hp, size_t batch, int step)
{
    memset(hp, 0, sizeof *hp);
    hp->optim = RNNC_OPTIM_ADAM;
    hp->lr = 0.01;
    hp->beta1 = 0.9;
    hp->beta2 = 0.999;
    hp->eps = 1e-8;
    hp->clip = 5;
    hp->grad_scale = 1.0 / (double)batch;
    hp->bias1 = 1 - pow(hp->beta1, step);
    hp->bias2 = 1 - pow(hp->beta2, step);
}

/* Records: column b's record ends at step (b + seed) mod (tau + 1) (0: not in this chunk),
 * starts at step 1, has a length within --max-length; r(t) for --end length. */
static void fill_records(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *a, uint64_t seed)
{
    for (size_t b = 0; b < s->batch; b++) {
        rnnc_set(a->ws, s->dtype, l->ws_seq + 3 * b, (double)((b + seed) % (s->tau + 1)));
        rnnc_set(a->ws, s->dtype, l->ws_seq + 3 * b + 1, 1);
        rnnc_set(a->ws, s->dtype, l->ws_seq + 3 * b + 2, s->max_length ? (double)(1 + (b + seed) % s->max_length) : 0);
    }
    for (size_t i = 0; rnnc_ends[s->end].has_length && i < s->tau * s->batch; i++)
        rnnc_set(a->ws, s->dtype, l->ws_rem + i, (double)(i % 5) / 5);
}

/* Copy the caller-written part of the workspace (the records' ends, the remaining steps)
 * from a to b: the two builds place it at different offsets. */
static void copy_inputs(const rnnc_spec *s, const rnnc_layout *la, const rnnc_buffers *a,
                        const rnnc_layout *lb, rnnc_buffers *b)
{
    size_t rs = la->real_size;
    memcpy((char *)b->ws + lb->ws_seq * rs, (const char *)a->ws + la->ws_seq * rs, 3 * s->batch * rs);
    if (rnnc_ends[s->end].has_length)
        memcpy((char *)b->ws + lb->ws_rem * rs, (const char *)a->ws + la->ws_rem * rs, s->tau * s->batch * rs);
}

/* Train both builds of spec s (segments of seg steps) and compare them step by step. */
static void run_case(rnnc_spec s, size_t seg, uint64_t seed)
{
    char name[256], why[512], err[1024];
    rnnc_spec full = s, rec = s;
    rnnc_model mf, mr;
    rnnc_buffers bf = {0}, br = {0};
    full.segment = seg;
    rec.segment = seg;
    rec.recompute = 1;
    tl_summary(&s, name, sizeof name);
    snprintf(name + strlen(name), sizeof name - strlen(name), ",segment=%zu", seg);
    if (rnnc_model_load(&mf, &full, RNNC_BACKEND_TCC, err, sizeof err) != 0) {
        result(0, name, err);
        return;
    }
    if (rnnc_model_load(&mr, &rec, RNNC_BACKEND_TCC, err, sizeof err) != 0) {
        rnnc_model_unload(&mf);
        result(0, name, err);
        return;
    }
    const rnnc_layout *lf = &mf.layout, *lr = &mr.layout;
    why[0] = '\0';
    if (rnnc_buffers_alloc(&bf, lf) != 0 || rnnc_buffers_alloc(&br, lr) != 0) {
        snprintf(why, sizeof why, "out of memory");
        goto out;
    }
    tl_fill_problem(&s, lf, &bf, seed, NULL);
    tl_fill_problem(&s, lr, &br, seed, NULL);
    fill_records(&s, lf, &bf, seed);
    copy_inputs(&s, lf, &bf, lr, &br);
    if (!(lr->ws_bytes < lf->ws_bytes) && seg * 2 <= s.tau) {
        snprintf(why, sizeof why, "the recomputing workspace (%zu bytes) is not smaller than %zu",
                 lr->ws_bytes, lf->ws_bytes);
        goto out;
    }
    for (int step = 1; step <= STEPS && !why[0]; step++) {
        rnnc_hparams hp;
        adam(&hp, s.batch, step);
        double a = rnnc_model_train_step(&mf, bf.params, bf.grads, bf.opt, bf.x, bf.y, bf.s0, bf.ws, &hp);
        double b = rnnc_model_train_step(&mr, br.params, br.grads, br.opt, br.x, br.y, br.s0, br.ws, &hp);
        const char *d = memcmp(&a, &b, sizeof a) ? "loss"
                      : memcmp(bf.params, br.params, lf->params_bytes) ? "params"
                      : memcmp(bf.opt, br.opt, lf->opt_bytes) ? "optimiser state"
                      : memcmp(bf.grads, br.grads, lf->params_bytes) ? "grads"
                      : memcmp((char *)bf.ws + lf->ws_s1 * lf->real_size,
                               (char *)br.ws + lr->ws_s1 * lr->real_size, lf->s0_bytes) ? "final state"
                                                                                        : NULL;
        if (d) snprintf(why, sizeof why, "step %d: %s differ (losses %.17g and %.17g)", step, d, a, b);
    }
out:
    result(!why[0], name, why);
    rnnc_buffers_free(&bf);
    rnnc_buffers_free(&br);
    rnnc_model_unload(&mf);
    rnnc_model_unload(&mr);
}

int main(void)
{
    tl_suite("memory");
    static const struct { size_t tau, seg; } shapes[] = {{7, 2}, {7, 3}, {9, 3}, {12, 5}, {5, 1}, {40, 7}};
    uint64_t seed = 11;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int act = 0; act < RNNC_ACT_COUNT; act++)
            for (int loss = 0; loss < RNNC_LOSS_COUNT; loss++)
                for (int end = 0; end < RNNC_END_COUNT; end++) {
                    tl_case c = {0};
                    rnnc_spec s;
                    char err[256];
                    if (end == RNNC_END_EOS) continue; /* masks only: as none, with records */
                    c.act = act;
                    c.loss = loss;
                    c.dtype = (k + (size_t)end) % 2 ? RNNC_DOUBLE : RNNC_FLOAT;
                    c.onehot = loss == RNNC_LOSS_NLL;
                    c.batch = k % 3 == 2 ? 3 : 1;
                    c.tau = shapes[k].tau;
                    tl_pick_dims(&c);
                    if (tl_build_spec(&c, 0, &s, err, sizeof err) != 0) {
                        result(0, "spec", err);
                        continue;
                    }
                    s.end = (rnnc_end)end;
                    s.max_length = end == RNNC_END_LENGTH ? 6 : 0;
                    run_case(s, shapes[k].seg, seed++);
                }
    return failures ? 1 : 0;
}
