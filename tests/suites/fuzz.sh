#!/usr/bin/env bash
# tests/suites/fuzz.sh: a CI-sized round of the libFuzzer targets (tests/fuzz/, one per
# parser: spec, ckpt, safetensors, csv, text, plot, hand): builds them (make fuzz-bin, clang
# with -fsanitize=fuzzer,address,undefined), runs each for ${FUZZ_SECONDS:-30} s, two at a
# time (7 targets: 4 rounds, about 2 minutes on 2 cores, plus the first build), on seeds
# made by rnnc (tests/fuzz/seeds.sh) in a fresh corpus, then replays tests/fuzz/regressions/.
# Skipped, with the reason, when clang or its fuzzer runtime (Debian: libclang-rt-14-dev) is
# missing.  Lines: tests/fuzz/run.sh's "ok fuzz/TARGET: N executions ..." / "FAIL ...".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), FUZZ_SECONDS, FUZZ_JOBS.
. "$(dirname "$0")/../lib/suite.sh" fuzz
FUZZ_CC=${FUZZ_CC:-clang}

if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
    skip all "$FUZZ_CC not installed (Debian: apt-get install clang libclang-rt-14-dev)"
    suite_end
fi
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$tmp/probe.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$tmp/probe" "$tmp/probe.c" >"$tmp/probe.err" 2>&1; then
    skip all "$FUZZ_CC cannot link -fsanitize=fuzzer (Debian: apt-get install libclang-rt-14-dev): $(head -c 200 "$tmp/probe.err" | tr '\n' ' ')"
    suite_end
fi
if ! make --no-print-directory FUZZ_CC="$FUZZ_CC" fuzz-bin >"$tmp/build.log" 2>&1; then
    fail build "make fuzz-bin failed: $(grep -m3 -E 'error|Error' "$tmp/build.log" | tr '\n' ' ' | head -c 400)"
    suite_end
fi
ok "build: $(ls out/fuzz/fuzz_* | wc -l) targets built"
tests/fuzz/run.sh --seconds "${FUZZ_SECONDS:-30}" --jobs "${FUZZ_JOBS:-2}" --corpus "$tmp/corpus" \
    --keep "$tmp/findings" "$RNNC"
rc=$?
# A finding is kept for the developer: copy it out of the scratch directory before it goes.
if [ $rc -ne 0 ] && [ -n "$(ls -A "$tmp/findings" 2>/dev/null)" ]; then
    mkdir -p out/fuzz/findings && cp -r "$tmp/findings/." out/fuzz/findings/
    echo "# findings copied to out/fuzz/findings/ (add each input to tests/fuzz/regressions/TARGET/ once fixed)"
fi
exit $rc
