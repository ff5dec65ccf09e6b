#!/usr/bin/env bash
# Training on two threads gives exactly what one thread gives (tests/test_threads.c prints
# one line per case).
set -u
prog=${TEST_BIN:-}/test_threads
if [ -z "${TEST_BIN:-}" ] || [ ! -x "$prog" ]; then
    echo "FAIL threads: $prog not built (TEST_BIN=${TEST_BIN:-unset})"
    exit 1
fi
"$prog" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
    echo "FAIL threads: test_threads exited with status $rc"
    exit 1
fi
