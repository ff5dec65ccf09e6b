#!/usr/bin/env bash
# The vectorizable float exp and tanh copied into generated code, against libm.
set -u
prog=$TEST_BIN/test_math
if [ ! -x "$prog" ]; then echo "FAIL math: $prog not built"; exit 1; fi
"$prog"
