#!/usr/bin/env bash
# tests/suites/install.sh: `make install` and `make uninstall` (issue 13).
#   - `make install DESTDIR=D PREFIX=/usr` puts the binary at D/usr/bin/rnnc (mode 755) and the
#     manual page at D/usr/share/man/man1/rnnc.1 (mode 644), and nothing else;
#   - the installed binary runs: `rnnc --version`, `-V` and `version` print the same line as the
#     tree's rnnc; from an empty directory, with a minimal environment, `rnnc gen` writes a
#     pair that compiles and `rnnc check` passes (the templates are compiled into the binary);
#   - the manual page: its .TH carries that version; it renders with `man -l` (or groff, or
#     mandoc, whichever is present) without warnings and within 80 columns at MANWIDTH=80, and
#     the rendered text holds every option of `rnnc --help` and of every `rnnc help COMMAND`,
#     with ASCII hyphens (so that what is copied from it works), and a section per command;
#     without any of them, a text check of the roff source;
#   - `make uninstall` with the same DESTDIR and PREFIX removes both files; the default PREFIX
#     is /usr/local.
# Needs the tree's ./rnnc (make runs in the tree, and would build it otherwise): skipped, with
# the reason, when RNNC is another binary (make asan) and ./rnnc does not exist.
# Prints "ok install/CASE", "FAIL install/CASE: why" or "skip install/CASE: why".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RNNC=${RNNC:-$ROOT/rnnc}
case $RNNC in /*) ;; *) RNNC=$PWD/$RNNC ;; esac
tmp=$(mktemp -d "${TESTS_TMP:-${TMPDIR:-/tmp}}/suite_install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
failed=0
ok() { echo "ok install/$1"; }
fail() {
    echo "FAIL install/$1: $2"
    failed=1
}
skip() { echo "skip install/$1: $2"; }
one_line() { head -c 400 "$1" | tr '\n' '~' | sed 's/~$//; s/~/\\n/g'; }
have() { command -v "$1" >/dev/null 2>&1; }
# mk ARG...: make in the tree, as a user would run it (not as a sub-make of `make test`).
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory -C "$ROOT" "$@"; }

if [ ! -x "$ROOT/rnnc" ]; then
    skip "all" "the tree has no ./rnnc to install (RNNC is $RNNC); run make first"
    exit 0
fi

# ---- make install DESTDIR=... PREFIX=/usr ---------------------------------------------
dest=$tmp/dest
bin=$dest/usr/bin/rnnc
page=$dest/usr/share/man/man1/rnnc.1
if ! mk install DESTDIR="$dest" PREFIX=/usr >"$tmp/install.out" 2>&1; then
    fail "make-install" "make install DESTDIR=$dest PREFIX=/usr: $(tail -n 5 "$tmp/install.out" | tr '\n' ' ')"
    exit 1
fi
files=$(cd "$dest" && find . -type f | sort | tr '\n' ' ')
if [ "$files" = "./usr/bin/rnnc ./usr/share/man/man1/rnnc.1 " ] &&
    [ "$(stat -c %a "$bin")" = 755 ] && [ "$(stat -c %a "$page")" = 644 ]; then
    ok "make-install (usr/bin/rnnc 755, usr/share/man/man1/rnnc.1 644)"
else
    fail "make-install" "installed files: $files; modes $(stat -c %a "$bin" 2>&1) $(stat -c %a "$page" 2>&1)"
fi

# ---- the installed binary ----------------------------------------------------------------
want=$("$RNNC" --version 2>&1)
for arg in --version -V version; do
    got=$("$bin" $arg 2>&1)
    case $arg in --version) what=long-option ;; -V) what=short-option ;; *) what=command ;; esac
    if [ "$got" = "$want" ] && [[ $got == "rnnc "* ]]; then
        ok "binary-version-$what (rnnc $arg: $got)"
    else
        fail "binary-version-$what" "'$bin $arg' printed '$got', the tree's rnnc '$want'"
    fi
done
# From an empty directory outside the tree, with a minimal environment.
away=$tmp/elsewhere
mkdir -p "$away" "$tmp/home"
run_away() { (cd "$away" && env -i PATH=/usr/bin:/bin HOME="$tmp/home" RNNC_CACHE_DIR="$tmp/cache" "$bin" "$@"); }
if run_away gen --vocab 7 --hidden 5 --tau 3 --name away -o out >"$tmp/gen.out" 2>&1 &&
    [ -s "$away/out/away.h" ] && [ -s "$away/out/away.c" ] &&
    (cd "$away" && cc -std=c99 -Wall -Wextra -pedantic -Werror -c out/away.c -o away.o) >>"$tmp/gen.out" 2>&1; then
    ok "gen-from-another-directory"
else
    fail "gen-from-another-directory" "$(one_line "$tmp/gen.out")"
fi
if run_away check --vocab 5 --hidden 4 --tau 3 --dtype double >"$tmp/check.out" 2>&1; then
    ok "check-from-another-directory ($(tail -n 1 "$tmp/check.out" | cut -c1-60))"
else
    fail "check-from-another-directory" "$(one_line "$tmp/check.out")"
fi

# ---- the manual page -----------------------------------------------------------------------
th=$(grep -m1 '^\.TH ' "$page")
if [[ $th == '.TH RNNC 1 '*"\"$want\""* ]]; then
    ok "man-page-version ($th)"
else
    fail "man-page-version" "'$th' does not name '$want'"
fi
render=""
if have man && man --version >/dev/null 2>&1; then
    render=man
    (MANWIDTH=80 MANPAGER=cat PAGER=cat man -l "$page" >"$tmp/man.txt" 2>"$tmp/man.err")
elif have groff; then
    render=groff
    groff -man -Tutf8 -rLL=78n -ww "$page" 2>"$tmp/man.err" | col -bx >"$tmp/man.txt"
elif have mandoc; then
    render=mandoc
    mandoc -Tutf8 -Owidth=78 "$page" 2>"$tmp/man.err" | col -bx >"$tmp/man.txt"
fi
if [ -n "$render" ]; then
    # man -l prints bold and underline as overstrikes only to a terminal; strip them anyway
    sed -i 's/.\x08//g' "$tmp/man.txt"
    long=$(awk 'length > 80 { n++ } END { print n + 0 }' "$tmp/man.txt")
    if [ -s "$tmp/man.err" ] || [ ! -s "$tmp/man.txt" ] || ! grep -q '^NAME' "$tmp/man.txt" ||
        ! grep -q 'rnnc - a compiler for small recurrent neural networks' "$tmp/man.txt"; then
        fail "man-page-renders-$render" "$(one_line "$tmp/man.err") / $(head -c 200 "$tmp/man.txt")"
    elif [ "$long" != 0 ]; then
        fail "man-page-renders-$render" "$long lines wider than 80 columns, e.g. '$(awk 'length > 80' "$tmp/man.txt" | head -n 1)'"
    else
        ok "man-page-renders-$render ($(wc -l <"$tmp/man.txt") lines, none wider than 80 columns, no warning)"
    fi
    # every option of --help and of every command's own help, as typed: ASCII hyphens (roff's
    # \-), not U+2010 or U+2212; and a section per command
    cmds=$("$RNNC" --help | awk '/^commands:/ { f = 1; next } f && /^ *$/ { exit } f { print $1 }')
    { "$RNNC" --help; for c in $cmds; do "$RNNC" help "$c"; done; } >"$tmp/all-help.txt"
    missing=""
    for o in $(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/all-help.txt" | sort -u); do
        grep -q -- "$o" "$tmp/man.txt" || missing+=" $o"
    done
    for c in $cmds; do
        grep -qx "   rnnc $c" "$tmp/man.txt" || missing+=" (the section rnnc $c)"
    done
    if [ -z "$missing" ] && [ -n "$cmds" ]; then
        ok "man-page-has-every-option-of-help ($(grep -o -- '--[a-z][a-z0-9-]*' "$tmp/all-help.txt" | sort -u | wc -l) options, a section for each of $(echo $cmds | wc -w) commands)"
    else
        fail "man-page-has-every-option-of-help" "missing from the rendered page:$missing"
    fi
    if have groff; then
        if groff -man -Tutf8 -ww -z "$page" >"$tmp/groff.err" 2>&1 && [ ! -s "$tmp/groff.err" ]; then
            ok "man-page-groff-no-warnings"
        else
            fail "man-page-groff-no-warnings" "$(one_line "$tmp/groff.err")"
        fi
    fi
    if have mandoc; then
        if mandoc -Tlint -Wwarning "$page" >"$tmp/mandoc.err" 2>&1; then
            ok "man-page-mandoc-lint"
        else
            fail "man-page-mandoc-lint" "$(one_line "$tmp/mandoc.err")"
        fi
    fi
else
    skip "man-page-renders" "none of man, groff, mandoc is installed (apt-get install man-db); checking the source only"
    if grep -q '^\.SH NAME' "$page" && grep -q '^\.SH SYNOPSIS' "$page" && ! grep -q '@[A-Z]*@' "$page"; then
        ok "man-page-source (.SH NAME, .SH SYNOPSIS, no unfilled @HOLE@)"
    else
        fail "man-page-source" "no .SH NAME / .SH SYNOPSIS, or an unfilled @HOLE@"
    fi
fi

# ---- make uninstall ----------------------------------------------------------------------
if ! mk uninstall DESTDIR="$dest" PREFIX=/usr >"$tmp/uninstall.out" 2>&1; then
    fail "make-uninstall" "$(one_line "$tmp/uninstall.out")"
elif [ -e "$bin" ] || [ -e "$page" ] || [ -n "$(cd "$dest" && find . -type f)" ]; then
    fail "make-uninstall" "left: $(cd "$dest" && find . -type f | tr '\n' ' ')"
else
    ok "make-uninstall (both removed)"
fi

# ---- the default PREFIX ----------------------------------------------------------------------
d2=$tmp/dest2
if mk install DESTDIR="$d2" >"$tmp/install2.out" 2>&1 && [ -x "$d2/usr/local/bin/rnnc" ] &&
    [ -f "$d2/usr/local/share/man/man1/rnnc.1" ] && mk uninstall DESTDIR="$d2" >>"$tmp/install2.out" 2>&1 &&
    [ -z "$(cd "$d2" && find . -type f)" ]; then
    ok "default-prefix-usr-local"
else
    fail "default-prefix-usr-local" "$(one_line "$tmp/install2.out")"
fi

exit $failed
