#!/usr/bin/env bash
# tests/fuzz/run.sh [--seconds S] [--runs N] [--jobs J] [--corpus DIR] [--keep DIR] RNNC [TARGET...]:
# run the libFuzzer targets built in out/fuzz/ (make fuzz-bin), each for S seconds (60) or N
# executions (--runs; whichever comes first), J at a time (2), on the seeds
# tests/fuzz/seeds.sh makes with RNNC and the corpus in DIR/TARGET
# (out/fuzz/corpus; new inputs are added there), with the dictionary tests/fuzz/TARGET.dict
# when there is one; then replay every input kept in tests/fuzz/regressions/TARGET/.
# TARGETs are names like spec or ckpt (default: every out/fuzz/fuzz_* binary).
# Prints, per target, "ok fuzz/TARGET: N executions in S s (R exec/s), no finding" or
# "FAIL fuzz/TARGET: ..." naming the saved input (under --keep DIR, default out/fuzz/findings)
# and the log; and "ok fuzz/TARGET-regressions: K inputs" when it has regression inputs.
# Exit status 1 if anything failed.
set -u
seconds=60 runs_max=-1 jobs=2 corpus=out/fuzz/corpus keep=out/fuzz/findings
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs_max=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) break ;;
    esac
done
RNNC=${1:?usage: tests/fuzz/run.sh [--seconds S] [--jobs J] [--corpus DIR] [--keep DIR] RNNC [TARGET...]}
shift
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
cd "$(dirname "$0")/../.." || exit 1
bin=out/fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for b in "$bin"/fuzz_*; do [ -x "$b" ] && targets+=("${b#"$bin"/fuzz_}"); done
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "FAIL fuzz: no targets in $bin (run make fuzz-bin)"
    exit 1
fi
logs=$(mktemp -d "${TMPDIR:-/tmp}/rnnc-fuzz.XXXXXX")
trap 'rm -rf "$logs"' EXIT
seeds=$logs/seeds
if ! tests/fuzz/seeds.sh "$RNNC" "$seeds" 2>"$logs/seeds.err"; then
    echo "FAIL fuzz/seeds: $(head -c 300 "$logs/seeds.err")"
    exit 1
fi
mkdir -p "$keep"

# one TARGET: fuzz it for $seconds; its verdict line goes to $logs/TARGET.verdict.
one() {
    local t=$1 log=$logs/$1.log dict=()
    mkdir -p "$corpus/$t" "$keep/$t"
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    local t0=$SECONDS
    "$bin/fuzz_$t" -max_total_time="$seconds" -runs="$runs_max" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$keep/$t/" "${dict[@]}" "$corpus/$t" "$seeds/$t" >"$log" 2>&1
    local rc=$? runs rate took=$((SECONDS - t0))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    if [ $rc -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
        echo "ok fuzz/$t: $runs executions in $took s (${rate:-?} exec/s), no finding" >"$logs/$t.verdict"
    else
        local found what
        found=$(ls -t "$keep/$t" 2>/dev/null | head -n 1)
        what=$(grep -m1 -E 'ERROR: |runtime error|assertion failed|Timeout|out-of-memory' "$log" | head -c 300)
        cp "$log" "$keep/$t.log"
        echo "FAIL fuzz/$t: status $rc${what:+: $what}; input ${found:+$keep/$t/$found}; log $keep/$t.log" >"$logs/$t.verdict"
    fi
}

running=0
for t in "${targets[@]}"; do
    if [ ! -x "$bin/fuzz_$t" ]; then
        echo "FAIL fuzz/$t: $bin/fuzz_$t not built" >"$logs/$t.verdict"
        continue
    fi
    if [ $running -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    one "$t" &
    running=$((running + 1))
done
wait
failed=0
for t in "${targets[@]}"; do
    cat "$logs/$t.verdict"
    grep -q '^FAIL' "$logs/$t.verdict" && failed=1
done

# Regression inputs: each replayed once (libFuzzer runs the files it is given and exits).
for t in "${targets[@]}"; do
    dir=tests/fuzz/regressions/$t
    [ -d "$dir" ] || continue
    files=("$dir"/*)
    [ -e "${files[0]}" ] || continue
    if "$bin/fuzz_$t" -timeout=10 -rss_limit_mb=2048 "${files[@]}" >"$logs/$t.replay" 2>&1; then
        echo "ok fuzz/$t-regressions: ${#files[@]} inputs replayed, no finding"
    else
        echo "FAIL fuzz/$t-regressions: $(grep -m1 -E 'ERROR: |runtime error|assertion failed' "$logs/$t.replay" | head -c 300)"
        failed=1
    fi
done
exit $failed
