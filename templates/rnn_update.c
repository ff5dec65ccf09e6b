/*@ UPDATE_PRELUDE @*/
/* templates/rnn_update.c: the optimiser step of the training source (templates/rnn.c), copied
 * in by the generator.  The stub here lets this file compile on its own. */
#include "rnn.h"
#include <math.h>
#define RNN_FMA(a, b, c) fmaf(a, b, c)
#define RNN_SQRT sqrtf
/*@ end @*/
/* Gradient element i as the optimiser sees it: times scale (unless already applied), clipped
 * to [-clip, clip] (if clip > 0), plus wd p (if wd != 0); stored back into g. */
#define RNN_GRAD_FINAL(i) \
    rnn_real gi = g[i]; \
    if (scale_here) gi *= scale; \
    if (clip > 0) gi = gi > clip ? clip : gi < -clip ? -clip : gi; \
    if (wd != 0) gi = RNN_FMA(wd, p[i], gi); \
    g[i] = gi

/* The optimiser update over every parameter (padding included: its gradient is zero, so it
 * stays zero).  Gradient scaling, clipping and decay first, as documented in the header;
 * all but the global norm are done in the update's own pass (one pass over the buffers
 * instead of up to four; the arithmetic per element is the same). */
static void rnn_update(rnn_real *restrict p, rnn_real *restrict g, rnn_real *restrict m,
                       rnn_real *restrict v, const struct rnn_hparams *hp)
{
    const rnn_real lr = (rnn_real)hp->lr, b1 = (rnn_real)hp->beta1, b2 = (rnn_real)hp->beta2;
    const rnn_real eps = (rnn_real)hp->eps, wd = (rnn_real)hp->weight_decay;
    const rnn_real clip = (rnn_real)hp->clip, scale = (rnn_real)hp->grad_scale;
    const rnn_real c1 = 1 - b1, c2 = 1 - b2;
    const rnn_real bias1 = (rnn_real)hp->bias1, bias2 = (rnn_real)hp->bias2;
    int scale_here = scale != 1;
    size_t i;
    if (hp->clip_norm > 0) {
        /* The global norm needs the scaled gradient first. */
        double ss = 0, norm;
        if (scale_here)
            for (i = 0; i < RNN_PARAMS_COUNT; i++) g[i] *= scale;
        scale_here = 0;
        for (i = 0; i < RNN_PARAMS_COUNT; i++) ss += (double)g[i] * (double)g[i];
        norm = sqrt(ss);
        if (norm > hp->clip_norm) {
            const rnn_real f = (rnn_real)(hp->clip_norm / norm);
            for (i = 0; i < RNN_PARAMS_COUNT; i++) g[i] *= f;
        }
    }
    switch (hp->optim) {
    case RNN_OPTIM_SGD:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            p[i] = RNN_FMA(-lr, gi, p[i]);
        }
        break;
    case RNN_OPTIM_MOMENTUM:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            m[i] = RNN_FMA(b1, m[i], gi);
            p[i] = RNN_FMA(-lr, m[i], p[i]);
        }
        break;
    case RNN_OPTIM_ADAGRAD:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            m[i] = RNN_FMA(gi, gi, m[i]);
            p[i] -= lr * gi / RNN_SQRT(m[i] + eps);
        }
        break;
    case RNN_OPTIM_RMSPROP:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            m[i] = RNN_FMA(b2, m[i], c2 * gi * gi);
            p[i] -= lr * gi / (RNN_SQRT(m[i]) + eps);
        }
        break;
    case RNN_OPTIM_ADAM:
        for (i = 0; i < RNN_PARAMS_COUNT; i++) {
            RNN_GRAD_FINAL(i);
            m[i] = RNN_FMA(b1, m[i], c1 * gi);
            v[i] = RNN_FMA(b2, v[i], c2 * gi * gi);
            p[i] -= lr * (m[i] / bias1) / (RNN_SQRT(v[i] / bias2) + eps);
        }
        break;
    default:
        break;
    }
}
#undef RNN_GRAD_FINAL

/*@ UPDATE_EPILOGUE @*/
/* stub: uses the update, so this file also compiles alone under -Wall -Werror */
void rnn_update_stub(rnn_real *p, rnn_real *g, rnn_real *m, const struct rnn_hparams *hp);
void rnn_update_stub(rnn_real *p, rnn_real *g, rnn_real *m, const struct rnn_hparams *hp)
{
    rnn_update(p, g, m, m + RNN_PARAMS_COUNT, hp);
}
/*@ end @*/
