/* jit.c: the backend-neutral half of jit.h: timing, dispatch, symbol lookup. */
#define _POSIX_C_SOURCE 200809L
#include "jit.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rnnc_jit {
    rnnc_backend backend;
    void *state;        /* TCCState* or dlopen handle */
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

rnnc_jit *rnnc_jit_compile(rnnc_backend b, const char *src, const char *name, int fast,
                           char *err, size_t errlen)
{
    rnnc_jit *j = calloc(1, sizeof *j);
    if (!j) {
        if (errlen) strncpy(err, "out of memory", errlen - 1), err[errlen - 1] = '\0';
        return NULL;
    }
    j->backend = b;
    double t0 = now_ms();
    if (b == RNNC_BACKEND_TCC) j->state = rnnc_tcc_compile(src, err, errlen);
    else j->state = rnnc_cc_open(src, name, fast, &j->cache_hit, err, errlen);
    j->ms = now_ms() - t0;
    if (!j->state) {
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
    free(j);
}

double rnnc_jit_compile_ms(const rnnc_jit *j) { return j->ms; }
int rnnc_jit_cache_hit(const rnnc_jit *j) { return j->cache_hit; }
