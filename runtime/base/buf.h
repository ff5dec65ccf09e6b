/* buf.h: bytes in memory.  The one growable buffer of rnnc (the emitter's output, checkpoint
 * images, SVG charts, a CSV file's table) and the host's byte order.  libc only; nothing here
 * prints or exits. */
#ifndef RNNC_BUF_H
#define RNNC_BUF_H

#include <stddef.h>

/* A growable buffer: data[0..len) holds what was appended, always followed by a '\0' (once
 * anything was appended), so text can be used as a C string.  An allocation that fails sets
 * oom; every later append is then dropped, and rnnc_buf_take fails, so a caller checks once
 * at the end.  Start from RNNC_BUF_INIT (all zero); free with rnnc_buf_free. */
typedef struct rnnc_buf {
    char *data;
    size_t len, cap;
    int oom;
} rnnc_buf;
#define RNNC_BUF_INIT {NULL, 0, 0, 0}

/* Append src[0..n) (n may be 0: the buffer then still holds a '\0'). */
void rnnc_buf_put(rnnc_buf *b, const void *src, size_t n);

/* Append the C string s, without its '\0'. */
void rnnc_buf_str(rnnc_buf *b, const char *s);

/* Append the text printf would write for fmt and the arguments, whatever its length (a
 * formatting error sets oom). */
void rnnc_buf_printf(rnnc_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Hand the bytes over to the caller: returns data (NUL-terminated, an empty string if nothing
 * was appended; the caller frees it) with its length in *len (unless len is NULL), and leaves
 * b empty.  Returns NULL, freeing everything, if an allocation failed (oom). */
char *rnnc_buf_take(rnnc_buf *b, size_t *len);

/* Free the bytes and leave b empty (RNNC_BUF_INIT). */
void rnnc_buf_free(rnnc_buf *b);

/* 1 when this host stores integers and floats least significant byte first (the byte order of
 * checkpoints and safetensors files), else 0. */
int rnnc_host_is_little_endian(void);

#endif
