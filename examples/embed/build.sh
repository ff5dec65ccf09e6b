#!/usr/bin/env bash
# examples/embed/build.sh RNNC CKPT DIR [--check README | --update README]
#
# The embedding example of examples/README.md, end to end (`make examples` runs it with
# out/examples.ckpt and examples/embed; tests/suites/examples.sh with a fresh checkpoint in a
# temporary directory):
#   1. CKPT, unless it exists: `RNNC train --hidden 64 --steps 3000` on the built-in corpus;
#   2. `RNNC embed CKPT -o DIR --name demo_model`;
#   3. the host program DIR/demo (main.c and demo_model.c, cc -std=c99 -Wall -Wextra -pedantic
#      -Werror -O2) and DIR/demo-float (the same with -DDEMO_MODEL_SAMPLE_FLOAT=1): each prints
#      `demo 300 7 0.8`, which must be the bytes of `RNNC sample CKPT -n 300 --seed 7
#      --temperature 0.8`;
#   4. with arm-none-eabi-gcc, newlib and qemu-system-arm: the same program for a Cortex-M4
#      (cortex-m4/startup.c and link.ld: an STM32F405, QEMU's netduinoplus2), sampling in
#      double and in float, each run under QEMU with semihosting and compared the same way;
#      the float one must contain no double routine;
#   5. the figures examples/README.md quotes, written to DIR/figures.md: the host object's size
#      and what it is made of, the math functions, and the Cortex-M4 flash and RAM of the model
#      object and of the program, in double and in float;
#   6. --check README: each part of the figures (host, Cortex-M4) must equal the one in README
#      between the lines "<!-- figures: ... -->" and "<!-- end of figures -->", unless README's
#      part is for another compiler than this machine's (then skipped, saying so);
#      --update README: rewrite those parts of README with the figures of this machine.
# Prints "ok examples/CASE", "FAIL examples/CASE: why" or "skip examples/CASE: why" (the
# protocol of tests/run.sh); exit status 1 if a case failed, 2 on bad usage.
set -u
usage() {
    echo "usage: examples/embed/build.sh RNNC CKPT DIR [--check README | --update README]" >&2
    exit 2
}
[ $# -eq 3 ] || [ $# -eq 5 ] || usage
RNNC=$1 CKPT=$2 DIR=$3 MODE=${4:-} README=${5:-}
case $MODE in "" | --check | --update) ;; *) usage ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
failed=0
ok() { echo "ok examples/$1"; }
fail() {
    echo "FAIL examples/$1: $2"
    failed=1
}
skip() { echo "skip examples/$1: $2"; }
have() { command -v "$1" >/dev/null 2>&1; }
one_line() { head -c 400 "$1" | tr '\n' '~' | sed 's/~$//; s/~/\\n/g'; }
mkdir -p "$DIR" || exit 1
DIR=$(cd "$DIR" && pwd)

CFLAGS=(-std=c99 -Wall -Wextra -pedantic -Werror -O2)
FLOAT=(-DDEMO_MODEL_SAMPLE_FLOAT=1)
ARMFLAGS=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
ARMLINK=(-ffunction-sections -fdata-sections -nostartfiles --specs=nano.specs --specs=rdimon.specs
    -T "$HERE/cortex-m4/link.ld" -Wl,--gc-sections)
QEMU=(qemu-system-arm -M netduinoplus2 -display none -serial null -monitor none)
RUN=(300 7 0.8)   # COUNT SEED TEMPERATURE

# ---- 1, 2: the checkpoint and the pair ------------------------------------------------------
if [ ! -f "$CKPT" ]; then
    if ! "$RNNC" train --hidden 64 --steps 3000 --every 1000 --sample-every 0 --save "$CKPT" >"$DIR/train.out" 2>&1; then
        fail "train" "$(one_line "$DIR/train.out")"
        exit 1
    fi
fi
if ! "$RNNC" embed "$CKPT" -o "$DIR" --name demo_model >"$DIR/embed.out" 2>&1; then
    fail "embed" "$(one_line "$DIR/embed.out")"
    exit 1
fi
"$RNNC" sample "$CKPT" -n "${RUN[0]}" --seed "${RUN[1]}" --temperature "${RUN[2]}" >"$DIR/rnnc-sample.txt" 2>&1

# same NAME FILE [NOTE]: FILE holds the bytes of rnnc sample
same() {
    if cmp -s "$DIR/rnnc-sample.txt" "$2"; then
        ok "$1 (demo ${RUN[*]}: the $(wc -c <"$2") bytes of rnnc sample -n ${RUN[0]} --seed ${RUN[1]} --temperature ${RUN[2]}${3:+; $3})"
    else
        fail "$1" "$(cmp "$DIR/rnnc-sample.txt" "$2" 2>&1 | head -n 1)"
    fi
}

# ---- 3: the host program, sampling in double and in float -----------------------------------
host_ok=1
if cc "${CFLAGS[@]}" -c "$DIR/demo_model.c" -o "$DIR/demo_model.o" >"$DIR/cc.err" 2>&1 &&
    cc "${CFLAGS[@]}" -I"$DIR" -o "$DIR/demo" "$HERE/main.c" "$DIR/demo_model.o" -lm >>"$DIR/cc.err" 2>&1 &&
    cc "${CFLAGS[@]}" "${FLOAT[@]}" -I"$DIR" -o "$DIR/demo-float" "$HERE/main.c" "$DIR/demo_model.c" -lm \
        >>"$DIR/cc.err" 2>&1; then
    "$DIR/demo" "${RUN[@]}" >"$DIR/demo.txt" 2>&1
    same "host-demo-equals-rnnc-sample" "$DIR/demo.txt"
    "$DIR/demo-float" "${RUN[@]}" >"$DIR/demo-float.txt" 2>&1
    same "host-demo-float-equals-rnnc-sample" "$DIR/demo-float.txt"
else
    fail "host-build" "$(one_line "$DIR/cc.err")"
    host_ok=0
fi

# ---- 4: the Cortex-M4 program under QEMU -----------------------------------------------------
m4_ok=0
if ! have arm-none-eabi-gcc || ! have arm-none-eabi-size; then
    skip "cortex-m4" "arm-none-eabi-gcc is not installed (apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi)"
elif ! echo 'int main(void){return 0;}' | arm-none-eabi-gcc "${ARMFLAGS[@]}" --specs=nano.specs --specs=rdimon.specs \
    -x c - -o "$DIR/probe.elf" >/dev/null 2>&1; then
    skip "cortex-m4" "newlib for arm-none-eabi is not installed (apt-get install libnewlib-arm-none-eabi)"
elif ! have qemu-system-arm || ! qemu-system-arm -M help 2>/dev/null | grep -q '^netduinoplus2 '; then
    skip "cortex-m4" "qemu-system-arm with the netduinoplus2 machine is not installed (apt-get install qemu-system-arm)"
else
    m4_ok=1
    for v in double float; do
        fl=()
        [ $v = float ] && fl=("${FLOAT[@]}")
        if ! arm-none-eabi-gcc "${CFLAGS[@]}" "${ARMFLAGS[@]}" "${fl[@]}" -fstack-usage -c "$DIR/demo_model.c" \
            -o "$DIR/demo_model-m4-$v.o" >"$DIR/m4.err" 2>&1 ||
            ! arm-none-eabi-gcc "${CFLAGS[@]}" "${ARMFLAGS[@]}" "${fl[@]}" "${ARMLINK[@]}" -I"$DIR" -o "$DIR/demo-m4-$v.elf" \
                "$HERE/cortex-m4/startup.c" "$HERE/main.c" "$DIR/demo_model.c" -lm >>"$DIR/m4.err" 2>&1; then
            fail "cortex-m4-$v-build" "$(one_line "$DIR/m4.err")"
            m4_ok=0
            continue
        fi
        args=$(printf ',arg=%s' demo "${RUN[@]}")
        start=$(date +%s%N)
        timeout -k 5 120 "${QEMU[@]}" -semihosting-config "enable=on,target=native$args" -kernel "$DIR/demo-m4-$v.elf" \
            >"$DIR/demo-m4-$v.txt" 2>"$DIR/qemu-$v.err"
        rc=$?
        ms=$((($(date +%s%N) - start) / 1000000))
        secs=$((ms / 1000)).$(printf '%03d' $((ms % 1000)) | cut -c1)
        if [ $rc != 0 ] || [ -s "$DIR/qemu-$v.err" ]; then
            fail "cortex-m4-$v-runs" "qemu exit status $rc: $(one_line "$DIR/qemu-$v.err")"
            m4_ok=0
        else
            same "cortex-m4-$v-equals-rnnc-sample" "$DIR/demo-m4-$v.txt" "under QEMU netduinoplus2, ${secs} s"
        fi
    done
    # software double routines and double libm functions
    soft='^(__aeabi_(d[a-z0-9]*|cd[a-z0-9]*|f2d|i2d|ui2d|l2d|ul2d)|__ieee754_(exp|log|pow)|exp|log|pow)$'
    if [ -f "$DIR/demo-m4-float.elf" ]; then
        dbl=$(arm-none-eabi-nm "$DIR/demo-m4-float.elf" | awk '{ print $NF }' | grep -E "$soft" | tr '\n' ' ')
        if [ -z "$dbl" ]; then
            ok "cortex-m4-float-has-no-double-routine"
        else
            fail "cortex-m4-float-has-no-double-routine" "demo-m4-float.elf contains $dbl"
        fi
    fi
fi

# ---- 5: the figures ---------------------------------------------------------------------------
# size_line TOOL FILE: the numbers of `size FILE` (text data bss dec hex) and the file's name
size_line() { (cd "$(dirname "$2")" && "$1" "$(basename "$2")" | tail -n 1); }
# section_sum TOOL FILE REGEX: total size of the sections whose names match
section_sum() { "$1" -A "$2" | awk -v re="$3" '$1 ~ re { s += $2 } END { print s + 0 }'; }
# sym_size NM FILE SYMBOL
sym_size() { "$1" -S -t d "$2" | awk -v s="$3" '$4 == s { print $2 + 0 }'; }
# macro NAME [CFLAG...]: a macro of demo_model.h as the preprocessor sees it
macro() {
    local m=$1
    shift
    printf '#include "demo_model.h"\n%s\n' "$m" | cc -std=c99 "$@" -E -P -I"$DIR" - | tail -n 1
}
sizes_c() {
    printf '#include <stdio.h>\n#include "demo_model.h"\nint main(void) { printf("%%lu %%lu %%lu %%lu %%lu\\n", (unsigned long)DEMO_MODEL_WEIGHTS_BYTES, (unsigned long)DEMO_MODEL_STATE_BYTES, (unsigned long)DEMO_MODEL_N_IN, (unsigned long)DEMO_MODEL_HIDDEN, (unsigned long)DEMO_MODEL_N_OUT); return 0; }\n' >"$DIR/sizes.c"
    cc -std=c99 "$@" -I"$DIR" -o "$DIR/sizes" "$DIR/sizes.c" && "$DIR/sizes"
}
host_part() {
    local text data bss wbytes sbytes sfbytes nin h nout vocab rodata code eh other
    read -r wbytes sbytes nin h nout < <(sizes_c)
    read -r _ sfbytes _ < <(sizes_c "${FLOAT[@]}")
    rodata=$(section_sum size "$DIR/demo_model.o" '^\.rodata')
    code=$(section_sum size "$DIR/demo_model.o" '^\.text')
    eh=$(section_sum size "$DIR/demo_model.o" '^\.eh_frame')
    vocab=$(sym_size nm "$DIR/demo_model.o" demo_model_vocab)
    other=$((rodata - wbytes - vocab))
    echo "Host: $(cc --version | head -n 1), $(uname -m); \`cc ${CFLAGS[*]} -c demo_model.c\`:"
    echo
    echo '```'
    size_line size "$DIR/demo_model.o"
    echo '```'
    echo
    echo "| in demo_model.o | bytes |"
    echo "|---|---:|"
    echo "| \`text\`: the weights, \`demo_model_params\` (\`DEMO_MODEL_WEIGHTS_BYTES\`: U ${h}x${nin}, W ${h}x${h}, V ${nout}x${h}, b ${h}, c ${nout}) | $wbytes |"
    echo "| \`text\`: the vocabulary, \`demo_model_vocab\` ($nin symbols) | $vocab |"
    echo "| \`text\`: other read-only data (constants, alignment) | $other |"
    echo "| \`text\`: code, the five functions (\`.text\`) | $code |"
    echo "| \`text\`: unwinding tables (\`.eh_frame\`) | $eh |"
    echo "| \`data\`, \`bss\` | $(size_line size "$DIR/demo_model.o" | awk '{ print $2 + $3 }') |"
    echo "| the caller's state per stream, \`DEMO_MODEL_STATE_BYTES\` (with \`DEMO_MODEL_SAMPLE_FLOAT\`) | $sbytes ($sfbytes) |"
    echo
    echo "\`DEMO_MODEL_MATH_FUNCTIONS\`: $(macro DEMO_MODEL_MATH_FUNCTIONS); with \`DEMO_MODEL_SAMPLE_FLOAT\`:" \
        "$(macro DEMO_MODEL_MATH_FUNCTIONS "${FLOAT[@]}").  \`nm -u demo_model.o\`: $(nm -u "$DIR/demo_model.o" |
            awk '{ print $NF }' | sort | tr '\n' ' ' | sed 's/ $//')."
}
# stack FILE.su FUNCTION: its stack use in bytes (-fstack-usage)
stack() { awk -F'\t' -v f="$2" '$1 ~ ":" f "$" { print $2 }' "$1"; }
m4_part() {
    local v o e t d b row1 row2 row3 row4 row5 row6 soft
    echo "Cortex-M4: $(arm-none-eabi-gcc --version | head -n 1), newlib-nano" \
        "$(printf '#include <newlib.h>\n_NEWLIB_VERSION\n' | arm-none-eabi-gcc -E -P -x c - | tail -n 1 | tr -d '"');" \
        "\`${ARMFLAGS[*]} -O2\`; the program with \`--specs=nano.specs --specs=rdimon.specs\`," \
        "\`-ffunction-sections -fdata-sections -Wl,--gc-sections\` and cortex-m4/startup.c, link.ld:"
    echo
    echo '```'
    echo "$(size_line arm-none-eabi-size "$DIR/demo_model-m4-double.o" | sed 's/^\(.*\)\t.*$/\1/')	demo_model.o (sampling in double)"
    echo "$(size_line arm-none-eabi-size "$DIR/demo_model-m4-float.o" | sed 's/^\(.*\)\t.*$/\1/')	demo_model.o (DEMO_MODEL_SAMPLE_FLOAT=1)"
    echo "$(size_line arm-none-eabi-size "$DIR/demo-m4-double.elf" | sed 's/^\(.*\)\t.*$/\1/')	demo.elf (sampling in double)"
    echo "$(size_line arm-none-eabi-size "$DIR/demo-m4-float.elf" | sed 's/^\(.*\)\t.*$/\1/')	demo.elf (DEMO_MODEL_SAMPLE_FLOAT=1)"
    echo '```'
    echo
    echo "| Cortex-M4 | sampling in double | in float (\`DEMO_MODEL_SAMPLE_FLOAT=1\`) |"
    echo "|---|---:|---:|"
    for v in double float; do
        o=$DIR/demo_model-m4-$v.o
        e=$DIR/demo-m4-$v.elf
        read -r t d b _ < <(size_line arm-none-eabi-size "$o")
        row1+=" | $((t + d))"
        row2+=" | $(section_sum arm-none-eabi-size "$o" '^\.text')"
        row3+=" | $((d + b))"
        row4+=" | $(stack "$DIR/demo_model-m4-$v.su" demo_model_step) / $(stack "$DIR/demo_model-m4-$v.su" "demo_model_sample(_f)?")"
        read -r t d b _ < <(size_line arm-none-eabi-size "$e")
        row5+=" | $((t + d))"
        row6+=" | $((d + b))"
    done
    echo "| model object: flash (text + data) | ${row1# | } |"
    echo "| of which code (\`.text\`) | ${row2# | } |"
    echo "| model object: RAM (data + bss) | ${row3# | } |"
    echo "| stack of demo_model_step / demo_model_sample (\`-fstack-usage\`) | ${row4# | } |"
    echo "| program: flash (text + data) | ${row5# | } |"
    echo "| program: static RAM (data + bss; then heap and stack) | ${row6# | } |"
    soft=$(arm-none-eabi-nm "$DIR/demo-m4-double.elf" | awk '$2 ~ /^[tTwW]$/ { print $3 }' |
        grep -E '^(__aeabi_(d[a-z0-9]*|cd[a-z0-9]*|f2d|i2d|ui2d|l2d|ul2d)|__ieee754_(exp|log|pow)|exp|log|pow|strtod|_strtod_r)$' |
        sort | tr '\n' ' ' | sed 's/ $//')
    echo
    echo "Double functions in the double program, none in the float one: $soft."
}
{
    echo "<!-- figures: generated by examples/embed/build.sh (make examples); tests/suites/examples.sh checks them -->"
    if [ $host_ok = 1 ]; then host_part; else echo "Host: not built"; fi
    echo
    if [ $m4_ok = 1 ]; then m4_part; else echo "Cortex-M4: not built"; fi
    echo "<!-- end of figures -->"
} >"$DIR/figures.md" 2>"$DIR/figures.err"
if [ -s "$DIR/figures.err" ]; then
    fail "figures" "$(one_line "$DIR/figures.err")"
fi

# ---- 6: README's figures ----------------------------------------------------------------------
# part FILE WHICH: the lines of the figures in FILE from the line starting WHICH ("Host:",
# "Cortex-M4:") to the next blank line before another part or the end marker
part() {
    awk -v which="$2" '
        /^<!-- figures:/ { inside = 1; next }
        /^<!-- end of figures -->/ { inside = 0 }
        !inside { next }
        /^(Host|Cortex-M4):/ { on = index($0, which) == 1 }
        on { print }' "$1" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}
if [ -n "$MODE" ]; then
    if [ ! -f "$README" ] || ! grep -q '^<!-- figures:' "$README" || ! grep -q '^<!-- end of figures -->' "$README"; then
        fail "readme-figures" "$README has no block <!-- figures: ... --> ... <!-- end of figures -->"
        exit 1
    fi
fi
if [ "$MODE" = --check ]; then
    for which in Host: Cortex-M4:; do
        name=readme-figures-${which%:}
        ours=$(part "$DIR/figures.md" "$which")
        theirs=$(part "$README" "$which")
        if [[ $ours == *": not built" ]]; then
            skip "$name" "not built here (see above)"
        elif [ "$(head -n 1 <<<"$ours" | cut -d';' -f1)" != "$(head -n 1 <<<"$theirs" | cut -d';' -f1)" ]; then
            skip "$name" "$README quotes '$(head -n 1 <<<"$theirs" | cut -d';' -f1 | cut -c1-100)', this machine has '$(head -n 1 <<<"$ours" | cut -d';' -f1 | cut -c1-100)'"
        elif [ "$ours" = "$theirs" ]; then
            ok "$name ($(wc -l <<<"$ours") lines of $README are this build's)"
        else
            fail "$name" "$README is stale (make examples-figures rewrites it): $(diff <(echo "$theirs") <(echo "$ours") | grep '^[<>]' | head -n 4 | tr '\n' ' ' | cut -c1-400)"
        fi
    done
elif [ "$MODE" = --update ]; then
    new=$DIR/README.new
    {
        sed -n '1,/^<!-- figures:/p' "$README"
        for which in Host: Cortex-M4:; do
            p=$(part "$DIR/figures.md" "$which")
            [[ $p == *": not built" ]] && p=$(part "$README" "$which")
            [ "$which" = Cortex-M4: ] && echo
            printf '%s\n' "$p"
        done
        sed -n '/^<!-- end of figures -->/,$p' "$README"
    } >"$new" && mv "$new" "$README" && ok "readme-figures-updated ($README)"
fi
exit $failed
