/*
 * help.c — `help` and `help CMD`, both from the command table.
 */
#include "command.h"
#include "session.h"

/* HELP [command] */
static int do_help(struct session *s, const struct cmd_args *a)
{
	if (a->argc == 1) {
		bool ambiguous;
		const struct command *c = command_find(a->argv[0], &ambiguous);
		if (!c)
			return cmd_error(s, "help: %s command '%s'", ambiguous ? "ambiguous" : "no such", a->argv[0]);
		command_print_help(s, c);
		return CMD_OK;
	}
	fputs("commands:\n", s->out);
	for (const struct command *const *c = command_table; *c; c++)
		fprintf(s->out, "  %-28s %s\n", (*c)->usage, (*c)->summary);
	fputs("\n'help CMD' or 'CMD -h' tells more; any unique prefix of a command works.\n", s->out);
	return CMD_OK;
}

static const char *const help_aliases[] = { "h", NULL };

const struct command cmd_help = {
	.name = "help",
	.aliases = help_aliases,
	.usage = "help [COMMAND]",
	.summary = "List the commands, or explain one.",
	.help = "",
	.max_args = 1,
	.handler = do_help,
	.complete = complete_command_names,
};

/* QUIT */
static int do_quit(struct session *s, const struct cmd_args *a)
{
	(void)a;
	s->quit = true;
	return CMD_OK;
}

static const char *const quit_aliases[] = { "q", "exit", NULL };

const struct command cmd_quit = {
	.name = "quit",
	.aliases = quit_aliases,
	.usage = "quit",
	.summary = "Detach and leave pyspy-sh; the target keeps running.",
	.help = "With a program pyspy-sh started (-- PROGRAM) still running: at the prompt\n"
		"it asks, as gdb does, whether to kill it, wait for it to exit, or cancel.\n"
		"Otherwise (--batch, piped commands) pyspy-sh waits for it to exit — saying\n"
		"so after a second, with the terminal handed to it — and Ctrl-C then\n"
		"interrupts it (SIGINT to its process group; a second Ctrl-C kills it).\n"
		"pyspy-sh's exit status is then the program's own.",
	.max_args = 0,
	.handler = do_quit,
};
