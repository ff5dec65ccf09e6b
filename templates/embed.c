/*@ BANNER @*/
/* templates/embed.c: the inference-only model `rnnc embed` writes: the trained weights as
 * constant arrays and the streaming API of embed.h.  Holes are filled by the generator;
 * the stubs let this file compile on its own (against templates/embed.h). */
/*@ end @*/
/*@ INCLUDE @*/
#include "embed.h"
/*@ end @*/

#ifdef __TINYC__
float tanhf(float);
float expf(float);
float logf(float);
float fmaf(float, float, float);
double tanh(double);
double exp(double);
double log(double);
double fma(double, double, double);
#else
#include <math.h>
#endif

/*@ MATH @*/
#define RNN_EXP expf
#define RNN_LOG logf
#define RNN_FMA(a, b, c) fmaf(a, b, c)
#define RNN_F(a) tanhf(a)
/*@ end @*/

/* The trained parameters: U, W, V, b, c, R (and a gated cell's b_h) at the RNN_OFF_* offsets
 * (column-major; a gated cell's U, W, b, b_h stack its gates in PyTorch's order), printed
 * as hexadecimal floating constants so every value is exactly the trained one. */
/*@ WEIGHTS @*/
static const rnn_real rnn_params[RNN_PARAMS_COUNT] = {0};
/*@ end @*/

/*@ VOCAB @*/
const uint32_t rnn_vocab[RNN_VOCAB_SIZE] = {97, 98, 99, 100, 101};
/*@ end @*/

/*@ KERNELS @*/
#include "rnn_kernels.c"
/*@ end @*/

/* What the step feeds back: the state's fb with an output recurrence, else nothing. */
#if RNN_HAS_R
#define RNN_STATE_FB(state) ((state)->fb)
#else
#define RNN_STATE_FB(state) ((const rnn_real *)0)
#endif

void rnn_reset(struct rnn_state *state)
{
    size_t i;
    for (i = 0; i < RNN_HIDDEN; i++) state->h[i] = 0;
#if RNN_CELL == RNN_CELL_LSTM
    for (i = 0; i < RNN_HIDDEN; i++) state->c[i] = 0;
#endif
#if RNN_HAS_R
    for (i = 0; i < RNN_N_OUT; i++) state->fb[i] = 0;
#endif
    state->temperature = 1;
}

void rnn_step(struct rnn_state *state, const rnn_input *input, rnn_real *out)
{
    size_t i;
#if RNN_CELL == RNN_CELL_LSTM
    rnn_gated_col(rnn_params, input, state->h, state->c, state->c, state->next);
#elif RNN_CELL == RNN_CELL_GRU
    rnn_gated_col(rnn_params, input, state->h, 0, 0, state->next);
#else
    rnn_hidden_col(rnn_params, input, 0, state->h, RNN_STATE_FB(state), state->next);
#endif
    for (i = 0; i < RNN_HIDDEN; i++) state->h[i] = state->next[i];
    (void)rnn_output_col(rnn_params, state->h, 0, out);
#if RNN_HAS_R
    /* free running (10.11f): fb(t) = p(t) (nll) or o(t) (mse) */
    for (i = 0; i < RNN_N_OUT; i++) state->fb[i] = out[i];
#endif
}

#if RNN_HAS_R
void rnn_step_forced(struct rnn_state *state, const rnn_input *input, const rnn_target *y_prev,
                     rnn_real *out)
{
    size_t i;
#if RNN_LOSS == RNN_LOSS_NLL
    /* teacher forcing (10.11t): fb(t-1) = e_y(t-1) */
    for (i = 0; i < RNN_N_OUT; i++) state->fb[i] = 0;
    if (y_prev[0] >= 0 && (size_t)y_prev[0] < RNN_N_OUT) state->fb[y_prev[0]] = 1;
#else
    /* teacher forcing (10.11t): fb(t-1) = y(t-1) */
    for (i = 0; i < RNN_N_OUT; i++) state->fb[i] = y_prev[i];
#endif
    rnn_step(state, input, out);
}
#endif

void rnn_run(struct rnn_state *state, const rnn_input *inputs, size_t n, rnn_real *outs)
{
    size_t t;
    for (t = 0; t < n; t++)
        rnn_step(state, inputs + t * (RNN_ONEHOT ? 1 : RNN_N_IN), outs + t * RNN_N_OUT);
}

int32_t rnn_sample(struct rnn_state *state, const rnn_real *probs, double u)
{
    double maxp = 0, sum = 0, acc = 0, target;
    int32_t i, pick = -1, last = 0;
    for (i = 0; i < RNN_N_OUT; i++) maxp = probs[i] > maxp ? probs[i] : maxp;
    for (i = 0; i < RNN_N_OUT; i++)
        if (probs[i] > 0 && maxp > 0) sum += exp(log(probs[i] / maxp) / state->temperature);
    target = u * sum;
    for (i = 0; i < RNN_N_OUT && pick < 0; i++) {
        if (!(probs[i] > 0 && maxp > 0)) continue;
        acc += exp(log(probs[i] / maxp) / state->temperature);
        last = i;
        if (target < acc) pick = i;
    }
    if (pick < 0) pick = last;
#if RNN_HAS_R && RNN_LOSS == RNN_LOSS_NLL
    /* the sampled class is what the model produced: the next step feeds back e_pick */
    for (i = 0; i < RNN_N_OUT; i++) state->fb[i] = 0;
    state->fb[pick] = 1;
#endif
    return pick;
}
