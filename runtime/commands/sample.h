/* sample.h: generate text from a one-hot model through its single-step entry point. */
#ifndef RNNC_SAMPLE_H
#define RNNC_SAMPLE_H

#include <stdint.h>
#include <stdio.h>

#include "../formats/data.h"
#include "../model/model.h"

typedef struct rnnc_sample_opts {
    size_t n;             /* symbols to generate */
    double temperature;   /* > 0; probabilities are raised to 1/temperature and renormalised */
    size_t top_k;         /* keep the k most likely symbols (0: all) */
    uint64_t rng;         /* RNG state (splitmix64), advanced by one draw per symbol */
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

/* Pick an index from probabilities p[0..k) (doubles, need not be normalised) with
 * temperature and top-k, using uniform u in [0,1). */
size_t rnnc_sample_pick(const double *p, size_t k, double temperature, size_t top_k, double u,
                        double *scratch, size_t *order);

#endif
