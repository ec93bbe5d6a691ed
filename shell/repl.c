/*
 * repl.c — the prompt.
 *
 * On a terminal: GNU readline with the prompt "(pyspy) ", and an empty line
 * repeating the last command where gdb does (bt).  Not on a terminal
 * (`echo bt | pyspy-sh -p N`): commands are read line by line, no prompt.
 * Readline is started only here, so batch runs never pay for it.
 */
#include "repl.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../commands/command.h"
#include "../commands/session.h"

static int run_piped(struct session *s)
{
	char *line = NULL;
	size_t cap = 0;
	int status = CMD_OK;
	while (!s->quit && getline(&line, &cap, stdin) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (command_run(s, line) != CMD_OK)
			status = CMD_FAILED;
	}
	free(line);
	return status;
}

static bool repeats(const char *line)
{
	char buf[256];
	const char *w[1];
	bool ambiguous;
	if (command_split(line, buf, sizeof(buf), w, 1) != 1)
		return false;
	const struct command *c = command_find(w[0], &ambiguous);
	return c && (c->flags & CMD_REPEATS);
}

int repl_run(struct session *s)
{
	char *last = NULL;
	if (!isatty(STDIN_FILENO))
		return run_piped(s);
	rl_readline_name = "pyspy";
	while (!s->quit) {
		char *line = readline("(pyspy) ");
		if (!line) {
			fputc('\n', s->out);
			break;
		}
		if (!line[0] && last && repeats(last)) {
			command_run(s, last);
			free(line);
			continue;
		}
		if (line[0]) {
			add_history(line);
			free(last);
			last = strdup(line);
			command_run(s, line);
		}
		free(line);
	}
	free(last);
	return CMD_OK;
}
