#!/usr/bin/env bash
# `rnnc equations` agrees with the generated code and with gen/EQUATIONS.md:
#   - every equation comment in `rnnc gen` output appears in `rnnc equations` output for the
#     same spec, and the reverse (the hidden specs below, and every variant of the matrix);
#   - every equation label the generator can emit (the labels "(...)" at the start of each
#     equation line of `rnnc equations` (at tau 1 and 3) and of each comment of `rnnc gen`
#     (tau 3), over recurrence x feedback x loss x act) is defined in gen/EQUATIONS.md (a line of one of
#     its code blocks starts with it), and every label defined there is emitted by some variant;
#   - for each variant, `rnnc equations` prints that variant's equations (its a(t), what it
#     feeds back, (10.18f)/(10.21o)/(10.21f), grad_R, grad_fb(0), grad_h(0), s1) and none of
#     the other variants' labels;
#   - --expand refuses what it cannot print.  (Golden files of both are in tests/golden/.)
set -u
t=$TESTS_TMP/equations
mkdir -p "$t"
fail=0
doc=$(cd "$(dirname "$0")/../.." && pwd)/gen/EQUATIONS.md

# An equation label: (10.8), (10.8o), (10.11t), (h0), (fb0), (s1); labels may be joined by a
# slash or a dash: "(10.19)/(10.21) ...", "(10.8)-(10.9) for one column".
LB='\(([0-9]+\.[0-9]+[a-z]?|[a-z][a-z0-9]*)\)'
LC="$LB([-/]$LB)*"
# code_eqs FILE.c: the whole-line comments that start with labels (one equation each).
code_eqs() { sed -nE "s#^[[:space:]]*/\* ($LC .*) \*/\$#\1#p" "$1" | sort -u; }
# text_eqs FILE: the equation lines of `rnnc equations` output.
text_eqs() { sed -nE "s#^[[:space:]]+($LC .*)\$#\1#p" "$1" | sort -u; }
# labels: the labels at the start of each line of stdin ("/* (a)-(b) ..." and "(a) ..." lines),
# one per line.
labels() {
    sed -nE "s#^[[:space:]]*(/\*[[:space:]]*)?($LC)([[:space:]].*)?\$#\2#p" | grep -oE "$LB" | sort -u
}

# agree_files NAME FILE.c EQ: the code's equation comments and `rnnc equations` are the same set.
agree_files() {
    code_eqs "$2" >"$t/code"
    text_eqs "$3" >"$t/text"
    if [ ! -s "$t/code" ]; then
        echo "FAIL $1: no equation comments found in the generated code"
        fail=1
    elif ! diff "$t/code" "$t/text" >"$t/diff"; then
        echo "FAIL $1: code comments and equations differ:"
        head -n 10 "$t/diff"
        fail=1
    else
        echo "ok $1 ($(wc -l <"$t/code") equations)"
    fi
}
# agree NAME SPEC...: the same, generating both.
agree() {
    local name=$1
    shift
    rm -rf "$t/gen"
    if ! "$RNNC" gen "$@" -o "$t/gen" >/dev/null 2>"$t/err" || ! "$RNNC" equations "$@" >"$t/eq" 2>>"$t/err"; then
        echo "FAIL $name: $(head -c 300 "$t/err")"
        fail=1
        return 1
    fi
    agree_files "$name" "$t"/gen/rnn.c "$t/eq"
}

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
    # shellcheck disable=SC2086
    agree "equations-agree/${spec// /_}" $spec
done

# ---- The labels of gen/EQUATIONS.md: the first label of each line of a code block (indented
# by four spaces or more, or inside ``` fences). ----
awk '/^```/ { fence = !fence; next } fence || /^    / { print }' "$doc" | labels >"$t/defined"
if [ -s "$t/defined" ]; then
    echo "ok equations/doc-defines-labels ($(wc -l <"$t/defined"): $(tr '\n' ' ' <"$t/defined"))"
else
    echo "FAIL equations/doc-defines-labels: no label found in the code blocks of $doc"
    fail=1
fi

# ---- Every variant: recurrence x feedback x loss x act. ----
# expect NAME FILE +TEXT|-LABEL...: FILE (rnnc equations output) contains each +TEXT, and no
# equation line of it starts with -LABEL.
expect() {
    local name=$1 file=$2 w why=()
    shift 2
    labels <"$file" >"$t/emitted1"
    for w in "$@"; do
        case $w in
        +*) grep -qF -- "${w#+}" "$file" || why+=("missing '${w#+}'") ;;
        -*) grep -qxF -- "${w#-}" "$t/emitted1" && why+=("has ${w#-}") ;;
        esac
    done
    if [ ${#why[@]} -eq 0 ]; then
        echo "ok $name"
    else
        echo "FAIL $name: $(printf '%s; ' "${why[@]}")"
        fail=1
    fi
}
: >"$t/emitted"
for rec in hidden output both; do
for fb in teacher free scheduled; do
    [ $rec = hidden ] && [ $fb != teacher ] && continue
    var=(--recurrence $rec --feedback $fb)
    [ $rec = hidden ] && var=()
for loss in nll mse; do
for act in tanh relu sigmoid; do
    if [ $loss = nll ]; then dims=(--vocab 4); else dims=(--in 3 --out 2); fi
    v="$rec/$fb/$loss/$act"
    for tau in 1 3; do
        spec=("${dims[@]}" --hidden 3 --tau $tau --act $act --loss $loss "${var[@]}")
        # (The code's comments do not depend on tau but for (10.18f), which needs tau > 1.)
        rm -rf "$t/gen"
        if ! { [ $tau = 1 ] || "$RNNC" gen "${spec[@]}" -o "$t/gen" >/dev/null 2>"$t/err"; } ||
            ! "$RNNC" equations "${spec[@]}" >"$t/eq$tau" 2>>"$t/err"; then
            echo "FAIL equations/variant/$v/tau$tau: $(head -c 300 "$t/err")"
            fail=1
            continue
        fi
        { labels <"$t/eq$tau"; [ $tau = 1 ] || grep -E '^[[:space:]]*/\*' "$t/gen/rnn.c" | labels; } | sort -u >"$t/these"
        cat "$t/these" >>"$t/emitted"
        undefined=$(comm -23 "$t/these" "$t/defined" | tr '\n' ' ')
        if [ -z "$undefined" ]; then
            echo "ok equations/labels-defined/$v/tau$tau ($(wc -l <"$t/these") labels)"
        else
            echo "FAIL equations/labels-defined/$v/tau$tau: not defined in gen/EQUATIONS.md: $undefined"
            fail=1
        fi
        # The code and `rnnc equations` agree for the new family too.
        [ $rec != hidden ] && [ $tau = 3 ] && agree_files "equations-agree/$v" "$t/gen/rnn.c" "$t/eq3"
    done
    # What this variant's equations must say (tau 3, so (10.18f) has steps to appear at).
    e=$t/eq3
    case $rec in
    hidden) want=(+"(10.8) a(1) = b + W h(0) + U x(1)" +"(10.26) grad_W = sum_t d(t) h(t-1)^T"
                  +"(h0) grad_h(0) = W^T d(1)" +"(s1) s1 = h(3):" -"(10.8o)" -"(10.8b)" -"(10.26r)" -"(fb0)"
                  -"(10.11t)" -"(10.11f)" -"(10.11s)" -"(10.18f)" -"(10.21o)" -"(10.21f)") ;;
    output) want=(+"(10.8o) b + U x(t), t = 1..3"
                  +"(10.26r) grad_R = sum_t d(t) fb(t-1)^T" +"(fb0) grad_fb(0) = R^T d(1)"
                  +"(s1) s1 = h(3), fb(3)" -"(10.8)" -"(10.8b)" -"(10.26)" -"(h0)") ;;
    both) want=(+"(10.8b) a(1) = b + W h(0) + R fb(0) + U x(1)" +"(10.8b) a(3) = b + W h(2) + R fb(2) + U x(3)"
                +"(10.26) grad_W = sum_t d(t) h(t-1)^T" +"(10.26r) grad_R = sum_t d(t) fb(t-1)^T"
                +"(h0) grad_h(0) = W^T d(1)" +"(fb0) grad_fb(0) = R^T d(1)" +"(s1) s1 = h(3), fb(3)"
                +"grad_h(1) = W^T d(2) + V^T g_o(1)" -"(10.8)" -"(10.8o)" -"(10.21o)") ;;
    esac
    if [ $rec != hidden ]; then
        case $fb/$loss in
        teacher/nll) want+=(+"(10.11t) fb(t) = e_y(t)" -"(10.11f)" -"(10.11s)" -"(10.18f)" -"(10.21f)") ;;
        teacher/mse) want+=(+"(10.11t) fb(t) = y(t)" -"(10.11f)" -"(10.11s)" -"(10.18f)" -"(10.21f)") ;;
        free/nll) want+=(+"(10.11f) fb(1) = p(1)" +"(10.11f) fb(3) = p(3)"
                         +"(10.18f) g_o(2) += p(2) (.) (r(2) - (p(2)^T r(2)) 1), r(2) = R^T d(3)"
                         +"(10.18f) g_o(1) += p(1) (.) (r(1) - (p(1)^T r(1)) 1), r(1) = R^T d(2)"
                         -"(10.11t)" -"(10.11s)" -"(10.21o)") ;;
        free/mse) want+=(+"(10.11f) fb(1) = o(1)" +"(10.11f) fb(3) = o(3)"
                         +"(10.18f) g_o(2) += r(2), r(2) = R^T d(3)" +"(10.18f) g_o(1) += r(1), r(1) = R^T d(2)"
                         -"(10.11t)" -"(10.11s)" -"(10.21o)") ;;
        scheduled/nll) want+=(+"(10.11s) fb(1) = e_y(1) or e_s(1), s(1) ~ p(1)" +"(10.11s) fb(3) ="
                              -"(10.11t)" -"(10.11f)" -"(10.18f)" -"(10.21f)") ;;
        scheduled/mse) want+=(+"(10.11s) fb(1) = y(1) or o(1)" +"(10.11s) fb(3) ="
                              -"(10.11t)" -"(10.11f)" -"(10.18f)" -"(10.21f)") ;;
        esac
        case $rec/$fb in
        output/teacher) want+=(+"(10.8o) R fb(t-1), t = 1..3" +"(10.21o) grad_h(t) = V^T g_o(t), t = 1..3") ;;
        output/free) want+=(+"(10.8o) a(1) = b + R fb(0) + U x(1)" +"(10.8o) a(3) = b + R fb(2) + U x(3)"
                            +"(10.21f) grad_h(3) = V^T g_o(3)" +"(10.21f) grad_h(1) = V^T g_o(1)") ;;
        output/scheduled) want+=(+"(10.8o) a(1) = b + R fb(0) + U x(1)" +"(10.8o) a(3) = b + R fb(2) + U x(3)"
                                 +"(10.21o) grad_h(t) = V^T g_o(t), t = 1..3") ;;
        esac
    fi
    expect "equations/variant/$v" "$e" "${want[@]}"
done; done; done; done

# The gated cells (section 10.10.1): their labels, emitted by `equations` and the code's comments,
# are defined too.
for cell in gru lstm; do
for loss in nll mse; do
    if [ $loss = nll ]; then dims=(--vocab 4); else dims=(--in 3 --out 2); fi
    v="$cell/$loss"
    spec=("${dims[@]}" --hidden 3 --tau 3 --cell $cell --loss $loss)
    rm -rf "$t/gen"
    if ! "$RNNC" gen "${spec[@]}" -o "$t/gen" >/dev/null 2>"$t/err" ||
        ! "$RNNC" equations "${spec[@]}" >"$t/eq" 2>>"$t/err"; then
        echo "FAIL equations/cell/$v: $(head -c 300 "$t/err")"
        fail=1
        continue
    fi
    { labels <"$t/eq"; grep -E '^[[:space:]]*/\*' "$t/gen/rnn.c" | labels; } | sort -u >"$t/these"
    cat "$t/these" >>"$t/emitted"
    undefined=$(comm -23 "$t/these" "$t/defined" | tr '\n' ' ')
    if [ -z "$undefined" ]; then
        echo "ok equations/labels-defined/$v ($(wc -l <"$t/these") labels)"
    else
        echo "FAIL equations/labels-defined/$v: emitted but not defined in gen/EQUATIONS.md: $undefined"
        fail=1
    fi
done; done

# Every label gen/EQUATIONS.md defines is emitted by some variant (no dead definitions).
sort -u "$t/emitted" -o "$t/emitted"
unused=$(comm -23 "$t/defined" "$t/emitted" | tr '\n' ' ')
if [ -z "$unused" ]; then
    echo "ok equations/every-defined-label-emitted ($(wc -l <"$t/emitted") labels)"
else
    echo "FAIL equations/every-defined-label-emitted: defined in gen/EQUATIONS.md but never emitted: $unused"
    fail=1
fi

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
