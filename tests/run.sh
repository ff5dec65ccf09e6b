#!/usr/bin/env bash
# tests/run.sh RNNC: run every test of `make test` against the rnnc binary RNNC.
# Each suite prints one line per case, "ok NAME" or "FAIL NAME: why"; this script runs the
# suites, shows their output, counts the lines and ends with "N passed, N failed".
# Exit status 0 only when nothing failed.
set -u
RNNC=${1:-./rnnc}
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
export RNNC
# Test programs built by `make tests-bin` (tests/unit/*.c linked with the runtime objects).
export TEST_BIN=${TEST_BIN:-$PWD/out/obj/tests}
cd "$(dirname "$0")/.." || exit 1
export TESTS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rnnc-tests.XXXXXX")
trap 'rm -rf "$TESTS_TMP"' EXIT
# A private compile cache, so the cc backend is really exercised on every run.
export RNNC_CACHE_DIR=$TESTS_TMP/cache
log=$TESTS_TMP/log
: >"$log"

# What runs, found by pattern (adding a test is adding one file):
#   tests/suites/*.sh     shell suites, in name order;
#   tests/unit/test_X.c   built by `make tests-bin` into $TEST_BIN/test_X and run with no
#                         arguments, unless a suite names test_X (it then runs it itself,
#                         with the arguments and files it needs).
run_one() {   # NAME COMMAND...: run it, keep its lines, and check it said something
    local name=$1
    shift
    echo "== $name"
    "$@" >"$TESTS_TMP/suite.log" 2>&1
    local rc=$?
    cat "$TESTS_TMP/suite.log"
    cat "$TESTS_TMP/suite.log" >>"$log"
    if [ "$rc" != 0 ] && ! grep -q '^FAIL' "$TESTS_TMP/suite.log"; then
        echo "FAIL $name: exited $rc without naming a failed case" | tee -a "$log"
    fi
    if ! grep -q '^ok ' "$TESTS_TMP/suite.log" && ! grep -q '^skip ' "$TESTS_TMP/suite.log"; then
        echo "FAIL $name: ran no case" | tee -a "$log"
    fi
}
shopt -s nullglob
for s in tests/suites/*.sh; do
    if [ ! -x "$s" ]; then
        echo "FAIL $s: not executable" | tee -a "$log"
        continue
    fi
    run_one "$s" "$s"
done
for c in tests/unit/test_*.c; do
    prog=$(basename "$c" .c)
    grep -qw "$prog" tests/suites/*.sh && continue
    run_one "$c" tests/lib/run_prog.sh "${prog#test_}" "$prog"
done
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL' "$log")
skipped=$(grep -c '^skip ' "$log")
echo
grep '^FAIL' "$log"
if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
