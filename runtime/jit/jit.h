/* jit.h: one small interface over the two ways of turning generated C into callable code.
 *   tcc: libtcc compiles the source in memory (instant start, slower code);
 *   cc:  the system compiler builds a shared object, cached by a hash of source, compiler
 *        and flags, which is then dlopen'ed (slower start, fast code).
 * Library code: returns status codes with a message; never prints or exits. */
#ifndef RNNC_JIT_H
#define RNNC_JIT_H

#include <stddef.h>

typedef enum { RNNC_BACKEND_TCC, RNNC_BACKEND_CC } rnnc_backend;

typedef struct rnnc_jit rnnc_jit;

/* Parse "tcc" or "cc".  Returns 0, or -1 if name is neither. */
int rnnc_backend_parse(const char *name, rnnc_backend *out);
const char *rnnc_backend_name(rnnc_backend b);

/* Compile src (a NUL-terminated translation unit; name is used for messages and cache file
 * names).  fast selects the --fast flags for cc.  On failure returns NULL and writes the
 * compiler's messages (with file and line) into err. */
rnnc_jit *rnnc_jit_compile(rnnc_backend b, const char *src, const char *name, int fast,
                           char *err, size_t errlen);

/* Address of symbol sym, or NULL. */
void *rnnc_jit_symbol(rnnc_jit *j, const char *sym);

/* Free the compiled code (NULL is allowed). */
void rnnc_jit_free(rnnc_jit *j);

/* Milliseconds the last compile took (cache hits for cc count as the dlopen time), and
 * whether it was served from the cc cache. */
double rnnc_jit_compile_ms(const rnnc_jit *j);
int rnnc_jit_cache_hit(const rnnc_jit *j);

/* The backend halves.  jit/tcc.c is the only file that includes libtcc.h. */
void *rnnc_tcc_compile(const char *src, char *err, size_t errlen);   /* -> TCCState* */
void *rnnc_tcc_symbol(void *state, const char *sym);
void rnnc_tcc_free(void *state);
/* -> dlopen handle; *keep_fd: the descriptor of the loaded .so, to close after dlclose. */
void *rnnc_cc_open(const char *src, const char *name, int fast, int *cache_hit, int *keep_fd,
                   char *err, size_t errlen);

/* Cancel every cc compile of this process, now and later: the compilers' process groups get
 * SIGTERM (SIGKILL half a second later if needed), and rnnc_jit_compile on cc returns NULL
 * with "cc: the compile was cancelled".  Async-signal-safe: meant for SIGINT / SIGTERM
 * handlers.  rnnc_cc_cancel_reset lets later compiles run again. */
void rnnc_cc_cancel(void);
void rnnc_cc_cancel_reset(void);

/* The pending one-line notice of the cc cache (a cache directory or cached file refused and
 * why, what was done instead), copied to buf; 1 if there was one, else 0.  Each notice is
 * returned once; the caller shows it (library code never prints).  Thread-safe. */
int rnnc_cc_take_notice(char *buf, size_t n);

#endif
