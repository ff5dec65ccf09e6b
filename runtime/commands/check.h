/* check.h: the gradient check.  Random parameters, inputs, targets and initial state h(0),
 * fb(0) (seeded); central finite differences in double on every parameter entry and on the
 * initial state (or a stated random subset for large tensors), compared with the generated
 * BPTT.  With scheduled sampling the model's choices are drawn once (seeded) and then held
 * fixed, as data, for every perturbed run: a choice is data to the gradient (10.11s). */
#ifndef RNNC_CHECK_H
#define RNNC_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "../../gen/spec.h"
#include "../jit/jit.h"
#include "../model/model.h"

typedef struct rnnc_check_opts {
    rnnc_backend backend;
    uint64_t seed;
    size_t max_entries;   /* per tensor; larger tensors are checked on a random subset */
} rnnc_check_opts;

typedef struct rnnc_check_row {
    const char *tensor;   /* U, W, V, b, c, R (those the model has), h0, fb0 */
    size_t count, checked, skipped;   /* skipped: relu entries whose perturbation crossed a kink */
    double max_abs, max_rel;          /* max_rel over entries with |grad| above atol */
    int pass;
} rnnc_check_row;

enum { RNNC_CHECK_ROWS = RNNC_NTENSORS + 3 };

typedef struct rnnc_check_result {
    rnnc_check_row rows[RNNC_CHECK_ROWS];
    int nrows;                        /* rows[0..nrows) are filled */
    double loss, loss_ref;            /* the model's loss and the double-precision loss */
    double rtol, atol, eps;
    double compile_ms;                /* the model under test (cc: a cache hit is a dlopen) */
    int cache_hit;
    int pass;
} rnnc_check_result;

/* Run the check.  Returns 0 when it ran (see r->pass for the verdict), -1 with a message
 * if the model could not be built or run. */
int rnnc_check_run(const rnnc_spec *s, const rnnc_check_opts *o, rnnc_check_result *r,
                   char *err, size_t errlen);

/* The check's random problem for seed: fills params, x, y, s0 (and the scheduled-sampling
 * draws in ws: half data, half samples) of a (layout l, the
 * model's dtype s->dtype) and, unless b is NULL, the same values in double into b (layout
 * ld, a double-precision build of s).  Values are drawn in double and rounded to s->dtype,
 * so both sets hold exactly the same numbers; the same seed gives the same problem. */
void rnnc_check_random_problem(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *a,
                               const rnnc_layout *ld, rnnc_buffers *b, uint64_t seed);

#endif
