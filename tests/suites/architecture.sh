#!/usr/bin/env bash
# tests/suites/architecture.sh: the folders depend on each other in one direction only, as
# README's "How rnnc is built" says: every #include between runtime/base, gen, runtime/jit,
# runtime/model, runtime/formats and runtime/commands points up that list (templates/ aside;
# tests/lib/include_graph.sh --check names any that does not); every folder of runtime/ is in
# the list; and README shows the graph the includes give today.
. "$(dirname "$0")/../lib/suite.sh" architecture

if out=$(tests/lib/include_graph.sh --check 2>&1); then
    ok includes-point-up
else
    fail includes-point-up "$(printf '%s' "$out" | tr '\n' '|')"
fi

graph=$(tests/lib/include_graph.sh 2>&1)
missing=()
for d in runtime/*/; do
    d=${d%/}
    grep -q "^$d " <<<"$graph" || missing+=("$d")
done
if [ ${#missing[@]} -eq 0 ]; then
    ok every-runtime-folder-in-the-order
else
    fail every-runtime-folder-in-the-order "not in tests/lib/include_graph.sh's order: ${missing[*]}"
fi

stale=()
while IFS= read -r line; do
    grep -qxF -- "$line" README.md || stale+=("$line")
done <<<"$graph"
if [ ${#stale[@]} -eq 0 ]; then
    ok readme-shows-the-graph
else
    fail readme-shows-the-graph "README.md lacks the line(s): $(printf '%s|' "${stale[@]}")(paste the output of tests/lib/include_graph.sh)"
fi
suite_end
