#!/usr/bin/env bash
# tests/suites/bad_inputs.sh: every bad input to rnnc is rejected the same way:
#   exit status 2, exactly one line on stderr naming the option (e.g. "--hidden") or the
#   spec file's FILE:LINE, nothing on stdout, and nothing written: neither in the -o
#   directory (a fresh empty one per case) nor in the working directory (also fresh).
# Prints "ok bad-input/CASE" or "FAIL bad-input/CASE: got status N, stderr: ...".
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory).
. "$(dirname "$0")/../lib/suite.sh" bad-input
ncases=0

# bad CASE EXPECT ARG...: run rnnc ARG... and check the rejection.  EXPECT lists what the
# stderr line must contain, alternatives separated by '|'.  In ARG, @OUT stands for the
# case's fresh output directory; for "gen" commands without an explicit -o, "-o @OUT" is
# added right after the command.  Spec files live outside both checked directories.
bad() {
    local name=$1 expect=$2
    shift 2
    local dir=$tmp/cases/$name
    mkdir -p "$dir/out" "$dir/cwd"
    local args=() a has_o=0
    for a in "$@"; do
        [ "$a" = -o ] && has_o=1
        args+=("${a//@OUT/$dir/out}")
    done
    if [ "${args[0]:-}" = gen ] && [ $has_o = 0 ]; then
        args=(gen -o "$dir/out" "${args[@]:1}")
    fi
    (cd "$dir/cwd" && exec "$RNNC" "${args[@]}") >"$dir/stdout" 2>"$dir/stderr"
    local rc=$?
    ncases=$((ncases + 1))
    local why=()
    [ $rc -eq 2 ] || why+=("expected status 2")
    local lines
    lines=$(wc -l <"$dir/stderr")
    if [ "$lines" -ne 1 ] || [ -n "$(tail -c 1 "$dir/stderr")" ]; then
        why+=("expected exactly one line on stderr, got $lines newline(s)")
    fi
    local alt found=0 IFS_save=$IFS
    IFS='|'
    for alt in $expect; do
        grep -qF -- "$alt" "$dir/stderr" && found=1
    done
    IFS=$IFS_save
    [ $found = 1 ] || why+=("stderr does not name '$expect'")
    # Every message is valid UTF-8, whatever bytes the input held (rnnc_fail escapes them).
    if command -v iconv >/dev/null 2>&1 && ! iconv -f UTF-8 -t UTF-8 "$dir/stderr" >/dev/null 2>&1; then
        why+=("stderr is not valid UTF-8")
    fi
    [ -s "$dir/stdout" ] && why+=("stdout not empty: $(head -c 100 "$dir/stdout" | tr '\n' ' ')")
    [ -z "$(ls -A "$dir/out")" ] || why+=("wrote into the -o directory: $(ls -A "$dir/out" | tr '\n' ' ')")
    [ -z "$(ls -A "$dir/cwd")" ] || why+=("wrote into the working directory: $(ls -A "$dir/cwd" | tr '\n' ' ')")
    if [ ${#why[@]} -eq 0 ]; then
        echo "ok bad-input/$name"
    else
        local msg
        msg=$(head -c 400 "$dir/stderr" | sed -n '1,3p' | tr '\n' '~' | sed 's/~$//; s/~/\\n/g')
        local reasons
        reasons=$(printf '%s; ' "${why[@]}")
        echo "FAIL bad-input/$name: got status $rc, stderr: $msg (${reasons%; })"
        failed=1
    fi
}

# ---- Sizes: zero, negative, non-numeric, fractional, empty, huge, over the limit. ----
# set_base OPT VALUE: words=(the arguments of a valid model with OPT set to VALUE).
set_base() {
    case $1 in
    vocab) words=(--vocab "$2" --hidden 3 --tau 2) ;;
    in) words=(--in "$2" --out 2 --hidden 3 --tau 2) ;;
    out) words=(--in 2 --out "$2" --hidden 3 --tau 2) ;;
    hidden) words=(--vocab 5 --hidden "$2" --tau 2) ;;
    tau) words=(--vocab 5 --hidden 3 --tau "$2") ;;
    batch) words=(--vocab 5 --hidden 3 --tau 2 --batch "$2") ;;
    esac
}
limit() {
    case $1 in tau) echo 10001 ;; batch) echo 4097 ;; *) echo 65537 ;; esac
}
for opt in vocab in out hidden tau batch; do
    for kv in "zero=0" "negative=-1" "nonnumeric=abc" "fraction=2.5" "hex=0x10" "plus=+3" \
        "space= 3" "empty=" "huge=99999999999999999999" "2pow64=18446744073709551616" \
        "over-limit=$(limit $opt)"; do
        set_base $opt "${kv#*=}"
        bad "$opt-${kv%%=*}" "--$opt" gen "${words[@]}"
    done
    # The same value given as --opt=value.
    set_base $opt @V@
    eq=()
    for w in "${words[@]}"; do
        case $w in --$opt) ;; @V@) eq+=("--$opt=0") ;; *) eq+=("$w") ;; esac
    done
    bad "$opt-zero-equals" "--$opt" gen "${eq[@]}"
done
# Sizes whose buffers exceed the documented limit (4 GiB per buffer); the message may name
# any of the sizes involved.
SIZES="--vocab|--in|--out|--hidden|--tau|--batch"
bad buffer-vocab-hidden-tau "$SIZES" gen --vocab 65536 --hidden 65536 --tau 10000
bad buffer-hidden "$SIZES" gen --vocab 2 --hidden 40000 --tau 1
bad buffer-in "$SIZES" gen --in 65536 --out 2 --hidden 20000 --tau 1
bad buffer-out "$SIZES" gen --in 2 --out 65536 --hidden 20000 --tau 1
bad buffer-tau "$SIZES" gen --vocab 2 --hidden 4096 --tau 10000 --batch 64
bad buffer-batch "$SIZES" gen --vocab 2 --hidden 1024 --tau 1000 --batch 4096
bad buffer-inputs "$SIZES" gen --in 65536 --out 2 --hidden 1 --tau 10000 --batch 4096
bad buffer-all-max "$SIZES" gen --in 65536 --out 65536 --hidden 65536 --tau 10000 --batch 4096

# ---- Missing and conflicting model options. ----
bad missing-hidden --hidden gen --vocab 5 --tau 2
bad missing-tau --tau gen --vocab 5 --hidden 3
bad missing-vocab "--vocab" gen --hidden 3 --tau 2
bad missing-out --out gen --in 3 --hidden 3 --tau 2
bad missing-in --in gen --out 3 --hidden 3 --tau 2
bad missing-everything "--vocab|--in|--out|--hidden|--tau" gen
bad vocab-and-in "--vocab|--in" gen --vocab 5 --in 3 --hidden 3 --tau 2
bad vocab-and-out "--vocab|--out" gen --vocab 5 --out 3 --hidden 3 --tau 2
bad vocab-and-in-out "--vocab|--in|--out" gen --vocab 5 --in 3 --out 3 --hidden 3 --tau 2
bad nll-one-class-vocab "--loss|--vocab" gen --vocab 1 --hidden 3 --tau 2
bad nll-one-class-out "--loss|--out" gen --in 2 --out 1 --hidden 3 --tau 2
bad option-twice --hidden gen --vocab 5 --hidden 3 --hidden 4 --tau 2

# ---- Unknown options and commands, bad enumerations, missing values. ----
bad unknown-option --bogus gen --vocab 5 --hidden 3 --tau 2 --bogus 1
bad unknown-option-equals --bogus gen --vocab 5 --hidden 3 --tau 2 --bogus=1
bad unknown-short-option "-x" gen --vocab 5 --hidden 3 --tau 2 -x
bad unknown-command frobnicate frobnicate --vocab 5 --hidden 3 --tau 2
bad gen-option-for-check -o check --vocab 5 --hidden 3 --tau 2 -o @OUT
bad act-bogus --act gen --vocab 5 --hidden 3 --tau 2 --act bogus
bad act-uppercase --act gen --vocab 5 --hidden 3 --tau 2 --act TANH
bad loss-bogus --loss gen --vocab 5 --hidden 3 --tau 2 --loss bogus
bad dtype-half --dtype gen --vocab 5 --hidden 3 --tau 2 --dtype half
bad fast-bogus --fast gen --vocab 5 --hidden 3 --tau 2 --fast=maybe
bad value-missing-at-end --tau gen --vocab 5 --hidden 3 --tau
bad value-missing-name --name gen --vocab 5 --hidden 3 --tau 2 --name
bad value-missing-o "-o" gen --vocab 5 --hidden 3 --tau 2 -o
bad value-missing-spec --spec gen --vocab 5 --hidden 3 --tau 2 --spec
bad value-empty-o "-o" gen --vocab 5 --hidden 3 --tau 2 -o ""

# ---- --recurrence and --feedback (the output-recurrent RNN, gen/EQUATIONS.md). ----
bad feedback-free-hidden --feedback gen --vocab 5 --hidden 3 --tau 2 --recurrence hidden --feedback free
bad feedback-scheduled-hidden --feedback gen --vocab 5 --hidden 3 --tau 2 --recurrence hidden --feedback scheduled
bad feedback-free-default-recurrence --feedback gen --vocab 5 --hidden 3 --tau 2 --feedback free
bad feedback-free-hidden-check --feedback check --vocab 5 --hidden 3 --tau 2 --feedback free
bad recurrence-bogus --recurrence gen --vocab 5 --hidden 3 --tau 2 --recurrence sideways
bad recurrence-uppercase --recurrence gen --vocab 5 --hidden 3 --tau 2 --recurrence OUTPUT
bad recurrence-empty --recurrence gen --vocab 5 --hidden 3 --tau 2 --recurrence=
bad recurrence-bogus-check --recurrence check --vocab 5 --hidden 3 --tau 2 --recurrence sideways
bad recurrence-bogus-train --recurrence train --vocab 5 --hidden 3 --tau 2 --steps 1 --recurrence sideways
bad feedback-bogus --feedback gen --vocab 5 --hidden 3 --tau 2 --recurrence output --feedback forced
bad feedback-bogus-both --feedback gen --vocab 5 --hidden 3 --tau 2 --recurrence both --feedback Free
bad recurrence-twice --recurrence gen --vocab 5 --hidden 3 --tau 2 --recurrence output --recurrence both
bad value-missing-recurrence --recurrence gen --vocab 5 --hidden 3 --tau 2 --recurrence
bad value-missing-feedback --feedback gen --vocab 5 --hidden 3 --tau 2 --recurrence output --feedback
bad recurrence-newline --recurrence gen --vocab 5 --hidden 3 --tau 2 --recurrence $'output\nx'

# ---- --name must be a plain, unreserved C identifier of at most 48 characters. ----
long200=$(printf 'a%.0s' $(seq 200))
long49=$(printf 'b%.0s' $(seq 49))
bad name-injection --name gen --vocab 5 --hidden 3 --tau 2 --name 'x;system(1)'
bad name-dash --name gen --vocab 5 --hidden 3 --tau 2 --name a-b
bad name-leading-digit --name gen --vocab 5 --hidden 3 --tau 2 --name 1abc
bad name-keyword --name gen --vocab 5 --hidden 3 --tau 2 --name int
bad name-keyword-while --name gen --vocab 5 --hidden 3 --tau 2 --name while
bad name-reserved --name gen --vocab 5 --hidden 3 --tau 2 --name _reserved
bad name-200-chars --name gen --vocab 5 --hidden 3 --tau 2 --name "$long200"
bad name-49-chars --name gen --vocab 5 --hidden 3 --tau 2 --name "$long49"
bad name-space --name gen --vocab 5 --hidden 3 --tau 2 --name 'foo bar'
bad name-empty --name gen --vocab 5 --hidden 3 --tau 2 --name ''
bad name-empty-equals --name gen --vocab 5 --hidden 3 --tau 2 --name=
# A value echoed back must not break the one-line message.
bad name-newline --name gen --vocab 5 --hidden 3 --tau 2 --name $'a\nb'
bad act-newline --act gen --vocab 5 --hidden 3 --tau 2 --act $'tanh\nx'
bad hidden-newline --hidden gen --vocab 5 --hidden $'3\n4' --tau 2
bad unknown-option-newline "unknown option" gen --vocab 5 --hidden 3 --tau 2 --$'a\nb'
bad name-non-ascii --name gen --vocab 5 --hidden 3 --tau 2 --name $'caf\xc3\xa9'
bad name-path --name gen --vocab 5 --hidden 3 --tau 2 --name ../evil
# Bytes that are not UTF-8 are shown as \xHH (C1 controls as \u00HH), so the line is valid
# text; well-formed UTF-8 is kept (the quoted EXPECT strings are the escapes themselves).
bad name-not-utf8 '\xff\xfe' gen --vocab 5 --hidden 3 --tau 2 --name $'ab\xff\xfe'
bad name-truncated-utf8 'caf\xc3' gen --vocab 5 --hidden 3 --tau 2 --name $'caf\xc3'
bad name-overlong-utf8 '\xc0\xaf' gen --vocab 5 --hidden 3 --tau 2 --name $'a\xc0\xafb'
bad name-utf8-surrogate '\xed\xa0\x80' gen --vocab 5 --hidden 3 --tau 2 --name $'a\xed\xa0\x80'
bad name-c1-control-csi '\u009b' gen --vocab 5 --hidden 3 --tau 2 --name $'a\xc2\x9b[2J'
bad name-utf8-kept "café" gen --vocab 5 --hidden 3 --tau 2 --name $'caf\xc3\xa9!'
bad unknown-option-not-utf8 '\xff' gen --vocab 5 --hidden 3 --tau 2 --$'\xff'
bad act-not-utf8 '\x80' gen --vocab 5 --hidden 3 --tau 2 --act $'\x80'
bad data-file-name-not-utf8 'nope\xff.txt' train --vocab 5 --hidden 3 --tau 2 --steps 1 $'nope\xff.txt'

# ---- Spec files: the message names FILE:LINE. ----
specs=$tmp/specs
mkdir -p "$specs"
printf 'vocab = 5\nhidden = 3\ntau 2\n' >"$specs/no-eq.spec"
bad spec-no-equals "$specs/no-eq.spec:3" gen "$specs/no-eq.spec"
printf 'vocab = 5\nhiden = 3\ntau = 2\n' >"$specs/unknown-key.spec"
bad spec-unknown-key "$specs/unknown-key.spec:2" gen --spec "$specs/unknown-key.spec"
printf 'vocab = 5\nhidden = three\ntau = 2\n' >"$specs/bad-value.spec"
bad spec-bad-value "$specs/bad-value.spec:2" gen "$specs/bad-value.spec"
printf 'vocab = 5\nhidden = 3\ntau = 2\nact = bogus\n' >"$specs/bad-act.spec"
bad spec-bad-act "$specs/bad-act.spec:4" gen "$specs/bad-act.spec"
printf 'vocab = 5\nhidden = 3\ntau = 2\nhidden = 4\n' >"$specs/twice.spec"
bad spec-key-twice "$specs/twice.spec:4" gen "$specs/twice.spec"
printf 'vocab = 5\nhidden = 3\ntau = 2\n' >"$specs/good.spec"
bad spec-and-option --hidden gen "$specs/good.spec" --hidden 4
bad spec-and-option-before --hidden gen --hidden 4 --spec "$specs/good.spec"
printf '# a comment\n\nvocab = 5   # trailing comment\n\nhidden = 3\n= 2\n' >"$specs/no-key.spec"
bad spec-no-key "$specs/no-key.spec:6" gen "$specs/no-key.spec"
printf 'vocab = 5\nhidden =\ntau = 2\n' >"$specs/empty-value.spec"
bad spec-empty-value "$specs/empty-value.spec:2" gen "$specs/empty-value.spec"
{
    printf 'vocab = 5\n# '
    printf 'x%.0s' $(seq 600)
    printf '\nhidden = 3\ntau = 2\n'
} >"$specs/long-line.spec"
bad spec-long-line "$specs/long-line.spec:2" gen "$specs/long-line.spec"
printf 'vocab = 5\nhidden = 3\ntau = 2\nname = a-b\n' >"$specs/bad-name.spec"
bad spec-bad-name "$specs/bad-name.spec:4" gen "$specs/bad-name.spec"
printf 'vocab = 5\nhidden = 3\ntau = 2\nrecurrence = sideways\n' >"$specs/bad-recurrence.spec"
bad spec-bad-recurrence "$specs/bad-recurrence.spec:4" gen "$specs/bad-recurrence.spec"
printf 'vocab = 5\nhidden = 3\ntau = 2\nrecurrence = output\nfeedback = forced\n' >"$specs/bad-feedback.spec"
bad spec-bad-feedback "$specs/bad-feedback.spec:5" gen "$specs/bad-feedback.spec"
printf 'vocab = 5\nhidden = 3\ntau = 2\nfeedback = free\n' >"$specs/feedback-hidden.spec"
bad spec-feedback-free-hidden --feedback gen "$specs/feedback-hidden.spec"
printf 'vocab = 5\nhidden = 3\n' >"$specs/no-tau.spec"
bad spec-missing-tau --tau gen "$specs/no-tau.spec"
bad spec-missing-file "$specs/does-not-exist.spec" gen --spec "$specs/does-not-exist.spec"
bad spec-missing-file-positional "$specs/nope.spec" gen "$specs/nope.spec" --vocab 5 --hidden 3 --tau 2
bad spec-is-directory "$specs" gen "$specs"
bad spec-two-files "$specs/twice.spec|$specs/good.spec" gen "$specs/good.spec" "$specs/twice.spec"
# A NUL byte is named as such (not as a long line), with the line it is on.
printf 'vocab = 5\nhid\0den = 3\ntau = 2\n' >"$specs/nul.spec"
bad spec-nul-byte "$specs/nul.spec:2: NUL byte" gen "$specs/nul.spec"
printf 'vocab = 5\nhidden = 3\ntau = 2\n\0' >"$specs/nul-last.spec"
bad spec-nul-byte-last-line "$specs/nul-last.spec:4: NUL byte" gen "$specs/nul-last.spec"
printf 'vocab = 5\nhidden = 3\xff\ntau = 2\n' >"$specs/not-utf8.spec"
bad spec-value-not-utf8 "$specs/not-utf8.spec:2|3\xff" gen "$specs/not-utf8.spec"
# A byte-order mark anywhere but at the start is part of the line (and refused).
printf 'vocab = 5\n\xef\xbb\xbfhidden = 3\ntau = 2\n' >"$specs/bom-line-2.spec"
bad spec-bom-on-line-2 "$specs/bom-line-2.spec:2" gen "$specs/bom-line-2.spec"

# ---- -o must be a directory (or creatable as one). ----
printf '' >"$tmp/regular-file"
bad o-regular-file "-o" gen --vocab 5 --hidden 3 --tau 2 -o "$tmp/regular-file"
if [ -s "$tmp/regular-file" ]; then
    echo "FAIL bad-input/o-regular-file-untouched: rnnc wrote into the regular file given as -o"
    failed=1
else
    echo "ok bad-input/o-regular-file-untouched"
fi
bad o-not-created-on-error --vocab gen --vocab 0 --hidden 3 --tau 2 -o @OUT/new
bad o-missing-parent "-o" gen --vocab 5 --hidden 3 --tau 2 -o "$tmp/no/such/parent/out"

# ---- rnnc check's own options. ----
bad check-backend-gcc --backend check --vocab 5 --hidden 3 --tau 2 --backend gcc
bad check-seed-negative --seed check --vocab 5 --hidden 3 --tau 2 --seed -1
bad check-seed-huge --seed check --vocab 5 --hidden 3 --tau 2 --seed 99999999999999999999
bad check-seed-nonnumeric --seed check --vocab 5 --hidden 3 --tau 2 --seed x1
bad check-max-entries-zero --max-entries check --vocab 5 --hidden 3 --tau 2 --max-entries 0
bad check-bad-spec --hidden check --vocab 5 --hidden 0 --tau 2
bad check-backend-for-gen --backend gen --vocab 5 --hidden 3 --tau 2 --backend tcc

# ---- --threads (train, bench). ----
bad train-threads-zero --threads train --vocab 5 --hidden 3 --tau 2 --steps 1 --threads 0
bad train-threads-huge --threads train --vocab 5 --hidden 3 --tau 2 --steps 1 --threads 65
bad train-threads-word --threads train --vocab 5 --hidden 3 --tau 2 --steps 1 --threads many
bad bench-threads-negative --threads bench --threads -2

# ---- The gated cells (--cell): what they do not combine with, one line each. ----
bad cell-unknown --cell gen --vocab 5 --hidden 3 --tau 2 --cell rnnx
bad cell-lstm-act --act gen --vocab 5 --hidden 3 --tau 2 --cell lstm --act relu
bad cell-gru-recurrence --recurrence gen --vocab 5 --hidden 3 --tau 2 --cell gru --recurrence output
bad cell-lstm-memory --memory gen --vocab 5 --hidden 3 --tau 9 --cell lstm --memory sqrt
bad cell-gru-segment --segment gen --vocab 5 --hidden 3 --tau 9 --cell gru --segment 3
bad cell-lstm-end-length --end gen --vocab 5 --hidden 3 --tau 3 --cell lstm --end length --max-length 4
bad cell-equations-expand --expand equations --vocab 5 --hidden 3 --tau 3 --cell gru --expand h1

# ---- Positive control: a valid command exits 0 and writes NAME.h and NAME.c. ----
ctl=$tmp/control
mkdir -p "$ctl/out"
(cd "$ctl" && exec "$RNNC" gen --vocab 5 --hidden 3 --tau 2 --name ctl -o "$ctl/out") >"$ctl/stdout" 2>"$ctl/stderr"
rc=$?
files=$(ls -A "$ctl/out" | sort | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$files" = "ctl.c ctl.h " ] && [ ! -s "$ctl/stderr" ]; then
    echo "ok bad-input/control-valid-command"
else
    echo "FAIL bad-input/control-valid-command: got status $rc, files: $files stderr: $(head -c 300 "$ctl/stderr")"
    failed=1
fi

# A leading UTF-8 byte-order mark (as some editors write) is skipped: the spec is accepted.
printf '\xef\xbb\xbfvocab = 5\r\nhidden = 3\r\ntau = 2\r\nname = bom\r\n' >"$specs/bom.spec"
mkdir -p "$ctl/bom"
"$RNNC" gen "$specs/bom.spec" -o "$ctl/bom" >"$ctl/bom.out" 2>"$ctl/bom.err"
rc=$?
if [ $rc -eq 0 ] && [ -s "$ctl/bom/bom.h" ] && [ -s "$ctl/bom/bom.c" ] && [ ! -s "$ctl/bom.err" ]; then
    echo "ok bad-input/control-spec-with-byte-order-mark-accepted"
else
    echo "FAIL bad-input/control-spec-with-byte-order-mark-accepted: status $rc, stderr: $(head -c 300 "$ctl/bom.err")"
    failed=1
fi

echo "# $ncases bad-input cases"
exit $failed
