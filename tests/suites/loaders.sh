#!/usr/bin/env bash
# tests/suites/loaders.sh: loaders check meaning, not only the checksum.  Checkpoints with a
# valid CRC-32 but impossible content (crafted by tests/lib/ckpt_craft.py, which rewrites a
# field of a good checkpoint and recomputes the CRC) are refused by every command that loads
# them (info, sample, export, embed, train --resume) with exit status 2, one stderr line
# naming the file and what is wrong, nothing on stdout and nothing written; the crafter's
# unmodified output still loads (so the refusals are about meaning); and a run that stops on
# a non-finite loss says which checkpoint is kept, if any.
# Format 2's fields too: a fed-back fb(tau) out of its range, a schedule that does not fit the
# model, records, end symbol, sequence column and learned h(0) that do not go together; and
# a checkpoint of every family (output recurrence, scheduled sampling, records with each end,
# a learned h(0), a CSV sequence column, version 1) loads, resumes and crafts back unchanged.
# Format 3 and the gated cells: the LSTM's carried cell state c (finite, no range: it is a
# running sum) and the GRU's h (tanh-like), the imported file's name (one line, no control
# bytes, no slash); LSTM and GRU checkpoints (streams, records with eos and a learned h(0),
# halt), an imported one and a version 2 file load, resume and craft back unchanged.
# Prints "ok loaders/CASE", "FAIL loaders/CASE: why" or "skip loaders/CASE: why".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory).
. "$(dirname "$0")/../lib/suite.sh" loaders
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
CRAFT=$ROOT/tests/lib/ckpt_craft.py

if ! command -v python3 >/dev/null 2>&1; then
    skip all "python3 is not installed (the checkpoint crafter is a Python script)"
    suite_end
fi

# Good checkpoints: bytes (tanh), UTF-8 (sigmoid), dense CSV (relu, batch 2).
for i in $(seq 1 40); do echo "the cat sat on mat $((i % 5)). a dog ran to log $((i % 3))!"; done >"$tmp/t.txt"
printf 'na\xc3\xafve caf\xc3\xa9 \xe2\x80\x94 gr\xc3\xbc\xc3\x9fe\n%.0s' $(seq 1 20) >"$tmp/u.txt"
awk 'BEGIN { print "a,b"; for (i = 0; i < 200; i++) printf "%.4f,%.4f\n", sin(i / 5), cos(i / 5) }' >"$tmp/w.csv"
T=(--tau 8 --steps 20 --every 10 --sample-every 0 --backend tcc)
rn train --hidden 8 "${T[@]}" --save "$tmp/good.ck" "$tmp/t.txt" >/dev/null 2>"$tmp/e1" &&
    rn train --hidden 8 "${T[@]}" --chars utf8 --act sigmoid --save "$tmp/utf8.ck" "$tmp/u.txt" >/dev/null 2>"$tmp/e2" &&
    rn train --hidden 8 "${T[@]}" --act relu --batch 2 --save "$tmp/dense.ck" "$tmp/w.csv" >/dev/null 2>"$tmp/e3"
if [ $? -ne 0 ]; then
    fail "setup/good-checkpoints" "$(cat "$tmp"/e1 "$tmp"/e2 "$tmp"/e3 2>/dev/null | head -c 300)"
    suite_end
fi
# Format 2's families: an output recurrence (fb(tau) carried), scheduled sampling (its
# schedule), records of lines with an end symbol, paragraphs with a halting unit and a
# learned h(0) (UTF-8), a CSV sequence column with a learned h(0).
awk 'BEGIN { print "seq,x,y"; for (i = 0; i < 120; i++) printf "%d,%.4f,%.4f\n", int(i / 9), sin(i / 4), cos(i / 4) }' >"$tmp/s.csv"
fam=(
    "output.ck --recurrence output --feedback teacher t.txt"
    "scheduled.ck --recurrence both --feedback scheduled --schedule exp --batch 2 t.txt"
    "free-dense.ck --recurrence output --feedback free w.csv"
    "eos.ck --records lines --end eos --batch 2 t.txt"
    "halt-h0.ck --records paragraphs --end halt --learn-h0 --chars utf8 u.txt"
    "length.ck --records lines --end length --max-length 60 t.txt"
    "csv-seq.ck --sequence-column seq --target y --learn-h0 s.csv"
    "lstm.ck --cell lstm --batch 2 t.txt"
    "gru.ck --cell gru t.txt"
    "lstm-eos-h0.ck --cell lstm --records lines --end eos --learn-h0 --batch 2 t.txt"
    "gru-halt.ck --cell gru --records paragraphs --end halt --chars utf8 u.txt"
)
for f in "${fam[@]}"; do
    set -- $f
    ck=$1 data=$tmp/${!#}
    shift
    set -- "${@:1:$(($# - 1))}"
    rn train --hidden 6 "${T[@]}" "$@" --save "$tmp/$ck" "$data" >/dev/null 2>"$tmp/fam.err" ||
        fail "setup/$ck" "$(one_line "$tmp/fam.err")"
done
cp "$ROOT/tests/data/ckpt_v1.ckpt" "$tmp/v1.ck"
cp "$ROOT/tests/data/ckpt_v2.ckpt" "$tmp/v2.ck"
# Format 3's origin: an LSTM exported and imported back (imported=lstm.safetensors).
(cd "$tmp" && rn export lstm.ck -o lstm.safetensors && rn import lstm.safetensors -o imported.ck) >/dev/null 2>"$tmp/imp.err" ||
    fail "setup/imported.ck" "$(one_line "$tmp/imp.err")"

# The crafter rewrites without edits to the same bytes, and its output loads.
why=()
python3 "$CRAFT" "$tmp/good.ck" "$tmp/same.ck" 2>"$tmp/err" || why+=("crafter: $(one_line "$tmp/err")")
cmp -s "$tmp/good.ck" "$tmp/same.ck" || why+=("the crafter does not reproduce an unmodified checkpoint")
python3 "$CRAFT" "$tmp/good.ck" "$tmp/tiny-change.ck" param=0:0.001 h=0:0.5 2>>"$tmp/err"
rn info "$tmp/tiny-change.ck" >/dev/null 2>"$tmp/err" || why+=("a plausible edit (weight 0.001, state 0.5) is refused: $(one_line "$tmp/err")")
check "control/crafted-with-valid-crc-and-plausible-content-loads" "${why[@]}"

# Every family's checkpoint: the crafter gives it back byte for byte, it loads, and training
# resumes from it (two more steps).
for ck in output.ck scheduled.ck free-dense.ck eos.ck halt-h0.ck length.ck csv-seq.ck lstm.ck gru.ck lstm-eos-h0.ck \
    gru-halt.ck imported.ck v1.ck v2.ck; do
    why=()
    data=$tmp/t.txt
    extra=()
    case $ck in halt-h0.ck | gru-halt.ck) data=$tmp/u.txt ;; free-dense.ck) data=$tmp/w.csv ;; csv-seq.ck) data=$tmp/s.csv extra=(--target y) ;; esac
    python3 "$CRAFT" "$tmp/$ck" "$tmp/same-$ck" 2>"$tmp/err" || why+=("crafter: $(one_line "$tmp/err")")
    cmp -s "$tmp/$ck" "$tmp/same-$ck" || why+=("the crafter does not reproduce it")
    rn info "$tmp/$ck" >/dev/null 2>"$tmp/err" || why+=("info: $(one_line "$tmp/err")")
    if [ $ck != v1.ck ] && [ $ck != v2.ck ]; then
        rn train --steps 22 --every 22 --sample-every 0 --backend tcc --resume "$tmp/$ck" --save "$tmp/resumed-$ck" \
            "${extra[@]}" "$data" >/dev/null 2>"$tmp/err" || why+=("resume: $(one_line "$tmp/err")")
        rn info "$tmp/resumed-$ck" >/dev/null 2>"$tmp/err" || why+=("info after resume: $(one_line "$tmp/err")")
    fi
    check "control/family-loads-and-resumes/$ck" "${why[@]}"
done

# refused NAME SOURCE EXPECT EDIT...: craft SOURCE with EDITs; every loading command must
# refuse it (status 2, one stderr line naming the file and EXPECT, empty stdout, no output).
refused() {
    local name=$1 src=$2 expect=$3
    shift 3
    local d=$tmp/case-$name why=()
    mkdir -p "$d"
    if ! python3 "$CRAFT" "$tmp/$src" "$d/bad.ck" "$@" 2>"$d/craft.err"; then
        fail "$name" "crafter: $(one_line "$d/craft.err")"
        return
    fi
    local data=$tmp/t.txt
    case $src in utf8.ck | halt-h0.ck | gru-halt.ck) data=$tmp/u.txt ;; dense.ck | free-dense.ck) data=$tmp/w.csv ;; csv-seq.ck) data=$tmp/s.csv ;; esac
    local cmds=("info" "sample" "export" "embed" "train")
    for c in "${cmds[@]}"; do
        local args=()
        case $c in
        info | sample) args=("$c" bad.ck) ;;
        export) args=(export bad.ck -o out.safetensors) ;;
        embed) args=(embed bad.ck -o embedded) ;;
        train) args=(train --steps 40 --sample-every 0 --backend tcc --resume bad.ck --save new.ck "$data") ;;
        esac
        case $c/$src in sample/dense.ck | sample/free-dense.ck | sample/csv-seq.ck) continue ;; esac   # dense: nothing to sample
        (cd "$d" && exec timeout -k 5 60 "$RNNC" "${args[@]}") >"$d/$c.out" 2>"$d/$c.err"
        local rc=$?
        [ $rc -eq 2 ] || why+=("$c: status $rc, not 2")
        [ "$(wc -l <"$d/$c.err")" -eq 1 ] || why+=("$c: $(wc -l <"$d/$c.err") lines on stderr")
        grep -qF "bad.ck: corrupt checkpoint (" "$d/$c.err" || why+=("$c: no 'bad.ck: corrupt checkpoint (' in: $(one_line "$d/$c.err")")
        grep -qF -- "$expect" "$d/$c.err" || why+=("$c: does not say '$expect': $(one_line "$d/$c.err")")
        [ -s "$d/$c.out" ] && why+=("$c: stdout not empty: $(one_line "$d/$c.out")")
    done
    local left
    left=$(cd "$d" && ls -A | grep -v -E '^(bad\.ck|craft\.err|[a-z]+\.(out|err))$' | tr '\n' ' ')
    [ -z "$left" ] && [ ! -e "$d/embedded" ] || why+=("files written: $left")
    check "$name" "${why[@]}"
}
# Element 3 of the weights is U[3, 0]; U is 8 x 22 (176 entries), so 200 is in W.
refused "nan-weight-in-U" good.ck "weight U[3, 0] is NaN" param=3:nan
refused "infinite-weight-in-W" good.ck "is infinite" param=200:inf
refused "negative-infinite-weight-double-check" dense.ck "is infinite" param=1:-inf
refused "nan-optimiser-state" good.ck "optimiser state entry 7 is NaN" opt=7:nan
refused "hidden-state-outside-tanh-range" good.ck "impossible for its activation" h=1:1.5
refused "hidden-state-outside-sigmoid-range" utf8.ck "impossible for its activation" h=0:-0.25
refused "hidden-state-negative-relu" dense.ck "impossible for its activation" h=3:-1
refused "hidden-state-nan" good.ck "carried hidden state 2 of stream 0 is nan" h=2:nan
refused "vocabulary-byte-out-of-range" good.ck "vocabulary symbol 21 is 0x100, not a byte" vocab=21:256
refused "vocabulary-symbol-repeated" good.ck "repeats" vocab=1:10
refused "vocabulary-not-ascending" good.ck "is below" vocab=5:1
refused "vocabulary-utf8-surrogate" utf8.ck "not a Unicode scalar value" vocab=14:55296
refused "vocabulary-utf8-above-10ffff" utf8.ck "not a Unicode scalar value" vocab=14:1114112
refused "position-beyond-the-data" good.ck "stream 0 is at position 99999" pos=0:99999
refused "position-beyond-the-data-batch-2" dense.ck "stream 1 is at position" pos=1:201
refused "training-without-data" good.ck "fewer than tau" datalen=0 pos=0:0
refused "learning-rate-nan" good.ck "optimiser setting lr is nan" lr=nan
refused "learning-rate-zero" good.ck "optimiser setting lr is 0" lr=0
refused "beta2-one" good.ck "optimiser setting beta2 is 1" beta2=1
refused "gradient-scale-not-one-over-batch" dense.ck "gradient scale" gradscale=1
refused "unknown-optimiser" good.ck "optimiser 7" optim=7
refused "smoothed-loss-nan-after-training" good.ck "smoothed loss nan at step 20" smooth=nan
refused "last-loss-negative" good.ck "last loss -1" last=-1
refused "optimiser-state-before-first-step" good.ck "before the first step" step=0
refused "unknown-character-mode" good.ck "character mode 5" mode=5
refused "reserved-word-set" good.ck "reserved header word is 1" reserved=1
refused "spec-not-canonical" good.ck "not in canonical form" \
    "spec=hidden=8 vocab=22 tau=8 batch=1 act=tanh loss=nll dtype=float name=rnn"
refused "spec-beyond-the-limits" good.ck "spec: hidden: expected a whole number from 1 to 65536" \
    "spec=vocab=22 hidden=65537 tau=8 batch=1 act=tanh loss=nll dtype=float name=rnn"
refused "trailing-bytes" good.ck "sizes do not match its spec" trailing=8
refused "nul-byte-after-the-spec" good.ck "NUL byte in the spec" \
    "spec=vocab=22 hidden=8 tau=8 batch=1 act=tanh loss=nll dtype=float name=rnn\\0"
refused "spec-buffers-over-the-limit" good.ck "spec: --hidden: the parameters buffer would need 4300865664 bytes" \
    "spec=vocab=22 hidden=32768 tau=8 batch=1 act=tanh loss=nll dtype=float name=rnn"

# Format 2's fields (the good checkpoints: tau 8, hidden 6; t.txt's vocabulary has 'a' = 0x61).
refused "fed-back-output-above-one" output.ck "carried fed-back output fb 3 of stream 0 is 1.5, impossible for its loss" fb=3:1.5
refused "fed-back-output-nan" scheduled.ck "carried fed-back output fb 0 of stream 1 is nan" fb=22:nan
refused "fed-back-output-infinite-mse" free-dense.ck "carried fed-back output fb 1 of stream 0 is inf" fb=1:inf
refused "hidden-state-of-output-model-outside-tanh" output.ck "carried hidden state 0 of stream 0 is -2" h=0:-2
refused "schedule-missing-for-scheduled-sampling" scheduled.ck "schedule kind 0 for a model with scheduled sampling" sched=0 schedk=0 schedend=0
refused "schedule-without-scheduled-sampling" good.ck "schedule kind 1 for a model without scheduled sampling" sched=1 schedk=5
refused "schedule-exp-k-above-one" scheduled.ck "schedule k 2, end 0" schedk=2
refused "schedule-end-above-one" scheduled.ck "end 1.5" schedend=1.5
refused "schedule-unknown-kind" scheduled.ck "schedule kind 9" sched=9
refused "records-unknown-mode" eos.ck "records mode 7" records=7
refused "records-of-lines-without-end-symbol" good.ck "no end symbol with records lines" records=1
refused "end-symbol-on-a-stream" good.ck "vocabulary of 22 symbols and an end symbol for 22 classes" hasend=1 endsym=1
refused "end-symbol-in-the-vocabulary" eos.ck "end symbol 0x61 is in the vocabulary" endsym=97
refused "end-symbol-not-a-byte" eos.ck "end symbol 0x100 is not a byte" endsym=256
refused "end-symbol-flag-two" eos.ck "has_end_symbol is 2" hasend=2
refused "record-position-not-a-multiple-of-tau" eos.ck "column 1 is 3 steps into its record, not a multiple of tau 8" pos=1:3
refused "record-beyond-the-data" eos.ck "column 0 is in record 99999 (beyond the data)" record=0:99999
refused "record-on-a-stream" good.ck "column 0 is in record 1 without records" record=0:1
refused "records-drawn-beyond-the-steps" eos.ck "99999 records drawn by step 20" drawn=99999
refused "learned-h0-nan" halt-h0.ck "learned h(0) entry 2 is NaN" h0=2:nan
refused "learned-h0-optimiser-state-before-first-step" halt-h0.ck "before the first step" step=0 h=0:0 h=1:0 h=2:0 h=3:0 h=4:0 h=5:0
refused "sequence-column-nul-byte" csv-seq.ck "NUL byte in the sequence column's name" 'seqcol=s\0q'
refused "sequence-column-on-a-stream" good.ck "a sequence column with records none" seqcol=x
refused "sequence-column-control-character" csv-seq.ck "control character 0x09" "seqcol=$(printf 'se\tq')"
refused "version-1-nan-hidden-state" v1.ck "carried hidden state 1 of stream 0 is nan" h=1:nan
refused "lstm-cell-state-nan" lstm.ck "carried cell state c 3 of stream 1 is nan, not finite" c=9:nan
refused "lstm-cell-state-infinite-records" lstm-eos-h0.ck "carried cell state c 0 of column 0 is inf" c=0:inf
refused "lstm-cell-state-before-first-step" imported.ck "carried cell state c 0 of stream 0 is 0.5, not 0 before the first step" c=0:0.5
refused "lstm-hidden-state-outside-tanh" lstm.ck "carried hidden state 2 of stream 0 is 1.5, impossible" h=2:1.5
refused "gru-hidden-state-outside-tanh" gru.ck "carried hidden state 1 of stream 0 is -1.5, impossible" h=1:-1.5
refused "gru-hidden-state-nan-records" gru-halt.ck "carried hidden state 0 of column 0 is nan" h=0:nan
refused "imported-name-newline" imported.ck "control character 0x0A in the imported file's name" 'imported=a\nb'
refused "imported-name-slash" imported.ck "slash 0x2F in the imported file's name" 'imported=../x.safetensors'
refused "imported-name-nul-byte" imported.ck "NUL byte in the imported file's name" 'imported=a\0b'
refused "imported-name-escape" lstm.ck "control character 0x1B in the imported file's name" "imported=$(printf 'x\033[2J')"
refused "imported-name-too-long" imported.ck "imported file name of 300 bytes" "imported=$(printf 'a%.0s' $(seq 1 300))"

# Records the loader cannot check (it does not have the data): resuming on the checkpoint's
# own data refuses a column in a record the data does not have, or past its record's steps
# (exit 2, one line naming the file; it read out of bounds before).
for c in "record-past-the-records:record=0:1500:column 0 is in record 1500; the data has 40" \
    "position-past-the-record:pos=1:400:column 1 is 400 steps into record"; do
    name=${c%%:*} rest=${c#*:}
    edit=${rest%:*} expect=${rest##*:}
    why=()
    python3 "$CRAFT" "$tmp/eos.ck" "$tmp/$name.ck" "$edit" 2>"$tmp/err" || why+=("crafter: $(one_line "$tmp/err")")
    rn info "$tmp/$name.ck" >/dev/null 2>"$tmp/err" || why+=("info refuses it (the loader cannot know): $(one_line "$tmp/err")")
    rn train --steps 30 --sample-every 0 --backend tcc --resume "$tmp/$name.ck" --save "$tmp/$name-new.ck" "$tmp/t.txt" \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 2 ] || why+=("train: status $rc, not 2")
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || why+=("train: $(wc -l <"$tmp/err") lines on stderr")
    grep -qF "$name.ck: corrupt checkpoint ($expect" "$tmp/err" || why+=("train: stderr: $(one_line "$tmp/err")")
    [ -e "$tmp/$name-new.ck" ] && why+=("a checkpoint was written")
    check "resume/$name" "${why[@]}"
done

# A spec of a large model (within the limits: 1 GiB of weights, 2 GiB of optimiser state) in
# a small file is refused before its arrays are allocated: the loader stays small (peak RSS
# measured by /usr/bin/time when it is there).
d=$tmp/case-huge-spec
mkdir -p "$d"
why=()
python3 "$CRAFT" "$tmp/good.ck" "$d/bad.ck" "spec=vocab=22 hidden=16384 tau=8 batch=1 act=tanh loss=nll dtype=float name=rnn" 2>"$d/err"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$d/rss" "$RNNC" info "$d/bad.ck" >/dev/null 2>"$d/err"
    rc=$?
    rss=$(tail -n 1 "$d/rss")
    [ "${rss:-999999}" -lt 65536 ] || why+=("peak RSS ${rss} KB: the arrays (3 GiB) were allocated")
else
    rn info "$d/bad.ck" >/dev/null 2>"$d/err"
    rc=$?
fi
[ $rc -eq 2 ] || why+=("status $rc, not 2")
grep -qF "sizes do not match its spec" "$d/err" || why+=("stderr: $(one_line "$d/err")")
check "huge-spec-in-small-file-refused-before-allocating" "${why[@]}"

# ---- what a stopped run says it keeps ----
# note NAME EXPECT ARG...: train ARG..., which diverges (sgd, no clipping, lr 1e38: the loss
# is infinite at step 2, measured): status 1 and the one line of stderr says EXPECT.
note() {
    local name=$1 expect=$2
    shift 2
    local why=()
    rn train --hidden 8 --tau 8 --sample-every 0 --backend tcc --optim sgd --lr 1e38 --clip 0 "$@" \
        >"$tmp/note.out" 2>"$tmp/note.err"
    local rc=$?
    [ $rc -eq 1 ] || why+=("status $rc, not 1")
    grep -qF -- "$expect" "$tmp/note.err" || why+=("stderr does not say '$expect': $(one_line "$tmp/note.err")")
    check "stopped-run/$name" "${why[@]}"
}
rm -f "$tmp/fresh.ck"
note "fresh-run-diverging-before-its-first-save-says-none-saved" "no checkpoint was saved" \
    --steps 300 --every 100 --save "$tmp/fresh.ck" "$tmp/t.txt"
[ -e "$tmp/fresh.ck" ] && fail "stopped-run/fresh-run-creates-no-file" "fresh.ck exists" || ok "stopped-run/fresh-run-creates-no-file"
note "every-1-names-the-step-kept" "the last good checkpoint (step 1) is kept in $tmp/every1.ck" \
    --steps 300 --every 1 --save "$tmp/every1.ck" "$tmp/t.txt"
cp "$tmp/good.ck" "$tmp/resumed.ck"
note "resumed-file-left-as-it-was" "$tmp/resumed.ck is left as it was" \
    --steps 300 --every 100 --resume "$tmp/resumed.ck" --save "$tmp/resumed.ck" "$tmp/t.txt"
cmp -s "$tmp/good.ck" "$tmp/resumed.ck" && ok "stopped-run/resumed-file-unchanged" ||
    fail "stopped-run/resumed-file-unchanged" "the checkpoint resumed from changed"

suite_end
