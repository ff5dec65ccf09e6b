#!/usr/bin/env bash
# The generated forward and backward against the independent double-precision reference
# (tests/ref/ref.c), with each backend: tests/unit/test_reference.c prints one line per spec.
. "$(dirname "$0")/../lib/suite.sh" reference
need_prog test_reference test_reference || suite_end
for backend in tcc cc; do
    "$TEST_BIN/test_reference" "$backend" 2>&1
    rc=$?
    [ "$rc" = 0 ] || fail "$backend" "test_reference $backend exited with status $rc"
done
suite_end
