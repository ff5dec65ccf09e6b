#!/usr/bin/env bash
# `rnnc check` over the matrix every act x loss x dtype x input (one-hot, dense) x batch
# {1,3} x tau {1,2,9} x backend {tcc,cc}: the generated BPTT against central finite
# differences in double.  Tolerances are rnnc check's own (printed by it): double
# 1e-7 relative (+1e-8 absolute), float 1e-3 relative (+1e-5 absolute).
set -u
cases=$TESTS_TMP/check-cases
: >"$cases"
seed=1
for backend in tcc cc; do
for act in tanh relu sigmoid; do
for loss in nll mse; do
for dtype in float double; do
for input in "--vocab 6" "--in 4 --out 3"; do
for batch in 1 3; do
for tau in 1 2 9; do
    echo "$input --hidden 5 --tau $tau --batch $batch --act $act --loss $loss --dtype $dtype --backend $backend --seed $seed" >>"$cases"
    seed=$((seed + 1))
done; done; done; done; done; done; done

run_case() {
    local args=$1 out
    # shellcheck disable=SC2086
    if out=$("$RNNC" check $args 2>&1); then
        echo "ok check/$args"
    else
        echo "FAIL check/$args:"
        echo "$out" | sed 's/^/    /'
    fi
}
export -f run_case
# Two at a time: the machine has two cores and the cc cases spend their time in the compiler.
tr '\n' '\0' <"$cases" | xargs -0 -P 2 -I{} bash -c 'run_case "$1"' _ {} >"$TESTS_TMP/check.out"
cat "$TESTS_TMP/check.out"
! grep -q '^FAIL' "$TESTS_TMP/check.out"
