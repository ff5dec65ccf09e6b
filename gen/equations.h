/* equations.h: the equations of a spec's unrolled graph as text, Markdown or LaTeX (the
 * same lines the generated code cites, from gen/plan.c), and a node's gradient fully
 * expanded through the later steps, the way a hand derivation writes it. */
#ifndef RNNC_EQUATIONS_H
#define RNNC_EQUATIONS_H

#include <stddef.h>

#include "spec.h"

typedef enum { RNNC_EQ_TEXT, RNNC_EQ_LATEX, RNNC_EQ_MARKDOWN } rnnc_eq_format;

/* Largest tau for which --expand prints (the number of terms grows as tau^2). */
#define RNNC_EXPAND_MAX_TAU 8

/* Every equation of s, grouped as forward, loss, backward (t = tau down to 1) and parameter
 * sums.  On success *text is malloc'd. */
int rnnc_equations(const rnnc_spec *s, rnnc_eq_format f, char **text, char *err, size_t errlen);

/* The gradient of L with respect to node (h0 .. h<tau>, W, U, V, b, c), every term written
 * out: products of W^T, D(k) = diag(f'(a(k))), V^T and g_o(k) (and h(t-1)^T / x(t)^T for
 * the weights).  Refuses (-1) an unknown node or tau > RNNC_EXPAND_MAX_TAU. */
int rnnc_expand(const rnnc_spec *s, const char *node, rnnc_eq_format f, char **text, char *err,
                size_t errlen);

#endif
