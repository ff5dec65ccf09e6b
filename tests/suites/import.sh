#!/usr/bin/env bash
# tests/suites/import.sh: `rnnc import` never builds a different model silently (issue 13).
#   1. rnnc's own exports, one per kind of model (relu on UTF-8 text; records of lines with a
#      halting unit and a learned h(0); a length output; a dense CSV of records with a sequence
#      column; the output recurrence with scheduled sampling): every rnnc.* metadata key and
#      rnnc.* tensor export writes is read back (export, import, export gives the same bytes;
#      `rnnc info` shows the same spec, vocabulary, family and records), and options that
#      contradict the metadata are refused unless --force, while tau, batch and name may change.
#   2. Files written from PyTorch's own modules (tests/lib/torch_files.py; skipped, saying so,
#      without python3-torch), each with its expected outcome: nn.RNN as is (tanh, said on the
#      output line), with rnnc.act = relu, relu without the key (tanh, said so; --act relu),
#      without biases, float16 / bfloat16 (widened to float) and float64 (double): imported, and
#      the embedded model's probabilities equal PyTorch's; nn.LSTM and nn.GRU: imported as
#      --cell lstm / gru, the same outputs as PyTorch's; a 2-layer and a bidirectional nn.RNN,
#      a 2-layer nn.LSTM, an unknown tensor, an unknown rnnc.* key, a self-contradicting file:
#      refused with one line naming what, exit 2, nothing written (--ignore-unknown imports
#      what can be imported and lists what it left out); no rnnc.vocab: a dense mse model, said
#      on the output line.
#   3. An imported checkpoint says "imported from FILE" in `rnnc info` and in the embedded
#      banner, not "step 0 (smoothed loss nan)" / "data: 0 symbols"; trained further, it says
#      both.
# Prints "ok import/CASE", "FAIL import/CASE: why" or "skip import/CASE: why".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR.
set -u
. "$(dirname "$0")/../lib/suite.sh" import
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
rn() { timeout -k 5 180 "$RNNC" "$@"; }
# model_lines CKPT: the lines of `rnnc info` that describe the model (not its training).
model_lines() { rn info "$1" 2>&1 | grep -E '^(spec|vocabulary|end symbol|start symbol|recurrence|feedback|end|records):'; }

# refused NAME WANT FILE [ARG...]: import FILE is refused: exit 2, one line on stderr holding
# WANT (a fixed string), nothing on stdout, no checkpoint written.
refused() {
    local name=$1 want=$2 file=$3 why=()
    shift 3
    rm -f "$tmp/out.ck"
    rn import "$file" -o "$tmp/out.ck" "$@" >"$tmp/r.out" 2>"$tmp/r.err"
    local rc=$?
    [ $rc -eq 2 ] || why+=("exit status $rc")
    [ "$(wc -l <"$tmp/r.err")" -eq 1 ] || why+=("stderr has $(wc -l <"$tmp/r.err") lines")
    grep -qF -- "$want" "$tmp/r.err" || why+=("stderr does not say '$want': $(one_line "$tmp/r.err")")
    [ -s "$tmp/r.out" ] && why+=("stdout: $(one_line "$tmp/r.out")")
    [ -e "$tmp/out.ck" ] && why+=("a checkpoint was written")
    check "$name" "${why[@]}"
}

# ---- 1. rnnc's own exports: every key read back ----
for i in $(seq 1 30); do echo "żółw $i idzie do domu"; done >"$tmp/utf8.txt"
for w in ba bada badaga ga gaba da dabaga gagada ba dada gabadaga baga; do echo "$w"; done >"$tmp/words.txt"
awk 'BEGIN { print "id,v"; for (s = 0; s < 12; s++) for (i = 0; i <= s % 4; i++) printf "%d,%.3f\n", s, sin(s + i) }' >"$tmp/seq.csv"
S=(--hidden 8 --tau 6 --steps 20 --every 20 --sample-every 0 --backend tcc)
kinds=(
    "relu-utf8|--act relu --chars utf8 $tmp/utf8.txt"
    "records-halt-h0|--records lines --end halt --learn-h0 --batch 2 $tmp/words.txt"
    "records-length|--records lines --end length --max-length 9 $tmp/words.txt"
    "records-eos-end-symbol|--records lines --end eos --end-symbol ~ $tmp/words.txt"
    "csv-sequence-column|--sequence-column id --end halt $tmp/seq.csv"
    "output-scheduled|--recurrence output --feedback scheduled --dtype double $tmp/utf8.txt"
)
for k in "${kinds[@]}"; do
    name=${k%%|*}
    read -r -a args <<<"${k#*|}"
    why=()
    d=$tmp/own-$name
    mkdir -p "$d"
    if ! rn train "${S[@]}" "${args[@]}" --save "$d/a.ck" >/dev/null 2>"$d/err"; then
        check "own-export/$name" "train: $(one_line "$d/err")"
        continue
    fi
    rn export "$d/a.ck" -o "$d/a.safetensors" >/dev/null 2>"$d/err" &&
        rn import "$d/a.safetensors" -o "$d/b.ck" >"$d/import.out" 2>>"$d/err" &&
        rn export "$d/b.ck" -o "$d/b.safetensors" >/dev/null 2>>"$d/err" || why+=("$(one_line "$d/err")")
    cmp -s "$d/a.safetensors" "$d/b.safetensors" || why+=("export, import, export: the files differ")
    [ "$(model_lines "$d/a.ck")" = "$(model_lines "$d/b.ck")" ] ||
        why+=("rnnc info differs: '$(model_lines "$d/a.ck" | tr '\n' '|')' vs '$(model_lines "$d/b.ck" | tr '\n' '|')'")
    grep -q ' (' "$d/import.out" && why+=("notes on a file that says everything: $(one_line "$d/import.out")")
    check "own-export/$name-every-key-read-back" "${why[@]}"
done

# Options against the metadata: a model key that differs is refused unless --force; tau,
# batch and name may differ; the tensors' sizes can never be overridden.
R=$tmp/own-relu-utf8/a.safetensors
refused "options/act-contradicts-metadata" "--act tanh: $R says act=relu (metadata rnnc.spec); give --force" "$R" --act tanh
refused "options/loss-contradicts-metadata" "--loss mse:" "$R" --loss mse
refused "options/recurrence-contradicts-metadata" "--recurrence both:" "$R" --recurrence both
refused "options/hidden-contradicts-tensors" "the tensors give" "$R" --hidden 9 --force
why=()
rn import "$R" -o "$tmp/forced.ck" --act tanh --force >"$tmp/f.out" 2>"$tmp/f.err" || why+=("exit $?: $(one_line "$tmp/f.err")")
grep -q 'act=tanh' "$tmp/f.out" || why+=("not act=tanh: $(one_line "$tmp/f.out")")
grep -qF -- '--act tanh overrides the file'"'"'s act=relu (--force)' "$tmp/f.out" || why+=("no note of the override: $(one_line "$tmp/f.out")")
check "options/force-overrides-and-says-so" "${why[@]}"
why=()
rn import "$R" -o "$tmp/retau.ck" --tau 9 --batch 3 --name other >"$tmp/t.out" 2>"$tmp/t.err" || why+=("exit $?: $(one_line "$tmp/t.err")")
grep -q 'tau=9 batch=3 act=relu .*name=other' "$tmp/t.out" || why+=("$(one_line "$tmp/t.out")")
check "options/tau-batch-name-may-differ" "${why[@]}"

# ---- 3. the origin of an imported checkpoint ----
C=$tmp/own-relu-utf8/b.ck
why=()
rn info "$C" >"$tmp/info" 2>&1 || why+=("info failed")
grep -qx 'origin: imported from a.safetensors (rnnc import)' "$tmp/info" || why+=("no origin line")
grep -qi 'nan' "$tmp/info" && why+=("info shows nan: $(grep -i nan "$tmp/info" | head -n 1)")
grep -qx 'data: none (imported from a.safetensors)' "$tmp/info" || why+=("data line: $(grep '^data' "$tmp/info")")
rn embed "$C" -o "$tmp/emb" --name imp >/dev/null 2>&1 || why+=("embed failed")
grep -q 'From a model imported from a.safetensors\.' "$tmp/emb/imp.h" || why+=("banner: $(grep -m1 'From' "$tmp/emb/imp.h")")
grep -q 'step 0\|nan' "$tmp/emb/imp.h" && why+=("the banner says step 0 or nan")
cp "$C" "$tmp/more.ck"
rn train --steps 5 --every 5 --sample-every 0 --backend tcc --resume "$tmp/more.ck" --save "$tmp/more.ck" "$tmp/utf8.txt" >/dev/null 2>"$tmp/err" ||
    why+=("training it: $(one_line "$tmp/err")")
rn info "$tmp/more.ck" >"$tmp/info2" 2>&1
grep -qx 'origin: imported from a.safetensors (rnnc import), then trained by rnnc' "$tmp/info2" || why+=("trained: no origin line")
grep -q '^loss: [0-9]' "$tmp/info2" || why+=("trained: $(grep '^loss' "$tmp/info2")")
rn embed "$tmp/more.ck" -o "$tmp/emb2" --name imp >/dev/null 2>&1
grep -q 'step 5 (smoothed loss [0-9.]*), imported from a.safetensors' "$tmp/emb2/imp.h" || why+=("trained banner: $(grep -m1 'From' "$tmp/emb2/imp.h")")
check "origin/info-and-banner-say-imported-from-FILE" "${why[@]}"

# ---- 2. files written by PyTorch ----
. "$ROOT/tests/lib/outputs.sh"
if [ -z "$TORCH_PY" ]; then
    echo "skip import/pytorch: python3-torch is not installed (apt-get install python3-torch); the PyTorch-written cases need it"
    exit $failed
fi
P=$tmp/pt
mkdir -p "$P"
if ! "$TORCH_PY" "$ROOT/tests/lib/torch_files.py" "$P" >/dev/null 2>"$tmp/py.err"; then
    fail "pytorch/write-files" "$(one_line "$tmp/py.err")"
    exit 1
fi
prime='the lazy dog jumps over a quick brown fox'
# same_outputs NAME CKPT FILE TOL [ACT]: the embedded model of CKPT and PyTorch's model of FILE
# (with the nonlinearity ACT) give the same probabilities on the prime, within TOL.
same_outputs() {
    local name=$1 ck=$2 file=$3 tol=$4 act=${5:-} d=$tmp/out-$1
    mkdir -p "$d"
    rn embed "$ck" -o "$d" --name ptm >/dev/null 2>"$d/err" || { echo "embed: $(one_line "$d/err")"; return; }
    embedded_driver "$d" ptm 2>"$d/err" && "$d/driver" "$prime" >"$d/rnnc.out" ||
        { echo "driver: $(one_line "$d/err")"; return; }
    "$TORCH_PY" "$ROOT/tests/lib/torch_files.py" outputs "$file" "$prime" $act >"$d/torch.out" 2>"$d/err" ||
        { echo "torch: $(one_line "$d/err")"; return; }
    local worst
    worst=$(max_abs_diff "$d/rnnc.out" "$d/torch.out")
    [ "$(wc -l <"$d/rnnc.out")" -eq ${#prime} ] || { echo "$(wc -l <"$d/rnnc.out") steps, not ${#prime}"; return; }
    awk -v w="$worst" -v t="$tol" 'BEGIN { exit !(w <= t) }' || echo "max |difference| $worst above $tol"
}
# imported NAME FILE WANT_SPEC WANT_NOTE TOL [ARG...]: import FILE: exit 0, the output line
# holds WANT_SPEC and WANT_NOTE (fixed strings; "" for none), and (TOL not "-") the outputs
# equal PyTorch's within TOL.
imported() {
    local name=$1 file=$P/$2.safetensors spec=$3 want=$4 tol=$5 why=()
    shift 5
    rn import "$file" -o "$tmp/$name.ck" "$@" >"$tmp/i.out" 2>"$tmp/i.err" || why+=("exit $?: $(one_line "$tmp/i.err")")
    grep -qF -- "$spec" "$tmp/i.out" || why+=("not '$spec': $(one_line "$tmp/i.out")")
    [ -n "$want" ] && ! grep -qF -- "$want" "$tmp/i.out" && why+=("does not say '$want': $(one_line "$tmp/i.out")")
    [ -z "$want" ] && grep -q ' (' "$tmp/i.out" && why+=("a note where none is due: $(one_line "$tmp/i.out")")
    if [ "$tol" != - ] && [ ${#why[@]} -eq 0 ]; then
        local r
        r=$(same_outputs "$name" "$tmp/$name.ck" "$file" "$tol" "$(sed -n 's/.* act=\([a-z]*\) .*/\1/p' "$tmp/i.out")")
        [ -n "$r" ] && why+=("$r")
    fi
    check "pytorch/$name" "${why[@]}"
}
TANH_NOTE="act tanh: the file does not say (no rnnc.act)"
imported "rnn-tanh-imported-said-tanh-same-outputs" plain "vocab=27 hidden=6 tau=25 batch=1 act=tanh loss=nll dtype=float" "$TANH_NOTE" 1e-5
imported "rnn-relu-with-rnnc.act-imports-as-relu-same-outputs" relu "act=relu loss=nll dtype=float" "" 1e-5
imported "rnn-relu-without-rnnc.act-imports-as-tanh-and-says-so" relu_nometa "act=tanh" "$TANH_NOTE" -
imported "rnn-relu-without-rnnc.act-with---act-relu-same-outputs" relu_nometa "act=relu" "" 1e-5 --act relu
imported "rnn-without-biases-same-outputs" no_bias "act=tanh" "$TANH_NOTE" 1e-5
imported "float16-widened-to-float-same-outputs" float16 "dtype=float" "F16 tensors widened to float" 1e-5
imported "bfloat16-widened-to-float-same-outputs" bfloat16 "dtype=float" "BF16 tensors widened to float" 1e-5
imported "float64-imports-as-double-same-outputs" float64 "dtype=double" "$TANH_NOTE" 1e-10
imported "float64-with---dtype-float-says-rounded" float64 "dtype=float" "F64 tensors rounded to float" - --dtype float
imported "lstm-imports-as-cell-lstm-same-outputs" lstm "vocab=27 hidden=6 tau=25 batch=1 cell=lstm" "" 1e-5
imported "gru-imports-as-cell-gru-same-outputs" gru "vocab=27 hidden=6 tau=25 batch=1 cell=gru" "" 1e-5
imported "no-vocab-is-a-dense-mse-model-and-says-so" no_vocab "in=3 out=2 hidden=6 tau=25 batch=1 act=tanh loss=mse" \
    "no rnnc.vocab in the file: a dense model of 3 real inputs and 2 outputs, squared error (loss=mse)" -

refused "pytorch/two-layers-refused-naming-the-tensors" \
    "two_layers.safetensors: a 2-layer nn.RNN (rnn.bias_hh_l1, rnn.bias_ih_l1, rnn.weight_hh_l1, rnn.weight_ih_l1): rnnc imports one layer" \
    "$P/two_layers.safetensors"
refused "pytorch/bidirectional-refused-naming-the-tensors" \
    "bidirectional.safetensors: a bidirectional nn.RNN (rnn.bias_hh_l0_reverse, rnn.bias_ih_l0_reverse, rnn.weight_hh_l0_reverse, rnn.weight_ih_l0_reverse)" \
    "$P/bidirectional.safetensors"
refused "pytorch/bidirectional-with---ignore-unknown-still-refused-by-shapes" "fc.weight is [27, 12]" \
    "$P/bidirectional.safetensors" --ignore-unknown
refused "pytorch/two-layer-lstm-refused-naming-the-tensors" \
    "two_layers_lstm.safetensors: a 2-layer nn.LSTM (rnn.bias_hh_l1, rnn.bias_ih_l1, rnn.weight_hh_l1, rnn.weight_ih_l1): rnnc imports one layer" \
    "$P/two_layers_lstm.safetensors"
refused "pytorch/unknown-tensor-refused-naming-it" "extra_tensor.safetensors: unknown tensor emb.weight:" "$P/extra_tensor.safetensors"
refused "pytorch/unknown-rnnc-metadata-key-refused-naming-it" "unknown_meta.safetensors: unknown metadata key rnnc.tokenizer:" \
    "$P/unknown_meta.safetensors"
refused "pytorch/rnnc.act-contradicting-rnnc.spec-refused" "metadata rnnc.act = relu contradicts rnnc.spec's act=tanh" \
    "$P/act_conflict.safetensors"
refused "pytorch/rnnc.act-relu-with---act-tanh-refused" "--act tanh: " "$P/relu.safetensors" --act tanh
imported "rnnc.act-contradicting-rnnc.spec-with---act-relu---force" act_conflict "act=relu" \
    "--act relu overrides the file's act=tanh (--force)" - --act relu --force

# --ignore-unknown: what it leaves out is listed; the rest is imported.
why=()
rn import "$P/two_layers.safetensors" -o "$tmp/l0.ck" --ignore-unknown >"$tmp/ig.out" 2>"$tmp/ig.err" || why+=("exit $?: $(one_line "$tmp/ig.err")")
grep -qx 'ignored (--ignore-unknown): rnn.bias_hh_l1, rnn.bias_ih_l1, rnn.weight_hh_l1, rnn.weight_ih_l1' "$tmp/ig.out" ||
    why+=("no list of the ignored tensors: $(one_line "$tmp/ig.out")")
rn import "$P/extra_tensor.safetensors" -o "$tmp/ex.ck" --ignore-unknown >"$tmp/ig.out" 2>"$tmp/ig.err" || why+=("exit $?: $(one_line "$tmp/ig.err")")
grep -qx 'ignored (--ignore-unknown): emb.weight' "$tmp/ig.out" || why+=("extra tensor: $(one_line "$tmp/ig.out")")
rn import "$P/unknown_meta.safetensors" -o "$tmp/um.ck" --ignore-unknown >"$tmp/ig.out" 2>"$tmp/ig.err" || why+=("exit $?: $(one_line "$tmp/ig.err")")
grep -qx 'ignored (--ignore-unknown): rnnc.tokenizer' "$tmp/ig.out" || why+=("unknown key: $(one_line "$tmp/ig.out")")
check "pytorch/--ignore-unknown-imports-the-rest-and-lists-what-it-left-out" "${why[@]}"
suite_end
