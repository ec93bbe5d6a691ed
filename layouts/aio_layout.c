/*
 * aio_layout.c — asyncio's Task and Future fields, and gi_yieldfrom, per minor.
 *
 * The numbers below are offsetof() of each minor's TaskObj/FutureObj
 * (Modules/_asynciomodule.c: FutureObj_HEAD grew cancel_msg in 3.9, an
 * exception-state item in 3.9–3.10, and lost fields again in 3.11 and 3.13;
 * TaskObj gained task_node and awaited_by in 3.13–3.14), and of the frame and
 * generator fields _PyGen_yf() reads.  They were checked on every installed
 * interpreter by reading a live task's own words against id() of its loop,
 * coroutine, waiter, name and callbacks, and a pending, finished and
 * cancelled future's state.  At run time the engine checks each task's type
 * (`_asyncio.Task`, of this basic size) before trusting any of them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aio_layout.h"

#define NO OFF_NONE
#define NO_314 .task_awaited_by = NO, .task_awaited_by_is_set = NO, .task_node = NO, \
	.interp_tasks_head = NO, .tstate_tasks_head = NO, .tstate_running_loop = NO, \
	.tstate_running_task = NO
#define FUT .fut_loop = 16, .fut_callback0 = 24, .fut_callbacks = 40, .weakref_object = 16

static const struct aio_layout tables[] = {
	{ .minor = 8, .registry = AIO_REG_ALL_TASKS, .task_size = 144, FUT, .fut_state = 72,
	  .task_fut_waiter = 104, .task_coro = 112, .task_name = 120, NO_314,
	  .yf_model = AIO_YF_STACKTOP, .frame_stacktop = 72, .frame_valuestack = NO, .frame_stackdepth = NO,
	  .gen_frame_state = NO, .iframe_stackpointer = NO },
	{ .minor = 9, .registry = AIO_REG_ALL_TASKS, .task_size = 184, FUT, .fut_state = 80,
	  .task_fut_waiter = 144, .task_coro = 152, .task_name = 160, NO_314,
	  .yf_model = AIO_YF_STACKTOP, .frame_stacktop = 72, .frame_valuestack = NO, .frame_stackdepth = NO,
	  .gen_frame_state = NO, .iframe_stackpointer = NO },
	{ .minor = 10, .registry = AIO_REG_ALL_TASKS, .task_size = 192, FUT, .fut_state = 88,
	  .task_fut_waiter = 152, .task_coro = 160, .task_name = 168, NO_314,
	  .yf_model = AIO_YF_STACKDEPTH, .frame_stacktop = NO, .frame_valuestack = 64, .frame_stackdepth = 80,
	  .gen_frame_state = NO, .iframe_stackpointer = NO },
	{ .minor = 11, .registry = AIO_REG_ALL_TASKS, .task_size = 176, FUT, .fut_state = 88,
	  .task_fut_waiter = 128, .task_coro = 136, .task_name = 144, NO_314,
	  .yf_model = AIO_YF_RESUME, .frame_stacktop = NO, .frame_valuestack = NO, .frame_stackdepth = NO,
	  .gen_frame_state = 75, .state_yield_from = { -1, -1 }, .resume_ops = { 151, 150 },
	  .iframe_stackpointer = NO },
	{ .minor = 12, .registry = AIO_REG_SCHEDULED, .task_size = 176, FUT, .fut_state = 88,
	  .task_fut_waiter = 128, .task_coro = 136, .task_name = 144, NO_314,
	  .yf_model = AIO_YF_RESUME, .frame_stacktop = NO, .frame_valuestack = NO, .frame_stackdepth = NO,
	  .gen_frame_state = 67, .state_yield_from = { -1, -1 }, .resume_ops = { 151, 240 },
	  .iframe_stackpointer = NO },
	{ .minor = 13, .registry = AIO_REG_SCHEDULED, .task_size = 144, FUT, .fut_state = 96,
	  .task_fut_waiter = 112, .task_coro = 120, .task_name = 128, NO_314,
	  .yf_model = AIO_YF_STATE, .frame_stacktop = NO, .frame_valuestack = NO, .frame_stackdepth = NO,
	  .gen_frame_state = 67, .state_yield_from = { -1, -1 }, .iframe_stackpointer = NO },
	/* 3.14 and 3.15: the task list fields come from the target's AsyncioDebug */
	{ .minor = 14, .registry = AIO_REG_LLIST, .task_size = 168, FUT, .fut_state = 104,
	  .task_fut_waiter = 120, .task_coro = 128, .task_name = 136, NO_314,
	  .yf_model = AIO_YF_STATE_SP, .frame_stacktop = NO, .frame_valuestack = NO, .frame_stackdepth = NO,
	  .gen_frame_state = 67, .state_yield_from = { -1, -1 }, .iframe_stackpointer = 64, .sp_depth = 1 },
	{ .minor = 15, .registry = AIO_REG_LLIST, .task_size = 168, FUT, .fut_state = 104,
	  .task_fut_waiter = 120, .task_coro = 128, .task_name = 136, NO_314,
	  .yf_model = AIO_YF_STATE_SP, .frame_stacktop = NO, .frame_valuestack = NO, .frame_stackdepth = NO,
	  .gen_frame_state = 67, .state_yield_from = { 2, 2 }, .iframe_stackpointer = 64, .sp_depth = 2 },
};

const struct aio_layout *aio_layout_for_minor(unsigned minor)
{
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (tables[i].minor == minor)
			return &tables[i];
	return NULL;
}

/* _Py_AsyncioModuleDebugOffsets, mirrored: copied out with memcpy. */
struct aio_dbg {
	struct { uint64_t size, name, awaited_by, is_task, awaited_by_is_set, coro, node; } task;
	struct { uint64_t size, tasks_head; } interp;
	struct { uint64_t size, running_loop, running_task, tasks_head; } tstate;
};
_Static_assert(sizeof(struct aio_dbg) == AIO_DEBUG_SIZE, "AsyncioDebug shape");

static int bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A field of `width` bytes at off must lie inside a struct of `size` bytes. */
static int inside(uint64_t off, unsigned width, uint64_t size, const char *group, const char *name,
		  char *why, size_t len)
{
	if (off + width > size || off > size)
		return bad(why, len, "%s.%s = %llu past its size %llu", group, name,
			   (unsigned long long)off, (unsigned long long)size);
	return 0;
}

#define IN(off, w, size, g, n) if (inside((off), (w), (size), (g), (n), why, whylen) < 0) return -1

int aio_layout_from_debug(const void *blob, size_t len, const struct py_layout *L, struct aio_layout *out,
			  char *why, size_t whylen)
{
	struct aio_dbg d;

	if (!blob || len < sizeof d)
		return bad(why, whylen, "AsyncioDebug truncated: %zu bytes, %d needed", blob ? len : 0, AIO_DEBUG_SIZE);
	memcpy(&d, blob, sizeof d);
	/* sizes: a task is a few hundred bytes; the states are the main table's structs */
	if (d.task.size < 64 || d.task.size > 4096)
		return bad(why, whylen, "asyncio_task_object.size = %llu is not a task's size",
			   (unsigned long long)d.task.size);
	if (L->interp.size > 0 && d.interp.size != (uint64_t)L->interp.size)
		return bad(why, whylen, "asyncio_interpreter_state.size = %llu, the interpreter state is %d bytes",
			   (unsigned long long)d.interp.size, (int)L->interp.size);
	if (d.tstate.size < (uint64_t)(L->tstate.size > 0 ? L->tstate.size : 1) || d.tstate.size > 65536)
		return bad(why, whylen, "asyncio_thread_state.size = %llu, smaller than a thread state (%d)",
			   (unsigned long long)d.tstate.size, (int)L->tstate.size);
	IN(d.task.name, 8, d.task.size, "asyncio_task_object", "task_name");
	IN(d.task.awaited_by, 8, d.task.size, "asyncio_task_object", "task_awaited_by");
	IN(d.task.is_task, 1, d.task.size, "asyncio_task_object", "task_is_task");
	IN(d.task.awaited_by_is_set, 1, d.task.size, "asyncio_task_object", "task_awaited_by_is_set");
	IN(d.task.coro, 8, d.task.size, "asyncio_task_object", "task_coro");
	IN(d.task.node, 16, d.task.size, "asyncio_task_object", "task_node");
	IN(d.interp.tasks_head, 16, d.interp.size, "asyncio_interpreter_state", "asyncio_tasks_head");
	IN(d.tstate.running_loop, 8, d.tstate.size, "asyncio_thread_state", "asyncio_running_loop");
	IN(d.tstate.running_task, 8, d.tstate.size, "asyncio_thread_state", "asyncio_running_task");
	IN(d.tstate.tasks_head, 16, d.tstate.size, "asyncio_thread_state", "asyncio_tasks_head");
	if ((d.task.name | d.task.awaited_by | d.task.coro | d.task.node | d.interp.tasks_head |
	     d.tstate.running_loop | d.tstate.running_task | d.tstate.tasks_head) & 7)
		return bad(why, whylen, "AsyncioDebug: a pointer field is not aligned");
	/* the fields this table has too anchor the ones only it has (fut_waiter, fut_state, ...) */
	if (d.task.size != (uint64_t)out->task_size || d.task.coro != (uint64_t)out->task_coro ||
	    d.task.name != (uint64_t)out->task_name)
		return bad(why, whylen, "AsyncioDebug disagrees with the built-in 3.%u task layout "
			   "(size %llu, coro %llu, name %llu; expected %d, %d, %d)", out->minor,
			   (unsigned long long)d.task.size, (unsigned long long)d.task.coro,
			   (unsigned long long)d.task.name, (int)out->task_size, (int)out->task_coro,
			   (int)out->task_name);
	out->task_awaited_by = (int32_t)d.task.awaited_by;
	out->task_awaited_by_is_set = (int32_t)d.task.awaited_by_is_set;
	out->task_node = (int32_t)d.task.node;
	out->interp_tasks_head = (int32_t)d.interp.tasks_head;
	out->tstate_tasks_head = (int32_t)d.tstate.tasks_head;
	out->tstate_running_loop = (int32_t)d.tstate.running_loop;
	out->tstate_running_task = (int32_t)d.tstate.running_task;
	return 0;
}
