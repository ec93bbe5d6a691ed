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
#include "target.h"

struct code_info;

struct py_frame {
	const char *function;      /* co_name, interned; "???" when unreadable */
	const char *qualname;      /* co_qualname on 3.11+, else co_name */
	const char *file;          /* co_filename, interned */
	int line;                  /* -1 when unknown */
	raddr_t code;              /* the code object */
	raddr_t addr;              /* the PyFrameObject (≤3.10) or _PyInterpreterFrame (3.11+) */
	int lasti;                 /* byte offset of the instruction */
	bool entry;                /* the C stack entered the interpreter here (3.11+) */
	struct code_info *ci;      /* cache entry, valid while the target is attached */
};

struct py_thread {
	int number;                /* 1-based, oldest first */
	raddr_t tstate;
	uint64_t thread_id;        /* threading.get_ident() */
	pid_t os_tid;              /* kernel tid, 0 if unknown */
	char *name;                /* threading's name, malloc'd; NULL if unknown */
	char state;                /* /proc state letter before pausing; 0 if unknown */
	bool active;               /* running (state R) */
	int gil;                   /* 1 holds it, 0 does not, -1 unknown */
	struct py_frame *frames;   /* innermost first */
	size_t nframes;
	size_t frames_cap;         /* allocated; kept when a py_thread is reused (the sampler) */
	int walk_error;            /* 0, or the negative code that cut the walk short */
	char walk_msg[512];
};

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

/* Walk one thread's frames from its PyThreadState bytes (t->tstate_len of them). */
int frames_walk(struct target *t, const uint8_t *tstate, struct py_thread *th, struct pyspy_err *e);

/* The threading module's name for a thread; 0, or -1 when it has none. */
int thread_name(struct target *t, uint64_t thread_id, char *buf, size_t len);

/* The thread state holding the GIL (0: nobody); -1 when it cannot be known. */
int gil_holder(struct target *t, raddr_t *holder);

/* 2.7–3.10: fill os_tid of each thread from glibc's struct pthread, given the
 * process's task ids (see snapshot.c for how the offset is found). */
void map_tids_from_pthread(struct target *t, struct snapshot *s, const pid_t *tids, size_t ntids);

#endif
