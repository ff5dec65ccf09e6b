/* test_update.c: the optimiser step of NAME_train_step against the formulas of
 * templates/rnn.h, recomputed here in double.
 *
 *   test_update
 *
 * For every optimiser, with and without clip-by-norm, entrywise clip and weight decay, in
 * float and double, with one batch part and with two: the gradient G of NAME_backward on a
 * seeded problem, a random optimiser state, then one NAME_train_step from the same
 * parameters.  Expected: g = grad_scale G, scaled to norm clip_norm if larger, clipped to
 * [-clip, clip], plus weight_decay p; then
 *   sgd p -= lr g; momentum m = beta1 m + g, p -= lr m; adagrad m += g^2,
 *   p -= lr g / sqrt(m + eps); rmsprop m = beta2 m + (1 - beta2) g^2,
 *   p -= lr g / (sqrt(m) + eps); adam m = beta1 m + (1 - beta1) g,
 *   v = beta2 v + (1 - beta2) g^2, p -= lr (m / bias1) / (sqrt(v / bias2) + eps).
 * Each parameter and state value must agree within TOL_DOUBLE (double) or TOL_FLOAT (float)
 * relative to max(1, |expected|): the model rounds each operation to its dtype.
 *
 * Output: "ok update/NAME" or "FAIL update/NAME: details".  Exit status 1 on failure. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/base/rng.h"
#include "../../runtime/model/model.h"
#include "../lib/testlib.h"

/* Measured worst: 1.1e-16 (double), 5.2e-8 (float); the bounds leave about 40x headroom
 * for the rounding of each operation in the model's dtype. */
#define TOL_DOUBLE 1e-13
#define TOL_FLOAT 2e-6

static void check_case(const tl_case *tc, int optim, int clip_norm, int clip, int wd, uint64_t seed)
{
    static const char *const optims[] = {"sgd", "momentum", "adagrad", "rmsprop", "adam"};
    char err[4096], name[256], why[512] = "";
    rnnc_spec s;
    tl_case c = *tc;
    tl_pick_dims(&c);
    if (tl_build_spec(&c, 0, &s, err, sizeof err) != 0) {
        tl_fail("spec: %.300s", err);
        return;
    }
    tl_summary(&s, name, sizeof name);
    snprintf(name + strlen(name), sizeof name - strlen(name), ",%s%s%s%s", optims[optim],
             clip_norm ? ",clip-norm" : "", clip ? ",clip" : "", wd ? ",wd" : "");
    rnnc_model m;
    if (rnnc_model_load(&m, &s, RNNC_BACKEND_TCC, err, sizeof err) != 0) {
        tl_fail("%s: load: %.300s", name, err);
        return;
    }
    const rnnc_layout *l = &m.layout;
    rnnc_buffers b;
    if (rnnc_buffers_alloc(&b, l) != 0) abort();
    tl_fill_problem(&s, l, &b, seed, NULL);
    size_t n = l->params_count;
    double *p0 = malloc(n * sizeof *p0), *g = malloc(n * sizeof *g), *m0 = malloc(n * sizeof *m0),
           *v0 = malloc(n * sizeof *v0);
    if (!p0 || !g || !m0 || !v0) abort();
    /* The optimiser state: positive (second moments), first moments of either sign. */
    uint64_t st = seed * 7 + 1;
    for (size_t i = 0; i < n; i++) {
        double a = rnnc_rand_uniform(&st, 0.01, 1), bm = rnnc_rand_uniform(&st, -1, 1);
        rnnc_set(b.opt, s.dtype, i, optim == RNNC_OPTIM_MOMENTUM || optim == RNNC_OPTIM_ADAM ? bm : a);
        rnnc_set(b.opt, s.dtype, n + i, a);
    }
    rnnc_hparams hp;
    memset(&hp, 0, sizeof hp);
    hp.optim = optim;
    hp.lr = 0.03;
    hp.beta1 = 0.9;
    hp.beta2 = 0.99;
    hp.eps = 1e-6;
    hp.weight_decay = wd ? 0.01 : 0;
    hp.clip = clip ? 0.05 : 0;
    hp.clip_norm = clip_norm ? 0.5 : 0;
    hp.grad_scale = 1.0 / (double)s.batch;
    hp.bias1 = 1 - pow(hp.beta1, 3);
    hp.bias2 = 1 - pow(hp.beta2, 3);
    /* G from forward + backward; the state before the step. */
    double loss = rnnc_model_forward(&m, b.params, b.x, b.y, b.s0, b.ws);
    rnnc_model_backward(&m, b.params, b.x, b.y, b.ws, b.grads);
    for (size_t i = 0; i < n; i++) {
        p0[i] = rnnc_get(b.params, s.dtype, i);
        g[i] = rnnc_get(b.grads, s.dtype, i) * hp.grad_scale;
        m0[i] = rnnc_get(b.opt, s.dtype, i);
        v0[i] = rnnc_get(b.opt, s.dtype, n + i);
    }
    double step_loss = rnnc_model_train_step(&m, b.params, b.grads, b.opt, b.x, b.y, b.s0, b.ws, &hp);
    if (memcmp(&loss, &step_loss, sizeof loss) != 0)
        snprintf(why, sizeof why, "train_step loss %.17g, forward %.17g", step_loss, loss);
    if (clip_norm) {
        double ss = 0;
        for (size_t i = 0; i < n; i++) ss += g[i] * g[i];
        if (sqrt(ss) > hp.clip_norm)
            for (size_t i = 0; i < n; i++) g[i] *= hp.clip_norm / sqrt(ss);
    }
    double tol = s.dtype == RNNC_DOUBLE ? TOL_DOUBLE : TOL_FLOAT, worst = 0;
    for (size_t i = 0; i < n && !why[0]; i++) {
        double gi = g[i], p = p0[i], mm = m0[i], vv = v0[i];
        if (clip) gi = gi > hp.clip ? hp.clip : gi < -hp.clip ? -hp.clip : gi;
        gi += hp.weight_decay * p;
        switch (optim) {
        case RNNC_OPTIM_SGD: p -= hp.lr * gi; break;
        case RNNC_OPTIM_MOMENTUM: mm = hp.beta1 * mm + gi; p -= hp.lr * mm; break;
        case RNNC_OPTIM_ADAGRAD: mm += gi * gi; p -= hp.lr * gi / sqrt(mm + hp.eps); break;
        case RNNC_OPTIM_RMSPROP:
            mm = hp.beta2 * mm + (1 - hp.beta2) * gi * gi;
            p -= hp.lr * gi / (sqrt(mm) + hp.eps);
            break;
        case RNNC_OPTIM_ADAM:
            mm = hp.beta1 * mm + (1 - hp.beta1) * gi;
            vv = hp.beta2 * vv + (1 - hp.beta2) * gi * gi;
            p -= hp.lr * (mm / hp.bias1) / (sqrt(vv / hp.bias2) + hp.eps);
            break;
        }
        const double got[3] = {rnnc_get(b.params, s.dtype, i), rnnc_get(b.opt, s.dtype, i),
                               rnnc_get(b.opt, s.dtype, n + i)};
        const double want[3] = {p, optim == RNNC_OPTIM_SGD ? m0[i] : mm, vv};
        static const char *const what[3] = {"param", "m", "v"};
        for (int k = 0; k < 3; k++) {
            double e = fabs(got[k] - want[k]) / fmax(1, fabs(want[k]));
            if (e > worst) worst = e;
            if (!(e <= tol)) {
                snprintf(why, sizeof why, "%s[%zu] got %.17g expected %.17g (rel %.3g > %g)", what[k], i,
                         got[k], want[k], e, tol);
                break;
            }
        }
    }
    if (why[0]) {
        tl_fail("%s: %s", name, why);
    } else {
        tl_ok("%s (worst %.2g)", name, worst);
    }
    free(p0);
    free(g);
    free(m0);
    free(v0);
    rnnc_buffers_free(&b);
    rnnc_model_unload(&m);
}

int main(void)
{
    tl_suite("update");
    uint64_t seed = 777;
    for (int optim = 0; optim < 5; optim++)
        for (int variant = 0; variant < 4; variant++) {
            /* variants: plain; clip-norm; clip + wd; all three (the last with two parts) */
            int cn = variant == 1 || variant == 3, cl = variant >= 2, wd = variant >= 2;
            tl_case c = {RNNC_ACT_TANH, RNNC_LOSS_NLL, (optim + variant) % 2 ? RNNC_DOUBLE : RNNC_FLOAT,
                         variant % 2, 0, 0, 0, 3, variant == 3 ? 16 : 2, RNNC_REC_HIDDEN, RNNC_FB_TEACHER};
            check_case(&c, optim, cn, cl, wd, seed += 13);
        }
    printf("# update: %d failed\n", tl_failures());
    return tl_status();
}
