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
    size_t rs = m->layout.real_size, K = s->n_out, ns = m->desc->step_state;
    void *s2 = malloc(ns * rs), *probs = malloc(m->desc->step_out * rs);
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

/* Scratch of a record sampler: the column state and its successor, the step's output, the
 * probabilities as doubles and the picker's scratch (max(K, M) values each). */
typedef struct sampler {
    rnnc_model *m;
    const void *params;
    void *st, *st2, *out;
    double *p, *q;
    size_t *order;
} sampler;

static int sampler_init(sampler *z, rnnc_model *m, const void *params)
{
    size_t rs = m->layout.real_size, k = m->spec.n_out > m->spec.max_length ? m->spec.n_out : m->spec.max_length;
    memset(z, 0, sizeof *z);
    z->m = m;
    z->params = params;
    z->st = calloc(m->desc->step_state, rs);
    z->st2 = calloc(m->desc->step_state, rs);
    z->out = calloc(m->desc->step_out + m->spec.max_length, rs);
    z->p = malloc(k * sizeof *z->p);
    z->q = malloc(k * sizeof *z->q);
    z->order = malloc(k * sizeof *z->order);
    return z->st && z->st2 && z->out && z->p && z->q && z->order ? 0 : -1;
}

static void sampler_free(sampler *z)
{
    free(z->st), free(z->st2), free(z->out), free(z->p), free(z->q), free(z->order);
}

/* The start of a record: h = h0 (or 0), fb = 0; with --end length, n drawn from p_n with one
 * uniform (inverse CDF, no temperature) and r = (n - 1) / M.  Returns n (0 without a length
 * output). */
static size_t record_begin(sampler *z, const void *h0, rnnc_sample_opts *o)
{
    const rnnc_spec *s = &z->m->spec;
    size_t rs = z->m->layout.real_size, M = s->max_length;
    memset(z->st, 0, z->m->desc->step_state * rs);
    if (h0) memcpy(z->st, h0, s->hidden * rs);
    if (!rnnc_ends[s->end].has_length) return 0;
    rnnc_model_length(z->m, z->params, z->st, z->out);
    for (size_t i = 0; i < M; i++) z->p[i] = rnnc_get(z->out, s->dtype, i);
    double u = rnnc_rand_uniform(&o->rng, 0, 1);
    size_t n = rnnc_sample_pick(z->p, M, 1.0, 0, u, z->q, z->order) + 1;
    rnnc_set(z->st, s->dtype, z->m->desc->step_state - 1, (double)(n - 1) / (double)M);
    return n;
}

/* One record: steps from the boundary symbol until it ends (see rnnc_sample_records) or o->n
 * symbols are written. */
static void record_run(sampler *z, const void *h0, const rnnc_vocab *v, rnnc_sample_opts *o, FILE *out)
{
    const rnnc_spec *s = &z->m->spec;
    size_t rs = z->m->layout.real_size, K = s->n_out, ns = z->m->desc->step_state;
    int32_t bound = (int32_t)v->size, x = bound;
    size_t n = record_begin(z, h0, o);
    for (size_t t = 1; t <= o->n; t++) {
        rnnc_model_step(z->m, z->params, &x, z->st, z->st2, z->out);
        memcpy(z->st, z->st2, ns * rs);
        for (size_t i = 0; i < K; i++) z->p[i] = rnnc_get(z->out, s->dtype, i);
        if (s->end != RNNC_END_EOS) z->p[bound] = 0; /* the start symbol is never a target */
        double u = rnnc_rand_uniform(&o->rng, 0, 1);
        x = (int32_t)rnnc_sample_pick(z->p, K, o->temperature, o->top_k, u, z->q, z->order);
        if (s->end == RNNC_END_EOS && x == bound) return;
        feed_back_class(s, z->st, x);
        char bytes[4];
        fwrite(bytes, 1, rnnc_symbol_bytes(v->mode, v->symbols[x], bytes), out);
        if (s->end == RNNC_END_HALT && rnnc_rand_uniform(&o->rng, 0, 1) < rnnc_get(z->out, s->dtype, K)) return;
        if (s->end == RNNC_END_LENGTH) {
            if (t >= n) return;
            rnnc_set(z->st, s->dtype, ns - 1, (double)(n - t - 1) / (double)s->max_length);
        }
    }
}

int rnnc_sample_records(rnnc_model *m, const void *params, const void *h0, const rnnc_vocab *v,
                        const char *sep, rnnc_sample_opts *o, FILE *out)
{
    sampler z;
    if (sampler_init(&z, m, params) != 0) {
        sampler_free(&z);
        return -1;
    }
    for (size_t r = 0; r < o->count; r++) {
        record_run(&z, h0, v, o, out);
        fputs(sep, out);
    }
    sampler_free(&z);
    return 0;
}
