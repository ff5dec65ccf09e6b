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
