/* diff.c: a hand-written BPTT against the generated one, and the problem's dump (see diff.h).
 *
 * The hand code gets the problem in its own convention (templates/rnnc_hand.h: row-major
 * doubles) and writes into a MAP_SHARED anonymous mapping from a child process, so whatever
 * it does to its own memory, rnnc only sees the numbers or how the child ended. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#define _POSIX_C_SOURCE 200809L
#include "diff.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../gen/plan.h"
#include "../../gen/templates.h"
#include "../base/util.h"
#include "../../templates/rnnc_hand.h"
#include "check.h"
#include "../model/model.h"
#include "../formats/safetensors.h"

#define HAND_MAX_BYTES ((size_t)16 << 20)

int rnnc_diff_spec_defaults(rnnc_spec_builder *b, char *err, size_t errlen)
{
    static const char *const defaults[][2] = {{"hidden", "4"}, {"tau", "4"}, {"dtype", "double"}};
    const char *where = "rnnc diff (default spec)";
    if (!rnnc_spec_has(b, "vocab") && !rnnc_spec_has(b, "in") && !rnnc_spec_has(b, "out") &&
        rnnc_spec_set(b, "vocab", "5", where, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        if (!rnnc_spec_has(b, defaults[i][0]) &&
            rnnc_spec_set(b, defaults[i][0], defaults[i][1], where, err, errlen) != 0)
            return -1;
    return 0;
}

/* ---- HAND.c as a translation unit ---- */

/* Read path whole into *text (malloc'd, NUL-terminated).  Refuses a file over
 * HAND_MAX_BYTES or holding a NUL byte (the compilers take NUL-terminated text). */
static int read_text(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return rnnc_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    char *buf = malloc(HAND_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return rnnc_fail(err, errlen, "%s: out of memory reading it", path);
    }
    size_t n = fread(buf, 1, HAND_MAX_BYTES + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return rnnc_fail(err, errlen, "%s: cannot read", path);
    }
    if (n > HAND_MAX_BYTES) {
        free(buf);
        return rnnc_fail(err, errlen, "%s: larger than %zu MB", path, HAND_MAX_BYTES >> 20);
    }
    if (memchr(buf, '\0', n)) {
        free(buf);
        return rnnc_fail(err, errlen, "%s: contains a NUL byte (not C source text)", path);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}

/* Is the line [p, end) an #include of rnnc_hand.h ("..." or <...>, in any directory)? */
static int includes_hand_header(const char *p, const char *end)
{
    static const char hdr[] = "rnnc_hand.h";
    const size_t hn = sizeof hdr - 1;
    p = skip_blanks(p, end);
    if (p == end || *p != '#') return 0;
    p = skip_blanks(p + 1, end);
    if ((size_t)(end - p) < 7 || strncmp(p, "include", 7) != 0) return 0;
    p = skip_blanks(p + 7, end);
    if (p == end || (*p != '"' && *p != '<')) return 0;
    char close = *p == '"' ? '"' : '>';
    const char *name = ++p;
    while (p < end && *p != close) p++;
    if (p == end) return 0;
    size_t n = (size_t)(p - name);
    if (n < hn || memcmp(p - hn, hdr, hn) != 0 || (n > hn && p[-(long)hn - 1] != '/')) return 0;
    p = skip_blanks(p + 1, end);
    return p == end || *p == '\r' || (end - p >= 2 && p[0] == '/' && (p[1] == '/' || p[1] == '*'));
}

/* "#line LINE "FILE"" with FILE escaped as a C string. */
static void put_line_directive(FILE *f, long line, const char *file)
{
    fprintf(f, "#line %ld \"", line);
    for (const char *c = file; *c; c++) {
        if (*c == '"' || *c == '\\') fputc('\\', f);
        fputc(*c == '\n' ? '?' : *c, f);
    }
    fputs("\"\n", f);
}

/* The header's text under its own name, then back to HAND.c at line next. */
static void put_header(FILE *f, const char *hand, long next)
{
    size_t n = strlen(rnnc_template_rnnc_hand_h);
    put_line_directive(f, 1, "rnnc_hand.h");
    fputs(rnnc_template_rnnc_hand_h, f);
    if (n && rnnc_template_rnnc_hand_h[n - 1] != '\n') fputc('\n', f);
    put_line_directive(f, next, hand);
}

/* HAND.c's text with each line that includes rnnc_hand.h replaced by the header (or the
 * header first, if no line does), with #line directives so compiler messages name HAND.c
 * and its own line numbers.  Returns the malloc'd unit, or NULL (out of memory). */
static char *hand_unit(const char *text, size_t len, const char *hand)
{
    const char *end = text + len;
    int found = 0;
    for (const char *p = text; p < end && !found;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
        found = includes_hand_header(p, e);
        p = nl ? nl + 1 : end;
    }
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    if (!f) return NULL;
    if (found) put_line_directive(f, 1, hand);
    else put_header(f, hand, 1);
    long line = 1;
    for (const char *p = text; p < end; line++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
        if (found && includes_hand_header(p, e)) put_header(f, hand, line + 1);
        else {
            fwrite(p, 1, (size_t)(e - p), f);
            fputc('\n', f);
        }
        p = nl ? nl + 1 : end;
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *rnnc_diff_hand_unit(const char *text, size_t len, const char *hand)
{
    return hand_unit(text, len, hand);
}

/* ---- the generated side ---- */

typedef struct gen_run {
    rnnc_model m;
    rnnc_buffers buf;
    double loss;
    int loaded;
} gen_run;

/* Build s with backend b, draw the random problem of seed (rnnc check's), run forward and
 * backward.  Returns 0, or -1 with a message; free with gen_run_free either way. */
static int gen_run_start(gen_run *g, const rnnc_spec *s, rnnc_backend b, uint64_t seed,
                         char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    if (rnnc_model_load(&g->m, s, b, err, errlen) != 0) return -1;
    g->loaded = 1;
    if (rnnc_buffers_alloc(&g->buf, &g->m.layout) != 0)
        return rnnc_fail(err, errlen, "out of memory for the model's buffers");
    rnnc_check_random_problem(s, &g->m.layout, &g->buf, NULL, NULL, seed);
    g->loss = rnnc_model_forward(&g->m, g->buf.params, g->buf.x, g->buf.y, g->buf.h0, g->buf.ws);
    rnnc_model_backward(&g->m, g->buf.params, g->buf.x, g->buf.y, g->buf.ws, g->buf.grads);
    return 0;
}

static void gen_run_free(gen_run *g)
{
    rnnc_buffers_free(&g->buf);
    if (g->loaded) rnnc_model_unload(&g->m);
    g->loaded = 0;
}

/* Tensor t of buf (column-major, type dt) as row-major doubles. */
static void row_major_double(const void *buf, rnnc_dtype dt, const rnnc_tensor *t, double *out)
{
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++)
            out[i * t->cols + j] = rnnc_get(buf, dt, t->offset + j * t->rows + i);
}

/* n values of buf (type dt) from element off, as doubles. */
static void copy_double(const void *buf, rnnc_dtype dt, size_t off, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) out[i] = rnnc_get(buf, dt, off + i);
}

/* ---- the hand side's buffers ---- */

/* Element counts of the outputs of rnnc_hand_bptt, in rnnc_hand_grads order. */
typedef struct grad_sizes {
    size_t go, gh, U, W, V, b, c, h0, total;
} grad_sizes;

static grad_sizes sizes_of(const rnnc_spec *s)
{
    size_t H = s->hidden, N = s->n_in, K = s->n_out, T = s->tau, B = s->batch;
    grad_sizes z = {T * B * K, T * B * H, H * N, H * H, K * H, H, K, B * H, 0};
    z.total = z.go + z.gh + z.U + z.W + z.V + z.b + z.c + z.h0;
    return z;
}

/* Point g's buffers at consecutive pieces of base (z.total doubles). */
static void carve_grads(double *base, const grad_sizes *z, rnnc_hand_grads *g)
{
    g->g_o = base;
    g->grad_h = g->g_o + z->go;
    g->grad_U = g->grad_h + z->gh;
    g->grad_W = g->grad_U + z->U;
    g->grad_V = g->grad_W + z->W;
    g->grad_b = g->grad_V + z->V;
    g->grad_c = g->grad_b + z->b;
    g->grad_h0 = g->grad_c + z->c;
}

/* The generated run's gradients and nodes in rnnc_hand_grads's layout. */
static void gen_grads(const rnnc_spec *s, const gen_run *r, const grad_sizes *z,
                      rnnc_hand_grads *g)
{
    const rnnc_layout *l = &r->m.layout;
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, t);
    copy_double(r->buf.ws, s->dtype, l->ws_go, z->go, g->g_o);
    copy_double(r->buf.ws, s->dtype, l->ws_gh, z->gh, g->grad_h);
    copy_double(r->buf.ws, s->dtype, l->ws_gh0, z->h0, g->grad_h0);
    double *dst[RNNC_NTENSORS] = {g->grad_U, g->grad_W, g->grad_V, g->grad_b, g->grad_c};
    for (int k = 0; k < RNNC_NTENSORS; k++) row_major_double(r->buf.grads, s->dtype, &t[k], dst[k]);
}

/* The problem in rnnc_hand.h's convention: row-major doubles, int class indices. */
typedef struct hand_inputs {
    double *block;
    int *idx;
    rnnc_hand_problem p;
} hand_inputs;

static void hand_inputs_free(hand_inputs *hi)
{
    free(hi->block);
    free(hi->idx);
    memset(hi, 0, sizeof *hi);
}

/* Fill hi from the generated run r (its problem and its forward pass).  Returns 0, or -1
 * (out of memory). */
static int hand_inputs_build(const rnnc_spec *s, const gen_run *r, hand_inputs *hi)
{
    const rnnc_layout *l = &r->m.layout;
    size_t H = s->hidden, N = s->n_in, K = s->n_out, T = s->tau, B = s->batch;
    size_t nx = s->onehot ? 0 : l->x_count, ny = s->loss == RNNC_LOSS_NLL ? 0 : l->y_count;
    size_t nh = (T + 1) * B * H, np = T * B * K;
    size_t total = H * N + H * H + K * H + H + K + nx + ny + B * H + nh + np;
    memset(hi, 0, sizeof *hi);
    hi->block = malloc(total * sizeof *hi->block);
    hi->idx = malloc((2 * T * B) * sizeof *hi->idx);
    if (!hi->block || !hi->idx) {
        hand_inputs_free(hi);
        return -1;
    }
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, t);
    double *q = hi->block, *par[RNNC_NTENSORS];
    for (int k = 0; k < RNNC_NTENSORS; k++) {
        par[k] = q;
        row_major_double(r->buf.params, s->dtype, &t[k], q);
        q += t[k].rows * t[k].cols;
    }
    rnnc_hand_problem *p = &hi->p;
    *p = (rnnc_hand_problem){(int)N, (int)H, (int)K, (int)T, (int)B, s->onehot,
                             s->act == RNNC_ACT_TANH ? RNNC_HAND_TANH
                             : s->act == RNNC_ACT_RELU ? RNNC_HAND_RELU : RNNC_HAND_SIGMOID,
                             s->loss == RNNC_LOSS_NLL ? RNNC_HAND_NLL : RNNC_HAND_MSE,
                             par[0], par[1], par[2], par[3], par[4],
                             NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    if (s->onehot) {
        for (size_t i = 0; i < T * B; i++) hi->idx[i] = ((const int32_t *)r->buf.x)[i];
        p->x_index = hi->idx;
    } else {
        copy_double(r->buf.x, s->dtype, 0, nx, q);
        p->x = q;
        q += nx;
    }
    if (s->loss == RNNC_LOSS_NLL) {
        for (size_t i = 0; i < T * B; i++) hi->idx[T * B + i] = ((const int32_t *)r->buf.y)[i];
        p->y_index = hi->idx + T * B;
    } else {
        copy_double(r->buf.y, s->dtype, 0, ny, q);
        p->y = q;
        q += ny;
    }
    copy_double(r->buf.h0, s->dtype, 0, B * H, q);
    p->h0 = q;
    q += B * H;
    copy_double(r->buf.ws, s->dtype, l->ws_h, nh, q);
    p->h = q;
    q += nh;
    copy_double(r->buf.ws, s->dtype, l->ws_p, np, q);
    p->p = q;
    return 0;
}

/* ---- running HAND.c in a child process ---- */

typedef void (*hand_fn)(const rnnc_hand_problem *, rnnc_hand_grads *);

static const char *signal_name(int sig)
{
    static const struct { int sig; const char *name; } names[] = {
        {SIGSEGV, "SIGSEGV"}, {SIGBUS, "SIGBUS"}, {SIGFPE, "SIGFPE"}, {SIGILL, "SIGILL"},
        {SIGABRT, "SIGABRT"}, {SIGTRAP, "SIGTRAP"}, {SIGSYS, "SIGSYS"}, {SIGKILL, "SIGKILL"},
        {SIGTERM, "SIGTERM"}, {SIGINT, "SIGINT"}, {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig) return names[i].name;
    return "a signal";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The child: default actions for the crash signals (so a crash ends it by that signal, even
 * in a sanitizer build), no core file, a time limit; then the hand code.  *done = 1 tells
 * the parent that fn returned.  Never returns. */
static void child_main(hand_fn fn, const rnnc_hand_problem *p, rnnc_hand_grads *g,
                       volatile double *done, unsigned limit)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS, SIGALRM};
    struct sigaction sa;
    sigset_t set;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        sigaction(sigs[i], &sa, NULL);
        sigaddset(&set, sigs[i]);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    struct rlimit nocore = {0, 0};
    setrlimit(RLIMIT_CORE, &nocore);
    alarm(limit);
    fn(p, g);
    *done = 1;
    fflush(NULL); /* anything HAND.c printed */
    _exit(0);
}

/* Run fn(p, g) in a child process and wait for it, at most limit seconds (plus a grace
 * period, after which it is killed).  g and done point into a MAP_SHARED mapping.  Returns
 * 0 if fn returned, or -1 with a message naming hand. */
static int run_child(hand_fn fn, const rnnc_hand_problem *p, rnnc_hand_grads *g,
                     volatile double *done, const char *hand, unsigned limit, char *err,
                     size_t errlen)
{
    fflush(NULL); /* the child must not print the parent's buffered output again */
    pid_t pid = fork();
    if (pid < 0)
        return rnnc_fail(err, errlen, "%s: cannot start a process to run it: %s", hand, strerror(errno));
    if (pid == 0) child_main(fn, p, g, done, limit);
    int status = 0, killed = 0;
    double deadline = now_s() + limit + 2;
    long nap_ns = 100000;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) {
            int e = errno;
            kill(pid, SIGKILL);
            return rnnc_fail(err, errlen,
                             "%s: cannot wait for the process running it: %s", hand, strerror(e));
        }
        if (now_s() > deadline) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            killed = 1;
            break;
        }
        struct timespec ts = {0, nap_ns};
        nanosleep(&ts, NULL);
        if (nap_ns < 20000000) nap_ns *= 2;
    }
    if (killed || (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM))
        return rnnc_fail(err, errlen,
                         "%s: rnnc_hand_bptt did not return within %u s (an endless loop?)",
                         hand, limit);
    if (WIFSIGNALED(status))
        return rnnc_fail(err, errlen,
                         "%s: rnnc_hand_bptt crashed with %s "
                         "(run it under gdb or -fsanitize=address to find where)",
                         hand, signal_name(WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return rnnc_fail(err, errlen,
                         "%s: rnnc_hand_bptt exited with status %d instead of returning "
                         "(exit(), or a sanitizer report above?)",
                         hand, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    if (*done != 1)
        return rnnc_fail(err, errlen,
                         "%s: rnnc_hand_bptt called exit(0) instead of returning", hand);
    return 0;
}

/* ---- comparison ---- */

/* Compare rows x cols values; fill the statistics of nd (worst: the bad entries with the
 * largest |hand - gen|, non-finite ones first, earlier entries first among equals). */
static void compare_node(rnnc_diff_node *nd, const double *hand, const double *gen, double rtol,
                         double atol)
{
    double score[RNNC_DIFF_MAX_WORST];
    for (size_t r = 0; r < nd->rows; r++)
        for (size_t c = 0; c < nd->cols; c++) {
            double h = hand[r * nd->cols + c], g = gen[r * nd->cols + c];
            int finite = isfinite(h) && isfinite(g);
            double diff = finite ? fabs(h - g) : INFINITY, mag = fmax(fabs(h), fabs(g));
            double tol = rtol * mag + atol;
            if (diff > nd->max_abs) nd->max_abs = diff;
            if (!finite) nd->max_rel = INFINITY;
            else if (mag > atol && diff / mag > nd->max_rel) nd->max_rel = diff / mag;
            if (finite && diff <= tol) continue; /* an infinity is never within tolerance */
            nd->bad++;
            double sc = diff; /* rank by absolute error; non-finite first */
            size_t k = nd->nworst < RNNC_DIFF_MAX_WORST ? nd->nworst++ : RNNC_DIFF_MAX_WORST;
            while (k > 0 && sc > score[k - 1]) {
                if (k < RNNC_DIFF_MAX_WORST) {
                    score[k] = score[k - 1];
                    nd->worst[k] = nd->worst[k - 1];
                }
                k--;
            }
            if (k < RNNC_DIFF_MAX_WORST) {
                score[k] = sc;
                nd->worst[k] = (rnnc_diff_entry){r, c, h, g};
            }
        }
}

/* Describe node i (backward order) of s: name, equation, shape, and where the hand and
 * generated values start. */
static void describe_node(const rnnc_spec *s, size_t i, const rnnc_hand_grads *hg,
                          const rnnc_hand_grads *gg, rnnc_diff_node *nd, const double **hv,
                          const double **gv)
{
    size_t H = s->hidden, N = s->n_in, K = s->n_out, B = s->batch;
    memset(nd, 0, sizeof *nd);
    rnnc_op op = {RNNC_OP_OUTPUT_GRAD, 1};
    int k = 0;
    if (i < 2 * s->tau) {
        size_t t = s->tau - i / 2;
        op.t = t;
        nd->index = RNNC_DIFF_IDX_BATCH;
        nd->rows = B;
        if (i % 2 == 0) {
            snprintf(nd->name, sizeof nd->name, "g_o(%zu)", t);
            nd->cols = K;
            *hv = hg->g_o + (t - 1) * B * K;
            *gv = gg->g_o + (t - 1) * B * K;
        } else {
            snprintf(nd->name, sizeof nd->name, "grad_h(%zu)", t);
            op.kind = RNNC_OP_HIDDEN_GRAD;
            nd->cols = H;
            *hv = hg->grad_h + (t - 1) * B * H;
            *gv = gg->grad_h + (t - 1) * B * H;
        }
    } else {
        /* The parameter sums, in the order of (10.22)-(10.28), then grad_h(0). */
        static const char *const names[6] = {"grad_c", "grad_b", "grad_V", "grad_W", "grad_U", "grad_h0"};
        size_t j = i - 2 * s->tau;
        const size_t rows[6] = {K, H, K, H, H, B}, cols[6] = {1, 1, H, H, N, H};
        double *const hp[6] = {hg->grad_c, hg->grad_b, hg->grad_V, hg->grad_W, hg->grad_U, hg->grad_h0};
        double *const gp[6] = {gg->grad_c, gg->grad_b, gg->grad_V, gg->grad_W, gg->grad_U, gg->grad_h0};
        snprintf(nd->name, sizeof nd->name, "%s", names[j]);
        nd->rows = rows[j];
        nd->cols = cols[j];
        nd->index = j < 2 ? RNNC_DIFF_IDX_VECTOR : j < 5 ? RNNC_DIFF_IDX_MATRIX : RNNC_DIFF_IDX_BATCH;
        *hv = hp[j];
        *gv = gp[j];
        /* RNNC_OP_PARAM_GRADS lines 0..4 are the sums (10.22)-(10.28). */
        op.kind = j < 5 ? RNNC_OP_PARAM_GRADS : RNNC_OP_H0_GRAD;
        k = j < 5 ? (int)j : 0;
    }
    if (!rnnc_plan_equation(s, op, k, nd->equation, sizeof nd->equation))
        snprintf(nd->equation, sizeof nd->equation, "%s (see bptt.md)", nd->name);
}

static void compare_all(const rnnc_spec *s, const rnnc_hand_grads *hg, const rnnc_hand_grads *gg,
                        rnnc_diff_result *r)
{
    r->first = r->nnodes;
    for (size_t i = 0; i < r->nnodes; i++) {
        const double *hv, *gv;
        describe_node(s, i, hg, gg, &r->nodes[i], &hv, &gv);
        compare_node(&r->nodes[i], hv, gv, r->rtol, r->atol);
        if (r->nodes[i].bad && r->first == r->nnodes) r->first = i;
    }
    r->agree = r->first == r->nnodes;
}

/* ---- the whole diff ---- */

/* Read and compile HAND.c and find rnnc_hand_bptt.  Returns RNNC_DIFF_RAN with *jit and *fn
 * set, or another status with a message. */
static rnnc_diff_status compile_hand(const rnnc_diff_opts *o, rnnc_jit **jit, hand_fn *fn,
                                     char *err, size_t errlen)
{
    char *text = NULL, *unit = NULL;
    size_t len = 0;
    *jit = NULL;
    if (read_text(o->hand, &text, &len, err, errlen) != 0) return RNNC_DIFF_BAD_INPUT;
    unit = hand_unit(text, len, o->hand);
    free(text);
    if (!unit) {
        rnnc_fail(err, errlen, "%s: out of memory preparing it for the compiler", o->hand);
        return RNNC_DIFF_FAILED;
    }
    /* The compiler's messages go after a first line naming HAND.c. */
    int head = snprintf(err, errlen, "%s: failed to compile with %s:\n", o->hand,
                        rnnc_backend_name(o->backend));
    size_t off = head > 0 && (size_t)head < errlen ? (size_t)head : 0;
    *jit = rnnc_jit_compile(o->backend, unit, "rnnc_hand", 0, err + off, errlen - off);
    free(unit);
    if (!*jit) return RNNC_DIFF_NO_COMPILE;
    void *sym = rnnc_jit_symbol(*jit, "rnnc_hand_bptt");
    if (!sym) {
        rnnc_jit_free(*jit);
        *jit = NULL;
        rnnc_fail(err, errlen,
                  "%s: defines no function rnnc_hand_bptt (void rnnc_hand_bptt(const "
                  "rnnc_hand_problem *p, rnnc_hand_grads *g), not static)",
                  o->hand);
        return RNNC_DIFF_HAND_FAILED;
    }
    /* Object pointer to function pointer: POSIX guarantees this conversion for dlsym. */
    memcpy(fn, &sym, sizeof sym);
    return RNNC_DIFF_RAN;
}

rnnc_diff_status rnnc_diff_run(const rnnc_spec *s, const rnnc_diff_opts *o, rnnc_diff_result *r,
                               char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    unsigned limit = o->time_limit ? o->time_limit : RNNC_DIFF_TIME_LIMIT;
    rnnc_jit *jit = NULL;
    hand_fn fn = NULL;
    gen_run gr;
    hand_inputs hi;
    memset(&gr, 0, sizeof gr);
    memset(&hi, 0, sizeof hi);
    double *gen = NULL, *shared = MAP_FAILED;
    grad_sizes z = sizes_of(s);
    size_t map_bytes = (z.total + 1) * sizeof(double);
    rnnc_diff_status st = compile_hand(o, &jit, &fn, err, errlen);
    if (st != RNNC_DIFF_RAN) return st;
    st = RNNC_DIFF_FAILED;
    if (gen_run_start(&gr, s, o->backend, o->seed, err, errlen) != 0) goto out;
    if (hand_inputs_build(s, &gr, &hi) != 0 || !(gen = malloc(z.total * sizeof *gen))) {
        rnnc_fail(err, errlen, "out of memory for the problem's buffers");
        goto out;
    }
    shared = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        rnnc_fail(err, errlen,
                  "cannot map memory for the results of %s: %s", o->hand, strerror(errno));
        goto out;
    }
    rnnc_hand_grads hg, gg;
    carve_grads(shared, &z, &hg);
    carve_grads(gen, &z, &gg);
    gen_grads(s, &gr, &z, &gg);
    if (run_child(fn, &hi.p, &hg, shared + z.total, o->hand, limit, err, errlen) != 0) {
        st = RNNC_DIFF_HAND_FAILED;
        goto out;
    }
    int dbl = s->dtype == RNNC_DOUBLE && !s->fast;
    r->rtol = dbl ? 1e-9 : 1e-4;
    r->atol = dbl ? 1e-12 : 1e-6;
    r->loss = gr.loss;
    r->nnodes = 2 * s->tau + 6;
    r->nodes = calloc(r->nnodes, sizeof *r->nodes);
    if (!r->nodes) {
        rnnc_fail(err, errlen, "out of memory for the comparison");
        r->nnodes = 0;
        goto out;
    }
    compare_all(s, &hg, &gg, r);
    st = RNNC_DIFF_RAN;
out:
    if (shared != MAP_FAILED) munmap(shared, map_bytes);
    free(gen);
    hand_inputs_free(&hi);
    gen_run_free(&gr);
    rnnc_jit_free(jit);
    return st;
}

void rnnc_diff_free(rnnc_diff_result *r)
{
    free(r->nodes);
    memset(r, 0, sizeof *r);
}

/* ---- the report ---- */

static void put_index(FILE *f, const rnnc_diff_node *nd, const rnnc_diff_entry *e)
{
    char buf[64];
    if (nd->index == RNNC_DIFF_IDX_VECTOR) snprintf(buf, sizeof buf, "(%zu)", e->row);
    else snprintf(buf, sizeof buf, "(%zu, %zu)", e->row, e->col);
    fprintf(f, "    %-12s", buf);
}

static const char *index_names(rnnc_diff_index ix)
{
    return ix == RNNC_DIFF_IDX_BATCH ? "(b, i)" : ix == RNNC_DIFF_IDX_MATRIX ? "(i, j)" : "(i)";
}

static void put_first(FILE *f, const rnnc_diff_result *r)
{
    const rnnc_diff_node *nd = &r->nodes[r->first];
    size_t later = 0;
    for (size_t i = r->first + 1; i < r->nnodes; i++) later += r->nodes[i].bad != 0;
    fprintf(f, "\nfirst difference: %s, governed by\n    %s\n", nd->name, nd->equation);
    fprintf(f, "%zu of %zu entries differ; max_abs %.3e, max_rel %.3e\n", nd->bad,
            nd->rows * nd->cols, nd->max_abs, nd->max_rel);
    fprintf(f, "worst entries:\n    %-12s %24s %24s %14s\n", index_names(nd->index), "hand",
            "generated", "|hand - gen|");
    for (size_t k = 0; k < nd->nworst; k++) {
        const rnnc_diff_entry *e = &nd->worst[k];
        put_index(f, nd, e);
        fprintf(f, " %24.16e %24.16e %14.3e\n", e->hand, e->gen, fabs(e->hand - e->gen));
    }
    fprintf(f, "%s, so look for the mistake in this equation",
            r->first ? "every node before it in backward order agrees"
                     : "it is the first node of the backward pass");
    if (later) fprintf(f, "; %zu later node%s differ%s too (perhaps only through it)", later,
                       later == 1 ? "" : "s", later == 1 ? "s" : "");
    fputc('\n', f);
}

int rnnc_diff_report(const rnnc_spec *s, const rnnc_diff_opts *o, const rnnc_diff_result *r,
                     char **text)
{
    char canon[512];
    size_t len = 0;
    *text = NULL;
    FILE *f = open_memstream(text, &len);
    if (!f) return -1;
    rnnc_spec_format(s, canon, sizeof canon);
    fprintf(f, "rnnc diff %s: the hand-written BPTT against the generated one\n", o->hand);
    fprintf(f, "spec: %s\n", canon);
    fprintf(f, "backend %s, seed %llu; loss %.17g\n", rnnc_backend_name(o->backend),
            (unsigned long long)o->seed, r->loss);
    fprintf(f, "tolerance: |hand - gen| <= %g * max(|hand|, |gen|) + %g (%s)\n", r->rtol, r->atol,
            s->dtype == RNNC_DOUBLE && !s->fast ? "double" : s->fast ? "fast" : "float");
    fprintf(f, "nodes in backward order: g_o(t), grad_h(t) for t = %zu..1, then grad_c, grad_b, "
               "grad_V, grad_W, grad_U, grad_h0\n",
            s->tau);
    if (r->first < r->nnodes) put_first(f, r);
    fprintf(f, "\n%-12s %8s %12s %12s  %s\n", "node", "entries", "max_abs", "max_rel", "result");
    for (size_t i = 0; i < r->nnodes; i++) {
        const rnnc_diff_node *nd = &r->nodes[i];
        fprintf(f, "%-12s %8zu %12.3e %12.3e  %s\n", nd->name, nd->rows * nd->cols, nd->max_abs,
                nd->max_rel, nd->bad ? "DIFFERS" : "ok");
    }
    if (r->agree)
        fprintf(f, "\n%s agrees with the generated BPTT on all %zu nodes\n", o->hand, r->nnodes);
    else
        fprintf(f, "\n%s DIFFERS from the generated BPTT, first at %s: %s\n", o->hand,
                r->nodes[r->first].name, r->nodes[r->first].equation);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        free(*text);
        *text = NULL;
        return -1;
    }
    return 0;
}

/* ---- rnnc gen --hand-header ---- */

int rnnc_diff_write_header(const char *dir, char *err, size_t errlen)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/rnnc_hand.h", dir) >= (int)sizeof path)
        return rnnc_fail(err, errlen, "-o: directory path too long");
    return rnnc_write_atomic(path, rnnc_template_rnnc_hand_h, strlen(rnnc_template_rnnc_hand_h),
                             err, errlen);
}

/* ---- rnnc check --dump ---- */

/* Add n elements of es bytes from src as tensor name; with t, src is the column-major
 * matrix t (offset included) and is written row-major.  Returns 0 or -1 (out of memory). */
static int add_tensor(rnnc_st_writer *w, const char *name, rnnc_st_dtype dt, size_t es,
                      size_t ndim, const uint64_t *shape, const void *src, const rnnc_tensor *t)
{
    if (!t) return rnnc_st_add(w, name, dt, ndim, shape, src);
    unsigned char *buf = malloc(t->rows * t->cols * es + 1);
    if (!buf) return -1;
    const unsigned char *from = (const unsigned char *)src + t->offset * es;
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++)
            memcpy(buf + (i * t->cols + j) * es, from + (j * t->rows + i) * es, es);
    int rc = rnnc_st_add(w, name, dt, ndim, shape, buf);
    free(buf);
    return rc;
}

/* Every tensor of the dump with its description (its metadata entry). */
static int add_dump_tensors(rnnc_st_writer *w, const rnnc_spec *s, const gen_run *g)
{
    const rnnc_layout *l = &g->m.layout;
    uint64_t H = s->hidden, N = s->n_in, K = s->n_out, T = s->tau, B = s->batch;
    size_t es = l->real_size;
    rnnc_st_dtype real = s->dtype == RNNC_DOUBLE ? RNNC_ST_F64 : RNNC_ST_F32;
    int nll = s->loss == RNNC_LOSS_NLL;
    const unsigned char *ws = g->buf.ws;
    rnnc_tensor pt[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, pt);
    const struct {
        const char *name, *desc;
        rnnc_st_dtype dt;
        size_t ndim;
        uint64_t shape[3];
        const void *src;
        const rnnc_tensor *t;
    } list[] = {
        {"x", s->onehot ? "inputs x(t), t = 1..tau, as class indices: [tau, B], x(t) of column b at [t-1, b]"
                        : "inputs x(t), t = 1..tau: [tau, B, N], x(t) of column b at [t-1, b, :]",
         s->onehot ? RNNC_ST_I32 : real, s->onehot ? 2u : 3u, {T, B, N}, g->buf.x, NULL},
        {"y", nll ? "targets y(t), t = 1..tau, as class indices: [tau, B]"
                  : "targets y(t), t = 1..tau: [tau, B, K]",
         nll ? RNNC_ST_I32 : real, nll ? 2u : 3u, {T, B, K}, g->buf.y, NULL},
        {"h0", "initial state h(0): [B, H]", real, 2, {B, H}, g->buf.h0, NULL},
        {"U", "input-to-hidden weights U: [H, N]", real, 2, {H, N}, g->buf.params, &pt[0]},
        {"W", "hidden-to-hidden weights W: [H, H]", real, 2, {H, H}, g->buf.params, &pt[1]},
        {"V", "hidden-to-output weights V: [K, H]", real, 2, {K, H}, g->buf.params, &pt[2]},
        {"b", "hidden bias b: [H]", real, 1, {H}, g->buf.params, &pt[3]},
        {"c", "output bias c: [K]", real, 1, {K}, g->buf.params, &pt[4]},
        {"h", "hidden states h(t) = f(a(t)) (10.9), t = 0..tau (h(0) = h0): [tau+1, B, H], h(t) at [t]",
         real, 3, {T + 1, B, H}, ws + l->ws_h * es, NULL},
        {"p", nll ? "p(t) = softmax(o(t)) (10.11), t = 1..tau: [tau, B, K], p(t) at [t-1]"
                  : "o(t) = c + V h(t) (10.10), t = 1..tau: [tau, B, K], o(t) at [t-1]",
         real, 3, {T, B, K}, ws + l->ws_p * es, NULL},
        {"g_o", "g_o(t) = grad_o(t) L (10.18), t = 1..tau: [tau, B, K], at [t-1]", real, 3,
         {T, B, K}, ws + l->ws_go * es, NULL},
        {"grad_h", "grad_h(t) L (10.19, 10.21), t = 1..tau: [tau, B, H], at [t-1]", real, 3,
         {T, B, H}, ws + l->ws_gh * es, NULL},
        {"d", "d(t) = f'(a(t)) (.) grad_h(t) L (10.21), t = 1..tau: [tau, B, H], at [t-1]", real,
         3, {T, B, H}, ws + l->ws_d * es, NULL},
        {"grad_h0", "grad_h(0) L = W^T d(1): [B, H]", real, 2, {B, H}, ws + l->ws_gh0 * es, NULL},
        {"grad_U", "grad_U L = sum_t d(t) x(t)^T (10.28), summed over the batch: [H, N]", real, 2,
         {H, N}, g->buf.grads, &pt[0]},
        {"grad_W", "grad_W L = sum_t d(t) h(t-1)^T (10.26), summed over the batch: [H, H]", real,
         2, {H, H}, g->buf.grads, &pt[1]},
        {"grad_V", "grad_V L = sum_t g_o(t) h(t)^T (10.24), summed over the batch: [K, H]", real,
         2, {K, H}, g->buf.grads, &pt[2]},
        {"grad_b", "grad_b L = sum_t d(t) (10.23), summed over the batch: [H]", real, 1, {H},
         g->buf.grads, &pt[3]},
        {"grad_c", "grad_c L = sum_t g_o(t) (10.22), summed over the batch: [K]", real, 1, {K},
         g->buf.grads, &pt[4]},
    };
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++) {
        size_t esz = list[i].dt == RNNC_ST_I32 ? 4 : es;
        if (add_tensor(w, list[i].name, list[i].dt, esz, list[i].ndim, list[i].shape, list[i].src,
                       list[i].t) != 0 ||
            rnnc_st_set_meta(w, list[i].name, list[i].desc) != 0)
            return -1;
    }
    return 0;
}

int rnnc_diff_dump(const rnnc_spec *s, rnnc_backend b, uint64_t seed, const char *path,
                   char *err, size_t errlen)
{
    gen_run g;
    char canon[512], num[64];
    int rc = -1;
    rnnc_st_writer *w = NULL;
    if (gen_run_start(&g, s, b, seed, err, errlen) != 0) goto out;
    w = rnnc_st_writer_new();
    if (!w) {
        rnnc_fail(err, errlen, "%s: out of memory", path);
        goto out;
    }
    rnnc_spec_format(s, canon, sizeof canon);
    snprintf(num, sizeof num, "%llu", (unsigned long long)seed);
    if (add_dump_tensors(w, s, &g) != 0 ||
        rnnc_st_add(w, "loss", RNNC_ST_F64, 0, NULL, &g.loss) != 0 ||
        rnnc_st_set_meta(w, "loss", "L = sum over t and the batch of L(t) (10.13), as F64") != 0 ||
        rnnc_st_set_meta(w, "spec", canon) != 0 || rnnc_st_set_meta(w, "layout", "row-major") != 0 ||
        rnnc_st_set_meta(w, "seed", num) != 0 ||
        rnnc_st_set_meta(w, "backend", rnnc_backend_name(b)) != 0 ||
        rnnc_st_set_meta(w, "rnnc_version", RNNC_VERSION) != 0 ||
        rnnc_st_set_meta(w, "format", "rnnc check --dump: the random problem of rnnc check --seed, "
                                      "the generated forward and backward pass on it; tensors in "
                                      "the model's dtype, row-major; dimensions N (input), H "
                                      "(hidden), K (output), B (batch), tau") != 0) {
        rnnc_fail(err, errlen, "%s: out of memory collecting the tensors", path);
        goto out;
    }
    rc = rnnc_st_write(w, path, err, errlen);
out:
    rnnc_st_writer_free(w);
    gen_run_free(&g);
    return rc;
}
