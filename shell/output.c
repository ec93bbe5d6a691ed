/*
 * output.c — the pager.
 *
 * When a person is at a terminal and `pager` is on, a command's output is
 * collected in memory; if it is taller than the screen it is handed to
 * $PAGER (default "less -FRX"), otherwise written out as is.  Errors go
 * straight to standard error either way.  Batch runs never page.
 */
#include "output.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "commands/command.h"
#include "commands/session.h"

static int screen_rows(void)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

static void page(const char *text, size_t len)
{
	const char *pager = getenv("PAGER");
	if (!pager || !*pager)
		pager = "less -FRX";
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	FILE *p = popen(pager, "w");
	if (!p) {
		fwrite(text, 1, len, stdout);
	} else {
		fwrite(text, 1, len, p);
		pclose(p);
	}
	signal(SIGPIPE, old);
}

/* Does the line run a command whose output must not wait for the pager? */
static bool streams(const char *line)
{
	const struct command *c = command_of_line(line);
	return c && (c->flags & CMD_STREAMS);
}

int output_run(struct session *s, const char *line)
{
	if (!s->interactive || !s->set.pager || !isatty(STDOUT_FILENO) || streams(line))
		return command_run(s, line);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return command_run(s, line);
	FILE *saved = s->out;
	s->out = mem;
	int rc = command_run(s, line);
	s->out = saved;
	fclose(mem);
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	if (lines >= (size_t)screen_rows() - 1)
		page(buf, len);
	else
		fwrite(buf, 1, len, s->out);
	fflush(s->out);
	free(buf);
	return rc;
}
