/*
 * export_folded.c — folded stacks, one line per distinct stack, root first:
 * `a;b;c COUNT`, as flamegraph.pl and inferno read them.  COUNT is the
 * stack's weight in the profile's unit: µs of CPU for a cpu-mode profile,
 * samples otherwise (the format has no header to say which).  The two characters
 * that would break the line format are replaced (';' separates frames, a
 * newline ends the stack).
 */
#include "export_impl.h"

#include <stdlib.h>
#include <string.h>

/* A frame name made safe for the folded format. */
static void folded_name(FILE *f, const char *s)
{
	while (*s) {
		size_t n = export_utf8_len(s);
		if (*s == ';')
			putc(':', f);
		else if (*s == '\n' || *s == '\r')
			putc(' ', f);
		else if (n)
			fwrite(s, 1, n, f);
		else
			fputs(EXPORT_REPLACEMENT, f);
		s += n ? n : 1;
	}
}

struct folded_ctx {
	const struct profile *p;
	struct prof_tree tree;
	uint32_t *path;
	struct strbuf sb;
};

static void folded_line(FILE *f, struct folded_ctx *c, uint32_t node)
{
	size_t depth = c->tree.nodes[node].depth;
	for (uint32_t n = node; n != 0; n = c->tree.nodes[n].parent)
		c->path[c->tree.nodes[n].depth - 1] = n;
	for (size_t i = 0; i < depth; i++) {
		prof_node_label(c->p, &c->tree, c->path[i], &c->sb);
		if (i)
			putc(';', f);
		folded_name(f, strbuf_str(&c->sb));
	}
	fprintf(f, " %llu\n", (unsigned long long)c->tree.nodes[node].self);
}

static int folded_body(FILE *f, void *ctx, struct pyspy_err *e)
{
	struct folded_ctx *c = ctx;
	(void)e;
	for (uint32_t n = prof_tree_next(&c->tree, 0); n != PROF_NONE; n = prof_tree_next(&c->tree, n))
		if (c->tree.nodes[n].self)
			folded_line(f, c, n);
	return c->sb.oom ? err_set(e, PS_ENOMEM, "out of memory") : 0;
}

int export_folded(const struct profile *p, const char *path, const struct export_opts *o,
			 struct pyspy_err *e)
{
	struct export_opts def = { 0 };
	struct folded_ctx c = { .p = p };
	int rc;
	if (!o)
		o = &def;
	strbuf_init(&c.sb, 0);
	if ((rc = profile_tree(p, o->by, o->by_thread, &c.tree)) < 0 ||
	    (rc = prof_tree_sort(p, &c.tree)) < 0 ||
	    !(c.path = malloc((c.tree.max_depth + 1) * sizeof(*c.path)))) {
		rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	rc = export_atomic(path, folded_body, &c, e);
out:
	free(c.path);
	strbuf_release(&c.sb);
	prof_tree_release(&c.tree);
	return rc;
}
