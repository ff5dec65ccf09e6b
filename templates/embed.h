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

/* Sampling precision of rnn_sample: double by default, exactly as `rnnc sample`.  Define
 * RNN_SAMPLE_FLOAT to 1 when compiling the model's .c file and every file that includes
 * this header (on the compiler's command line, for the whole program) to sample in float only,
 * with no double arithmetic: for microcontrollers whose FPU has single precision only,
 * where double means software routines.  It then names rnn_sample and rnn_reset
 * rnn_sample_f and rnn_reset_f, so that a program built half one way and half the other
 * fails to link instead of mixing the two layouts of the state. */
#ifndef RNN_SAMPLE_FLOAT
#define RNN_SAMPLE_FLOAT 0
#endif
#if RNN_SAMPLE_FLOAT
typedef float rnn_sample_real;
#define rnn_sample rnn_sample_f
#define rnn_reset rnn_reset_f
#define rnn_record_begin rnn_record_begin_f
#define rnn_record_next rnn_record_next_f
#else
typedef double rnn_sample_real;
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
#define RNN_END_NONE 0
#define RNN_END_EOS 1
#define RNN_END_HALT 2
#define RNN_END_LENGTH 3
#define RNN_END RNN_END_NONE
#define RNN_MAX_LENGTH 0
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
#define RNN_OFF_HALT_W 132
#define RNN_OFF_HALT_B 132
#define RNN_OFF_LEN_W 132
#define RNN_OFF_LEN_B 132
#define RNN_OFF_REM_U 132
#define RNN_OFF_BH 132
#define RNN_PARAMS_COUNT 132
#define RNN_BOUNDARY 4
#define RNN_HAS_H0 0
#define RNN_VOCAB_SIZE 5
#define RNN_VOCAB_UTF8 0
#if RNN_SAMPLE_FLOAT
#define RNN_MATH_FUNCTIONS "logf fmaf" /* from libm */
#else
#define RNN_MATH_FUNCTIONS "logf fmaf exp log" /* from libm */
#endif
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
 * 10.10.1) also carries its cell state c(t).  The fields under RNN_END and RNN_BOUNDARY
 * are those of sequences that end (section 10.2.3; see "Records" below); every field but the
 * temperature has the same offset with and without RNN_SAMPLE_FLOAT. */
struct rnn_state {
    rnn_real h[RNN_HIDDEN];     /* the hidden state h(t) */
#if RNN_HAS_R
    rnn_real fb[RNN_N_OUT];     /* fb(t): fed back into the next step */
#endif
#if RNN_CELL == RNN_CELL_LSTM
    rnn_real c[RNN_HIDDEN];     /* the LSTM's cell state c(t) (10.41) */
#endif
#if RNN_END == RNN_END_HALT
    rnn_real q;                 /* q(t) of the last step (10.33h): P(its symbol is the last) */
#endif
#if RNN_END == RNN_END_LENGTH
    rnn_real r;                 /* r(t) of the next step (10.33r): (n - t) / RNN_MAX_LENGTH */
    rnn_real pn[RNN_MAX_LENGTH]; /* rnn_record_begin's length distribution */
#endif
#if RNN_BOUNDARY >= 0
    rnn_real out[RNN_N_OUT];    /* rnn_record_next's probabilities */
#endif
    rnn_real next[RNN_HIDDEN];  /* scratch for the step */
#if RNN_BOUNDARY >= 0
    size_t n, t;                /* --end length: the record's length n; symbols drawn so far */
    int32_t prev;               /* rnn_record_next's next input */
    int32_t ended;              /* 1 when the record has ended */
#endif
    rnn_sample_real temperature; /* sampling temperature, 1 after rnn_reset (double, or
                                  * float with RNN_SAMPLE_FLOAT) */
};

#if RNN_ONEHOT
/* The symbols: class k is byte / Unicode code point rnn_vocab[k] (RNN_VOCAB_UTF8). */
extern const uint32_t rnn_vocab[RNN_VOCAB_SIZE];
#endif

/* h(0) = 0, or the learned h(0) of a model trained with --learn-h0 (RNN_HAS_H0), and
 * fb(0) = 0 and the LSTM's c(0) = 0, as at the start of a training sequence; temperature = 1;
 * r = 0, q = 0. */
void rnn_reset(struct rnn_state *state);

/* One time step (10.8)-(10.11), or (10.40)-(10.42) / (10.45)-(10.46) for a gated cell: input
 * is a class index (one-hot models, pointing at one rnn_input) or RNN_N_IN values; out receives RNN_N_OUT probabilities (nll) or outputs
 * (mse).  The hidden state advances; with --end halt state->q becomes q(t), and with --end
 * length the step reads r(t) from state->r.  With an output recurrence the step runs free: it
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
 * state->temperature: q_i = exp(log(p_i / max p) / T), then the first i whose cumulative q
 * exceeds u * sum q.  With an output recurrence and nll the pick is also what the model
 * feeds back: state->fb becomes e_i (free running on its own samples).  Same rule, same
 * arithmetic (double), same result as `rnnc sample` for the same u.
 * With RNN_SAMPLE_FLOAT the same rule runs in float: u and the temperature are floats,
 * log is logf and exp the model's own float exp (or expf).  For a float model its pick can
 * differ from the double pick (and `rnnc sample`'s) only when the double u lies close to a
 * boundary of the tempered distribution: |u - C_k / S| < |u - u_f| + (5 K + 2 / T + 8) 2^-24
 * for some k, where C_k is the sum of q_0..q_k, S the sum of all q, K = RNN_N_OUT, T the
 * temperature and u_f the float u passed here (the top 24 bits of the same 53, say, for
 * which |u - u_f| < 2^-24); a bound on float rounding (2^-24 relative per operation, logf
 * within 1 and the exp within 2 units in the last place).  Else the picks are the same. */
int32_t rnn_sample(struct rnn_state *state, const rnn_real *probs, rnn_sample_real u);

/* The probability that the sequence ends here, after an rnn_step whose output is out:
 * --end eos, out[RNN_BOUNDARY] (that the next symbol is the end symbol); --end halt, q(t) of
 * that step (that its symbol was the last, 10.33h); --end length, 1 once rnn_record_next has
 * drawn the record's n symbols, else 0 (the distribution of n is rnn_length); --end none, 0. */
rnn_sample_real rnn_end_prob(const struct rnn_state *state, const rnn_real *out);

#if RNN_END == RNN_END_LENGTH
/* (10.33n) The length distribution of a record that starts from state's h (call it after
 * rnn_reset): pn[m] = P(n = m + 1), RNN_MAX_LENGTH values. */
void rnn_length(const struct rnn_state *state, rnn_real *pn);
#endif

#if RNN_BOUNDARY >= 0
/* Records (section 10.2.3).  A model trained on records of text (rnnc train --records) has
 * one class more than the data's symbols, RNN_BOUNDARY (its rnn_vocab entry is the value
 * chosen outside the data's alphabet): the input of a record's first step and, with --end eos,
 * the end symbol.  These two draw whole records exactly as `rnnc sample` does with the same
 * uniforms (in double; with RNN_SAMPLE_FLOAT in float, as rnn_sample):
 *
 *   rnn_record_begin(&st, u0);           (u0 drawn only with --end length)
 *   st.temperature = T;
 *   while (!st.ended && (x = rnn_record_next(&st, u1, u2)) >= 0) emit(rnn_vocab[x]);
 *
 * with u1 (and, with --end halt, u2) drawn fresh for every call, in that order; `rnnc
 * sample -n N` also stops a record after N calls. */

/* Start a record: rnn_reset (keeping the temperature), the boundary symbol as the first
 * input, and with --end length its length n drawn from p_n (rnn_length) with the uniform u
 * (the first class whose cumulative probability exceeds u; r = (n - 1) / RNN_MAX_LENGTH). */
void rnn_record_begin(struct rnn_state *state, rnn_sample_real u);

/* The record's next symbol, or -1 once it has ended: one rnn_step on the previous symbol (the
 * boundary at the start), then a symbol drawn with u as rnn_sample draws (the boundary class
 * only as --end eos's end symbol, which ends the record and returns -1).  With --end halt the
 * symbol returned is the last when u_halt < q(t); with --end length the n-th is the last.
 * With an output recurrence the drawn symbol is fed back as e_x. */
int32_t rnn_record_next(struct rnn_state *state, rnn_sample_real u, rnn_sample_real u_halt);
#endif

#ifdef __cplusplus
}
#endif

#endif
