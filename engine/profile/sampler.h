/*
 * sampler.h — sampling a target's Python stacks at a steady rate.
 *
 * The sampler knows nothing of profiles, Lua or terminals: each sample (one
 * thread's stack at one moment) goes to an `emit` callback, which the shell
 * wires to the profile store and Lua to its on_sample function.  It stops at
 * the duration, when emit returns non-zero, on Ctrl-C (pyspy_interrupted), or
 * when the target exits — keeping everything emitted so far in each case.
 */
#ifndef PYSPY_SAMPLER_H
#define PYSPY_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/python/snapshot.h"

/*
 * What a sample weighs.  SAMPLER_CPU (the default): the CPU time the thread
 * used since the previous tick, in µs, from /proc/PID/task/TID/schedstat —
 * a thread that used none is not sampled at all; on a kernel without
 * schedstats, one sample per thread the kernel shows running ('R', which
 * also means queued for a CPU).  SAMPLER_WALL: every thread every tick, one
 * sample each.  SAMPLER_GIL: the thread holding the GIL, one sample.
 * SAMPLER_EXCEPTION: every thread raising or handling an exception
 * (exc_state.h), one sample each.
 */
enum sampler_mode { SAMPLER_CPU, SAMPLER_WALL, SAMPLER_GIL, SAMPLER_EXCEPTION };

struct sample {
	uint64_t timestamp_us;     /* since the sampler started */
	uint64_t weight;           /* µs of CPU (stats.cpu_weights), else 1 */
	const struct py_thread *thread;   /* thread_id, os_tid, name, active, gil, frames */
	const struct target *target;      /* the process it was read from */
};

struct sampler_stats {
	uint64_t ticks;            /* times the target was looked at */
	uint64_t samples;          /* thread stacks emitted */
	uint64_t errors;           /* ticks or stacks that could not be read */
	uint64_t torn;             /* stacks that did not validate (read while changing), even when read again */
	uint64_t retried;          /* walks read again because they came back torn */
	uint64_t held;             /* of those, read with their thread held (still torn after the re-reads) */
	uint64_t held_ns;          /* how long those reads held their threads, in all */
	uint64_t unchanged;        /* stacks kept from an earlier tick: their thread has not run since */
	uint64_t quiet;            /* ticks that read only the GIL holder's thread state (threads_refresh) */
	uint64_t late;             /* scheduled ticks missed because the sampler fell behind (more than an
	                              interval late): ticks + late is about the rate times the time */
	uint64_t reads;            /* remote reads issued */
	uint64_t native_failed;    /* native: stacks kept Python-only (unwind or merge failed) */
	uint64_t weight;           /* the samples' weights added up */
	bool cpu_weights;          /* weights are µs of CPU (else samples: 1 each) */
	bool no_schedstat;         /* cpu mode fell back to the state letter: the kernel has no schedstat */
	double elapsed_s;
	char stop_msg[256];        /* why it stopped early, if it did ("pid 42 exited") */
	char error_msg[512];       /* the last error counted in `errors`, for the summary */
};

struct sampler_opts {
	double rate;               /* ticks per second, > 0 */
	double duration;           /* seconds; 0 = until interrupted */
	enum sampler_mode mode;
	bool blocking;             /* pause the target for each tick */
	bool never_hold;           /* nonblocking: a walk still torn after its re-reads is dropped, not
	                              read once more with its one thread held (pause_task) */
	bool native;               /* merge C frames in (native.h); needs blocking */
	bool native_all;           /* with native: keep the interpreter's call plumbing */
	bool by_task;              /* profile_sample(): re-root samples at asyncio tasks (aio_root.h) */
	bool subprocesses;         /* profile_sample(): the target and its Python descendants (proc_group.h) */
	int (*emit)(void *ctx, const struct sample *s);            /* non-zero: stop */
	void (*progress)(void *ctx, const struct sampler_stats *st); /* a few times a second */
	void *ctx;
};

/* Sample until done.  Returns 0 (including a stop by emit, Ctrl-C or the
 * target exiting — see stats.stop_msg), or a negative code when not even one
 * tick could be taken. */
int sampler_run(struct target *t, const struct sampler_opts *o, struct sampler_stats *st, struct pyspy_err *e);

/*
 * Several processes at the same rate (--subprocesses): every tick reads each
 * target in turn, each with its own state and read-ahead, exactly as
 * sampler_run() reads one, and counts once in stats.ticks.  refresh, when
 * set, is called before each tick and may append targets to t[0..n) (never
 * remove or move one: they stay attached until the run returns).  A target
 * that exits or execs is read no more (its samples are kept); the run ends
 * when every target is gone, or as sampler_run() does.
 */
struct sampler_group {
	struct target **t;
	size_t n;
	void (*refresh)(void *ctx, struct sampler_group *g, uint64_t now_ns);
	void *ctx;
};
int sampler_run_group(struct sampler_group *g, const struct sampler_opts *o, struct sampler_stats *st,
		      struct pyspy_err *e);

#endif
