#!/usr/bin/env bash
# tcc and cc builds of the same spec: bit-identical by default, close with --fast
# (tests/test_backends.c prints one line per spec).
set -u
prog=${TEST_BIN:-}/test_backends
if [ -z "${TEST_BIN:-}" ] || [ ! -x "$prog" ]; then
    echo "FAIL backends: $prog not built (TEST_BIN=${TEST_BIN:-unset})"
    exit 1
fi
"$prog" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
    echo "FAIL backends: test_backends exited with status $rc"
    exit 1
fi
