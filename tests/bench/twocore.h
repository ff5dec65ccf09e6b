/* tests/bench/twocore.h: what the two-core benchmarks (batch1_split.c, handoff.c) share: a
 * monotonic clock, a sense-reversing spin barrier for two threads on C11 atomics, and pinning
 * a thread to a CPU.  Header-only (static functions): each benchmark is one standalone file
 * built with the cc backend's flags plus -pthread. */
#ifndef RNNC_BENCH_TWOCORE_H
#define RNNC_BENCH_TWOCORE_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sense-reversing spin barrier for two threads; count and sense on their own cache lines.
 * Set count to 2 and sense to 0 before the threads use it. */
struct spin_barrier {
    _Alignas(64) atomic_uint count;
    _Alignas(64) atomic_uint sense;
};

/* Wait until both threads arrive; *local is the caller's sense (flipped on each call). */
static void spin_wait(struct spin_barrier *b, unsigned *local)
{
    unsigned s = !*local;
    *local = s;
    if (atomic_fetch_sub_explicit(&b->count, 1, memory_order_acq_rel) == 1) {
        atomic_store_explicit(&b->count, 2, memory_order_relaxed);
        atomic_store_explicit(&b->sense, s, memory_order_release);
    } else {
        while (atomic_load_explicit(&b->sense, memory_order_acquire) != s) CPU_RELAX();
    }
}

/* Pins the calling thread to cpu; a note on stderr naming the program (once) if that fails. */
static void pin(int cpu, const char *program)
{
    static atomic_int warned;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0 && atomic_fetch_add(&warned, 1) == 0)
        fprintf(stderr, "%s: note: cannot pin threads to CPUs 0 and 1; not pinned\n", program);
}

#endif
