/* test_dump.c: `rnnc check --dump FILE.safetensors` read back and recomputed.
 *
 *   test_dump FILE.safetensors...
 *
 * For each file (written by rnnc check --dump): read it with rnnc_st_read; take the spec,
 * seed and backend from its metadata (spec, seed, backend; layout must be "row-major"; every
 * tensor must have a description); check that exactly the expected tensors are there with
 * their dtypes and shapes; then recompute, independently of runtime/commands/dump.c:
 *   - the problem (x, y, h0, U W V b c) from rnnc_check_random_problem with the seed: equal
 *     bit for bit, with the column-major -> row-major transposition done here;
 *   - the nodes (h, p, g_o, grad_h, d, grad_h0), the gradients and the loss with the model
 *     rebuilt on the same backend: equal bit for bit;
 *   - the same with tests/ref/ref.c (plain double loops from gen/EQUATIONS.md) on the dump's own inputs:
 *     within max_i |dump_i - ref_i| <= RTOL * max(FLOOR, max_i |ref_i|) per tensor, RTOL
 *     1e-10 for double and 1e-4 for float (normwise, as test_backends.c).
 * Only the hidden recurrence: a dump does not hold an output recurrence's R, fb(0) or their
 * gradients, so a dump of recurrence=output or both fails with that reason.
 * Output: one line per file, "ok dump/SPEC" or "FAIL dump/SPEC: why"; exit status 1 if
 * anything failed. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/commands/check.h"
#include "../../runtime/jit/jit.h"
#include "../../runtime/model/model.h"
#include "../../runtime/formats/safetensors.h"
#include "../lib/testlib.h"
#include "../ref/ref.h"

#define FLOOR 1e-3

static char why[4096];

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2)))
#endif
static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return -1;
}

/* The spec of a canonical string "vocab=5 hidden=4 ..." (rnnc_spec_format's form). */
static int parse_spec(const char *canon, rnnc_spec *s)
{
    char buf[512], err[512];
    rnnc_spec_builder b;
    rnnc_spec_begin(&b);
    snprintf(buf, sizeof buf, "%s", canon);
    char *save = NULL;
    for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(w, '=');
        if (!eq) return bad("metadata spec: '%s' is not key=value", w);
        *eq = '\0';
        if (rnnc_spec_set(&b, w, eq + 1, "metadata spec", err, sizeof err) != 0) return bad("%s", err);
    }
    if (rnnc_spec_finish(&b, s, err, sizeof err) != 0) return bad("%s", err);
    return 0;
}

/* Element i of tensor t as double (F32, F64 or I32). */
static double elem(const rnnc_st_tensor *t, size_t i)
{
    float f;
    double d;
    int32_t n;
    switch (t->dtype) {
    case RNNC_ST_F32: memcpy(&f, t->data + 4 * i, 4); return f;
    case RNNC_ST_F64: memcpy(&d, t->data + 8 * i, 8); return d;
    case RNNC_ST_I32: memcpy(&n, t->data + 4 * i, 4); return n;
    default: return NAN;
    }
}

static size_t count_of(const rnnc_st_tensor *t)
{
    size_t n = 1;
    for (size_t i = 0; i < t->ndim; i++) n *= (size_t)t->shape[i];
    return n;
}

/* Tensor name with dtype dt and shape (ndim values), or NULL with why set. */
static const rnnc_st_tensor *want(const rnnc_st_file *f, const char *name, rnnc_st_dtype dt,
                                  size_t ndim, uint64_t d0, uint64_t d1, uint64_t d2)
{
    const rnnc_st_tensor *t = rnnc_st_find(f, name);
    const uint64_t shape[3] = {d0, d1, d2};
    if (!t) return bad("tensor %s missing", name), NULL;
    if (t->dtype != dt) return bad("tensor %s: dtype %d, expected %d", name, (int)t->dtype, (int)dt), NULL;
    if (t->ndim != ndim) return bad("tensor %s: %zu dimensions, expected %zu", name, t->ndim, ndim), NULL;
    for (size_t i = 0; i < ndim; i++)
        if (t->shape[i] != shape[i])
            return bad("tensor %s: dimension %zu is %llu, expected %llu", name, i,
                       (unsigned long long)t->shape[i], (unsigned long long)shape[i]), NULL;
    if (!rnnc_st_meta(f, name)) return bad("tensor %s has no description in the metadata", name), NULL;
    return t;
}

/* The dump's value at row-major index i equals model buffer value at element off (exactly). */
static int same_exact(const rnnc_st_tensor *t, size_t i, const void *buf, rnnc_dtype dt, size_t off)
{
    double a = elem(t, i), b = rnnc_get(buf, dt, off);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Dump tensor t vs a column-major rows x cols tensor at off in a model buffer. */
static int cmp_matrix(const rnnc_st_tensor *t, const void *buf, rnnc_dtype dt, size_t off,
                      size_t rows, size_t cols)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            if (!same_exact(t, i * cols + j, buf, dt, off + j * rows + i))
                return bad("%s(%zu,%zu): dump %.17g, recomputed %.17g", t->name, i, j,
                           elem(t, i * cols + j), rnnc_get(buf, dt, off + j * rows + i));
    return 0;
}

/* Dump tensor t vs n contiguous values at off in a buffer of type dt. */
static int cmp_flat(const rnnc_st_tensor *t, const void *buf, rnnc_dtype dt, size_t off, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!same_exact(t, i, buf, dt, off + i))
            return bad("%s[%zu]: dump %.17g, recomputed %.17g", t->name, i, elem(t, i),
                       rnnc_get(buf, dt, off + i));
    return 0;
}

/* Dump tensor t (row-major rows x cols, or flat when rows == 0) vs the reference ref
 * (column-major when rows > 0), normwise. */
static int cmp_ref(const rnnc_st_tensor *t, const double *ref, size_t rows, size_t cols,
                   double rtol)
{
    size_t n = rows ? rows * cols : count_of(t);
    double scale = FLOOR, worst = 0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(ref[i]));
    for (size_t k = 0; k < n; k++) {
        size_t ri = rows ? (k % cols) * rows + k / cols : k;
        double e = fabs(elem(t, k) - ref[ri]);
        if (!(e <= worst)) worst = e;
    }
    if (!(worst <= rtol * scale))
        return bad("%s: max |dump - reference| = %.3e over the tolerance %.3e", t->name, worst, rtol * scale);
    return 0;
}

/* Every check of one file.  Returns 0 or -1 with why set; *label gets the spec. */
static int check_file(const char *path, char *label, size_t llen)
{
    rnnc_st_file f;
    char err[1024];
    snprintf(label, llen, "%s", path);
    if (rnnc_st_read(path, &f, err, sizeof err) != 0) return bad("%s", err);
    int rc = -1;
    rnnc_model m;
    int loaded = 0;
    rnnc_buffers mb = {0};
    double *rbuf = NULL;
    const char *spec = rnnc_st_meta(&f, "spec"), *layout = rnnc_st_meta(&f, "layout");
    const char *seed_s = rnnc_st_meta(&f, "seed"), *backend_s = rnnc_st_meta(&f, "backend");
    rnnc_spec s;
    rnnc_backend backend;
    if (!spec || !layout || !seed_s || !backend_s) {
        bad("metadata: spec, layout, seed or backend missing");
        goto out;
    }
    snprintf(label, llen, "%s", spec);
    for (char *c = label; *c; c++)
        if (*c == ' ') *c = ',';
    if (parse_spec(spec, &s) != 0) goto out;
    if (strcmp(layout, "row-major") != 0) {
        bad("metadata layout is '%s', expected row-major", layout);
        goto out;
    }
    if (rnnc_backend_parse(backend_s, &backend) != 0) {
        bad("metadata backend '%s'", backend_s);
        goto out;
    }
    if (s.rec != RNNC_REC_HIDDEN) {
        /* The dump's tensors are the hidden family's (no R, fb(0), grad_R, grad_fb(0),
         * scheduled-sampling draws): nothing to recompute an output recurrence from. */
        bad("recurrence=%s: this reader knows only the hidden recurrence's tensors",
            rnnc_recurrences[s.rec].name);
        goto out;
    }
    uint64_t seed = strtoull(seed_s, NULL, 10);
    uint64_t H = s.hidden, N = s.n_in, K = s.n_out, T = s.tau, B = s.batch;
    rnnc_st_dtype real = s.dtype == RNNC_DOUBLE ? RNNC_ST_F64 : RNNC_ST_F32;
    int nll = s.loss == RNNC_LOSS_NLL;
    const rnnc_st_tensor *x = s.onehot ? want(&f, "x", RNNC_ST_I32, 2, T, B, 0) : want(&f, "x", real, 3, T, B, N);
    const rnnc_st_tensor *y = nll ? want(&f, "y", RNNC_ST_I32, 2, T, B, 0) : want(&f, "y", real, 3, T, B, K);
    const rnnc_st_tensor *h0 = x && y ? want(&f, "h0", real, 2, B, H, 0) : NULL;
    const rnnc_st_tensor *P[5] = {
        h0 ? want(&f, "U", real, 2, H, N, 0) : NULL, NULL, NULL, NULL, NULL};
    if (P[0]) P[1] = want(&f, "W", real, 2, H, H, 0);
    if (P[1]) P[2] = want(&f, "V", real, 2, K, H, 0);
    if (P[2]) P[3] = want(&f, "b", real, 1, H, 0, 0);
    if (P[3]) P[4] = want(&f, "c", real, 1, K, 0, 0);
    const rnnc_st_tensor *G[5] = {NULL, NULL, NULL, NULL, NULL};
    if (P[4]) G[0] = want(&f, "grad_U", real, 2, H, N, 0);
    if (G[0]) G[1] = want(&f, "grad_W", real, 2, H, H, 0);
    if (G[1]) G[2] = want(&f, "grad_V", real, 2, K, H, 0);
    if (G[2]) G[3] = want(&f, "grad_b", real, 1, H, 0, 0);
    if (G[3]) G[4] = want(&f, "grad_c", real, 1, K, 0, 0);
    const rnnc_st_tensor *nh = G[4] ? want(&f, "h", real, 3, T + 1, B, H) : NULL;
    const rnnc_st_tensor *np = nh ? want(&f, "p", real, 3, T, B, K) : NULL;
    const rnnc_st_tensor *ngo = np ? want(&f, "g_o", real, 3, T, B, K) : NULL;
    const rnnc_st_tensor *ngh = ngo ? want(&f, "grad_h", real, 3, T, B, H) : NULL;
    const rnnc_st_tensor *nd = ngh ? want(&f, "d", real, 3, T, B, H) : NULL;
    const rnnc_st_tensor *ngh0 = nd ? want(&f, "grad_h0", real, 2, B, H, 0) : NULL;
    const rnnc_st_tensor *loss = ngh0 ? want(&f, "loss", RNNC_ST_F64, 0, 0, 0, 0) : NULL;
    if (!loss) goto out;
    if (f.ntensors != 20) {
        bad("%zu tensors, expected 20", f.ntensors);
        goto out;
    }

    /* The problem and the generated run, recomputed. */
    if (rnnc_model_load(&m, &s, backend, err, sizeof err) != 0) {
        bad("%s", err);
        goto out;
    }
    loaded = 1;
    const rnnc_layout *l = &m.layout;
    if (rnnc_buffers_alloc(&mb, l) != 0) {
        bad("out of memory");
        goto out;
    }
    rnnc_check_random_problem(&s, l, &mb, NULL, NULL, seed);
    double L = rnnc_model_forward(&m, mb.params, mb.x, mb.y, mb.s0, mb.ws);
    rnnc_model_backward(&m, mb.params, mb.x, mb.y, mb.ws, mb.grads);
    rnnc_tensor pt[RNNC_NTENSORS];
    rnnc_param_tensors(&s, l, pt);
    rnnc_dtype dt = s.dtype;
    if (!s.onehot && cmp_flat(x, mb.x, dt, 0, l->x_count)) goto out;
    for (size_t i = 0; s.onehot && i < l->x_count; i++)
        if (elem(x, i) != ((int32_t *)mb.x)[i]) {
            bad("x[%zu]: dump %g, recomputed %d", i, elem(x, i), ((int32_t *)mb.x)[i]);
            goto out;
        }
    for (size_t i = 0; nll && i < l->y_count; i++)
        if (elem(y, i) != ((int32_t *)mb.y)[i]) {
            bad("y[%zu]: dump %g, recomputed %d", i, elem(y, i), ((int32_t *)mb.y)[i]);
            goto out;
        }
    if ((!nll && cmp_flat(y, mb.y, dt, 0, l->y_count)) || cmp_flat(h0, mb.s0, dt, 0, l->s0_count))
        goto out;
    /* U W V b c: the hidden recurrence's tensors (RNNC_T_U .. RNNC_T_C; it has no R) */
    for (int k = 0; k < 5; k++)
        if (cmp_matrix(P[k], mb.params, dt, pt[k].offset, pt[k].rows, pt[k].cols) ||
            cmp_matrix(G[k], mb.grads, dt, pt[k].offset, pt[k].rows, pt[k].cols))
            goto out;
    if (cmp_flat(nh, mb.ws, dt, l->ws_h, (T + 1) * B * H) || cmp_flat(np, mb.ws, dt, l->ws_p, T * B * K) ||
        cmp_flat(ngo, mb.ws, dt, l->ws_go, T * B * K) || cmp_flat(ngh, mb.ws, dt, l->ws_gh, T * B * H) ||
        cmp_flat(nd, mb.ws, dt, l->ws_d, T * B * H) || cmp_flat(ngh0, mb.ws, dt, l->ws_gs0, B * H))
        goto out;
    if (elem(loss, 0) != L) {
        bad("loss: dump %.17g, recomputed %.17g", elem(loss, 0), L);
        goto out;
    }

    /* The independent reference, in double, on the dump's own values (LAYOUT.md order). */
    size_t nU = H * N, nW = H * H, nV = K * H, nx = count_of(x), ny = count_of(y);
    size_t total = 2 * (nU + nW + nV + H + K) + nx + ny + B * H + 2 * (T + 1) * B * H +
                   2 * T * B * K + 2 * T * B * H + 2 * B * H;
    rbuf = calloc(total, sizeof *rbuf);
    int32_t *xi = calloc(nx + ny, sizeof *xi);
    if (!rbuf || !xi) {
        free(xi);
        bad("out of memory");
        goto out;
    }
    double *q = rbuf, *pp[5], *gg[5];
    const size_t rows[5] = {H, H, K, H, K}, cols[5] = {N, H, H, 1, 1};
    for (int k = 0; k < 5; k++) {
        pp[k] = q;
        q += rows[k] * cols[k];
        gg[k] = q;
        q += rows[k] * cols[k];
        for (size_t i = 0; i < rows[k]; i++)
            for (size_t j = 0; j < cols[k]; j++) pp[k][j * rows[k] + i] = elem(P[k], i * cols[k] + j);
    }
    double *xd = q, *yd = q + nx, *hh0 = q + nx + ny;
    q += nx + ny + B * H;
    for (size_t i = 0; i < nx; i++) xd[i] = elem(x, i), xi[i] = (int32_t)elem(x, i);
    for (size_t i = 0; i < ny; i++) yd[i] = elem(y, i), xi[nx + i] = (int32_t)elem(y, i);
    for (size_t i = 0; i < B * H; i++) hh0[i] = elem(h0, i);
    ref_nodes rn = {0};
    rn.h = q, q += (T + 1) * B * H;
    rn.p = q, q += T * B * K;
    rn.go = q, q += T * B * K;
    rn.gh = q, q += T * B * H;
    rn.d = q, q += T * B * H;
    rn.gh0 = q, q += B * H;
    rn.s1 = q;   /* B x H: the hidden family's final state */
    ref_spec rs = {N, H, K, T, B, s.onehot,
                   s.act == RNNC_ACT_TANH ? REF_TANH : s.act == RNNC_ACT_RELU ? REF_RELU : REF_SIGMOID,
                   nll ? REF_NLL : REF_MSE, REF_REC_HIDDEN, REF_FB_TEACHER};
    ref_params RP = {pp[0], pp[1], pp[2], pp[3], pp[4], NULL};
    ref_grads RG = {gg[0], gg[1], gg[2], gg[3], gg[4], NULL};
    ref_inputs in = {xi, xd, xi + nx, yd, hh0, NULL, NULL, NULL};
    double rl = ref_forward(&rs, RP, &in, &rn);
    ref_backward(&rs, RP, &in, &rn, RG);
    free(xi);
    double rtol = s.dtype == RNNC_DOUBLE && !s.fast ? 1e-10 : 1e-4;
    if (!(fabs(elem(loss, 0) - rl) <= rtol * fmax(1, fabs(rl)))) {
        bad("loss: dump %.17g, reference %.17g", elem(loss, 0), rl);
        goto out;
    }
    for (int k = 0; k < 5; k++)
        if (cmp_ref(G[k], gg[k], rows[k], cols[k], rtol)) goto out;
    if (cmp_ref(nh, rn.h, 0, 0, rtol) || cmp_ref(np, rn.p, 0, 0, rtol) || cmp_ref(ngo, rn.go, 0, 0, rtol) ||
        cmp_ref(ngh, rn.gh, 0, 0, rtol) || cmp_ref(nd, rn.d, 0, 0, rtol) || cmp_ref(ngh0, rn.gh0, 0, 0, rtol))
        goto out;
    rc = 0;
out:
    free(rbuf);
    rnnc_buffers_free(&mb);
    if (loaded) rnnc_model_unload(&m);
    rnnc_st_free(&f);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_dump FILE.safetensors...\n");
        return 2;
    }
    tl_suite("dump");
    for (int i = 1; i < argc; i++) {
        char label[600];
        if (check_file(argv[i], label, sizeof label) == 0) tl_ok("%s", label);
        else tl_fail("%s: %s", label, why);
    }
    return tl_status();
}
