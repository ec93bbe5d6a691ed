/*
 * frames.h — walking one thread's Python frames (frames.c).
 */
#ifndef PYSPY_FRAMES_H
#define PYSPY_FRAMES_H

#include <stdint.h>

#include "engine/os/remote.h"
#include "threads.h"

/* Walk one thread's frames from its PyThreadState bytes (t->tstate_len of
 * them) into th->frames, reusing th's buffer. */
int frames_walk(struct target *t, const uint8_t *tstate, struct py_thread *th, struct pyspy_err *e);

/*
 * The pieces a walk of this thread reads, as far as they can be told before
 * it, from its PyThreadState bytes (3.11+: the used part of its current
 * data-stack chunk, as whole pieces top first, and on 3.11-3.12 the C frame's
 * pointer to the top frame) and from `last`, the same thread's previous walk
 * or NULL (the frames it found outside the chunk), with no buffers: for a
 * caller that reads them for many threads in one syscall
 * (remote_prefetch_now) before walking them.  The number of pieces (at most
 * max, which must be at least FRAMES_PLAN_MAX), 0 on 2.7-3.10 (frame
 * objects: each found from the one before).  The last chunk piece is followed
 * by the thread state's data-stack top at tstate, fetched after it.
 */
#define FRAMES_PLAN_MAX 26
int frames_plan(struct target *t, raddr_t tstate, const uint8_t *ts, const struct py_thread *last,
		struct remote_iov *iov, int max);

#endif
