/* gen.h: render a validated spec into C source text (NAME.h and NAME.c).  The runtime asks
 * for text here and never depends on how it is made; gen never depends on the runtime. */
#ifndef RNNC_GEN_H
#define RNNC_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "spec.h"

/* The header NAME.h.  On success (0) *text is malloc'd and NUL-terminated. */
int rnnc_gen_header(const rnnc_spec *s, char **text, size_t *len, char *err, size_t errlen);

/* The source NAME.c.  With unit = 1, the header is inlined where NAME.c includes it, with
 * #line directives so compiler messages still name NAME.h / NAME.c and their lines: one
 * self-contained translation unit for the in-process compilers. */
int rnnc_gen_source(const rnnc_spec *s, int unit, char **text, size_t *len, char *err,
                    size_t errlen);

/* Write DIR/NAME.h and DIR/NAME.c as a pair: both to temporaries, then both renamed (see
 * rnnc_write_atomic_set for the remaining window).  NAME.h defines NAME_PAIR_HASH and NAME.c
 * does not compile against a header with another value, so a pair from two runs is a compile
 * error.  Returns 0, or -1 with a message naming the file. */
int rnnc_gen_write(const rnnc_spec *s, const char *dir, char *err, size_t errlen);

/* What an embedded (inference-only) model is made of, besides its spec. */
typedef struct rnnc_embed_input {
    const void *params;        /* params_count reals of the spec's dtype, training layout */
    const uint32_t *vocab;     /* one-hot models: the symbol of each class */
    size_t vocab_size;
    int utf8;                  /* symbols are Unicode code points (else bytes) */
    const char *origin;        /* one line for the banner, e.g. "checkpoint at step 1000" */
    const void *h0;            /* a learned initial state (hidden reals), or NULL: zeros */
    long boundary;             /* records of text: the boundary symbol's class, else -1 */
} rnnc_embed_input;

/* The embedded model's NAME.h and NAME.c: the weights as constant arrays printed exactly
 * (hexadecimal floating constants), the vocabulary, and the streaming API of
 * templates/embed.h.  On success both texts are malloc'd. */
int rnnc_gen_embed(const rnnc_spec *s, const rnnc_embed_input *in, char **header, char **source,
                   char *err, size_t errlen);

/* Write them to DIR/NAME.h and DIR/NAME.c as a pair, as rnnc_gen_write does (the pair hash
 * covers the weights, vocabulary and origin too). */
int rnnc_gen_embed_write(const rnnc_spec *s, const rnnc_embed_input *in, const char *dir,
                         char *err, size_t errlen);

#endif
