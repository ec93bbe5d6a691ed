/*
 * source.c — `source FILE`: run a file of commands, like gdb's source.
 *
 * Lines are run in order; blank lines and '#' comments are skipped.  The first
 * failing line stops the file, reported with its file and line number, as gdb
 * does, so a script never runs on after a mistake.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "session.h"

#define SOURCE_MAX_DEPTH 16

int source_file(struct session *s, const char *path, bool missing_ok)
{
	static int depth;
	FILE *f = fopen(path, "r");
	if (!f) {
		if (missing_ok && errno == ENOENT)
			return CMD_OK;
		return cmd_error(s, "source: cannot open '%s': %s", path, strerror(errno));
	}
	if (depth >= SOURCE_MAX_DEPTH) {
		fclose(f);
		return cmd_error(s, "source: '%s' nests more than %d files deep", path, SOURCE_MAX_DEPTH);
	}
	depth++;
	char *line = NULL;
	size_t cap = 0;
	int rc = CMD_OK, no = 0;
	while (!s->quit && getline(&line, &cap, f) > 0) {
		no++;
		line[strcspn(line, "\r\n")] = '\0';
		rc = command_run(s, line);
		if (rc != CMD_OK) {
			fprintf(s->err, "pyspy-sh: %s:%d: stopped at this line\n", path, no);
			break;
		}
	}
	depth--;
	free(line);
	fclose(f);
	return rc;
}

static bool is_lua(const char *path)
{
	size_t n = strlen(path);
	return n > 4 && !strcmp(path + n - 4, ".lua");
}

/* SOURCE file [args...] */
static int do_source(struct session *s, const struct cmd_args *a)
{
	if (is_lua(a->argv[0]))
		return luacmd_run_file(s, a->argv[0], a->argv + 1, a->argc - 1);
	if (a->argc > 1) {
		cmd_error(s, "source: unexpected argument '%s'", a->argv[1]);
		fprintf(s->err, "usage: %s\n", "source FILE [ARGS...]");
		return CMD_FAILED;
	}
	return source_file(s, a->argv[0], false);
}

const struct command cmd_source = {
	.name = "source",
	.usage = "source FILE [ARGS...]",
	.summary = "Run the commands in FILE, one per line, or the Lua script FILE.lua.",
	.help = "Blank lines and lines starting with '#' are skipped.  The first command\n"
		"that fails stops the file.  ~/.pyspyinit is sourced this way at start-up\n"
		"(unless pyspy-sh is started with -nx).\n"
		"\n"
		"A file whose name ends in .lua is run as a Lua script instead, with ARGS\n"
		"as its arg table and '...'; a name not found in the current directory is\n"
		"looked up in the script directories ('info scripts' lists them), so the\n"
		"shipped scripts run by name: 'source record.lua 5 200 out'.",
	.min_args = 1,
	.max_args = CMD_MAX_ARGS,
	.flags = CMD_FILE_ARG | CMD_STREAMS,
	.handler = do_source,
};
