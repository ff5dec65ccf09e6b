#!/usr/bin/env bash
# tests/lib/include_graph.sh [--check]: the dependency graph between rnnc's folders, computed
# from the #include "..." lines of their .c and .h files.  The folders, in their order:
#
#     runtime/base <- gen <- runtime/jit <- runtime/model <- runtime/formats <- runtime/commands
#
# a folder may include from itself and from those before it ("up" the list); templates/ (the C
# the generator fills in, which runtime/model and runtime/commands include for the ABI and the
# hand-written BPTT's interface) and tests/ stand aside.  Prints one line per folder,
# "FOLDER -> FOLDER, FOLDER, ..." (its dependencies in list order, then templates).  With
# --check it prints instead every include that points down the list or into a folder the list
# does not know, as FILE:LINE: ..., and exits 1 if there is any (0 otherwise).
set -u
cd "$(dirname "$0")/../.." || exit 2
order=(runtime/base gen runtime/jit runtime/model runtime/formats runtime/commands)
check=0
[ "${1-}" = --check ] && check=1

# Every include line as "FILE<TAB>LINE<TAB>TARGET", TARGET resolved against FILE's directory.
includes() {
    local d
    for d in "${order[@]}"; do
        grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$d"/*.c "$d"/*.h 2>/dev/null
    done | awk -F: '{
        file = $1; line = $2; text = substr($0, length($1) + length($2) + 3)
        sub(/^[^"]*"/, "", text); sub(/".*$/, "", text)
        n = split(file, parts, "/"); path = ""
        for (i = 1; i < n; i++) path = path parts[i] "/"
        path = path text
        # normalise "a/b/../c" and "./"
        m = split(path, seg, "/"); k = 0
        for (i = 1; i <= m; i++) {
            if (seg[i] == "." || seg[i] == "") continue
            if (seg[i] == ".." && k > 0 && out[k] != "..") { k--; continue }
            out[++k] = seg[i]
        }
        path = ""
        for (i = 1; i <= k; i++) path = path (i > 1 ? "/" : "") out[i]
        print file "\t" line "\t" path
    }'
}

# The position of a path's folder in the order (0-based), "T" for templates/, or "?".
folder_rank() {
    local dir=${1%/*} i
    [ "$dir" = templates ] && { echo T; return; }
    for i in "${!order[@]}"; do [ "$dir" = "${order[$i]}" ] && { echo "$i"; return; }; done
    echo "?"
}

bad=0
declare -A edges
while IFS=$'\t' read -r file line target; do
    from=$(folder_rank "$file")
    to=$(folder_rank "$target")
    if [ "$to" = "?" ] || { [ "$to" != T ] && [ "$to" -gt "$from" ]; }; then
        if [ $check = 1 ]; then
            echo "$file:$line: includes $target: ${order[$from]} may include only itself, the folders before it and templates/"
        fi
        bad=1
    fi
    [ "$to" = "?" ] && continue
    [ "$to" = "$from" ] && continue
    edges[$from]="${edges[$from]-} $to"
done < <(includes)

if [ $check = 1 ]; then
    exit $bad
fi
for i in "${!order[@]}"; do
    deps=()
    for j in "${!order[@]}"; do
        case " ${edges[$i]-} " in *" $j "*) deps+=("${order[$j]}") ;; esac
    done
    case " ${edges[$i]-} " in *" T "*) deps+=("templates") ;; esac
    line=$(IFS=,; echo "${deps[*]-}" | sed 's/,/, /g')
    printf '%-17s -> %s\n' "${order[$i]}" "${line:-(nothing: libc only)}"
done
exit $bad
