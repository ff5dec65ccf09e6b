/* problem.h: the random problem of `rnnc check --seed` (rnnc_check_random_problem) run
 * through a generated model's forward and backward pass, once: what `rnnc diff` compares a
 * hand-written BPTT with, and what `rnnc check --dump` writes.  Library code: returns a
 * status with a message; never prints or exits. */
#ifndef RNNC_PROBLEM_H
#define RNNC_PROBLEM_H

#include <stddef.h>
#include <stdint.h>

#include "../../gen/spec.h"
#include "../jit/jit.h"
#include "../model/model.h"

/* A model built from a spec, its buffers holding the problem and, after the run, every node
 * (the workspace) and every gradient. */
typedef struct rnnc_problem {
    rnnc_model m;
    rnnc_buffers buf;
    double loss;      /* the forward pass's loss */
    int loaded;       /* m is loaded (rnnc_problem_free unloads it) */
} rnnc_problem;

/* Build s with backend b, draw the random problem of seed (rnnc check's) into its buffers,
 * run forward and backward.  Returns 0, or -1 with a message; free with rnnc_problem_free
 * either way. */
int rnnc_problem_run(rnnc_problem *g, const rnnc_spec *s, rnnc_backend b, uint64_t seed,
                     char *err, size_t errlen);

/* Unload the model and free the buffers (safe on a run that failed part way). */
void rnnc_problem_free(rnnc_problem *g);

/* fb(t), t = 1..tau, of the run g as K doubles per step and column (tau x B x K, into fb;
 * rnnc_hand.h's p->fb): the data (teacher forcing), the model's output (free running), or
 * scheduled sampling's choices, which the forward pass left in the fb slots (class indices
 * for nll, given as one-hot rows). */
void rnnc_problem_fed_back(const rnnc_spec *s, const rnnc_problem *g, double *fb);

#endif
