/* testlib.h: what the test programs (tests/unit/test_*.c) share: the reporter of their result
 * lines, a directory for their files, and for the model tests (test_reference.c,
 * test_backends.c, ...) the case dimensions, the spec built as the CLI builds it and the
 * seeded random problem. */
#ifndef RNNC_TESTLIB_H
#define RNNC_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include "../../gen/spec.h"
#include "../../runtime/model/model.h"

/* ---- the reporter ------------------------------------------------------------------------
 * Every test program prints one line per case on stdout, counted by tests/run.sh:
 *     ok SUITE/NAME              (NAME may be followed by a note: "ok update/adam (worst 1e-16)")
 *     FAIL SUITE/NAME: WHY
 * SUITE is set once, first, by tl_suite.  A line is always one line: '\n' and '\r' in what is
 * printed become '|'.  stdout is line-buffered, so the lines of a crashed program are not lost.
 * A program's exit status is tl_status(): 1 when a case failed, else 0. */

/* Name the suite ("data", "st", "update", ...) that prefixes every line. */
void tl_suite(const char *suite);

/* Print "ok SUITE/" followed by the formatted text (the case's name, maybe with a note). */
void tl_ok(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Print "FAIL SUITE/" followed by the formatted text ("NAME: why"), and count a failure. */
void tl_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* tl_ok("%s", name) when cond, else "FAIL SUITE/NAME: " and the formatted why.  Returns cond. */
int tl_expect(int cond, const char *name, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Cases passed and failed so far. */
int tl_passes(void);
int tl_failures(void);

/* The exit status of a test program: 1 when any case failed, else 0. */
int tl_status(void);

/* ---- files -------------------------------------------------------------------------------
 * Set-up failures (a directory or file that cannot be made) end the program: a line
 * "FAIL SUITE/setup: why" and exit status 1. */

/* The program's directory for its files: $TESTS_TMP/name (created if missing), or without
 * TESTS_TMP a new /tmp/rnnc-name.XXXXXX (said in a "# files in DIR" line). */
const char *tl_workdir(const char *name);

/* DIR/name in tl_workdir's directory (in one of 16 rotating static buffers). */
const char *tl_path(const char *name);

/* Write data[0..n) to the file path (created or truncated); returns path. */
const char *tl_write(const char *path, const void *data, size_t n);

/* 1 when no file in tl_workdir's directory has ".tmp." in its name (no temporary of an atomic
 * write was left behind), 0 when one has or the directory cannot be read. */
int tl_no_temp_files(void);

/* ---- model tests ---------------------------------------------------------------------- */

/* relu: problems with some |pre-activation| below the kink bound of their dtype are redrawn
 * with the next seed, at most TL_MAX_REDRAWS times. */
#define TL_KINK_DOUBLE 1e-9
#define TL_KINK_FLOAT 1e-4
#define TL_MAX_REDRAWS 100

/* One test case: a point of the matrix with its dimensions.  rec and fb come last, so a
 * positional initialiser that stops at batch is the hidden recurrence (teacher: the default). */
typedef struct tl_case {
    rnnc_act act;
    rnnc_loss loss;
    rnnc_dtype dtype;
    int onehot;
    size_t n_in, hidden, n_out, tau, batch;
    rnnc_recurrence rec;
    rnnc_feedback fb;
} tl_case;

/* Optional double copies of the problem (any pointer may be NULL): param in U W V b c R order
 * (RNNC_T_*), LAYOUT.md order inside each tensor; xi/yi for one-hot inputs / nll targets,
 * xd/yd else; s0 the initial state (s0_count values: h(0), then fb(0) with an output
 * recurrence). */
typedef struct tl_mirror {
    double *param[RNNC_NTENSORS];
    int32_t *xi, *yi;
    double *xd, *yd, *s0;
} tl_mirror;

/* Sets n_in, hidden, n_out from the other fields only (a pure function of the variant), so a
 * variant gets the same spec, and generated source, in every run and in both programs.
 * hidden is 3..8; the output sizes include some above 16, the generated dot products' lanes. */
void tl_pick_dims(tl_case *c);

/* Builds *s through the spec builder as the CLI does (--vocab or --in/--out, ..., and
 * --fast yes if fast).  Returns 0, or nonzero with a message in err. */
int tl_build_spec(const tl_case *c, int fast, rnnc_spec *s, char *err, size_t errlen);
/* The same with --cell cell (a gated cell needs act tanh and the hidden recurrence). */
int tl_build_spec_cell(const tl_case *c, rnnc_cell cell, int fast, rnnc_spec *s, char *err,
                       size_t errlen);

/* Writes the spec's one-line name ("vocab=..,hidden=..,...,tanh,nll,float", then
 * ",output,free" for a recurrence other than hidden, ",lstm" for a gated cell) into buf. */
void tl_summary(const rnnc_spec *s, char *buf, size_t n);

/* Replaces every newline / carriage return in s by '|' (a result line must stay one line). */
void tl_one_line(char *s);

/* Monotonic clock, in seconds. */
double tl_now_s(void);

/* Fills params, x, y and h0 of mb with the problem drawn from seed (weights scaled by
 * 1/sqrt(fan-in), values drawn in double and rounded to the dtype), and the same values into
 * the non-NULL pointers of mirror (which may itself be NULL). */
void tl_fill_problem(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *mb, uint64_t seed,
                     const tl_mirror *mirror);

/* Sets every workspace and gradient entry of mb to NaN, so an entry never written shows. */
void tl_poison(const rnnc_spec *s, const rnnc_layout *l, rnnc_buffers *mb);

/* Scheduled sampling (s->fb == RNNC_FB_SCHEDULED with an output recurrence; else nothing):
 * writes the control values into the workspace ws (RNN_WS_CTL, one per step and column), a
 * mix drawn from seed of the data (below 0), draws (in [0, 1)) and fixed choices (1 or
 * more; exactly 1.0 now and then), and for the fixed ones the choice in fb(t)'s slot
 * (RNN_WS_FB: a class index for nll, K values for mse).  Call it after tl_poison: the other
 * slots stay as they were, for the forward pass to fill.  The same values, in double, go to
 * the non-NULL ctl (tau x B), fix_i (tau x B, nll) and fix_d (tau x B x K, mse). */
void tl_fill_sched(const rnnc_spec *s, const rnnc_layout *l, void *ws, uint64_t seed,
                   double *ctl, int32_t *fix_i, double *fix_d);

/* min |a_i(t)| over every pre-activation, recomputed in double from the model's buffers
 * after a forward pass: b + W h(t-1) + R fb(t-1) + U x(t), with fb(t-1) taken from s0 (t = 1)
 * or as the model fed it back (teacher: the data; free: p(t-1), or o(t-1); scheduled: the
 * choice in its slot). */
double tl_min_abs_preact(const rnnc_spec *s, const rnnc_layout *l, const rnnc_buffers *mb);

/* The relu kink bound for dtype dt: TL_KINK_FLOAT or TL_KINK_DOUBLE. */
double tl_kink(rnnc_dtype dt);

#endif /* RNNC_TESTLIB_H */
