/* cli.c: the rnnc command line.  The only file that parses argv, prints usage and calls
 * exit(): 0 success, 1 runtime failure (or a failed check), 2 bad usage or input. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../gen/gen.h"
#include "../gen/spec.h"
#include "check.h"
#include "jit.h"

static const char usage_text[] =
    "usage: rnnc COMMAND [SPEC] [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  gen    [SPEC] [-o DIR]         write DIR/NAME.h and DIR/NAME.c (default DIR: out)\n"
    "  check  [SPEC] [--backend tcc|cc] [--seed S] [--max-entries N]\n"
    "                                 finite-difference check of the generated BPTT\n"
    "  version                        print the version\n"
    "\n"
    "model (as options, or as 'key = value' lines in a SPEC file / --spec FILE):\n"
    "  --vocab V | --in N --out K     one-hot input and softmax over V classes, or dense\n"
    "  --hidden H  --tau T            hidden size, unrolled sequence length (required)\n"
    "  --batch B                      independent sequences per call (default 1)\n"
    "  --act tanh|relu|sigmoid        hidden activation (default tanh)\n"
    "  --loss nll|mse                 softmax + negative log-likelihood, or squared error\n"
    "  --dtype float|double           (default float)\n"
    "  --name NAME                    C identifier prefix of every symbol (default rnn)\n"
    "  --fast                         fast-math code: backends may differ in the last bits\n";

/* Print "rnnc: MESSAGE" as exactly one line and exit.  Messages quote user input, so any
 * control character in it is shown escaped (\n, \xHH) rather than breaking the line. */
static void die(int code, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fputs("rnnc: ", stderr);
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p == '\n') fputs("\\n", stderr);
        else if (*p == '\t') fputs("\\t", stderr);
        else if (*p < 0x20 || *p == 0x7f) fprintf(stderr, "\\x%02x", *p);
        else fputc(*p, stderr);
    }
    fputc('\n', stderr);
    exit(code);
}

/* Options common to the commands, parsed in one pass. */
typedef struct cli_args {
    rnnc_spec spec;
    const char *outdir;
    rnnc_backend backend;
    uint64_t seed;
    size_t max_entries;
} cli_args;

static uint64_t parse_u64(const char *opt, const char *v)
{
    char *end;
    errno = 0;
    if (*v < '0' || *v > '9') die(2, "%s: expected a non-negative whole number, got '%s'", opt, v);
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || *end) die(2, "%s: expected a non-negative whole number, got '%s'", opt, v);
    return n;
}

/* Is word one of the space-separated words of list? */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
    return 0;
}

/* Parse argv[first..] for a command; allowed names the command-specific options it takes
 * ("o", "backend", "seed", "max-entries"). */
static void parse_args(int argc, char **argv, int first, const char *cmd, const char *allowed,
                       cli_args *a)
{
    char err[512];
    const char *spec_file = NULL;
    rnnc_spec_builder b;
    rnnc_spec_begin(&b);
    memset(a, 0, sizeof *a);
    a->outdir = "out";
    a->backend = RNNC_BACKEND_TCC;
    a->seed = 1;
    /* Options are collected first and applied after the spec file, so a file's key and an
     * option for the same key are reported as given twice, whatever their order. */
    char keys[64][64];
    const char *vals[64];
    int nkeys = 0;
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0') {
            if (spec_file) die(2, "%s: more than one spec file ('%s' and '%s')", cmd, spec_file, arg);
            spec_file = arg;
            continue;
        }
        const char *name = arg + (arg[1] == '-' ? 2 : 1);
        char namebuf[64];
        const char *value = NULL, *eq = strchr(name, '=');
        if (eq) {
            size_t n = (size_t)(eq - name);
            if (n >= sizeof namebuf) die(2, "%s: unknown option", arg);
            memcpy(namebuf, name, n);
            namebuf[n] = '\0';
            name = namebuf;
            value = eq + 1;
        }
        if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0) {
            fputs(usage_text, stdout);
            exit(0);
        }
        int is_flag = strcmp(name, "fast") == 0;
        int known = rnnc_spec_is_key(name) || strcmp(name, "spec") == 0 || has_word(allowed, name);
        if (!known) die(2, "%s: unknown option for 'rnnc %s' (see rnnc --help)", arg, cmd);
        if (is_flag) {
            if (!value) value = "yes";
        } else if (!value) {
            if (i + 1 >= argc) die(2, "%s: expected a value", arg);
            value = argv[++i];
        }
        char opt[80];
        snprintf(opt, sizeof opt, "--%s", name);
        if (strcmp(name, "spec") == 0) {
            if (spec_file) die(2, "--spec: more than one spec file ('%s' and '%s')", spec_file, value);
            spec_file = value;
        } else if (strcmp(name, "o") == 0) {
            if (!*value) die(2, "-o: expected a directory");
            a->outdir = value;
        } else if (strcmp(name, "backend") == 0) {
            if (rnnc_backend_parse(value, &a->backend) != 0)
                die(2, "--backend: expected tcc or cc, got '%s'", value);
        } else if (strcmp(name, "seed") == 0) {
            a->seed = parse_u64(opt, value);
        } else if (strcmp(name, "max-entries") == 0) {
            a->max_entries = (size_t)parse_u64(opt, value);
            if (a->max_entries == 0) die(2, "--max-entries: expected at least 1");
        } else {
            if (nkeys == 64) die(2, "%s: too many options", arg);
            snprintf(keys[nkeys], sizeof keys[0], "%s", name);
            vals[nkeys] = value;
            nkeys++;
        }
    }
    if (spec_file && rnnc_spec_read_file(&b, spec_file, err, sizeof err) != 0) die(2, "%s", err);
    for (int k = 0; k < nkeys; k++) {
        char where[80];
        snprintf(where, sizeof where, "--%s", keys[k]);
        if (rnnc_spec_set(&b, keys[k], vals[k], where, err, sizeof err) != 0) die(2, "%s", err);
    }
    if (rnnc_spec_finish(&b, &a->spec, err, sizeof err) != 0) die(2, "%s", err);
}

static int cmd_gen(int argc, char **argv)
{
    cli_args a;
    char err[1024];
    parse_args(argc, argv, 2, "gen", "o", &a);
    struct stat st;
    if (stat(a.outdir, &st) != 0) {
        if (mkdir(a.outdir, 0777) != 0) die(2, "-o: cannot create directory '%s': %s", a.outdir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        die(2, "-o: '%s' is not a directory", a.outdir);
    }
    if (rnnc_gen_write(&a.spec, a.outdir, err, sizeof err) != 0) die(1, "%s", err);
    printf("wrote %s/%s.h and %s/%s.c\n", a.outdir, a.spec.name, a.outdir, a.spec.name);
    return 0;
}

static int cmd_check(int argc, char **argv)
{
    cli_args a;
    char err[8192], canon[512];
    parse_args(argc, argv, 2, "check", "backend seed max-entries", &a);
    rnnc_check_opts o = {a.backend, a.seed, a.max_entries};
    rnnc_check_result r;
    rnnc_spec_format(&a.spec, canon, sizeof canon);
    if (rnnc_check_run(&a.spec, &o, &r, err, sizeof err) != 0) die(1, "check: %s", err);
    printf("gradient check of %s\n", canon);
    printf("backend %s (%s in %.1f ms), seed %llu; loss %.17g (double-precision build: %.17g)\n",
           rnnc_backend_name(a.backend), r.cache_hit ? "loaded from cache" : "compiled",
           r.compile_ms, (unsigned long long)a.seed, r.loss, r.loss_ref);
    printf("%-6s %9s %9s %8s %12s %12s  %s\n", "tensor", "entries", "checked", "skipped",
           "max_abs", "max_rel", "result");
    for (int k = 0; k < RNNC_CHECK_ROWS; k++) {
        const rnnc_check_row *w = &r.rows[k];
        printf("%-6s %9zu %9zu %8zu %12.3e %12.3e  %s\n", w->tensor, w->count, w->checked,
               w->skipped, w->max_abs, w->max_rel, w->pass ? "pass" : "FAIL");
    }
    printf("tolerance: |analytic - numeric| <= %g * max(|analytic|, |numeric|) + %g; central "
           "differences in double, eps %g%s\n",
           r.rtol, r.atol, r.eps,
           a.max_entries ? "; larger tensors checked on a random subset of --max-entries entries"
                         : "; tensors over 2000 entries checked on a random subset of 2000");
    if (a.spec.act == RNNC_ACT_RELU)
        printf("relu: entries whose perturbation crosses a kink (changes which units are active) "
               "are skipped\n");
    printf("%s\n", r.pass ? "all gradients agree" : "GRADIENT CHECK FAILED");
    return r.pass ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "gen") == 0) return cmd_gen(argc, argv);
    if (strcmp(cmd, "check") == 0) return cmd_check(argc, argv);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("rnnc %s\n", RNNC_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    die(2, "'%s': unknown command (expected gen, check or version; see rnnc --help)", cmd);
    return 2;
}
