/*
 * complete.c — candidates for TAB completion, taken from the command table and
 * from the target (thread numbers, frame numbers).  The REPL filters them by
 * the typed prefix; nothing here knows about readline.
 */
#include <stdio.h>

#include "command.h"
#include "session.h"

void command_complete_names(complete_add_fn add, void *ctx)
{
	for (const struct command *const *c = command_table; *c; c++) {
		add(ctx, (*c)->name);
		for (const char *const *a = (*c)->aliases; a && *a; a++)
			add(ctx, *a);
	}
}

void complete_command_names(struct session *s, int argi, complete_add_fn add, void *ctx)
{
	(void)s;
	if (argi == 0)
		command_complete_names(add, ctx);
}

void complete_thread_numbers(struct session *s, int argi, complete_add_fn add, void *ctx)
{
	struct snapshot snap;
	struct pyspy_err e;
	if (argi != 0 || !s->attached || snapshot_take(&s->target, 0, &snap, &e) < 0)
		return;
	for (size_t i = 0; i < snap.nthreads; i++) {
		char buf[24];
		snprintf(buf, sizeof(buf), "%d", snap.threads[i].number);
		add(ctx, buf);
	}
	snapshot_release(&snap);
}

void complete_frame_numbers(struct session *s, int argi, complete_add_fn add, void *ctx)
{
	struct snapshot snap;
	struct pyspy_err e;
	if (argi != 0 || !s->attached || snapshot_take(&s->target, SNAP_FRAMES | SNAP_NAMES, &snap, &e) < 0)
		return;
	struct py_thread *th = session_thread(s, &snap);
	for (size_t i = 0; th && i < th->nframes; i++) {
		char buf[24];
		snprintf(buf, sizeof(buf), "%zu", i);
		add(ctx, buf);
	}
	snapshot_release(&snap);
}
