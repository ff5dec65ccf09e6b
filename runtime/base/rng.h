/* rng.h: the one source of seeded random numbers in rnnc (splitmix64).  Every draw depends
 * only on the 64-bit state the caller keeps, so a seed gives the same numbers on every
 * machine, and a checkpoint that stores the state resumes the sequence exactly.  libc only;
 * nothing here prints or exits. */
#ifndef RNNC_RNG_H
#define RNNC_RNG_H

#include <stddef.h>
#include <stdint.h>

/* The next 64 random bits of the sequence in *state (splitmix64), advancing it. */
uint64_t rnnc_rand_next(uint64_t *state);

/* A double uniform in [lo, hi): the top 53 bits of one rnnc_rand_next, scaled. */
double rnnc_rand_uniform(uint64_t *state, double lo, double hi);

/* An integer in [0, n) (n > 0): one rnnc_rand_next modulo n (slightly biased for large n;
 * kept so, since seeded problems and tests depend on these exact values). */
size_t rnnc_rand_below(uint64_t *state, size_t n);

/* A standard normal N(0, 1) value by Box-Muller, from two uniforms in [0, 1) drawn in that
 * order: sqrt(-2 ln(1 - u1)) cos(2 pi u2). */
double rnnc_rand_normal(uint64_t *state);

#endif
