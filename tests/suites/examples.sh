#!/usr/bin/env bash
# tests/suites/examples.sh: examples/embed end to end, as `make examples` builds it, on a
# checkpoint trained here with the same options (examples/embed/build.sh): the sample program
# on the host and, when arm-none-eabi-gcc, newlib and qemu-system-arm are installed, on a
# Cortex-M4 under QEMU, in double and in float, each printing the bytes of `rnnc sample`; and
# the figures that examples/README.md quotes (object sizes, math functions, Cortex-M4 flash and
# RAM) equal to this build's, so that they cannot go stale (each part compared when this
# machine has the compiler it was measured with; `make examples-figures` rewrites them).
# Prints "ok examples/CASE", "FAIL examples/CASE: why" or "skip examples/CASE: why".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RNNC=${RNNC:-$ROOT/rnnc}
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
tmp=$(mktemp -d "${TESTS_TMP:-${TMPDIR:-/tmp}}/suite_examples.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
timeout -k 5 300 "$ROOT/examples/embed/build.sh" "$RNNC" "$tmp/examples.ckpt" "$tmp/embed" --check "$ROOT/examples/README.md"
rc=$?
[ $rc = 124 ] && echo "FAIL examples/build: examples/embed/build.sh took more than 300 s"
exit $rc
