#!/usr/bin/env bash
# `rnnc check` over the matrix every act x loss x dtype x input (one-hot, dense) x batch
# {1,3} x tau {1,2,9} x backend {tcc,cc}, and the gated cells' (below): the generated BPTT
# against central finite differences in double.  Tolerances are rnnc check's own (printed by it): double
# 1e-7 relative (+1e-8 absolute), float 1e-3 relative (+1e-5 absolute).
# The output recurrence (--recurrence output|both x --feedback teacher|free|scheduled): with
# tcc every act x loss x dtype x input x batch {1,3} (tau 1, 2, 9 in turn) and batches of two
# parts (16, 18) x loss x dtype; with cc, whose compile takes about a second a case, every
# 11th of the one- and three-column cases (which brings up, for each variant, every value of
# every axis: checked by enumeration) and one two-part case per variant (loss and dtype in
# turn): 33 cases in all.
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

n=0
v=0
for rec in output both; do
for fb in teacher free scheduled; do
for act in tanh relu sigmoid; do
for loss in nll mse; do
for dtype in float double; do
for input in "--vocab 6" "--in 4 --out 3"; do
for batch in 1 3; do
    taus=(1 2 9)
    args="$input --hidden 5 --tau ${taus[$((n % 3))]} --batch $batch --act $act --loss $loss --dtype $dtype --recurrence $rec --feedback $fb --seed $seed"
    echo "$args --backend tcc" >>"$cases"
    [ $((n % 11)) = 0 ] && echo "$args --backend cc" >>"$cases"
    n=$((n + 1))
    seed=$((seed + 1))
done; done; done; done
done
k=0
for loss in nll mse; do
for dtype in float double; do
    # Two batch parts with uneven shares (odd sizes), with the tiled kernel's remainders.
    if [ $loss = nll ]; then input="--vocab 9"; batch=18; else input="--in 5 --out 3"; batch=16; fi
    args="$input --hidden 21 --tau 3 --batch $batch --act tanh --loss $loss --dtype $dtype --recurrence $rec --feedback $fb --seed $seed --max-entries 300"
    echo "$args --backend tcc" >>"$cases"
    [ $k = $((v % 4)) ] && echo "$args --backend cc" >>"$cases"
    k=$((k + 1))
    seed=$((seed + 1))
done; done
v=$((v + 1))
done; done

# Batches of 8 columns and more use the register-tiled kernel (tiles of 128 bytes of rows by
# 8 columns, with left-over rows and columns): sizes that leave remainders of both.
for backend in tcc cc; do
for dtype in float double; do
    echo "--vocab 7 --hidden 40 --tau 3 --batch 9 --dtype $dtype --backend $backend --seed $seed --max-entries 300" >>"$cases"
    echo "--in 5 --out 3 --hidden 37 --tau 2 --batch 17 --act relu --loss mse --dtype $dtype --backend $backend --seed $seed --max-entries 300" >>"$cases"
    # Even batches of 16 and more run in two parts with uneven shares of odd sizes.
    echo "--in 5 --out 3 --hidden 37 --tau 2 --batch 18 --act tanh --loss nll --dtype $dtype --backend $backend --seed $seed --max-entries 300" >>"$cases"
    echo "--vocab 9 --hidden 33 --tau 3 --batch 16 --act sigmoid --loss mse --dtype $dtype --backend $backend --seed $seed --max-entries 300" >>"$cases"
    seed=$((seed + 1))
done; done

# The gated cells (--cell gru|lstm, section 10.10.1): cell x loss (nll one-hot, mse dense) x
# dtype x batch {1,3,16 (two parts)} x tau {1,2,9} x backend; sizes with tile remainders; the
# ends they take (eos, halt).
for backend in tcc cc; do
for cell in gru lstm; do
for input in "--vocab 6" "--in 4 --out 3 --loss mse"; do
for dtype in float double; do
for batch in 1 3 16; do
for tau in 1 2 9; do
    echo "$input --hidden 5 --tau $tau --batch $batch --cell $cell --dtype $dtype --backend $backend --seed $seed" >>"$cases"
    seed=$((seed + 1))
done; done; done; done
    echo "--in 5 --out 3 --hidden 37 --tau 3 --batch 18 --cell $cell --dtype double --backend $backend --seed $seed --max-entries 300" >>"$cases"
    echo "--vocab 7 --hidden 6 --tau 4 --batch 3 --cell $cell --end halt --dtype double --backend $backend --seed $seed" >>"$cases"
    echo "--vocab 7 --hidden 6 --tau 4 --batch 3 --cell $cell --end eos --backend $backend --seed $seed" >>"$cases"
    seed=$((seed + 1))
done; done

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

# The tiled kernel gives the same bits on both backends (the loss is printed to 17 digits).
same_loss() {
    local a b
    # shellcheck disable=SC2068
    a=$("$RNNC" check $@ --backend tcc 2>&1 | sed -n 2p | sed 's/.*seed/seed/')
    # shellcheck disable=SC2068
    b=$("$RNNC" check $@ --backend cc 2>&1 | sed -n 2p | sed 's/.*seed/seed/')
    if [ -n "$a" ] && [ "$a" = "$b" ]; then echo "ok check/tcc-equals-cc/$*"; else echo "FAIL check/tcc-equals-cc/$*: '$a' vs '$b'"; return 1; fi
}
rc=0
same_loss --vocab 7 --hidden 40 --tau 3 --batch 9 --max-entries 1 || rc=1
same_loss --in 5 --out 3 --hidden 37 --tau 2 --batch 17 --act sigmoid --loss mse --dtype double --max-entries 1 || rc=1
same_loss --vocab 9 --hidden 33 --tau 3 --batch 18 --max-entries 1 || rc=1
same_loss --vocab 9 --hidden 33 --tau 3 --batch 18 --cell lstm --max-entries 1 || rc=1
same_loss --in 5 --out 3 --hidden 37 --tau 2 --batch 17 --cell gru --loss mse --max-entries 1 || rc=1
same_loss --vocab 9 --hidden 21 --tau 3 --batch 18 --recurrence both --feedback free --max-entries 1 || rc=1
same_loss --in 5 --out 3 --hidden 21 --tau 3 --batch 16 --loss mse --recurrence output --feedback scheduled --dtype double --max-entries 1 || rc=1
[ $rc = 0 ] && ! grep -q '^FAIL' "$TESTS_TMP/check.out"
