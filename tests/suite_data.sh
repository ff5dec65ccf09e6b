#!/usr/bin/env bash
# Training data and loss plots: tests/test_data.c reads text as bytes and UTF-8 (vocabulary,
# encoding, invalid input with its FILE:LINE:COL), CSV files of numbers, and draws SVG charts of
# training logs.  It writes its inputs under $TESTS_TMP and prints one line per case.
set -u
prog=${TEST_BIN:-}/test_data
if [ -z "${TEST_BIN:-}" ] || [ ! -x "$prog" ]; then
    echo "FAIL data: $prog not built (TEST_BIN=${TEST_BIN:-unset})"
    exit 1
fi
"$prog" 2>&1
rc=$?
if [ "$rc" != 0 ]; then
    echo "FAIL data: test_data exited with status $rc"
    exit 1
fi
exit 0
