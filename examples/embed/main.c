/* examples/embed/main.c: print a sample from the embedded model demo_model (generated into
 * this directory by `make examples`, from `rnnc embed out/examples.ckpt --name demo_model`).
 *
 *   demo [COUNT [SEED [TEMPERATURE]]]      (defaults: 500 1 1, as `rnnc sample`)
 *
 * The output equals `rnnc sample out/examples.ckpt -n COUNT --seed SEED --temperature
 * TEMPERATURE` byte for byte: generation starts from class 0 with h = 0, and each symbol
 * is drawn with one uniform from splitmix64 seeded with SEED, exactly as rnnc draws them,
 * and becomes the next input.  The same loop drives a model with an output recurrence
 * (figure 10.4, `rnnc train --recurrence output`): demo_model_sample then also leaves the
 * sampled class, as e_s, in the state's fb for the next step to feed back, as rnnc sample
 * does.  No allocation: the model's state is a local variable.
 *
 * Built with -DDEMO_MODEL_SAMPLE_FLOAT=1 (a microcontroller without a double-precision FPU;
 * examples/embed/cortex-m4/) it does no double arithmetic at all: the model samples in float,
 * the uniform is the top 24 bits of the same splitmix64 output as a float, and TEMPERATURE is
 * read as a float without strtod.  Its text is then rnnc sample's but for draws that fall
 * within float rounding of a boundary of the distribution (see demo_model.h, demo_model_sample). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "demo_model.h"

#if !DEMO_MODEL_ONEHOT
#error "demo_model is a dense model: it has no symbols to sample"
#endif

/* splitmix64, as rnnc_rand_uniform(state, 0, 1) in runtime/base/rng.c: a double in [0, 1)
 * from the top 53 bits (with DEMO_MODEL_SAMPLE_FLOAT, a float from the top 24 of them). */
static demo_model_sample_real uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
#if DEMO_MODEL_SAMPLE_FLOAT
    return (float)(uint32_t)(z >> 40) * (1.0f / 16777216.0f); /* 2^-24 */
#else
    return (double)(z >> 11) * (1.0 / 9007199254740992.0); /* 2^-53 */
#endif
}

/* TEMPERATURE > 0: strtod, or in a float build digits with at most one '.', at most 7
 * significant digits and 9 decimals, read as the quotient of two floats that hold them
 * exactly (so the division rounds once, to the float nearest the number, as strtof would,
 * without newlib's strtof going through double).  Returns 0 on bad input. */
static int read_temperature(const char *s, demo_model_sample_real *t)
{
#if DEMO_MODEL_SAMPLE_FLOAT
    uint32_t m = 0, scale = 1;
    int digits = 0, point = 0;
    for (; *s; s++) {
        if (*s == '.' && !point) {
            point = 1;
            continue;
        }
        if (*s < '0' || *s > '9') return 0;
        if (m > 0 || *s != '0') digits++;
        if (digits > 7 || (point && scale == 1000000000)) return 0; /* m, scale exact floats */
        m = m * 10 + (uint32_t)(*s - '0');
        if (point) scale *= 10;
    }
    *t = (float)m / (float)scale;
    return m > 0;
#else
    char *end;
    errno = 0;
    *t = strtod(s, &end);
    return !*end && end != s && !errno && *t > 0 && *t <= 1e300;
#endif
}

/* Write symbol sym: one byte, or its UTF-8 encoding when the vocabulary is code points. */
static void put_symbol(uint32_t sym)
{
    if (!DEMO_MODEL_VOCAB_UTF8 || sym < 0x80) {
        putchar((int)sym);
    } else if (sym < 0x800) {
        putchar((int)(0xc0 | (sym >> 6)));
        putchar((int)(0x80 | (sym & 0x3f)));
    } else if (sym < 0x10000) {
        putchar((int)(0xe0 | (sym >> 12)));
        putchar((int)(0x80 | ((sym >> 6) & 0x3f)));
        putchar((int)(0x80 | (sym & 0x3f)));
    } else {
        putchar((int)(0xf0 | (sym >> 18)));
        putchar((int)(0x80 | ((sym >> 12) & 0x3f)));
        putchar((int)(0x80 | ((sym >> 6) & 0x3f)));
        putchar((int)(0x80 | (sym & 0x3f)));
    }
}

static int usage(const char *why)
{
    fprintf(stderr, "demo: %s (usage: demo [COUNT [SEED [TEMPERATURE]]])\n", why);
    return 2;
}

int main(int argc, char **argv)
{
    struct demo_model_state state;   /* DEMO_MODEL_STATE_BYTES, on the stack */
    demo_model_real probs[DEMO_MODEL_N_OUT];
    unsigned long long count = 500, seed = 1;
    uint64_t rng;
    demo_model_sample_real temperature = 1;
    demo_model_input x = 0;          /* start from class 0, as rnnc sample without --prime */
    char *end;
    unsigned long long n;

    if (argc > 4) return usage("too many arguments");
    errno = 0;
    if (argc > 1 && ((count = strtoull(argv[1], &end, 10)), *end || end == argv[1] || errno || argv[1][0] == '-'))
        return usage("COUNT: expected a whole number");
    if (argc > 2 && ((seed = strtoull(argv[2], &end, 10)), *end || end == argv[2] || errno || argv[2][0] == '-'))
        return usage("SEED: expected a whole number");
    if (argc > 3 && !read_temperature(argv[3], &temperature))
        return usage(DEMO_MODEL_SAMPLE_FLOAT ? "TEMPERATURE: expected a number > 0 of at most 7 digits"
                                             : "TEMPERATURE: expected a number > 0");

    demo_model_reset(&state);
    state.temperature = temperature;
    rng = seed;
    for (n = 0; n < count; n++) {
        demo_model_step(&state, &x, probs);
        x = demo_model_sample(&state, probs, uniform(&rng));
        put_symbol(demo_model_vocab[x]);
    }
    putchar('\n');
    return fflush(stdout) == 0 ? 0 : 1;
}
