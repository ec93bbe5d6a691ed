/*
 * luabind.h — the `pyspy` Lua module and the interpreter that runs scripts.
 *
 * scripts/ is the binding only: it converts Lua arguments, calls the engine,
 * and pushes results.  It does not know the shell's session or its commands;
 * whoever opens the module hands it a struct lua_host — the session's target,
 * its output streams, its settings, and a way to run a shell command — so the
 * dependency runs one way (commands/ -> scripts/ -> engine/).
 *
 * One luabind is one lua_State, kept for a whole session, so that
 * `lua x = 1` and a later `lua print(x)` share their globals.  It is created
 * only when a Lua command or -x is used: batch runs never pay for Lua.
 */
#ifndef PYSPY_LUABIND_H
#define PYSPY_LUABIND_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct target;
struct repr_opts;

struct lua_host {
	void *ctx;
	/* where print() writes, and where warnings go; asked at every use */
	FILE *(*out)(void *ctx);
	/* the session's target and its attach generation (bumped by every attach
	 * and detach); NULL when nothing is attached */
	struct target *(*target)(void *ctx, unsigned long *generation);
	/* snapshot flags the session's settings call for (SNAP_PAUSE or 0) for
	 * t, which may be the session's target or one a script attached */
	unsigned (*snap_flags)(void *ctx, const struct target *t);
	/* the session's value-printing limits */
	void (*repr_opts)(void *ctx, struct repr_opts *o);
	/* run one shell command with its output and errors captured (malloc'd,
	 * NUL-terminated, caller frees); returns the command's status, 0 = done */
	int (*run_cmd)(void *ctx, const char *line, char **out, char **err);
	/* `stop` and `continue` on the session's target; stop: 0 or -1 with msg */
	int (*stop)(void *ctx, char *msg, size_t len);
	void (*cont)(void *ctx);
};

struct luabind;

/* A Lua state with the standard libraries and `pyspy`; NULL when out of memory. */
struct luabind *luabind_new(const struct lua_host *host);
/* Close the state: processes scripts attached are detached. */
void luabind_free(struct luabind *lb);

/*
 * Run a script file with arguments (arg[0] = path, arg[1..n] and `...`), or
 * a line of Lua typed at the prompt (an expression's values are printed, as
 * the lua interpreter does).  0 when it ran to the end; -1 with *errmsg (a
 * malloc'd "file:line: message" and a Lua traceback; "interrupted" after
 * Ctrl-C) when it did not.  The caller frees *errmsg.
 */
int luabind_run_file(struct luabind *lb, const char *path, const char *const *args, int nargs, char **errmsg);
int luabind_run_line(struct luabind *lb, const char *code, char **errmsg);

/* ---- finding scripts (script_path.c; no Lua needed) ---- */

#define SCRIPT_NDIRS 4

struct script_dir {
	char path[PATH_MAX];       /* "" when that place does not apply (no HOME, no build tree) */
	const char *label;         /* "current directory", "home", "installed", "source tree" */
};

/* Where scripts are looked for, in order. */
void script_dirs(struct script_dir dirs[SCRIPT_NDIRS]);
/* The file NAME refers to: NAME itself when it exists or holds a '/', else the
 * first NAME in the script directories.  0, or -1 when there is none. */
int script_find(const char *name, char *out, size_t len);
/* The first line of a script's header comment ("-- record.lua: ..."), for `info scripts`. */
void script_summary(const char *path, char *buf, size_t len);

#endif
