/* test_threads.c: a training step run on two threads (rnnc_model_set_threads, the batch
 * parts of NAME_train_part at once) must give exactly what one thread gives.
 *
 *   test_threads
 *
 * For specs whose batch is split in two parts (even batches of 16 and more; odd sizes so the
 * parts' shares of every gradient are uneven), over act x loss x dtype x input and every
 * optimiser (and the output recurrence: output and both x teacher, free, scheduled x nll, mse;
 * scheduled sampling with a mix of the data, draws and fixed choices per step and column; and
 * the gated cells, gru and lstm x loss), with clip-by-norm and weight decay on: two copies of one
 * seeded problem, one
 * trained for STEPS steps on one thread, the other on two; after every step the losses and
 * the whole parameter, optimiser-state, gradient and workspace buffers are compared with
 * memcmp.  Also: a step whose loss is not finite leaves the parameters alone on both; a
 * spec with one part runs on one thread whatever is asked; the pool itself runs every part
 * of every stage exactly once, over many stages.
 *
 * Output: "ok threads/NAME" or "FAIL threads/NAME: details".  Exit status 1 on failure. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/model/model.h"
#include "../../runtime/model/pool.h"
#include "../lib/testlib.h"

#define STEPS 3

static void hparams(rnnc_hparams *hp, int optim, size_t batch, int step)
{
    memset(hp, 0, sizeof *hp);
    hp->optim = optim;
    hp->lr = 0.05;
    hp->beta1 = 0.9;
    hp->beta2 = 0.999;
    hp->eps = 1e-8;
    hp->weight_decay = 1e-4;
    hp->clip = 5;
    hp->clip_norm = 1.0;   /* small: the global norm (a sum over every part's share) matters */
    hp->grad_scale = 1.0 / (double)batch;
    hp->bias1 = 1 - pow(hp->beta1, step);
    hp->bias2 = 1 - pow(hp->beta2, step);
}

/* The first buffer of a, b that differs after a step, or NULL. */
static const char *differs(const rnnc_layout *l, const rnnc_buffers *a, const rnnc_buffers *b)
{
    if (memcmp(a->params, b->params, l->params_bytes)) return "params";
    if (memcmp(a->opt, b->opt, l->opt_bytes)) return "optimiser state";
    if (memcmp(a->grads, b->grads, l->params_bytes)) return "grads";
    if (memcmp(a->ws, b->ws, l->ws_bytes)) return "workspace";
    return NULL;
}

typedef struct {
    rnnc_model m;
    rnnc_buffers b;
    int loaded, allocated;
} side;

static void side_free(side *sd)
{
    if (sd->allocated) rnnc_buffers_free(&sd->b);
    if (sd->loaded) rnnc_model_unload(&sd->m);
}

/* Train the same problem (of the given cell) on 1 and on 2 threads; compare after every step. */
static void same_results_cell(const tl_case *cc, rnnc_cell cell, rnnc_backend be, int optim, uint64_t seed)
{
    char err[4096], name[256], why[512];
    rnnc_spec s;
    tl_case c = *cc;
    tl_pick_dims(&c);
    if (c.onehot) c.n_in = c.n_out = 7;
    else c.n_in = 5, c.n_out = 3;
    c.hidden = 13;
    if (tl_build_spec_cell(&c, cell, 0, &s, err, sizeof err) != 0) {
        tl_expect(0, "spec", "%s", err);
        return;
    }
    tl_summary(&s, name, sizeof name);
    snprintf(name + strlen(name), sizeof name - strlen(name), ",%s,optim%d", rnnc_backend_name(be), optim);
    side sd[2];
    memset(sd, 0, sizeof sd);
    int ok = 1;
    for (int k = 0; k < 2 && ok; k++) {
        if (rnnc_model_load(&sd[k].m, &s, be, err, sizeof err) != 0) {
            snprintf(why, sizeof why, "load: %.300s", err);
            ok = 0;
            break;
        }
        sd[k].loaded = 1;
        int want = k == 0 ? 1 : 2, got = rnnc_model_set_threads(&sd[k].m, want, err, sizeof err);
        if (got != want) {
            snprintf(why, sizeof why, "set_threads(%d) gave %d: %.300s (parts %zu)", want, got,
                     got < 0 ? err : "", sd[k].m.layout.parts);
            ok = 0;
            break;
        }
        if (rnnc_buffers_alloc(&sd[k].b, &sd[k].m.layout) != 0) {
            snprintf(why, sizeof why, "out of memory");
            ok = 0;
            break;
        }
        sd[k].allocated = 1;
        tl_fill_problem(&s, &sd[k].m.layout, &sd[k].b, seed, NULL);
        tl_poison(&s, &sd[k].m.layout, &sd[k].b);
        tl_fill_sched(&s, &sd[k].m.layout, sd[k].b.ws, seed, NULL, NULL, NULL);
    }
    for (int step = 1; ok && step <= STEPS; step++) {
        rnnc_hparams hp;
        hparams(&hp, optim, s.batch, step);
        double loss[2];
        for (int k = 0; k < 2; k++)
            loss[k] = rnnc_model_train_step(&sd[k].m, sd[k].b.params, sd[k].b.grads, sd[k].b.opt,
                                            sd[k].b.x, sd[k].b.y, sd[k].b.s0, sd[k].b.ws, &hp);
        const char *what = differs(&sd[0].m.layout, &sd[0].b, &sd[1].b);
        if (memcmp(&loss[0], &loss[1], sizeof loss[0]) != 0 || !isfinite(loss[0])) {
            snprintf(why, sizeof why, "step %d: loss %.17g on 1 thread, %.17g on 2", step, loss[0], loss[1]);
            ok = 0;
        } else if (what) {
            snprintf(why, sizeof why, "step %d: %s differ between 1 and 2 threads", step, what);
            ok = 0;
        }
    }
    tl_expect(ok, name, "%s", why);
    side_free(&sd[0]);
    side_free(&sd[1]);
}

/* same_results_cell for the rnn cell. */
static void same_results(const tl_case *cc, rnnc_backend be, int optim, uint64_t seed)
{
    same_results_cell(cc, RNNC_CELL_RNN, be, optim, seed);
}

/* A step whose loss is NaN leaves params and opt alone, on 2 threads as on 1. */
static void nan_step(rnnc_backend be)
{
    char err[4096], why[256] = "";
    rnnc_spec s;
    tl_case c = {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 2, 16, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
    tl_pick_dims(&c);
    side sd;
    memset(&sd, 0, sizeof sd);
    int ok = tl_build_spec(&c, 0, &s, err, sizeof err) == 0 &&
             rnnc_model_load(&sd.m, &s, be, err, sizeof err) == 0;
    sd.loaded = ok;
    ok = ok && rnnc_model_set_threads(&sd.m, 2, err, sizeof err) == 2 &&
         rnnc_buffers_alloc(&sd.b, &sd.m.layout) == 0;
    sd.allocated = ok;
    if (!ok) snprintf(why, sizeof why, "setup: %.200s", err);
    if (ok) {
        const rnnc_layout *l = &sd.m.layout;
        tl_fill_problem(&s, l, &sd.b, 99, NULL);
        rnnc_set(sd.b.params, s.dtype, l->off_c, NAN);   /* every o(t) becomes NaN */
        void *p0 = malloc(l->params_bytes), *o0 = malloc(l->opt_bytes);
        if (!p0 || !o0) abort();
        memcpy(p0, sd.b.params, l->params_bytes);
        memcpy(o0, sd.b.opt, l->opt_bytes);
        rnnc_hparams hp;
        hparams(&hp, RNNC_OPTIM_ADAM, s.batch, 1);
        double loss = rnnc_model_train_step(&sd.m, sd.b.params, sd.b.grads, sd.b.opt, sd.b.x,
                                            sd.b.y, sd.b.s0, sd.b.ws, &hp);
        if (!isnan(loss)) snprintf(why, sizeof why, "loss %g, expected NaN", loss), ok = 0;
        else if (memcmp(p0, sd.b.params, l->params_bytes) || memcmp(o0, sd.b.opt, l->opt_bytes))
            snprintf(why, sizeof why, "the parameters or the optimiser state changed"), ok = 0;
        free(p0);
        free(o0);
    }
    tl_expect(ok, "nan-step-leaves-params", "%s", why);
    side_free(&sd);
}

/* Batches that are not split run on one thread whatever is asked. */
static void one_part(void)
{
    char err[4096], why[256] = "";
    rnnc_spec s;
    tl_case c = {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 2, 15, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
    tl_pick_dims(&c);
    rnnc_model m;
    int ok = tl_build_spec(&c, 0, &s, err, sizeof err) == 0 &&
             rnnc_model_load(&m, &s, RNNC_BACKEND_TCC, err, sizeof err) == 0;
    if (!ok) {
        tl_expect(0, "odd-batch-one-thread", "%s", err);
        return;
    }
    int got = rnnc_model_set_threads(&m, 2, err, sizeof err), got0 = rnnc_model_set_threads(&m, 0, err, sizeof err);
    if (m.layout.parts != 1 || got != 1 || got0 != 1)
        snprintf(why, sizeof why, "parts %zu, threads %d and %d (expected 1, 1, 1)", m.layout.parts, got, got0), ok = 0;
    tl_expect(ok, "odd-batch-one-thread", "%s", why);
    rnnc_model_unload(&m);
}

/* The pool: every part of every stage runs exactly once, and stages do not overlap. */
typedef struct {
    atomic_int runs[4];
    atomic_int in_stage;
    int stage, bad;
} pool_probe;

static void probe_part(void *vctx, int part)
{
    pool_probe *p = vctx;
    if (atomic_fetch_add(&p->in_stage, 1) >= 4) p->bad = 1;
    atomic_fetch_add(&p->runs[part], 1);
    atomic_fetch_sub(&p->in_stage, 1);
}

static void pool_stages(void)
{
    char err[256], why[256] = "";
    int ok = 1;
    for (int n = 1; n <= 4 && ok; n++) {
        rnnc_pool *p = rnnc_pool_start(n, err, sizeof err);
        if (!p) {
            snprintf(why, sizeof why, "start(%d): %.200s", n, err);
            ok = 0;
            break;
        }
        pool_probe probe;
        memset(&probe, 0, sizeof probe);
        const int stages = 20000;
        for (int st = 0; st < stages; st++) rnnc_pool_run(p, probe_part, &probe);
        for (int part = 0; part < n; part++)
            if (atomic_load(&probe.runs[part]) != stages) {
                snprintf(why, sizeof why, "%d members: part %d ran %d times in %d stages", n, part,
                         atomic_load(&probe.runs[part]), stages);
                ok = 0;
            }
        if (probe.bad) snprintf(why, sizeof why, "more than 4 parts at once"), ok = 0;
        rnnc_pool_stop(p);
    }
    if (ok && rnnc_pool_start(0, err, sizeof err) == NULL && !strstr(err, "threads")) {
        snprintf(why, sizeof why, "start(0) message: %.200s", err);
        ok = 0;
    }
    tl_expect(ok, "pool-runs-each-part-once", "%s", why);
}

int main(void)
{
    tl_suite("threads");
    double t0 = tl_now_s();
    uint64_t seed = 4242;
    int i = 0;
    for (int act = 0; act < 3; act++)
        for (int loss = 0; loss < 2; loss++)
            for (int onehot = 1; onehot >= 0; onehot--, i++) {
                tl_case c = {(rnnc_act)act, (rnnc_loss)loss, i % 2 ? RNNC_DOUBLE : RNNC_FLOAT,
                             onehot, 0, 0, 0, 3, i % 3 ? 18 : 16, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
                same_results(&c, RNNC_BACKEND_TCC, i % 5, seed += 17);
            }
    /* The output recurrence (output, both) with each feedback: one-hot nll and dense mse,
     * acts and optimisers in turn; scheduled sampling with a mix of draws and fixed choices. */
    for (int rec = RNNC_REC_OUTPUT; rec <= RNNC_REC_BOTH; rec++)
        for (int fb = 0; fb < RNNC_FB_COUNT; fb++)
            for (int loss = 0; loss < 2; loss++, i++) {
                tl_case c = {(rnnc_act)(i % 3), (rnnc_loss)loss, i % 2 ? RNNC_DOUBLE : RNNC_FLOAT,
                             loss == RNNC_LOSS_NLL, 0, 0, 0, 3, i % 3 ? 18 : 16, (rnnc_recurrence)rec,
                             (rnnc_feedback)fb};
                same_results(&c, RNNC_BACKEND_TCC, i % 5, seed += 17);
            }
    /* The optimised build too (gcc's register tiles and vector loops). */
    tl_case c = {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 4, 34, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
    same_results(&c, RNNC_BACKEND_CC, RNNC_OPTIM_ADAGRAD, seed += 17);
    tl_case d = {RNNC_ACT_RELU, RNNC_LOSS_MSE, RNNC_DOUBLE, 0, 0, 0, 0, 3, 16, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
    same_results(&d, RNNC_BACKEND_CC, RNNC_OPTIM_ADAM, seed += 17);
    tl_case e = {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 4, 32, RNNC_REC_OUTPUT, RNNC_FB_FREE};
    same_results(&e, RNNC_BACKEND_CC, RNNC_OPTIM_ADAM, seed += 17);
    tl_case f = {RNNC_ACT_SIGMOID, RNNC_LOSS_MSE, RNNC_DOUBLE, 0, 0, 0, 0, 3, 16, RNNC_REC_BOTH, RNNC_FB_SCHEDULED};
    same_results(&f, RNNC_BACKEND_CC, RNNC_OPTIM_ADAGRAD, seed += 17);
    /* The gated cells: their parameter gradients shared out by rows of G H. */
    for (int cell = RNNC_CELL_GRU; cell <= RNNC_CELL_LSTM; cell++)
        for (int loss = 0; loss < 2; loss++) {
            tl_case g = {RNNC_ACT_TANH, (rnnc_loss)loss, loss ? RNNC_DOUBLE : RNNC_FLOAT, !loss, 0, 0, 0, 3,
                         loss ? 18 : 16, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
            same_results_cell(&g, (rnnc_cell)cell, RNNC_BACKEND_TCC, loss ? RNNC_OPTIM_ADAM : RNNC_OPTIM_ADAGRAD,
                              seed += 17);
        }
    tl_case ge = {RNNC_ACT_TANH, RNNC_LOSS_NLL, RNNC_FLOAT, 1, 0, 0, 0, 4, 34, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
    same_results_cell(&ge, RNNC_CELL_LSTM, RNNC_BACKEND_CC, RNNC_OPTIM_ADAM, seed += 17);
    tl_case gf = {RNNC_ACT_TANH, RNNC_LOSS_MSE, RNNC_FLOAT, 0, 0, 0, 0, 4, 18, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
    same_results_cell(&gf, RNNC_CELL_GRU, RNNC_BACKEND_CC, RNNC_OPTIM_RMSPROP, seed += 17);
    nan_step(RNNC_BACKEND_TCC);
    one_part();
    pool_stages();
    printf("# threads: %d failed, %.2f s\n", tl_failures(), tl_now_s() - t0);
    return tl_status();
}
