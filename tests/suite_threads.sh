#!/usr/bin/env bash
# Training on two threads gives exactly what one thread gives (tests/test_threads.c prints
# one line per case).
exec "$(dirname "$0")/run_prog.sh" threads test_threads
