/* eval.c: evaluation on held-out data (see eval.h). */
#include "eval.h"

#include <stdlib.h>
#include <string.h>

#include "../base/util.h"

int rnnc_eval_open(rnnc_evaluator *e, const rnnc_spec *s, rnnc_feedback fb, rnnc_backend b,
                   char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->spec = *s;
    e->spec.batch = 1;
    if (rnnc_recurrences[s->rec].has_R) e->spec.fb = fb;
    if (rnnc_model_load(&e->model, &e->spec, b, err, errlen) != 0) return -1;
    e->loaded = 1;
    if (rnnc_buffers_alloc(&e->buf, &e->model.layout) != 0) {
        rnnc_eval_close(e);
        return rnnc_fail(err, errlen, "out of memory for the evaluation buffers");
    }
    return 0;
}

void rnnc_eval_close(rnnc_evaluator *e)
{
    if (e->loaded) rnnc_model_unload(&e->model);
    rnnc_buffers_free(&e->buf);
    e->loaded = 0;
}

void rnnc_eval_result_free(rnnc_eval_result *r)
{
    free(r->rec_loss);
    memset(r, 0, sizeof *r);
}

void rnnc_records_column(const rnnc_spec *s, const rnnc_layout *l, void *ws, size_t b, size_t j0,
                         size_t n)
{
    size_t T = s->tau, B = s->batch, left = n > j0 ? n - j0 : 0;
    rnnc_set(ws, s->dtype, l->ws_seq + 3 * b, left <= T ? (double)left : 0);
    rnnc_set(ws, s->dtype, l->ws_seq + 3 * b + 1, j0 == 0 ? 1 : 0);
    rnnc_set(ws, s->dtype, l->ws_seq + 3 * b + 2, (double)n);
    if (!rnnc_ends[s->end].has_length) return;
    for (size_t t = 0; t < T; t++) {
        size_t j = j0 + t;
        rnnc_set(ws, s->dtype, l->ws_rem + t * B + b, j < n ? (double)(n - j - 1) / (double)s->max_length : 0);
    }
}

/* The loss of one record (i) of d from its initial state: chunks of tau with the state
 * carried, the last one masked after the record's end. */
static double eval_record(rnnc_evaluator *e, const void *params, const void *h0,
                          const rnnc_dataset *d, size_t i)
{
    const rnnc_spec *s = &e->spec;
    const rnnc_layout *l = &e->model.layout;
    size_t n = rnnc_dataset_record_steps(d, i), rs = l->real_size;
    double loss = 0;
    memset(e->buf.s0, 0, l->s0_bytes);
    if (h0) memcpy((char *)e->buf.s0 + l->s0_h * rs, h0, s->hidden * rs);
    for (size_t j0 = 0; j0 < n; j0 += s->tau) {
        for (size_t t = 0; t < s->tau; t++)
            rnnc_dataset_record_step(d, s, i, j0 + t, e->buf.x, e->buf.y, t);
        rnnc_records_column(s, l, e->buf.ws, 0, j0, n);
        loss += rnnc_model_forward(&e->model, params, e->buf.x, e->buf.y, e->buf.s0, e->buf.ws);
        memcpy(e->buf.s0, (char *)e->buf.ws + l->ws_s1 * rs, l->s0_bytes);
    }
    return loss;
}

/* The loss of d as one stream from the zero state: its steps in chunks of tau, the last chunk
 * masked after the stream's end. */
static double eval_stream(rnnc_evaluator *e, const void *params, const rnnc_dataset *d)
{
    const rnnc_spec *s = &e->spec;
    const rnnc_layout *l = &e->model.layout;
    size_t steps = d->len - d->look, rs = l->real_size;
    double loss = 0;
    memset(e->buf.s0, 0, l->s0_bytes);
    for (size_t p = 0; p < steps; p += s->tau) {
        size_t left = steps - p;
        for (size_t t = 0; t < s->tau; t++) {
            if (t < left) rnnc_dataset_stream_step(d, s, p + t, e->buf.x, e->buf.y, t);
            else rnnc_dataset_stream_step(d, s, p, e->buf.x, e->buf.y, t); /* masked: any valid step */
        }
        rnnc_set(e->buf.ws, s->dtype, l->ws_seq, left < s->tau ? (double)left : 0);
        loss += rnnc_model_forward(&e->model, params, e->buf.x, e->buf.y, e->buf.s0, e->buf.ws);
        memcpy(e->buf.s0, (char *)e->buf.ws + l->ws_s1 * rs, l->s0_bytes);
    }
    return loss;
}

int rnnc_eval_run(rnnc_evaluator *e, const void *params, const void *h0, const rnnc_dataset *d,
                  int per_record, rnnc_eval_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (d->records == RNNC_RECORDS_NONE) {
        r->steps = d->len > d->look ? d->len - d->look : 0;
        r->loss = r->steps ? eval_stream(e, params, d) : 0;
        return 0;
    }
    if (per_record && !(r->rec_loss = malloc((d->nrec ? d->nrec : 1) * sizeof *r->rec_loss)))
        return rnnc_fail(err, errlen, "out of memory for %zu records", d->nrec);
    r->nrec = d->nrec;
    for (size_t i = 0; i < d->nrec; i++) {
        double li = eval_record(e, params, h0, d, i);
        if (per_record) r->rec_loss[i] = li;
        r->loss += li;
        r->steps += rnnc_dataset_record_steps(d, i);
    }
    return 0;
}
