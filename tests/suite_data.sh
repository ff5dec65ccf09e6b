#!/usr/bin/env bash
# Training data and loss plots: tests/test_data.c reads text as bytes and UTF-8 (vocabulary,
# encoding, invalid input with its FILE:LINE:COL), CSV files of numbers, and draws SVG charts of
# training logs.  It writes its inputs under $TESTS_TMP and prints one line per case.
exec "$(dirname "$0")/run_prog.sh" data test_data
