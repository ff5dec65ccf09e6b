/* util.c: one-line error messages and the files rnnc writes (see util.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* flock */
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ---- messages ---------------------------------------------------------------------------- */

/* The well-formed UTF-8 sequence at p (NUL-terminated): its length (2 to 4) with the code
 * point in *cp, or 0 when p does not start one (a stray continuation byte, a lead byte
 * without its continuation bytes, an overlong form, a surrogate, above U+10FFFF, or a byte
 * that never occurs in UTF-8).  p[0] must be >= 0x80.  The terminating NUL is never a
 * continuation byte, so this never reads past it. */
static size_t utf8_seq(const unsigned char *p, uint32_t *cp)
{
    unsigned b = p[0];
    size_t n;
    uint32_t c, min;
    if (b >= 0xC2 && b <= 0xDF) n = 2, c = b & 0x1F, min = 0x80;
    else if (b >= 0xE0 && b <= 0xEF) n = 3, c = b & 0x0F, min = 0x800;
    else if (b >= 0xF0 && b <= 0xF4) n = 4, c = b & 0x07, min = 0x10000;
    else return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = c << 6 | (p[i] & 0x3Fu);
    }
    if (c < min || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return 0;
    *cp = c;
    return n;
}

int rnnc_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0) return -1;
    char small[4096], *msg = small, *big = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        snprintf(small, sizeof small, "(a message that could not be formatted)");
        n = 0;
    }
    /* A longer message is formatted again in full when err has room for more of it (escapes
     * only lengthen it, so errlen - 1 characters of it are always enough). */
    if ((size_t)n >= sizeof small && errlen > sizeof small) {
        size_t want = (size_t)n < errlen ? (size_t)n + 1 : errlen;
        big = malloc(want);
        if (big) {
            va_start(ap, fmt);
            int m = vsnprintf(big, want, fmt, ap);
            va_end(ap);
            if (m >= 0) msg = big;
        }
    }
    /* Each piece (an ASCII byte, an escape, or a whole UTF-8 sequence) is copied whole or
     * not at all, so a cut never splits one. */
    size_t o = 0, used;
    for (const unsigned char *p = (const unsigned char *)msg; *p; p += used) {
        char esc[8];
        const char *src = esc;
        size_t k;
        uint32_t cp = 0;
        used = 1;
        if (*p == '\n') k = (size_t)snprintf(esc, sizeof esc, "\\n");
        else if (*p == '\r') k = (size_t)snprintf(esc, sizeof esc, "\\r");
        else if (*p == '\t') k = (size_t)snprintf(esc, sizeof esc, "\\t");
        else if (*p < 0x20 || *p == 0x7f) k = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
        else if (*p < 0x80) src = (const char *)p, k = 1;
        else if ((used = utf8_seq(p, &cp)) == 0) {
            used = 1;   /* not UTF-8: this byte alone, escaped */
            k = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
        } else if (cp <= 0x9F) {
            k = (size_t)snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);   /* C1 control */
        } else {
            src = (const char *)p, k = used;
        }
        if (o + k >= errlen) break;
        memcpy(err + o, src, k);
        o += k;
    }
    err[o] = '\0';
    free(big);
    return -1;
}

/* ---- files rnnc writes ------------------------------------------------------------------- */

/* Write p[0..n) to fd whole, retrying after EINTR and short writes.  0, or -1 with errno. */
static int write_full(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (k == 0) {
            errno = EIO;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Six random characters of [A-Za-z0-9] into out[0..6] (and a NUL): from getrandom, or, if the
 * kernel has none to give at once, from the clock, the pid and a counter (the names need to
 * be hard to guess only as a courtesy: O_EXCL makes a guessed name harmless). */
static void random_chars(char out[7])
{
    static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static unsigned long counter;
    unsigned char r[6];
    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^ ((uint64_t)getpid() << 16) ^
                     (uint64_t)(counter++ * 0x9e3779b97f4a7c15ull);
        for (int i = 0; i < 6; i++) {
            x = (x ^ (x >> 31)) * 0xbf58476d1ce4e5b9ull;
            r[i] = (unsigned char)(x >> 56);
        }
    }
    for (int i = 0; i < 6; i++) out[i] = set[r[i] % 62];
    out[6] = '\0';
}

/* If s (of length n) is "PID" or "PID.XXXXXX" (XXXXXX six of [A-Za-z0-9]), the PID; else 0. */
static long temp_suffix_pid(const char *s, size_t n)
{
    size_t i = 0;
    long pid = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (i >= 9) return 0;
        pid = pid * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0 || s[0] == '0') return 0;
    if (i == n) return pid;
    if (n - i != 7 || s[i] != '.') return 0;
    for (size_t k = i + 1; k < n; k++)
        if (!isalnum((unsigned char)s[k])) return 0;
    return pid;
}

/* The process id of the temporary file entry (a name as rnnc_tmp_create_at makes them, for
 * the destination name, or for any destination when name is NULL), or 0. */
static long temp_entry_pid(const char *entry, const char *name)
{
    size_t el = strlen(entry);
    if (name) {
        size_t nl = strlen(name);
        if (el <= nl + 5 || strncmp(entry, name, nl) != 0 || strncmp(entry + nl, ".tmp.", 5) != 0)
            return 0;
        return temp_suffix_pid(entry + nl + 5, el - nl - 5);
    }
    for (const char *p = entry + 1; (p = strstr(p, ".tmp.")) != NULL; p++) {
        long pid = temp_suffix_pid(p + 5, el - (size_t)(p + 5 - entry));
        if (pid) return pid;
    }
    return 0;
}

size_t rnnc_clean_stale_at(int dirfd, const char *name)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return 0;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return 0;
    }
    size_t removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = temp_entry_pid(e->d_name, name);
        struct stat st;
        if (pid <= 0 || pid == (long)getpid()) continue;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            st.st_uid != geteuid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        if (unlinkat(dirfd, e->d_name, 0) == 0) removed++;
    }
    closedir(d);
    return removed;
}

int rnnc_tmp_create_at(int dirfd, const char *name, unsigned mode, char *tmp, size_t tmplen)
{
    rnnc_clean_stale_at(dirfd, name);
    for (int tries = 0; tries < 100; tries++) {
        char rnd[7];
        random_chars(rnd);
        int n = snprintf(tmp, tmplen, "%s.tmp.%ld.%s", name, (long)getpid(), rnd);
        if (n < 0 || (size_t)n >= tmplen) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

/* One file being written: its directory, final name, temporary and descriptor. */
typedef struct pending {
    const char *label;    /* the destination as the user named it, for messages */
    int dirfd;
    int own_dir;          /* dirfd was opened here (closed by pending_end) */
    const char *name;     /* the final name inside dirfd */
    char tmp[512];
    int fd;               /* the temporary, open; -1 once closed */
} pending;

/* Open the directory of path (its last '/'), and point p->name at the file name.  0, or -1
 * with a message. */
static int pending_dir(pending *p, const char *path, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    p->name = slash ? slash + 1 : path;
    if (!*p->name) return rnnc_fail(err, errlen, "%s: cannot write: it names a directory", path);
    char dir[4096];
    if (slash && (size_t)(slash - path) >= sizeof dir)
        return rnnc_fail(err, errlen, "%s: cannot write: path too long", path);
    if (slash && slash == path) snprintf(dir, sizeof dir, "/");
    else if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else snprintf(dir, sizeof dir, ".");
    p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p->dirfd < 0)
        return rnnc_fail(err, errlen, "%s: cannot write (open directory %s): %s", path, dir, strerror(errno));
    p->own_dir = 1;
    return 0;
}

/* Start writing the file name in dirfd (or path, when dirfd is -1): a fresh temporary.  0, or
 * -1 with a message (p needs pending_end either way). */
static int pending_begin(pending *p, int dirfd, const char *label, const char *path, unsigned mode,
                         char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->label = label;
    p->fd = -1;
    p->dirfd = dirfd;
    p->name = path;
    if (dirfd == -1 && pending_dir(p, path, err, errlen) != 0) return -1;
    p->fd = rnnc_tmp_create_at(p->dirfd, p->name, mode, p->tmp, sizeof p->tmp);
    if (p->fd < 0) {
        p->tmp[0] = '\0';
        return rnnc_fail(err, errlen, "%s: cannot write (create a temporary file): %s", label, strerror(errno));
    }
    return 0;
}

/* Write the parts (at most *left bytes of them, counted down), then fsync and close.  The
 * test hook (crash != 0) aborts once *left reaches 0.  0, or -1 with a message. */
static int pending_fill(pending *p, const rnnc_span *parts, size_t nparts, size_t *left, int crash,
                        char *err, size_t errlen)
{
    const char *what = "write";
    int e = 0;
    for (size_t i = 0; i < nparts && !e && *left > 0; i++) {
        size_t n = parts[i].len < *left ? parts[i].len : *left;
        if (n && write_full(p->fd, parts[i].data, n) != 0) e = errno;
        *left -= n;
    }
    if (crash && !e && *left == 0) abort();
    if (!e && fsync(p->fd) != 0) e = errno, what = "fsync";
    if (close(p->fd) != 0 && !e) e = errno, what = "close";
    p->fd = -1;
    if (e) return rnnc_fail(err, errlen, "%s: cannot write (%s): %s", p->label, what, strerror(e));
    return 0;
}

/* Close what is open, remove the temporary unless it was renamed (p->tmp emptied). */
static void pending_end(pending *p)
{
    if (p->fd >= 0) close(p->fd);
    if (p->tmp[0]) unlinkat(p->dirfd, p->tmp, 0);
    if (p->own_dir) close(p->dirfd);
    p->fd = -1;
    p->tmp[0] = '\0';
    p->own_dir = 0;
}

/* Rename the temporary over the destination.  0, or -1 with errno. */
static int pending_commit(pending *p)
{
    if (renameat(p->dirfd, p->tmp, p->dirfd, p->name) != 0) return -1;
    p->tmp[0] = '\0';
    return 0;
}

/* The total length of parts. */
static size_t parts_len(const rnnc_span *parts, size_t nparts)
{
    size_t total = 0;
    for (size_t i = 0; i < nparts; i++) total += parts[i].len;
    return total;
}

int rnnc_write_atomic_set(const rnnc_out_file *files, size_t nfiles, char *err, size_t errlen)
{
    pending *ps = calloc(nfiles ? nfiles : 1, sizeof *ps);
    if (!ps) return rnnc_fail(err, errlen, "%s: cannot write: out of memory", nfiles ? files[0].path : "");
    const char *hook = getenv("RNNC_TEST_CRASH_DURING_SAVE");
    int crash = hook && hook[0] == '1', rc = 0;
    size_t i, done = 0;
    for (i = 0; i < nfiles; i++) ps[i].fd = -1;
    for (i = 0; i < nfiles && rc == 0; i++) {
        size_t total = parts_len(files[i].parts, files[i].nparts);
        size_t left = crash && i == 0 ? total / 2 : total;
        rc = pending_begin(&ps[i], -1, files[i].path, files[i].path, 0644, err, errlen);
        if (rc == 0) rc = pending_fill(&ps[i], files[i].parts, files[i].nparts, &left, crash && i == 0, err, errlen);
    }
    for (i = 0; i < nfiles && rc == 0; i++, done++)
        if (pending_commit(&ps[i]) != 0) {
            int e = errno;
            rc = rnnc_fail(err, errlen, "%s: cannot write (rename): %s%s%s%s", files[i].path, strerror(e),
                           done ? "; " : "", done ? files[0].path : "",
                           done == 1 ? " was already replaced" : done ? " and the files after it were already replaced" : "");
        }
    for (i = 0; i < nfiles; i++) {
        if (rc == 0) (void)fsync(ps[i].dirfd);
        pending_end(&ps[i]);
    }
    free(ps);
    return rc;
}

int rnnc_write_atomic_parts(const char *path, const rnnc_span *parts, size_t nparts, char *err,
                            size_t errlen)
{
    rnnc_out_file one = {path, parts, nparts};
    return rnnc_write_atomic_set(&one, 1, err, errlen);
}

int rnnc_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    rnnc_span one = {data, len};
    return rnnc_write_atomic_parts(path, &one, 1, err, errlen);
}

int rnnc_write_atomic_at(int dirfd, const char *dirpath, const char *name, const void *data,
                         size_t len, unsigned mode, char *err, size_t errlen)
{
    char label[4096];
    snprintf(label, sizeof label, "%s%s%s", dirpath ? dirpath : "", dirpath ? "/" : "", name);
    pending p;
    rnnc_span one = {data, len};
    size_t left = len;
    int rc = pending_begin(&p, dirfd, label, name, mode, err, errlen);
    if (rc == 0) rc = pending_fill(&p, &one, 1, &left, 0, err, errlen);
    if (rc == 0 && pending_commit(&p) != 0)
        rc = rnnc_fail(err, errlen, "%s: cannot write (rename): %s", label, strerror(errno));
    if (rc == 0) (void)fsync(dirfd);
    pending_end(&p);
    return rc;
}

/* ---- the --log file ---- */

int rnnc_append_whole(int fd, const void *row, size_t len)
{
    off_t before = lseek(fd, 0, SEEK_END);
    ssize_t k;
    do k = write(fd, row, len);
    while (k < 0 && errno == EINTR);
    if (k == (ssize_t)len) return 0;
    int e = k < 0 ? errno : 0;
    /* Cut short: the rest once more, which either completes the row or says why not. */
    if (k >= 0 && write_full(fd, (const unsigned char *)row + k, len - (size_t)k) == 0) return 0;
    if (!e) e = errno;
    if (before >= 0) (void)ftruncate(fd, before);
    errno = e;
    return -1;
}

/* Make path a new empty log (a temporary renamed into place) and return it open.  -1 with a
 * message on failure. */
static int log_create(const char *path, char *err, size_t errlen)
{
    pending p;
    if (pending_begin(&p, -1, path, path, 0644, err, errlen) != 0) {
        pending_end(&p);
        return rnnc_fail(err, errlen, "--log: %s", err);
    }
    int fd = p.fd;
    p.fd = -1; /* kept open for the caller */
    if (pending_commit(&p) != 0) {
        int e = errno;
        close(fd);
        pending_end(&p);
        return rnnc_fail(err, errlen, "--log: cannot create %s: %s", path, strerror(e));
    }
    (void)fsync(p.dirfd);
    pending_end(&p);
    return fd;
}

/* Does the existing file path start with something other than header (its first line)? */
static int log_header_differs(const char *path, const char *header)
{
    size_t n = strlen(header);
    char buf[1024];
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || n > sizeof buf) {
        if (fd >= 0) close(fd);
        return 0;   /* the append below reports what is wrong */
    }
    ssize_t k = pread(fd, buf, n, 0);
    close(fd);
    return k != (ssize_t)n || memcmp(buf, header, n) != 0;
}

int rnnc_log_open(const char *path, const char *header, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 && errno != ENOENT && errno != ELOOP) {
        int e = errno;
        if (e == ENXIO || e == EISDIR)
            return rnnc_fail(err, errlen, "--log: %s is not a regular file", path);
        return rnnc_fail(err, errlen, "--log: cannot open %s: %s", path, strerror(e));
    }
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        return rnnc_fail(err, errlen, "--log: %s is not a regular file", path);
    }
    int reuse = fd >= 0 && st.st_uid == geteuid() && st.st_nlink == 1;
    if (fd >= 0 && !reuse) close(fd);
    if (reuse && st.st_size > 0 && log_header_differs(path, header)) {
        close(fd);
        return rnnc_fail(err, errlen, "--log: %s does not start with this run's header '%.*s' (a log of another "
                         "kind of run, or of an older rnnc): give another file", path, (int)strcspn(header, "\n"), header);
    }
    if (!reuse && (fd = log_create(path, err, errlen)) < 0) return -1;
    if (fcntl(fd, F_SETFL, O_APPEND) != 0 || (fstat(fd, &st) == 0 && st.st_size == 0 &&
                                              rnnc_append_whole(fd, header, strlen(header)) != 0)) {
        int e = errno;
        close(fd);
        return rnnc_fail(err, errlen, "--log: cannot write %s: %s", path, strerror(e));
    }
    return fd;
}

/* ---- the lock of an output path ---- */

int rnnc_lock_output(const char *path, char *err, size_t errlen)
{
    char lock[4200];
    if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int)sizeof lock)
        return rnnc_fail(err, errlen, "%s: path too long", path);
    for (int tries = 0; tries < 20; tries++) {
        int fd = open(lock, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
        struct stat a, b;
        if (fd < 0) {
            int e = errno;
            if (e == ELOOP) return rnnc_fail(err, errlen, "%s is a symbolic link (remove it)", lock);
            return rnnc_fail(err, errlen, "cannot create the lock file %s: %s", lock, strerror(e));
        }
        if (fstat(fd, &a) != 0 || !S_ISREG(a.st_mode)) {
            close(fd);
            return rnnc_fail(err, errlen, "%s is not a regular file (remove it)", lock);
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK) {
                rnnc_fail(err, errlen, "%s is being written by another process (it holds %s)", path, lock);
                return -2;
            }
            return rnnc_fail(err, errlen, "cannot lock %s: %s", lock, strerror(e));
        }
        /* Locked: still the file at that name (not removed by the writer before us)? */
        if (lstat(lock, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) return fd;
        close(fd);
    }
    return rnnc_fail(err, errlen, "cannot lock %s: it keeps changing", lock);
}

void rnnc_unlock_output(const char *path, int fd)
{
    if (fd < 0) return;
    char lock[4200];
    struct stat a, b;
    if (snprintf(lock, sizeof lock, "%s.lock", path) < (int)sizeof lock && fstat(fd, &a) == 0 &&
        lstat(lock, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        unlink(lock);
    close(fd);
}

uint64_t rnnc_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}
