#!/bin/sh
# runtime/commands/man.sh RNNC TEMPLATE > rnnc.1: the manual page, built by `make` (out/obj/rnnc.1,
# installed by `make install`).
#
# One source for the help and the manual: the commands and options of the page are the usage
# text of the binary itself (`RNNC --help`, usage_text in runtime/commands/cli.c), so the two
# cannot disagree; TEMPLATE (runtime/commands/rnnc.1.in) holds only what --help does not say
# (description, exit status, environment, files, examples), with the lines
#   @VERSION@   replaced by the version (`RNNC --version`, without "rnnc ");
#   @USAGE@     replaced by the usage text, one .SS subsection per "heading:" line of it, each
#               preformatted as --help prints it, lines longer than 76 columns broken at a
#               space (the continuation aligned after the entry's first word), so that the
#               page fits 80 columns; roff's special characters escaped (\ as \e, - as \-,
#               a leading . or ');
#   @COMMANDS@  replaced by one .SS subsection per command of the usage's "commands:" list,
#               "rnnc NAME", holding `RNNC help NAME` as the binary prints it: the usage lines
#               and option entries preformatted (and fitted) as above, the paragraph filled,
#               each "heading:" a bold line.
set -eu
[ $# -eq 2 ] || { echo "usage: runtime/commands/man.sh RNNC TEMPLATE" >&2; exit 2; }
rnnc=$1
template=$2
version=$("$rnnc" --version | sed -n 's/^rnnc //p')
[ -n "$version" ] || { echo "man.sh: '$rnnc --version' printed no version" >&2; exit 1; }
usage=$("$rnnc" --help)
[ -n "$usage" ] || { echo "man.sh: '$rnnc --help' printed nothing" >&2; exit 1; }

# The usage text as roff: each heading ("commands:", "model (...):") becomes a .SS, and the
# lines under it stay as printed (no-fill), less the 2 spaces of indentation that the page's
# own replaces, fitted to 71 columns (80 less the page's margins).  A longer line is broken
# between two items (at a run of two or more spaces) where it can be, else at a space; what
# follows a description's start goes on under the descriptions (the column most continuation
# lines start at), the items of an option list under its second item, anything else after
# the line's first word.  The indented lines that continue an entry's description join it
# before it is fitted, so the description is refilled.
roff_usage() {
    printf '%s\n' "$1" | awk -v width=71 -v sub_mode="${2:-0}" '
    function esc(s) {
        gsub(/\\/, "\\e", s)
        gsub(/-/, "\\-", s)
        if (s ~ /^[.\047]/) s = "\\&" s
        return s
    }
    function out(s) { print (s == "" ? ".sp" : esc(s)) }
    function spaces(n) { return sprintf("%" n "s", "") }
    function lead_of(s) { match(s, /^ */); return RLENGTH }
    function flush(   i, line) {              # the pending paragraph, filled at its indent
        if (!nwords) return
        line = spaces(plead) words[1]
        for (i = 2; i <= nwords; i++) {
            if (length(line) + 1 + length(words[i]) > width) { out(line); line = spaces(plead) words[i] }
            else line = line " " words[i]
        }
        out(line)
        nwords = 0
    }
    function put_entry() { if (entry != "") { wrap(entry, elead); entry = "" } }   # an entry and its continuation
    function close_block() { put_entry(); flush(); if (open) { print ".fi"; open = 0 } }
    # the column (from 0) of the item after the first run of two or more spaces past
    # column from, or 0
    function item_after(s, from,   i) {
        for (i = from + 3; i <= length(s); i++)
            if (substr(s, i, 1) != " " && substr(s, i - 1, 1) == " " && substr(s, i - 2, 1) == " ") return i - 1
        return 0
    }
    function wrap(line, lead,   cut, i, head, rest, cont, desc, second, between) {
        while (length(line) > width) {
            cut = 0
            between = 1
            for (i = width + 1; i > lead + width / 2; i--)       # between items
                if (substr(line, i, 1) == " " && substr(line, i + 1, 1) != " " && substr(line, i - 1, 1) == " ") {
                    cut = i
                    break
                }
            if (!cut) {
                between = 0
                for (i = width + 1; i > lead + width / 2; i--)   # before an option
                    if (substr(line, i, 1) == " " && substr(line, i - 1, 1) != " " && substr(line, i + 1, 1) ~ /[-\[]/) {
                        cut = i
                        break
                    }
            }
            if (!cut)
                for (i = width + 1; i > lead + 1; i--)           # at a space
                    if (substr(line, i, 1) == " " && substr(line, i - 1, 1) != " ") { cut = i; break }
            if (!cut) break
            head = substr(line, 1, cut)
            sub(/ +$/, "", head)
            rest = substr(line, cut)
            sub(/^ +/, "", rest)
            desc = 0                          # where a description starts in the head, if it does
            for (i = item_after(head, lead); i; i = item_after(head, i)) if (i >= 18) desc = i
            second = item_after(head, lead)
            match(head, /^ *[^ ]+ +/)
            cont = RLENGTH > 0 ? RLENGTH : lead + 2                  # after the first word
            if (rest ~ /^[-\[]/) { if (second && second < length(head)) cont = second }
            else if (desc) cont = desc < column ? desc : column
            else if (between) cont = column
            out(head)
            line = spaces(cont) rest
        }
        out(line)
    }
    { raw[NR] = $0 }
    END {
        # the description column: where most continuation lines start
        for (k = 1; k <= NR; k++) {
            l = raw[k]
            sub(/^  /, "", l)
            if (l !~ /^ *$/ && lead_of(l) >= 8) count[lead_of(l)]++
        }
        column = 33
        for (c in count) if (count[c] > best) { best = count[c]; column = c + 0 }
        for (k = 1; k <= NR; k++) {
            line = raw[k]
            if (k == 1 && line ~ /^usage: / && !sub_mode) continue   # the synopsis is the page'"'"'s own
            if (sub_mode && (line ~ /^usage: / || (synopsis && line ~ /^       [^ ]/))) {   # a command'"'"'s synopsis
                if (!open) { print ".nf"; open = 1 }
                synopsis = 1
                wrap(line, 0)
                continue
            }
            synopsis = 0
            if (sub_mode && line ~ /^[^ ].*:$/) {                # a heading inside a command
                close_block()
                print ".PP"
                print ".B \"" esc(line) "\""
                print ".nf"
                open = 1
                continue
            }
            if (sub_mode && line ~ /^[^ ]/) {                    # the command'"'"'s paragraph: filled
                close_block()
                if (!para) print ".PP"
                para = 1
                print esc(line)
                continue
            }
            if (line ~ /^ *$/) para = 0
            if (line ~ /^[^ ].*:$/) {                            # a heading
                close_block()
                h = substr(line, 1, length(line) - 1)
                print ".SS \"" toupper(substr(h, 1, 1)) substr(h, 2) "\""
                print ".nf"
                open = 1
                continue
            }
            if (!open) { print ".nf"; open = 1 }
            sub(/^  /, "", line)
            if (line ~ /^ *$/) { put_entry(); flush(); if (seen) out(""); continue }
            seen = 1
            lead = lead_of(line)
            if (lead >= 8) {                                     # continues a description
                if (entry != "") {                               # of the entry above: one line
                    sub(/^ +/, "", line)
                    entry = entry " " line
                    continue
                }
                if (nwords && lead != plead) flush()
                plead = lead
                n = split(line, w, " ")
                for (i = 1; i <= n; i++) words[++nwords] = w[i]
                continue
            }
            put_entry()
            flush()
            entry = line
            elead = lead
        }
        close_block()
    }'
}

# Each command's own help (`rnnc help NAME`), in the order of the usage's command list.
roff_commands() {
    for name in $(printf '%s\n' "$usage" | awk '/^commands:/ { f = 1; next } f && /^ *$/ { exit } f { print $1 }'); do
        text=$("$rnnc" help "$name")
        [ -n "$text" ] || { echo "man.sh: '$rnnc help $name' printed nothing" >&2; exit 1; }
        printf '.SS "rnnc %s"\n' "$name"
        roff_usage "$text" 1
    done
}

while IFS= read -r line || [ -n "$line" ]; do
    case $line in
    @USAGE@) roff_usage "$usage" ;;
    @COMMANDS@) roff_commands ;;
    *@VERSION@*) printf '%s\n' "$line" | sed "s/@VERSION@/$version/g" ;;
    *) printf '%s\n' "$line" ;;
    esac
done <"$template"
