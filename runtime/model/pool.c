/* pool.c: the thread team of pool.h.  A stage is published by bumping a generation counter;
 * members spin on it for a short while (a training step's stages follow each other within
 * microseconds) and then sleep on a condition variable, so an idle team costs nothing. */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/util.h"

/* Spin iterations before sleeping: about 50-100 us on current x86 cores. */
#define RNNC_POOL_SPIN 20000

struct rnnc_pool {
    int n;
    pthread_t *threads;
    int started;                 /* threads created */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    atomic_uint gen;             /* bumped once per stage */
    atomic_int pending;          /* members 1..n-1 still running the current stage */
    atomic_int stop;
    rnnc_pool_fn fn;             /* the current stage: written before gen is bumped */
    void *ctx;
};

typedef struct { rnnc_pool *p; int part; } member_arg;

static void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Wait until gen differs from seen (or stop); returns the new generation. */
static unsigned wait_stage(rnnc_pool *p, unsigned seen)
{
    unsigned g;
    for (int i = 0; i < RNNC_POOL_SPIN; i++) {
        g = atomic_load(&p->gen);
        if (g != seen || atomic_load(&p->stop)) return g;
        relax();
    }
    pthread_mutex_lock(&p->lock);
    while ((g = atomic_load(&p->gen)) == seen && !atomic_load(&p->stop))
        pthread_cond_wait(&p->wake, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return g;
}

static void *member_main(void *varg)
{
    member_arg a = *(member_arg *)varg;
    rnnc_pool *p = a.p;
    free(varg);
    unsigned seen = 0;
    for (;;) {
        seen = wait_stage(p, seen);
        if (atomic_load(&p->stop)) return NULL;
        p->fn(p->ctx, a.part);
        if (atomic_fetch_sub(&p->pending, 1) == 1) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->lock);
        }
    }
}

rnnc_pool *rnnc_pool_start(int n, char *err, size_t errlen)
{
    if (n < 1 || n > 64) {
        rnnc_fail(err, errlen, "threads: %d is not in 1..64", n);
        return NULL;
    }
    rnnc_pool *p = calloc(1, sizeof *p);
    if (!p || !(p->threads = calloc((size_t)n, sizeof *p->threads))) {
        free(p);
        rnnc_fail(err, errlen, "threads: out of memory");
        return NULL;
    }
    p->n = n;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    atomic_init(&p->gen, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->stop, 0);
    for (int i = 1; i < n; i++) {
        member_arg *a = malloc(sizeof *a);
        int rc = a ? 0 : -1;
        if (a) {
            a->p = p;
            a->part = i;
            rc = pthread_create(&p->threads[i], NULL, member_main, a);
            if (rc != 0) free(a);
        }
        if (rc != 0) {
            rnnc_fail(err, errlen, "threads: cannot start thread %d of %d: %s", i + 1, n,
                      a ? strerror(rc) : "out of memory");
            rnnc_pool_stop(p);
            return NULL;
        }
        p->started = i;
    }
    return p;
}

int rnnc_pool_size(const rnnc_pool *p) { return p->n; }

void rnnc_pool_run(rnnc_pool *p, rnnc_pool_fn fn, void *ctx)
{
    if (p->n == 1) {
        fn(ctx, 0);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store(&p->pending, p->n - 1);
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add(&p->gen, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    fn(ctx, 0);
    for (int i = 0; i < RNNC_POOL_SPIN && atomic_load(&p->pending) != 0; i++) relax();
    if (atomic_load(&p->pending) != 0) {
        pthread_mutex_lock(&p->lock);
        while (atomic_load(&p->pending) != 0) pthread_cond_wait(&p->done, &p->lock);
        pthread_mutex_unlock(&p->lock);
    }
}

void rnnc_pool_stop(rnnc_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i <= p->started; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}
