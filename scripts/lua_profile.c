/*
 * lua_profile.c — pyspy.sample{} and the profile object.
 *
 * Sampling goes through the engine's profile_sample(), as the shell's
 * `sample` does, so a script's profile and the shell's hold the same counts
 * and metadata.  A script's on_sample function sees each sample after it was
 * counted; it runs under lua_pcall, so an error in it (or Ctrl-C, raised by
 * the interpreter's hook) stops the sampler cleanly: the samples taken are
 * kept and pyspy.sample returns the profile with the reason as a second
 * value.  Returning false from on_sample stops sampling the same way,
 * without a reason.
 *
 * A profile owns its store; __gc and __close free it, and a closed profile
 * refuses use.  Reports (top, stacks) are plain tables; files are written by
 * the engine's exporters, atomically, failing with nil and a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/export/export.h"
#include "engine/profile/sampler.h"
#include "lua_impl.h"

static struct lprofile *prof_check(lua_State *L, int idx)
{
	struct lprofile *u = luaL_checkudata(L, idx, PROFILE_MT);
	if (!u->p)
		luaL_error(L, "attempt to use a closed profile");
	return u;
}

/* ---- sampling ---- */

struct lsample {
	lua_State *L;
	int fn;                    /* stack index of on_sample, 0 if none */
	bool failed;
	char err[1024];
};

/* Under lua_pcall: build the sample table and call on_sample with it, so that
 * no error (not even running out of memory) unwinds through the sampler. */
static int call_on_sample(lua_State *L)
{
	const struct sample *s = lua_touserdata(L, 2);
	lua_settop(L, 1);
	lua_createtable(L, 0, 5);
	lua_pushinteger(L, s->target ? (lua_Integer)s->target->pid : 0);
	lua_setfield(L, -2, "pid");
	lua_pushnumber(L, (double)s->timestamp_us / 1e6);
	lua_setfield(L, -2, "time");
	lua_pushinteger(L, (lua_Integer)s->weight);
	lua_setfield(L, -2, "weight");
	lv_push_thread_record(L, s->thread);
	lua_setfield(L, -2, "thread");
	lv_push_frames(L, s->thread->frames, s->thread->nframes);
	lua_setfield(L, -2, "frames");
	lua_call(L, 1, 1);
	return 1;
}

static int on_sample(void *ctx, const struct sample *s)
{
	struct lsample *c = ctx;
	lua_State *L = c->L;
	if (!lua_checkstack(L, 4)) {
		snprintf(c->err, sizeof(c->err), "on_sample: out of Lua stack");
		c->failed = true;
		return 1;
	}
	lua_pushcfunction(L, call_on_sample);
	lua_pushvalue(L, c->fn);
	lua_pushlightuserdata(L, (void *)s);
	if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
		const char *msg = lua_tostring(L, -1);
		snprintf(c->err, sizeof(c->err), "on_sample: %s", msg ? msg : "(error object is not a string)");
		c->failed = true;
		lua_pop(L, 1);
		return 1;
	}
	bool stop = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
	lua_pop(L, 1);
	return stop;
}

static int check_on_sample(lua_State *L, int opts)
{
	if (lua_isnoneornil(L, opts))
		return 0;
	int t = lua_getfield(L, opts, "on_sample");
	if (t == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	if (t != LUA_TFUNCTION)
		luaL_argerror(L, opts, lua_pushfstring(L, "field 'on_sample': function expected, got %s",
						      luaL_typename(L, -1)));
	return lua_gettop(L);
}

/* mode="cpu"|"wall"|"gil"|"exception" (default cpu), or the old idle=true / gil=true */
static enum sampler_mode check_mode(lua_State *L, int opts)
{
	const char *m = lv_opt_string(L, opts, "sample", "mode", NULL);
	bool idle = lv_opt_bool(L, opts, "sample", "idle", false);
	bool gil = lv_opt_bool(L, opts, "sample", "gil", false);
	if (!m)
		return gil ? SAMPLER_GIL : idle ? SAMPLER_WALL : SAMPLER_CPU;
	luaL_argcheck(L, !idle && !gil, opts, "fields 'mode' and 'idle'/'gil' both choose the mode: give one");
	if (!strcmp(m, "cpu"))
		return SAMPLER_CPU;
	if (!strcmp(m, "wall"))
		return SAMPLER_WALL;
	if (!strcmp(m, "exception"))
		return SAMPLER_EXCEPTION;
	luaL_argcheck(L, !strcmp(m, "gil"), opts, "field 'mode': \"cpu\", \"wall\", \"gil\" or \"exception\" expected");
	return SAMPLER_GIL;
}

/* process:sample{duration=1, rate=100, mode=, idle=, gil=, threads=, blocking=, nonblocking=, native=,
 *                native_all=, subprocesses=, on_sample=}
 * (native implies blocking: the unwinder needs the target paused)
 * -> profile [, why it stopped early] | nil, msg */
int lprofile_sample(lua_State *L, int proc_idx, int opts)
{
	struct target *t = lproc_target(L, lproc_check(L, proc_idx));
	lv_check_opts(L, opts);
	if (t->core)
		return lv_fail(L, "sample: not available on a core file");
	bool native_all = lv_opt_bool(L, opts, "sample", "native_all", false);
	bool native = lv_opt_bool(L, opts, "sample", "native", false) || native_all;
	struct sampler_opts so = {
		.duration = lv_opt_number(L, opts, "sample", "duration", 1),
		.rate = lv_opt_number(L, opts, "sample", "rate", 100),
		.mode = check_mode(L, opts),
		.blocking = lv_opt_bool(L, opts, "sample", "blocking", false) || native,
		.never_hold = lv_opt_bool(L, opts, "sample", "nonblocking", false),
		.native = native,
		.native_all = native_all,
		.subprocesses = lv_opt_bool(L, opts, "sample", "subprocesses", false),
	};
	bool by_thread = lv_opt_bool(L, opts, "sample", "threads", false);
	luaL_argcheck(L, so.duration >= 0 && so.duration <= 30 * 86400.0, opts,
		      "field 'duration': seconds from 0 (until stopped) to 30 days expected");
	luaL_argcheck(L, so.rate >= 1 && so.rate <= 10000000, opts,
		      "field 'rate': samples per second from 1 to 10000000 expected");
	struct lsample c = { .L = L, .fn = check_on_sample(L, opts) };
	if (c.fn) {
		so.emit = on_sample;
		so.ctx = &c;
	}
	struct lprofile *u = lua_newuserdatauv(L, sizeof(*u), 0);
	u->p = NULL;
	luaL_setmetatable(L, PROFILE_MT);
	if (!(u->p = profile_new()))
		return luaL_error(L, "sample: out of memory");
	u->by_thread = by_thread;
	struct sampler_stats st;
	struct pyspy_err e = { 0 };
	int rc = profile_sample(t, &so, u->p, &st, &e);
	lb_check_interrupt(L);
	if (rc < 0)
		return lv_fail(L, e.msg);
	if (c.failed || (st.stop_msg[0] && strcmp(st.stop_msg, "interrupted"))) {
		lua_pushstring(L, c.failed ? c.err : st.stop_msg);
		return 2;
	}
	return 1;
}

/* ---- reports ---- */

static int prof_count(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)profile_samples(prof_check(L, 1)->p));
	return 1;
}

static enum prof_by check_by(lua_State *L, int idx, const char *def)
{
	static const char *const names[] = { "function", "line", NULL };
	return luaL_checkoption(L, idx, def, names) == 1 ? PROF_BY_LINE : PROF_BY_FUNCTION;
}

/* p:top(n=20, by="function") -> {{function=, qualname=, file=, line=, own=, total=, samples=}...}
 * own and total in the profile's unit (p.unit); samples: where it appears */
static int prof_top(lua_State *L)
{
	struct lprofile *u = prof_check(L, 1);
	lua_Integer n = luaL_optinteger(L, 2, 20);
	enum prof_by by = check_by(L, 3, "function");
	struct prof_row *rows = NULL;
	size_t nrows = 0;
	luaL_argcheck(L, n > 0, 2, "a positive number of rows expected");
	if (profile_top(u->p, by, &rows, &nrows) < 0)
		return luaL_error(L, "top: out of memory");
	lua_createtable(L, (int)(nrows < (size_t)n ? nrows : (size_t)n), 0);
	for (size_t i = 0; i < nrows && (lua_Integer)i < n; i++) {
		lv_push_frame(L, rows[i].function, rows[i].qualname, rows[i].file,
			      by == PROF_BY_LINE ? rows[i].line : -1);
		lua_pushinteger(L, (lua_Integer)rows[i].own);
		lua_setfield(L, -2, "own");
		lua_pushinteger(L, (lua_Integer)rows[i].total);
		lua_setfield(L, -2, "total");
		lua_pushinteger(L, (lua_Integer)rows[i].own_samples);
		lua_setfield(L, -2, "own_samples");
		lua_pushinteger(L, (lua_Integer)rows[i].total_samples);
		lua_setfield(L, -2, "samples");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	free(rows);
	return 1;
}

static int stacks_next(lua_State *L)
{
	lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
	lua_pushinteger(L, i);
	lua_replace(L, lua_upvalueindex(2));
	if (lua_rawgeti(L, lua_upvalueindex(1), i) == LUA_TNIL)
		return 0;
	lua_getfield(L, -1, "frames");
	lua_getfield(L, -2, "weight");
	lua_getfield(L, -3, "thread");
	lua_getfield(L, -4, "count");
	return 4;
}

static void push_stack_entry(lua_State *L, const struct profile *p, const struct prof_stack *ps)
{
	lua_createtable(L, 0, 3);
	lua_createtable(L, (int)ps->nframes, 0);
	for (size_t k = 0; k < ps->nframes; k++) {  /* root first in the store, innermost first here */
		const struct prof_frame *f = profile_frame(p, ps->frames[ps->nframes - 1 - k]);
		lv_push_frame(L, f->function, f->qualname, f->file, f->line);
		lua_rawseti(L, -2, (lua_Integer)k + 1);
	}
	lua_setfield(L, -2, "frames");
	lua_pushinteger(L, (lua_Integer)ps->count);
	lua_setfield(L, -2, "count");
	lua_pushinteger(L, (lua_Integer)ps->weight);
	lua_setfield(L, -2, "weight");
	const struct prof_thread *th = profile_thread(p, ps->thread);
	lua_createtable(L, 0, 3);
	lua_pushinteger(L, (lua_Integer)th->thread_id);
	lua_setfield(L, -2, "id");
	if (th->name) {
		lua_pushstring(L, th->name);
		lua_setfield(L, -2, "name");
	}
	lua_setfield(L, -2, "thread");
}

/* for frames, weight, thread, samples in p:stacks() do ... end  (frames innermost
 * first; weight in p.unit, which for a "samples" profile is the sample count) */
static int prof_stacks(lua_State *L)
{
	struct lprofile *u = prof_check(L, 1);
	struct prof_iter it;
	struct prof_stack ps;
	int rc;
	lua_newtable(L);
	prof_iter_init(&it, u->p);
	for (lua_Integer i = 1; (rc = prof_iter_next(&it, &ps)) == 1; i++) {
		push_stack_entry(L, u->p, &ps);
		lua_rawseti(L, -2, i);
	}
	prof_iter_release(&it);
	if (rc < 0)
		return luaL_error(L, "stacks: out of memory");
	lua_pushinteger(L, 0);
	lua_pushcclosure(L, stacks_next, 2);
	return 1;
}

/* ---- files ---- */

/* opts.diff: a profile, or the path of one saved earlier (read into *loaded, the caller frees). */
static int diff_base(lua_State *L, int opts, enum export_format fmt, const struct profile **base,
		     struct profile **loaded, struct pyspy_err *e)
{
	if (lua_isnoneornil(L, opts))
		return 0;
	int t = lua_getfield(L, opts, "diff");
	if (t == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	luaL_argcheck(L, fmt == EXPORT_FMT_SVG, opts, "field 'diff': only a flame graph (.svg) has one");
	if (t == LUA_TSTRING) {
		int rc = export_load(lua_tostring(L, -1), loaded, e);
		lua_pop(L, 1);
		*base = *loaded;
		return rc;
	}
	struct lprofile *b = luaL_testudata(L, -1, PROFILE_MT);
	luaL_argcheck(L, b != NULL, opts, "field 'diff': a profile or a file name expected");
	if (!b->p)
		luaL_error(L, "attempt to use a closed profile");
	*base = b->p;
	lua_pop(L, 1);
	return 0;
}

static int write_file(lua_State *L, struct lprofile *u, const char *path, enum export_format fmt, int opts)
{
	struct export_opts o = { .by = PROF_BY_LINE, .by_thread = u->by_thread };
	struct pyspy_err e = { 0 };
	char subtitle[512];
	lv_check_opts(L, opts);
	const char *by = lv_opt_string(L, opts, "flamegraph", "by", "line");
	luaL_argcheck(L, !strcmp(by, "line") || !strcmp(by, "function"), opts, "field 'by': 'function' or 'line' expected");
	o.by = strcmp(by, "function") ? PROF_BY_LINE : PROF_BY_FUNCTION;
	o.by_thread = lv_opt_bool(L, opts, "flamegraph", "threads", u->by_thread);
	o.orient = lv_opt_bool(L, opts, "flamegraph", "icicle", false) ? EXPORT_ICICLE : EXPORT_FLAME;
	o.title = lv_opt_string(L, opts, "flamegraph", "title", "pyspy-sh flame graph");
	o.width = (int)lv_opt_number(L, opts, "flamegraph", "width", 0);
	const struct profile_meta *m = profile_meta(u->p);
	snprintf(subtitle, sizeof(subtitle), "pid %d: %.200s", (int)m->pid, m->command);
	o.subtitle = subtitle;
	struct profile *loaded = NULL;
	if (diff_base(L, opts, fmt, &o.diff, &loaded, &e) < 0)
		return lv_fail(L, e.msg);
	int rc = export_write(u->p, path, fmt, &o, &e);
	profile_free(loaded);
	if (rc < 0)
		return lv_fail(L, e.msg);
	lua_pushboolean(L, 1);
	return 1;
}

/* pyspy.load(path) -> profile | nil, msg: a folded or pstats file saved earlier */
int lprofile_load(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	struct pyspy_err e = { 0 };
	struct lprofile *u = lua_newuserdatauv(L, sizeof(*u), 0);
	u->p = NULL;
	u->by_thread = false;
	luaL_setmetatable(L, PROFILE_MT);
	if (export_load(path, &u->p, &e) < 0)
		return lv_fail(L, e.msg);
	return 1;
}

/* p:flamegraph(path, {title=, by="line", threads=, icicle=, width=, diff=}) -> true | nil, msg */
static int prof_flamegraph(lua_State *L)
{
	struct lprofile *u = prof_check(L, 1);
	return write_file(L, u, luaL_checkstring(L, 2), EXPORT_FMT_SVG, 3);
}

/* p:save(path [, format [, opts]]) -> true | nil, msg */
static int prof_save(lua_State *L)
{
	struct lprofile *u = prof_check(L, 1);
	const char *path = luaL_checkstring(L, 2);
	const char *name = luaL_optstring(L, 3, NULL);
	enum export_format fmt = name ? export_format_named(name) : export_format_of_path(path);
	if (fmt == EXPORT_FMT_NONE && name)
		return luaL_argerror(L, 3, lua_pushfstring(L, "unknown format '%s' (folded, speedscope, chrometrace, svg, pstats, gecko or heatmap)", name));
	if (fmt == EXPORT_FMT_NONE)
		return luaL_argerror(L, 2, lua_pushfstring(L, "cannot tell the format of '%s' from its name: "
							      "pass folded, speedscope, chrometrace, svg, pstats, gecko or heatmap", path));
	return write_file(L, u, path, fmt, 4);
}

/* p:merge(other) -> p: other's samples added to p */
static int prof_merge(lua_State *L)
{
	struct lprofile *u = prof_check(L, 1);
	struct lprofile *o = prof_check(L, 2);
	luaL_argcheck(L, u != o, 2, "cannot merge a profile into itself");
	int rc = profile_merge(u->p, o->p);
	if (rc == -PS_EARG)
		return luaL_error(L, "merge: the profiles weigh samples in different units (%s and %s)",
				  profile_unit_name(profile_meta(u->p)->unit), profile_unit_name(profile_meta(o->p)->unit));
	if (rc < 0)
		return luaL_error(L, "merge: out of memory");
	lua_settop(L, 1);
	return 1;
}

static int prof_gc(lua_State *L)
{
	struct lprofile *u = luaL_checkudata(L, 1, PROFILE_MT);
	if (u->p)
		profile_free(u->p);
	u->p = NULL;
	return 0;
}

static int prof_tostring(lua_State *L)
{
	struct lprofile *u = luaL_checkudata(L, 1, PROFILE_MT);
	if (!u->p)
		lua_pushliteral(L, "profile (closed)");
	else
		lua_pushfstring(L, "profile of pid %d (%I samples)", (int)profile_meta(u->p)->pid,
				(lua_Integer)profile_samples(u->p));
	return 1;
}

static const luaL_Reg prof_methods[] = {
	{ "count", prof_count },
	{ "top", prof_top },
	{ "stacks", prof_stacks },
	{ "flamegraph", prof_flamegraph },
	{ "save", prof_save },
	{ "merge", prof_merge },
	{ "close", prof_gc },
	{ NULL, NULL },
};

static int prof_index(lua_State *L)
{
	struct lprofile *u = prof_check(L, 1);
	const char *k = luaL_checkstring(L, 2);
	const struct profile_meta *m = profile_meta(u->p);
	if (!strcmp(k, "pid"))
		lua_pushinteger(L, m->pid);
	else if (!strcmp(k, "python"))
		lua_pushstring(L, m->python);
	else if (!strcmp(k, "duration"))
		lua_pushnumber(L, (double)m->duration_us / 1e6);
	else if (!strcmp(k, "ticks"))
		lua_pushinteger(L, (lua_Integer)m->ticks);
	else if (!strcmp(k, "errors"))
		lua_pushinteger(L, (lua_Integer)m->errors);
	else if (!strcmp(k, "torn"))
		lua_pushinteger(L, (lua_Integer)m->torn);
	else if (!strcmp(k, "unit"))
		lua_pushstring(L, profile_unit_name(m->unit));
	else if (!strcmp(k, "mode"))
		lua_pushstring(L, m->mode);
	else if (!strcmp(k, "weight"))
		lua_pushinteger(L, (lua_Integer)profile_weight(u->p));
	else
		return lv_method(L, k);
	return 1;
}

void lprofile_open(lua_State *L)
{
	lv_new_class(L, PROFILE_MT, prof_index, prof_tostring, prof_gc, prof_methods);
}

/* process:sample{...} */
int lproc_sample(lua_State *L)
{
	return lprofile_sample(L, 1, 2);
}
