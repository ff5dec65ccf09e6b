#!/usr/bin/env bash
# The generated forward and backward against the independent double-precision reference
# (tests/ref/ref.c), with each backend: tests/unit/test_reference.c prints one line per spec.
set -u
prog=${TEST_BIN:-}/test_reference
if [ -z "${TEST_BIN:-}" ] || [ ! -x "$prog" ]; then
    echo "FAIL reference: $prog not built (TEST_BIN=${TEST_BIN:-unset})"
    exit 1
fi
status=0
for backend in tcc cc; do
    "$prog" "$backend" 2>&1
    rc=$?
    if [ "$rc" != 0 ]; then
        echo "FAIL reference/$backend: test_reference $backend exited with status $rc"
        status=1
    fi
done
exit $status
