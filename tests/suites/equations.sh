#!/usr/bin/env bash
# `rnnc equations` agrees with the generated code: every equation comment in `rnnc gen`
# output appears in `rnnc equations` output for the same spec, and the reverse; --expand
# refuses what it cannot print.  (Golden files of both are in tests/golden/.)
set -u
t=$TESTS_TMP/equations
mkdir -p "$t"
fail=0
specs=(
    "--vocab 4 --hidden 3 --tau 1"
    "--vocab 4 --hidden 3 --tau 3"
    "--vocab 7 --hidden 5 --tau 6 --batch 2 --act relu"
    "--in 3 --out 2 --hidden 4 --tau 4 --act sigmoid --loss mse"
    "--in 3 --out 4 --hidden 2 --tau 9 --loss nll --dtype double"
    "--vocab 4 --hidden 3 --tau 3 --cell lstm"
    "--in 3 --out 2 --hidden 4 --tau 4 --loss mse --cell gru --batch 2"
)
for spec in "${specs[@]}"; do
    name="equations-agree/${spec// /_}"
    rm -rf "$t/gen"
    # shellcheck disable=SC2086
    if ! "$RNNC" gen $spec -o "$t/gen" >/dev/null 2>"$t/err" || ! "$RNNC" equations $spec >"$t/eq" 2>>"$t/err"; then
        echo "FAIL $name: $(head -c 300 "$t/err")"
        fail=1
        continue
    fi
    # Equation comments: whole-line comments that start with an equation number.
    # (Numbers may be joined by a slash: "(10.19)/(10.21) ...".)
    sed -n 's|^[[:space:]]*/\* \(([0-9.]*[0-9])\(/([0-9.]*[0-9])\)* .*\) \*/$|\1|p; s|^[[:space:]]*/\* \((h0) .*\) \*/$|\1|p' \
        "$t"/gen/rnn.c | sort -u >"$t/code"
    sed -n 's/^[[:space:]]*\(([0-9.h]*[0-9h0])\(\/([0-9.]*[0-9])\)* .*\)$/\1/p' "$t/eq" | sort -u >"$t/text"
    if [ ! -s "$t/code" ]; then
        echo "FAIL $name: no equation comments found in the generated code"
        fail=1
    elif ! diff "$t/code" "$t/text" >"$t/diff"; then
        echo "FAIL $name: code comments and equations differ:"
        head -n 10 "$t/diff"
        fail=1
    else
        echo "ok $name ($(wc -l <"$t/code") equations)"
    fi
done

# --expand: unknown nodes and large tau are refused with one line and status 2.
expect_refusal() {
    local name=$1
    shift
    "$RNNC" equations "$@" >"$t/out" 2>"$t/err"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$t/err")" -eq 1 ] && grep -q -- '--expand' "$t/err" && [ ! -s "$t/out" ]; then
        echo "ok $name"
    else
        echo "FAIL $name: status $rc, stderr: $(head -c 200 "$t/err")"
        fail=1
    fi
}
expect_refusal expand/refuses-large-tau --vocab 4 --hidden 3 --tau 25 --expand h1
expect_refusal expand/refuses-unknown-node --vocab 4 --hidden 3 --tau 3 --expand q
expect_refusal expand/refuses-node-past-tau --vocab 4 --hidden 3 --tau 3 --expand h4
expect_refusal expand/refuses-W-without-hidden-recurrence --vocab 4 --hidden 3 --tau 3 --recurrence output --expand W
expect_refusal expand/refuses-R-without-output-recurrence --vocab 4 --hidden 3 --tau 3 --expand R
expect_refusal expand/refuses-fb0-without-output-recurrence --vocab 4 --hidden 3 --tau 3 --expand fb0
expect_refusal expand/refuses-lstm --vocab 4 --hidden 3 --tau 3 --cell lstm --expand h1
expect_refusal expand/refuses-gru --vocab 4 --hidden 3 --tau 3 --cell gru --expand W

# Each expansion term is one line, and grad_h(t) has tau - t + 1 terms.
"$RNNC" equations --vocab 4 --hidden 3 --tau 6 --expand h2 >"$t/x" 2>&1
n=$(grep -c 'V^T g_o(' "$t/x")
if [ "$n" -eq 5 ]; then echo "ok expand/term-count-h2-tau6"; else echo "FAIL expand/term-count-h2-tau6: $n terms"; fail=1; fi
# The output recurrence (figure 10.4): with teacher forcing (or scheduled sampling) fb(t) is
# data and grad_h(t) is its own step's term alone (10.21o); free running and both with free
# running reach back from every later step again, and every step of both reaches h(0).
# expand_count NAME WANT SPEC...: the number of terms (lines "NODE = ..." or "  + ...", not
# the "where" lines after them) of the expansion.
expand_count() {
    local name=$1 want=$2 n
    shift 2
    "$RNNC" equations "$@" >"$t/x" 2>&1
    n=$(grep -cE '^(grad_[^ ]* = | +\+ ).*V\^T g_o\(' "$t/x")
    if [ "$n" -eq "$want" ]; then echo "ok expand/$name"; else echo "FAIL expand/$name: $n terms, not $want"; fail=1; fi
}
for fb in teacher scheduled; do
    expand_count term-count-output-$fb-h2-tau6 1 --vocab 4 --hidden 3 --tau 6 --recurrence output --feedback $fb --expand h2
    expand_count term-count-output-$fb-R-tau6 6 --vocab 4 --hidden 3 --tau 6 --recurrence output --feedback $fb --expand R
done
expand_count term-count-output-free-h2-tau6 5 --vocab 4 --hidden 3 --tau 6 --recurrence output --feedback free --expand h2
expand_count term-count-output-free-fb0-tau6 6 --vocab 4 --hidden 3 --tau 6 --recurrence output --feedback free --expand fb0
expand_count term-count-both-teacher-h0-tau6 6 --vocab 4 --hidden 3 --tau 6 --recurrence both --expand h0
expand_count term-count-both-free-W-tau6 21 --vocab 4 --hidden 3 --tau 6 --recurrence both --feedback free --expand W
"$RNNC" equations --vocab 4 --hidden 3 --tau 3 --recurrence output --expand h0 >"$t/x" 2>&1
if grep -q '^grad_h(0) = 0 ' "$t/x"; then
    echo "ok expand/output-h0-is-zero"
else
    echo "FAIL expand/output-h0-is-zero: $(head -c 200 "$t/x")"
    fail=1
fi
exit $fail
