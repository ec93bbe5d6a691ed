/*
 * attach.c — `attach PID` and `detach`.
 */
#include <errno.h>
#include <stdlib.h>

#include "command.h"
#include "session.h"

/* ATTACH pid */
static int do_attach(struct session *s, const struct cmd_args *a)
{
	char *end;
	errno = 0;
	long pid = strtol(a->argv[0], &end, 10);
	if (*end || end == a->argv[0] || errno || pid <= 0 || pid > 0x3fffffff)
		return cmd_error(s, "attach: '%s' is not a process id", a->argv[0]);
	int rc = session_attach(s, (int)pid);
	if (rc == CMD_OK)
		fprintf(s->out, "attached to pid %d (%s), Python %s\n", (int)pid, s->target.comm, s->target.version_str);
	return rc;
}

const struct command cmd_attach = {
	.name = "attach",
	.usage = "attach PID",
	.summary = "Attach to a running Python process.",
	.help = "Reading needs the same permission as a debugger: run as the process's owner\n"
		"(with ptrace allowed) or as root.  Any previous target is detached first.",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_LIVE,
	.handler = do_attach,
};

/* DETACH */
static int do_detach(struct session *s, const struct cmd_args *a)
{
	(void)a;
	int pid = (int)s->target.pid;
	session_detach(s);
	fprintf(s->out, "detached from pid %d\n", pid);
	return CMD_OK;
}

const struct command cmd_detach = {
	.name = "detach",
	.usage = "detach",
	.summary = "Forget the attached process; it keeps running untouched.",
	.help = "",
	.max_args = 0,
	.flags = CMD_NEEDS_TARGET,
	.handler = do_detach,
};
