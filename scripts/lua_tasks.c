/*
 * lua_tasks.c — p:tasks() and pyspy.tasks(): the target's asyncio tasks as
 * data, the same the `tasks` command shows.
 *
 *   tasks, info = pyspy.tasks()
 *   tasks[i] = { id = <task address>, name = "...", state = "pending"|"running",
 *                thread = <OS tid or nil>, thread_id = <threading id or nil>,
 *                coroutine = { frame... innermost first },
 *                awaited_by = { id... }, error = "..." or nil }
 *   info = { asyncio = true|false, cycles = { { id... }... } }
 * A failure of the world (before 3.8, the structures cannot be trusted)
 * returns nil, message.
 */
#include <string.h>

#include "engine/python/aio.h"
#include "lua_impl.h"

static void push_task(lua_State *L, const struct aio_task *k)
{
	lua_createtable(L, 0, 8);
	lua_pushinteger(L, (lua_Integer)k->addr);
	lua_setfield(L, -2, "id");
	lua_pushstring(L, k->name);
	lua_setfield(L, -2, "name");
	lua_pushstring(L, k->running ? "running" : "pending");
	lua_setfield(L, -2, "state");
	if (k->os_tid) {
		lua_pushinteger(L, k->os_tid);
		lua_setfield(L, -2, "thread");
	}
	if (k->thread_id) {
		lua_pushinteger(L, (lua_Integer)k->thread_id);
		lua_setfield(L, -2, "thread_id");
	}
	lv_push_frames(L, k->frames, k->nframes);
	lua_setfield(L, -2, "coroutine");
	lua_createtable(L, (int)k->nawaited_by, 0);
	for (size_t j = 0; j < k->nawaited_by; j++) {
		lua_pushinteger(L, (lua_Integer)k->awaited_by[j]);
		lua_rawseti(L, -2, (lua_Integer)j + 1);
	}
	lua_setfield(L, -2, "awaited_by");
	if (k->error[0]) {
		lua_pushstring(L, k->error);
		lua_setfield(L, -2, "error");
	}
}

/* p:tasks() -> tasks, info | nil, msg */
int lproc_tasks(lua_State *L)
{
	struct lproc *p = lproc_check(L, 1);
	struct target *t = lproc_target(L, p);
	const struct lua_host *h = lb_host(L);
	struct snapshot snap;
	struct aio_tasks at;
	struct pyspy_err e = { 0 };

	if (snapshot_take(t, SNAP_KEEP_PAUSED | h->snap_flags(h->ctx, t), &snap, &e) < 0)
		return lv_fail(L, e.msg);
	int rc = aio_read(t, snap.threads, snap.nthreads, &at, &e);
	snapshot_release(&snap);
	if (rc < 0) {
		aio_release(&at);
		return lv_fail(L, e.msg);
	}
	lua_createtable(L, (int)at.n, 0);
	for (size_t i = 0; i < at.n; i++) {
		push_task(L, &at.v[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_createtable(L, 0, 2);
	lua_pushboolean(L, at.has_asyncio);
	lua_setfield(L, -2, "asyncio");
	lua_createtable(L, (int)at.ncycles, 0);
	for (size_t i = 0; i < at.ncycles; i++) {
		lua_createtable(L, (int)at.cycles[i].n, 0);
		for (size_t j = 0; j < at.cycles[i].n; j++) {
			lua_pushinteger(L, (lua_Integer)at.cycles[i].v[j]);
			lua_rawseti(L, -2, (lua_Integer)j + 1);
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_setfield(L, -2, "cycles");
	aio_release(&at);
	return 2;
}
