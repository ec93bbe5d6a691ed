/*
 * sampler_impl.h — the sampler's state, shared by its two files (private to
 * engine/profile/): sampler.c runs the loop and a tick (pacing, the
 * scheduler's accounting, weights, emitting); sampler_walk.c reads the
 * tick's thread list (all of it, or the GIL holder's state alone), one
 * thread's stack truthfully from a running target (re-reads, the held read),
 * and says which stacks cannot have changed since they were read.
 */
#ifndef PYSPY_SAMPLER_IMPL_H
#define PYSPY_SAMPLER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/native/native.h"
#include "engine/os/taskstat.h"
#include "engine/python/threads.h"
#include "cpu_spread.h"
#include "sampler.h"
#include "thread_names.h"

enum { SKIP, KEEP, WALK };

struct tick_plan {
	uint64_t weight;
	int what;                      /* SKIP, KEEP (unchanged()) or WALK */
};

struct sampler {
	struct target *t;
	const struct sampler_opts *o;
	struct sampler_stats *st;
	struct thread_list list;       /* reused tick after tick */
	struct taskstat tasks;         /* per-task stat/schedstat descriptors */
	bool cpu;                      /* weights are CPU time (cpu mode, schedstat present) */
	bool first_tick;               /* no baseline yet: every thread gets one, none weighs */
	uint64_t tick_ns, prev_tick_ns;   /* when this tick and the previous one began */
	struct thread_names names;
	struct cpu_spread spread;      /* cpu mode: stacks waiting for their thread's CPU credit */
	raddr_t none;                  /* exception mode: Py_None, once seen */
	uint64_t rng;
	uint64_t oversleep;            /* how late a sleep wakes, averaged (ns) */
	uint64_t prepause_ns;          /* blocking: when the states were read, before pausing */
	bool keep_stacks;              /* a thread that has not held the GIL keeps its stack (unchanged()) */
	bool have_gil;                 /* this tick's handoff count was read */
	bool hold_refused;             /* a thread could not be held (walk_held): do not try again */
	raddr_t *last_addrs;           /* walk(): the frames of a thread's last walk */
	size_t last_cap;
	struct tick_plan *plan;        /* per thread, this tick */
	size_t plan_cap;
	struct remote_iov *iov;        /* the pieces plan() fetches */
	size_t iov_cap;
	struct gil_switches gil;       /* this tick's (the last tick's, until tick() reads it) */
	bool list_ok;                  /* `list` is what the last tick read: threads_refresh() may stand in */
	struct native_stack ns;        /* native: reused tick after tick */
	struct py_frame *merged;       /* native: the merged stack handed to emit */
	size_t merged_cap;
	/* sampler_run_group: */
	bool live;                     /* not exited or exec'd */
	bool ahead;                    /* its read-ahead was enabled */
	unsigned long reads0;          /* t->mem.nreads at the start */
	uint64_t next_exec_check;
};

/* The tick's thread list (sm->list) and the GIL's state (sm->gil, *holder):
 * all of it read, or only the holder's state when the GIL says nothing else
 * ran (sampler_walk.c).  0, or the error threads_read() gave. */
int sampler_threads(struct sampler *sm, raddr_t *holder, bool *have_holder, struct pyspy_err *e);
/* Walk thread i of this tick's list: re-read when torn, held at last (sampler_walk.c). */
int sampler_walk(struct sampler *sm, size_t i, struct pyspy_err *we);
/* Whether th's stack as last read is still its stack: it has not held the GIL since. */
bool sampler_unchanged(const struct sampler *sm, const struct py_thread *th);
/* th was walked this tick: remember what unchanged() compares with. */
void sampler_note_read(struct sampler *sm, struct py_thread *th);

#endif
