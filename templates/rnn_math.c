/*@ MATH_PRELUDE @*/
/* templates/rnn_math.c: exp and tanh for float models, copied by the generator into the
 * training source and the embedded model (unless --fast).  The stub here lets this file
 * compile on its own. */
#include <stdint.h>
#include <string.h>
#include <math.h>
#define RNN_ACT_TANH 0
#define RNN_ACT_RELU 1
#define RNN_LOSS_NLL 0
#define RNN_END_NONE 0
#define RNN_ACT RNN_ACT_TANH
#define RNN_LOSS RNN_LOSS_NLL
#define RNN_END RNN_END_NONE
/*@ end @*/
/* exp and tanh in plain C for float: glibc's expf and tanhf are scalar calls that gcc does
 * not vectorize without -ffast-math, and in a training step they cost more than the matrix
 * products (measured: a quarter of the min-char-rnn step).  These inline versions vectorize
 * (gcc needs -fno-trapping-math to if-convert their selects; rnnc's cc backend passes it:
 * it changes no result), use explicit fmaf so that every compiler (tcc included) gets the
 * same bits, and are accurate to a few units in the last place (tests/unit/test_math.c). */

/* Only what the model uses is compiled (unused static functions draw warnings): exp for
 * softmax, tanh, sigmoid and the end outputs of section 10.2.3; tanh for tanh. */
#if RNN_LOSS == RNN_LOSS_NLL || RNN_ACT != RNN_ACT_RELU || RNN_END != RNN_END_NONE
/* The bits of a float and the float of bits: C reads them through a union; C++ (the
 * embedded model compiles as C++ too) allows reading only the union member last written,
 * so there they are copied (a memcpy of 4 bytes is a register move). */
#ifdef __cplusplus
static inline uint32_t rnn_float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline float rnn_bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
#define RNN_FLOAT_BITS(x) rnn_float_bits(x)
#define RNN_BITS_FLOAT(x) rnn_bits_float(x)
#else
union rnn_bits { float f; uint32_t u; };
#define RNN_FLOAT_BITS(x) (((union rnn_bits){.f = (x)}).u)
#define RNN_BITS_FLOAT(x) (((union rnn_bits){.u = (x)}).f)
#endif

/* exp(x) = 2^n exp(r) with n = round(x / ln 2) and r = x - n ln 2 (ln 2 in two parts, so r
 * is exact), exp(r) by its Taylor polynomial of degree 7 (|r| <= 0.347: truncation below
 * 6e-9 relative).  0 below -87 (no denormals), capped at exp(88) above; NaN stays NaN. */
static inline float rnn_expf(float x)
{
    const float xc = x > -87.0f ? (x < 88.0f ? x : 88.0f) : -87.0f; /* NaN -> -87 */
    /* n = round(x / ln 2), read from the bits of x / ln 2 + 1.5 * 2^23 (no float-to-int
     * conversion, which keeps the loop vectorizable; and no subtraction of 1.5 * 2^23,
     * which -ffast-math would fold away in a user's build of an embedded model). */
    int32_t ni;
    float n, r, p = 1.98412698e-4f;
    ni = (int32_t)RNN_FLOAT_BITS(xc * 1.44269504f + 12582912.0f) - 0x4B400000;
    n = (float)ni;
    r = fmaf(n, -0.693145751953125f, xc);
    r = fmaf(n, -1.42860677e-06f, r);
    p = fmaf(p, r, 1.38888889e-3f);
    p = fmaf(p, r, 8.33333333e-3f);
    p = fmaf(p, r, 4.16666667e-2f);
    p = fmaf(p, r, 1.66666667e-1f);
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    p *= RNN_BITS_FLOAT((uint32_t)(ni + 127) << 23);
    return x != x ? x : (x < -87.0f ? 0.0f : p);
}
#endif

#if RNN_ACT == RNN_ACT_TANH
/* tanh(x), odd: for |x| < 0.5 its Taylor series to x^15 (truncation below 1e-8 relative),
 * else 1 - 2 / (exp(2|x|) + 1) with |x| capped at 10, where tanh rounds to 1. */
static inline float rnn_tanhf(float x)
{
    const float ax = x < 0 ? -x : x, a10 = ax < 10.0f ? ax : 10.0f, x2 = ax * ax;
    float q = -1.45583438e-3f, small, big, t;
    q = fmaf(q, x2, 3.59212803e-3f);
    q = fmaf(q, x2, -8.86323552e-3f);
    q = fmaf(q, x2, 2.18694885e-2f);
    q = fmaf(q, x2, -5.39682540e-2f);
    q = fmaf(q, x2, 1.33333333e-1f);
    q = fmaf(q, x2, -3.33333333e-1f);
    small = fmaf(ax * x2, q, ax);
    big = 1.0f - 2.0f / (rnn_expf(2.0f * a10) + 1.0f);
    t = ax < 0.5f ? small : big;
    return x != x ? x : (x < 0 ? -t : t);
}
#endif
/*@ MATH_EPILOGUE @*/
/* stub: uses the functions, so this file also compiles alone under -Wall -Werror */
float rnn_math_stub(float x);
float rnn_math_stub(float x) { return rnn_expf(x) + rnn_tanhf(x); }
/*@ end @*/
