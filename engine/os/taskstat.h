/*
 * taskstat.h — what the scheduler says about each task of a process, read
 * through one open descriptor per task so that a tick costs one pread each.
 *
 * Two files per task: /proc/PID/task/TID/stat for the state letter (R, S,
 * D, t...), and /proc/PID/task/TID/schedstat whose first field is the task's
 * time on a CPU in nanoseconds, as the scheduler accounts it.  The sampler
 * weights each stack by the CPU time its thread used since the previous
 * tick; the state letter is only a fallback for kernels built without
 * schedstats (the file is then absent), because R means "running or waiting
 * for a CPU": with more runnable threads than cores most R threads are queued.
 *
 * The table grows with the threads (open addressing keyed by tid, no fixed
 * size) and taskstat_sweep() closes the descriptors of tasks not asked about
 * for a while, so a long run over churning threads holds no stale fds.  A
 * descriptor outlives its task: a pread on it then fails and the slot is
 * opened again, which also catches a tid the kernel handed to a new thread.
 */
#ifndef PYSPY_TASKSTAT_H
#define PYSPY_TASKSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct taskstat_entry {
	pid_t tid;                 /* 0: empty slot */
	int stat_fd, sched_fd;     /* -1 when not open */
	uint64_t used;             /* the last round that asked about it */
	char state;                /* as last read */
	uint64_t state_ns;         /* when (clock_now_ns) */
	uint64_t cpu_ns;           /* on-CPU time, as last read */
	uint64_t cpu_at;           /* when (clock_now_ns) */
	uint64_t base_ns;          /* the caller's baseline (the CPU time already attributed) */
	bool have_base;
};

struct taskstat {
	pid_t pid;
	struct taskstat_entry *v;  /* open addressing, cap a power of two */
	size_t n, cap;
	uint64_t round;            /* taskstat_sweep() advances it */
	int schedstat;             /* 1 the kernel has it, 0 it has not, -1 not known yet */
};

void taskstat_init(struct taskstat *ts, pid_t pid);
void taskstat_release(struct taskstat *ts);

/* The entry of tid, made (descriptors not opened yet) if new; NULL only
 * when out of memory.  Valid until the next taskstat_get or sweep. */
struct taskstat_entry *taskstat_get(struct taskstat *ts, pid_t tid);

/* Read the state letter into en->state (0 when the task is gone). */
char taskstat_state(struct taskstat *ts, struct taskstat_entry *en, uint64_t now_ns);

/* Read the on-CPU time into en->cpu_ns (and now_ns into en->cpu_at): 0, -1
 * when the task is gone, -2 when the kernel has no schedstat file.  When the
 * file had to be opened (first read, or the old descriptor's task ended and
 * the tid is another task's now) en->have_base is cleared: the caller's
 * baseline belonged to no task or to another one. */
int taskstat_cpu(struct taskstat *ts, struct taskstat_entry *en, uint64_t now_ns);

/* Whether the kernel gives schedstat for this process (asks once, then remembers). */
bool taskstat_has_cpu(struct taskstat *ts);

/* End a round: close and forget the tasks not asked about in the last
 * `keep` rounds. */
void taskstat_sweep(struct taskstat *ts, uint64_t keep);

#endif
