/*
 * test_threads.c — the thread list as the sampler reads it, on interpreter
 * structures laid out by the 3.12 layout in this process's own memory (read
 * with process_vm_readv on our own pid):
 *  - threads_refresh() stands in for threads_read() only when the GIL holder
 *    is in the list, still belongs to the interpreter and still links where
 *    it did, the list holds no other interpreter's threads and the runtime
 *    lists no other interpreter; it reads the holder's state again and keeps
 *    the others' bytes as last read;
 *  - threads_prefetch() fetches the head and every known state in one read;
 *  - thread_names_get() asks again for a nameless thread after 1 ms, then
 *    after twice as long each time, up to THREAD_NAMES_RETRY_MAX_NS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/profile/thread_names.h"
#include "engine/python/threads.h"
#include "layouts/layout.h"
#include "unit.h"

static uint8_t interp[4096] __attribute__((aligned(64)));
static uint8_t runtime[4096] __attribute__((aligned(64)));
static uint8_t other_interp[4096] __attribute__((aligned(64)));
static uint8_t ts[2][TARGET_TSTATE_MAX] __attribute__((aligned(64)));

static raddr_t at(const void *p)
{
	return (raddr_t)(uintptr_t)p;
}

static void put(uint8_t *base, int32_t off, uint64_t v)
{
	memcpy(base + off, &v, sizeof(v));
}

static uint64_t kept(const struct target *t, const struct thread_list *l, size_t i, int32_t off)
{
	uint64_t v;
	memcpy(&v, l->tsbufs + i * t->tstate_len + off, sizeof(v));
	return v;
}

/* interp -> ts[0] -> ts[1]; the runtime lists the one interpreter */
static void lay_out(const struct py_layout *L)
{
	memset(interp, 0, sizeof(interp));
	memset(runtime, 0, sizeof(runtime));
	memset(ts, 0, sizeof(ts));
	put(runtime, L->runtime.interpreters_head, at(interp));
	put(interp, L->interp.tstate_head, at(ts[0]));
	for (int i = 0; i < 2; i++) {
		put(ts[i], L->tstate.interp, at(interp));
		put(ts[i], L->tstate.thread_id, 100 + (uint64_t)i);
		put(ts[i], L->tstate.native_thread_id, 200 + (uint64_t)i);
	}
	put(ts[0], L->tstate.next, at(ts[1]));
}

/* A 3.12 target reading this process, its interpreter laid out; NULL if there is no 3.12 layout */
static const struct py_layout *open_target(struct target *t)
{
	const struct py_layout *L = layout_for_version(3, 12);
	if (!CHECK(L != NULL))
		return NULL;
	target_init_offline(t, L);
	remote_init(&t->mem, getpid());
	t->interp = at(interp);
	t->runtime = at(runtime);
	lay_out(L);
	return L;
}

static void test_refresh(void)
{
	struct target t;
	struct thread_list l = { 0 };
	struct pyspy_err e = { 0 };
	const struct py_layout *L = open_target(&t);
	if (!L)
		return;
	l.interps_every_ns = 500000;
	l.now_ns = 1000000;
	CHECK_INT(threads_read(&t, &l, &e), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(l.v[1].thread_id, 101);

	/* the holder's state is read again, the other's kept as last read */
	put(ts[0], L->tstate.datastack_top, 0x1234);
	put(ts[1], L->tstate.datastack_top, 0x5678);
	l.v[0].gil = 1;
	CHECK_INT(threads_refresh(&t, &l, at(ts[0])), 0);
	CHECK_INT(l.n, 2);
	CHECK_INT(kept(&t, &l, 0, L->tstate.datastack_top), 0x1234);
	CHECK_INT(kept(&t, &l, 1, L->tstate.datastack_top), 0);
	CHECK_INT(l.v[0].gil, -1);

	/* a holder the list does not have: a whole read is due */
	CHECK_INT(threads_refresh(&t, &l, at(ts[0]) + 8), -1);
	/* the holder links elsewhere now (a thread after it ended) */
	put(ts[0], L->tstate.next, 0);
	CHECK_INT(threads_refresh(&t, &l, at(ts[0])), -1);
	put(ts[0], L->tstate.next, at(ts[1]));
	/* its state no longer belongs to the interpreter */
	put(ts[1], L->tstate.interp, at(other_interp));
	CHECK_INT(threads_refresh(&t, &l, at(ts[1])), -1);
	put(ts[1], L->tstate.interp, at(interp));
	CHECK_INT(threads_refresh(&t, &l, at(ts[1])), 0);
	CHECK_INT(kept(&t, &l, 1, L->tstate.datastack_top), 0x5678);

	/* a subinterpreter appears: seen once the runtime's list is due again */
	put(runtime, L->runtime.interpreters_head, at(other_interp));
	l.now_ns += 100000;
	CHECK_INT(threads_refresh(&t, &l, at(ts[0])), 0);
	l.now_ns += 500000;
	CHECK_INT(threads_refresh(&t, &l, at(ts[0])), -1);
	put(runtime, L->runtime.interpreters_head, at(interp));

	/* a list with another interpreter's thread is never refreshed */
	CHECK_INT(threads_read(&t, &l, &e), 0);
	CHECK_INT(threads_refresh(&t, &l, at(ts[0])), 0);
	l.v[1].interp = at(other_interp);
	CHECK_INT(threads_refresh(&t, &l, at(ts[0])), -1);

	/* threads_prefetch: the head and both states in one read, then served */
	CHECK_INT(threads_read(&t, &l, &e), 0);
	CHECK_INT(remote_prefetch_enable(&t.mem), 0);
	remote_prefetch_begin(&t.mem);
	unsigned long before = t.mem.nreads;
	threads_prefetch(&t, &l);
	CHECK_INT(t.mem.nreads - before, 1);
	put(ts[1], L->tstate.thread_id, 111);   /* after the fetch: not seen */
	before = t.mem.nreads;
	CHECK_INT(threads_read(&t, &l, &e), 0);
	CHECK_INT(t.mem.nreads - before, 0);
	CHECK_INT(l.v[1].thread_id, 101);
	/* all fresh already: nothing to fetch */
	before = t.mem.nreads;
	threads_prefetch(&t, &l);
	CHECK_INT(t.mem.nreads - before, 0);
	remote_prefetch_end(&t.mem);
	remote_prefetch_disable(&t.mem);

	threads_release(&l);
	target_detach(&t);
}

/* A thread with no name is asked again after 1, 2, 4, ... ms, at most every
 * THREAD_NAMES_RETRY_MAX_NS: each ask reads the interpreter's modules. */
static void test_name_backoff(void)
{
	struct target t;
	struct thread_names c = { 0 };
	struct py_thread th = { 0 };
	if (!open_target(&t))
		return;
	th.interp = at(interp);
	th.thread_id = 100;
	th.os_tid = 200;
	const uint64_t ms = 1000000;
	/* (time in ms, whether it asks) */
	static const struct {
		uint64_t when;
		bool asks;
	} steps[] = { { 0, true }, { 0, false }, { 1, true }, { 2, false }, { 3, true }, { 6, false },
		      { 7, true }, { 14, false }, { 15, true }, { 31, true }, { 63, true } };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		thread_names_round(&c, 1);
		unsigned long before = t.mem.nreads;
		CHECK(thread_names_get(&c, &t, &th, steps[i].when * ms) == NULL);
		if (!unit_check((t.mem.nreads != before) == steps[i].asks, __FILE__, __LINE__, "asks again on time"))
			fprintf(stderr, "  at %llu ms\n", (unsigned long long)steps[i].when);
	}
	/* the wait stops growing at the cap */
	uint64_t now = 63 * ms, asks = 0;
	for (int i = 0; i < 40; i++) {
		now += THREAD_NAMES_RETRY_MAX_NS / 4;
		thread_names_round(&c, 1);
		unsigned long before = t.mem.nreads;
		thread_names_get(&c, &t, &th, now);
		asks += t.mem.nreads != before;
	}
	CHECK(asks >= 9 && asks <= 10);
	thread_names_release(&c);
	target_detach(&t);
}

int main(void)
{
	test_refresh();
	test_name_backoff();
	return unit_done();
}
