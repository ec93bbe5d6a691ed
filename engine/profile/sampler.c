/*
 * sampler.c — the sampling loop.
 *
 * One tick: read the thread-state list (head pointer, then each PyThreadState
 * in one read), weigh each thread by the mode, walk the threads that weigh
 * something with the same frame walker `bt` uses, and hand each stack and its
 * weight to emit.  cpu mode (the default) weighs a thread by the CPU time it
 * used since the previous tick, from the scheduler's accounting
 * (/proc/PID/task/TID/schedstat through a descriptor kept open per task: one
 * pread per thread per tick) — not by the state letter, whose R means running
 * *or waiting for a CPU*: with 100 threads waking on 2 cores most R threads
 * are queued, and counting them gave a computing thread 48-63% of a profile
 * where the scheduler gave it 84-90%.  A thread that used no CPU is not
 * walked at all.  Without schedstat, cpu mode keeps the threads shown R, one
 * sample each.  wall mode keeps every thread, gil mode the GIL holder,
 * exception mode the threads raising or handling an exception (read from the
 * thread-state bytes the tick read anyway, plus the exc_info chain).
 * Everything a tick needs is allocated once and reused: thread structs and
 * their frame buffers, the tstate buffers, the task table, the name cache.
 *
 * Pacing is absolute (tick k is due at start + k*interval, plus a little
 * random jitter so the sampler does not lock onto periodic work in the
 * target); when a tick is more than one interval late the scheduled ticks it
 * overran are counted as missed (`late`) and the schedule moves on rather
 * than bursting to catch up, so ticks + late is the rate times the time.  A sleep wakes late —
 * tens of microseconds on a virtual machine even with the timer slack at its
 * minimum — so the sampler learns how late, sleeps until that much before the
 * deadline and spins the rest: a requested rate is the achieved rate, up to
 * the rate one tick's work allows, at the price of that short spin per tick.
 *
 * Several processes (--subprocesses, sampler_run_group) share the pacing and
 * nothing else: each target has its own struct sampler and read-ahead, and
 * each tick runs the same tick() on every live target in turn.  One process
 * is the group of one.
 */
#include "sampler.h"
#include "sampler_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "engine/native/native.h"
#include "engine/os/clock.h"
#include "engine/os/pause.h"
#include "engine/os/procfs.h"
#include "engine/os/taskstat.h"
#include "engine/python/exc_state.h"
#include "cpu_spread.h"
#include "thread_names.h"

/* A thread's scheduler state is re-read at most this often: at rates up to
 * 5 kHz that is every tick; above, one pread per thread per tick would cost
 * more than the whole stack read, and 200 us is finer than anyone reads a
 * profile. */
#define STATE_REFRESH_NS 200000ull
/* A task not asked about for this many ticks has its descriptors closed. */
#define TASK_KEEP_TICKS 16

/* ---- what the scheduler says ---- */

static char task_state(struct sampler *sm, struct taskstat_entry *en)
{
	uint64_t now = clock_now_ns();
	/* a paused task shows 't': blocking ticks use the state read just before the pause */
	if (en->state && (now - en->state_ns < STATE_REFRESH_NS ||
			  (sm->o->blocking && en->state_ns >= sm->prepause_ns)))
		return en->state;
	return taskstat_state(&sm->tasks, en, now);
}

/*
 * The µs of CPU en's task used since the CPU already attributed to it (its
 * baseline), which then moves on by as many whole µs, so nothing is lost to
 * rounding.  A task without a baseline gets one: at the first tick its
 * current figure (the CPU it used before sampling began is not ours to
 * count); later, a thread seen for the first time started since the
 * previous tick or was not a Python thread until now, so it is given its
 * CPU since it started, at most the time since the previous tick.
 * Blocking ticks use the figure read just before the pause.  -1: unreadable.
 */
static int64_t cpu_weight(struct sampler *sm, struct taskstat_entry *en)
{
	uint64_t now = clock_now_ns();
	if (!(sm->o->blocking && en->have_base && en->cpu_at >= sm->prepause_ns) &&
	    taskstat_cpu(&sm->tasks, en, now) < 0)
		return -1;
	if (!en->have_base) {
		uint64_t since = sm->first_tick ? 0 : sm->tick_ns - sm->prev_tick_ns;
		en->base_ns = en->cpu_ns - (en->cpu_ns < since ? en->cpu_ns : since);
		en->have_base = true;
	}
	uint64_t us = en->cpu_ns > en->base_ns ? (en->cpu_ns - en->base_ns) / 1000 : 0;
	en->base_ns += us * 1000;
	return (int64_t)us;
}

/* Blocking ticks: read the figures of the tasks seen so far before pausing
 * (a paused task reads 't', and pausing wakes a waiting thread, which then
 * uses CPU because of us). */
static void before_pause(struct sampler *sm)
{
	sm->prepause_ns = clock_now_ns();
	for (size_t i = 0; i < sm->tasks.cap; i++) {
		struct taskstat_entry *en = &sm->tasks.v[i];
		if (!en->tid)
			continue;
		if (sm->cpu)
			taskstat_cpu(&sm->tasks, en, sm->prepause_ns);
		else
			taskstat_state(&sm->tasks, en, sm->prepause_ns);
	}
}

/* Blocking ticks: what the pause made the waiting threads spend (waking,
 * stopping, going back to wait) is not theirs: move every baseline to the
 * figure read after resuming. */
static void after_resume(struct sampler *sm)
{
	uint64_t now = clock_now_ns();
	for (size_t i = 0; i < sm->tasks.cap; i++) {
		struct taskstat_entry *en = &sm->tasks.v[i];
		if (en->tid && en->have_base && taskstat_cpu(&sm->tasks, en, now) == 0 && en->have_base)
			en->base_ns = en->cpu_ns;
	}
}

static void release(struct sampler *sm)
{
	native_stack_release(&sm->ns);
	free(sm->merged);
	free(sm->plan);
	free(sm->iov);
	free(sm->last_addrs);
	for (size_t i = 0; i < sm->list.cap; i++)
		sm->list.v[i].name = NULL;   /* the name cache owns them */
	threads_release(&sm->list);
	taskstat_release(&sm->tasks);
	thread_names_release(&sm->names);
	cpu_spread_free(&sm->spread);
}

/* ---- one tick ---- */

/*
 * 2.7–3.10 only: kernel tids from glibc's struct pthread, read afresh every
 * tick (one small read per thread, batched); finding the offset lists
 * /proc/PID/task and reads every struct pthread, which happens only at the
 * start or when the fresh tids stop making sense.
 */
static void fill_tids(struct sampler *sm, size_t n)
{
	if (threads_read_tids(sm->t, sm->list.v, n) == 0)
		return;
	pid_t *tids;
	size_t ntids;
	if (procfs_tasks(sm->t->pid, &tids, &ntids, NULL) < 0)
		return;
	threads_map_tids(sm->t, sm->list.v, n, tids, ntids);
	free(tids);
}

/* Whether thread th is sampled this tick, and with what weight. */
static bool wanted(struct sampler *sm, struct py_thread *th, raddr_t holder, bool have_holder,
		   uint64_t *weight)
{
	*weight = 1;
	if (have_holder)
		th->gil = th->tstate == holder;
	if (sm->o->mode == SAMPLER_GIL)
		return th->gil;
	if (sm->o->mode == SAMPLER_WALL)
		return true;
	if (sm->o->mode == SAMPLER_EXCEPTION)
		return exc_state_active(sm->t, sm->list.tsbufs + (size_t)(th - sm->list.v) * sm->t->tstate_len,
					&sm->none) == 1;
	struct taskstat_entry *en = th->os_tid ? taskstat_get(&sm->tasks, th->os_tid) : NULL;
	if (!en)
		return false;
	if (sm->cpu) {
		/* walked when it used CPU (its credit) or is shown running (its
		 * stack is held until the credit comes: see cpu_spread.h) */
		int64_t w = cpu_weight(sm, en);
		th->state = task_state(sm, en);
		th->active = w > 0 || th->state == 'R';
		*weight = w > 0 ? (uint64_t)w : 0;
		return th->active;
	}
	th->state = task_state(sm, en);
	th->active = th->state == 'R';
	/* a thread first seen while paused: its state is not known, keep it */
	return th->active || (sm->o->blocking && th->state == 't');
}

/* Native: th's stack merged with its C stack, as a py_thread copy whose
 * frames are sm->merged.  Non-zero (and counted) when it cannot be had: the
 * sample then keeps the Python stack alone. */
static int with_native(struct sampler *sm, const struct py_thread *th, struct py_thread *out)
{
	struct merged_frame *m = NULL;
	size_t n = 0;
	if (native_thread_stack(sm->t, th, sm->o->native_all, &sm->ns, &m, &n, NULL) < 0) {
		sm->st->native_failed++;
		return -1;
	}
	if (n > sm->merged_cap) {
		struct py_frame *nb = realloc(sm->merged, n * sizeof(*nb));
		if (!nb) {
			free(m);
			sm->st->native_failed++;
			return -1;
		}
		sm->merged = nb;
		sm->merged_cap = n;
	}
	*out = *th;
	out->frames = sm->merged;
	out->nframes = native_as_py_frames(sm->t, m, n, sm->merged, sm->merged_cap);
	free(m);
	return 0;
}

/* Native: one unwind of the main thread before the clock starts, so that
 * reporting the modules and loading the first debug information (tens of
 * milliseconds, more on a cold disk) is not taken out of the sampling time. */
static void native_warm_up(struct target *t)
{
	struct pause pz;
	struct native_stack ns = { 0 };
	if (pause_all(&pz, t->pid, NULL) < 0)
		return;
	native_unwind(t, t->pid, &ns, NULL);
	pause_release(&pz);
	native_stack_release(&ns);
}

static void resume(struct sampler *sm, struct pause *pz)
{
	bool paused = pz->n > 0;
	pause_release(pz);
	if (paused && sm->cpu)
		after_resume(sm);
	sm->first_tick = false;
	taskstat_sweep(&sm->tasks, TASK_KEEP_TICKS);
	if (sm->cpu && (sm->st->ticks & 255) == 0)
		cpu_spread_sweep(&sm->spread);
}

struct spread_ctx {
	struct sampler *sm;
	const struct py_thread *th;
};

static int emit_spread(void *arg, const struct py_frame *frames, size_t nframes, uint64_t ts_us, uint64_t weight)
{
	struct spread_ctx *c = arg;
	struct py_thread copy = *c->th;
	copy.frames = (struct py_frame *)frames;
	copy.nframes = nframes;
	struct sample smp = { ts_us, weight, &copy, c->sm->t };
	c->sm->st->samples++;
	c->sm->st->weight += weight;
	return c->sm->o->emit ? c->sm->o->emit(c->sm->o->ctx, &smp) : 0;
}

/* cpu mode: hold this tick's stack of th (if it has one), and when th's CPU
 * credit came, share it out over the stacks held since the last one.  Non-zero
 * when emit asked to stop. */
static int emit_cpu(struct sampler *sm, const struct py_thread *th, const struct py_thread *stack,
		    uint64_t ts_us, uint64_t weight)
{
	struct spread_ctx c = { sm, th };
	if (stack && cpu_spread_hold(&sm->spread, stack, ts_us) < 0 && weight)
		return emit_spread(&c, stack->frames, stack->nframes, ts_us, weight);
	return weight ? cpu_spread_release_to(&sm->spread, th->os_tid, weight, emit_spread, &c) : 0;
}

/*
 * Which threads this tick samples (and with what weight), which of those keep
 * their stack (unchanged()), and, reading without pausing, the first pieces of
 * every stack to walk, fetched at once: each thread's state again, then its
 * stack chunk, thread after thread, in one syscall.  A thread state that no
 * longer belongs to the interpreter (the thread ended) is skipped.
 */
static int plan(struct sampler *sm, size_t n, raddr_t holder, bool have_holder)
{
	struct target *t = sm->t;
	if (n > sm->plan_cap) {
		struct tick_plan *np = realloc(sm->plan, n * sizeof(*np));
		if (!np)
			return -1;
		sm->plan = np;
		sm->plan_cap = n;
	}
	bool batch = remote_prefetch_active(&t->mem) && t->layout.frame_model != FRAME_MODEL_OBJECT;
	size_t niov = 0;
	for (size_t i = 0; i < n; i++) {
		struct py_thread *th = &sm->list.v[i];
		struct tick_plan *p = &sm->plan[i];
		if (!wanted(sm, th, holder, have_holder, &p->weight)) {
			p->what = SKIP;
			continue;
		}
		p->what = sampler_unchanged(sm, th) ? KEEP : WALK;
		if (p->what != WALK || !batch)
			continue;
		if (niov + 1 + FRAMES_PLAN_MAX > sm->iov_cap) {
			size_t cap = sm->iov_cap ? sm->iov_cap * 2 : 256;
			struct remote_iov *nv = realloc(sm->iov, cap * sizeof(*nv));
			if (!nv)
				return -1;
			sm->iov = nv;
			sm->iov_cap = cap;
		}
		uint8_t *ts = sm->list.tsbufs + i * t->tstate_len;
		/* its state points at its top frame: copied before its stack */
		remote_prefetch_order(&t->mem, th->tstate, t->tstate_len, REMOTE_EARLY);
		size_t at = niov++;
		int k = frames_plan(t, th->tstate, ts, th->read_at.tstate == th->tstate ? th : NULL, sm->iov + niov, FRAMES_PLAN_MAX);
		/* all fetched at the tick's start with its thread state: nothing to add */
		bool fresh = true;
		for (int j = 0; j < k && fresh; j++)
			fresh = remote_prefetch_fresh(&t->mem, sm->iov[niov + j].addr, sm->iov[niov + j].len);
		if (fresh) {
			niov = at;
			continue;
		}
		sm->iov[at] = (struct remote_iov){ th->tstate, ts, t->tstate_len };
		niov += (size_t)k;
	}
	if (!niov)
		return 0;
	remote_prefetch_now(&t->mem, sm->iov, (int)niov);
	for (size_t i = 0; i < n; i++)
		if (sm->plan[i].what == WALK &&
		    rbuf_u64(sm->list.tsbufs + i * t->tstate_len, t->layout.tstate.interp) != sm->list.v[i].interp)
			sm->plan[i].what = SKIP;
	return 0;
}

static int tick(struct sampler *sm, uint64_t t0, struct pyspy_err *e)
{
	struct pause pz = { 0 };
	raddr_t holder = 0;
	int rc = 0;
	sm->prev_tick_ns = sm->tick_ns;
	sm->tick_ns = clock_now_ns();
	if (sm->o->blocking)
		before_pause(sm);
	if (sm->o->blocking && (rc = pause_all(&pz, sm->t->pid, e)) < 0)
		return rc;
	sm->list.now_ns = sm->tick_ns;   /* its clock for the interpreters' list */
	bool have_holder;
	if ((rc = sampler_threads(sm, &holder, &have_holder, e)) < 0) {
		resume(sm, &pz);
		return rc;
	}
	int n = (int)sm->list.n;
	thread_names_round(&sm->names, sm->list.n);
	if (sm->t->layout.tstate.native_thread_id < 0)
		fill_tids(sm, (size_t)n);
	uint64_t ts_us = (clock_now_ns() - t0) / 1000;
	if (plan(sm, (size_t)n, holder, have_holder) < 0) {
		resume(sm, &pz);
		return err_set(e, PS_ENOMEM, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		struct py_thread *th = &sm->list.v[i];
		uint64_t weight = sm->plan[i].weight;
		if (sm->plan[i].what == SKIP)
			continue;
		struct pyspy_err we;
		if (sm->plan[i].what == KEEP) {
			rc = 0;
			sm->st->unchanged++;
		} else {
			th->read_at.valid = false;
			if ((rc = sampler_walk(sm, (size_t)i, &we)) == 0)
				sampler_note_read(sm, th);
			/* exception mode: the state wanted() saw was read before the
			 * stack; the one the walk read its stack from must still say
			 * raising or handling, or the thread left its except block in
			 * between and its stack is not one of those */
			if (rc == 0 && sm->o->mode == SAMPLER_EXCEPTION &&
			    exc_state_active(sm->t, sm->list.tsbufs + (size_t)i * sm->t->tstate_len, &sm->none) != 1)
				continue;
		}
		if (rc == -PS_EGONE || rc == -PS_EINTR) {
			*e = we;
			break;
		}
		if (rc < 0) {
			if (sm->o->blocking) {
				sm->st->errors++;
				snprintf(sm->st->error_msg, sizeof(sm->st->error_msg), "%s", we.msg);
			} else {
				sm->st->torn++;
			}
			/* its credit still goes to the stacks held before, if any */
			rc = sm->cpu && emit_cpu(sm, th, NULL, ts_us, weight) ? 1 : 0;
			if (rc)
				break;
			continue;
		}
		th->name = (char *)thread_names_get(&sm->names, sm->t, th, clock_now_ns());
		struct py_thread merged;
		struct sample smp = { ts_us, weight, th, sm->t };
		if (sm->o->native && with_native(sm, th, &merged) == 0)
			smp.thread = &merged;
		if (smp.thread->nframes == 0) {
			/* no frames (a thread starting or ending): nothing to place in a
			 * profile, and not counted, so every export adds up to the summary */
			rc = sm->cpu && emit_cpu(sm, th, NULL, ts_us, weight) ? 1 : 0;
			if (rc)
				break;
			continue;
		}
		if (sm->cpu) {
			if (emit_cpu(sm, th, smp.thread, ts_us, weight)) {
				rc = 1;
				break;
			}
			continue;
		}
		sm->st->samples++;
		sm->st->weight += weight;
		if (sm->o->emit && sm->o->emit(sm->o->ctx, &smp) != 0) {
			rc = 1;
			break;
		}
	}
	resume(sm, &pz);
	return rc;
}

/* ---- the loop ---- */

static uint64_t jittered(struct sampler *sm, uint64_t interval)
{
	/* xorshift; ±10% of the interval, mean zero */
	sm->rng ^= sm->rng << 13;
	sm->rng ^= sm->rng >> 7;
	sm->rng ^= sm->rng << 17;
	int64_t span = (int64_t)(interval / 5);
	if (span <= 0)
		return interval;
	return interval + (uint64_t)((int64_t)(sm->rng % (uint64_t)span) - span / 2);
}

/* Sleep until due.  When the interval is short next to how late sleeps wake,
 * sleep until that much earlier and spin the rest; otherwise a late wake-up
 * costs nothing (the next deadline does not move), so just sleep. */
static void wait_until(struct sampler *sm, uint64_t due, uint64_t interval)
{
	uint64_t now = clock_now_ns(), margin = 0;
	if (interval < sm->oversleep + sm->oversleep / 4 + 5000)
		margin = sm->oversleep + sm->oversleep / 2 + 2000;
	if (due > now + margin) {
		uint64_t wake = due - margin;
		struct timespec ts = { (time_t)(wake / 1000000000ull), (long)(wake % 1000000000ull) };
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR && !pyspy_interrupted)
			;
		now = clock_now_ns();
		uint64_t late = now > wake ? now - wake : 0;
		sm->oversleep = (sm->oversleep * 7 + (late < interval ? late : interval)) / 8;
	}
	while (now < due && !pyspy_interrupted)
		now = clock_now_ns();
}

/* One target's state for the run (sampler_run_group: one per process). */
static void sampler_open(struct sampler *sm, struct target *t, const struct sampler_opts *o, struct sampler_stats *st)
{
	*sm = (struct sampler){ .t = t, .o = o, .st = st, .rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid(),
				.first_tick = true };
	taskstat_init(&sm->tasks, t->pid);
	if (o->mode == SAMPLER_CPU) {
		sm->cpu = taskstat_has_cpu(&sm->tasks);
		st->cpu_weights = sm->cpu;
		st->no_schedstat = !sm->cpu;
	}
	if (o->native)
		native_warm_up(t);
	/* blocking ticks pause the target, so reading ahead at the tick's start would
	 * read it before the pause: only nonblocking sampling reads ahead */
	sm->ahead = !o->blocking && remote_prefetch_enable(&t->mem) == 0;
	sm->keep_stacks = !o->blocking && !o->native && o->mode != SAMPLER_GIL;
	/* a runtime with no subinterpreter is asked for new ones every 0.5 ms,
	 * not every tick: at every tick up to 2 kHz, and one piece less a tick
	 * above (a remote iovec of its own, about a sixth of a fast tick's cost) */
	sm->list.interps_every_ns = INTERPS_EVERY_NS;
	sm->reads0 = t->mem.nreads;
	sm->live = true;
}

static void sampler_close(struct sampler *sm)
{
	if (sm->ahead)
		remote_prefetch_disable(&sm->t->mem);
	release(sm);
}

/*
 * One target's part of a tick, and what its failure means: 1 when it has
 * exited, 2 when it exec'd (why in stop_msg), -1 when emit asked to stop
 * (stop_msg says so), 0 to go on.
 */
static int tick_target(struct sampler *sm, uint64_t t0, uint64_t now, char *stop_msg, size_t len)
{
	struct target *t = sm->t;
	struct sampler_stats *st = sm->st;
	struct pyspy_err te;
	err_clear(&te);
	remote_prefetch_begin(&t->mem);
	int rc = tick(sm, t0, &te);
	remote_prefetch_end(&t->mem);
	if (rc > 0) {
		snprintf(stop_msg, len, "stopped by the sample callback");
		return -1;
	}
	if (rc < 0 && (rc == -PS_EGONE || !procfs_alive(t->pid))) {
		snprintf(stop_msg, len, "pid %d exited", (int)t->pid);
		return 1;   /* exited */
	}
	/* a failed tick may mean an exec: same pid, another program */
	if (rc < 0 && now >= sm->next_exec_check) {
		struct pyspy_err xe;
		sm->next_exec_check = now + 50000000ull;
		if (target_check_exec(t, &xe) < 0) {
			snprintf(stop_msg, len, "%.200s", xe.msg);
			return 2;   /* exec'd */
		}
	}
	if (rc < 0 && rc != -PS_EINTR) {
		st->errors++;
		snprintf(st->error_msg, sizeof(st->error_msg), "%s", te.msg);
	}
	return 0;
}

static unsigned long group_reads(struct sampler **sms, size_t n)
{
	unsigned long r = 0;
	for (size_t i = 0; i < n; i++)
		r += sms[i]->t->mem.nreads - sms[i]->reads0;
	return r;
}

int sampler_run(struct target *t, const struct sampler_opts *o, struct sampler_stats *st, struct pyspy_err *e)
{
	struct target *one[1] = { t };
	struct sampler_group g = { .t = one, .n = 1 };
	return sampler_run_group(&g, o, st, e);
}

/* The states of g's targets, one per target (each allocated once: a state
 * is never moved), made for the targets refresh added. */
static int group_grow(struct sampler ***sms, size_t *nsm, size_t *cap, struct sampler_group *g,
		      const struct sampler_opts *o, struct sampler_stats *st)
{
	if (g->n > *cap) {
		size_t ncap = g->n * 2;
		struct sampler **nv = realloc(*sms, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		*sms = nv;
		*cap = ncap;
	}
	for (; *nsm < g->n; (*nsm)++) {
		struct sampler *sm = malloc(sizeof(*sm));
		if (!sm)
			return -1;
		sampler_open(sm, g->t[*nsm], o, st);
		(*sms)[*nsm] = sm;
	}
	return 0;
}

int sampler_run_group(struct sampler_group *g, const struct sampler_opts *o, struct sampler_stats *st,
		      struct pyspy_err *e)
{
	struct sampler **sms = NULL;
	size_t nsm = 0, cap = 0;
	memset(st, 0, sizeof(*st));
	if (!(o->rate > 0))
		return err_set(e, PS_EARG, "sampling rate must be positive");
	if (o->native && !o->blocking)
		return err_set(e, PS_EARG, "native sampling pauses the target: it needs blocking mode");
	if (group_grow(&sms, &nsm, &cap, g, o, st) < 0 || !nsm) {
		for (size_t i = 0; i < nsm; i++)
			sampler_close(sms[i]), free(sms[i]);
		free(sms);
		return err_set(e, PS_ENOMEM, "out of memory");
	}
	uint64_t interval = (uint64_t)(1e9 / o->rate);
	int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	prctl(PR_SET_TIMERSLACK, 1ul, 0, 0, 0);
	uint64_t t0 = clock_now_ns(), due = t0, next_progress = t0 + 250000000ull;
	uint64_t end = o->duration > 0 ? t0 + (uint64_t)(o->duration * 1e9) : UINT64_MAX;
	int rc = 0;
	size_t live = nsm;
	char last_stop[256] = "";
	int last_kind = 0;

	while (!pyspy_interrupted && live) {
		uint64_t now = clock_now_ns();
		if (now >= end) {
			/* the last tick overran the end: the ticks it covered were missed too */
			if (st->ticks && now > due && now - due > interval)
				st->late += (now - due) / interval;
			break;
		}
		if (due > now)
			wait_until(sms[0], due, interval), now = clock_now_ns();
		else if (now - due > interval && st->ticks) {
			/* the scheduled ticks that fell in the gap are missed, not made
			 * up; the schedule keeps its phase (the part of an interval
			 * left over is not lost), so ticks + late stays the rate
			 * times the time however many gaps there were */
			uint64_t missed = (now - due) / interval;
			st->late += missed;
			due += missed * interval;
		}
		if (pyspy_interrupted || now >= end)
			break;
		due += jittered(sms[0], interval);
		if (g->refresh) {
			g->refresh(g->ctx, g, now);
			size_t before = nsm;
			group_grow(&sms, &nsm, &cap, g, o, st);
			live += nsm - before;
		}
		st->ticks++;
		int stop = 0;
		for (size_t i = 0; i < nsm && !stop; i++) {
			if (!sms[i]->live)
				continue;
			char msg[256] = "";
			int r = tick_target(sms[i], t0, now, msg, sizeof(msg));
			if (r < 0) {
				snprintf(st->stop_msg, sizeof(st->stop_msg), "%s", msg);
				stop = 1;
			} else if (r > 0) {
				sms[i]->live = false;
				live--;
				snprintf(last_stop, sizeof(last_stop), "%s", msg);
				last_kind = r;
			}
		}
		if (stop)
			break;
		if (o->progress && now >= next_progress) {
			st->elapsed_s = (double)(now - t0) / 1e9;
			st->reads = group_reads(sms, nsm);
			o->progress(o->ctx, st);
			next_progress = now + 250000000ull;
		}
	}
	if (!live) {
		/* every process is gone: the last one's message (one process: "pid N exited") */
		snprintf(st->stop_msg, sizeof(st->stop_msg), "%s", last_stop);
		if (last_kind == 1 && !st->samples && st->ticks <= 1)
			rc = err_set(e, PS_EGONE, "pid %d has exited", (int)g->t[0]->pid);
		else if (last_kind == 2 && !st->samples)
			rc = err_set(e, PS_EGONE, "%s", last_stop);
	}
	if (pyspy_interrupted && !st->stop_msg[0])
		snprintf(st->stop_msg, sizeof(st->stop_msg), "interrupted");
	st->elapsed_s = (double)(clock_now_ns() - t0) / 1e9;
	st->reads = group_reads(sms, nsm);
	if (slack > 0)
		prctl(PR_SET_TIMERSLACK, (unsigned long)slack, 0, 0, 0);
	for (size_t i = 0; i < nsm; i++) {
		sampler_close(sms[i]);
		free(sms[i]);
	}
	free(sms);
	return rc;
}
