/* sample.c: text generation (see sample.h). */
#include "sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../base/rng.h"

size_t rnnc_sample_pick(const double *p, size_t k, double temperature, size_t top_k, double u,
                        double *q, size_t *order)
{
    /* q_i = p_i^(1/T), in a way that cannot overflow: scale by the largest first. */
    double maxp = 0;
    for (size_t i = 0; i < k; i++) maxp = p[i] > maxp ? p[i] : maxp;
    for (size_t i = 0; i < k; i++)
        q[i] = p[i] > 0 && maxp > 0 ? exp(log(p[i] / maxp) / temperature) : 0;
    if (top_k > 0 && top_k < k) {
        /* Keep the top_k largest (ties broken by index, so the choice is deterministic). */
        for (size_t i = 0; i < k; i++) order[i] = i;
        for (size_t a = 0; a < top_k; a++) {
            size_t best = a;
            for (size_t b = a + 1; b < k; b++)
                if (q[order[b]] > q[order[best]]) best = b;
            size_t t = order[a];
            order[a] = order[best];
            order[best] = t;
        }
        for (size_t a = top_k; a < k; a++) q[order[a]] = 0;
    }
    double sum = 0;
    for (size_t i = 0; i < k; i++) sum += q[i];
    double target = u * sum, acc = 0;
    size_t last = 0;
    for (size_t i = 0; i < k; i++) {
        if (q[i] <= 0) continue;
        acc += q[i];
        last = i;
        if (target < acc) return i;
    }
    return last;
}

/* With an output recurrence and nll, the class x is what the model feeds back next: the
 * fb part of the column state st (after its H hidden values) becomes e_x. */
static void feed_back_class(const rnnc_spec *s, void *st, int32_t x)
{
    if (!rnnc_recurrences[s->rec].has_R || !rnnc_losses[s->loss].class_targets) return;
    for (size_t i = 0; i < s->n_out; i++) rnnc_set(st, s->dtype, s->hidden + i, (size_t)x == i ? 1 : 0);
}

int rnnc_sample(rnnc_model *m, const void *params, const rnnc_vocab *v, void *state,
                const int32_t *prime, size_t nprime, int32_t start, rnnc_sample_opts *o,
                FILE *out)
{
    const rnnc_spec *s = &m->spec;
    size_t rs = m->layout.real_size, K = s->n_out, ns = m->layout.s0_count / s->batch;
    void *s2 = malloc(ns * rs), *probs = malloc(K * rs);
    double *p = malloc(K * sizeof *p), *q = malloc(K * sizeof *q);
    size_t *order = malloc(K * sizeof *order);
    if (!s2 || !probs || !p || !q || !order) {
        free(s2), free(probs), free(p), free(q), free(order);
        return -1;
    }
    int32_t x = nprime ? prime[0] : start;
    for (size_t i = 1; i < nprime; i++) {
        rnnc_model_step(m, params, &x, state, s2, probs);
        memcpy(state, s2, ns * rs);
        x = prime[i];
        feed_back_class(s, state, x); /* the prime is the truth: teacher forcing (10.11t) */
    }
    for (size_t n = 0; n < o->n; n++) {
        rnnc_model_step(m, params, &x, state, s2, probs);
        memcpy(state, s2, ns * rs);
        for (size_t i = 0; i < K; i++) p[i] = rnnc_get(probs, s->dtype, i);
        double u = rnnc_rand_uniform(&o->rng, 0, 1);
        x = (int32_t)rnnc_sample_pick(p, K, o->temperature, o->top_k, u, q, order);
        feed_back_class(s, state, x); /* free running on its own samples */
        char bytes[4];
        size_t nb = rnnc_symbol_bytes(v->mode, v->symbols[x], bytes);
        fwrite(bytes, 1, nb, out);
    }
    free(s2), free(probs), free(p), free(q), free(order);
    return 0;
}
