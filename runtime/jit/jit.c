/* jit.c: the backend-neutral half of jit.h: timing, dispatch, symbol lookup. */
#define _POSIX_C_SOURCE 200809L
#include "jit.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../base/util.h"

struct rnnc_jit {
    rnnc_backend backend;
    void *state;        /* TCCState* or dlopen handle */
    int fd;             /* cc: the loaded .so's descriptor (see rnnc_cc_open), else -1 */
    double ms;
    int cache_hit;
};

int rnnc_backend_parse(const char *name, rnnc_backend *out)
{
    if (strcmp(name, "tcc") == 0) *out = RNNC_BACKEND_TCC;
    else if (strcmp(name, "cc") == 0) *out = RNNC_BACKEND_CC;
    else return -1;
    return 0;
}

const char *rnnc_backend_name(rnnc_backend b) { return b == RNNC_BACKEND_TCC ? "tcc" : "cc"; }

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The text of line `line` of file `file` inside the translation unit src, following its
 * #line directives (the unit inlines NAME.h into NAME.c).  Returns 0 if found. */
static int unit_line(const char *src, const char *file, long line, char *out, size_t n)
{
    char cur[256] = "";
    long at = 1;
    for (const char *p = src; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        long dl;
        char df[256];
        if (len > 6 && strncmp(p, "#line ", 6) == 0 && sscanf(p, "#line %ld \"%255[^\"]\"", &dl, df) == 2) {
            snprintf(cur, sizeof cur, "%s", df);
            at = dl;
        } else {
            if (at == line && strcmp(cur, file) == 0) {
                snprintf(out, n, "%.*s", (int)(len < 200 ? len : 200), p);
                return 0;
            }
            at++;
        }
        p = nl ? nl + 1 : p + len;
    }
    return -1;
}

/* Append, under each "FILE:LINE: ..." message of err, the source line it points at. */
static void add_context(const char *src, char *err, size_t errlen)
{
    char *copy = malloc(errlen), out_line[256], file[256];
    if (!copy) return;
    memcpy(copy, err, errlen);
    copy[errlen - 1] = '\0';
    size_t len = 0;
    err[0] = '\0';
    char *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        long ln;
        int k = snprintf(err + len, errlen - len, "%s%s", len ? "\n" : "", line);
        if (k < 0 || (size_t)k >= errlen - len) break;
        len += (size_t)k;
        if (sscanf(line, "%255[^:]:%ld:", file, &ln) == 2 && unit_line(src, file, ln, out_line, sizeof out_line) == 0) {
            k = snprintf(err + len, errlen - len, "\n    %ld | %s", ln, out_line);
            if (k < 0 || (size_t)k >= errlen - len) break;
            len += (size_t)k;
        }
    }
    free(copy);
}

rnnc_jit *rnnc_jit_compile(rnnc_backend b, const char *src, const char *name, int fast,
                           char *err, size_t errlen)
{
    rnnc_jit *j = calloc(1, sizeof *j);
    if (!j) {
        rnnc_fail(err, errlen, "out of memory");
        return NULL;
    }
    j->backend = b;
    j->fd = -1;
    double t0 = now_ms();
    if (b == RNNC_BACKEND_TCC) j->state = rnnc_tcc_compile(src, err, errlen);
    else j->state = rnnc_cc_open(src, name, fast, &j->cache_hit, &j->fd, err, errlen);
    j->ms = now_ms() - t0;
    if (!j->state) {
        if (errlen) add_context(src, err, errlen);
        free(j);
        return NULL;
    }
    return j;
}

void *rnnc_jit_symbol(rnnc_jit *j, const char *sym)
{
    return j->backend == RNNC_BACKEND_TCC ? rnnc_tcc_symbol(j->state, sym) : dlsym(j->state, sym);
}

void rnnc_jit_free(rnnc_jit *j)
{
    if (!j) return;
    if (j->backend == RNNC_BACKEND_TCC) rnnc_tcc_free(j->state);
    else dlclose(j->state);
    if (j->fd >= 0) close(j->fd);
    free(j);
}

double rnnc_jit_compile_ms(const rnnc_jit *j) { return j->ms; }
int rnnc_jit_cache_hit(const rnnc_jit *j) { return j->cache_hit; }
