/*
 * repr_stdlib.c — the standard library's own reprs, read from memory.
 *
 * `OrderedDict({'a': 1})`, `Point(x=1, y=2)`, `<Color.RED: 1>`: what the
 * target's repr() would print for the standard types people keep in
 * variables, never by running their __repr__, always by reading the fields
 * that __repr__ reads.  A type is recognised once (the tag of its type_info,
 * cached with the type) by its module and name: a C type by its tp_name
 * ("datetime.date"; static, or a heap type made from a spec, whose tp_name
 * carries the module too), a class written in Python by the __module__ in
 * its dict, which a user class of the same name does not share.  Only exact
 * types are recognised (and set subclasses, which set's own repr names), so
 * a subclass with its own __repr__ is never shown as its base.
 *
 * The classes written in Python are here (namedtuple, Counter, 2.7's
 * OrderedDict, Enum members, Path, UUID, Fraction, the pure-Python Decimal);
 * the C types whose fields are decoded from their structs are in
 * repr_cdata.c.  Where the text depends on the version (OrderedDict as a
 * list of pairs before 3.12, timedelta's keywords from 3.7), the rule is in
 * repr_dialect() below, the one place that reads the version.  A field that
 * is missing or not what the type keeps there gives up: the value prints as
 * the honest <X object at 0x..> instead.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repr_impl.h"

#define STD_MAX_ITEMS 4096          /* Counter / 2.7 OrderedDict items sorted or ordered */
#define STD_MAX_BASES 16

struct std_name {
	const char *module, *name;
	int tag;
};

static const struct std_name std_names[] = {
	{ "collections", "OrderedDict", STD_ODICT },
	{ "collections", "defaultdict", STD_DEFAULTDICT },
	{ "collections", "Counter", STD_COUNTER },
	{ "collections", "deque", STD_DEQUE },
	{ "datetime", "date", STD_DATE },
	{ "datetime", "datetime", STD_DATETIME },
	{ "datetime", "time", STD_TIME },
	{ "datetime", "timedelta", STD_TIMEDELTA },
	{ "datetime", "timezone", STD_TIMEZONE },
	{ "decimal", "Decimal", STD_DECIMAL },
	{ "_pydecimal", "Decimal", STD_DECIMAL },
	{ "fractions", "Fraction", STD_FRACTION },
	{ "uuid", "UUID", STD_UUID },
	{ "pathlib", "PosixPath", STD_PATH },
	{ "pathlib", "PurePosixPath", STD_PATH },
	{ "pathlib._local", "PosixPath", STD_PATH },
	{ "pathlib._local", "PurePosixPath", STD_PATH },
	{ NULL, "complex", STD_COMPLEX },
	{ NULL, "range", STD_RANGE },
	{ NULL, "xrange", STD_XRANGE },
	{ NULL, "bytearray", STD_BYTEARRAY },
	{ NULL, "memoryview", STD_MEMORYVIEW },
};

const struct repr_dialect *repr_dialect(const struct rctx *c, struct repr_dialect *d)
{
	uint32_t v = c->t->layout.version;
	d->odict_pairs = v < 0x030c0000;
	d->timedelta_keywords = v >= 0x03070000;
	d->type_word = c->py2 ? "type" : "class";
	d->bytearray_squote = v < 0x030f0000;
	d->c_subclass_name = v >= 0x03070000;
	d->namedtuple_own_name = !c->py2;
	return d;
}

/* ---- reading helpers ---- */

int std_type_dict_get(struct target *t, raddr_t type, const char *name, raddr_t *out)
{
	raddr_t dict = 0;
	*out = 0;
	if (remote_read_ptr(&t->mem, type + (raddr_t)t->layout.type.dict, &dict, NULL) < 0 || !dict)
		return -1;
	return pyobj_dict_get_str(t, dict, name, out, NULL) < 0 || !*out ? -1 : 0;
}

struct slot_find {
	const char *name;
	raddr_t value;
};

static int slot_match(void *arg, const char *name, raddr_t value)
{
	struct slot_find *s = arg;
	if (strcmp(name, s->name) != 0)
		return 0;
	s->value = value;
	return 1;
}

/* An attribute kept in the instance's __dict__ or a __slots__ slot; 0 if none. */
raddr_t std_attr(struct rctx *c, raddr_t obj, const char *name)
{
	raddr_t v = 0;
	if (pyobj_attr(c->t, obj, name, &v, NULL) == 0 && v)
		return v;
	struct slot_find s = { name, 0 };
	if (pyobj_slots_foreach(c->t, obj, slot_match, &s, NULL) < 0)
		return 0;
	return s.value;
}

/* The part of a type's name after its last dot. */
const char *std_short_name(const char *tp_name)
{
	const char *dot = strrchr(tp_name, '.');
	return dot ? dot + 1 : tp_name;
}

static bool metaclass_is_enum(struct target *t, raddr_t type)
{
	const struct type_info *meta;
	if (pyobj_type(t, type, &meta, NULL) < 0 || !(meta->flags & PYOBJ_TPFLAGS_HEAPTYPE))
		return false;
	return strcmp(meta->name, "EnumMeta") == 0 || strcmp(meta->name, "EnumType") == 0;
}

/* set / frozenset among the static bases of a heap type. */
static int set_base(struct target *t, raddr_t type)
{
	for (int i = 0; type && i < STD_MAX_BASES; i++) {
		const struct type_info *b;
		if (remote_read_ptr(&t->mem, type + (raddr_t)t->layout.type.base, &type, NULL) < 0 || !type ||
		    pyobj_type_at(t, type, &b, NULL) < 0)
			return STD_NONE;
		if (pyobj_static_named(b, "set"))
			return STD_SET_SUB;
		if (pyobj_static_named(b, "frozenset"))
			return STD_FROZENSET_SUB;
		if (!(b->flags & PYOBJ_TPFLAGS_HEAPTYPE))
			return STD_NONE;
	}
	return STD_NONE;
}

/* A class attribute: the type's own dict, then its bases'. */
int std_type_attr(struct target *t, raddr_t type, const char *name, raddr_t *out)
{
	for (int i = 0; type && i < STD_MAX_BASES; i++) {
		if (std_type_dict_get(t, type, name, out) == 0)
			return 0;
		if (remote_read_ptr(&t->mem, type + (raddr_t)t->layout.type.base, &type, NULL) < 0)
			return -1;
	}
	return -1;
}

static int classify_one(struct rctx *c, const struct type_info *ti)
{
	struct target *t = c->t;
	raddr_t type = ti->addr, mod = 0;
	uint64_t flags = ti->flags;
	bool heap = flags & PYOBJ_TPFLAGS_HEAPTYPE;
	char name[sizeof(ti->name)], module[64] = "";
	memcpy(name, ti->name, sizeof(name));
	const char *dot = strrchr(name, '.');
	if (dot) {
		snprintf(module, sizeof(module), "%.*s", (int)(dot - name), name);
	} else if (heap && std_type_dict_get(t, type, "__module__", &mod) == 0) {
		if (pyobj_str(t, mod, module, sizeof(module), NULL, NULL) < 0)
			module[0] = '\0';
	}
	const char *shortname = std_short_name(name);
	for (size_t i = 0; i < sizeof(std_names) / sizeof(std_names[0]); i++) {
		const struct std_name *s = &std_names[i];
		if (strcmp(s->name, shortname) != 0)
			continue;
		if (s->module ? strcmp(s->module, module) == 0 : (!heap && !dot))
			return s->tag;
	}
	if (!heap)
		return STD_NONE;
	raddr_t fields;
	if ((flags & t->layout.tpflags.tuple_subclass) && std_type_dict_get(t, type, "_fields", &fields) == 0)
		return STD_NAMEDTUPLE;
	if (metaclass_is_enum(t, type))
		return STD_ENUM;
	return STD_NONE;
}

/* Whether a subclass prints as this base does, with its own name (the
 * base's __repr__ names type(self)). */
static bool subclass_prints_as(int tag)
{
	return tag == STD_ODICT || tag == STD_COUNTER || tag == STD_DEQUE || tag == STD_NAMEDTUPLE ||
	       tag == STD_DEFAULTDICT;
}

static int classify(struct rctx *c, const struct type_info *ti)
{
	int tag = classify_one(c, ti);
	if (tag != STD_NONE || !(ti->flags & PYOBJ_TPFLAGS_HEAPTYPE))
		return tag;
	/* a class written in Python without a __repr__ of its own, over one of them */
	raddr_t type = ti->addr, base, repr;
	for (int i = 0; i < STD_MAX_BASES; i++, type = base) {
		const struct type_info *b;
		if (std_type_dict_get(c->t, type, "__repr__", &repr) == 0)
			return STD_NONE;         /* its own text, which only running it would give */
		if (remote_read_ptr(&c->t->mem, type + (raddr_t)c->t->layout.type.base, &base, NULL) < 0 || !base ||
		    pyobj_type_at(c->t, base, &b, NULL) < 0)
			break;
		struct type_info copy = *b;
		if ((tag = classify_one(c, &copy)) != STD_NONE)
			return subclass_prints_as(tag) ? tag : STD_NONE;
		if (!(copy.flags & PYOBJ_TPFLAGS_HEAPTYPE))
			break;
	}
	return set_base(c->t, ti->addr);
}

/* ---- classes written in Python ---- */

/* Point(x=1, y=2): the tuple's items named by the class's _fields. */
static bool r_namedtuple(struct rctx *c, raddr_t obj, raddr_t type, const char *name, int level)
{
	const struct py_layout *L = &c->t->layout;
	raddr_t fields = 0, items[2];
	int64_t n, nf;
	struct repr_dialect d;
	char owner[64];
	if (!repr_dialect(c, &d)->namedtuple_own_name) {
		/* 2.7's __repr__ spells the name namedtuple() was given: the class that holds _fields */
		const struct type_info *ti;
		for (int i = 0; type && i < STD_MAX_BASES && std_type_dict_get(c->t, type, "_fields", &fields) < 0; i++)
			if (remote_read_ptr(&c->t->mem, type + (raddr_t)L->type.base, &type, NULL) < 0)
				return false;
		if (!type || pyobj_type_at(c->t, type, &ti, NULL) < 0)
			return false;
		snprintf(owner, sizeof(owner), "%s", std_short_name(ti->name));
		name = owner;
	}
	if (std_type_attr(c->t, type, "_fields", &fields) < 0 ||
	    remote_read(&c->t->mem, obj + (raddr_t)L->object.var_size, &n, 8, NULL) < 0 ||
	    remote_read(&c->t->mem, fields + (raddr_t)L->object.var_size, &nf, 8, NULL) < 0 || n != nf || n < 0 || n > 1 << 16)
		return false;
	strbuf_addf(&c->sb, "%s(", name);
	if (n && repr_enter(c, obj, level, "...")) {
		size_t k = repr_item_cap(c, (uint64_t)n), i = 0;
		for (; i < k && !strbuf_full(&c->sb) && !c->fatal; i++) {
			char fname[128];
			struct pyspy_err e = { 0 };
			if (remote_read_ptr(&c->t->mem, fields + (raddr_t)L->tuple.items + i * 8, &items[0], &e) < 0 ||
			    remote_read_ptr(&c->t->mem, obj + (raddr_t)L->tuple.items + i * 8, &items[1], &e) < 0) {
				repr_unreadable(c, &e);
				break;
			}
			if (pyobj_str(c->t, items[0], fname, sizeof(fname), NULL, NULL) < 0)
				snprintf(fname, sizeof(fname), "?");
			strbuf_addf(&c->sb, "%s%s=", i ? ", " : "", fname);
			repr_obj(c, items[1], level + 1);
		}
		repr_more(c, i, (uint64_t)n);
		repr_leave(c);
	}
	strbuf_addch(&c->sb, ')');
	return true;
}

struct kv {
	raddr_t key, value;
	int64_t count;
	bool is_int;
};

struct kv_collect {
	struct target *t;
	struct kv *v;
	size_t n, cap;
};

static int kv_add(void *arg, raddr_t key, raddr_t value)
{
	struct kv_collect *k = arg;
	if (k->n >= k->cap)
		return 1;
	uint64_t mag;
	bool neg;
	struct kv *x = &k->v[k->n++];
	x->key = key;
	x->value = value;
	x->is_int = pyobj_int(k->t, value, &mag, &neg, NULL) == 0 && mag <= INT64_MAX;
	x->count = x->is_int ? (neg ? -(int64_t)mag : (int64_t)mag) : 0;
	return 0;
}

/* Up to STD_MAX_ITEMS items of a dict, in storage order; NULL when unreadable. */
static struct kv *kv_read(struct rctx *c, raddr_t dict, size_t *n)
{
	struct kv_collect k = { c->t, calloc(STD_MAX_ITEMS, sizeof(struct kv)), 0, STD_MAX_ITEMS };
	if (!k.v || pyobj_dict_foreach(c->t, dict, kv_add, &k, NULL) < 0) {
		free(k.v);
		return NULL;
	}
	*n = k.n;
	return k.v;
}

static void kv_print(struct rctx *c, const struct kv *v, size_t n, uint64_t total, int level, bool pairs)
{
	size_t k = repr_item_cap(c, total), i = 0;
	if (k > n)
		k = n;
	for (; i < k && !strbuf_full(&c->sb) && !c->fatal; i++) {
		if (i)
			strbuf_addstr(&c->sb, ", ");
		repr_pair(c, v[i].key, v[i].value, level, pairs);
	}
	repr_more(c, i, total);
}

static int64_t dict_used(struct rctx *c, raddr_t dict)
{
	int64_t used = -1;
	if (remote_read(&c->t->mem, dict + (raddr_t)c->t->layout.dict.used, &used, 8, NULL) < 0)
		return -1;
	return used;
}

/* Counter({'a': 5, 'b': 2}): most_common() order, a stable sort by count. */
static bool r_counter(struct rctx *c, raddr_t obj, const char *name, int level)
{
	int64_t used = dict_used(c, obj);
	size_t n = 0;
	if (used < 0)
		return false;
	if (used == 0) {
		strbuf_addf(&c->sb, "%s()", name);
		return true;
	}
	struct kv *v = kv_read(c, obj, &n);
	if (!v)
		return false;
	bool ints = true;
	for (size_t i = 0; i < n; i++)
		ints = ints && v[i].is_int;
	for (size_t i = 1; ints && i < n; i++) {        /* insertion sort: stable, and n is small */
		struct kv x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1].count < x.count; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	strbuf_addf(&c->sb, "%s(", name);
	if (repr_enter(c, obj, level, "{...}")) {
		strbuf_addch(&c->sb, '{');
		kv_print(c, v, n, (uint64_t)used, level, false);
		strbuf_addch(&c->sb, '}');
		repr_leave(c);
	}
	strbuf_addch(&c->sb, ')');
	free(v);
	return true;
}

/* 2.7's OrderedDict keeps its order in a linked list of [prev, next, key] lists. */
static bool r_odict_py(struct rctx *c, raddr_t obj, const char *name, int level)
{
	const struct py_layout *L = &c->t->layout;
	raddr_t root = std_attr(c, obj, "_OrderedDict__root"), link, tmp;
	int64_t used = dict_used(c, obj);
	size_t n = 0;
	if (!root || used < 0)
		return false;
	if (used == 0) {
		strbuf_addf(&c->sb, "%s()", name);
		return true;
	}
	struct kv *v = kv_read(c, obj, &n), *ordered = calloc(n + 1, sizeof(*ordered));
	size_t k = 0;
	if (!v || !ordered || remote_read_ptr(&c->t->mem, root + (raddr_t)L->list.items, &tmp, NULL) < 0 ||
	    remote_read_ptr(&c->t->mem, tmp + 8, &link, NULL) < 0)
		goto fail;
	while (link && link != root && k < n) {
		raddr_t items, key;
		if (remote_read_ptr(&c->t->mem, link + (raddr_t)L->list.items, &items, NULL) < 0 ||
		    remote_read_ptr(&c->t->mem, items + 16, &key, NULL) < 0 ||
		    remote_read_ptr(&c->t->mem, items + 8, &link, NULL) < 0)
			goto fail;
		size_t i = 0;
		while (i < n && v[i].key != key)
			i++;
		if (i == n)
			goto fail;
		ordered[k++] = v[i];
	}
	if (k != n)
		goto fail;
	strbuf_addf(&c->sb, "%s(", name);
	if (repr_enter(c, obj, level, "[...]")) {
		strbuf_addch(&c->sb, '[');
		kv_print(c, ordered, n, (uint64_t)used, level, true);
		strbuf_addch(&c->sb, ']');
		repr_leave(c);
	}
	strbuf_addch(&c->sb, ')');
	free(v);
	free(ordered);
	return true;
fail:
	free(v);
	free(ordered);
	return false;
}

/* The C OrderedDict's own order: a list of nodes {key, hash, next, prev}
 * from od_first, the field right after its PyDictObject (the dict's storage
 * order is only the insertion order: move_to_end() moves nodes).  ordered
 * gets v's items in that order; false if the list does not hold them all. */
static bool odict_order(struct rctx *c, raddr_t obj, const struct kv *v, size_t n, struct kv *ordered)
{
	const struct py_layout *L = &c->t->layout;
	raddr_t node = 0, nd[3];
	size_t k = 0;
	if (L->dict.size <= 0 || remote_read_ptr(&c->t->mem, obj + (raddr_t)L->dict.size, &node, NULL) < 0)
		return false;
	for (; node && k < n; node = nd[2]) {
		if (remote_read(&c->t->mem, node, nd, sizeof(nd), NULL) < 0)
			return false;
		size_t i = 0;
		while (i < n && v[i].key != nd[0])
			i++;
		if (i == n)
			return false;
		ordered[k++] = v[i];
	}
	return k == n && !node;
}

/* OrderedDict (the C one, 3.x), in its node list's order. */
static bool r_odict(struct rctx *c, raddr_t obj, const char *name, int level)
{
	struct repr_dialect d;
	if (c->py2)
		return r_odict_py(c, obj, name, level);
	int64_t used = dict_used(c, obj);
	size_t n = 0;
	if (used < 0)
		return false;
	if (used == 0) {
		strbuf_addf(&c->sb, "%s()", name);
		return true;
	}
	bool pairs = repr_dialect(c, &d)->odict_pairs;
	struct kv *v = used <= STD_MAX_ITEMS ? kv_read(c, obj, &n) : NULL;
	struct kv *ordered = v ? calloc(n + 1, sizeof(*ordered)) : NULL;
	strbuf_addf(&c->sb, "%s(", name);
	if (ordered && odict_order(c, obj, v, n, ordered)) {
		if (repr_enter(c, obj, level, pairs ? "[...]" : "{...}")) {
			strbuf_addch(&c->sb, pairs ? '[' : '{');
			kv_print(c, ordered, n, (uint64_t)used, level, pairs);
			strbuf_addch(&c->sb, pairs ? ']' : '}');
			repr_leave(c);
		}
	} else
		repr_dict_as(c, obj, level, pairs);   /* too big, or torn: the storage (insertion) order */
	strbuf_addch(&c->sb, ')');
	free(v);
	free(ordered);
	return true;
}

/* <Color.RED: 1> */
static bool r_enum(struct rctx *c, raddr_t obj, const char *name, int level)
{
	raddr_t member = std_attr(c, obj, "_name_"), value = std_attr(c, obj, "_value_");
	char text[128];
	if (!member || !value || pyobj_str(c->t, member, text, sizeof(text), NULL, NULL) < 0)
		return false;
	strbuf_addf(&c->sb, "<%s.%s: ", name, text);
	repr_obj(c, value, level + 1);
	strbuf_addch(&c->sb, '>');
	return true;
}

/* Fraction(3, 4): both ints as str() prints them (no 2.7 'L'). */
static bool r_fraction(struct rctx *c, raddr_t obj, const char *name)
{
	raddr_t num = std_attr(c, obj, "_numerator"), den = std_attr(c, obj, "_denominator");
	const struct type_info *a, *b;
	if (!num || !den || pyobj_type(c->t, num, &a, NULL) < 0)
		return false;
	enum pyobj_kind ka = pyobj_kind(c->t, a);
	struct type_info ta = *a;
	if (pyobj_type(c->t, den, &b, NULL) < 0)
		return false;
	enum pyobj_kind kb = pyobj_kind(c->t, b);
	struct type_info tb = *b;
	if ((ka != PYK_INT && ka != PYK_LONG) || (kb != PYK_INT && kb != PYK_LONG))
		return false;
	strbuf_addf(&c->sb, "%s(", name);
	repr_int(c, num, &ta, false);
	strbuf_addstr(&c->sb, ", ");
	repr_int(c, den, &tb, false);
	strbuf_addch(&c->sb, ')');
	return true;
}

/* UUID('12345678-1234-5678-1234-567812345678') from its 128-bit int. */
static bool r_uuid(struct rctx *c, raddr_t obj, const char *name)
{
	raddr_t v = std_attr(c, obj, "int");
	uint8_t b[16];
	if (!v || std_read_u128(c, v, b) < 0)
		return false;
	char hex[33];
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", b[15 - i]);
	strbuf_addf(&c->sb, "%s('%.8s-%.4s-%.4s-%.4s-%.12s')", name, hex, hex + 8, hex + 12, hex + 16, hex + 20);
	return true;
}

/* Decimal('-1.50') written in Python (2.7, _pydecimal): _sign, _int (the
 * digits as a str), _exp (an int, or 'n', 'N', 'F' for the specials). */
static bool r_decimal_py(struct rctx *c, raddr_t obj, const char *name)
{
	raddr_t sign = std_attr(c, obj, "_sign"), digits = std_attr(c, obj, "_int"), exp = std_attr(c, obj, "_exp");
	char dig[1024], special[4];
	uint64_t smag, emag;
	bool neg, eneg;
	size_t n;
	if (!sign || !digits || !exp || pyobj_int(c->t, sign, &smag, &neg, NULL) < 0 ||
	    pyobj_str(c->t, digits, dig, sizeof(dig), &n, NULL) < 0 || n + 1 >= sizeof(dig))
		return false;
	struct dec_text d = { .negative = smag != 0, .digits = dig, .ndigits = n };
	if (pyobj_int(c->t, exp, &emag, &eneg, NULL) == 0)
		d.exp = eneg ? -(int64_t)emag : (int64_t)emag;
	else if (pyobj_str(c->t, exp, special, sizeof(special), NULL, NULL) == 0 && special[1] == '\0' &&
		 strchr("nNF", special[0]))
		d.special = special[0] == 'F' ? 'I' : special[0] == 'n' ? 'q' : 's';
	else
		return false;
	strbuf_addf(&c->sb, "%s('", name);
	std_decimal_text(&c->sb, &d);
	strbuf_addstr(&c->sb, "')");
	return true;
}

/* ---- dispatch ---- */

bool repr_stdlib(struct rctx *c, raddr_t obj, const struct type_info *ti, int level)
{
	/* the cache entry can be replaced by any read of another type: keep a copy */
	struct type_info self = *ti;
	if (!self.tag) {
		const struct type_info *again;
		self.tag = classify(c, &self);
		/* the tag is stored with the type's cache entry, wherever it is now */
		if (pyobj_type_at(c->t, self.addr, &again, NULL) == 0)
			((struct type_info *)again)->tag = self.tag;
	}
	if (self.tag == STD_NONE)
		return false;
	const char *shortname = std_short_name(self.name);
	size_t mark = c->sb.nchars;
	bool was_cut = c->sb.truncated, ok;
	switch (self.tag) {
	case STD_NAMEDTUPLE: ok = r_namedtuple(c, obj, self.addr, shortname, level); break;
	case STD_ODICT: ok = r_odict(c, obj, shortname, level); break;
	case STD_COUNTER: ok = r_counter(c, obj, shortname, level); break;
	case STD_ENUM: ok = r_enum(c, obj, shortname, level); break;
	case STD_PATH: ok = repr_path(c, obj, shortname); break;
	case STD_FRACTION: ok = r_fraction(c, obj, shortname); break;
	case STD_UUID: ok = r_uuid(c, obj, shortname); break;
	case STD_SET_SUB:
	case STD_FROZENSET_SUB:
		repr_set(c, obj, level, self.tag == STD_FROZENSET_SUB, c->py2 ? self.name : shortname);
		ok = true;
		break;
	case STD_DECIMAL:
		ok = (self.flags & PYOBJ_TPFLAGS_HEAPTYPE) && !strchr(self.name, '.') ? r_decimal_py(c, obj, shortname)
			: repr_cdata(c, obj, &self, level);
		break;
	default: ok = repr_cdata(c, obj, &self, level); break;
	}
	if (!ok && !c->fatal) {          /* not what the type keeps: print it as any object */
		strbuf_cut_chars(&c->sb, mark);
		c->sb.truncated = was_cut;
	}
	return ok || c->fatal;
}
