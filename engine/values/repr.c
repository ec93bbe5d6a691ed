/*
 * repr.c — reading a value out of the target and printing it like repr().
 *
 * One recursive walk: classify the object by its type (built-in types by the
 * subclass bits of tp_flags, the few without such a bit by the tp_name of a
 * static type, never of a heap type a user could have named "float"), then
 * print it with the pure rules of reprfmt.c.  The text goes into a strbuf that
 * holds at most `width` characters; every loop checks whether the buffer is
 * full and stops, and every read is sized by what can still be shown, so a
 * huge value costs no more than a small one.  The walk carries the stack of
 * containers being printed, for cycles and for the depth limit.
 *
 * The spelling differences of 2.7 (u'', the L of a long, set([1])) follow the
 * layout's str model: STR_MODEL_PY2 is the Python 2 object world.
 */
#include "repr.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/python/pyobj.h"
#include "repr_impl.h"
#include "reprfmt.h"

#define STR_UNLIMITED (1u << 24)   /* code units read when there is no width */
#define INT_MAX_DIGITS 4096

void repr_unreadable(struct rctx *c, struct pyspy_err *e)
{
	if (err_is_fatal(e->code)) {
		if (!c->fatal) {
			c->fatal = -e->code;
			*c->e = *e;
		}
	}
	strbuf_addf(&c->sb, "<unreadable: %s>", e->msg);
}

size_t repr_room(const struct rctx *c)
{
	if (!c->sb.limit)
		return STR_UNLIMITED;
	return c->sb.limit > c->sb.nchars ? c->sb.limit - c->sb.nchars + 1 : 1;
}

/* ---- scalars ---- */

void repr_int(struct rctx *c, raddr_t obj, const struct type_info *ti, bool py2_long)
{
	const struct py_layout *L = &c->t->layout;
	struct pyspy_err e = { 0 };
	uint8_t head[64];
	size_t hdr = (size_t)L->long_obj.digits;

	if (L->long_obj.digits <= 0 || hdr > sizeof(head) || L->int_obj.ival + 8 > (int32_t)sizeof(head)) {
		err_set(&e, PS_EUNSUP, "no usable int layout");
		return repr_unreadable(c, &e);
	}
	if (L->tpflags.int_subclass && (ti->flags & L->tpflags.int_subclass)) {
		if (remote_read(&c->t->mem, obj, head, (size_t)L->int_obj.ival + 8, &e) < 0)
			return repr_unreadable(c, &e);
		strbuf_addf(&c->sb, "%" PRId64, (int64_t)rbuf_u64(head, L->int_obj.ival));
		return;
	}
	if (remote_read(&c->t->mem, obj, head, hdr, &e) < 0)
		return repr_unreadable(c, &e);
	uint64_t nd;
	bool neg;
	if (L->long_model == LONG_MODEL_TAG) {
		uint64_t tag = rbuf_u64(head, L->long_obj.tag);
		nd = tag >> 3;
		neg = (tag & 3) == 2;
	} else {
		int64_t size = (int64_t)rbuf_u64(head, L->object.var_size);
		neg = size < 0;
		nd = neg ? (uint64_t)-size : (uint64_t)size;
	}
	if (nd > INT_MAX_DIGITS) {
		strbuf_addf(&c->sb, "<int of about %" PRIu64 " bits>", nd * (uint64_t)L->digit_bits);
		return;
	}
	int dsize = L->digit_bits == 30 ? 4 : 2;
	uint8_t *raw = malloc(nd * (size_t)dsize + 1);
	uint32_t *d = malloc((nd + 1) * sizeof(*d));
	if (!raw || !d || remote_read(&c->t->mem, obj + hdr, raw, nd * (size_t)dsize, &e) < 0) {
		if (!raw || !d)
			err_set(&e, PS_ENOMEM, "out of memory");
		repr_unreadable(c, &e);
	} else {
		for (uint64_t i = 0; i < nd; i++) {
			d[i] = 0;
			memcpy(&d[i], raw + i * (size_t)dsize, (size_t)dsize);
		}
		reprfmt_bigint(&c->sb, d, nd, L->digit_bits, neg);
		if (py2_long)
			strbuf_addch(&c->sb, 'L');
	}
	free(raw);
	free(d);
}

static void r_float(struct rctx *c, raddr_t obj)
{
	struct pyspy_err e = { 0 };
	double v;
	if (remote_read(&c->t->mem, obj + (raddr_t)c->t->layout.float_obj.fval, &v, sizeof(v), &e) < 0)
		return repr_unreadable(c, &e);
	repr_float_text(c, v, true);
}

/* repr(float); without add_dot0 a whole number loses its ".0", as complex's parts do. */
void repr_float_text(struct rctx *c, double v, bool add_dot0)
{
	char buf[40];
	reprfmt_float(v, buf, sizeof(buf));
	size_t n = strlen(buf);
	if (!add_dot0 && n > 2 && strcmp(buf + n - 2, ".0") == 0)
		buf[n - 2] = '\0';
	strbuf_addstr(&c->sb, buf);
}

static void r_bool(struct rctx *c, raddr_t obj, const struct type_info *ti)
{
	uint64_t mag = 0;
	bool neg;
	struct pyspy_err e = { 0 };
	(void)ti;
	if (pyobj_int(c->t, obj, &mag, &neg, &e) < 0)
		return repr_unreadable(c, &e);
	strbuf_addstr(&c->sb, mag ? "True" : "False");
}

/* ---- strings and bytes ---- */

/* Code points from `count` units of `kind` bytes (1, 2, 4). */
static uint32_t *units_to_cp(const uint8_t *b, size_t count, int kind)
{
	uint32_t *cp = malloc((count + 1) * sizeof(*cp));
	if (!cp)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		if (kind == 1)
			cp[i] = b[i];
		else if (kind == 2) {
			uint16_t u;
			memcpy(&u, b + 2 * i, 2);
			cp[i] = u;
		} else
			memcpy(&cp[i], b + 4 * i, 4);
	}
	return cp;
}

/* Read `count` units at `at` and print them as a str repr. */
static void text_at(struct rctx *c, raddr_t at, size_t count, int kind, bool py2)
{
	struct pyspy_err e = { 0 };
	if (pyobj_check_span(c->t, at, "str data", at, (uint64_t)count * (uint64_t)kind, &e) < 0)
		return repr_unreadable(c, &e);
	uint8_t *raw = malloc(count * (size_t)kind + 1);
	uint32_t *cp = NULL;
	if (!raw)
		err_set(&e, PS_ENOMEM, "out of memory");
	else if (remote_read(&c->t->mem, at, raw, count * (size_t)kind, &e) == 0 && !(cp = units_to_cp(raw, count, kind)))
		err_set(&e, PS_ENOMEM, "out of memory");
	if (cp)
		reprfmt_unicode(&c->sb, cp, count, py2);
	else
		repr_unreadable(c, &e);
	free(raw);
	free(cp);
}

static void r_str(struct rctx *c, raddr_t obj)
{
	repr_str_range(c, obj, 0, -1);
}

/* The repr of obj[start:stop] of a str; stop -1 is its end. */
void repr_str_range(struct rctx *c, raddr_t obj, int64_t start, int64_t stop)
{
	const struct py_layout *L = &c->t->layout;
	struct pyspy_err e = { 0 };
	uint8_t head[128];
	size_t hlen = (size_t)L->unicode.size;

	if (L->unicode.size <= 0 || hlen > sizeof(head)) {
		err_set(&e, PS_EUNSUP, "no usable str layout");
		return repr_unreadable(c, &e);
	}
	if (remote_read(&c->t->mem, obj, head, hlen, &e) < 0)
		return repr_unreadable(c, &e);
	int64_t length = (int64_t)rbuf_u64(head, L->unicode.length);
	if (length < 0) {
		err_set(&e, PS_ECORRUPT, "str at 0x%" PRIx64 " has a bad length", obj);
		return repr_unreadable(c, &e);
	}
	if (stop < 0 || stop > length)
		stop = length;
	if (start < 0 || start > stop)
		start = stop;
	length = stop - start;
	size_t count = (size_t)length < repr_room(c) ? (size_t)length : repr_room(c);
	if (L->str_model == STR_MODEL_PY2)
		return text_at(c, rbuf_u64(head, L->unicode.py2_str) + (raddr_t)(start * L->unicode_size), count,
			       L->unicode_size, true);
	uint32_t state = rbuf_u32(head, L->unicode.state);
	int kind = (int)((state >> L->unicode.state_kind_shift) & 7);
	bool compact = (state >> L->unicode.state_compact_shift) & 1;
	bool ascii = (state >> L->unicode.state_ascii_shift) & 1;
	raddr_t at = obj + (raddr_t)(ascii ? L->unicode.ascii_size : L->unicode.compact_size);
	if ((kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1)) {
		err_set(&e, PS_ECORRUPT, "str at 0x%" PRIx64 " has a bad header", obj);
		return repr_unreadable(c, &e);
	}
	if (!compact && remote_read_ptr(&c->t->mem, obj + (raddr_t)L->unicode.data, &at, &e) < 0)
		return repr_unreadable(c, &e);
	text_at(c, at + (raddr_t)(start * kind), count, kind, false);
}

static void r_bytes(struct rctx *c, raddr_t obj)
{
	const struct py_layout *L = &c->t->layout;
	struct pyspy_err e = { 0 };
	int64_t length;
	if (remote_read(&c->t->mem, obj + (raddr_t)L->object.var_size, &length, sizeof(length), &e) < 0)
		return repr_unreadable(c, &e);
	repr_bytes_at(c, obj + (raddr_t)L->bytes.sval, length, L->str_model == STR_MODEL_PY2 ? "" : "b", false);
}

/* length bytes at `at`, as a bytes literal with the prefix. */
void repr_bytes_at(struct rctx *c, raddr_t at, int64_t length, const char *prefix, bool bytearray)
{
	struct pyspy_err e = { 0 };
	if (length < 0) {
		err_set(&e, PS_ECORRUPT, "bytes at 0x%" PRIx64 " has a bad length", at);
		return repr_unreadable(c, &e);
	}
	size_t count = (size_t)length < repr_room(c) ? (size_t)length : repr_room(c);
	if (pyobj_check_span(c->t, at, "bytes", at, count, &e) < 0)
		return repr_unreadable(c, &e);
	uint8_t *raw = malloc(count + 1);
	if (!raw) {
		err_set(&e, PS_ENOMEM, "out of memory");
		return repr_unreadable(c, &e);
	}
	if (remote_read(&c->t->mem, at, raw, count, &e) < 0)
		repr_unreadable(c, &e);
	else
		reprfmt_bytes_as(&c->sb, raw, count, prefix, bytearray);
	free(raw);
}

/* ---- dispatch ---- */

/* <class 'list'> (2.7: <type 'list'>), <class 'app.Point'>: a class written in
 * Python is named with its __module__, as type.__repr__ does. */
static void r_class(struct rctx *c, const struct type_info *self)
{
	struct repr_dialect d;
	char name[sizeof(self->name)], module[128] = "";
	raddr_t mod;
	bool heap = self->flags & PYOBJ_TPFLAGS_HEAPTYPE;
	memcpy(name, self->name, sizeof(name));
	if (heap && !strchr(name, '.') && std_type_dict_get(c->t, self->addr, "__module__", &mod) == 0 &&
	    (pyobj_str(c->t, mod, module, sizeof(module), NULL, NULL) < 0 || strcmp(module, "builtins") == 0 ||
	     strcmp(module, "__builtin__") == 0))
		module[0] = '\0';
	strbuf_addf(&c->sb, "<%s '%s%s%s'>", heap ? "class" : repr_dialect(c, &d)->type_word, module,
		    module[0] ? "." : "", name);
}

/* Classes, modules, and every other object. */
static void r_other(struct rctx *c, raddr_t obj, const struct type_info *ti, int level)
{
	if (pyobj_static_named(ti, "type") || (ti->flags & c->t->layout.tpflags.type_subclass)) {
		const struct type_info *self;
		struct pyspy_err e = { 0 };
		if (pyobj_type_at(c->t, obj, &self, &e) < 0)
			return repr_unreadable(c, &e);
		r_class(c, self);
		return;
	}
	if (pyobj_static_named(ti, "module")) {
		repr_module(c, obj);
		return;
	}
	repr_instance(c, obj, ti, level);
}

void repr_obj(struct rctx *c, raddr_t obj, int level)
{
	const struct type_info *ti;
	struct pyspy_err e = { 0 };

	if (strbuf_full(&c->sb) || c->fatal)
		return;
	if (pyspy_interrupted) {
		c->fatal = err_set(c->e, PS_EINTR, "interrupted");
		strbuf_addstr(&c->sb, "...<interrupted>");
		return;
	}
	if (!obj) {
		strbuf_addstr(&c->sb, "<NULL>");
		return;
	}
	if (pyobj_type(c->t, obj, &ti, &e) < 0)
		return repr_unreadable(c, &e);
	enum pyobj_kind kind = pyobj_kind(c->t, ti);
	/* the standard library's types: heap types, and C types builtins do not cover */
	if (kind == PYK_OTHER || (ti->flags & PYOBJ_TPFLAGS_HEAPTYPE) || (kind == PYK_DICT && !pyobj_static_named(ti, "dict"))) {
		if (repr_stdlib(c, obj, ti, level))
			return;
		if (pyobj_type(c->t, obj, &ti, &e) < 0)    /* the cache entry may have been reused */
			return repr_unreadable(c, &e);
	}
	switch (kind) {
	case PYK_NONE: strbuf_addstr(&c->sb, "None"); break;
	case PYK_BOOL: r_bool(c, obj, ti); break;
	case PYK_INT: repr_int(c, obj, ti, false); break;
	case PYK_LONG: repr_int(c, obj, ti, true); break;
	case PYK_FLOAT: r_float(c, obj); break;
	case PYK_STR: r_str(c, obj); break;
	case PYK_BYTES: r_bytes(c, obj); break;
	case PYK_LIST: repr_sequence(c, obj, level, false); break;
	case PYK_TUPLE: repr_sequence(c, obj, level, true); break;
	case PYK_DICT: repr_dict(c, obj, level); break;
	case PYK_SET: repr_set(c, obj, level, false, NULL); break;
	case PYK_FROZENSET: repr_set(c, obj, level, true, NULL); break;
	case PYK_OTHER: r_other(c, obj, ti, level); break;
	}
}

void repr_begin(struct rctx *c, struct target *t, const struct repr_opts *o, struct pyspy_err *e)
{
	memset(c, 0, sizeof(*c));
	c->t = t;
	c->o = o;
	c->e = e;
	c->py2 = t->layout.str_model == STR_MODEL_PY2;
	/* one character more than the width, to tell "exactly width" from "longer" */
	strbuf_init(&c->sb, o->width ? o->width + 1 : 0);
}

int repr_finish(struct rctx *c, struct strbuf *out)
{
	const struct repr_opts *o = c->o;
	if (c->sb.truncated || (o->width && c->sb.nchars > o->width)) {
		size_t keep = o->width > 3 ? o->width - 3 : 0;
		strbuf_cut_chars(&c->sb, keep);
		c->sb.truncated = false;
		c->sb.limit = 0;
		strbuf_add(&c->sb, "...", o->width < 3 ? o->width : 3);
	}
	if (c->sb.oom && !c->fatal)
		c->fatal = err_set(c->e, PS_ENOMEM, "out of memory printing a value");
	strbuf_add(out, strbuf_str(&c->sb), c->sb.len);
	strbuf_release(&c->sb);
	return c->fatal;
}

int repr_value(struct target *t, raddr_t obj, const struct repr_opts *o, struct strbuf *out, struct pyspy_err *e)
{
	struct rctx c;
	repr_begin(&c, t, o, e);
	if (!obj)
		strbuf_addstr(&c.sb, "<unbound>");
	else
		repr_obj(&c, obj, 1);
	return repr_finish(&c, out);
}
