#!/usr/bin/env bash
# `rnnc diff HAND.c` with the examples of examples/hand/: correct.c agrees on every spec,
# each classic mistake is caught at the right first node with the right equation
# (missing_dtanh.c and w_not_transposed.c at grad_h(tau-1), (10.21); gradw_uses_ht.c at
# grad_W, (10.26)), over one-hot and dense input, batch 1 and 3, tau 3 and 5, every act,
# both losses, double and float, several seeds, and both backends for some specs.  The
# output recurrence (figure 10.4): output_correct.c agrees for output and both with teacher
# forcing, free running and scheduled sampling; output_gradr_uses_fbt.c is caught at grad_R,
# (10.26r); output_free_no_jacobian.c at g_o(tau-1), (10.18f), with nll and free running only;
# the report lists the nodes the model has and cites (10.21o).  Then the
# failure reports: a syntax error names HAND.c:LINE (through the #line mapping, with and
# without #include "rnnc_hand.h"); a null-pointer write, an exit(), an endless loop and a
# missing rnnc_hand_bptt are reported on one line with exit status 1 while rnnc itself stays
# up; NaN outputs are differences.  `rnnc gen --hand-header` writes the interface;
# `rnnc check --dump` files are read back and recomputed by tests/unit/test_dump.c (hidden
# recurrence); an output-recurrent model's dump is checked for its tensors' names.
. "$(dirname "$0")/../lib/suite.sh" diff
ex=examples/hand

oneline() { tr '\n' '|' | cut -c1-600; }

# diff_case NAME FILE EXPECT ARGS...: EXPECT is "agree" or "NODE|EQUATION".
diff_case() {
    local name=$1 file=$2 expect=$3 out rc
    shift 3
    out=$("$RNNC" diff "$file" "$@" 2>&1)
    rc=$?
    if [ "$expect" = agree ]; then
        if [ "$rc" = 0 ] && grep -q "agrees with the generated BPTT on all" <<<"$out"; then
            ok "$name"
        else
            fail "$name" "exit $rc, expected 0 and agreement: $(oneline <<<"$out")"
        fi
        return
    fi
    local node=${expect%%|*} eq=${expect#*|}
    local first equation last
    first=$(sed -n 's/^first difference: \(.*\), governed by$/\1/p' <<<"$out")
    equation=$(grep -A1 '^first difference:' <<<"$out" | sed -n '2s/^    //p')
    last=$(tail -n 1 <<<"$out")
    if [ "$rc" != 1 ]; then
        fail "$name" "exit $rc, expected 1: $(oneline <<<"$out")"
    elif [ "$first" != "$node" ] || [ "$equation" != "$eq" ]; then
        fail "$name" "first difference '$first' / '$equation', expected '$node' / '$eq'"
    elif [ "$last" != "$file DIFFERS from the generated BPTT, first at $node: $eq" ]; then
        fail "$name" "last line '$last'"
    else
        ok "$name"
    fi
}

# ---- the examples over specs x seeds --------------------------------------------------
# Each spec: backend list, then the spec options.  tau is read from the options.
specs=(
    "tcc cc|"
    "tcc|--vocab 5 --hidden 4 --tau 3 --batch 1 --act tanh"
    "tcc cc|--vocab 6 --hidden 5 --tau 5 --batch 3 --act tanh --loss nll"
    "tcc|--vocab 4 --hidden 3 --tau 3 --batch 3 --act relu"
    "tcc|--vocab 5 --hidden 4 --tau 5 --batch 1 --act sigmoid --loss mse"
    "tcc|--in 3 --out 4 --hidden 4 --tau 3 --batch 3 --act tanh --loss mse"
    "tcc cc|--in 4 --out 3 --hidden 3 --tau 5 --batch 1 --act relu --loss nll"
    "tcc|--in 2 --out 5 --hidden 4 --tau 5 --batch 3 --act sigmoid --loss nll"
    "tcc|--vocab 5 --hidden 4 --tau 3 --batch 3 --act tanh --dtype float"
    "tcc|--in 3 --out 2 --hidden 4 --tau 5 --batch 1 --act sigmoid --loss mse --dtype float"
)
for entry in "${specs[@]}"; do
    backends=${entry%%|*}
    opts=${entry#*|}
    tau=4 act=tanh
    read -r -a words <<<"$opts"
    for ((i = 0; i < ${#words[@]}; i++)); do
        case ${words[i]} in
        --tau) tau=${words[i + 1]} ;;
        --act) act=${words[i + 1]} ;;
        esac
    done
    prev=$((tau - 1))
    label=${opts:-default}
    label=${label// /}
    for backend in $backends; do
        for seed in 1 7; do
            # shellcheck disable=SC2086
            set -- $opts --backend "$backend" --seed "$seed"
            diff_case "correct/$label/$backend/seed$seed" "$ex/correct.c" agree "$@"
            if [ "$act" = tanh ]; then
                diff_case "missing_dtanh/$label/$backend/seed$seed" "$ex/missing_dtanh.c" \
                    "grad_h($prev)|(10.21) grad_h($prev) = W^T d($tau) + V^T g_o($prev)" "$@"
            fi
            diff_case "w_not_transposed/$label/$backend/seed$seed" "$ex/w_not_transposed.c" \
                "grad_h($prev)|(10.21) grad_h($prev) = W^T d($tau) + V^T g_o($prev)" "$@"
            diff_case "gradw_uses_ht/$label/$backend/seed$seed" "$ex/gradw_uses_ht.c" \
                "grad_W|(10.26) grad_W = sum_t d(t) h(t-1)^T" "$@"
        done
    done
done

# ---- the output recurrence (figure 10.4) ------------------------------------------------
# output_correct.c agrees on every recurrence with R and every feedback; output_gradr_uses_fbt.c
# (fb(t) for fb(t-1)) differs first at grad_R, (10.26r); output_free_no_jacobian.c (the
# feedback's gradient without the softmax Jacobian) differs first at g_o(tau-1), (10.18f), with
# nll and free running, and agrees where the Jacobian plays no part (teacher forcing, mse).
out_specs=(
    "tcc cc|--recurrence output --feedback teacher"
    "tcc cc|--recurrence output --feedback free"
    "tcc|--recurrence output --feedback scheduled --batch 3"
    "tcc|--recurrence output --feedback free --in 3 --out 4 --loss mse --batch 3 --act sigmoid"
    "tcc|--recurrence output --feedback free --vocab 6 --hidden 5 --tau 5 --act relu --dtype float"
    "tcc|--recurrence both --feedback teacher --in 3 --out 2 --loss mse --act sigmoid"
    "tcc cc|--recurrence both --feedback free --tau 5 --batch 2"
    "tcc|--recurrence both --feedback scheduled --vocab 6 --hidden 5 --tau 3 --batch 2"
)
for entry in "${out_specs[@]}"; do
    backends=${entry%%|*}
    opts=${entry#*|}
    tau=4 fb=teacher loss=nll
    read -r -a words <<<"$opts"
    for ((i = 0; i < ${#words[@]}; i++)); do
        case ${words[i]} in
        --tau) tau=${words[i + 1]} ;;
        --feedback) fb=${words[i + 1]} ;;
        --loss) loss=${words[i + 1]} ;;
        esac
    done
    prev=$((tau - 1))
    label=${opts// /}
    gradr="(10.26r) grad_R = sum_t d(t) fb(t-1)^T"
    [ "$loss" = nll ] && [ "$fb" != free ] && gradr="$gradr: column fb(t-1) += d(t) (t > 1)"
    for backend in $backends; do
        for seed in 1 7; do
            # shellcheck disable=SC2086
            set -- $opts --backend "$backend" --seed "$seed"
            diff_case "output_correct/$label/$backend/seed$seed" "$ex/output_correct.c" agree "$@"
            diff_case "output_gradr_uses_fbt/$label/$backend/seed$seed" "$ex/output_gradr_uses_fbt.c" \
                "grad_R|$gradr" "$@"
            if [ "$fb" = free ] && [ "$loss" = nll ]; then
                diff_case "output_free_no_jacobian/$label/$backend/seed$seed" "$ex/output_free_no_jacobian.c" \
                    "g_o($prev)|(10.18f) g_o($prev) = p($prev) - e_y($prev) + p($prev) (.) (r($prev) - (p($prev)^T r($prev)) 1), r($prev) = R^T d($tau)" "$@"
            else
                diff_case "output_free_no_jacobian/agrees/$label/$backend/seed$seed" \
                    "$ex/output_free_no_jacobian.c" agree "$@"
            fi
        done
    done
done
# The hidden-recurrence derivation on the figure 10.4 network: it writes no grad_R.
diff_case "correct/on-both-recurrence" "$ex/correct.c" "grad_R|(10.26r) grad_R = sum_t d(t) fb(t-1)^T: column fb(t-1) += d(t) (t > 1)" \
    --recurrence both
# The report names the nodes the model has, and says how scheduled sampling's draws are fixed.
out=$("$RNNC" diff "$ex/output_correct.c" --recurrence output --feedback scheduled 2>&1)
if grep -q '^nodes in backward order: g_o(t), grad_h(t) for t = 4..1, then grad_c, grad_b, grad_V, grad_R, grad_U, grad_fb0$' <<<"$out" &&
    grep -q '^scheduled sampling: .* held fixed .* as data (10.11s)$' <<<"$out" &&
    grep -q '^grad_h(3) .* ok$' <<<"$out" && ! grep -q 'grad_W\|grad_h0' <<<"$out"; then
    ok "report/output-nodes"
else
    fail "report/output-nodes" "$(oneline <<<"$out")"
fi
# g_o(t) right and nothing else: with teacher forcing the first difference is grad_h(tau),
# governed by (10.21o) (no sweep through time).
cat >"$tmp/go_only.c" <<'EOF'
#include "rnnc_hand.h"
void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    int K = p->n_out, n = p->tau * p->batch;
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < K; k++) g->g_o[i * K + k] = p->p[i * K + k];
        g->g_o[i * K + p->y_index[i]] -= 1; /* (10.18) */
    }
}
EOF
diff_case "report/equation-10.21o" "$tmp/go_only.c" "grad_h(4)|(10.21o) grad_h(4) = V^T g_o(4)" --recurrence output

# A spec file as the positional SPEC (dense, batch 3).
printf 'in = 3\nout = 2\nhidden = 4\ntau = 3\nbatch = 3\nact = tanh\nloss = mse\n' >"$tmp/dense.spec"
diff_case "correct/spec-file" "$ex/correct.c" agree "$tmp/dense.spec"
diff_case "missing_dtanh/spec-file" "$ex/missing_dtanh.c" \
    "grad_h(2)|(10.21) grad_h(2) = W^T d(3) + V^T g_o(2)" "$tmp/dense.spec"

# ---- reports when HAND.c is broken ----------------------------------------------------
# expect_fail NAME PATTERN ARGS...: exit 1 (never a signal's 128+N), PATTERN on stderr's first
# line, nothing else on stderr unless it is a compile error (the compiler's lines).
expect_fail() {
    local name=$1 pattern=$2 rc
    shift 2
    "$RNNC" diff "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" != 1 ]; then
        fail "$name" "exit $rc, expected 1: $(oneline <"$tmp/err")"
    elif ! head -n 1 "$tmp/err" | grep -q -- "$pattern"; then
        fail "$name" "first line of stderr '$(head -n 1 "$tmp/err")' does not match '$pattern'"
    else
        ok "$name"
    fi
}

# A syntax error on line 8 (the missing ';' is reported at the next line by tcc, at line 7
# or 8 by gcc), after the #include on line 3.
cat >"$tmp/syntax.c" <<'EOF'
/* a hand-written BPTT with a syntax error */
#include <stddef.h>
#include "rnnc_hand.h"

void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    int h = p->hidden
    g->grad_b[0] = h;
}
EOF
# The same without the #include (the header is put first): line numbers must not move.
grep -v 'rnnc_hand.h' "$tmp/syntax.c" | sed '2a /* (no include) */' >"$tmp/syntax_noinc.c"
for backend in tcc cc; do
    for f in syntax syntax_noinc; do
        name=compile-error/$f/$backend
        expect_fail "$name" "^rnnc: $tmp/$f.c: failed to compile with $backend:\$" "$tmp/$f.c" --backend "$backend"
        if ! grep -Eq "^$tmp/$f.c:(7|8):" "$tmp/err"; then
            fail "$name/line" "no '$tmp/$f.c:7:' or ':8:' message: $(oneline <"$tmp/err")"
        elif grep -q 'rnnc_hand\.h:' "$tmp/err"; then
            fail "$name/line" "a message names rnnc_hand.h: $(oneline <"$tmp/err")"
        else
            ok "$name/line"
        fi
    done
done

cat >"$tmp/segv.c" <<'EOF'
#include <stddef.h>
#include "rnnc_hand.h"

void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    volatile double *nowhere = NULL; /* volatile: the compiler must emit the store */
    (void)p;
    g->grad_c[0] = 1;
    *nowhere = 1; /* write through a null pointer */
}
EOF
for backend in tcc cc; do
    expect_fail "crash/segv/$backend" \
        "^rnnc: $tmp/segv.c: rnnc_hand_bptt crashed with SIGSEGV (run it under gdb or -fsanitize=address to find where)\$" \
        "$tmp/segv.c" --backend "$backend"
    if [ "$(wc -l <"$tmp/err")" != 1 ] || [ -s "$tmp/out" ]; then
        fail "crash/segv/$backend/one-line" "stderr: $(oneline <"$tmp/err") stdout: $(oneline <"$tmp/out")"
    else
        ok "crash/segv/$backend/one-line"
    fi
done

cat >"$tmp/abort.c" <<'EOF'
#include <stdlib.h>
#include "rnnc_hand.h"
void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g) { (void)p; (void)g; abort(); }
EOF
expect_fail crash/abort "^rnnc: $tmp/abort.c: rnnc_hand_bptt crashed with SIGABRT" "$tmp/abort.c"

cat >"$tmp/exit.c" <<'EOF'
#include <stdlib.h>
#include "rnnc_hand.h"
void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g) { (void)p; (void)g; exit(0); }
EOF
expect_fail exit0 "^rnnc: $tmp/exit.c: rnnc_hand_bptt called exit(0) instead of returning\$" "$tmp/exit.c"

cat >"$tmp/loop.c" <<'EOF'
#include "rnnc_hand.h"
void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    volatile int forever = 1;
    (void)p;
    (void)g;
    while (forever) {}
}
EOF
expect_fail timeout "^rnnc: $tmp/loop.c: rnnc_hand_bptt did not return within 10 s" "$tmp/loop.c"

cat >"$tmp/nosym.c" <<'EOF'
#include "rnnc_hand.h"
void rnnc_hand_bptt_typo(const rnnc_hand_problem *p, rnnc_hand_grads *g) { (void)p; (void)g; }
EOF
expect_fail no-symbol "^rnnc: $tmp/nosym.c: defines no function rnnc_hand_bptt" "$tmp/nosym.c"

# NaN, infinity and zeros are differences, not failures of rnnc.
for value in "zero / zero" "1 / zero"; do
    cat >"$tmp/nonfinite.c" <<EOF
#include "rnnc_hand.h"
void rnnc_hand_bptt(const rnnc_hand_problem *p, rnnc_hand_grads *g)
{
    volatile double zero = 0;
    for (int i = 0; i < p->tau * p->batch * p->n_out; i++) g->g_o[i] = $value;
}
EOF
    out=$("$RNNC" diff "$tmp/nonfinite.c" 2>&1)
    rc=$?
    name="nonfinite-differs/${value// /}"
    if [ "$rc" = 1 ] && grep -q '^first difference: g_o(4), governed by$' <<<"$out" &&
        grep -Eq '^g_o\(4\) +5 +inf +inf  DIFFERS$' <<<"$out" &&
        grep -Eq '^g_o\(1\) +5 +inf +inf  DIFFERS$' <<<"$out"; then
        ok "$name"
    else
        fail "$name" "exit $rc: $(oneline <<<"$out")"
    fi
done

# Usage and input errors: exit 2.
for args in "" "$tmp/missing.c" "$ex/correct.c $ex/missing_dtanh.c" "$ex/correct.c --hidden 0"; do
    # shellcheck disable=SC2086
    "$RNNC" diff $args >"$tmp/out" 2>"$tmp/err"
    rc=$?
    name="usage/${args:-none}"
    name=${name// /_}
    if [ "$rc" = 2 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^rnnc: ' "$tmp/err"; then
        ok "$name"
    else
        fail "$name" "exit $rc: $(oneline <"$tmp/err")"
    fi
done

# ---- rnnc gen --hand-header -----------------------------------------------------------
if out=$("$RNNC" gen --hand-header -o "$tmp/hdr" 2>&1) && [ "$out" = "wrote $tmp/hdr/rnnc_hand.h" ] &&
    cmp -s "$tmp/hdr/rnnc_hand.h" templates/rnnc_hand.h; then
    ok gen-hand-header
else
    fail gen-hand-header "$(oneline <<<"$out")"
fi
cc_bin=${RNNC_CC:-cc}
if "$cc_bin" -std=c99 -Wall -Wextra -pedantic -Werror -I "$tmp/hdr" -c "$ex/correct.c" -o "$tmp/correct.o" 2>"$tmp/err"; then
    ok gen-hand-header/correct.c-compiles
else
    fail gen-hand-header/correct.c-compiles "$(oneline <"$tmp/err")"
fi
if "$RNNC" gen --hand-header --vocab 5 >/dev/null 2>&1; then
    fail gen-hand-header/no-spec "accepted a spec option"
else
    ok gen-hand-header/no-spec
fi

# ---- rnnc check --dump ----------------------------------------------------------------
dump_specs=(
    "--vocab 5 --hidden 4 --tau 3 --batch 1 --dtype double"
    "--vocab 6 --hidden 3 --tau 5 --batch 3 --act relu --dtype double --seed 9"
    "--in 3 --out 2 --hidden 4 --tau 3 --batch 3 --act sigmoid --loss mse --dtype double"
    "--in 4 --out 3 --hidden 5 --tau 2 --batch 2 --act tanh --loss nll --dtype float --seed 3"
    "--vocab 7 --hidden 4 --tau 4 --batch 2 --loss mse --dtype float --backend cc"
)
files=()
n=0
for opts in "${dump_specs[@]}"; do
    n=$((n + 1))
    f=$tmp/dump$n.safetensors
    # shellcheck disable=SC2086
    if out=$("$RNNC" check $opts --dump "$f" 2>&1) && grep -q "^wrote $f: " <<<"$out" && [ -s "$f" ]; then
        ok "dump-written/${opts// /}"
        files+=("$f")
    else
        fail "dump-written/${opts// /}" "$(oneline <<<"$out")"
    fi
done
if need_prog test_dump dump-read && [ "${#files[@]}" -gt 0 ]; then
    "$TEST_BIN/test_dump" "${files[@]}" 2>&1 || failed=$((failed + 1))
fi
if "$RNNC" check --vocab 3 --hidden 2 --tau 2 --dump "$tmp/no/such/dir/x.safetensors" >/dev/null 2>"$tmp/err"; then
    fail dump-unwritable "exit 0"
elif [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q '^rnnc: --dump: .*x.safetensors' "$tmp/err"; then
    ok dump-unwritable
else
    fail dump-unwritable "$(oneline <"$tmp/err")"
fi
# An output-recurrent model's dump (figure 10.4, free running) holds R, fb0, fb, grad_R and
# grad_fb0, and no W, grad_W or grad_h0 (the safetensors header names every tensor).
f=$tmp/dump_output.safetensors
if "$RNNC" check --vocab 5 --hidden 4 --tau 3 --recurrence output --feedback free --dtype double \
    --dump "$f" >/dev/null 2>"$tmp/err"; then
    hdr=$(head -c 8192 "$f" | tr -c '[:print:]' ' ')
    why=""
    for n in x y h0 fb0 U V b c R h p fb g_o grad_h d grad_fb0 grad_U grad_V grad_b grad_c grad_R loss; do
        grep -q "\"$n\":{\"data_offsets\"" <<<"$hdr" || why+=" no $n;"
    done
    for n in W grad_W grad_h0; do
        grep -q "\"$n\":{\"data_offsets\"" <<<"$hdr" && why+=" has $n;"
    done
    if [ -z "$why" ]; then ok dump-written/output-recurrence; else fail dump-written/output-recurrence "$why"; fi
else
    fail dump-written/output-recurrence "$(oneline <"$tmp/err")"
fi
# ---- the gated cells (--cell lstm|gru, section 10.10.1) ----
# lstm_correct.c and gru_correct.c agree over input kinds, losses, batches, dtypes; each
# classic mistake is found at the node whose equation it breaks.
for spec in "" "--in 3 --out 2 --loss mse --batch 3 --tau 5" "--vocab 6 --hidden 5 --tau 3 --batch 2 --dtype float"; do
    # shellcheck disable=SC2086
    diff_case "gated/lstm-correct/${spec// /_}" "$ex/lstm_correct.c" agree --cell lstm $spec
    # shellcheck disable=SC2086
    diff_case "gated/gru-correct/${spec// /_}" "$ex/gru_correct.c" agree --cell gru $spec
done
diff_case gated/lstm-correct-cc "$ex/lstm_correct.c" agree --cell lstm --batch 2 --backend cc
diff_case gated/lstm-no-forget-path "$ex/lstm_no_forget_path.c" \
    "grad_c(3)|(10.41b) grad_c(3) = grad_h(3) (.) o(3) (.) (1 - tanh(c(3))^2) + f(4) (.) grad_c(4)" --cell lstm
diff_case gated/lstm-no-forget-path-tau6 "$ex/lstm_no_forget_path.c" \
    "grad_c(5)|(10.41b) grad_c(5) = grad_h(5) (.) o(5) (.) (1 - tanh(c(5))^2) + f(6) (.) grad_c(6)" \
    --cell lstm --tau 6 --batch 3 --in 3 --out 4
diff_case gated/gru-book-reset "$ex/gru_book_reset.c" \
    "grad_h(3)|(10.46b) grad_h(3) = V^T g_o(3) + W^T dw(4) + z(4) (.) grad_h(4)" --cell gru
diff_case gated/gru-book-reset-mse "$ex/gru_book_reset.c" \
    "grad_h(4)|(10.46b) grad_h(4) = V^T g_o(4) + W^T dw(5) + z(5) (.) grad_h(5)" --cell gru --tau 5 --loss mse --in 2 --out 3
# The vanilla example against an LSTM reads W as H x H: it runs, and differs (no crash).
out=$("$RNNC" diff "$ex/correct.c" --cell lstm 2>&1)
rc=$?
if [ "$rc" = 1 ] && grep -q '^first difference: ' <<<"$out"; then ok gated/vanilla-hand-code-differs; else fail gated/vanilla-hand-code-differs "exit $rc: $(oneline <<<"$out")"; fi
# An LSTM's dump holds b_h, the gates, c(t), c(0) and their gradients, in PyTorch's shapes.
f=$tmp/dump_lstm.safetensors
if "$RNNC" check --vocab 5 --hidden 3 --tau 2 --cell lstm --dtype double --dump "$f" >/dev/null 2>"$tmp/err"; then
    hdr=$(head -c 8192 "$f" | tr -c '[:print:]' ' ')
    why=""
    for n in b_h gates cell c0 grad_b_h grad_cell grad_c0; do
        grep -q "\"$n\":{\"data_offsets\"" <<<"$hdr" || why+=" no $n;"
    done
    grep -q '"U":{"data_offsets":\[[0-9]*,[0-9]*\],"dtype":"F64","shape":\[12,5\]' <<<"$hdr" || why+=" U is not [12,5];"
    if [ -z "$why" ]; then ok gated/dump-lstm; else fail gated/dump-lstm "$why"; fi
else
    fail gated/dump-lstm "$(oneline <"$tmp/err")"
fi
suite_end
