/*
 * aio_layout.h — where asyncio keeps its tasks, per CPython minor, as data.
 *
 * The C accelerator `_asyncio` defines its Task and Future structs in
 * Modules/_asynciomodule.c, not in any header, so gen_layout.c cannot see
 * them.  aio_layout.c carries, for 3.8–3.15, the offsets of the TaskObj and
 * FutureObj fields the task view reads (each minor's FutureObj_HEAD and
 * TaskObj, checked against each installed interpreter's own objects), and
 * how a suspended generator or coroutine says what it awaits (its
 * gi_yieldfrom / cr_await, computed as that minor's _PyGen_yf() does).
 *
 * From 3.14 on the target describes its asyncio structures itself, in the
 * `AsyncioDebug` section of the module holding _asyncio
 * (_Py_AsyncioModuleDebugOffsets: 13 uint64, 104 bytes).  That table is
 * untrusted input, checked like _Py_DebugOffsets (debug_offsets.c): sizes
 * capped, every field inside its struct, and the task fields the table also
 * has here must agree with it before the rest of this minor's table is used.
 */
#ifndef PYSPY_AIO_LAYOUT_H
#define PYSPY_AIO_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

/* How a suspended generator's awaited object (gi_yieldfrom) is found. */
enum aio_yf_model {
	AIO_YF_STACKTOP = 1,  /* 3.8–3.9: next opcode YIELD_FROM; f_stacktop[-1] */
	AIO_YF_STACKDEPTH,    /* 3.10: next opcode YIELD_FROM; f_valuestack[f_stackdepth - 1] */
	AIO_YF_RESUME,        /* 3.11–3.12: suspended, next unit RESUME with oparg >= 2; localsplus[stacktop - 1] */
	AIO_YF_STATE,         /* 3.13: gi_frame_state == SUSPENDED_YIELD_FROM; localsplus[stacktop - 1] */
	AIO_YF_STATE_SP,      /* 3.14+: the same state; stackpointer[-1], a tagged _PyStackRef */
};

/* How the tasks are listed. */
enum aio_registry {
	AIO_REG_ALL_TASKS = 1, /* 3.8–3.11: asyncio.tasks._all_tasks, a WeakSet */
	AIO_REG_SCHEDULED,     /* 3.12–3.13: asyncio.tasks._scheduled_tasks (WeakSet) + _eager_tasks (set) */
	AIO_REG_LLIST,         /* 3.14+: per-thread and per-interpreter linked lists (AsyncioDebug) */
};

struct aio_layout {
	unsigned minor;
	enum aio_registry registry;
	int32_t task_size;            /* tp_basicsize of _asyncio.Task */
	int32_t fut_loop, fut_callback0, fut_callbacks, fut_state;
	int32_t task_fut_waiter, task_coro, task_name;
	/* 3.14+, from AsyncioDebug (OFF_NONE before) */
	int32_t task_awaited_by, task_awaited_by_is_set, task_node;
	int32_t interp_tasks_head;    /* in PyInterpreterState */
	int32_t tstate_tasks_head, tstate_running_loop, tstate_running_task; /* in _PyThreadStateImpl */
	/* generators */
	enum aio_yf_model yf_model;
	int32_t frame_stacktop;       /* 3.8–3.9 PyFrameObject.f_stacktop */
	int32_t frame_valuestack;     /* 3.10 f_valuestack */
	int32_t frame_stackdepth;     /* 3.10 int f_stackdepth */
	int32_t gen_frame_state;      /* 3.11+ int8 gi_frame_state */
	int8_t state_yield_from[2];   /* 3.11–3.12: FRAME_SUSPENDED; 3.13+: SUSPENDED_YIELD_FROM (3.15's
	                                 _LOCKED twin exists only in free-threaded builds); the second
	                                 slot repeats the first */
	uint8_t resume_ops[2];        /* 3.11–3.12: RESUME and its other form (RESUME_QUICK / INSTRUMENTED_RESUME) */
	int32_t iframe_stackpointer;  /* 3.14+ _PyInterpreterFrame.stackpointer */
	int32_t sp_depth;             /* 3.14+: the awaited object is stackpointer[-sp_depth] (1; 2 on 3.15,
	                                 whose SEND leaves a slot above the receiver) */
	int32_t weakref_object;       /* PyWeakReference.wr_object */
};

/* FutureObj.fut_state values (the same enum in every version). */
#define AIO_STATE_PENDING 0
#define AIO_STATE_CANCELLED 1
#define AIO_STATE_FINISHED 2

/* The YIELD_FROM opcode of 3.8–3.10. */
#define AIO_OP_YIELD_FROM 72

#define AIO_DEBUG_SECTION ".AsyncioDebug"
#define AIO_DEBUG_SIZE 104

/* The table for 3.minor (8..15), or NULL (asyncio tasks are not read before 3.8). */
const struct aio_layout *aio_layout_for_minor(unsigned minor);

/*
 * Complete *out (a copy of the 3.14+ table) from the target's AsyncioDebug
 * bytes blob[0..len), checked against the main layout L (the sizes of the
 * interpreter and thread states it names).  0, or -1 with the first problem
 * in why ("asyncio_task_object.task_node = 400 past its size 168").
 */
int aio_layout_from_debug(const void *blob, size_t len, const struct py_layout *L, struct aio_layout *out,
			  char *why, size_t whylen);

#endif
