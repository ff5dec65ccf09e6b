/* model.c: load, bind and call a generated model (see model.h). */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../gen/gen.h"
#include "../base/rng.h"
#include "../base/util.h"

static int check_descriptor(const rnnc_model *m, char *err, size_t errlen)
{
    const rnnc_abi_descriptor *d = m->desc;
    const rnnc_spec *s = &m->spec;
    const rnnc_layout *l = &m->layout;
    if (d->abi_version != RNNC_ABI_VERSION || d->descriptor_size != sizeof *d) {
        rnnc_fail(err, errlen, "%s_descriptor: ABI version %u (size %u), expected %d (size %zu)",
                  s->name, d->abi_version, d->descriptor_size, RNNC_ABI_VERSION, sizeof *d);
        return -1;
    }
    int ok = d->dtype == (uint32_t)s->dtype && d->onehot == (uint32_t)s->onehot &&
             d->act == (uint32_t)s->act && d->loss == (uint32_t)s->loss &&
             d->rec == (uint32_t)s->rec && d->fb == (uint32_t)s->fb && d->end == (uint32_t)s->end &&
             d->max_length == s->max_length && d->cell == (uint32_t)s->cell &&
             d->gates == (uint32_t)rnnc_cells[s->cell].gates && d->off_bh == l->off_bh &&
             d->s0_c == l->s0_c && d->ws_g == l->ws_g && d->ws_c == l->ws_c && d->ws_gc == l->ws_gc &&
             d->off_halt_w == l->off_halt_w &&
             d->off_halt_b == l->off_halt_b && d->off_len_w == l->off_len_w &&
             d->off_len_b == l->off_len_b && d->off_rem_u == l->off_rem_u &&
             d->ws_seq == l->ws_seq && d->ws_rem == l->ws_rem && d->ws_q == l->ws_q &&
             d->ws_gq == l->ws_gq && d->ws_pn == l->ws_pn && d->ws_gn == l->ws_gn &&
             d->n_in == s->n_in && d->hidden == s->hidden && d->n_out == s->n_out &&
             d->tau == s->tau && d->batch == s->batch && d->off_U == l->off_U &&
             d->off_W == l->off_W && d->off_V == l->off_V && d->off_b == l->off_b &&
             d->off_c == l->off_c && d->off_R == l->off_R && d->params_count == l->params_count &&
             d->s0_h == l->s0_h && d->s0_fb == l->s0_fb && d->s0_count == l->s0_count &&
             d->ws_h == l->ws_h && d->ws_p == l->ws_p && d->ws_go == l->ws_go &&
             d->ws_gh == l->ws_gh && d->ws_d == l->ws_d && d->ws_gs0 == l->ws_gs0 &&
             d->ws_s1 == l->ws_s1 && d->ws_wt == l->ws_wt && d->ws_vt == l->ws_vt &&
             d->ws_rt == l->ws_rt && d->ws_fb0 == l->ws_fb0 && d->ws_fb == l->ws_fb &&
             d->ws_ctl == l->ws_ctl && d->ws_loss == l->ws_loss && d->ws_count == l->ws_count &&
             d->parts == l->parts && d->stages >= 1 && d->stages <= 16 &&
             d->x_count == l->x_count && d->y_count == l->y_count && d->opt_count == l->opt_count;
    if (!ok) {
        rnnc_fail(err, errlen, "%s_descriptor: does not match the spec it was generated from (%s)",
                  s->name, d->spec ? d->spec : "?");
        return -1;
    }
    return 0;
}

static void *symbol(rnnc_model *m, const char *sym, char *err, size_t errlen)
{
    void *p = rnnc_jit_symbol(m->jit, sym);
    if (!p) rnnc_fail(err, errlen, "%s: symbol %s not found in the compiled code", m->spec.name, sym);
    return p;
}

int rnnc_model_load(rnnc_model *m, const rnnc_spec *s, rnnc_backend b, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->spec = *s;
    m->backend = b;
    if (rnnc_spec_layout(s, &m->layout, err, errlen) != 0) return -1;
    char *src = NULL;
    if (rnnc_gen_source(s, 1, &src, NULL, err, errlen) != 0) return -1;
    m->jit = rnnc_jit_compile(b, src, s->name, s->fast, err, errlen);
    free(src);
    if (!m->jit) return -1;
    char sym[RNNC_MAX_NAME + 16];
    snprintf(sym, sizeof sym, "%s_descriptor", s->name);
    void *fw, *bw, *st, *ts, *tp;
    if (!(m->desc = symbol(m, sym, err, errlen)) || check_descriptor(m, err, errlen) != 0 ||
        !(fw = symbol(m, m->desc->forward, err, errlen)) ||
        !(bw = symbol(m, m->desc->backward, err, errlen)) ||
        !(st = symbol(m, m->desc->step, err, errlen)) ||
        !(ts = symbol(m, m->desc->train_step, err, errlen)) ||
        !(tp = symbol(m, m->desc->train_part, err, errlen)))
        goto fail;
    /* Object pointers to function pointers: POSIX guarantees this conversion for dlsym. */
    memcpy(&m->fn_forward, &fw, sizeof fw);
    memcpy(&m->fn_backward, &bw, sizeof bw);
    memcpy(&m->fn_step, &st, sizeof st);
    memcpy(&m->fn_train_step, &ts, sizeof ts);
    memcpy(&m->fn_train_part, &tp, sizeof tp);
    if (m->desc->length) {
        void *ln = symbol(m, m->desc->length, err, errlen);
        if (!ln) goto fail;
        memcpy(&m->fn_length, &ln, sizeof ln);
    }
    for (int i = 0; i < 8; i++) m->args[i] = &ffi_type_pointer;
    m->args[8] = m->args[9] = &ffi_type_sint32;
    ffi_type *real = s->dtype == RNNC_DOUBLE ? &ffi_type_double : &ffi_type_float;
    if (ffi_prep_cif(&m->cif_forward, FFI_DEFAULT_ABI, 5, real, m->args) != FFI_OK ||
        ffi_prep_cif(&m->cif_backward, FFI_DEFAULT_ABI, 5, &ffi_type_void, m->args) != FFI_OK ||
        ffi_prep_cif(&m->cif_step, FFI_DEFAULT_ABI, 5, &ffi_type_void, m->args) != FFI_OK ||
        ffi_prep_cif(&m->cif_train_step, FFI_DEFAULT_ABI, 8, real, m->args) != FFI_OK ||
        ffi_prep_cif(&m->cif_train_part, FFI_DEFAULT_ABI, 10, real, m->args) != FFI_OK ||
        ffi_prep_cif(&m->cif_length, FFI_DEFAULT_ABI, 3, &ffi_type_void, m->args) != FFI_OK) {
        rnnc_fail(err, errlen, "libffi: ffi_prep_cif failed");
        goto fail;
    }
    return 0;
fail:
    rnnc_jit_free(m->jit);
    m->jit = NULL;
    return -1;
}

void rnnc_model_unload(rnnc_model *m)
{
    rnnc_pool_stop(m->pool);
    m->pool = NULL;
    rnnc_jit_free(m->jit);
    m->jit = NULL;
}

int rnnc_model_set_threads(rnnc_model *m, int n, char *err, size_t errlen)
{
    int parts = (int)m->desc->parts;
    if (n < 0) {
        rnnc_fail(err, errlen, "--threads: %d is negative", n);
        return -1;
    }
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus < 1 ? 1 : cpus > parts ? parts : (int)cpus;
    }
    if (n > parts) n = parts;
    if (n == rnnc_model_threads(m)) return n;
    rnnc_pool *p = NULL;
    if (n > 1 && !(p = rnnc_pool_start(n, err, errlen))) return -1;
    rnnc_pool_stop(m->pool);
    m->pool = p;
    return n;
}

int rnnc_model_threads(const rnnc_model *m) { return m->pool ? rnnc_pool_size(m->pool) : 1; }

double rnnc_model_forward(rnnc_model *m, const void *params, const void *x, const void *y,
                          const void *s0, void *ws)
{
    void *argv[5] = {&params, &x, &y, &s0, &ws};
    union { ffi_arg a; float f; double d; } r;
    ffi_call(&m->cif_forward, m->fn_forward, &r, argv);
    return m->spec.dtype == RNNC_DOUBLE ? r.d : (double)r.f;
}

void rnnc_model_backward(rnnc_model *m, const void *params, const void *x, const void *y,
                         void *ws, void *grads)
{
    void *argv[5] = {&params, &x, &y, &ws, &grads};
    ffi_call(&m->cif_backward, m->fn_backward, NULL, argv);
}

typedef union { ffi_arg a; float f; double d; } real_ret;

/* One stage of a threaded training step: what each member needs to call NAME_train_part. */
typedef struct {
    rnnc_model *m;
    void *argv[8];
    int32_t stage;
    real_ret part0;      /* part 0's return value: the step's loss after the last stage */
} stage_ctx;

static void run_part(void *vctx, int part)
{
    stage_ctx *c = vctx;
    int32_t stage = c->stage, p = part;
    void *argv[10];
    memcpy(argv, c->argv, sizeof c->argv);
    argv[8] = &stage;
    argv[9] = &p;
    real_ret r;
    ffi_call(&c->m->cif_train_part, c->m->fn_train_part, &r, argv);
    if (part == 0) c->part0 = r;
}

double rnnc_model_train_step(rnnc_model *m, void *params, void *grads, void *opt, const void *x,
                             const void *y, const void *s0, void *ws, const rnnc_hparams *hp)
{
    real_ret r;
    if (m->pool) return rnnc_model_train_stages(m, 0, (int)m->desc->stages - 1, params, grads, opt, x, y, s0, ws, hp);
    void *argv[8] = {&params, &grads, &opt, &x, &y, &s0, &ws, &hp};
    ffi_call(&m->cif_train_step, m->fn_train_step, &r, argv);
    return m->spec.dtype == RNNC_DOUBLE ? r.d : (double)r.f;
}

double rnnc_model_train_stages(rnnc_model *m, int first, int last, void *params, void *grads, void *opt,
                               const void *x, const void *y, const void *s0, void *ws,
                               const rnnc_hparams *hp)
{
    /* The stages of NAME_train_part, each stage's parts at once on the pool (in order on
     * this thread without one). */
    stage_ctx c = {m, {&params, &grads, &opt, &x, &y, &s0, &ws, &hp}, 0, {0}};
    for (c.stage = first; c.stage <= last && c.stage < (int32_t)m->desc->stages; c.stage++) {
        if (m->pool) rnnc_pool_run(m->pool, run_part, &c);
        else
            for (int part = 0; part < (int)m->desc->parts; part++) run_part(&c, part);
    }
    return m->spec.dtype == RNNC_DOUBLE ? c.part0.d : (double)c.part0.f;
}

void rnnc_model_step(rnnc_model *m, const void *params, const void *x, const void *s_in,
                     void *s_out, void *out)
{
    void *argv[5] = {&params, &x, &s_in, &s_out, &out};
    ffi_call(&m->cif_step, m->fn_step, NULL, argv);
}

void rnnc_model_length(rnnc_model *m, const void *params, const void *h0, void *pn)
{
    void *argv[3] = {&params, &h0, &pn};
    ffi_call(&m->cif_length, m->fn_length, NULL, argv);
}

static size_t round64(size_t n) { return (n + 63) / 64 * 64; }

int rnnc_buffers_alloc(rnnc_buffers *b, const rnnc_layout *l)
{
    size_t sizes[7] = {l->params_bytes, l->params_bytes, l->ws_bytes, l->x_bytes, l->y_bytes,
                       l->s0_bytes, l->opt_bytes};
    size_t total = 0;
    for (int i = 0; i < 7; i++) total += round64(sizes[i] ? sizes[i] : 1);
    memset(b, 0, sizeof *b);
    b->base = aligned_alloc(64, total);
    if (!b->base) return -1;
    memset(b->base, 0, total);
    char *p = b->base;
    void **views[7] = {&b->params, &b->grads, &b->ws, &b->x, &b->y, &b->s0, &b->opt};
    for (int i = 0; i < 7; i++) {
        *views[i] = p;
        p += round64(sizes[i] ? sizes[i] : 1);
    }
    return 0;
}

void rnnc_buffers_free(rnnc_buffers *b)
{
    free(b->base);
    memset(b, 0, sizeof *b);
}

void rnnc_param_tensors(const rnnc_spec *s, const rnnc_layout *l, rnnc_tensor out[RNNC_NTENSORS])
{
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const size_t G = (size_t)rnnc_cells[s->cell].gates, GH = G * s->hidden;
    out[RNNC_T_U] = (rnnc_tensor){"U", l->off_U, GH, s->n_in};
    out[RNNC_T_W] = (rnnc_tensor){"W", l->off_W, rec->has_W ? GH : 0, rec->has_W ? s->hidden : 0};
    out[RNNC_T_V] = (rnnc_tensor){"V", l->off_V, s->n_out, s->hidden};
    out[RNNC_T_B] = (rnnc_tensor){"b", l->off_b, GH, 1};
    out[RNNC_T_C] = (rnnc_tensor){"c", l->off_c, s->n_out, 1};
    out[RNNC_T_R] = (rnnc_tensor){"R", l->off_R, rec->has_R ? s->hidden : 0, rec->has_R ? s->n_out : 0};
    const rnnc_end_info *end = &rnnc_ends[s->end];
    const size_t halt = end->has_halt ? 1 : 0, M = end->has_length ? s->max_length : 0;
    out[RNNC_T_HALT_W] = (rnnc_tensor){"halt_w", l->off_halt_w, halt, halt * s->hidden};
    out[RNNC_T_HALT_B] = (rnnc_tensor){"halt_b", l->off_halt_b, halt, halt};
    out[RNNC_T_LEN_W] = (rnnc_tensor){"len_w", l->off_len_w, M, M ? s->hidden : 0};
    out[RNNC_T_LEN_B] = (rnnc_tensor){"len_b", l->off_len_b, M, M ? 1 : 0};
    out[RNNC_T_REM_U] = (rnnc_tensor){"rem_u", l->off_rem_u, M ? s->hidden : 0, M ? 1 : 0};
    out[RNNC_T_BH] = (rnnc_tensor){"b_h", l->off_bh, G > 1 ? GH : 0, G > 1 ? 1 : 0};
}

static const char *const optim_names[] = {
    [RNNC_OPTIM_SGD] = "sgd", [RNNC_OPTIM_MOMENTUM] = "momentum", [RNNC_OPTIM_ADAGRAD] = "adagrad",
    [RNNC_OPTIM_RMSPROP] = "rmsprop", [RNNC_OPTIM_ADAM] = "adam"};
enum { NOPTIM = (int)(sizeof optim_names / sizeof optim_names[0]) };

int rnnc_optim_parse(const char *name)
{
    for (int i = 0; i < NOPTIM; i++)
        if (optim_names[i] && strcmp(name, optim_names[i]) == 0) return i;
    return -1;
}

const char *rnnc_optim_name(int optim)
{
    return optim >= 0 && optim < NOPTIM && optim_names[optim] ? optim_names[optim] : "?";
}

void rnnc_init_weights(const rnnc_spec *s, const rnnc_layout *l, void *params, uint64_t *rng)
{
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, t);
    static const int mats[] = {RNNC_T_U, RNNC_T_W, RNNC_T_V, RNNC_T_R, RNNC_T_HALT_W, RNNC_T_LEN_W,
                               RNNC_T_REM_U};
    for (size_t m = 0; m < sizeof mats / sizeof mats[0]; m++)
        for (size_t i = 0, k = (size_t)mats[m]; i < t[k].rows * t[k].cols; i++)
            rnnc_set(params, s->dtype, t[k].offset + i, 0.01 * rnnc_rand_normal(rng));
    for (size_t i = 0; rnnc_cells[s->cell].gates > 1 && i < s->hidden; i++)
        rnnc_set(params, s->dtype, l->off_b + s->hidden + i, 1.0);
}

double rnnc_get(const void *buf, rnnc_dtype dt, size_t i)
{
    return dt == RNNC_DOUBLE ? ((const double *)buf)[i] : (double)((const float *)buf)[i];
}

void rnnc_get_range(const void *buf, rnnc_dtype dt, size_t off, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) out[i] = rnnc_get(buf, dt, off + i);
}

void rnnc_set(void *buf, rnnc_dtype dt, size_t i, double v)
{
    if (dt == RNNC_DOUBLE) ((double *)buf)[i] = v;
    else ((float *)buf)[i] = (float)v;
}
