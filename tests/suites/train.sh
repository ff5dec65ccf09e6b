#!/usr/bin/env bash
# tests/suites/train.sh: `rnnc train` end to end, on small corpora generated here (no
# downloads): every optimiser learns, resuming is bit-exact, the tcc / cc / auto backends
# give byte-identical checkpoints, checkpoints round-trip through info and sample, the
# atomic save survives a crash and kill -9, SIGINT / SIGTERM stop cleanly after a save, a
# non-finite loss stops the run without touching the last good checkpoint, bad inputs are
# refused with one line and nothing written, and plot draws a --log file.
# Prints "ok train/CASE", "FAIL train/CASE: why" or "skip train/CASE: why"; exits 1 if any
# case failed.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR (a private
# compile cache; a fresh one under the scratch directory when unset).
. "$(dirname "$0")/../lib/suite.sh" train
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
unset RNNC_TEST_CRASH_DURING_SAVE
ulimit -c 0 2>/dev/null # the crash test aborts on purpose: no core files

# info_get CKPT FIELD: step | smoothed | last | spec | vocab, from `rnnc info CKPT`.
info_get() {
    local out
    out=$(rn info "$1" 2>/dev/null) || return 1
    case $2 in
    step) sed -n 's/^step: //p' <<<"$out" ;;
    smoothed) sed -n 's/^loss: \([^ ,]*\) smoothed.*/\1/p' <<<"$out" ;;
    last) sed -n 's/^loss: .* last \([^ ]*\)$/\1/p' <<<"$out" ;;
    spec) sed -n 's/^spec: //p' <<<"$out" ;;
    vocab) sed -n 's/^vocabulary: //p' <<<"$out" ;;
    esac
}
# lt X Y: X and Y are plain numbers and X < Y.
lt() {
    [[ $1 =~ ^[0-9.eE+-]+$ && $2 =~ ^[0-9.eE+-]+$ ]] || return 1
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'
}
# flip_byte FILE OFFSET: replace the byte at OFFSET by its complement.
flip_byte() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# ---- corpora ----
# text.txt: 60 lines, 2520 bytes, 22 distinct bytes ("\n !.01234acdeghlmnorst"), with a little
# structure beyond repetition (two counters of periods 5 and 3).
for i in $(seq 1 60); do echo "the cat sat on mat $((i % 5)). a dog ran to log $((i % 3))!"; done >"$tmp/text.txt"
VOCAB_LINE='22 symbols (bytes): \n !.01234acdeghlmnorst'
# wave.csv: a header and 1000 rows of sin(t), cos(t), t = 0, 0.2, 0.4, ...
awk 'BEGIN { print "sin,cos"; for (i = 0; i < 1000; i++) { t = i * 0.2; printf "%.6f,%.6f\n", sin(t), cos(t) } }' >"$tmp/wave.csv"
T="$tmp/text.txt"
W="$tmp/wave.csv"
# The small one-hot model used throughout: 22 -> 32 -> 22, tau 16.  Its loss at
# initialisation is 16 ln 22 = 49.46 per sequence; a unigram model would reach ~43.
M=(--hidden 32 --tau 16 --sample-every 0)

# ---- 1. learning ----
# learn NAME SMOOTH_MAX LAST_MAX ARG...: train, then the smoothed loss and the last step's loss
# in `rnnc info` must be below the bounds, and the last progress line must show the same
# smoothed loss as info.
learn() {
    local name=$1 smax=$2 lmax=$3
    shift 3
    local ck=$tmp/learn-$name.ck why=()
    rn train "$@" --save "$ck" >"$tmp/learn.out" 2>"$tmp/learn.err"
    local rc=$?
    [ $rc -eq 0 ] || why+=("exit status $rc, stderr: $(one_line "$tmp/learn.err")")
    local s l p
    s=$(info_get "$ck" smoothed)
    l=$(info_get "$ck" last)
    p=$(grep '^step ' "$tmp/learn.out" | tail -n 1 | sed -n 's/.*  loss \([^ ]*\) .*/\1/p')
    lt "$s" "$smax" || why+=("smoothed loss '$s' not below $smax")
    lt "$l" "$lmax" || why+=("last loss '$l' not below $lmax")
    [ -n "$p" ] && [ "$p" = "$s" ] || why+=("last progress line says loss '$p', info says '$s'")
    check "learn/$name" "${why[@]}"
}
# Measured after 2000 steps (seeds 1..5): smoothed 8.75..8.89 / last 1.27..1.29 (sgd 0.03),
# 8.43..8.46 / 1.17..1.18 (momentum 0.005), 7.91..8.54 / 1.17..1.23 (adagrad 0.1),
# 7.94..8.15 / 1.17..1.19 (rmsprop 0.003), 8.51..8.56 / 1.14..1.15 (adam 0.005).  With
# --every 2000 the smoothed loss still carries 0.999^2000 = 13.5% of its initial 49.46, so
# < 14 means the model really learned.  (sgd 0.1 and momentum 0.02 are too large for this
# summed-over-tau gradient: their loss rises.)
for cfg in "sgd 0.03" "momentum 0.005" "adagrad 0.1" "rmsprop 0.003" "adam 0.005"; do
    set -- $cfg
    learn "$1-lr$2-2000-steps-smoothed-below-14-last-below-5" 14 5 \
        "${M[@]}" --steps 2000 --every 500 --optim "$1" --lr "$2" "$T"
done
# --batch 4, adagrad 0.1: measured smoothed 8.02, last 1.01.
learn "batch4-adagrad-2000-steps-smoothed-below-14-last-below-5" 14 5 \
    "${M[@]}" --batch 4 --steps 2000 --every 500 "$T"
# Dense, mse: next row of (sin, cos) from the current one.  The first loss is ~4 (0.5 x 8 rows
# x 2 squared errors of ~0.5); predicting "no change" would give ~0.16.  Measured with adam
# 0.005 after 2000 steps: smoothed 0.554 (13.5% of the first loss is still in it), last 0.0004.
learn "csv-sin-cos-next-row-adam-smoothed-below-1-last-below-0.05" 1.0 0.05 \
    --hidden 16 --tau 8 --sample-every 0 --steps 2000 --every 500 --optim adam --lr 0.005 "$W"
spec=$(info_get "$tmp/learn-csv-sin-cos-next-row-adam-smoothed-below-1-last-below-0.05.ck" spec)
case $spec in
*"in=2 out=2 "*"loss=mse"*) ok "learn/csv-model-is-dense-2-in-2-out-mse" ;;
*) fail "learn/csv-model-is-dense-2-in-2-out-mse" "info says spec '$spec'" ;;
esac
# --target cos: cos(t) from the history of sin(t) (needs memory at the turning points).
# Measured with adam 0.005 after 2000 steps: smoothed 0.356, last 0.0007.
learn "csv-target-cos-from-sin-adam-smoothed-below-0.8-last-below-0.05" 0.8 0.05 \
    --hidden 16 --tau 8 --sample-every 0 --steps 2000 --every 500 --optim adam --lr 0.005 \
    --target cos "$W"
spec=$(info_get "$tmp/learn-csv-target-cos-from-sin-adam-smoothed-below-0.8-last-below-0.05.ck" spec)
case $spec in
*"in=1 out=1 "*) ok "learn/csv-target-model-is-1-in-1-out" ;;
*) fail "learn/csv-target-model-is-1-in-1-out" "info says spec '$spec'" ;;
esac

# ---- 2. resume is bit-exact ----
# resume NAME ARG...: 100 steps, then resume to 200 into the same file, against 200 at once.
resume() {
    local name=$1
    shift
    local d=$tmp/resume-$name why=()
    mkdir -p "$d"
    rn train "$@" --steps 100 --save "$d/C" "$T" >"$d/1.out" 2>"$d/1.err" || why+=("first run: $(one_line "$d/1.err")")
    rn train "$@" --steps 200 --resume "$d/C" --save "$d/C" "$T" >"$d/2.out" 2>"$d/2.err" || why+=("resumed run: $(one_line "$d/2.err")")
    rn train "$@" --steps 200 --save "$d/D" "$T" >"$d/3.out" 2>"$d/3.err" || why+=("straight run: $(one_line "$d/3.err")")
    [ "$(info_get "$d/C" step)" = 200 ] || why+=("resumed checkpoint is at step '$(info_get "$d/C" step)', not 200")
    cmp -s "$d/C" "$d/D" || why+=("100 + 100 steps differs from 200 steps: $(cmp "$d/C" "$d/D" 2>&1)")
    check "resume/$name" "${why[@]}"
}
# 200 steps of tau 16 = 3200 symbols: the streams also wrap around the 2520-symbol corpus.
resume "100+100-equals-200-byte-identical" "${M[@]}"
resume "batch3-100+100-equals-200-byte-identical" "${M[@]}" --batch 3
resume "adam-batch3-every7-100+100-equals-200-byte-identical" "${M[@]}" --batch 3 --optim adam --lr 0.005 --every 7

# ---- 3. backends ----
# A spec of its own (--name bk), so that auto really compiles cc in the background while it
# trains on tcc (1000 tcc steps take ~1 s here, the compile ~0.5 s).  Default training flags.
d=$tmp/backends
mkdir -p "$d"
why=()
for b in auto tcc cc; do
    rn train --hidden 48 --tau 16 --name bk --steps 1000 --every 500 --backend $b --save "$d/$b.ck" "$T" \
        >"$d/$b.out" 2>"$d/$b.err" || why+=("--backend $b: $(one_line "$d/$b.err")")
done
cmp -s "$d/tcc.ck" "$d/cc.ck" || why+=("tcc and cc checkpoints differ: $(cmp "$d/tcc.ck" "$d/cc.ck" 2>&1)")
cmp -s "$d/tcc.ck" "$d/auto.ck" || why+=("tcc and auto checkpoints differ: $(cmp "$d/tcc.ck" "$d/auto.ck" 2>&1)")
check "backends/tcc-cc-auto-1000-steps-byte-identical" "${why[@]}"
sw=$(sed -n 's/^switched to the cc backend at step \([0-9]*\) .*/\1/p' "$d/auto.out")
if grep -q '^cc backend unavailable' "$d/auto.out"; then
    fail "backends/auto-switches-to-cc-mid-run" "$(grep '^cc backend unavailable' "$d/auto.out")"
elif [ -z "$sw" ]; then
    skip "backends/auto-switches-to-cc-mid-run" "the cc compile did not finish within the 1000 steps (slow machine)"
elif [ "$sw" -gt 0 ] && [ "$sw" -lt 1000 ]; then
    ok "backends/auto-switches-to-cc-mid-run"
else
    fail "backends/auto-switches-to-cc-mid-run" "switched at step $sw"
fi

# ---- 4. checkpoint round trip: info and sample ----
ck=$tmp/learn-adagrad-lr0.1-2000-steps-smoothed-below-14-last-below-5.ck
why=()
spec=$(info_get "$ck" spec)
[ "$spec" = "vocab=22 hidden=32 tau=16 batch=1 act=tanh loss=nll dtype=float name=rnn" ] || why+=("spec '$spec'")
[ "$(info_get "$ck" step)" = 2000 ] || why+=("step '$(info_get "$ck" step)', not 2000")
[ "$(info_get "$ck" vocab)" = "$VOCAB_LINE" ] || why+=("vocabulary '$(info_get "$ck" vocab)', not '$VOCAB_LINE'")
rn info "$ck" >"$tmp/info.out" 2>"$tmp/info.err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/info.err" ] || why+=("info: status $rc, stderr $(one_line "$tmp/info.err")")
grep -q '^optimiser: adagrad lr 0.1 ' "$tmp/info.out" || why+=("no 'optimiser: adagrad lr 0.1' line")
check "roundtrip/info-shows-spec-step-vocabulary" "${why[@]}"

s=$tmp/sample
mkdir -p "$s"
# sample_run FILE ARG...: rnnc sample CKPT ARG... >FILE; returns its status.
sample_run() {
    local f=$1
    shift
    rn sample "$ck" "$@" >"$f" 2>"$f.err"
}
why=()
sample_run "$s/a" --seed 7 -n 200 || why+=("seed 7: $(one_line "$s/a.err")")
sample_run "$s/b" --seed 7 -n 200 || why+=("seed 7 again: $(one_line "$s/b.err")")
sample_run "$s/c" --seed 8 -n 200 || why+=("seed 8: $(one_line "$s/c.err")")
cmp -s "$s/a" "$s/b" || why+=("same seed, different output")
cmp -s "$s/a" "$s/c" && why+=("seeds 7 and 8 gave the same output")
[ "$(wc -c <"$s/a")" -eq 201 ] || why+=("-n 200 wrote $(wc -c <"$s/a") bytes, not 200 + newline")
[ -s "$s/a.err" ] && why+=("stderr not empty: $(one_line "$s/a.err")")
check "roundtrip/sample-deterministic-per-seed" "${why[@]}"
why=()
sample_run "$s/cc" --seed 7 -n 200 --backend cc || why+=("--backend cc: $(one_line "$s/cc.err")")
cmp -s "$s/a" "$s/cc" || why+=("tcc and cc samples differ")
check "roundtrip/sample-tcc-equals-cc" "${why[@]}"
why=()
sample_run "$s/p" --seed 7 -n 50 --prime "the cat" || why+=("status: $(one_line "$s/p.err")")
[ "$(head -c 7 "$s/p")" = "the cat" ] || why+=("output does not start with the prime: $(one_line "$s/p")")
[ "$(wc -c <"$s/p")" -eq 58 ] || why+=("$(wc -c <"$s/p") bytes, not 7 + 50 + newline")
check "roundtrip/sample-prime-echoed-then-continued" "${why[@]}"
why=()
sample_run "$s/t" --seed 7 -n 100 --temperature 0.5 --top-k 3 || why+=("--temperature 0.5 --top-k 3: $(one_line "$s/t.err")")
[ "$(wc -c <"$s/t")" -eq 101 ] || why+=("$(wc -c <"$s/t") bytes, not 101")
sample_run "$s/k1" --seed 1 -n 100 --top-k 1 || why+=("--top-k 1: $(one_line "$s/k1.err")")
sample_run "$s/k2" --seed 2 -n 100 --top-k 1 || why+=("--top-k 1: $(one_line "$s/k2.err")")
cmp -s "$s/k1" "$s/k2" || why+=("--top-k 1 (greedy) depends on the seed")
check "roundtrip/sample-temperature-and-top-k" "${why[@]}"
# bad_sample NAME EXPECT ARG...: exit 2, one stderr line containing EXPECT, empty stdout.
bad_sample() {
    local name=$1 expect=$2
    shift 2
    local why=()
    rn sample "$@" >"$s/bad.out" 2>"$s/bad.err"
    local rc=$?
    [ $rc -eq 2 ] || why+=("status $rc, not 2")
    [ "$(wc -l <"$s/bad.err")" -eq 1 ] || why+=("$(wc -l <"$s/bad.err") lines on stderr: $(one_line "$s/bad.err")")
    grep -qF -- "$expect" "$s/bad.err" || why+=("stderr does not name '$expect': $(one_line "$s/bad.err")")
    [ -s "$s/bad.out" ] && why+=("stdout not empty: $(one_line "$s/bad.out")")
    check "roundtrip/$name" "${why[@]}"
}
bad_sample prime-char-not-in-vocabulary "--prime" "$ck" --prime "the xyz"
bad_sample temperature-zero "--temperature" "$ck" --temperature 0
bad_sample dense-model-has-no-symbols "learn-csv" "$tmp/learn-csv-sin-cos-next-row-adam-smoothed-below-1-last-below-0.05.ck"

# A good 100-step checkpoint, the starting point of the next sections.
good=$tmp/good.ck
rn train "${M[@]}" --steps 100 --save "$good" "$T" >/dev/null 2>"$tmp/good.err" || fail "setup/good-checkpoint" "$(one_line "$tmp/good.err")"

# ---- 5. the atomic write survives a crash ----
# crash NAME ARG...: with C = the good checkpoint, train with the crash hook (abort half-way
# through writing the temporary file); C must be byte-identical and still load.
crash() {
    local name=$1
    shift
    local d=$tmp/crash-$name why=()
    mkdir -p "$d"
    cp "$good" "$d/C"
    # (The outer redirection swallows the shell's "Aborted" report.)
    { (cd "$d" && RNNC_TEST_CRASH_DURING_SAVE=1 exec timeout -k 5 120 "$RNNC" "$@" >"$d/out" 2>"$d/err"); } 2>/dev/null
    local rc=$?
    [ $rc -ge 128 ] || why+=("expected the process to abort, got status $rc")
    ls "$d"/C.tmp.* >/dev/null 2>&1 || why+=("no half-written temporary file: the hook did not fire")
    cmp -s "$good" "$d/C" || why+=("C changed: $(cmp "$good" "$d/C" 2>&1)")
    rn info "$d/C" >/dev/null 2>"$d/info.err" || why+=("rnnc info C: $(one_line "$d/info.err")")
    check "crash/$name" "${why[@]}"
}
crash "abort-while-saving-resumed-run-keeps-checkpoint" train "${M[@]}" --steps 200 --resume C --save C "$T"
crash "abort-while-saving-fresh-run-keeps-checkpoint" train "${M[@]}" --steps 50 --save C "$T"

# kill -9 a run that saves every step, at a random moment, a few times: C always loads and
# never goes backwards.
d=$tmp/kill9
mkdir -p "$d"
cp "$good" "$d/C"
why=()
prev=100
delays=()
for round in 1 2 3 4 5; do
    rm -f "$d/out"
    "$RNNC" train "${M[@]}" --steps 100000000 --every 1 --resume "$d/C" --save "$d/C" "$T" >"$d/out" 2>"$d/err" &
    pid=$!
    for _ in $(seq 200); do
        grep -q '^training' "$d/out" 2>/dev/null && break
        sleep 0.05
    done
    delay=$(printf '0.%02d' $((RANDOM % 50 + 5)))
    delays+=("$delay")
    sleep "$delay"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if ! step=$(ckpt_step "$d/C" 2>"$d/info.err"); then
        why+=("round $round (after ${delays[*]} s): C does not load: $(one_line "$d/info.err")")
        cp "$good" "$d/C"
        continue
    fi
    [ -n "$step" ] && [ "$step" -ge "$prev" ] || why+=("round $round: step went from $prev to '$step'")
    prev=${step:-$prev}
done
[ "$prev" -gt 100 ] || why+=("no round made progress (delays ${delays[*]} s)")
check "crash/kill-9-while-saving-every-step-5-rounds" "${why[@]}"

# ---- 6. signals ----
# stop NAME SIG STATUS ARG...: train in the background, wait for its first line, sleep, send
# SIG: exit STATUS, the "stopped by SIG at step N; saved C" line, C loads at step N.
stop() {
    local name=$1 sig=$2 want=$3 nap=$4
    shift 4
    local d=$tmp/signal-$name why=()
    mkdir -p "$d"
    "$RNNC" train "$@" --steps 100000000 --every 100000 --save "$d/C" "$T" >"$d/out" 2>"$d/err" &
    local pid=$! started=0
    for _ in $(seq 400); do
        grep -q '^training' "$d/out" 2>/dev/null && started=1 && break
        sleep 0.025
    done
    [ $started = 1 ] || why+=("no 'training' line after 10 s")
    sleep "$nap"
    kill -"$sig" $pid
    # The run must stop within 30 s (polled here: no watchdog process to clean up).
    for _ in $(seq 600); do
        kill -0 $pid 2>/dev/null || break
        sleep 0.05
    done
    kill -0 $pid 2>/dev/null && why+=("still running 30 s after SIG$sig") && kill -9 $pid
    wait $pid
    local rc=$?
    [ $rc -eq "$want" ] || why+=("status $rc, not $want")
    local n
    n=$(sed -n "s/^stopped by SIG$sig at step \\([0-9]*\\); saved .*/\\1/p" "$d/out")
    [ -n "$n" ] || why+=("no 'stopped by SIG$sig at step N; saved ...' line: $(tail -n 2 "$d/out" | tr '\n' '~')")
    local st
    st=$(info_get "$d/C" step) || why+=("the checkpoint does not load")
    [ -n "$n" ] && [ "$st" != "$n" ] && why+=("the checkpoint is at step '$st', the message says $n")
    [ -s "$d/err" ] && why+=("stderr: $(one_line "$d/err")")
    check "signal/$name" "${why[@]}"
}
stop "sigint-exit-130-saved-at-reported-step" INT 130 1 "${M[@]}"
stop "sigterm-exit-143-saved-at-reported-step" TERM 143 1 "${M[@]}"
# At once, while auto still compiles cc in the background (a spec of its own, not yet cached).
stop "sigint-during-background-cc-compile" INT 130 0 --hidden 40 --tau 16 --name bgcc --sample-every 0

# ---- 7. non-finite loss ----
# sgd with --lr 1e300 and no clipping: NaN at the second step after the start (verified).
d=$tmp/nonfinite
mkdir -p "$d"
cp "$good" "$d/G"
why=()
rn train "${M[@]}" --steps 300 --resume "$d/G" --save "$d/G" --optim sgd --lr 1e300 --clip 0 "$T" >"$d/out" 2>"$d/err"
rc=$?
[ $rc -eq 1 ] || why+=("status $rc, not 1")
[ "$(wc -l <"$d/err")" -eq 1 ] || why+=("$(wc -l <"$d/err") lines on stderr: $(one_line "$d/err")")
grep -qE 'NaN|infinite' "$d/err" || why+=("stderr does not mention NaN or infinite: $(one_line "$d/err")")
cmp -s "$good" "$d/G" || why+=("the saved checkpoint changed: $(cmp "$good" "$d/G" 2>&1)")
check "nonfinite/sgd-lr-1e300-exit-1-checkpoint-untouched" "${why[@]}"
why=()
rn train "${M[@]}" --steps 300 --optim sgd --lr 1e300 --clip 0 --save "$d/new.ck" "$T" >"$d/out" 2>"$d/err"
rc=$?
[ $rc -eq 1 ] || why+=("status $rc, not 1")
[ -e "$d/new.ck" ] && why+=("a checkpoint was created")
check "nonfinite/fresh-run-creates-no-checkpoint" "${why[@]}"
# Saving every step: the checkpoint rnnc keeps ("the last good checkpoint is kept") must be
# good, i.e. a sane run can resume from it.
cp "$good" "$d/E"
why=()
rn train "${M[@]}" --steps 300 --every 1 --resume "$d/E" --save "$d/E" --optim sgd --lr 1e300 --clip 0 "$T" >"$d/out" 2>"$d/err"
rc=$?
[ $rc -eq 1 ] || why+=("diverging run: status $rc, not 1")
rn train "${M[@]}" --steps "$(( $(info_get "$d/E" step) + 5 ))" --resume "$d/E" --optim adagrad --lr 0.01 --clip 5 "$T" >"$d/out2" 2>"$d/err2" ||
    why+=("the kept checkpoint (step $(info_get "$d/E" step)) cannot be trained on: $(one_line "$d/err2")")
check "nonfinite/every-1-kept-checkpoint-is-finite" "${why[@]}"

# ---- 8. bad inputs ----
# bad NAME STATUS EXPECT ARG...: run rnnc ARG... in a fresh directory holding ck.ck (a copy
# of the good checkpoint) and whatever the case put there.  In ARG, @D stands for that
# directory.  Expect status STATUS, exactly one stderr line containing one of EXPECT's
# '|'-separated alternatives, empty stdout, and no file created or changed in the directory.
bad() {
    local name=$1 want=$2 expect=$3
    shift 3
    local d=$tmp/bad/$name
    mkdir -p "$d"
    cp "$good" "$d/ck.ck"
    [ -n "${BAD_SETUP:-}" ] && (cd "$d" && eval "$BAD_SETUP")
    local args=() a
    for a in "$@"; do args+=("${a//@D/$d}"); done
    local before after
    before=$(snap "$d")
    (cd "$d" && exec timeout -k 5 120 "$RNNC" "${args[@]}") >"$tmp/bad/$name.out" 2>"$tmp/bad/$name.err"
    local rc=$?
    after=$(snap "$d")
    local why=() alt found=0
    [ $rc -eq "$want" ] || why+=("status $rc, not $want")
    local lines
    lines=$(wc -l <"$tmp/bad/$name.err")
    if [ "$lines" -ne 1 ] || [ -n "$(tail -c 1 "$tmp/bad/$name.err")" ]; then
        why+=("expected one line on stderr, got $lines newline(s)")
    fi
    local IFS_save=$IFS
    IFS='|'
    for alt in $expect; do grep -qF -- "$alt" "$tmp/bad/$name.err" && found=1; done
    IFS=$IFS_save
    [ $found = 1 ] || why+=("stderr does not name '$expect'")
    [ -s "$tmp/bad/$name.out" ] && why+=("stdout not empty: $(one_line "$tmp/bad/$name.out")")
    [ "$before" = "$after" ] || why+=("files created or changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | tr '\n' ' ')")
    if [ ${#why[@]} -gt 0 ]; then why+=("stderr: $(one_line "$tmp/bad/$name.err")"); fi
    check "bad-input/$name" "${why[@]}"
}
BT=("${M[@]}" --steps 10)
bad missing-data-file 2 "nope.txt" train "${BT[@]}" --save @D/new.ck @D/nope.txt
BAD_SETUP=': >empty.txt' bad empty-data-file 2 "empty.txt" train "${BT[@]}" --save @D/new.ck @D/empty.txt
if [ "$(id -u)" = 0 ]; then
    skip "bad-input/unreadable-data-file" "running as root, which can read a chmod 000 file"
else
    BAD_SETUP="cp '$T' locked.txt && chmod 000 locked.txt" bad unreadable-data-file 2 "locked.txt" train "${BT[@]}" --save @D/new.ck @D/locked.txt
    chmod -R u+rwX "$tmp/bad" 2>/dev/null
fi
BAD_SETUP='mkdir adir' bad data-file-is-a-directory 2 "adir" train "${BT[@]}" --save @D/new.ck @D/adir
# 'Z' is line 2, column 5; the checkpoint's vocabulary has no capitals.
BAD_SETUP="printf 'the cat\\nsat Z on mat\\n' >alien.txt" bad char-not-in-resumed-vocabulary 2 "alien.txt:2:5" \
    train "${BT[@]}" --steps 200 --resume @D/ck.ck --save @D/ck.ck @D/alien.txt
BAD_SETUP='head -c 500 ck.ck >trunc.ck' bad truncated-checkpoint 2 "trunc.ck" \
    train "${BT[@]}" --steps 200 --resume @D/trunc.ck --save @D/trunc.ck "$T"
BAD_SETUP='cp ck.ck flip.ck && flip_byte flip.ck $(( $(wc -c <flip.ck) / 2 ))' bad bit-flipped-checkpoint 2 "flip.ck" \
    train "${BT[@]}" --steps 200 --resume @D/flip.ck --save @D/flip.ck "$T"
BAD_SETUP="cp '$T' notckpt.ck" bad not-a-checkpoint 2 "notckpt.ck" \
    train "${BT[@]}" --steps 200 --resume @D/notckpt.ck --save @D/notckpt.ck "$T"
BAD_SETUP='head -c 500 ck.ck >trunc.ck' bad info-truncated-checkpoint 2 "trunc.ck" info @D/trunc.ck
BAD_SETUP='cp ck.ck flip.ck && flip_byte flip.ck $(( $(wc -c <flip.ck) / 2 ))' bad info-bit-flipped-checkpoint 2 "flip.ck" info @D/flip.ck
BAD_SETUP="cp '$T' notckpt.ck" bad info-not-a-checkpoint 2 "notckpt.ck" info @D/notckpt.ck
BAD_SETUP='cp ck.ck flip.ck && flip_byte flip.ck $(( $(wc -c <flip.ck) / 2 ))' bad sample-bit-flipped-checkpoint 2 "flip.ck" sample @D/flip.ck
unset BAD_SETUP
bad lr-zero 2 "--lr" train "${BT[@]}" --lr 0 --save @D/new.ck "$T"
bad lr-negative 2 "--lr" train "${BT[@]}" --lr -1 --save @D/new.ck "$T"
bad lr-nan 2 "--lr" train "${BT[@]}" --lr nan --save @D/new.ck "$T"
bad beta1-one 2 "--beta1" train "${BT[@]}" --beta1 1 --save @D/new.ck "$T"
bad steps-zero 2 "--steps" train "${M[@]}" --steps 0 --save @D/new.ck "$T"
bad every-zero 2 "--every" train "${BT[@]}" --every 0 --save @D/new.ck "$T"
bad optim-bogus 2 "--optim" train "${BT[@]}" --optim bogus --save @D/new.ck "$T"
bad backend-bogus 2 "--backend" train "${BT[@]}" --backend bogus --save @D/new.ck "$T"
bad chars-bogus 2 "--chars" train "${BT[@]}" --chars bogus --save @D/new.ck "$T"
# tau 16 needs 17 symbols; exactly 16 is one too few (17 is accepted: see below).
BAD_SETUP="printf abcdefghijklmnop >s16.txt" bad data-of-tau-symbols 2 "--tau|s16.txt" \
    train --hidden 8 --tau 16 --steps 1 --save @D/new.ck @D/s16.txt
unset BAD_SETUP
printf abcdefghijklmnopq >"$tmp/s17.txt"
if rn train --hidden 8 --tau 16 --steps 1 --sample-every 0 --save "$tmp/s17.ck" "$tmp/s17.txt" >/dev/null 2>"$tmp/s17.err"; then
    ok "bad-input/control-data-of-tau-plus-1-symbols-accepted"
else
    fail "bad-input/control-data-of-tau-plus-1-symbols-accepted" "$(one_line "$tmp/s17.err")"
fi
bad resume-with-different-hidden 2 "--resume|--hidden" \
    train --hidden 16 --tau 16 --sample-every 0 --steps 200 --resume @D/ck.ck --save @D/ck.ck "$T"
bad mixing-csv-then-text 2 "text.txt" train "${BT[@]}" --save @D/new.ck "$W" "$T"
bad mixing-text-then-csv 2 "wave.csv" train "${BT[@]}" --save @D/new.ck "$T" "$W"
bad resume-text-model-on-csv 2 "ck.ck|wave.csv" train --sample-every 0 --steps 200 --resume @D/ck.ck --save @D/ck.ck "$W"
bad target-no-such-column 2 "--target" train --hidden 8 --tau 8 --steps 10 --target nope --save @D/new.ck "$W"
# --target only makes sense for a CSV file; on text it must not be silently ignored.
bad target-on-text-data 2 "--target" train "${BT[@]}" --target cos --save @D/new.ck "$T"

# ---- 9. plot ----
d=$tmp/plot
mkdir -p "$d"
why=()
rn train "${M[@]}" --steps 500 --every 50 --log "$d/log.csv" "$T" >/dev/null 2>"$d/err" || why+=("train --log: $(one_line "$d/err")")
[ "$(head -n 1 "$d/log.csv")" = "step,loss,bpc,lr,seconds,last_loss,mean_loss,mean_bpc" ] || why+=("log header '$(head -n 1 "$d/log.csv")'")
[ "$(wc -l <"$d/log.csv")" -eq 11 ] || why+=("$(wc -l <"$d/log.csv") log lines, not header + 10")
rn plot "$d/log.csv" -o "$d/loss.svg" >"$d/out" 2>"$d/err" || why+=("plot: $(one_line "$d/err")")
case $(head -c 5 "$d/loss.svg" 2>/dev/null) in
"<svg"* | "<?xml") ;;
*) why+=("$d/loss.svg does not start with <svg or <?xml: $(head -c 40 "$d/loss.svg" 2>/dev/null)") ;;
esac
check "plot/log-to-svg" "${why[@]}"

suite_end
