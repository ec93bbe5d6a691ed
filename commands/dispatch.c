/*
 * dispatch.c — from a line of text to a command's handler.
 *
 * Words are split shell-style; the first word names the command (exact name,
 * alias, or unique prefix — an ambiguous prefix lists the candidates); options
 * are matched against the command's option table; preconditions (attached?)
 * are checked here so handlers need not.  `-h`/`--help` on any command prints
 * its help.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "session.h"

#define LINE_MAX_WORDS 64

int command_split(const char *line, char *buf, size_t buflen, const char **words, int maxwords)
{
	size_t o = 0;
	int n = 0;
	const char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			return n;
		if (n == maxwords || o >= buflen)
			return n;
		words[n++] = buf + o;
		char quote = 0;
		for (; *p && (quote || (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')); p++) {
			if (quote && *p == quote) {
				quote = 0;
				continue;
			}
			if (!quote && (*p == '\'' || *p == '"')) {
				quote = *p;
				continue;
			}
			if (*p == '\\' && p[1] && quote != '\'')
				p++;
			if (o + 1 < buflen)
				buf[o++] = *p;
		}
		if (quote)
			return -1;
		buf[o++] = '\0';
	}
}

static bool name_is(const struct command *c, const char *name)
{
	if (strcmp(c->name, name) == 0)
		return true;
	for (const char *const *a = c->aliases; a && *a; a++)
		if (strcmp(*a, name) == 0)
			return true;
	return false;
}

const struct command *command_find(const char *name, bool *ambiguous)
{
	const struct command *found = NULL;
	size_t len = strlen(name);
	int matches = 0;

	*ambiguous = false;
	for (const struct command *const *c = command_table; *c; c++)
		if (name_is(*c, name))
			return *c;
	if (len == 0)
		return NULL;
	for (const struct command *const *c = command_table; *c; c++)
		if (strncmp((*c)->name, name, len) == 0) {
			found = *c;
			matches++;
		}
	if (matches > 1) {
		*ambiguous = true;
		return NULL;
	}
	return found;
}

const struct command *command_of_line(const char *line)
{
	char buf[256];
	const char *w[1];
	bool ambiguous;
	if (command_split(line, buf, sizeof(buf), w, 1) != 1)
		return NULL;
	return command_find(w[0], &ambiguous);
}

static void list_candidates(struct session *s, const char *prefix)
{
	size_t len = strlen(prefix);
	fprintf(s->err, "pyspy-sh: ambiguous command '%s':", prefix);
	for (const struct command *const *c = command_table; *c; c++)
		if (strncmp((*c)->name, prefix, len) == 0)
			fprintf(s->err, " %s", (*c)->name);
	fputc('\n', s->err);
}

void command_print_help(struct session *s, const struct command *c)
{
	fprintf(s->out, "usage: %s\n\n%s\n", c->usage, c->summary);
	if (c->opts && c->opts[0].name) {
		fputs("\noptions:\n", s->out);
		for (const struct cmd_opt *o = c->opts; o->name; o++) {
			char left[64];
			snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : "",
				 o->short_name ? o->short_name : ' ', o->short_name ? ", " : " ",
				 o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
			fprintf(s->out, "  %-24s %s\n", o->short_name ? left : left + 2, o->help);
		}
	}
	if (c->aliases && c->aliases[0]) {
		fputs("\naliases:", s->out);
		for (const char *const *a = c->aliases; *a; a++)
			fprintf(s->out, " %s", *a);
		fputc('\n', s->out);
	}
	if (c->help && c->help[0])
		fprintf(s->out, "\n%s\n", c->help);
}

static const struct cmd_opt *find_opt(const struct command *c, const char *word, int *index)
{
	for (int i = 0; c->opts && c->opts[i].name; i++) {
		const struct cmd_opt *o = &c->opts[i];
		if ((word[1] == '-' && strcmp(word + 2, o->name) == 0) ||
		    (word[1] != '-' && o->short_name && word[1] == o->short_name && !word[2])) {
			*index = i;
			return o;
		}
	}
	return NULL;
}

static int usage_error(struct session *s, const struct command *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage_error(struct session *s, const struct command *c, const char *fmt, ...)
{
	va_list ap;
	fflush(s->out);
	fprintf(s->err, "pyspy-sh: %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(s->err, fmt, ap);
	va_end(ap);
	fprintf(s->err, "\nusage: %s\n", c->usage);
	return CMD_FAILED;
}

/* Fill a from words[1..n); returns 0, 1 when help was asked for, or -1 (reported). */
static int parse_args(struct session *s, const struct command *c, const char **words, int n, struct cmd_args *a)
{
	bool only_positional = false;
	memset(a, 0, sizeof(*a));
	for (int i = 1; i < n; i++) {
		const char *w = words[i];
		if (!only_positional && (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0))
			return 1;
		if (!only_positional && strcmp(w, "--") == 0) {
			only_positional = true;
			continue;
		}
		if (!only_positional && w[0] == '-' && w[1] && !(w[1] >= '0' && w[1] <= '9')) {
			int k;
			const struct cmd_opt *o = find_opt(c, w, &k);
			if (!o)
				return -usage_error(s, c, "unknown option '%s'", w);
			a->set[k] = true;
			if (o->type == OPT_BOOL)
				continue;
			if (++i >= n)
				return -usage_error(s, c, "option '%s' needs a value", w);
			a->str[k] = words[i];
			if (o->type == OPT_INT) {
				char *end;
				errno = 0;
				a->num[k] = strtol(words[i], &end, 10);
				if (*end || end == words[i] || errno)
					return -usage_error(s, c, "option '%s' wants a number, not '%s'", w, words[i]);
			}
			continue;
		}
		if (a->argc == CMD_MAX_ARGS || a->argc == c->max_args)
			return -usage_error(s, c, "unexpected argument '%s'", w);
		a->argv[a->argc++] = w;
	}
	if (a->argc < c->min_args)
		return -usage_error(s, c, "%s", c->min_args == 1 ? "missing argument" : "missing arguments");
	return 0;
}

int command_run(struct session *s, const char *line)
{
	char buf[4096];
	const char *words[LINE_MAX_WORDS];
	struct cmd_args a;
	bool ambiguous;
	int n = command_split(line, buf, sizeof(buf), words, LINE_MAX_WORDS);

	if (n < 0)
		return cmd_error(s, "unterminated quote in '%s'", line);
	if (n == 0 || words[0][0] == '#')
		return CMD_OK;
	const struct command *c = command_find(words[0], &ambiguous);
	if (!c) {
		if (ambiguous) {
			list_candidates(s, words[0]);
			return CMD_FAILED;
		}
		return cmd_error(s, "unknown command '%s' (try 'help')", words[0]);
	}
	int rc;
	char raw[4096];
	if ((c->flags & CMD_RAW_ARGS) && n > 1) {
		/* the rest of the line after the command word, untouched */
		const char *p = line + strspn(line, " \t");
		p += strcspn(p, " \t");
		p += strspn(p, " \t");
		snprintf(raw, sizeof(raw), "%s", p);
		raw[strcspn(raw, "\r\n")] = '\0';
		for (size_t k = strlen(raw); k > 0 && (raw[k - 1] == ' ' || raw[k - 1] == '\t'); k--)
			raw[k - 1] = '\0';
		if (!strcmp(raw, "-h") || !strcmp(raw, "--help")) {
			command_print_help(s, c);
			return CMD_OK;
		}
		if (raw[0] == '-' && !(raw[1] >= '0' && raw[1] <= '9')) {
			raw[strcspn(raw, " \t")] = '\0';
			usage_error(s, c, "unknown option '%s'", raw);
			return CMD_FAILED;
		}
		memset(&a, 0, sizeof(a));
		a.argc = 1;
		a.argv[0] = raw;
		rc = 0;
	} else
		rc = parse_args(s, c, words, n, &a);
	if (rc == 1) {
		command_print_help(s, c);
		return CMD_OK;
	}
	if (rc != 0)
		return CMD_FAILED;
	if ((c->flags & CMD_NEEDS_TARGET) && !s->attached)
		return cmd_error(s, "%s: no process attached (use 'attach PID' or start with -p PID)", c->name);
	if ((c->flags & CMD_LIVE) && s->attached && s->target.core)
		return cmd_error(s, "%s: not available on a core file", c->name);
	rc = c->handler(s, &a);
	fflush(s->out);
	return rc;
}
