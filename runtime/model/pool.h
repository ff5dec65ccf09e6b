/* pool.h: a fixed team of threads that run the parts of one stage at once (the batch parts
 * of a generated model's NAME_train_part).  The calling thread is member 0; the others
 * wait, spinning briefly and then blocked, for the next stage.  Library code: returns
 * status codes, never exits. */
#ifndef RNNC_POOL_H
#define RNNC_POOL_H

#include <stddef.h>

typedef struct rnnc_pool rnnc_pool;

/* The work of member `part` (0 <= part < n) in one stage. */
typedef void (*rnnc_pool_fn)(void *ctx, int part);

/* Start a team of n members (n - 1 new threads; 1 <= n <= 64).  Returns the pool, or NULL
 * with the reason in err. */
rnnc_pool *rnnc_pool_start(int n, char *err, size_t errlen);

/* Members of p. */
int rnnc_pool_size(const rnnc_pool *p);

/* Run fn(ctx, part) for every part 0..n-1 at once, part 0 on the calling thread; returns
 * when every part has returned.  One caller at a time. */
void rnnc_pool_run(rnnc_pool *p, rnnc_pool_fn fn, void *ctx);

/* Stop and join the threads and free p (NULL is fine). */
void rnnc_pool_stop(rnnc_pool *p);

#endif
