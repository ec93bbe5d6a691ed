/*
 * frame.c — choosing what to look at: `thread N`, `frame N`, `up [N]`,
 * `down [N]`, and `list [LINE]` for the source around the selected frame.
 *
 * The selection is a thread number and a frame index; the stack itself is
 * read afresh for each command (the target moves on between commands unless
 * it is held with `stop`), and an index past the end is clamped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "session.h"

static int parse_count(struct session *s, const char *cmd, const char *arg, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (*end || end == arg || errno || v < 0 || v > 1000000)
		return cmd_error(s, "%s: '%s' is not a valid number", cmd, arg);
	*out = v;
	return CMD_OK;
}

/* Print the selected frame's one-line summary, gdb-style. */
static void show_frame(struct session *s, const struct py_thread *th)
{
	const struct py_frame *f = &th->frames[s->cur_frame];
	fprintf(s->out, "#%-2d %s (%s:%d)\n", s->cur_frame, f->qualname, f->file, f->line);
}

/* Select frame `index` in the current thread, clamped; prints it. */
static int select_frame(struct session *s, long index, bool relative)
{
	struct snapshot snap;
	int rc = session_snapshot(s, SNAP_FRAMES | SNAP_NAMES, &snap);
	if (rc != CMD_OK)
		return rc;
	struct py_thread *th = session_thread(s, &snap);
	if (!th || th->nframes == 0) {
		snapshot_release(&snap);
		return cmd_error(s, "the selected thread has no Python frames");
	}
	long want = relative ? s->cur_frame + index : index;
	if (want < 0 || want >= (long)th->nframes) {
		bool top = want < 0;
		want = top ? 0 : (long)th->nframes - 1;
		if (!relative) {
			/* th points into snap: take the count before releasing it (ASan found this) */
			size_t last = th->nframes - 1;
			snapshot_release(&snap);
			return cmd_error(s, "no frame %ld: the stack has frames 0 to %zu", index, last);
		}
		/* as gdb: say so, stay where we are, and fail (a script stops here) */
		cmd_error(s, "%s", top ? "bottom (innermost) frame selected; you cannot go down"
				       : "top (outermost) frame selected; you cannot go up");
		s->cur_frame = (int)want;
		show_frame(s, th);
		snapshot_release(&snap);
		return CMD_FAILED;
	}
	s->cur_frame = (int)want;
	show_frame(s, th);
	snapshot_release(&snap);
	return CMD_OK;
}

/* FRAME [N] */
static int do_frame(struct session *s, const struct cmd_args *a)
{
	long n = s->cur_frame;
	if (a->argc == 1 && parse_count(s, "frame", a->argv[0], &n) != CMD_OK)
		return CMD_FAILED;
	return select_frame(s, n, false);
}

static const char *const frame_aliases[] = { "f", NULL };

const struct command cmd_frame = {
	.name = "frame",
	.aliases = frame_aliases,
	.usage = "frame [N]",
	.summary = "Select frame N of the selected thread (0 is the innermost), or show the selected one.",
	.help = "The selection is kept between commands: 'locals', 'print' and 'list' look at it.",
	.max_args = 1,
	.flags = CMD_NEEDS_TARGET,
	.handler = do_frame,
	.complete = complete_frame_numbers,
};

/* UP [N] */
static int do_up(struct session *s, const struct cmd_args *a)
{
	long n = 1;
	if (a->argc == 1 && parse_count(s, "up", a->argv[0], &n) != CMD_OK)
		return CMD_FAILED;
	return select_frame(s, n, true);
}

const struct command cmd_up = {
	.name = "up",
	.usage = "up [N]",
	.summary = "Select the frame N levels out (towards the caller); 1 by default.",
	.help = "",
	.max_args = 1,
	.flags = CMD_NEEDS_TARGET | CMD_REPEATS,
	.handler = do_up,
};

/* DOWN [N] */
static int do_down(struct session *s, const struct cmd_args *a)
{
	long n = 1;
	if (a->argc == 1 && parse_count(s, "down", a->argv[0], &n) != CMD_OK)
		return CMD_FAILED;
	return select_frame(s, -n, true);
}

const struct command cmd_down = {
	.name = "down",
	.usage = "down [N]",
	.summary = "Select the frame N levels in (towards the innermost); 1 by default.",
	.help = "",
	.max_args = 1,
	.flags = CMD_NEEDS_TARGET | CMD_REPEATS,
	.handler = do_down,
};

/* THREAD [N] */
static int do_thread(struct session *s, const struct cmd_args *a)
{
	struct snapshot snap;
	long n = 0;
	if (a->argc == 1 && parse_count(s, "thread", a->argv[0], &n) != CMD_OK)
		return CMD_FAILED;
	int rc = session_snapshot(s, SNAP_ALL, &snap);
	if (rc != CMD_OK)
		return rc;
	struct py_thread *th = NULL;
	if (a->argc == 0)
		th = session_thread(s, &snap);
	for (size_t i = 0; a->argc == 1 && i < snap.nthreads; i++)
		if (snap.threads[i].number == n)
			th = &snap.threads[i];
	if (!th) {
		rc = cmd_error(s, "thread: no thread %ld (see 'threads')", n);
		snapshot_release(&snap);
		return rc;
	}
	if (a->argc == 1) {
		s->cur_thread = th->number;
		s->cur_frame = 0;
	}
	char tid[16];
	fprintf(s->out, "[Current thread is %d (OS tid %s) \"%s\"]\n", th->number, thread_tid(th, tid),
		th->name ? th->name : thread_starting(th) ? "starting" : "?");
	if (th->nframes)
		show_frame(s, th);
	snapshot_release(&snap);
	return CMD_OK;
}

static const char *const thread_aliases[] = { "t", NULL };

const struct command cmd_thread = {
	.name = "thread",
	.aliases = thread_aliases,
	.usage = "thread [N]",
	.summary = "Select thread N (numbers as in 'threads'), or show the selected one.",
	.help = "Selecting a thread selects its innermost frame.",
	.max_args = 1,
	.flags = CMD_NEEDS_TARGET,
	.handler = do_thread,
	.complete = complete_thread_numbers,
};
