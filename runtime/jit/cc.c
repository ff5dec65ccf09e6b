/* jit/cc.c: the system-compiler backend.  The source is compiled by cc into a shared
 * object in a cache directory, keyed by a hash of source + compiler version + flags + CPU
 * (because of -march=native), and dlopen'ed.
 *
 * Trust (README, "Security and reliability"): the cache directory is opened once and used
 * only if it belongs to the effective user and nobody else can write it (created 0700 when
 * missing); every later step works relative to that open directory (the compiler runs with
 * it as its working directory), so renaming a parent cannot redirect anything.  Otherwise,
 * or with no cache directory at all, the compile happens in a private directory made with
 * mkdtemp under $TMPDIR and removed at once (no caching), and a notice says so.  A cache
 * entry is STEM.c (the source, compared byte for byte: a hash collision never loads the wrong
 * code), STEM.so and STEM.sum (the .so's FNV-1a 64 and size, written by the rnnc that built
 * it); each file is opened with O_NOFOLLOW and used only if it is a regular file of the
 * user's that nobody else can write, and the .so is loaded only if its bytes, read from the
 * descriptor that was checked, match STEM.sum; then it is dlopen'ed through /proc/self/fd/N
 * of that same descriptor, so the file checked is the file loaded.  Builds use temporaries
 * (util.h's NAME.tmp.PID.XXXXXX, O_EXCL) renamed into place, so concurrent builds of the same
 * source are safe; each process loads the .so it built itself.
 *
 * The compiler runs in a process group of its own, so that rnnc_cc_cancel (from a signal
 * handler) can end it and everything it started. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addfchdir_np, pipe2 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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

/* ---- notices: one line for the user, taken by the caller (this file never prints) ---- */

static pthread_mutex_t notice_lock = PTHREAD_MUTEX_INITIALIZER;
static char notice_text[1024], notice_last[1024];
static int notice_pending;

/* Queue a notice, unless it is the one queued last (each is shown once per process). */
#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static void notice(const char *fmt, ...);
static void notice(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&notice_lock);
    if (strcmp(buf, notice_last) != 0) {
        rnnc_fail(notice_text, sizeof notice_text, "%s", buf);
        snprintf(notice_last, sizeof notice_last, "%s", buf);
        notice_pending = 1;
    }
    pthread_mutex_unlock(&notice_lock);
}

int rnnc_cc_take_notice(char *buf, size_t n)
{
    pthread_mutex_lock(&notice_lock);
    int had = notice_pending;
    if (had) snprintf(buf, n, "%s", notice_text);
    notice_pending = 0;
    pthread_mutex_unlock(&notice_lock);
    return had;
}

/* ---- cancelling: the compilers' process groups, ended from a signal handler ---- */

#define MAX_COMPILES 8
static atomic_int cancel_flag;
static atomic_int compile_pgid[MAX_COMPILES];

void rnnc_cc_cancel(void)
{
    atomic_store(&cancel_flag, 1);
    for (int i = 0; i < MAX_COMPILES; i++) {
        int g = atomic_load(&compile_pgid[i]);
        if (g > 0) kill(-g, SIGTERM);
    }
}

void rnnc_cc_cancel_reset(void) { atomic_store(&cancel_flag, 0); }

/* Record pgid in a free slot (so rnnc_cc_cancel can reach it); the slot, or -1 if all eight
 * are taken (that compile is then only cancelled by the flag, at its end). */
static int pgid_claim(int pgid)
{
    for (int i = 0; i < MAX_COMPILES; i++) {
        int zero = 0;
        if (atomic_compare_exchange_strong(&compile_pgid[i], &zero, pgid)) return i;
    }
    return -1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- running the compiler ---- */

/* A writable argv for posix_spawnp, copied from constant strings. */
typedef struct { char *v[24]; char store[24][600]; size_t n; } argvec;
static void argvec_add(argvec *a, const char *s)
{
    if (a->n + 1 >= 24) return;
    snprintf(a->store[a->n], sizeof a->store[0], "%s", s);
    a->v[a->n] = a->store[a->n];
    a->v[++a->n] = NULL;
}

#define RUN_CANCELLED (-2)

/* Spawn argv in a new process group, with stdout and stderr into a new pipe (returned in
 * *rd), stdin from in_fd (or /dev/null when -1), in the directory cwd_fd (or ours when -1),
 * the signals it may be sent at their default actions.  0, or an errno value. */
static int spawn_child(char *const argv[], int cwd_fd, int in_fd, pid_t *pid, int *rd)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return errno;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGHUP);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    if (in_fd >= 0) posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    else posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (cwd_fd >= 0) posix_spawn_file_actions_addfchdir_np(&fa, cwd_fd);
    int rc = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(fds[1]);
    if (rc != 0) close(fds[0]);
    else *rd = fds[0];
    return rc;
}

/* Run argv (as spawn_child), capturing stdout+stderr into out (NUL-terminated, truncated).
 * Once rnnc_cc_cancel is called the child's group gets SIGTERM (at once, from the handler)
 * and SIGKILL half a second later if it is still there; the child is always reaped.
 * Returns the exit status, -1 if it could not be run or died of a signal, RUN_CANCELLED. */
static int run_capture(char *const argv[], int cwd_fd, int in_fd, char *out, size_t outlen)
{
    if (outlen) out[0] = '\0';
    if (atomic_load(&cancel_flag)) return RUN_CANCELLED;
    pid_t pid;
    int rd = -1, rc = spawn_child(argv, cwd_fd, in_fd, &pid, &rd);
    if (rc != 0) {
        snprintf(out, outlen, "%s: cannot run: %s", argv[0], strerror(rc));
        return -1;
    }
    int slot = pgid_claim(pid);
    double killed_at = 0;
    size_t len = 0;
    for (;;) {
        if (atomic_load(&cancel_flag)) {
            if (killed_at == 0) kill(-pid, SIGTERM), killed_at = now_s();
            else if (now_s() - killed_at > 0.5) kill(-pid, SIGKILL);
        }
        struct pollfd p = {rd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue; /* nothing yet, or a signal: look at the flag again */
        char buf[4096];
        ssize_t n = read(rd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) break;
        size_t k = (size_t)n;
        if (outlen && len < outlen - 1) {
            size_t room = outlen - 1 - len;
            memcpy(out + len, buf, k < room ? k : room);
            len += k < room ? k : room;
            out[len] = '\0';
        }
    }
    close(rd);
    /* Forget the group before reaping its leader: after that its id may be reused. */
    if (slot >= 0) atomic_store(&compile_pgid[slot], 0);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    if (atomic_load(&cancel_flag)) return RUN_CANCELLED;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The compiler's identity for the cache key: its --version text. */
static int compiler_version(char *buf, size_t n)
{
    static char cached[512];
    static int have;
    if (!have) {
        argvec av;
        av.n = 0;
        argvec_add(&av, compiler());
        argvec_add(&av, "--version");
        int rc = run_capture(av.v, -1, -1, cached, sizeof cached);
        if (rc != 0) return rc == RUN_CANCELLED ? RUN_CANCELLED : -1;
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

/* ---- the cache directory ---- */

typedef struct cache {
    int dirfd;
    char path[2048];      /* for messages (and removal, when private) */
    int private_dir;      /* a mkdtemp directory for this compile only */
} cache;

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

/* The cache directory the environment names, and which variable named it: $RNNC_CACHE_DIR,
 * $XDG_CACHE_HOME/rnnc or $HOME/.cache/rnnc.  0, or -1 when none is set. */
static int cache_dir_named(char *buf, size_t n, const char **var)
{
    const char *v;
    if ((v = getenv("RNNC_CACHE_DIR")) && *v) *var = "RNNC_CACHE_DIR", snprintf(buf, n, "%s", v);
    else if ((v = getenv("XDG_CACHE_HOME")) && *v) *var = "XDG_CACHE_HOME", snprintf(buf, n, "%s/rnnc", v);
    else if ((v = getenv("HOME")) && *v) *var = "HOME", snprintf(buf, n, "%s/.cache/rnnc", v);
    else return -1;
    return 0;
}

/* Why the open file fd cannot be trusted (NULL if it can): not of the kind wanted (dir: a
 * directory, else a regular file), not the effective user's, or writable by group or
 * others.  The reason is written to why. */
static const char *untrusted(int fd, int dir, char *why, size_t n)
{
    struct stat st;
    if (fstat(fd, &st) != 0) snprintf(why, n, "cannot be examined: %s", strerror(errno));
    else if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
        snprintf(why, n, "is not a %s", dir ? "directory" : "regular file");
    else if (st.st_uid != geteuid())
        snprintf(why, n, "is owned by uid %lu, not by you (uid %lu)", (unsigned long)st.st_uid,
                 (unsigned long)geteuid());
    else if (st.st_mode & 022)
        snprintf(why, n, "is writable by group or others (mode %04o)", (unsigned)(st.st_mode & 07777));
    else return NULL;
    return why;
}

/* A private directory for one compile, under $TMPDIR (or /tmp): made by mkdtemp (0700, a
 * random name), opened and checked.  0, or -1 with a message. */
static int cache_private(cache *c, char *err, size_t errlen)
{
    const char *t = getenv("TMPDIR");
    char why[256];
    snprintf(c->path, sizeof c->path, "%s/rnnc-cc.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(c->path))
        return rnnc_fail(err, errlen, "cc: cannot make a private directory %s: %s", c->path, strerror(errno));
    c->dirfd = open(c->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (c->dirfd < 0 || untrusted(c->dirfd, 1, why, sizeof why)) {
        if (c->dirfd >= 0) close(c->dirfd);
        return rnnc_fail(err, errlen, "cc: the private directory %s changed under us", c->path);
    }
    c->private_dir = 1;
    return 0;
}

/* Open the cache directory (see the top of this file); on refusal, a notice and a private
 * directory.  0, or -1 with a message when not even that works. */
static int cache_open(cache *c, char *err, size_t errlen)
{
    const char *var = NULL;
    char why[256];
    memset(c, 0, sizeof *c);
    c->dirfd = -1;
    if (cache_dir_named(c->path, sizeof c->path, &var) != 0) {
        notice("cc cache: none (RNNC_CACHE_DIR, XDG_CACHE_HOME and HOME are unset); compiling "
               "without a cache, in a private temporary directory");
        return cache_private(c, err, errlen);
    }
    if (mkdirs(c->path) != 0) snprintf(why, sizeof why, "cannot be created: %s", strerror(errno));
    else if ((c->dirfd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        snprintf(why, sizeof why, "cannot be opened: %s", strerror(errno));
    else if (!untrusted(c->dirfd, 1, why, sizeof why)) return 0;
    if (c->dirfd >= 0) close(c->dirfd);
    notice("cc cache: not using %s (from %s): it %s; compiling without a cache, in a private "
           "temporary directory", c->path, var, why);
    return cache_private(c, err, errlen);
}

/* Close the directory; a private one is removed (the build has removed its files: the
 * loaded .so lives on through its open descriptor). */
static void cache_close(cache *c)
{
    close(c->dirfd);
    if (c->private_dir) rmdir(c->path);
}

/* ---- cache entries ---- */

/* Open name in the cache read-only, refusing links; -1 (silently when it does not exist,
 * else with a notice) unless it is a regular file only the user can write. */
static int open_trusted(const cache *c, const char *name)
{
    char why[256];
    int fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP) notice("cc cache: %s/%s is a symbolic link; not used, rebuilding", c->path, name);
        else if (errno != ENOENT) notice("cc cache: %s/%s cannot be opened (%s); rebuilding", c->path, name, strerror(errno));
        return -1;
    }
    if (untrusted(fd, 0, why, sizeof why)) {
        notice("cc cache: %s/%s %s; not used, rebuilding", c->path, name, why);
        close(fd);
        return -1;
    }
    return fd;
}

/* The record of a .so: "fnv1a64=HASH size=BYTES\n" of the bytes read from fd (from its
 * start).  0, or -1 on a read error. */
static int so_record(int fd, char *rec, size_t n)
{
    uint64_t h = RNNC_FNV_OFFSET;
    unsigned long long size = 0;
    char buf[65536];
    off_t off = 0;
    for (;;) {
        ssize_t k = pread(fd, buf, sizeof buf, off);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) break;
        h = rnnc_fnv1a(h, buf, (size_t)k);
        size += (unsigned long long)k;
        off += k;
    }
    snprintf(rec, n, "fnv1a64=%016llx size=%llu\n", (unsigned long long)h, size);
    return 0;
}

/* Does the file open as fd hold exactly src[0..len)? */
static int same_content(int fd, const char *src, size_t len)
{
    char buf[65536];
    size_t off = 0;
    for (;;) {
        ssize_t k = pread(fd, buf, sizeof buf, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return k == 0 && off == len;
        if (off + (size_t)k > len || memcmp(buf, src + off, (size_t)k) != 0) return 0;
        off += (size_t)k;
    }
}

/* dlopen the file open as fd, by the descriptor (/proc/self/fd/N), not by a path that could
 * be swapped after the checks.  The caller keeps fd open as long as the handle: glibc knows
 * a loaded object by that name, and a reused descriptor number would otherwise alias it. */
static void *open_fd(int fd, char *err, size_t errlen)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    void *hd = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!hd && err) {
        const char *e = dlerror();
        rnnc_fail(err, errlen, "cc: dlopen %s: %s", path, e ? e : "failed");
    }
    return hd;
}

/* A cache hit: STEM.c holds src, STEM.so matches STEM.sum, all three trusted.  The handle,
 * with the .so's descriptor in *keep_fd; NULL on a miss. */
static void *cache_lookup(const cache *c, const char *stem, const char *src, size_t len, int *keep_fd)
{
    char name[600], rec[128], want[128];
    void *hd = NULL;
    int cfd, sumfd = -1, sofd = -1;
    snprintf(name, sizeof name, "%s.c", stem);
    if ((cfd = open_trusted(c, name)) < 0) return NULL;
    int same = same_content(cfd, src, len);
    close(cfd);
    if (!same) return NULL;
    snprintf(name, sizeof name, "%s.sum", stem);
    if ((sumfd = open_trusted(c, name)) < 0) return NULL;
    ssize_t k = pread(sumfd, want, sizeof want - 1, 0);
    close(sumfd);
    want[k > 0 ? k : 0] = '\0';
    snprintf(name, sizeof name, "%s.so", stem);
    if ((sofd = open_trusted(c, name)) < 0) return NULL;
    if (so_record(sofd, rec, sizeof rec) != 0 || strcmp(rec, want) != 0) {
        notice("cc cache: %s/%s does not match its recorded checksum (it changed after rnnc "
               "built it); not used, rebuilding", c->path, name);
    } else if ((hd = open_fd(sofd, NULL, 0)) != NULL) {
        *keep_fd = sofd;
        return hd;
    }
    close(sofd);
    return NULL;
}

/* Write src[0..len) whole to fd.  0, or -1 with errno. */
static int write_all(int fd, const char *src, size_t len)
{
    while (len > 0) {
        ssize_t k = write(fd, src, len);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        src += k;
        len -= (size_t)k;
    }
    return 0;
}

/* A build in progress: the temporaries (source, object) in the cache directory. */
typedef struct build {
    char stem[520], ctmp[600], sotmp[600];
    int cfd;
} build;

/* Run the compiler on the source open as b->cfd (its stdin), writing b->sotmp, in the
 * cache directory.  0, or -1 with the compiler's messages (or why it did not run) in err. */
static int build_compile(const cache *c, const build *b, const char *const *flags, const char *no_caret,
                         char *err, size_t errlen)
{
    argvec av;
    av.n = 0;
    argvec_add(&av, compiler());
    for (size_t i = 0; flags[i]; i++) argvec_add(&av, flags[i]);
    argvec_add(&av, no_caret);
    argvec_add(&av, "-x");
    argvec_add(&av, "c");
    argvec_add(&av, "-");
    argvec_add(&av, "-o");
    argvec_add(&av, b->sotmp);
    argvec_add(&av, "-lm");
    int rc = run_capture(av.v, c->dirfd, b->cfd, err, errlen);
    if (rc == RUN_CANCELLED) return rnnc_fail(err, errlen, "cc: the compile was cancelled");
    if (rc != 0 && errlen && err[0] == '\0') rnnc_fail(err, errlen, "cc: exit status %d", rc);
    return rc == 0 ? 0 : -1;
}

/* Check the object the compiler wrote (ours, a regular file), make it 0700, record its hash
 * in rec and load it.  The handle, with its descriptor in *keep_fd; NULL with a message. */
static void *build_load(const cache *c, const build *b, char *rec, size_t recn, int *keep_fd,
                        char *err, size_t errlen)
{
    char why[256];
    int fd = openat(c->dirfd, b->sotmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fchmod(fd, 0700) != 0 || untrusted(fd, 0, why, sizeof why) ||
        so_record(fd, rec, recn) != 0) {
        if (fd >= 0) close(fd);
        rnnc_fail(err, errlen, "cc: the compiler's output %s/%s is not a file of yours", c->path, b->sotmp);
        return NULL;
    }
    void *hd = open_fd(fd, err, errlen);
    if (!hd) close(fd);
    else *keep_fd = fd;
    return hd;
}

/* Put the entry in place: STEM.so, STEM.sum, then STEM.c (a reader wants all three, so a
 * half-published entry is a miss).  Failures only cost the next run a rebuild. */
static void build_publish(const cache *c, build *b, const char *rec)
{
    char name[600], err[256];
    snprintf(name, sizeof name, "%s.so", b->stem);
    if (renameat(c->dirfd, b->sotmp, c->dirfd, name) != 0) return;
    b->sotmp[0] = '\0';
    snprintf(name, sizeof name, "%s.sum", b->stem);
    if (rnnc_write_atomic_at(c->dirfd, c->path, name, rec, strlen(rec), 0600, err, sizeof err) != 0) return;
    snprintf(name, sizeof name, "%s.c", b->stem);
    if (renameat(c->dirfd, b->ctmp, c->dirfd, name) == 0) b->ctmp[0] = '\0';
}

/* Compile src into the cache (or the private directory) and load the result. */
static void *cache_build(const cache *c, const char *stem, const char *src, size_t len,
                         const char *const *flags, const char *no_caret, int *keep_fd, char *err,
                         size_t errlen)
{
    build b;
    char name[600], rec[128];
    void *hd = NULL;
    int ofd;
    memset(&b, 0, sizeof b);
    snprintf(b.stem, sizeof b.stem, "%s", stem);
    snprintf(name, sizeof name, "%s.c", stem);
    b.cfd = rnnc_tmp_create_at(c->dirfd, name, 0600, b.ctmp, sizeof b.ctmp);
    if (b.cfd < 0 || write_all(b.cfd, src, len) != 0 || lseek(b.cfd, 0, SEEK_SET) != 0) {
        rnnc_fail(err, errlen, "cc: cannot write %s/%s: %s", c->path, b.cfd < 0 ? name : b.ctmp, strerror(errno));
        goto out;
    }
    snprintf(name, sizeof name, "%s.so", stem);
    ofd = rnnc_tmp_create_at(c->dirfd, name, 0600, b.sotmp, sizeof b.sotmp);
    if (ofd < 0) {
        b.sotmp[0] = '\0';
        rnnc_fail(err, errlen, "cc: cannot write %s/%s: %s", c->path, name, strerror(errno));
        goto out;
    }
    close(ofd); /* the name is reserved; the linker writes the file */
    if (build_compile(c, &b, flags, no_caret, err, errlen) != 0) goto out;
    if (errlen) err[0] = '\0';
    if (!(hd = build_load(c, &b, rec, sizeof rec, keep_fd, err, errlen))) goto out;
    if (!c->private_dir) build_publish(c, &b, rec);
out:
    if (b.cfd >= 0) close(b.cfd);
    if (b.ctmp[0]) unlinkat(c->dirfd, b.ctmp, 0);
    if (b.sotmp[0]) unlinkat(c->dirfd, b.sotmp, 0);
    return hd;
}

void *rnnc_cc_open(const char *src, const char *name, int fast, int *cache_hit, int *keep_fd,
                   char *err, size_t errlen)
{
    const char *const *flags = fast ? fast_flags : exact_flags;
    char version[512], stem[520];
    cache c;
    *cache_hit = 0;
    *keep_fd = -1;
    int vrc = compiler_version(version, sizeof version);
    if (vrc == RUN_CANCELLED) {
        rnnc_fail(err, errlen, "cc: the compile was cancelled");
        return NULL;
    }
    if (vrc != 0) {
        rnnc_fail(err, errlen, "cc: cannot run '%s' (install gcc, or set RNNC_CC)", compiler());
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
    snprintf(stem, sizeof stem, "%s-%016llx", name, (unsigned long long)h);
    if (cache_open(&c, err, errlen) != 0) return NULL;
    void *hd = NULL;
    if (!c.private_dir) {
        rnnc_clean_stale_at(c.dirfd, NULL);
        if ((hd = cache_lookup(&c, stem, src, len, keep_fd)) != NULL) *cache_hit = 1;
    }
    if (!hd) hd = cache_build(&c, stem, src, len, flags, no_caret, keep_fd, err, errlen);
    cache_close(&c);
    if (hd && errlen) err[0] = '\0';
    return hd;
}
