/*
 * bt_async.h — `bt --async`: under a thread's stack, the asyncio task it is
 * running and, up the await graph, the tasks waiting for it (bt_async.c).
 */
#ifndef PYSPY_BT_ASYNC_H
#define PYSPY_BT_ASYNC_H

#include "engine/python/aio.h"
#include "session.h"

/* The task the thread is running, or NULL (its loop is idle, or it has none). */
const struct aio_task *bt_async_running(const struct aio_tasks *a, const struct py_thread *th);
/* Text lines after the thread's frames. */
void bt_async_text(struct session *s, const struct aio_tasks *a, const struct py_thread *th);
/* `, "async": {...}` inside the thread's JSON object. */
void bt_async_json(struct session *s, const struct aio_tasks *a, const struct py_thread *th);

#endif
