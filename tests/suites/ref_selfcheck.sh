#!/usr/bin/env bash
# The independent reference (tests/ref/ref.c) checked against finite differences on its own,
# so that comparing the generated code with it proves something.
. "$(dirname "$0")/../lib/suite.sh" ""
need_prog ref_selfcheck ref-selfcheck || suite_end
out=$("$TEST_BIN/ref_selfcheck" 2>&1); rc=$?
echo "$out" | grep -E ' FAIL|failed' | head -20
summary=$(echo "$out" | tail -n 1)
if [ "$rc" = 0 ] && echo "$summary" | grep -q ' 0 failed'; then
    ok "ref-selfcheck: $summary"
else
    fail ref-selfcheck "exit $rc, $summary"
fi
suite_end
