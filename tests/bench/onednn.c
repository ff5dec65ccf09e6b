/* tests/bench/onednn.c: the oneDNN peer of `rnnc bench` (issue 14): hand.c's training step
 * (min-char-rnn: one-hot input, tanh, softmax + negative log-likelihood summed over time and
 * batch, BPTT, gradients averaged over the batch, clipped to [-5, 5], Adagrad lr 0.1 eps 1e-8;
 * float, h(0) = 0) done with oneDNN's primitives through its C API, on one thread:
 *   - the hidden layer: the vanilla RNN primitive (tanh), forward_training, then backward;
 *   - the output layer o = c + V h over all TAU * BATCH columns at once: inner product
 *     forward_training, backward_data (V^T g_o) and backward_weights (grad_V, grad_c);
 *   - softmax + NLL, the batch average, clipping and Adagrad: plain loops here.
 * The RNN's parameters U, W, b and their gradients live in the layouts the forward primitive
 * picks for them (format "any": ldigo with a padded leading dimension here), as a framework
 * would keep them, so the forward pass needs no reorder and Adagrad runs over the padded
 * buffers (padding: zero gradient, so it stays zero); the backward primitive wants the
 * weights transposed (ldgoi), a reorder each step, counted in the time.  V is the inner
 * product's plain oi (row-major K x H).  oneDNN 2.6's RNN backward accumulates into its weight
 * gradients (2.6 has no overwrite flag), so they are zeroed each step.
 *
 * Extra work: the RNN primitive always multiplies src_layer by weights_layer, so the input is
 * fed as dense one-hot vectors (built once, outside the timing, as the PyTorch peer does).  That
 * adds, per time step and column, 2*V*H FLOPs for U x (a gather in hand.c and rnnc), 2*V*H for
 * diff_src_layer (an unused gradient with respect to the one-hot input, which the primitive
 * always computes) and 2*V*H for grad_U as a dense product (H additions in hand.c).  Only
 * hand.c's FLOPs are counted: 2 per multiply-add of W h + V h + V^T g_o + W^T d + grad_V +
 * grad_W, times TAU * BATCH.
 *
 *   onednn VOCAB HIDDEN TAU BATCH [REPS [SECONDS [CELL]]]
 *       Times single steps (CLOCK_MONOTONIC) after a warm-up until both REPS (20) steps and
 *       SECONDS (1.0) have passed; the last line is "median_us=N min_us=N max_us=N gflops=N".
 *       CELL rnn (default), lstm or gru (issue 17): the hidden layer is then oneDNN's LSTM
 *       primitive (gates i f c o, as PyTorch's) or its linear-before-reset GRU (PyTorch's
 *       formulation: the reset gate on W_n h + b_hn; four bias rows), the rest unchanged; the
 *       FLOPs counted are rnnc's (3 G H^2 + 3 V H per column-step), the one-hot input adds
 *       6 V G H per column-step, uncounted.
 *   onednn --check DIR VOCAB HIDDEN TAU BATCH
 *       Reads DIR/{x,y}.bin (int32 [TAU, BATCH]), DIR/{U,W,V,b,c,h0}.bin (float32, row-major
 *       as `rnnc check --dump` writes them: U [H, V], W [H, H], V [V, H], h0 [BATCH, H]), runs
 *       the forward and backward pass twice without the update (so that gradients carried over
 *       from one step to the next would show), and writes the gradients summed over
 *       the batch (before scaling and clipping) as DIR/grad_{U,W,V,b,c,h0}.bin in the same
 *       layouts and the loss as DIR/loss.bin (float64).
 * Exit status 0 on success, 2 on bad arguments, 1 on any failure (each dnnl call's status is
 * checked and a failure named).  Needs a libdnnl built with OpenMP threading (Debian's is):
 * the thread count is forced to one with omp_set_num_threads.  Build:
 *   cc -std=c11 -O3 -march=native -o onednn tests/bench/onednn.c -ldnnl -lgomp -lm */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#if DNNL_CPU_THREADING_RUNTIME != DNNL_RUNTIME_OMP
#error "onednn.c forces one thread through OpenMP, but this libdnnl does not use OpenMP"
#endif

#define CHECK(call) check((call), #call, __LINE__)
#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void check(dnnl_status_t s, const char *what, int line)
{
    if (s != dnnl_success) {
        fprintf(stderr, "onednn: line %d: %s: %s\n", line, what, dnnl_status2str(s));
        exit(1);
    }
}

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "onednn: %s%s\n", msg, arg);
    exit(1);
}

static int V, H, T, B;
static dnnl_engine_t eng;
static dnnl_stream_t strm;

/* The memories.  X to DC: plain layouts; U W BH: the forward primitive's layouts, and DU DW DB
 * the same (see the file comment); WS: the RNN's workspace.  HS and GH are seen twice, as the
 * RNN's [T, B, H] (tnc) and as the inner product's [T*B, H] (nc), over the same buffer. */
enum { X, H0, HS, HS2, VW, C, O, GH, GH2, DX, DH0, DV, DC, C0, DC0, U, W, BH, DU, DW, DB, WS, NMEM };
static dnnl_memory_t mem[NMEM];
static float *mom[NMEM];    /* Adagrad memories of U, W, BH, VW, C */
static int32_t *ys;

/* A tensor as a primitive wants it: ours, the primitive's (the same memory when the layouts
 * agree) and the reorder between them (ours -> primitive's for an input, the other way for an
 * output; NULL when the layouts agree).  With oneDNN 2.6 the backward primitive wants the
 * weights as ldgoi (a reorder) and the weight gradients in the parameters' layout (none). */
typedef struct {
    dnnl_memory_t ours, prim;
    dnnl_primitive_t reorder;
} bound_t;
/* The RNN backward primitive's U W b (inputs) and dU dW db (outputs). */
enum { B_U, B_W, B_B, G_U, G_W, G_B, NBOUND };
static bound_t bound[NBOUND];

static dnnl_primitive_t rnn_fwd, rnn_bwd, ip_fwd, ip_bwd_data, ip_bwd_w;
static dnnl_exec_arg_t a_rnn_fwd[8], a_rnn_bwd[15], a_ip_fwd[4], a_ip_data[3], a_ip_w[4];
static int n_rnn_fwd, n_rnn_bwd;   /* the arguments used: 7 and 13, with the LSTM's c(0) 8 and 15 */
enum { CELL_RNN, CELL_GRU, CELL_LSTM };
static int cell = CELL_RNN;          /* the hidden layer's primitive */
static int gates = 1, bias_gates = 1; /* G, and the bias rows (the LBR GRU has G + 1) */
static char impl_rnn[64], impl_ip[64];   /* the implementations oneDNN chose */

/* A float32 descriptor of the first ndims of dims in layout tag. */
static dnnl_memory_desc_t md(int ndims, const dnnl_dim_t *dims, dnnl_format_tag_t tag)
{
    dnnl_dims_t full = {0};   /* the parameter's declared type: DNNL_MAX_NDIMS entries */
    dnnl_memory_desc_t d;
    memcpy(full, dims, (size_t)ndims * sizeof *dims);
    CHECK(dnnl_memory_desc_init_by_tag(&d, ndims, full, dnnl_f32, tag));
    return d;
}

/* A memory of descriptor d over handle (DNNL_MEMORY_ALLOCATE: the library allocates it). */
static dnnl_memory_t mem_new(const dnnl_memory_desc_t *d, void *handle)
{
    dnnl_memory_t m;
    CHECK(dnnl_memory_create(&m, d, eng, handle));
    return m;
}

static float *data_of(dnnl_memory_t m)
{
    void *p;
    CHECK(dnnl_memory_get_data_handle(m, &p));
    return p;
}

static const dnnl_memory_desc_t *md_of(dnnl_memory_t m)
{
    const dnnl_memory_desc_t *d;
    CHECK(dnnl_memory_get_memory_desc(m, &d));
    return d;
}

static size_t size_of(dnnl_memory_t m)
{
    return dnnl_memory_desc_get_size(md_of(m));
}

static void exec(dnnl_primitive_t p, int n, const dnnl_exec_arg_t *args)
{
    CHECK(dnnl_primitive_execute(p, strm, n, args));
}

static dnnl_primitive_t reorder_new(const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to)
{
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t r;
    CHECK(dnnl_reorder_primitive_desc_create(&pd, from, eng, to, eng, NULL));
    CHECK(dnnl_primitive_create(&r, pd));
    CHECK(dnnl_primitive_desc_destroy(pd));
    return r;
}

static void exec_reorder(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to)
{
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    exec(r, 2, a);
}

/* The memory argument arg of pd wants: a new memory, zeroed. */
static dnnl_memory_t mem_for(const_dnnl_primitive_desc_t pd, int arg)
{
    const dnnl_memory_desc_t *d = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
    if (!d) die("a primitive has no memory descriptor for an argument", "");
    dnnl_memory_t m = mem_new(d, DNNL_MEMORY_ALLOCATE);
    memset(data_of(m), 0, size_of(m));
    return m;
}

/* Binds our memory m to argument arg of pd (see bound_t). */
static bound_t bind(dnnl_memory_t m, const_dnnl_primitive_desc_t pd, int arg, int output)
{
    bound_t b = {m, m, NULL};
    if (dnnl_memory_desc_equal(dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg), md_of(m))) return b;
    b.prim = mem_for(pd, arg);
    b.reorder = output ? reorder_new(md_of(b.prim), md_of(m)) : reorder_new(md_of(m), md_of(b.prim));
    return b;
}

/* Copies between memory m and buf, a dense array of m's dimensions in layout tag (into m
 * when into_m), by a reorder. */
static void plain_copy(dnnl_memory_t m, float *buf, dnnl_format_tag_t tag, int into_m)
{
    const dnnl_memory_desc_t *d = md_of(m);
    dnnl_memory_desc_t plain = md(d->ndims, d->dims, tag);
    dnnl_memory_t p = mem_new(&plain, buf);
    dnnl_primitive_t r = into_m ? reorder_new(&plain, d) : reorder_new(d, &plain);
    exec_reorder(r, into_m ? p : m, into_m ? m : p);
    CHECK(dnnl_stream_wait(strm));
    CHECK(dnnl_primitive_destroy(r));
    CHECK(dnnl_memory_destroy(p));
}

/* The plain memories, zeroed. */
static void make_memories(void)
{
    const dnnl_dim_t tbv[] = {T, B, V}, tbh[] = {T, B, H}, nh[] = {(dnnl_dim_t)T * B, H},
                     nv[] = {(dnnl_dim_t)T * B, V}, h0[] = {1, 1, B, H}, vw[] = {V, H}, c[] = {V};
    dnnl_memory_desc_t d;
    d = md(3, tbv, dnnl_tnc), mem[X] = mem_new(&d, DNNL_MEMORY_ALLOCATE), mem[DX] = mem_new(&d, DNNL_MEMORY_ALLOCATE);
    d = md(3, tbh, dnnl_tnc), mem[HS] = mem_new(&d, DNNL_MEMORY_ALLOCATE), mem[GH] = mem_new(&d, DNNL_MEMORY_ALLOCATE);
    d = md(2, nh, dnnl_nc), mem[HS2] = mem_new(&d, data_of(mem[HS])), mem[GH2] = mem_new(&d, data_of(mem[GH]));
    d = md(2, nv, dnnl_nc), mem[O] = mem_new(&d, DNNL_MEMORY_ALLOCATE);
    d = md(4, h0, dnnl_ldnc), mem[H0] = mem_new(&d, DNNL_MEMORY_ALLOCATE), mem[DH0] = mem_new(&d, DNNL_MEMORY_ALLOCATE);
    mem[C0] = mem_new(&d, DNNL_MEMORY_ALLOCATE), mem[DC0] = mem_new(&d, DNNL_MEMORY_ALLOCATE);
    d = md(2, vw, dnnl_oi), mem[VW] = mem_new(&d, DNNL_MEMORY_ALLOCATE), mem[DV] = mem_new(&d, DNNL_MEMORY_ALLOCATE);
    d = md(1, c, dnnl_x), mem[C] = mem_new(&d, DNNL_MEMORY_ALLOCATE), mem[DC] = mem_new(&d, DNNL_MEMORY_ALLOCATE);
    for (int k = X; k <= DC0; k++) memset(data_of(mem[k]), 0, size_of(mem[k]));
}

static void impl_of(const_dnnl_primitive_desc_t pd, char *buf, size_t len)
{
    const char *s;
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s));
    snprintf(buf, len, "%s", s);
}

/* The execution arguments of the RNN primitives (make_rnn's memories); the LSTM's c(0) and
 * its gradient at the end. */
static void rnn_args(void)
{
    const dnnl_exec_arg_t fa[] = {{DNNL_ARG_SRC_LAYER, mem[X]}, {DNNL_ARG_SRC_ITER, mem[H0]},
        {DNNL_ARG_WEIGHTS_LAYER, mem[U]}, {DNNL_ARG_WEIGHTS_ITER, mem[W]}, {DNNL_ARG_BIAS, mem[BH]},
        {DNNL_ARG_DST_LAYER, mem[HS]}, {DNNL_ARG_WORKSPACE, mem[WS]}};
    const dnnl_exec_arg_t ba[] = {{DNNL_ARG_SRC_LAYER, mem[X]}, {DNNL_ARG_SRC_ITER, mem[H0]},
        {DNNL_ARG_WEIGHTS_LAYER, bound[B_U].prim}, {DNNL_ARG_WEIGHTS_ITER, bound[B_W].prim},
        {DNNL_ARG_BIAS, bound[B_B].prim}, {DNNL_ARG_DST_LAYER, mem[HS]}, {DNNL_ARG_WORKSPACE, mem[WS]},
        {DNNL_ARG_DIFF_DST_LAYER, mem[GH]}, {DNNL_ARG_DIFF_SRC_LAYER, mem[DX]}, {DNNL_ARG_DIFF_SRC_ITER, mem[DH0]},
        {DNNL_ARG_DIFF_WEIGHTS_LAYER, bound[G_U].prim}, {DNNL_ARG_DIFF_WEIGHTS_ITER, bound[G_W].prim},
        {DNNL_ARG_DIFF_BIAS, bound[G_B].prim}};
    const dnnl_exec_arg_t c0 = {DNNL_ARG_SRC_ITER_C, mem[C0]}, dc0 = {DNNL_ARG_DIFF_SRC_ITER_C, mem[DC0]};
    n_rnn_fwd = NARGS(fa), n_rnn_bwd = NARGS(ba);
    memcpy(a_rnn_fwd, fa, sizeof fa);
    memcpy(a_rnn_bwd, ba, sizeof ba);
    if (cell != CELL_LSTM) return;
    a_rnn_fwd[n_rnn_fwd++] = c0;
    a_rnn_bwd[n_rnn_bwd++] = c0;
    a_rnn_bwd[n_rnn_bwd++] = dc0;
}

/* The forward and backward descriptors of the hidden layer's primitive (vanilla tanh RNN,
 * LSTM or linear-before-reset GRU) over our memories, weights and biases of descriptors wl,
 * wi, b. */
static void rnn_descs(dnnl_rnn_desc_t *fd, dnnl_rnn_desc_t *bd, const dnnl_memory_desc_t *wl,
                      const dnnl_memory_desc_t *wi, const dnnl_memory_desc_t *b)
{
    const dnnl_rnn_direction_t dir = dnnl_unidirectional_left2right;
    const dnnl_memory_desc_t *x = md_of(mem[X]), *h0 = md_of(mem[H0]), *hs = md_of(mem[HS]);
    const dnnl_memory_desc_t *dx = md_of(mem[DX]), *dh0 = md_of(mem[DH0]), *gh = md_of(mem[GH]);
    const dnnl_memory_desc_t *c0 = md_of(mem[C0]), *dc0 = md_of(mem[DC0]);
    if (cell == CELL_LSTM) {
        CHECK(dnnl_lstm_forward_desc_init(fd, dnnl_forward_training, dir, x, h0, c0, wl, wi, b, hs, NULL, NULL, 0));
        CHECK(dnnl_lstm_backward_desc_init(bd, dnnl_backward, dir, x, h0, c0, wl, wi, b, hs, NULL, NULL, dx, dh0,
                                           dc0, wl, wi, b, gh, NULL, NULL, 0));
    } else if (cell == CELL_GRU) {
        CHECK(dnnl_lbr_gru_forward_desc_init(fd, dnnl_forward_training, dir, x, h0, wl, wi, b, hs, NULL, 0));
        CHECK(dnnl_lbr_gru_backward_desc_init(bd, dnnl_backward, dir, x, h0, wl, wi, b, hs, NULL, dx, dh0, wl, wi, b,
                                              gh, NULL, 0));
    } else {
        CHECK(dnnl_vanilla_rnn_forward_desc_init(fd, dnnl_forward_training, dnnl_eltwise_tanh, dir, x, h0, wl, wi,
                                                 b, hs, NULL, dnnl_rnn_flags_undef, 0, 0));
        CHECK(dnnl_vanilla_rnn_backward_desc_init(bd, dnnl_backward, dnnl_eltwise_tanh, dir, x, h0, wl, wi, b, hs,
                                                  NULL, dx, dh0, wl, wi, b, gh, NULL, dnnl_rnn_flags_undef, 0, 0));
    }
}

/* The hidden layer's primitives (rnn_descs): weights and bias, and their gradients, in
 * whatever layouts oneDNN picks (format "any"), the data in plain layouts; then U W BH DU DW
 * DB and WS. */
static void make_rnn(void)
{
    const dnnl_dim_t wl[] = {1, 1, V, gates, H}, wi[] = {1, 1, H, gates, H}, bias[] = {1, 1, bias_gates, H};
    const dnnl_memory_desc_t wl_any = md(5, wl, dnnl_format_tag_any), wi_any = md(5, wi, dnnl_format_tag_any),
                             b_any = md(4, bias, dnnl_format_tag_any);
    dnnl_rnn_desc_t fd, bd;
    dnnl_primitive_desc_t fpd, bpd;
    rnn_descs(&fd, &bd, &wl_any, &wi_any, &b_any);
    CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL));
    CHECK(dnnl_primitive_desc_create(&bpd, &bd, NULL, eng, fpd));
    CHECK(dnnl_primitive_create(&rnn_fwd, fpd));
    CHECK(dnnl_primitive_create(&rnn_bwd, bpd));
    impl_of(fpd, impl_rnn, sizeof impl_rnn);
    mem[WS] = mem_for(fpd, DNNL_ARG_WORKSPACE);
    const int warg[3] = {DNNL_ARG_WEIGHTS_LAYER, DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS};
    const int dwarg[3] = {DNNL_ARG_DIFF_WEIGHTS_LAYER, DNNL_ARG_DIFF_WEIGHTS_ITER, DNNL_ARG_DIFF_BIAS};
    for (int k = 0; k < 3; k++) {
        mem[U + k] = mem_for(fpd, warg[k]);
        mem[DU + k] = mem_for(fpd, warg[k]);   /* gradients in the parameters' layout */
        bound[B_U + k] = bind(mem[U + k], bpd, warg[k], 0);
        bound[G_U + k] = bind(mem[DU + k], bpd, dwarg[k], 1);
    }
    rnn_args();
    CHECK(dnnl_primitive_desc_destroy(fpd));
    CHECK(dnnl_primitive_desc_destroy(bpd));
}

/* Adagrad's memories, zeroed, in the parameters' layouts. */
static void make_moments(void)
{
    const int params[5] = {U, W, BH, VW, C};
    for (int k = 0; k < 5; k++)
        if (!(mom[params[k]] = calloc(size_of(mem[params[k]]), 1))) die("out of memory", "");
}

/* The output layer o = c + V h over the T*B columns: the inner product's three primitives, in
 * plain layouts (src [T*B, H] nc, weights [V, H] oi, bias [V], dst [T*B, V] nc). */
static void make_ip(void)
{
    const dnnl_memory_desc_t *src = md_of(mem[HS2]), *w = md_of(mem[VW]), *b = md_of(mem[C]),
                             *dst = md_of(mem[O]), *dsrc = md_of(mem[GH2]);
    dnnl_inner_product_desc_t fd, dd, wd;
    dnnl_primitive_desc_t fpd, dpd, wpd;
    CHECK(dnnl_inner_product_forward_desc_init(&fd, dnnl_forward_training, src, w, b, dst));
    CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL));
    CHECK(dnnl_inner_product_backward_data_desc_init(&dd, dsrc, w, dst));
    CHECK(dnnl_primitive_desc_create(&dpd, &dd, NULL, eng, fpd));
    CHECK(dnnl_inner_product_backward_weights_desc_init(&wd, src, w, b, dst));
    CHECK(dnnl_primitive_desc_create(&wpd, &wd, NULL, eng, fpd));
    CHECK(dnnl_primitive_create(&ip_fwd, fpd));
    CHECK(dnnl_primitive_create(&ip_bwd_data, dpd));
    CHECK(dnnl_primitive_create(&ip_bwd_w, wpd));
    impl_of(fpd, impl_ip, sizeof impl_ip);
    /* O holds the logits, then (softmax_nll, in place) g_o = diff_dst. */
    const dnnl_exec_arg_t fa[4] = {{DNNL_ARG_SRC, mem[HS2]}, {DNNL_ARG_WEIGHTS, mem[VW]},
                                   {DNNL_ARG_BIAS, mem[C]}, {DNNL_ARG_DST, mem[O]}};
    const dnnl_exec_arg_t da[3] = {{DNNL_ARG_DIFF_DST, mem[O]}, {DNNL_ARG_WEIGHTS, mem[VW]},
                                   {DNNL_ARG_DIFF_SRC, mem[GH2]}};
    const dnnl_exec_arg_t wa[4] = {{DNNL_ARG_SRC, mem[HS2]}, {DNNL_ARG_DIFF_DST, mem[O]},
                                   {DNNL_ARG_DIFF_WEIGHTS, mem[DV]}, {DNNL_ARG_DIFF_BIAS, mem[DC]}};
    memcpy(a_ip_fwd, fa, sizeof fa);
    memcpy(a_ip_data, da, sizeof da);
    memcpy(a_ip_w, wa, sizeof wa);
    CHECK(dnnl_primitive_desc_destroy(fpd));
    CHECK(dnnl_primitive_desc_destroy(dpd));
    CHECK(dnnl_primitive_desc_destroy(wpd));
}

/* Softmax + NLL over the T*B rows of logits o (row t*B + b against ys[t*B + b]): replaces o
 * by g_o = p - onehot(y) and returns the loss summed over time and batch. */
static double softmax_nll(float *o)
{
    double loss = 0;
    for (size_t n = 0; n < (size_t)T * B; n++) {
        float *p = o + n * V, mx = -INFINITY, sum = 0;
        for (int k = 0; k < V; k++)
            if (p[k] > mx) mx = p[k];
        for (int k = 0; k < V; k++) {
            p[k] = expf(p[k] - mx);
            sum += p[k];
        }
        for (int k = 0; k < V; k++) p[k] /= sum;
        loss -= logf(p[ys[n]]);
        p[ys[n]] -= 1;
    }
    return loss;
}

/* Forward and backward: leaves the gradients, summed over the batch, in DU DW DB DV DC DH0;
 * returns the loss. */
static double forward_backward(void)
{
    for (int k = B_U; k <= B_B; k++)
        if (bound[k].reorder) exec_reorder(bound[k].reorder, bound[k].ours, bound[k].prim);
    exec(rnn_fwd, n_rnn_fwd, a_rnn_fwd);
    exec(ip_fwd, NARGS(a_ip_fwd), a_ip_fwd);
    CHECK(dnnl_stream_wait(strm));
    double loss = softmax_nll(data_of(mem[O]));
    exec(ip_bwd_data, NARGS(a_ip_data), a_ip_data);
    exec(ip_bwd_w, NARGS(a_ip_w), a_ip_w);
    for (int k = G_U; k <= G_B; k++) memset(data_of(bound[k].prim), 0, size_of(bound[k].prim));
    exec(rnn_bwd, n_rnn_bwd, a_rnn_bwd);
    for (int k = G_U; k <= G_B; k++)
        if (bound[k].reorder) exec_reorder(bound[k].reorder, bound[k].prim, bound[k].ours);
    CHECK(dnnl_stream_wait(strm));
    return loss;
}

/* hand.c's update: average over the batch, clip to [-5, 5], Adagrad (lr 0.1, eps 1e-8). */
static void adagrad(void)
{
    const int param[5] = {U, W, BH, VW, C}, grad[5] = {DU, DW, DB, DV, DC};
    const float scale = 1.0f / (float)B;
    for (int k = 0; k < 5; k++) {
        float *p = data_of(mem[param[k]]), *d = data_of(mem[grad[k]]), *m = mom[param[k]];
        for (size_t i = 0, n = size_of(mem[param[k]]) / sizeof(float); i < n; i++) {
            float g = d[i] * scale;
            if (g > 5) g = 5;
            if (g < -5) g = -5;
            m[i] += g * g;
            p[i] -= 0.1f * g / sqrtf(m[i] + 1e-8f);
        }
    }
}

/* The one-hot src_layer of the class indices xs[t*B + b], and the targets. */
static void set_problem(const int32_t *xs, const int32_t *targets)
{
    float *x = data_of(mem[X]);
    memset(x, 0, size_of(mem[X]));
    for (size_t n = 0; n < (size_t)T * B; n++) {
        if (xs[n] < 0 || xs[n] >= V || targets[n] < 0 || targets[n] >= V) die("a class index is out of range", "");
        x[n * V + (size_t)xs[n]] = 1;
        ys[n] = targets[n];
    }
}

/* dst[j*rows + i] = src[i*cols + j]: a row-major rows x cols matrix, transposed. */
static void transpose(const float *src, float *dst, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) dst[(size_t)j * rows + i] = src[(size_t)i * cols + j];
}

static void file_io(const char *dir, const char *name, void *buf, size_t bytes, int writing)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    FILE *f = fopen(path, writing ? "wb" : "rb");
    if (!f) die("cannot open ", path);
    size_t n = writing ? fwrite(buf, 1, bytes, f) : fread(buf, 1, bytes, f);
    if (n != bytes || (!writing && fgetc(f) != EOF)) die("wrong size or short read/write: ", path);
    if (fclose(f) != 0) die("cannot close ", path);
}

/* One of the RNN's parameters or gradients (m) and DIR/NAME.bin, its row-major [rows, cols]
 * form (U, W: [H, V], [H, H], ldigo transposed; b: [H], cols 1, ldgo as it is). */
static void param_io(const char *dir, const char *name, dnnl_memory_t m, int rows, int cols, int writing)
{
    const size_t n = (size_t)rows * cols;
    const dnnl_format_tag_t tag = cols > 1 ? dnnl_ldigo : dnnl_ldgo;
    float *rowmajor = malloc(n * sizeof *rowmajor), *plain = malloc(n * sizeof *plain);
    if (!rowmajor || !plain) die("out of memory", "");
    if (writing) {
        plain_copy(m, plain, tag, 0);
        transpose(plain, rowmajor, cols, rows);
        file_io(dir, name, rowmajor, n * sizeof *rowmajor, 1);
    } else {
        file_io(dir, name, rowmajor, n * sizeof *rowmajor, 0);
        transpose(rowmajor, plain, rows, cols);
        plain_copy(m, plain, tag, 1);
    }
    free(rowmajor), free(plain);
}

/* --check DIR: see the file comment. */
static int check_mode(const char *dir)
{
    const size_t n = (size_t)T * B;
    int32_t *xs = malloc(n * sizeof *xs), *targets = malloc(n * sizeof *targets);
    if (!xs || !targets) die("out of memory", "");
    file_io(dir, "x", xs, n * sizeof *xs, 0);
    file_io(dir, "y", targets, n * sizeof *targets, 0);
    set_problem(xs, targets);
    param_io(dir, "U", mem[U], H, V, 0);
    param_io(dir, "W", mem[W], H, H, 0);
    param_io(dir, "b", mem[BH], H, 1, 0);
    file_io(dir, "V", data_of(mem[VW]), size_of(mem[VW]), 0);
    file_io(dir, "c", data_of(mem[C]), size_of(mem[C]), 0);
    file_io(dir, "h0", data_of(mem[H0]), size_of(mem[H0]), 0);
    forward_backward();   /* twice: gradients leaking from one step into the next would show */
    double loss = forward_backward();
    param_io(dir, "grad_U", mem[DU], H, V, 1);
    param_io(dir, "grad_W", mem[DW], H, H, 1);
    param_io(dir, "grad_b", mem[DB], H, 1, 1);
    file_io(dir, "grad_V", data_of(mem[DV]), size_of(mem[DV]), 1);
    file_io(dir, "grad_c", data_of(mem[DC]), size_of(mem[DC]), 1);
    file_io(dir, "grad_h0", data_of(mem[DH0]), size_of(mem[DH0]), 1);
    file_io(dir, "loss", &loss, sizeof loss, 1);
    free(xs), free(targets);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* hand.c's random numbers (splitmix64, Box-Muller), so the problem is drawn the same way. */
static unsigned long long rng = 1;
static double uniform(void)
{
    unsigned long long z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) * 0x1.0p-53;
}
static float randn(void)
{
    double u1 = uniform(), u2 = uniform();
    return (float)(sqrt(-2 * log(1 - u1)) * cos(6.283185307179586 * u2));
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The benchmark: hand.c's problem (weights N(0, 0.01^2), biases and h(0) zero, random classes),
 * a warm-up of up to 3 steps within 0.2 s, then single timed steps. */
static int bench(long reps, double seconds)
{
    const size_t n = (size_t)T * B, nu = (size_t)V * gates * H, nw = (size_t)H * gates * H;
    float *plain = malloc((nu > nw ? nu : nw) * sizeof *plain), *vw = data_of(mem[VW]);
    if (!plain) die("out of memory", "");
    for (size_t i = 0; i < nu; i++) plain[i] = 0.01f * randn();
    plain_copy(mem[U], plain, dnnl_ldigo, 1);
    for (size_t i = 0; i < nw; i++) plain[i] = 0.01f * randn();
    plain_copy(mem[W], plain, dnnl_ldigo, 1);
    for (size_t i = 0; i < (size_t)V * H; i++) vw[i] = 0.01f * randn();
    free(plain);
    int32_t *xs = malloc(n * sizeof *xs), *targets = malloc(n * sizeof *targets);
    size_t cap = 1024, count = 0;
    double *times = malloc(cap * sizeof *times);
    if (!xs || !targets || !times) die("out of memory", "");
    for (size_t i = 0; i < n; i++) xs[i] = (int32_t)(uniform() * V);
    for (size_t i = 0; i < n; i++) targets[i] = (int32_t)(uniform() * V);
    set_problem(xs, targets);

    double first = 0, last = 0, w0 = now_s();
    int warm = 0;
    do {
        last = forward_backward();
        adagrad();
        if (!warm) first = last;
    } while (++warm < 3 && now_s() - w0 < 0.2);
    double t_start = now_s(), t_end = t_start;
    while ((long)count < reps || t_end - t_start < seconds) {
        if (count == cap && !(times = realloc(times, (cap *= 2) * sizeof *times))) die("out of memory", "");
        double t0 = now_s();
        last = forward_backward();
        adagrad();
        t_end = now_s();
        times[count++] = t_end - t0;
    }
    qsort(times, count, sizeof *times, cmp);
    double med = count % 2 ? times[count / 2] : 0.5 * (times[count / 2 - 1] + times[count / 2]);
    double flops = 2.0 * (3.0 * gates * H * H + 3.0 * V * H) * T * B;
    const dnnl_version_t *v = dnnl_version();
    static const char *const names[] = {"vanilla RNN", "LBR GRU", "LSTM"};
    printf("oneDNN %d.%d.%d (%s %s + inner product %s, Adagrad, %d thread): vocab %d hidden %d tau %d batch %d\n",
           v->major, v->minor, v->patch, names[cell], impl_rnn, impl_ip, omp_get_max_threads(), V, H, T, B);
    printf("flops_per_step=%.0f (rnnc's count; the one-hot input adds %.0f); %d warm-up steps, %zu timed steps in %.3f s; loss %.6g -> %.6g\n",
           flops, 6.0 * V * gates * H * T * B, warm, count, t_end - t_start, first, last);
    printf("median_us=%.3f min_us=%.3f max_us=%.3f gflops=%.4f\n", med * 1e6, times[0] * 1e6,
           times[count - 1] * 1e6, flops / med * 1e-9);
    free(xs), free(targets), free(times);
    return 0;
}

int main(int argc, char **argv)
{
    const int checking = argc > 1 && strcmp(argv[1], "--check") == 0, a = checking ? 3 : 1;
    if (argc < a + 4 || (checking && argc != a + 4) || argc > a + 7) {
        fprintf(stderr, "usage: onednn VOCAB HIDDEN TAU BATCH [REPS [SECONDS [rnn|gru|lstm]]]\n"
                        "       onednn --check DIR VOCAB HIDDEN TAU BATCH\n");
        return 2;
    }
    if (argc > a + 6) {
        const char *c = argv[a + 6];
        cell = strcmp(c, "lstm") == 0 ? CELL_LSTM : strcmp(c, "gru") == 0 ? CELL_GRU : strcmp(c, "rnn") == 0 ? CELL_RNN : -1;
        if (cell < 0) {
            fprintf(stderr, "onednn: CELL must be rnn, gru or lstm\n");
            return 2;
        }
        gates = cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1;
        bias_gates = cell == CELL_GRU ? 4 : gates;
    }
    V = atoi(argv[a]), H = atoi(argv[a + 1]), T = atoi(argv[a + 2]), B = atoi(argv[a + 3]);
    long reps = argc > a + 4 ? atol(argv[a + 4]) : 20;
    double seconds = argc > a + 5 ? atof(argv[a + 5]) : 1.0;
    if (V < 2 || H < 1 || T < 1 || B < 1 || reps < 1 || !(seconds >= 0)) {
        fprintf(stderr, "onednn: bad dimensions, reps or seconds\n");
        return 2;
    }
    omp_set_num_threads(1);
    ys = malloc((size_t)T * B * sizeof *ys);
    if (!ys) die("out of memory", "");
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));
    make_memories();
    make_rnn();
    make_ip();
    make_moments();
    return checking ? check_mode(argv[2]) : bench(reps, seconds);
}
