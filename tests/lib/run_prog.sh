#!/usr/bin/env bash
# tests/lib/run_prog.sh SUITE PROG [ARG...]: run the test program $TEST_BIN/PROG (built by
# `make tests-bin`), passing its "ok"/"FAIL" lines through, and add a "FAIL SUITE" line when
# the program is missing or exits non-zero (so a crash is never a silent pass).
set -u
suite=$1 prog=${TEST_BIN:-}/$2
shift 2
if [ -z "${TEST_BIN:-}" ] || [ ! -x "$prog" ]; then
    echo "FAIL $suite: $prog not built (TEST_BIN=${TEST_BIN:-unset})"
    exit 1
fi
"$prog" "$@" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
    echo "FAIL $suite: $(basename "$prog") exited with status $rc"
    exit 1
fi
