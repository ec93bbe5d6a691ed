/*
 * repr_path.c — PurePosixPath('/tmp/x') and PosixPath, from pathlib's slots.
 *
 * repr(path) is "Name('%s')" of str(path), which pathlib caches in the _str
 * slot the first time it is asked.  A path never turned into a str is
 * rebuilt from what pathlib parsed: _drv + _root + the parts joined by '/'
 * (3.6-3.11: _parts, whose first item is drive + root when there is one;
 * 3.12+: _tail_cached once parsed), or, before it was parsed, from its raw
 * segments (3.12+: _raw_paths) when they are already in normal form (no
 * empty or '.' components, no trailing '/', only the first one absolute), so
 * that str() would give them back unchanged.  Anything else prints as the
 * object it is.
 */
#include <string.h>

#include "repr_impl.h"

#define PATH_MAX_PARTS 256

/* One str item of a list (or a str), as UTF-8. */
static bool str_text(struct rctx *c, raddr_t obj, char *buf, size_t cap, size_t *len)
{
	const struct type_info *ti;
	return obj && pyobj_type(c->t, obj, &ti, NULL) == 0 && pyobj_kind(c->t, ti) == PYK_STR &&
	       pyobj_str(c->t, obj, buf, cap, len, NULL) == 0 && *len + 1 < cap;
}

/* The items of a list of str, from item `from`, joined by '/'; each one checked by ok() if given. */
static bool join_list(struct rctx *c, raddr_t list, size_t from, struct strbuf *out,
		      bool (*ok)(const char *seg, size_t i))
{
	const struct py_layout *L = &c->t->layout;
	const struct type_info *ti;
	int64_t n;
	raddr_t items, v[PATH_MAX_PARTS];
	char seg[1024];
	size_t len;
	if (!list || pyobj_type(c->t, list, &ti, NULL) < 0 || pyobj_kind(c->t, ti) != PYK_LIST ||
	    remote_read(&c->t->mem, list + (raddr_t)L->object.var_size, &n, sizeof(n), NULL) < 0 ||
	    n < 0 || n > PATH_MAX_PARTS || remote_read_ptr(&c->t->mem, list + (raddr_t)L->list.items, &items, NULL) < 0 ||
	    (n && remote_read(&c->t->mem, items, v, (size_t)n * 8, NULL) < 0))
		return false;
	for (size_t i = from; i < (size_t)n; i++) {
		if (!str_text(c, v[i], seg, sizeof(seg), &len) || (ok && !ok(seg, i)))
			return false;
		if (i > from)
			strbuf_addch(out, '/');
		strbuf_add(out, seg, len);
	}
	return true;
}

/* A raw segment str() would give back unchanged. */
static bool normal_segment(const char *s, size_t i)
{
	size_t n = strlen(s);
	if (n == 0 || (i > 0 && s[0] == '/') || (n > 1 && s[n - 1] == '/') || strncmp(s, "//", 2) == 0)
		return false;
	for (const char *p = s; *p;) {
		const char *end = strchr(p, '/');
		size_t k = end ? (size_t)(end - p) : strlen(p);
		if ((k == 0 && p != s) || (k == 1 && p[0] == '.'))
			return false;
		p += k + (end ? 1 : 0);
	}
	return true;
}

/* str(path), into out; false when it cannot be told without running pathlib. */
static bool path_text(struct rctx *c, raddr_t obj, struct strbuf *out)
{
	char drv[256], root[16];
	size_t dl = 0, rl = 0;
	raddr_t s = std_attr(c, obj, "_str"), d = std_attr(c, obj, "_drv"), r = std_attr(c, obj, "_root");
	raddr_t parts = std_attr(c, obj, "_parts"), tail = std_attr(c, obj, "_tail_cached");
	char text[4096];
	size_t len;
	if (s) {
		if (!str_text(c, s, text, sizeof(text), &len))
			return false;
		strbuf_add(out, text, len);
		return true;
	}
	bool parsed = d && r && str_text(c, d, drv, sizeof(drv), &dl) && str_text(c, r, root, sizeof(root), &rl);
	if (parsed && (parts || tail)) {
		strbuf_add(out, drv, dl);
		strbuf_add(out, root, rl);
		/* _parts starts with drive + root when there is one; _tail never does */
		return join_list(c, parts ? parts : tail, parts && (dl || rl) ? 1 : 0, out, NULL);
	}
	return join_list(c, std_attr(c, obj, "_raw_paths"), 0, out, normal_segment);
}

bool repr_path(struct rctx *c, raddr_t obj, const char *name)
{
	struct strbuf text;
	strbuf_init(&text, 0);
	bool ok = path_text(c, obj, &text) && !text.oom;
	if (ok) {
		strbuf_addf(&c->sb, "%s(", name);
		repr_utf8_str(c, text.len ? strbuf_str(&text) : ".");
		strbuf_addch(&c->sb, ')');
	}
	strbuf_release(&text);
	return ok;
}
