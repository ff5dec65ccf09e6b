#!/usr/bin/env bash
# The generated LSTM and GRU against their independent double-precision reference
# (tests/ref/ref_gated.c), node by node, with each backend: tests/unit/test_reference_gated.c
# prints one line per spec.
set -u
prog=${TEST_BIN:-}/test_reference_gated
if [ -z "${TEST_BIN:-}" ] || [ ! -x "$prog" ]; then
    echo "FAIL reference-gated: $prog not built (TEST_BIN=${TEST_BIN:-unset})"
    exit 1
fi
status=0
for backend in tcc cc; do
    "$prog" "$backend" 2>&1
    rc=$?
    if [ "$rc" != 0 ]; then
        echo "FAIL reference-gated/$backend: test_reference_gated $backend exited with status $rc"
        status=1
    fi
done
exit $status
