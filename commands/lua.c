/*
 * lua.c — `lua CODE`, Lua scripts run by `source FILE.lua` and `-x FILE`, and
 * the session's side of the `pyspy` module (the struct lua_host).
 *
 * The interpreter is made by the first of these and kept for the session,
 * so globals live from one `lua` line to the next.  The host callbacks are
 * how scripts/ reaches the session without including this layer's headers:
 * the target and its attach generation, the snapshot policy (pause unless
 * nonblocking or held by `stop`), the value limits, `stop`/`continue`, and
 * command_run() with both streams captured for pyspy.cmd().
 */
#include <stdlib.h>
#include <string.h>

#include "engine/values/repr.h"
#include "scripts/luabind.h"
#include "command.h"
#include "session.h"

static FILE *host_out(void *ctx)
{
	return ((struct session *)ctx)->out;
}

static struct target *host_target(void *ctx, unsigned long *generation)
{
	struct session *s = ctx;
	*generation = s->generation;
	return s->attached ? &s->target : NULL;
}

static unsigned host_snap_flags(void *ctx, const struct target *t)
{
	struct session *s = ctx;
	if (s->set.nonblocking || (s->held && t == &s->target))
		return 0;
	return SNAP_PAUSE;
}

static void host_repr_opts(void *ctx, struct repr_opts *o)
{
	struct session *s = ctx;
	o->width = (size_t)s->set.width;
	o->depth = s->set.depth;
	o->max_items = (size_t)s->set.items;
	o->attrs = s->set.attrs;
}

static int host_run_cmd(void *ctx, const char *line, char **out, char **err)
{
	struct session *s = ctx;
	size_t olen = 0, elen = 0;
	FILE *mo = open_memstream(out, &olen), *me = open_memstream(err, &elen);
	if (!mo || !me) {
		if (mo)
			fclose(mo);
		if (me)
			fclose(me);
		*out = *err = NULL;
		return CMD_FAILED;
	}
	FILE *so = s->out, *se = s->err;
	bool interactive = s->interactive;
	s->out = mo;
	s->err = me;
	s->interactive = false;    /* no colour, pager or progress lines in captured text */
	int rc = command_run(s, line);
	s->out = so;
	s->err = se;
	s->interactive = interactive;
	fclose(mo);
	fclose(me);
	return rc;
}

static int host_stop(void *ctx, char *msg, size_t len)
{
	struct pyspy_err e = { 0 };
	if (session_hold(ctx, &e) < 0) {
		snprintf(msg, len, "%s", e.msg);
		return -1;
	}
	return 0;
}

static void host_cont(void *ctx)
{
	session_continue(ctx);
}

static struct luabind *luacmd_state(struct session *s)
{
	if (!s->lua) {
		struct lua_host h = {
			.ctx = s, .out = host_out, .target = host_target, .snap_flags = host_snap_flags,
			.repr_opts = host_repr_opts, .run_cmd = host_run_cmd, .stop = host_stop, .cont = host_cont,
		};
		s->lua = luabind_new(&h);
		if (!s->lua)
			cmd_error(s, "lua: cannot start the Lua interpreter: out of memory");
	}
	return s->lua;
}

static int report(struct session *s, int rc, char *msg)
{
	if (rc < 0) {
		cmd_error(s, "%s", msg ? msg : "script failed");
		free(msg);
		return CMD_FAILED;
	}
	return CMD_OK;
}

int luacmd_run_file(struct session *s, const char *path, const char *const *args, int nargs)
{
	char found[4096];
	char *msg = NULL;
	if (script_find(path, found, sizeof(found)) < 0)
		return cmd_error(s, "cannot find script '%s' (looked in the current directory and the "
				 "script directories: see 'info scripts')", path);
	struct luabind *lb = luacmd_state(s);
	if (!lb)
		return CMD_FAILED;
	int rc = luabind_run_file(lb, found, args, nargs, &msg);
	return report(s, rc, msg);
}

/* LUA code */
static int do_lua(struct session *s, const struct cmd_args *a)
{
	char *msg = NULL;
	struct luabind *lb = luacmd_state(s);
	if (!lb)
		return CMD_FAILED;
	int rc = luabind_run_line(lb, a->argv[0], &msg);
	return report(s, rc, msg);
}

const struct command cmd_lua = {
	.name = "lua",
	.usage = "lua CODE",
	.summary = "Run a line of Lua with the pyspy module; an expression's values are printed.",
	.help = "One interpreter lives for the whole session: globals set by one 'lua' line\n"
		"are there for the next and for scripts run with 'source FILE.lua'.\n"
		"\n"
		"  lua for _, t in ipairs(pyspy.threads()) do print(t.name, t.active) end\n"
		"  lua #pyspy.threads()\n"
		"  lua p = pyspy.sample{duration=2}; for _, r in ipairs(p:top(5)) do print(r.own, r.qualname) end\n"
		"\n"
		"The module: pyspy.process(), pyspy.attach(pid), pyspy.threads(), pyspy.tasks(),\n"
		"t:stack{locals=true}, pyspy.sample{duration=, rate=, idle=, gil=, threads=,\n"
		"on_sample=fn}, profile :count() :top(n, by) :stacks() :flamegraph(path)\n"
		":save(path, format) :merge(other), pyspy.load(path) (a saved folded or\n"
		"pstats profile; :flamegraph(path, {diff = base}) compares with it),\n"
		"pyspy.sleep(s), pyspy.now(),\n"
		"pyspy.cmd(\"bt --all\"), pyspy.stop(), pyspy.cont().  See README.md.\n"
		"Errors print the message and a Lua traceback; Ctrl-C stops a running script.",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_RAW_ARGS | CMD_STREAMS,
	.handler = do_lua,
};
