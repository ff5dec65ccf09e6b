/* jit/cc.c: the system-compiler backend.  The source is compiled by cc into a shared
 * object in a cache directory, keyed by a hash of source + compiler version + flags + CPU
 * (because of -march=native), built under a temporary name and renamed into place so
 * concurrent builds are safe, then dlopen'ed.  A hit is confirmed by comparing the cached
 * copy of the source byte for byte, so a hash collision can never load the wrong code. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../base/util.h"
#include "jit.h"

extern char **environ;

/* Flags: exact by default (no contraction: tcc and cc give the same bits; -fno-math-errno and
 * -fno-trapping-math change no result: they let gcc inline fma/sqrt and if-convert the
 * selects of the generated exp/tanh so that those loops vectorize), fast-math only with
 * --fast. */
static const char *const exact_flags[] = {"-std=c99", "-O3", "-march=native", "-ffp-contract=off",
                                          "-fno-math-errno", "-fno-trapping-math", "-fPIC",
                                          "-shared", NULL};
static const char *const fast_flags[] = {"-std=c99", "-O3", "-march=native", "-ffast-math",
                                         "-fPIC", "-shared", NULL};

/* Messages without the source-line excerpt and caret (the runtime quotes file:line itself):
 * the flag is spelled differently by gcc and clang, told apart by their --version text. */
static const char *no_caret_flag(const char *version)
{
    return strstr(version, "clang") ? "-fno-caret-diagnostics" : "-fno-diagnostics-show-caret";
}

static const char *compiler(void)
{
    const char *cc = getenv("RNNC_CC");
    return cc && *cc ? cc : "cc";
}

/* A writable argv for posix_spawnp, copied from constant strings. */
typedef struct { char *v[16]; char store[16][2600]; size_t n; } argvec;
static void argvec_add(argvec *a, const char *s)
{
    if (a->n + 1 >= 16) return;
    snprintf(a->store[a->n], sizeof a->store[0], "%s", s);
    a->v[a->n] = a->store[a->n];
    a->v[++a->n] = NULL;
}

/* Run argv, capturing stdout+stderr into out (NUL-terminated, truncated).  Returns the exit
 * status, or -1 if it could not be run. */
static int run_capture(char *const argv[], char *out, size_t outlen)
{
    int fds[2];
    if (outlen) out[0] = '\0';
    if (pipe(fds) != 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        snprintf(out, outlen, "%s: cannot run: %s", argv[0], strerror(rc));
        return -1;
    }
    size_t len = 0;
    char tmp[4096];
    ssize_t n;
    while ((n = read(fds[0], tmp, sizeof tmp)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        size_t k = (size_t)n;
        if (outlen && len < outlen - 1) {
            size_t room = outlen - 1 - len;
            memcpy(out + len, tmp, k < room ? k : room);
            len += k < room ? k : room;
            out[len] = '\0';
        }
    }
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The compiler's identity for the cache key: its --version text. */
static int compiler_version(char *buf, size_t n)
{
    static char cached[512];
    static int have;
    if (!have) {
        static argvec av;
        av.n = 0;
        argvec_add(&av, compiler());
        argvec_add(&av, "--version");
        if (run_capture(av.v, cached, sizeof cached) != 0) return -1;
        have = 1;
    }
    snprintf(buf, n, "%s", cached);
    return 0;
}

/* The CPU's model and feature flags (what -march=native depends on). */
static uint64_t cpu_hash(uint64_t h)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return h;
    char line[8192];
    int got = 0;
    while (got < 2 && fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) == 0 || strncmp(line, "flags", 5) == 0) {
            h = rnnc_fnv1a(h, line, strlen(line));
            got++;
        }
    }
    fclose(f);
    return h;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* $RNNC_CACHE_DIR, $XDG_CACHE_HOME/rnnc, $HOME/.cache/rnnc, or /tmp/rnnc-cache-UID. */
static int cache_dir(char *buf, size_t n)
{
    const char *v;
    if ((v = getenv("RNNC_CACHE_DIR")) && *v) snprintf(buf, n, "%s", v);
    else if ((v = getenv("XDG_CACHE_HOME")) && *v) snprintf(buf, n, "%s/rnnc", v);
    else if ((v = getenv("HOME")) && *v) snprintf(buf, n, "%s/.cache/rnnc", v);
    else snprintf(buf, n, "/tmp/rnnc-cache-%ld", (long)getuid());
    return mkdirs(buf);
}

static int same_file_content(const char *path, const char *src, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    int same = 1;
    char buf[8192];
    size_t off = 0, n;
    while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (off + n > len || memcmp(buf, src + off, n) != 0) same = 0;
        off += n;
    }
    fclose(f);
    return same && off == len;
}

static int write_all(const char *path, const char *src, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(src, 1, len, f) == len;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

void *rnnc_cc_open(const char *src, const char *name, int fast, int *cache_hit, char *err,
                   size_t errlen)
{
    const char *const *flags = fast ? fast_flags : exact_flags;
    char dir[2048], version[512];
    *cache_hit = 0;
    if (cache_dir(dir, sizeof dir) != 0) {
        snprintf(err, errlen, "cc: cannot create cache directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    if (compiler_version(version, sizeof version) != 0) {
        snprintf(err, errlen, "cc: cannot run '%s' (install gcc, or set RNNC_CC)", compiler());
        return NULL;
    }
    size_t len = strlen(src);
    uint64_t h = RNNC_FNV_OFFSET;
    h = rnnc_fnv1a(h, src, len + 1);
    h = rnnc_fnv1a(h, compiler(), strlen(compiler()) + 1);
    h = rnnc_fnv1a(h, version, strlen(version) + 1);
    for (size_t i = 0; flags[i]; i++) h = rnnc_fnv1a(h, flags[i], strlen(flags[i]) + 1);
    const char *no_caret = no_caret_flag(version);
    h = rnnc_fnv1a(h, no_caret, strlen(no_caret) + 1);
    h = cpu_hash(h);
    char so[2300], csrc[2300], so_tmp[2400], c_tmp[2400];
    snprintf(so, sizeof so, "%s/%s-%016llx.so", dir, name, (unsigned long long)h);
    snprintf(csrc, sizeof csrc, "%s/%s-%016llx.c", dir, name, (unsigned long long)h);
    if (access(so, R_OK) == 0 && same_file_content(csrc, src, len)) {
        void *hd = dlopen(so, RTLD_NOW | RTLD_LOCAL);
        if (hd) {
            *cache_hit = 1;
            return hd;
        }
    }
    snprintf(so_tmp, sizeof so_tmp, "%s.tmp%ld", so, (long)getpid());
    snprintf(c_tmp, sizeof c_tmp, "%s/%s-%016llx.tmp%ld.c", dir, name, (unsigned long long)h,
             (long)getpid());
    if (write_all(c_tmp, src, len) != 0) {
        snprintf(err, errlen, "cc: cannot write %s: %s", c_tmp, strerror(errno));
        remove(c_tmp);
        return NULL;
    }
    static argvec av; /* large: kept off the stack */
    av.n = 0;
    argvec_add(&av, compiler());
    for (size_t i = 0; flags[i]; i++) argvec_add(&av, flags[i]);
    argvec_add(&av, no_caret);
    argvec_add(&av, "-o");
    argvec_add(&av, so_tmp);
    argvec_add(&av, c_tmp);
    argvec_add(&av, "-lm");
    int rc = run_capture(av.v, err, errlen);
    if (rc != 0) {
        if (rc > 0 && errlen && err[0] == '\0') snprintf(err, errlen, "cc: exit status %d", rc);
        remove(c_tmp);
        remove(so_tmp);
        return NULL;
    }
    if (rename(so_tmp, so) != 0 || rename(c_tmp, csrc) != 0) {
        snprintf(err, errlen, "cc: cannot move %s into the cache: %s", so_tmp, strerror(errno));
        remove(so_tmp);
        remove(c_tmp);
        return NULL;
    }
    if (errlen) err[0] = '\0';
    void *hd = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (!hd) snprintf(err, errlen, "cc: dlopen %s: %s", so, dlerror());
    return hd;
}
