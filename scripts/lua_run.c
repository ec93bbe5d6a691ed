/*
 * lua_run.c — the interpreter: one lua_State per session, running script
 * files and lines typed at the prompt.
 *
 * The state gets the standard libraries, the `pyspy` module (as a global and
 * through require), and a print() that writes to the session's output stream,
 * so pyspy.cmd() and the pager see a script's output like a command's.
 *
 * Ctrl-C: the shell's SIGINT handler only sets pyspy_interrupted.  A count
 * hook checks it every few thousand instructions and raises "interrupted",
 * so a script that loops forever stops and the prompt comes back; the
 * module's own long calls (sleep, sample) check it as well.
 *
 * Errors come back to the caller as text: the message ("file:line: ...")
 * and a Lua traceback, made by the message handler while the failing stack
 * still exists.
 */
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "lua_impl.h"

#define HOOK_COUNT 4096

struct luabind {
	lua_State *L;
	struct lua_host host;
};

static const char HOST_KEY[] = "pyspy.host";

const struct lua_host *lb_host(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, HOST_KEY);
	const struct luabind *lb = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return &lb->host;
}

void lb_check_interrupt(lua_State *L)
{
	if (pyspy_interrupted)
		luaL_error(L, "interrupted");
}

static void on_count(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	lb_check_interrupt(L);
}

/* print(...) onto the session's output stream */
static int lb_print(lua_State *L)
{
	const struct lua_host *h = lb_host(L);
	FILE *f = h->out(h->ctx);
	int n = lua_gettop(L);
	for (int i = 1; i <= n; i++) {
		size_t len;
		const char *s = luaL_tolstring(L, i, &len);
		if (i > 1)
			fputc('\t', f);
		fwrite(s, 1, len, f);
		lua_pop(L, 1);
	}
	fputc('\n', f);
	fflush(f);
	return 0;
}

struct luabind *luabind_new(const struct lua_host *host)
{
	struct luabind *lb = calloc(1, sizeof(*lb));
	if (!lb || !(lb->L = luaL_newstate())) {
		free(lb);
		return NULL;
	}
	lb->host = *host;
	lua_State *L = lb->L;
	lua_pushlightuserdata(L, lb);
	lua_setfield(L, LUA_REGISTRYINDEX, HOST_KEY);
	luaL_openlibs(L);
	luaL_requiref(L, "pyspy", luaopen_pyspy, 1);
	lua_pop(L, 1);
	lua_pushcfunction(L, lb_print);
	lua_setglobal(L, "print");
	lua_sethook(L, on_count, LUA_MASKCOUNT, HOOK_COUNT);
	return lb;
}

void luabind_free(struct luabind *lb)
{
	if (!lb)
		return;
	lua_close(lb->L);
	free(lb);
}

/* The message handler: the message and a traceback of the failing stack. */
static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);
	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			msg = lua_tostring(L, -1);
		else
			msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

static char *take_error(lua_State *L, int base)
{
	const char *msg = lua_tostring(L, -1);
	char *copy = strdup(msg ? msg : "(error object is not a string)");
	lua_settop(L, base);
	return copy;
}

/* Call the chunk below nargs arguments on the stack; print its results if asked. */
static int call(struct luabind *lb, int base, int nargs, bool print_results, char **errmsg)
{
	lua_State *L = lb->L;
	lua_pushcfunction(L, traceback);
	lua_insert(L, base + 1);
	if (lua_pcall(L, nargs, LUA_MULTRET, base + 1) != LUA_OK) {
		*errmsg = take_error(L, base);
		return -1;
	}
	int nres = lua_gettop(L) - base - 1;
	if (print_results && nres > 0) {
		lua_pushcfunction(L, lb_print);
		lua_insert(L, base + 2);
		if (lua_pcall(L, nres, 0, base + 1) != LUA_OK) {
			*errmsg = take_error(L, base);
			return -1;
		}
	}
	lua_settop(L, base);
	return 0;
}

int luabind_run_file(struct luabind *lb, const char *path, const char *const *args, int nargs, char **errmsg)
{
	lua_State *L = lb->L;
	int base = lua_gettop(L);
	*errmsg = NULL;
	lua_createtable(L, nargs, 1);
	lua_pushstring(L, path);
	lua_rawseti(L, -2, 0);
	for (int i = 0; i < nargs; i++) {
		lua_pushstring(L, args[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_setglobal(L, "arg");
	if (luaL_loadfilex(L, path, "t") != LUA_OK) {
		*errmsg = take_error(L, base);
		return -1;
	}
	for (int i = 0; i < nargs; i++)
		lua_pushstring(L, args[i]);
	return call(lb, base, nargs, false, errmsg);
}

int luabind_run_line(struct luabind *lb, const char *code, char **errmsg)
{
	lua_State *L = lb->L;
	int base = lua_gettop(L);
	*errmsg = NULL;
	/* an expression prints its values, as the lua interpreter's prompt does */
	const char *ret = lua_pushfstring(L, "return %s;", code);
	int rc = luaL_loadbufferx(L, ret, strlen(ret), "=(lua)", "t");
	lua_remove(L, -2);
	bool expr = rc == LUA_OK;
	if (!expr) {
		lua_pop(L, 1);
		if (luaL_loadbufferx(L, code, strlen(code), "=(lua)", "t") != LUA_OK) {
			*errmsg = take_error(L, base);
			return -1;
		}
	}
	return call(lb, base, 0, expr, errmsg);
}
