#!/usr/bin/env bash
# tcc and cc builds of the same spec: bit-identical by default, close with --fast
# (tests/test_backends.c prints one line per spec).
exec "$(dirname "$0")/run_prog.sh" backends test_backends
