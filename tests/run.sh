#!/usr/bin/env bash
# tests/run.sh RNNC: run every test of `make test` against the rnnc binary RNNC.
# Each suite prints one line per case, "ok NAME" or "FAIL NAME: why"; this script runs the
# suites, shows their output, counts the lines and ends with "N passed, N failed".
# Exit status 0 only when nothing failed.
set -u
RNNC=${1:-./rnnc}
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
export RNNC
# Test programs built by `make` (tests/*.c linked with the runtime objects).
export TEST_BIN=${TEST_BIN:-$PWD/out/obj/tests}
cd "$(dirname "$0")/.." || exit 1
export TESTS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rnnc-tests.XXXXXX")
trap 'rm -rf "$TESTS_TMP"' EXIT
# A private compile cache, so the cc backend is really exercised on every run.
export RNNC_CACHE_DIR=$TESTS_TMP/cache
log=$TESTS_TMP/log
: >"$log"

suites=(
    tests/suite_ref_selfcheck.sh
    tests/suite_reference.sh
    tests/suite_jit.sh
    tests/suite_math.sh
    tests/suite_data.sh
    tests/suite_train.sh
    tests/suite_safetensors.sh
    tests/suite_backends.sh
    tests/suite_threads.sh
    tests/suite_update.sh
    tests/suite_check_matrix.sh
    tests/suite_compilers.sh
    tests/suite_golden.sh
    tests/suite_diff.sh
    tests/suite_equations.sh
    tests/suite_interop.sh
    tests/suite_onednn.sh
    tests/suite_embed.sh
    tests/suite_bad_inputs.sh
)
for s in "${suites[@]}"; do
    echo "== $s"
    if [ ! -x "$s" ]; then
        echo "FAIL $s: missing or not executable" | tee -a "$log"
        continue
    fi
    "$s" >"$TESTS_TMP/suite.log" 2>&1
    rc=$?
    cat "$TESTS_TMP/suite.log"
    cat "$TESTS_TMP/suite.log" >>"$log"
    if [ "$rc" != 0 ] && ! grep -q '^FAIL' "$TESTS_TMP/suite.log"; then
        echo "FAIL $s: exited $rc without naming a failed case" | tee -a "$log"
    fi
    if ! grep -q '^ok ' "$TESTS_TMP/suite.log"; then
        echo "FAIL $s: ran no case" | tee -a "$log"
    fi
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
