/*@ BANNER @*/
/* templates/embed.h: the header of the inference-only model `rnnc embed` writes from a
 * trained checkpoint.  Holes are filled by the generator; the stubs let this file compile
 * on its own.  Identifiers starting rnn_ / RNN_ are renamed to the model's name. */
/*@ end @*/
#ifndef RNN_H_INCLUDED
#define RNN_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The model (fixed when the code was generated).  No allocation, no mutable globals, no
 * training code.  Math functions it calls (link with -lm): see RNN_MATH_FUNCTIONS. */
/*@ MODEL @*/
#define RNN_NAME "rnn"
#define RNN_SPEC "vocab=5 hidden=4 tau=3 batch=2 act=tanh loss=nll dtype=float name=rnn"
#define RNN_N_IN 5
#define RNN_HIDDEN 4
#define RNN_N_OUT 5
#define RNN_ONEHOT 1
#define RNN_DTYPE 1
#define RNN_ACT_TANH 0
#define RNN_ACT RNN_ACT_TANH
#define RNN_LOSS_NLL 0
#define RNN_LOSS_MSE 1
#define RNN_LOSS RNN_LOSS_NLL
#define RNN_HAS_W 1
#define RNN_HAS_R 1
#define RNN_CELL_RNN 0
#define RNN_CELL_GRU 1
#define RNN_CELL_LSTM 2
#define RNN_CELL RNN_CELL_RNN
#define RNN_GATES 1
#define RNN_FAST 0
typedef float rnn_real;
typedef int32_t rnn_input;
typedef int32_t rnn_target;
/*@ end @*/

/* Offsets (in rnn_real) of each tensor in the weights, as in training (column-major). */
/*@ LAYOUT @*/
#define RNN_OFF_U 0
#define RNN_OFF_W 32
#define RNN_OFF_V 48
#define RNN_OFF_B 80
#define RNN_OFF_C 96
#define RNN_OFF_R 112
#define RNN_OFF_BH 132
#define RNN_PARAMS_COUNT 132
#define RNN_VOCAB_SIZE 5
#define RNN_VOCAB_UTF8 0
#define RNN_MATH_FUNCTIONS "expf logf fmaf tanhf exp log"
/*@ end @*/

/* Rows of U and W: the G gates of a gated cell stacked in PyTorch's order (G = 1: rnn). */
#define RNN_GH (RNN_GATES * RNN_HIDDEN)

/* Memory: the weights (read-only data) and the caller's state, in bytes. */
#define RNN_WEIGHTS_BYTES (RNN_PARAMS_COUNT * sizeof(rnn_real))
#define RNN_STATE_BYTES (sizeof(struct rnn_state))

/* The state of one stream, owned by the caller.  temperature is used by rnn_sample.
 * With an output recurrence (RNN_HAS_R, figure 10.4 of Deep Learning), fb is the output of
 * the last step that the next step feeds back through R: (10.8o) a(t) = b + R fb(t-1) + U x(t)
 * (and + W h(t-1) too when RNN_HAS_W: (10.8b)).  An LSTM (RNN_CELL == RNN_CELL_LSTM, section
 * 10.10.1) also carries its cell state c(t). */
struct rnn_state {
    rnn_real h[RNN_HIDDEN];     /* the hidden state h(t) */
#if RNN_HAS_R
    rnn_real fb[RNN_N_OUT];     /* fb(t): fed back into the next step */
#endif
#if RNN_CELL == RNN_CELL_LSTM
    rnn_real c[RNN_HIDDEN];     /* the LSTM's cell state c(t) (10.41) */
#endif
    rnn_real next[RNN_HIDDEN];  /* scratch for the step */
    double temperature;         /* sampling temperature, 1 after rnn_reset */
};

#if RNN_ONEHOT
/* The symbols: class k is byte / Unicode code point rnn_vocab[k] (RNN_VOCAB_UTF8). */
extern const uint32_t rnn_vocab[RNN_VOCAB_SIZE];
#endif

/* h(0) = 0 (and fb(0) = 0, c(0) = 0, as at the start of a training sequence), temperature = 1. */
void rnn_reset(struct rnn_state *state);

/* One time step (10.8)-(10.11), or (10.40)-(10.42) / (10.45)-(10.46) for a gated cell: input is a class index (one-hot models, pointing at one
 * rnn_input) or RNN_N_IN values; out receives RNN_N_OUT probabilities (nll) or outputs
 * (mse).  The hidden state advances.  With an output recurrence the step runs free: it
 * feeds back what it was left in state->fb (fb(0) = 0 after rnn_reset) and leaves its own
 * output there for the next step, fb(t) = p(t) (nll) or o(t) (mse) (10.11f); rnn_sample
 * replaces it with the sampled class, rnn_step_forced with the truth. */
void rnn_step(struct rnn_state *state, const rnn_input *input, rnn_real *out);

#if RNN_HAS_R
/* Teacher-forced inference (10.11t), only for models with an output recurrence: the step
 * feeds back the previous step's true value y_prev instead of the model's own output, i.e.
 * state->fb = e_y_prev (nll: y_prev points at one class index; an index outside
 * [0, RNN_N_OUT) feeds back zeros) or the RNN_N_OUT values at y_prev (mse), then rnn_step.
 * For a character model y(t-1) is the current input (y_prev = input).  The first step of a
 * sequence has no previous value: call rnn_step there (fb(0) = 0), as training does. */
void rnn_step_forced(struct rnn_state *state, const rnn_input *input, const rnn_target *y_prev,
                     rnn_real *out);
#endif

/* n steps of rnn_step: inputs holds n inputs (one index each, or RNN_N_IN values each),
 * outs receives n * RNN_N_OUT values. */
void rnn_run(struct rnn_state *state, const rnn_input *inputs, size_t n, rnn_real *outs);

/* Pick the next class from probabilities probs (RNN_N_OUT values, as from rnn_step) and a
 * uniform random number u in [0, 1) that the caller supplies, applying
 * state->temperature: q_i = (p_i / max p)^(1/T), then the first i whose cumulative q
 * exceeds u * sum q.  With an output recurrence and nll the pick is also what the model
 * feeds back: state->fb becomes e_i (free running on its own samples).  Same rule, same
 * result as `rnnc sample` for the same u. */
int32_t rnn_sample(struct rnn_state *state, const rnn_real *probs, double u);

#ifdef __cplusplus
}
#endif

#endif
