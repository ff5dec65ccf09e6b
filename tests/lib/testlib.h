/* testlib.h: helpers shared by test_reference.c and test_backends.c (case dimensions, the
 * spec built as the CLI builds it, the seeded random problem, result-line formatting). */
#ifndef RNNC_TESTLIB_H
#define RNNC_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include "../../gen/spec.h"
#include "../../runtime/model/model.h"

/* relu: problems with some |pre-activation| below the kink bound of their dtype are redrawn
 * with the next seed, at most TL_MAX_REDRAWS times. */
#define TL_KINK_DOUBLE 1e-9
#define TL_KINK_FLOAT 1e-4
#define TL_MAX_REDRAWS 100

/* One test case: a point of the matrix with its dimensions. */
typedef struct tl_case {
    rnnc_act act;
    rnnc_loss loss;
    rnnc_dtype dtype;
    int onehot;
    size_t n_in, hidden, n_out, tau, batch;
} tl_case;

/* Optional double copies of the problem (any pointer may be NULL): param in U W V b c order,
 * LAYOUT.md order inside each tensor; xi/yi for one-hot inputs / nll targets, xd/yd else. */
typedef struct tl_mirror {
    double *param[RNNC_NTENSORS];
    int32_t *xi, *yi;
    double *xd, *yd, *h0;
} tl_mirror;

/* Sets n_in, hidden, n_out from the other fields only (a pure function of the variant), so a
 * variant gets the same spec, and generated source, in every run and in both programs.
 * hidden is 3..8; the output sizes include some above 16, the generated dot products' lanes. */
void tl_pick_dims(tl_case *c);

/* Builds *s through the spec builder as the CLI does (--vocab or --in/--out, ..., and
 * --fast yes if fast).  Returns 0, or nonzero with a message in err. */
int tl_build_spec(const tl_case *c, int fast, rnnc_spec *s, char *err, size_t errlen);
/* The same with --cell cell (a gated cell needs act tanh). */
int tl_build_spec_cell(const tl_case *c, rnnc_cell cell, int fast, rnnc_spec *s, char *err,
                       size_t errlen);

/* Writes the spec's one-line name ("vocab=..,hidden=..,...,tanh,nll,float", and ",lstm" for a
 * gated cell) into buf. */
void tl_summary(const rnnc_spec *s, char *buf, size_t n);

/* Replaces every newline / carriage return in s by '|' (a result line must stay one line). */
void tl_one_line(char *s);

/* Monotonic clock, in seconds. */
double tl_now_s(void);

/* Fills params, x, y and h0 of mb with the problem drawn from seed (weights scaled by
 * 1/sqrt(fan-in), values drawn in double and rounded to the dtype), and the same values into
 * the non-NULL pointers of mirror (which may itself be NULL). */
void tl_fill_problem(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *mb, uint64_t seed,
                     const tl_mirror *mirror);

/* Sets every workspace and gradient entry of mb to NaN, so an entry never written shows. */
void tl_poison(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *mb);

/* The relu kink bound for dtype dt: TL_KINK_FLOAT or TL_KINK_DOUBLE. */
double tl_kink(rnnc_dtype dt);

#endif /* RNNC_TESTLIB_H */
