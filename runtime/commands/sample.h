/* sample.h: generate text from a one-hot model through its single-step entry point. */
#ifndef RNNC_SAMPLE_H
#define RNNC_SAMPLE_H

#include <stdint.h>
#include <stdio.h>

#include "../formats/data.h"
#include "../model/model.h"

typedef struct rnnc_sample_opts {
    size_t n;             /* symbols to generate (records: at most, per record) */
    double temperature;   /* > 0; probabilities are raised to 1/temperature and renormalised */
    size_t top_k;         /* keep the k most likely symbols (0: all) */
    uint64_t rng;         /* RNG state (splitmix64), advanced by one draw per symbol */
    size_t count;         /* records: how many to generate */
} rnnc_sample_opts;

/* Feed the prime symbols (ids, may be empty) from state, the state of one column (the
 * model's s0 layout for one column: H hidden values, then with an output recurrence K fed-back
 * values; the model's real type, updated in place), then draw o->n symbols, writing their
 * bytes to out.  With no prime, generation starts from symbol `start`.  With an output
 * recurrence (nll) each step's fb is the next symbol as e_x, as in NAME_sample of an
 * embedded model: the next prime symbol (teacher forcing, 10.11t) while priming, then the
 * sampled one (the model runs free on its own samples).  Returns 0, or -1 if memory ran
 * out. */
int rnnc_sample(rnnc_model *m, const void *params, const rnnc_vocab *v, void *state,
                const int32_t *prime, size_t nprime, int32_t start, rnnc_sample_opts *o,
                FILE *out);

/* Generate o->count records of a model trained on records of text (section 10.2.3), each
 * from the initial state (h(0) = h0, hidden values, or zeros when h0 is NULL; fb(0) = 0) with
 * the boundary symbol (class v->size) as the first input, writing each record's symbols and
 * then sep.  How a record ends follows the model's --end: eos, when the end symbol is drawn;
 * halt, when the Bernoulli of the halting unit q(t) says so (after the step's symbol); length,
 * after n steps, n drawn first from p_n (NAME_length, 10.33n) with r(t) = (n - t) / M fed
 * through the step state (10.33r); none: after o->n symbols.  o->n caps every record (a
 * record cut there did not end).  The boundary symbol is drawn only as the end symbol (eos):
 * the other modes sample the data's symbols.  Uniforms, in order: (length) one for n; then
 * per step one for the symbol and (halt) one for the halt.  Returns 0, or -1 if memory ran
 * out. */
int rnnc_sample_records(rnnc_model *m, const void *params, const void *h0, const rnnc_vocab *v,
                        const char *sep, rnnc_sample_opts *o, FILE *out);

/* Pick an index from probabilities p[0..k) (doubles, need not be normalised) with
 * temperature and top-k, using uniform u in [0,1). */
size_t rnnc_sample_pick(const double *p, size_t k, double temperature, size_t top_k, double u,
                        double *scratch, size_t *order);

#endif
