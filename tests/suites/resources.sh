#!/usr/bin/env bash
# tests/suites/resources.sh: memory.  Absurd dimensions are refused before any large
# allocation (and before reading the data) with the bytes a buffer would need, exit 2; a
# model or data that does not fit in memory is a runtime failure, exit 1, with the bytes
# needed (simulated with ulimit -v); and training on a 64 MB text file (bytes mode) takes
# about the file's size in memory: peak RSS <= the same run's peak on a tiny file + 1.10 x
# the file's size (measured: +1.00 x; before the indices were stored in one byte: +4.9 x).
# Skipped, with the reason, when the disk lacks room for the file or nothing can measure a
# peak RSS (/usr/bin/time or python3).
# Prints "ok resources/CASE", "FAIL resources/CASE: why" or "skip resources/CASE: why".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory).
. "$(dirname "$0")/../lib/suite.sh" resources
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}

# peak FILE CMD...: run CMD (stdout to /dev/null, stderr to FILE.err), write its peak RSS in KB
# to FILE; returns CMD's status.  /usr/bin/time when present, else python3's getrusage.
if [ -x /usr/bin/time ]; then
    peak() {
        local f=$1
        shift
        /usr/bin/time -f '%M' -o "$f" "$@" >/dev/null 2>"$f.err"
        local rc=$?
        sed -i -n '$p' "$f"
        return $rc
    }
elif command -v python3 >/dev/null 2>&1; then
    peak() {
        local f=$1
        shift
        python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1] + ".err", "w"))
open(sys.argv[1], "w").write("%d\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$f" "$@"
    }
else
    peak() { return 99; }
fi

for i in $(seq 1 60); do echo "the cat sat on mat $((i % 5)). a dog ran to log $((i % 3))!"; done >"$tmp/t.txt"
# Under AddressSanitizer (make asan) memory is not the program's own: ASan reserves terabytes
# of address space (so ulimit -v stops it before main) and its shadow memory and quarantine
# add to the RSS.  Those cases are skipped there.
asan=0
grep -q __asan_init "$RNNC" 2>/dev/null && asan=1

# ---- the 64 MB file (also the data that absurd dimensions must not read) ----
big=$tmp/big.txt
avail_kb=$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')
have_big=0
if [ "${avail_kb:-0}" -lt 300000 ]; then
    skip "memory/64MB-text-peak-rss-near-file-size" "only ${avail_kb:-?} KB free under $tmp (needs 300 MB)"
else
    # 64 MB of base64 lines: 65 distinct bytes, like a text.
    head -c 48000000 /dev/urandom | base64 -w 100 >"$big" && have_big=1
fi
data=$tmp/t.txt
[ $have_big = 1 ] && data=$big

# ---- 1. absurd dimensions: exit 2 at once, with a byte count, no large allocation ----
# absurd NAME ARG...: rnnc ARG... exits 2 with one line "... would need N bytes ..." and, when a
# peak can be measured, stays under 64 MB (the data file is 64 MB: it was not read either).
absurd() {
    local name=$1
    shift
    local why=() rc
    peak "$tmp/absurd" timeout -k 5 60 "$RNNC" "$@"
    rc=$?
    if [ $rc -eq 99 ]; then
        timeout -k 5 60 "$RNNC" "$@" >/dev/null 2>"$tmp/absurd.err"
        rc=$?
    elif [ "$(cat "$tmp/absurd")" -ge 65536 ]; then
        why+=("peak RSS $(cat "$tmp/absurd") KB")
    fi
    [ $rc -eq 2 ] || why+=("status $rc, not 2")
    [ "$(wc -l <"$tmp/absurd.err")" -eq 1 ] || why+=("$(wc -l <"$tmp/absurd.err") lines on stderr")
    grep -qE 'would need [0-9]+ bytes' "$tmp/absurd.err" || why+=("no 'would need N bytes': $(one_line "$tmp/absurd.err")")
    check "absurd/$name" "${why[@]}"
}
absurd "train-hidden-65536-vocab-65536-tau-10000" train --hidden 65536 --vocab 65536 --tau 10000 "$data"
absurd "train-dense-in-65536-out-65536-hidden-65536" train --in 65536 --out 65536 --hidden 65536 --tau 10000 "$data"
absurd "gen-hidden-65536-vocab-65536-tau-10000" gen --hidden 65536 --vocab 65536 --tau 10000 -o "$tmp/gen"
absurd "check-hidden-65536-vocab-65536-tau-10000" check --hidden 65536 --vocab 65536 --tau 10000
absurd "bench-hidden-65536-vocab-65536-tau-10000" bench --hidden 65536 --vocab 65536 --tau 10000
absurd "train-hidden-65536-vocab-from-data" train --hidden 65536 --tau 10000 --backend tcc "$tmp/t.txt"
[ -e "$tmp/gen" ] && fail "absurd/gen-writes-nothing" "$tmp/gen was created" || ok "absurd/gen-writes-nothing"

# ---- 2. out of memory is a runtime failure: exit 1, with the bytes needed ----
# oom NAME LIMIT_KB EXPECT ARG...: under ulimit -v LIMIT_KB, rnnc train ARG... exits 1 with
# one line containing EXPECT and "out of memory".
oom() {
    local name=$1 limit=$2 expect=$3
    shift 3
    local why=()
    (ulimit -v "$limit" && exec timeout -k 5 60 "$RNNC" train --backend tcc --sample-every 0 "$@") \
        >/dev/null 2>"$tmp/oom.err"
    local rc=$?
    [ $rc -eq 1 ] || why+=("status $rc, not 1")
    [ "$(wc -l <"$tmp/oom.err")" -eq 1 ] || why+=("$(wc -l <"$tmp/oom.err") lines on stderr")
    grep -qF "out of memory" "$tmp/oom.err" || why+=("no 'out of memory': $(one_line "$tmp/oom.err")")
    grep -qE -- "$expect" "$tmp/oom.err" || why+=("no '$expect': $(one_line "$tmp/oom.err")")
    check "out-of-memory/$name" "${why[@]}"
}
if [ $asan = 1 ]; then
    skip "out-of-memory/all" "built with AddressSanitizer, which cannot run under ulimit -v"
    oom() { :; }
fi
# hidden 4096, tau 1000, batch 16: 1.13 GB of training buffers and 0.2 GB of state, under 1 GB.
oom "model-beyond-ulimit-v-refused-before-allocating-exit-1" 1000000 \
    "needs [0-9]+ bytes .*ulimit -v" --hidden 4096 --tau 1000 --batch 16 --steps 1 "$tmp/t.txt"
if [ $have_big = 1 ]; then
    oom "text-data-beyond-ulimit-v-exit-1" 60000 "big.txt: cannot read: out of memory" \
        --hidden 8 --tau 4 --steps 1 "$big"
    oom "utf8-text-indices-beyond-ulimit-v-exit-1" 110000 "big.txt: out of memory for [0-9]+ class indices" \
        --chars utf8 --hidden 8 --tau 4 --steps 1 "$big"
fi
# A CSV of 2 x 1.5 million numbers: 24 MB of doubles (48 MB with the rows split), under 40 MB.
awk 'BEGIN { for (i = 0; i < 1500000; i++) print i % 7 ",1" }' >"$tmp/rows.csv"
oom "csv-data-beyond-ulimit-v-exit-1" 40000 "rows.csv:[0-9]+: out of memory" --hidden 4 --tau 4 --steps 1 "$tmp/rows.csv"
rm -f "$tmp/rows.csv"

# ---- 3. a 64 MB text takes about its size in memory ----
if [ $have_big = 1 ] && [ $asan = 1 ]; then
    skip "memory/64MB-text-peak-rss-near-file-size" "built with AddressSanitizer, whose shadow memory adds to the RSS"
elif [ $have_big = 1 ]; then
    why=()
    T=(train --hidden 32 --tau 16 --steps 5 --every 5 --sample-every 0 --backend tcc)
    peak "$tmp/small" "$RNNC" "${T[@]}" "$tmp/t.txt"
    rc_small=$?
    peak "$tmp/large" "$RNNC" "${T[@]}" "$big"
    rc_large=$?
    if [ $rc_small -eq 99 ]; then
        skip "memory/64MB-text-peak-rss-near-file-size" "neither /usr/bin/time nor python3 can measure a peak RSS"
    else
        [ $rc_small -eq 0 ] || why+=("tiny run: status $rc_small: $(one_line "$tmp/small.err")")
        [ $rc_large -eq 0 ] || why+=("64 MB run: status $rc_large: $(one_line "$tmp/large.err")")
        small=$(cat "$tmp/small") large=$(cat "$tmp/large") file_kb=$(($(wc -c <"$big") / 1024))
        limit=$((small + file_kb * 110 / 100))
        [ "$large" -le "$limit" ] || why+=("peak RSS $large KB > $small KB (tiny file) + 1.10 x $file_kb KB = $limit KB")
        check "memory/64MB-text-peak-rss-near-file-size" "${why[@]}"
        echo "# peak RSS: tiny file $small KB, ${file_kb} KB file $large KB (+$(awk -v a="$large" -v b="$small" -v f="$file_kb" 'BEGIN { printf "%.2f", (a - b) / f }') x the file)"
    fi
fi
suite_end
