/* jit/tcc.c: the libtcc backend, the only file that includes libtcc.h.  Every libtcc call
 * is checked; messages arrive through the error callback and are collected in err. */
#include <libtcc.h>
#include <stdio.h>
#include <string.h>

#include "../base/util.h"
#include "jit.h"

typedef struct { char *buf; size_t len, cap; } msgbuf;

static void on_error(void *opaque, const char *msg)
{
    msgbuf *m = opaque;
    if (!m->buf || m->cap == 0) return;
    int n = snprintf(m->buf + m->len, m->cap - m->len, "%s%s", m->len ? "\n" : "", msg);
    if (n > 0) m->len += (size_t)n < m->cap - m->len ? (size_t)n : m->cap - m->len - 1;
}

/* Debian 12 ships tinycc 0.9.27, whose tcc_relocate takes a second argument
 * (TCC_RELOCATE_AUTO); upstream dropped it in 2024.  This is the one place that knows. */
static int relocate(TCCState *s)
{
#ifdef TCC_RELOCATE_AUTO
    return tcc_relocate(s, TCC_RELOCATE_AUTO);
#else
    return tcc_relocate(s);
#endif
}

void *rnnc_tcc_compile(const char *src, char *err, size_t errlen)
{
    msgbuf m = {err, 0, errlen};
    if (errlen) err[0] = '\0';
    TCCState *s = tcc_new();
    if (!s) {
        rnnc_fail(err, errlen, "tcc: tcc_new failed (out of memory)");
        return NULL;
    }
    tcc_set_error_func(s, &m, on_error);
    /* Options first, then the output type (libtcc's documented order). */
    tcc_set_options(s, "-std=c99 -Wall");
    if (tcc_set_output_type(s, TCC_OUTPUT_MEMORY) < 0) goto fail;
    /* Without libm, tanhf and friends are undefined unless the host already loaded it. */
    if (tcc_add_library(s, "m") < 0) {
        on_error(&m, "tcc: cannot find libm (install libc6-dev)");
        goto fail;
    }
    if (tcc_compile_string(s, src) < 0) goto fail;
    if (relocate(s) < 0) goto fail;
    return s;
fail:
    if (m.len == 0) rnnc_fail(err, errlen, "tcc: compilation failed");
    tcc_delete(s);
    return NULL;
}

void *rnnc_tcc_symbol(void *state, const char *sym) { return tcc_get_symbol(state, sym); }

void rnnc_tcc_free(void *state)
{
    if (state) tcc_delete(state);
}
