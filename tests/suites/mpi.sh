#!/usr/bin/env bash
# tests/suites/mpi.sh: data-parallel training (issue 12), `mpirun -np N rnnc train` on this
# host and `--shards N` on one process.  Checkpoints compared byte for byte: --shards 1 and
# -np 1 against the plain step; -np 2 and -np 4 against --shards 2 and 4, and two -np 2 runs
# against each other (streams, records with a learned h(0), scheduled sampling, shares of two
# batch parts); resuming across a different N; the cc cache when the ranks compile the same
# source at once; a rank killed with SIGKILL or SIGTERM mid-run (the job ends within 10 s,
# the last checkpoint intact and resumable); the --log rows and progress losses of rank 0
# against --shards 2's; bad inputs (a batch the ranks do not divide, ranks that read
# different data, --shards under mpirun, - as the data), each one line from rank 0, a
# non-zero exit and nothing written.  Without mpirun, or with an rnnc built without MPI, the
# MPI cases are skipped and say why (the --shards cases still run).
# Prints "ok mpi/CASE", "FAIL mpi/CASE: why" or "skip mpi/CASE: why"; exits 1 if any failed.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR.
. "$(dirname "$0")/../lib/suite.sh" mpi
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
# Open MPI: its notices off (-q); as root it needs --allow-run-as-root; this 2-core machine
# runs up to 4 ranks (--oversubscribe); no single-copy (CMA) transfers, which containers that
# restrict ptrace refuse; sanitizer builds: no leak report of MPI's own allocations.
export OMPI_MCA_btl_vader_single_copy_mechanism=none
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# mr N ARG...: rnnc on N ranks, with a time limit (as rn: a hang is a failure).
MPIRUN=(mpirun -q --allow-run-as-root --oversubscribe -x RNNC_CACHE_DIR -x OMPI_MCA_btl_vader_single_copy_mechanism)
mr() {
    local n=$1
    shift
    timeout -k 5 120 "${MPIRUN[@]}" -np "$n" "$RNNC" "$@"
}
info_step() { rn info "$1" 2>/dev/null | sed -n 's/^step: //p'; }
# same NAME A B: the two checkpoints exist and are equal byte for byte, else a reason.
same() {
    if [ ! -f "$2" ] || [ ! -f "$3" ]; then echo "$1: a checkpoint is missing ($(ls "$(dirname "$2")" | tr '\n' ' '))"
    elif ! cmp -s "$2" "$3"; then echo "$1: $(basename "$2") and $(basename "$3") differ ($(cmp "$2" "$3" 2>&1 | head -n 1))"
    fi
}

# ---- data and models ----
# text.txt: 60 lines, 22 distinct bytes; words.txt: 300 words of 1 to 4 two-letter syllables
# (records); other.txt: text.txt with one line changed (same length and alphabet).
for i in $(seq 1 60); do echo "the cat sat on mat $((i % 5)). a dog ran to log $((i % 3))!"; done >"$tmp/text.txt"
sed '30s/cat/rat/' "$tmp/text.txt" >"$tmp/other.txt"
awk 'BEGIN { srand(5); split("ab cd ef gh", s, " ");
             for (i = 0; i < 300; i++) { n = 1 + int(rand() * 4); w = "";
                 for (j = 0; j < n; j++) w = w s[1 + int(rand() * 4)]; print w } }' >"$tmp/words.txt"
T=$tmp/text.txt
M=(--hidden 16 --tau 8 --batch 4 --steps 12 --every 6 --sample-every 0 --backend tcc)

# plain NAME ARG...: one process, the plain step; shards N NAME ARG...: --shards N.
train1() { # OUT ARG...
    local out=$1
    shift
    rn train "$@" --save "$out" >"$out.out" 2>"$out.err" || echo "rnnc train $*: status $?: $(one_line "$out.err")"
}
trainN() { # N OUT ARG...
    local n=$1 out=$2
    shift 2
    mr "$n" train "$@" --save "$out" >"$out.out" 2>"$out.err" || echo "mpirun -np $n rnnc train: status $?: $(one_line "$out.err")"
}

# ---- --shards on one process (no MPI needed) ----
d=$tmp/shards
mkdir -p "$d"
why=()
r=$(train1 "$d/plain.ck" "${M[@]}" "$T") && [ -z "$r" ] || why+=("$r")
r=$(train1 "$d/s1.ck" "${M[@]}" --shards 1 "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "--shards 1" "$d/plain.ck" "$d/s1.ck") && [ -z "$r" ] || why+=("$r")
check "shards/one-share-gives-the-bits-of-the-plain-step" "${why[@]}"

why=()
r=$(train1 "$d/s2a.ck" "${M[@]}" --shards 2 "$T") && [ -z "$r" ] || why+=("$r")
r=$(train1 "$d/s2b.ck" "${M[@]}" --shards 2 "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "two --shards 2 runs" "$d/s2a.ck" "$d/s2b.ck") && [ -z "$r" ] || why+=("$r")
grep -q '^data parallel: 2 shares of 2 columns of the batch of 4' "$d/s2a.ck.out" || why+=("no 'data parallel: 2 shares' line: $(one_line "$d/s2a.ck.out")")
[ "$(info_step "$d/s2a.ck")" = 12 ] || why+=("step $(info_step "$d/s2a.ck"), not 12")
check "shards/two-shares-twice-identical-checkpoints" "${why[@]}"

# close NAME A B: checkpoint B trained the model of A up to rounding (the gradients summed in
# another order): the smoothed and the last losses of `rnnc info` within 1e-4 of each other
# (relative), and the same 200-symbol sample; else a reason.  (A share given the wrong columns
# fails this: measured 9.08 against 12.70.)
close() {
    local la lb
    la=$(rn info "$2" 2>&1 | sed -n 's/^loss: \([^ ]*\) smoothed.* last \([^ ]*\)$/\1 \2/p')
    lb=$(rn info "$3" 2>&1 | sed -n 's/^loss: \([^ ]*\) smoothed.* last \([^ ]*\)$/\1 \2/p')
    awk -v a="$la" -v b="$lb" 'BEGIN { n = split(a, x, " "); m = split(b, y, " "); if (n != 2 || m != 2) exit 1;
        for (i = 1; i <= 2; i++) { d = x[i] - y[i]; if (d < 0) d = -d; if (d > 1e-4 * (x[i] < 0 ? -x[i] : x[i])) exit 1 } }' ||
        echo "$1: the losses (smoothed, last) are '$la' and '$lb'"
    [ "$(rn sample "$2" -n 200 --seed 3 2>&1)" = "$(rn sample "$3" -n 200 --seed 3 2>&1)" ] || echo "$1: the samples differ"
}
why=()
r=$(close "--shards 2 and one share" "$d/plain.ck" "$d/s2a.ck") && [ -z "$r" ] || why+=("$r")
cmp -s "$d/plain.ck" "$d/s2a.ck" && why+=("the checkpoints are equal: are the shares summed at all?")
check "shards/two-shares-train-the-model-of-one-up-to-rounding" "${why[@]}"

# The gated cells (issue 17): the LSTM's carried state holds c after h, the GRU's only h; a
# share carries the whole state of its columns (a share without c trains another model).
for cell in lstm gru; do
    why=()
    r=$(train1 "$d/$cell-plain.ck" "${M[@]}" --cell $cell "$T") && [ -z "$r" ] || why+=("$r")
    r=$(train1 "$d/$cell-s1.ck" "${M[@]}" --cell $cell --shards 1 "$T") && [ -z "$r" ] || why+=("$r")
    r=$(same "--cell $cell --shards 1" "$d/$cell-plain.ck" "$d/$cell-s1.ck") && [ -z "$r" ] || why+=("$r")
    r=$(train1 "$d/$cell-s2.ck" "${M[@]}" --cell $cell --shards 2 "$T") && [ -z "$r" ] || why+=("$r")
    r=$(close "--cell $cell --shards 2 and one share" "$d/$cell-plain.ck" "$d/$cell-s2.ck") && [ -z "$r" ] || why+=("$r")
    check "shards/$cell-one-share-gives-the-bits-of-the-plain-step-two-the-model" "${why[@]}"
done

# --shards that do not divide the batch: one line, exit 2, nothing written.
d=$tmp/shards-bad
mkdir -p "$d"
rn train "${M[@]}" --shards 3 --save "$d/x.ck" --log "$d/x.csv" "$T" >"$tmp/sb.out" 2>"$tmp/sb.err"
rc=$?
why=()
[ $rc = 2 ] || why+=("status $rc")
[ "$(wc -l <"$tmp/sb.err")" = 1 ] && grep -q '^rnnc: --batch 4: not a multiple of the 3 shares' "$tmp/sb.err" ||
    why+=("stderr: $(one_line "$tmp/sb.err")")
[ -z "$(ls -A "$d")" ] || why+=("written: $(ls -A "$d" | tr '\n' ' ')")
check "shards/bad-three-shares-of-batch-4-one-line-exit-2-nothing-written" "${why[@]}"

# ---- MPI ----
if ! command -v mpirun >/dev/null 2>&1; then
    skip "mpirun" "mpirun not found: install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) and build rnnc with MPI (make MPI=1, the default when mpicc is found)"
    suite_end
fi
if ! ldd "$RNNC" 2>/dev/null | grep -q 'libmpi'; then
    # mpirun is there but this rnnc is not an MPI build: it refuses to run as N copies.
    timeout -k 5 60 "${MPIRUN[@]}" -np 2 "$RNNC" train "${M[@]}" "$T" >"$tmp/nompi.out" 2>"$tmp/nompi.err"
    rc=$?
    if [ $rc != 0 ] && [ "$(wc -l <"$tmp/nompi.err")" = 1 ] && grep -q 'built without MPI' "$tmp/nompi.err"; then
        ok "built-without-mpi-refuses-to-run-as-two-copies"
    else
        fail "built-without-mpi-refuses-to-run-as-two-copies" "status $rc, stderr: $(one_line "$tmp/nompi.err")"
    fi
    skip "mpirun" "$RNNC was built without MPI (make MPI=1 with Open MPI installed)"
    suite_end
fi

# Determinism: -np 1 is the plain step; -np 2 gives the bits of --shards 2, twice.
d=$tmp/det
mkdir -p "$d"
why=()
r=$(trainN 1 "$d/np1.ck" "${M[@]}" "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "-np 1 and one process" "$tmp/shards/plain.ck" "$d/np1.ck") && [ -z "$r" ] || why+=("$r")
check "np1-gives-the-bits-of-one-process" "${why[@]}"

why=()
r=$(trainN 2 "$d/np2a.ck" "${M[@]}" "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "-np 2 and --shards 2" "$tmp/shards/s2a.ck" "$d/np2a.ck") && [ -z "$r" ] || why+=("$r")
[ "$(grep -c '^step 12/12' "$d/np2a.ck.out")" = 1 ] || why+=("rank 0 alone should print progress: $(one_line "$d/np2a.ck.out")")
grep -q '^data parallel: 2 ranks, each one share of 2 columns' "$d/np2a.ck.out" || why+=("no 'data parallel: 2 ranks' line")
[ -s "$d/np2a.ck.err" ] && why+=("stderr: $(one_line "$d/np2a.ck.err")")
check "np2-checkpoint-equals-shards-2-on-one-process" "${why[@]}"

for cell in lstm gru; do
    why=()
    r=$(trainN 2 "$d/$cell-np2.ck" "${M[@]}" --cell $cell "$T") && [ -z "$r" ] || why+=("$r")
    r=$(same "--cell $cell: -np 2 and --shards 2" "$tmp/shards/$cell-s2.ck" "$d/$cell-np2.ck") && [ -z "$r" ] || why+=("$r")
    check "np2-$cell-checkpoint-equals-shards-2-on-one-process" "${why[@]}"
done

why=()
r=$(trainN 2 "$d/np2b.ck" "${M[@]}" "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "two -np 2 runs" "$d/np2a.ck" "$d/np2b.ck") && [ -z "$r" ] || why+=("$r")
check "np2-twice-identical-checkpoints" "${why[@]}"

# The log (issue 13's columns) and the progress line's means come from rank 0 alone, and are
# those of --shards 2 on one process (the same losses in the same order).
why=()
r=$(trainN 2 "$d/np2l.ck" "${M[@]}" --log-every 3 --log "$d/np2.csv" "$T") && [ -z "$r" ] || why+=("$r")
rn train "${M[@]}" --shards 2 --log-every 3 --log "$d/s2.csv" --save "$d/s2l.ck" "$T" >"$d/s2l.out" 2>&1 ||
    why+=("--shards 2: $(one_line "$d/s2l.out")")
[ "$(head -n 1 "$d/np2.csv" 2>/dev/null)" = "step,loss,bpc,lr,seconds,last_loss,mean_loss,mean_bpc" ] ||
    why+=("header: $(head -n 1 "$d/np2.csv" 2>/dev/null)")
[ "$(wc -l <"$d/np2.csv")" = 5 ] || why+=("$(wc -l <"$d/np2.csv") lines, not a header and 4 rows")
[ "$(cut -d, -f1-3,6-8 "$d/np2.csv")" = "$(cut -d, -f1-3,6-8 "$d/s2.csv")" ] ||
    why+=("the losses differ from --shards 2's log")
[ "$(grep '^step 12/12' "$d/np2l.ck.out" | sed 's/  [0-9]* char.*//')" = "$(grep '^step 12/12' "$d/s2l.out" | sed 's/  [0-9]* char.*//')" ] ||
    why+=("the progress line's losses differ from --shards 2's: $(one_line "$d/np2l.ck.out")")
check "np2-log-and-progress-means-from-rank-0-as-shards-2" "${why[@]}"

why=()
r=$(train1 "$d/s4.ck" "${M[@]}" --shards 4 "$T") && [ -z "$r" ] || why+=("$r")
r=$(trainN 4 "$d/np4.ck" "${M[@]}" "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "-np 4 and --shards 4" "$d/s4.ck" "$d/np4.ck") && [ -z "$r" ] || why+=("$r")
r=$(close "-np 4 and one process" "$tmp/shards/plain.ck" "$d/np4.ck") && [ -z "$r" ] || why+=("$r")
check "np4-oversubscribed-equals-shards-4-and-trains-the-model-of-one" "${why[@]}"

# What the ranks exchange beyond the gradient: records with a learned h(0) (every column's
# gradient of h(0)), scheduled sampling (the draws of every column), and shares of two batch
# parts each (--batch 32: 16 columns a rank, two threads' worth).
R=(--records lines --end eos --learn-h0 --hidden 16 --tau 6 --batch 4 --steps 15 --every 5 --sample-every 0 --backend tcc)
S=(--recurrence output --feedback scheduled --hidden 16 --tau 6 --batch 4 --steps 15 --every 5 --sample-every 0 --backend tcc)
P=(--hidden 16 --tau 8 --batch 32 --steps 8 --every 4 --sample-every 0 --backend tcc)
# versus NAME FILE ARG...: --shards 2 on one process and -np 2, the same bits.
versus() {
    local name=$1 file=$2 why=() r
    shift 2
    r=$(train1 "$d/$name-s2.ck" "$@" --shards 2 --threads 1 "$file") && [ -z "$r" ] || why+=("$r")
    r=$(trainN 2 "$d/$name-np2.ck" "$@" "$file") && [ -z "$r" ] || why+=("$r")
    r=$(same "$name" "$d/$name-s2.ck" "$d/$name-np2.ck") && [ -z "$r" ] || why+=("$r")
    check "np2-equals-shards-2/$name" "${why[@]}"
}
versus records-learn-h0 "$tmp/words.txt" "${R[@]}"
versus scheduled-sampling "$T" "${S[@]}"
versus batch-32-two-parts-per-share "$T" "${P[@]}"

# Resuming across a different N: -np 2 for 6 steps then one process to 12 gives the bits of
# --shards 2 then one process; one process then -np 2 those of one process then --shards 2;
# -np 1 resumes a -np 2 checkpoint as one process does.
d=$tmp/resume
mkdir -p "$d"
why=()
r=$(trainN 2 "$d/a.ck" "${M[@]}" --steps 6 "$T") && [ -z "$r" ] || why+=("$r")
cp "$d/a.ck" "$d/a6.ck"
r=$(train1 "$d/a.ck" "${M[@]}" --resume "$d/a.ck" "$T") && [ -z "$r" ] || why+=("$r")
r=$(train1 "$d/b.ck" "${M[@]}" --shards 2 --steps 6 "$T") && [ -z "$r" ] || why+=("$r")
r=$(train1 "$d/b.ck" "${M[@]}" --resume "$d/b.ck" "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "-np 2 then one process, and --shards 2 then one process" "$d/a.ck" "$d/b.ck") && [ -z "$r" ] || why+=("$r")
cp "$d/a6.ck" "$d/c.ck"
r=$(trainN 1 "$d/c.ck" "${M[@]}" --resume "$d/c.ck" "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "-np 1 resuming a -np 2 checkpoint" "$d/a.ck" "$d/c.ck") && [ -z "$r" ] || why+=("$r")
[ "$(info_step "$d/a.ck")" = 12 ] || why+=("step $(info_step "$d/a.ck"), not 12")
check "resume-np2-checkpoint-on-one-process-and-np1" "${why[@]}"

why=()
r=$(train1 "$d/e.ck" "${M[@]}" --steps 6 "$T") && [ -z "$r" ] || why+=("$r")
cp "$d/e.ck" "$d/f.ck"
r=$(trainN 2 "$d/e.ck" "${M[@]}" --resume "$d/e.ck" "$T") && [ -z "$r" ] || why+=("$r")
r=$(train1 "$d/f.ck" "${M[@]}" --shards 2 --resume "$d/f.ck" "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "one process then -np 2, and one process then --shards 2" "$d/e.ck" "$d/f.ck") && [ -z "$r" ] || why+=("$r")
check "resume-one-process-checkpoint-on-np2" "${why[@]}"

# The cc cache when both ranks build the same source at once (a fresh cache): one complete
# entry, the same bits as tcc, and a later run uses the entry as it is.
d=$tmp/cc
mkdir -p "$d"
why=()
r=$(RNNC_CACHE_DIR=$d/cache trainN 2 "$d/cc.ck" "${M[@]/tcc/cc}" "$T") && [ -z "$r" ] || why+=("$r")
r=$(same "-np 2 on cc and --shards 2 on tcc" "$tmp/shards/s2a.ck" "$d/cc.ck") && [ -z "$r" ] || why+=("$r")
stems() { ls "$d/cache" 2>/dev/null | sed -n "s/\\.$1\$//p" | sort | tr '\n' ' '; }
[ -n "$(stems so)" ] && [ "$(stems c)" = "$(stems so)" ] && [ "$(stems c)" = "$(stems sum)" ] &&
    [ -z "$(ls "$d/cache" | grep -v -E '\.(c|so|sum)$')" ] || why+=("cache holds: $(ls "$d/cache" | tr '\n' ' ')")
so=$(ls "$d/cache"/*.so 2>/dev/null | head -n 1)
ino=$(stat -c %i "$so" 2>/dev/null)
r=$(RNNC_CACHE_DIR=$d/cache trainN 2 "$d/cc2.ck" "${M[@]/tcc/cc}" "$T") && [ -z "$r" ] || why+=("$r")
[ "$(stat -c %i "$so" 2>/dev/null)" = "$ino" ] || why+=("a later run rebuilt the entry instead of using it")
grep -q 'cc cache' "$d/cc2.ck.err" && why+=("a later run: $(one_line "$d/cc2.ck.err")")
r=$(same "two -np 2 runs on cc" "$d/cc.ck" "$d/cc2.ck") && [ -z "$r" ] || why+=("$r")
check "cc-cache-two-ranks-build-at-once-one-entry-then-a-hit" "${why[@]}"

# ---- faults ----
# rank_pid MPIRUN_PID RANK: the process id of that rank (a child of mpirun).
rank_pid() {
    local p
    for p in $(pgrep -P "$1"); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && echo "$p"
    done
}
# fault NAME SIGNAL: start a long run on 2 ranks saving every 20 steps, wait for a checkpoint,
# send SIGNAL to rank 1; the job must end within 10 s, the checkpoint load (rnnc info), and
# resume on 2 ranks and on one process.  Sets fault_step (the checkpoint's step), fault_rc.
fault() {
    local name=$1 sig=$2 ck=$tmp/fault-$1/k.ck why=() i mp victim t0 t1 s
    mkdir -p "$tmp/fault-$name"
    "${MPIRUN[@]}" -np 2 "$RNNC" train --hidden 32 --tau 16 --batch 4 --steps 100000000 --every 20 \
        --sample-every 0 --backend tcc --save "$ck" "$T" >"$ck.out" 2>"$ck.err" &
    mp=$!
    for i in $(seq 1 300); do
        [ -f "$ck" ] && [ -n "$(info_step "$ck")" ] && break
        sleep 0.1
    done
    victim=$(rank_pid "$mp" 1)
    if [ -z "$victim" ] || [ ! -f "$ck" ]; then
        kill -9 "$mp" 2>/dev/null
        wait "$mp" 2>/dev/null
        fault_why=("no checkpoint or no rank 1 after 30 s: $(one_line "$ck.err")")
        return
    fi
    sleep 0.3
    t0=$(date +%s%N)
    kill "-$sig" "$victim"
    for i in $(seq 1 200); do
        kill -0 "$mp" 2>/dev/null || break
        sleep 0.1
    done
    t1=$(date +%s%N)
    if kill -0 "$mp" 2>/dev/null; then
        why+=("the job still runs 20 s after the signal")
        pkill -9 -P "$mp" 2>/dev/null
        kill -9 "$mp" 2>/dev/null
    fi
    wait "$mp"
    fault_rc=$?
    local ms=$(((t1 - t0) / 1000000))
    [ "$ms" -le 10000 ] || why+=("the job took $ms ms to end")
    [ "$fault_rc" != 0 ] || why+=("mpirun exited 0")
    fault_step=$(info_step "$ck")
    [ -n "$fault_step" ] || why+=("the checkpoint does not load: $(rn info "$ck" 2>&1 | head -n 1)")
    # Resume on 2 ranks, then on one process.
    s=$((${fault_step:-0} + 10))
    mr 2 train --hidden 32 --tau 16 --batch 4 --steps "$s" --every 20 --sample-every 0 --backend tcc \
        --resume "$ck" --save "$ck" "$T" >"$ck.r2" 2>&1 || why+=("resume on 2 ranks: $(one_line "$ck.r2")")
    [ "$(info_step "$ck")" = "$s" ] || why+=("after resuming on 2 ranks: step $(info_step "$ck"), not $s")
    rn train --hidden 32 --tau 16 --batch 4 --steps $((s + 10)) --every 20 --sample-every 0 --backend tcc \
        --resume "$ck" --save "$ck" "$T" >"$ck.r1" 2>&1 || why+=("resume on one process: $(one_line "$ck.r1")")
    [ "$(info_step "$ck")" = $((s + 10)) ] || why+=("after resuming on one process: step $(info_step "$ck")")
    fault_why=("${why[@]}")
    fault_ms=$ms
}
fault_why=()
fault kill KILL
why=("${fault_why[@]}")
[ -n "${fault_step:-}" ] && [ $((fault_step % 20)) = 0 ] || why+=("the checkpoint's step '${fault_step:-}' is not one of --every 20's")
check "fault/rank-1-sigkill-job-ends-within-10s-checkpoint-intact-resumes-on-2-and-1 (${fault_ms:-?} ms)" "${why[@]}"

fault_why=()
fault term TERM
why=("${fault_why[@]}")
out=$tmp/fault-term/k.ck.out
[ "${fault_rc:-}" = 143 ] || why+=("mpirun exited ${fault_rc:-?}, not 143")
n=$(grep -c '^stopped by SIGTERM at step [0-9]*; saved' "$out")
[ "$n" = 1 ] || why+=("$n 'stopped by SIGTERM' lines (rank 0 alone says it): $(one_line "$out")")
st=$(sed -n 's/^stopped by SIGTERM at step \([0-9]*\);.*/\1/p' "$out")
[ "$st" = "${fault_step:-}" ] || why+=("stopped at step '$st' but the checkpoint is at '${fault_step:-}'")
check "fault/rank-1-sigterm-every-rank-stops-after-the-same-step-rank-0-saves (${fault_ms:-?} ms)" "${why[@]}"

# ---- bad inputs: one line from rank 0, a non-zero exit, nothing written ----
# bad NAME WANT(regex of the line) MPIRUN-ARG...
bad() {
    local name=$1 want=$2 d=$tmp/bad-$1 why=() rc
    shift 2
    mkdir -p "$d"
    (cd "$d" && timeout -k 5 60 "${MPIRUN[@]}" "$@") >"$tmp/bad.out" 2>"$tmp/bad.err"
    rc=$?
    [ $rc != 0 ] || why+=("exit status 0")
    [ "$(wc -l <"$tmp/bad.err")" = 1 ] && grep -Eq "^rnnc: $want" "$tmp/bad.err" || why+=("stderr: $(one_line "$tmp/bad.err")")
    [ -s "$tmp/bad.out" ] && why+=("stdout: $(one_line "$tmp/bad.out")")
    [ -z "$(ls -A "$d")" ] || why+=("written: $(ls -A "$d" | tr '\n' ' ')")
    check "bad/$name" "${why[@]}"
}
B=(train --hidden 16 --tau 8 --steps 10 --every 5 --sample-every 0 --backend tcc --save x.ck --log x.csv)
bad "batch-5-on-2-ranks-one-line-exit-nonzero-nothing-written" '--batch 5: not a multiple of the 2 ranks' \
    -np 2 "$RNNC" "${B[@]}" --batch 5 "$T"
bad "ranks-read-different-data-one-line-exit-nonzero-nothing-written" 'DATA: rank 1 read different training data than rank 0' \
    -np 1 "$RNNC" "${B[@]}" --batch 4 "$T" : -np 1 "$RNNC" "${B[@]}" --batch 4 "$tmp/other.txt"
bad "ranks-given-different-steps-one-line-exit-nonzero-nothing-written" '--steps: rank 1 was given 11, rank 0 10' \
    -np 1 "$RNNC" "${B[@]}" --batch 4 "$T" : -np 1 "$RNNC" "${B[@]}" --batch 4 --steps 11 "$T"
bad "shards-under-mpirun-one-line-exit-nonzero-nothing-written" '--shards: only for one process' \
    -np 2 "$RNNC" "${B[@]}" --batch 4 --shards 2 "$T"
bad "unknown-option-under-mpirun-one-line" '--nonsense: unknown option' \
    -np 2 "$RNNC" "${B[@]}" --nonsense "$T"
bad "stdin-data-under-mpirun-one-line-exit-nonzero-nothing-written" '-: standard input reaches rank 0 alone under mpirun' \
    -np 2 "$RNNC" "${B[@]}" --batch 4 -
suite_end
