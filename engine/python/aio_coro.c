/*
 * aio_coro.c — a task's coroutine chain: the task's coroutine, what it
 * awaits (cr_await), what that awaits, down to the first object that is not
 * a coroutine or generator (a Future, usually).  Frames come out innermost
 * first, as in a backtrace.
 *
 * cr_await is not a field: CPython computes it (_PyGen_yf) from the
 * suspended frame, and so does this file, in the way of each minor
 * (enum aio_yf_model): the next instruction must be the resumption of a
 * `yield from`/`await`, and the awaited object is then the top of the
 * frame's value stack.  A generator suspended at a plain `yield` awaits
 * nothing.  Every pointer read is checked by the read that uses it, and the
 * chain is bounded and cycle-checked.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "aio.h"
#include "code.h"
#include "pyobj.h"

/* The largest value-stack depth believed. */
#define STACK_MAX 65536

static int push(struct aio_task *task, const struct py_frame *f)
{
	if (task->nframes == 0 || (task->nframes >= 4 && (task->nframes & (task->nframes - 1)) == 0)) {
		size_t cap = task->nframes ? task->nframes * 2 : 4;
		struct py_frame *v = realloc(task->frames, cap * sizeof(*v));
		if (!v)
			return -1;
		task->frames = v;
	}
	task->frames[task->nframes++] = *f;
	return 0;
}

static void from_code(struct target *t, struct py_frame *f, raddr_t code, int byte_offset)
{
	struct code_info *ci;
	f->code = code;
	f->lasti = byte_offset;
	if (code_get(t, code, &ci, NULL) < 0) {
		f->function = f->qualname = f->file = "???";
		f->line = -1;
		return;
	}
	f->ci = ci;
	f->function = ci->name;
	f->qualname = ci->qualname;
	f->file = ci->file;
	f->line = code_line(ci, &t->layout, byte_offset);
}

/* One byte of a code object's co_code (≤3.10). */
static int code_byte(struct target *t, raddr_t code, long at, uint8_t *out)
{
	const struct py_layout *L = &t->layout;
	raddr_t bytes;
	if (at < 0 || L->code.code < 0 || target_read_ptr(t, code + (raddr_t)L->code.code, &bytes, NULL) < 0)
		return -1;
	return remote_read(&t->mem, bytes + (raddr_t)L->bytes.sval + (raddr_t)at, out, 1, NULL);
}

/* ≤3.10: the generator's PyFrameObject; its frame into f, what it awaits into *yf. */
static int object_frame(struct target *t, const struct aio_layout *A, raddr_t gen, struct py_frame *f,
			raddr_t *yf, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint8_t buf[TARGET_FRAME_MAX];
	raddr_t frame;
	int rc;

	*yf = 0;
	if ((rc = target_read_ptr(t, gen + (raddr_t)L->gen.frame, &frame, e)) < 0)
		return rc;
	if (!frame)
		return 1;	/* finished */
	if ((rc = remote_read(&t->mem, frame, buf, t->iframe_len, e)) < 0)
		return rc;
	int32_t lasti;
	memcpy(&lasti, buf + L->pyframe.lasti, sizeof(lasti));
	raddr_t code = rbuf_u64(buf, L->pyframe.code);
	int units = A->yf_model == AIO_YF_STACKDEPTH;	/* 3.10 counts code units */
	f->addr = frame;
	from_code(t, f, code, lasti < 0 ? -1 : units ? lasti * 2 : lasti);
	if (lasti < 0)
		return 0;
	uint8_t op;
	if (code_byte(t, code, units ? ((long)lasti + 1) * 2 : (long)lasti + 2, &op) < 0 || op != AIO_OP_YIELD_FROM)
		return 0;
	if (A->yf_model == AIO_YF_STACKTOP) {
		raddr_t top = rbuf_u64(buf, A->frame_stacktop);
		if (top > 8)
			target_read_ptr(t, top - 8, yf, NULL);
	} else {
		int32_t depth;
		memcpy(&depth, buf + A->frame_stackdepth, sizeof(depth));
		raddr_t stack = rbuf_u64(buf, A->frame_valuestack);
		if (depth > 0 && depth < STACK_MAX && stack)
			target_read_ptr(t, stack + (raddr_t)(depth - 1) * 8, yf, NULL);
	}
	return 0;
}

static bool state_awaits(const struct aio_layout *A, int8_t state)
{
	return state == A->state_yield_from[0] || state == A->state_yield_from[1];
}

/* 3.11+: the frame embedded in the generator. */
static int embedded_frame(struct target *t, const struct aio_layout *A, raddr_t gen, struct py_frame *f,
			  raddr_t *yf, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint8_t buf[TARGET_FRAME_MAX + 128];
	size_t head = (size_t)L->gen.iframe;
	int rc;

	*yf = 0;
	if (L->gen.iframe < 0 || head + t->iframe_len > sizeof(buf) || A->gen_frame_state < 0 ||
	    (size_t)A->gen_frame_state >= head)
		return err_set(e, PS_EUNSUP, "no generator layout");
	if ((rc = remote_read(&t->mem, gen, buf, head + t->iframe_len, e)) < 0)
		return rc;
	const uint8_t *fb = buf + head;
	raddr_t iframe = gen + head;
	int8_t state = (int8_t)buf[A->gen_frame_state];
	raddr_t code = rbuf_u64(fb, L->iframe.code) & ~(raddr_t)L->stackref_mask;
	raddr_t instr = rbuf_u64(fb, L->iframe.instr);
	raddr_t start = code + (raddr_t)L->code.code_adaptive;
	int units = instr < start ? -1 : instr - start < (1ull << 29) ? (int)((instr - start) / 2) : -2;
	if (!code)
		return 1;
	f->addr = iframe;
	from_code(t, f, code, units == -2 ? -1 : units < 0 ? -1 : units * 2);
	if (!f->ci)
		return 1;	/* a cleared frame: the coroutine has finished */
	if (A->yf_model == AIO_YF_RESUME) {
		uint8_t next[2];
		if (state != A->state_yield_from[0] || remote_read(&t->mem, instr + 2, next, 2, NULL) < 0 ||
		    (next[0] != A->resume_ops[0] && next[0] != A->resume_ops[1]) || next[1] < 2)
			return 0;
	} else if (!state_awaits(A, state)) {
		return 0;
	}
	if (A->yf_model == AIO_YF_STATE_SP) {
		raddr_t sp = rbuf_u64(fb, A->iframe_stackpointer);
		raddr_t base = iframe + (raddr_t)L->iframe.localsplus;
		raddr_t back = (raddr_t)A->sp_depth * 8;
		if (sp >= base + back && sp - base < (raddr_t)STACK_MAX * 8 &&
		    remote_read_ptr(&t->mem, sp - back, yf, NULL) == 0)
			*yf &= ~(raddr_t)(L->stackref_mask ? L->stackref_mask : 3);
		return 0;
	}
	int32_t top;
	memcpy(&top, fb + L->iframe.stacktop, sizeof(top));
	if (top > 0 && top < STACK_MAX)
		target_read_ptr(t, iframe + (raddr_t)L->iframe.localsplus + (raddr_t)(top - 1) * 8, yf, NULL);
	return 0;
}

int aio_chain(struct target *t, const struct aio_layout *A, struct aio_task *task, struct pyspy_err *e)
{
	raddr_t seen[AIO_CHAIN_MAX];
	raddr_t obj = task->coro;
	size_t n = 0;

	task->nframes = 0;
	while (obj && n < AIO_CHAIN_MAX) {
		const struct type_info *ti;
		struct py_frame f = { 0 };
		raddr_t yf = 0;
		int rc;

		for (size_t i = 0; i < n; i++)
			if (seen[i] == obj)
				return err_set(e, PS_ETORN, "the coroutine chain loops at 0x%" PRIx64, obj);
		seen[n++] = obj;
		if (pyobj_type(t, obj, &ti, NULL) < 0 ||
		    !(pyobj_static_named(ti, "coroutine") || pyobj_static_named(ti, "generator")))
			break;	/* a future, or another awaitable: the end of the chain */
		if (t->layout.frame_model == FRAME_MODEL_OBJECT)
			rc = object_frame(t, A, obj, &f, &yf, e);
		else
			rc = embedded_frame(t, A, obj, &f, &yf, e);
		if (rc < 0)
			return rc;
		if (rc > 0)
			break;
		if (push(task, &f) < 0)
			return err_set(e, PS_ENOMEM, "out of memory");
		obj = yf;
	}
	/* outermost first as followed: turn it round, innermost first */
	for (size_t i = 0; i < task->nframes / 2; i++) {
		struct py_frame tmp = task->frames[i];
		task->frames[i] = task->frames[task->nframes - 1 - i];
		task->frames[task->nframes - 1 - i] = tmp;
	}
	return 0;
}
