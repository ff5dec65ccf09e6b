#!/usr/bin/env bash
# tests/suites/security.sh: the defects of issue 15 that another local user, a full disk or a
# signal could exploit, each reproduced:
#   1. the cc cache: a replaced .so beside an unchanged .c is never loaded; a cache directory
#      owned by another user (nobody, mode 0777), writable by group or others, or a cached file
#      that is foreign-owned, group-writable or a symbolic link is refused with one line and
#      never trusted; with no HOME nothing is made under a fixed name in /tmp; symbolic links
#      planted for the temporary names of the PIDs rnnc will get are never followed;
#      concurrent builds of one source are safe; stale temporaries of dead processes go;
#   2. every output (checkpoint, export, import, plot, gen, embed, hand header, dump, log) that
#      is a symbolic link is replaced, never written through, and planted temporary names
#      neither redirect nor block a save; stale temporaries of dead processes are removed,
#      those of live processes and of other users are kept;
#   3. a NAME.h / NAME.c pair from different runs (gen and embed) does not compile; a full disk
#      while writing a pair leaves the old pair whole;
#   4. --log on a full disk (a small tmpfs) or past a file-size limit: whole rows only, one
#      report naming the file, training and checkpoints go on, exit 1 saying it is incomplete;
#   5. a second trainer with the same --save path is refused with one line (exit 2);
#   6. SIGINT / SIGTERM during the background and the foreground cc compile (and during
#      `rnnc check --backend cc`) end rnnc within 1 s and leave no compiler process;
#   7. --name values whose identifiers the C standard or POSIX reserve are refused.
# Prints "ok security/CASE", "FAIL security/CASE: why" or "skip security/CASE: why"; exits 1
# if any case failed.  Cases that need a second user (nobody) or mount(2) are skipped, with
# the reason, when not run as root.
# Env: RNNC (absolute path of rnnc), TESTS_TMP (scratch directory).
. "$(dirname "$0")/../lib/suite.sh" security
chmod 0755 "$tmp" # so that nobody can reach the files of the cases that need it
mounts=()
# Before tmp is removed: the tmpfs mounts of the full-disk cases.
suite_cleanup() {
    local m
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
}
export RNNC_CACHE_DIR=$tmp/cache
unset RNNC_TEST_CRASH_DURING_SAVE
AS_ROOT=0
[ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && AS_ROOT=1

# snap DIR: every entry under DIR with its type, owner, mode and checksum.
snap() { (cd "$1" && find . -printf '%y %u %m %p\n' | sort && find . -type f -exec md5sum {} + | sort); }
# plant_pid_links N PATTERN...: for each of the next N process ids P the kernel will hand
# out, a symbolic link to the victim named by each PATTERN with @ replaced by P.
plant_pid_links() {
    local n=$1 last p pat names=()
    shift
    read -r last </proc/sys/kernel/ns_last_pid 2>/dev/null || last=$$
    for ((p = last + 1; p <= last + n; p++)); do
        for pat in "$@"; do names+=("${pat//@/$p}"); done
    done
    "$tmp/mklinks" "$tmp/victim" "${names[@]}"
}
# dead_pid: the id of a process that has exited.
dead_pid() {
    sleep 0 &
    local p=$!
    wait $p
    echo $p
}
# now_ms: a monotonic-enough clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# marked MARK: "PID:COMM" of every live (not zombie) process whose environment holds
# RNNC_TEST_MARK=MARK: the rnnc started with it and every process it started.
marked() {
    local f p st
    for f in $(grep -lzsx "RNNC_TEST_MARK=$1" /proc/[0-9]*/environ 2>/dev/null); do
        p=${f#/proc/}
        p=${p%/environ}
        st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1)
        [ -n "$st" ] && [ "$st" != Z ] && echo "$p:$(cat "/proc/$p/comm" 2>/dev/null)"
    done
}
# alive PID: the process exists and is not a zombie.
alive() {
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ]
}
# mount_tmpfs DIR SIZE: mount a tmpfs of SIZE on DIR (root only); 0 when mounted.
mount_tmpfs() {
    [ "$(id -u)" = 0 ] || return 1
    mkdir -p "$1"
    mount -t tmpfs -o "size=$2,mode=0755" tmpfs "$1" 2>/dev/null || return 1
    mounts+=("$1")
}
# stderr_lines FILE: the number of lines of FILE.
lines() { wc -l <"$1" | tr -d ' '; }

# ---- data and helpers ----
for i in $(seq 1 60); do echo "the cat sat on mat $((i % 5)). a dog ran to log $((i % 3))!"; done >"$tmp/text.txt"
T=$tmp/text.txt
M=(--hidden 16 --tau 8 --sample-every 0)
printf 'precious\n' >"$tmp/victim"
chmod 0600 "$tmp/victim"
VICTIM_SUM=$(md5sum <"$tmp/victim")
# victim_ok: the victim is unchanged (it is restored either way, for the next case).
victim_ok() {
    local same=0
    [ "$(md5sum <"$tmp/victim")" = "$VICTIM_SUM" ] && same=1
    printf 'precious\n' >"$tmp/victim"
    [ $same = 1 ]
}
# The hash rnnc records beside a cached .so (FNV-1a 64 of its bytes, and its size).
cat >"$tmp/fnv.c" <<'EOF'
#include <stdio.h>
int main(int argc, char **argv)
{
    FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
    unsigned long long h = 14695981039346656037ull, n = 0;
    int c;
    if (!f) return 1;
    while ((c = getc(f)) != EOF) h = (h ^ (unsigned char)c) * 1099511628211ull, n++;
    printf("fnv1a64=%016llx size=%llu\n", h, n);
    return 0;
}
EOF
# A shared object that, once loaded, leaves $tmp/PWNED behind: the attacker's code.
cat >"$tmp/evil.c" <<EOF
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void evil(void)
{
    int fd = open("$tmp/PWNED", O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) close(fd);
}
EOF
# mklinks TARGET LINK...: symbolic links to TARGET, made by one process (forking one per link
# would use up the very process ids the links are planted for).
cat >"$tmp/mklinks.c" <<'EOF'
#include <unistd.h>
int main(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (symlink(argv[1], argv[i]) != 0) return 1;
    return 0;
}
EOF
cc -O1 -o "$tmp/fnv" "$tmp/fnv.c" && cc -O1 -o "$tmp/mklinks" "$tmp/mklinks.c" && cc -shared -fPIC -o "$tmp/evil.so" "$tmp/evil.c" ||
    { fail "setup/helpers" "cannot build the test helpers with cc"; exit 1; }
pwned() { [ -e "$tmp/PWNED" ]; }

# ---- 1. the cc cache ----
# A quick cc compile: rnnc check of a tiny model.
CHK=(check --vocab 5 --hidden 3 --tau 2 --name plant --backend cc)
# chk CACHE_DIR OUT: rnnc check with that cache; its status.
chk() { RNNC_CACHE_DIR=$1 TMPDIR=$tmp/tmpdir rn "${CHK[@]}" >"$2.out" 2>"$2.err"; }
mkdir -p "$tmp/tmpdir"
g=$tmp/genuine
why=()
chk "$g" "$tmp/genuine" || why+=("first build: $(one_line "$tmp/genuine.err")")
C=$(ls "$g"/plant-*.c 2>/dev/null | head -n 1)
BASE=${C%.c}
[ -n "$C" ] && [ -f "$BASE.so" ] || why+=("no plant-KEY.c / .so in the cache: $(ls "$g" | tr '\n' ' ')")
[ "$(stat -c %a "$g" 2>/dev/null)" = 700 ] || why+=("cache directory mode $(stat -c %a "$g"), not 700")
[ -s "$tmp/genuine.err" ] && why+=("stderr: $(one_line "$tmp/genuine.err")")
check "cache/created-0700-and-filled" "${why[@]}"
KEY=$(basename "$BASE")
# plant DIR [OWNER]: a complete, self-consistent cache entry for KEY whose .so is the evil one
# (the genuine source copy, the evil .so, its matching recorded hash), as an attacker would.
plant() {
    mkdir -p "$1"
    cp "$C" "$1/$KEY.c"
    cp "$tmp/evil.so" "$1/$KEY.so"
    "$tmp/fnv" "$1/$KEY.so" >"$1/$KEY.sum"
    [ -n "${2:-}" ] && chown -R "$2" "$1"
    return 0
}

# (c) a replaced .so beside an unchanged .c (and an unchanged record of the genuine .so).
d=$tmp/replaced
why=()
rm -f "$tmp/PWNED"
cp -a "$g" "$d"
cp "$tmp/evil.so" "$d/$KEY.so"
chk "$d" "$d" || why+=("status $?: $(one_line "$d.err")")
pwned && why+=("the planted .so was loaded (its constructor ran)")
grep -q "$KEY.so" "$d.err" || why+=("no message naming $KEY.so: $(one_line "$d.err")")
[ "$(lines "$d.err")" -le 1 ] || why+=("more than one line on stderr: $(one_line "$d.err")")
cmp -s "$d/$KEY.so" "$g/$KEY.so" || why+=("the replaced .so was not rebuilt")
check "cache/replaced-so-beside-unchanged-c-not-loaded-and-rebuilt" "${why[@]}"

# (b) RNNC_CACHE_DIR owned by another user, mode 0777, holding a consistent planted entry.
if [ $AS_ROOT = 1 ]; then
    d=$tmp/foreign
    why=()
    rm -f "$tmp/PWNED"
    plant "$d" nobody
    chmod 0777 "$d"
    before=$(snap "$d")
    rm -rf "$tmp/tmpdir" && mkdir -p "$tmp/tmpdir"
    chk "$d" "$d" || why+=("status $?: $(one_line "$d.err")")
    pwned && why+=("the planted .so was loaded")
    [ "$(lines "$d.err")" -eq 1 ] || why+=("expected one line on stderr: $(one_line "$d.err")")
    grep -q "$d" "$d.err" && grep -q "owned by" "$d.err" && grep -q "without a cache" "$d.err" ||
        why+=("message does not name the directory, its owner and the fallback: $(one_line "$d.err")")
    [ "$(snap "$d")" = "$before" ] || why+=("rnnc wrote into the refused directory")
    [ -z "$(ls -A "$tmp/tmpdir")" ] || why+=("litter in TMPDIR: $(ls -A "$tmp/tmpdir" | tr '\n' ' ')")
    check "cache/foreign-owned-0777-directory-refused-one-line" "${why[@]}"

    d=$tmp/foreign700
    why=()
    rm -f "$tmp/PWNED"
    plant "$d" nobody
    chmod 0700 "$d"
    chk "$d" "$d" || why+=("status $?: $(one_line "$d.err")")
    pwned && why+=("the planted .so was loaded")
    grep -q "owned by uid 65534" "$d.err" || why+=("message does not name the owner: $(one_line "$d.err")")
    check "cache/foreign-owned-0700-directory-refused" "${why[@]}"
else
    skip "cache/foreign-owned-0777-directory-refused-one-line" "needs root to make a directory owned by nobody"
    skip "cache/foreign-owned-0700-directory-refused" "needs root to make a directory owned by nobody"
fi

for mode in 0777 0770 0703; do
    d=$tmp/writable$mode
    why=()
    rm -f "$tmp/PWNED"
    plant "$d"
    chmod $mode "$d"
    chk "$d" "$d" || why+=("status $?: $(one_line "$d.err")")
    pwned && why+=("the planted .so was loaded")
    grep -q "writable by group or others" "$d.err" && grep -q "without a cache" "$d.err" ||
        why+=("message: $(one_line "$d.err")")
    check "cache/own-directory-mode-$mode-refused" "${why[@]}"
done

# Cached files: each checked for owner, mode and type (a consistent entry in a good directory).
cached_file_case() { # NAME HOW: HOW changes $d/$KEY.so after plant
    local name=$1 how=$2
    d=$tmp/file-$name
    why=()
    rm -f "$tmp/PWNED"
    plant "$d"
    chmod 0700 "$d"
    eval "$how"
    chk "$d" "$d" || why+=("status $?: $(one_line "$d.err")")
    pwned && why+=("the planted .so was loaded")
    grep -q "$KEY.so" "$d.err" || why+=("no message naming $KEY.so: $(one_line "$d.err")")
    [ -f "$d/$KEY.so" ] && [ ! -L "$d/$KEY.so" ] && cmp -s "$d/$KEY.so" "$g/$KEY.so" ||
        why+=("the entry was not rebuilt")
    check "cache/$name" "${why[@]}"
}
cached_file_case "group-writable-so-refused-and-rebuilt" 'chmod 0664 "$d/$KEY.so"'
cached_file_case "symlinked-so-refused-and-rebuilt" 'mv "$d/$KEY.so" "$d/evil.so"; ln -s evil.so "$d/$KEY.so"'
if [ $AS_ROOT = 1 ]; then
    cached_file_case "foreign-owned-so-refused-and-rebuilt" 'chown nobody "$d/$KEY.so"'
else
    skip "cache/foreign-owned-so-refused-and-rebuilt" "needs root to chown to nobody"
fi

# (a) no HOME, no XDG_CACHE_HOME, no RNNC_CACHE_DIR: no fixed name under /tmp, nothing left.
fixed=/tmp/rnnc-cache-$(id -u)
existed=0
[ -e "$fixed" ] && existed=1
before=$( [ $existed = 1 ] && snap "$fixed")
why=()
rm -rf "$tmp/tmpdir" && mkdir -p "$tmp/tmpdir"
env -u HOME -u XDG_CACHE_HOME -u RNNC_CACHE_DIR TMPDIR="$tmp/tmpdir" timeout -k 5 120 "$RNNC" "${CHK[@]}" \
    >"$tmp/nohome.out" 2>"$tmp/nohome.err" || why+=("status $?: $(one_line "$tmp/nohome.err")")
if [ $existed = 0 ] && [ -e "$fixed" ]; then
    why+=("$fixed was created")
    rm -rf "$fixed"
elif [ $existed = 1 ] && [ "$(snap "$fixed")" != "$before" ]; then
    why+=("$fixed (made by someone else) was used")
fi
[ -z "$(ls -A "$tmp/tmpdir")" ] || why+=("litter in TMPDIR: $(ls -A "$tmp/tmpdir" | tr '\n' ' ')")
grep -q "without a cache" "$tmp/nohome.err" || why+=("no message saying it compiles without a cache: $(one_line "$tmp/nohome.err")")
check "cache/no-home-no-fixed-name-in-tmp-no-litter" "${why[@]}"

# Symbolic links planted for the temporary names of the next 400 PIDs (the names rnnc used
# to give them: NAME-KEY.tmpPID.c and NAME-KEY.so.tmpPID) are never followed.
d=$tmp/tmplinks
why=()
mkdir -m 0700 "$d"
plant_pid_links 400 "$d/$KEY.tmp@.c" "$d/$KEY.so.tmp@"
chk "$d" "$d" || why+=("status $?: $(one_line "$d.err")")
victim_ok || why+=("the file behind a planted link was overwritten")
[ -f "$d/$KEY.so" ] || why+=("no cache entry was made")
check "cache/planted-links-for-predicted-temporary-names-not-followed" "${why[@]}"

# Four processes building the same source at once: all succeed, one complete entry, no litter.
d=$tmp/concurrent
why=()
pids=()
for i in 1 2 3 4; do
    RNNC_CACHE_DIR=$d TMPDIR=$tmp/tmpdir rn "${CHK[@]}" >"$d.$i.out" 2>"$d.$i.err" &
    pids+=($!)
done
for i in 1 2 3 4; do wait "${pids[$((i - 1))]}" || why+=("process $i: status $?: $(one_line "$d.$i.err")"); done
for i in 1 2 3 4; do [ -s "$d.$i.err" ] && why+=("process $i stderr: $(one_line "$d.$i.err")"); done
# (rnnc check builds two models: the checked one and its double-precision twin.)
stems() { ls "$d" | sed -n "s/\\.$1\$//p" | sort | tr '\n' ' '; }
[ "$(stems c)" = "$(stems so)" ] && [ "$(stems c)" = "$(stems sum)" ] &&
    [ -z "$(ls "$d" | grep -v -E '\.(c|so|sum)$')" ] && [ -f "$d/$KEY.so" ] ||
    why+=("cache holds: $(ls "$d" | tr '\n' ' ')")
ino=$(stat -c %i "$d/$KEY.so" 2>/dev/null)
chk "$d" "$d.again" || why+=("a later run: $(one_line "$d.again.err")")
[ "$(stat -c %i "$d/$KEY.so" 2>/dev/null)" = "$ino" ] || why+=("a later run rebuilt the entry instead of using it")
check "cache/four-concurrent-builds-one-entry-then-a-hit" "${why[@]}"

# Stale temporaries in the cache: those of dead processes go; a live process's and (as root)
# another user's stay.
d=$tmp/stale-cache
why=()
cp -a "$g" "$d"
dp=$(dead_pid)
touch "$d/$KEY.so.tmp.$dp.AbC123" "$d/$KEY.c.tmp.$dp.xyZ789" "$d/$KEY.c.tmp.$$.Live00"
[ $AS_ROOT = 1 ] && touch "$d/$KEY.sum.tmp.$dp.Other0" && chown nobody "$d/$KEY.sum.tmp.$dp.Other0"
chk "$d" "$d" || why+=("status $?: $(one_line "$d.err")")
[ -e "$d/$KEY.so.tmp.$dp.AbC123" ] || [ -e "$d/$KEY.c.tmp.$dp.xyZ789" ] && why+=("a dead process's temporary was kept")
[ -e "$d/$KEY.c.tmp.$$.Live00" ] || why+=("a live process's temporary was removed")
[ $AS_ROOT = 1 ] && [ ! -e "$d/$KEY.sum.tmp.$dp.Other0" ] && why+=("another user's temporary was removed")
check "cache/stale-temporaries-of-dead-processes-removed" "${why[@]}"

# ---- 2. outputs: symbolic links are replaced, never written through ----
base_ck=$tmp/base.ck
rn train "${M[@]}" --steps 20 --save "$base_ck" "$T" >/dev/null 2>"$tmp/base.err" ||
    fail "setup/checkpoint" "$(one_line "$tmp/base.err")"
rn export "$base_ck" -o "$tmp/base.safetensors" >/dev/null 2>"$tmp/base.err" ||
    fail "setup/export" "$(one_line "$tmp/base.err")"
rn train "${M[@]}" --steps 20 --every 5 --log "$tmp/base.csv" "$T" >/dev/null 2>"$tmp/base.err" ||
    fail "setup/log" "$(one_line "$tmp/base.err")"
# through NAME FILE CMD...: FILE (relative to a fresh directory, where CMD runs) is a symbolic
# link to the victim; CMD must succeed, leave the victim alone and make FILE a regular file.
through() {
    local name=$1 file=$2
    shift 2
    local d=$tmp/link-$name why=()
    mkdir -p "$(dirname "$d/$file")"
    ln -s "$tmp/victim" "$d/$file"
    (cd "$d" && timeout -k 5 120 "$RNNC" "$@" >"$d/out" 2>"$d/err") || why+=("status $?: $(one_line "$d/err")")
    victim_ok || why+=("written through the link: the victim changed")
    [ -L "$d/$file" ] && why+=("$file is still a link")
    [ -f "$d/$file" ] && [ -s "$d/$file" ] || why+=("$file was not written")
    check "link/$name" "${why[@]}"
}
through "train-save" C train "${M[@]}" --steps 10 --save C "$T"
through "train-log" log.csv train "${M[@]}" --steps 10 --every 5 --log log.csv "$T"
through "export" out.safetensors export "$base_ck" -o out.safetensors
through "import" out.ck import "$tmp/base.safetensors" -o out.ck --tau 8
through "plot" out.svg plot "$tmp/base.csv" -o out.svg
through "gen-header" o/g.h gen --vocab 5 --hidden 3 --tau 2 --name g -o o
through "gen-source" o/g.c gen --vocab 5 --hidden 3 --tau 2 --name g -o o
through "embed" o/mdl.c embed "$base_ck" -o o --name mdl
through "hand-header" o/rnnc_hand.h gen --hand-header -o o
through "check-dump" d.safetensors check --vocab 5 --hidden 3 --tau 2 --dump d.safetensors

# Links planted for every temporary name rnnc used to give the checkpoint (C.tmp.PID) of the
# next 400 PIDs: the save neither follows nor fails on them.
d=$tmp/ck-tmplinks
why=()
mkdir -p "$d"
plant_pid_links 400 "$d/C.tmp.@"
rn train "${M[@]}" --steps 10 --save "$d/C" "$T" >"$d/out" 2>"$d/err" || why+=("status $?: $(one_line "$d/err")")
victim_ok || why+=("the victim changed")
rn info "$d/C" >/dev/null 2>&1 || why+=("no loadable checkpoint")
check "link/planted-links-for-predicted-checkpoint-temporaries-neither-followed-nor-blocking" "${why[@]}"

# Stale temporaries of the output path: a dead process's (new and old style) go, a live
# process's and another user's stay, and nothing else is left.
d=$tmp/stale
why=()
mkdir -p "$d"
dp=$(dead_pid)
touch "$d/C.tmp.$dp.Ab12Cd" "$d/C.tmp.$dp" "$d/C.tmp.$$.Live00" "$d/D.tmp.$dp.Ab12Cd"
ln -s "$tmp/victim" "$d/C.tmp.$dp.LinkAb"
[ $AS_ROOT = 1 ] && touch "$d/C.tmp.$dp.Other0" && chown nobody "$d/C.tmp.$dp.Other0"
rn train "${M[@]}" --steps 10 --save "$d/C" "$T" >"$d/out" 2>"$d/err" || why+=("status $?: $(one_line "$d/err")")
[ -e "$d/C.tmp.$dp.Ab12Cd" ] && why+=("C.tmp.$dp.Ab12Cd (dead process) kept")
[ -e "$d/C.tmp.$dp" ] && why+=("C.tmp.$dp (dead process, old style) kept")
[ -e "$d/C.tmp.$$.Live00" ] || why+=("a live process's temporary was removed")
[ -e "$d/D.tmp.$dp.Ab12Cd" ] || why+=("another path's temporary was removed")
[ -L "$d/C.tmp.$dp.LinkAb" ] || why+=("a symbolic link was removed")
victim_ok || why+=("the victim changed")
[ $AS_ROOT = 1 ] && [ ! -e "$d/C.tmp.$dp.Other0" ] && why+=("another user's temporary was removed")
check "stale/dead-process-temporaries-of-the-path-removed-others-kept" "${why[@]}"
d=$tmp/stale-gen
why=()
mkdir -p "$d"
touch "$d/sg.h.tmp.$dp.Ab12Cd" "$d/sg.c.tmp.$dp.Ab12Cd"
rn gen --vocab 5 --hidden 3 --tau 2 --name sg -o "$d" >/dev/null 2>"$d.err" || why+=("gen: $(one_line "$d.err")")
[ "$(ls "$d" | tr '\n' ' ')" = "sg.c sg.h " ] || why+=("directory holds: $(ls "$d" | tr '\n' ' ')")
check "stale/gen-removes-dead-temporaries-leaves-only-the-pair" "${why[@]}"

# ---- 3. pairs ----
STRICT=(-std=c99 -Wall -Wextra -pedantic -Werror)
# mixed NAME DIR_H DIR_C STEM: NAME.h from DIR_H with NAME.c from DIR_C must not compile, and
# say why.
mixed() {
    local name=$1 dh=$2 dc=$3 stem=$4 why=()
    local m=$tmp/mix-$name
    mkdir -p "$m"
    cp "$dh/$stem.h" "$dc/$stem.c" "$m/"
    if gcc "${STRICT[@]}" -c "$m/$stem.c" -o "$m/x.o" 2>"$m/err"; then
        why+=("the mismatched pair compiled")
    else
        grep -q "not generated together" "$m/err" || why+=("compiler message: $(one_line "$m/err")")
    fi
    check "pair/$name" "${why[@]}"
}
# strict_ok NAME DIR STEM: the pair compiles warning-free with gcc, clang and tcc.
strict_ok() {
    local name=$1 dir=$2 stem=$3 why=()
    gcc "${STRICT[@]}" -c "$dir/$stem.c" -o "$dir/g.o" 2>"$dir/gcc.err" || why+=("gcc: $(one_line "$dir/gcc.err")")
    if command -v clang >/dev/null; then
        clang "${STRICT[@]}" -c "$dir/$stem.c" -o "$dir/c.o" 2>"$dir/clang.err" || why+=("clang: $(one_line "$dir/clang.err")")
    fi
    if command -v tcc >/dev/null; then
        tcc -Wall -Werror -c "$dir/$stem.c" -o "$dir/t.o" 2>"$dir/tcc.err" || why+=("tcc: $(one_line "$dir/tcc.err")")
    fi
    check "pair/$name" "${why[@]}"
}
p=$tmp/pairs
mkdir -p "$p"
rn gen --vocab 5 --hidden 3 --tau 2 --name pm -o "$p/a" >/dev/null 2>"$p/err" || fail "pair/setup" "$(one_line "$p/err")"
rn gen --vocab 5 --hidden 4 --tau 2 --name pm -o "$p/b" >/dev/null 2>"$p/err" || fail "pair/setup" "$(one_line "$p/err")"
strict_ok "gen-pair-compiles-warning-free-gcc-clang-tcc" "$p/a" pm
mixed "gen-new-header-with-old-source-does-not-compile" "$p/b" "$p/a" pm
mixed "gen-old-header-with-new-source-does-not-compile" "$p/a" "$p/b" pm
rn train "${M[@]}" --steps 30 --save "$p/c30" "$T" >/dev/null 2>"$p/err" || fail "pair/setup" "$(one_line "$p/err")"
rn embed "$base_ck" -o "$p/e1" --name mdl >/dev/null 2>"$p/err" || fail "pair/setup" "$(one_line "$p/err")"
rn embed "$p/c30" -o "$p/e2" --name mdl >/dev/null 2>"$p/err" || fail "pair/setup" "$(one_line "$p/err")"
strict_ok "embed-pair-compiles-warning-free-gcc-clang-tcc" "$p/e1" mdl
mixed "embed-same-spec-other-weights-header-does-not-compile" "$p/e2" "$p/e1" mdl

# A full disk while writing a pair: the old pair stays whole (both files as they were).
if mount_tmpfs "$tmp/fullpair" 128k; then
    d=$tmp/fullpair
    why=()
    rn gen --vocab 5 --hidden 3 --tau 2 --name pm -o "$d/g" >/dev/null 2>"$d.err" || why+=("small gen: $(one_line "$d.err")")
    before=$(snap "$d/g")
    rn gen --vocab 5 --hidden 3 --tau 300 --name pm -o "$d/g" >/dev/null 2>"$d.err"
    rc=$?
    [ $rc -eq 1 ] || why+=("status $rc, not 1")
    grep -q "No space left on device" "$d.err" || why+=("message: $(one_line "$d.err")")
    [ "$(snap "$d/g")" = "$before" ] || why+=("the directory changed: $(ls "$d/g" | tr '\n' ' ')")
    check "pair/gen-disk-full-keeps-the-old-pair-whole" "${why[@]}"
    why=()
    rm -rf "${d:?}/g"
    rn embed "$base_ck" -o "$d/e" --name mdl >/dev/null 2>"$d.err" || why+=("small embed: $(one_line "$d.err")")
    before=$(snap "$d/e")
    rn train --hidden 200 --tau 8 --sample-every 0 --steps 2 --save "$tmp/big.ck" "$T" >/dev/null 2>&1
    rn embed "$tmp/big.ck" -o "$d/e" --name mdl >/dev/null 2>"$d.err"
    rc=$?
    [ $rc -eq 1 ] || why+=("status $rc, not 1")
    [ "$(snap "$d/e")" = "$before" ] || why+=("the directory changed: $(ls "$d/e" | tr '\n' ' ')")
    check "pair/embed-disk-full-keeps-the-old-pair-whole" "${why[@]}"
else
    skip "pair/gen-disk-full-keeps-the-old-pair-whole" "cannot mount a tmpfs (needs root and mount(2))"
    skip "pair/embed-disk-full-keeps-the-old-pair-whole" "cannot mount a tmpfs (needs root and mount(2))"
fi

# ---- 4. --log on a full disk or past a file-size limit ----
# log_checks NAME LOG CKPT OUT STATUS: whole rows, one report then the final line, exit 1,
# training finished and saved.
log_checks() {
    local name=$1 log=$2 ck=$3 out=$4 rc=$5 why=()
    [ "$rc" -eq 1 ] || why+=("status $rc, not 1")
    [ "$(tail -c 1 "$log" | od -An -c | tr -d ' ')" = '\n' ] || why+=("the log does not end with a newline (a cut row)")
    local bad
    bad=$(awk -F, 'NR > 1 && (NF != 8 || $1 !~ /^[0-9]+$/)' "$log" | head -n 1)
    [ -z "$bad" ] || why+=("a broken row: '$bad'")
    [ "$(head -n 1 "$log")" = "step,loss,bpc,lr,seconds,last_loss,mean_loss,mean_bpc" ] || why+=("no header")
    [ "$(lines "$log")" -gt 10 ] || why+=("only $(lines "$log") lines in the log")
    [ "$(lines "$out.err")" -eq 2 ] || why+=("expected 2 lines on stderr (the failure, the end): $(one_line "$out.err")")
    [ "$(grep -c -- "--log $log" "$out.err")" -eq 2 ] || why+=("stderr lines do not name --log $log: $(one_line "$out.err")")
    tail -n 1 "$out.err" | grep -q "incomplete" || why+=("the last line does not say the log is incomplete")
    local st
    st=$(rn info "$ck" 2>/dev/null | sed -n 's/^step: //p')
    [ "$st" = 3000 ] || why+=("the checkpoint is at step '$st', not 3000: training or saving stopped")
    grep -q '^step 3000/3000' "$out" || why+=("no progress line for step 3000")
    check "log/$name" "${why[@]}"
}
if mount_tmpfs "$tmp/fulllog" 16k; then
    d=$tmp/fulllog
    rn train "${M[@]}" --backend tcc --steps 3000 --every 3 --log "$d/log.csv" --save "$tmp/fulllog.ck" "$T" \
        >"$tmp/fulllog.out" 2>"$tmp/fulllog.out.err"
    log_checks "tmpfs-full-whole-rows-one-report-training-goes-on-exit-1" "$d/log.csv" "$tmp/fulllog.ck" "$tmp/fulllog.out" $?
else
    skip "log/tmpfs-full-whole-rows-one-report-training-goes-on-exit-1" "cannot mount a tmpfs (needs root and mount(2))"
fi
# The same past a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG, the
# one crossing the limit is cut short), which needs no privilege.  The limit (24 KB) holds the
# checkpoint (12.5 KB) but not the log (~40 KB).
# (rnnc ignores SIGXFSZ itself; its progress goes through a pipe, which has no size limit.)
d=$tmp/fsizelog
mkdir -p "$d"
(ulimit -f 24 && exec timeout -k 5 120 "$RNNC" train "${M[@]}" --backend tcc --steps 3000 --every 3 \
    --log "$d/log.csv" --save "$d/C" "$T" 2>"$d/run.out.err") | tail -n 40 >"$d/run.out"
log_checks "file-size-limit-whole-rows-one-report-training-goes-on-exit-1" "$d/log.csv" "$d/C" "$d/run.out" "${PIPESTATUS[0]}"
# A --log that is not a regular file is refused before training.
rn train "${M[@]}" --steps 10 --log /dev/null "$T" >"$tmp/devlog.out" 2>"$tmp/devlog.err"
rc=$?
why=()
[ $rc -eq 2 ] || why+=("status $rc, not 2")
grep -q -- "--log" "$tmp/devlog.err" && [ "$(lines "$tmp/devlog.err")" -eq 1 ] || why+=("stderr: $(one_line "$tmp/devlog.err")")
[ -c /dev/null ] || why+=("/dev/null is no longer a device!")
check "log/not-a-regular-file-refused-exit-2" "${why[@]}"

# ---- 5. one writer per --save path ----
d=$tmp/lock
why=()
mkdir -p "$d"
"$RNNC" train "${M[@]}" --steps 100000000 --every 100000 --save "$d/C" "$T" >"$d/a.out" 2>"$d/a.err" &
a=$!
for _ in $(seq 400); do
    grep -q '^training' "$d/a.out" 2>/dev/null && break
    sleep 0.025
done
t0=$(now_ms)
rn train "${M[@]}" --steps 10 --save "$d/C" "$T" >"$d/b.out" 2>"$d/b.err"
rc=$?
[ $rc -eq 2 ] || why+=("second trainer: status $rc, not 2")
[ "$(lines "$d/b.err")" -eq 1 ] && grep -q -- "--save" "$d/b.err" && grep -q "$d/C" "$d/b.err" ||
    why+=("second trainer's message: $(one_line "$d/b.err")")
grep -q '^training' "$d/b.out" && why+=("the second trainer started training")
[ $(($(now_ms) - t0)) -lt 5000 ] || why+=("the refusal took $(($(now_ms) - t0)) ms")
alive $a || why+=("the first trainer died")
kill -INT $a
wait $a
rc=$?
[ $rc -eq 130 ] || why+=("first trainer: status $rc, not 130")
rn info "$d/C" >/dev/null 2>&1 || why+=("the first trainer's checkpoint does not load")
[ -e "$d/C.lock" ] && why+=("C.lock left behind")
check "lock/second-trainer-same-save-refused-exit-2-first-unharmed" "${why[@]}"
why=()
"$RNNC" train "${M[@]}" --steps 100000000 --every 100000 --save "$d/C" "$T" >"$d/k.out" 2>"$d/k.err" &
a=$!
for _ in $(seq 400); do
    grep -q '^training' "$d/k.out" 2>/dev/null && break
    sleep 0.025
done
kill -9 $a
wait $a 2>/dev/null
rn train "${M[@]}" --steps 10 --save "$d/C" "$T" >"$d/n.out" 2>"$d/n.err" || why+=("after kill -9: $(one_line "$d/n.err")")
[ -e "$d/C.lock" ] && why+=("C.lock left behind by the next run")
check "lock/killed-holder-does-not-block-the-next-run" "${why[@]}"
why=()
ln -s "$tmp/victim" "$d/L.lock"
rn train "${M[@]}" --steps 10 --save "$d/L" "$T" >"$d/l.out" 2>"$d/l.err"
rc=$?
[ $rc -eq 2 ] || why+=("status $rc, not 2")
[ "$(lines "$d/l.err")" -eq 1 ] && grep -q "L.lock" "$d/l.err" || why+=("message: $(one_line "$d/l.err")")
victim_ok || why+=("the victim changed")
check "lock/lock-file-that-is-a-link-refused" "${why[@]}"

# ---- 6. signals during the cc compile ----
# A model whose cc compile takes seconds (tau 1500: about 4 s here), a cache of its own.
SLOW=(--hidden 24 --tau 1500 --sample-every 0)
# sig_case NAME SIG WANT_STATUS LITTER ARG...: start rnnc ARG... with a mark, wait for its
# compiler proper (gcc's cc1, or clang) to run, send SIG, and require: gone within 1 s,
# status WANT_STATUS, no process of it left (within another second: commands other than train
# die of the signal as soon as the compiler's group has been sent SIGTERM), nothing left in
# TMPDIR, and no temporary left in the cache (LITTER=next: by the next compile in that cache,
# which removes the temporaries of the process that died).
sig_case() {
    local name=$1 sig=$2 want=$3 litter=$4
    shift 4
    local d=$tmp/sig-$name why=() mark="sec-$$-$name"
    mkdir -p "$d/tmp"
    RNNC_TEST_MARK=$mark RNNC_CACHE_DIR=$d/cache TMPDIR=$d/tmp "$RNNC" "$@" >"$d/out" 2>"$d/err" &
    local pid=$! seen=0
    for _ in $(seq 600); do
        marked "$mark" | grep -qE ':(cc1|clang[-0-9.]*)$' && seen=1 && break
        alive $pid || break
        sleep 0.025
    done
    if [ $seen = 0 ]; then
        kill -9 $pid 2>/dev/null
        wait $pid 2>/dev/null
        fail "signal/$name" "the compiler never ran (status $?): $(one_line "$d/err")"
        return
    fi
    sleep 0.3
    local t0 ms
    t0=$(now_ms)
    kill -"$sig" $pid
    while alive $pid && [ $(($(now_ms) - t0)) -lt 20000 ]; do sleep 0.01; done
    ms=$(($(now_ms) - t0))
    wait $pid
    local rc=$?
    echo "   (SIG$sig to exit: $ms ms)"
    [ $ms -lt 1000 ] || why+=("exited $ms ms after SIG$sig")
    [ $rc -eq "$want" ] || why+=("status $rc, not $want: $(one_line "$d/err")")
    local left
    t0=$(now_ms)
    while [ -n "$(marked "$mark")" ] && [ $(($(now_ms) - t0)) -lt 1000 ]; do sleep 0.02; done
    left=$(marked "$mark" | tr '\n' ' ')
    [ -z "$left" ] || why+=("processes left 1 s after rnnc ended: $left")
    for _ in $(seq 50); do [ -z "$(marked "$mark")" ] && break; sleep 0.1; done
    [ -z "$(marked "$mark")" ] || kill -9 $(marked "$mark" | cut -d: -f1) 2>/dev/null
    if [ "$litter" = next ]; then
        RNNC_CACHE_DIR=$d/cache TMPDIR=$d/tmp rn check --vocab 5 --hidden 3 --tau 2 --backend cc >/dev/null 2>&1 ||
            why+=("the next compile in the cache failed")
    fi
    [ -z "$(ls -A "$d/tmp")" ] || why+=("litter in TMPDIR: $(ls -A "$d/tmp" | tr '\n' ' ')")
    local junk
    junk=$(ls -A "$d/cache" 2>/dev/null | grep '\.tmp' | tr '\n' ' ')
    [ -z "$junk" ] || why+=("temporaries left in the cache: $junk")
    check "signal/$name" "${why[@]}"
}
sig_case "sigint-during-background-cc-compile-exit-130-within-1s-no-compiler-left" INT 130 none \
    train "${SLOW[@]}" --name bgstop --steps 100000000 --every 1000000 --save "$tmp/sig-bg.ck" "$T"
if grep -q "^stopped by SIGINT at step [0-9]*; saved" "$tmp/sig-sigint-during-background-cc-compile-exit-130-within-1s-no-compiler-left/out" &&
    rn info "$tmp/sig-bg.ck" >/dev/null 2>&1; then
    ok "signal/background-compile-stop-saved-the-checkpoint"
else
    fail "signal/background-compile-stop-saved-the-checkpoint" "no 'stopped by SIGINT at step N; saved' line, or no loadable checkpoint"
fi
sig_case "sigterm-during-foreground-cc-compile-exit-143-within-1s-no-compiler-left" TERM 143 none \
    train "${SLOW[@]}" --name fgstop --backend cc --steps 10 --save "$tmp/sig-fg.ck" "$T"
if grep -q "^stopped by SIGTERM before the first step" "$tmp/sig-sigterm-during-foreground-cc-compile-exit-143-within-1s-no-compiler-left/out"; then
    ok "signal/foreground-compile-stop-says-before-the-first-step"
else
    fail "signal/foreground-compile-stop-says-before-the-first-step" "no 'stopped by SIGTERM before the first step' line"
fi
sig_case "sigterm-during-check-cc-compile-exit-143-within-1s-no-compiler-left-litter-cleaned-next-time" TERM 143 next \
    check --vocab 5 --hidden 8 --tau 1500 --name ckstop --backend cc

# ---- 7. reserved names ----
# reserved NAME: --name NAME is refused with one line naming --name; nothing written.
reserved() {
    local n=$1 why=() d=$tmp/names/$1
    mkdir -p "$d"
    rn gen --vocab 5 --hidden 3 --tau 2 --name "$n" -o "$d/o" >"$d/out" 2>"$d/err"
    local rc=$?
    [ $rc -eq 2 ] || why+=("status $rc, not 2")
    [ "$(lines "$d/err")" -eq 1 ] && grep -q -- "--name" "$d/err" && grep -q "reserved" "$d/err" ||
        why+=("message: $(one_line "$d/err")")
    [ -e "$d/o" ] && why+=("something was written")
    check "name/$n-refused" "${why[@]}"
}
for n in fp_fast fp int8 uint16 Err e2 sigma sig_x lc_x time_x atomic atomic_x memory_order_x \
    prix size_x token isa strlen strx_ memo wcsx cnd_x mtx_x thrd_x tss_x fe_x math_x flt_x dbl_x \
    pthread_x posix_x sa_x si_x em Sigma s; do
    reserved "$n"
done
why=()
for n in rnn charnn g_onehot demo_model e is_x to_x prime m my_model str_x Tiny; do
    rn gen --vocab 5 --hidden 3 --tau 2 --name "$n" -o "$tmp/names/ok-$n" >/dev/null 2>"$tmp/names/ok.err" ||
        why+=("$n: $(one_line "$tmp/names/ok.err")")
done
check "name/ordinary-names-accepted" "${why[@]}"
why=()
printf 'vocab = 5\nhidden = 3\ntau = 2\nname = fp_fast\n' >"$tmp/names/r.spec"
rn gen "$tmp/names/r.spec" -o "$tmp/names/spec-o" >/dev/null 2>"$tmp/names/spec.err"
rc=$?
[ $rc -eq 2 ] && grep -q "r.spec:4" "$tmp/names/spec.err" || why+=("status $rc: $(one_line "$tmp/names/spec.err")")
rn embed "$base_ck" -o "$tmp/names/emb" --name fp_fast >/dev/null 2>"$tmp/names/emb.err"
rc=$?
[ $rc -eq 2 ] && grep -q -- "--name" "$tmp/names/emb.err" || why+=("embed: status $rc: $(one_line "$tmp/names/emb.err")")
[ -e "$tmp/names/emb" ] && why+=("embed wrote something")
check "name/reserved-in-spec-file-and-embed-refused" "${why[@]}"

suite_end
