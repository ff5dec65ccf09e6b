#!/usr/bin/env bash
# tests/suites/compilers.sh: the generated C is clean, portable C99.
#   - the min-char-rnn model (vocab 65, hidden 100, tau 25), a dense double relu mse model,
#     a batch split in two parts (18)
#     and the golden specs compile with gcc and clang (-std=c99 -Wall -Wextra -pedantic
#     -Werror -c) and with tcc (-Wall -Werror -c); a missing clang or tcc is a "skip";
#   - a C99 driver linked against the min-char model (gcc -O3 -march=native) runs forward,
#     backward and step on zero buffers: the loss is tau*log(vocab) (uniform softmax), only
#     grad_c is non-zero, step outputs the uniform distribution;
#   - the generated source grows linearly with tau;
#   - templates/rnn.c (with templates/rnn.h next to it) compiles on its own;
#   - RNNC_CC=clang works as rnnc's cc backend.
# Also prints (does not assert) the wall time of gcc -O3 -march=native on the min-char model.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory).
. "$(dirname "$0")/../lib/suite.sh" ""
# first_lines FILE: the start of a compiler's output, on one line.
first_lines() { head -n 4 "$1" | cut -c 1-200 | tr '\n' ' '; }

C99_FLAGS=(-std=c99 -Wall -Wextra -pedantic -Werror)

# ---- Generate the models. ----
src=$tmp/src
mkdir -p "$src"
models=()
# gen_model NAME ARG...: rnnc gen ARG... --name NAME -o $src; adds NAME to models.
gen_model() {
    local name=$1
    shift
    if "$RNNC" gen "$@" --name "$name" -o "$src" >"$tmp/gen.out" 2>&1 &&
        [ -f "$src/$name.c" ] && [ -f "$src/$name.h" ]; then
        models+=("$name")
    else
        fail "compilers/gen/$name" "rnnc gen $* --name $name failed: $(first_lines "$tmp/gen.out")"
    fi
}
gen_model minchar --vocab 65 --hidden 100 --tau 25
gen_model dense_relu_mse --in 8 --out 4 --hidden 16 --tau 5 --batch 2 --act relu --loss mse --dtype double
gen_model two_parts --vocab 11 --hidden 21 --tau 4 --batch 18 --act sigmoid   # split in two batch parts
for f in tests/golden/*.golden; do
    line=$(head -n 1 "$f")
    case $line in
    "rnnc gen "*) ;;
    "rnnc equations "*) continue ;; # text output, no source to compile
    *) fail "compilers/gen/$(basename "$f")" "no command line"; continue ;;
    esac
    read -r -a words <<<"${line#rnnc gen }"
    # The golden command names the model; keep its name (drop --name VALUE, re-add it).
    args=()
    name=$(basename "$f" .golden)
    skipnext=0
    for w in "${words[@]}"; do
        if [ $skipnext = 1 ]; then name=$w; skipnext=0; continue; fi
        case $w in --name) skipnext=1 ;; --name=*) name=${w#--name=} ;; *) args+=("$w") ;; esac
    done
    gen_model "$name" "${args[@]}"
done

# ---- Compile every model with every compiler. ----
# compile_all LABEL CMD...: CMD -c MODEL.c -o OBJ for each model.
compile_all() {
    local label=$1
    shift
    local m
    for m in "${models[@]}"; do
        if (cd "$src" && "$@" -c "$m.c" -o "$tmp/$label-$m.o") >"$tmp/cc.out" 2>&1 &&
            [ -s "$tmp/$label-$m.o" ]; then
            ok "compilers/$label/$m"
        else
            fail "compilers/$label/$m" "$* -c $m.c: $(first_lines "$tmp/cc.out")"
        fi
    done
}
if command -v gcc >/dev/null 2>&1; then
    compile_all gcc gcc "${C99_FLAGS[@]}"
else
    fail "compilers/gcc" "gcc not found (it is required)"
fi
if command -v clang >/dev/null 2>&1; then
    compile_all clang clang "${C99_FLAGS[@]}"
else
    echo "skip compilers/clang: clang not found (apt-get install clang)"
fi
if command -v tcc >/dev/null 2>&1; then
    compile_all tcc tcc -Wall -Werror
else
    echo "skip compilers/tcc: tcc not found (apt-get install tcc)"
fi

# ---- The min-char model, optimized, linked with a driver. ----
cat >"$tmp/driver.c" <<'EOF'
/* Zero weights, zero h0, every input and target class 0: every softmax is uniform, so
 * L = tau * B * log(V); h(t) = 0 for all t, so every gradient is zero except
 * grad_c = sum_t (p(t) - e_y(t)) = tau * B * (1/V - [i == 0]); step gives p = 1/V. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "minchar.h"

static void *blocks[8];
static int nblocks;

/* n zero bytes on a 64-byte boundary. */
static void *zalloc(size_t n)
{
    unsigned char *p = calloc(n + 64, 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(3);
    }
    blocks[nblocks++] = p;
    return p + (64 - (uintptr_t)p % 64) % 64;
}

int main(void)
{
    minchar_real *params = zalloc(MINCHAR_PARAMS_BYTES);
    minchar_real *grads = zalloc(MINCHAR_GRADS_BYTES);
    minchar_real *ws = zalloc(MINCHAR_WORKSPACE_BYTES);
    minchar_input *x = zalloc(MINCHAR_X_BYTES);
    minchar_target *y = zalloc(MINCHAR_Y_BYTES);
    minchar_real *h0 = zalloc(MINCHAR_S0_BYTES);
    minchar_real *h_out = zalloc(MINCHAR_HIDDEN * sizeof(minchar_real));
    minchar_real *out = zalloc(MINCHAR_N_OUT * sizeof(minchar_real));
    const double V = MINCHAR_N_IN, steps = (double)MINCHAR_TAU * MINCHAR_BATCH;
    const double want = steps * log(V);
    int bad = 0;
    size_t i;

    double loss = (double)minchar_forward(params, x, y, h0, ws);
    printf("loss %.9g, want tau*log(vocab) = %.9g, diff %.3g\n", loss, want, loss - want);
    if (!(fabs(loss - want) <= 1e-4)) {
        printf("loss differs by more than 1e-4\n");
        bad = 1;
    }

    minchar_backward(params, x, y, ws, grads);
    double worst = 0;
    size_t worst_i = 0;
    for (i = 0; i < MINCHAR_PARAMS_COUNT; i++) {
        double g = 0;
        if (i >= MINCHAR_OFF_C && i < MINCHAR_OFF_C + MINCHAR_N_OUT)
            g = steps * (1 / V - (i == MINCHAR_OFF_C ? 1 : 0));
        double e = fabs((double)grads[i] - g);
        if (!(e <= worst)) {
            worst = e;
            worst_i = i;
        }
    }
    printf("gradients: max |error| %.3g (at %zu)\n", worst, worst_i);
    if (!(worst <= 1e-4)) {
        printf("gradient error over 1e-4\n");
        bad = 1;
    }

    minchar_step(params, x, h0, h_out, out);
    worst = 0;
    for (i = 0; i < MINCHAR_N_OUT; i++)
        if (!(fabs((double)out[i] - 1 / V) <= worst)) worst = fabs((double)out[i] - 1 / V);
    for (i = 0; i < MINCHAR_HIDDEN; i++)
        if (!(fabs((double)h_out[i]) <= worst)) worst = fabs((double)h_out[i]);
    printf("step: max |error| %.3g\n", worst);
    if (!(worst <= 1e-6)) {
        printf("step output is not uniform / h not zero\n");
        bad = 1;
    }

    while (nblocks > 0) free(blocks[--nblocks]);
    printf("%s\n", bad ? "FAILED" : "passed");
    return bad;
}
EOF
has_model() {
    local m
    for m in "${models[@]}"; do [ "$m" = "$1" ] && return 0; done
    return 1
}
if ! has_model minchar; then
    fail "compilers/driver/minchar" "the min-char model was not generated"
elif ! command -v gcc >/dev/null 2>&1; then
    fail "compilers/driver/minchar" "gcc not found"
else
    t0=$(date +%s%N)
    (cd "$src" && gcc -std=c99 -O3 -march=native -c minchar.c -o "$tmp/minchar-O3.o") >"$tmp/o3.out" 2>&1
    rc=$?
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    echo "# time: gcc -O3 -march=native -c on the min-char source (vocab 65, hidden 100, tau 25, $(wc -c <"$src/minchar.c") bytes): $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s"
    if [ $rc -ne 0 ]; then
        fail "compilers/driver/minchar" "gcc -O3 -march=native -c minchar.c: $(first_lines "$tmp/o3.out")"
    elif ! gcc "${C99_FLAGS[@]}" -O2 -I"$src" -o "$tmp/driver" "$tmp/driver.c" "$tmp/minchar-O3.o" -lm \
        >"$tmp/ld.out" 2>&1; then
        fail "compilers/driver/minchar" "building the driver: $(first_lines "$tmp/ld.out")"
    elif "$tmp/driver" >"$tmp/run.out" 2>&1; then
        ok "compilers/driver/minchar"
        sed 's/^/# driver: /' "$tmp/run.out" | grep -v 'passed$'
    else
        fail "compilers/driver/minchar" "$(tr '\n' ';' <"$tmp/run.out")"
    fi
fi

# ---- Source size is linear in tau. ----
# size_at TAU ARG...: bytes of the generated .c (raw, or with each run of digits counted as
# one character when NORM=1).
size_at() {
    local t=$1
    shift
    local d=$tmp/tau$t
    rm -rf "$d"
    mkdir -p "$d"
    "$RNNC" gen "$@" --tau "$t" --name lin -o "$d" >/dev/null 2>"$tmp/lin.err" || {
        echo -1
        return
    }
    if [ "${NORM:-0}" = 1 ]; then
        sed 's/[0-9][0-9]*/0/g' "$d/lin.c" | wc -c
    else
        wc -c <"$d/lin.c"
    fi
}
# linear LABEL ARG...: size(40)-size(20) == 2*(size(20)-size(10)).
linear() {
    local label=$1
    shift
    local s10 s20 s40
    s10=$(size_at 10 "$@")
    s20=$(size_at 20 "$@")
    s40=$(size_at 40 "$@")
    if [ "$s10" -lt 0 ] || [ "$s20" -lt 0 ] || [ "$s40" -lt 0 ]; then
        fail "compilers/$label" "rnnc gen $* failed: $(first_lines "$tmp/lin.err")"
        return
    fi
    local d1=$((s20 - s10)) d2=$((s40 - s20))
    local unit="bytes"
    [ "${NORM:-0}" = 1 ] && unit="characters (each number counted as one)"
    echo "# size ($*): .c $unit at tau 10/20/40: $s10 $s20 $s40; $((d1 / 10)) per step"
    if [ "$d2" -eq $((2 * d1)) ] && [ "$d1" -gt 0 ]; then
        ok "compilers/$label"
    else
        fail "compilers/$label" "size(40)-size(20) = $d2, 2*(size(20)-size(10)) = $((2 * d1)) ($*)"
    fi
}
# Raw bytes: exact only when every number a step prints has as many digits at tau 10, 20
# and 40 (offsets t*B*H, t*B*K, byte sizes 4*tau*B in the banner): these dimensions are
# chosen so (e.g. B*H = 100, x bytes 1000/2000/4000).
linear size-linear-in-tau --vocab 4 --hidden 4 --batch 25
# The min-char dimensions: offsets there change digit counts between steps, so compare the
# sizes with every number counted as one character (the text itself must be linear).
NORM=1 linear size-linear-in-tau-min-char-digits-normalized --vocab 65 --hidden 100
# For the record, the raw min-char growth.
r10=$(size_at 10 --vocab 65 --hidden 100)
r20=$(size_at 20 --vocab 65 --hidden 100)
r40=$(size_at 40 --vocab 65 --hidden 100)
echo "# size (min-char, raw): .c bytes at tau 10/20/40: $r10 $r20 $r40; $(((r40 - r20) / 20)) bytes per step from tau 20 to 40"

# ---- RNNC_CC=clang as the cc backend (its own diagnostics flags): the gradient check passes. ----
if command -v clang >/dev/null 2>&1; then
    if RNNC_CC=clang "$RNNC" check --vocab 5 --hidden 3 --tau 2 --backend cc >"$tmp/clangcc.out" 2>&1; then
        ok "compilers/rnnc-cc-clang"
    else
        fail "compilers/rnnc-cc-clang" "RNNC_CC=clang rnnc check --backend cc: $(first_lines "$tmp/clangcc.out")"
    fi
else
    echo "skip compilers/rnnc-cc-clang: clang not found (apt-get install clang)"
fi

# ---- The templates compile on their own. ----
for cc in gcc clang; do
    if ! command -v $cc >/dev/null 2>&1; then
        echo "skip compilers/templates/$cc: $cc not found"
        continue
    fi
    if $cc "${C99_FLAGS[@]}" -c templates/rnn.c -o "$tmp/template-$cc.o" >"$tmp/tmpl.out" 2>&1; then
        ok "compilers/templates/$cc"
    else
        fail "compilers/templates/$cc" "$cc ${C99_FLAGS[*]} -c templates/rnn.c: $(first_lines "$tmp/tmpl.out")"
    fi
done

suite_end
