/* equations.c: equations and expansions of the unrolled graph (see equations.h). */
#include "equations.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "plan.h"
#include "../runtime/base/util.h"

/* ---- LaTeX from the plain notation of gen/EQUATIONS.md ---- */

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
            } else if ((strlen(id) == 1 || strcmp(id, "fb") == 0) && take_arg(&p, arg, sizeof arg)) {
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
    if (op.kind == RNNC_OP_LOSS_SUM) return SEC_LOSS;
    if (op.kind == RNNC_OP_PARAM_GRADS) return SEC_PARAMS;
    return op.kind >= RNNC_OP_BACKWARD_BEGIN ? SEC_BACKWARD : SEC_FORWARD;
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
        rnnc_fail(err, errlen, "out of memory");
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
    static const char *const gated[2][SEC_COUNT] = {
        {"Forward (10.45)-(10.46), (10.10)-(10.14), t = 1..tau", "Loss (10.13)",
         "Backward through time (10.17)-(10.19), (10.45b)-(10.46b), t = tau down to 1",
         "Parameter gradients (10.22)-(10.28), summed over t (and the batch)"},
        {"Forward (10.40)-(10.42), (10.10)-(10.14), t = 1..tau", "Loss (10.13)",
         "Backward through time (10.17)-(10.21), (10.40b)-(10.41b), t = tau down to 1",
         "Parameter gradients (10.22)-(10.28), summed over t (and the batch)"},
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
    rnnc_plan plan;
    if (rnnc_plan_make(s, s->tau, &plan) != 0) {
        rnnc_emit_free(&e);
        rnnc_fail(err, errlen, "out of memory");
        return -1;
    }
    for (int sec = 0; sec < SEC_COUNT; sec++) {
        const rnnc_cell_info *cell = &rnnc_cells[s->cell];
        begin_section(&e, f, cell->gates > 1 ? gated[cell->has_c][sec] : titles[sec]);
        for (size_t i = 0; i < plan.count; i++) {
            rnnc_op op = plan.ops[i];
            for (int k = 0; rnnc_plan_equation(s, op, k, eq, sizeof eq); k++)
                if ((int)section_of(op, k) == sec) emit_eq(&e, f, eq);
        }
        end_section(&e, f);
    }
    rnnc_plan_free(&plan);
    if (f == RNNC_EQ_LATEX) rnnc_emit_line(&e, "\\end{align*}");
    return finish(&e, text, err, errlen);
}

/* ---- expansions ---- */

/* How the gradient reaches h(t) from the later steps (gen/EQUATIONS.md): through W (hidden,
 * both), through the fed-back output (free running: (10.18f)), or not at all (output with
 * teacher forcing or scheduled sampling: fb(t) is data, (10.21o)). */
typedef struct expand_model {
    int has_W, has_R, free_fb, nll;
} expand_model;

static expand_model expand_model_of(const rnnc_spec *s)
{
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    expand_model m = {rec->has_W, rec->has_R, rec->has_R && rnnc_feedbacks[s->fb].differentiable,
                      s->loss == RNNC_LOSS_NLL};
    return m;
}

/* Does the loss of step k reach grad_h(t)?  Always at k = t; at k > t only along W or a
 * differentiable feedback. */
static int reaches(const expand_model *m, size_t t, size_t k)
{
    return k == t || (k > t && (m->has_W || m->free_fb));
}

/* Append text to buf at *o (n bytes in all). */
static void append(char *buf, size_t n, size_t *o, const char *text)
{
    if (*o >= n) return;
    int w = snprintf(buf + *o, n - *o, "%s", text);
    if (w > 0) *o += (size_t)w;
}

/* The way back from o(j) into a(j+1) through the feedback, "J(j)^T R^T D(j+1) " (J is the
 * identity with mse and is left out). */
static void feedback_path(const expand_model *m, size_t j, char *buf, size_t n, size_t *o)
{
    char f[64];
    if (m->nll) snprintf(f, sizeof f, "J(%zu)^T R^T D(%zu) ", j, j + 1);
    else snprintf(f, sizeof f, "R^T D(%zu) ", j + 1);
    append(buf, n, o, f);
}

/* The one-step propagator from grad_h(j+1) to grad_h(j): W^T D(j+1) (hidden; both without
 * a differentiable feedback), V^T J(j)^T R^T D(j+1) (output, free), or
 * (W^T + V^T J(j)^T R^T) D(j+1) (both, free). */
static void propagator(const expand_model *m, size_t j, char *buf, size_t n, size_t *o)
{
    char f[96];
    if (!m->free_fb) snprintf(f, sizeof f, "W^T D(%zu) ", j + 1);
    else if (!m->has_W) {
        append(buf, n, o, "V^T ");
        feedback_path(m, j, buf, n, o);
        return;
    } else if (m->nll) snprintf(f, sizeof f, "(W^T + V^T J(%zu)^T R^T) D(%zu) ", j, j + 1);
    else snprintf(f, sizeof f, "(W^T + V^T R^T) D(%zu) ", j + 1);
    append(buf, n, o, f);
}

/* The term of grad_h(t) that comes from the loss of step k (reaches(m, t, k)): the
 * propagators of steps t .. k-1, then V^T g_o(k). */
static void chain(const expand_model *m, size_t t, size_t k, char *buf, size_t n)
{
    size_t o = 0;
    char f[32];
    buf[0] = '\0';
    for (size_t j = t; j < k; j++) propagator(m, j, buf, n, &o);
    snprintf(f, sizeof f, "V^T g_o(%zu)", k);
    append(buf, n, &o, f);
}

/* The term of grad_o(t) L (the whole gradient at o(t)) that comes from the loss of step k:
 * g_o(t) itself at k = t; with a differentiable feedback, J(t)^T R^T D(t+1) then the way
 * from grad_h(t+1) to the loss of step k. */
static void output_chain(const expand_model *m, size_t t, size_t k, char *buf, size_t n)
{
    size_t o = 0;
    char rest[1024];
    if (k == t) {
        snprintf(buf, n, "g_o(%zu)", t);
        return;
    }
    buf[0] = '\0';
    feedback_path(m, t, buf, n, &o);
    chain(m, t + 1, k, rest, sizeof rest);
    append(buf, n, &o, rest);
}

static const char *d_definition(rnnc_act a)
{
    return a == RNNC_ACT_TANH ? "D(k) = diag(1 - h(k)^2)"
         : a == RNNC_ACT_SIGMOID ? "D(k) = diag(h(k) (1 - h(k)))"
                                 : "D(k) = diag([h(k) > 0])";
}

/* The node to expand: 'h' (grad_h(*t0)), 'f' (grad_fb(0)) or a weight letter; its left-hand
 * side in lhs.  Returns 0, or -1 with a message naming the nodes s has. */
static int expand_node(const rnnc_spec *s, const char *node, int *kind, size_t *t0, char *lhs,
                       size_t lhslen, char *err, size_t errlen)
{
    const expand_model m = expand_model_of(s);
    size_t T = s->tau;
    char nodes[96];
    snprintf(nodes, sizeof nodes, "h0 .. h%zu, %s%sU, V, b%s", T, m.has_R ? "fb0, " : "",
             m.has_W ? "W, " : "", m.has_R ? ", c or R" : " or c");
    if (node[0] == 'h' && node[1] && strspn(node + 1, "0123456789") == strlen(node + 1) &&
        strlen(node + 1) < 6) {
        *t0 = (size_t)atol(node + 1);
        if (*t0 > T)
            return rnnc_fail(err, errlen, "--expand: node h%zu is past tau = %zu (expected %s)", *t0, T, nodes);
        *kind = 'h';
        snprintf(lhs, lhslen, "grad_h(%zu)", *t0);
        return 0;
    }
    if (strcmp(node, "fb0") == 0 && m.has_R) {
        *kind = 'f';
        snprintf(lhs, lhslen, "grad_fb(0)");
        return 0;
    }
    if (strlen(node) == 1 && strchr("UVbc", node[0])) {
        *kind = node[0];
        snprintf(lhs, lhslen, "grad_%c", node[0]);
        return 0;
    }
    if ((strcmp(node, "W") == 0 && m.has_W) || (strcmp(node, "R") == 0 && m.has_R)) {
        *kind = node[0];
        snprintf(lhs, lhslen, "grad_%c", node[0]);
        return 0;
    }
    if (strcmp(node, "W") == 0 || strcmp(node, "R") == 0 || strcmp(node, "fb0") == 0)
        return rnnc_fail(err, errlen, "--expand: the %s recurrence has no %s (expected %s)",
                         rnnc_recurrences[s->rec].name, strcmp(node, "W") == 0 ? "W (no h(t-1) term)"
                         : node[0] == 'R' ? "R (nothing is fed back)" : "fed-back output fb(0)", nodes);
    return rnnc_fail(err, errlen, "--expand: unknown node '%.40s' (expected %s)", node, nodes);
}

/* The "where" lines under an expansion: what D(k), g_o(k) (and J(k)) are, and, with an
 * output recurrence, what the feedback does to the gradient.  The hidden recurrence keeps
 * its one line. */
static void where_lines(rnnc_emit *e, rnnc_eq_format f, const rnnc_spec *s)
{
    const expand_model m = expand_model_of(s);
    const char *pre = f == RNNC_EQ_LATEX ? "% " : "", *go = m.nll ? "p(k) - e_y(k)" : "o(k) - y(k)";
    const char *batch = s->batch > 1 ? "each term is per batch column (parameter gradients sum over the batch)" : NULL;
    if (!m.has_R) {
        rnnc_emit_line(e, "%swhere %s, g_o(k) = %s%s%s", pre, d_definition(s->act), go, batch ? "; " : "",
                       batch ? batch : "");
        return;
    }
    const char *fbk = s->fb == RNNC_FB_SCHEDULED ? (m.nll ? "e_y(k) or a sample e_s(k) of p(k)" : "y(k) or o(k)")
                                                 : m.nll ? (m.free_fb ? "p(k)" : "e_y(k)") : (m.free_fb ? "o(k)" : "y(k)");
    rnnc_emit_line(e, "%swhere %s (f'(a(k)) on the diagonal),", pre, d_definition(s->act));
    rnnc_emit_line(e, "%s      g_o(k) = %s (the loss's own term of (10.18)),", pre, go);
    if (m.free_fb && m.nll)
        rnnc_emit_line(e, "%s      J(k) = diag(p(k)) - p(k) p(k)^T (the softmax Jacobian dp(k)/do(k); symmetric, J(k)^T = J(k));", pre);
    const char *how = s->fb == RNNC_FB_SCHEDULED ? "scheduled sampling" : "teacher forcing";
    if (m.free_fb) {
        rnnc_emit_line(e, "%s      free running feeds back fb(k) = %s, so o(k) also reaches a(k+1) through R:", pre, fbk);
        rnnc_emit_line(e, "%s      the whole gradient at o(k) is g_o(k) + %sR^T D(k+1) grad_h(k+1) (10.18f%s),", pre,
                       m.nll ? "J(k)^T " : "", m.nll ? "" : "; dfb(k)/do(k) = I");
        rnnc_emit_line(e, "%s      for k < %zu (fb(%zu) is carried to the next chunk, not differentiated)%s", pre, s->tau,
                       s->tau, batch ? ";" : "");
    } else if (m.has_W) {
        rnnc_emit_line(e, "%s      %s feeds back fb(k) = %s, data to the gradient (10.11%c), so only W", pre,
                       how, fbk, s->fb == RNNC_FB_SCHEDULED ? 's' : 't');
        rnnc_emit_line(e, "%s      carries grad_h(k+1) back to grad_h(k), as in (10.21)%s", pre, batch ? ";" : "");
    } else {
        rnnc_emit_line(e, "%s      %s feeds back fb(k) = %s, data to the gradient (10.11%c):", pre,
                       how, fbk, s->fb == RNNC_FB_SCHEDULED ? 's' : 't');
        rnnc_emit_line(e, "%s      nothing of step k+1 depends on h(k), so grad_h(k) = V^T g_o(k) (10.21o)%s", pre,
                       batch ? ";" : "");
    }
    if (batch) rnnc_emit_line(e, "%s      %s", pre, batch);
}

/* One line of an expansion: "LHS = TERM" first, "    + TERM" after. */
static void expand_term(rnnc_emit *e, rnnc_eq_format f, const char *lhs, int *first, const char *term)
{
    char line[1200];
    snprintf(line, sizeof line, "%*s %s %s", (int)strlen(lhs), *first ? lhs : "", *first ? "=" : "+", term);
    if (f == RNNC_EQ_LATEX) {
        char tex[4096];
        latex_line(line, tex, sizeof tex);
        rnnc_emit_line(e, "%s \\\\", tex);
    } else {
        rnnc_emit_line(e, "%s", line);
    }
    *first = 0;
}

/* The terms of the node: grad_h(t0) and grad_fb(0) as sums over the losses that reach them,
 * the weights as sums over t of the local product with every such term. */
static void expand_terms(rnnc_emit *e, rnnc_eq_format f, const rnnc_spec *s, int kind, size_t t0,
                         const char *lhs)
{
    const expand_model m = expand_model_of(s);
    size_t T = s->tau;
    int first = 1;
    char c[1024], term[1100];
    if (kind == 'h' && t0 == 0 && !m.has_W) {
        /* (10.8o) reads fb(0), not h(0) */
        expand_term(e, f, lhs, &first, "0 (without W nothing reads h(0); see fb0)");
        return;
    }
    if (kind == 'h' || kind == 'f') {
        /* h(0) reaches a(1) through W, fb(0) through R; h(t) is a node of its own */
        size_t t = t0 ? t0 : 1;
        const char *head = kind == 'f' ? "R^T D(1) " : t0 == 0 ? "W^T D(1) " : "";
        for (size_t k = t; k <= T; k++) {
            if (!reaches(&m, t, k)) continue;
            chain(&m, t, k, c, sizeof c);
            snprintf(term, sizeof term, "%s%s", head, c);
            expand_term(e, f, lhs, &first, term);
        }
        return;
    }
    for (size_t t = 1; t <= T; t++)
        for (size_t k = t; k <= T; k++) {
            if (kind == 'V' || kind == 'c') {
                if (k > t && !m.free_fb) continue;
                output_chain(&m, t, k, c, sizeof c);
                if (kind == 'V') snprintf(term, sizeof term, "%s h(%zu)^T", c, t);
                else snprintf(term, sizeof term, "%s", c);
            } else {
                if (!reaches(&m, t, k)) continue;
                chain(&m, t, k, c, sizeof c);
                if (kind == 'W') snprintf(term, sizeof term, "D(%zu) %s h(%zu)^T", t, c, t - 1);
                else if (kind == 'R') snprintf(term, sizeof term, "D(%zu) %s fb(%zu)^T", t, c, t - 1);
                else if (kind == 'U') snprintf(term, sizeof term, "D(%zu) %s x(%zu)^T", t, c, t);
                else snprintf(term, sizeof term, "D(%zu) %s", t, c);
            }
            expand_term(e, f, lhs, &first, term);
        }
}

int rnnc_expand(const rnnc_spec *s, const char *node, rnnc_eq_format f, char **text, char *err,
                size_t errlen)
{
    size_t T = s->tau, t0 = 0;
    char lhs[32];
    int kind = 0;
    if (rnnc_cells[s->cell].gates > 1) {
        snprintf(err, errlen, "--expand: --cell %s is not expanded: each step's propagator is a sum "
                 "over its %d gates%s, so the terms multiply by %d per step (read the one-step "
                 "equations of `rnnc equations` instead)", rnnc_cells[s->cell].name, rnnc_cells[s->cell].gates,
                 rnnc_cells[s->cell].has_c ? " and the cell path" : " and the direct path z (.) h",
                 rnnc_cells[s->cell].gates + 1);
        return -1;
    }
    if (T > RNNC_EXPAND_MAX_TAU) {
        rnnc_fail(err, errlen, "--expand: tau %zu would print about %zu terms; expansions are "
                  "printed for tau up to %d (give a smaller --tau)", T, T * (T + 1) / 2,
                  RNNC_EXPAND_MAX_TAU);
        return -1;
    }
    if (expand_node(s, node, &kind, &t0, lhs, sizeof lhs, err, errlen) != 0) return -1;
    rnnc_emit e;
    rnnc_emit_init(&e);
    if (f == RNNC_EQ_MARKDOWN) rnnc_emit_line(&e, "```");
    if (f == RNNC_EQ_LATEX) rnnc_emit_line(&e, "\\begin{align*}");
    expand_terms(&e, f, s, kind, t0, lhs);
    if (f == RNNC_EQ_LATEX) rnnc_emit_line(&e, "\\end{align*}");
    where_lines(&e, f, s);
    if (f == RNNC_EQ_MARKDOWN) rnnc_emit_line(&e, "```");
    return finish(&e, text, err, errlen);
}
