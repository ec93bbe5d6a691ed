/*
 * info.c — `info`: what pyspy-sh knows about the attached process.
 */
#include <inttypes.h>

#include "command.h"
#include "session.h"

/* INFO */
static int do_info(struct session *s, const struct cmd_args *a)
{
	struct target *t = &s->target;
	struct snapshot snap;
	(void)a;
	fprintf(s->out, "process:       %d (%s)\n", (int)t->pid, t->comm);
	fprintf(s->out, "executable:    %s\n", t->exe);
	fprintf(s->out, "python:        %s\n", t->version_str);
	fprintf(s->out, "interpreter:   %s%s\n", t->pymodule, t->pymodule_is_exe ? " (statically linked)" : "");
	fprintf(s->out, "interp state:  0x%" PRIx64 " (found by %s)\n", t->interp, t->locate_detail);
	if (t->runtime)
		fprintf(s->out, "_PyRuntime:    0x%" PRIx64 "\n", t->runtime);
	fprintf(s->out, "layout:        %s\n", t->layout_origin);
	fprintf(s->out, "reading:       %s\n", s->set.nonblocking ? "nonblocking (the target keeps running)"
								 : "blocking (the target is paused while read)");
	if (snapshot_take(t, 0, &snap, NULL) == 0) {
		fprintf(s->out, "threads:       %zu\n", snap.nthreads);
		snapshot_release(&snap);
	}
	return CMD_OK;
}

const struct command cmd_info = {
	.name = "info",
	.usage = "info",
	.summary = "Describe the attached process and how it is being read.",
	.help = "The pid and executable, the Python version, the module that holds the\n"
		"interpreter, the interpreter state's address and how it was found (symbol,\n"
		"ELF section or a validated scan), where the structure layout came from (the\n"
		"target's own debug offsets, or the table generated from that version's\n"
		"headers), the reading mode, and the number of Python threads.",
	.max_args = 0,
	.flags = CMD_NEEDS_TARGET,
	.handler = do_info,
};
