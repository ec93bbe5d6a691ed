/*
 * lua_process.c — the process and thread objects of the `pyspy` module.
 *
 * A process is either the session's target, borrowed (the session may detach
 * or attach elsewhere at any time, through a command or pyspy.cmd(), so the
 * handle remembers the session's attach generation and refuses use once it
 * changed), or one a script attached with pyspy.attach(), owned (detached by
 * p:detach(), by a to-be-closed variable going out of scope, or by the
 * collector).  Fields (pid, python, exe) are copies and stay readable.
 *
 * threads() reads the thread list once and hands out thread objects that
 * copy what it read.  Each call starts a new generation; a thread object of
 * an older one refuses :stack(), so a script never mixes a thread from one
 * moment with a stack from another by accident.  :stack() itself reads the
 * thread's stack as it is now, pausing the target (as the session's settings
 * say) for as long as the frames and, if asked, the locals are read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/values/locals.h"
#include "engine/native/native.h"
#include "lua_impl.h"

/* ---- process ---- */

struct target *lproc_target(lua_State *L, struct lproc *p)
{
	const struct lua_host *h = lb_host(L);
	unsigned long gen = 0;
	if (p->owned) {
		if (p->closed)
			luaL_error(L, "attempt to use a detached process (pid %d)", (int)p->pid);
		return p->t;
	}
	struct target *t = h->target(h->ctx, &gen);
	if (!t || gen != p->host_gen)
		luaL_error(L, "stale process handle: the session detached from pid %d since it was taken; "
			   "call pyspy.process() again", (int)p->pid);
	return t;
}

struct lproc *lproc_check(lua_State *L, int idx)
{
	return luaL_checkudata(L, idx, PROCESS_MT);
}

static struct lproc *proc_new(lua_State *L)
{
	struct lproc *p = lua_newuserdatauv(L, sizeof(*p), 0);
	memset(p, 0, sizeof(*p));
	luaL_setmetatable(L, PROCESS_MT);
	return p;
}

static void proc_copy_fields(struct lproc *p)
{
	p->pid = p->t->pid;
	snprintf(p->python, sizeof(p->python), "%s", p->t->version_str);
	snprintf(p->exe, sizeof(p->exe), "%s", p->t->exe);
}

int lproc_push_session(lua_State *L)
{
	const struct lua_host *h = lb_host(L);
	unsigned long gen = 0;
	struct target *t = h->target(h->ctx, &gen);
	if (!t)
		return lv_fail(L, "no process attached (use 'attach PID', -p PID, or pyspy.attach(pid))");
	struct lproc *p = proc_new(L);
	p->t = t;
	p->host_gen = gen;
	proc_copy_fields(p);
	return 1;
}

/* pyspy.attach(pid) -> process | nil, msg */
int lproc_attach(lua_State *L)
{
	lua_Integer pid = luaL_checkinteger(L, 1);
	struct pyspy_err e = { 0 };
	luaL_argcheck(L, pid > 0 && pid <= 0x3fffffff, 1, "not a process id");
	struct lproc *p = proc_new(L);
	p->owned = true;
	p->closed = true;          /* until the attach succeeds: __gc must not detach */
	p->t = &p->own;
	if (target_attach(&p->own, (pid_t)pid, NULL, &e) < 0)
		return lv_fail(L, e.msg);
	p->closed = false;
	proc_copy_fields(p);
	return 1;
}

static int proc_detach(lua_State *L)
{
	struct lproc *p = lproc_check(L, 1);
	luaL_argcheck(L, p->owned, 1, "the session's process is detached with the 'detach' command");
	if (!p->closed)
		target_detach(&p->own);
	p->closed = true;
	return 0;
}

static int proc_gc(lua_State *L)
{
	struct lproc *p = lproc_check(L, 1);
	if (p->owned && !p->closed)
		target_detach(&p->own);
	p->closed = true;
	return 0;
}

static int proc_tostring(lua_State *L)
{
	struct lproc *p = lproc_check(L, 1);
	lua_pushfstring(L, "process %d (Python %s)%s", (int)p->pid, p->python,
			p->owned && p->closed ? " (detached)" : "");
	return 1;
}

/* p:threads() -> {thread...} | nil, msg */
int lproc_threads(lua_State *L)
{
	struct lproc *p = lproc_check(L, 1);
	struct target *t = lproc_target(L, p);
	const struct lua_host *h = lb_host(L);
	struct snapshot snap;
	struct pyspy_err e = { 0 };
	int rc = snapshot_take(t, SNAP_NAMES | SNAP_STATUS | SNAP_GIL | h->snap_flags(h->ctx, t), &snap, &e);
	if (rc < 0)
		return lv_fail(L, e.msg);
	p->snap_gen++;
	lua_createtable(L, (int)snap.nthreads, 0);
	for (size_t i = 0; i < snap.nthreads; i++) {
		const struct py_thread *th = &snap.threads[i];
		struct lthread *u = lua_newuserdatauv(L, sizeof(*u), 1);
		memset(u, 0, sizeof(*u));
		u->snap_gen = p->snap_gen;
		u->thread_id = th->thread_id;
		u->os_tid = th->os_tid;
		u->interp_id = th->interp_id;
		u->number = th->number;
		u->active = th->active;
		u->gil = th->gil;
		u->has_name = th->name != NULL;
		snprintf(u->name, sizeof(u->name), "%s", th->name ? th->name : "");
		luaL_setmetatable(L, THREAD_MT);
		lua_pushvalue(L, 1);
		lua_setiuservalue(L, -2, 1);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	snapshot_release(&snap);
	return 1;
}

static const luaL_Reg proc_methods[] = {
	{ "threads", lproc_threads },
	{ "tasks", lproc_tasks },
	{ "sample", lproc_sample },
	{ "detach", proc_detach },
	{ NULL, NULL },
};

static int proc_index(lua_State *L)
{
	struct lproc *p = lproc_check(L, 1);
	const char *k = luaL_checkstring(L, 2);
	if (!strcmp(k, "pid"))
		lua_pushinteger(L, p->pid);
	else if (!strcmp(k, "python"))
		lua_pushstring(L, p->python);
	else if (!strcmp(k, "exe"))
		lua_pushstring(L, p->exe);
	else if (!strcmp(k, "attached")) {
		unsigned long gen = 0;
		const struct lua_host *h = lb_host(L);
		lua_pushboolean(L, p->owned ? !p->closed : h->target(h->ctx, &gen) && gen == p->host_gen);
	} else
		return lv_method(L, k);
	return 1;
}

/* ---- thread ---- */

static struct lthread *thread_check(lua_State *L, int idx, struct lproc **proc)
{
	struct lthread *u = luaL_checkudata(L, idx, THREAD_MT);
	lua_getiuservalue(L, idx, 1);
	struct lproc *p = lua_touserdata(L, -1);
	lua_pop(L, 1);             /* the thread's uservalue keeps it alive */
	lproc_target(L, p);
	if (u->snap_gen != p->snap_gen)
		luaL_error(L, "stale thread handle: taken from an older snapshot; call pyspy.threads() again");
	*proc = p;
	return u;
}

static void push_locals(lua_State *L, struct target *t, const struct py_frame *f, const struct pyvalue_opts *vo)
{
	struct py_var *vars = NULL;
	size_t n = 0;
	struct pyspy_err e = { 0 };
	lua_newtable(L);
	if (locals_read(t, f, &vars, &n, &e) < 0) {
		lua_pushstring(L, e.msg);
		lua_setfield(L, -3, "locals_error");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct py_value v;
		if (!vars[i].value || pyvalue_read(t, vars[i].value, vo, &v, &e) < 0)
			continue;
		lv_push_value(L, &v);
		lua_setfield(L, -2, vars[i].name);
		pyvalue_release(&v);
	}
	free(vars);
}

struct stack_job {
	struct target *t;
	const struct py_thread *th;
	bool with_locals;
	const struct pyvalue_opts *vo;
	const struct merged_frame *m;  /* native=true and the merge worked: the mixed stack */
	size_t nm;
};

/* The merged stack: native frames as {kind="native", ...}, Python ones as usual. */
static void push_merged(lua_State *L, const struct stack_job *job)
{
	lua_createtable(L, (int)job->nm, 0);
	for (size_t i = 0; i < job->nm; i++) {
		const struct merged_frame *mf = &job->m[i];
		if (mf->kind == FRAME_NATIVE) {
			lv_push_native_frame(L, mf->native);
		} else {
			lv_push_frame(L, mf->py->function, mf->py->qualname, mf->py->file, mf->py->line);
			if (job->with_locals) {
				push_locals(L, job->t, mf->py, job->vo);
				lua_setfield(L, -2, "locals");
			}
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* Under lua_pcall: push the frames (and locals) of job->th, so that no Lua
 * error unwinds past the snapshot and leaves the target paused. */
static int push_stack(lua_State *L)
{
	const struct stack_job *job = lua_touserdata(L, 1);
	if (job->m) {
		push_merged(L, job);
		return 1;
	}
	lv_push_frames(L, job->th->frames, job->th->nframes);
	for (size_t i = 0; job->with_locals && i < job->th->nframes; i++) {
		lua_rawgeti(L, -1, (lua_Integer)i + 1);
		push_locals(L, job->t, &job->th->frames[i], job->vo);
		lua_setfield(L, -2, "locals");
		lua_pop(L, 1);
	}
	return 1;
}

static const struct py_thread *find_thread(const struct snapshot *snap, uint64_t id)
{
	for (size_t i = 0; i < snap->nthreads; i++)
		if (snap->threads[i].thread_id == id)
			return &snap->threads[i];
	return NULL;
}

/* t:stack{locals=false, native=false, native_all=false} -> {frame...} [, msg when partial] | nil, msg
 * native=true pauses the target (libunwind needs it stopped) and merges the
 * C frames in; when they cannot be merged the Python stack comes back with
 * the reason as the second result. */
static int thread_stack(lua_State *L)
{
	struct lproc *p;
	struct lthread *u = thread_check(L, 1, &p);
	struct target *t = lproc_target(L, p);
	const struct lua_host *h = lb_host(L);
	lv_check_opts(L, 2);
	bool native_all = lv_opt_bool(L, 2, "stack", "native_all", false);
	bool native = lv_opt_bool(L, 2, "stack", "native", false) || native_all;
	struct pyvalue_opts vo = { .depth = 3 };
	struct stack_job job = { .t = t, .with_locals = lv_opt_bool(L, 2, "stack", "locals", false), .vo = &vo };
	h->repr_opts(h->ctx, &vo.repr);
	vo.depth = vo.repr.depth > 0 ? vo.repr.depth : 3;
	vo.max_items = vo.repr.max_items;
	unsigned flags = SNAP_FRAMES | h->snap_flags(h->ctx, t) | (native ? SNAP_PAUSE : 0);
	if ((job.with_locals || native) && (flags & SNAP_PAUSE))
		flags |= SNAP_KEEP_PAUSED;
	struct snapshot snap;
	struct pyspy_err e = { 0 }, ne = { 0 };
	if (snapshot_take(t, flags, &snap, &e) < 0)
		return lv_fail(L, e.msg);
	if (!(job.th = find_thread(&snap, u->thread_id))) {
		snapshot_release(&snap);
		lua_pushnil(L);
		lua_pushfstring(L, "thread %d (%s) has exited", u->number, u->has_name ? u->name : "no name");
		return 2;
	}
	struct native_stack ns = { 0 };
	struct merged_frame *m = NULL;
	if (native && native_thread_stack(t, job.th, native_all, &ns, &m, &job.nm, &ne) == 0)
		job.m = m;
	lua_settop(L, 2);
	lua_pushcfunction(L, push_stack);
	lua_pushlightuserdata(L, &job);
	int rc = lua_pcall(L, 1, 1, 0);
	if (rc == LUA_OK && job.th->walk_error)
		lua_pushstring(L, job.th->walk_msg);
	else if (rc == LUA_OK && native && !job.m)
		lua_pushstring(L, ne.msg[0] ? ne.msg : "native merge failed");
	free(m);
	native_stack_release(&ns);
	snapshot_release(&snap);
	if (rc != LUA_OK)
		return lua_error(L);
	return lua_gettop(L) - 2;
}

static int thread_tostring(lua_State *L)
{
	struct lthread *u = luaL_checkudata(L, 1, THREAD_MT);
	lua_pushfstring(L, "thread %d (%s)", u->number, u->has_name ? u->name : "no name");
	return 1;
}

static int thread_index(lua_State *L)
{
	struct lthread *u = luaL_checkudata(L, 1, THREAD_MT);
	const char *k = luaL_checkstring(L, 2);
	if (!strcmp(k, "id"))
		lua_pushinteger(L, (lua_Integer)u->thread_id);
	else if (!strcmp(k, "os_tid"))
		u->os_tid ? lua_pushinteger(L, u->os_tid) : lua_pushnil(L);
	else if (!strcmp(k, "number"))
		lua_pushinteger(L, u->number);
	else if (!strcmp(k, "interpreter"))
		lua_pushinteger(L, (lua_Integer)u->interp_id);
	else if (!strcmp(k, "name"))
		u->has_name ? (void)lua_pushstring(L, u->name) : lua_pushnil(L);
	else if (!strcmp(k, "active"))
		lua_pushboolean(L, u->active);
	else if (!strcmp(k, "gil"))
		u->gil >= 0 ? lua_pushboolean(L, u->gil > 0) : lua_pushnil(L);
	else if (!strcmp(k, "process"))
		lua_getiuservalue(L, 1, 1);
	else if (!strcmp(k, "stack"))
		lua_pushcfunction(L, thread_stack);
	else
		lua_pushnil(L);
	return 1;
}

void lproc_open(lua_State *L)
{
	lv_new_class(L, PROCESS_MT, proc_index, proc_tostring, proc_gc, proc_methods);
	lv_new_class(L, THREAD_MT, thread_index, thread_tostring, NULL, NULL);
}
