/* diff.c: a hand-written BPTT against the generated one (see diff.h).
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
#include "../model/model.h"
#include "problem.h"

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

/* ---- the generated side (its run: problem.h) ---- */

/* Tensor t of buf (column-major, type dt) as row-major doubles. */
static void row_major_double(const void *buf, rnnc_dtype dt, const rnnc_tensor *t, double *out)
{
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++)
            out[i * t->cols + j] = rnnc_get(buf, dt, t->offset + j * t->rows + i);
}

/* ---- the hand side's buffers ---- */

/* The outputs of rnnc_hand_bptt, in rnnc_hand_grads order: element counts (0 for what the
 * model does not have: W and grad_h0 without a hidden recurrence, R and grad_fb0 without an
 * output recurrence, b_h without a gated cell, grad_c(t) and grad_c(0) without an LSTM) and
 * offsets in one block of doubles. */
enum { G_GO, G_GH, G_U, G_W, G_V, G_B, G_C, G_H0, G_R, G_FB0, G_BH, G_CS, G_C0, G_COUNT };
typedef struct grad_sizes {
    size_t n[G_COUNT], off[G_COUNT], total;
} grad_sizes;

static grad_sizes sizes_of(const rnnc_spec *s)
{
    size_t H = s->hidden, N = s->n_in, K = s->n_out, T = s->tau, B = s->batch;
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    size_t hw = (size_t)rec->has_W, hr = (size_t)rec->has_R, GH = (size_t)cell->gates * H;
    size_t gated = cell->gates > 1, lstm = (size_t)cell->has_c;
    grad_sizes z = {{T * B * K, T * B * H, GH * N, hw * GH * H, K * H, GH, K, hw * B * H, hr * H * K,
                     hr * B * K, gated * GH, lstm * T * B * H, lstm * B * H}, {0}, 0};
    for (int k = 0; k < G_COUNT; k++) {
        z.off[k] = z.total;
        z.total += z.n[k];
    }
    return z;
}

/* Point g's buffers at their pieces of base (z.total doubles); NULL for those of no elements. */
static void carve_grads(double *base, const grad_sizes *z, rnnc_hand_grads *g)
{
    double **slot[G_COUNT] = {&g->g_o, &g->grad_h, &g->grad_U, &g->grad_W, &g->grad_V, &g->grad_b,
                              &g->grad_c, &g->grad_h0, &g->grad_R, &g->grad_fb0, &g->grad_b_h,
                              &g->grad_cs, &g->grad_c0};
    for (int k = 0; k < G_COUNT; k++) *slot[k] = z->n[k] ? base + z->off[k] : NULL;
}

/* The generated run's gradients and nodes in rnnc_hand_grads's layout. */
static void gen_grads(const rnnc_spec *s, const rnnc_problem *r, const grad_sizes *z,
                      rnnc_hand_grads *g)
{
    const rnnc_layout *l = &r->m.layout;
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, t);
    rnnc_get_range(r->buf.ws, s->dtype, l->ws_go, z->n[G_GO], g->g_o);
    rnnc_get_range(r->buf.ws, s->dtype, l->ws_gh, z->n[G_GH], g->grad_h);
    /* the gradient of the initial state has s0's layout: h(0), then fb(0) */
    rnnc_get_range(r->buf.ws, s->dtype, l->ws_gs0 + l->s0_h, z->n[G_H0], g->grad_h0);
    rnnc_get_range(r->buf.ws, s->dtype, l->ws_gs0 + l->s0_fb, z->n[G_FB0], g->grad_fb0);
    rnnc_get_range(r->buf.ws, s->dtype, l->ws_gs0 + l->s0_c, z->n[G_C0], g->grad_c0);  /* lstm */
    rnnc_get_range(r->buf.ws, s->dtype, l->ws_gc, z->n[G_CS], g->grad_cs);
    double *dst[RNNC_NTENSORS] = {[RNNC_T_U] = g->grad_U, [RNNC_T_W] = g->grad_W, [RNNC_T_V] = g->grad_V,
                                  [RNNC_T_B] = g->grad_b, [RNNC_T_C] = g->grad_c, [RNNC_T_R] = g->grad_R,
                                  [RNNC_T_BH] = g->grad_b_h};
    for (int k = 0; k < RNNC_NTENSORS; k++)
        if (dst[k]) row_major_double(r->buf.grads, s->dtype, &t[k], dst[k]);
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

/* The variant fields of the problem, as rnnc_hand.h's constants. */
static void hand_variants(const rnnc_spec *s, rnnc_hand_problem *p)
{
    p->act = s->act == RNNC_ACT_TANH ? RNNC_HAND_TANH : s->act == RNNC_ACT_RELU ? RNNC_HAND_RELU : RNNC_HAND_SIGMOID;
    p->loss = s->loss == RNNC_LOSS_NLL ? RNNC_HAND_NLL : RNNC_HAND_MSE;
    p->recurrence = s->rec == RNNC_REC_OUTPUT ? RNNC_HAND_REC_OUTPUT
                  : s->rec == RNNC_REC_BOTH   ? RNNC_HAND_REC_BOTH : RNNC_HAND_REC_HIDDEN;
    p->feedback = !rnnc_recurrences[s->rec].has_R ? RNNC_HAND_FB_TEACHER
                : s->fb == RNNC_FB_FREE       ? RNNC_HAND_FB_FREE
                : s->fb == RNNC_FB_SCHEDULED  ? RNNC_HAND_FB_SCHEDULED : RNNC_HAND_FB_TEACHER;
}

/* Doubles of a gated cell's forward pass in the problem: the gates, and the LSTM's c(0..tau)
 * and c(0), or the GRU's w_n. */
static size_t gated_count(const rnnc_spec *s)
{
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    size_t TBH = s->tau * s->batch * s->hidden;
    if (cell->gates == 1) return 0;
    return (size_t)cell->gates * TBH + (cell->has_c ? TBH + 2 * s->batch * s->hidden : TBH);
}

/* A gated cell's part of the problem from the run r, into q (gated_count doubles): the
 * activated gates in PyTorch's order from the gate buffer's slots (the GRU keeps w_n in slot
 * 2 and n in slot 3), c(t) and c(0) (LSTM) or w_n(t) (GRU). */
static void hand_gated_inputs(const rnnc_spec *s, const rnnc_problem *r, rnnc_hand_problem *p, double *q)
{
    const rnnc_layout *l = &r->m.layout;
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    size_t H = s->hidden, B = s->batch, TB = s->tau * B, G = (size_t)cell->gates;
    p->cell = s->cell == RNNC_CELL_LSTM ? RNNC_HAND_CELL_LSTM : RNNC_HAND_CELL_GRU;
    p->gates = (int)G;
    p->gate = q;
    for (size_t k = 0; k < TB; k++)
        for (size_t g = 0; g < G; g++) {
            size_t slot = cell->has_c || g < 2 ? g : 3;
            rnnc_get_range(r->buf.ws, s->dtype, l->ws_g + k * l->gcol + slot * H, H, q + (k * G + g) * H);
        }
    q += TB * G * H;
    if (cell->has_c) {
        rnnc_get_range(r->buf.ws, s->dtype, l->ws_c, TB * H + B * H, q);
        p->cs = q;
        rnnc_get_range(r->buf.s0, s->dtype, l->s0_c, B * H, q + TB * H + B * H);
        p->c0 = q + TB * H + B * H;
        return;
    }
    for (size_t k = 0; k < TB; k++) rnnc_get_range(r->buf.ws, s->dtype, l->ws_g + k * l->gcol + 2 * H, H, q + k * H);
    p->w_n = q;
}

/* Fill hi from the generated run r (its problem and its forward pass).  Returns 0, or -1
 * (out of memory). */
static int hand_inputs_build(const rnnc_spec *s, const rnnc_problem *r, hand_inputs *hi)
{
    const rnnc_layout *l = &r->m.layout;
    int has_R = rnnc_recurrences[s->rec].has_R;
    size_t H = s->hidden, N = s->n_in, K = s->n_out, T = s->tau, B = s->batch, npar = 0;
    size_t nx = s->onehot ? 0 : l->x_count, ny = s->loss == RNNC_LOSS_NLL ? 0 : l->y_count;
    size_t nh = (T + 1) * B * H, np = T * B * K, nfb = has_R ? B * K + T * B * K : 0;
    rnnc_tensor t[RNNC_NTENSORS];
    rnnc_param_tensors(s, l, t);
    for (int k = 0; k < RNNC_NTENSORS; k++) npar += t[k].rows * t[k].cols;
    size_t total = npar + nx + ny + B * H + nh + np + nfb + gated_count(s);
    memset(hi, 0, sizeof *hi);
    hi->block = malloc((total ? total : 1) * sizeof *hi->block);
    hi->idx = malloc((2 * T * B) * sizeof *hi->idx);
    if (!hi->block || !hi->idx) {
        hand_inputs_free(hi);
        return -1;
    }
    double *q = hi->block, *par[RNNC_NTENSORS];
    for (int k = 0; k < RNNC_NTENSORS; k++) {
        par[k] = t[k].rows * t[k].cols != 0 ? q : NULL;   /* NULL: W or R the model does not have */
        row_major_double(r->buf.params, s->dtype, &t[k], q);
        q += t[k].rows * t[k].cols;
    }
    rnnc_hand_problem *p = &hi->p;
    memset(p, 0, sizeof *p);
    p->n_in = (int)N, p->hidden = (int)H, p->n_out = (int)K, p->tau = (int)T, p->batch = (int)B;
    p->onehot = s->onehot;
    hand_variants(s, p);
    p->U = par[RNNC_T_U], p->W = par[RNNC_T_W], p->V = par[RNNC_T_V], p->b = par[RNNC_T_B];
    p->c = par[RNNC_T_C], p->R = par[RNNC_T_R], p->b_h = par[RNNC_T_BH];
    if (s->onehot) {
        for (size_t i = 0; i < T * B; i++) hi->idx[i] = ((const int32_t *)r->buf.x)[i];
        p->x_index = hi->idx;
    } else {
        rnnc_get_range(r->buf.x, s->dtype, 0, nx, q);
        p->x = q;
        q += nx;
    }
    if (s->loss == RNNC_LOSS_NLL) {
        for (size_t i = 0; i < T * B; i++) hi->idx[T * B + i] = ((const int32_t *)r->buf.y)[i];
        p->y_index = hi->idx + T * B;
    } else {
        rnnc_get_range(r->buf.y, s->dtype, 0, ny, q);
        p->y = q;
        q += ny;
    }
    rnnc_get_range(r->buf.s0, s->dtype, l->s0_h, B * H, q);
    p->h0 = q;
    q += B * H;
    rnnc_get_range(r->buf.ws, s->dtype, l->ws_h, nh, q);
    p->h = q;
    q += nh;
    rnnc_get_range(r->buf.ws, s->dtype, l->ws_p, np, q);
    p->p = q;
    q += np;
    if (has_R) {
        rnnc_get_range(r->buf.s0, s->dtype, l->s0_fb, B * K, q);
        p->fb0 = q;
        rnnc_problem_fed_back(s, r, q + B * K);
        p->fb = q + B * K;
        q += nfb;
    }
    if (rnnc_cells[s->cell].gates > 1) hand_gated_inputs(s, r, p, q);
    else p->gates = 1;
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

/* Nodes per step: g_o(t), grad_h(t), and the LSTM's grad_c(t). */
static size_t step_nodes(const rnnc_spec *s) { return rnnc_cells[s->cell].has_c ? 3 : 2; }

/* The number of nodes of s: g_o(t) and grad_h(t) (and grad_c(t)) for every t, grad_c, grad_b,
 * grad_V and grad_U, and grad_W, grad_h0 (hidden recurrence), grad_R, grad_fb0 (output
 * recurrence), grad_b_h (gated cells), grad_c0 (LSTM). */
static size_t node_count(const rnnc_spec *s)
{
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    return step_nodes(s) * s->tau + 4 + 2 * (size_t)rec->has_W + 2 * (size_t)rec->has_R +
           (cell->gates > 1) + (size_t)cell->has_c;
}

/* Step node i (backward order: g_o(t), grad_h(t), grad_c(t) for t = tau..1) of s. */
static void describe_step_node(const rnnc_spec *s, const grad_sizes *z, size_t i, rnnc_diff_node *nd,
                               size_t *off, const char **base, size_t *t)
{
    static const char *const names[3] = {"g_o", "grad_h", "grad_c"};
    size_t H = s->hidden, K = s->n_out, B = s->batch, per = step_nodes(s), k = i % per;
    *t = s->tau - i / per;
    *base = k == 2 ? "grad_cell" : names[k];
    snprintf(nd->name, sizeof nd->name, "%s(%zu)", names[k], *t);
    nd->index = RNNC_DIFF_IDX_BATCH;
    nd->rows = B;
    nd->cols = k == 0 ? K : H;
    *off = k == 0 ? z->off[G_GO] + (*t - 1) * B * K : z->off[k == 1 ? G_GH : G_CS] + (*t - 1) * B * H;
}

/* Describe node i (backward order) of s: name, equation, shape, and its offset in the
 * blocks of sizes z (the hand's and the generated values are carved alike). */
static void describe_node(const rnnc_spec *s, const grad_sizes *z, size_t i, rnnc_diff_node *nd,
                          size_t *off)
{
    size_t H = s->hidden, N = s->n_in, K = s->n_out, B = s->batch, t = 0, GH = rnnc_cells[s->cell].gates * H;
    memset(nd, 0, sizeof *nd);
    const char *base;
    if (i < step_nodes(s) * s->tau) {
        describe_step_node(s, z, i, nd, off, &base, &t);
    } else {
        /* The parameter sums in the order of (10.22)-(10.28), then the initial state's. */
        static const struct { const char *name; int slot; rnnc_diff_index ix; } order[] = {
            {"grad_c", G_C, RNNC_DIFF_IDX_VECTOR}, {"grad_b", G_B, RNNC_DIFF_IDX_VECTOR},
            {"grad_V", G_V, RNNC_DIFF_IDX_MATRIX}, {"grad_W", G_W, RNNC_DIFF_IDX_MATRIX},
            {"grad_R", G_R, RNNC_DIFF_IDX_MATRIX}, {"grad_U", G_U, RNNC_DIFF_IDX_MATRIX},
            {"grad_bh", G_BH, RNNC_DIFF_IDX_VECTOR}, {"grad_h0", G_H0, RNNC_DIFF_IDX_BATCH},
            {"grad_c0", G_C0, RNNC_DIFF_IDX_BATCH}, {"grad_fb0", G_FB0, RNNC_DIFF_IDX_BATCH},
        };
        const size_t rows[G_COUNT] = {[G_C] = K, [G_B] = GH, [G_V] = K, [G_W] = GH, [G_R] = H,
                                      [G_U] = GH, [G_BH] = GH, [G_H0] = B, [G_C0] = B, [G_FB0] = B};
        const size_t cols[G_COUNT] = {[G_C] = 1, [G_B] = 1, [G_V] = H, [G_W] = H, [G_R] = K,
                                      [G_U] = N, [G_BH] = 1, [G_H0] = H, [G_C0] = H, [G_FB0] = K};
        size_t j = i - step_nodes(s) * s->tau, k = 0;
        for (;; k++) /* the j-th of those the model has */
            if (z->n[order[k].slot] && j-- == 0) break;
        base = order[k].name;
        snprintf(nd->name, sizeof nd->name, "%s", strcmp(base, "grad_bh") == 0 ? "grad_b_h" : base);
        nd->index = order[k].ix;
        nd->rows = rows[order[k].slot];
        nd->cols = cols[order[k].slot];
        *off = z->off[order[k].slot];
    }
    if (!rnnc_plan_node_equation(s, base, t, nd->equation, sizeof nd->equation))
        snprintf(nd->equation, sizeof nd->equation, "%s (see gen/EQUATIONS.md)", nd->name);
}

static void compare_all(const rnnc_spec *s, const grad_sizes *z, const double *hand,
                        const double *gen, rnnc_diff_result *r)
{
    r->first = r->nnodes;
    for (size_t i = 0; i < r->nnodes; i++) {
        size_t off = 0;
        describe_node(s, z, i, &r->nodes[i], &off);
        compare_node(&r->nodes[i], hand + off, gen + off, r->rtol, r->atol);
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
    rnnc_problem gr;
    hand_inputs hi;
    memset(&gr, 0, sizeof gr);
    memset(&hi, 0, sizeof hi);
    double *gen = NULL, *shared = MAP_FAILED;
    grad_sizes z = sizes_of(s);
    size_t map_bytes = (z.total + 1) * sizeof(double);
    rnnc_diff_status st = compile_hand(o, &jit, &fn, err, errlen);
    if (st != RNNC_DIFF_RAN) return st;
    st = RNNC_DIFF_FAILED;
    if (rnnc_problem_run(&gr, s, o->backend, o->seed, err, errlen) != 0) goto out;
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
    r->nnodes = node_count(s);
    r->nodes = calloc(r->nnodes, sizeof *r->nodes);
    if (!r->nodes) {
        rnnc_fail(err, errlen, "out of memory for the comparison");
        r->nnodes = 0;
        goto out;
    }
    compare_all(s, &z, shared, gen, r);
    st = RNNC_DIFF_RAN;
out:
    if (shared != MAP_FAILED) munmap(shared, map_bytes);
    free(gen);
    hand_inputs_free(&hi);
    rnnc_problem_free(&gr);
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
    fprintf(f, "nodes in backward order: g_o(t), grad_h(t)%s for t = %zu..1, then ",
            rnnc_cells[s->cell].has_c ? ", grad_c(t)" : "", s->tau);
    for (size_t i = step_nodes(s) * s->tau; i < r->nnodes; i++)
        fprintf(f, "%s%s", r->nodes[i].name, i + 1 < r->nnodes ? ", " : "\n");
    if (rnnc_recurrences[s->rec].has_R && s->fb == RNNC_FB_SCHEDULED)
        fprintf(f, "scheduled sampling: the forward pass's seeded choices are held fixed and given to "
                   "%s in p->fb, as data (10.11s)\n", o->hand);
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
