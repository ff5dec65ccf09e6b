#!/usr/bin/env bash
# tests/fuzz/seeds.sh RNNC DIR: make the fuzzers' seed corpora with rnnc itself, one folder
# per target under DIR (DIR/spec, DIR/ckpt, ...): spec files in the forms the README shows,
# checkpoints of small models of every kind (text and UTF-8, dense CSV, batches, every
# activation, float and double, every recurrence and feedback, records with each end, a
# learned h(0), the gated cells (LSTM: c carried after h; GRU), versions 1 and 2, imported
# ones (format 3: the file's name)), their safetensors exports and a
# `check --dump`, CSV data, text in both modes, `train --log` files and the hand-written
# BPTT examples; for plot, also several logs in one input (separated by the byte 0x1E, as
# fuzz_plot.c splits them).  Takes a few seconds (tiny models on the tcc backend).  Exit status 0, or 1
# with a message when rnnc fails.
set -eu
RNNC=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/rnnc-seeds.XXXXXX")
trap 'rm -rf "$work"' EXIT
export RNNC_CACHE_DIR=$work/cache
for t in spec ckpt safetensors csv text plot hand; do mkdir -p "$out/$t"; done
rn() { "$RNNC" "$@" >/dev/null 2>"$work/err" || { echo "seeds.sh: rnnc $*: $(head -c 300 "$work/err")" >&2; exit 1; }; }

# ---- data ----
printf 'the cat sat on the mat.\nthe dog ran.\n%.0s' 1 2 3 4 >"$work/a.txt"
printf 'gr\xc3\xbc\xc3\x9fe \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x99\x82 na\xc3\xafve\n%.0s' 1 2 3 >"$work/u.txt"
awk 'BEGIN { print "sin,cos"; for (i = 0; i < 40; i++) printf "%.6f,%.6f\n", sin(i * 0.3), cos(i * 0.3) }' >"$work/w.csv"
cp "$work/w.csv" "$out/csv/header.csv"
awk 'BEGIN { for (i = 0; i < 12; i++) printf "%d, %.3e ,-%g\n", i, i * 1e-3, i / 7 }' >"$out/csv/no-header.csv"
printf '\xef\xbb\xbf# comment\r\nx,y\r\n\r\n1,2\r\n3.5,-4e2\r\n' >"$out/csv/bom-crlf-comments.csv"
{ printf '\0'; cat "$work/a.txt"; } >"$out/text/bytes.txt"
{ printf '\1'; cat "$work/u.txt"; } >"$out/text/utf8.txt"
{ printf '\0'; head -c 200 "$work/u.txt"; } >"$out/text/bytes-of-utf8.txt"

# ---- checkpoints, logs, exports ----
T=(--tau 3 --steps 4 --every 2 --sample-every 0 --backend tcc)
rn train --hidden 4 "${T[@]}" --save "$out/ckpt/text.ckpt" --log "$out/plot/text-log.csv" "$work/a.txt"
rn train --hidden 3 "${T[@]}" --batch 2 --optim adam --lr 0.01 --dtype double --act relu \
    --save "$out/ckpt/batch2-adam-double-relu.ckpt" "$work/a.txt"
rn train --hidden 3 "${T[@]}" --chars utf8 --act sigmoid --optim rmsprop --lr 0.01 \
    --save "$out/ckpt/utf8-sigmoid.ckpt" --log "$out/plot/utf8-log.csv" "$work/u.txt"
rn train --hidden 3 "${T[@]}" --optim momentum --lr 0.01 --save "$out/ckpt/dense.ckpt" "$work/w.csv"
rn train --hidden 2 "${T[@]}" --target cos --optim sgd --lr 0.01 --save "$out/ckpt/dense-target.ckpt" "$work/w.csv"
# The output-recurrent family (fb(tau) carried; scheduled sampling's schedule) and sequences
# that end (records, end symbol, halting unit, length output, learned h(0), a CSV sequence
# column), and a version 1 checkpoint (still read).
rn train --hidden 3 "${T[@]}" --recurrence output --feedback teacher --save "$out/ckpt/output-teacher.ckpt" "$work/a.txt"
rn train --hidden 3 "${T[@]}" --batch 2 --recurrence both --feedback scheduled --schedule exp \
    --save "$out/ckpt/both-scheduled.ckpt" "$work/a.txt"
rn train --hidden 3 "${T[@]}" --recurrence output --feedback free --save "$out/ckpt/dense-output-free.ckpt" "$work/w.csv"
rn train --hidden 3 "${T[@]}" --batch 2 --records lines --end eos --save "$out/ckpt/records-eos.ckpt" "$work/a.txt"
rn train --hidden 3 "${T[@]}" --records paragraphs --end halt --learn-h0 --chars utf8 \
    --save "$out/ckpt/paragraphs-halt-h0.ckpt" "$work/u.txt"
rn train --hidden 3 "${T[@]}" --records lines --end length --max-length 30 --recurrence both \
    --save "$out/ckpt/records-length-both.ckpt" "$work/a.txt"
awk 'BEGIN { print "seq,x,y"; for (i = 0; i < 30; i++) printf "%d,%.4f,%.4f\n", int(i / 7), sin(i), cos(i) }' >"$work/s.csv"
rn train --hidden 2 "${T[@]}" --sequence-column seq --target y --learn-h0 --save "$out/ckpt/csv-sequences.ckpt" "$work/s.csv"
cp "$here/../data/ckpt_v1.ckpt" "$out/ckpt/version1.ckpt"
cp "$here/../data/ckpt_v2.ckpt" "$out/ckpt/version2.ckpt"
# The gated cells (issue 17): the LSTM (c carried after h), the GRU; streams and records.
rn train --hidden 3 "${T[@]}" --cell lstm --batch 2 --save "$out/ckpt/lstm.ckpt" "$work/a.txt"
rn train --hidden 2 "${T[@]}" --cell gru --dtype double --save "$out/ckpt/gru-double.ckpt" "$work/w.csv"
rn train --hidden 3 "${T[@]}" --cell lstm --records lines --end eos --learn-h0 \
    --save "$out/ckpt/lstm-records-eos-h0.ckpt" "$work/a.txt"
rn train --hidden 3 "${T[@]}" --cell gru --records paragraphs --end halt --chars utf8 \
    --save "$out/ckpt/gru-paragraphs-halt.ckpt" "$work/u.txt"
for c in text batch2-adam-double-relu utf8-sigmoid dense both-scheduled records-eos paragraphs-halt-h0 lstm \
    gru-double lstm-records-eos-h0; do
    rn export "$out/ckpt/$c.ckpt" -o "$out/safetensors/$c.safetensors"
done
rn import "$out/safetensors/text.safetensors" -o "$out/ckpt/imported.ckpt"
rn import "$out/safetensors/both-scheduled.safetensors" -o "$out/ckpt/imported-both-scheduled.ckpt"
rn import "$out/safetensors/paragraphs-halt-h0.safetensors" -o "$out/ckpt/imported-paragraphs-halt-h0.ckpt"
rn import "$out/safetensors/lstm.safetensors" -o "$out/ckpt/imported-lstm.ckpt"
rn import "$out/safetensors/gru-double.safetensors" -o "$out/ckpt/imported-gru-double.ckpt"
{ cat "$out/plot/text-log.csv"; printf '\036'; cat "$out/plot/utf8-log.csv"; } >"$out/plot/two-logs.csv"
rn check --vocab 3 --hidden 2 --tau 2 --backend tcc --dump "$out/safetensors/check-dump.safetensors"
printf 'step,loss,bpc,lr,seconds\n1,nan,nan,0.1,0.001\n2,inf,inf,0.1,0.002\n3,4.5,1.2,0.1,0.003\n' \
    >"$out/plot/nonfinite-log.csv"

# ---- spec files: the canonical forms of the checkpoints, and the README's forms ----
i=0
for c in "$out"/ckpt/*.ckpt; do
    "$RNNC" info "$c" | sed -n 's/^spec: //p' | tr ' ' '\n' | sed 's/=/ = /' >"$out/spec/canonical-$i.spec"
    i=$((i + 1))
done
printf '# a model\nvocab = 65\nhidden = 100   # the hidden size\n\ntau = 25\nbatch = 1\nact = tanh\nloss = nll\ndtype = float\nname = rnn\n' >"$out/spec/readme.spec"
printf '\xef\xbb\xbfin = 3\r\nout = 2\r\nhidden = 4\r\ntau = 2\r\nloss = mse\r\nfast = yes\r\n' >"$out/spec/bom-crlf-dense.spec"

# ---- the hand-written BPTT examples ----
cp "$here"/../../examples/hand/*.c "$out/hand/"
