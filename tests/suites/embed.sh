#!/usr/bin/env bash
# tests/suites/embed.sh: `rnnc embed`, the inference-only model, end to end.  Thirteen small
# checkpoints are trained here on generated data (bytes/float, bytes/double, a dense CSV mse
# model, UTF-8 text with non-ASCII characters, sigmoid, relu trained with batch 2, --fast, and
# the output-recurrent family of figure 10.4: output/teacher bytes, both/free double bytes,
# output/teacher dense CSV mse; and the gated cells: LSTM bytes, GRU double bytes, LSTM dense
# CSV mse, whose state carries c), each is embedded, and:
#   - the embedded NAME.c compiles warning-free (-std=c99 -Wall -Wextra -pedantic -Werror)
#     with gcc and clang, with tcc (-Wall -Werror), and with gcc -ffreestanding;
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
#   - with an output recurrence, NAME_step runs free (the reference feeds back the step's own
#     output too), and NAME_step_forced (teacher-forced inference: e_y_prev or y_prev fed back)
#     is bit-identical to the reference run with `forced` over 400 steps, with gcc, clang and
#     tcc; a model without one declares no NAME_step_forced;
#   - NAME_sample with rnnc's splitmix64 uniforms prints the same bytes as `rnnc sample`, at
#     temperature 1 and 0.7, for every one-hot model but the --fast one, the output-recurrent
#     ones feeding back each sampled symbol as e_s in both, and with --prime for the bytes
#     models (the prime read teacher-forced: NAME_step_forced) (and examples/embed/main.c
#     does too);
#   - bad inputs (missing or corrupt checkpoint, --name that is not a C identifier) exit 2
#     with one line and write nothing.
# Prints "ok embed/CASE", "FAIL embed/CASE: why" or "skip embed/CASE: why"; exits 1 if any
# case failed.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR (compile
# cache), TEST_BIN (the built test programs: test_embed_ref).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RNNC=${RNNC:-$ROOT/rnnc}
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
TEST_BIN=${TEST_BIN:-$ROOT/out/obj/tests}
tmp=$(mktemp -d "${TESTS_TMP:-${TMPDIR:-/tmp}}/suite_embed.XXXXXX") || exit 1
trap '[ "$BASHPID" = "$$" ] && rm -rf "$tmp"' EXIT
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
failed=0
STRICT=(-std=c99 -Wall -Wextra -pedantic -Werror)
STEPS=400

ok() { echo "ok embed/$1"; }
fail() {
    echo "FAIL embed/$1: $2"
    failed=1
}
skip() { echo "skip embed/$1: $2"; }
# rn ARG...: rnnc with a time limit (a hang is a failure, not a stuck suite).
rn() { timeout -k 5 120 "$RNNC" "$@"; }
# one_line FILE: the file's content on one line, shortened, for messages.
one_line() { head -c 400 "$1" | tr '\n' '~' | sed 's/~$//; s/~/\\n/g'; }
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
static double uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

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
        st.temperature = strtod(argv[4], NULL);
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
)
REF=$TEST_BIN/test_embed_ref
if [ ! -x "$REF" ]; then
    fail "reference-program" "$REF is missing (make tests-bin)"
fi

for m in "${ready[@]}"; do
    d=$tmp/$m
    U=$(tr '[:lower:]' '[:upper:]' <<<"$m")
    sed "s/UNAME/$U/g; s/NAME/$m/g" "$tmp/driver.c.in" >"$d/driver.c"
    mathfns=$(sed -n "s/^#define ${U}_MATH_FUNCTIONS \"\([^\"]*\)\".*/\1/p" "$d/$m.h")
    if [ -z "$mathfns" ]; then
        fail "$m/math-functions" "no ${U}_MATH_FUNCTIONS in $m.h"
    else
        ok "$m/math-functions ($mathfns)"
    fi

    # -- compiles warning-free; no allocator, no undefined symbol beyond the math functions
    for tag in gcc clang gcc-freestanding tcc; do
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
    for tag in gcc clang tcc; do
        what=outputs-bit-identical-$tag
        [ $fast = 1 ] && what=outputs-close-$tag
        case $tag in
        gcc) cmd=(gcc "${STRICT[@]}" -O2) ;;
        clang) cmd=(clang "${STRICT[@]}" -O2) ;;
        tcc) cmd=(tcc -Wall -Werror) ;;
        esac
        have "${cmd[0]}" || { skip "$m/$what" "${cmd[0]} not found"; continue; }
        [ -f "$d/$m.$tag.o" ] || continue
        if ! "${cmd[@]}" -I"$d" -o "$d/drv.$tag" "$d/driver.c" "$d/$m.$tag.o" -lm >"$d/drv.$tag.err" 2>&1; then
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
            for tag in gcc clang tcc; do
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
        "$d/drv.gcc" sample 300 "$seed" "$temp" >"$d/sample.emb"
        if cmp -s "$d/sample.rnnc" "$d/sample.emb"; then
            ok "$name ($(wc -c <"$d/sample.rnnc") bytes)"
        else
            fail "$name" "$(cmp "$d/sample.rnnc" "$d/sample.emb" 2>&1 | head -n 1)"
        fi
    done
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

exit $failed
