/*
 * stop.c — `stop` and `continue`: hold the target still across commands.
 *
 * Every command normally pauses the target only while it reads.  To look at
 * one consistent moment with several commands (bt, then frame, locals,
 * print...), `stop` keeps every task seized and interrupted until `continue`.
 * The hold is PTRACE_SEIZE/INTERRUPT, so if pyspy-sh is killed the kernel
 * detaches and the target runs on.
 */
#include "command.h"
#include "session.h"

/* STOP */
static int do_stop(struct session *s, const struct cmd_args *a)
{
	(void)a;
	if (s->held) {
		fprintf(s->out, "pid %d is already stopped\n", (int)s->target.pid);
		return CMD_OK;
	}
	int rc = session_stop(s);
	if (rc == CMD_OK)
		fprintf(s->out, "pid %d stopped (%zu threads held); 'continue' lets it run\n", (int)s->target.pid, s->hold.n);
	return rc;
}

const struct command cmd_stop = {
	.name = "stop",
	.usage = "stop",
	.summary = "Hold the target stopped across commands, for a consistent look.",
	.help = "While stopped the prompt says so and every command sees the same moment.\n"
		"Threads show as 'stopped' rather than active or idle.  'continue', 'detach',\n"
		"'quit' — or pyspy-sh ending in any way, even killed — let the target run.",
	.max_args = 0,
	.flags = CMD_NEEDS_TARGET | CMD_LIVE,
	.handler = do_stop,
};

/* CONTINUE */
static int do_continue(struct session *s, const struct cmd_args *a)
{
	(void)a;
	if (!s->held) {
		fprintf(s->out, "pid %d is not stopped\n", (int)s->target.pid);
		return CMD_OK;
	}
	session_continue(s);
	fprintf(s->out, "pid %d continues\n", (int)s->target.pid);
	return CMD_OK;
}

static const char *const continue_aliases[] = { "c", "cont", NULL };

const struct command cmd_continue = {
	.name = "continue",
	.aliases = continue_aliases,
	.usage = "continue",
	.summary = "Let a stopped target run again.",
	.help = "",
	.max_args = 0,
	.flags = CMD_NEEDS_TARGET | CMD_LIVE,
	.handler = do_continue,
};
