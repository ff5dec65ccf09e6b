/* emit.c: the emitter and the template filler (see emit.h). */
#include "emit.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/base/util.h"

void rnnc_emit_init(rnnc_emit *e)
{
    memset(e, 0, sizeof *e);
    e->line = 1;
}

void rnnc_emit_free(rnnc_emit *e)
{
    rnnc_buf_free(&e->out);
    rnnc_emit_init(e);
}

static void put(rnnc_emit *e, const char *s, size_t n)
{
    if (e->failed) return;
    rnnc_buf_put(&e->out, s, n);
}

/* One physical line: indentation, text without trailing blanks, newline. */
static void put_line(rnnc_emit *e, const char *s, size_t n)
{
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n > 0) {
        static const char spaces[] = "                                                        ";
        size_t ind = (size_t)e->base + 4 * (size_t)(e->level > 0 ? e->level : 0);
        while (ind > 0) {
            size_t k = ind < sizeof spaces - 1 ? ind : sizeof spaces - 1;
            put(e, spaces, k);
            ind -= k;
        }
        put(e, s, n);
    }
    put(e, "\n", 1);
    e->line++;
}

void rnnc_emit_line(rnnc_emit *e, const char *fmt, ...)
{
    char small[512], *text = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        e->failed = 1;
        return;
    }
    if ((size_t)n >= sizeof small) {
        text = malloc((size_t)n + 1);
        if (!text) {
            e->failed = 1;
            return;
        }
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    const char *p = text;
    for (;;) {
        const char *nl = strchr(p, '\n');
        if (!nl) {
            put_line(e, p, strlen(p));
            break;
        }
        put_line(e, p, (size_t)(nl - p));
        p = nl + 1;
    }
    if (text != small) free(text);
}

void rnnc_emit_indent(rnnc_emit *e, int delta) { e->level += delta; }

void rnnc_emit_line_directive(rnnc_emit *e, long n, const char *file)
{
    int base = e->base, level = e->level;
    e->base = e->level = 0;
    rnnc_emit_line(e, "#line %ld \"%s\"", n, file);
    e->base = base;
    e->level = level;
}

char *rnnc_emit_take(rnnc_emit *e, size_t *len)
{
    char *text = e->failed ? NULL : rnnc_buf_take(&e->out, len);
    rnnc_emit_free(e);
    return text;
}

/* ---- templates ---- */

/* If the line [s, s+n) is exactly a marker comment "/" "*@ WORD @*" "/" (blanks around it
 * allowed), copy WORD into word and return 1. */
static int marker(const char *s, size_t n, char *word, size_t wn)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    if (n < 8 || memcmp(s, "/*@ ", 4) != 0 || memcmp(s + n - 4, " @*/", 4) != 0) return 0;
    size_t k = n - 8;
    if (k == 0 || k >= wn) return 0;
    for (size_t i = 0; i < k; i++)
        if (!(isalnum((unsigned char)s[4 + i]) || s[4 + i] == '_')) return 0;
    memcpy(word, s + 4, k);
    word[k] = '\0';
    return 1;
}

/* Copy one template line through, renaming rnn_ / RNN_ identifiers to the prefix. */
static void put_renamed(rnnc_emit *e, const char *s, size_t n, const char *prefix,
                        const char *upper)
{
    char out[1024];
    size_t o = 0;
    int overflow = 0;
    for (size_t i = 0; i < n;) {
        int at_ident = isalpha((unsigned char)s[i]) || s[i] == '_';
        int boundary = i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_');
        const char *rep = NULL;
        if (at_ident && boundary && n - i >= 4) {
            if (memcmp(s + i, "rnn_", 4) == 0) rep = prefix;
            else if (memcmp(s + i, "RNN_", 4) == 0) rep = upper;
        }
        if (rep) {
            size_t k = strlen(rep);
            if (o + k + 1 >= sizeof out) { overflow = 1; break; }
            memcpy(out + o, rep, k);
            o += k;
            out[o++] = '_';
            i += 4;
        } else {
            if (o + 1 >= sizeof out) { overflow = 1; break; }
            out[o++] = s[i++];
        }
    }
    if (overflow) {
        e->failed = 1;
        return;
    }
    int base = e->base, level = e->level;
    e->base = e->level = 0;
    put_line(e, out, o);
    e->base = base;
    e->level = level;
}

int rnnc_template_render(rnnc_emit *e, const char *tmpl_name, const char *tmpl,
                         const rnnc_hole *holes, size_t nholes, const void *ctx,
                         const char *prefix, char *err, size_t errlen)
{
    char upper[64], word[64];
    size_t pl = strlen(prefix);
    if (pl >= sizeof upper) {
        rnnc_fail(err, errlen, "%s: name too long", tmpl_name);
        return -1;
    }
    for (size_t i = 0; i <= pl; i++) upper[i] = (char)toupper((unsigned char)prefix[i]);
    unsigned char used[64] = {0};
    if (nholes > sizeof used) {
        rnnc_fail(err, errlen, "%s: too many holes", tmpl_name);
        return -1;
    }
    const char *p = tmpl;
    long lineno = 0, hole_line = 0;
    size_t open = nholes; /* index of the hole being skipped, or nholes */
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        if (marker(p, n, word, sizeof word)) {
            if (open < nholes) {
                if (strcmp(word, "end") != 0) {
                    rnnc_fail(err, errlen, "%s:%ld: hole %s opened at line %ld is not closed",
                              tmpl_name, lineno, holes[open].name, hole_line);
                    return -1;
                }
                open = nholes;
            } else {
                size_t h;
                for (h = 0; h < nholes && strcmp(holes[h].name, word) != 0; h++) {}
                if (h == nholes) {
                    rnnc_fail(err, errlen, "%s:%ld: no filler for hole %s", tmpl_name, lineno, word);
                    return -1;
                }
                if (used[h]) {
                    rnnc_fail(err, errlen, "%s:%ld: hole %s appears twice", tmpl_name, lineno, word);
                    return -1;
                }
                used[h] = 1;
                open = h;
                hole_line = lineno;
                int indent = 0;
                while (p[indent] == ' ') indent++;
                e->base = indent;
                e->level = 0;
                holes[h].fill(e, ctx);
                e->base = 0;
                e->level = 0;
            }
        } else if (open == nholes) {
            put_renamed(e, p, n, prefix, upper);
        }
        p = nl ? nl + 1 : p + n;
    }
    if (open < nholes) {
        rnnc_fail(err, errlen, "%s:%ld: hole %s is not closed by an end marker", tmpl_name,
                  hole_line, holes[open].name);
        return -1;
    }
    for (size_t h = 0; h < nholes; h++)
        if (!used[h]) {
            rnnc_fail(err, errlen, "%s: hole %s is missing from the template", tmpl_name,
                      holes[h].name);
            return -1;
        }
    if (e->failed || e->out.oom) {
        rnnc_fail(err, errlen, "%s: out of memory (or a line over 1023 characters)", tmpl_name);
        return -1;
    }
    return 0;
}
