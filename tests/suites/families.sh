#!/usr/bin/env bash
# tests/suites/families.sh: the runtime of the output-recurrent family (figure 10.4 of Deep
# Learning, section 10.2.1; issue 10), end to end on small corpora generated here: every
# recurrence x feedback learns (text, and a dense CSV with mse); tcc and cc give
# byte-identical checkpoints; resuming is bit-exact, scheduled sampling's draws and schedule
# included; rnnc info shows the family, the schedule and the carried state; rnnc eval reports
# the loss teacher-forced and free running; a version 1 checkpoint still loads, samples and
# resumes as the old rnnc did; bad inputs are refused with one line, exit 2, nothing written.
# Prints "ok families/CASE", "FAIL families/CASE: why" or "skip families/CASE: why"; exits 1
# if any case failed.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory), RNNC_CACHE_DIR (a private
# compile cache; a fresh one under the scratch directory when unset).
. "$(dirname "$0")/../lib/suite.sh" families
export RNNC_CACHE_DIR=${RNNC_CACHE_DIR:-$tmp/cache}
# Training runs here take longer than suite.sh's 120 s limit under load.
rn() { timeout -k 5 180 "$RNNC" "$@"; }
# info_get CKPT FIELD: a line of `rnnc info` (its value after "FIELD: ").
info_get() { rn info "$1" 2>/dev/null | sed -n "s/^$2: //p"; }
smoothed() { info_get "$1" loss | sed -n 's/^\([^ ,]*\) smoothed.*/\1/p'; }
last_loss() { info_get "$1" loss | sed -n 's/.* last \([^ ]*\)$/\1/p'; }
lt() {
    [[ $1 =~ ^[0-9.eE+-]+$ && $2 =~ ^[0-9.eE+-]+$ ]] || return 1
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'
}

# ---- corpora (as tests/suites/train.sh) ----
for i in $(seq 1 60); do echo "the cat sat on mat $((i % 5)). a dog ran to log $((i % 3))!"; done >"$tmp/text.txt"
awk 'BEGIN { print "sin,cos"; for (i = 0; i < 1000; i++) { t = i * 0.2; printf "%.6f,%.6f\n", sin(t), cos(t) } }' >"$tmp/wave.csv"
T=$tmp/text.txt
W=$tmp/wave.csv
M=(--hidden 32 --tau 16 --sample-every 0)

# ---- 1. every family learns ----
# learn NAME SMOOTH_MAX LAST_MAX ARG...: train 2000 steps; the smoothed and the last loss of
# `rnnc info` below the bounds.  The uniform model's loss is 16 ln 22 = 49.46 per sequence
# of 16 (text).  Measured (seed 1) when the smoothed loss still started from that value and
# carried 13.5% of it (0.999^2000); bias-corrected since issue 13, it is lower:
# output teacher 21.1 / 14.3 (it sees x(t) and e_y(t-1) = e_x(t): a bigram model), output
# free 13.3 / 6.3, output scheduled 19.4 / 10.3 (exp 19.3 / 10.3, sigmoid 18.7 / 10.3), both
# teacher 8.0 / 1.18, both free 8.1 / 1.19, both scheduled 8.0 / 1.17.
learn() {
    local name=$1 smax=$2 lmax=$3
    shift 3
    local ck=$tmp/learn-$name.ck why=()
    rn train "$@" --steps 2000 --every 1000 --save "$ck" >"$tmp/learn.out" 2>"$tmp/learn.err" ||
        why+=("exit status $?, stderr: $(one_line "$tmp/learn.err")")
    local s l
    s=$(smoothed "$ck")
    l=$(last_loss "$ck")
    lt "$s" "$smax" || why+=("smoothed loss '$s' not below $smax")
    lt "$l" "$lmax" || why+=("last loss '$l' not below $lmax")
    check "learn/$name" "${why[@]}"
}
for fb in teacher free scheduled; do
    learn "output-$fb-smoothed-below-30-last-below-20" 30 20 "${M[@]}" --recurrence output --feedback $fb "$T"
    learn "both-$fb-smoothed-below-14-last-below-5" 14 5 "${M[@]}" --recurrence both --feedback $fb "$T"
done
learn "output-scheduled-exp-smoothed-below-30-last-below-20" 30 20 "${M[@]}" --recurrence output \
    --feedback scheduled --schedule exp --schedule-k 0.999 "$T"
learn "output-scheduled-sigmoid-smoothed-below-30-last-below-20" 30 20 "${M[@]}" --recurrence output \
    --feedback scheduled --schedule sigmoid --schedule-k 100 "$T"
# Dense, mse (next row of sin, cos): the first loss is ~4; measured last 9e-5 (output teacher),
# 2e-5 (output free), 0.0096 (both scheduled).
D=(--hidden 16 --tau 8 --sample-every 0 --optim adam --lr 0.005)
learn "csv-output-teacher-last-below-0.05" 1.0 0.05 "${D[@]}" --recurrence output --feedback teacher "$W"
learn "csv-output-free-last-below-0.05" 1.0 0.05 "${D[@]}" --recurrence output --feedback free "$W"
learn "csv-both-scheduled-last-below-0.05" 1.0 0.05 "${D[@]}" --recurrence both --feedback scheduled "$W"

# ---- 2. tcc and cc give byte-identical checkpoints ----
for cfg in "output teacher" "output free" "output scheduled" "both free" "both scheduled"; do
    set -- $cfg
    d=$tmp/backends-$1-$2
    mkdir -p "$d"
    why=()
    for b in tcc cc; do
        rn train "${M[@]}" --batch 3 --recurrence "$1" --feedback "$2" --steps 300 --every 300 --backend $b \
            --save "$d/$b.ck" "$T" >"$d/$b.out" 2>"$d/$b.err" || why+=("--backend $b: $(one_line "$d/$b.err")")
    done
    cmp -s "$d/tcc.ck" "$d/cc.ck" || why+=("tcc and cc checkpoints differ: $(cmp "$d/tcc.ck" "$d/cc.ck" 2>&1)")
    check "backends/$1-$2-tcc-cc-300-steps-byte-identical" "${why[@]}"
done

# ---- 3. resuming is bit-exact: the carried s0 (h and fb), the schedule and its draws ----
# resume NAME ARG...: 100 steps, then on to 200 into the same file, against 200 at once.
resume() {
    local name=$1
    shift
    local d=$tmp/resume-$name why=()
    mkdir -p "$d"
    rn train "$@" --steps 100 --save "$d/C" "$T" >"$d/1.out" 2>"$d/1.err" || why+=("first run: $(one_line "$d/1.err")")
    rn train "$@" --steps 200 --resume "$d/C" --save "$d/C" "$T" >"$d/2.out" 2>"$d/2.err" || why+=("resumed run: $(one_line "$d/2.err")")
    rn train "$@" --steps 200 --save "$d/D" "$T" >"$d/3.out" 2>"$d/3.err" || why+=("straight run: $(one_line "$d/3.err")")
    cmp -s "$d/C" "$d/D" || why+=("100 + 100 steps differs from 200 steps: $(cmp "$d/C" "$d/D" 2>&1)")
    check "resume/$name" "${why[@]}"
}
resume "output-teacher-batch3-100+100-equals-200" "${M[@]}" --batch 3 --recurrence output
resume "both-free-batch3-100+100-equals-200" "${M[@]}" --batch 3 --recurrence both --feedback free
resume "output-scheduled-linear-100+100-equals-200" "${M[@]}" --batch 2 --recurrence output --feedback scheduled --schedule-k 150
resume "output-scheduled-exp-100+100-equals-200" "${M[@]}" --recurrence output --feedback scheduled --schedule exp --schedule-k 0.99
resume "both-scheduled-sigmoid-end-0.2-100+100-equals-200" "${M[@]}" --recurrence both --feedback scheduled \
    --schedule sigmoid --schedule-k 20 --schedule-end 0.2
# The schedule's defaults come from the --steps of the run that starts it and are saved: a
# resumed run without --schedule options continues the same schedule.
d=$tmp/schedule-saved
mkdir -p "$d"
why=()
rn train "${M[@]}" --recurrence output --feedback scheduled --schedule sigmoid --steps 100 --save "$d/C" "$T" >/dev/null 2>"$d/err" ||
    why+=("$(one_line "$d/err")")
k1=$(info_get "$d/C" schedule)
rn train --sample-every 0 --steps 150 --resume "$d/C" --save "$d/C" "$T" >/dev/null 2>"$d/err" || why+=("$(one_line "$d/err")")
k2=$(info_get "$d/C" schedule)
[ "${k1%% (*}" = "${k2%% (*}" ] && [ -n "$k1" ] || why+=("schedule '$k1' became '$k2'")
case $k1 in "sigmoid k 17.47"*) ;; *) why+=("--steps 100: expected the sigmoid k with k ln k = 50 (17.47...), got '$k1'") ;; esac
check "resume/schedule-defaults-saved-and-continued" "${why[@]}"

# ---- 4. rnnc info ----
ck=$tmp/learn-output-scheduled-exp-smoothed-below-30-last-below-20.ck
why=()
[ "$(info_get "$ck" recurrence)" = "output (output to hidden (figure 10.4))" ] || why+=("recurrence: '$(info_get "$ck" recurrence)'")
case $(info_get "$ck" feedback) in scheduled*) ;; *) why+=("feedback: '$(info_get "$ck" feedback)'") ;; esac
case $(info_get "$ck" schedule) in "exp k 0.999 end 0 (eps = 0.135"*) ;; *) why+=("schedule: '$(info_get "$ck" schedule)'") ;; esac
# s0: h(tau) of 1 x 32 and fb(tau) of 1 x 22 = 54 values.
[ "$(info_get "$ck" "carried state")" = "54 values: h(tau) of 1 x 32 and fb(tau) of 1 x 22 (batch x size)" ] ||
    why+=("carried state: '$(info_get "$ck" "carried state")'")
case $(info_get "$ck" spec) in *"recurrence=output feedback=scheduled "*) ;; *) why+=("spec: '$(info_get "$ck" spec)'") ;; esac
check "info/recurrence-feedback-schedule-carried-state" "${why[@]}"

# ---- 5. rnnc eval: teacher-forced and free running ----
ck=$tmp/learn-output-teacher-smoothed-below-30-last-below-20.ck
why=()
rn eval "$ck" "$T" >"$tmp/ev.t" 2>"$tmp/ev.err" || why+=("teacher: $(one_line "$tmp/ev.err")")
rn eval "$ck" "$T" --feedback free >"$tmp/ev.f" 2>"$tmp/ev.err" || why+=("free: $(one_line "$tmp/ev.err")")
nt=$(sed -n 's/^nll: \([^ ]*\) .*/\1/p' "$tmp/ev.t")
nf=$(sed -n 's/^nll: \([^ ]*\) .*/\1/p' "$tmp/ev.f")
bt=$(sed -n 's/^bits: \([^ ]*\) .*/\1/p' "$tmp/ev.t")
pt=$(sed -n 's/^perplexity: \([^ ]*\)$/\1/p' "$tmp/ev.t")
st=$(sed -n 's/^steps: \([0-9]*\) .*/\1/p' "$tmp/ev.t")
[ "$st" = 2519 ] || why+=("steps '$st', not the 2520 symbols less one")
lt "$nt" 3.091 || why+=("teacher-forced nll '$nt' not below ln 22 = 3.091 (the uniform model)")
[ -n "$nf" ] && [ "$nf" != "$nt" ] || why+=("free-running nll '$nf' equals the teacher-forced '$nt'")
awk -v n="$nt" -v b="$bt" -v p="$pt" 'BEGIN { exit !(b - n / log(2) < 1e-5 && n / log(2) - b < 1e-5 && p - exp(n) < 1e-4 * p && exp(n) - p < 1e-4 * p) }' ||
    why+=("bits '$bt' or perplexity '$pt' do not follow from nll '$nt'")
grep -q '^feedback: teacher' "$tmp/ev.t" && grep -q '^feedback: free' "$tmp/ev.f" || why+=("no feedback line")
check "eval/output-teacher-and-free-nll-bits-perplexity (teacher $nt, free $nf nats per symbol)" "${why[@]}"
why=()
rn eval "$tmp/learn-both-free-smoothed-below-14-last-below-5.ck" "$T" --backend tcc >"$tmp/ev.b" 2>"$tmp/ev.err" || why+=("$(one_line "$tmp/ev.err")")
rn eval "$tmp/learn-both-free-smoothed-below-14-last-below-5.ck" "$T" --backend cc >"$tmp/ev.c" 2>"$tmp/ev.err" || why+=("$(one_line "$tmp/ev.err")")
cmp -s "$tmp/ev.b" "$tmp/ev.c" || why+=("tcc and cc disagree: $(one_line "$tmp/ev.b") / $(one_line "$tmp/ev.c")")
grep -q '^feedback: teacher' "$tmp/ev.b" || why+=("the default feedback is not teacher")
check "eval/both-free-tcc-equals-cc" "${why[@]}"
why=()
rn eval "$tmp/learn-csv-output-free-last-below-0.05.ck" "$W" >"$tmp/ev.d" 2>"$tmp/ev.err" || why+=("$(one_line "$tmp/ev.err")")
mse=$(sed -n 's/^mse: \([^ ]*\) .*/\1/p' "$tmp/ev.d")
lt "$mse" 0.01 || why+=("mse '$mse' not below 0.01")
check "eval/csv-mse" "${why[@]}"

# ---- 6. a version 1 checkpoint (tests/data/ckpt_v1.ckpt, written by rnnc before format 2) ----
v1=$ROOT/tests/data/ckpt_v1.ckpt
for i in $(seq 1 20); do echo "abc cab bca $((i%3))"; done >"$tmp/v1.txt"
why=()
[ "$(info_get "$v1" spec)" = "vocab=8 hidden=6 tau=5 batch=2 act=tanh loss=nll dtype=float name=rnn" ] ||
    why+=("spec '$(info_get "$v1" spec)'")
[ "$(info_get "$v1" step)" = 30 ] || why+=("step '$(info_get "$v1" step)'")
rn sample "$v1" -n 40 --seed 5 >"$tmp/v1.sample" 2>"$tmp/v1.err" || why+=("sample: $(one_line "$tmp/v1.err")")
cmp -s "$tmp/v1.sample" "$ROOT/tests/data/ckpt_v1.sample" || why+=("the sample differs from the old rnnc's")
cp "$v1" "$tmp/v1.ckpt"
rn train --hidden 6 --tau 5 --batch 2 --steps 40 --every 40 --sample-every 0 --backend tcc --seed 3 \
    --resume "$tmp/v1.ckpt" --save "$tmp/v1.ckpt" "$tmp/v1.txt" >/dev/null 2>"$tmp/v1.err" || why+=("resume: $(one_line "$tmp/v1.err")")
rn sample "$tmp/v1.ckpt" -n 40 --seed 5 >"$tmp/v1r.sample" 2>/dev/null
cmp -s "$tmp/v1r.sample" "$ROOT/tests/data/ckpt_v1_resumed40.sample" ||
    why+=("resumed to step 40, it samples differently from the old rnnc's 40-step run (carried h lost?)")
check "old-checkpoint/version-1-loads-samples-and-resumes-as-before" "${why[@]}"

# ---- 6b. a version 2 checkpoint (tests/data/ckpt_v2.ckpt, written by rnnc before format 3:
# records, an end symbol and a learned h(0), the fields format 2 added) ----
v2=$ROOT/tests/data/ckpt_v2.ckpt
why=()
[ "$(info_get "$v2" spec)" = "vocab=8 hidden=6 tau=5 batch=2 act=tanh loss=nll end=eos dtype=float name=rnn" ] ||
    why+=("spec '$(info_get "$v2" spec)'")
[ "$(info_get "$v2" step)" = 30 ] || why+=("step '$(info_get "$v2" step)'")
rn sample "$v2" --count 3 --seed 5 >"$tmp/v2.sample" 2>"$tmp/v2.err" || why+=("sample: $(one_line "$tmp/v2.err")")
cmp -s "$tmp/v2.sample" "$ROOT/tests/data/ckpt_v2.sample" || why+=("the sample differs from the old rnnc's")
cp "$v2" "$tmp/v2.ckpt"
rn train --hidden 6 --tau 5 --batch 2 --records lines --end eos --learn-h0 --steps 40 --every 40 --sample-every 0 \
    --backend tcc --seed 3 --resume "$tmp/v2.ckpt" --save "$tmp/v2.ckpt" "$tmp/v1.txt" >/dev/null 2>"$tmp/v2.err" ||
    why+=("resume: $(one_line "$tmp/v2.err")")
rn sample "$tmp/v2.ckpt" --count 3 --seed 5 >"$tmp/v2r.sample" 2>/dev/null
cmp -s "$tmp/v2r.sample" "$ROOT/tests/data/ckpt_v2_resumed40.sample" ||
    why+=("resumed to step 40, it samples differently from the old rnnc's 40-step run")
[ "$(od -An -tu4 -j8 -N4 "$tmp/v2.ckpt" | tr -d ' ')" = 3 ] || why+=("the resumed run did not write format 3")
check "old-checkpoint/version-2-loads-samples-and-resumes-as-before" "${why[@]}"

# ---- 7. safetensors round trip of R ----
why=()
for ck in "$tmp/learn-output-free-smoothed-below-30-last-below-20.ck" "$tmp/learn-both-scheduled-smoothed-below-14-last-below-5.ck"; do
    rn export "$ck" -o "$tmp/x.safetensors" >/dev/null 2>"$tmp/x.err" &&
        rn import "$tmp/x.safetensors" -o "$tmp/y.ck" >/dev/null 2>>"$tmp/x.err" &&
        rn export "$tmp/y.ck" -o "$tmp/y.safetensors" >/dev/null 2>>"$tmp/x.err" || why+=("$(one_line "$tmp/x.err")")
    cmp -s "$tmp/x.safetensors" "$tmp/y.safetensors" || why+=("$(basename "$ck"): re-exported file differs")
    grep -q 'rnn.weight_oh_l0' "$tmp/x.safetensors" || why+=("no tensor rnn.weight_oh_l0 (R)")
    [ "$(rn sample "$ck" -n 100 --seed 4)" = "$(rn sample "$tmp/y.ck" -n 100 --seed 4)" ] || why+=("imported model samples differently")
done
grep -q 'rnn.weight_hh_l0' "$tmp/x.safetensors" || why+=("both: no rnn.weight_hh_l0 (W)")
rn export "$tmp/learn-output-free-smoothed-below-30-last-below-20.ck" -o "$tmp/o.safetensors" >/dev/null 2>&1
grep -q 'weight_hh_l0' "$tmp/o.safetensors" && why+=("output recurrence: exported a weight_hh_l0 it does not have")
check "interop/output-and-both-export-import-export-identical" "${why[@]}"

# ---- 8. bad inputs: exit 2, one line naming the option, nothing written ----
good=$tmp/learn-output-teacher-smoothed-below-30-last-below-20.ck
hidden=$tmp/hidden.ck
rn train "${M[@]}" --steps 10 --save "$hidden" "$T" >/dev/null 2>&1
B=("${M[@]}" --steps 10 --save new.ck)
bad_input feedback-with-hidden-recurrence "--feedback" train "${B[@]}" --feedback free "$T"
bad_input schedule-without-scheduled "--schedule" train "${B[@]}" --recurrence output --schedule linear "$T"
bad_input schedule-k-without-scheduled "--schedule-k" train "${B[@]}" --recurrence output --feedback free --schedule-k 10 "$T"
bad_input schedule-end-on-hidden "--schedule-end" train "${B[@]}" --schedule-end 0.1 "$T"
bad_input schedule-bogus "--schedule" train "${B[@]}" --recurrence output --feedback scheduled --schedule cosine "$T"
bad_input schedule-exp-k-above-1 "--schedule-k" train "${B[@]}" --recurrence output --feedback scheduled --schedule exp --schedule-k 1.5 "$T"
bad_input schedule-linear-k-below-1 "--schedule-k" train "${B[@]}" --recurrence output --feedback scheduled --schedule-k 0.5 "$T"
bad_input schedule-sigmoid-k-below-1 "--schedule-k" train "${B[@]}" --recurrence output --feedback scheduled --schedule sigmoid --schedule-k 0.9 "$T"
bad_input schedule-end-above-1 "--schedule-end" train "${B[@]}" --recurrence output --feedback scheduled --schedule-end 1.5 "$T"
bad_input schedule-end-nan "--schedule-end" train "${B[@]}" --recurrence output --feedback scheduled --schedule-end nan "$T"
bad_input schedule-on-resumed-teacher-model "--schedule" train --sample-every 0 --steps 3000 --resume "$good" --save new.ck --schedule exp "$T"
bad_input eval-feedback-on-hidden-model "--feedback" eval "$hidden" "$T" --feedback free
bad_input eval-feedback-scheduled "--feedback" eval "$good" "$T" --feedback scheduled
bad_input eval-no-data "eval" eval "$good"
bad_input eval-csv-on-text-model "wave.csv" eval "$good" "$W"
suite_end
