/*
 * aio_root.c — re-rooting samples at asyncio tasks, for `sample --async`.
 *
 * A thread running an event loop shows, under the task it is stepping, the
 * loop's own machinery (run_forever, _run_once, Handle._run): every task
 * looks alike from there.  With --async a sample of such a thread keeps the
 * frames of the running task's coroutines, then continues with the tasks
 * awaiting it (each one's coroutine chain, outwards), and ends at a root
 * frame naming the outermost awaiting task: a profile by task.
 *
 * Which task runs is read every tick (3.14+: the thread state's running
 * task, one read per thread; before: the loops' _current_tasks dict).  Who
 * awaits whom, and each awaiting task's chain, come from a full read of the
 * tasks (aio_read()), kept for REFRESH_US and read again sooner when a
 * running task or loop is not in it: tasks waiting on another stay where
 * they are while they wait, so a copy a fraction of a second old is right.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aio_root.h"
#include "engine/os/clock.h"
#include "engine/python/pyobj.h"

#define REFRESH_US 500000
#define UP_MAX 64

struct aio_root {
	struct target *t;
	const struct aio_layout *A;
	struct aio_tasks tasks;
	bool have;
	uint64_t read_us;          /* when tasks was read (clock_now_us) */
	uint64_t tick_us;          /* the tick the running tasks below belong to */
	raddr_t current;           /* ≤3.13: the _current_tasks dict, 0 until found */
	uint64_t current_tried_us; /* when it was last looked up */
	raddr_t running[64];       /* ≤3.13: the running tasks of this tick, from _current_tasks */
	int nrunning;
	bool tick_read;
	struct py_frame *buf;
	size_t cap;
	struct thread_list threads;
};

struct aio_root *aio_root_new(struct target *t, struct pyspy_err *e)
{
	struct aio_root *r;
	if (t->version.major != 3 || t->version.minor < 8 || !aio_layout_for_minor(t->version.minor)) {
		err_set(e, PS_EUNSUP, "asyncio tasks are read on Python 3.8 and later; this is Python %s",
			t->version_str);
		return NULL;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		err_set(e, PS_ENOMEM, "out of memory");
		return NULL;
	}
	r->t = t;
	r->A = aio_layout_for_minor(t->version.minor);
	return r;
}

void aio_root_free(struct aio_root *r)
{
	if (!r)
		return;
	aio_release(&r->tasks);
	threads_release(&r->threads);
	free(r->buf);
	free(r);
}

/* Read every task again (the thread list too: 3.14+ lists tasks per thread). */
static void refresh(struct aio_root *r)
{
	uint64_t now = clock_now_ns() / 1000;
	if (r->read_us && now - r->read_us < REFRESH_US / 10)
		return;	/* not more than ten times a refresh period, whatever asks */
	/* past the sampler's read-ahead: it would fetch these thousands of
	 * pieces again at every tick (remote.h) */
	struct remote_prefetch *pf = r->t->mem.pf;
	r->t->mem.pf = NULL;
	aio_release(&r->tasks);
	r->have = false;
	r->read_us = now;
	if (threads_read(r->t, &r->threads, NULL) == 0)
		r->have = aio_read(r->t, r->threads.v, r->threads.n, &r->tasks, NULL) == 0;
	r->t->mem.pf = pf;
}

static int visit_current(void *arg, raddr_t key, raddr_t value)
{
	struct aio_root *r = arg;
	(void)key;
	if (r->nrunning < 64)
		r->running[r->nrunning++] = value;
	return 0;
}

/* ≤3.13: the running tasks of every loop, once a tick, from the dict
 * asyncio.tasks._current_tasks, found once (a lookup scans sys.modules) and
 * looked up again only when reading it fails. */
static void read_current(struct aio_root *r)
{
	struct target *t = r->t;
	raddr_t modules, mod = 0, mdict = 0;
	r->nrunning = 0;
	if (r->current && pyobj_dict_foreach(t, r->current, visit_current, r, NULL) == 0)
		return;
	r->nrunning = 0;
	r->current = 0;
	uint64_t now = clock_now_ns() / 1000;
	if (r->current_tried_us && now - r->current_tried_us < REFRESH_US)
		return;	/* not found lately (asyncio not imported yet): not at every tick */
	r->current_tried_us = now;
	if (target_read_ptr(t, t->interp + (raddr_t)t->layout.interp.modules, &modules, NULL) < 0 ||
	    pyobj_dict_get_str(t, modules, "asyncio.tasks", &mod, NULL) < 0 || !mod ||
	    target_read_ptr(t, mod + (raddr_t)t->layout.module.dict, &mdict, NULL) < 0 ||
	    pyobj_dict_get_str(t, mdict, "_current_tasks", &r->current, NULL) < 0 || !r->current)
		return;
	pyobj_dict_foreach(t, r->current, visit_current, r, NULL);
}

/* The task th is running, from the copy of the tasks; NULL if none. */
static const struct aio_task *running_on(struct aio_root *r, const struct py_thread *th, uint64_t ts_us)
{
	raddr_t task = 0;
	if (r->A->registry == AIO_REG_LLIST) {
		if (!r->have)
			refresh(r);	/* the offsets come with the first read */
		if (!r->have || r->tasks.n == 0 || r->tasks.running_task_off < 0 ||
		    target_read_ptr(r->t, th->tstate + (raddr_t)r->tasks.running_task_off, &task, NULL) < 0 || !task)
			return NULL;
	} else {
		if (!r->tick_read || r->tick_us != ts_us) {
			read_current(r);
			r->tick_us = ts_us;
			r->tick_read = true;
		}
		if (!r->nrunning)
			return NULL;
		for (int pass = 0; pass < 2; pass++) {
			bool unknown = !r->have || clock_now_ns() / 1000 - r->read_us > REFRESH_US;
			for (int i = 0; i < r->nrunning && r->have; i++) {
				const struct aio_task *k = aio_find(&r->tasks, r->running[i]);
				if (k && k->thread_id == th->thread_id)
					return k;
				unknown |= !k;
			}
			if (!unknown || pass)
				break;
			refresh(r);	/* a task or loop born since: read them again (throttled) */
		}
		return NULL;
	}
	const struct aio_task *k = aio_find(&r->tasks, task);
	if (!k || clock_now_ns() / 1000 - r->read_us > REFRESH_US) {
		refresh(r);
		k = r->have ? aio_find(&r->tasks, task) : NULL;
	}
	return k;
}

static bool put(struct aio_root *r, size_t n, const struct py_frame *f)
{
	if (n >= r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct py_frame *v = realloc(r->buf, cap * sizeof(*v));
		if (!v)
			return false;
		r->buf = v;
		r->cap = cap;
	}
	r->buf[n] = *f;
	return true;
}

void aio_root_frames(struct aio_root *r, const struct py_thread *th, uint64_t ts_us, const struct py_frame **out,
		     size_t *n)
{
	const struct aio_task *k = th->nframes ? running_on(r, th, ts_us) : NULL;
	size_t cut = SIZE_MAX, len = 0;

	*out = th->frames;
	*n = th->nframes;
	if (!k || !k->nframes)
		return;
	/* the task's outermost coroutine frame on the thread's stack */
	raddr_t outer = k->frames[k->nframes - 1].addr;
	for (size_t i = 0; i < th->nframes && cut == SIZE_MAX; i++)
		if (th->frames[i].addr == outer)
			cut = i;
	if (cut == SIZE_MAX)
		return;
	for (size_t i = 0; i <= cut; i++)
		if (!put(r, len++, &th->frames[i]))
			return;
	const struct aio_task *top = k, *seen[UP_MAX];
	int nseen = 0;
	seen[nseen++] = k;
	while (top->nawaited_by && nseen < UP_MAX) {
		const struct aio_task *w = aio_find(&r->tasks, top->awaited_by[0]);
		bool again = false;
		for (int i = 0; w && i < nseen; i++)
			again |= seen[i] == w;
		if (!w || again)
			break;
		for (size_t i = 0; i < w->nframes; i++)
			if (!put(r, len++, &w->frames[i]))
				return;
		seen[nseen++] = top = w;
	}
	char label[300];
	int ll = snprintf(label, sizeof(label), "<task %s>", top->name);
	struct py_frame root = { 0 };
	if (ll < 0)
		return;
	root.function = root.qualname = strtab_intern(&r->t->strings, label,
						      (size_t)ll < sizeof(label) ? (size_t)ll : sizeof(label) - 1);
	root.file = "<asyncio>";
	root.line = 0;
	if (!root.function || !put(r, len++, &root))
		return;
	*out = r->buf;
	*n = len;
}
