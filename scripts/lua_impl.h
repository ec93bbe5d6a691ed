/*
 * lua_impl.h — what the files of the `pyspy` module share; not an API.
 *
 * Object kinds and their metatables:
 *   pyspy.process  a target: the session's (borrowed, checked against the
 *                  session's attach generation) or one pyspy.attach() made
 *                  (owned, detached by :detach(), __close or __gc)
 *   pyspy.thread   one thread of one threads() call; its uservalue is the
 *                  process, and it refuses use once a newer threads() call
 *                  (or a detach) made it stale
 *   pyspy.profile  a profile store, owned
 * Frames, samples and report rows are plain tables: data, not handles.
 */
#ifndef PYSPY_LUA_IMPL_H
#define PYSPY_LUA_IMPL_H

#include <lauxlib.h>
#include <lua.h>

#include "engine/profile/profile.h"
#include "engine/values/pyvalue.h"
#include "engine/python/snapshot.h"
#include "luabind.h"

#define PROCESS_MT "pyspy.process"
#define THREAD_MT "pyspy.thread"
#define PROFILE_MT "pyspy.profile"

struct lproc {
	struct target *t;          /* &own, or the session's target */
	struct target own;
	bool owned;
	bool closed;               /* owned and detached */
	unsigned long host_gen;    /* borrowed: the session's attach generation when made */
	unsigned long snap_gen;    /* bumped by every threads() */
	pid_t pid;
	char python[32];
	char exe[4096];
};

struct lthread {
	unsigned long snap_gen;
	uint64_t thread_id;
	pid_t os_tid;
	int64_t interp_id;
	int number;
	bool active;
	int gil;
	bool has_name;
	char name[256];
};

struct lprofile {
	struct profile *p;         /* NULL once closed */
	bool by_thread;            /* sampled with threads=true */
};

/* lua_run.c */
const struct lua_host *lb_host(lua_State *L);
/* "interrupted" when Ctrl-C was pressed (the hook raises it too) */
void lb_check_interrupt(lua_State *L);

/* lua_module.c */
int luaopen_pyspy(lua_State *L);

/* lua_process.c */
void lproc_open(lua_State *L);
/* Push a new process userdata for the session's target (borrowed) or NULL on
 * failure (nil, msg pushed): returns the number of values pushed. */
int lproc_push_session(lua_State *L);
/* lua_tasks.c: p:tasks() */
int lproc_tasks(lua_State *L);
int lproc_attach(lua_State *L);
/* The process at idx, checked: raises for a stale or detached one. */
struct lproc *lproc_check(lua_State *L, int idx);
struct target *lproc_target(lua_State *L, struct lproc *p);
int lproc_threads(lua_State *L);
int lproc_sample(lua_State *L);

/* lua_profile.c */
void lprofile_open(lua_State *L);
/* sample with options table at opts_idx on the process at proc_idx */
int lprofile_sample(lua_State *L, int proc_idx, int opts_idx);
/* pyspy.load(path) */
int lprofile_load(lua_State *L);

/* lua_values.c */
void lv_push_value(lua_State *L, const struct py_value *v);
/* push {function=, qualname=, file=, line=} */
void lv_push_frame(lua_State *L, const char *function, const char *qualname, const char *file, int line);
/* frames of a thread, innermost first, as an array of frame tables */
void lv_push_frames(lua_State *L, const struct py_frame *f, size_t n);
/* {id=, os_tid=, name=, active=, gil=} */
void lv_push_thread_record(lua_State *L, const struct py_thread *th);
/* The argument at idx is a table of options, or absent. */
void lv_check_opts(lua_State *L, int idx);
/* Options table helpers: the field's value, or def when absent; raise naming
 * the function and the field when it has the wrong type. */
bool lv_opt_bool(lua_State *L, int idx, const char *fn, const char *field, bool def);
double lv_opt_number(lua_State *L, int idx, const char *fn, const char *field, double def);
const char *lv_opt_string(lua_State *L, int idx, const char *fn, const char *field, const char *def);
/* A native frame of a merged stack: {kind="native", function, library, file, line, address}. */
struct native_frame;
void lv_push_native_frame(lua_State *L, const struct native_frame *f);
/* Register metatable `name`: __index, __tostring, __gc and __close (when gc
 * is set) and a "methods" table that lv_method() looks in. */
void lv_new_class(lua_State *L, const char *name, lua_CFunction index, lua_CFunction tostring,
		  lua_CFunction gc, const luaL_Reg *methods);
/* For an __index function: push method k of the object at 1 (nil if none); returns 1. */
int lv_method(lua_State *L, const char *k);
/* Push nil and a message; returns 2. */
int lv_fail(lua_State *L, const char *msg);

#endif
