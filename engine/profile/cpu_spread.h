/*
 * cpu_spread.h — giving a thread's CPU time to the stacks it had while it ran.
 *
 * The kernel's per-thread CPU accounting (schedstat) advances only at
 * scheduler events: a thread that runs without pause is credited in lumps
 * every few milliseconds, so at a 1 kHz tick most ticks see no change and one
 * then sees a lump.  Giving the whole lump to the stack of the tick that saw
 * it biases the profile wherever the program's phases line up with the
 * kernel's tick: a program that ran 60/30/10% in three functions in 20 ms
 * rounds came out 54/30/14%.  So the stacks of the ticks at which the thread
 * was shown running (state R) are kept, and when the lump arrives it is
 * split evenly over them and the stack of the tick that saw it.
 *
 * A thread's pending stacks are keyed by its kernel tid.  At most
 * CPU_SPREAD_MAX are kept: past that (a high rate, or a long wait for credit)
 * a uniform sample of the window's stacks is kept, so the credit is not
 * given to the end of the window only.
 */
#ifndef PYSPY_CPU_SPREAD_H
#define PYSPY_CPU_SPREAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/python/threads.h"

#define CPU_SPREAD_MAX 32

struct cpu_spread {
	struct spread_thread *v;
	size_t cap, n;
	uint64_t rng;              /* xorshift state; 0 is replaced by a seed */
};

/* Keep th's stack (th->frames, copied) as taken at ts_us. 0 or -1 (no memory). */
int cpu_spread_hold(struct cpu_spread *c, const struct py_thread *th, uint64_t ts_us);

/* Visit every stack held for th's tid, oldest first, with its share of
 * `weight` (the shares add up to it; the last one, th's own stack if it was
 * held last, gets the remainder), then forget them.  visit returns non-zero
 * to stop (the rest are dropped).  Returns what visit returned, or 0. */
typedef int (*cpu_spread_visit_fn)(void *ctx, const struct py_frame *frames, size_t nframes,
				   uint64_t ts_us, uint64_t weight);
int cpu_spread_release_to(struct cpu_spread *c, pid_t tid, uint64_t weight, cpu_spread_visit_fn visit,
			  void *ctx);

/* Forget the threads nothing was held for since the previous sweep (threads
 * that ended, or that run no more): call every few hundred ticks so the table
 * follows the live threads. */
void cpu_spread_sweep(struct cpu_spread *c);

void cpu_spread_free(struct cpu_spread *c);

#endif
