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
#include <time.h>

#include "engine/os/clock.h"
#include "engine/os/core.h"
#include "engine/os/pause.h"
#include "snapshot.h"

/* ---- the snapshot ---- */

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
	/* the main interpreter's threads first (their list is read first, so the
	 * reversal put them last): rotate the others behind them */
	size_t nsub = 0;
	while (nsub < s->nthreads && s->threads[nsub].interp_id != 0)
		nsub++;
	if (nsub && nsub < s->nthreads && tmp)
		for (size_t k = 0; k < nsub; k++) {
			struct py_thread th = s->threads[0];
			memcpy(tmp, tsbufs, len);
			memmove(s->threads, s->threads + 1, (s->nthreads - 1) * sizeof(*s->threads));
			memmove(tsbufs, tsbufs + len, (s->nthreads - 1) * len);
			s->threads[s->nthreads - 1] = th;
			memcpy(tsbufs + (s->nthreads - 1) * len, tmp, len);
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

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) < 0 && !pyspy_interrupted)
		;
}

/*
 * Each task's scheduler state, as the program left it (before this snapshot
 * pauses anything, and not as the last pause left it).  Pausing interrupts
 * every blocking call; a waiter restarts it when released and shows as
 * running ('R') until it gets a CPU and goes back to sleep, which on a busy
 * machine takes a while.  So the states each pausing snapshot read before it
 * paused are remembered (in the target: its last snapshot's), and a task that was
 * asleep then and shows R now, within WOKEN_NS of that pause's release, is
 * looked at again every POLL_NS until it is asleep or WOKEN_NS have passed.
 * Any other task shown running is looked at once more RECHECK_NS later and
 * keeps the second letter, so one only passing through (a short wake-up) is
 * not reported active.
 */
#define WOKEN_NS 100000000ull
#define POLL_NS 2000000ull
#define RECHECK_NS 3000000ull
#define REMEMBERED 4096

struct paused_states {
	size_t n;
	pid_t tid[REMEMBERED];
	char state[REMEMBERED];
};

static void forget_states(struct target *t)
{
	free(t->before_pause);
	t->before_pause = NULL;
}

static char state_before_pause(const struct target *t, pid_t tid)
{
	const struct paused_states *b = t->before_pause;
	for (size_t i = 0; b && i < b->n; i++)
		if (b->tid[i] == tid)
			return b->state[i];
	return 0;
}

static void remember_before_pause(struct target *t, const pid_t *tids, size_t n, const char *states)
{
	if (!t->before_pause) {
		if (!(t->before_pause = malloc(sizeof(*t->before_pause))))
			return;
		target_on_detach(t, forget_states);
	}
	struct paused_states *b = t->before_pause;
	b->n = n < REMEMBERED ? n : REMEMBERED;
	memcpy(b->tid, tids, b->n * sizeof(*tids));
	memcpy(b->state, states, b->n);
}

static bool asleep(char c)
{
	return c == 'S' || c == 'D' || c == 'I';
}

static void read_states(const struct target *t, const pid_t *tids, size_t n, char *states)
{
	pid_t pid = t->pid;
	uint64_t released = pause_released_ns();
	bool running = false;
	for (size_t i = 0; i < n; i++)
		running |= (states[i] = procfs_task_state(pid, tids[i])) == 'R';
	if (!running)
		return;
	/* woken by our last pause: wait for them to go back to sleep */
	for (;;) {
		bool woken = false;
		for (size_t i = 0; i < n; i++)
			if (states[i] == 'R' && asleep(state_before_pause(t, tids[i])))
				woken = true;
		if (!woken || !released || clock_now_ns() - released >= WOKEN_NS || pyspy_interrupted)
			break;
		sleep_ns(POLL_NS);
		for (size_t i = 0; i < n; i++)
			if (states[i] == 'R' && asleep(state_before_pause(t, tids[i])))
				states[i] = procfs_task_state(pid, tids[i]);
	}
	sleep_ns(RECHECK_NS);
	for (size_t i = 0; i < n; i++)
		if (states[i] == 'R')
			states[i] = procfs_task_state(pid, tids[i]);
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
	if (t->core) {
		/* a core: its threads are the NT_PRSTATUS notes; nothing runs, nothing to pause */
		flags &= ~(unsigned)(SNAP_STATUS | SNAP_PAUSE | SNAP_KEEP_PAUSED);
		if ((rc = core_tids(t->core, &tids, &ntids, e)) < 0)
			return rc;
	} else if ((rc = procfs_tasks(t->pid, &tids, &ntids, e)) < 0)
		return rc;
	if ((flags & SNAP_STATUS) && (states = calloc(ntids + 1, 1)))
		read_states(t, tids, ntids, states);
	if (flags & SNAP_PAUSE) {
		struct pyspy_err pe;
		if (pause_all(&pz, t->pid, &pe) == 0) {
			s->paused = true;
			if (states)
				remember_before_pause(t, tids, ntids, states);
		}
		else if (pe.code == PS_EGONE) {
			rc = err_set(e, PS_EGONE, "%s", pe.msg);
			goto out;
		} else
			snprintf(s->pause_msg, sizeof(s->pause_msg), "%s", pe.msg);
	}
	stack0 = t->mem.nreads;
	struct thread_list tl = { 0 };
	rc = threads_read(t, &tl, e);
	s->threads = tl.v;
	s->nthreads = tl.n;
	tsbufs = tl.tsbufs;
	if (rc < 0)
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
		threads_map_tids(t, s->threads, s->nthreads, tids, ntids);
	if (flags & SNAP_NAMES)
		threads_name_all(t, s->threads, s->nthreads);
	if (flags & SNAP_GIL) {
		raddr_t holder;
		if (threads_gil_holder(t, &holder) == 0)
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
	if (rc < 0 && !t->core) {
		if (!procfs_alive(t->pid))
			rc = err_set(e, PS_EGONE, "pid %d has exited", (int)t->pid);
		else if (target_check_exec(t, e) < 0)
			rc = -PS_EGONE;
	}
	if (rc < 0)
		snapshot_release(s);
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
