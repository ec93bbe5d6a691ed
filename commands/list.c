/*
 * list.c — `list [LINE]`: the source around the selected frame, from disk.
 *
 * The file is opened through /proc/PID/root, so a target in a container shows
 * its own source.  As in gdb, `list` again (or an empty line) continues with
 * the next lines; the current line is marked with '>'.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "session.h"

#define LIST_CONTEXT 5

static int print_lines(struct session *s, const char *file, long first, long last, long mark)
{
	char path[PATH_MAX + 64];
	/* a core's pid is no process of ours any more: its files are read where they are */
	if (s->target.core)
		snprintf(path, sizeof(path), "%s", file);
	else
		procfs_path(s->target.pid, file, path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (!f)
		f = fopen(file, "r");
	if (!f)
		return cmd_error(s, "list: cannot open '%s': %s", file, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	long no = 0, shown = 0;
	while (getline(&line, &cap, f) > 0 && ++no <= last) {
		if (no < first)
			continue;
		line[strcspn(line, "\n")] = '\0';
		fprintf(s->out, "%c%5ld  %s\n", no == mark ? '>' : ' ', no, line);
		shown++;
	}
	free(line);
	fclose(f);
	if (shown == 0)
		return cmd_error(s, "list: line %ld is past the end of '%s' (%ld lines)", first, file, no);
	snprintf(s->list_file, sizeof(s->list_file), "%s", file);
	s->list_next = last + 1;
	s->list_mark = mark;
	return CMD_OK;
}

/* LIST [LINE] */
static int do_list(struct session *s, const struct cmd_args *a)
{
	struct snapshot snap;
	long center = 0;
	if (a->argc == 1) {
		char *end;
		errno = 0;
		center = strtol(a->argv[0], &end, 10);
		if (*end || end == a->argv[0] || errno || center <= 0)
			return cmd_error(s, "list: '%s' is not a line number", a->argv[0]);
	}
	int rc = session_snapshot(s, SNAP_FRAMES, &snap);
	if (rc != CMD_OK)
		return rc;
	struct py_thread *th = session_thread(s, &snap);
	if (!th || th->nframes == 0) {
		snapshot_release(&snap);
		return cmd_error(s, "list: the selected thread has no Python frames");
	}
	size_t fi = (size_t)s->cur_frame < th->nframes ? (size_t)s->cur_frame : th->nframes - 1;
	const struct py_frame *f = &th->frames[fi];
	char file[PATH_MAX];
	snprintf(file, sizeof(file), "%s", f->file);
	long mark = f->line;
	snapshot_release(&snap);
	if (a->argc == 0 && s->list_repeat && strcmp(s->list_file, file) == 0 && s->list_next > 0)
		return print_lines(s, file, s->list_next, s->list_next + 2 * LIST_CONTEXT, s->list_mark);
	if (a->argc == 0)
		center = mark;
	if (center <= 0)
		return cmd_error(s, "list: the frame has no line number");
	long first = center > LIST_CONTEXT ? center - LIST_CONTEXT : 1;
	return print_lines(s, file, first, center + LIST_CONTEXT, mark);
}

static const char *const list_aliases[] = { "l", NULL };

const struct command cmd_list = {
	.name = "list",
	.aliases = list_aliases,
	.usage = "list [LINE]",
	.summary = "Show the source around the selected frame's line, or around LINE.",
	.help = "Lines come from the file on disk as the target sees it (through\n"
		"/proc/PID/root); if it changed since the program started they may not match.\n"
		"'>' marks the line the frame is executing.  Repeating 'list' (or pressing\n"
		"Enter) shows the next lines.",
	.max_args = 1,
	.flags = CMD_NEEDS_TARGET | CMD_REPEATS,
	.handler = do_list,
};
