/*
 * lua_module.c — the `pyspy` table: the functions a script starts from.
 *
 *   pyspy.process()          the session's process (nil, msg when detached)
 *   pyspy.attach(pid)        another process, owned by the script
 *   pyspy.threads()          pyspy.process():threads()
 *   pyspy.tasks()            pyspy.process():tasks()  (asyncio tasks)
 *   pyspy.sample{...}        pyspy.process():sample{...}  (subprocesses=true: the process tree)
 *   pyspy.processes([pid])   the process and its descendants: {pid, ppid, depth, python, command}
 *   pyspy.sleep(s), pyspy.now()
 *   pyspy.cmd(line)          a shell command's output, as a string
 *   pyspy.stop(), pyspy.cont()   hold / release the session's process
 *
 * The session's process object is kept in the registry and handed out again
 * while the session stays attached to the same target, so that threads()
 * generations count per process, not per call of pyspy.process().
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/os/proctree.h"
#include "engine/python/proc_python.h"
#include "lua_impl.h"

static const char SESSION_PROC[] = "pyspy.session_process";

/* Push the session's process, or nil, msg; returns the count pushed. */
static int session_process(lua_State *L)
{
	const struct lua_host *h = lb_host(L);
	unsigned long gen = 0;
	if (lua_getfield(L, LUA_REGISTRYINDEX, SESSION_PROC) == LUA_TUSERDATA) {
		struct lproc *p = lua_touserdata(L, -1);
		if (h->target(h->ctx, &gen) && gen == p->host_gen)
			return 1;
	}
	lua_pop(L, 1);
	int n = lproc_push_session(L);
	if (n == 1) {
		lua_pushvalue(L, -1);
		lua_setfield(L, LUA_REGISTRYINDEX, SESSION_PROC);
	}
	return n;
}

static int m_process(lua_State *L)
{
	return session_process(L);
}

static int m_threads(lua_State *L)
{
	lua_settop(L, 0);
	if (session_process(L) != 1)
		return 2;
	return lproc_threads(L);
}

static int m_tasks(lua_State *L)
{
	lua_settop(L, 0);
	if (session_process(L) != 1)
		return 2;
	return lproc_tasks(L);
}

static int m_sample(lua_State *L)
{
	lv_check_opts(L, 1);
	lua_settop(L, 1);
	if (session_process(L) != 1)
		return 2;
	return lprofile_sample(L, 2, 1);
}

/* pyspy.processes([pid]) -> {{pid=, ppid=, depth=, python="3.12.1" | false, why=, command=}, ...}
 * the session's process (or pid) first, then its descendants depth first */
static int m_processes(lua_State *L)
{
	pid_t root;
	if (lua_isnoneornil(L, 1)) {
		lua_settop(L, 0);
		if (session_process(L) != 1)
			return 2;
		const struct target *t = lproc_target(L, lproc_check(L, 1));
		if (t->core)
			return lv_fail(L, "processes: not available on a core file");
		root = t->pid;
	} else {
		lua_Integer n = luaL_checkinteger(L, 1);
		luaL_argcheck(L, n > 0 && n <= 0x3fffffff, 1, "process id expected");
		root = (pid_t)n;
	}
	struct proc_entry *v;
	size_t n;
	struct pyspy_err e = { 0 };
	if (proctree_list(root, &v, &n, &e) < 0)
		return lv_fail(L, e.msg);
	lua_createtable(L, (int)n, 0);
	for (size_t i = 0; i < n; i++) {
		char version[32], cmd[1024];
		struct pyspy_err pe = { 0 };
		lua_createtable(L, 0, 6);
		lua_pushinteger(L, v[i].pid);
		lua_setfield(L, -2, "pid");
		lua_pushinteger(L, v[i].ppid);
		lua_setfield(L, -2, "ppid");
		lua_pushinteger(L, v[i].depth);
		lua_setfield(L, -2, "depth");
		if (proc_python_version(v[i].pid, LOCATE_ANY, version, sizeof(version), &pe) == 0) {
			lua_pushstring(L, version);
		} else {
			lua_pushstring(L, pe.msg);
			lua_setfield(L, -2, "why");
			lua_pushboolean(L, 0);
		}
		lua_setfield(L, -2, "python");
		proctree_cmdline(v[i].pid, cmd, sizeof(cmd));
		lua_pushstring(L, cmd);
		lua_setfield(L, -2, "command");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	free(v);
	return 1;
}

/* pyspy.sleep(seconds): sleeps in short steps so Ctrl-C stops it at once */
static int m_sleep(lua_State *L)
{
	double s = luaL_checknumber(L, 1);
	struct timespec end, now;
	luaL_argcheck(L, s >= 0 && s <= 30 * 86400.0, 1, "seconds from 0 to 30 days expected");
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)s;
	end.tv_nsec += (long)((s - (double)(time_t)s) * 1e9);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		lb_check_interrupt(L);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			return 0;
		struct timespec step = { 0, 50 * 1000000L };
		double left = (double)(end.tv_sec - now.tv_sec) + (double)(end.tv_nsec - now.tv_nsec) / 1e9;
		if (left < 0.05)
			step.tv_nsec = (long)(left * 1e9);
		nanosleep(&step, NULL);
	}
}

/* pyspy.now(): wall-clock seconds since the epoch, with fractions */
static int m_now(lua_State *L)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	lua_pushnumber(L, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
	return 1;
}

/* pyspy.cmd(line) -> output | nil, errors, output */
static int m_cmd(lua_State *L)
{
	const char *line = luaL_checkstring(L, 1);
	const struct lua_host *h = lb_host(L);
	char *out = NULL, *err = NULL;
	int rc = h->run_cmd(h->ctx, line, &out, &err);
	lb_check_interrupt(L);
	if (rc == 0) {
		lua_pushstring(L, out ? out : "");
		free(out);
		free(err);
		return 1;
	}
	const char *msg = err && *err ? err : "command failed";
	if (!strncmp(msg, "pyspy-sh: ", 10))
		msg += 10;
	lua_pushnil(L);
	lua_pushlstring(L, msg, strcspn(msg, "\n"));
	lua_pushstring(L, out ? out : "");
	free(out);
	free(err);
	return 3;
}

static int m_stop(lua_State *L)
{
	const struct lua_host *h = lb_host(L);
	char msg[512];
	if (h->stop(h->ctx, msg, sizeof(msg)) < 0)
		return lv_fail(L, msg);
	lua_pushboolean(L, 1);
	return 1;
}

static int m_cont(lua_State *L)
{
	const struct lua_host *h = lb_host(L);
	h->cont(h->ctx);
	return 0;
}

static const luaL_Reg pyspy_funcs[] = {
	{ "process", m_process },
	{ "attach", lproc_attach },
	{ "threads", m_threads },
	{ "tasks", m_tasks },
	{ "sample", m_sample },
	{ "processes", m_processes },
	{ "load", lprofile_load },
	{ "sleep", m_sleep },
	{ "now", m_now },
	{ "cmd", m_cmd },
	{ "stop", m_stop },
	{ "cont", m_cont },
	{ NULL, NULL },
};

int luaopen_pyspy(lua_State *L)
{
	lproc_open(L);
	lprofile_open(L);
	luaL_newlib(L, pyspy_funcs);
#ifdef PYSPY_VERSION
	lua_pushstring(L, PYSPY_VERSION);
	lua_setfield(L, -2, "version");
#endif
	return 1;
}
