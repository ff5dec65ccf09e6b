#!/usr/bin/env bash
# tests/bench/mpi.sh RNNC MPI_COMM: the data-parallel benchmark of issue 12 (make bench-mpi).
#   1. A training step of configurations C (vocab 65, hidden 256, tau 64, batch 32) and D
#      (vocab 256, hidden 512, tau 32, batch 64) on 1 and 2 ranks (`mpirun -np N rnnc train
#      --backend cc --threads 1`, one thread per rank; and one process on 2 threads for
#      comparison), split as rnnc's own "data parallel: per step" line splits it: compute (the
#      shares' gradient stages), exchange (the deterministic sum of the gradient and the
#      per-share messages, waiting for the other rank included) and update; interleaved in
#      ROUNDS rounds (default 3), medians over the rounds.
#   2. The exchanges alone (MPI_COMM: tests/bench/mpi_comm.c) on 2 ranks for 4 B to 16 MB and
#      the gradient sizes of C and D: latency and bandwidth of this host.
#   3. The model of a step on N hosts, T(N) = compute(B) / N + update + exchange(bytes, N),
#      with this host's latency and bandwidth and with a 25 Gb/s network (assumed, with a
#      latency of 10 us), and the batch at which 8 and 64 hosts reach 80% efficiency.
# Writes Markdown to stdout and to out/bench-mpi.md.  Environment: ROUNDS (3), STEPS_C (40),
# STEPS_D (12), RUN_TIMEOUT (seconds a run may take, 300).
# A run that fails (a non-zero exit, a timeout, no report line or a field that is not a number)
# is a failure: its reason goes into the report's "Failures" section, its output is kept in
# out/bench-mpi-logs/, no number is derived from it, and the script exits 1 (as does make
# bench-mpi).  Nothing prints nan, inf or "?" in place of a measurement.
set -u
RNNC=${1:-./rnnc}
COMM=${2:-out/obj/bench/mpi_comm}
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
case $COMM in /*) ;; *) COMM=$PWD/$COMM ;; esac
cd "$(dirname "$0")/../.." || exit 1
command -v mpirun >/dev/null 2>&1 || { echo "mpi.sh: mpirun not found (Debian: apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 2; }
ldd "$RNNC" 2>/dev/null | grep -q libmpi || { echo "mpi.sh: $RNNC is not an MPI build (make MPI=1)" >&2; exit 2; }
[ -x "$COMM" ] || { echo "mpi.sh: $COMM: not built (make bench-mpi)" >&2; exit 2; }
ROUNDS=${ROUNDS:-3}
T0=$(date +%s)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rnnc-bench-mpi.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export RNNC_CACHE_DIR=$TMP/cache
mkdir -p out "$RNNC_CACHE_DIR"
say() { echo "[bench-mpi $(( $(date +%s) - T0 ))s] $*" >&2; }
MPIRUN=(mpirun -q --allow-run-as-root --oversubscribe -x RNNC_CACHE_DIR)

# ---- data: text of exactly 65 and 256 distinct symbols (perl is in every Debian) ----
perl -e 'srand(1); my @a = ("A".."Z", "a".."z", "0".."9", " ", ".", ","); print map { $a[int(rand(@a))] } 1..200000' >"$TMP/c.txt"
perl -e 'srand(1); print map { chr(int(rand(256))) } 1..200000' >"$TMP/d.txt"
declare -A DIM=([C]="65 256 64 32" [D]="256 512 32 64") STEPS=([C]=${STEPS_C:-40} [D]=${STEPS_D:-12})

# fail WHAT REASON: a failure, for the report's "Failures" section and the exit status.
: >"$TMP/failed"
fail() { say "FAILED: $1: $2"; printf '%s: %s\n' "$1" "$2" >>"$TMP/failed"; }
# why RC FILE: the reason of a failed run from its exit status and the last lines of its
# output (control characters shown as ^X, so that a binary sample cannot hide them).
why() {
    local rc=$1 what
    case $rc in
        0) what="exit 0" ;;
        124) what="timed out after ${RUN_TIMEOUT}s" ;;
        137) what="killed (SIGKILL) after the timeout" ;;
        *) if [ "$rc" -gt 128 ]; then what="killed by signal $((rc - 128))"; else what="exit $rc"; fi ;;
    esac
    printf '%s; last output: %s' "$what" "$(tail -n 4 "$2" 2>/dev/null | cut -c1-200 | cat -v | tr '\n' ' ' | head -c 600)"
}
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
# The step report line rnnc prints (shards.c, rnnc_shards_report), as "compute exchange update
# total wait", every field a plain decimal number; nothing when the line is missing or malformed.
parse() {
    grep -a '^data parallel: per step' "$1" | tail -n 1 | awk '{
        n = split("compute exchange update total rank", key, " ")
        for (i = 1; i < NF; i++) for (j = 1; j <= n; j++) if ($i == key[j]) v[key[j]] = $(i + 1)
        out = ""
        for (j = 1; j <= n; j++) {
            if (v[key[j]] !~ /^[0-9]+(\.[0-9]+)?$/) exit
            out = out (j > 1 ? " " : "") v[key[j]]
        }
        print out
    }'
}
# run CFG HOW ROUND: one timed run; HOW is np1, np2 (one thread a rank) or t2 (one process, two
# threads, --shards 1 for the same report line).  Appends "round cfg how compute exchange update
# total wait" to $TMP/steps (wait: of the exchange, the time rank 0 waited for rank 1's
# gradient stages), or a failure.
run() {
    local cfg=$1 how=$2 round=$3 out=$TMP/$1-$2-$3.txt rc
    set -- ${DIM[$cfg]}
    local a=(train --vocab "$1" --hidden "$2" --tau "$3" --batch "$4" --steps "${STEPS[$cfg]}" --every 1000000
             --sample-every 0 --backend cc)
    case $how in
        np1) timeout -k 10 "$RUN_TIMEOUT" "${MPIRUN[@]}" -np 1 "$RNNC" "${a[@]}" --threads 1 --save "$TMP/$cfg.ck" \
                 "$TMP/${cfg,,}.txt" >"$out" 2>&1 </dev/null ;;
        np2) timeout -k 10 "$RUN_TIMEOUT" "${MPIRUN[@]}" -np 2 "$RNNC" "${a[@]}" --threads 1 "$TMP/${cfg,,}.txt" \
                 >"$out" 2>&1 </dev/null ;;
        t2) timeout -k 10 "$RUN_TIMEOUT" "$RNNC" "${a[@]}" --threads 2 --shards 1 "$TMP/${cfg,,}.txt" >"$out" 2>&1 \
                 </dev/null ;;
    esac
    rc=$?
    local line
    line=$(parse "$out")
    if [ "$rc" = 0 ] && [ -n "$line" ]; then echo "$round $cfg $how $line" >>"$TMP/steps"; return; fi
    mkdir -p out/bench-mpi-logs
    cp "$out" "out/bench-mpi-logs/$cfg-$how-$round.txt"
    if [ "$rc" = 0 ]; then
        fail "$cfg $how round $round" "no well-formed 'data parallel: per step' line ($(why 0 "$out")); output in out/bench-mpi-logs/$cfg-$how-$round.txt"
    else
        fail "$cfg $how round $round" "$(why "$rc" "$out"); output in out/bench-mpi-logs/$cfg-$how-$round.txt"
    fi
}
: >"$TMP/steps"
rm -rf out/bench-mpi-logs
for cfg in C D; do
    say "compiling $cfg (cc, into the private cache)"
    set -- ${DIM[$cfg]}
    for b in "$4" "$(($4 / 2))"; do
        timeout -k 10 "$RUN_TIMEOUT" "$RNNC" train --vocab "$1" --hidden "$2" --tau "$3" --batch "$b" --steps 1 \
            --sample-every 0 --backend cc "$TMP/${cfg,,}.txt" >"$TMP/compile.txt" 2>&1 </dev/null ||
            fail "compiling $cfg, batch $b" "$(why $? "$TMP/compile.txt")"
    done
done
for r in $(seq 1 "$ROUNDS"); do
    for cfg in C D; do
        for how in np1 np2 t2; do
            say "round $r/$ROUNDS $cfg $how"
            run "$cfg" "$how" "$r"
        done
    done
done

# ---- the exchanges alone ----
PC=$("$RNNC" info "$TMP/C.ck" 2>/dev/null | sed -n 's/^bytes: parameters \([0-9]*\),.*/\1/p')
PD=$("$RNNC" info "$TMP/D.ck" 2>/dev/null | sed -n 's/^bytes: parameters \([0-9]*\),.*/\1/p')
[ -n "$PC" ] || fail "gradient bytes of C" "'rnnc info' found no checkpoint of a 1-rank run of C ($TMP/C.ck)"
[ -n "$PD" ] || fail "gradient bytes of D" "'rnnc info' found no checkpoint of a 1-rank run of D ($TMP/D.ck)"
say "exchanges (gradients of C: ${PC:-unknown} bytes, D: ${PD:-unknown} bytes)"
extra=()
[ -n "$PC" ] && extra+=($((PC / 4)))
[ -n "$PD" ] && extra+=($((PD / 4)))
timeout -k 10 "$RUN_TIMEOUT" "${MPIRUN[@]}" -np 2 "$COMM" 0.5 "${extra[@]}" >"$TMP/comm.txt" 2>&1 </dev/null ||
    fail "the exchanges (mpi_comm on 2 ranks)" "$(why $? "$TMP/comm.txt")"

# ---- report ----
# med: the median of numbers, one a line; nothing when there are none.
med() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else if (NR) printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" -v h="$2" -v k="$3" '$2 == c && $3 == h { print $k }' "$TMP/steps" | med; }
comm_us() { awk -v k="$1" -v b="$2" -v f="$3" '$1 == k { for (i = 2; i <= NF; i++) { split($i, p, "="); v[p[1]] = p[2] }
                                                    if (v["bytes"] == b) { print v[f]; exit } }' "$TMP/comm.txt"; }
{
echo "# rnnc data-parallel benchmark (make bench-mpi)"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(getconf _NPROCESSORS_ONLN) CPUs, $(mpirun --version 2>/dev/null | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds, medians of the rounds' means (ms per step); steps per run: C ${STEPS[C]}, D ${STEPS[D]}."
echo
echo "| config | run | compute | exchange (waiting for the other rank) | update | step | exchange share | speed-up over 1 rank |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for cfg in C D; do
    base=$(col "$cfg" np1 7)
    for how in np1 np2 t2; do
        c=$(col "$cfg" "$how" 4) e=$(col "$cfg" "$how" 5) u=$(col "$cfg" "$how" 6) t=$(col "$cfg" "$how" 7)
        w=$(col "$cfg" "$how" 8)
        case $how in np1) what="1 rank, 1 thread" ;; np2) what="2 ranks, 1 thread each" ;; t2) what="1 process, 2 threads" ;; esac
        if [ -z "$t" ]; then
            echo "| $cfg | $what | failed | failed | failed | failed | - | - |"
            continue
        fi
        awk -v cfg="$cfg" -v w="$what" -v c="$c" -v e="$e" -v u="$u" -v t="$t" -v b="$base" -v x="$w" \
            'BEGIN { printf "| %s | %s | %s | %s (%s) | %s | %s | %s | %s |\n", cfg, w, c, e, x, u, t,
                     (t > 0 ? sprintf("%.1f%%", 100 * e / t) : "-"), (t > 0 && b != "" ? sprintf("%.2fx", b / t) : "-") }'
    done
done
echo
echo "Exchanges on 2 ranks of this host (tests/bench/mpi_comm.c; microseconds, median and minimum):"
echo
echo '```'
cat "$TMP/comm.txt"
echo '```'
# The model: alpha (per message) and beta (bytes/s) of this host from the exchanges: the sum
# of one float is 2 messages a rank (alltoallv, allgatherv: 2 (N-1) alpha with N = 2); the
# sum of P bytes moves 2 (N-1)/N P = P bytes a rank.  Minimum times (the least disturbed by
# the other jobs on the machine).
A=$(comm_us sum 4 min_us) SC=$(comm_us sum "${PC:-0}" min_us) SD=$(comm_us sum "${PD:-0}" min_us)
cC=$(col C np1 4) uC=$(col C np1 6) cD=$(col D np1 4) uD=$(col D np1 6) tC2=$(col C np2 7) tD2=$(col D np2 7)
# Every input of the model, present and usable, or the model is not computed (no number from
# a failed measurement).
missing=$(awk -v a="$A" -v sc="$SC" -v sd="$SD" -v pc="$PC" -v pd="$PD" -v cC="$cC" -v uC="$uC" -v cD="$cD" -v uD="$uD" '
function need(v, what) { if (v !~ /^[0-9]+(\.[0-9]+)?$/) m = m (m ? ", " : "") what }
BEGIN {
    need(a, "the sum of one float (latency)"); need(sc, "the sum of C'"'"'s gradient"); need(sd, "the sum of D'"'"'s gradient")
    need(pc, "C'"'"'s gradient bytes"); need(pd, "D'"'"'s gradient bytes")
    need(cC, "C'"'"'s 1-rank compute"); need(uC, "C'"'"'s 1-rank update"); need(cD, "D'"'"'s 1-rank compute"); need(uD, "D'"'"'s 1-rank update")
    if (!m && !(a > 0)) m = "a positive latency"
    if (!m && !(sc > 2 * a && sd > 2 * a)) m = "gradient sums slower than two latencies (bandwidth)"
    print m
}')
if [ -n "$missing" ]; then
    echo
    echo "The model is not computed: missing or unusable $missing (see Failures)."
    fail "the model" "missing or unusable $missing"
else
awk -v a="$A" -v sc="$SC" -v sd="$SD" -v pc="$PC" -v pd="$PD" -v cC="$cC" -v uC="$uC" -v cD="$cD" -v uD="$uD" \
    -v tC2="$tC2" -v tD2="$tD2" '
function comm(N, P, m, al, be) {   # ms: the gradient sum and the messages allgather
    return (2 * (N - 1) * al + 2 * (N - 1) / N * P / be + (N - 1) * al + (N - 1) * m / be) * 1e3
}
function step(N, B, k, u, P, H, al, be) { return k * B / N + u + comm(N, P, 32 + B / N * H * 4, al, be) }
function ms(t) { return t == "" ? "failed" : sprintf("%.2f ms", t) }
function eff(N, B, k, u, P, H, al, be) { return (k * B + u) / (N * step(N, B, k, u, P, H, al, be)) }
function batch80(N, k, u, P, H, al, be,   B) {
    for (B = N; B <= 1048576; B += N) if (eff(N, B, k, u, P, H, al, be) >= 0.8) return B
    return "> 1048576"
}
BEGIN {
    al = a / 2 * 1e-6
    bC = pc / ((sc - 2 * a) * 1e-6)
    bD = pd / ((sd - 2 * a) * 1e-6)
    be = bC < bD ? bC : bD
    printf "\nThis host: latency alpha = %.2f us a message (half the sum of one float), bandwidth beta = %.2f GB/s " \
           "(the lower of C gradient %.2f GB/s and D gradient %.2f GB/s: P / (t - 2 alpha)).\n", al * 1e6, be / 1e9, bC / 1e9, bD / 1e9
    net_al = 10e-6; net_be = 25e9 / 8
    printf "\nModel: T(N) = k B / N + u + 3 (N-1) alpha + (N-1)/N 2 P / beta + (N-1) m / beta (k: compute per column, " \
           "measured on 1 rank; u: the update, replicated on every rank; P: gradient bytes; m: a share'"'"'s message, " \
           "32 + (B/N) H 4 bytes: four doubles, then h of its columns); efficiency E = (k B + u) / (N T(N)).\n\n"
    printf "| config | k (ms/column) | u (ms) | P (bytes) | N = 2, this host: model | measured | batch for 80%%, 8 hosts (host / 25 Gb/s) | 64 hosts (host / 25 Gb/s) |\n"
    printf "|---|---:|---:|---:|---:|---:|---:|---:|\n"
    kC = cC / 32; kD = cD / 64
    printf "| C | %.4f | %.3f | %d | %.2f ms | %s | %s / %s | %s / %s |\n", kC, uC, pc, step(2, 32, kC, uC, pc, 256, al, be), ms(tC2),
           batch80(8, kC, uC, pc, 256, al, be), batch80(8, kC, uC, pc, 256, net_al, net_be),
           batch80(64, kC, uC, pc, 256, al, be), batch80(64, kC, uC, pc, 256, net_al, net_be)
    printf "| D | %.4f | %.3f | %d | %.2f ms | %s | %s / %s | %s / %s |\n", kD, uD, pd, step(2, 64, kD, uD, pd, 512, al, be), ms(tD2),
           batch80(8, kD, uD, pd, 512, al, be), batch80(8, kD, uD, pd, 512, net_al, net_be),
           batch80(64, kD, uD, pd, 512, al, be), batch80(64, kD, uD, pd, 512, net_al, net_be)
    printf "\n25 Gb/s network (an assumption, not measured): beta = 3.125 GB/s, alpha = 10 us a message. Efficiency at " \
           "the configurations'"'"' own batches on it: C (B 32): 8 hosts %.0f%%, 64 hosts %.0f%% (B 64); D (B 64): 8 hosts %.0f%%, 64 hosts %.0f%%.\n",
           100 * eff(8, 32, kC, uC, pc, 256, net_al, net_be), 100 * eff(64, 64, kC, uC, pc, 256, net_al, net_be),
           100 * eff(8, 64, kD, uD, pd, 512, net_al, net_be), 100 * eff(64, 64, kD, uD, pd, 512, net_al, net_be)
}'
fi
if [ -s "$TMP/failed" ]; then
    echo
    echo "## Failures"
    echo
    echo "These measurements failed; no number above comes from them, and make bench-mpi exits 1."
    echo
    sed 's/^/- /' "$TMP/failed"
fi
} | tee out/bench-mpi.md
if [ -s "$TMP/failed" ]; then
    say "FAILED: $(wc -l <"$TMP/failed") measurement(s) failed (listed in out/bench-mpi.md; outputs in out/bench-mpi-logs/)"
    exit 1
fi
say "done: out/bench-mpi.md"
