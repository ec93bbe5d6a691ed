/*
 * thread_names.h — the sampler's cache of threading names.
 *
 * Looking a name up reads the threading module's _active dict, a dozen reads;
 * a sampler cannot afford that for every thread at every tick, so names are
 * cached.  The key is what identifies a live thread: its thread id, its
 * kernel tid and its interpreter together — glibc reuses thread ids (pthread
 * addresses) as soon as a thread ends, so a cache keyed by thread id alone
 * labels new threads with old names.  A thread whose name cannot be found
 * yet (it is still starting, or is a raw _thread thread) is asked again after
 * THREAD_NAMES_RETRY_NS, then after twice as long each time it still has
 * none, up to THREAD_NAMES_RETRY_MAX_NS; never remembered as nameless for
 * good.  (A fixed 1 ms made a program that never imports threading cost a
 * lookup of sys.modules every millisecond, 40 reads: a third of the reads of
 * a 100k-ticks/s session went there.)  The table grows with the threads
 * alive and forgets those not seen for a while.
 */
#ifndef PYSPY_THREAD_NAMES_H
#define PYSPY_THREAD_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "engine/python/threads.h"

#define THREAD_NAMES_RETRY_NS 1000000ull
#define THREAD_NAMES_RETRY_MAX_NS 250000000ull

struct thread_names {
	struct tname *v;
	size_t cap, n;
	uint64_t round;            /* bumped by thread_names_round() */
	/* this round's lookups: threading._active of one interpreter, found once
	 * (not once per thread: a walk of sys.modules each), and from its second
	 * lookup on every name in it, read in one walk (100 threads named one by
	 * one cost 100 walks of _active, 17,000 reads at a sample's first tick) */
	uint64_t rround;
	raddr_t rinterp, ractive;
	int rlookups;
	bool rall;                 /* rv holds every name _active had */
	struct rname *rv;
	size_t rn, rcap;
};

/* th's name (owned by the cache, valid until the next thread_names_round()
 * that forgets th), or NULL when it has none yet. */
const char *thread_names_get(struct thread_names *c, struct target *t, const struct py_thread *th, uint64_t now_ns);
/* Call once per tick with the number of threads alive: forgets threads not
 * seen for a while, so the table stays proportional to the live threads. */
void thread_names_round(struct thread_names *c, size_t alive);
void thread_names_release(struct thread_names *c);

#endif
