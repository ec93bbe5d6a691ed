/*
 * threads.c — the thread-state list, thread names, the GIL holder and kernel
 * tids (see threads.h).
 *
 * One walk over the list serves `threads`, `bt` and the sampler, so they
 * agree on what a thread is and on when the list is garbage.  Names come
 * from the threading module (threading._active[ident]._name), the way a
 * program would look them up itself.
 */
#include "threads.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/os/clock.h"
#include "pyobj.h"

/* ---- the thread-state list ---- */

static int grow(struct target *t, struct thread_list *l, size_t want)
{
	if (want <= l->cap)
		return 0;
	size_t ncap = l->cap ? l->cap * 2 : 16;
	while (ncap < want)
		ncap *= 2;
	struct py_thread *nt = realloc(l->v, ncap * sizeof(*nt));
	if (!nt)
		return -1;
	memset(nt + l->cap, 0, (ncap - l->cap) * sizeof(*nt));
	l->v = nt;
	uint8_t *nb = realloc(l->tsbufs, ncap * t->tstate_len);
	if (!nb)
		return -1;
	l->tsbufs = nb;
	l->cap = ncap;
	return 0;
}

/* Append interp's thread states to l. */
static int read_interp(struct target *t, struct thread_list *l, raddr_t interp, int64_t id, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	raddr_t ts;
	int rc = target_read_ptr(t, interp + (raddr_t)L->interp.tstate_head, &ts, e);
	if (rc < 0)
		return err_wrap(e, "reading the thread list");
	if (!t->tstate_len || t->tstate_len > TARGET_TSTATE_MAX)
		return err_set(e, PS_EUNSUP, "no usable thread-state layout");
	while (ts) {
		if (l->n >= THREADS_MAX)
			return err_set(e, PS_ECORRUPT, "more than %d threads: the thread list loops or is corrupt", THREADS_MAX);
		if (grow(t, l, l->n + 1) < 0)
			return err_set(e, PS_ENOMEM, "out of memory");
		uint8_t *b = l->tsbufs + l->n * t->tstate_len;
		if ((rc = remote_read(&t->mem, ts, b, t->tstate_len, e)) < 0)
			return err_wrap(e, "reading thread state 0x%" PRIx64, ts);
		if (rbuf_u64(b, L->tstate.interp) != interp)
			return err_set(e, PS_ETORN, "thread state 0x%" PRIx64 " does not belong to the interpreter", ts);
		struct py_thread *th = &l->v[l->n++];
		th->tstate = ts;
		th->interp = interp;
		th->interp_id = id;
		th->thread_id = rbuf_u64(b, L->tstate.thread_id);
		th->os_tid = L->tstate.native_thread_id >= 0 ? (pid_t)rbuf_u64(b, L->tstate.native_thread_id) : 0;
		th->gil = -1;
		th->walk_error = 0;
		ts = rbuf_u64(b, L->tstate.next);
	}
	return 0;
}

/* The head of the runtime's list of interpreters, when l's schedule says it
 * is due (see struct thread_list): 1 with *head read and the schedule
 * restarted, 0 when not due yet, -1 when the read failed. */
static int interps_head_due(struct target *t, struct thread_list *l, raddr_t *head)
{
	uint64_t now = !l->interps_every_ns ? 0 : l->now_ns ? l->now_ns : clock_now_ns();
	if (l->interps_every_ns && l->interps_head == t->interp && now - l->interps_at < l->interps_every_ns)
		return 0;
	if (target_read_ptr(t, t->runtime + (raddr_t)t->layout.runtime.interpreters_head, head, NULL) < 0)
		return -1;
	l->interps_head = *head;
	l->interps_at = now;
	return 1;
}

int threads_read(struct target *t, struct thread_list *l, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	raddr_t head = 0;
	l->n = 0;
	int rc = read_interp(t, l, t->interp, 0, e);
	/* the runtime links interpreters newest first, the main one last: a head
	 * that is the main one means there are no others (one read per tick) */
	if (rc < 0 || !t->runtime || L->interp.next < 0)
		return rc;
	if (interps_head_due(t, l, &head) <= 0)
		return rc;
	for (int k = 0; head && head != t->interp && k < INTERPS_MAX; k++) {
		int64_t id = -1;
		raddr_t next = 0;
		if (L->interp.id >= 0)
			remote_read(&t->mem, head + (raddr_t)L->interp.id, &id, sizeof(id), NULL);
		size_t before = l->n;
		if (read_interp(t, l, head, id, NULL) < 0)
			l->n = before;
		if (target_read_ptr(t, head + (raddr_t)L->interp.next, &next, NULL) < 0)
			break;
		head = next;
	}
	return 0;
}

int threads_refresh(struct target *t, struct thread_list *l, raddr_t holder)
{
	const struct py_layout *L = &t->layout;
	uint8_t b[TARGET_TSTATE_MAX];
	size_t i = l->n;
	if (!l->n || !t->tstate_len || t->tstate_len > TARGET_TSTATE_MAX)
		return -1;
	for (size_t k = 0; k < l->n; k++) {
		if (l->v[k].interp != t->interp)
			return -1;     /* another GIL runs those */
		if (l->v[k].tstate == holder)
			i = k;
	}
	if (i == l->n)
		return -1;
	/* a subinterpreter with a GIL of its own runs while this one is held */
	if (t->runtime && L->interp.next >= 0) {
		raddr_t head = 0;
		if (!l->interps_every_ns || l->interps_head != t->interp)
			return -1;
		int due = interps_head_due(t, l, &head);
		if (due < 0 || (due && head != t->interp))
			return -1;
	}
	uint8_t *old = l->tsbufs + i * t->tstate_len;
	if (remote_read(&t->mem, holder, b, t->tstate_len, NULL) < 0 || rbuf_u64(b, L->tstate.interp) != t->interp ||
	    rbuf_u64(b, L->tstate.next) != rbuf_u64(old, L->tstate.next))
		return -1;
	memcpy(old, b, t->tstate_len);
	for (size_t k = 0; k < l->n; k++) {
		l->v[k].gil = -1;
		l->v[k].walk_error = 0;
	}
	return 0;
}

void threads_prefetch(struct target *t, const struct thread_list *l)
{
	struct remote_iov iov[256];
	int n = 0;
	if (!remote_prefetch_active(&t->mem) || !t->tstate_len)
		return;
	raddr_t head = t->interp + (raddr_t)t->layout.interp.tstate_head;
	if (!remote_prefetch_fresh(&t->mem, head, 8))
		iov[n++] = (struct remote_iov){ head, NULL, 8 };
	for (size_t k = 0; k < l->n; k++) {
		if (remote_prefetch_fresh(&t->mem, l->v[k].tstate, t->tstate_len))
			continue;
		iov[n++] = (struct remote_iov){ l->v[k].tstate, NULL, t->tstate_len };
		if (n == (int)(sizeof(iov) / sizeof(iov[0]))) {
			remote_prefetch_now(&t->mem, iov, n);
			n = 0;
		}
	}
	if (n)
		remote_prefetch_now(&t->mem, iov, n);
}

void threads_release(struct thread_list *l)
{
	for (size_t i = 0; i < l->cap; i++) {
		free(l->v[i].frames);
		free(l->v[i].name);
	}
	free(l->v);
	free(l->tsbufs);
	memset(l, 0, sizeof(*l));
}

/* ---- thread names: threading._active[ident].name ---- */

static int threading_active(struct target *t, raddr_t interp, raddr_t *active, struct pyspy_err *e)
{
	raddr_t modules, threading = 0, mdict = 0;
	int rc = target_read_ptr(t, (interp ? interp : t->interp) + (raddr_t)t->layout.interp.modules, &modules, e);
	if (rc == 0)
		rc = pyobj_dict_get_str(t, modules, "threading", &threading, e);
	if (rc == 0 && threading)
		rc = target_read_ptr(t, threading + (raddr_t)t->layout.module.dict, &mdict, e);
	*active = 0;
	if (rc == 0 && mdict)
		rc = pyobj_dict_get_str(t, mdict, "_active", active, e);
	return rc;
}

/* A threading.Thread object's name */
static int thread_obj_name(struct target *t, raddr_t thread, char *buf, size_t len)
{
	const char *attr = t->layout.thread_name_model == THREAD_NAME_MANGLED ? "_Thread__name" : "_name";
	raddr_t name;
	if (!thread || pyobj_attr(t, thread, attr, &name, NULL) < 0 || !name)
		return -1;
	return pyobj_str(t, name, buf, len, NULL, NULL) == 0 ? 0 : -1;
}

raddr_t threads_active_dict(struct target *t, raddr_t interp)
{
	raddr_t active;
	return threading_active(t, interp, &active, NULL) < 0 ? 0 : active;
}

int threads_name_in(struct target *t, raddr_t active, uint64_t thread_id, char *buf, size_t len)
{
	raddr_t thread;
	if (!active || pyobj_dict_get_int(t, active, thread_id, &thread, NULL) < 0)
		return -1;
	return thread_obj_name(t, thread, buf, len);
}

int threads_name(struct target *t, raddr_t interp, uint64_t thread_id, char *buf, size_t len)
{
	return threads_name_in(t, threads_active_dict(t, interp), thread_id, buf, len);
}

struct names_walk {
	struct target *t;
	threads_name_fn fn;
	void *arg;
};

static int visit_name(void *arg, raddr_t key, raddr_t thread)
{
	struct names_walk *w = arg;
	uint64_t id;
	bool negative;
	char buf[256];
	/* an entry that cannot be read is left out: its thread is asked alone later */
	if (pyobj_int(w->t, key, &id, &negative, NULL) < 0 || negative || thread_obj_name(w->t, thread, buf, sizeof(buf)) < 0 ||
	    !buf[0])
		return 0;
	w->fn(w->arg, id, buf);
	return 0;
}

int threads_names_in(struct target *t, raddr_t active, threads_name_fn fn, void *arg)
{
	struct names_walk w = { t, fn, arg };
	return active && pyobj_dict_foreach(t, active, visit_name, &w, NULL) == 0 ? 0 : -1;
}

struct name_all {
	struct py_thread *threads;
	size_t n;
	raddr_t interp;
};

static void name_each(void *arg, uint64_t thread_id, const char *name)
{
	struct name_all *a = arg;
	for (size_t i = 0; i < a->n; i++)
		if (!a->threads[i].name && a->threads[i].interp == a->interp && a->threads[i].thread_id == thread_id)
			a->threads[i].name = strdup(name);
}

void threads_name_all(struct target *t, struct py_thread *threads, size_t n)
{
	/* each interpreter has its own threading module: one walk of its
	 * _active names all its threads (one lookup each was n walks) */
	for (size_t i = 0; i < n; i++)
		if (i == 0 || threads[i].interp != threads[i - 1].interp) {
			struct name_all a = { threads, n, threads[i].interp };
			threads_names_in(t, threads_active_dict(t, threads[i].interp), name_each, &a);
		}
}

/* ---- garbage collection ---- */

int threads_gc_collecting(struct target *t, raddr_t interp)
{
	const struct py_layout *L = &t->layout;
	int32_t collecting = 0;
	if (L->interp.gc < 0 || L->gcstate.collecting < 0)
		return -1;
	raddr_t at = (interp ? interp : t->interp) + (raddr_t)L->interp.gc + (raddr_t)L->gcstate.collecting;
	if (remote_read(&t->mem, at, &collecting, sizeof(collecting), NULL) < 0)
		return -1;
	return collecting != 0;
}

/* ---- which thread holds the GIL ---- */

/* How much of struct _gil_runtime_state the reads take (its fields up to the
 * last one used), or 0 when the layout's fields do not fit in 64 bytes. */
static size_t gil_span(const struct py_layout *L)
{
	int32_t end = 0, f[3] = { L->gil.locked + 4, L->gil.last_holder + 8, L->gil.switch_number + 8 };
	for (int i = 0; i < 3; i++)
		if (f[i] > end)
			end = f[i];
	return L->gil.last_holder >= 0 && end <= 64 ? (size_t)end : 0;
}

/* Where the interpreter's struct _gil_runtime_state is, or 0. */
static raddr_t gil_struct(struct target *t)
{
	const struct py_layout *L = &t->layout;
	raddr_t gil = 0;
	if (L->gil_model == GIL_MODEL_INTERP_GIL) {
		if (!t->gil && remote_read_ptr(&t->mem, t->interp + (raddr_t)L->interp.ceval_gil, &gil, NULL) == 0)
			t->gil = gil;
		gil = t->gil;
	} else if (t->runtime && L->runtime.ceval_gil >= 0)
		gil = t->runtime + (raddr_t)L->runtime.ceval_gil;
	return gil;
}

int threads_gil_state(struct target *t, raddr_t *holder, struct gil_switches *sw)
{
	const struct py_layout *L = &t->layout;
	bool in_struct = L->gil_model == GIL_MODEL_RUNTIME_GIL || L->gil_model == GIL_MODEL_INTERP_GIL;
	uint8_t buf[64];
	size_t len = gil_span(L);
	bool have = false;
	*holder = 0;
	if (sw)
		sw->valid = sw->held = false;
	/* one read of the struct up to its last field used: the holder and the
	 * handoff count as close together in time as a copy makes them, and one
	 * piece for the sampler's read-ahead */
	if (len && (in_struct || (sw && L->gil.switch_number >= 0))) {
		raddr_t gil = gil_struct(t);
		if (gil)
			remote_prefetch_order(&t->mem, gil, len, REMOTE_FIRST);
		have = gil && remote_read(&t->mem, gil, buf, len, NULL) == 0;
	}
	if (have && sw && L->gil.switch_number >= 0) {
		int32_t locked = 0;
		if (L->gil.locked >= 0)
			memcpy(&locked, buf + L->gil.locked, sizeof(locked));
		sw->count = rbuf_u64(buf, L->gil.switch_number);
		sw->last_holder = rbuf_u64(buf, L->gil.last_holder);
		sw->held = L->gil.locked >= 0 && locked == 1;   /* -1: destroyed, at exit */
		sw->valid = true;
	}
	switch (L->gil_model) {
	case GIL_MODEL_CURRENT_SYMBOL:
		return t->tstate_current ? remote_read_ptr(&t->mem, t->tstate_current, holder, NULL) : -1;
	case GIL_MODEL_RUNTIME_TSTATE:
		return t->runtime ? remote_read_ptr(&t->mem, t->runtime + (raddr_t)L->runtime.gilstate_tstate_current, holder, NULL) : -1;
	case GIL_MODEL_RUNTIME_GIL:
	case GIL_MODEL_INTERP_GIL: {
		int32_t locked = 0;
		if (!have || L->gil.locked < 0)
			return -1;
		memcpy(&locked, buf + L->gil.locked, sizeof(locked));
		if (locked)
			*holder = rbuf_u64(buf, L->gil.last_holder);
		return 0;
	}
	default:
		return -1;
	}
}

int threads_gil_holder(struct target *t, raddr_t *holder)
{
	return threads_gil_state(t, holder, NULL);
}

/* ---- OS thread ids on versions without native_thread_id ---- */

static int tid_known(const pid_t *tids, size_t n, int32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (tids[i] == v)
			return 1;
	return 0;
}

/*
 * 2.7–3.7 keep only pthread_self(), which on glibc is the address of the
 * thread's struct pthread; that struct holds the kernel tid at a fixed offset
 * for a given glibc build (0x2d0 on x86-64 for glibc 2.26 and later).  The
 * offset is confirmed, or found, by requiring that it yields a live, distinct
 * tid of this process for every thread.
 */
void threads_map_tids(struct target *t, struct py_thread *threads, size_t n, const pid_t *tids, size_t ntids)
{
	enum { SPAN = 2048 };
	static const int preferred = 0x2d0;
	int32_t (*vals)[SPAN / 4] = calloc(n, sizeof(*vals));
	if (!vals)
		return;
	for (size_t i = 0; i < n; i++)
		if (remote_read(&t->mem, threads[i].thread_id, vals[i], SPAN, NULL) < 0)
			memset(vals[i], 0, SPAN);
	int best = -1;
	for (int k = -1; k < SPAN / 4 && best < 0; k++) {
		int off = k < 0 ? (t->pthread_tid_offset >= 0 ? t->pthread_tid_offset : preferred) : k * 4;
		int ok = 1;
		for (size_t i = 0; i < n && ok; i++) {
			int32_t v = vals[i][off / 4];
			ok = tid_known(tids, ntids, v);
			for (size_t j = 0; j < i && ok; j++)
				ok = vals[j][off / 4] != v;
		}
		if (ok)
			best = off;
	}
	if (best >= 0) {
		t->pthread_tid_offset = best;
		for (size_t i = 0; i < n; i++)
			threads[i].os_tid = vals[i][best / 4];
	}
	free(vals);
}

int threads_read_tids(struct target *t, struct py_thread *threads, size_t n)
{
	enum { BATCH = 16 };
	if (t->pthread_tid_offset < 0)
		return -1;
	for (size_t i = 0; i < n; i += BATCH) {
		struct remote_iov iov[BATCH];
		int32_t tid[BATCH];
		int k = 0;
		for (; k < BATCH && i + (size_t)k < n; k++)
			iov[k] = (struct remote_iov){ threads[i + (size_t)k].thread_id + (raddr_t)t->pthread_tid_offset,
						      &tid[k], sizeof(tid[k]) };
		if (remote_readv(&t->mem, iov, k, NULL) < 0)
			return -1;
		for (int j = 0; j < k; j++) {
			if (tid[j] <= 0)
				return -1;
			threads[i + (size_t)j].os_tid = tid[j];
		}
	}
	/* two threads with one tid: the offset no longer fits (another glibc?) */
	for (size_t i = 0; i < n && n <= 256; i++)
		for (size_t j = 0; j < i; j++)
			if (threads[i].os_tid == threads[j].os_tid)
				return -1;
	return 0;
}
