/*
 * session.h — what a pyspy-sh session remembers between commands.
 *
 * The attached target, the selected thread and frame, the settings, and where
 * output goes.  Output is a FILE so that a command's text can be captured
 * (open_memstream) for Lua's pyspy.cmd() just as well as printed.
 */
#ifndef PYSPY_SESSION_H
#define PYSPY_SESSION_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "engine/os/pause.h"
#include "engine/profile/profile.h"
#include "engine/python/target.h"

struct settings {
	bool nonblocking;          /* read without pausing the target */
	int width;                 /* repr width: longest value text shown */
	int depth;                 /* repr depth: nesting shown before [...] */
	int items;                 /* items shown per container before ...(N more) */
	bool attrs;                /* show instances' attributes after <Class object at 0x...> */
	bool colour;               /* ANSI colour (on a terminal, without NO_COLOR) */
	bool pager;                /* long output through $PAGER on a terminal */
	bool history;              /* keep command history in ~/.pyspy_history */
	enum locate_method locate; /* how to find the interpreter (testing aid) */
};

struct session {
	struct target target;
	bool attached;
	FILE *out, *err;
	int cur_thread;            /* selected thread number, 0 = the main thread */
	int cur_frame;
	struct settings set;
	bool quit;
	/* `list` continues where it stopped when repeated */
	char list_file[4096];
	long list_next, list_mark;
	bool list_repeat;          /* set by the REPL when this command repeats the last one */
	bool interactive;          /* a person at a terminal: prompt, pager, colour allowed */
	struct pause hold;         /* `stop`: every task held until `continue` */
	bool held;
	struct profile *profile;   /* the last `sample`, kept for top, flamegraph, save */
	bool profile_threads;      /* it was taken with --threads: split exports by thread */
	unsigned long generation;  /* bumped by every attach and detach: scripts' handles check it */
	struct luabind *lua;       /* the Lua interpreter, made by the first Lua command (lua.c) */
	pid_t launched;            /* the program pyspy-sh started (-- PROGRAM), 0 if none */
	bool launch_kill;          /* `quit` was answered "kill": end it rather than wait for it */
	bool subprocesses;         /* pyspy-sh --subprocesses: sample, bt and threads take it by default */
};

void session_init(struct session *s);
void session_release(struct session *s);

/* Attach to pid, detaching from any previous target first.  Returns a cmd_status. */
int session_attach(struct session *s, int pid);
void session_detach(struct session *s);
/* Open a core file (exe: its executable, or NULL for the one the core
 * names); warnings about the core's files go to the error stream. */
int session_open_core(struct session *s, const char *path, const char *exe);

/* "pyspy-sh: <message>" on the error stream; returns CMD_FAILED. */
int cmd_error(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report an engine failure; returns CMD_NOATTACH for attach-type codes, else CMD_FAILED. */
int cmd_engine_error(struct session *s, int code, const char *msg);



#include "engine/python/snapshot.h"

/* Take a snapshot with the session's settings (pausing unless nonblocking).
 * Prints the failure and returns its cmd_status; warns when pausing failed. */
int session_snapshot(struct session *s, unsigned flags, struct snapshot *snap);

/* The thread to show when none is named: the selected one, else MainThread, else #1. */
struct py_thread *session_thread(struct session *s, struct snapshot *snap);
/* `stop`: hold every task of the target until session_continue() (or detach,
 * or pyspy-sh's exit — the kernel then lets the target run). */
int session_stop(struct session *s);
/* The same without printing: 0, or a negative code with e set. */
int session_hold(struct session *s, struct pyspy_err *e);
void session_continue(struct session *s);

/* "active", "idle" or "stopped" (held by `stop`), for display. */
const char *thread_status(const struct py_thread *th);
/* A thread state its new thread has not taken yet (3.12+: the parent makes
 * it): no thread id, no OS thread.  Shown as OS tid "-", status "starting". */
bool thread_starting(const struct py_thread *th);
/* The OS tid as text: the number, "-" while starting, "?" when unknown. */
const char *thread_tid(const struct py_thread *th, char buf[16]);
/* The threading name, or what stands for it while starting; NULL if none. */
const char *thread_label(const struct py_thread *th);

/* Launch mode (the shell started the program): whether the program's own
 * code is on a stack yet — a frame of `script` (a resolved path; a frame's
 * relative file name, as 2.7–3.8 keep it, is resolved against cwd, the
 * program's working directory), or any <module> frame of a real file when
 * script is NULL. */
bool session_program_started(struct session *s, const char *script, const char *cwd);
/* Then give it a moment to reach a resting point (its main thread asleep
 * twice in a row, up to a second), so the first look does not land in the
 * middle of its start-up. */
void session_settle(struct session *s);

/* ANSI colour codes when colour is on for this session, else empty strings. */
struct palette {
	const char *func, *file, *line, *thread, *dim, *reset;
};
const struct palette *session_palette(const struct session *s);

#endif
