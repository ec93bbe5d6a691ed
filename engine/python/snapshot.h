/*
 * snapshot.h — the threads of a target and their Python stacks at one moment.
 *
 * snapshot_take() is the engine's main entry point for `threads`, `bt`,
 * `locals` and the Lua `pyspy.threads()`.  With SNAP_PAUSE it seizes every
 * task (PTRACE_SEIZE + PTRACE_INTERRUPT, never SIGSTOP: a killed pyspy-sh
 * leaves the target running) so what it reads is consistent; without, it reads
 * a running process and a walk may come back torn, which is reported per
 * thread, not fatal.
 */
#ifndef PYSPY_SNAPSHOT_H
#define PYSPY_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/os/pause.h"
#include "frames.h"
#include "target.h"
#include "threads.h"

struct snapshot {
	struct py_thread *threads;
	size_t nthreads;
	bool paused;               /* the target was paused while read */
	bool partial;              /* some part could not be read */
	char pause_msg[512];       /* why pausing failed, if it did */
	struct pause hold;         /* with SNAP_KEEP_PAUSED: held until snapshot_release() */
	unsigned long reads;       /* remote reads (syscalls) the snapshot made */
	unsigned long stack_reads; /* of which: thread list and frame walks */
};

enum snap_flags {
	SNAP_FRAMES = 1 << 0,
	SNAP_NAMES = 1 << 1,
	SNAP_STATUS = 1 << 2,
	SNAP_GIL = 1 << 3,
	SNAP_PAUSE = 1 << 4,
	SNAP_KEEP_PAUSED = 1 << 5, /* with SNAP_PAUSE: stay paused until snapshot_release(),
				      so values read after the walk (locals) match it */
	SNAP_ALL = SNAP_FRAMES | SNAP_NAMES | SNAP_STATUS | SNAP_GIL,
};

/* Take a snapshot.  Fails only when nothing could be read (the process is gone,
 * the interpreter is unreadable); per-thread failures are in the threads. */
int snapshot_take(struct target *t, unsigned flags, struct snapshot *s, struct pyspy_err *e);
/* Free the snapshot, and let the target run if it was kept paused. */
void snapshot_release(struct snapshot *s);

#endif
