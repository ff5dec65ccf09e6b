#!/usr/bin/env bash
# Backends: compile errors name file and line and show the line; good code runs.
exec "$(dirname "$0")/run_prog.sh" jit test_jit
