#!/usr/bin/env bash
# The optimiser step against its formulas recomputed in double (tests/test_update.c prints
# one line per case).
exec "$(dirname "$0")/run_prog.sh" update test_update
