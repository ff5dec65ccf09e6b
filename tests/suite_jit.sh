#!/usr/bin/env bash
# Backends: compile errors name file and line and show the line; good code runs.
set -u
prog=$TEST_BIN/test_jit
if [ ! -x "$prog" ]; then echo "FAIL jit: $prog not built"; exit 1; fi
"$prog"
