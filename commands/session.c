/*
 * session.c — attaching, detaching and reporting errors for the commands.
 */
#include "session.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command.h"
#include "engine/os/core.h"
#include "scripts/luabind.h"

void session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->out = stdout;
	s->err = stderr;
	s->set.width = 200;
	s->set.depth = 3;
	s->set.items = 100;
	s->set.attrs = true;
	s->set.pager = true;
	s->set.history = true;
}

void session_release(struct session *s)
{
	luabind_free(s->lua);   /* the Lua interpreter, if a Lua command made one */
	s->lua = NULL;
	session_detach(s);
	if (s->profile)
		profile_free(s->profile);
	s->profile = NULL;
}

int cmd_error(struct session *s, const char *fmt, ...)
{
	va_list ap;
	fflush(s->out);
	fputs("pyspy-sh: ", s->err);
	va_start(ap, fmt);
	vfprintf(s->err, fmt, ap);
	va_end(ap);
	fputc('\n', s->err);
	fflush(s->err);
	return CMD_FAILED;
}

int cmd_engine_error(struct session *s, int code, const char *msg)
{
	if (code < 0)
		code = -code;
	cmd_error(s, "%s", msg[0] ? msg : err_text(code));
	switch (code) {
	case PS_ENOPROC:
	case PS_EPERM:
	case PS_ENOTPY:
	case PS_EUNSUP:
		return CMD_NOATTACH;
	case PS_EGONE:
		return s->attached ? CMD_FAILED : CMD_NOATTACH;
	default:
		return CMD_FAILED;
	}
}

int session_attach(struct session *s, int pid)
{
	struct pyspy_err e = { 0 };
	struct attach_opts opts = { .locate = s->set.locate };
	session_detach(s);
	int rc = target_attach(&s->target, pid, &opts, &e);
	if (rc < 0)
		return cmd_engine_error(s, rc, e.msg);
	s->attached = true;
	s->generation++;
	s->cur_thread = 0;
	s->cur_frame = 0;
	return CMD_OK;
}

/* The core's files that could not be read, or not trusted: one warning each. */
static void session_core_warnings(struct session *s)
{
	const char *w = s->target.core->warnings;
	while (*w) {
		size_t n = strcspn(w, "\n");
		fprintf(s->err, "pyspy-sh: warning: %.*s\n", (int)n, w);
		w += n + (w[n] == '\n');
	}
}

int session_open_core(struct session *s, const char *path, const char *exe)
{
	struct pyspy_err e = { 0 };
	struct attach_opts opts = { .locate = s->set.locate };
	session_detach(s);
	int rc = target_open_core(&s->target, path, exe, &opts, &e);
	if (rc < 0)
		return cmd_engine_error(s, rc, e.msg);
	s->attached = true;
	s->generation++;
	s->cur_thread = 0;
	s->cur_frame = 0;
	session_core_warnings(s);
	return CMD_OK;
}

void session_detach(struct session *s)
{
	session_continue(s);
	if (s->attached) {
		target_detach(&s->target);
		s->generation++;
	}
	s->attached = false;
}

int session_snapshot(struct session *s, unsigned flags, struct snapshot *snap)
{
	struct pyspy_err e = { 0 };
	if (!s->set.nonblocking && !s->held)
		flags |= SNAP_PAUSE;
	int rc = snapshot_take(&s->target, flags, snap, &e);
	if (rc < 0)
		return cmd_engine_error(s, rc, e.msg);
	if (getenv("PYSPY_STATS"))
		fprintf(s->err, "stats: threads=%zu reads=%lu stack_reads=%lu paused=%d\n",
			snap->nthreads, snap->reads, snap->stack_reads, snap->paused);
	if (snap->pause_msg[0])
		fprintf(s->err, "pyspy-sh: warning: %s; reading the target without pausing it\n", snap->pause_msg);
	return CMD_OK;
}

struct py_thread *session_thread(struct session *s, struct snapshot *snap)
{
	for (size_t i = 0; i < snap->nthreads; i++)
		if (s->cur_thread && snap->threads[i].number == s->cur_thread)
			return &snap->threads[i];
	for (size_t i = 0; i < snap->nthreads; i++)
		if (snap->threads[i].name && strcmp(snap->threads[i].name, "MainThread") == 0)
			return &snap->threads[i];
	return snap->nthreads ? &snap->threads[0] : NULL;
}

int session_hold(struct session *s, struct pyspy_err *e)
{
	if (s->held)
		return 0;
	if (!s->attached)
		return err_set(e, PS_EARG, "no process attached");
	int rc = pause_all(&s->hold, s->target.pid, e);
	if (rc < 0)
		return rc;
	s->held = true;
	return 0;
}

int session_stop(struct session *s)
{
	struct pyspy_err e = { 0 };
	int rc = session_hold(s, &e);
	return rc < 0 ? cmd_engine_error(s, rc, e.msg) : CMD_OK;
}

void session_continue(struct session *s)
{
	if (!s->held)
		return;
	pause_release(&s->hold);
	s->held = false;
}

bool thread_starting(const struct py_thread *th)
{
	return th->thread_id == 0 && th->os_tid == 0;
}

const char *thread_tid(const struct py_thread *th, char buf[16])
{
	if (th->os_tid)
		snprintf(buf, 16, "%d", (int)th->os_tid);
	else
		snprintf(buf, 16, "%s", thread_starting(th) ? "-" : "?");
	return buf;
}

const char *thread_label(const struct py_thread *th)
{
	return th->name ? th->name : thread_starting(th) ? "(starting: no OS thread yet)" : NULL;
}

const char *thread_status(const struct py_thread *th)
{
	if (thread_starting(th))
		return "starting";
	if (th->state == 't' || th->state == 'T')
		return "stopped";
	return th->active ? "active" : "idle";
}

const struct palette *session_palette(const struct session *s)
{
	static const struct palette plain = { "", "", "", "", "", "" };
	static const struct palette ansi = { "\033[1;36m", "\033[32m", "\033[33m", "\033[1m", "\033[2m", "\033[0m" };
	return s->set.colour && s->interactive ? &ansi : &plain;
}

/* ---- launch mode ---- */

#define LAUNCH_SETTLE_MS 1000

/* Whether a frame's file is the script: same base name, then the same file
 * once both are resolved (a relative name against the program's cwd). */
static bool same_file(const char *file, const char *script, const char *cwd)
{
	const char *b1 = strrchr(file, '/'), *b2 = strrchr(script, '/');
	char joined[PATH_MAX * 2], real[PATH_MAX];
	if (strcmp(b1 ? b1 + 1 : file, b2 ? b2 + 1 : script) != 0)
		return false;
	if (!strcmp(file, script))
		return true;
	if (file[0] != '/' && cwd && cwd[0])
		snprintf(joined, sizeof(joined), "%s/%s", cwd, file);
	else
		snprintf(joined, sizeof(joined), "%s", file);
	return realpath(joined, real) && !strcmp(real, script);
}

bool session_program_started(struct session *s, const char *script, const char *cwd)
{
	struct snapshot snap;
	struct pyspy_err e;
	bool found = false;
	if (snapshot_take(&s->target, SNAP_FRAMES, &snap, &e) < 0)
		return false;
	for (size_t i = 0; i < snap.nthreads && !found; i++)
		for (size_t j = 0; j < snap.threads[i].nframes && !found; j++) {
			const struct py_frame *f = &snap.threads[i].frames[j];
			found = script ? same_file(f->file, script, cwd)
				       : strcmp(f->function, "<module>") == 0 && f->file[0] != '<';
		}
	snapshot_release(&snap);
	return found;
}

/* A program that never rests is looked at after the bound anyway. */
void session_settle(struct session *s)
{
	pid_t pid = s->target.pid;
	int asleep = 0;
	for (long waited = 0; waited < LAUNCH_SETTLE_MS && asleep < 2; waited += 5) {
		char st = procfs_task_state(pid, pid);
		asleep = (st == 'S' || st == 'D') ? asleep + 1 : 0;
		if (asleep < 2)
			nanosleep(&(struct timespec){ 0, 5000000L }, NULL);
	}
}
