#!/usr/bin/env bash
# tests/suites/records.sh: sequences that end (book section 10.2.3, issue 11), end to end on
# record sets generated here: words of a tiny grammar (1 to 4 syllables of 2 letters with
# probabilities 0.2, 0.4, 0.3, 0.1: a mean of 4.6 letters) one per line, paragraphs, and a CSV
# of sequences.  Each end mode (eos, halt, length) learns where records end: the mean length of
# 400 sampled records is within 10% of the data's, none is longer than --max-length or never
# ends; rnnc eval's per-record log-probabilities sum to the total; --learn-h0 learns and keeps
# h(0); --valid logs a validation loss that rnnc plot draws; tcc and cc give byte-identical
# checkpoints and resuming is bit-exact; rnnc info shows the end symbol; bad inputs (empty
# records, records too long, an end symbol in the data, a missing or interleaved CSV sequence
# column, options that need records) get one line naming the file and line, exit 2, and
# nothing written.
# Prints "ok records/CASE", "FAIL records/CASE: why" or "skip records/CASE: why"; exits 1 if
# any case failed.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR (a private
# compile cache; a fresh one under the scratch directory when unset).
. "$(dirname "$0")/../lib/suite.sh" records
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
# Training runs here take longer than suite.sh's 120 s limit under load.
rn() { timeout -k 5 180 "$RNNC" "$@"; }
info_get() { rn info "$1" 2>/dev/null | sed -n "s/^$2: //p"; }
# within A B FRAC: |A - B| <= FRAC * B.
within() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && d <= f * b) }'; }

# ---- data ----
# words.txt: 600 words, syllables of "ka lo mi nu te sa", lengths as above (Park-Miller).
awk 'BEGIN { split("ka lo mi nu te sa", s, " "); x = 7
    for (i = 0; i < 600; i++) { x = (x * 16807) % 2147483647; u = (x % 1000) / 1000
        n = u < 0.2 ? 1 : u < 0.6 ? 2 : u < 0.9 ? 3 : 4; w = ""
        for (j = 0; j < n; j++) { x = (x * 16807) % 2147483647; w = w s[1 + x % 6] }
        print w } }' >"$tmp/words.txt"
WORDS=$tmp/words.txt
DATA_MEAN=$(awk '{ n += length($0) } END { printf "%.4f", n / NR }' "$WORDS")
# paras.txt: 40 paragraphs of 1 to 3 lines of words, separated by one or two blank lines.
awk 'BEGIN { x = 3; for (p = 0; p < 40; p++) { x = (x * 16807) % 2147483647; l = 1 + x % 3
        for (i = 0; i < l; i++) { x = (x * 16807) % 2147483647; print "to be or not " (x % 5) }
        print ""; if (p % 7 == 0) print "" } }' >"$tmp/paras.txt"
# seq.csv: 60 sequences (column id) of 3 to 8 rows of a damped wave (column v) and its time.
awk 'BEGIN { print "id,t,v"; x = 11; for (s = 0; s < 60; s++) { x = (x * 16807) % 2147483647; n = 3 + x % 6
        for (i = 0; i < n; i++) printf "%d,%.3f,%.6f\n", s, i * 0.3, exp(-0.2 * i) * sin(i * 0.3 + s) } }' >"$tmp/seq.csv"
R=(--records lines --hidden 32 --tau 8 --batch 8 --sample-every 0)

# ---- 1. each end mode learns the length distribution ----
# Measured (seed 1, 1500 steps): mean sampled length 4.70 (eos), 4.84 (halt), 4.69 (length)
# against the data's 4.65; the longest 12, 12 and 10.
for e in eos halt length; do
    ml=()
    [ $e = length ] && ml=(--max-length 10)
    ck=$tmp/$e.ck
    why=()
    rn train "${R[@]}" --end $e "${ml[@]}" --steps 1500 --every 1500 --save "$ck" "$WORDS" >"$tmp/$e.out" 2>"$tmp/$e.err" ||
        why+=("train: $(one_line "$tmp/$e.err")")
    rn sample "$ck" --count 400 -n 60 --seed 9 >"$tmp/$e.sample" 2>"$tmp/$e.serr" || why+=("sample: $(one_line "$tmp/$e.serr")")
    read -r n mean longest < <(awk '{ s += length($0); if (length($0) > m) m = length($0) } END { printf "%d %.4f %d\n", NR, s / NR, m }' "$tmp/$e.sample")
    [ "$n" = 400 ] || why+=("$n records sampled, not 400")
    within "$mean" "$DATA_MEAN" 0.10 || why+=("mean length $mean, the data's $DATA_MEAN: more than 10% apart")
    [ "$longest" -lt 60 ] || why+=("a record ran to -n 60 without ending")
    [ $e = length ] && [ "$longest" -gt 10 ] && why+=("a record of $longest symbols, longer than --max-length 10")
    grep -q '[^kalominutesa]' "$tmp/$e.sample" && why+=("a symbol that is not a letter of the data")
    check "learn/$e-mean-length-within-10-percent (sampled $mean, data $DATA_MEAN, longest $longest)" "${why[@]}"
done

# ---- 2. rnnc eval: per-record log-probabilities sum to the total ----
for e in eos halt length; do
    why=()
    rn eval "$tmp/$e.ck" "$WORDS" --per-record >"$tmp/$e.eval" 2>"$tmp/$e.eerr" || why+=("$(one_line "$tmp/$e.eerr")")
    sum=$(awk '/^record / { s += $(NF - 1) } END { printf "%.6f", -s }' "$tmp/$e.eval")
    cnt=$(grep -c '^record ' "$tmp/$e.eval")
    total=$(sed -n 's/^loss: \([^ ]*\) nats in total.*/\1/p' "$tmp/$e.eval")
    [ "$cnt" = 600 ] || why+=("$cnt per-record lines, not 600")
    [ "$(sed -n 's/^records: //p' "$tmp/$e.eval")" = 600 ] || why+=("no 'records: 600' line")
    awk -v a="$sum" -v b="$total" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b != "" && d <= 1e-6 * 600 + 1e-9 * b) }' ||
        why+=("the records' -log p sum to $sum, the total is $total")
    steps=$(sed -n 's/^steps: \([0-9]*\) .*/\1/p' "$tmp/$e.eval")
    want=$(awk -v e=$e '{ n += length($0) + (e == "eos") } END { print n }' "$WORDS")
    [ "$steps" = "$want" ] || why+=("steps $steps, not $want")
    # Each line names the record's place in the file.
    grep -q "^record 600 (.*words.txt:600, " "$tmp/$e.eval" || why+=("record 600 is not words.txt:600")
    check "eval/$e-per-record-sums-to-total (total $total nats)" "${why[@]}"
done
why=()
rn eval "$tmp/eos.ck" "$WORDS" --backend tcc >"$tmp/eos.tcc" 2>"$tmp/err" || why+=("$(one_line "$tmp/err")")
grep -v '^record ' "$tmp/eos.eval" | cmp -s - "$tmp/eos.tcc" || why+=("tcc and cc report different numbers")
check "eval/tcc-equals-cc" "${why[@]}"

# ---- 3. rnnc info ----
why=()
case $(info_get "$tmp/eos.ck" "end symbol") in "class 11, value \n "*) ;; *) why+=("end symbol: '$(info_get "$tmp/eos.ck" "end symbol")'") ;; esac
[ "$(info_get "$tmp/eos.ck" vocabulary)" = "11 symbols (bytes): aeiklmnostu" ] || why+=("vocabulary: '$(info_get "$tmp/eos.ck" vocabulary)'")
case $(info_get "$tmp/eos.ck" spec) in "vocab=12 "*"end=eos "*) ;; *) why+=("spec: '$(info_get "$tmp/eos.ck" spec)'") ;; esac
case $(info_get "$tmp/length.ck" end) in "length ("*"lengths 1..10") ;; *) why+=("end: '$(info_get "$tmp/length.ck" end)'") ;; esac
case $(info_get "$tmp/halt.ck" "start symbol") in "class 11, value \n "*) ;; *) why+=("start symbol: '$(info_get "$tmp/halt.ck" "start symbol")'") ;; esac
[ "$(info_get "$tmp/halt.ck" records)" = "lines; initial state h(0): zeros" ] || why+=("records: '$(info_get "$tmp/halt.ck" records)'")
check "info/end-symbol-records-vocabulary" "${why[@]}"

# ---- 4. backends and resume ----
d=$tmp/backends
mkdir -p "$d"
why=()
for b in tcc cc; do
    rn train "${R[@]}" --end halt --learn-h0 --steps 200 --every 200 --backend $b --save "$d/$b.ck" "$WORDS" \
        >/dev/null 2>"$d/$b.err" || why+=("--backend $b: $(one_line "$d/$b.err")")
done
cmp -s "$d/tcc.ck" "$d/cc.ck" || why+=("tcc and cc checkpoints differ: $(cmp "$d/tcc.ck" "$d/cc.ck" 2>&1)")
check "backends/halt-learn-h0-tcc-cc-byte-identical" "${why[@]}"
for cfg in "eos" "length --max-length 10 --learn-h0 --optim adam --lr 0.005" "halt --recurrence output --feedback scheduled --schedule-k 150"; do
    set -- $cfg
    d=$tmp/resume-$1
    mkdir -p "$d"
    why=()
    rn train "${R[@]}" --end $cfg --steps 100 --save "$d/C" "$WORDS" >/dev/null 2>"$d/1.err" || why+=("first: $(one_line "$d/1.err")")
    rn train --sample-every 0 --steps 200 --resume "$d/C" --save "$d/C" "$WORDS" >/dev/null 2>"$d/2.err" || why+=("resumed: $(one_line "$d/2.err")")
    rn train "${R[@]}" --end $cfg --steps 200 --save "$d/D" "$WORDS" >/dev/null 2>"$d/3.err" || why+=("straight: $(one_line "$d/3.err")")
    cmp -s "$d/C" "$d/D" || why+=("100 + 100 steps differs from 200: $(cmp "$d/C" "$d/D" 2>&1)")
    check "resume/$1-100+100-equals-200 ($cfg)" "${why[@]}"
done

# ---- 5. --learn-h0: h(0) is learned and used ----
why=()
rn train "${R[@]}" --end eos --learn-h0 --steps 600 --every 600 --save "$tmp/h0.ck" "$WORDS" >/dev/null 2>"$tmp/err" ||
    why+=("$(one_line "$tmp/err")")
[ "$(info_get "$tmp/h0.ck" records)" = "lines; initial state h(0): learned (--learn-h0)" ] || why+=("records: '$(info_get "$tmp/h0.ck" records)'")
rn export "$tmp/h0.ck" -o "$tmp/h0.safetensors" >/dev/null 2>"$tmp/err" && rn import "$tmp/h0.safetensors" -o "$tmp/h0b.ck" >/dev/null 2>>"$tmp/err" ||
    why+=("export/import: $(one_line "$tmp/err")")
grep -q 'rnnc.h0' "$tmp/h0.safetensors" || why+=("no tensor rnnc.h0 in the export")
[ "$(rn sample "$tmp/h0.ck" --count 20 --seed 3)" = "$(rn sample "$tmp/h0b.ck" --count 20 --seed 3)" ] || why+=("the imported model samples differently")
rn eval "$tmp/h0.ck" "$WORDS" >"$tmp/h0.eval" 2>"$tmp/err" || why+=("eval: $(one_line "$tmp/err")")
grep -q '^nll: [0-9]' "$tmp/h0.eval" || why+=("eval has no nll line: $(one_line "$tmp/h0.eval")")
check "learn-h0/kept-in-checkpoint-exported-and-sampled" "${why[@]}"

# ---- 6. paragraphs, and a CSV of sequences ----
why=()
rn train --records paragraphs --end eos --hidden 16 --tau 8 --batch 4 --steps 300 --every 300 --sample-every 0 \
    --save "$tmp/para.ck" "$tmp/paras.txt" >/dev/null 2>"$tmp/err" || why+=("train: $(one_line "$tmp/err")")
rn eval "$tmp/para.ck" "$tmp/paras.txt" --per-record >"$tmp/para.eval" 2>"$tmp/err" || why+=("eval: $(one_line "$tmp/err")")
[ "$(sed -n 's/^records: //p' "$tmp/para.eval")" = 40 ] || why+=("$(sed -n 's/^records: //p' "$tmp/para.eval") records, not the 40 paragraphs")
first_line=$(sed -n 's/^record 2 (.*paras.txt:\([0-9]*\),.*/\1/p' "$tmp/para.eval")
want_line=$(awk 'BEGIN { p = 0 } NF && !inp { p++; if (p == 2) { print NR; exit } } { inp = NF > 0 }' "$tmp/paras.txt")
[ "$first_line" = "$want_line" ] || why+=("record 2 starts at line '$first_line', the file's second paragraph at $want_line")
# Paragraphs keep their inner line ends: the end symbol cannot be '\n'.
case $(info_get "$tmp/para.ck" "end symbol") in *"value \\n "*) why+=("the end symbol is \\n, which the paragraphs hold") ;; esac
rn sample "$tmp/para.ck" --count 3 --seed 1 >"$tmp/para.sample" 2>"$tmp/err" || why+=("sample: $(one_line "$tmp/err")")
check "paragraphs/40-records-from-their-lines" "${why[@]}"
why=()
rn train --sequence-column id --target v --end halt --hidden 16 --tau 4 --batch 4 --steps 600 --every 600 --optim adam --lr 0.01 \
    --sample-every 0 --save "$tmp/seq.ck" "$tmp/seq.csv" >/dev/null 2>"$tmp/err" || why+=("train: $(one_line "$tmp/err")")
case $(info_get "$tmp/seq.ck" spec) in "in=1 out=1 "*"loss=mse end=halt "*) ;; *) why+=("spec '$(info_get "$tmp/seq.ck" spec)' (t in, v out; id neither)") ;; esac
[ "$(info_get "$tmp/seq.ck" records)" = "CSV sequence column 'id'; initial state h(0): zeros" ] || why+=("records: '$(info_get "$tmp/seq.ck" records)'")
rn eval "$tmp/seq.ck" "$tmp/seq.csv" --target v --per-record >"$tmp/seq.eval" 2>"$tmp/err" || why+=("eval: $(one_line "$tmp/err")")
[ "$(sed -n 's/^records: //p' "$tmp/seq.eval")" = 60 ] || why+=("not 60 records: $(one_line "$tmp/seq.eval")")
check "csv/sequence-column-halt-mse" "${why[@]}"

# ---- 7. --valid: the validation loss in the log and the chart ----
why=()
head -n 100 "$WORDS" >"$tmp/valid.txt"
rn train "${R[@]}" --end eos --steps 300 --every 50 --valid "$tmp/valid.txt" --valid-every 100 --log "$tmp/v.csv" \
    --save "$tmp/v.ck" "$WORDS" >"$tmp/v.out" 2>"$tmp/err" || why+=("train: $(one_line "$tmp/err")")
[ "$(head -n 1 "$tmp/v.csv")" = "step,loss,bpc,lr,seconds,valid_loss,valid_bpc,last_loss,mean_loss,mean_bpc" ] || why+=("header '$(head -n 1 "$tmp/v.csv")'")
nv=$(awk -F, 'NR > 1 && $6 != ""' "$tmp/v.csv" | wc -l)
[ "$nv" = 3 ] || why+=("$nv rows with a validation loss, not 3 (steps 100, 200, 300)")
[ "$(awk -F, 'NR > 1 && $6 == ""' "$tmp/v.csv" | wc -l)" = 3 ] || why+=("not 3 rows without one (steps 50, 150, 250)")
grep -q '  valid [0-9]' "$tmp/v.out" || why+=("no 'valid' on the progress lines")
rn plot "$tmp/v.csv" -o "$tmp/v.svg" >/dev/null 2>"$tmp/err" || why+=("plot: $(one_line "$tmp/err")")
grep -q 'stroke="#ff7f0e"' "$tmp/v.svg" && grep -q '>validation<' "$tmp/v.svg" || why+=("the chart has no validation line")
check "valid/logged-every-100-and-plotted" "${why[@]}"

# ---- 8. bad inputs: exit 2, one line naming the file and line (or the option), nothing written ----
B=(--hidden 8 --tau 4 --steps 5 --sample-every 0 --save new.ck)
SETUP="printf 'kalo\\nmi\\n\\nnute\\n' >w.txt" bad_input empty-line-is-an-empty-record "w.txt:3" train "${B[@]}" --records lines --end eos w.txt
SETUP="printf 'kalo\\nmimimimimi\\n' >w.txt" bad_input record-longer-than-max-record "w.txt:2" train "${B[@]}" --records lines --end eos --max-record 8 w.txt
SETUP="printf 'kalo\\nmimimimimimi\\n' >w.txt" bad_input record-longer-than-max-length "w.txt:2" train "${B[@]}" --records lines --end length --max-length 10 w.txt
SETUP="printf 'kalo\\nmi\\nnuka\\n' >w.txt" bad_input end-symbol-in-the-data "w.txt:3" train "${B[@]}" --records lines --end eos --end-symbol n w.txt
SETUP="printf 'a,b\\n1,2\\n' >s.csv" bad_input csv-sequence-column-missing "s.csv:1" train "${B[@]}" --sequence-column id --end halt s.csv
SETUP="printf 'id,v\\n1,0.1\\n1,0.2\\n2,0.3\\n1,0.4\\n' >s.csv" bad_input csv-sequence-not-contiguous "s.csv:5" train "${B[@]}" --sequence-column id --end halt s.csv
SETUP="printf '\\n\\n  \\n' >w.txt" bad_input only-blank-lines-no-records "w.txt" train "${B[@]}" --records paragraphs --end eos w.txt
unset SETUP
bad_input end-without-records "--end" train "${B[@]}" --end eos "$WORDS"
bad_input learn-h0-without-records "--learn-h0" train "${B[@]}" --learn-h0 "$WORDS"
bad_input max-record-without-records "--max-record" train "${B[@]}" --max-record 5 "$WORDS"
bad_input records-bogus "--records" train "${B[@]}" --records sentences "$WORDS"
bad_input records-on-csv "--records" train "${B[@]}" --records lines "$tmp/seq.csv"
bad_input sequence-column-on-text "--sequence-column" train "${B[@]}" --sequence-column id "$WORDS"
bad_input eos-on-csv "--end" train "${B[@]}" --sequence-column id --end eos "$tmp/seq.csv"
bad_input valid-every-without-valid "--valid-every" train "${B[@]}" --records lines --valid-every 10 "$WORDS"
bad_input end-symbol-bogus "--end-symbol" train "${B[@]}" --records lines --end eos --end-symbol ab "$WORDS"
bad_input sample-prime-on-records "--prime" sample "$tmp/eos.ck" --prime ka
printf 'kalo\nmimimimimimi\n' >"$tmp/long.txt"
bad_input eval-record-longer-than-max-length "long.txt:2" eval "$tmp/length.ck" "$tmp/long.txt"
suite_end
