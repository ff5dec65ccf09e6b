#!/usr/bin/env bash
# tests/suites/gated.sh: the gated cells (--cell gru|lstm, section 10.10.1) through the
# runtime: training (resume bit-exact, tcc = cc = auto byte for byte, 1 = 2 threads), the
# carried cell state in checkpoints, the LSTM's forget and the GRU's update gate bias at 1, old (version 1)
# checkpoints still loading, export -> import round trips, and against PyTorch when
# python3-torch is installed: an nn.LSTM / nn.GRU saved by examples/pytorch/gated_to_rnnc.py,
# imported and embedded, gives PyTorch's probabilities (within 1e-5), and so does an rnnc
# model exported and loaded into nn.LSTM / nn.GRU.  (The generated code itself: check_matrix,
# reference_gated, test_backends, test_threads; embedding: embed.sh.)
# Prints "ok gated/CASE", "FAIL gated/CASE: why" or "skip gated/CASE: why"; exits 1 if any
# case failed.
. "$(dirname "$0")/../lib/suite.sh" gated
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
# Training runs here take longer than suite.sh's 120 s limit under load.
rn() { timeout -k 5 300 "$RNNC" "$@"; }
for i in $(seq 1 60); do echo "the quick brown fox $i jumps over the lazy dog; $((i * 7)) apples"; done >"$tmp/text.txt"

# ---- 1. training: resume, backends, threads ----
for cell in lstm gru; do
    M=(--cell "$cell" --hidden 12 --tau 8 --batch 3 --optim adam --lr 0.01 --every 25 --sample-every 0)
    d=$tmp/$cell
    mkdir -p "$d"
    if rn train "${M[@]}" --steps 50 --backend tcc --save "$d/C" "$tmp/text.txt" >"$d/1.out" 2>"$d/1.err" &&
        rn train "${M[@]}" --steps 100 --backend tcc --resume "$d/C" --save "$d/C" "$tmp/text.txt" >"$d/2.out" 2>"$d/2.err" &&
        rn train "${M[@]}" --steps 100 --backend tcc --save "$d/D" "$tmp/text.txt" >"$d/3.out" 2>"$d/3.err"; then
        if cmp -s "$d/C" "$d/D"; then ok "$cell/resume-50+50-equals-100"; else fail "$cell/resume-50+50-equals-100" "$(cmp "$d/C" "$d/D" 2>&1)"; fi
    else
        fail "$cell/resume-50+50-equals-100" "$(one_line "$d/1.err") $(one_line "$d/2.err") $(one_line "$d/3.err")"
    fi
    if rn train "${M[@]}" --steps 100 --backend cc --save "$d/E" "$tmp/text.txt" >"$d/4.out" 2>"$d/4.err" &&
        rn train "${M[@]}" --steps 100 --backend auto --save "$d/F" "$tmp/text.txt" >"$d/5.out" 2>"$d/5.err" &&
        cmp -s "$d/D" "$d/E" && cmp -s "$d/D" "$d/F"; then
        ok "$cell/tcc-cc-auto-checkpoints-identical"
    else
        fail "$cell/tcc-cc-auto-checkpoints-identical" "$(one_line "$d/4.err") $(cmp "$d/D" "$d/E" 2>&1) $(cmp "$d/D" "$d/F" 2>&1)"
    fi
    T2=(--cell "$cell" --hidden 12 --tau 8 --batch 16 --every 20 --sample-every 0 --backend tcc --steps 20)
    if rn train "${T2[@]}" --threads 1 --save "$d/G" "$tmp/text.txt" >/dev/null 2>"$d/6.err" &&
        rn train "${T2[@]}" --threads 2 --save "$d/H" "$tmp/text.txt" >"$d/7.out" 2>>"$d/6.err" &&
        grep -q '2 threads' "$d/7.out" && cmp -s "$d/G" "$d/H"; then
        ok "$cell/1-and-2-threads-identical"
    else
        fail "$cell/1-and-2-threads-identical" "$(one_line "$d/6.err") $(cmp "$d/G" "$d/H" 2>&1)"
    fi
    s1=$(rn sample "$d/D" -n 120 --seed 4 2>&1)
    s2=$(rn sample "$d/D" -n 120 --seed 4 --backend cc 2>&1)
    if [ ${#s1} -ge 120 ] && [ "$s1" = "$s2" ]; then ok "$cell/sample-tcc-equals-cc"; else fail "$cell/sample-tcc-equals-cc" "'$s1' vs '$s2'"; fi
done

# ---- 2. the checkpoint carries h and the LSTM's c ----
# rnnc info's spec, and the state's size: the file is params + opt + (2 for lstm) B H reals
# after the header; compare the sizes of an lstm and a gru file of the same dimensions.
PY=$(command -v python3 || true)
size_l=$(stat -c %s "$tmp/lstm/D")
size_g=$(stat -c %s "$tmp/gru/D")
if "$RNNC" info "$tmp/lstm/D" | grep -q 'cell=lstm' && "$RNNC" info "$tmp/gru/D" | grep -q 'cell=gru' &&
    [ "$size_l" -gt "$size_g" ]; then
    ok checkpoint-spec-and-state
else
    fail checkpoint-spec-and-state "sizes lstm $size_l, gru $size_g; $("$RNNC" info "$tmp/lstm/D" 2>&1 | head -n 2 | tr '\n' ' ')"
fi
# A version 1 file (the rnn cell only) still loads: families.sh, with a file the old rnnc wrote.

# ---- 3. a gated cell starts remembering: b's rows H..2H (the LSTM's forget gate, the GRU's
# update gate) at 1, b_h at 0 (read from the export after one step at a tiny learning rate) ----
for cell in lstm gru; do
if [ -n "$PY" ] && rn train --cell $cell --hidden 6 --tau 4 --steps 1 --every 1 --sample-every 0 --optim sgd --lr 1e-6 \
    --backend tcc --save "$tmp/fg.ckpt" "$tmp/text.txt" >/dev/null 2>"$tmp/fg.err" &&
    rn export "$tmp/fg.ckpt" -o "$tmp/fg.safetensors" >/dev/null 2>>"$tmp/fg.err"; then
    if "$PY" - "$tmp/fg.safetensors" "$cell" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
hdr = json.loads(raw[8:8 + n])
def vals(name):
    a, b = hdr[name]["data_offsets"]
    return struct.unpack("<%df" % ((b - a) // 4), raw[8 + n + a:8 + n + b])
bi, bh = vals("rnn.bias_ih_l0"), vals("rnn.bias_hh_l0")
H = len(bi) // (4 if sys.argv[2] == "lstm" else 3)
assert all(abs(v - 1) < 1e-3 for v in bi[H:2 * H]), bi
assert all(abs(v) < 1e-3 for v in bi[:H] + bi[2 * H:] + bh), (bi, bh)
PY
    then ok $cell-forget-or-update-bias-starts-at-1; else fail $cell-forget-or-update-bias-starts-at-1 "bias_ih_l0[H:2H] is not 1 (or others not 0)"; fi
else
    fail $cell-forget-or-update-bias-starts-at-1 "$(one_line "$tmp/fg.err")"
fi
done

# ---- 4. export -> import -> export is exact ----
for cell in lstm gru; do
    d=$tmp/$cell
    if rn export "$d/D" -o "$d/a.safetensors" >/dev/null 2>"$d/x.err" && rn import "$d/a.safetensors" -o "$d/I" >/dev/null 2>>"$d/x.err" &&
        rn export "$d/I" -o "$d/b.safetensors" >/dev/null 2>>"$d/x.err" && cmp -s "$d/a.safetensors" "$d/b.safetensors" &&
        "$RNNC" info "$d/I" | grep -q "cell=$cell" &&
        [ "$(rn sample "$d/D" -n 60 --seed 3)" = "$(rn sample "$d/I" -n 60 --seed 3)" ]; then
        ok "$cell/export-import-export-identical"
    else
        fail "$cell/export-import-export-identical" "$(one_line "$d/x.err")"
    fi
done
# a file's cell is read from its shapes; a --cell that contradicts them is refused
rm -f "$tmp/no.ckpt"
"$RNNC" import "$tmp/gru/a.safetensors" --cell lstm -o "$tmp/no.ckpt" >/dev/null 2>"$tmp/no.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/no.err")" -eq 1 ] && grep -q 'stacked gates\|cell' "$tmp/no.err" && [ ! -e "$tmp/no.ckpt" ]; then
    ok import-refuses-contradicting-cell
else
    fail import-refuses-contradicting-cell "status $rc: $(one_line "$tmp/no.err")"
fi

# ---- 5. PyTorch: nn.LSTM / nn.GRU <-> rnnc, through the embedded model ----
. "$ROOT/tests/lib/outputs.sh"
compare() { # NAME RNNC_OUT TORCH_OUT STEPS
    local w lines
    w=$(max_abs_diff "$2" "$3")
    lines=$(wc -l <"$2")
    if [ "$lines" -eq "$4" ] && [ "$(wc -l <"$3")" -eq "$4" ] && awk -v w="$w" 'BEGIN { exit !(w <= 1e-5) }'; then
        ok "$1 (max |difference| $w over $lines steps)"
    else
        fail "$1" "max |difference| $w over $lines steps"
    fi
}
ex=$ROOT/examples/pytorch/gated_to_rnnc.py
prime='import torch; from torch import nn  # prime'
if [ -z "$TORCH_PY" ]; then
    skip pytorch-outputs "python3-torch is not installed (apt-get install python3-torch)"
else
    for cell in lstm gru; do
        d=$tmp/pt-$cell
        mkdir -p "$d/emb" "$d/emb2"
        # PyTorch -> rnnc
        if "$TORCH_PY" "$ex" save "$cell" "$d/pt.safetensors" --steps 60 --hidden 20 >/dev/null 2>"$d/err" &&
            rn import "$d/pt.safetensors" -o "$d/pt.ckpt" >/dev/null 2>>"$d/err" &&
            "$RNNC" info "$d/pt.ckpt" | grep -q "cell=$cell" &&
            rn embed "$d/pt.ckpt" -o "$d/emb" --name ptm >/dev/null 2>>"$d/err" && embedded_driver "$d/emb" ptm 2>>"$d/err" &&
            "$d/emb/driver" "$prime" >"$d/rnnc.out" &&
            "$TORCH_PY" "$ex" outputs "$d/pt.safetensors" "$prime" >"$d/torch.out" 2>>"$d/err"; then
            compare "$cell/pytorch-to-rnnc-outputs" "$d/rnnc.out" "$d/torch.out" ${#prime}
        else
            fail "$cell/pytorch-to-rnnc-outputs" "$(one_line "$d/err")"
        fi
        # rnnc -> PyTorch: a model trained here, exported, run by nn.LSTM / nn.GRU
        if rn export "$tmp/$cell/D" -o "$d/rn.safetensors" >/dev/null 2>"$d/err2" &&
            rn embed "$tmp/$cell/D" -o "$d/emb2" --name rnm >/dev/null 2>>"$d/err2" && embedded_driver "$d/emb2" rnm 2>>"$d/err2" &&
            "$d/emb2/driver" "the lazy dog 12 apples" >"$d/rnnc2.out" &&
            "$TORCH_PY" "$ex" outputs "$d/rn.safetensors" "the lazy dog 12 apples" >"$d/torch2.out" 2>>"$d/err2"; then
            compare "$cell/rnnc-to-pytorch-outputs" "$d/rnnc2.out" "$d/torch2.out" 22
        else
            fail "$cell/rnnc-to-pytorch-outputs" "$(one_line "$d/err2")"
        fi
    done
fi
suite_end
