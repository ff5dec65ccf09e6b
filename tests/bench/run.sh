#!/usr/bin/env bash
# tests/bench/run.sh [RNNC]: the benchmark of issue 6 (make bench).  Times one training step
# (forward, softmax + nll, BPTT, clip 5, Adagrad) of rnnc's generated code on the cc and tcc
# backends, of a hand-written C step (hand.c), of oneDNN's primitives (onednn.c, when Debian's
# libdnnl-dev is installed), of PyTorch (torch_bench.py) and of NumPy (numpy_bench.py), for
# four configurations, interleaved in rounds: the machine is noisy, so only ratios measured in
# the same round mean much.  Two more configurations of rnnc alone, with C's sizes: E, the
# output recurrence trained teacher-forced (figure 10.4, issue 10), and F, C's model with every
# column a record of exactly tau steps (the masking of issue 11 on full chunks).  Also the
# core's FMA peak and OpenBLAS sgemm (peak.c), compile times and generated source sizes.
# Writes a Markdown report to stdout and to out/bench.md.  Environment: ROUNDS (5), CC (cc), PYTHON (/usr/bin/python3),
# BENCH_CFGS (the configurations, default "A B C D E F C-gru C-lstm").
set -u
RNNC=${1:-./rnnc}
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
CMDLINE="tests/bench/run.sh $*"
cd "$(dirname "$0")/../.." || exit 1
[ -x "$RNNC" ] || { echo "run.sh: $RNNC: not an executable (make rnnc first)" >&2; exit 2; }
ROUNDS=${ROUNDS:-5}
CC=${CC:-cc}
PY=${PYTHON:-/usr/bin/python3}
T0=$(date +%s)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rnnc-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
NCPU=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")   # before OMP_NUM_THREADS (nproc obeys it)
# Every peer on one thread, as rnnc.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# A private, empty compile cache: the first cc build of each configuration is a cold compile.
export RNNC_CACHE_DIR=$TMP/cache
mkdir -p out "$RNNC_CACHE_DIR"
say() { echo "[bench $(( $(date +%s) - T0 ))s] $*" >&2; }

# Configurations: name vocab hidden tau batch, and reps / seconds per timed run.  C-gru and
# C-lstm are C's size with the gated cells (issue 17's "config F"; F here is C with records),
# against PyTorch's nn.GRU / nn.LSTM and oneDNN's LBR GRU / LSTM primitives.
CFGS=${BENCH_CFGS:-"A B C D E F C-gru C-lstm"}   # BENCH_CFGS: a subset (e.g. "C E F")
declare -A DIM=([A]="65 100 25 1" [B]="65 256 64 1" [C]="65 256 64 32" [D]="256 512 32 64"
                [E]="65 256 64 32" [F]="65 256 64 32" [C-gru]="65 256 64 32" [C-lstm]="65 256 64 32")
declare -A REPS=([A]=20 [B]=20 [C]=5 [D]=3 [E]=5 [F]=5 [C-gru]=5 [C-lstm]=5)
declare -A SECS=([A]=0.5 [B]=0.5 [C]=0.5 [D]=0.5 [E]=0.5 [F]=0.5 [C-gru]=0.5 [C-lstm]=0.5)
# rnnc's own variants (only rnnc cc runs them): the spec options, and what they are.
declare -A EXTRA=([E]="--recurrence output --feedback teacher" [F]="--records")
declare -A EXTRA_WHAT=([E]="output recurrence, teacher forcing (figure 10.4)" [F]="C with records of exactly tau steps (masking on full chunks)"
                       [C-gru]="C with the GRU cell (--cell gru; PyTorch nn.GRU, oneDNN LBR GRU)"
                       [C-lstm]="C with the LSTM cell (--cell lstm; PyTorch nn.LSTM, oneDNN LSTM)")
# The cell of a configuration (rnn unless given): rnnc --cell, the peers' CELL argument.
declare -A CELL=([C-gru]=gru [C-lstm]=lstm)
IMPLS="cc cc2 ccfast tcc hand onednn torch numpy"
declare -A IMPL_NAME=([cc]="rnnc cc" [cc2]="rnnc cc, 2 threads" [ccfast]="rnnc cc --fast" [tcc]="rnnc tcc" [hand]="hand C" [onednn]="oneDNN" [torch]="PyTorch" [numpy]="NumPy")
TCC_MAX_S=2          # skip tcc where one step takes longer than this
declare -A NOTE=()   # per "cfg impl": why it was skipped or failed

flops_of() {   # V H T B [CFG] -> FLOPs of one step (rnnc bench's formula; E has no W and a one-hot fb;
               # a gated cell's W is G H x H, G = 3 GRU, 4 LSTM)
    local G=1
    case ${CELL[${5:-}]:-rnn} in gru) G=3 ;; lstm) G=4 ;; esac
    awk -v V="$1" -v H="$2" -v T="$3" -v B="$4" -v c="${5:-}" -v G="$G" 'BEGIN { printf "%.0f", 2 * ((c == "E" ? 0 : 3*G*H*H) + 3*V*H) * T * B }'
}
lastline_ok() { tail -n 1 "$1" 2>/dev/null | grep -Eq '^median_us=[0-9.]+ min_us=[0-9.]+ max_us=[0-9.]+ gflops=[0-9.]+$'; }
field() {      # FILE KEY -> the value of KEY=value (first match)
    grep -Eo "(^| |: )$2=[0-9.]+" "$1" 2>/dev/null | head -n 1 | sed 's/.*=//'
}

# ---- build the peers ----
HAND=$TMP/hand
if ! $CC -std=c11 -O3 -march=native -o "$HAND" tests/bench/hand.c -lm 2>"$TMP/hand.err"; then
    say "hand.c does not build: $(head -c 300 "$TMP/hand.err")"; HAND=""
fi
ONEDNN=$TMP/onednn ONEDNN_WHY=""
if ! printf '#include <oneapi/dnnl/dnnl.h>\n' | $CC -E -x c - >/dev/null 2>&1; then
    ONEDNN="" ONEDNN_WHY="skipped: libdnnl-dev is not installed ($CC finds no oneapi/dnnl/dnnl.h); make bench-peers"
elif ! $CC -std=c11 -O3 -march=native -o "$ONEDNN" tests/bench/onednn.c -ldnnl -lgomp -lm 2>"$TMP/onednn.err"; then
    ONEDNN="" ONEDNN_WHY="skipped: onednn.c does not build: $(head -c 200 "$TMP/onednn.err" | tr '\n' ' ')"
    say "$ONEDNN_WHY"
fi
HAVE_TORCH=1 HAVE_NUMPY=1
if ! "$PY" -c 'import torch' >/dev/null 2>"$TMP/torch.err"; then
    HAVE_TORCH=0; TORCH_WHY="skipped: import torch failed in $PY ($(tail -n 1 "$TMP/torch.err" | head -c 120)); make bench-peers"
fi
if ! "$PY" -c 'import numpy' >/dev/null 2>"$TMP/numpy.err"; then
    HAVE_NUMPY=0; NUMPY_WHY="skipped: import numpy failed in $PY ($(tail -n 1 "$TMP/numpy.err" | head -c 120)); make bench-peers"
fi

# ---- peak.c, once ----
say "peak.c"
PEAK_FLAGS="-std=c11 -O3 -march=native -ffp-contract=fast"
OB_CFLAGS=$(pkg-config --cflags openblas 2>/dev/null) OB_LIBS=$(pkg-config --libs openblas 2>/dev/null)
OB_RPATH=$(pkg-config --variable=libdir openblas 2>/dev/null)
if [ -n "$OB_LIBS" ] && $CC $PEAK_FLAGS -DHAVE_OPENBLAS $OB_CFLAGS -o "$TMP/peak" tests/bench/peak.c $OB_LIBS \
        ${OB_RPATH:+-Wl,-rpath,$OB_RPATH} 2>"$TMP/peak.err"; then :
elif $CC $PEAK_FLAGS -o "$TMP/peak" tests/bench/peak.c 2>>"$TMP/peak.err"; then :
else say "peak.c does not build: $(head -c 300 "$TMP/peak.err")"; fi
[ -x "$TMP/peak" ] && "$TMP/peak" >"$TMP/peak.out" 2>&1
PEAK=$(field "$TMP/peak.out" fma_peak_gflops)
SGEMM=$(field "$TMP/peak.out" sgemm_gflops)
PEAK_HOW=$(grep '^fma_peak_gflops=' "$TMP/peak.out" 2>/dev/null | sed 's/^[^ ]* (//; s/)$//')
SGEMM_LINES=$(grep '^sgemm ' "$TMP/peak.out" 2>/dev/null)

# ---- one timed run: round cfg impl [reps secs] -> $TMP/r<round>_<cfg>_<impl>.txt ----
run_one() {
    local r=$1 cfg=$2 impl=$3 reps=${4:-${REPS[$2]}} secs=${5:-${SECS[$2]}}
    local out=$TMP/r${r}_${cfg}_${impl}.txt
    set -- ${DIM[$cfg]}
    local V=$1 H=$2 T=$3 B=$4 C=${CELL[$cfg]:-rnn}
    local extra="${EXTRA[$cfg]:-} --cell $C"
    case $impl in
        cc|tcc) "$RNNC" bench --backend "$impl" --vocab "$V" --hidden "$H" --tau "$T" --batch "$B" \
                    --reps "$reps" --seconds "$secs" $extra >"$out" 2>&1 ;;
        cc2) "$RNNC" bench --backend cc --threads 2 --vocab "$V" --hidden "$H" --tau "$T" --batch "$B" \
                    --reps "$reps" --seconds "$secs" $extra >"$out" 2>&1 ;;
        ccfast) "$RNNC" bench --backend cc --fast --vocab "$V" --hidden "$H" --tau "$T" --batch "$B" \
                    --reps "$reps" --seconds "$secs" --cell "$C" >"$out" 2>&1 ;;
        hand) "$HAND" "$V" "$H" "$T" "$B" "$reps" "$secs" >"$out" 2>&1 ;;
        onednn) "$ONEDNN" "$V" "$H" "$T" "$B" "$reps" "$secs" "$C" >"$out" 2>&1 ;;
        torch) "$PY" tests/bench/torch_bench.py "$V" "$H" "$T" "$B" "$reps" "$secs" "$C" >"$out" 2>&1 ;;
        numpy) "$PY" tests/bench/numpy_bench.py "$V" "$H" "$T" "$B" "$reps" "$secs" >"$out" 2>&1 ;;
    esac
    if lastline_ok "$out"; then
        echo "$r $cfg $impl $(tail -n 1 "$out" | sed 's/[a-z_]*=//g')" >>"$TMP/results"
    else
        NOTE["$cfg $impl"]="failed: $(tail -n 2 "$out" | tr '\n' ' ' | head -c 200)"
        say "$cfg $impl failed: $(tail -n 2 "$out" | tr '\n' ' ' | head -c 200)"
    fi
}

# ---- the rounds ----
: >"$TMP/results"
declare -A TCC_SKIP=()
TCC_RATE=""      # FLOP/s of tcc on the largest configuration measured so far
for r in $(seq 1 "$ROUNDS"); do
    for cfg in $CFGS; do
        set -- ${DIM[$cfg]}
        fl=$(flops_of "$@" "$cfg")
        say "round $r/$ROUNDS config $cfg"
        for impl in $IMPLS; do
            if [ -n "${EXTRA[$cfg]:-}" ] && [ "$impl" != cc ] && [ "$impl" != cc2 ]; then
                NOTE["$cfg $impl"]="not run: ${EXTRA_WHAT[$cfg]} is rnnc's alone"
                continue
            fi
            case "${CELL[$cfg]:-rnn} $impl" in
                "gru hand"|"lstm hand"|"gru numpy"|"lstm numpy")
                    NOTE["$cfg $impl"]="not run: a vanilla-RNN peer only"; continue ;;
            esac
            case $impl in
                hand) [ -n "$HAND" ] || { NOTE["$cfg hand"]="skipped: hand.c does not build"; continue; } ;;
                onednn) [ -n "$ONEDNN" ] || { NOTE["$cfg onednn"]=$ONEDNN_WHY; continue; } ;;
                cc2) # rnnc bench prints the model's batch parts (run just before, as "cc").
                     parts=$(grep -Eo 'batch parts: [0-9]+' "$TMP/r${r}_${cfg}_cc.txt" 2>/dev/null | grep -Eo '[0-9]+$')
                     if [ "${parts:-1}" -lt 2 ]; then
                         NOTE["$cfg cc2"]="not run: batch $4 is one part (two parts from even batches of 16), so it runs on one thread"
                         continue
                     fi ;;
                torch) [ $HAVE_TORCH = 1 ] || { NOTE["$cfg torch"]=$TORCH_WHY; continue; } ;;
                numpy) [ $HAVE_NUMPY = 1 ] || { NOTE["$cfg numpy"]=$NUMPY_WHY; continue; } ;;
                tcc)
                    [ -z "${TCC_SKIP[$cfg]:-}" ] || continue
                    if [ "$r" = 1 ] && [ "$4" -gt 1 ]; then
                        # tcc is slow on the batched configurations: estimate from the last
                        # tcc rate, then probe with a single timed step.
                        if [ -n "$TCC_RATE" ]; then
                            est=$(awk -v f="$fl" -v g="$TCC_RATE" 'BEGIN { printf "%.1f", f / g }')
                            if awk -v e="$est" -v m="$TCC_MAX_S" 'BEGIN { exit !(e > 2 * m) }'; then
                                TCC_SKIP[$cfg]=1
                                NOTE["$cfg tcc"]="skipped: one step would take about $est s (> $TCC_MAX_S s), estimated from tcc's rate on the previous configuration"
                                continue
                            fi
                        fi
                        run_one "$r" "$cfg" tcc 1 0
                        med=$(tail -n 1 "$TMP/r${r}_${cfg}_tcc.txt" | grep -Eo 'median_us=[0-9.]+' | cut -d= -f2)
                        if [ -n "$med" ]; then
                            TCC_RATE=$(awk -v f="$fl" -v m="$med" 'BEGIN { printf "%.6g", f / (m * 1e-6) }')
                            if awk -v m="$med" -v x="$TCC_MAX_S" 'BEGIN { exit !(m > x * 1e6) }'; then
                                TCC_SKIP[$cfg]=1
                                NOTE["$cfg tcc"]="skipped: one step takes $(awk -v m="$med" 'BEGIN { printf "%.2f", m * 1e-6 }') s (> $TCC_MAX_S s; one probe step)"
                                sed -i "/^$r $cfg tcc /d" "$TMP/results"
                            fi
                        fi
                        continue
                    fi
                    if [ "$4" -gt 1 ]; then run_one "$r" "$cfg" tcc 1 0; continue; fi ;;
            esac
            run_one "$r" "$cfg" "$impl"
            if [ "$impl" = tcc ]; then
                med=$(tail -n 1 "$TMP/r${r}_${cfg}_tcc.txt" | grep -Eo 'median_us=[0-9.]+' | cut -d= -f2)
                [ -n "$med" ] && TCC_RATE=$(awk -v f="$fl" -v m="$med" 'BEGIN { printf "%.6g", f / (m * 1e-6) }')
            fi
        done
    done
done

# ---- compile times and source sizes ----
say "compile times"
declare -A TCC_MS=() CC_MS=() SRC=() BPS=()
for cfg in $CFGS; do
    f=$TMP/r1_${cfg}_cc.txt
    if grep -q 'cache miss' "$f" 2>/dev/null; then CC_MS[$cfg]=$(field "$f" compile_ms); else CC_MS[$cfg]="?"; fi
    SRC[$cfg]=$(field "$f" source_bytes)
    BPS[$cfg]=$(field "$f" bytes_per_step)
    # tcc: the median over the rounds.
    TCC_MS[$cfg]=$(for g in "$TMP"/r*_"${cfg}"_tcc.txt; do field "$g" compile_ms; done 2>/dev/null | sort -g |
                   awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
done
declare -A BIG_MS=() BIG_SRC=() BIG_BPS=()
for tau in 128 256; do
    rm -rf "$RNNC_CACHE_DIR"; mkdir -p "$RNNC_CACHE_DIR"
    "$RNNC" bench --backend cc --vocab 65 --hidden 256 --tau $tau --reps 1 --seconds 0 >"$TMP/big$tau.txt" 2>&1
    BIG_MS[$tau]=$(field "$TMP/big$tau.txt" compile_ms)
    BIG_SRC[$tau]=$(field "$TMP/big$tau.txt" source_bytes)
    BIG_BPS[$tau]=$(field "$TMP/big$tau.txt" bytes_per_step)
    grep -q 'cache miss' "$TMP/big$tau.txt" || BIG_MS[$tau]="${BIG_MS[$tau]:-?} (not a cold compile?)"
done

# ---- the report ----
# ratio_vs CFG IMPL BASE: the median (and range) over the rounds of IMPL's median / BASE's
# median in the same round; "1" for BASE itself, empty when BASE did not run.
ratio_vs() {
    [ "$2" = "$3" ] && { echo 1; return; }
    local ratios r lo hi
    ratios=$(awk -v c="$1" -v i="$2" -v b="$3" '$2 == c && $3 == b { base[$1] = $4 } $2 == c && $3 == i { p[$1] = $4 }
             END { for (r in p) if (r in base) print p[r] / base[r] }' "$TMP/results" | sort -g)
    [ -n "$ratios" ] || return
    r=$(echo "$ratios" | med_of)
    lo=$(echo "$ratios" | head -n 1) hi=$(echo "$ratios" | tail -n 1)
    awk -v x="$r" -v lo="$lo" -v hi="$hi" 'function f(v) { return v >= 10 ? sprintf("%.0f", v) : sprintf("%.2f", v) }
        BEGIN { if (lo == hi) print f(x); else printf "%s (%s-%s)", f(x), f(lo), f(hi) }'
}
med_of() { sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.6g", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fmt_us() { awk -v x="$1" 'BEGIN { if (x >= 1000) printf "%.0f", x; else if (x >= 10) printf "%.1f", x; else printf "%.2f", x }'; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
cores=$(grep -m1 'cpu cores' /proc/cpuinfo | sed 's/.*: //')
mhz=$(grep -m1 'cpu MHz' /proc/cpuinfo | sed 's/.*: //')
isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -Ex 'avx2|fma|avx512f' | tr '\n' ' ')
ccver=$($CC --version 2>/dev/null | head -n 1)
tccver=$(tcc -v 2>/dev/null | head -n 1)
pyver=$("$PY" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null)
torchver=$([ $HAVE_TORCH = 1 ] && "$PY" -c 'import torch; print(torch.__version__)' 2>/dev/null)
numpyver=$([ $HAVE_NUMPY = 1 ] && "$PY" -c 'import numpy; print(numpy.__version__)' 2>/dev/null)
obver=$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null)
dnnlver=$([ -n "$ONEDNN" ] && dpkg-query -W -f='${Version}' libdnnl2 2>/dev/null)

{
echo "# rnnc benchmark: one training step (forward, softmax + nll, BPTT, clip 5, Adagrad)"
echo
echo "- machine: $cpu, $NCPU CPUs (cpu cores: ${cores:-?}, ${mhz:-?} MHz; $isa)"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- compilers: $ccver; ${tccver:-tcc ?}; rnnc $("$RNNC" version | sed 's/^rnnc //')"
echo "- peers: hand.c built with \`$CC -O3 -march=native\` (no fast-math)${dnnlver:+; onednn.c (oneDNN $dnnlver: vanilla RNN (C-gru, C-lstm: LBR GRU, LSTM) forward_training + backward, inner product, own softmax + NLL and Adagrad; one-hot input fed densely, whose extra 6 V G H tau B FLOPs are not counted) built the same way}; Python $pyver${torchver:+, PyTorch $torchver}${numpyver:+, NumPy $numpyver}${obver:+, OpenBLAS $obver}; every peer on one thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1 and omp_set_num_threads(1) for oneDNN)"
echo "- command: \`$CMDLINE\` (\`make bench\`), ROUNDS=$ROUNDS; $(( $(date +%s) - T0 )) s in all"
echo "- FLOPs per step: 2 per multiply-add of the matrix products only, one-hot input free; per time step and batch column W h (H*H) + V h (K*H) forward, V^T g_o (K*H) + W^T d (H*H) + grad_V (K*H) + grad_W (H*H) backward; times tau*B (vocab 65, hidden 100, tau 25, B 1: 2.475 MFLOP); the gated cells' W is G H x H (G = 3 GRU, 4 LSTM), so their three W terms count G H*H each; PyTorch's C-gru / C-lstm peers are nn.GRU / nn.LSTM + nn.Linear"
if [ -n "$SGEMM" ]; then sg="$SGEMM GFLOP/s, the best of"
else sg="not measured ($(grep '^sgemm:' "$TMP/peak.out" 2>/dev/null | sed 's/^sgemm: //'))"; fi
echo "- one core's fp32 FMA peak (peak.c): ${PEAK:-?} GFLOP/s ($PEAK_HOW, vector FMAs only); OpenBLAS sgemm, 1 thread: $sg"
[ -n "$SGEMM_LINES" ] && echo "$SGEMM_LINES" | sed 's/^/  - /'
echo "- timing: each run times single steps (CLOCK_MONOTONIC) after a warm-up, until both N steps and S seconds have passed (A, B: 20 and 0.5 s; C: 5 and 0.5 s; D: 3 and 0.5 s; rnnc tcc on C and D: 1 step); rounds interleave every implementation and configuration. median: the median over the rounds of each run's median; min / max: over every timed step; peer / rnnc cc (and / rnnc cc, 2 threads): the median (and the range) over the rounds of the peer's median / rnnc cc's median in the same round (> 1: rnnc is faster); % of FMA peak: GFLOP/s over the FMA peak below (over twice it for 2 threads). rnnc cc --fast: fast-math code (\`-ffast-math\`, contraction; not bit-identical across backends), one thread; rnnc cc, 2 threads: \`rnnc bench --threads 2\`, the two batch parts of each step at once (bit-identical to one thread); the peers stay on one thread (PyTorch with 2 threads was slower than with 1 here)"
echo
echo "| config | vocab | hidden | tau | batch | model | MFLOP/step |"
echo "|---|---:|---:|---:|---:|---|---:|"
for cfg in $CFGS; do
    set -- ${DIM[$cfg]}
    echo "| $cfg | $1 | $2 | $3 | $4 | ${EXTRA_WHAT[$cfg]:-hidden recurrence (figure 10.3), streams} | $(awk -v f="$(flops_of "$@" "$cfg")" 'BEGIN { printf "%.3f", f / 1e6 }') |"
done
echo
echo "| config | implementation | median µs | min µs | max µs | GFLOP/s | % of FMA peak | peer / rnnc cc | peer / rnnc cc, 2 threads |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for cfg in $CFGS; do
    set -- ${DIM[$cfg]}
    fl=$(flops_of "$@" "$cfg")
    for impl in $IMPLS; do
        [ -n "${EXTRA[$cfg]:-}" ] && [ "$impl" != cc ] && [ "$impl" != cc2 ] && continue
        rows=$(awk -v c="$cfg" -v i="$impl" '$2 == c && $3 == i' "$TMP/results")
        if [ -z "$rows" ]; then
            echo "| $cfg | ${IMPL_NAME[$impl]} | ${NOTE["$cfg $impl"]:-no result} | | | | | | |"
            continue
        fi
        med=$(echo "$rows" | awk '{ print $4 }' | med_of)
        mn=$(echo "$rows" | awk 'NR == 1 || $5 < m { m = $5 } END { print m }')
        mx=$(echo "$rows" | awk 'NR == 1 || $6 > m { m = $6 } END { print m }')
        n=$(echo "$rows" | wc -l)
        gf=$(awk -v f="$fl" -v m="$med" 'BEGIN { printf "%.2f", f / (m * 1e3) }')
        # Two threads: the fraction of both cores' peak.
        cores_used=$([ "$impl" = cc2 ] && echo 2 || echo 1)
        pk=$([ -n "$PEAK" ] && awk -v g="$gf" -v p="$PEAK" -v k="$cores_used" 'BEGIN { printf "%.1f%%%s", 100 * g / (k * p), (k > 1 ? " of 2 cores" : "") }' || echo "?")
        ratio=$(ratio_vs "$cfg" "$impl" cc)
        ratio2=$(ratio_vs "$cfg" "$impl" cc2)
        note=""
        [ "$n" -lt "$ROUNDS" ] && note=" ($n rounds)"
        echo "| $cfg | ${IMPL_NAME[$impl]}$note | $(fmt_us "$med") | $(fmt_us "$mn") | $(fmt_us "$mx") | $gf | $pk | $ratio | $ratio2 |"
    done
done
echo
# cross CFG_NUM IMPL_NUM CFG_DEN IMPL_DEN: the median (range) over the rounds of NUM's median
# over DEN's median in the same round.
cross() {
    awk -v a="$1" -v ai="$2" -v b="$3" -v bi="$4" '$2 == a && $3 == ai { n[$1] = $4 } $2 == b && $3 == bi { d[$1] = $4 }
        END { for (r in n) if (r in d) print n[r] / d[r] }' "$TMP/results" | sort -g |
        awk '{ v[NR] = $1 } END { if (!NR) { print "not measured"; exit } m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.2f (%.2f-%.2f over %d rounds)", m, v[1], v[NR], NR }'
}
# ran CFG...: every CFG is in this run's configurations
ran() {
    for c in "$@"; do case " $CFGS " in *" $c "*) ;; *) return 1 ;; esac; done
}
if ran C E; then
    echo "- E (output recurrence, teacher-forced: no sequential sweep in either pass, gen/EQUATIONS.md (10.21o)) against C (the same sizes, hidden recurrence): C's step time / E's, rnnc cc, 1 thread: $(cross C cc E cc); 2 threads: $(cross C cc2 E cc2)"
fi
if ran C F; then
    echo "- F (C with records of exactly tau steps: the masking of NAME_WS_SEQ on full chunks) against C (streams): F's step time / C's, rnnc cc, 1 thread: $(cross F cc C cc); 2 threads: $(cross F cc2 C cc2)"
fi
echo
echo "| config | tcc compile ms | cc cold compile ms | source bytes | source bytes per time step |"
echo "|---|---:|---:|---:|---:|"
for cfg in $CFGS; do
    echo "| $cfg | ${TCC_MS[$cfg]:-not run} | ${CC_MS[$cfg]:-?} | ${SRC[$cfg]:-?} | ${BPS[$cfg]:-?} |"
done
echo
echo "- cc cold compile of vocab 65 hidden 256 tau 256: ${BIG_MS[256]:-?} ms (source ${BIG_SRC[256]:-?} bytes); tau 128: ${BIG_MS[128]:-?} ms (source ${BIG_SRC[128]:-?} bytes)"
if [ -n "${BIG_SRC[128]:-}" ] && [ -n "${BIG_SRC[256]:-}" ]; then
    echo "- source size linearity (vocab 65, hidden 256): $(awk -v a="${BIG_SRC[128]}" -v b="${BIG_SRC[256]}" 'BEGIN { printf "%.1f", (b - a) / 128 }') bytes per time step between tau 128 and 256; ${BIG_BPS[256]:-?} between tau 256 and 257; ${BPS[B]:-?} between tau 64 and 65 (config B)"
fi
echo "- cc compile times are cold (an empty RNNC_CACHE_DIR); a cached build loads in a few ms. tcc: the median over the rounds. Source: the generated translation unit (header inlined) as the backends compile it."
} >"$TMP/report.md"
# The long-sequence table (issue 14, part 3): LONG=0 leaves it out.
if [ "${LONG:-1}" != 0 ]; then
    say "long sequences (tests/bench/long.sh)"
    { echo; ROUNDS=$ROUNDS tests/bench/long.sh "$RNNC"; } >>"$TMP/report.md"
fi
cp "$TMP/report.md" out/bench.md
cat "$TMP/report.md"
say "done; wrote out/bench.md"
