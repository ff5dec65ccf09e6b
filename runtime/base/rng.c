/* rng.c: seeded random numbers (see rng.h). */
#include "rng.h"

#include <math.h>

uint64_t rnnc_rand_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double rnnc_rand_uniform(uint64_t *state, double lo, double hi)
{
    return lo + (hi - lo) * (double)(rnnc_rand_next(state) >> 11) * 0x1.0p-53;
}

size_t rnnc_rand_below(uint64_t *state, size_t n) { return (size_t)(rnnc_rand_next(state) % n); }

double rnnc_rand_normal(uint64_t *state)
{
    double u1 = rnnc_rand_uniform(state, 0, 1), u2 = rnnc_rand_uniform(state, 0, 1);
    return sqrt(-2 * log(1 - u1)) * cos(6.283185307179586 * u2);
}
