/* util.c: one-line error messages and atomic file writes (see util.h). */
#define _POSIX_C_SOURCE 200809L
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- messages ---------------------------------------------------------------------------- */

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
    int cut = (size_t)n >= sizeof small;
    if (cut && errlen > sizeof small) {
        size_t want = (size_t)n < errlen ? (size_t)n + 1 : errlen;
        big = malloc(want);
        if (big) {
            va_start(ap, fmt);
            int m = vsnprintf(big, want, fmt, ap);
            va_end(ap);
            if (m >= 0) msg = big, cut = (size_t)m >= want;
        }
    }
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        char esc[8];
        size_t k;
        if (*p == '\n') k = (size_t)snprintf(esc, sizeof esc, "\\n");
        else if (*p == '\r') k = (size_t)snprintf(esc, sizeof esc, "\\r");
        else if (*p == '\t') k = (size_t)snprintf(esc, sizeof esc, "\\t");
        else if (*p < 0x20 || *p == 0x7f) k = (size_t)snprintf(esc, sizeof esc, "\\x%02x", *p);
        else {
            esc[0] = (char)*p;
            k = 1;
        }
        if (o + k >= errlen) {
            cut = 1;
            break;
        }
        memcpy(err + o, esc, k);
        o += k;
    }
    /* Cut: do not leave the first bytes of a UTF-8 sequence at the end. */
    if (cut) {
        size_t e = o;
        while (e > 0 && ((unsigned char)err[e - 1] & 0xC0) == 0x80) e--;
        if (e > 0 && (unsigned char)err[e - 1] >= 0xC0) {
            unsigned lead = (unsigned char)err[e - 1];
            size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (o - (e - 1) < want) o = e - 1;
        }
    }
    err[o] = '\0';
    free(big);
    return -1;
}

/* ---- atomic writes ----------------------------------------------------------------------- */

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

/* fsync the directory holding path, so a rename into it is durable; errors are ignored. */
static void sync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = NULL;
    if (slash) {
        size_t dl = slash == path ? 1 : (size_t)(slash - path);
        dir = malloc(dl + 1);
        if (!dir) return;
        memcpy(dir, path, dl);
        dir[dl] = '\0';
    }
    int dfd = open(dir ? dir : ".", O_RDONLY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir);
}

int rnnc_write_atomic_parts(const char *path, const rnnc_span *parts, size_t nparts, char *err,
                            size_t errlen)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) return rnnc_fail(err, errlen, "%s: cannot write: out of memory", path);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        rnnc_fail(err, errlen, "%s: cannot write (create %s): %s", path, tmp, strerror(e));
        free(tmp);
        return -1;
    }
    /* Test hook: die half-way through writing, as a crash or a kill -9 would. */
    const char *hook = getenv("RNNC_TEST_CRASH_DURING_SAVE");
    int crash = hook && hook[0] == '1';
    size_t total = 0;
    for (size_t i = 0; i < nparts; i++) total += parts[i].len;
    size_t left = crash ? total / 2 : total;

    const char *what = "write";
    int e = 0;
    for (size_t i = 0; i < nparts && left > 0 && !e; i++) {
        size_t n = parts[i].len < left ? parts[i].len : left;
        if (n && write_full(fd, parts[i].data, n) != 0) e = errno;
        left -= n;
    }
    if (crash && !e) abort();
    if (!e && fsync(fd) != 0) e = errno, what = "fsync";
    if (close(fd) != 0 && !e) e = errno, what = "close";
    if (!e && rename(tmp, path) != 0) e = errno, what = "rename";
    if (e) {
        unlink(tmp);
        free(tmp);
        return rnnc_fail(err, errlen, "%s: cannot write (%s): %s", path, what, strerror(e));
    }
    free(tmp);
    sync_dir_of(path);
    return 0;
}

int rnnc_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
    rnnc_span one = {data, len};
    return rnnc_write_atomic_parts(path, &one, 1, err, errlen);
}

uint64_t rnnc_fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}
