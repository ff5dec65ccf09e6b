# tests/lib/suite.sh: what every shell suite (tests/suites/*.sh) shares.  A suite starts with
#
#     . "$(dirname "$0")/../lib/suite.sh" PREFIX
#
# and then has, in the source tree as its working directory:
#   ROOT      the source tree (absolute)
#   RNNC      the rnnc binary, absolute: $RNNC (relative to the caller's directory), else ROOT/rnnc
#   TEST_BIN  the test programs of `make tests-bin`: $TEST_BIN, else ROOT/out/obj/tests
#             (both exported, for the suite's child processes)
#   tmp       a new directory of its own under $TESTS_TMP (else $TMPDIR, else /tmp), removed
#             when the suite's own shell exits (a forked child never removes it); a suite
#             that needs more at exit defines suite_cleanup, which runs first
#   failed    the number of failed cases so far
# and these functions, each printing one line (tests/run.sh counts them):
#   ok NAME          "ok PREFIX/NAME"
#   fail NAME WHY    "FAIL PREFIX/NAME: WHY", and failed goes up by one
#   skip NAME WHY    "skip PREFIX/NAME: WHY", for a case this machine cannot run
#   check NAME WHY...  ok NAME when no WHY is given, else fail NAME with the WHYs joined by "; "
#   rn ARG...        rnnc ARG... with a time limit of 120 s (a hang is a failure, not a stuck suite)
#   one_line FILE    the start of FILE (400 bytes) on one line, newlines shown as \n
#   need_prog PROG CASE  0 when the test program $TEST_BIN/PROG is built; else fail CASE
#                    ("... not built") and return 1
#   snap DIR         the checksums of DIR's files, sorted (equal before and after: nothing written)
#   bad_input NAME EXPECT ARG...  rnnc ARG... in a fresh directory $tmp/bad/NAME (after running
#                    $SETUP there, when set) must exit 2 with one line on stderr holding EXPECT,
#                    print nothing on stdout and create or change no file: check "bad-input/NAME"
#   suite_end        exits with the suite's status: 0 when no case failed, else 1
# With an empty PREFIX the lines are "ok NAME" (the suite puts its own prefixes in NAME).
# Bash only (set -u is on: a suite names every variable it uses).

set -u
SUITE_PREFIX=${1-}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RNNC=${RNNC:-$ROOT/rnnc}
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
TEST_BIN=${TEST_BIN:-$ROOT/out/obj/tests}
export RNNC TEST_BIN
cd "$ROOT" || exit 1
tmp=$(mktemp -d "${TESTS_TMP:-${TMPDIR:-/tmp}}/suite_$(basename "$0" .sh).XXXXXX") || exit 1
failed=0

# Runs once, in the suite's own shell only: the suite's suite_cleanup (if any), then tmp goes.
suite_exit() {
    [ "$BASHPID" = "$$" ] || return 0
    if declare -F suite_cleanup >/dev/null; then suite_cleanup; fi
    rm -rf "$tmp"
}
trap suite_exit EXIT

suite_name() { if [ -n "$SUITE_PREFIX" ]; then echo "$SUITE_PREFIX/$1"; else echo "$1"; fi; }
ok() { echo "ok $(suite_name "$1")"; }
fail() {
    echo "FAIL $(suite_name "$1"): $2"
    failed=$((failed + 1))
}
skip() { echo "skip $(suite_name "$1"): $2"; }
check() {
    local name=$1
    shift
    if [ $# -eq 0 ]; then
        ok "$name"
    else
        local r
        r=$(printf '%s; ' "$@")
        fail "$name" "${r%; }"
    fi
}
rn() { timeout -k 5 120 "$RNNC" "$@"; }
one_line() { head -c 400 "$1" | tr '\n' '~' | sed 's/~$//; s/~/\\n/g'; }
need_prog() {
    [ -x "$TEST_BIN/$1" ] && return 0
    fail "$2" "$TEST_BIN/$1 not built (TEST_BIN=$TEST_BIN; make tests-bin builds it)"
    return 1
}
snap() { (cd "$1" && find . -type f -exec md5sum {} + | sort); }
# ckpt_step CKPT: print the training step checkpoint CKPT holds (rnnc info); when it does not
# load, rnnc's message goes to stderr and the status is 1.
ckpt_step() {
    local out
    out=$(rn info "$1") || return 1
    sed -n 's/^step: //p' <<<"$out"
}
bad_input() {
    local name=$1 expect=$2
    shift 2
    local d=$tmp/bad/$name
    mkdir -p "$d"
    [ -n "${SETUP:-}" ] && (cd "$d" && eval "$SETUP")
    local before after
    before=$(snap "$d")
    (cd "$d" && exec timeout -k 5 120 "$RNNC" "$@") >"$d.out" 2>"$d.err"
    local rc=$?
    after=$(snap "$d")
    local why=()
    [ $rc -eq 2 ] || why+=("status $rc, not 2")
    [ "$(wc -l <"$d.err")" -eq 1 ] || why+=("$(wc -l <"$d.err") lines on stderr")
    grep -qF -- "$expect" "$d.err" || why+=("stderr does not name '$expect'")
    [ -s "$d.out" ] && why+=("stdout not empty: $(one_line "$d.out")")
    [ "$before" = "$after" ] || why+=("files created or changed in the directory")
    [ ${#why[@]} -gt 0 ] && why+=("stderr: $(one_line "$d.err")")
    check "bad-input/$name" "${why[@]}"
}
suite_end() { [ "$failed" -eq 0 ] && exit 0; exit 1; }
