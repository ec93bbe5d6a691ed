/*
 * aio.h — asyncio tasks of the target: each pending task, its coroutine
 * chain, and the tasks awaiting it (aio.c, aio_coro.c, aio_graph.c).
 *
 * Where the tasks are depends on the minor (layouts/aio_layout.h):
 *  - 3.8–3.11: the WeakSet asyncio.tasks._all_tasks;
 *  - 3.12–3.13: asyncio.tasks._scheduled_tasks (a WeakSet) and _eager_tasks;
 *  - 3.14+: the linked list on each thread state and the interpreter's list
 *    of tasks whose thread has gone, described by the target's own
 *    AsyncioDebug section.
 * Pending tasks of the C Task type (_asyncio.Task and subclasses, read at
 * this minor's offsets) and of the pure-Python one (asyncio.tasks._PyTask,
 * read through its instance attributes) are listed, as asyncio.all_tasks()
 * does; a finished task is not.  Everything
 * read is bounded; a task that cannot be read whole keeps what was read and
 * says why in its error.
 */
#ifndef PYSPY_AIO_H
#define PYSPY_AIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "layouts/aio_layout.h"
#include "threads.h"

/* No task list longer than this is believed. */
#define AIO_TASKS_MAX (1u << 20)
/* The longest coroutine chain followed. */
#define AIO_CHAIN_MAX 256

struct aio_task {
	raddr_t addr;              /* the task object: its id */
	const char *name;          /* interned; "Task-N" for a 3.13+ task named lazily */
	bool running;              /* the current task of its loop (it is executing a step) */
	raddr_t loop;
	uint64_t thread_id;        /* threading.get_ident() of the loop's thread; 0 unknown */
	pid_t os_tid;              /* its kernel tid; 0 unknown */
	raddr_t coro;
	raddr_t name_obj;          /* task_name as stored: a str, or 3.13+ an int */
	raddr_t waiter;            /* what the task awaits (fut_waiter), 0 if nothing */
	raddr_t callback0, callbacks; /* its done callbacks (fut_callback0, the fut_callbacks list) */
	raddr_t awaited_raw;       /* 3.14+: task_awaited_by as stored: a future or a set */
	bool awaited_is_set;
	struct py_frame *frames;   /* the coroutine chain, innermost first */
	size_t nframes;
	raddr_t *awaited_by;       /* the tasks waiting for it, each once */
	size_t nawaited_by, cap_awaited_by;
	char error[200];           /* why part of it could not be read; "" */
};

/* One cycle of the await graph: tasks each awaiting the next, the last the first. */
struct aio_cycle {
	raddr_t *v;
	size_t n;
};

struct aio_tasks {
	struct aio_task *v;
	size_t n, cap;
	bool has_asyncio;          /* the program has imported asyncio */
	const char *source;        /* where the tasks were found, for `info`-style notes */
	size_t foreign;            /* objects in the registries of neither Task class: not read */
	int32_t running_task_off;  /* 3.14+: where a thread state holds its running task (AsyncioDebug); -1 */
	struct aio_cycle *cycles;
	size_t ncycles;
	struct aio_index *index;   /* address -> task, private */
};

/*
 * Read every pending task of the main interpreter, given the threads of a
 * snapshot taken just before (their tstate and thread ids; the target should
 * still be paused).  Fails with PS_EUNSUP before 3.8 (the message names the
 * version), and when the asyncio structures cannot be found or trusted.  A
 * program without asyncio is not a failure: has_asyncio is false, n is 0.
 */
int aio_read(struct target *t, const struct py_thread *threads, size_t nthreads, struct aio_tasks *out,
	     struct pyspy_err *e);
void aio_release(struct aio_tasks *a);

/* The task at addr, or NULL. */
const struct aio_task *aio_find(const struct aio_tasks *a, raddr_t addr);

/* ---- internal to aio*.c ---- */

/* Follow every task's cr_await / gi_yieldfrom chain into its frames
 * (innermost first), all tasks a level at a time so reads go out in batches. */
int aio_chains(struct target *t, const struct aio_layout *A, struct aio_tasks *a, struct pyspy_err *e);
/* Read len bytes at each addrs[i] (0: skipped) into out + i * len, several
 * per syscall; ok[i] says which arrived. */
void aio_batch_read(struct target *t, const raddr_t *addrs, size_t n, size_t len, uint8_t *out, uint8_t *ok);
/* Fill every task's awaited_by (from waiters, gather, TaskGroup, shield on
 * 3.8–3.13; from the task's own awaited_by on 3.14+), then find the cycles. */
int aio_graph(struct target *t, const struct aio_layout *A, struct aio_tasks *a, struct pyspy_err *e);
/* Add waiter to task's awaited_by once. */
int aio_add_awaiter(struct aio_task *task, raddr_t waiter);
/* The index of the task at addr, or -1. */
long aio_index_of(const struct aio_tasks *a, raddr_t addr);

#endif
