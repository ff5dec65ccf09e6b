#!/usr/bin/env bash
# The optimiser step against its formulas recomputed in double (tests/test_update.c prints
# one line per case).
set -u
prog=${TEST_BIN:-}/test_update
if [ -z "${TEST_BIN:-}" ] || [ ! -x "$prog" ]; then
    echo "FAIL update: $prog not built (TEST_BIN=${TEST_BIN:-unset})"
    exit 1
fi
"$prog" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
    echo "FAIL update: test_update exited with status $rc"
    exit 1
fi
