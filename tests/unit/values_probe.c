/*
 * values_probe.c — a test driver for the engine's locals and repr, no shell.
 *
 * The `locals` and `print` commands are built on the same engine calls, but a
 * test of the engine should not depend on them.  This program attaches to a
 * pid, finds the innermost frame (in any thread) whose function has the given
 * name, and prints each variable as `name=repr`, one a line.  With -m it first
 * prints `@name kind arg|-` lines (kind: local, cell, free); each -e EXPR
 * prints `?EXPR=repr` or `?EXPR!error` from value_lookup(); -s ends with
 * `#read N bytes`, the remote bytes asked for (a 1 MB str must not be read).  Used by
 * tests/e2e/values_check.py on every installed interpreter.
 *
 *   values_probe [-w WIDTH] [-d DEPTH] [-n ITEMS] [-m] [-s] [-e EXPR]... PID FUNCTION
 *
 * Build: make && cc -std=c11 -D_GNU_SOURCE -Iengine -Ilayouts -o build/values_probe
 *   tests/unit/values_probe.c build/engine/[a-z]*.o build/layouts/[a-z]*.o $(pkg-config --libs libelf libdw)
 * Exit: 0 done, 1 frame not found or a read failed, 2 could not attach, 64 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/values/locals.h"
#include "engine/values/repr.h"
#include "engine/python/snapshot.h"
#include "engine/strbuf.h"

static const struct py_frame *find_frame(const struct snapshot *s, const char *fn)
{
	for (size_t i = 0; i < s->nthreads; i++)
		for (size_t j = 0; j < s->threads[i].nframes; j++)
			if (strcmp(s->threads[i].frames[j].function, fn) == 0)
				return &s->threads[i].frames[j];
	return NULL;
}

static const char *kind_name(enum py_var_kind k)
{
	return k == PY_VAR_CELL ? "cell" : k == PY_VAR_FREE ? "free" : "local";
}

static int show_locals(struct target *t, const struct py_frame *f, const struct repr_opts *o, int meta)
{
	struct pyspy_err e = { 0 };
	struct py_var *v;
	size_t n;
	struct strbuf sb;
	if (locals_read(t, f, &v, &n, &e) < 0) {
		fprintf(stderr, "values_probe: locals: %s\n", e.msg);
		return 1;
	}
	for (size_t i = 0; meta && i < n; i++)
		printf("@%s %s %s\n", v[i].name, kind_name(v[i].kind), v[i].is_arg ? "arg" : "-");
	strbuf_init(&sb, 0);
	for (size_t i = 0; i < n; i++) {
		strbuf_reset(&sb);
		if (repr_value(t, v[i].value, o, &sb, &e) < 0)
			fprintf(stderr, "values_probe: %s: %s\n", v[i].name, e.msg);
		printf("%s=%s\n", v[i].name, strbuf_str(&sb));
	}
	strbuf_release(&sb);
	free(v);
	return 0;
}

static void show_expr(struct target *t, const struct py_frame *f, const struct repr_opts *o, const char *expr)
{
	struct pyspy_err e = { 0 };
	struct strbuf sb;
	raddr_t obj;
	if (value_lookup(t, f, expr, &obj, &e) < 0) {
		printf("?%s!%s\n", expr, e.msg);
		return;
	}
	strbuf_init(&sb, 0);
	repr_value(t, obj, o, &sb, &e);
	printf("?%s=%s\n", expr, strbuf_str(&sb));
	strbuf_release(&sb);
}

int main(int argc, char **argv)
{
	struct repr_opts o = REPR_OPTS_DEFAULT;
	const char *exprs[64];
	int nexpr = 0, meta = 0, stats = 0, c;
	while ((c = getopt(argc, argv, "w:d:n:mse:")) != -1) {
		if (c == 'w')
			o.width = (size_t)atol(optarg);
		else if (c == 'd')
			o.depth = atoi(optarg);
		else if (c == 'n')
			o.max_items = (size_t)atol(optarg);
		else if (c == 'm')
			meta = 1;
		else if (c == 's')
			stats = 1;
		else if (c == 'e' && nexpr < 64)
			exprs[nexpr++] = optarg;
		else
			return 64;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: values_probe [-w W] [-d D] [-n N] [-m] [-s] [-e EXPR]... PID FUNCTION\n");
		return 64;
	}
	struct target t;
	struct snapshot s;
	struct pyspy_err e = { 0 };
	struct attach_opts ao = { LOCATE_ANY };
	if (target_attach(&t, (pid_t)atoi(argv[optind]), &ao, &e) < 0) {
		fprintf(stderr, "values_probe: attach: %s\n", e.msg);
		return 2;
	}
	int rc = 1;
	if (snapshot_take(&t, SNAP_FRAMES, &s, &e) < 0) {
		fprintf(stderr, "values_probe: snapshot: %s\n", e.msg);
	} else {
		const struct py_frame *f = find_frame(&s, argv[optind + 1]);
		if (!f)
			fprintf(stderr, "values_probe: no frame of %s\n", argv[optind + 1]);
		else if ((rc = show_locals(&t, f, &o, meta)) == 0)
			for (int i = 0; i < nexpr; i++)
				show_expr(&t, f, &o, exprs[i]);
		if (stats)
			printf("#read %lu bytes\n", t.mem.nbytes);
		snapshot_release(&s);
	}
	target_detach(&t);
	return rc;
}
