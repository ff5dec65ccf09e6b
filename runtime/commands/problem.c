/* problem.c: the check's random problem through the generated model (see problem.h). */
#include "problem.h"

#include <string.h>

#include "../base/util.h"
#include "check.h"

int rnnc_problem_run(rnnc_problem *g, const rnnc_spec *s, rnnc_backend b, uint64_t seed,
                     char *err, size_t errlen)
{
    /* every step's nodes are compared or dumped: keep them (--memory's recomputing build
     * gives the same bits with the same segments, test_memory.c) */
    rnnc_spec keep = *s;
    keep.recompute = 0;
    s = &keep;
    memset(g, 0, sizeof *g);
    if (rnnc_model_load(&g->m, s, b, err, errlen) != 0) return -1;
    g->loaded = 1;
    if (rnnc_buffers_alloc(&g->buf, &g->m.layout) != 0)
        return rnnc_fail(err, errlen, "out of memory for the model's buffers");
    rnnc_check_random_problem(s, &g->m.layout, &g->buf, NULL, NULL, seed);
    g->loss = rnnc_model_forward(&g->m, g->buf.params, g->buf.x, g->buf.y, g->buf.s0, g->buf.ws);
    rnnc_model_backward(&g->m, g->buf.params, g->buf.x, g->buf.y, g->buf.ws, g->buf.grads);
    return 0;
}

void rnnc_problem_free(rnnc_problem *g)
{
    rnnc_buffers_free(&g->buf);
    if (g->loaded) rnnc_model_unload(&g->m);
    g->loaded = 0;
}

void rnnc_problem_fed_back(const rnnc_spec *s, const rnnc_problem *g, double *fb)
{
    const rnnc_layout *l = &g->m.layout;
    size_t K = s->n_out, TB = s->tau * s->batch;
    int nll = rnnc_losses[s->loss].class_targets;
    for (size_t i = 0; i < TB; i++) {
        double *f = fb + i * K;
        if (s->fb == RNNC_FB_FREE) rnnc_get_range(g->buf.ws, s->dtype, l->ws_p + i * K, K, f);
        else if (s->fb == RNNC_FB_SCHEDULED && !nll) rnnc_get_range(g->buf.ws, s->dtype, l->ws_fb + i * K, K, f);
        else if (!nll) rnnc_get_range(g->buf.y, s->dtype, i * K, K, f);
        else {
            size_t cls = s->fb == RNNC_FB_SCHEDULED ? (size_t)rnnc_get(g->buf.ws, s->dtype, l->ws_fb + i)
                                                    : (size_t)((const int32_t *)g->buf.y)[i];
            for (size_t k = 0; k < K; k++) f[k] = k == cls ? 1 : 0;
        }
    }
}
