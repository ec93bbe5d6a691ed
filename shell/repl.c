/*
 * repl.c — the interactive session.
 *
 * On a terminal: GNU readline with the prompt "(pyspy) " ("(pyspy:stopped) "
 * while the target is held), history kept in ~/.pyspy_history, TAB completion
 * from the command table, an empty line repeating the last command where gdb
 * does, output longer than the screen sent through $PAGER, and Ctrl-C that
 * cancels the line or the running command — never the shell.  Not on a
 * terminal (`echo bt | pyspy-sh -p N`): commands are read line by line with
 * no prompt.  Readline is started only here, so batch runs never pay for it.
 */
#include "repl.h"

#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "commands/command.h"
#include "commands/session.h"
#include "launch.h"
#include "output.h"

#define HISTORY_FILE ".pyspy_history"
#define HISTORY_MAX 1000

static struct session *the_session;

static void on_sigint(int sig)
{
	(void)sig;
	pyspy_interrupted = 1;
}

/* Called by readline when a signal interrupts its read: drop the line. */
static int on_signal_event(void)
{
	if (pyspy_interrupted) {
		rl_replace_line("", 0);
		rl_done = 1;
	}
	return 0;
}

/* ---- completion ---- */

struct candidates {
	const char *prefix;
	size_t len;
	char **v;
	size_t n, cap;
};

static void add_candidate(void *ctx, const char *word)
{
	struct candidates *c = ctx;
	if (strncmp(word, c->prefix, c->len) != 0)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i], word))
			return;
	if (c->n + 2 > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		char **nv = realloc(c->v, ncap * sizeof(*nv));
		if (!nv)
			return;
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n++] = strdup(word);
}

/* readline's generator protocol: hand out one candidate per call. */
static struct candidates pending;

static char *next_candidate(const char *text, int state)
{
	static size_t i;
	(void)text;
	if (state == 0)
		i = 0;
	return i < pending.n ? strdup(pending.v[i++]) : NULL;
}

static void reset_pending(const char *text)
{
	for (size_t i = 0; i < pending.n; i++)
		free(pending.v[i]);
	free(pending.v);
	memset(&pending, 0, sizeof(pending));
	pending.prefix = text;
	pending.len = strlen(text);
}

static int by_number(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	size_t nx = strlen(x), ny = strlen(y);
	return nx != ny ? (nx < ny ? -1 : 1) : strcmp(x, y);
}

static char **complete(const char *text, int start, int end)
{
	char buf[1024];
	const char *words[64];
	(void)end;
	reset_pending(text);
	snprintf(buf, sizeof(buf), "%.*s", start, rl_line_buffer);
	char split[1024];
	int n = command_split(buf, split, sizeof(split), words, 64);
	rl_attempted_completion_over = 1;
	rl_sort_completion_matches = 1;
	if (n <= 0) {
		command_complete_names(add_candidate, &pending);
		return pending.n ? rl_completion_matches(text, next_candidate) : NULL;
	}
	bool ambiguous;
	const struct command *c = command_find(words[0], &ambiguous);
	if (!c)
		return NULL;
	if (text[0] == '-') {
		for (const struct cmd_opt *o = c->opts; o && o->name; o++) {
			char opt[64];
			snprintf(opt, sizeof(opt), "--%s", o->name);
			add_candidate(&pending, opt);
		}
		add_candidate(&pending, "--help");
	} else if (c->complete) {
		int argi = 0;
		for (int i = 1; i < n; i++)
			argi += words[i][0] != '-';
		c->complete(the_session, argi, add_candidate, &pending);
	} else if (c->flags & CMD_FILE_ARG) {
		rl_attempted_completion_over = 0;   /* readline's own file name completion */
		return NULL;
	}
	/* thread and frame numbers are listed in their order (0 1 2 ... 10), not as text (0 1 10 11 ... 2) */
	bool numbers = pending.n > 0;
	for (size_t i = 0; i < pending.n && numbers; i++)
		numbers = pending.v[i][0] && strspn(pending.v[i], "0123456789") == strlen(pending.v[i]);
	if (numbers && pending.n)
		qsort(pending.v, pending.n, sizeof(*pending.v), by_number);
	rl_sort_completion_matches = !numbers;
	return pending.n ? rl_completion_matches(text, next_candidate) : NULL;
}

/* ---- history ---- */

static void history_path(char *buf, size_t len)
{
	const char *home = getenv("HOME");
	snprintf(buf, len, "%s/%s", home && *home ? home : ".", HISTORY_FILE);
}

static void history_start(struct session *s)
{
	char path[4096];
	stifle_history(HISTORY_MAX);
	if (!s->set.history)
		return;
	history_path(path, sizeof(path));
	read_history(path);
}

static void history_end(struct session *s)
{
	char path[4096];
	if (!s->set.history)
		return;
	history_path(path, sizeof(path));
	write_history(path);
}

/* ---- the loops ---- */

static int run_piped(struct session *s)
{
	char *line = NULL;
	size_t cap = 0;
	int status = CMD_OK;
	while (!s->quit && getline(&line, &cap, stdin) > 0) {
		line[strcspn(line, "\n")] = '\0';
		pyspy_interrupted = 0;
		if (command_run(s, line) != CMD_OK)
			status = CMD_FAILED;
	}
	free(line);
	return status;
}

static bool repeats(const char *line)
{
	const struct command *c = command_of_line(line);
	return c && (c->flags & CMD_REPEATS);
}

/* `quit` (or end of input) with a launched program still running, as gdb
 * asks: kill it, wait for it to exit, or stay.  true: leave. */
static bool confirm_quit(struct session *s)
{
	if (!s->launched || !launch_running(s->launched))
		return true;
	for (;;) {
		char prompt[160];
		snprintf(prompt, sizeof(prompt),
			 "the launched program (pid %d) is still running: kill it, wait for it to exit, or cancel? (k/w/c) ",
			 (int)s->launched);
		pyspy_interrupted = 0;
		char *answer = readline(prompt);
		char c = answer ? answer[strspn(answer, " \t")] : 'k';   /* end of input: kill, as gdb */
		free(answer);
		if (pyspy_interrupted || c == 'c' || c == 'C')
			return false;
		if (c == 'k' || c == 'K' || c == 'w' || c == 'W') {
			s->launch_kill = c == 'k' || c == 'K';
			return true;
		}
	}
}

void repl_catch_sigint(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);   /* no SA_RESTART: a blocked read returns */
}

int repl_run(struct session *s)
{
	char *last = NULL;
	if (!isatty(STDIN_FILENO))
		return run_piped(s);
	the_session = s;
	repl_catch_sigint();
	rl_readline_name = "pyspy";
	rl_catch_signals = 0;
	rl_signal_event_hook = on_signal_event;
	rl_attempted_completion_function = complete;
	history_start(s);
	while (!s->quit) {
		pyspy_interrupted = 0;
		char *line = readline(s->held ? "(pyspy:stopped) " : "(pyspy) ");
		if (!line) {
			fputc('\n', stdout);
			if (confirm_quit(s))
				break;
			continue;
		}
		if (pyspy_interrupted) {
			free(line);
			continue;
		}
		bool repeat = !line[0] && last && repeats(last);
		if (line[0]) {
			add_history(line);
			free(last);
			last = strdup(line);
		}
		if (line[0] || repeat) {
			s->list_repeat = repeat;
			output_run(s, repeat ? last : line);
			s->list_repeat = false;
			if (pyspy_interrupted)
				fputs("^C (interrupted)\n", stderr);
			if (s->quit && !confirm_quit(s))
				s->quit = false;
		}
		free(line);
	}
	history_end(s);
	reset_pending("");
	free(last);
	return CMD_OK;
}
