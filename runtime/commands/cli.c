/* cli.c: the rnnc command line.  The only file that parses argv, prints usage and calls
 * exit(): 0 success, 1 runtime failure (or a failed check), 2 bad usage or input,
 * 130 / 143 after a clean save on SIGINT / SIGTERM. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../gen/equations.h"
#include "../../gen/gen.h"
#include "../../gen/spec.h"
#include "../base/text.h"
#include "../base/util.h"
#include "bench.h"
#include "check.h"
#include "../formats/ckpt.h"
#include "diff.h"
#include "dump.h"
#include "eval.h"
#include "help.h"
#include "../formats/interop.h"
#include "../jit/jit.h"
#include "../model/model.h"
#include "plot.h"
#include "sample.h"
#include "train.h"
#include "../model/dist.h"

/* The global usage on f: how to call rnnc, its commands (one line each) and the model options
 * they share; each command's own options are its help (rnnc help COMMAND). */
static void print_usage(FILE *f)
{
    size_t n;
    const rnnc_cmd_help *c = rnnc_help_commands(&n);
    fputs(rnnc_help_head, f);
    fputs("commands:\n", f);
    for (size_t i = 0; i < n; i++) fprintf(f, "  %-10s %s\n", c[i].name, c[i].summary);
    fputs("\n", f);
    fputs(rnnc_help_model, f);
}

/* A command's own help on stdout (its options, defaults and examples). */
static void print_command_help(const rnnc_cmd_help *c)
{
    fputs(c->text, stdout);
    if (c->text2) fputs(c->text2, stdout);
}

/* Print the cc cache's pending notices (a refused cache directory or cached file), one line
 * each, on stderr. */
static void show_notices(void)
{
    char msg[1024];
    while (rnnc_cc_take_notice(msg, sizeof msg)) fprintf(stderr, "rnnc: %s\n", msg);
}

/* Print "rnnc: MSG" as exactly one line on stderr (after the cc cache's notices); under
 * mpirun only on rank 0 (the others stay silent).  Messages quote user input, so the message
 * goes through rnnc_fail: a control character is shown escaped (\n, \xHH) rather than
 * breaking the line, and bytes that are not UTF-8 as \xHH, so the line is valid text. */
static void say_error(const char *msg)
{
    char line[8192];
    show_notices();
    if (rnnc_dist_env_rank() > 0) return; /* under mpirun, rank 0 alone says why */
    rnnc_fail(line, sizeof line, "%s", msg);
    fprintf(stderr, "rnnc: %s\n", line);
    fflush(stderr);
}

/* Print "rnnc: MESSAGE" as exactly one line (say_error) and exit. */
static void die(int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3), noreturn))
#endif
    ;
static void die(int code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    say_error(msg);
    exit(code);
}

/* ---- generic option parsing ---- */

typedef struct opt {
    char name[64];
    const char *value;   /* NULL for a flag */
} cli_opt;

typedef struct cli_args {
    cli_opt opts[128];
    int nopts;
    const char *pos[256];
    int npos;
} cli_args;

/* Is word one of the space-separated words of list? */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
    return 0;
}

/* The options of a command, for a suggestion: the words of valued and flags, and the spec
 * keys (as options: max-length) when spec is set, into words (at most cap); the count. */
static size_t option_words(const char *valued, const char *flags, int spec, char (*words)[32], size_t cap)
{
    static const char *const keys[] = {"vocab", "in", "out", "hidden", "tau", "batch", "act", "loss", "dtype",
                                       "name", "fast", "recurrence", "feedback", "end", "max-length", "memory",
                                       "segment", "spec"};
    size_t n = 0;
    const char *lists[2] = {valued, flags};
    for (int l = 0; l < 2; l++)
        for (const char *p = lists[l]; *p && n < cap;) {
            size_t k = strcspn(p, " ");
            if (k && k < 32) memcpy(words[n], p, k), words[n++][k] = '\0';
            p += k + (p[k] == ' ');
        }
    for (size_t i = 0; spec && i < sizeof keys / sizeof keys[0] && n < cap; i++) snprintf(words[n++], 32, "%s", keys[i]);
    return n;
}

/* An unknown option arg of rnnc cmd: exit 2 with one line, naming the closest option when one
 * is close (--step: did you mean --steps?). */
static void unknown_option(const char *arg, const char *cmd, const char *nm, const char *valued, const char *flags,
                           int spec)
{
    char words[160][32];
    const char *ptrs[160];
    size_t n = option_words(valued, flags, spec, words, 160);
    for (size_t i = 0; i < n; i++) ptrs[i] = words[i];
    const char *near = rnnc_closest(nm, ptrs, n);
    if (near)
        die(2, "%.80s: unknown option for 'rnnc %s'; did you mean %s%s? (rnnc help %s lists its options)", arg, cmd,
            strlen(near) == 1 ? "-" : "--", near, cmd);
    die(2, "%.80s: unknown option for 'rnnc %s' (rnnc help %s lists its options)", arg, cmd, cmd);
}

/* Split argv[2..] into options and positionals.  valued: options taking a value; flags:
 * options without one (spec keys are valued, "fast" a flag, when spec is set).  -h and --help
 * print the command's own help and exit 0. */
static void parse(int argc, char **argv, const char *cmd, const char *valued, const char *flags,
                  int spec, cli_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0' || (arg[1] == '-' && arg[2] == '\0')) {
            if (a->npos == 256) die(2, "%s: too many arguments", arg);
            a->pos[a->npos++] = arg;
            continue;
        }
        const char *name = arg + (arg[1] == '-' ? 2 : 1), *eq = strchr(name, '='), *value = NULL;
        char nm[64];
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        if (n >= sizeof nm) die(2, "%.80s: unknown option for 'rnnc %s' (rnnc help %s lists its options)", arg, cmd, cmd);
        memcpy(nm, name, n);
        nm[n] = '\0';
        if (strcmp(nm, "h") == 0 || strcmp(nm, "help") == 0) {
            print_command_help(rnnc_help_find(cmd));
            exit(0);
        }
        int is_flag = has_word(flags, nm) || (spec && strcmp(nm, "fast") == 0);
        int is_valued = has_word(valued, nm) || (spec && (rnnc_spec_is_key(nm) || strcmp(nm, "spec") == 0) &&
                                                strcmp(nm, "fast") != 0);
        if (!is_flag && !is_valued) unknown_option(arg, cmd, nm, valued, flags, spec);
        if (eq) value = eq + 1;
        else if (is_valued) {
            if (i + 1 >= argc) die(2, "%s: expected a value", arg);
            value = argv[++i];
        }
        if (a->nopts == 128) die(2, "%s: too many options", arg);
        snprintf(a->opts[a->nopts].name, sizeof a->opts[0].name, "%s", nm);
        a->opts[a->nopts].value = is_flag && !eq ? NULL : value;
        a->nopts++;
    }
}

/* The last value of option name, or NULL. */
static const char *get(const cli_args *a, const char *name)
{
    const char *v = NULL;
    for (int i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i].name, name) == 0) v = a->opts[i].value ? a->opts[i].value : "yes";
    return v;
}

static uint64_t parse_u64(const char *opt, const char *v, uint64_t min)
{
    char *end;
    errno = 0;
    if (*v < '0' || *v > '9') die(2, "--%s: expected a whole number, got '%s'", opt, v);
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end) die(2, "--%s: expected a whole number, got '%s'", opt, v);
    if (n < min) die(2, "--%s: expected at least %llu, got '%s'", opt, (unsigned long long)min, v);
    return n;
}

/* --threads: "auto" (0: one per batch part, at most the online CPUs) or 1..64. */
static int parse_threads(const char *v)
{
    if (strcmp(v, "auto") == 0) return 0;
    if (*v < '0' || *v > '9') die(2, "--threads: expected auto or a number of threads 1..64, got '%s'", v);
    uint64_t n = parse_u64("threads", v, 1);
    if (n > 64) die(2, "--threads: expected auto or a number of threads 1..64, got '%s'", v);
    return (int)n;
}

static double parse_real(const char *opt, const char *v, double lo, double hi, int lo_open)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(x) || x < lo || x > hi || (lo_open && x == lo)) {
        if (hi >= 1e300) die(2, "--%s: expected a number %s %g, got '%s'", opt, lo_open ? ">" : ">=", lo, v);
        die(2, "--%s: expected a number in %s%g, %g], got '%s'", opt, lo_open ? "(" : "[", lo, hi, v);
    }
    return x;
}

/* One word an option accepts, and the value it stands for. */
typedef struct cli_choice {
    const char *word;
    int value;
} cli_choice;

/* The value of word v among the n words of option --opt (table); exit 2 with "--opt: expected
 * A, B or C, got 'v'", the words in the table's order, when v is none of them. */
static int parse_choice(const char *opt, const char *v, const cli_choice *table, size_t n)
{
    char words[256] = "";
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v, table[i].word) == 0) return table[i].value;
        size_t k = strlen(words);
        snprintf(words + k, sizeof words - k, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", table[i].word);
    }
    die(2, "--%s: expected %s, got '%s'", opt, words, v);
}

/* A table of choices and its length, the last two arguments of parse_choice. */
#define CHOICES(t) (t), sizeof (t) / sizeof (t)[0]

/* Apply the spec file (if any) and every spec option to builder b.  Options for the same key
 * as the file's are reported as given twice, whatever their order. */
static void apply_spec(const cli_args *a, const char *spec_file, rnnc_spec_builder *b)
{
    char err[1024];
    rnnc_spec_begin(b);
    const char *sf = get(a, "spec");
    if (sf && spec_file) die(2, "--spec: more than one spec file ('%s' and '%s')", spec_file, sf);
    if (!sf) sf = spec_file;
    if (sf && rnnc_spec_read_file(b, sf, err, sizeof err) != 0) die(2, "%s", err);
    for (int i = 0; i < a->nopts; i++) {
        const cli_opt *o = &a->opts[i];
        if (!rnnc_spec_is_key(o->name)) continue;
        char where[80];
        snprintf(where, sizeof where, "--%s", o->name);
        if (rnnc_spec_set(b, o->name, o->value ? o->value : "yes", where, err, sizeof err) != 0)
            die(2, "%s", err);
    }
}

static void finish_spec(const rnnc_spec_builder *b, rnnc_spec *s)
{
    char err[1024];
    if (rnnc_spec_finish(b, s, err, sizeof err) != 0) die(2, "%s", err);
}

/* gen and check take at most one positional: the spec file. */
static const char *one_spec_file(const cli_args *a, const char *cmd)
{
    if (a->npos > 1) die(2, "%s: more than one spec file for 'rnnc %s' ('%s' and '%s')", a->pos[1], cmd, a->pos[0], a->pos[1]);
    return a->npos ? a->pos[0] : NULL;
}

/* --backend tcc|cc, or dflt when it is not given; exit 2 naming the flag on another word. */
static rnnc_backend backend_opt(const cli_args *a, rnnc_backend dflt)
{
    rnnc_backend b = dflt;
    const char *v = get(a, "backend");
    if (v && rnnc_backend_parse(v, &b) != 0) die(2, "--backend: expected tcc or cc, got '%s'", v);
    return b;
}

/* --optim's optimiser (RNNC_OPTIM_*), or -1 when it is not given; exit 2 on an unknown name. */
static int optim_opt(const cli_args *a)
{
    const char *v = get(a, "optim");
    if (!v) return -1;
    int optim = rnnc_optim_parse(v);
    if (optim < 0) die(2, "--optim: expected sgd, momentum, adagrad, rmsprop or adam, got '%s'", v);
    return optim;
}

/* ---- commands ---- */

static void ensure_dir(const char *opt, const char *d);

/* rnnc gen --hand-header [-o DIR]: DIR/rnnc_hand.h only; no spec. */
static int gen_hand_header(const cli_args *a)
{
    char err[1024];
    for (int i = 0; i < a->nopts; i++)
        if (strcmp(a->opts[i].name, "o") != 0 && strcmp(a->opts[i].name, "hand-header") != 0)
            die(2, "--%s: 'rnnc gen --hand-header' takes no spec (it writes only rnnc_hand.h)", a->opts[i].name);
    if (a->npos) die(2, "%s: 'rnnc gen --hand-header' takes no spec (it writes only rnnc_hand.h)", a->pos[0]);
    const char *outdir = get(a, "o") ? get(a, "o") : "out";
    if (!*outdir) die(2, "-o: expected a directory");
    ensure_dir("-o", outdir);
    if (rnnc_diff_write_header(outdir, err, sizeof err) != 0) die(1, "%s", err);
    printf("wrote %s/rnnc_hand.h\n", outdir);
    return 0;
}

static int cmd_gen(int argc, char **argv)
{
    cli_args a;
    rnnc_spec_builder b;
    rnnc_spec s;
    char err[1024];
    parse(argc, argv, "gen", "o", "hand-header", 1, &a);
    if (get(&a, "hand-header")) return gen_hand_header(&a);
    apply_spec(&a, one_spec_file(&a, "gen"), &b);
    finish_spec(&b, &s);
    const char *outdir = get(&a, "o") ? get(&a, "o") : "out";
    if (!*outdir) die(2, "-o: expected a directory");
    ensure_dir("-o", outdir);
    if (rnnc_gen_write(&s, outdir, err, sizeof err) != 0) die(1, "%s", err);
    printf("wrote %s/%s.h and %s/%s.c\n", outdir, s.name, outdir, s.name);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    cli_args a;
    rnnc_spec_builder b;
    rnnc_spec s;
    char err[8192], canon[512];
    parse(argc, argv, "check", "backend seed max-entries dump", "", 1, &a);
    rnnc_check_opts o = {backend_opt(&a, RNNC_BACKEND_TCC), 1, 0};
    const char *dump = get(&a, "dump");
    if (dump && !*dump) die(2, "--dump: expected the safetensors file to write");
    if (get(&a, "seed")) o.seed = parse_u64("seed", get(&a, "seed"), 0);
    if (get(&a, "max-entries")) o.max_entries = (size_t)parse_u64("max-entries", get(&a, "max-entries"), 1);
    apply_spec(&a, one_spec_file(&a, "check"), &b);
    finish_spec(&b, &s);
    rnnc_check_result r;
    rnnc_spec_format(&s, canon, sizeof canon);
    if (rnnc_check_run(&s, &o, &r, err, sizeof err) != 0) die(1, "check: %s", err);
    printf("gradient check of %s\n", canon);
    printf("backend %s (%s in %.1f ms), seed %llu; loss %.17g (double-precision build: %.17g)\n",
           rnnc_backend_name(o.backend), r.cache_hit ? "loaded from cache" : "compiled",
           r.compile_ms, (unsigned long long)o.seed, r.loss, r.loss_ref);
    printf("%-6s %9s %9s %8s %12s %12s  %s\n", "tensor", "entries", "checked", "skipped",
           "max_abs", "max_rel", "result");
    for (int k = 0; k < r.nrows; k++) {
        const rnnc_check_row *w = &r.rows[k];
        printf("%-6s %9zu %9zu %8zu %12.3e %12.3e  %s\n", w->tensor, w->count, w->checked,
               w->skipped, w->max_abs, w->max_rel, w->pass ? "pass" : "FAIL");
    }
    printf("tolerance: |analytic - numeric| <= %g * max(|analytic|, |numeric|) + %g; central "
           "differences in double, eps %g%s\n",
           r.rtol, r.atol, r.eps,
           o.max_entries ? "; larger tensors checked on a random subset of --max-entries entries"
                         : "; tensors over 2000 entries checked on a random subset of 2000");
    if (s.act == RNNC_ACT_RELU)
        printf("relu: entries whose perturbation crosses a kink (changes which units are active) "
               "are skipped\n");
    printf("%s\n", r.pass ? "all gradients agree" : "GRADIENT CHECK FAILED");
    if (dump) {
        if (rnnc_check_dump(&s, o.backend, o.seed, dump, err, sizeof err) != 0) die(1, "--dump: %s", err);
        printf("wrote %s: the problem of seed %llu, every node and every gradient (row-major, %s)\n",
               dump, (unsigned long long)o.seed, rnnc_dtype_name(s.dtype));
    }
    return r.pass ? 0 : 1;
}

static int cmd_equations(int argc, char **argv)
{
    cli_args a;
    rnnc_spec_builder b;
    rnnc_spec s;
    char err[1024], *text = NULL;
    parse(argc, argv, "equations", "format expand", "", 1, &a);
    rnnc_eq_format f = RNNC_EQ_TEXT;
    const char *v = get(&a, "format");
    static const cli_choice formats[] = {{"text", RNNC_EQ_TEXT}, {"latex", RNNC_EQ_LATEX}, {"markdown", RNNC_EQ_MARKDOWN}};
    if (v) f = (rnnc_eq_format)parse_choice("format", v, CHOICES(formats));
    apply_spec(&a, one_spec_file(&a, "equations"), &b);
    finish_spec(&b, &s);
    const char *node = get(&a, "expand");
    int rc = node ? rnnc_expand(&s, node, f, &text, err, sizeof err)
                  : rnnc_equations(&s, f, &text, err, sizeof err);
    if (rc != 0) die(2, "%s", err);
    fputs(text, stdout);
    free(text);
    return 0;
}

/* rnnc diff HAND.c [SPEC]: 0 when HAND.c agrees on every node; 1 when it differs, does not
 * compile (the compiler's messages follow a first line naming HAND.c), crashes or times out;
 * 2 for bad usage or an unreadable HAND.c. */
static int cmd_diff(int argc, char **argv)
{
    cli_args a;
    rnnc_spec_builder b;
    rnnc_spec s;
    static char err[16384];
    parse(argc, argv, "diff", "backend seed", "", 1, &a);
    const char *hand = NULL, *spec_file = NULL;
    for (int i = 0; i < a.npos; i++) {
        const char **slot = rnnc_ends_with(a.pos[i], ".c") ? &hand : &spec_file;
        if (*slot)
            die(2, "%s: more than one %s for 'rnnc diff' ('%s' and '%s')", a.pos[i],
                slot == &hand ? "HAND.c" : "spec file", *slot, a.pos[i]);
        *slot = a.pos[i];
    }
    if (!hand)
        die(2, "diff: expected HAND.c, a C file defining rnnc_hand_bptt (rnnc diff HAND.c [SPEC]; "
               "'rnnc gen --hand-header' writes its interface)");
    rnnc_diff_opts o = {hand, backend_opt(&a, RNNC_BACKEND_TCC), 1, 0};
    if (get(&a, "seed")) o.seed = parse_u64("seed", get(&a, "seed"), 0);
    apply_spec(&a, spec_file, &b);
    if (rnnc_diff_spec_defaults(&b, err, sizeof err) != 0) die(2, "%s", err);
    finish_spec(&b, &s);
    rnnc_diff_result r;
    rnnc_diff_status st = rnnc_diff_run(&s, &o, &r, err, sizeof err);
    if (st == RNNC_DIFF_NO_COMPILE) {
        show_notices();
        fprintf(stderr, "rnnc: %s\n", err); /* several lines: the compiler's own messages */
        exit(1);
    }
    if (st != RNNC_DIFF_RAN) die(st == RNNC_DIFF_BAD_INPUT ? 2 : 1, "%s", err);
    char *text = NULL;
    if (rnnc_diff_report(&s, &o, &r, &text) != 0) die(1, "out of memory for the report");
    fputs(text, stdout);
    int rc = r.agree ? 0 : 1;
    free(text);
    rnnc_diff_free(&r);
    return rc;
}

/* --end-symbol: one character (a byte in bytes mode, a UTF-8 character), or \n, \t, \r, \0,
 * \xHH, U+XXXX. */
static uint32_t parse_symbol(const char *v)
{
    unsigned long x;
    char *end;
    size_t n = strlen(v);
    if (n == 2 && v[0] == '\\' && strchr("ntr0", v[1]))
        return v[1] == 'n' ? '\n' : v[1] == 't' ? '\t' : v[1] == 'r' ? '\r' : 0;
    if (n > 2 && (strncmp(v, "\\x", 2) == 0 || strncmp(v, "U+", 2) == 0)) {
        errno = 0;
        x = strtoul(v + 2, &end, 16);
        if (!errno && !*end && x < 0x110000 && !(x >= 0xD800 && x <= 0xDFFF) && (v[0] == 'U' || x < 256))
            return (uint32_t)x;
    }
    if (n == 1) return (unsigned char)v[0];
    const unsigned char *u = (const unsigned char *)v;
    if ((n == 2 && (u[0] & 0xE0) == 0xC0) || (n == 3 && (u[0] & 0xF0) == 0xE0) || (n == 4 && (u[0] & 0xF8) == 0xF0)) {
        uint32_t cp = u[0] & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
        for (size_t i = 1; i < n; i++) cp = cp << 6 | (u[i] & 0x3F);
        return cp;
    }
    die(2, "--end-symbol: expected one character, or \\n, \\t, \\r, \\0, \\xHH or U+XXXX, got '%s'", v);
    return 0;
}

/* Scheduled sampling's options of rnnc train: --schedule, --schedule-k, --schedule-end (their
 * ranges per schedule are checked by rnnc_schedule_settle). */
static void train_schedule_opts(const cli_args *a, rnnc_train_opts *o)
{
    const char *v;
    if ((v = get(a, "schedule"))) {
        int k = rnnc_schedule_parse(v);
        if (k < 0) die(2, "--schedule: expected linear, exp or sigmoid, got '%s'", v);
        o->schedule.kind = (rnnc_sched_kind)k;
        o->set |= RNNC_SET_SCHEDULE;
    }
    if ((v = get(a, "schedule-k"))) {
        o->schedule.k = parse_real("schedule-k", v, 0, 1e300, 1);
        o->set |= RNNC_SET_SCHEDULE_K;
    }
    if ((v = get(a, "schedule-end"))) {
        o->schedule.end = parse_real("schedule-end", v, 0, 1, 0);
        o->set |= RNNC_SET_SCHEDULE_END;
    }
}

/* The records options of rnnc train: --records, --sequence-column, --learn-h0, --end-symbol,
 * --max-record, --valid, --valid-every. */
static void train_record_opts(const cli_args *a, rnnc_train_opts *o)
{
    const char *v;
    static const cli_choice records[] = {
        {"lines", RNNC_RECORDS_LINES}, {"paragraphs", RNNC_RECORDS_PARAGRAPHS}, {"none", RNNC_RECORDS_NONE}};
    if ((v = get(a, "records"))) {
        o->records = (rnnc_records)parse_choice("records", v, CHOICES(records));
        o->records_set = 1;
    }
    if ((v = get(a, "sequence-column"))) {
        if (get(a, "records")) die(2, "--sequence-column: give either --records (text) or --sequence-column (CSV)");
        if (!*v || strlen(v) >= 128) die(2, "--sequence-column: expected a column name of 1 to 127 bytes");
        o->records = RNNC_RECORDS_CSV;
        o->records_set = 1;
        o->seq_column = v;
    }
    o->learn_h0 = get(a, "learn-h0") != NULL;
    if ((v = get(a, "end-symbol"))) {
        o->end_symbol = parse_symbol(v);
        o->has_end_symbol = 1;
    }
    if ((v = get(a, "max-record"))) o->max_record = (size_t)parse_u64("max-record", v, 1);
    o->valid = get(a, "valid");
    if (o->valid && !*o->valid) die(2, "--valid: expected the held-out data file");
    if ((v = get(a, "valid-every"))) o->valid_every = parse_u64("valid-every", v, 1);
}

/* The output options of rnnc train: --every, --log, --log-every, --sample-every N|Ts, --save;
 * and where the progress goes: a terminal (stdout) and its width (COLUMNS, as the shell sets
 * it; else 0: the terminal is asked at each draw). */
static void train_output_opts(const cli_args *a, rnnc_train_opts *o)
{
    const char *v;
    if ((v = get(a, "every"))) o->every = parse_u64("every", v, 1);
    if ((v = get(a, "log-every"))) o->log_every = parse_u64("log-every", v, 1);
    if ((v = get(a, "sample-every"))) {
        size_t n = strlen(v);
        char num[64];
        if (n > 1 && n < sizeof num && v[n - 1] == 's') {   /* Ts: by time */
            memcpy(num, v, n - 1);
            num[n - 1] = '\0';
            o->sample_seconds = parse_real("sample-every", num, 0, 1e9, 1);
            o->sample_every = 0;
        } else {
            o->sample_every = parse_u64("sample-every", v, 0);
            o->sample_seconds = 0;
        }
        o->sample_every_set = 1;
    }
    o->save = get(a, "save");
    o->log = get(a, "log");
    if (o->save && !*o->save) die(2, "--save: expected a file name");
    if (o->log_every && !o->log) die(2, "--log-every: give the log file with --log FILE.csv");
    /* Under mpirun a rank's stdout is a pseudo-terminal whatever mpirun's own is: lines. */
    o->tty = isatty(fileno(stdout)) && rnnc_dist_env_size() == 0;
    const char *cols = getenv("COLUMNS");
    char *end;
    long nc = cols ? strtol(cols, &end, 10) : 0;
    o->columns = cols && *cols && !*end && nc > 0 && nc < 100000 ? (size_t)nc : 0;
}

/* How rnnc train runs: --backend, --threads, --shards. */
static void train_run_opts(const cli_args *a, rnnc_train_opts *o)
{
    const char *v;
    static const cli_choice backends[] = {{"tcc", RNNC_RUN_TCC}, {"cc", RNNC_RUN_CC}, {"auto", RNNC_RUN_AUTO}};
    if ((v = get(a, "backend"))) o->backend = (rnnc_run_backend)parse_choice("backend", v, CHOICES(backends));
    if ((v = get(a, "threads"))) o->threads = parse_threads(v);
    if ((v = get(a, "shards"))) o->shards = (int)parse_u64("shards", v, 1);
    if (o->shards > 4096) die(2, "--shards: expected a number of shares 1..4096, got '%s'", v);
}

/* --csv, and standard input ("-") read at most once: not both the data and --valid; and not
 * as the data under mpirun with more than one rank, since mpirun gives it to rank 0 alone
 * (--valid - is fine: rank 0 alone evaluates it). */
static void train_data_opts(const cli_args *a, rnnc_train_opts *o)
{
    o->csv = get(a, "csv") != NULL;
    int data_stdin = 0;
    for (size_t i = 0; i < o->ndata; i++) data_stdin |= strcmp(o->data[i], "-") == 0;
    int valid_stdin = o->valid && strcmp(o->valid, "-") == 0;
    if (data_stdin && valid_stdin)
        die(2, "--valid -: standard input is already the training data (it can be read once)");
    if (data_stdin && rnnc_dist_env_size() > 1)
        die(2, "-: standard input reaches rank 0 alone under mpirun; give every rank the data as a file");
}

static int cmd_train(int argc, char **argv)
{
    cli_args a;
    rnnc_train_opts o;
    char err[8192];
    parse(argc, argv, "train",
          "backend threads optim lr beta1 beta2 eps weight-decay clip clip-norm steps seed every "
          "log-every sample-every save resume log chars target schedule schedule-k schedule-end records "
          "sequence-column end-symbol max-record valid valid-every shards",
          "learn-h0 csv", 1, &a);
    rnnc_train_defaults(&o);
    /* Positionals: a *.spec file, then data files. */
    const char *spec_file = NULL, *data[256];
    size_t ndata = 0;
    for (int i = 0; i < a.npos; i++) {
        if (rnnc_ends_with(a.pos[i], ".spec")) {
            if (spec_file) die(2, "%s: more than one spec file", a.pos[i]);
            spec_file = a.pos[i];
        } else {
            data[ndata++] = a.pos[i];
        }
    }
    apply_spec(&a, spec_file, &o.spec);
    const char *v;
    train_run_opts(&a, &o);
    int optim = optim_opt(&a);
    if (optim >= 0) {
        o.optim = optim;
        o.set |= RNNC_SET_OPTIM;
    }
    const struct { const char *name; double *dst; double lo, hi; int open; unsigned bit; } reals[] = {
        {"lr", &o.lr, 0, 1e300, 1, RNNC_SET_LR},
        {"beta1", &o.beta1, 0, 1, 0, RNNC_SET_BETA1},
        {"beta2", &o.beta2, 0, 1, 0, RNNC_SET_BETA2},
        {"eps", &o.eps, 0, 1e300, 1, RNNC_SET_EPS},
        {"weight-decay", &o.weight_decay, 0, 1e300, 0, RNNC_SET_WD},
        {"clip", &o.clip, 0, 1e300, 0, RNNC_SET_CLIP},
        {"clip-norm", &o.clip_norm, 0, 1e300, 0, RNNC_SET_CLIP_NORM},
    };
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        if ((v = get(&a, reals[i].name))) {
            *reals[i].dst = parse_real(reals[i].name, v, reals[i].lo, reals[i].hi, reals[i].open);
            o.set |= reals[i].bit;
        }
    train_schedule_opts(&a, &o);
    if ((v = get(&a, "beta1")) && o.beta1 >= 1) die(2, "--beta1: expected a number in [0, 1), got '%s'", v);
    if ((v = get(&a, "beta2")) && o.beta2 >= 1) die(2, "--beta2: expected a number in [0, 1), got '%s'", v);
    if ((v = get(&a, "steps"))) o.steps = parse_u64("steps", v, 1);
    if ((v = get(&a, "seed"))) o.seed = parse_u64("seed", v, 0);
    train_output_opts(&a, &o);
    static const cli_choice chars[] = {{"bytes", RNNC_CHARS_BYTES}, {"utf8", RNNC_CHARS_UTF8}};
    if ((v = get(&a, "chars"))) {
        o.chars = (rnnc_chars)parse_choice("chars", v, CHOICES(chars));
        o.chars_set = 1;
    }
    train_record_opts(&a, &o);
    o.resume = get(&a, "resume");
    o.targets = get(&a, "target");
    if (o.targets && ndata == 0) die(2, "--target: only for a CSV data file");
    o.data = data;
    o.ndata = ndata;
    train_data_opts(&a, &o);
    /* Under mpirun: join the ranks (dist.h), and leave them through rnnc_dist_end whatever
     * the outcome: MPI_Finalize when the ranks stopped together (rnnc_train_run sees to it),
     * MPI_Abort of the whole job when MPI itself failed. */
    if (rnnc_dist_start(err, sizeof err) != 0) die(2, "%s", err);
    int rc = rnnc_train_run(&o, err, sizeof err);
    if (rnnc_dist_broken()) fprintf(stderr, "rnnc: %s\n", err); /* any rank: the job aborts next */
    /* Rank 0 says why before the ranks finalize together: a rank that exits first with the
     * same status must not let mpirun end rank 0 before its line is out. */
    else if (rc == 1 || rc == 2) say_error(err);
    return rnnc_dist_end(rc);
}

static void load_ckpt(const cli_args *a, const char *cmd, rnnc_ckpt *c)
{
    char err[1024];
    if (a->npos != 1) die(2, "%s: expected one checkpoint file (rnnc %s CKPT)", a->npos ? a->pos[1] : cmd, cmd);
    int rc = rnnc_ckpt_load(c, a->pos[0], err, sizeof err);
    if (rc != 0) die(rc == RNNC_ENOMEM ? 1 : 2, "%s", err);
}

static int cmd_sample(int argc, char **argv)
{
    cli_args a;
    rnnc_ckpt c;
    rnnc_model m;
    char err[8192];
    parse(argc, argv, "sample", "n temperature top-k prime seed backend count", "", 0, &a);
    rnnc_sample_opts so = {500, 1.0, 0, 1, 1};
    const char *v;
    if ((v = get(&a, "count"))) so.count = (size_t)parse_u64("count", v, 1);
    if ((v = get(&a, "n"))) so.n = (size_t)parse_u64("n", v, 0);
    if ((v = get(&a, "temperature"))) so.temperature = parse_real("temperature", v, 0, 1e300, 1);
    if ((v = get(&a, "top-k"))) so.top_k = (size_t)parse_u64("top-k", v, 0);
    if ((v = get(&a, "seed"))) so.rng = parse_u64("seed", v, 0);
    rnnc_backend backend = backend_opt(&a, RNNC_BACKEND_TCC);
    load_ckpt(&a, "sample", &c);
    if (!c.spec.onehot) die(2, "%s: a dense model has no symbols to sample", a.pos[0]);
    const char *prime = get(&a, "prime");
    if (c.records && prime)
        die(2, "--prime: %s models whole records, each from its initial state (drop --prime)", a.pos[0]);
    if (!c.records && get(&a, "count"))
        die(2, "--count: %s was trained on one stream, not on records (it has no end to stop at)", a.pos[0]);
    int32_t *ids = NULL;
    size_t nids = 0, cap = 0;
    if (prime && *prime &&
        rnnc_text_encode(&c.vocab, (const unsigned char *)prime, strlen(prime), "--prime", &ids,
                         &nids, &cap, err, sizeof err) != 0)
        die(2, "%s", err);
    /* Sampling is one column at a time: the batch does not matter, tcc starts at once. */
    rnnc_spec one = c.spec;
    one.batch = 1;
    one.tau = 1;
    if (rnnc_model_load(&m, &one, backend, err, sizeof err) != 0) die(1, "%s", err);
    if (c.records) {
        /* Whole records, each from h(0) (learned or zeros), ended as the model ends them. */
        const char *sep = c.records == RNNC_RECORDS_PARAGRAPHS ? "\n\n" : "\n";
        if (rnnc_sample_records(&m, c.params, c.learn_h0 ? c.h0 : NULL, &c.vocab, sep, &so, stdout) != 0)
            die(1, "out of memory");
        rnnc_model_unload(&m);
        rnnc_ckpt_free(&c);
        return 0;
    }
    /* One column's state: h(0) = 0, and fb(0) = 0 with an output recurrence. */
    void *h = calloc(m.desc->step_state, m.layout.real_size);
    if (!h) die(1, "out of memory");
    if (prime) fputs(prime, stdout);
    /* The parameter layout does not depend on batch or tau. */
    if (rnnc_sample(&m, c.params, &c.vocab, h, ids, nids, 0, &so, stdout) != 0) die(1, "out of memory");
    fputc('\n', stdout);
    free(h);
    free(ids);
    rnnc_model_unload(&m);
    rnnc_ckpt_free(&c);
    return 0;
}

/* A symbol as rnnc info shows it: printable characters as they are, others escaped. */
static void print_symbol(rnnc_chars mode, uint32_t sym)
{
    if (sym == '\n') fputs("\\n", stdout);
    else if (sym == '\t') fputs("\\t", stdout);
    else if (sym < 0x20 || sym == 0x7f || (mode == RNNC_CHARS_BYTES && sym > 0x7f))
        printf("\\x%02x", (unsigned)sym);
    else if (mode == RNNC_CHARS_UTF8 && sym > 0x10FFFF)
        printf("\\u{%x}", (unsigned)sym);
    else {
        char bytes[4];
        fwrite(bytes, 1, rnnc_symbol_bytes(mode, sym, bytes), stdout);
    }
}

/* rnnc info's lines on the model's family (section 10.2.1) and its ends (10.2.3): recurrence,
 * feedback, schedule, end, records, learned h(0). */
static void print_family(const rnnc_ckpt *c)
{
    const rnnc_spec *s = &c->spec;
    printf("recurrence: %s (%s)\n", rnnc_recurrences[s->rec].name, rnnc_recurrences[s->rec].what);
    if (rnnc_recurrences[s->rec].has_R)
        printf("feedback: %s (%s)\n", rnnc_feedbacks[s->fb].name, rnnc_feedbacks[s->fb].what);
    if (c->sched.kind != RNNC_SCHED_NONE)
        printf("schedule: %s k %g end %g (eps = %.4g at step %llu)\n", rnnc_schedule_name(c->sched.kind),
               c->sched.k, c->sched.end, rnnc_schedule_eps(&c->sched, c->step), (unsigned long long)c->step);
    printf("end: %s (%s)", rnnc_ends[s->end].name, rnnc_ends[s->end].what);
    if (rnnc_ends[s->end].has_length) printf(", lengths 1..%zu", s->max_length);
    fputc('\n', stdout);
    static const char *const rec_names[] = {"none (one stream)", "lines", "paragraphs", "CSV sequence column"};
    if (c->records != RNNC_RECORDS_NONE) {
        printf("records: %s", rec_names[c->records]);
        if (c->records == RNNC_RECORDS_CSV) printf(" '%s'", c->seq_column);
        printf("; initial state h(0): %s\n", c->learn_h0 ? "learned (--learn-h0)" : "zeros");
    }
}

static int cmd_info(int argc, char **argv)
{
    cli_args a;
    rnnc_ckpt c;
    char canon[512];
    parse(argc, argv, "info", "", "", 0, &a);
    load_ckpt(&a, "info", &c);
    rnnc_spec_format(&c.spec, canon, sizeof canon);
    printf("checkpoint: %s\n", a.pos[0]);
    printf("spec: %s\n", canon);
    if (c.spec.onehot) {
        printf("vocabulary: %zu symbols (%s): ", c.vocab.size,
               c.vocab.mode == RNNC_CHARS_UTF8 ? "UTF-8 characters" : "bytes");
        for (size_t i = 0; i < c.vocab.size && i < 96; i++) print_symbol(c.vocab.mode, c.vocab.symbols[i]);
        printf("%s\n", c.vocab.size > 96 ? " ..." : "");
        if (c.has_end_symbol) {
            printf("%s symbol: class %zu, value ", c.spec.end == RNNC_END_EOS ? "end" : "start", c.vocab.size);
            print_symbol(c.vocab.mode, c.end_symbol);
            printf(" (%s)\n", c.spec.end == RNNC_END_EOS ? "the input of a record's first step and the target after its last"
                                                           : "the input of a record's first step");
        }
    }
    print_family(&c);
    if (c.imported[0])
        printf("origin: imported from %s (rnnc import)%s\n", c.imported, c.step ? ", then trained by rnnc" : "");
    printf("step: %llu\n", (unsigned long long)c.step);
    if (c.imported[0] && c.step == 0)
        printf("loss: none (not trained by rnnc since it was imported)\n");
    else if (c.spec.loss == RNNC_LOSS_NLL)
        printf("loss: %.4f smoothed per sequence of %zu (%.3f bits per symbol), last %.4f\n",
               c.smooth_loss, c.spec.tau, c.smooth_loss / ((double)c.spec.tau * log(2.0)), c.last_loss);
    else
        printf("loss: %.6g smoothed, last %.6g\n", c.smooth_loss, c.last_loss);
    printf("optimiser: %s lr %g beta1 %g beta2 %g eps %g weight-decay %g clip %g clip-norm %g\n",
           rnnc_optim_name(c.hp.optim), c.hp.lr, c.hp.beta1, c.hp.beta2, c.hp.eps,
           c.hp.weight_decay, c.hp.clip, c.hp.clip_norm);
    if (c.imported[0] && c.step == 0)
        printf("data: none (imported from %s)\n", c.imported);
    else
        printf("data: %llu %s, seed %llu\n", (unsigned long long)c.data_len,
               c.spec.onehot ? "symbols" : "rows", (unsigned long long)c.seed);
    printf("bytes: parameters %zu, optimiser state %zu, workspace %zu, carried state %zu\n",
           c.layout.params_bytes, c.layout.opt_bytes, c.layout.ws_bytes, c.layout.s0_bytes);
    printf("carried state: %zu values: h(tau) of %zu x %zu", c.layout.s0_count, c.spec.batch, c.spec.hidden);
    if (rnnc_recurrences[c.spec.rec].has_R) printf(" and fb(tau) of %zu x %zu", c.spec.batch, c.spec.n_out);
    printf(" (batch x size)\n");
    rnnc_ckpt_free(&c);
    return 0;
}

/* rnnc eval's report: the per-record lines (--per-record), then one line per metric. */
static void eval_report(const rnnc_ckpt *c, const rnnc_dataset_opts *dopts, const rnnc_dataset *d,
                        const rnnc_eval_result *r, rnnc_feedback fb)
{
    const rnnc_spec *s = &c->spec;
    for (size_t i = 0; r->rec_loss && i < r->nrec; i++)
        printf("record %zu (%s:%zu, %zu steps): log p %.6f nats\n", i + 1, rnnc_dataset_file(dopts, d, i),
               d->rec_line[i], rnnc_dataset_record_steps(d, i), -r->rec_loss[i]);
    if (rnnc_recurrences[s->rec].has_R)
        printf("feedback: %s (%s)\n", rnnc_feedbacks[fb].name, rnnc_feedbacks[fb].what);
    if (r->nrec) printf("records: %zu\n", r->nrec);
    printf("steps: %zu (%s predicted%s)\n", r->steps, d->text ? "symbols" : "rows",
           d->text && d->eos ? ", each record's end symbol included" : "");
    double per = r->steps ? r->loss / (double)r->steps : 0;
    if (s->loss == RNNC_LOSS_NLL) {
        printf("loss: %.6f nats in total (-log P of the data%s)\n", r->loss,
               s->end == RNNC_END_HALT ? ", the halting unit's terms included" :
               s->end == RNNC_END_LENGTH ? ", the lengths' -log p_n included" : "");
        if (r->nrec) printf("per record: %.6f nats\n", r->loss / (double)r->nrec);
        printf("nll: %.6f nats per symbol\n", per);
        printf("bits: %.6f per symbol\n", per / log(2.0));
        printf("perplexity: %.6f\n", exp(per));
    } else {
        printf("loss: %.6g in total (the sum of 1/2 ||o - y||^2%s)\n", r->loss,
               s->end != RNNC_END_NONE ? " and the end's terms" : "");
        if (r->nrec) printf("per record: %.6g\n", r->loss / (double)r->nrec);
        if (s->end == RNNC_END_NONE)
            printf("mse: %.6g (mean squared error per output value)\n", 2 * per / (double)s->n_out);
        else
            printf("per step: %.6g (1/2 ||o - y||^2 and the end's terms)\n", per);
    }
}

/* rnnc eval CKPT FILE...: the loss of the checkpoint's model on held-out data. */
static int cmd_eval(int argc, char **argv)
{
    cli_args a;
    rnnc_ckpt c;
    char err[8192];
    parse(argc, argv, "eval", "feedback backend target", "per-record", 0, &a);
    if (a.npos < 2) die(2, "%s: expected a checkpoint and the data (rnnc eval CKPT FILE...)", a.npos ? a.pos[0] : "eval");
    rnnc_backend backend = backend_opt(&a, RNNC_BACKEND_CC);
    const char *v;
    int lrc = rnnc_ckpt_load(&c, a.pos[0], err, sizeof err);
    if (lrc != 0) die(lrc == RNNC_ENOMEM ? 1 : 2, "%s", err);
    rnnc_feedback fb = RNNC_FB_TEACHER;
    if ((v = get(&a, "feedback"))) {
        if (!rnnc_recurrences[c.spec.rec].has_R)
            die(2, "--feedback: %s has a hidden recurrence only; nothing is fed back (drop --feedback)", a.pos[0]);
        /* The variants' own names (gen/variants.c); scheduled sampling is for training only. */
        const cli_choice feedbacks[] = {{rnnc_feedbacks[RNNC_FB_TEACHER].name, RNNC_FB_TEACHER},
                                        {rnnc_feedbacks[RNNC_FB_FREE].name, RNNC_FB_FREE}};
        fb = (rnnc_feedback)parse_choice("feedback", v, CHOICES(feedbacks));
    }
    if (get(&a, "per-record") && !c.records)
        die(2, "--per-record: %s was trained on one stream, not on records", a.pos[0]);
    rnnc_dataset_opts dopts;
    memset(&dopts, 0, sizeof dopts);
    dopts.files = (const char *const *)a.pos + 1;
    dopts.nfiles = (size_t)a.npos - 1;
    dopts.vocab = c.spec.onehot ? &c.vocab : NULL;
    dopts.targets = get(&a, "target");
    dopts.records = c.records;
    dopts.seq_column = c.seq_column;
    dopts.eos = c.spec.end == RNNC_END_EOS;
    dopts.has_end_symbol = c.has_end_symbol;
    dopts.end_symbol = c.end_symbol;
    dopts.max_length = rnnc_ends[c.spec.end].has_length ? c.spec.max_length : 0;
    rnnc_dataset d;
    /* Named files are text or CSV by their names; standard input (-) is what the model reads. */
    for (int i = 1; i < a.npos; i++)
        if (strcmp(a.pos[i], "-") == 0) dopts.csv = !c.spec.onehot;
        else if (c.spec.onehot == rnnc_dataset_is_csv(a.pos[i]))
            die(2, "%s: the checkpoint %s is a %s model; this data is %s", a.pos[i], a.pos[0],
                c.spec.onehot ? "one-hot (text)" : "dense (CSV)", c.spec.onehot ? "CSV" : "text");
    int rc = rnnc_dataset_load(&dopts, &d, err, sizeof err);
    if (rc != 0) die(rc, "%s", err);
    if (!d.text && (d.n_in != c.spec.n_in || d.n_out != c.spec.n_out))
        die(2, "%s: gives %zu inputs and %zu outputs; the model has %zu and %zu (the same --target as in training?)",
            a.pos[1], d.n_in, d.n_out, c.spec.n_in, c.spec.n_out);
    if (!d.records && d.len <= d.look) die(2, "%s: too short: nothing to predict", a.pos[1]);
    rnnc_evaluator e;
    rnnc_eval_result r;
    if (rnnc_eval_open(&e, &c.spec, fb, backend, err, sizeof err) != 0) die(1, "%s", err);
    if (rnnc_eval_run(&e, c.params, c.learn_h0 ? c.h0 : NULL, &d, get(&a, "per-record") != NULL, &r, err,
                      sizeof err) != 0)
        die(1, "%s", err);
    eval_report(&c, &dopts, &d, &r, fb);
    rnnc_eval_result_free(&r);
    rnnc_eval_close(&e);
    rnnc_dataset_free(&d);
    rnnc_ckpt_free(&c);
    return 0;
}

/* Create directory d if it does not exist; it must be a directory. */
static void ensure_dir(const char *opt, const char *d)
{
    struct stat st;
    if (!*d) die(2, "%s: expected a directory", opt);
    if (stat(d, &st) != 0) {
        if (mkdir(d, 0777) != 0) die(2, "%s: cannot create directory '%s': %s", opt, d, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        die(2, "%s: '%s' is not a directory", opt, d);
    }
}

static int cmd_embed(int argc, char **argv)
{
    cli_args a;
    rnnc_ckpt c;
    char err[1024], origin[400];
    parse(argc, argv, "embed", "o name", "", 0, &a);
    load_ckpt(&a, "embed", &c);
    const char *name = get(&a, "name");
    if (name) {
        /* Validated exactly as a spec's name: a plain C identifier. */
        rnnc_spec_builder b;
        rnnc_spec_begin(&b);
        if (rnnc_spec_set(&b, "name", name, "--name", err, sizeof err) != 0) die(2, "%s", err);
        snprintf(c.spec.name, sizeof c.spec.name, "%s", name);
    }
    const char *outdir = get(&a, "o") ? get(&a, "o") : "out";
    ensure_dir("-o", outdir);
    if (c.imported[0] && c.step == 0)
        snprintf(origin, sizeof origin, "a model imported from %s", c.imported);
    else
        snprintf(origin, sizeof origin, "a checkpoint at step %llu (smoothed loss %.4f)%s%s",
                 (unsigned long long)c.step, c.smooth_loss, c.imported[0] ? ", imported from " : "", c.imported);
    /* The model's classes: the data's symbols, then the records' boundary symbol. */
    uint32_t *syms = malloc((c.vocab.size + 1) * sizeof *syms);
    if (!syms) die(1, "out of memory");
    if (c.vocab.size) memcpy(syms, c.vocab.symbols, c.vocab.size * sizeof *syms);
    if (c.has_end_symbol) syms[c.vocab.size] = c.end_symbol;
    rnnc_embed_input in = {c.params, syms, c.vocab.size + (size_t)c.has_end_symbol, c.vocab.mode == RNNC_CHARS_UTF8,
                           origin, c.learn_h0 ? c.h0 : NULL, c.has_end_symbol ? (long)c.vocab.size : -1};
    if (rnnc_gen_embed_write(&c.spec, &in, outdir, err, sizeof err) != 0) die(1, "%s", err);
    free(syms);
    printf("wrote %s/%s.h and %s/%s.c (weights %zu bytes)\n", outdir, c.spec.name, outdir, c.spec.name,
           c.layout.params_bytes);
    rnnc_ckpt_free(&c);
    return 0;
}

static rnnc_interop_names interop_names(const cli_args *a)
{
    rnnc_interop_names n = {"rnn.", "fc."};
    if (get(a, "rnn-prefix")) n.rnn_prefix = get(a, "rnn-prefix");
    if (get(a, "linear-prefix")) n.lin_prefix = get(a, "linear-prefix");
    if (strlen(n.rnn_prefix) > 200 || strlen(n.lin_prefix) > 200) die(2, "--rnn-prefix: at most 200 characters");
    return n;
}

static int cmd_export(int argc, char **argv)
{
    cli_args a;
    rnnc_ckpt c;
    char err[1024];
    parse(argc, argv, "export", "o rnn-prefix linear-prefix", "", 0, &a);
    const char *out = get(&a, "o");
    if (!out || !*out) die(2, "-o: expected the .safetensors file to write");
    rnnc_interop_names n = interop_names(&a);
    load_ckpt(&a, "export", &c);
    if (rnnc_export(&c, &n, out, err, sizeof err) != 0) die(1, "%s", err);
    const rnnc_spec *s = &c.spec;
    printf("wrote %s (%s: weight_ih_l0, %sbias_ih_l0, bias_hh_l0%s; %s: weight, bias%s%s%s)\n", out,
           n.rnn_prefix, rnnc_recurrences[s->rec].has_W ? "weight_hh_l0, " : "",
           rnnc_recurrences[s->rec].has_R ? ", weight_oh_l0 (R)" : "", n.lin_prefix,
           s->end == RNNC_END_HALT ? "; rnnc.: halt_w, halt_b" : s->end == RNNC_END_LENGTH ? "; rnnc.: len_w, len_b, rem_u" : "",
           c.learn_h0 ? (s->end == RNNC_END_HALT || s->end == RNNC_END_LENGTH ? ", h0" : "; rnnc.: h0") : "", "");
    rnnc_ckpt_free(&c);
    return 0;
}

/* rnnc import FILE.safetensors [-o CKPT]: the checkpoint, and one line saying what was written
 * and what was assumed (then the tensors left out by --ignore-unknown). */
static int cmd_import(int argc, char **argv)
{
    cli_args a;
    rnnc_ckpt c;
    rnnc_spec_builder b;
    rnnc_import_report rep;
    char err[2048], def[4096];
    parse(argc, argv, "import", "o rnn-prefix linear-prefix", "force ignore-unknown", 1, &a);
    if (a.npos != 1) die(2, "%s: expected one .safetensors file (rnnc import FILE [-o CKPT])", a.npos ? a.pos[1] : "import");
    rnnc_interop_names n = interop_names(&a);
    apply_spec(&a, NULL, &b);
    const char *out = get(&a, "o");
    if (!out) {
        snprintf(def, sizeof def, "%s", a.pos[0]);
        char *dot = strrchr(def, '.'), *slash = strrchr(def, '/');
        if (dot && (!slash || dot > slash)) *dot = '\0';
        if (strlen(def) + 6 > sizeof def) die(2, "%s: path too long", a.pos[0]);
        strcat(def, ".ckpt");
        out = def;
    }
    if (!*out) die(2, "-o: expected the checkpoint file to write");
    rnnc_import_opts io = {&b, get(&a, "force") != NULL, get(&a, "ignore-unknown") != NULL};
    if (rnnc_import(a.pos[0], &n, &io, &c, &rep, err, sizeof err) != 0) die(2, "%s", err);
    char canon[512];
    rnnc_spec_format(&c.spec, canon, sizeof canon);
    if (rnnc_ckpt_save(&c, out, err, sizeof err) != 0) die(1, "%s", err);
    printf("wrote %s: %s%s%s%s\n", out, canon, rep.notes[0] ? " (" : "", rep.notes, rep.notes[0] ? ")" : "");
    if (rep.nignored)
        printf("ignored (--ignore-unknown): %s\n", rep.ignored);
    rnnc_ckpt_free(&c);
    return 0;
}

/* rnnc bench [SPEC]: the report of rnnc_bench_report on stdout; exit 1 if the model cannot
 * be built. */
static int cmd_bench(int argc, char **argv)
{
    cli_args a;
    rnnc_spec_builder b;
    rnnc_spec s;
    rnnc_bench_opts o;
    rnnc_bench_result r;
    char err[8192];
    parse(argc, argv, "bench", "backend optim reps seconds seed threads", "records", 1, &a);
    rnnc_bench_defaults(&o);
    o.backend = backend_opt(&a, RNNC_BACKEND_TCC);
    const char *v;
    int optim = optim_opt(&a);
    if (optim >= 0) o.optim = optim;
    if ((v = get(&a, "reps"))) o.reps = parse_u64("reps", v, 1);
    if ((v = get(&a, "seconds"))) o.seconds = parse_real("seconds", v, 0, 1e6, 0);
    if ((v = get(&a, "seed"))) o.seed = parse_u64("seed", v, 0);
    if ((v = get(&a, "threads"))) o.threads = parse_threads(v);
    o.records = get(&a, "records") != NULL;
    apply_spec(&a, one_spec_file(&a, "bench"), &b);
    /* min-char-rnn's model unless the spec says otherwise. */
    if (!rnnc_spec_has(&b, "vocab") && !rnnc_spec_has(&b, "in") && !rnnc_spec_has(&b, "out") &&
        rnnc_spec_set(&b, "vocab", "65", "--vocab", err, sizeof err) != 0)
        die(2, "%s", err);
    if (!rnnc_spec_has(&b, "hidden") && rnnc_spec_set(&b, "hidden", "100", "--hidden", err, sizeof err) != 0)
        die(2, "%s", err);
    if (!rnnc_spec_has(&b, "tau") && rnnc_spec_set(&b, "tau", "25", "--tau", err, sizeof err) != 0)
        die(2, "%s", err);
    finish_spec(&b, &s);
    if (rnnc_bench_run(&s, &o, &r, err, sizeof err) != 0) die(1, "bench: %s", err);
    if (rnnc_bench_report(&s, &o, &r, stdout) != 0) die(1, "bench: cannot write the report");
    return 0;
}

/* rnnc plot LOG.csv... -o FILE.svg [--bits]: one chart of the logs.  The output must be named
 * .svg (or have no extension): rnnc writes SVG only, never under a PNG's (or any other) name. */
static int cmd_plot(int argc, char **argv)
{
    cli_args a;
    char err[1024];
    parse(argc, argv, "plot", "o", "bits", 0, &a);
    if (a.npos < 1) die(2, "plot: expected a log file (rnnc plot LOG.csv [LOG.csv...] -o FILE.svg)");
    if (a.npos > RNNC_PLOT_MAX_LOGS) die(2, "%s: at most %d logs in one chart", a.pos[RNNC_PLOT_MAX_LOGS], RNNC_PLOT_MAX_LOGS);
    const char *out = get(&a, "o");
    if (!out || !*out) die(2, "-o: expected the SVG file to write");
    const char *base = strrchr(out, '/'), *dot = strrchr(base ? base + 1 : out, '.');
    if (dot && dot[1] && strcasecmp(dot, ".svg") != 0)
        die(2, "-o %s: rnnc plot writes SVG only; name the file .svg (and convert it to %s with, e.g., rsvg-convert)", out, dot + 1);
    for (int i = 0; i < a.npos; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(a.pos[i], a.pos[j]) == 0) die(2, "%s: given twice", a.pos[i]);
    if (rnnc_plot_logs((const char *const *)a.pos, (size_t)a.npos, out, get(&a, "bits") ? RNNC_PLOT_BITS : 0, err,
                       sizeof err) != 0)
        die(2, "%s", err);
    printf("wrote %s\n", out);
    return 0;
}

/* SIGINT, SIGTERM, SIGHUP outside `rnnc train` (which handles them itself): end the cc
 * compiler's process group (it is not in ours, so it would outlive us), then die of the
 * signal as before.  What the compile leaves in the cache is removed by the next one. */
static void on_fatal_signal(int sig)
{
    rnnc_cc_cancel();
    raise(sig); /* SA_RESETHAND: the default action, once this handler returns */
}

static void install_signal_handlers(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN) /* nohup, & */
            sigaction(sigs[i], &sa, NULL);
    /* Past a file size limit a write fails with EFBIG, reported like any write error, instead
     * of the signal killing rnnc in the middle of a save. */
    signal(SIGXFSZ, SIG_IGN);
}

/* An unknown command: exit 2 with one line listing every command and naming the closest. */
static void unknown_command(const char *cmd)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;
static void unknown_command(const char *cmd)
{
    size_t n;
    const rnnc_cmd_help *c = rnnc_help_commands(&n);
    const char *names[32];
    char list[512] = "";
    for (size_t i = 0; i < n && i < 32; i++) {
        names[i] = c[i].name;
        size_t k = strlen(list);
        snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "", c[i].name);
    }
    const char *near = rnnc_closest(cmd, names, n < 32 ? n : 32);
    if (near) die(2, "'%s': unknown command; did you mean '%s'? (commands: %s; rnnc help COMMAND)", cmd, near, list);
    die(2, "'%s': unknown command (commands: %s; rnnc help COMMAND)", cmd, list);
}

/* rnnc help [COMMAND]: the global usage, or COMMAND's own help. */
static int cmd_help(int argc, char **argv)
{
    if (argc < 3) {
        print_usage(stdout);
        return 0;
    }
    if (argc > 3) die(2, "%s: rnnc help takes one command", argv[3]);
    const char *name = strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0 ? "help" : argv[2];
    const rnnc_cmd_help *c = rnnc_help_find(name);
    if (!c) unknown_command(argv[2]);
    print_command_help(c);
    return 0;
}

int main(int argc, char **argv)
{
    install_signal_handlers();
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    static const struct { const char *name; int (*run)(int, char **); } cmds[] = {
        {"gen", cmd_gen}, {"check", cmd_check}, {"train", cmd_train}, {"sample", cmd_sample},
        {"info", cmd_info}, {"plot", cmd_plot}, {"equations", cmd_equations}, {"embed", cmd_embed},
        {"export", cmd_export}, {"import", cmd_import},
        {"diff", cmd_diff}, {"bench", cmd_bench}, {"eval", cmd_eval}, {"help", cmd_help},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmd, cmds[i].name) == 0) {
            int rc = cmds[i].run(argc, argv);
            show_notices();
            return rc;
        }
    if (strcmp(cmd, "version") == 0 && argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        print_command_help(rnnc_help_find("version"));
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("rnnc %s\n", RNNC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        print_usage(stdout);
        return 0;
    }
    unknown_command(cmd);
    return 2;
}
