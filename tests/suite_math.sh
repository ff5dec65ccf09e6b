#!/usr/bin/env bash
# The vectorizable float exp and tanh copied into generated code, against libm.
exec "$(dirname "$0")/run_prog.sh" math test_math
