#!/usr/bin/env bash
# tests/suites/help.sh: help where people look for it (issue 13).
#   1. For every command of `rnnc --help`: `rnnc COMMAND --help`, `rnnc COMMAND -h` and
#      `rnnc help COMMAND` print the same text, exit 0, start "usage: rnnc COMMAND" (version:
#      "usage: rnnc version"), are not the global usage, fit 79 columns, and (but version)
#      end with examples.
#   2. Every option its help names (the entries: lines "  -x" / "  --opt") is accepted by the
#      command (`rnnc COMMAND --opt=1 --zz-not-an-option` fails on the second, not the first),
#      and so is every model option of `rnnc --help` for the commands that take a model.
#   3. README documents every option of every command's help and of the global usage, and
#      names no --option that no command's help has (the useful direction both ways: a new
#      option must be documented, a removed one must leave README).
#   4. An unknown command lists every command and names the closest (trian: train); an
#      unknown option names the closest option (--step: --steps); one line, exit 2.
# (The manual page holds the same texts, per command: tests/suites/install.sh renders it.)
# Prints "ok help/CASE" or "FAIL help/CASE: why".
# Env: RNNC (absolute path of rnnc).
set -u
. "$(dirname "$0")/../lib/suite.sh" help
# options FILE: the options a help text's entries name (-o, --opt), one a line
options() { grep -E '^  -' "$1" | grep -oE -- '(^| )--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^ *//' | sort -u; }

"$RNNC" --help >"$tmp/global" 2>&1 || fail global-help "exit status $?"
cmds=$(awk '/^commands:/ { f = 1; next } f && /^ *$/ { exit } f { print $1 }' "$tmp/global")
[ "$(echo $cmds)" = "gen check diff train sample eval info embed export import plot bench equations help version" ] ||
    fail command-list "the usage lists: $(echo $cmds)"
options "$tmp/global" >"$tmp/model-options"

# ---- 1 and 2 ----
for c in $cmds; do
    why=()
    "$RNNC" help "$c" >"$tmp/$c.help" 2>&1 || why+=("rnnc help $c: exit $?")
    "$RNNC" "$c" --help >"$tmp/$c.dash" 2>&1 || why+=("rnnc $c --help: exit $?")
    "$RNNC" "$c" -h >"$tmp/$c.h" 2>&1 || why+=("rnnc $c -h: exit $?")
    cmp -s "$tmp/$c.help" "$tmp/$c.dash" && cmp -s "$tmp/$c.help" "$tmp/$c.h" || why+=("the three differ")
    head -n 1 "$tmp/$c.help" | grep -q "^usage: rnnc $c\b" || why+=("first line: $(head -n 1 "$tmp/$c.help")")
    cmp -s "$tmp/$c.help" "$tmp/global" && why+=("it is the global usage")
    long=$(awk 'length > 79' "$tmp/$c.help" | head -n 1)
    [ -z "$long" ] || why+=("a line over 79 columns: '$long'")
    [ "$c" = version ] || grep -q '^examples:' "$tmp/$c.help" || why+=("no examples")
    check "own-usage/$c" "${why[@]}"
    why=()
    takes_model=0
    grep -q 'model options' "$tmp/$c.help" && takes_model=1
    { options "$tmp/$c.help"; [ $takes_model = 1 ] && cat "$tmp/model-options"; } | sort -u >"$tmp/$c.opts"
    n=0
    while read -r o; do
        n=$((n + 1))
        case $c in help | version) continue ;; esac
        "$RNNC" "$c" "$o=1" --zz-not-an-option >"$tmp/o.out" 2>"$tmp/o.err"
        grep -q -- "--zz-not-an-option: unknown option for 'rnnc $c'" "$tmp/o.err" ||
            why+=("$o: $(one_line "$tmp/o.err")")
    done <"$tmp/$c.opts"
    check "options-accepted/$c ($n options)" "${why[@]}"
done

# ---- 3. README ----
why=()
cat "$tmp"/*.opts | sort -u >"$tmp/all-options"
while read -r o; do
    if [[ $o == --* ]]; then
        grep -qF -- "$o" "$ROOT/README.md" || why+=("$o")
    else
        grep -qE -- "(^|[ \`(])$o( |\`|$)" "$ROOT/README.md" || why+=("$o")
    fi
done <"$tmp/all-options"
check "readme-documents-every-option ($(wc -l <"$tmp/all-options") options)" "${why[@]:+README lacks ${why[*]}}"
why=()
# every --word of every help text (--help and --version included); --step: the README's
# example of a mistyped option; mpirun's own options (the "More than one machine" section);
# --runs: tests/fuzz/run.sh's own option ("Security and reliability")
cat "$tmp"/*.help "$tmp/global" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u >"$tmp/all-words"
for o in $(grep -oE -- '--[a-z][a-z0-9-]*' "$ROOT/README.md" | sort -u); do
    case $o in --step | --allow-run-as-root | --hostfile | --oversubscribe | --host | --np | --runs) continue ;; esac
    grep -qxF -- "$o" "$tmp/all-words" || why+=("$o")
done
check "readme-names-no-option-rnnc-lacks" "${why[@]:+README names ${why[*]}, which no rnnc help has}"

# ---- 4. mistakes ----
# refused NAME WANT ARG...: exit 2, one line holding WANT (fixed strings, | separated)
refused() {
    local name=$1 want=$2 why=() w
    shift 2
    "$RNNC" "$@" >"$tmp/r.out" 2>"$tmp/r.err"
    local rc=$?
    [ $rc -eq 2 ] || why+=("exit $rc")
    [ "$(wc -l <"$tmp/r.err")" -eq 1 ] || why+=("$(wc -l <"$tmp/r.err") lines")
    IFS='|' read -r -a ws <<<"$want"
    for w in "${ws[@]}"; do grep -qF -- "$w" "$tmp/r.err" || why+=("does not say '$w': $(one_line "$tmp/r.err")"); done
    [ -s "$tmp/r.out" ] && why+=("stdout: $(one_line "$tmp/r.out")")
    check "$name" "${why[@]}"
}
all="commands: $(echo $cmds | sed 's/ /, /g')"
refused "unknown-command-suggests-train" "'trian': unknown command; did you mean 'train'?|$all" trian --steps 3
refused "unknown-command-prefix-suggests-equations" "did you mean 'equations'?" equa
refused "unknown-command-far-from-all-lists-them" "'zzzz': unknown command (|$all" zzzz
refused "help-of-an-unknown-command" "'smaple': unknown command; did you mean 'sample'?" help smaple
refused "unknown-option-suggests-steps" "--step: unknown option for 'rnnc train'; did you mean --steps? (rnnc help train" train --step 5
refused "unknown-option-suggests-spec-key" "--hiden: unknown option for 'rnnc gen'; did you mean --hidden?" gen --hiden 5
suite_end
