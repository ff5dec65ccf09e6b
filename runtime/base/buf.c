/* buf.c: the growable buffer and the host's byte order (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Make room for need bytes in all (the '\0' included), doubling from 4 KiB; sets oom and
 * returns -1 when the size overflows or the allocation fails. */
static int reserve(rnnc_buf *b, size_t need)
{
    if (need <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void rnnc_buf_put(rnnc_buf *b, const void *src, size_t n)
{
    if (b->oom) return;
    if (n > SIZE_MAX - 1 - b->len) {
        b->oom = 1;
        return;
    }
    if (reserve(b, b->len + n + 1) != 0) return;
    if (n) memcpy(b->data + b->len, src, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void rnnc_buf_str(rnnc_buf *b, const char *s) { rnnc_buf_put(b, s, strlen(s)); }

void rnnc_buf_printf(rnnc_buf *b, const char *fmt, ...)
{
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n > SIZE_MAX - 1 - b->len) {
        b->oom = 1;
        return;
    }
    if (reserve(b, b->len + (size_t)n + 1) != 0) return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *rnnc_buf_take(rnnc_buf *b, size_t *len)
{
    if (!b->oom && !b->data) rnnc_buf_put(b, "", 0);
    if (b->oom) {
        rnnc_buf_free(b);
        return NULL;
    }
    char *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    rnnc_buf_free(b);
    return p;
}

void rnnc_buf_free(rnnc_buf *b)
{
    free(b->data);
    *b = (rnnc_buf)RNNC_BUF_INIT;
}

int rnnc_host_is_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}
