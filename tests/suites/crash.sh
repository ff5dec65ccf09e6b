#!/usr/bin/env bash
# tests/suites/crash.sh: crash consistency and full disks.
#  1. kill -9 at 100 random moments of a run that saves every step (--every 1): after every
#     kill the checkpoint loads (rnnc info) and its step never goes back; then 100 kills of
#     `rnnc embed` and 100 of `rnnc export` rewriting their outputs (alternately from two
#     checkpoints of different specs): every file is, byte for byte, one of the two versions,
#     and an embedded pair is either a matching pair or one that does not compile (the first
#     mixed pair is compiled: 1.3 MB of C takes seconds).  About 40 s in all.  After
#     each loop one complete run of the same command must leave no litter (no temporary files
#     of the killed runs) in the directory.
#  2. A full disk (a small tmpfs, mounted here; skipped, with the reason, where mount is not
#     allowed): train --save, embed, export, gen and --log into it fail with one line naming
#     the file and the reason (exit 1), or for --log keep training; the files that were there
#     survive byte for byte and no temporary file is left.
# The litter checks ("no litter") rely on the next writer removing stale temporaries of dead
# processes, the embed pair check on a mismatched pair failing to compile (NAME_PAIR_HASH), and
# the --log checks on whole rows and a reported failure (issue 15's first half, "Security and
# reliability").
# Prints "ok crash/CASE", "FAIL crash/CASE: why" or "skip crash/CASE: why".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), CRASH_KILLS (100).
. "$(dirname "$0")/../lib/suite.sh" crash
mnt=
suite_cleanup() { [ -n "$mnt" ] && umount "$mnt" 2>/dev/null; }
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
unset RNNC_TEST_CRASH_DURING_SAVE
ulimit -c 0 2>/dev/null
# litter DIR KEEP...: the names in DIR other than KEEP..., on one line.  A NAME.lock is not
# litter: the advisory lock file a writer may keep beside its output (flock needs a file that
# stays; removing it would race with the next writer).
litter() {
    local d=$1
    shift
    local keep=" $* " f out=""
    for f in $(ls -A "$d"); do
        case $keep in *" $f "*) ;; *) [[ $f == *.lock ]] || out+="$f " ;; esac
    done
    echo "$out"
}
# rand_delay MIN_MS MAX_MS: a random delay in seconds, MIN_MS to MAX_MS milliseconds.
rand_delay() {
    local v=$(($1 + RANDOM % ($2 - $1 + 1)))
    printf '%d.%03d' $((v / 1000)) $((v % 1000))
}

for i in $(seq 1 60); do echo "the cat sat on mat $((i % 5)). a dog ran to log $((i % 3))!"; done >"$tmp/t.txt"
T="$tmp/t.txt"
M=(--tau 16 --sample-every 0 --backend tcc)
# The training loop's checkpoint (hidden 64: 85 KB, a save takes about 1.5 ms); and two of
# different specs for embed and export (hidden 256 and 192: a 1.3 MB NAME.c and a 310 KB
# export, so a good share of the kills lands in the writes).
rn train --hidden 64 "${M[@]}" --steps 50 --every 50 --save "$tmp/T.ck" "$T" >/dev/null 2>"$tmp/err" &&
    rn train --hidden 256 "${M[@]}" --steps 5 --every 5 --save "$tmp/A.ck" "$T" >/dev/null 2>>"$tmp/err" &&
    rn train --hidden 192 "${M[@]}" --steps 5 --every 5 --save "$tmp/B.ck" "$T" >/dev/null 2>>"$tmp/err"
if [ $? -ne 0 ]; then
    fail "setup" "$(one_line "$tmp/err")"
    suite_end
fi

# ---- 1a. kill -9 while training saves every step ----
kills=${CRASH_KILLS:-100}
d=$tmp/train
mkdir -p "$d"
cp "$tmp/T.ck" "$d/C"
why=()
prev=50 torn=0 t0=$SECONDS
for round in $(seq 1 "$kills"); do
    before=$(litter "$d" C | wc -w)
    "$RNNC" train --hidden 64 "${M[@]}" --steps 100000000 --every 1 --resume "$d/C" --save "$d/C" "$T" \
        >/dev/null 2>"$tmp/train.err" &
    pid=$!
    # From the start (loading, compiling) to about 200 steps in (each step saves, ~1.5 ms).
    sleep "$(rand_delay 0 300)"
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    [ "$(litter "$d" C | wc -w)" -gt "$before" ] && torn=$((torn + 1))
    if ! step=$(ckpt_step "$d/C" 2>"$tmp/info.err"); then
        why+=("kill $round: C does not load: $(one_line "$tmp/info.err")")
        cp "$tmp/T.ck" "$d/C"
        prev=50
        continue
    fi
    [ -n "$step" ] && [ "$step" -ge "$prev" ] || why+=("kill $round: the step went from $prev to '$step'")
    prev=${step:-$prev}
done
[ "$prev" -gt 50 ] || why+=("no run got past its first save")
check "kill-9/train-every-1-$kills-kills-checkpoint-always-loads" "${why[@]}"
echo "# $kills kills in $((SECONDS - t0)) s; $torn of them left a half-written temporary (interrupted a save); last step $prev"
# The next complete run writes the same path: afterwards nothing but C is left.
rn train --hidden 64 "${M[@]}" --steps $((prev + 3)) --every 1 --resume "$d/C" --save "$d/C" "$T" >/dev/null 2>"$tmp/err" ||
    fail "kill-9/train-next-run-completes" "$(one_line "$tmp/err")"
left=$(litter "$d" C)
[ -z "$left" ] && ok "kill-9/train-no-litter-after-the-next-run" ||
    fail "kill-9/train-no-litter-after-the-next-run" "left: $(echo "$left" | wc -w) files ($(echo "$left" | cut -c1-120)...)"

# ---- 1b. kill -9 while embed and export rewrite their outputs ----
# The two versions of each output, made whole.
mkdir -p "$tmp/vA" "$tmp/vB"
for v in A B; do
    rn embed "$tmp/$v.ck" -o "$tmp/v$v" --name m >/dev/null 2>"$tmp/err" || fail "setup/embed-$v" "$(one_line "$tmp/err")"
    rn export "$tmp/$v.ck" -o "$tmp/v$v/m.safetensors" >/dev/null 2>"$tmp/err" || fail "setup/export-$v" "$(one_line "$tmp/err")"
done
# which FILE NAME: A or B (the version FILE equals), or ? for neither.
which() {
    if cmp -s "$1" "$tmp/vA/$2"; then echo A; elif cmp -s "$1" "$tmp/vB/$2"; then echo B; else echo '?'; fi
}
# args_of CMD VERSION DIR: args=(the rnnc command writing DIR's output from VERSION.ck).
args_of() {
    if [ "$1" = embed ]; then args=(embed "$tmp/$2.ck" -o "$3" --name m); else
        args=(export "$tmp/$2.ck" -o "$3/m.safetensors")
    fi
}
# killed CMD ROUNDS FILES...: ROUNDS times, run rnnc CMD (from B and A in turn) into $tmp/out-CMD
# and kill -9 it at a random moment of its run: after each kill every FILE is one version,
# whole; and (embed) a pair of mixed versions does not compile.
killed() {
    local cmd=$1 rounds=$2
    shift 2
    local o=$tmp/out-$cmd why=() pairs=() torn=0 mixed=0 f args
    mkdir -p "$o"
    for f in "$@"; do cp "$tmp/vA/$f" "$o/$f"; done
    # How long one run takes, T: the kills spread over T/4 .. 1.3 T (the writes come last).
    local s e ms lo
    args_of "$cmd" A "$o"
    s=$(date +%s%N)
    rn "${args[@]}" >/dev/null 2>&1
    e=$(date +%s%N)
    ms=$(((e - s) * 13 / 10000000 + 1))
    lo=$((ms / 4))
    for round in $(seq 1 "$rounds"); do
        args_of "$cmd" "$([ $((round % 2)) = 1 ] && echo B || echo A)" "$o"
        local before
        before=$(litter "$o" "$@" | wc -w)
        "$RNNC" "${args[@]}" >/dev/null 2>&1 &
        local pid=$!
        sleep "$(rand_delay "$lo" "$ms")"
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        [ "$(litter "$o" "$@" | wc -w)" -gt "$before" ] && torn=$((torn + 1))
        local got=() w
        for f in "$@"; do
            w=$(which "$o/$f" "$f")
            got+=("$w")
            [ "$w" = '?' ] && why+=("kill $round: $f is neither version (torn)")
        done
        if [ $# = 2 ] && [ "${got[0]}" != "${got[1]}" ] && [ "${got[0]}" != '?' ] && [ "${got[1]}" != '?' ]; then
            mixed=$((mixed + 1))
            [ $mixed -le 1 ] && cc -std=c99 -fsyntax-only -I "$o" "$o/m.c" >/dev/null 2>&1 &&
                pairs+=("kill $round: m.h of ${got[0]} and m.c of ${got[1]} compile together")
        fi
    done
    check "kill-9/$cmd-$rounds-kills-every-file-whole" "${why[@]}"
    [ $# = 2 ] && check "kill-9/$cmd-mixed-pair-does-not-compile" "${pairs[@]}"
    echo "# $cmd: $rounds kills within $lo..$ms ms; $torn left a temporary, $mixed left a mixed pair"
    # One complete run afterwards: no litter.
    args_of "$cmd" A "$o"
    rn "${args[@]}" >/dev/null 2>"$tmp/err" || fail "kill-9/$cmd-next-run-completes" "$(one_line "$tmp/err")"
    local left
    left=$(litter "$o" "$@")
    [ -z "$left" ] && ok "kill-9/$cmd-no-litter-after-the-next-run" ||
        fail "kill-9/$cmd-no-litter-after-the-next-run" "left: $(echo "$left" | wc -w) files ($(echo "$left" | cut -c1-120)...)"
}
killed embed "$kills" m.h m.c
killed export "$kills" m.safetensors

# ---- 2. a full disk ----
if [ "$(id -u)" != 0 ]; then
    skip "disk-full/all" "not root: cannot mount a small tmpfs"
    suite_end
fi
mnt=$tmp/full
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=8m,mode=0755 rnnc-crash-test "$mnt" 2>"$tmp/mount.err"; then
    skip "disk-full/all" "mount -t tmpfs is not allowed here: $(one_line "$tmp/mount.err")"
    mnt=
    suite_end
fi
# Good files first: a checkpoint, an embedded pair, an export, a gen pair, a log.
cp "$tmp/B.ck" "$mnt/C"
mkdir -p "$mnt/embed" "$mnt/gen"
cp "$tmp/vB/m.h" "$tmp/vB/m.c" "$mnt/embed/"
cp "$tmp/vB/m.safetensors" "$mnt/m.safetensors"
rn gen --vocab 22 --hidden 8 --tau 4 --name g -o "$mnt/gen" >/dev/null 2>"$tmp/err" || fail "setup/gen" "$(one_line "$tmp/err")"
rn train --hidden 8 --tau 8 --sample-every 0 --backend tcc --steps 30 --every 10 --log "$mnt/log.csv" "$T" >/dev/null 2>"$tmp/err" ||
    fail "setup/log" "$(one_line "$tmp/err")"
(cd "$mnt" && find . -type f -exec md5sum {} + | sort) >"$tmp/before"
cp "$mnt/log.csv" "$tmp/log.before"
# Fill it: nothing more fits (tmpfs allocates whole pages; the filler takes every free one).
dd if=/dev/zero of="$mnt/filler" bs=4096 >/dev/null 2>&1
# full NAME ARG...: rnnc ARG... exits 1 with one line saying "No space left on device".
full() {
    local name=$1
    shift
    local why=()
    rn "$@" >"$tmp/full.out" 2>"$tmp/full.err"
    local rc=$?
    [ $rc -eq 1 ] || why+=("status $rc, not 1")
    [ "$(wc -l <"$tmp/full.err")" -eq 1 ] || why+=("$(wc -l <"$tmp/full.err") lines on stderr")
    grep -qF "No space left on device" "$tmp/full.err" || why+=("stderr: $(one_line "$tmp/full.err")")
    check "disk-full/$name" "${why[@]}"
}
full "train-save-exit-1" train --hidden 192 "${M[@]}" --steps 60 --every 5 --resume "$mnt/C" --save "$mnt/C" "$T"
full "embed-exit-1" embed "$tmp/A.ck" -o "$mnt/embed" --name m
full "export-exit-1" export "$tmp/A.ck" -o "$mnt/m.safetensors"
full "gen-exit-1" gen --vocab 22 --hidden 16 --tau 4 --name g -o "$mnt/gen"
# The log: training goes on (no --save here), and the rows already written stay.
why=()
rn train --hidden 8 --tau 8 --sample-every 0 --backend tcc --steps 3000 --every 1 --log "$mnt/log.csv" "$T" \
    >"$tmp/log.out" 2>"$tmp/log.err"
rc=$?
cmp -s "$tmp/log.before" <(head -c "$(wc -c <"$tmp/log.before")" "$mnt/log.csv") || why+=("the rows written before changed")
check "disk-full/log-keeps-its-earlier-rows" "${why[@]}"
why=()
bad_rows=$(awk -F, 'NR == 1 { nf = NF } NR > 1 && NF != nf { n++ } END { print n + 0 }' "$mnt/log.csv")   # the header's columns
[ -n "$(tail -c 1 "$mnt/log.csv")" ] && bad_rows=$((bad_rows + 1))   # no newline: the last row is cut
[ "$bad_rows" = 0 ] || why+=("$bad_rows rows cut short (the file ends in '$(tail -c 20 "$mnt/log.csv" | tr '\n' '~')')")
grep -qF "$mnt/log.csv" "$tmp/log.err" "$tmp/log.out" || why+=("the failure is not reported with the log's path (status $rc, stderr: $(one_line "$tmp/log.err"))")
check "disk-full/log-whole-rows-and-failure-reported" "${why[@]}"
rm -f "$mnt/filler"
# Everything that was there before is intact (the log only grew), and no temporary is left.
(cd "$mnt" && find . -type f ! -name log.csv ! -name '*.lock' -exec md5sum {} + | sort) >"$tmp/after"
grep -v ' ./log.csv$' "$tmp/before" | cmp -s - "$tmp/after" &&
    ok "disk-full/previous-files-survive-byte-for-byte" ||
    fail "disk-full/previous-files-survive-byte-for-byte" "$(diff <(grep -v ' ./log.csv$' "$tmp/before") "$tmp/after" | grep '^[<>]' | tr '\n' ' ' | head -c 300)"
rn info "$mnt/C" >/dev/null 2>"$tmp/err" && ok "disk-full/checkpoint-still-loads" || fail "disk-full/checkpoint-still-loads" "$(one_line "$tmp/err")"
left=$(cd "$mnt" && find . -type f | grep -v -E '^\./(C|m\.safetensors|log\.csv|embed/m\.[ch]|gen/g\.[ch]|.*\.lock)$' | tr '\n' ' ')
[ -z "$left" ] && ok "disk-full/no-temporary-left" || fail "disk-full/no-temporary-left" "left: $left"
suite_end
