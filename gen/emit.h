/* emit.h: the one emitter every generated line goes through.  It owns the output buffer,
 * the line counter (so #line directives are computed, never counted by hand) and the
 * indentation; and it copies templates through, filling named holes. */
#ifndef RNNC_EMIT_H
#define RNNC_EMIT_H

#include <stddef.h>

#include "../runtime/base/buf.h"

typedef struct rnnc_emit {
    rnnc_buf out;      /* the text so far (out.oom: out of memory, later writes are dropped) */
    long line;         /* number of the next line to be written (1-based) */
    int base;          /* spaces before every line (the indentation of the current hole) */
    int level;         /* extra indentation in steps of 4 spaces */
    int failed;        /* a line that could not be formatted, or a broken template */
} rnnc_emit;

void rnnc_emit_init(rnnc_emit *e);
void rnnc_emit_free(rnnc_emit *e);

/* Write one or more lines (the formatted text may contain '\n'), each indented by the
 * current base and level, with trailing white space removed.  Empty lines stay empty. */
void rnnc_emit_line(rnnc_emit *e, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Change the indentation level by delta (+1 / -1). */
void rnnc_emit_indent(rnnc_emit *e, int delta);

/* Emit "#line N \"file\"" so the next line is reported as line N of file. */
void rnnc_emit_line_directive(rnnc_emit *e, long n, const char *file);

/* Hand the text over to the caller (NUL-terminated, caller frees).  Returns NULL if any
 * allocation failed or failed was set. */
char *rnnc_emit_take(rnnc_emit *e, size_t *len);

/* A hole filler writes its lines through e; ctx is the caller's. */
typedef void (*rnnc_fill_fn)(rnnc_emit *e, const void *ctx);
typedef struct rnnc_hole {
    const char *name;
    rnnc_fill_fn fill;
} rnnc_hole;

/* Copy template text through e.  A hole is a line holding only a comment "/" "*@ NAME @*" "/";
 * the stub lines after it, up to a line "/" "*@ end @*" "/", are replaced by what the filler
 * for NAME writes, indented like the hole.  Identifiers that start "rnn_" / "RNN_" outside
 * holes are renamed to prefix_ / PREFIX_.  Fails (-1, message naming tmpl_name:line) if a hole
 * has no filler, a hole appears twice, a hole is not closed, or a filler is left unused:
 * every hole is filled exactly once. */
int rnnc_template_render(rnnc_emit *e, const char *tmpl_name, const char *tmpl,
                         const rnnc_hole *holes, size_t nholes, const void *ctx,
                         const char *prefix, char *err, size_t errlen);

#endif
