#!/usr/bin/env bash
# tests/suites/embed.sh: `rnnc embed`, the inference-only model, end to end.  Thirteen small
# checkpoints are trained here on generated data (bytes/float, bytes/double, a dense CSV mse
# model, UTF-8 text with non-ASCII characters, sigmoid, relu trained with batch 2, --fast, and
# the output-recurrent family of figure 10.4: output/teacher bytes, both/free double bytes,
# output/teacher dense CSV mse; and the gated cells: LSTM bytes, GRU double bytes, LSTM dense
# CSV mse, whose state carries c), each is embedded, and:
#   - the embedded NAME.c compiles warning-free (-std=c99 -Wall -Wextra -pedantic -Werror)
#     with gcc and clang, with tcc (-Wall -Werror), and with gcc -ffreestanding; and as C++
#     (-x c++ -std=c++11 -Wall -Wextra -pedantic -Werror) with g++ and clang++;
#   - its objects call no allocator and need no undefined symbol beyond NAME_MATH_FUNCTIONS
#     (and the memcpy/memset/memmove/memcmp that GCC and Clang may emit by themselves and
#     require of every environment, freestanding too); the gcc object has no writable data;
#   - NAME_WEIGHTS_BYTES is the checkpoint's parameter bytes (rnnc info), and NAME_STATE_BYTES
#     the state bytes of the banner;
#   - its outputs over 400 steps with carried state (NAME_run, then NAME_step) are bit-identical
#     to the tool's own inference on the same checkpoint (tests/unit/test_embed_ref.c: the runtime's
#     rnnc_model_step, loaded as `rnnc sample` loads it) when built with gcc -O2, clang -O2 and
#     tcc, and close with gcc -O3 -march=native -ffast-math (1e-6 of the step's largest
#     output for double, 1e-5 for float); a --fast model (plain a * b + c, which compilers
#     may contract) is only asked to be close, with every compiler;
#   - the same, bit for bit, for the model and driver compiled as C++ (g++, clang++) and for
#     the C++ driver calling the object gcc compiled (c++-calls-c);
#   - with an output recurrence, NAME_step runs free (the reference feeds back the step's own
#     output too), and NAME_step_forced (teacher-forced inference: e_y_prev or y_prev fed back)
#     is bit-identical to the reference run with `forced` over 400 steps, with gcc, clang and
#     tcc; a model without one declares no NAME_step_forced;
#   - NAME_sample with rnnc's splitmix64 uniforms prints the same bytes as `rnnc sample`, at
#     temperature 1 and 0.7, for every one-hot model but the --fast one, the output-recurrent
#     ones feeding back each sampled symbol as e_s in both, and with --prime for the bytes
#     models (the prime read teacher-forced: NAME_step_forced) (and examples/embed/main.c
#     does too);
#   - float-only sampling (NAME_SAMPLE_FLOAT=1, float models): see its section below;
#   - models of records (section 10.2.3: --records lines with --end eos, halt and length, and
#     eos with an output recurrence and --learn-h0): the embedded NAME.c compiles warning-free
#     with gcc, clang and tcc; NAME_record_begin / NAME_record_next draw the same records as
#     `rnnc sample --count` with the same uniforms (temperature 1 and 0.8); NAME_end_prob is a
#     probability, and with --end length exactly 1 at each record's last symbol;
#   - bad inputs (missing or corrupt checkpoint, --name that is not a C identifier) exit 2
#     with one line and write nothing.
# Prints "ok embed/CASE", "FAIL embed/CASE: why" or "skip embed/CASE: why"; exits 1 if any
# case failed.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR (compile
# cache), TEST_BIN (the built test programs: test_embed_ref).
. "$(dirname "$0")/../lib/suite.sh" embed
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
STRICT=(-std=c99 -Wall -Wextra -pedantic -Werror)
CXXSTRICT=(-x c++ -std=c++11 -Wall -Wextra -pedantic -Werror)
STEPS=400

have() { command -v "$1" >/dev/null 2>&1; }

# ---- data, generated here -------------------------------------------------------------
# A deterministic pseudo-random stream (Park-Miller, exact in awk's doubles).
words() {
    awk -v n="$1" -v seed="$2" -v list="$3" 'BEGIN {
        k = split(list, w, " "); x = seed
        for (i = 0; i < n; i++) {
            x = (x * 16807) % 2147483647
            printf "%s%s", w[1 + x % k], (i % 11 == 10 ? ".\n" : " ")
        }
        printf "\n"
    }'
}
words 1500 7 "the cat sat on a mat and ran to see how big red dogs eat fish in warm sun" >"$tmp/text.txt"
words 900 11 "café naïve Grüße Ελλάδα 日本語 señor → œuvre smörgåsbord 😀 déjà vu ça façon" >"$tmp/utf8.txt"
awk 'BEGIN { print "sin,cos"; for (i = 0; i < 600; i++) { t = i * 0.2; printf "%.6f,%.6f\n", sin(t), cos(t) } }' \
    >"$tmp/wave.csv"

# ---- checkpoints ----------------------------------------------------------------------
# name: train options (the data file last)
declare -A TRAIN=(
    [mdl_f]="--hidden 24 --tau 12 --steps 300 $tmp/text.txt"
    [mdl_d]="--hidden 24 --tau 12 --steps 300 --dtype double $tmp/text.txt"
    [mdl_csv]="--hidden 16 --tau 8 --steps 300 --optim adam --lr 0.005 $tmp/wave.csv"
    [mdl_u8]="--hidden 24 --tau 12 --steps 300 --chars utf8 $tmp/utf8.txt"
    [mdl_sig]="--hidden 16 --tau 8 --steps 200 --act sigmoid $tmp/text.txt"
    [mdl_relu]="--hidden 16 --tau 8 --steps 200 --act relu --batch 2 --lr 0.02 $tmp/text.txt"
    [mdl_fast]="--hidden 16 --tau 8 --steps 200 --fast $tmp/text.txt"
    [mdl_out]="--hidden 24 --tau 12 --steps 300 --recurrence output --feedback teacher $tmp/text.txt"
    [mdl_both]="--hidden 16 --tau 8 --steps 200 --recurrence both --feedback free --dtype double $tmp/text.txt"
    [mdl_out_csv]="--hidden 16 --tau 8 --steps 300 --optim adam --lr 0.005 --recurrence output $tmp/wave.csv"
    [mdl_lstm]="--hidden 24 --tau 12 --steps 300 --cell lstm --optim adam --lr 0.01 $tmp/text.txt"
    [mdl_gru_d]="--hidden 20 --tau 12 --steps 200 --cell gru --dtype double --optim adam --lr 0.01 $tmp/text.txt"
    [mdl_lstm_csv]="--hidden 16 --tau 8 --steps 300 --cell lstm --optim adam --lr 0.005 $tmp/wave.csv"
)
MODELS=(mdl_f mdl_d mdl_csv mdl_u8 mdl_sig mdl_relu mdl_fast mdl_out mdl_both mdl_out_csv mdl_lstm mdl_gru_d mdl_lstm_csv)
ready=()
for m in "${MODELS[@]}"; do
    d=$tmp/$m
    mkdir -p "$d"
    # shellcheck disable=SC2086
    if ! rn train ${TRAIN[$m]} --every 300 --sample-every 0 --save "$d/$m.ckpt" >"$d/train.out" 2>"$d/train.err"; then
        fail "$m/train" "rnnc train ${TRAIN[$m]}: $(one_line "$d/train.err")"
        continue
    fi
    if ! rn embed "$d/$m.ckpt" -o "$d" --name "$m" >"$d/embed.out" 2>"$d/embed.err"; then
        fail "$m/embed" "$(one_line "$d/embed.err")"
        continue
    fi
    if [ -s "$d/embed.err" ] || [ ! -s "$d/$m.h" ] || [ ! -s "$d/$m.c" ]; then
        fail "$m/embed" "no $m.h/$m.c, or stderr: $(one_line "$d/embed.err")"
        continue
    fi
    ok "$m/embed"
    ready+=("$m")
done

# ---- the drivers ----------------------------------------------------------------------
# driver.c.in: NAME / UNAME are replaced by the model's name.  Modes:
#   run < INPUTS       outputs of every step as %a (as test_embed_ref prints them); the first
#                      third of the steps through NAME_run in chunks of 37, the rest through
#                      NAME_step, the state carried throughout
#   sample N SEED T [PRIME]
#                      N symbols from class 0, as `rnnc sample -n N --seed SEED --temperature T`
#                      (after the bytes PRIME, as `--prime PRIME`)
#   forced < INPUTS    (output recurrence) per step the input, then y_prev (one class index,
#                      or NAME_N_OUT values); outputs of NAME_step_forced at every step
#   sizes              NAME_WEIGHTS_BYTES NAME_STATE_BYTES NAME_N_IN NAME_N_OUT
cat >"$tmp/driver.c.in" <<'EOF'
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "NAME.h"

#define MAX_STEPS 4096
#define NX (UNAME_ONEHOT ? 1 : UNAME_N_IN)

#define NY (UNAME_LOSS == UNAME_LOSS_NLL ? 1 : UNAME_N_OUT)

static NAME_input inputs[MAX_STEPS * NX];
#if UNAME_HAS_R
static NAME_target ys[MAX_STEPS * NY];
#endif
static NAME_real outs[MAX_STEPS * UNAME_N_OUT];

#if UNAME_ONEHOT
/* splitmix64, as rnnc_rand_uniform: the top 53 bits give rnnc's double u; a float build
 * (UNAME_SAMPLE_FLOAT) passes the top 24 of them as a float. */
static uint64_t next64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static double uniform_double(uint64_t z) { return (double)(z >> 11) * (1.0 / 9007199254740992.0); }
static float uniform_float(uint64_t z) { return (float)(uint32_t)(z >> 40) * (1.0f / 16777216.0f); }
static NAME_sample_real uniform(uint64_t *state)
{
    uint64_t z = next64(state);
    (void)uniform_double;
    (void)uniform_float;
    return UNAME_SAMPLE_FLOAT ? (NAME_sample_real)uniform_float(z) : (NAME_sample_real)uniform_double(z);
}

#if UNAME_SAMPLE_FLOAT
/* rnnc's rule in double on the same probabilities (runtime/commands/sample.c,
 * rnnc_sample_pick without top-k): the pick for u, and in c the boundaries of the tempered
 * distribution, c[k] = C_k / S (the sum of q_0..q_k over the sum of all q). */
static size_t pick_double(const NAME_real *p, double t, double u, double *c)
{
    double maxp = 0, q[UNAME_N_OUT], sum = 0, target, acc = 0;
    size_t i, last = 0;
    for (i = 0; i < UNAME_N_OUT; i++) maxp = p[i] > maxp ? p[i] : maxp;
    for (i = 0; i < UNAME_N_OUT; i++) q[i] = p[i] > 0 && maxp > 0 ? exp(log(p[i] / maxp) / t) : 0;
    for (i = 0; i < UNAME_N_OUT; i++) sum += q[i];
    for (i = 0; i < UNAME_N_OUT; i++) c[i] = (acc += q[i]) / sum;
    target = u * sum;
    for (i = 0, acc = 0; i < UNAME_N_OUT; i++) {
        if (q[i] <= 0) continue;
        acc += q[i];
        last = i;
        if (target < acc) return i;
    }
    return last;
}

/* The distance from u to the nearest boundary c[0..K-2]. */
static double margin_of(const double *c, double u)
{
    double m = 1;
    size_t i;
    for (i = 0; i + 1 < UNAME_N_OUT; i++) m = fabs(u - c[i]) < m ? fabs(u - c[i]) : m;
    return m;
}

/* u's top 24 bits as a float, as uniform_float takes them from the same 64 */
static float float_of(double u) { return (float)(uint32_t)(u * 16777216.0) * (1.0f / 16777216.0f); }
#endif

static void put_symbol(uint32_t c)
{
    if (!UNAME_VOCAB_UTF8 || c < 0x80) {
        putchar((int)c);
    } else if (c < 0x800) {
        putchar((int)(0xc0 | (c >> 6)));
        putchar((int)(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        putchar((int)(0xe0 | (c >> 12)));
        putchar((int)(0x80 | ((c >> 6) & 0x3f)));
        putchar((int)(0x80 | (c & 0x3f)));
    } else {
        putchar((int)(0xf0 | (c >> 18)));
        putchar((int)(0x80 | ((c >> 12) & 0x3f)));
        putchar((int)(0x80 | ((c >> 6) & 0x3f)));
        putchar((int)(0x80 | (c & 0x3f)));
    }
}
#endif

#if UNAME_ONEHOT
/* One step on input x into outs: the first of a sequence feeds back fb(0) = 0; with an output
 * recurrence every later one feeds back e_x, the symbol that the step before produced (the
 * prime's, or the sample that NAME_sample already left in the state). */
static void step_on(struct NAME_state *st, const NAME_input *x, int first)
{
#if UNAME_HAS_R && UNAME_LOSS == UNAME_LOSS_NLL
    if (!first) {
        NAME_step_forced(st, x, x, outs);
        return;
    }
#endif
    (void)first;
    NAME_step(st, x, outs);
}
#endif

int main(int argc, char **argv)
{
    struct NAME_state st;
    size_t n = 0, t, i;
    char word[128];
    if (argc >= 2 && strcmp(argv[1], "sizes") == 0) {
        printf("%lu %lu %lu %lu\n", (unsigned long)UNAME_WEIGHTS_BYTES, (unsigned long)UNAME_STATE_BYTES,
               (unsigned long)UNAME_N_IN, (unsigned long)UNAME_N_OUT);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "forced") == 0) {
#if UNAME_HAS_R
        while (n < MAX_STEPS) {
            for (i = 0; i < NX && scanf("%127s", word) == 1; i++)
                inputs[n * NX + i] = UNAME_ONEHOT ? (NAME_input)strtol(word, NULL, 10) : (NAME_input)strtod(word, NULL);
            if (i == 0) break;
            for (t = 0; t < NY && scanf("%127s", word) == 1; t++)
                ys[n * NY + t] = UNAME_LOSS == UNAME_LOSS_NLL ? (NAME_target)strtol(word, NULL, 10) : (NAME_target)strtod(word, NULL);
            if (i < NX || t < NY) return 4;
            n++;
        }
        NAME_reset(&st);
        for (t = 0; t < n; t++) NAME_step_forced(&st, inputs + t * NX, ys + t * NY, outs + t * UNAME_N_OUT);
        for (t = 0; t < n; t++) {
            for (i = 0; i < UNAME_N_OUT; i++) printf(i ? " %a" : "%a", (double)outs[t * UNAME_N_OUT + i]);
            putchar('\n');
        }
        return fflush(stdout) != 0;
#else
        return 3;
#endif
    }
    if ((argc == 5 || argc == 6) && strcmp(argv[1], "sample") == 0) {
#if UNAME_ONEHOT
        unsigned long long count = strtoull(argv[2], NULL, 10), k;
        uint64_t rng = strtoull(argv[3], NULL, 10);
        const char *prime = argc == 6 ? argv[5] : "";
        NAME_input x = 0;
        int first = 1;
        NAME_reset(&st);
        st.temperature = (NAME_sample_real)strtod(argv[4], NULL);
        /* The prime (bytes models), as rnnc sample --prime reads it: each symbol is the next
         * input, and with an output recurrence also what the step before it feeds back. */
        for (i = 0; prime[i]; i++) {
            NAME_input c = 0;
            while ((size_t)c < UNAME_N_IN && NAME_vocab[c] != (unsigned char)prime[i]) c++;
            if ((size_t)c == UNAME_N_IN) return 5;
            if (i > 0) step_on(&st, &x, first), first = 0;
            x = c;
        }
        fputs(prime, stdout);
        for (k = 0; k < count; k++) {
            step_on(&st, &x, first), first = 0;
            x = NAME_sample(&st, outs, uniform(&rng));
            put_symbol(NAME_vocab[x]);
        }
        putchar('\n');
        return 0;
#else
        return 3;
#endif
    }
    if (argc == 5 && strcmp(argv[1], "agree") == 0) {
        /* agree N SEED T (a float build): N steps sampled on the float path.  At each, u is
         * put on both sides of every boundary C_k / S at the distance the header's
         * NAME_sample comment bounds, B = (5 K + 2 / T + 8) 2^-24 (+ 2^-24 for the float u),
         * unless that is nearer another boundary: there the float pick must equal rnnc's
         * double one.  Also counted, not required: the
         * stream's own draws that differ, and the picks at 2^-26 from a boundary that do. */
#if UNAME_ONEHOT && UNAME_SAMPLE_FLOAT
        unsigned long long count = strtoull(argv[2], NULL, 10), k, differ = 0, probes = 0, beyond = 0, near = 0;
        uint64_t rng = strtoull(argv[3], NULL, 10);
        double t = strtod(argv[4], NULL), c[UNAME_N_OUT], c2[UNAME_N_OUT];
        double bound = (5.0 * UNAME_N_OUT + 2 / t + 9) / 16777216.0;
        struct NAME_state probe;
        NAME_input x = 0;
        int first = 1, side;
        NAME_reset(&st);
        st.temperature = (float)t;
        for (k = 0; k < count; k++) {
            uint64_t z;
            double ud;
            size_t j;
            step_on(&st, &x, first), first = 0;
            z = next64(&rng);
            ud = uniform_double(z);
            probe = st;
            if (pick_double(outs, t, ud, c) != (size_t)NAME_sample(&probe, outs, uniform_float(z))) differ++;
            for (j = 0; j + 1 < UNAME_N_OUT; j++)
                for (side = -1; side <= 1; side += 2) {
                    double u = c[j] + side * bound, v = c[j] + side / 67108864.0;
                    if (u >= 0 && u < 1 && margin_of(c, u) >= bound) {
                        probe = st;
                        probes++;
                        if (pick_double(outs, t, u, c2) != (size_t)NAME_sample(&probe, outs, float_of(u))) beyond++;
                    }
                    if (v >= 0 && v < 1) {
                        probe = st;
                        if (pick_double(outs, t, v, c2) != (size_t)NAME_sample(&probe, outs, float_of(v))) near++;
                    }
                }
            x = NAME_sample(&st, outs, uniform_float(z));
        }
        printf("%llu of %llu draws differ; %llu of %llu picks at %.2g from a boundary differ (%llu at 2^-26)\n",
               differ, count, beyond, probes, bound, near);
        return beyond != 0;
#else
        return 3;
#endif
    }
    if (argc != 2 || strcmp(argv[1], "run") != 0) return 2;
    while (n < MAX_STEPS) {
        for (i = 0; i < NX && scanf("%127s", word) == 1; i++)
            inputs[n * NX + i] = UNAME_ONEHOT ? (NAME_input)strtol(word, NULL, 10) : (NAME_input)strtod(word, NULL);
        if (i == 0) break;
        if (i < NX) return 4;
        n++;
    }
    NAME_reset(&st);
    for (t = 0; t < n / 3; t += 37) {
        size_t k = n / 3 - t < 37 ? n / 3 - t : 37;
        NAME_run(&st, inputs + t * NX, k, outs + t * UNAME_N_OUT);
    }
    for (t = n / 3; t < n; t++) NAME_step(&st, inputs + t * NX, outs + t * UNAME_N_OUT);
    for (t = 0; t < n; t++) {
        for (i = 0; i < UNAME_N_OUT; i++) printf(i ? " %a" : "%a", (double)outs[t * UNAME_N_OUT + i]);
        putchar('\n');
    }
    return fflush(stdout) != 0;
}
EOF

# maxrel A B TOL: A and B hold the same lines of numbers (strtod: hex floats too), one line
# per step; prints the largest norm-wise relative difference max_i |a_i - b_i| / max_i |a_i|
# over the steps (so an output near zero is measured against the step's scale, as a
# probability against the largest one) and fails if it exceeds TOL.
cat >"$tmp/maxrel.c" <<'EOF'
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
static char la[1 << 20], lb[1 << 20];
#if UNAME_ONEHOT
/* One step on input x into outs: the first of a sequence feeds back fb(0) = 0; with an output
 * recurrence every later one feeds back e_x, the symbol that the step before produced (the
 * prime's, or the sample that NAME_sample already left in the state). */
static void step_on(struct NAME_state *st, const NAME_input *x, int first)
{
#if UNAME_HAS_R && UNAME_LOSS == UNAME_LOSS_NLL
    if (!first) {
        NAME_step_forced(st, x, x, outs);
        return;
    }
#endif
    (void)first;
    NAME_step(st, x, outs);
}
#endif

int main(int argc, char **argv)
{
    FILE *a, *b;
    double worst = 0, tol;
    long n = 0, steps = 0, at = 0;
    if (argc != 4 || !(a = fopen(argv[1], "r")) || !(b = fopen(argv[2], "r"))) return 2;
    tol = strtod(argv[3], NULL);
    for (;;) {
        char *ra = fgets(la, sizeof la, a), *rb = fgets(lb, sizeof lb, b), *p = la, *q = lb, *e;
        double scale = 0, d = 0;
        if (!ra || !rb) {
            if (ra || rb) { printf("different lengths after %ld steps\n", steps); return 1; }
            break;
        }
        steps++;
        for (;;) {
            double x = strtod(p, &e), y;
            if (e == p) break;
            p = e;
            y = strtod(q, &e);
            if (e == q) { printf("step %ld: fewer numbers in %s\n", steps, argv[2]); return 1; }
            q = e;
            if (!(fabs(x - y) <= d)) d = fabs(x - y);   /* a NaN stays */
            if (fabs(x) > scale) scale = fabs(x);
            n++;
        }
        d = scale > 0 ? d / scale : d;
        if (!(d <= worst)) { worst = d; at = steps; }
    }
    if (worst > 0) printf("%ld numbers, max relative difference %.3g at step %ld\n", n, worst, at);
    else printf("%ld numbers, all equal\n", n);
    return n > 0 && worst <= tol ? 0 : 1;
}
EOF
have_maxrel=0
if cc -std=c99 -O2 -o "$tmp/maxrel" "$tmp/maxrel.c" -lm 2>"$tmp/maxrel.err"; then have_maxrel=1; fi

# first_diff A B: "line L of N differs" for messages.
first_diff() {
    local l
    l=$(cmp "$1" "$2" 2>&1 | sed -n 's/.* line \([0-9]*\).*/\1/p')
    echo "line ${l:-?} of $(wc -l <"$1") differs (ref: $(sed -n "${l:-1}p" "$1" | cut -c1-80); embedded: $(sed -n "${l:-1}p" "$2" | cut -c1-80))"
}

# The compilers of the matrix: tag, then the command.  A missing one is a skip.
declare -A CCS=(
    [gcc]="gcc ${STRICT[*]} -O2"
    [clang]="clang ${STRICT[*]} -O2"
    [gcc-freestanding]="gcc ${STRICT[*]} -O2 -ffreestanding"
    [g++]="g++ ${CXXSTRICT[*]} -O2"
    [clang++]="clang++ ${CXXSTRICT[*]} -O2"
)
# math_functions DIR NAME UNAME [CFLAG...]: NAME_MATH_FUNCTIONS as the preprocessor sees it
# (it depends on UNAME_SAMPLE_FLOAT), without the quotes.
math_functions() {
    local dir=$1 name=$2 up=$3
    shift 3
    printf '#include "%s.h"\n%s_MATH_FUNCTIONS\n' "$name" "$up" | gcc -std=c99 "$@" -E -P -I"$dir" - 2>/dev/null |
        tail -n 1 | sed -n 's/^"\(.*\)"$/\1/p'
}
REF=$TEST_BIN/test_embed_ref
if [ ! -x "$REF" ]; then
    fail "reference-program" "$REF is missing (make tests-bin)"
fi

for m in "${ready[@]}"; do
    d=$tmp/$m
    U=$(tr '[:lower:]' '[:upper:]' <<<"$m")
    sed "s/UNAME/$U/g; s/NAME/$m/g" "$tmp/driver.c.in" >"$d/driver.c"
    mathfns=$(math_functions "$d" "$m" "$U")
    if [ -z "$mathfns" ]; then
        fail "$m/math-functions" "no ${U}_MATH_FUNCTIONS in $m.h"
    else
        ok "$m/math-functions ($mathfns)"
    fi

    # -- compiles warning-free; no allocator, no undefined symbol beyond the math functions
    for tag in gcc clang gcc-freestanding tcc g++ clang++; do
        if [ $tag = tcc ]; then
            have tcc || { skip "$m/compile-$tag" "tcc not found (apt-get install tcc)"; continue; }
            cmd=(tcc -Wall -Werror)
        else
            have "${tag%%-*}" || { skip "$m/compile-$tag" "${tag%%-*} not found"; continue; }
            read -r -a cmd <<<"${CCS[$tag]}"
        fi
        obj=$d/$m.$tag.o
        if ! "${cmd[@]}" -c "$d/$m.c" -o "$obj" >"$d/cc.$tag.err" 2>&1 || [ -s "$d/cc.$tag.err" ]; then
            fail "$m/compile-$tag" "${cmd[*]} -c $m.c: $(one_line "$d/cc.$tag.err")"
            continue
        fi
        ok "$m/compile-$tag"
        undef=$(nm -u "$obj" | awk '{ print $NF }' | sort -u)
        alloc=$(grep -xE 'malloc|calloc|realloc|free|aligned_alloc|posix_memalign' <<<"$undef")
        extra=""
        for s in $undef; do
            case " $mathfns memcpy memset memmove memcmp " in *" $s "*) ;; *) extra+=" $s" ;; esac
        done
        if [ -n "$alloc" ]; then
            fail "$m/no-allocation-$tag" "nm -u shows: $(echo $alloc)"
        else
            ok "$m/no-allocation-$tag"
        fi
        if [ -n "$extra" ]; then
            fail "$m/undefined-only-math-$tag" "undefined beyond '$mathfns':$extra"
        else
            ok "$m/undefined-only-math-$tag ($(echo $undef))"
        fi
    done
    # No mutable globals: the weights and vocabulary in read-only data (gcc; tcc puts
    # const data in .data, so it is not asked).
    if [ -f "$d/$m.gcc.o" ]; then
        writable=$(nm "$d/$m.gcc.o" | awk '$2 ~ /^[dDbBcCgGsS]$/ { print $3 }')
        ptype=$(nm "$d/$m.gcc.o" | awk -v s="${m}_params" '$3 == s { print $2 }')
        if [ -n "$writable" ] || [ "$ptype" != r ]; then
            fail "$m/read-only-data" "writable symbols: '$(echo $writable)', ${m}_params has type '$ptype'"
        else
            ok "$m/read-only-data"
        fi
    fi

    # -- sizes: the weights are the checkpoint's parameters
    have gcc || continue
    if ! gcc "${STRICT[@]}" -O2 -I"$d" -o "$d/drv.gcc" "$d/driver.c" "$d/$m.gcc.o" -lm >"$d/drv.err" 2>&1; then
        fail "$m/driver" "the driver does not build: $(one_line "$d/drv.err")"
        continue
    fi
    read -r wbytes sbytes n_in n_out < <("$d/drv.gcc" sizes)
    pbytes=$(rn info "$d/$m.ckpt" | sed -n 's/^bytes: parameters \([0-9]*\),.*/\1/p')
    if [ -n "$pbytes" ] && [ "$wbytes" = "$pbytes" ]; then
        ok "$m/weights-bytes ($wbytes; state $sbytes)"
    else
        fail "$m/weights-bytes" "${U}_WEIGHTS_BYTES $wbytes, rnnc info says parameters '$pbytes'"
    fi
    bbytes=$(sed -n 's/^ \* Memory (bytes): .* state \([0-9]*\) per stream.*/\1/p' "$d/$m.h")
    if [ "$bbytes" = "$sbytes" ]; then
        ok "$m/state-bytes-in-banner ($sbytes)"
    else
        fail "$m/state-bytes-in-banner" "${U}_STATE_BYTES $sbytes, the banner says '$bbytes'"
    fi
    has_r=0
    grep -q "^#define ${U}_HAS_R 1" "$d/$m.h" && has_r=1
    if [ $has_r = 0 ] && gcc -std=c99 -E -P "$d/$m.h" | grep -q "${m}_step_forced"; then
        fail "$m/no-step-forced" "a model without an output recurrence declares ${m}_step_forced"
    elif [ $has_r = 0 ]; then
        ok "$m/no-step-forced (no output recurrence)"
    fi

    # -- outputs over STEPS steps, bit for bit against the tool's own inference
    if grep -q "^#define ${U}_ONEHOT 1" "$d/$m.h"; then
        awk -v n=$STEPS -v v="$n_in" 'BEGIN { x = 12345; for (i = 0; i < n; i++) { x = (x * 16807) % 2147483647; print x % v } }' >"$d/inputs"
    else
        awk -v n=$STEPS -v k="$n_in" 'BEGIN { for (i = 0; i < n; i++) { t = i * 0.37;
            for (j = 0; j < k; j++) printf "%s%.9g", (j ? " " : ""), sin(t + j) * (1 + (i % 7) / 10); printf "\n" } }' >"$d/inputs"
    fi
    [ -x "$REF" ] || continue
    if ! timeout -k 5 120 "$REF" "$d/$m.ckpt" <"$d/inputs" >"$d/ref.out" 2>"$d/ref.err"; then
        fail "$m/reference" "test_embed_ref: $(one_line "$d/ref.err")"
        continue
    fi
    if [ "$(wc -l <"$d/ref.out")" -ne $STEPS ]; then
        fail "$m/reference" "$(wc -l <"$d/ref.out") lines of output, not $STEPS"
        continue
    fi
    tol=1e-6
    grep -q "^typedef float ${m}_real;" "$d/$m.h" && tol=1e-5
    fast=0
    grep -q "^#define ${U}_FAST 1" "$d/$m.h" && fast=1
    # The tool's two backends agree (the embedded model is compared with tcc, as rnnc sample
    # uses): bit for bit, or (--fast) closely.
    if ! timeout -k 5 120 "$REF" "$d/$m.ckpt" cc <"$d/inputs" >"$d/ref.cc.out" 2>"$d/ref.cc.err"; then
        fail "$m/reference-tcc-equals-cc" "test_embed_ref CKPT cc: $(one_line "$d/ref.cc.err")"
    elif [ $fast = 1 ]; then
        if [ $have_maxrel = 0 ]; then
            skip "$m/reference-tcc-close-to-cc" "the comparison program does not build: $(one_line "$tmp/maxrel.err")"
        elif r=$("$tmp/maxrel" "$d/ref.out" "$d/ref.cc.out" $tol); then
            ok "$m/reference-tcc-close-to-cc ($r; tolerance $tol)"
        else
            fail "$m/reference-tcc-close-to-cc" "$r (tolerance $tol)"
        fi
    elif cmp -s "$d/ref.out" "$d/ref.cc.out"; then
        ok "$m/reference-tcc-equals-cc"
    else
        fail "$m/reference-tcc-equals-cc" "$(first_diff "$d/ref.out" "$d/ref.cc.out")"
    fi
    # (C++: the driver compiled as C++ calls the model compiled as C++, and, as in a C++
    # program that links the C object, the one compiled by gcc: c++-calls-c.)
    for tag in gcc clang tcc g++ clang++ c++-calls-c; do
        what=outputs-bit-identical-$tag
        [ $fast = 1 ] && what=outputs-close-$tag
        obj=$d/$m.$tag.o
        xnone=()
        case $tag in
        gcc) cmd=(gcc "${STRICT[@]}" -O2) ;;
        clang) cmd=(clang "${STRICT[@]}" -O2) ;;
        tcc) cmd=(tcc -Wall -Werror) ;;
        g++ | clang++) cmd=("$tag" "${CXXSTRICT[@]}" -O2) xnone=(-x none) ;;
        c++-calls-c) cmd=(g++ "${CXXSTRICT[@]}" -O2) xnone=(-x none) obj=$d/$m.gcc.o ;;
        esac
        have "${cmd[0]}" || { skip "$m/$what" "${cmd[0]} not found"; continue; }
        [ -f "$obj" ] || continue
        if ! "${cmd[@]}" -I"$d" -o "$d/drv.$tag" "$d/driver.c" "${xnone[@]}" "$obj" -lm >"$d/drv.$tag.err" 2>&1; then
            fail "$m/$what" "the driver does not build: $(one_line "$d/drv.$tag.err")"
            continue
        fi
        if ! "$d/drv.$tag" run <"$d/inputs" >"$d/emb.$tag.out" 2>"$d/emb.$tag.err"; then
            fail "$m/$what" "the driver failed: $(one_line "$d/emb.$tag.err")"
        elif [ $fast = 1 ]; then
            if [ $have_maxrel = 0 ]; then
                skip "$m/$what" "the comparison program does not build: $(one_line "$tmp/maxrel.err")"
            elif r=$("$tmp/maxrel" "$d/ref.out" "$d/emb.$tag.out" $tol); then
                ok "$m/$what ($r; tolerance $tol)"
            else
                fail "$m/$what" "$r (tolerance $tol)"
            fi
        elif cmp -s "$d/ref.out" "$d/emb.$tag.out"; then
            ok "$m/$what ($STEPS steps)"
        else
            fail "$m/$what" "$(first_diff "$d/ref.out" "$d/emb.$tag.out")"
        fi
    done
    # gcc -O3 -march=native -ffast-math: reassociated, with libmvec's vector expf / tanhf (a
    # few ulps), so only close: 1e-6 of each step's largest output for double; for float,
    # where 1e-6 is 8 ulps, 1e-5 (measured: up to 1.1e-6 after 400 steps; double 1.5e-15).
    if [ $have_maxrel = 1 ]; then
        if ! gcc "${STRICT[@]}" -O3 -march=native -ffast-math -I"$d" -o "$d/drv.fast" "$d/driver.c" "$d/$m.c" -lm \
            >"$d/drv.fast.err" 2>&1; then
            fail "$m/outputs-close-gcc-fast-math" "does not build: $(one_line "$d/drv.fast.err")"
        elif ! "$d/drv.fast" run <"$d/inputs" >"$d/emb.fast.out"; then
            fail "$m/outputs-close-gcc-fast-math" "the driver failed"
        elif r=$("$tmp/maxrel" "$d/ref.out" "$d/emb.fast.out" $tol); then
            ok "$m/outputs-close-gcc-fast-math ($r; tolerance $tol)"
        else
            fail "$m/outputs-close-gcc-fast-math" "$r (tolerance $tol)"
        fi
    fi

    # -- teacher-forced inference (output recurrence): NAME_step_forced against the reference
    if [ $has_r = 1 ]; then
        if grep -q "^#define ${U}_ONEHOT 1" "$d/$m.h"; then
            # a character model: y(t-1) is the current input
            awk '{ print $1, $1 }' "$d/inputs" >"$d/inputs.forced"
        else
            awk -v k="$n_out" '{ printf "%s", $0; for (j = 0; j < k; j++) printf " %.9g", cos(NR * 0.37 + j) * 0.8; printf "\n" }' \
                "$d/inputs" >"$d/inputs.forced"
        fi
        if ! timeout -k 5 120 "$REF" "$d/$m.ckpt" forced <"$d/inputs.forced" >"$d/ref.forced.out" 2>"$d/ref.forced.err"; then
            fail "$m/forced-reference" "test_embed_ref CKPT forced: $(one_line "$d/ref.forced.err")"
        elif cmp -s "$d/ref.out" "$d/ref.forced.out"; then
            fail "$m/forced-reference" "teacher-forced outputs equal the free-running ones: nothing was fed back"
        else
            for tag in gcc clang tcc g++ clang++ c++-calls-c; do
                [ -x "$d/drv.$tag" ] || continue
                if ! "$d/drv.$tag" forced <"$d/inputs.forced" >"$d/emb.forced.$tag.out" 2>"$d/emb.forced.$tag.err"; then
                    fail "$m/step-forced-bit-identical-$tag" "the driver failed: $(one_line "$d/emb.forced.$tag.err")"
                elif cmp -s "$d/ref.forced.out" "$d/emb.forced.$tag.out"; then
                    ok "$m/step-forced-bit-identical-$tag ($STEPS steps)"
                else
                    fail "$m/step-forced-bit-identical-$tag" "$(first_diff "$d/ref.forced.out" "$d/emb.forced.$tag.out")"
                fi
            done
        fi
    fi

    # -- sampling: the same bytes as rnnc sample
    grep -q "^#define ${U}_ONEHOT 1" "$d/$m.h" || continue
    [ $fast = 0 ] || continue
    for cfg in "3 1" "42 0.7"; do
        read -r seed temp <<<"$cfg"
        name="$m/sample-equals-rnnc-sample-seed$seed-temperature$temp"
        if ! rn sample "$d/$m.ckpt" --seed "$seed" -n 300 --temperature "$temp" >"$d/sample.rnnc" 2>"$d/sample.err"; then
            fail "$name" "rnnc sample: $(one_line "$d/sample.err")"
            continue
        fi
        cp "$d/sample.rnnc" "$d/sample.rnnc.$seed"
        "$d/drv.gcc" sample 300 "$seed" "$temp" >"$d/sample.emb"
        if cmp -s "$d/sample.rnnc" "$d/sample.emb"; then
            ok "$name ($(wc -c <"$d/sample.rnnc") bytes)"
        else
            fail "$name" "$(cmp "$d/sample.rnnc" "$d/sample.emb" 2>&1 | head -n 1)"
        fi
        # and built as C++ (the model, and the C++ driver calling the C model)
        for tag in g++ clang++ c++-calls-c; do
            [ -x "$d/drv.$tag" ] || continue
            "$d/drv.$tag" sample 300 "$seed" "$temp" >"$d/sample.emb.$tag"
            if cmp -s "$d/sample.rnnc" "$d/sample.emb.$tag"; then
                ok "$name-$tag"
            else
                fail "$name-$tag" "$(cmp "$d/sample.rnnc" "$d/sample.emb.$tag" 2>&1 | head -n 1)"
            fi
        done
    done

    # -- float-only sampling (UNAME_SAMPLE_FLOAT=1), float models: warning-free with
    # -Wdouble-promotion under every compiler, calling only its NAME_MATH_FUNCTIONS; on a
    # Cortex-M4 (single-precision FPU) no software double routine at all, where the default
    # build has them; its state's size is the banner's; the same text as rnnc sample for
    # these seeds; and over 1000 steps, u put on both sides of every boundary of the tempered
    # distribution at the distance the header states gives the pick of rnnc's double rule.
    if grep -q "^typedef float ${m}_real;" "$d/$m.h"; then
        FL=(-D"${U}_SAMPLE_FLOAT=1")
        fmath=$(math_functions "$d" "$m" "$U" "${FL[@]}")
        for tag in gcc clang g++ clang++; do
            have "$tag" || { skip "$m/sample-float-compile-$tag" "$tag not found"; continue; }
            read -r -a cmd <<<"${CCS[$tag]}"
            obj=$d/$m.float.$tag.o
            if ! "${cmd[@]}" "${FL[@]}" -Wdouble-promotion -c "$d/$m.c" -o "$obj" >"$d/float.$tag.err" 2>&1 ||
                [ -s "$d/float.$tag.err" ]; then
                fail "$m/sample-float-compile-$tag" "$(one_line "$d/float.$tag.err")"
                continue
            fi
            undef=$(nm -u "$obj" | awk '{ print $NF }' | sort -u)
            extra=""
            for s in $undef; do
                case " $fmath memcpy memset memmove memcmp " in *" $s "*) ;; *) extra+=" $s" ;; esac
            done
            if [ -n "$extra" ]; then
                fail "$m/sample-float-compile-$tag" "undefined beyond '$fmath':$extra"
            else
                ok "$m/sample-float-compile-$tag (-Wdouble-promotion; $(echo $undef))"
            fi
        done
        if have arm-none-eabi-gcc; then
            soft='^(__aeabi_(d[a-z0-9]*|cd[a-z0-9]*|f2d|i2d|ui2d|l2d|ul2d)|exp|log|fma|tanh|sqrt|pow)$'
            ARM=(arm-none-eabi-gcc "${STRICT[@]}" -O2 -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
            if ! "${ARM[@]}" "${FL[@]}" -c "$d/$m.c" -o "$d/$m.float.arm.o" >"$d/float.arm.err" 2>&1 ||
                ! "${ARM[@]}" -c "$d/$m.c" -o "$d/$m.arm.o" >>"$d/float.arm.err" 2>&1; then
                fail "$m/sample-float-no-double-cortex-m4" "$(one_line "$d/float.arm.err")"
            else
                dflt=$(nm -u "$d/$m.arm.o" | awk '{ print $NF }' | grep -E "$soft" | tr '\n' ' ')
                flt=$(nm -u "$d/$m.float.arm.o" | awk '{ print $NF }' | grep -E "$soft" | tr '\n' ' ')
                if [ -n "$flt" ]; then
                    fail "$m/sample-float-no-double-cortex-m4" "the float build calls $flt"
                elif [ -z "$dflt" ]; then
                    fail "$m/sample-float-no-double-cortex-m4" "the default build calls no double routine either: the check sees nothing"
                else
                    ok "$m/sample-float-no-double-cortex-m4 (the default build calls ${dflt% })"
                fi
            fi
        else
            skip "$m/sample-float-no-double-cortex-m4" "arm-none-eabi-gcc not found (apt-get install gcc-arm-none-eabi)"
        fi
        if [ -f "$d/$m.float.gcc.o" ] &&
            gcc "${STRICT[@]}" -O2 "${FL[@]}" -I"$d" -o "$d/drv.float" "$d/driver.c" "$d/$m.float.gcc.o" -lm \
                >"$d/drv.float.err" 2>&1; then
            read -r _ fsbytes _ < <("$d/drv.float" sizes)
            fbanner=$(sed -n "s/^ \* Memory (bytes): .*; \([0-9]*\) with ${U}_SAMPLE_FLOAT).*/\1/p" "$d/$m.h")
            if [ -n "$fsbytes" ] && [ "$fsbytes" = "$fbanner" ]; then
                ok "$m/sample-float-state-bytes-in-banner ($fsbytes)"
            else
                fail "$m/sample-float-state-bytes-in-banner" "${U}_STATE_BYTES $fsbytes, the banner says '$fbanner'"
            fi
            for cfg in "3 1" "42 0.7"; do
                read -r seed temp <<<"$cfg"
                name="$m/sample-float-equals-rnnc-sample-seed$seed-temperature$temp"
                [ -f "$d/sample.rnnc.$seed" ] || continue
                "$d/drv.float" sample 300 "$seed" "$temp" >"$d/sample.float"
                if cmp -s "$d/sample.rnnc.$seed" "$d/sample.float"; then
                    ok "$name"
                else
                    fail "$name" "$(cmp "$d/sample.rnnc.$seed" "$d/sample.float" 2>&1 | head -n 1)"
                fi
            done
            for cfg in "11 1" "12 0.7" "13 0.4"; do
                read -r seed temp <<<"$cfg"
                name="$m/sample-float-differs-only-within-the-bound-seed$seed-temperature$temp"
                if r=$("$d/drv.float" agree 1000 "$seed" "$temp"); then
                    ok "$name ($r)"
                else
                    fail "$name" "$r"
                fi
            done
        else
            fail "$m/sample-float-driver" "the float driver does not build: $(one_line "$d/drv.float.err")"
        fi
    fi
    # --prime (bytes models): the prime is read teacher-forced, then the model runs free
    grep -q "^#define ${U}_VOCAB_UTF8 0" "$d/$m.h" || continue
    name="$m/sample-with-prime-equals-rnnc-sample"
    if ! rn sample "$d/$m.ckpt" --seed 5 -n 200 --prime "the cat " >"$d/sample.rnnc" 2>"$d/sample.err"; then
        fail "$name" "rnnc sample --prime: $(one_line "$d/sample.err")"
    elif "$d/drv.gcc" sample 200 5 1 "the cat " >"$d/sample.emb" && cmp -s "$d/sample.rnnc" "$d/sample.emb"; then
        ok "$name ($(wc -c <"$d/sample.rnnc") bytes)"
    else
        fail "$name" "$(cmp "$d/sample.rnnc" "$d/sample.emb" 2>&1 | head -n 1)"
    fi
done

# ---- examples/embed/main.c, against the bytes model embedded as demo_model ---------------
if [[ " ${ready[*]} " == *" mdl_f "* ]] && have gcc; then
    e=$tmp/example
    mkdir -p "$e"
    cp "$ROOT/examples/embed/main.c" "$e/main.c"
    if ! rn embed "$tmp/mdl_f/mdl_f.ckpt" -o "$e" --name demo_model >/dev/null 2>"$e/err" ||
        ! gcc "${STRICT[@]}" -O2 -o "$e/demo" "$e/main.c" "$e/demo_model.c" -lm >>"$e/err" 2>&1; then
        fail "example/builds" "$(one_line "$e/err")"
    else
        ok "example/builds"
        rn sample "$tmp/mdl_f/mdl_f.ckpt" -n 250 --seed 9 --temperature 0.8 >"$e/rnnc.out" 2>&1
        "$e/demo" 250 9 0.8 >"$e/demo.out" 2>&1
        if cmp -s "$e/rnnc.out" "$e/demo.out"; then
            ok "example/demo-equals-rnnc-sample"
        else
            fail "example/demo-equals-rnnc-sample" "$(cmp "$e/rnnc.out" "$e/demo.out" 2>&1 | head -n 1)"
        fi
    fi
fi

# ---- models of records: the embedded sampler stops like rnnc sample ---------------------
# words.txt: 300 words of a tiny grammar (1 to 4 syllables), one per line.
awk 'BEGIN { split("ka lo mi nu te", s, " "); x = 17
    for (i = 0; i < 300; i++) { x = (x * 16807) % 2147483647; n = 1 + x % 4; w = ""
        for (j = 0; j < n; j++) { x = (x * 16807) % 2147483647; w = w s[1 + x % 5] }
        print w } }' >"$tmp/words.txt"
cat >"$tmp/rec_driver.c.in" <<'EOF'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "NAME.h"
static double uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}
/* COUNT SEED T N: as rnnc sample --count COUNT --seed SEED --temperature T -n N; after each
 * call of NAME_record_next, "end P" on stderr, P = NAME_end_prob of its step (eos: that the
 * next symbol is the end symbol; halt: q(t); length: 1 at the record's last symbol). */
int main(int argc, char **argv)
{
    struct NAME_state st;
    unsigned long count, n, r, k;
    uint64_t rng;
    int32_t x;
    if (argc != 5) return 2;
    count = strtoul(argv[1], NULL, 10);
    rng = strtoull(argv[2], NULL, 10);
    n = strtoul(argv[4], NULL, 10);
    for (r = 0; r < count; r++) {
        double u0 = UNAME_END == UNAME_END_LENGTH ? uniform(&rng) : 0;
        NAME_record_begin(&st, u0);
        st.temperature = strtod(argv[3], NULL);
        for (k = 0; k < n && !st.ended; k++) {
            double u1 = uniform(&rng), u2 = UNAME_END == UNAME_END_HALT ? uniform(&rng) : 0;
            x = NAME_record_next(&st, u1, u2);
            fprintf(stderr, "end %.9g\n", NAME_end_prob(&st, st.out));
            if (x < 0) break;
            putchar((int)NAME_vocab[x]);
        }
        putchar('\n');
    }
    return 0;
}
EOF
declare -A RTRAIN=(
    [rec_eos]="--records lines --end eos"
    [rec_halt]="--records lines --end halt"
    [rec_len]="--records lines --end length --max-length 12"
    [rec_outh0]="--records lines --end eos --recurrence output --learn-h0"
)
for m in rec_eos rec_halt rec_len rec_outh0; do
    d=$tmp/$m
    mkdir -p "$d"
    U=$(tr '[:lower:]' '[:upper:]' <<<"$m")
    # shellcheck disable=SC2086
    if ! rn train ${RTRAIN[$m]} --hidden 24 --tau 6 --batch 4 --steps 400 --every 400 --sample-every 0 \
        --backend tcc --save "$d/$m.ckpt" "$tmp/words.txt" >"$d/train.out" 2>"$d/train.err" ||
        ! rn embed "$d/$m.ckpt" -o "$d" --name "$m" >"$d/embed.out" 2>"$d/embed.err"; then
        fail "$m/train-and-embed" "$(one_line "$d/train.err") $(one_line "$d/embed.err")"
        continue
    fi
    why=()
    for c in gcc clang tcc; do
        have $c || continue
        if [ $c = tcc ]; then flags=(-Wall -Werror); else flags=("${STRICT[@]}" -O2); fi
        if ! $c "${flags[@]}" -c "$d/$m.c" -o "$d/$m.$c.o" >"$d/cc.err" 2>&1 || [ -s "$d/cc.err" ]; then
            why+=("$c: $(one_line "$d/cc.err")")
        fi
    done
    if [ ${#why[@]} -eq 0 ]; then ok "$m/compiles-gcc-clang-tcc"; else fail "$m/compiles-gcc-clang-tcc" "${why[*]}"; fi
    sed "s/UNAME/$U/g; s/NAME/$m/g" "$tmp/rec_driver.c.in" >"$d/rec_driver.c"
    if ! gcc "${STRICT[@]}" -O2 -I"$d" -o "$d/rec.gcc" "$d/rec_driver.c" "$d/$m.c" -lm >"$d/drv.err" 2>&1; then
        fail "$m/driver" "$(one_line "$d/drv.err")"
        continue
    fi
    for cfg in "1 1" "7 0.8"; do
        set -- $cfg
        name="$m/record-sampler-equals-rnnc-sample-seed$1-temperature$2"
        if ! rn sample "$d/$m.ckpt" --count 40 --seed "$1" --temperature "$2" -n 30 >"$d/s.rnnc" 2>"$d/s.err"; then
            fail "$name" "rnnc sample: $(one_line "$d/s.err")"
            continue
        fi
        "$d/rec.gcc" 40 "$1" "$2" 30 >"$d/s.emb" 2>"$d/end.txt"
        if cmp -s "$d/s.rnnc" "$d/s.emb"; then
            ok "$name ($(wc -l <"$d/s.rnnc") records)"
        else
            fail "$name" "$(cmp "$d/s.rnnc" "$d/s.emb" 2>&1 | head -n 1)"
        fi
    done
    # NAME_end_prob is a probability; with --end length it is 1 exactly at each record's last
    # symbol (40 records; none of them cut by -n 30, since lengths are at most 12).
    bad_p=$(awk '$1 == "end" && !($2 >= 0 && $2 <= 1)' "$d/end.txt" | head -n 1)
    ones=$(awk '$1 == "end" && $2 == 1' "$d/end.txt" | wc -l)
    name="$m/end-prob-is-a-probability"
    if [ -n "$bad_p" ]; then
        fail "$name" "$bad_p"
    elif [ $m = rec_len ] && [ "$ones" -ne 40 ]; then
        fail "$name" "--end length: $ones steps with end probability 1, not one per record (40)"
    else
        ok "$name"
    fi
done

# ---- bad inputs: exit 2, one line, nothing written ---------------------------------------
# bad NAME ARG...: `rnnc embed ARG... -o $tmp/bad/out` must exit 2 with one line on stderr,
# nothing on stdout, and leave $tmp/bad/out (created empty beforehand) empty; and the same
# with -o naming a directory that does not exist must not create it.
bad() {
    local name=$1 rc rc2 why=()
    shift
    rm -rf "$tmp/bad/out" "$tmp/bad/new"
    mkdir -p "$tmp/bad/out"
    rn embed "$@" -o "$tmp/bad/out" >"$tmp/bad/stdout" 2>"$tmp/bad/stderr"
    rc=$?
    rn embed "$@" -o "$tmp/bad/new" >/dev/null 2>&1
    rc2=$?
    [ $rc -eq 2 ] || why+=("exit status $rc, not 2")
    [ $rc2 -eq 2 ] || why+=("exit status $rc2 with a new -o, not 2")
    [ "$(wc -l <"$tmp/bad/stderr")" -eq 1 ] || why+=("stderr is not one line: $(one_line "$tmp/bad/stderr")")
    grep -q '^rnnc: ' "$tmp/bad/stderr" || why+=("stderr does not start with 'rnnc: '")
    [ ! -s "$tmp/bad/stdout" ] || why+=("stdout: $(one_line "$tmp/bad/stdout")")
    [ -z "$(ls -A "$tmp/bad/out")" ] || why+=("wrote $(ls -A "$tmp/bad/out" | tr '\n' ' ')")
    [ ! -e "$tmp/bad/new" ] || why+=("created the -o directory")
    if [ ${#why[@]} -eq 0 ]; then
        ok "bad/$name ($(one_line "$tmp/bad/stderr"))"
    else
        fail "bad/$name" "$(printf '%s; ' "${why[@]}")"
    fi
}
mkdir -p "$tmp/bad"
bad missing-checkpoint "$tmp/bad/no-such.ckpt"
printf 'not a checkpoint\n' >"$tmp/bad/text.ckpt"
bad not-a-checkpoint "$tmp/bad/text.ckpt"
: >"$tmp/bad/empty.ckpt"
bad empty-checkpoint "$tmp/bad/empty.ckpt"
if [[ " ${ready[*]} " == *" mdl_f "* ]]; then
    good=$tmp/mdl_f/mdl_f.ckpt
    size=$(wc -c <"$good")
    # One byte in the middle of the weights flipped: the checksum no longer matches.
    cp "$good" "$tmp/bad/flipped.ckpt"
    off=$((size / 2))
    b=$(od -An -tu1 -j $off -N1 "$good" | tr -d ' ')
    printf "$(printf '\\%03o' $(((b ^ 0x40) & 255)))" | dd of="$tmp/bad/flipped.ckpt" bs=1 seek=$off conv=notrunc 2>/dev/null
    bad corrupt-checkpoint-flipped-byte "$tmp/bad/flipped.ckpt"
    head -c $((size - 100)) "$good" >"$tmp/bad/truncated.ckpt"
    bad truncated-checkpoint "$tmp/bad/truncated.ckpt"
    bad name-with-minus "$good" --name 'my-model'
    bad name-with-semicolon "$good" --name 'a;b'
    bad name-with-space "$good" --name 'a b'
    bad name-with-parenthesis "$good" --name 'f()'
    bad name-starting-with-digit "$good" --name '9lives'
    bad name-keyword "$good" --name 'int'
    bad name-empty "$good" --name ''
    bad name-with-newline "$good" --name "$(printf 'a\nb')"
fi

suite_end
