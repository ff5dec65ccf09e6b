#!/usr/bin/env bash
# tests/golden/golden.sh check|regen RNNC: golden files of the generator's output.
#
# Each tests/golden/CASE.golden holds, on its FIRST LINE, the exact command that produces it
# (e.g. "rnnc gen --vocab 5 --hidden 3 --tau 2 --name g_onehot"; plain words, no quoting),
# and after it the expected output: for `rnnc gen`, the generated NAME.h then NAME.c, each
# preceded by a line "==> NAME.h <==" / "==> NAME.c <=="; for `rnnc equations`, its output.
#   check  runs every command (rnnc replaced by RNNC, output into a fresh temporary
#          directory), rebuilds the text and diffs it against the file: prints
#          "ok golden/CASE" or "FAIL golden/CASE: ..." (with the start of the diff).
#   regen  rewrites every file from its first line (make golden).
# Exit status 0 when every case passed (check) or was rewritten (regen), else 1.
set -u

usage() {
    echo "usage: tests/golden/golden.sh check|regen RNNC" >&2
    exit 2
}
[ $# -eq 2 ] || usage
mode=$1
RNNC=$2
case $mode in check | regen) ;; *) usage ;; esac
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
if [ ! -x "$RNNC" ]; then
    echo "FAIL golden: rnnc binary '$RNNC' is missing or not executable"
    exit 1
fi

dir=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TESTS_TMP:-${TMPDIR:-/tmp}}/golden.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

shopt -s nullglob
files=("$dir"/*.golden)
if [ ${#files[@]} -eq 0 ]; then
    echo "FAIL golden: no case files in $dir"
    exit 1
fi

failed=0
for f in "${files[@]}"; do
    case_name=$(basename "$f" .golden)
    cmdline=$(head -n 1 "$f")
    read -r -a words <<<"$cmdline"
    if [ ${#words[@]} -lt 2 ] || [ "${words[0]}" != rnnc ] ||
        { [ "${words[1]}" != gen ] && [ "${words[1]}" != equations ]; }; then
        echo "FAIL golden/$case_name: first line is not an 'rnnc gen ...' or 'rnnc equations ...' command line (got '${cmdline:0:80}')"
        failed=1
        continue
    fi
    out=$tmp/$case_name
    rm -rf "$out"
    mkdir -p "$out"
    if [ "${words[1]}" = equations ]; then
        # Text commands: the expected output is their standard output.
        if ! "$RNNC" "${words[@]:1}" >"$out/stdout" 2>"$out/stderr"; then
            echo "FAIL golden/$case_name: '$cmdline' failed: $(head -c 300 "$out/stderr")"
            failed=1
            continue
        fi
        { printf '%s\n' "$cmdline"; cat "$out/stdout"; } >"$out/actual"
        if [ "$mode" = regen ]; then
            cp "$out/actual" "$f" && echo "ok golden/$case_name (rewritten)"
        elif cmp -s "$out/actual" "$f"; then
            echo "ok golden/$case_name"
        else
            echo "FAIL golden/$case_name: differs (run make golden)"
            diff -u "$f" "$out/actual" | head -n 20
            failed=1
        fi
        continue
    fi
    "$RNNC" "${words[@]:1}" -o "$out/gen" >"$out/stdout" 2>"$out/stderr"
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL golden/$case_name: '$cmdline' exited $rc: $(head -c 300 "$out/stderr")"
        failed=1
        continue
    fi
    hs=("$out"/gen/*.h)
    if [ ${#hs[@]} -ne 1 ]; then
        echo "FAIL golden/$case_name: expected one generated header, got ${#hs[@]}"
        failed=1
        continue
    fi
    name=$(basename "${hs[0]}" .h)
    if [ ! -f "$out/gen/$name.c" ] || [ "$(ls "$out/gen" | wc -l)" -ne 2 ]; then
        echo "FAIL golden/$case_name: expected exactly $name.h and $name.c, got: $(ls "$out/gen" | tr '\n' ' ')"
        failed=1
        continue
    fi
    {
        printf '%s\n' "$cmdline"
        printf '==> %s.h <==\n' "$name"
        cat "$out/gen/$name.h"
        printf '==> %s.c <==\n' "$name"
        cat "$out/gen/$name.c"
    } >"$out/actual"
    if [ "$mode" = regen ]; then
        if cmp -s "$out/actual" "$f"; then
            echo "ok golden/$case_name (unchanged)"
        elif cp "$out/actual" "$f"; then
            echo "ok golden/$case_name (rewritten)"
        else
            echo "FAIL golden/$case_name: cannot write $f"
            failed=1
        fi
    elif cmp -s "$f" "$out/actual"; then
        echo "ok golden/$case_name"
    else
        echo "FAIL golden/$case_name: differs (run make golden)"
        diff -u --label "expected: tests/golden/$case_name.golden" --label "actual: $cmdline" \
            "$f" "$out/actual" | head -n 20 | sed 's/^/    /'
        failed=1
    fi
done
exit $failed
