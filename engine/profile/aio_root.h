/*
 * aio_root.h — `sample --async`: a thread's sample re-rooted at the asyncio
 * task it runs (aio_root.c).
 */
#ifndef PYSPY_AIO_ROOT_H
#define PYSPY_AIO_ROOT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/python/aio.h"

struct aio_root;

/* State for one sampling run; NULL with e set before 3.8 or without memory. */
struct aio_root *aio_root_new(struct target *t, struct pyspy_err *e);
void aio_root_free(struct aio_root *r);

/*
 * The frames a sample of th should have (innermost first): when th is
 * running a task, its stack up to the task's outermost coroutine frame, then
 * the chain of each task awaiting it, outwards (the first awaiter at each
 * step), then a frame "<task NAME>" for the outermost awaiting task; else
 * th's own frames.  *out stays valid until the next call.  ts_us: the
 * sample's tick (what the target is running is read once a tick).
 */
void aio_root_frames(struct aio_root *r, const struct py_thread *th, uint64_t ts_us, const struct py_frame **out,
		     size_t *n);

#endif
