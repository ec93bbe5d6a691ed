/*
 * aio_coro.c — each task's coroutine chain: the task's coroutine, what it
 * awaits (cr_await), what that awaits, down to the first object that is not
 * a coroutine or generator (a Future, usually).  Frames come out innermost
 * first, as in a backtrace.
 *
 * cr_await is not a field: CPython computes it (_PyGen_yf) from the
 * suspended frame, and so does this file, in the way of each minor
 * (enum aio_yf_model): the next instruction must be the resumption of a
 * `yield from`/`await`, and the awaited object is then the top of the
 * frame's value stack.  A generator suspended at a plain `yield` awaits
 * nothing.
 *
 * A server has thousands of tasks, mostly suspended at the same few
 * places, so all chains are followed together, one level at a time: each
 * level is three or four rounds of batched reads (the objects' types, their
 * frames, the stack slots), and what many tasks share (the byte after an
 * instruction, a code object's co_code) is read once.  Every chain is
 * bounded and cycle-checked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aio.h"
#include "code.h"
#include "pyobj.h"

/* The largest value-stack depth believed. */
#define STACK_MAX 65536
#define MEMO_SLOTS 512

/* A small direct-mapped memo of 8-byte reads shared by many tasks. */
struct memo {
	raddr_t key[MEMO_SLOTS];
	uint64_t val[MEMO_SLOTS];
};

static int memo_read(struct target *t, struct memo *m, raddr_t addr, size_t len, uint64_t *out)
{
	size_t s = (size_t)(addr >> 1) % MEMO_SLOTS;
	if (m->key[s] == addr && addr) {
		*out = m->val[s];
		return 0;
	}
	*out = 0;
	if (len > 8 || remote_read(&t->mem, addr, out, len, NULL) < 0)
		return -1;
	m->key[s] = addr;
	m->val[s] = *out;
	return 0;
}

/* One chain being followed. */
struct link {
	size_t task;
	raddr_t obj;               /* the object at this level */
	raddr_t mark;              /* Brent's cycle check */
	uint32_t power, steps;
	raddr_t slot;              /* where the awaited object is, 0: nothing awaited */
};

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

/* ≤3.10: decode the PyFrameObject in buf; the awaited object's slot into l->slot. */
static void object_frame(struct target *t, const struct aio_layout *A, struct memo *m, struct link *l,
			 raddr_t frame, const uint8_t *buf, struct py_frame *f)
{
	const struct py_layout *L = &t->layout;
	int32_t lasti;
	uint64_t bytes, op;
	bool units = A->yf_model == AIO_YF_STACKDEPTH;	/* 3.10 counts code units */

	memcpy(&lasti, buf + L->pyframe.lasti, sizeof(lasti));
	raddr_t code = rbuf_u64(buf, L->pyframe.code);
	f->addr = frame;
	from_code(t, f, code, lasti < 0 ? -1 : units ? lasti * 2 : lasti);
	l->slot = 0;
	if (lasti < 0 || lasti > (1 << 28) || L->code.code < 0 ||
	    memo_read(t, m, code + (raddr_t)L->code.code, 8, &bytes) < 0 || !bytes)
		return;
	raddr_t at = bytes + (raddr_t)L->bytes.sval + (units ? ((raddr_t)lasti + 1) * 2 : (raddr_t)lasti + 2);
	if (memo_read(t, m, at, 1, &op) < 0 || op != AIO_OP_YIELD_FROM)
		return;
	if (A->yf_model == AIO_YF_STACKTOP) {
		raddr_t top = rbuf_u64(buf, A->frame_stacktop);
		l->slot = top > 8 ? top - 8 : 0;
	} else {
		int32_t depth;
		memcpy(&depth, buf + A->frame_stackdepth, sizeof(depth));
		raddr_t stack = rbuf_u64(buf, A->frame_valuestack);
		l->slot = depth > 0 && depth < STACK_MAX && stack ? stack + (raddr_t)(depth - 1) * 8 : 0;
	}
}

/* 3.11+: decode the generator (head and embedded frame) in buf.  false: it has finished. */
static bool embedded_frame(struct target *t, const struct aio_layout *A, struct memo *m, struct link *l,
			   const uint8_t *buf, struct py_frame *f)
{
	const struct py_layout *L = &t->layout;
	size_t head = (size_t)L->gen.iframe;
	const uint8_t *fb = buf + head;
	raddr_t iframe = l->obj + head;
	int8_t state = (int8_t)buf[A->gen_frame_state];
	raddr_t code = rbuf_u64(fb, L->iframe.code) & ~(raddr_t)L->stackref_mask;
	raddr_t instr = rbuf_u64(fb, L->iframe.instr);
	raddr_t start = code + (raddr_t)L->code.code_adaptive;
	int units = instr < start ? -1 : instr - start < (1ull << 29) ? (int)((instr - start) / 2) : -2;

	l->slot = 0;
	if (!code)
		return false;
	f->addr = iframe;
	from_code(t, f, code, units < 0 ? -1 : units * 2);
	if (!f->ci)
		return false;	/* a cleared frame: the coroutine has finished */
	if (state != A->state_yield_from[0] && state != A->state_yield_from[1])
		return true;
	if (A->yf_model == AIO_YF_RESUME) {
		uint64_t next;	/* the code unit after prev_instr: RESUME, oparg >= 2 after yield from/await */
		if (memo_read(t, m, instr + 2, 2, &next) < 0 ||
		    ((next & 0xff) != A->resume_ops[0] && (next & 0xff) != A->resume_ops[1]) || (next >> 8 & 0xff) < 2)
			return true;
	}
	if (A->yf_model == AIO_YF_STATE_SP) {
		raddr_t sp = rbuf_u64(fb, A->iframe_stackpointer);
		raddr_t base = iframe + (raddr_t)L->iframe.localsplus, back = (raddr_t)A->sp_depth * 8;
		l->slot = sp >= base + back && sp - base < (raddr_t)STACK_MAX * 8 ? sp - back : 0;
		return true;
	}
	int32_t top;
	memcpy(&top, fb + L->iframe.stacktop, sizeof(top));
	l->slot = top > 0 && top < STACK_MAX ? iframe + (raddr_t)L->iframe.localsplus + (raddr_t)(top - 1) * 8 : 0;
	return true;
}

static bool loops(struct link *l)
{
	if (l->power && l->obj == l->mark)
		return true;
	if (++l->steps >= l->power) {
		l->mark = l->obj;
		l->power = l->power ? l->power * 2 : 1;
		l->steps = 0;
	}
	return false;
}

/* One level of every chain still going; n becomes how many go on. */
static int level(struct target *t, const struct aio_layout *A, struct aio_tasks *a, struct memo *m,
		 struct link *v, size_t *n, raddr_t *addrs, uint8_t *buf, uint8_t *ok)
{
	const struct py_layout *L = &t->layout;
	bool object = L->frame_model == FRAME_MODEL_OBJECT;
	size_t flen = object ? t->iframe_len : (size_t)L->gen.iframe + t->iframe_len;
	size_t k = 0;

	/* the types: only coroutines and generators have frames to show */
	for (size_t i = 0; i < *n; i++)
		addrs[i] = v[i].obj + (raddr_t)L->object.type;
	aio_batch_read(t, addrs, *n, 8, buf, ok);
	for (size_t i = 0; i < *n; i++) {
		const struct type_info *ti;
		raddr_t type;
		memcpy(&type, buf + i * 8, 8);
		if (ok[i] && pyobj_type_at(t, type, &ti, NULL) == 0 &&
		    (pyobj_static_named(ti, "coroutine") || pyobj_static_named(ti, "generator")))
			v[k++] = v[i];
	}
	*n = k;
	/* the frames: behind gi_frame (≤3.10), or inside the generator */
	for (size_t i = 0; i < *n; i++)
		addrs[i] = v[i].obj + (object ? (raddr_t)L->gen.frame : 0);
	if (object) {
		aio_batch_read(t, addrs, *n, 8, buf, ok);
		for (size_t i = 0; i < *n; i++) {
			raddr_t frame;
			memcpy(&frame, buf + i * 8, 8);
			addrs[i] = ok[i] ? frame : 0;
		}
	}
	aio_batch_read(t, addrs, *n, flen, buf, ok);
	k = 0;
	for (size_t i = 0; i < *n; i++) {
		struct py_frame f = { 0 };
		struct aio_task *task = &a->v[v[i].task];
		if (!ok[i])
			continue;
		if (object)
			object_frame(t, A, m, &v[i], addrs[i], buf + i * flen, &f);
		else if (!embedded_frame(t, A, m, &v[i], buf + i * flen, &f))
			continue;
		if (push(task, &f) < 0)
			return err_set(NULL, PS_ENOMEM, "out of memory");
		if (v[i].slot)
			v[k++] = v[i];
	}
	*n = k;
	/* the awaited objects: the next level */
	for (size_t i = 0; i < *n; i++)
		addrs[i] = v[i].slot;
	aio_batch_read(t, addrs, *n, 8, buf, ok);
	k = 0;
	for (size_t i = 0; i < *n; i++) {
		raddr_t next;
		memcpy(&next, buf + i * 8, 8);
		if (A->yf_model == AIO_YF_STATE_SP)
			next &= ~(raddr_t)(L->stackref_mask ? L->stackref_mask : 3);
		if (!ok[i] || !next)
			continue;
		v[i].obj = next;
		if (loops(&v[i])) {
			snprintf(a->v[v[i].task].error, sizeof(a->v[v[i].task].error),
				 "the coroutine chain loops at 0x%" PRIx64, next);
			continue;
		}
		v[k++] = v[i];
	}
	*n = k;
	return 0;
}

int aio_chains(struct target *t, const struct aio_layout *A, struct aio_tasks *a, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	size_t flen = (size_t)(L->gen.iframe > 0 ? L->gen.iframe : 0) + t->iframe_len;
	struct link *v = calloc(a->n + 1, sizeof(*v));
	raddr_t *addrs = calloc(a->n + 1, sizeof(*addrs));
	uint8_t *buf = calloc(a->n + 1, flen > 8 ? flen : 8);
	uint8_t *ok = calloc(a->n + 1, 1);
	struct memo *m = calloc(1, sizeof(*m));
	size_t n = 0;
	int rc = 0;

	if (!v || !addrs || !buf || !ok || !m) {
		rc = err_set(e, PS_ENOMEM, "out of memory");
		goto out;
	}
	if (!t->iframe_len || t->iframe_len > TARGET_FRAME_MAX ||
	    (L->frame_model != FRAME_MODEL_OBJECT && (L->gen.iframe < 0 || A->gen_frame_state < 0 ||
						     A->gen_frame_state >= L->gen.iframe))) {
		rc = err_set(e, PS_EUNSUP, "no generator layout for Python %s", t->version_str);
		goto out;
	}
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].coro)
			v[n++] = (struct link){ .task = i, .obj = a->v[i].coro };
	for (int depth = 0; n && depth < AIO_CHAIN_MAX && rc == 0; depth++) {
		if (pyspy_interrupted)
			rc = err_set(e, PS_EINTR, "interrupted");
		else if (level(t, A, a, m, v, &n, addrs, buf, ok) < 0)
			rc = err_set(e, PS_ENOMEM, "out of memory");
	}
	/* followed outermost first: turn each round, innermost first */
	for (size_t i = 0; i < a->n; i++) {
		struct aio_task *k = &a->v[i];
		for (size_t j = 0; j < k->nframes / 2; j++) {
			struct py_frame tmp = k->frames[j];
			k->frames[j] = k->frames[k->nframes - 1 - j];
			k->frames[k->nframes - 1 - j] = tmp;
		}
	}
out:
	free(v);
	free(addrs);
	free(buf);
	free(ok);
	free(m);
	return rc;
}
