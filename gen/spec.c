/* spec.c: parse and validate model specs (see spec.h). */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/base/util.h"

#define SPEC_LINE_MAX 510          /* characters of a spec line, without its newline */
#define SPEC_FILE_MAX (1 << 20)    /* bytes of a spec file */

enum {
    KEY_VOCAB = 1u << 0, KEY_IN = 1u << 1, KEY_OUT = 1u << 2, KEY_HIDDEN = 1u << 3,
    KEY_TAU = 1u << 4, KEY_BATCH = 1u << 5, KEY_ACT = 1u << 6, KEY_LOSS = 1u << 7,
    KEY_DTYPE = 1u << 8, KEY_NAME = 1u << 9, KEY_FAST = 1u << 10, KEY_REC = 1u << 11,
    KEY_FB = 1u << 12, KEY_END = 1u << 13, KEY_MAXLEN = 1u << 14, KEY_MEMORY = 1u << 15,
    KEY_SEGMENT = 1u << 16, KEY_CELL = 1u << 17
};

static const struct { const char *name; unsigned bit; } spec_keys[] = {
    {"vocab", KEY_VOCAB}, {"in", KEY_IN}, {"out", KEY_OUT}, {"hidden", KEY_HIDDEN},
    {"tau", KEY_TAU}, {"batch", KEY_BATCH}, {"act", KEY_ACT}, {"loss", KEY_LOSS},
    {"dtype", KEY_DTYPE}, {"name", KEY_NAME}, {"fast", KEY_FAST}, {"recurrence", KEY_REC},
    {"feedback", KEY_FB}, {"end", KEY_END}, {"max_length", KEY_MAXLEN}, {"memory", KEY_MEMORY},
    {"segment", KEY_SEGMENT}, {"cell", KEY_CELL},
};

void rnnc_spec_begin(rnnc_spec_builder *b)
{
    memset(b, 0, sizeof *b);
    b->spec.batch = 1;
    b->spec.act = RNNC_ACT_TANH;
    b->spec.loss = RNNC_LOSS_NLL;
    b->spec.dtype = RNNC_FLOAT;
    strcpy(b->spec.name, "rnn");
}

/* The bit of KEY, with '-' read as '_' (the option --max-length is the key max_length). */
static unsigned key_bit(const char *key)
{
    char k[32];
    size_t n = strlen(key);
    if (n >= sizeof k) return 0;
    for (size_t i = 0; i <= n; i++) k[i] = key[i] == '-' ? '_' : key[i];
    for (size_t i = 0; i < sizeof spec_keys / sizeof spec_keys[0]; i++)
        if (strcmp(spec_keys[i].name, k) == 0) return spec_keys[i].bit;
    return 0;
}

int rnnc_spec_is_key(const char *key) { return key_bit(key) != 0; }

int rnnc_spec_has(const rnnc_spec_builder *b, const char *key)
{
    unsigned bit = key_bit(key);
    return bit != 0 && (b->set & bit) != 0;
}

/* A size: decimal digits only (no sign, no spaces, no 0x), 1 .. max. */
static int parse_size(const char *v, size_t max, size_t *out, const char *where, char *err,
                      size_t errlen)
{
    if (*v == '\0')
        return rnnc_fail(err, errlen, "%s: expected a whole number, got nothing", where);
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p))
            return rnnc_fail(err, errlen, "%s: expected a whole number from 1 to %zu, got '%s'",
                             where, max, v);
    errno = 0;
    unsigned long long n = strtoull(v, NULL, 10);
    if (errno == ERANGE || n == 0 || n > max)
        return rnnc_fail(err, errlen, "%s: expected a whole number from 1 to %zu, got '%s'", where,
                         max, v);
    *out = (size_t)n;
    return 0;
}

static const char *const c_keywords[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "typedef", "union", "unsigned", "void", "volatile", "while", "asm", "typeof",
};

/* Prefixes of identifiers the C standard or POSIX reserve (or its headers already use as a
 * family), each followed by a character of the class cls: 'A' an upper-case letter, 'a' a
 * lower-case letter, '9' a digit, '*' anything, any other character itself.  A name is
 * refused when the identifiers generated from it (NAME_forward ..., and the macros NAME_SPEC
 * ... in upper case) would fall in one: FP_FAST_FMA, from --name fp_fast, is math.h's.
 * Sources: C11 7.1.3 and 7.31 (future library directions), with the families of existing
 * macros (math.h FP_, float.h FLT_ DBL_ LDBL_, stdint.h SIZE_ PTRDIFF_ WCHAR_ WINT_, time.h
 * TIME_) that C23 7.33 reserves as well; POSIX.1-2017 XSH 2.2.2 (the prefixes it reserves per
 * header) and XBD 13 (posix_, POSIX_).  Left out: POSIX's prefixes with no separator
 * (termios.h V I O TC B<digit>, sys/wait.h W, sys/socket.h SO, sys/msg.h msg MSG, sys/sem.h
 * sem SEM, sys/shm.h shm SHM, poll.h POLL), which would refuse ordinary words; README says so. */
static const struct reserved_prefix {
    const char *prefix, *cls, *by;
} reserved_prefixes[] = {
    /* The C standard */
    {"E", "A9", "the C standard (errno.h)"}, {"FE_", "A", "the C standard (fenv.h)"},
    {"FP_", "A", "the C standard (math.h)"}, {"MATH_", "A", "the C standard (math.h)"},
    {"cr_", "a", "the C standard (math.h)"}, {"FLT_", "A", "the C standard (float.h)"},
    {"DBL_", "A", "the C standard (float.h)"}, {"LDBL_", "A", "the C standard (float.h)"},
    {"PRI", "aX", "the C standard (inttypes.h)"}, {"SCN", "aX", "the C standard (inttypes.h)"},
    {"INT", "*", "the C standard (stdint.h) when they end in _MAX, _MIN or _C, as NAME_OFF_C does"},
    {"UINT", "*", "the C standard (stdint.h) when they end in _MAX, _MIN or _C, as NAME_OFF_C does"},
    {"SIZE_", "A", "the C standard (stdint.h)"}, {"PTRDIFF_", "A", "the C standard (stdint.h)"},
    {"WCHAR_", "A", "the C standard (stdint.h)"}, {"WINT_", "A", "the C standard (stdint.h)"},
    {"LC_", "A", "the C standard (locale.h)"}, {"SIG", "A", "the C standard (signal.h)"},
    {"SIG_", "A", "the C standard (signal.h)"}, {"ATOMIC_", "A", "the C standard (stdatomic.h)"},
    {"atomic_", "a", "the C standard (stdatomic.h)"},
    {"memory_order_", "a", "the C standard (stdatomic.h)"},
    {"is", "a", "the C standard (ctype.h)"}, {"to", "a", "the C standard (ctype.h)"},
    {"str", "a", "the C standard (string.h, stdlib.h)"}, {"mem", "a", "the C standard (string.h)"},
    {"wcs", "a", "the C standard (string.h, wchar.h)"}, {"cnd_", "a", "the C standard (threads.h)"},
    {"mtx_", "a", "the C standard (threads.h)"}, {"thrd_", "a", "the C standard (threads.h)"},
    {"tss_", "a", "the C standard (threads.h)"}, {"TIME_", "A", "the C standard (time.h)"},
    /* POSIX */
    {"posix_", "*", "POSIX"}, {"POSIX_", "*", "POSIX"},
    {"aio_", "*", "POSIX (aio.h)"}, {"lio_", "*", "POSIX (aio.h)"}, {"AIO_", "*", "POSIX (aio.h)"},
    {"LIO_", "*", "POSIX (aio.h)"}, {"d_", "*", "POSIX (dirent.h)"}, {"RTLD_", "*", "POSIX (dlfcn.h)"},
    {"l_", "*", "POSIX (fcntl.h)"}, {"F_", "*", "POSIX (fcntl.h)"}, {"O_", "*", "POSIX (fcntl.h)"},
    {"S_", "*", "POSIX (fcntl.h, sys/stat.h)"}, {"MM_", "*", "POSIX (fmtmsg.h)"},
    {"FNM_", "*", "POSIX (fnmatch.h)"}, {"gl_", "*", "POSIX (glob.h)"}, {"GLOB_", "*", "POSIX (glob.h)"},
    {"gr_", "*", "POSIX (grp.h)"}, {"mq_", "*", "POSIX (mqueue.h)"}, {"MQ_", "*", "POSIX (mqueue.h)"},
    {"dbm_", "*", "POSIX (ndbm.h)"}, {"DBM_", "*", "POSIX (ndbm.h)"},
    {"ai_", "*", "POSIX (netdb.h)"}, {"h_", "*", "POSIX (netdb.h)"}, {"n_", "*", "POSIX (netdb.h)"},
    {"p_", "*", "POSIX (netdb.h)"}, {"s_", "*", "POSIX (netdb.h, netinet/in.h)"},
    {"AI_", "*", "POSIX (netdb.h)"}, {"NI_", "*", "POSIX (netdb.h)"}, {"if_", "*", "POSIX (net/if.h)"},
    {"IF_", "*", "POSIX (net/if.h)"}, {"in_", "*", "POSIX (netinet/in.h)"},
    {"inet_", "*", "POSIX (arpa/inet.h)"}, {"ip_", "*", "POSIX (netinet/in.h)"},
    {"sin_", "*", "POSIX (netinet/in.h)"}, {"in6_", "*", "POSIX (netinet/in.h)"},
    {"s6_", "*", "POSIX (netinet/in.h)"}, {"sin6_", "*", "POSIX (netinet/in.h)"},
    {"IMPLINK_", "*", "POSIX (netinet/in.h)"}, {"IN_", "*", "POSIX (netinet/in.h)"},
    {"INADDR_", "*", "POSIX (netinet/in.h)"}, {"IP_", "*", "POSIX (netinet/in.h)"},
    {"IPPORT_", "*", "POSIX (netinet/in.h)"}, {"IPPROTO_", "*", "POSIX (netinet/in.h)"},
    {"IN6_", "*", "POSIX (netinet/in.h)"}, {"IPV6_", "*", "POSIX (netinet/in.h)"},
    {"TCP_", "*", "POSIX (netinet/tcp.h)"}, {"NL_", "*", "POSIX (nl_types.h)"},
    {"pd_", "*", "POSIX (poll.h)"}, {"ph_", "*", "POSIX (poll.h)"}, {"ps_", "*", "POSIX (poll.h)"},
    {"pthread_", "*", "POSIX (pthread.h)"}, {"PTHREAD_", "*", "POSIX (pthread.h)"},
    {"pw_", "*", "POSIX (pwd.h)"}, {"re_", "*", "POSIX (regex.h)"}, {"rm_", "*", "POSIX (regex.h)"},
    {"REG_", "*", "POSIX (regex.h)"}, {"sched_", "*", "POSIX (sched.h)"},
    {"SCHED_", "*", "POSIX (sched.h)"}, {"sem_", "*", "POSIX (semaphore.h)"},
    {"SEM_", "*", "POSIX (semaphore.h)"}, {"sa_", "*", "POSIX (signal.h)"},
    {"si_", "*", "POSIX (signal.h)"}, {"sigev_", "*", "POSIX (signal.h)"},
    {"sival_", "*", "POSIX (signal.h)"}, {"ss_", "*", "POSIX (signal.h)"},
    {"sv_", "*", "POSIX (signal.h)"}, {"uc_", "*", "POSIX (signal.h, ucontext.h)"},
    {"SA_", "*", "POSIX (signal.h)"}, {"SI_", "*", "POSIX (signal.h)"}, {"SS_", "*", "POSIX (signal.h)"},
    {"SV_", "*", "POSIX (signal.h)"}, {"BUS_", "*", "POSIX (signal.h)"}, {"CLD_", "*", "POSIX (signal.h)"},
    {"FPE_", "*", "POSIX (signal.h)"}, {"ILL_", "*", "POSIX (signal.h)"},
    {"POLL_", "*", "POSIX (signal.h)"}, {"SEGV_", "*", "POSIX (signal.h)"},
    {"TRAP_", "*", "POSIX (signal.h)"}, {"ipc_", "*", "POSIX (sys/ipc.h)"},
    {"IPC_", "*", "POSIX (sys/ipc.h)"}, {"shm_", "*", "POSIX (sys/mman.h)"},
    {"MAP_", "*", "POSIX (sys/mman.h)"}, {"MCL_", "*", "POSIX (sys/mman.h)"},
    {"MS_", "*", "POSIX (sys/mman.h)"}, {"PROT_", "*", "POSIX (sys/mman.h)"},
    {"rlim_", "*", "POSIX (sys/resource.h)"}, {"ru_", "*", "POSIX (sys/resource.h)"},
    {"PRIO_", "*", "POSIX (sys/resource.h)"}, {"RLIM_", "*", "POSIX (sys/resource.h)"},
    {"RLIMIT_", "*", "POSIX (sys/resource.h)"}, {"RUSAGE_", "*", "POSIX (sys/resource.h)"},
    {"fd_", "*", "POSIX (sys/select.h)"}, {"fds_", "*", "POSIX (sys/select.h)"},
    {"FD_", "*", "POSIX (sys/select.h)"}, {"ifc_", "*", "POSIX (sys/socket.h)"},
    {"ifru_", "*", "POSIX (sys/socket.h)"}, {"infu_", "*", "POSIX (sys/socket.h)"},
    {"ifra_", "*", "POSIX (sys/socket.h)"}, {"msg_", "*", "POSIX (sys/socket.h)"},
    {"cmsg_", "*", "POSIX (sys/socket.h)"}, {"AF_", "*", "POSIX (sys/socket.h)"},
    {"CMSG_", "*", "POSIX (sys/socket.h)"}, {"MSG_", "*", "POSIX (sys/socket.h)"},
    {"PF_", "*", "POSIX (sys/socket.h)"}, {"SCM_", "*", "POSIX (sys/socket.h)"},
    {"SHUT_", "*", "POSIX (sys/socket.h)"}, {"st_", "*", "POSIX (sys/stat.h)"},
    {"f_", "*", "POSIX (sys/statvfs.h)"}, {"ST_", "*", "POSIX (sys/statvfs.h)"},
    {"it_", "*", "POSIX (sys/time.h, time.h)"}, {"tv_", "*", "POSIX (sys/time.h, time.h)"},
    {"tms_", "*", "POSIX (sys/times.h)"}, {"iov_", "*", "POSIX (sys/uio.h)"},
    {"UIO_", "*", "POSIX (sys/uio.h)"}, {"sun_", "*", "POSIX (sys/un.h)"},
    {"uts_", "*", "POSIX (sys/utsname.h)"}, {"P_", "*", "POSIX (sys/wait.h)"},
    {"c_", "*", "POSIX (termios.h)"}, {"tm_", "*", "POSIX (time.h)"}, {"clock_", "*", "POSIX (time.h)"},
    {"timer_", "*", "POSIX (time.h)"}, {"CLOCK_", "*", "POSIX (time.h)"}, {"TIMER_", "*", "POSIX (time.h)"},
};

/* Does character c belong to the class cls (see reserved_prefixes)? */
static int in_class(char c, const char *cls)
{
    for (; *cls; cls++) {
        if (*cls == '*' || *cls == c) return 1;
        if (*cls == 'A' && c >= 'A' && c <= 'Z') return 1;
        if (*cls == 'a' && c >= 'a' && c <= 'z') return 1;
        if (*cls == '9' && c >= '0' && c <= '9') return 1;
    }
    return 0;
}

/* The reserved prefix that the identifier ident falls in, or NULL. */
static const struct reserved_prefix *reserved_for(const char *ident)
{
    for (size_t i = 0; i < sizeof reserved_prefixes / sizeof reserved_prefixes[0]; i++) {
        const struct reserved_prefix *r = &reserved_prefixes[i];
        size_t n = strlen(r->prefix);
        if (strncmp(ident, r->prefix, n) == 0 && ident[n] && in_class(ident[n], r->cls)) return r;
    }
    return NULL;
}

/* Refuse a name whose generated identifiers are reserved: NAME_x... (functions, types) and
 * NAME_X... (macros), tried with a representative first letter after the underscore. */
static int check_reserved(const char *v, const char *where, char *err, size_t errlen)
{
    char lower[RNNC_MAX_NAME + 3], upper[RNNC_MAX_NAME + 3];
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++) upper[i] = (char)toupper((unsigned char)v[i]);
    memcpy(lower, v, n);
    memcpy(lower + n, "_a", 3);
    memcpy(upper + n, "_A", 3);
    const char *which = lower;
    const struct reserved_prefix *r = reserved_for(lower);
    if (!r && (r = reserved_for(upper)) != NULL) which = upper;
    if (!r) return 0;
    const char *cls = strcmp(r->cls, "A") == 0 ? " and an upper-case letter"
                    : strcmp(r->cls, "A9") == 0 ? " and an upper-case letter or a digit"
                    : strcmp(r->cls, "a") == 0 ? " and a lower-case letter"
                    : strcmp(r->cls, "aX") == 0 ? " and a lower-case letter or X" : "";
    return rnnc_fail(err, errlen, "%s: '%s' would make identifiers %.*s_%s..., and names starting %s%s are "
                     "reserved by %s; choose another name", where, v, (int)n, which,
                     which == lower ? "forward" : "SPEC", r->prefix, cls, r->by);
}

/* A name is pasted into generated C (and compiled in-process): only a plain identifier,
 * never a keyword or a reserved name, so it can never inject code nor collide with the
 * headers a program includes next to it. */
static int check_name(const char *v, const char *where, char *err, size_t errlen)
{
    size_t n = strlen(v);
    if (n == 0 || n > RNNC_MAX_NAME)
        return rnnc_fail(err, errlen, "%s: expected a C identifier of 1 to %d characters", where,
                         RNNC_MAX_NAME);
    if (!(isalpha((unsigned char)v[0]) || v[0] == '_'))
        return rnnc_fail(err, errlen,
                         "%s: expected a C identifier ([A-Za-z_][A-Za-z0-9_]*), got '%.60s'",
                         where, v);
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)v[i]) || v[i] == '_') || (unsigned char)v[i] > 127)
            return rnnc_fail(err, errlen,
                             "%s: expected a C identifier ([A-Za-z_][A-Za-z0-9_]*), got '%.60s'",
                             where, v);
    if (v[0] == '_')
        return rnnc_fail(err, errlen, "%s: names starting with '_' are reserved in C, got '%s'",
                         where, v);
    for (size_t i = 0; i < sizeof c_keywords / sizeof c_keywords[0]; i++)
        if (strcmp(v, c_keywords[i]) == 0)
            return rnnc_fail(err, errlen, "%s: '%s' is a C keyword", where, v);
    return check_reserved(v, where, err, errlen);
}

/* A variant's value: idx is the row rnnc_*_find returned (-1: not a name of that axis). */
static int set_variant(int *out, int idx, const char *choices, const char *value, const char *where,
                       char *err, size_t errlen)
{
    if (idx < 0) return rnnc_fail(err, errlen, "%s: expected %s, got '%.60s'", where, choices, value);
    *out = idx;
    return 0;
}

int rnnc_spec_set(rnnc_spec_builder *b, const char *key, const char *value, const char *where,
                  char *err, size_t errlen)
{
    rnnc_spec *s = &b->spec;
    unsigned bit = key_bit(key);
    if (!bit)
        return rnnc_fail(err, errlen,
                         "%s: unknown key '%s' (expected vocab, in, out, hidden, tau, batch, act, "
                         "loss, recurrence, feedback, end, max_length, memory, segment, dtype, name or fast)",
                         where, key);
    if (b->set & bit) return rnnc_fail(err, errlen, "%s: '%s' is given twice", where, key);
    int rc = 0, k = 0;
    switch (bit) {
    case KEY_VOCAB: rc = parse_size(value, RNNC_MAX_DIM, &s->n_in, where, err, errlen); break;
    case KEY_IN: rc = parse_size(value, RNNC_MAX_DIM, &s->n_in, where, err, errlen); break;
    case KEY_OUT: rc = parse_size(value, RNNC_MAX_DIM, &s->n_out, where, err, errlen); break;
    case KEY_HIDDEN: rc = parse_size(value, RNNC_MAX_DIM, &s->hidden, where, err, errlen); break;
    case KEY_TAU: rc = parse_size(value, RNNC_MAX_TAU, &s->tau, where, err, errlen); break;
    case KEY_BATCH: rc = parse_size(value, RNNC_MAX_BATCH, &s->batch, where, err, errlen); break;
    case KEY_ACT: rc = set_variant(&k, rnnc_act_find(value), rnnc_act_choices(), value, where, err, errlen);
        if (rc == 0) s->act = (rnnc_act)k;
        break;
    case KEY_LOSS: rc = set_variant(&k, rnnc_loss_find(value), rnnc_loss_choices(), value, where, err, errlen);
        if (rc == 0) s->loss = (rnnc_loss)k;
        break;
    case KEY_REC:
        rc = set_variant(&k, rnnc_recurrence_find(value), rnnc_recurrence_choices(), value, where, err, errlen);
        if (rc == 0) s->rec = (rnnc_recurrence)k;
        break;
    case KEY_FB:
        rc = set_variant(&k, rnnc_feedback_find(value), rnnc_feedback_choices(), value, where, err, errlen);
        if (rc == 0) s->fb = (rnnc_feedback)k;
        break;
    case KEY_END:
        rc = set_variant(&k, rnnc_end_find(value), rnnc_end_choices(), value, where, err, errlen);
        if (rc == 0) s->end = (rnnc_end)k;
        break;
    case KEY_CELL:
        rc = set_variant(&k, rnnc_cell_find(value), rnnc_cell_choices(), value, where, err, errlen);
        if (rc == 0) s->cell = (rnnc_cell)k;
        break;
    case KEY_MAXLEN: rc = parse_size(value, RNNC_MAX_LENGTH, &s->max_length, where, err, errlen); break;
    case KEY_MEMORY:
        /* full; sqrt: segments of ceil(sqrt(tau)) steps, known at finish; N: segments of N */
        if (strcmp(value, "full") == 0) s->recompute = 0;
        else if (strcmp(value, "sqrt") == 0) s->recompute = 1, s->segment = 0;
        else if (parse_size(value, RNNC_MAX_UNROLL, &s->segment, where, err, errlen) == 0) s->recompute = 1;
        else rc = rnnc_fail(err, errlen, "%s: expected full, sqrt or a number of steps from 1 to %d, got '%.60s'",
                            where, RNNC_MAX_UNROLL, value);
        break;
    case KEY_SEGMENT: rc = parse_size(value, RNNC_MAX_UNROLL, &s->segment, where, err, errlen); break;
    case KEY_DTYPE:
        if (strcmp(value, "float") == 0) s->dtype = RNNC_FLOAT;
        else if (strcmp(value, "double") == 0) s->dtype = RNNC_DOUBLE;
        else rc = rnnc_fail(err, errlen, "%s: expected float or double, got '%.60s'", where, value);
        break;
    case KEY_NAME:
        rc = check_name(value, where, err, errlen);
        if (rc == 0) strcpy(s->name, value);
        break;
    case KEY_FAST:
        if (strcmp(value, "1") == 0 || strcmp(value, "yes") == 0 || strcmp(value, "true") == 0) s->fast = 1;
        else if (strcmp(value, "0") == 0 || strcmp(value, "no") == 0 || strcmp(value, "false") == 0) s->fast = 0;
        else rc = rnnc_fail(err, errlen, "%s: expected yes or no, got '%.60s'", where, value);
        break;
    }
    if (rc == 0) b->set |= bit;
    return rc;
}

static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t') p++;
    char *e = p + strlen(p);
    while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) *--e = '\0';
    return p;
}

/* One line of a spec (NUL-terminated, at most SPEC_LINE_MAX characters, no newline): a
 * blank or comment line, or "key = value".  where is "NAME:LINE". */
static int spec_line(rnnc_spec_builder *b, char *line, const char *where, char *err, size_t errlen)
{
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *p = trim(line);
    if (*p == '\0') return 0;
    char *eq = strchr(p, '=');
    if (!eq) return rnnc_fail(err, errlen, "%s: expected 'key = value', got '%.60s'", where, p);
    *eq = '\0';
    char *key = trim(p), *value = trim(eq + 1);
    if (*key == '\0') return rnnc_fail(err, errlen, "%s: expected a key before '='", where);
    return rnnc_spec_set(b, key, value, where, err, errlen);
}

int rnnc_spec_read_text(rnnc_spec_builder *b, const char *text, size_t n, const char *name,
                        char *err, size_t errlen)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t pos = 0;
    /* A UTF-8 byte-order mark (as some editors write) is not part of the first line. */
    if (n >= 3 && t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF) pos = 3;
    char line[SPEC_LINE_MAX + 1], where[600];
    for (long lineno = 1; pos < n; lineno++) {
        const unsigned char *nl = memchr(t + pos, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - (t + pos)) : n - pos;
        snprintf(where, sizeof where, "%s:%ld", name, lineno);
        if (memchr(t + pos, '\0', len))
            return rnnc_fail(err, errlen, "%s: NUL byte (a spec file is text)", where);
        if (len > SPEC_LINE_MAX)
            return rnnc_fail(err, errlen, "%s: line longer than %d characters", where,
                             SPEC_LINE_MAX);
        memcpy(line, t + pos, len);
        line[len] = '\0';
        if (spec_line(b, line, where, err, errlen) != 0) return -1;
        pos += len + (nl ? 1 : 0);
    }
    return 0;
}

int rnnc_spec_set_text(rnnc_spec_builder *b, const char *text, unsigned flags, const char *skip,
                       const char *where, char *err, size_t errlen)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *p = buf; *p;) {
        while (*p == ' ') p++;
        if (!*p) break;
        char *end = p + strcspn(p, " ");
        if (*end) *end++ = '\0';
        char *eq = strchr(p, '=');
        if (!eq) {
            if (where) rnnc_fail(err, errlen, "%s: '%s' is not key=value", where, p);
            else rnnc_fail(err, errlen, "'%s' is not key=value", p);
            return 1;
        }
        *eq = '\0';
        int pass = (skip && strcmp(p, skip) == 0) ||
                   ((flags & RNNC_SPEC_TEXT_KEEP_SET) && rnnc_spec_has(b, p));
        if (!pass && rnnc_spec_set(b, p, eq + 1, where ? where : p, err, errlen) != 0) return -1;
        p = end;
    }
    return 0;
}

int rnnc_spec_read_file(rnnc_spec_builder *b, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) return rnnc_fail(err, errlen, "%s: cannot open spec file: %s", path, strerror(errno));
    char *buf = malloc(SPEC_FILE_MAX + 1);
    if (!buf) {
        fclose(f);
        return rnnc_fail(err, errlen, "%s: out of memory reading the spec file", path);
    }
    size_t n = fread(buf, 1, SPEC_FILE_MAX + 1, f);
    int rc = 0;
    if (ferror(f)) rc = rnnc_fail(err, errlen, "%s: cannot read spec file: %s", path, strerror(errno));
    else if (n > SPEC_FILE_MAX)
        rc = rnnc_fail(err, errlen, "%s: larger than %d bytes; not a spec file", path, SPEC_FILE_MAX);
    else rc = rnnc_spec_read_text(b, buf, n, path, err, errlen);
    fclose(f);
    free(buf);
    return rc;
}

/* The segments of the generated loop (--memory, --segment): sqrt's length from tau, the
 * combinations that make sense, the unrolled length within its limit. */
static int segments_finish(rnnc_spec *s, unsigned set, char *err, size_t errlen)
{
    if ((set & KEY_SEGMENT) && (set & KEY_MEMORY) && s->recompute)
        return rnnc_fail(err, errlen, "--segment: --memory sqrt|N sets the segments already (give one of them)");
    if (s->recompute && s->segment == 0) {
        size_t r = 1;
        while (r * r < s->tau) r++;
        s->segment = r;
    }
    if (s->segment >= s->tau) s->segment = 0; /* one segment: the whole tau written out */
    if (s->segment && rnnc_recurrences[s->rec].has_R)
        return rnnc_fail(err, errlen, "--memory: segments need a hidden recurrence (an output "
                         "recurrence is written out over the whole tau)");
    if (!s->segment && s->tau > RNNC_MAX_UNROLL)
        return rnnc_fail(err, errlen, "--tau: %zu steps written out exceed %d; give --memory sqrt "
                         "(or --segment S) to loop over segments", s->tau, RNNC_MAX_UNROLL);
    if (!s->segment) s->recompute = 0;
    return 0;
}

/* The combinations a gated cell takes (section 10.10.1): a hidden recurrence, its own
 * activations, the whole tau written out, and the ends that do not touch the pre-activation. */
static int cell_finish(const rnnc_spec *s, unsigned set, char *err, size_t errlen)
{
    const char *cell = rnnc_cells[s->cell].name;
    if (rnnc_cells[s->cell].gates == 1) return 0;
    if (s->rec != RNNC_REC_HIDDEN)
        return rnnc_fail(err, errlen, "--recurrence: --cell %s has a hidden recurrence only (drop "
                         "--recurrence, or use --cell rnn)", cell);
    if (s->act != RNNC_ACT_TANH)
        return rnnc_fail(err, errlen, "--act: --cell %s uses sigmoid gates and tanh by definition "
                         "(drop --act, or use --cell rnn)", cell);
    if ((set & KEY_MEMORY) && s->recompute)
        return rnnc_fail(err, errlen, "--memory: --cell %s keeps every step (one segment) for now "
                         "(drop --memory, or use --cell rnn)", cell);
    if ((set & KEY_SEGMENT) && s->segment < s->tau)
        return rnnc_fail(err, errlen, "--segment: --cell %s is written out in one segment for now "
                         "(drop --segment, or use --cell rnn)", cell);
    if (rnnc_ends[s->end].has_length)
        return rnnc_fail(err, errlen, "--end: --cell %s takes none, eos or halt (length adds its "
                         "input to the vanilla cell's a(t))", cell);
    return 0;
}

int rnnc_spec_finish(const rnnc_spec_builder *b, rnnc_spec *out, char *err, size_t errlen)
{
    rnnc_spec s = b->spec;
    unsigned set = b->set;
    if (set & KEY_VOCAB) {
        if (set & (KEY_IN | KEY_OUT))
            return rnnc_fail(err, errlen,
                             "--vocab: give either --vocab V or --in N --out K, not both");
        s.onehot = 1;
        s.n_out = s.n_in;
    } else {
        if (!(set & KEY_IN) && !(set & KEY_OUT))
            return rnnc_fail(err, errlen, "--vocab: missing (give --vocab V, or --in N --out K)");
        if (!(set & KEY_IN))
            return rnnc_fail(err, errlen, "--in: missing (dense models need --in N and --out K)");
        if (!(set & KEY_OUT))
            return rnnc_fail(err, errlen, "--out: missing (dense models need --in N and --out K)");
        s.onehot = 0;
    }
    if (!(set & KEY_HIDDEN)) return rnnc_fail(err, errlen, "--hidden: missing (the hidden size H)");
    if (!(set & KEY_TAU))
        return rnnc_fail(err, errlen, "--tau: missing (the unrolled sequence length)");
    if ((set & KEY_FB) && !rnnc_recurrences[s.rec].has_R && s.fb != RNNC_FB_TEACHER)
        return rnnc_fail(err, errlen,
                         "--feedback: only an output recurrence feeds its output back (give "
                         "--recurrence output or both, or drop --feedback)");
    if ((set & KEY_MAXLEN) && !rnnc_ends[s.end].has_length)
        return rnnc_fail(err, errlen, "--max-length: only --end length predicts a length (give "
                         "--end length, or drop --max-length)");
    if (rnnc_ends[s.end].has_length && !(set & KEY_MAXLEN))
        return rnnc_fail(err, errlen, "--max-length: missing (--end length predicts lengths "
                         "1..M: give --max-length M)");
    if (rnnc_ends[s.end].needs_classes && !s.onehot)
        return rnnc_fail(err, errlen, "--end: an end symbol (eos) needs a vocabulary (--vocab); "
                         "dense models can use --end halt or --end length");
    if (cell_finish(&s, set, err, errlen) != 0) return -1;
    if (segments_finish(&s, set, err, errlen) != 0) return -1;
    if (s.loss == RNNC_LOSS_NLL && s.n_out < 2)
        return rnnc_fail(err, errlen,
                         "--loss: nll needs at least 2 output classes, got %zu", s.n_out);
    rnnc_layout l;
    if (rnnc_spec_layout(&s, &l, err, errlen) != 0) return -1;
    *out = s;
    return 0;
}

/* a*b, a+b with overflow and limit checks. */
static int mul_ok(size_t a, size_t b, size_t *r)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *r = a * b;
    return 1;
}

typedef struct { size_t cur, real_size; int ok; } carver;

/* Reserve n elements at the next 64-byte boundary; returns its offset in elements. */
static size_t carve(carver *c, size_t n)
{
    size_t per = 64 / c->real_size;
    size_t off = (c->cur + per - 1) / per * per;
    if (off < c->cur || off > SIZE_MAX - n) { c->ok = 0; return 0; }
    c->cur = off + n;
    return off;
}

static int product(size_t *r, size_t a, size_t b, size_t c)
{
    size_t t;
    return mul_ok(a, b, &t) && mul_ok(t, c, r);
}

/* The parameters and the initial state, in that order of the layout: U, W, V, b, c, then R
 * (last, so that models without it keep the hidden family's offsets). */
static int layout_params(const rnnc_spec *s, carver *c, rnnc_layout *l)
{
    size_t H = s->hidden, N = s->n_in, K = s->n_out, B = s->batch, nU, nW, nV, nR, GH;
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    if (!(product(&GH, H, (size_t)cell->gates, 1) && product(&nU, GH, N, 1) &&
          product(&nW, GH, rec->has_W ? H : 0, 1) && product(&nV, K, H, 1) &&
          product(&nR, H, rec->has_R ? K : 0, 1)))
        return 0;
    l->gh = GH;
    l->off_U = carve(c, nU);
    l->off_W = carve(c, nW);
    l->off_V = carve(c, nV);
    l->off_b = carve(c, GH);
    l->off_c = carve(c, K);
    l->off_R = carve(c, nR);
    const rnnc_end_info *end = &rnnc_ends[s->end];
    size_t M = end->has_length ? s->max_length : 0, nlw;
    if (!product(&nlw, M, H, 1)) return 0;
    l->off_halt_w = carve(c, end->has_halt ? H : 0);
    l->off_halt_b = carve(c, end->has_halt ? 1 : 0);
    l->off_len_w = carve(c, nlw);
    l->off_len_b = carve(c, M);
    l->off_rem_u = carve(c, end->has_length ? H : 0);
    l->off_bh = carve(c, cell->gates > 1 ? GH : 0);   /* last: the rnn cell's offsets stay */
    l->params_count = carve(c, 0);
    size_t sh, sk;
    /* h(0) always (an output recurrence ignores it: the step then needs h only as scratch) */
    if (!(product(&sh, B, H, 1) && product(&sk, B, rec->has_R ? K : 0, 1))) return 0;
    l->s0_h = 0;
    l->s0_fb = sh;
    l->s0_c = sh + sk;
    l->s0_count = sh + sk + (cell->has_c ? sh : 0);
    return c->ok;
}

/* The workspace: the nodes of every step, the transposed copies, the states. */
static int layout_workspace(const rnnc_spec *s, carver *c, rnnc_layout *l)
{
    /* Segments: the generated loop runs nseg segments of seg steps, the last of seg_last. */
    l->seg = s->segment ? s->segment : s->tau;
    l->nseg = (s->tau + l->seg - 1) / l->seg;
    l->seg_last = s->tau - (l->nseg - 1) * l->seg;
    size_t H = s->hidden, K = s->n_out, T = s->tau, B = s->batch, nh, nk, nhb, nW, nV, nR, nfb0,
           nfb, nctl;
    const rnnc_recurrence_info *rec = &rnnc_recurrences[s->rec];
    const rnnc_feedback_info *fb = &rnnc_feedbacks[s->fb];
    const int sched = rec->has_R && fb->needs_ctl, scratch = rec->has_R && fb->differentiable;
    /* recompute keeps one segment's nodes (and h at every segment's start) */
    const size_t TK = s->recompute ? l->seg : T;
    size_t nck = 0, ndn = 0;
    if (s->recompute && !(product(&nck, l->nseg, B, H) && product(&ndn, B, H, 1))) return 0;
    const rnnc_cell_info *cell = &rnnc_cells[s->cell];
    size_t nd, ng, nc, ngc;
    l->dcol = cell->gates > 1 ? 4 * H : H;    /* d(t): G H (gru: d and dw's n part, 4 H) */
    l->gcol = (size_t)cell->slots * H;
    if (!(product(&nd, TK, B, l->dcol) && product(&ng, TK, B, l->gcol) &&
          product(&nc, cell->has_c ? TK + 1 : 0, B, H) && product(&ngc, cell->has_c ? TK : 0, B, H)))
        return 0;
    if (!(product(&nh, TK + 1, B, H) && product(&nk, TK, B, K) && product(&nhb, TK, B, H) &&
          product(&nW, l->gh, rec->has_W ? H : 0, 1) && product(&nV, K, H, 1) &&
          product(&nR, H, rec->has_R ? K : 0, 1) && product(&nfb0, B, rec->has_R ? K : 0, 1) &&
          product(&nfb, sched ? T : scratch ? 1 : 0, B,
                  sched && rnnc_losses[s->loss].class_targets ? 1 : K) &&
          product(&nctl, T, B, sched ? 1 : 0)))
        return 0;
    l->ws_h = carve(c, nh);
    l->ws_p = carve(c, nk);
    l->ws_go = carve(c, nk);
    l->ws_gh = carve(c, nhb);
    l->ws_d = carve(c, nd);
    l->ws_gs0 = carve(c, l->s0_count);
    l->ws_wt = carve(c, nW);
    l->ws_vt = carve(c, nV);
    l->ws_rt = carve(c, nR);
    l->ws_s1 = carve(c, l->s0_count);
    l->ws_fb0 = carve(c, nfb0);
    /* an index per step and column for nll (an int32 in a real's place), else K reals */
    l->ws_fb = carve(c, nfb);
    l->ws_ctl = carve(c, nctl);
    const rnnc_end_info *end = &rnnc_ends[s->end];
    size_t ntb, nbm, M = end->has_length ? s->max_length : 0;
    if (!(product(&ntb, T, B, 1) && product(&nbm, B, M, 1))) return 0;
    l->ws_seq = carve(c, 3 * B);
    l->ws_rem = carve(c, end->has_length ? ntb : 0);
    l->ws_q = carve(c, end->has_halt ? ntb : 0);
    l->ws_gq = carve(c, end->has_halt ? ntb : 0);
    l->ws_pn = carve(c, nbm);
    l->ws_gn = carve(c, nbm);
    l->ws_hck = carve(c, nck);
    l->ws_dn = carve(c, ndn);
    l->ws_g = carve(c, ng);
    l->ws_c = carve(c, nc);
    l->ws_gc = carve(c, ngc);
    /* Two parts (halves of the batch, one per core) once each half fills a register
     * tile's columns (8); otherwise splitting would only slow the single thread. */
    l->parts = B % 2 == 0 && B >= 16 && !s->recompute ? 2 : 1;
    l->ws_loss = carve(c, l->parts * (8 / l->real_size));
    l->ws_count = carve(c, 0);
    return c->ok;
}

int rnnc_spec_layout(const rnnc_spec *s, rnnc_layout *l, char *err, size_t errlen)
{
    memset(l, 0, sizeof *l);
    size_t N = s->n_in, K = s->n_out, T = s->tau, B = s->batch;
    l->real_size = s->dtype == RNNC_DOUBLE ? 8 : 4;
    carver c = {0, l->real_size, 1};
    int ok = layout_params(s, &c, l);
    carver w = {0, l->real_size, 1};
    ok = ok && layout_workspace(s, &w, l);
    l->x_elem_size = s->onehot ? 4 : l->real_size;
    l->y_elem_size = rnnc_losses[s->loss].class_targets ? 4 : l->real_size;
    ok = ok && product(&l->x_count, T, B, s->onehot ? 1 : N) &&
         product(&l->y_count, T, B, rnnc_losses[s->loss].class_targets ? 1 : K) &&
         mul_ok(l->params_count, l->real_size, &l->params_bytes) &&
         mul_ok(l->ws_count, l->real_size, &l->ws_bytes) &&
         mul_ok(l->x_count, l->x_elem_size, &l->x_bytes) &&
         mul_ok(l->y_count, l->y_elem_size, &l->y_bytes) &&
         mul_ok(l->s0_count, l->real_size, &l->s0_bytes) &&
         mul_ok(l->params_count, 2, &l->opt_count) &&
         mul_ok(l->opt_count, l->real_size, &l->opt_bytes);
    if (!ok) return rnnc_fail(err, errlen, "--hidden: buffer sizes overflow size_t for this spec");
    const struct { const char *what, *opt; size_t bytes; } bufs[] = {
        {"parameters", "--hidden", l->params_bytes}, {"optimiser state", "--hidden", l->opt_bytes},
        {"workspace", "--tau", l->ws_bytes},
        {"inputs", "--tau", l->x_bytes}, {"targets", "--tau", l->y_bytes},
    };
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        if (bufs[i].bytes > RNNC_MAX_BUFFER_BYTES)
            return rnnc_fail(err, errlen,
                             "%s: the %s buffer would need %zu bytes, over the limit of %zu "
                             "(reduce hidden, tau, batch or the input/output size)",
                             bufs[i].opt, bufs[i].what, bufs[i].bytes, (size_t)RNNC_MAX_BUFFER_BYTES);
    return 0;
}

const char *rnnc_act_name(rnnc_act a) { return rnnc_acts[a].name; }
const char *rnnc_loss_name(rnnc_loss l) { return rnnc_losses[l].name; }
const char *rnnc_dtype_name(rnnc_dtype d) { return d == RNNC_DOUBLE ? "double" : "float"; }

static size_t format_with(const rnnc_spec *s, char *buf, size_t n, const char *pre, const char *sep)
{
    int len;
    if (s->onehot)
        len = snprintf(buf, n, "%svocab%s%zu", pre, sep, s->n_in);
    else
        len = snprintf(buf, n, "%sin%s%zu %sout%s%zu", pre, sep, s->n_in, pre, sep, s->n_out);
    if (len < 0 || (size_t)len >= n) return n ? n - 1 : 0;
    /* The recurrence and feedback only when not the default, hidden: specs of the hidden
     * family read as they always have (checkpoints, banners, golden files). */
    char rec[160] = "";
    size_t r = 0;
    if (s->rec != RNNC_REC_HIDDEN)
        r += (size_t)snprintf(rec, sizeof rec, " %srecurrence%s%s %sfeedback%s%s", pre, sep,
                              rnnc_recurrences[s->rec].name, pre, sep, rnnc_feedbacks[s->fb].name);
    if (s->end != RNNC_END_NONE && r < sizeof rec)
        r += (size_t)snprintf(rec + r, sizeof rec - r, " %send%s%s", pre, sep, rnnc_ends[s->end].name);
    if (rnnc_ends[s->end].has_length && r < sizeof rec)
        r += (size_t)snprintf(rec + r, sizeof rec - r, " %s%s%s%zu", pre, *pre ? "max-length" : "max_length",
                              sep, s->max_length);
    if (s->segment && r < sizeof rec)
        snprintf(rec + r, sizeof rec - r, " %s%s%s%zu", pre, s->recompute ? "memory" : "segment", sep,
                 s->segment);
    /* The cell only when gated: the rnn cell's specs read as they always have. */
    char cell[48] = "";
    if (s->cell != RNNC_CELL_RNN)
        snprintf(cell, sizeof cell, " %scell%s%s", pre, sep, rnnc_cells[s->cell].name);
    int more = snprintf(buf + len, n - (size_t)len,
                        " %shidden%s%zu %stau%s%zu %sbatch%s%zu%s %sact%s%s %sloss%s%s%s %sdtype%s%s "
                        "%sname%s%s%s",
                        pre, sep, s->hidden, pre, sep, s->tau, pre, sep, s->batch, cell, pre, sep,
                        rnnc_act_name(s->act), pre, sep, rnnc_loss_name(s->loss), rec, pre, sep,
                        rnnc_dtype_name(s->dtype), pre, sep, s->name,
                        s->fast ? (*pre ? " --fast" : " fast=yes") : "");
    if (more < 0) return (size_t)len;
    size_t total = (size_t)len + (size_t)more;
    return total >= n ? n - 1 : total;
}

size_t rnnc_spec_format(const rnnc_spec *s, char *buf, size_t n)
{
    return format_with(s, buf, n, "", "=");
}

size_t rnnc_spec_format_options(const rnnc_spec *s, char *buf, size_t n)
{
    return format_with(s, buf, n, "--", " ");
}
