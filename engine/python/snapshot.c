/*
 * snapshot.c — reading every thread of the interpreter at one moment.
 *
 * Order matters: the scheduler states come from /proc before pausing (a paused
 * task shows as 't'), then the tasks are paused, the thread-state list and the
 * stacks are read, names are looked up in the threading module, and the target
 * is released as early as possible.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/os/pause.h"
#include "pyobj.h"
#include "snapshot.h"

#define MAX_THREADS 4096

/* ---- thread names: threading._active[ident].name ---- */

static int threading_active(struct target *t, raddr_t *active, struct pyspy_err *e)
{
	raddr_t modules, threading = 0, mdict = 0;
	int rc = target_read_ptr(t, t->interp + (raddr_t)t->layout.interp.modules, &modules, e);
	if (rc == 0)
		rc = pyobj_dict_get_str(t, modules, "threading", &threading, e);
	if (rc == 0 && threading)
		rc = target_read_ptr(t, threading + (raddr_t)t->layout.module.dict, &mdict, e);
	*active = 0;
	if (rc == 0 && mdict)
		rc = pyobj_dict_get_str(t, mdict, "_active", active, e);
	return rc;
}

static int name_of(struct target *t, raddr_t active, uint64_t thread_id, char *buf, size_t len)
{
	const char *attr = t->layout.version < 0x03000000 ? "_Thread__name" : "_name";
	raddr_t thread, name;
	if (pyobj_dict_get_int(t, active, thread_id, &thread, NULL) < 0 || !thread)
		return -1;
	if (pyobj_attr(t, thread, attr, &name, NULL) < 0 || !name)
		return -1;
	return pyobj_str(t, name, buf, len, NULL, NULL) == 0 ? 0 : -1;
}

int thread_name(struct target *t, uint64_t thread_id, char *buf, size_t len)
{
	raddr_t active;
	if (threading_active(t, &active, NULL) < 0 || !active)
		return -1;
	return name_of(t, active, thread_id, buf, len);
}

static void name_threads(struct target *t, struct snapshot *s)
{
	raddr_t active;
	if (threading_active(t, &active, NULL) < 0 || !active)
		return;
	for (size_t i = 0; i < s->nthreads; i++) {
		char buf[256];
		if (name_of(t, active, s->threads[i].thread_id, buf, sizeof(buf)) == 0)
			s->threads[i].name = strdup(buf);
	}
}

/* ---- which thread holds the GIL ---- */

int gil_holder(struct target *t, raddr_t *holder)
{
	const struct py_layout *L = &t->layout;
	raddr_t gil;
	int32_t locked = 0;
	*holder = 0;
	switch (L->gil_model) {
	case GIL_MODEL_CURRENT_SYMBOL:
		return t->tstate_current ? remote_read_ptr(&t->mem, t->tstate_current, holder, NULL) : -1;
	case GIL_MODEL_RUNTIME_TSTATE:
		return t->runtime ? remote_read_ptr(&t->mem, t->runtime + (raddr_t)L->runtime.gilstate_tstate_current, holder, NULL) : -1;
	case GIL_MODEL_RUNTIME_GIL:
		if (!t->runtime)
			return -1;
		gil = t->runtime + (raddr_t)L->runtime.ceval_gil;
		break;
	case GIL_MODEL_INTERP_GIL:
		if (remote_read_ptr(&t->mem, t->interp + (raddr_t)L->interp.ceval_gil, &gil, NULL) < 0 || !gil)
			return -1;
		break;
	default:
		return -1;
	}
	if (remote_read(&t->mem, gil + (raddr_t)L->gil.locked, &locked, sizeof(locked), NULL) < 0)
		return -1;
	if (locked)
		return remote_read_ptr(&t->mem, gil + (raddr_t)L->gil.last_holder, holder, NULL);
	return 0;
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
void map_tids_from_pthread(struct target *t, struct snapshot *s, const pid_t *tids, size_t ntids)
{
	enum { SPAN = 2048 };
	static const int preferred = 0x2d0;
	int32_t (*vals)[SPAN / 4] = calloc(s->nthreads, sizeof(*vals));
	if (!vals)
		return;
	for (size_t i = 0; i < s->nthreads; i++)
		if (remote_read(&t->mem, s->threads[i].thread_id, vals[i], SPAN, NULL) < 0)
			memset(vals[i], 0, SPAN);
	int best = -1;
	for (int k = -1; k < SPAN / 4 && best < 0; k++) {
		int off = k < 0 ? (t->pthread_tid_offset >= 0 ? t->pthread_tid_offset : preferred) : k * 4;
		int ok = 1;
		for (size_t i = 0; i < s->nthreads && ok; i++) {
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
		for (size_t i = 0; i < s->nthreads; i++)
			s->threads[i].os_tid = vals[i][best / 4];
	}
	free(vals);
}

/* ---- the snapshot ---- */

static int list_threads(struct target *t, struct snapshot *s, uint8_t **tsbufs, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	raddr_t ts;
	size_t cap = 0;
	int rc = target_read_ptr(t, t->interp + (raddr_t)L->interp.tstate_head, &ts, e);
	if (rc < 0)
		return err_wrap(e, "reading the thread list");
	*tsbufs = NULL;
	while (ts) {
		if (s->nthreads >= MAX_THREADS)
			return err_set(e, PS_ECORRUPT, "more than %d threads: the thread list loops or is corrupt", MAX_THREADS);
		if (s->nthreads == cap) {
			cap = cap ? cap * 2 : 16;
			struct py_thread *nt = realloc(s->threads, cap * sizeof(*nt));
			uint8_t *nb = realloc(*tsbufs, cap * t->tstate_len);
			if (nt)
				s->threads = nt;
			if (nb)
				*tsbufs = nb;
			if (!nt || !nb)
				return err_set(e, PS_ENOMEM, "out of memory");
		}
		uint8_t *b = *tsbufs + s->nthreads * t->tstate_len;
		if ((rc = remote_read(&t->mem, ts, b, t->tstate_len, e)) < 0)
			return err_wrap(e, "reading thread state 0x%" PRIx64, ts);
		if (rbuf_u64(b, L->tstate.interp) != t->interp)
			return err_set(e, PS_ETORN, "thread state 0x%" PRIx64 " does not belong to the interpreter", ts);
		struct py_thread *th = &s->threads[s->nthreads++];
		memset(th, 0, sizeof(*th));
		th->tstate = ts;
		th->thread_id = rbuf_u64(b, L->tstate.thread_id);
		th->gil = -1;
		if (L->tstate.native_thread_id >= 0)
			th->os_tid = (pid_t)rbuf_u64(b, L->tstate.native_thread_id);
		ts = rbuf_u64(b, L->tstate.next);
	}
	return 0;
}

/* The list is newest first; number them oldest first, like gdb. */
static void number_threads(struct snapshot *s, uint8_t *tsbufs, size_t len)
{
	uint8_t *tmp = malloc(len);
	for (size_t i = 0, j = s->nthreads ? s->nthreads - 1 : 0; i < j; i++, j--) {
		struct py_thread th = s->threads[i];
		s->threads[i] = s->threads[j];
		s->threads[j] = th;
		if (tmp) {
			memcpy(tmp, tsbufs + i * len, len);
			memcpy(tsbufs + i * len, tsbufs + j * len, len);
			memcpy(tsbufs + j * len, tmp, len);
		}
	}
	free(tmp);
	for (size_t i = 0; i < s->nthreads; i++)
		s->threads[i].number = (int)i + 1;
}

static void fill_status(struct target *t, struct snapshot *s, const pid_t *tids, const char *states, size_t ntids)
{
	for (size_t i = 0; i < s->nthreads; i++) {
		struct py_thread *th = &s->threads[i];
		for (size_t j = 0; j < ntids; j++)
			if (tids[j] == th->os_tid) {
				th->state = states[j];
				th->active = states[j] == 'R';
			}
	}
	(void)t;
}

int snapshot_take(struct target *t, unsigned flags, struct snapshot *s, struct pyspy_err *e)
{
	struct pause pz = { 0 };
	pid_t *tids = NULL;
	char *states = NULL;
	size_t ntids = 0;
	uint8_t *tsbufs = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	unsigned long reads0 = t->mem.nreads, stack0 = 0;
	if ((rc = procfs_tasks(t->pid, &tids, &ntids, e)) < 0)
		return rc;
	if ((flags & SNAP_STATUS) && (states = calloc(ntids + 1, 1)))
		for (size_t i = 0; i < ntids; i++)
			states[i] = procfs_task_state(t->pid, tids[i]);
	if (flags & SNAP_PAUSE) {
		struct pyspy_err pe;
		if (pause_all(&pz, t->pid, &pe) == 0)
			s->paused = true;
		else if (pe.code == PS_EGONE) {
			rc = err_set(e, PS_EGONE, "%s", pe.msg);
			goto out;
		} else
			snprintf(s->pause_msg, sizeof(s->pause_msg), "%s", pe.msg);
	}
	stack0 = t->mem.nreads;
	if ((rc = list_threads(t, s, &tsbufs, e)) < 0)
		goto out;
	number_threads(s, tsbufs, t->tstate_len);
	if (flags & SNAP_FRAMES) {
		for (size_t i = 0; i < s->nthreads; i++) {
			struct py_thread *th = &s->threads[i];
			struct pyspy_err we;
			if ((th->walk_error = frames_walk(t, tsbufs + i * t->tstate_len, th, &we)) < 0) {
				snprintf(th->walk_msg, sizeof(th->walk_msg), "%s", we.msg);
				s->partial = true;
			}
		}
	}
	s->stack_reads = t->mem.nreads - stack0;
	if (t->layout.tstate.native_thread_id < 0)
		map_tids_from_pthread(t, s, tids, ntids);
	if (flags & SNAP_NAMES)
		name_threads(t, s);
	if (flags & SNAP_GIL) {
		raddr_t holder;
		if (gil_holder(t, &holder) == 0)
			for (size_t i = 0; i < s->nthreads; i++)
				s->threads[i].gil = s->threads[i].tstate == holder;
	}
	s->reads = t->mem.nreads - reads0;
	if (flags & SNAP_KEEP_PAUSED) {
		s->hold = pz;
		memset(&pz, 0, sizeof(pz));
	}
	pause_release(&pz);
	if (states)
		fill_status(t, s, tids, states, ntids);
out:
	pause_release(&pz);
	free(tsbufs);
	free(tids);
	free(states);
	if (rc < 0) {
		if (!procfs_alive(t->pid))
			rc = err_set(e, PS_EGONE, "pid %d has exited", (int)t->pid);
		else if (target_check_exec(t, e) < 0)
			rc = -PS_EGONE;
		snapshot_release(s);
	}
	return rc;
}

void snapshot_release(struct snapshot *s)
{
	pause_release(&s->hold);
	for (size_t i = 0; i < s->nthreads; i++) {
		free(s->threads[i].frames);
		free(s->threads[i].name);
	}
	free(s->threads);
	memset(s, 0, sizeof(*s));
}
