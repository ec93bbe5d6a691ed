/*
 * bt.c — `bt`: Python backtraces, as text or JSON.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "json.h"
#include "session.h"
#include "values.h"

enum { OPT_ALL, OPT_JSON, OPT_LOCALS };

static const struct cmd_opt bt_opts[] = {
	[OPT_ALL] = { "all", 'a', OPT_BOOL, NULL, "every thread, not just the selected one" },
	[OPT_JSON] = { "json", 0, OPT_BOOL, NULL, "one JSON document, for programs" },
	[OPT_LOCALS] = { "locals", 'l', OPT_BOOL, NULL, "with each frame's arguments and local variables" },
	{ 0 },
};

static void text_thread(struct session *s, const struct py_thread *th, size_t limit, bool locals)
{
	const struct palette *c = session_palette(s);
	fprintf(s->out, "%sThread %d%s (OS tid %d, %s%s): ", c->thread, th->number, c->reset, (int)th->os_tid,
		thread_status(th), th->gil == 1 ? ", gil" : "");
	if (th->name)
		fprintf(s->out, "\"%s\"\n", th->name);
	else
		fputs("(no name)\n", s->out);
	for (size_t i = 0; i < th->nframes && i < limit; i++) {
		const struct py_frame *f = &th->frames[i];
		fprintf(s->out, "  #%-2zu %s%s%s (%s%s%s:%s%d%s)\n", i, c->func, f->qualname, c->reset,
			c->file, f->file, c->reset, c->line, f->line, c->reset);
		if (locals)
			values_print_frame(s, f, "      ", false);
	}
	if (th->nframes > limit)
		fprintf(s->out, "  (%zu more frames)\n", th->nframes - limit);
	if (th->nframes == 0 && !th->walk_error)
		fputs("  (no Python frames)\n", s->out);
	if (th->walk_error)
		fprintf(s->out, "  (stack cut short: %s)\n", th->walk_msg);
}

static void json_thread(struct session *s, const struct py_thread *th, size_t limit, bool locals)
{
	FILE *o = s->out;
	fprintf(o, "{\"number\": %d, \"thread_id\": %" PRIu64 ", \"os_tid\": ", th->number, th->thread_id);
	if (th->os_tid)
		fprintf(o, "%d", (int)th->os_tid);
	else
		fputs("null", o);
	fputs(", \"name\": ", o);
	json_str(o, th->name);
	fprintf(o, ", \"active\": %s, \"gil\": %s, \"frames\": [", th->active ? "true" : "false",
		th->gil < 0 ? "null" : th->gil ? "true" : "false");
	for (size_t i = 0; i < th->nframes && i < limit; i++) {
		const struct py_frame *f = &th->frames[i];
		fputs(i ? ", {\"function\": " : "{\"function\": ", o);
		json_str(o, f->function);
		fputs(", \"qualname\": ", o);
		json_str(o, f->qualname);
		fputs(", \"file\": ", o);
		json_str(o, f->file);
		fprintf(o, ", \"line\": %d", f->line);
		if (locals)
			values_print_frame(s, f, "", true);
		fputc('}', o);
	}
	fputc(']', o);
	if (th->walk_error) {
		fputs(", \"error\": ", o);
		json_str(o, th->walk_msg);
	}
	fputc('}', o);
}

/* BT [N] [--all] [--json] */
static int do_bt(struct session *s, const struct cmd_args *a)
{
	struct snapshot snap;
	size_t limit = SIZE_MAX;
	if (a->argc == 1) {
		char *end;
		long n = strtol(a->argv[0], &end, 10);
		if (*end || n <= 0)
			return cmd_error(s, "bt: frame count must be a positive number, not '%s'", a->argv[0]);
		limit = (size_t)n;
	}
	bool locals = a->set[OPT_LOCALS];
	int rc = session_snapshot(s, SNAP_ALL | (locals ? SNAP_KEEP_PAUSED : 0), &snap);
	if (rc != CMD_OK)
		return rc;
	struct py_thread *one = a->set[OPT_ALL] ? NULL : session_thread(s, &snap);
	bool partial = false;
	if (a->set[OPT_JSON]) {
		fprintf(s->out, "{\"pid\": %d, \"python\": ", (int)s->target.pid);
		json_str(s->out, s->target.version_str);
		fputs(", \"threads\": [", s->out);
	}
	int shown = 0;
	for (size_t i = 0; i < snap.nthreads; i++) {
		struct py_thread *th = &snap.threads[i];
		if (one && th != one)
			continue;
		partial |= th->walk_error != 0;
		if (a->set[OPT_JSON]) {
			if (shown)
				fputs(", ", s->out);
			json_thread(s, th, limit, locals);
		} else {
			if (shown)
				fputc('\n', s->out);
			text_thread(s, th, limit, locals);
		}
		shown++;
	}
	if (a->set[OPT_JSON])
		fputs("]}\n", s->out);
	else if (!shown)
		fputs("(no Python threads)\n", s->out);
	snapshot_release(&snap);
	return partial ? CMD_FAILED : CMD_OK;
}

static const char *const bt_aliases[] = { "backtrace", "where", NULL };

const struct command cmd_bt = {
	.name = "bt",
	.aliases = bt_aliases,
	.usage = "bt [N] [--all] [--locals] [--json]",
	.summary = "Show the Python stack of the selected thread, or of every thread.",
	.help = "Frames are listed innermost first, as '#I  QUALNAME (FILE:LINE)'; QUALNAME is\n"
		"the qualified name on Python 3.11 and later and the function name before.\n"
		"N limits the listing to the N innermost frames.  --locals adds each frame's\n"
		"arguments and local variables, as 'locals' shows them (in JSON: a \"locals\"\n"
		"array of {\"name\", \"arg\", \"value\"} per frame, values as repr text).\n"
		"The target is paused while it is read unless 'nonblocking' is set (or\n"
		"--nonblocking was given at start).\n"
		"With --json the output is one document: {\"pid\", \"python\", \"threads\": [{\"number\",\n"
		"\"thread_id\", \"os_tid\", \"name\", \"active\", \"gil\", \"frames\": [{\"function\",\n"
		"\"qualname\", \"file\", \"line\"}]}]}.  A stack that could not be read whole is\n"
		"shown as far as it goes, with the reason, and the command reports failure.",
	.opts = bt_opts,
	.max_args = 1,
	.flags = CMD_NEEDS_TARGET | CMD_REPEATS,
	.handler = do_bt,
};
