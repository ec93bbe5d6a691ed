/*
 * repr_part.c — the repr of what a `print` path names when it is not an
 * object: s[2:5], s[0], b[0], items[1:3], type(x).__name__ of a C type.
 *
 * Python makes a new object for each of these; pyspy-sh never makes the
 * target run code, so it prints the part of the existing object instead,
 * with the same text Python's repr() of the new object would have: a str or
 * bytes slice reads only its own characters, a list or tuple slice prints
 * its items as the container would ([2, 3], (4,)), a byte is an int on 3.x
 * and a one-character str on 2.7, where str is bytes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "repr_impl.h"
#include "reprfmt.h"

/* Code points of UTF-8 text (a bad byte stands for itself). */
void repr_utf8_str(struct rctx *c, const char *s)
{
	size_t n = strlen(s), k = 0;
	uint32_t *cp = malloc((n + 1) * sizeof(*cp));
	if (!cp) {
		c->sb.oom = true;
		return;
	}
	for (size_t i = 0; i < n;) {
		unsigned char b = (unsigned char)s[i];
		int len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
		uint32_t v = len == 1 ? b : b & (0x7f >> len);
		if (i + (size_t)len > n)
			len = 1, v = b;
		for (int j = 1; j < len; j++)
			v = v << 6 | ((unsigned char)s[i + (size_t)j] & 0x3f);
		cp[k++] = v;
		i += (size_t)len;
	}
	reprfmt_unicode(&c->sb, cp, k, false);
	free(cp);
}

static void part(struct rctx *c, const struct value_ref *ref)
{
	const struct py_layout *L = &c->t->layout;
	const struct type_info *ti;
	struct pyspy_err e = { 0 };
	if (pyobj_type(c->t, ref->obj, &ti, &e) < 0)
		return repr_unreadable(c, &e);
	int64_t stop = ref->kind == VREF_ITEM ? ref->start + 1 : ref->stop;
	switch (pyobj_kind(c->t, ti)) {
	case PYK_STR:
		return repr_str_range(c, ref->obj, ref->start, stop);
	case PYK_BYTES:
		if (ref->kind == VREF_ITEM && !c->py2) {
			uint8_t b;
			if (remote_read(&c->t->mem, ref->obj + (raddr_t)L->bytes.sval + (raddr_t)ref->start, &b, 1, &e) < 0)
				return repr_unreadable(c, &e);
			strbuf_addf(&c->sb, "%u", b);
			return;
		}
		return repr_bytes_at(c, ref->obj + (raddr_t)L->bytes.sval + (raddr_t)ref->start, stop - ref->start,
				     c->py2 ? "" : "b", false);
	case PYK_LIST:
	case PYK_TUPLE:
		return repr_sequence_range(c, ref->obj, 1, pyobj_kind(c->t, ti) == PYK_TUPLE, ref->start, stop);
	default:
		err_set(&e, PS_EARG, "'%s' object has no parts", ti->name);
		return repr_unreadable(c, &e);
	}
}

int repr_ref(struct target *t, const struct value_ref *ref, const struct repr_opts *o, struct strbuf *out, struct pyspy_err *e)
{
	struct rctx c;
	if (ref->kind == VREF_OBJ)
		return repr_value(t, ref->obj, o, out, e);
	repr_begin(&c, t, o, e);
	if (ref->kind == VREF_TEXT) {
		if (c.py2)
			reprfmt_bytes(&c.sb, (const uint8_t *)ref->text, strlen(ref->text), "");
		else
			repr_utf8_str(&c, ref->text);
	} else
		part(&c, ref);
	return repr_finish(&c, out);
}
