#!/bin/sh
# tests/bench/profile.sh RNNC: where the time of a batch-1 training step goes (issue 14, part 2).
# perf's cpu-clock samples (a software clock: this project's KVM guest has no hardware counters)
# of `rnnc bench --backend cc` for configurations A and B, by generated function, and the share
# of the two per-step sweeps' kernels (rnn_hidden_step: W h(t-1) and tanh; rnn_hidden_grad:
# W^T d(t+1) and f'), the part of the step that depends on the step before.
#
#   make bench-profile            (about 10 s)
set -eu
RNNC=${1:?usage: profile.sh RNNC}
if ! command -v perf >/dev/null 2>&1; then
    echo "rnnc: make bench-profile needs perf: apt-get install linux-perf (Debian)" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "# Profile of rnnc's batch-1 step (perf record -e cpu-clock of rnnc bench --backend cc; $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg))"
for cfg in "A 100 25" "B 256 64"; do
    set -- $cfg
    if ! perf record -q -e cpu-clock -F 10000 -o "$tmp/$1.data" -- \
            "$RNNC" bench --vocab 65 --hidden "$2" --tau "$3" --backend cc --seconds 3 >"$tmp/$1.txt" 2>&1; then
        echo "rnnc: perf record failed for $1 (kernel.perf_event_paranoid is $(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo unknown)):" >&2
        tail -3 "$tmp/$1.txt" >&2
        exit 1
    fi
    perf report -i "$tmp/$1.data" --stdio --sort sym 2>/dev/null | grep '%' | grep -v '^#' >"$tmp/$1.rep"
    echo
    echo "## $1: vocab 65, hidden $2, tau $3, batch 1: $(tail -1 "$tmp/$1.txt")"
    echo
    echo '| share | function |'
    echo '|---:|---|'
    head -12 "$tmp/$1.rep" | awk '{ printf "| %s | %s |\n", $1, $3 }'
    awk '$3 ~ /^rnn_hidden_(step|grad)$/ { s += $1 } END { printf "\nper-step sweeps (rnn_hidden_step + rnn_hidden_grad): %.1f%% of the samples\n", s }' "$tmp/$1.rep"
done
