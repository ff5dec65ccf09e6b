#!/usr/bin/env bash
# tests/suites/onednn.sh: the oneDNN peer of `make bench` (tests/bench/onednn.c, issue 14) does
# the same work as rnnc.  Builds onednn.c with $CC (-Wall -Wextra -pedantic -Werror) against
# Debian's libdnnl-dev; then for vocab 11, hidden 7, batch {1, 3} x tau {1, 5}, and for
# configuration A's sizes (vocab 65, hidden 100, tau 25) with batch 2: `rnnc check --dump` writes
# a random problem (h(0) non-zero) with the generated BPTT's gradients, tests/bench/
# onednn_check.py splits it into raw files, `onednn --check` computes one forward and backward
# pass with oneDNN's primitives, and every parameter gradient (U, W, V, b, c), grad_h(0) and
# the loss must agree within RTOL = 1e-4, normwise: max |onednn - rnnc| <= RTOL * max(1e-3,
# max |rnnc|) per tensor.  Why 1e-4: both sides are float32 and differ only in summation order
# (oneDNN's GEMM blocking against rnnc's loops); each entry sums at most tau*B*max(H, K) = 325
# products, so rounding differences stay near 1e-6 of the tensor's scale (measured: <= 6e-7),
# while a modelling mistake (a transposed matrix, a missing time step, tanh' or h(0) term)
# moves some entry by a sizeable fraction of it (a transposed W: 0.6).  Also runs the timing
# mode once and checks its last line.  Without libdnnl-dev or python3-numpy it prints one
# "skip" line and exits 0.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), CC (cc), PYTHON.
. "$(dirname "$0")/../lib/suite.sh" onednn
CC=${CC:-cc}
RTOL=1e-4
oneline() { head -c 400 "$1" | tr '\n' ' '; }

if ! printf '#include <oneapi/dnnl/dnnl.h>\n' | $CC -E -x c - >/dev/null 2>&1; then
    echo "skip onednn: libdnnl-dev not installed (apt-get install libdnnl-dev)"
    exit 0
fi
PY=
for p in ${PYTHON:-} /usr/bin/python3 python3; do
    if "$p" -c 'import numpy' >/dev/null 2>&1; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
    echo "skip onednn: python3-numpy not installed (apt-get install python3-numpy), needed to read rnnc's dump"
    exit 0
fi

bin=$tmp/onednn
if $CC -std=c11 -O2 -march=native -Wall -Wextra -pedantic -Werror -o "$bin" tests/bench/onednn.c \
    -ldnnl -lgomp -lm 2>"$tmp/build.err"; then
    ok build
else
    fail build "$(oneline "$tmp/build.err")"
    exit 1
fi

# same_gradients NAME RNNC-CHECK-ARGS...: rnnc's and onednn's gradients of one problem agree.
same_gradients() {
    local name=$1 d=$tmp/$1 dims
    shift
    mkdir -p "$d"
    if ! "$RNNC" check "$@" --dtype float --dump "$d/dump.safetensors" >"$d/check.out" 2>&1; then
        fail "$name" "rnnc check failed: $(tail -n 3 "$d/check.out" | tr '\n' ' ')"
    elif ! dims=$("$PY" tests/bench/onednn_check.py split "$d/dump.safetensors" "$d" 2>"$d/err"); then
        fail "$name" "split: $(oneline "$d/err")"
    elif ! OMP_NUM_THREADS=1 "$bin" --check "$d" $dims >"$d/err" 2>&1; then
        fail "$name" "onednn --check $dims: $(oneline "$d/err")"
    elif "$PY" tests/bench/onednn_check.py compare "$d/dump.safetensors" "$d" $RTOL >"$d/cmp" 2>&1; then
        ok "$name: $(cat "$d/cmp")"
    else
        fail "$name" "$(oneline "$d/cmp")"
    fi
}
for b in 1 3; do
    for t in 1 5; do
        same_gradients "gradients-v11-h7-tau$t-batch$b" --vocab 11 --hidden 7 --tau $t --batch $b --seed $((b * 10 + t))
    done
done
same_gradients gradients-v65-h100-tau25-batch2 --vocab 65 --hidden 100 --tau 25 --batch 2 --max-entries 20

# The timing mode (Adagrad included) runs and ends with make bench's line.
if OMP_NUM_THREADS=1 "$bin" 11 7 5 3 2 0 >"$tmp/bench.out" 2>&1 &&
    tail -n 1 "$tmp/bench.out" | grep -Eq '^median_us=[0-9.]+ min_us=[0-9.]+ max_us=[0-9.]+ gflops=[0-9.]+$'; then
    ok bench-mode
else
    fail bench-mode "$(oneline "$tmp/bench.out")"
fi
suite_end
