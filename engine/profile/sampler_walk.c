/*
 * sampler_walk.c — the tick's thread list, one thread's stack, read
 * truthfully from a running target, and the stacks that need no read at all.
 */
#include "sampler_impl.h"

#include <stdlib.h>

#include "engine/os/clock.h"
#include "engine/os/pause.h"
#include "engine/os/remote.h"
#include "engine/python/frames.h"

/*
 * The GIL first (the read-ahead fetched it before every thread state).
 * Held at both ticks by the same thread, and no handoff in between: no other
 * thread took it, so none ran Python code, and none could change its stack or
 * the list (a thread ends holding the GIL and lets it go after; one that
 * starts takes it before its first frame).  Only the holder's state is read
 * again then; the others keep the bytes last read, after a GIL read that said
 * the same.  A tick that cannot say so reads the whole list, in one read.  A
 * one-thread program spinning with an idle main thread: 7 pages a tick to 6
 * on 3.12, 8 to 6 on 3.14.
 */
int sampler_threads(struct sampler *sm, raddr_t *holder, bool *have_holder, struct pyspy_err *e)
{
	struct gil_switches was = sm->gil;
	*have_holder = threads_gil_state(sm->t, holder, &sm->gil) == 0;
	sm->have_gil = sm->keep_stacks && sm->gil.valid;
	bool quiet = sm->list_ok && sm->have_gil && sm->gil.held && was.valid && was.held &&
		     was.count == sm->gil.count && was.last_holder == sm->gil.last_holder;
	if (quiet && threads_refresh(sm->t, &sm->list, sm->gil.last_holder) == 0) {
		sm->st->quiet++;
		return 0;
	}
	threads_prefetch(sm->t, &sm->list);
	int rc = threads_read(sm->t, &sm->list, e);
	sm->list_ok = rc >= 0;
	return rc;
}

static bool frames_all_known(const struct py_thread *th)
{
	for (size_t i = 0; i < th->nframes; i++)
		if (!th->frames[i].ci)
			return false;
	return true;
}

/*
 * Walk thread i's stack.  Read from a running target, a walk can come back
 * torn (the stack changed under it); dropping those would under-weight deep,
 * fast-changing code, so the thread state and the stack are read again, fresh,
 * up to TORN_RETRIES times within the tick.  In blocking mode the target is
 * paused and a failure is a real one.
 *
 * A stack whose top changes faster than a read can copy it stays torn: 2.7-3.10
 * keep frames as objects all over the heap, a few hundred iovecs a walk, and a
 * recursion churning on top of a deep stack came back torn 14-23% of the time
 * after six re-reads.  Such a walk is read once more with its one thread held
 * (walk_held): PTRACE_SEIZE and INTERRUPT, no signal, nothing written, the
 * thread stopped while the read takes (0.15-0.35 ms on torn_deep's 300-600
 * frames, 40 us of it the stop itself); other threads run on.  --nonblocking
 * (never_hold) drops it instead.
 */
#define TORN_RETRIES 6

static int grow_last(struct sampler *sm, size_t n)
{
	if (n <= sm->last_cap)
		return 0;
	raddr_t *nv = realloc(sm->last_addrs, n * sizeof(*nv));
	if (!nv)
		return -1;
	sm->last_addrs = nv;
	sm->last_cap = n;
	return 0;
}

static int walk_held(struct sampler *sm, size_t i, int torn, struct pyspy_err *we)
{
	struct target *t = sm->t;
	struct py_thread *th = &sm->list.v[i];
	uint8_t *ts = sm->list.tsbufs + i * t->tstate_len;
	struct pause pz;
	struct pyspy_err pe;
	err_clear(&pe);
	uint64_t t0 = clock_now_ns();
	if (th->os_tid <= 0 || pause_task(&pz, t->pid, th->os_tid, &pe) < 0) {
		if (pe.code == PS_EPERM)
			sm->hold_refused = true;   /* another tracer, or no permission: not again */
		return torn;
	}
	/* the thread is still: read it afresh, in whole blocks (remote_prefetch_still) */
	remote_prefetch_still(&t->mem, true);
	int rc = remote_read(&t->mem, th->tstate, ts, t->tstate_len, we);
	if (rc == 0 && rbuf_u64(ts, t->layout.tstate.interp) != t->interp)
		rc = err_set(we, PS_EGONE, "the thread has ended");
	if (rc == 0)
		rc = frames_walk(t, ts, th, we);
	if (rc == 0 && !frames_all_known(th))
		rc = err_set(we, PS_ETORN, "a frame's code object could not be read (held)");
	remote_prefetch_still(&t->mem, false);
	pause_release(&pz);
	sm->st->held_ns += clock_now_ns() - t0;
	if (rc == 0)
		sm->st->held++;
	return rc == 0 ? 0 : torn;
}


int sampler_walk(struct sampler *sm, size_t i, struct pyspy_err *we)
{
	struct target *t = sm->t;
	struct py_thread *th = &sm->list.v[i];
	uint8_t *ts = sm->list.tsbufs + i * t->tstate_len;
	int mark = remote_prefetch_mark(&t->mem);
	/* frame objects (2.7-3.10): the last walk's frames, for a re-read to
	 * fetch with the rest (a torn walk stops early; the frames below where
	 * it stopped, copied with the tick's first read, are stale after a re-read) */
	size_t nlast = 0;
	if (t->layout.frame_model == FRAME_MODEL_OBJECT && th->read_at.tstate == th->tstate && th->nframes &&
	    grow_last(sm, th->nframes) == 0)
		for (; nlast < th->nframes; nlast++)
			sm->last_addrs[nlast] = th->frames[nlast].addr;
	for (int attempt = 0;; attempt++) {
		int rc = frames_walk(t, ts, th, we);
		/* `bt` shows a frame whose code object cannot be read as ???; in a
		 * sample it means the walk left the live stack: torn */
		if (rc == 0 && !frames_all_known(th))
			rc = err_set(we, PS_ETORN, "a frame's code object could not be read (read while the stack changed)");
		if (rc == 0 || rc == -PS_EGONE || rc == -PS_EINTR || sm->o->blocking)
			return rc;
		if (attempt == TORN_RETRIES)
			return sm->o->never_hold || sm->hold_refused ? rc : walk_held(sm, i, rc, we);
		sm->st->retried++;
		if (attempt == 0)
			remote_prefetch_want(&t->mem, sm->last_addrs, nlast, t->iframe_len);
		/* the thread state and every piece this walk read, again, in one syscall */
		struct remote_iov again = { th->tstate, ts, t->tstate_len };
		if (remote_prefetch_reread(&t->mem, mark, &again, 1) < 0 ||
		    rbuf_u64(ts, t->layout.tstate.interp) != t->interp)
			return rc;   /* the thread is gone: its torn walk stays torn */
	}
}

/*
 * Stacks that cannot have changed.  A thread runs Python code only while it
 * holds the GIL, and the GIL counts its handoffs (switch_number goes up each
 * time a thread other than the last holder takes it).  A thread walked at an
 * earlier tick, when the count was N and the last holder H, has not held the
 * GIL since if the count is still N and the holder still H (every take since
 * was H's), or N + 1 and the holder now H' != H (one handoff, H to H'), and
 * it is neither H nor H': its frames as read then are still its stack, and
 * are kept without a read.  With many threads waiting for the GIL, a tick
 * then reads the one or two that held it, not all of them.  Anything else
 * (more handoffs, a holder that does not match the count: the two fields
 * read while a take updated them) reads every thread.  Only for threads of
 * the interpreter whose GIL was read, and not when pausing (each tick reads
 * what it shows) or merging native frames; the thread state's pointer to its
 * top frame (and data-stack top) must be unchanged too.
 */
static raddr_t stack_top(const struct target *t, const uint8_t *ts)
{
	const struct py_layout *L = &t->layout;
	raddr_t top = rbuf_u64(ts, L->frame_model == FRAME_MODEL_OBJECT ? L->tstate.frame
				 : L->frame_model == FRAME_MODEL_CFRAME ? L->tstate.cframe : L->tstate.current_frame);
	if (L->tstate.datastack_top >= 0)
		top ^= rbuf_u64(ts, L->tstate.datastack_top) * 31;
	return top;
}

bool sampler_unchanged(const struct sampler *sm, const struct py_thread *th)
{
	const uint8_t *ts = sm->list.tsbufs + (size_t)(th - sm->list.v) * sm->t->tstate_len;
	const struct gil_switches *now = &sm->gil;
	if (!sm->have_gil || !th->read_at.valid || th->read_at.tstate != th->tstate || th->interp != sm->t->interp ||
	    th->tstate == now->last_holder || th->tstate == th->read_at.holder)
		return false;
	bool none = now->count == th->read_at.switches && now->last_holder == th->read_at.holder;
	bool one = now->count == th->read_at.switches + 1 && now->last_holder != th->read_at.holder;
	return (none || one) && th->read_at.top == stack_top(sm->t, ts);
}

void sampler_note_read(struct sampler *sm, struct py_thread *th)
{
	th->read_at.valid = sm->have_gil;
	th->read_at.tstate = th->tstate;
	th->read_at.top = stack_top(sm->t, sm->list.tsbufs + (size_t)(th - sm->list.v) * sm->t->tstate_len);
	th->read_at.switches = sm->gil.count;
	th->read_at.holder = sm->gil.last_holder;
}
