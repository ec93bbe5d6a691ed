/*
 * settings.c — `set NAME VALUE` and `show [NAME]`, over one table of settings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "command.h"
#include "session.h"

enum setting_type { SET_BOOL, SET_INT };

struct setting {
	const char *name;
	enum setting_type type;
	size_t offset;             /* in struct settings */
	long min, max;
	const char *help;
};

#define SET_AT(field) offsetof(struct settings, field)

static const struct setting settings_table[] = {
	{ "nonblocking", SET_BOOL, SET_AT(nonblocking), 0, 1, "read the target without pausing it (faster, may be inconsistent)" },
	{ "width", SET_INT, SET_AT(width), 10, 1000000000, "longest text shown for one value (locals, print)" },
	{ "depth", SET_INT, SET_AT(depth), 0, 100, "how deep nested containers are shown before [...]" },
	{ "items", SET_INT, SET_AT(items), 1, 100000000, "items shown per container before ...(N more)" },
	{ "attrs", SET_BOOL, SET_AT(attrs), 0, 1, "show an object's instance attributes after <Class object at 0x...>" },
	{ "colour", SET_BOOL, SET_AT(colour), 0, 1, "colour output (only on a terminal, never with NO_COLOR set)" },
	{ "pager", SET_BOOL, SET_AT(pager), 0, 1, "send output longer than the screen through $PAGER (on a terminal)" },
	{ "history", SET_BOOL, SET_AT(history), 0, 1, "keep command history in ~/.pyspy_history" },
	{ 0 },
};

static const struct setting *find_setting(const char *name)
{
	if (!strcmp(name, "color"))
		name = "colour";
	for (const struct setting *st = settings_table; st->name; st++)
		if (!strcmp(st->name, name))
			return st;
	return NULL;
}

static void show_one(struct session *s, const struct setting *st)
{
	char *base = (char *)&s->set;
	if (st->type == SET_BOOL)
		fprintf(s->out, "%-12s %-6s %s\n", st->name, *(bool *)(base + st->offset) ? "on" : "off", st->help);
	else
		fprintf(s->out, "%-12s %-6d %s\n", st->name, *(int *)(base + st->offset), st->help);
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcasecmp(v, "off") || !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

static void complete_settings(struct session *s, int argi, complete_add_fn add, void *ctx)
{
	(void)s;
	if (argi == 0)
		for (const struct setting *st = settings_table; st->name; st++)
			add(ctx, st->name);
}

static void complete_set(struct session *s, int argi, complete_add_fn add, void *ctx)
{
	complete_settings(s, argi, add, ctx);
	if (argi == 1) {
		add(ctx, "on");
		add(ctx, "off");
	}
}

/* SET name value */
static int do_set(struct session *s, const struct cmd_args *a)
{
	const struct setting *st = find_setting(a->argv[0]);
	char *base = (char *)&s->set;
	if (!st)
		return cmd_error(s, "set: no setting '%s' (see 'show')", a->argv[0]);
	if (st->type == SET_BOOL) {
		bool v;
		if (parse_bool(a->argv[1], &v) < 0)
			return cmd_error(s, "set %s: '%s' is not on or off", st->name, a->argv[1]);
		*(bool *)(base + st->offset) = v;
		return CMD_OK;
	}
	char *end;
	errno = 0;
	long v = strtol(a->argv[1], &end, 10);
	if (*end || end == a->argv[1] || errno || v < st->min || v > st->max)
		return cmd_error(s, "set %s: '%s' is not a number from %ld to %ld", st->name, a->argv[1], st->min, st->max);
	*(int *)(base + st->offset) = (int)v;
	return CMD_OK;
}

const struct command cmd_set = {
	.name = "set",
	.usage = "set NAME VALUE",
	.summary = "Change a setting ('show' lists them).",
	.help = "Booleans take on/off (also yes/no, true/false, 1/0); numbers are checked\n"
		"against their range.  Settings last for the session; put 'set' commands in\n"
		"~/.pyspyinit to make them stick.",
	.min_args = 2,
	.max_args = 2,
	.handler = do_set,
	.complete = complete_set,
};

/* SHOW [name] */
static int do_show(struct session *s, const struct cmd_args *a)
{
	if (a->argc == 1) {
		const struct setting *st = find_setting(a->argv[0]);
		if (!st)
			return cmd_error(s, "show: no setting '%s'", a->argv[0]);
		show_one(s, st);
		return CMD_OK;
	}
	for (const struct setting *st = settings_table; st->name; st++)
		show_one(s, st);
	return CMD_OK;
}

const struct command cmd_show = {
	.name = "show",
	.usage = "show [NAME]",
	.summary = "Show one setting or all of them.",
	.help = "",
	.max_args = 1,
	.handler = do_show,
	.complete = complete_settings,
};
