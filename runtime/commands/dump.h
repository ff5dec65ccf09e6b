/* dump.h: `rnnc check --dump FILE`: the random problem of `rnnc check --seed` (problem.h), the
 * generated forward and backward pass on it, and every node and gradient, written as
 * safetensors for other tools to read.  Library code: returns a status with a message; never
 * prints or exits. */
#ifndef RNNC_DUMP_H
#define RNNC_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "../../gen/spec.h"
#include "../jit/jit.h"

/* Run the generated forward and backward pass of s (backend b) on the random problem of
 * seed and write, as safetensors at path: the inputs x, y, h0; the parameters U W V b c;
 * the loss (F64 scalar); every node h, p, g_o, grad_h, d, grad_h0; every gradient
 * grad_U .. grad_c; with an output recurrence also fb0, R, the fed-back fb(t), grad_fb0 and
 * grad_R (and without a hidden one no W, grad_W, grad_h0).  Row-major, in the model's dtype
 * (class indices as I32), with metadata spec, layout, seed, backend and a description of
 * each tensor under its own name.  Returns 0, or -1 with a message. */
int rnnc_check_dump(const rnnc_spec *s, rnnc_backend b, uint64_t seed, const char *path,
                    char *err, size_t errlen);

#endif
