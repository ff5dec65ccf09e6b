#!/usr/bin/env bash
# tests/suites/stdin.sh: `-` reads a data file from standard input (issue 13).
#   - rnnc train - (text from a pipe) writes the same checkpoint, byte for byte, as the same
#     text from a file (the checkpoint keeps no path), also mixed with a named file;
#   - rnnc eval CKPT - prints what rnnc eval CKPT FILE prints;
#   - a CSV on standard input: with --csv for training; resuming a dense model, and evaluating
#     it, read - as CSV without it;
#   - refused with one line, exit 2, nothing written: - twice, --valid - with the data on -,
#     a CSV's --target on - read as text (the message points to --csv), empty or invalid
#     input (named "(standard input)").
# Prints "ok stdin/CASE" or "FAIL stdin/CASE: why".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR.
set -u
. "$(dirname "$0")/../lib/suite.sh" stdin
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}

for i in $(seq 1 40); do echo "the quick brown fox $i jumps over the lazy dog"; done >"$tmp/t.txt"
for i in $(seq 1 10); do echo "a lazy dog $i"; done >"$tmp/u.txt"
printf 'a,b\n' >"$tmp/w.csv"
awk 'BEGIN { for (i = 0; i < 300; i++) printf "%.4f,%.4f\n", sin(i / 9), cos(i / 9) }' >>"$tmp/w.csv"
M=(--hidden 12 --tau 8 --steps 60 --every 60 --sample-every 0 --backend tcc)

why=()
rn train "${M[@]}" --save "$tmp/file.ck" "$tmp/t.txt" >/dev/null 2>"$tmp/e" || why+=("file: $(one_line "$tmp/e")")
cat "$tmp/t.txt" | rn train "${M[@]}" --save "$tmp/pipe.ck" - >"$tmp/o" 2>"$tmp/e" || why+=("pipe: $(one_line "$tmp/e")")
cmp -s "$tmp/file.ck" "$tmp/pipe.ck" || why+=("the checkpoints differ")
grep -q 'on 1871 symbols' "$tmp/o" || why+=("$(one_line "$tmp/o")")
rn train "${M[@]}" --save "$tmp/two.ck" "$tmp/t.txt" "$tmp/u.txt" >/dev/null 2>"$tmp/e" || why+=("two files: $(one_line "$tmp/e")")
rn train "${M[@]}" --save "$tmp/mix.ck" "$tmp/t.txt" - <"$tmp/u.txt" >/dev/null 2>"$tmp/e" || why+=("mixed: $(one_line "$tmp/e")")
cmp -s "$tmp/two.ck" "$tmp/mix.ck" || why+=("file and - differ from the two files")
check "train-from-a-pipe-same-checkpoint-as-from-the-file" "${why[@]}"

why=()
rn eval "$tmp/file.ck" "$tmp/t.txt" >"$tmp/ef" 2>"$tmp/e" || why+=("file: $(one_line "$tmp/e")")
cat "$tmp/t.txt" | rn eval "$tmp/file.ck" - >"$tmp/ep" 2>"$tmp/e" || why+=("pipe: $(one_line "$tmp/e")")
[ -s "$tmp/ef" ] && cmp -s "$tmp/ef" "$tmp/ep" || why+=("eval differs: $(one_line "$tmp/ep")")
check "eval-from-a-pipe-same-report" "${why[@]}"

why=()
rn train --hidden 8 --tau 8 --steps 40 --every 40 --backend tcc --target b --save "$tmp/dfile.ck" "$tmp/w.csv" >/dev/null 2>"$tmp/e" ||
    why+=("file: $(one_line "$tmp/e")")
rn train --hidden 8 --tau 8 --steps 40 --every 40 --backend tcc --target b --csv --save "$tmp/dpipe.ck" - <"$tmp/w.csv" >/dev/null 2>"$tmp/e" ||
    why+=("--csv -: $(one_line "$tmp/e")")
cmp -s "$tmp/dfile.ck" "$tmp/dpipe.ck" || why+=("the CSV checkpoints differ")
rn train --steps 80 --every 80 --backend tcc --target b --resume "$tmp/dpipe.ck" --save "$tmp/dpipe.ck" - <"$tmp/w.csv" >/dev/null 2>"$tmp/e" ||
    why+=("resume a dense model from -: $(one_line "$tmp/e")")
rn eval "$tmp/dpipe.ck" - --target b <"$tmp/w.csv" >"$tmp/de" 2>"$tmp/e" || why+=("eval: $(one_line "$tmp/e")")
grep -q '^mse: ' "$tmp/de" || why+=("no mse line: $(one_line "$tmp/de")")
check "csv-from-a-pipe" "${why[@]}"

# refused NAME WANT INPUT ARG...: rnnc ARG... < INPUT exits 2 with one line holding WANT, and
# writes no checkpoint.
refused() {
    local name=$1 want=$2 input=$3 why=()
    shift 3
    rm -f "$tmp/no.ck"
    rn "$@" <"$input" >"$tmp/r.out" 2>"$tmp/r.err"
    local rc=$?
    [ $rc -eq 2 ] || why+=("exit $rc")
    [ "$(wc -l <"$tmp/r.err")" -eq 1 ] && grep -qF -- "$want" "$tmp/r.err" || why+=("stderr: $(one_line "$tmp/r.err")")
    [ -e "$tmp/no.ck" ] && why+=("a checkpoint was written")
    check "refused/$name" "${why[@]}"
}
: >"$tmp/empty"
printf 'ab\xff\n' >"$tmp/bad.txt"
refused twice "-: standard input given twice" "$tmp/t.txt" train "${M[@]}" --save "$tmp/no.ck" - -
refused valid-and-data "--valid -: standard input is already the training data" "$tmp/t.txt" \
    train "${M[@]}" --valid - --save "$tmp/no.ck" -
refused csv-target-as-text "--target: names columns of a CSV data file; this data is text (--csv reads standard input" \
    "$tmp/w.csv" train "${M[@]}" --target b --save "$tmp/no.ck" -
refused empty "(standard input): is empty" "$tmp/empty" train "${M[@]}" --save "$tmp/no.ck" -
refused invalid-utf8 "(standard input):1:3: invalid UTF-8" "$tmp/bad.txt" train "${M[@]}" --chars utf8 --save "$tmp/no.ck" -
refused eval-symbol-not-in-vocabulary "(standard input):1:" "$tmp/bad.txt" eval "$tmp/file.ck" -
suite_end
