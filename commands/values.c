/*
 * values.c — looking at values: `locals`, `globals` and `print EXPR`, and the
 * shared piece `bt --locals` uses.
 *
 * The target stays paused from the stack walk until the values are read
 * (SNAP_KEEP_PAUSED), so what is shown belongs to the frame shown.  Each value
 * is printed with the session's width and depth; a value that cannot be read
 * says so in place and the listing goes on.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/values/locals.h"
#include "engine/python/pyobj.h"
#include "engine/values/repr.h"
#include "engine/strbuf.h"
#include "command.h"
#include "json.h"
#include "session.h"
#include "values.h"

static struct repr_opts session_repr(const struct session *s)
{
	struct repr_opts o = REPR_OPTS_DEFAULT;
	o.width = (size_t)s->set.width;
	o.depth = s->set.depth;
	o.max_items = (size_t)s->set.items;
	o.attrs = s->set.attrs;
	return o;
}

/* The repr of one value into sb (reset first); unbound when obj is 0. */
static void value_text(struct session *s, raddr_t obj, struct strbuf *sb)
{
	struct repr_opts o = session_repr(s);
	struct pyspy_err e = { 0 };
	strbuf_reset(sb);
	if (!obj) {
		strbuf_addstr(sb, "<unbound>");
		return;
	}
	if (repr_value(&s->target, obj, &o, sb, &e) < 0 && !strbuf_str(sb)[0])
		strbuf_addf(sb, "<unreadable: %s>", e.msg);
}

void values_print_frame(struct session *s, const struct py_frame *f, const char *indent, bool json)
{
	struct py_var *vars = NULL;
	size_t n = 0;
	struct pyspy_err e = { 0 };
	struct strbuf sb;
	const struct palette *c = session_palette(s);
	if (locals_read(&s->target, f, &vars, &n, &e) < 0) {
		if (json) {
			fputs(", \"locals_error\": ", s->out);
			json_str(s->out, e.msg);
		} else
			fprintf(s->out, "%s(locals unreadable: %s)\n", indent, e.msg);
		return;
	}
	strbuf_init(&sb, 0);
	if (json)
		fputs(", \"locals\": [", s->out);
	size_t emitted = 0;
	for (int pass = 0; pass < 2; pass++) {
		bool header = false;
		for (size_t i = 0; i < n; i++) {
			if (vars[i].is_arg != (pass == 0))
				continue;
			value_text(s, vars[i].value, &sb);
			if (json) {
				fputs(emitted++ ? ", {\"name\": " : "{\"name\": ", s->out);
				json_str(s->out, vars[i].name);
				fprintf(s->out, ", \"arg\": %s, \"value\": ", vars[i].is_arg ? "true" : "false");
				json_str(s->out, strbuf_str(&sb));
				fputc('}', s->out);
				continue;
			}
			if (!header)
				fprintf(s->out, "%s%s:\n", indent, pass == 0 ? "Arguments" : "Locals");
			header = true;
			fprintf(s->out, "%s  %s%s%s = %s\n", indent, c->func, vars[i].name, c->reset, strbuf_str(&sb));
		}
	}
	if (json)
		fputc(']', s->out);
	strbuf_release(&sb);
	free(vars);
}

/* Snapshot kept paused, and the selected frame of the selected thread. */
static int selected_frame(struct session *s, struct snapshot *snap, const struct py_frame **f)
{
	int rc = session_snapshot(s, SNAP_FRAMES | SNAP_NAMES | SNAP_KEEP_PAUSED, snap);
	if (rc != CMD_OK)
		return rc;
	struct py_thread *th = session_thread(s, snap);
	if (!th || th->nframes == 0) {
		snapshot_release(snap);
		return cmd_error(s, "the selected thread has no Python frames");
	}
	size_t i = (size_t)s->cur_frame < th->nframes ? (size_t)s->cur_frame : th->nframes - 1;
	*f = &th->frames[i];
	return CMD_OK;
}

/* LOCALS */
static int do_locals(struct session *s, const struct cmd_args *a)
{
	struct snapshot snap;
	const struct py_frame *f;
	(void)a;
	int rc = selected_frame(s, &snap, &f);
	if (rc != CMD_OK)
		return rc;
	fprintf(s->out, "#%-2d %s (%s:%d)\n", s->cur_frame, f->qualname, f->file, f->line);
	values_print_frame(s, f, "", false);
	snapshot_release(&snap);
	return CMD_OK;
}

const struct command cmd_locals = {
	.name = "locals",
	.usage = "locals",
	.summary = "Show the arguments and local variables of the selected frame.",
	.help = "Values are shown as Python would repr them, cut at 'width' characters and\n"
		"'depth' levels of nesting (see 'show').  Objects of other classes show as\n"
		"<Class object at 0x...> followed by their instance attributes.  A variable\n"
		"not yet assigned shows as <unbound>.",
	.max_args = 0,
	.flags = CMD_NEEDS_TARGET,
	.handler = do_locals,
};

struct globals_ctx {
	struct session *s;
	struct strbuf sb;
};

static int show_global(void *arg, raddr_t key, raddr_t value)
{
	struct globals_ctx *g = arg;
	char name[256];
	if (pyobj_str(&g->s->target, key, name, sizeof(name), NULL, NULL) < 0)
		snprintf(name, sizeof(name), "<unreadable key>");
	value_text(g->s, value, &g->sb);
	fprintf(g->s->out, "  %s = %s\n", name, strbuf_str(&g->sb));
	return 0;
}

/* GLOBALS */
static int do_globals(struct session *s, const struct cmd_args *a)
{
	struct snapshot snap;
	const struct py_frame *f;
	struct pyspy_err e = { 0 };
	raddr_t dict;
	(void)a;
	int rc = selected_frame(s, &snap, &f);
	if (rc != CMD_OK)
		return rc;
	struct globals_ctx g = { .s = s };
	strbuf_init(&g.sb, 0);
	fprintf(s->out, "globals of %s (%s):\n", f->qualname, f->file);
	if (globals_dict(&s->target, f, &dict, &e) < 0 || pyobj_dict_foreach(&s->target, dict, show_global, &g, &e) < 0)
		rc = cmd_error(s, "globals: %s", e.msg);
	strbuf_release(&g.sb);
	snapshot_release(&snap);
	return rc;
}

const struct command cmd_globals = {
	.name = "globals",
	.usage = "globals",
	.summary = "Show the global variables of the selected frame's module.",
	.help = "",
	.max_args = 0,
	.flags = CMD_NEEDS_TARGET,
	.handler = do_globals,
};

/* PRINT expr */
static int do_print(struct session *s, const struct cmd_args *a)
{
	struct snapshot snap;
	const struct py_frame *f;
	struct pyspy_err e = { 0 };
	struct value_ref ref;
	const char *expr = a->argv[0];
	int rc = selected_frame(s, &snap, &f);
	if (rc != CMD_OK)
		return rc;
	if (value_lookup_ref(&s->target, f, expr, &ref, &e) < 0) {
		rc = cmd_error(s, "print: %s", e.msg);
	} else {
		struct strbuf sb;
		struct repr_opts o = session_repr(s);
		strbuf_init(&sb, 0);
		if (ref.kind == VREF_OBJ)
			value_text(s, ref.obj, &sb);
		else if (repr_ref(&s->target, &ref, &o, &sb, &e) < 0 && !strbuf_str(&sb)[0])
			strbuf_addf(&sb, "<unreadable: %s>", e.msg);
		fprintf(s->out, "%s = %s\n", expr, strbuf_str(&sb));
		strbuf_release(&sb);
	}
	snapshot_release(&snap);
	return rc;
}

static void complete_locals(struct session *s, int argi, complete_add_fn add, void *ctx)
{
	struct snapshot snap;
	const struct py_frame *f;
	struct py_var *vars = NULL;
	size_t n = 0;
	FILE *saved = s->err, *quiet = fopen("/dev/null", "w");
	if (argi != 0 || !s->attached)
		goto out;
	s->err = quiet ? quiet : saved;
	int rc = selected_frame(s, &snap, &f);
	s->err = saved;
	if (rc != CMD_OK)
		goto out;
	if (locals_read(&s->target, f, &vars, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++)
			add(ctx, vars[i].name);
	free(vars);
	snapshot_release(&snap);
out:
	if (quiet)
		fclose(quiet);
}

static const char *const print_aliases[] = { "p", NULL };

const struct command cmd_print = {
	.name = "print",
	.aliases = print_aliases,
	.usage = "print EXPR",
	.summary = "Show a value: a local or global name, then any .attr, [index], [a:b] or [key].",
	.help = "EXPR is looked up in the selected frame: its locals, then its module's\n"
		"globals, then the builtins.  It may go on with attributes of instances,\n"
		"modules and classes (.name; .__class__ and .__dict__ of anything, .__name__\n"
		"and .__qualname__ of a class), items of str, bytes, lists and tuples ([3],\n"
		"[-1]), slices of them ([1:3], [:-1]) and values of dicts by a literal key\n"
		"(['key'], [\"key\"], [42], [b'k'], [(1, 'a')], [None]).  Nothing is\n"
		"evaluated or called in the target: this is a reader, not a debugger that\n"
		"runs code.  An error names the step that failed: point.y[5]: index 5 out of\n"
		"range (len 2).",
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_NEEDS_TARGET | CMD_RAW_ARGS,
	.handler = do_print,
	.complete = complete_locals,
};
