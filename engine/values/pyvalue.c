/*
 * pyvalue.c — decoding a value in the target into a tree of plain data, for
 * scripts (see pyvalue.h), and the type classification repr.c shares.
 *
 * The walk mirrors repr.c's: classify by type, read only what will be kept
 * (max_items per container, max_str bytes per str), carry the stack of
 * containers being decoded for the depth limit and cycles.  What does not
 * decode into data falls back to repr_value(), so a script sees exactly what
 * `locals` would print for it.  Failures of one part become text in that
 * part ("<unreadable: ...>"); only the process going away, memory running out
 * or Ctrl-C stop the whole walk.
 */
#include "pyvalue.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/strbuf.h"

#define PYV_MAX_NEST 64
#define PYV_STR_DEFAULT (64u * 1024u)
#define PYV_SEQ_MAX (1ull << 28)

struct vctx {
	struct target *t;
	const struct pyvalue_opts *o;
	raddr_t stack[PYV_MAX_NEST];
	int nstack;
	int fatal;                 /* negative code once the walk must stop */
	struct pyspy_err *e;
};

static void set_text(struct vctx *c, struct py_value *v, enum pyv_kind kind, const char *s, size_t len)
{
	v->kind = kind;
	v->s = malloc(len + 1);
	if (!v->s) {
		v->kind = PYV_NONE;
		if (!c->fatal)
			c->fatal = err_set(c->e, PS_ENOMEM, "out of memory decoding a value");
		return;
	}
	memcpy(v->s, s, len);
	v->s[len] = '\0';
	v->len = len;
}

static void unreadable(struct vctx *c, struct py_value *v, struct pyspy_err *e)
{
	char buf[600];
	if (err_is_fatal(e->code) && !c->fatal) {
		c->fatal = -e->code;
		*c->e = *e;
	}
	int n = snprintf(buf, sizeof(buf), "<unreadable: %s>", e->msg);
	set_text(c, v, PYV_REPR, buf, n < 0 ? 0 : (size_t)n);
}

static void as_repr(struct vctx *c, raddr_t obj, struct py_value *v)
{
	struct strbuf sb;
	struct pyspy_err e = { 0 };
	strbuf_init(&sb, 0);
	int rc = repr_value(c->t, obj, &c->o->repr, &sb, &e);
	if (rc < 0 && !c->fatal) {
		c->fatal = rc;
		*c->e = e;
	}
	set_text(c, v, PYV_REPR, strbuf_str(&sb), sb.len);
	strbuf_release(&sb);
}

static void decode(struct vctx *c, raddr_t obj, int level, bool key, struct py_value *v);

/* Enter a container: false when it is past the depth limit or already open. */
static bool enter(struct vctx *c, raddr_t obj, int level, bool key)
{
	int depth = c->o->depth > 0 ? c->o->depth : 1;
	if (key || level > depth || c->nstack >= PYV_MAX_NEST)
		return false;
	for (int i = 0; i < c->nstack; i++)
		if (c->stack[i] == obj)
			return false;
	c->stack[c->nstack++] = obj;
	return true;
}

static size_t item_cap(const struct vctx *c, uint64_t n)
{
	return c->o->max_items && n > c->o->max_items ? c->o->max_items : (size_t)n;
}

static void d_sequence(struct vctx *c, raddr_t obj, int level, bool tuple, struct py_value *v)
{
	const struct py_layout *L = &c->t->layout;
	struct pyspy_err e = { 0 };
	int64_t n;
	raddr_t at = obj + (raddr_t)L->tuple.items;
	if (remote_read(&c->t->mem, obj + (raddr_t)L->object.var_size, &n, sizeof(n), &e) < 0 ||
	    (!tuple && remote_read_ptr(&c->t->mem, obj + (raddr_t)L->list.items, &at, &e) < 0))
		return unreadable(c, v, &e);
	if (n < 0 || (uint64_t)n > PYV_SEQ_MAX) {
		err_set(&e, PS_ECORRUPT, "%s at 0x%" PRIx64 " has a bad length", tuple ? "tuple" : "list", obj);
		return unreadable(c, v, &e);
	}
	size_t k = item_cap(c, (uint64_t)n);
	if (pyobj_check_span(c->t, obj, tuple ? "tuple" : "list", at, (uint64_t)k * 8, &e) < 0)
		return unreadable(c, v, &e);
	raddr_t *ptrs = malloc((k ? k : 1) * sizeof(*ptrs));
	v->items = calloc(k ? k : 1, sizeof(*v->items));
	v->kind = PYV_LIST;
	if (!ptrs || !v->items) {
		free(ptrs);
		err_set(&e, PS_ENOMEM, "out of memory");
		return unreadable(c, v, &e);
	}
	if (remote_read(&c->t->mem, at, ptrs, k * sizeof(*ptrs), &e) < 0) {
		free(ptrs);
		return unreadable(c, v, &e);
	}
	for (v->n = 0; v->n < k && !c->fatal; v->n++)
		decode(c, ptrs[v->n], level + 1, false, &v->items[v->n]);
	v->truncated = v->n < (size_t)n;
	free(ptrs);
}

struct pairs {
	raddr_t *kv;
	size_t n, cap;             /* pairs held, pairs wanted */
	bool more;
};

static int collect_pair(void *arg, raddr_t key, raddr_t value)
{
	struct pairs *p = arg;
	if (p->n >= p->cap) {
		p->more = true;
		return 1;
	}
	p->kv[2 * p->n] = key;
	p->kv[2 * p->n + 1] = value;
	p->n++;
	return 0;
}

static void d_dict(struct vctx *c, raddr_t obj, int level, struct py_value *v)
{
	struct pyspy_err e = { 0 };
	struct pairs p = { NULL, 0, c->o->max_items ? c->o->max_items : 65536, false };
	p.kv = malloc(2 * p.cap * sizeof(*p.kv));
	v->kind = PYV_DICT;
	if (!p.kv) {
		err_set(&e, PS_ENOMEM, "out of memory");
		return unreadable(c, v, &e);
	}
	if (pyobj_dict_foreach(c->t, obj, collect_pair, &p, &e) < 0) {
		free(p.kv);
		return unreadable(c, v, &e);
	}
	v->items = calloc(2 * p.n + 1, sizeof(*v->items));
	if (!v->items) {
		free(p.kv);
		err_set(&e, PS_ENOMEM, "out of memory");
		return unreadable(c, v, &e);
	}
	for (v->n = 0; v->n < p.n && !c->fatal; v->n++) {
		decode(c, p.kv[2 * v->n], level + 1, true, &v->items[2 * v->n]);
		decode(c, p.kv[2 * v->n + 1], level + 1, false, &v->items[2 * v->n + 1]);
	}
	v->truncated = p.more;
	free(p.kv);
}

static void d_str(struct vctx *c, raddr_t obj, struct py_value *v)
{
	struct pyspy_err e = { 0 };
	size_t cap = (c->o->max_str ? c->o->max_str : PYV_STR_DEFAULT) + 1, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		err_set(&e, PS_ENOMEM, "out of memory");
		return unreadable(c, v, &e);
	}
	if (pyobj_str(c->t, obj, buf, cap, &len, &e) < 0) {
		free(buf);
		return unreadable(c, v, &e);
	}
	set_text(c, v, PYV_STR, buf, len);
	v->truncated = len + 1 >= cap;
	free(buf);
}

static void d_number(struct vctx *c, raddr_t obj, enum pyobj_kind k, struct py_value *v)
{
	struct pyspy_err e = { 0 };
	uint64_t mag;
	bool neg;
	if (k == PYK_FLOAT) {
		if (remote_read(&c->t->mem, obj + (raddr_t)c->t->layout.float_obj.fval, &v->f, sizeof(v->f), &e) < 0)
			return unreadable(c, v, &e);
		v->kind = PYV_FLOAT;
		return;
	}
	if (pyobj_int(c->t, obj, &mag, &neg, &e) < 0 || mag > (uint64_t)INT64_MAX + neg)
		return k == PYK_BOOL ? unreadable(c, v, &e) : as_repr(c, obj, v);
	v->kind = k == PYK_BOOL ? PYV_BOOL : PYV_INT;
	v->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
}

static void decode(struct vctx *c, raddr_t obj, int level, bool key, struct py_value *v)
{
	const struct type_info *ti;
	struct pyspy_err e = { 0 };
	memset(v, 0, sizeof(*v));
	if (c->fatal)
		return;
	if (pyspy_interrupted) {
		c->fatal = err_set(c->e, PS_EINTR, "interrupted");
		return;
	}
	if (!obj)
		return;
	if (pyobj_type(c->t, obj, &ti, &e) < 0)
		return unreadable(c, v, &e);
	enum pyobj_kind k = pyobj_kind(c->t, ti);
	bool py2 = c->t->layout.str_model == STR_MODEL_PY2;
	switch (k) {
	case PYK_NONE: return;
	case PYK_BOOL: case PYK_INT: case PYK_LONG: case PYK_FLOAT: return d_number(c, obj, k, v);
	case PYK_STR: return d_str(c, obj, v);
	case PYK_BYTES: return py2 ? d_str(c, obj, v) : as_repr(c, obj, v);
	case PYK_LIST: case PYK_TUPLE: case PYK_DICT: break;
	default: return as_repr(c, obj, v);
	}
	if (!enter(c, obj, level, key))
		return as_repr(c, obj, v);
	if (k == PYK_DICT)
		d_dict(c, obj, level, v);
	else
		d_sequence(c, obj, level, k == PYK_TUPLE, v);
	c->nstack--;
}

int pyvalue_read(struct target *t, raddr_t obj, const struct pyvalue_opts *o, struct py_value *out,
		 struct pyspy_err *e)
{
	struct vctx c = { .t = t, .o = o, .e = e };
	decode(&c, obj, 1, false, out);
	if (c.fatal)
		pyvalue_release(out);
	return c.fatal;
}

void pyvalue_release(struct py_value *v)
{
	if (v->kind == PYV_LIST || v->kind == PYV_DICT)
		for (size_t i = 0; i < (v->kind == PYV_DICT ? 2 * v->n : v->n); i++)
			pyvalue_release(&v->items[i]);
	free(v->items);
	free(v->s);
	memset(v, 0, sizeof(*v));
}
