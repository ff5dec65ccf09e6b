#!/usr/bin/env bash
# tests/bench/long.sh [RNNC]: BPTT over long sequences in bounded memory (issue 14, part 3),
# the long-sequence table of `make bench`.  For vocab 65, hidden 256, batch 1 and tau 1000,
# 10000 and 100000, one training step (Adagrad, as the main table) of:
#   full     every step's nodes kept, the whole tau written out (at tau 100000 over the
#            10000-step limit of written-out steps: not built, said so)
#   full/S   every step's nodes kept, in segments of S = ceil(sqrt(tau)) steps (--segment S:
#            the same operations in the same order as sqrt, so the same bits)
#   sqrt     h kept only at the start of each segment of S steps, each segment recomputed
#            before its backward sweep (--memory sqrt; Chen et al. 2016)
# with the workspace bytes (NAME_WORKSPACE_BYTES), the cc compile time (cold cache) and the
# median time per step, interleaved in ROUNDS rounds (the machine is noisy: ratios are taken
# within a round).  Writes a Markdown table to stdout.  Environment: ROUNDS (3), TAUS.
set -u
RNNC=${1:-./rnnc}
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
ROUNDS=${ROUNDS:-3}
TAUS=${TAUS:-"1000 10000 100000"}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rnnc-long.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export RNNC_CACHE_DIR=$TMP/cache
say() { echo "[long] $*" >&2; }
sqrt_of() { awk -v t="$1" 'BEGIN { r = 1; while (r * r < t) r++; print r }'; }
field() { grep -Eo "$2=[0-9.]+" "$1" 2>/dev/null | head -n 1 | cut -d= -f2; }

# run TAU MODE ROUND: one rnnc bench, its output kept as $TMP/TAU-MODE-ROUND
run() {
    local tau=$1 mode=$2 r=$3 s opts reps=3
    s=$(sqrt_of "$tau")
    case $mode in
        full) opts="" ;;
        fullS) opts="--segment $s" ;;
        sqrt) opts="--memory sqrt" ;;
    esac
    [ "$tau" -ge 100000 ] && reps=1
    # shellcheck disable=SC2086
    "$RNNC" bench --backend cc --vocab 65 --hidden 256 --tau "$tau" --batch 1 $opts \
        --reps "$reps" --seconds 0 >"$TMP/$tau-$mode-$r" 2>&1 ||
        say "tau $tau $mode failed: $(tail -n 1 "$TMP/$tau-$mode-$r")"
}

for r in $(seq 1 "$ROUNDS"); do
    for tau in $TAUS; do
        for mode in full fullS sqrt; do
            [ "$mode" = full ] && [ "$tau" -gt 10000 ] && continue
            say "round $r: tau $tau $mode"
            run "$tau" "$mode" "$r"
        done
    done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
# ratio TAU A B: the median over rounds of A's median / B's median in the same round
ratio() {
    for r in $(seq 1 "$ROUNDS"); do
        a=$(field "$TMP/$1-$2-$r" median_us)
        b=$(field "$TMP/$1-$3-$r" median_us)
        [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f\n", a / b }'
    done | median
}

echo "## Long sequences in bounded memory (vocab 65, hidden 256, batch 1, rnnc cc, one thread)"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $ROUNDS rounds; command: tests/bench/long.sh"
echo
echo "| tau | build | workspace bytes | vs full | cc compile s | median ms per step | vs full | vs full/S |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|"
for tau in $TAUS; do
    s=$(sqrt_of "$tau")
    wfull=$(field "$TMP/$tau-full-1" workspace_bytes)
    for mode in full fullS sqrt; do
        f=$TMP/$tau-$mode-1
        case $mode in full) name="full" ;; fullS) name="full, segments of $s" ;; sqrt) name="sqrt (segments of $s)" ;; esac
        if [ "$mode" = full ] && [ "$tau" -gt 10000 ]; then
            echo "| $tau | $name | not built: over 10000 written-out steps | | | | | |"
            continue
        fi
        ws=$(field "$f" workspace_bytes)
        cms=$(field "$f" compile_ms)
        med=$(for r in $(seq 1 "$ROUNDS"); do field "$TMP/$tau-$mode-$r" median_us; done | median)
        wr=$([ -n "$wfull" ] && [ -n "$ws" ] && awk -v a="$ws" -v b="$wfull" 'BEGIN { printf "%.2f%%", 100 * a / b }')
        tr=$([ "$tau" -le 10000 ] && ratio "$tau" "$mode" full)
        ts=$(ratio "$tau" "$mode" fullS)
        echo "| $tau | $name | ${ws:-?} | ${wr:-} | $(awk -v m="${cms:-0}" 'BEGIN { printf "%.1f", m / 1000 }') | $(awk -v m="${med:-0}" 'BEGIN { printf "%.2f", m / 1000 }') | ${tr:+${tr}x} | ${ts:+${ts}x} |"
    done
done
echo
echo "- workspace bytes: NAME_WORKSPACE_BYTES of the build (rnnc bench's memory line); vs full: against the whole-tau build at the same tau (at tau 100000: none)."
echo "- times: the median over the rounds of each run's median step (rnnc bench --backend cc, cold cache, so the first round includes no compile in the step times); vs: the median over the rounds of the ratio within a round."
echo "- full/S and sqrt run the same operations in the same order (tests/unit/test_memory.c checks the bits), so their ratio is the cost of recomputing the forward pass of every segment but the last."
