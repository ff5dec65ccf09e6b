/* equations.c: equations and expansions of the unrolled graph (see equations.h). */
#include "equations.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "plan.h"
#include "../runtime/base/util.h"

/* ---- LaTeX from the plain notation of bptt.md ---- */

/* Copy the parenthesised argument at *p ("(...)", nesting allowed) into arg; advance *p. */
static int take_arg(const char **p, char *arg, size_t n)
{
    if (**p != '(') return 0;
    int depth = 0;
    size_t k = 0;
    const char *q = *p;
    do {
        if (*q == '(') depth++;
        else if (*q == ')') depth--;
        if (k + 1 < n) arg[k++] = *q;
        q++;
    } while (depth > 0 && *q);
    if (depth != 0) return 0;
    arg[k] = '\0';
    /* strip the outer parentheses */
    memmove(arg, arg + 1, k);
    arg[k - 2] = '\0';
    *p = q;
    return 1;
}

static void latex_line(const char *in, char *out, size_t n)
{
    size_t o = 0;
    int first_eq = 1, bars = 0;
#define PUT(...) do { int k_ = snprintf(out + o, o < n ? n - o : 0, __VA_ARGS__); if (k_ > 0) o += (size_t)k_; } while (0)
    const char *p = in;
    if (*p == '(') { /* the equation number, or numbers joined by '/' */
        const char *e = strchr(p, ')');
        while (e && e[1] == '/' && e[2] == '(' && strchr(e + 2, ')')) e = strchr(e + 2, ')');
        if (e) {
            PUT("\\text{%.*s}\\quad ", (int)(e - p + 1), p);
            p = e + 1;
            while (*p == ' ') p++;
        }
    }
    /* A remark after ": " (the operations over every step) is set as text. */
    char body[256];
    const char *remark = strstr(p, ": ");
    snprintf(body, sizeof body, "%.*s", remark ? (int)(remark - p) : (int)strlen(p), p);
    p = body;
    char arg[64], arg2[64];
    while (*p == ' ') p++;
    if (*p == '+' && p[1] == ' ') { /* a continuation line of an expansion */
        PUT("&+");
        p++;
    }
    while (*p && o < n) {
        if (isalpha((unsigned char)*p)) {
            char id[32];
            size_t k = 0;
            while ((isalnum((unsigned char)*p) || *p == '_') && k + 1 < sizeof id) id[k++] = *p++;
            id[k] = '\0';
            if (strncmp(id, "grad_", 5) == 0) {
                if (take_arg(&p, arg, sizeof arg)) PUT("\\nabla_{%s^{(%s)}} L", id + 5, arg);
                else PUT("\\nabla_{%s} L", id + 5);
            } else if (strcmp(id, "g_o") == 0 && take_arg(&p, arg, sizeof arg)) {
                PUT("g_o^{(%s)}", arg);
            } else if (strcmp(id, "p_y") == 0 && take_arg(&p, arg, sizeof arg) && take_arg(&p, arg2, sizeof arg2)) {
                PUT("p_{y^{(%s)}}^{(%s)}", arg, arg2);
            } else if (strcmp(id, "e_y") == 0 && take_arg(&p, arg, sizeof arg)) {
                PUT("e_{y^{(%s)}}", arg);
            } else if (strcmp(id, "sum_t") == 0) {
                PUT("\\sum_t");
            } else if (strcmp(id, "dL") == 0 && strncmp(p, "/dL(t)", 6) == 0) {
                PUT("\\partial L / \\partial L^{(t)}");
                p += 6;
            } else if (strcmp(id, "tanh") == 0 || strcmp(id, "log") == 0) {
                PUT("\\%s", id);
            } else if (strcmp(id, "softmax") == 0 || strcmp(id, "relu") == 0 || strcmp(id, "diag") == 0) {
                PUT("\\operatorname{%s}", id);
            } else if (strcmp(id, "sigmoid") == 0) {
                PUT("\\sigma");
            } else if (strlen(id) == 1 && take_arg(&p, arg, sizeof arg)) {
                /* h(3)^T -> h^{(3)\top}; h(3)^2 -> (h^{(3)})^2: no double superscripts */
                if (strncmp(p, "^T", 2) == 0) {
                    PUT("%s^{(%s)\\top}", id, arg);
                    p += 2;
                } else if (*p == '^') {
                    PUT("(%s^{(%s)})", id, arg);
                } else {
                    PUT("%s^{(%s)}", id, arg);
                }
            } else {
                PUT("%s", id);
            }
        } else if (strncmp(p, ", t = 1..", 9) == 0) { /* the range of an operation over every step */
            PUT(",\\quad t = 1, \\dots, ");
            p += 9;
        } else if (strncmp(p, "^T", 2) == 0) {
            PUT("^\\top");
            p += 2;
        } else if (strncmp(p, "(.)", 3) == 0) {
            PUT("\\odot");
            p += 3;
        } else if (strncmp(p, "||", 2) == 0) {
            PUT("%s", bars++ % 2 ? "\\rVert" : "\\lVert ");
            p += 2;
        } else if (strncmp(p, "1/2", 3) == 0) {
            PUT("\\tfrac{1}{2}");
            p += 3;
        } else if (strncmp(p, "+=", 2) == 0) {
            PUT("&\\mathrel{+}=");
            first_eq = 0;
            p += 2;
        } else if (*p == '=' && first_eq) {
            PUT("&=");
            first_eq = 0;
            p++;
        } else {
            PUT("%c", *p);
            p++;
        }
    }
    if (remark) { /* as text: escape what LaTeX's text mode would not take */
        PUT("\\quad\\text{(");
        for (const char *r = remark + 2; *r; r++) {
            if (*r == '_') PUT("\\_");
            else if (*r == '^') PUT("\\textasciicircum{}");
            else PUT("%c", *r);
        }
        PUT(")}");
    }
#undef PUT
    if (o >= n) out[n - 1] = '\0';
}

/* ---- sections ---- */

typedef enum { SEC_FORWARD, SEC_LOSS, SEC_BACKWARD, SEC_PARAMS, SEC_COUNT } section;

/* Which section equation line k of op belongs to. */
static section section_of(rnnc_op op, int k)
{
    (void)k;
    switch (op.kind) {
    case RNNC_OP_INPUTS:
    case RNNC_OP_FORWARD:
    case RNNC_OP_OUTPUTS:
    case RNNC_OP_LOSS: return SEC_FORWARD;
    case RNNC_OP_LOSS_SUM: return SEC_LOSS;
    case RNNC_OP_PARAM_GRADS: return SEC_PARAMS;
    default: return SEC_BACKWARD;
    }
}

static void emit_eq(rnnc_emit *e, rnnc_eq_format f, const char *eq)
{
    if (f == RNNC_EQ_LATEX) {
        char tex[1024];
        latex_line(eq, tex, sizeof tex);
        rnnc_emit_line(e, "%s \\\\", tex);
    } else {
        rnnc_emit_line(e, "%s", eq);
    }
}

static void begin_section(rnnc_emit *e, rnnc_eq_format f, const char *title)
{
    switch (f) {
    case RNNC_EQ_TEXT: rnnc_emit_line(e, "%s:", title); rnnc_emit_indent(e, 1); break;
    case RNNC_EQ_MARKDOWN: rnnc_emit_line(e, "## %s\n\n```", title); break;
    case RNNC_EQ_LATEX: rnnc_emit_line(e, "\\intertext{%s}", title); break;
    }
}

static void end_section(rnnc_emit *e, rnnc_eq_format f)
{
    switch (f) {
    case RNNC_EQ_TEXT: rnnc_emit_indent(e, -1); rnnc_emit_line(e, "%s", ""); break;
    case RNNC_EQ_MARKDOWN: rnnc_emit_line(e, "```\n"); break;
    case RNNC_EQ_LATEX: break;
    }
}

static int finish(rnnc_emit *e, char **text, char *err, size_t errlen)
{
    *text = rnnc_emit_take(e, NULL);
    if (!*text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int rnnc_equations(const rnnc_spec *s, rnnc_eq_format f, char **text, char *err, size_t errlen)
{
    static const char *const titles[SEC_COUNT] = {
        "Forward (10.8)-(10.14), t = 1..tau",
        "Loss (10.13)",
        "Backward through time (10.17)-(10.21), t = tau down to 1",
        "Parameter gradients (10.22)-(10.28), summed over t (and the batch)",
    };
    char canon[512], eq[256];
    rnnc_spec_format(s, canon, sizeof canon);
    rnnc_emit e;
    rnnc_emit_init(&e);
    switch (f) {
    case RNNC_EQ_TEXT: rnnc_emit_line(&e, "Equations of the unrolled graph of %s\n", canon); break;
    case RNNC_EQ_MARKDOWN: rnnc_emit_line(&e, "# Equations of the unrolled graph\n\n`%s`\n", canon); break;
    case RNNC_EQ_LATEX:
        rnnc_emit_line(&e, "%% Equations of the unrolled graph of %s (needs amsmath)\n\\begin{align*}", canon);
        break;
    }
    size_t count = rnnc_plan_count(s);
    for (int sec = 0; sec < SEC_COUNT; sec++) {
        begin_section(&e, f, titles[sec]);
        for (size_t i = 0; i < count; i++) {
            rnnc_op op = rnnc_plan_op(s, i);
            for (int k = 0; rnnc_plan_equation(s, op, k, eq, sizeof eq); k++)
                if ((int)section_of(op, k) == sec) emit_eq(&e, f, eq);
        }
        end_section(&e, f);
    }
    if (f == RNNC_EQ_LATEX) rnnc_emit_line(&e, "\\end{align*}");
    return finish(&e, text, err, errlen);
}

/* ---- expansions ---- */

/* One term: W^T D(t+1) ... W^T D(k) V^T g_o(k) for grad_h(t), k >= t. */
static void chain(char *buf, size_t n, size_t t, size_t k)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t j = t + 1; j <= k && o < n; j++) {
        int w = snprintf(buf + o, n - o, "W^T D(%zu) ", j);
        if (w > 0) o += (size_t)w;
    }
    if (o < n) snprintf(buf + o, n - o, "V^T g_o(%zu)", k);
}

static const char *d_definition(rnnc_act a)
{
    return a == RNNC_ACT_TANH ? "D(k) = diag(1 - h(k)^2)"
         : a == RNNC_ACT_SIGMOID ? "D(k) = diag(h(k) (1 - h(k)))"
                                 : "D(k) = diag([h(k) > 0])";
}

int rnnc_expand(const rnnc_spec *s, const char *node, rnnc_eq_format f, char **text, char *err,
                size_t errlen)
{
    size_t T = s->tau, t0 = 0;
    char lhs[32], term[1100], line[1200];
    int weight = 0;   /* 'W', 'U', 'b': sums of D(t) grad_h(t) (...)^T */
    if (T > RNNC_EXPAND_MAX_TAU) {
        snprintf(err, errlen, "--expand: tau %zu would print about %zu terms; expansions are "
                 "printed for tau up to %d (give a smaller --tau)", T, T * (T + 1) / 2,
                 RNNC_EXPAND_MAX_TAU);
        return -1;
    }
    if (node[0] == 'h' && node[1] && strspn(node + 1, "0123456789") == strlen(node + 1) &&
        strlen(node + 1) < 6) {
        t0 = (size_t)atol(node + 1);
        if (t0 > T) {
            snprintf(err, errlen, "--expand: node h%zu is past tau = %zu (expected h0 .. h%zu, W, U, V, b or c)", t0, T, T);
            return -1;
        }
        snprintf(lhs, sizeof lhs, "grad_h(%zu)", t0);
    } else if (strlen(node) == 1 && strchr("WUVbc", node[0])) {
        weight = node[0];
        snprintf(lhs, sizeof lhs, "grad_%c", node[0]);
    } else {
        rnnc_fail(err, errlen, "--expand: unknown node '%.40s' (expected h0 .. h%zu, W, U, V, b or c)", node, T);
        return -1;
    }
    rnnc_emit e;
    rnnc_emit_init(&e);
    if (f == RNNC_EQ_MARKDOWN) rnnc_emit_line(&e, "```");
    if (f == RNNC_EQ_LATEX) rnnc_emit_line(&e, "\\begin{align*}");
    int first = 1;
#define TERM(...) do { \
        snprintf(term, sizeof term, __VA_ARGS__); \
        snprintf(line, sizeof line, "%*s %s %s", first ? (int)strlen(lhs) : (int)strlen(lhs), \
                 first ? lhs : "", first ? "=" : "+", term); \
        if (f == RNNC_EQ_LATEX) { char tex_[4096]; latex_line(line, tex_, sizeof tex_); rnnc_emit_line(&e, "%s \\\\", tex_); } \
        else rnnc_emit_line(&e, "%s", line); \
        first = 0; \
    } while (0)
    char c[1024];
    if (!weight) {
        /* grad_h(t) = sum_{k>=t} W^T D(t+1) ... W^T D(k) V^T g_o(k); grad_h(0) starts at W^T D(1). */
        for (size_t k = t0 ? t0 : 1; k <= T; k++) {
            chain(c, sizeof c, t0, k);
            TERM("%s", c);
        }
    } else if (weight == 'V' || weight == 'c') {
        for (size_t t = 1; t <= T; t++) {
            if (weight == 'V') TERM("g_o(%zu) h(%zu)^T", t, t);
            else TERM("g_o(%zu)", t);
        }
    } else {
        for (size_t t = 1; t <= T; t++)
            for (size_t k = t; k <= T; k++) {
                chain(c, sizeof c, t, k);
                if (weight == 'W') TERM("D(%zu) %s h(%zu)^T", t, c, t - 1);
                else if (weight == 'U') TERM("D(%zu) %s x(%zu)^T", t, c, t);
                else TERM("D(%zu) %s", t, c);
            }
    }
#undef TERM
    char where[256];
    snprintf(where, sizeof where, "where %s, g_o(k) = %s%s", d_definition(s->act),
             s->loss == RNNC_LOSS_NLL ? "p(k) - e_y(k)" : "o(k) - y(k)",
             s->batch > 1 ? "; each term is per batch column (parameter gradients sum over the batch)" : "");
    if (f == RNNC_EQ_LATEX) {
        rnnc_emit_line(&e, "\\end{align*}");
        rnnc_emit_line(&e, "%% %s", where);
    } else {
        rnnc_emit_line(&e, "%s", where);
        if (f == RNNC_EQ_MARKDOWN) rnnc_emit_line(&e, "```");
    }
    return finish(&e, text, err, errlen);
}
