#!/usr/bin/env bash
# The gated cells' independent reference (tests/ref/ref_gated.c) checked against finite
# differences on its own, so that comparing the generated LSTM and GRU with it proves something.
set -u
prog=$TEST_BIN/ref_selfcheck_gated
if [ ! -x "$prog" ]; then echo "FAIL ref-selfcheck-gated: $prog not built"; exit 1; fi
out=$("$prog" 2>&1); rc=$?
echo "$out" | grep -E ' FAIL|failed' | head -20
summary=$(echo "$out" | tail -n 1)
if [ "$rc" = 0 ] && echo "$summary" | grep -q ' 0 failed'; then
    echo "ok ref-selfcheck-gated: $summary"
else
    echo "FAIL ref-selfcheck-gated: exit $rc, $summary"
    exit 1
fi
