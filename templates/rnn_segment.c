/*@ SEGMENT_PRELUDE @*/
/* templates/rnn_segment.c: the written-out steps of one segment of the unrolled graph, copied
 * into the training source (templates/rnn.c) once per segment length: RNN_SEG_STEPS steps,
 * the functions named by RNN_SEG_FN (rnn_forward_last / rnn_forward_seg ...).  Step j of
 * the functions below is step t0 + j of the chunk; with one segment (the default) t0 = 0
 * and the numbers in the equations are the chunk's own.  The stub here lets this file
 * compile on its own (against templates/rnn.h; the kernels are not called by the stubs). */
#include "rnn.h"
#define RNN_SEG_FN(name) name##_last
#define RNN_SEG_STEPS 3
/*@ end @*/

/* The forward pass of the segment's steps, every column of a part: x, y, h (its h(0)), p, q,
 * rem, g (the gates) and cs (c(t) of a gated cell, at its c(0)) point at the segment's first
 * step, fb0, fb, ctl, seq at the chunk's.  Returns the segment's loss (10.13). */
static double RNN_SEG_FN(rnn_forward)(const rnn_real *params, const rnn_input *x,
                                      const rnn_target *y, rnn_real *h, rnn_real *p,
                                      const rnn_real *fb0, rnn_real *fb, const rnn_real *ctl,
                                      const rnn_real *seq, const rnn_real *rem, rnn_real *q,
                                      rnn_real *g, rnn_real *cs, size_t t0)
{
    double loss = 0;
    /*@ FORWARD_STEPS @*/
    /*@ end @*/
    (void)params, (void)x, (void)y, (void)h, (void)p, (void)fb0, (void)fb, (void)ctl, (void)seq,
        (void)rem, (void)q, (void)g, (void)cs, (void)t0;
    return loss;
}

/* The backward sweep of the segment's steps, t = RNN_SEG_STEPS down to 1, every column of a
 * part: y, h, p, go, gh, d, q, gq, g, gc point at the segment's first step (h and cs at its
 * h(0), c(0)), dn at d(t0 + RNN_SEG_STEPS + 1) (null after the chunk's last step). */
static void RNN_SEG_FN(rnn_backward)(const rnn_real *params, const rnn_target *y,
                                     const rnn_real *h, const rnn_real *p, rnn_real *go,
                                     rnn_real *gh, rnn_real *d, const rnn_real *dn, rnn_real *r,
                                     const rnn_real *WT, const rnn_real *VT, const rnn_real *RT,
                                     const rnn_real *seq, const rnn_real *q, rnn_real *gq,
                                     const rnn_real *g, const rnn_real *cs, rnn_real *gc, size_t t0)
{
    /*@ BACKWARD_STEPS @*/
    /*@ end @*/
    (void)params, (void)y, (void)h, (void)p, (void)go, (void)gh, (void)d, (void)dn, (void)r,
        (void)WT, (void)VT, (void)RT, (void)seq, (void)q, (void)gq, (void)g, (void)cs, (void)gc,
        (void)t0;
}

/* Part `part`'s share of the parameter gradients (10.22)-(10.28) of the segment's steps:
 * go, d, h (its h(0)), x at the segment's first step. */
static void RNN_SEG_FN(rnn_grads)(rnn_real *grads, const rnn_real *go, const rnn_real *d,
                                  const rnn_real *h, const rnn_input *x, const rnn_real *fb0,
                                  const rnn_real *fb, const int32_t *idx, const rnn_real *ws,
                                  size_t part, size_t t0)
{
    /*@ PARAM_GRADS @*/
    /*@ end @*/
    (void)grads, (void)go, (void)d, (void)h, (void)x, (void)fb0, (void)fb, (void)idx, (void)ws,
        (void)part, (void)t0;
}
/*@ SEGMENT_EPILOGUE @*/
/* stub: uses the functions, so this file also compiles alone under -Wall -Werror */
void rnn_segment_stub(void);
void rnn_segment_stub(void)
{
    (void)RNN_SEG_FN(rnn_forward)(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    RNN_SEG_FN(rnn_backward)(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    RNN_SEG_FN(rnn_grads)(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
/*@ end @*/
