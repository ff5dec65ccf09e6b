#!/usr/bin/env bash
# tests/suites/progress.sh: loss and progress that tell the truth (issue 13).
#   1. The --log file: the columns of older rnnc first (step,loss,bpc,lr,seconds), then
#      last_loss,mean_loss,mean_bpc.  With --log-every 1 every row's mean is its step's loss,
#      the first row's smoothed loss is the first loss (no uniform-model start), and every
#      smoothed value is the bias-corrected moving average of the raw losses before it
#      (recomputed here from the last_loss column); a run with --log-every 10 (same seed) logs
#      the same raw losses and, as mean, the average of the 10 steps since the previous row.
#      --log-every without --log is refused, and so is a log of another layout (an older
#      rnnc's): rows of two layouts never mix in one file.
#   2. On a terminal (a pseudo-terminal from script(1); skipped without it): the progress line
#      fits COLUMNS, and the window's width (stty cols) without COLUMNS; a short run prints one
#      sample (the last), not one every 1000 steps; --sample-every N still counts steps;
#      --sample-every 0 prints no sample at all, on a terminal or not.
#   3. rnnc plot: several logs overlaid with a legend; -o x.png refused (it writes SVG), with
#      one line, nothing written; --bits on an mse log refused naming it.
# Prints "ok progress/CASE", "FAIL progress/CASE: why" or "skip progress/CASE: why".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR.
set -u
. "$(dirname "$0")/../lib/suite.sh" progress
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
rn() { timeout -k 5 180 "$RNNC" "$@"; }

for i in $(seq 1 40); do echo "the quick brown fox $i jumps over the lazy dog"; done >"$tmp/t.txt"
M=(--hidden 16 --tau 8 --backend tcc --seed 3)

# ---- 1. the log ----
why=()
rn train "${M[@]}" --steps 200 --every 100 --sample-every 0 --log-every 1 --log "$tmp/a.csv" "$tmp/t.txt" >"$tmp/a.out" 2>"$tmp/err" ||
    why+=("train: $(one_line "$tmp/err")")
rn train "${M[@]}" --steps 200 --every 50 --sample-every 0 --log-every 10 --log "$tmp/b.csv" "$tmp/t.txt" >/dev/null 2>"$tmp/err" ||
    why+=("train: $(one_line "$tmp/err")")
H="step,loss,bpc,lr,seconds,last_loss,mean_loss,mean_bpc"
[ "$(head -n 1 "$tmp/a.csv")" = "$H" ] || why+=("header '$(head -n 1 "$tmp/a.csv")'")
[ "$(wc -l <"$tmp/a.csv")" -eq 201 ] || why+=("$(wc -l <"$tmp/a.csv") lines with --log-every 1, not 201")
[ "$(wc -l <"$tmp/b.csv")" -eq 21 ] || why+=("$(wc -l <"$tmp/b.csv") lines with --log-every 10, not 21")
# first row: smoothed = raw; every row: mean = raw; smoothed = bias-corrected EMA of the raws.
bad=$(awk -F, 'NR == 1 { next }
    { n = NR - 1; x = $6; s = (n == 1) ? x : s + (x - s) * 0.001 / (1 - 0.999 ^ n)
      if (n == 1 && $2 != $6) { print "row 1: smoothed " $2 " is not the first loss " $6; exit }
      if ($7 != $6) { print "row " n ": mean " $7 " is not the step loss " $6; exit }
      d = s - $2; if (d < 0) d = -d; if (d > 1e-6 * s) { print "row " n ": smoothed " $2 ", recomputed " s; exit } }' "$tmp/a.csv")
[ -z "$bad" ] || why+=("$bad")
bad=$(awk -F, 'FNR == 1 { next }
    NR == FNR { raw[$1] = $6; next }
    { m = 0; for (k = $1 - 9; k <= $1; k++) m += raw[k]; m /= 10
      if ($6 != raw[$1]) { print "step " $1 ": last_loss " $6 " but the --log-every 1 run had " raw[$1]; exit }
      d = m - $7; if (d < 0) d = -d; if (d > 1e-6 * m) { print "step " $1 ": mean " $7 ", the 10 steps average " m; exit } }' \
    "$tmp/a.csv" "$tmp/b.csv")
[ -z "$bad" ] || why+=("$bad")
grep -q '^step 100/200  loss [0-9.]* (mean [0-9.]*)  bpc [0-9.]* ([0-9.]*)  ' "$tmp/a.out" || why+=("progress line: $(one_line "$tmp/a.out")")
check "log/raw-and-mean-losses-and-bias-corrected-smoothing" "${why[@]}"
why=()
rn train "${M[@]}" --steps 10 --log-every 5 --save "$tmp/x.ck" "$tmp/t.txt" >"$tmp/o" 2>"$tmp/e"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q -- '--log-every: give the log file with --log' "$tmp/e" &&
    [ ! -e "$tmp/x.ck" ] || why+=("status $rc: $(one_line "$tmp/e")")
check "log/--log-every-without---log-refused" "${why[@]}"
why=()
printf 'step,loss,bpc,lr,seconds\n10,2,3,0.1,1\n' >"$tmp/old.csv"
cp "$tmp/old.csv" "$tmp/old.keep"
rn train "${M[@]}" --steps 10 --log "$tmp/old.csv" "$tmp/t.txt" >"$tmp/o" 2>"$tmp/e"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q "old.csv does not start with this run's header" "$tmp/e" ||
    why+=("status $rc: $(one_line "$tmp/e")")
cmp -s "$tmp/old.csv" "$tmp/old.keep" || why+=("the old log was changed")
check "log/an-older-log-is-not-appended-to" "${why[@]}"

# ---- 2. on a terminal ----
if ! command -v script >/dev/null 2>&1; then
    echo "skip progress/terminal: script(1) is not installed (apt-get install bsdutils)"
else
    # tty OUT ENV... -- ARG...: rnnc train ARG... on a pseudo-terminal, its output in OUT
    tty_run() {
        local out=$1 cmd="" a
        shift
        for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done
        script -qec "$cmd" /dev/null </dev/null >"$out" 2>&1
    }
    # widest: the longest progress line drawn (the segments between carriage returns)
    # dashes: the sample delimiters ("----" lines) of a terminal's output
    dashes() { tr '\r' '\n' <"$1" | sed 's/\x1b\[K//g' | grep -c '^----$'; }
    widest() { tr '\r' '\n' <"$1" | sed 's/\x1b\[K//g' | grep '^step ' | awk '{ if (length > m) m = length } END { print m + 0 }'; }
    why=()
    tty_run "$tmp/w40" env COLUMNS=40 "$RNNC" train "${M[@]}" --steps 3000 --every 1000 "$tmp/t.txt"
    w=$(widest "$tmp/w40")
    [ "$w" -gt 0 ] && [ "$w" -le 39 ] || why+=("COLUMNS=40: a line of $w columns")
    tty_run "$tmp/w30" sh -c "stty cols 30 && unset COLUMNS && exec \"\$0\" \"\$@\"" "$RNNC" train "${M[@]}" --steps 3000 --every 1000 "$tmp/t.txt"
    w=$(widest "$tmp/w30")
    [ "$w" -gt 0 ] && [ "$w" -le 29 ] || why+=("stty cols 30: a line of $w columns")
    tty_run "$tmp/w200" env COLUMNS=200 "$RNNC" train "${M[@]}" --steps 3000 --every 1000 "$tmp/t.txt"
    tr '\r' '\n' <"$tmp/w200" | grep -q '^.*step 3000/3000  loss [0-9.]* (mean [0-9.]*)  bpc' || why+=("COLUMNS=200: not the full line")
    check "terminal/the-line-fits-the-width (COLUMNS=40, stty cols 30, COLUMNS=200)" "${why[@]}"
    why=()
    n=$(dashes "$tmp/w200")
    [ "$n" = 2 ] || why+=("a 3000-step run (well under 20 s) printed $((n / 2)) samples on a terminal, not the last one only")
    tty_run "$tmp/s500" "$RNNC" train "${M[@]}" --steps 3000 --every 1000 --sample-every 500 "$tmp/t.txt"
    n=$(dashes "$tmp/s500")
    [ "$n" = 12 ] || why+=("--sample-every 500 over 3000 steps printed $((n / 2)) samples, not 6")
    tty_run "$tmp/s0" "$RNNC" train "${M[@]}" --steps 3000 --every 1000 --sample-every 0 "$tmp/t.txt"
    [ "$(dashes "$tmp/s0")" = 0 ] || why+=("--sample-every 0 printed a sample on a terminal")
    grep -q 'step 3000/3000' "$tmp/s0" || why+=("--sample-every 0: no progress: $(one_line "$tmp/s0")")
    check "terminal/samples-by-time-or-as-asked" "${why[@]}"
fi
why=()
rn train "${M[@]}" --steps 2000 --every 1000 --sample-every 0 "$tmp/t.txt" >"$tmp/n0" 2>&1 || why+=("$(one_line "$tmp/n0")")
grep -q '^----' "$tmp/n0" && why+=("--sample-every 0 printed a sample (not on a terminal)")
rn train "${M[@]}" --steps 2000 --every 1000 "$tmp/t.txt" >"$tmp/n1" 2>&1
[ "$(grep -c '^----' "$tmp/n1")" = 4 ] || why+=("not on a terminal the default is still a sample every 1000 steps: $(grep -c '^----' "$tmp/n1") lines")
check "sample-every-0-means-none" "${why[@]}"

# ---- 3. rnnc plot ----
why=()
rn train --hidden 16 --tau 16 --backend tcc --seed 3 --steps 200 --every 50 --sample-every 0 --log "$tmp/c.csv" "$tmp/t.txt" >/dev/null 2>&1
rn plot "$tmp/a.csv" "$tmp/c.csv" -o "$tmp/cmp.svg" >"$tmp/p.out" 2>"$tmp/p.err" || why+=("$(one_line "$tmp/p.err")")
grep -q '>a.csv<' "$tmp/cmp.svg" && grep -q '>c.csv<' "$tmp/cmp.svg" || why+=("no legend naming both logs")
rn plot "$tmp/a.csv" "$tmp/c.csv" --bits -o "$tmp/bits.svg" >/dev/null 2>"$tmp/p.err" || why+=("--bits: $(one_line "$tmp/p.err")")
grep -q '>bits per symbol<' "$tmp/bits.svg" || why+=("--bits: no bits axis")
check "plot/overlay-and-bits" "${why[@]}"
# plot_refused NAME WANT ARG...: exit 2, one line holding WANT, nothing written
plot_refused() {
    local name=$1 want=$2 why=()
    shift 2
    rm -f "$tmp/x.png" "$tmp/x.svg"
    rn plot "$@" >"$tmp/r.out" 2>"$tmp/r.err"
    local rc=$?
    [ $rc -eq 2 ] || why+=("status $rc")
    [ "$(wc -l <"$tmp/r.err")" -eq 1 ] && grep -qF -- "$want" "$tmp/r.err" || why+=("stderr: $(one_line "$tmp/r.err")")
    [ -s "$tmp/r.out" ] && why+=("stdout: $(one_line "$tmp/r.out")")
    [ -e "$tmp/x.png" ] || [ -e "$tmp/x.svg" ] && why+=("a file was written")
    check "plot/$name" "${why[@]}"
}
plot_refused "png-refused" "-o $tmp/x.png: rnnc plot writes SVG only" "$tmp/a.csv" -o "$tmp/x.png"
printf 'a,b\n' >"$tmp/w.csv"
awk 'BEGIN { for (i = 0; i < 300; i++) printf "%.4f,%.4f\n", sin(i / 9), cos(i / 9) }' >>"$tmp/w.csv"
rn train --hidden 8 --tau 8 --backend tcc --steps 100 --every 50 --log "$tmp/mse.csv" "$tmp/w.csv" >/dev/null 2>&1
plot_refused "bits-on-an-mse-log-refused" "mse.csv: --bits: this log has no bits per symbol" "$tmp/mse.csv" --bits -o "$tmp/x.svg"
suite_end
