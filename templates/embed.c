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
#ifdef __cplusplus
#include <string.h> /* memcpy: C++ reads a float's bits by copying them (rnn_math.c) */
#endif

/*@ MATH @*/
#define RNN_EXP expf
#define RNN_LOG logf
#define RNN_FMA(a, b, c) fmaf(a, b, c)
#define RNN_F(a) tanhf(a)
#define RNN_SAMPLE_EXPF expf
/*@ end @*/

/* The trained parameters: U, W, V, b, c, R (and a gated cell's b_h) at the RNN_OFF_* offsets
 * (column-major; a gated cell's U, W, b, b_h stack its gates in PyTorch's order), printed
 * as hexadecimal floating constants so every value is exactly the trained one. */
/*@ WEIGHTS @*/
static const rnn_real rnn_params[RNN_PARAMS_COUNT] = {0};
/*@ end @*/
/* A learned initial state (--learn-h0) is in the WEIGHTS hole as rnn_h0[RNN_HIDDEN]. */

/*@ VOCAB @*/
const uint32_t rnn_vocab[RNN_VOCAB_SIZE] = {97, 98, 99, 100, 101};
/*@ end @*/

/*@ KERNELS @*/
#include "rnn_kernels.c"
/*@ end @*/

/* What the step feeds back: the state's fb with an output recurrence, else nothing; the
 * remaining steps r(t) with --end length (10.33r), else 0; the learned h(0). */
#if RNN_HAS_R
#define RNN_STATE_FB(state) ((state)->fb)
#else
#define RNN_STATE_FB(state) ((const rnn_real *)0)
#endif
#if RNN_END == RNN_END_LENGTH
#define RNN_STATE_R(state) ((state)->r)
#else
#define RNN_STATE_R(state) 0
#endif
#if RNN_HAS_H0
#define RNN_H0(i) rnn_h0[i]
#else
#define RNN_H0(i) 0
#endif

void rnn_reset(struct rnn_state *state)
{
    size_t i;
    for (i = 0; i < RNN_HIDDEN; i++) state->h[i] = RNN_H0(i);
#if RNN_CELL == RNN_CELL_LSTM
    for (i = 0; i < RNN_HIDDEN; i++) state->c[i] = 0;
#endif
#if RNN_HAS_R
    for (i = 0; i < RNN_N_OUT; i++) state->fb[i] = 0;
#endif
#if RNN_END == RNN_END_HALT
    state->q = 0;
#endif
#if RNN_END == RNN_END_LENGTH
    state->r = 0;
#endif
#if RNN_BOUNDARY >= 0
    state->n = state->t = 0;
    state->prev = RNN_BOUNDARY;
    state->ended = 0;
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
    rnn_hidden_col(rnn_params, input, RNN_STATE_R(state), state->h, RNN_STATE_FB(state), state->next);
#endif
    for (i = 0; i < RNN_HIDDEN; i++) state->h[i] = state->next[i];
    (void)rnn_output_col(rnn_params, state->h, 0, out);
#if RNN_HAS_R
    /* free running (10.11f): fb(t) = p(t) (nll) or o(t) (mse) */
    for (i = 0; i < RNN_N_OUT; i++) state->fb[i] = out[i];
#endif
#if RNN_END == RNN_END_HALT
    state->q = rnn_halt_col(rnn_params, state->h); /* (10.33h) */
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

/* q = exp(log(x) / T) in the sampling precision: double, as `rnnc sample`; or float only
 * (RNN_SAMPLE_FLOAT), with logf and RNN_SAMPLE_EXPF, the model's own float exp if it has one. */
#if RNN_SAMPLE_FLOAT
#define RNN_SAMPLE_Q(x, t) RNN_SAMPLE_EXPF(logf(x) / (t))
#else
#define RNN_SAMPLE_Q(x, t) exp(log(x) / (t))
#endif

/* The first class i of probs[0..k) (skip excluded) whose cumulative q exceeds u * sum q, with
 * q_i = exp(log(p_i / max p) / temperature) in the sampling precision; the last positive one
 * if rounding leaves none: rnnc's own rule (rnnc_sample_pick without top-k). */
static int32_t rnn_pick(rnn_sample_real temperature, const rnn_real *probs, int32_t k, int32_t skip,
                        rnn_sample_real u)
{
    rnn_sample_real maxp = 0, sum = 0, acc = 0, target, p;
    int32_t i, pick = -1, last = 0;
    for (i = 0; i < k; i++) {
        if (i == skip) continue;
        p = (rnn_sample_real)probs[i];
        maxp = p > maxp ? p : maxp;
    }
    for (i = 0; i < k; i++) {
        p = (rnn_sample_real)probs[i];
        if (i != skip && p > 0 && maxp > 0) sum += RNN_SAMPLE_Q(p / maxp, temperature);
    }
    target = u * sum;
    for (i = 0; i < k && pick < 0; i++) {
        p = (rnn_sample_real)probs[i];
        if (i == skip || !(p > 0 && maxp > 0)) continue;
        acc += RNN_SAMPLE_Q(p / maxp, temperature);
        last = i;
        if (target < acc) pick = i;
    }
    return pick < 0 ? last : pick;
}

/* With an output recurrence and nll, class x is what the model produced: the next step feeds
 * back e_x. */
static void rnn_feed_class(struct rnn_state *state, int32_t x)
{
#if RNN_HAS_R && RNN_LOSS == RNN_LOSS_NLL
    int32_t i;
    for (i = 0; i < RNN_N_OUT; i++) state->fb[i] = 0;
    state->fb[x] = 1;
#else
    (void)state;
    (void)x;
#endif
}

int32_t rnn_sample(struct rnn_state *state, const rnn_real *probs, rnn_sample_real u)
{
    int32_t pick = rnn_pick(state->temperature, probs, RNN_N_OUT, -1, u);
    /* the sampled class is what the model produced: the next step feeds back e_pick */
    rnn_feed_class(state, pick);
    return pick;
}

rnn_sample_real rnn_end_prob(const struct rnn_state *state, const rnn_real *out)
{
    (void)state;
    (void)out;
#if RNN_END == RNN_END_EOS && RNN_BOUNDARY >= 0
    return (rnn_sample_real)out[RNN_BOUNDARY];
#elif RNN_END == RNN_END_HALT
    return (rnn_sample_real)state->q;
#elif RNN_END == RNN_END_LENGTH && RNN_BOUNDARY >= 0
    return state->n && state->t >= state->n ? 1 : 0;
#else
    return 0;
#endif
}

#if RNN_END == RNN_END_LENGTH
void rnn_length(const struct rnn_state *state, rnn_real *pn)
{
    rnn_length_col(rnn_params, state->h, pn); /* (10.33n) */
}
#endif

#if RNN_BOUNDARY >= 0
void rnn_record_begin(struct rnn_state *state, rnn_sample_real u)
{
    rnn_sample_real temperature = state->temperature;
    rnn_reset(state);
    state->temperature = temperature;
#if RNN_END == RNN_END_LENGTH
    rnn_length(state, state->pn);
    state->n = (size_t)rnn_pick(1, state->pn, RNN_MAX_LENGTH, -1, u) + 1;
    state->r = (rnn_real)((rnn_sample_real)(state->n - 1) / (rnn_sample_real)RNN_MAX_LENGTH);
#else
    (void)u;
#endif
}

int32_t rnn_record_next(struct rnn_state *state, rnn_sample_real u, rnn_sample_real u_halt)
{
    int32_t x;
    (void)u_halt;
    if (state->ended) return -1;
    rnn_step(state, &state->prev, state->out);
    x = rnn_pick(state->temperature, state->out, RNN_N_OUT, RNN_END == RNN_END_EOS ? -1 : RNN_BOUNDARY, u);
    if (RNN_END == RNN_END_EOS && x == RNN_BOUNDARY) {
        state->ended = 1;
        return -1;
    }
    rnn_feed_class(state, x);
    state->prev = x;
    state->t++;
#if RNN_END == RNN_END_HALT
    if (u_halt < (rnn_sample_real)state->q) state->ended = 1;
#elif RNN_END == RNN_END_LENGTH
    if (state->t >= state->n) state->ended = 1;
    else state->r = (rnn_real)((rnn_sample_real)(state->n - state->t - 1) / (rnn_sample_real)RNN_MAX_LENGTH);
#endif
    return x;
}
#endif
