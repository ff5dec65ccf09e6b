#!/usr/bin/env bash
# tests/suites/golden.sh: the generator's output is exactly the golden files (tests/golden/golden.sh
# check), is byte-identical across runs and output directories (no paths, no dates, no
# addresses), and never contains an absolute path.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory).
. "$(dirname "$0")/../lib/suite.sh" ""

# 1. The golden files (prints its own ok/FAIL lines).
tests/golden/golden.sh check "$RNNC" || failed=1

# The specs exercised below: the golden cases' commands, and a spec file given by an
# absolute and a relative path (its path must not leak into the output either).
specs=()
names=()
for f in tests/golden/*.golden; do
    line=$(head -n 1 "$f")
    case $line in "rnnc gen "*) ;; *) continue ;; esac
    specs+=("${line#rnnc gen }")
    names+=("$(basename "$f" .golden)")
done
mkdir -p "$tmp/specdir"
printf '# a spec file\nvocab = 65\nhidden = 16\ntau = 4\nbatch = 2\nname = g_file\n' >"$tmp/specdir/m.spec"
specs+=("--spec $tmp/specdir/m.spec")
names+=("specfile")

# gen SPEC DIR: run rnnc gen SPEC -o DIR from a directory of its own.
gen() {
    local spec=$1 out=$2 words
    read -r -a words <<<"$spec"
    mkdir -p "$out"
    (cd "$tmp/specdir" && "$RNNC" gen "${words[@]}" -o "$out") >"$tmp/stdout" 2>"$tmp/stderr"
}

# Absolute paths: the output directories, the spec directory, the working directories, and
# anything that looks like one ("/word/" after a blank, quote, '<' or '=' or at a line's
# start; comments open with "/*", so they do not match).
abs_path_hits() {
    local f=$1
    grep -nF -e "$tmp" -e "$PWD" "$f"
    [ -n "${HOME:-}" ] && [ "$HOME" != / ] && grep -nF -e "$HOME/" "$f"
    grep -nE '(^|[[:space:]"'"'"'<=(])/[A-Za-z0-9_.+-]+/' "$f"
}

for k in "${!specs[@]}"; do
    spec=${specs[$k]}
    n=${names[$k]}
    a=$tmp/run1/out
    b=$tmp/run2/a/much/longer/output/directory/path
    rm -rf "$tmp/run1" "$tmp/run2"
    if ! gen "$spec" "$a"; then
        fail "golden/deterministic/$n" "rnnc gen $spec failed: $(head -c 300 "$tmp/stderr")"
        continue
    fi
    cp -r "$a" "$tmp/run1/first"
    # Same directory, second run (also overwrites the files of the first).
    gen "$spec" "$a" || fail "golden/deterministic/$n" "second rnnc gen $spec failed"
    if diff -r "$tmp/run1/first" "$a" >/dev/null; then
        ok "golden/same-dir-twice/$n"
    else
        fail "golden/same-dir-twice/$n" "two runs of 'rnnc gen $spec' differ: $(diff -r "$tmp/run1/first" "$a" | head -n 5 | tr '\n' ' ')"
    fi
    # Another output directory (another path length too).
    gen "$spec" "$b" || fail "golden/deterministic/$n" "rnnc gen $spec -o $b failed"
    if diff -r "$a" "$b" >/dev/null; then
        ok "golden/two-dirs/$n"
    else
        fail "golden/two-dirs/$n" "output depends on the -o directory: $(diff -r "$a" "$b" | head -n 5 | tr '\n' ' ')"
    fi
    hits=""
    nfiles=0
    for f in "$a"/*.h "$a"/*.c; do
        [ -f "$f" ] || continue
        nfiles=$((nfiles + 1))
        h=$(abs_path_hits "$f" | head -n 3)
        [ -n "$h" ] && hits="$hits $(basename "$f"): $h"
    done
    if [ "$nfiles" -ne 2 ]; then
        fail "golden/no-abs-path/$n" "expected 2 generated files, found $nfiles"
    elif [ -n "$hits" ]; then
        fail "golden/no-abs-path/$n" "absolute path in generated source:$(echo "$hits" | tr '\n' ' ')"
    else
        ok "golden/no-abs-path/$n"
    fi
done

# The spec file by a relative path gives the same output as by its absolute path.
rm -rf "$tmp/rel" "$tmp/absp"
gen "--spec $tmp/specdir/m.spec" "$tmp/absp"
gen "m.spec" "$tmp/rel"
if diff -r "$tmp/absp" "$tmp/rel" >/dev/null && [ -f "$tmp/rel/g_file.c" ]; then
    ok "golden/spec-path-independent"
else
    fail "golden/spec-path-independent" "output differs between an absolute and a relative spec file path"
fi

suite_end
