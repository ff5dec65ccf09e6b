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
 * does.  No allocation: the model's state is a local variable. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "demo_model.h"

#if !DEMO_MODEL_ONEHOT
#error "demo_model is a dense model: it has no symbols to sample"
#endif

/* splitmix64, as rnnc_rand_uniform(state, 0, 1) in runtime/base/rng.c: a double in [0, 1)
 * from the top 53 bits. */
static double uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0); /* 2^-53 */
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
    double temperature = 1;
    demo_model_input x = 0;          /* start from class 0, as rnnc sample without --prime */
    char *end;
    unsigned long long n;

    if (argc > 4) return usage("too many arguments");
    errno = 0;
    if (argc > 1 && ((count = strtoull(argv[1], &end, 10)), *end || end == argv[1] || errno || argv[1][0] == '-'))
        return usage("COUNT: expected a whole number");
    if (argc > 2 && ((seed = strtoull(argv[2], &end, 10)), *end || end == argv[2] || errno || argv[2][0] == '-'))
        return usage("SEED: expected a whole number");
    if (argc > 3 && ((temperature = strtod(argv[3], &end)), *end || end == argv[3] || errno || !(temperature > 0 && temperature <= 1e300)))
        return usage("TEMPERATURE: expected a number > 0");

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
