/*
 * threads.c — `threads`: one line per thread of the target.
 */
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "engine/os/core.h"

#include "command.h"
#include "procs.h"
#include "session.h"

static int do_threads(struct session *s, const struct cmd_args *a);

static int threads_in_process(struct session *s, const struct proc_info *p, void *arg)
{
	(void)arg;
	fprintf(s->out, "%sprocess %d (%s), Python %s:\n", p->depth ? "\n" : "", (int)p->pid, p->cmd, p->python);
	return do_threads(s, NULL);
}

static const struct cmd_opt threads_opts[] = {
	{ "subprocesses", 's', OPT_BOOL, NULL, "every Python process under the target too, each under a header" },
	{ 0 },
};

/* THREADS [--subprocesses] */
static int do_threads(struct session *s, const struct cmd_args *a)
{
	struct snapshot snap;
	if (a && (a->set[0] || s->subprocesses))
		return procs_each(s, threads_in_process, NULL);
	int rc = session_snapshot(s, SNAP_ALL, &snap);
	if (rc != CMD_OK)
		return rc;
	struct py_thread *cur = session_thread(s, &snap);
	fprintf(s->out, "  %-3s %-8s %-12s %-18s %s\n", "#", "OS tid", "status", "thread id", "name / innermost frame");
	for (size_t i = 0; i < snap.nthreads; i++) {
		struct py_thread *th = &snap.threads[i];
		char status[32];
		const struct core *c = s->target.core;
		if (c && c->signal > 0 && c->signal != SIGSTOP && th->os_tid == c->threads[0].tid)
			snprintf(status, sizeof(status), "SIG%s", sigabbrev_np(c->signal) ? sigabbrev_np(c->signal) : "?");
		else if (c)
			snprintf(status, sizeof(status), "-%s", th->gil == 1 ? "+gil" : "");
		else
			snprintf(status, sizeof(status), "%s%s", thread_status(th), th->gil == 1 ? "+gil" : "");
		char tid[16];
		fprintf(s->out, "%c %-3d %-8s %-12s 0x%-16" PRIx64 " ", th == cur ? '*' : ' ', th->number,
			thread_tid(th, tid), status, th->thread_id);
		if (th->name)
			fprintf(s->out, "\"%s\"", th->name);
		else
			fputs(thread_label(th) ? thread_label(th) : "\"?\"", s->out);
		if (th->interp_id)
			fprintf(s->out, " [interpreter %lld]", (long long)th->interp_id);
		if (th->nframes)
			fprintf(s->out, " in %s (%s:%d)", th->frames[0].qualname, th->frames[0].file, th->frames[0].line);
		fputc('\n', s->out);
	}
	if (snap.nthreads == 0)
		fputs("(no Python threads)\n", s->out);
	snapshot_release(&snap);
	return CMD_OK;
}

const struct command cmd_threads = {
	.name = "threads",
	.usage = "threads [--subprocesses]",
	.summary = "List the target's Python threads.",
	.help = "One line per thread, oldest first: its number (for 'thread N'), the kernel's\n"
		"thread id, whether it is running (active) or waiting (idle) and whether it\n"
		"holds the GIL, the Python thread id (threading.get_ident()), the name from\n"
		"the threading module, and the innermost Python frame.  '*' marks the\n"
		"selected thread.  On a core file the status is the signal that ended the\n"
		"process on the thread it hit (SIGSEGV, SIGABRT...), and '-' on the others.\n"
		"A thread state that no thread has taken yet (3.12+: Thread.start() makes\n"
		"it before the thread runs) shows OS tid '-' and status 'starting'.\n"
		"--subprocesses lists the threads of the target and of every Python process\n"
		"under it (see 'ps'), each under a header 'process PID (COMMAND), Python X'.",
	.opts = threads_opts,
	.max_args = 0,
	.flags = CMD_NEEDS_TARGET,
	.handler = do_threads,
};
