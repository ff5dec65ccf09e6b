#!/usr/bin/env bash
# PyTorch interop: `rnnc export` -> `rnnc import` round-trips exactly; hostile safetensors
# files are refused by import with one line and status 2; and, when Debian's python3-torch
# is installed, an nn.RNN + nn.Linear saved by examples/pytorch/rnn_to_rnnc.py, imported
# and embedded, gives the same probabilities as PyTorch (within 1e-5).
. "$(dirname "$0")/../lib/suite.sh" interop
t=$tmp

# A small trained checkpoint.
for i in $(seq 1 40); do echo "the quick brown fox $i jumps over the lazy dog; $((i * 7)) apples"; done >"$t/text.txt"
if ! "$RNNC" train --hidden 16 --tau 8 --steps 150 --every 150 --sample-every 0 --backend tcc \
    --save "$t/a.ckpt" "$t/text.txt" >/dev/null 2>"$t/err"; then
    fail setup "training failed: $(head -c 300 "$t/err")"
    suite_end
fi

# 1. export -> import -> export gives the same bytes; the weights and vocabulary survive.
if "$RNNC" export "$t/a.ckpt" -o "$t/a.safetensors" >/dev/null &&
    "$RNNC" import "$t/a.safetensors" -o "$t/b.ckpt" >/dev/null &&
    "$RNNC" export "$t/b.ckpt" -o "$t/b.safetensors" >/dev/null &&
    cmp -s "$t/a.safetensors" "$t/b.safetensors"; then
    ok export-import-export-identical
else
    fail export-import-export-identical "re-exported file differs"
fi
s1=$("$RNNC" sample "$t/a.ckpt" -n 200 --seed 9)
s2=$("$RNNC" sample "$t/b.ckpt" -n 200 --seed 9)
if [ -n "$s1" ] && [ "$s1" = "$s2" ]; then ok imported-samples-identically; else fail imported-samples-identically "samples differ"; fi
for dt in double; do
    "$RNNC" train --hidden 8 --tau 4 --steps 20 --every 20 --sample-every 0 --backend tcc --dtype $dt \
        --save "$t/d.ckpt" "$t/text.txt" >/dev/null 2>&1
    if "$RNNC" export "$t/d.ckpt" -o "$t/d.safetensors" >/dev/null && "$RNNC" import "$t/d.safetensors" -o "$t/d2.ckpt" >/dev/null &&
        "$RNNC" info "$t/d2.ckpt" | grep -q "dtype=$dt" &&
        [ "$("$RNNC" sample "$t/d.ckpt" -n 50 --seed 1)" = "$("$RNNC" sample "$t/d2.ckpt" -n 50 --seed 1)" ]; then
        ok roundtrip-$dt
    else
        fail roundtrip-$dt "the $dt model did not round-trip"
    fi
done

# 2. Hostile or mismatched files: status 2, one line naming the file, no checkpoint written.
expect_refused() {
    local name=$1 file=$2
    shift 2
    rm -f "$t/out.ckpt"
    "$RNNC" import "$file" -o "$t/out.ckpt" "$@" >"$t/stdout" 2>"$t/stderr"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$t/stderr")" -eq 1 ] && grep -qF "$(basename "$file")" "$t/stderr" &&
        [ ! -e "$t/out.ckpt" ] && [ ! -s "$t/stdout" ]; then
        ok "refused/$name"
    else
        fail "refused/$name" "status $rc, stderr: $(head -c 200 "$t/stderr")"
    fi
}
PY=
for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1; then PY=$p; break; fi
done
good=$t/a.safetensors
hdrlen=$(od -An -t u8 -N 8 "$good" | tr -d ' ')
size=$(stat -c %s "$good")
# header length beyond the file
{ printf '\xff\xff\xff\x00\x00\x00\x00\x00'; tail -c +9 "$good"; } >"$t/hdrlen.safetensors"
expect_refused bad-header-length "$t/hdrlen.safetensors"
# truncated data
head -c $((size - 10)) "$good" >"$t/trunc.safetensors"
expect_refused truncated-data "$t/trunc.safetensors"
# header edits (offsets out of range, wrong dtype, shape mismatch, missing tensor) via sed on the JSON
edit() {
    local name=$1 expr=$2
    local json
    json=$(tail -c +9 "$good" | head -c "$hdrlen" | sed -e "$expr")
    local n=${#json}
    {
        printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x\\x00\\x00\\x00\\x00' $((n & 255)) $(((n >> 8) & 255)) $(((n >> 16) & 255)) $(((n >> 24) & 255)))"
        printf '%s' "$json"
        tail -c +$((9 + hdrlen)) "$good"
    } >"$t/$name.safetensors"
}
edit offsets 's/"data_offsets":\[0,/"data_offsets":[99999999,/'
expect_refused offsets-out-of-range "$t/offsets.safetensors"
edit dtype 's/"dtype":"F32"/"dtype":"I32"/'
expect_refused wrong-dtype "$t/dtype.safetensors"
edit shape 's/"shape":\[16\]/"shape":[15]/'
expect_refused shape-mismatch "$t/shape.safetensors"
edit missing 's/rnn\.weight_hh_l0/rnn.weight_xx_l0/'
expect_refused missing-tensor "$t/missing.safetensors"
expect_refused wrong-prefix "$good" --rnn-prefix model.rnn.
echo "not a safetensors file" >"$t/junk.safetensors"
expect_refused not-safetensors "$t/junk.safetensors"

# 3. PyTorch: the same probabilities from nn.RNN and from the imported, embedded model.
. "$ROOT/tests/lib/outputs.sh"
if [ -z "$TORCH_PY" ]; then
    echo "skip interop/pytorch-outputs: python3-torch is not installed (apt-get install python3-torch)"
else
    ex=examples/pytorch/rnn_to_rnnc.py
    prime='int main(void) { return 0; }'
    if "$TORCH_PY" "$ex" save "$t/pt.safetensors" --steps 100 --hidden 24 >/dev/null 2>"$t/err" &&
        "$RNNC" import "$t/pt.safetensors" -o "$t/pt.ckpt" >/dev/null 2>>"$t/err" &&
        "$RNNC" embed "$t/pt.ckpt" -o "$t/emb" --name ptm >/dev/null 2>>"$t/err"; then
        if embedded_driver "$t/emb" ptm 2>>"$t/err" &&
            "$t/emb/driver" "$prime" >"$t/rnnc.out" &&
            "$TORCH_PY" "$ex" outputs "$t/pt.safetensors" "$prime" >"$t/torch.out" 2>>"$t/err"; then
            worst=$(max_abs_diff "$t/rnnc.out" "$t/torch.out")
            lines=$(wc -l <"$t/rnnc.out")
            if [ "$lines" -eq ${#prime} ] && awk -v w="$worst" 'BEGIN { exit !(w <= 1e-5) }'; then
                ok "pytorch-outputs (max |difference| $worst over $lines steps)"
            else
                fail pytorch-outputs "max |difference| $worst over $lines steps"
            fi
        else
            fail pytorch-outputs "$(head -c 400 "$t/err")"
        fi
    else
        fail pytorch-outputs "$(head -c 400 "$t/err")"
    fi
fi
suite_end
