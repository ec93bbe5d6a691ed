/*
 * threads.h — the interpreter's threads: its list of thread states, read the
 * same way by a snapshot and by every tick of the sampler, and what is known
 * of each thread beyond its stack (its threading name, whether it holds the
 * GIL, its kernel tid on versions that do not record it).
 */
#ifndef PYSPY_THREADS_H
#define PYSPY_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target.h"

/* A list longer than this is a loop or garbage, not a program's threads. */
#define THREADS_MAX 4096
/* The same for the list of interpreters (subinterpreters, 3.12+). */
#define INTERPS_MAX 256
/* How often the sampler asks a runtime with no subinterpreter for new ones. */
#define INTERPS_EVERY_NS 500000ull

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
	raddr_t entry_frame;       /* 3.12+, on an entry frame: the shim _PyInterpreterFrame it was entered
	                              from, a local of the C evaluation call (its address is on the C stack) */
	struct code_info *ci;      /* cache entry, valid while the target is attached */
};

struct py_thread {
	int number;                /* 1-based, oldest first */
	raddr_t tstate;
	raddr_t interp;            /* the PyInterpreterState it belongs to */
	int64_t interp_id;         /* that interpreter's id: 0 is the main one */
	uint64_t thread_id;        /* threading.get_ident() */
	pid_t os_tid;              /* kernel tid, 0 if unknown */
	char *name;                /* threading's name, malloc'd; NULL if unknown */
	char state;                /* /proc state letter before pausing; 0 if unknown */
	bool active;               /* running (state R) */
	int gil;                   /* 1 holds it, 0 does not, -1 unknown */
	struct py_frame *frames;   /* innermost first */
	size_t nframes;
	size_t frames_cap;         /* allocated; kept when a py_thread is reused (the sampler) */
	raddr_t outside[8];        /* frames the last walk read outside its stack chunk (3.11+) */
	int noutside;
	int walk_error;            /* 0, or the negative code that cut the walk short */
	char walk_msg[512];
	/* the sampler's: what held when `frames` were read, for a stack that
	 * cannot have changed since (sampler.c, unchanged stacks) */
	struct {
		raddr_t tstate, top;
		uint64_t switches;     /* the GIL's handoff count at that tick */
		raddr_t holder;        /* and its last holder */
		bool valid;
	} read_at;
};

/*
 * The thread states, newest first as the interpreter links them, each with
 * the bytes of its PyThreadState (t->tstate_len of them at tsbufs + i * len).
 * A list is reused read after read: slots keep their frame buffers, so a
 * steady sampler allocates nothing.
 */
struct thread_list {
	struct py_thread *v;
	uint8_t *tsbufs;
	size_t n, cap;
	/* the runtime's list of interpreters: read on every threads_read(), or,
	 * when interps_every_ns is set (the sampler, fast), while it holds only
	 * the main interpreter at most that often, by the caller's clock now_ns
	 * (the tick's start; 0: threads_read reads the clock) */
	uint64_t interps_every_ns, interps_at, now_ns;
	raddr_t interps_head;
};

/*
 * Read the threads of every interpreter: the main one's, then, when the
 * runtime lists subinterpreters too, theirs (a subinterpreter's list that
 * cannot be read is left out: it may be going away).  Each slot's tstate,
 * interp, interp_id, thread_id, os_tid (0 where the version has no native
 * id), gil (-1) and walk_error (0) are set; its frames, name and status are
 * left as the caller had them.  Fails (the list left with the threads read so
 * far) when a thread state of the main interpreter cannot be read, does not
 * belong to it (PS_ETORN: the list changed while read) or the list is longer
 * than THREADS_MAX (PS_ECORRUPT).
 */
int threads_read(struct target *t, struct thread_list *l, struct pyspy_err *e);
/*
 * The sampler, on a tick where no thread but `holder` can have run Python
 * code since the list was last read (the GIL held by it all along: see
 * sampler.c): the list as threads_read() left it, with only the holder's
 * thread state read again.  0, or -1 when that cannot stand in for a whole
 * read: the holder is not in the list, its state cannot be read, no longer
 * belongs to the interpreter or links elsewhere now, the list holds another
 * interpreter's threads, or the runtime now lists another interpreter (read
 * as often as threads_read() reads it).
 */
int threads_refresh(struct target *t, struct thread_list *l, raddr_t holder);
/* Before a threads_read() by the sampler: fetch the list's head and every
 * thread state the last read found, in one read where the read-ahead does not
 * hold them already (a list that was only refreshed for a while aged out). */
void threads_prefetch(struct target *t, const struct thread_list *l);
/* Free the list, with every slot's frames and name. */
void threads_release(struct thread_list *l);

/* The threading module's name for a thread of interpreter `interp` (0: the
 * main one); 0, or -1 when it has none. */
int threads_name(struct target *t, raddr_t interp, uint64_t thread_id, char *buf, size_t len);
/* The same in two steps, for many threads at once: the address of
 * interpreter interp's threading._active dict (0 when it has none), then one
 * thread's name in it, or every name in it in one walk (fn(arg, thread id,
 * name) for each entry that reads whole).  0, or -1. */
raddr_t threads_active_dict(struct target *t, raddr_t interp);
int threads_name_in(struct target *t, raddr_t active, uint64_t thread_id, char *buf, size_t len);
typedef void (*threads_name_fn)(void *arg, uint64_t thread_id, const char *name);
int threads_names_in(struct target *t, raddr_t active, threads_name_fn fn, void *arg);
/* Name each thread (strdup'd into .name) as threads_name() would. */
void threads_name_all(struct target *t, struct py_thread *threads, size_t n);

/* Whether interpreter `interp` (0: the main one) is collecting garbage, by
 * its own flag (gc.collecting): 1, 0, or -1 when the layout does not say. */
int threads_gc_collecting(struct target *t, raddr_t interp);

/*
 * The GIL's handoff count (switch_number: incremented each time a thread
 * other than the last holder takes it) and its last holder, read together;
 * 3.7+ (-1 before, or when they cannot be read).  A thread that has not held
 * the GIL since runs no Python code: its Python stack is what it was.
 */
struct gil_switches {
	bool valid;                /* read: the layout has both fields */
	bool held;                 /* and `locked` with them, and it was set */
	uint64_t count;
	raddr_t last_holder;
};

/* The thread state holding the GIL (0: nobody); -1 when it cannot be known.
 * threads_gil_state also fills *sw (when not NULL) from the same read, which
 * the sampler's read-ahead fetches first of all its pieces (REMOTE_FIRST):
 * a thread state fetched with it was read after it. */
int threads_gil_holder(struct target *t, raddr_t *holder);
int threads_gil_state(struct target *t, raddr_t *holder, struct gil_switches *sw);

/* 2.7–3.10: fill os_tid of each thread from glibc's struct pthread, given the
 * process's task ids (see threads.c for how the offset is found). */
void threads_map_tids(struct target *t, struct py_thread *threads, size_t n, const pid_t *tids, size_t ntids);

/* Each tick, on versions without native ids: every thread's kernel tid, read
 * afresh from its struct pthread at the offset threads_map_tids() learned
 * (glibc hands a finished thread's struct pthread, and so its thread id, to
 * the next thread, so a tid remembered by thread id goes stale).  0, or -1
 * when the threads must be mapped again (no offset yet, a read failed, a tid
 * that cannot be right). */
int threads_read_tids(struct target *t, struct py_thread *threads, size_t n);

#endif
