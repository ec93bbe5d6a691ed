/*
 * lookup.c — value_lookup(): the expressions of `print`.
 *
 * A tiny hand-written parser over NAME ( .ATTR | [INDEX] | [A:B] | [KEY] )*:
 * no operators, no calls, nothing that could need the target to run code,
 * which pyspy-sh never makes it do.  Each step reads one thing: a dict
 * lookup, an attribute, an item.  A step may name something that is not an
 * object in memory (a slice, one character of a str): the result is then a
 * struct value_ref, a part of the object the step started from, which
 * repr_ref() prints as Python would print the new object.
 *
 * The errors read like Python's own and, past the first name, start with the
 * part of the expression that failed, so the user knows which step it was:
 * "point.y[5]: index 5 out of range (len 2)".
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locals.h"
#include "lookup_key.h"
#include "repr.h"
#include "engine/python/pyobj.h"

#define NAME_MAX_LEN 256
#define MAX_BASES 32

static size_t ident_len(const char *s)
{
	size_t n = 0;
	if (!(isalpha((unsigned char)s[0]) || s[0] == '_' || (unsigned char)s[0] >= 0x80))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' || (unsigned char)s[n] >= 0x80)
		n++;
	return n;
}

static int lookup_name(struct target *t, const struct py_frame *f, const char *name, raddr_t *out, struct pyspy_err *e)
{
	struct py_var *vars;
	size_t n;
	raddr_t dict;
	int rc = locals_read(t, f, &vars, &n, e);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(vars[i].name, name) == 0) {
			*out = vars[i].value;
			free(vars);
			return *out ? 0 : err_set(e, PS_EARG, "local variable '%s' is unbound", name);
		}
	}
	free(vars);
	if ((rc = globals_dict(t, f, &dict, e)) < 0 || (rc = pyobj_dict_get_str(t, dict, name, out, e)) < 0)
		return rc;
	if (*out)
		return 0;
	if (builtins_dict(t, f, &dict, NULL) == 0 && dict && pyobj_dict_get_str(t, dict, name, out, NULL) == 0 && *out)
		return 0;
	return err_set(e, PS_EARG, "no local or global named '%s'", name);
}

/* A class attribute: the type's own dict, then its bases through tp_base. */
static int class_attr(struct target *t, raddr_t type, const char *name, raddr_t *out, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	*out = 0;
	for (int i = 0; type && i < MAX_BASES; i++) {
		raddr_t dict = 0;
		int rc = remote_read_ptr(&t->mem, type + (raddr_t)L->type.dict, &dict, e);
		if (rc < 0)
			return rc;
		if (dict && (rc = pyobj_dict_get_str(t, dict, name, out, e)) < 0)
			return rc;
		if (*out)
			return 0;
		if ((rc = remote_read_ptr(&t->mem, type + (raddr_t)L->type.base, &type, e)) < 0)
			return rc;
	}
	return 0;
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

static int seq_item(struct target *t, raddr_t obj, bool tuple, int64_t index, raddr_t *out, struct pyspy_err *e);

/* A namedtuple's field: the item at the name's place in the class's _fields
 * (the class attribute itself is only the descriptor that reads it). */
static int field_item(struct target *t, raddr_t obj, raddr_t type, const char *name, raddr_t *out, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	raddr_t fields = 0, item;
	int64_t n;
	char text[NAME_MAX_LEN];
	int rc = class_attr(t, type, "_fields", &fields, e);
	if (rc < 0 || !fields || remote_read(&t->mem, fields + (raddr_t)L->object.var_size, &n, sizeof(n), NULL) < 0)
		return rc;
	for (int64_t i = 0; i < n && i < 4096; i++) {
		if (remote_read_ptr(&t->mem, fields + (raddr_t)L->tuple.items + (raddr_t)i * 8, &item, e) < 0)
			return -e->code;
		if (pyobj_str(t, item, text, sizeof(text), NULL, NULL) == 0 && strcmp(text, name) == 0)
			return seq_item(t, obj, true, i, out, e);
	}
	return 0;
}

static int get_attr(struct target *t, raddr_t obj, const char *name, raddr_t *out, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	const struct type_info *ti;
	int rc = pyobj_type(t, obj, &ti, e);
	if (rc < 0)
		return rc;
	char tname[sizeof(ti->name)];
	memcpy(tname, ti->name, sizeof(tname));
	bool heap = ti->flags & PYOBJ_TPFLAGS_HEAPTYPE;
	bool tuple = heap && (ti->flags & L->tpflags.tuple_subclass);
	raddr_t type = ti->addr;
	if (ti->flags & L->tpflags.type_subclass) {
		if ((rc = class_attr(t, obj, name, out, e)) < 0)
			return rc;
		return *out ? 0 : err_set(e, PS_EARG, "class has no attribute '%s'", name);
	}
	if (!heap && strcmp(tname, "module") == 0) {
		raddr_t dict = 0;
		if ((rc = remote_read_ptr(&t->mem, obj + (raddr_t)L->module.dict, &dict, e)) < 0 ||
		    (dict && (rc = pyobj_dict_get_str(t, dict, name, out, e)) < 0))
			return rc;
		return *out ? 0 : err_set(e, PS_EARG, "module has no attribute '%s'", name);
	}
	if ((rc = pyobj_attr(t, obj, name, out, e)) < 0)
		return rc;
	if (*out)
		return 0;
	struct slot_find s = { name, 0 };
	if ((rc = pyobj_slots_foreach(t, obj, slot_match, &s, e)) < 0)
		return rc;
	*out = s.value;
	if (!*out && tuple && (rc = field_item(t, obj, type, name, out, e)) < 0)
		return rc;
	return *out ? 0 : err_set(e, PS_EARG, "'%s' object has no attribute '%s'", tname, name);
}

static int seq_item(struct target *t, raddr_t obj, bool tuple, int64_t index, raddr_t *out, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	int64_t n;
	raddr_t items = obj + (raddr_t)L->tuple.items;
	int rc = remote_read(&t->mem, obj + (raddr_t)L->object.var_size, &n, sizeof(n), e);
	if (rc == 0 && !tuple)
		rc = remote_read_ptr(&t->mem, obj + (raddr_t)L->list.items, &items, e);
	if (rc < 0)
		return rc;
	int64_t i = index < 0 ? index + n : index;
	if (n < 0 || i < 0 || i >= n)
		return err_set(e, PS_EARG, "index %" PRId64 " out of range (len %" PRId64 ")", index, n);
	if ((rc = remote_read_ptr(&t->mem, items + (raddr_t)i * 8, out, e)) < 0)
		return rc;
	return *out ? 0 : err_set(e, PS_ECORRUPT, "item %" PRId64 " is NULL", index);
}


/* len() of a str, bytes, list or tuple; -1 (with the kind in *kind) for anything else. */
static int seq_len(struct target *t, raddr_t obj, enum pyobj_kind *kind, char *tname, size_t tcap, int64_t *n, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	const struct type_info *ti;
	int rc = pyobj_type(t, obj, &ti, e);
	if (rc < 0)
		return rc;
	*kind = pyobj_kind(t, ti);
	snprintf(tname, tcap, "%s", ti->name);
	*n = -1;
	switch (*kind) {
	case PYK_STR:
		rc = remote_read(&t->mem, obj + (raddr_t)L->unicode.length, n, sizeof(*n), e);
		break;
	case PYK_BYTES:
	case PYK_LIST:
	case PYK_TUPLE:
		rc = remote_read(&t->mem, obj + (raddr_t)L->object.var_size, n, sizeof(*n), e);
		break;
	default:
		return 0;
	}
	if (rc == 0 && *n < 0)
		rc = err_set(e, PS_ECORRUPT, "'%s' object at 0x%" PRIx64 " has a bad length", tname, obj);
	return rc;
}

static bool is_type(struct target *t, raddr_t obj, char *tname, size_t cap)
{
	const struct type_info *ti;
	if (pyobj_type(t, obj, &ti, NULL) < 0)
		return false;
	snprintf(tname, cap, "%s", ti->name);
	return pyobj_static_named(ti, "type") || (ti->flags & t->layout.tpflags.type_subclass);
}

/* __class__, __dict__, __name__, __qualname__: what Python's object and type give every object. */
static int special_attr(struct target *t, raddr_t obj, const char *name, struct value_ref *out, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	char tname[64];
	bool type = is_type(t, obj, tname, sizeof(tname));
	int rc;
	if (strcmp(name, "__class__") == 0)
		return remote_read_ptr(&t->mem, obj + (raddr_t)L->object.type, &out->obj, e);
	if (strcmp(name, "__dict__") == 0) {
		if (type) {
			if ((rc = remote_read_ptr(&t->mem, obj + (raddr_t)L->type.dict, &out->obj, e)) < 0)
				return rc;
			return out->obj ? 0 : err_set(e, PS_EARG, "this type keeps its __dict__ in the interpreter, not in the type");
		}
		if (strcmp(tname, "module") == 0)
			return remote_read_ptr(&t->mem, obj + (raddr_t)L->module.dict, &out->obj, e);
		if ((rc = pyobj_attr_dict(t, obj, &out->obj, e)) < 0 || out->obj)
			return rc;
		return err_set(e, PS_EARG, "'%s' object has no __dict__ object (3.11+ may keep its attributes inline "
			       "without one: print the object to see them)", tname);
	}
	if (!type || (strcmp(name, "__name__") != 0 && strcmp(name, "__qualname__") != 0))
		return 1;
	const struct type_info *self;
	if ((rc = pyobj_type_at(t, obj, &self, e)) < 0)
		return rc;
	if (self->flags & PYOBJ_TPFLAGS_HEAPTYPE) {
		int32_t off = name[2] == 'q' && L->type.ht_qualname >= 0 ? L->type.ht_qualname : L->type.ht_name;
		if (off >= 0)
			return remote_read_ptr(&t->mem, obj + (raddr_t)off, &out->obj, e);
	}
	const char *dot = strrchr(self->name, '.');
	const char *text = dot ? dot + 1 : self->name;
	out->kind = VREF_TEXT;
	out->text = strtab_intern(&t->strings, text, strlen(text));
	return out->text ? 0 : err_set(e, PS_ENOMEM, "out of memory");
}

static int step_attr(struct target *t, struct value_ref *ref, const char *name, struct pyspy_err *e)
{
	if (ref->kind != VREF_OBJ)
		return err_set(e, PS_EARG, "a %s is not an object in the target: it has no attribute '%s'",
			       ref->kind == VREF_SLICE ? "slice" : ref->kind == VREF_ITEM ? "single item" : "name", name);
	struct value_ref r = { VREF_OBJ, 0, 0, 0, NULL };
	int rc = special_attr(t, ref->obj, name, &r, e);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		*ref = r;
		return 0;
	}
	return get_attr(t, ref->obj, name, &ref->obj, e);
}

/* Python's slice bounds: negative from the end, clamped to [0, n]. */
static int64_t clamp(int64_t v, int64_t n)
{
	if (v < 0)
		v += n;
	return v < 0 ? 0 : v > n ? n : v;
}

/* The text between '[' and its ']' (quotes and parentheses skipped over); NULL if none. */
static const char *bracket_end(const char *s)
{
	int depth = 0;
	for (char q = 0; *s; s++) {
		if (q) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == q)
				q = 0;
		} else if (*s == '\'' || *s == '"')
			q = *s;
		else if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
		else if (*s == ']' && depth <= 0)
			return s;
	}
	return NULL;
}

static bool parse_int(const char *s, const char *end, int64_t *v)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (s == end)
		return false;
	char buf[32], *stop;
	if ((size_t)(end - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(end - s));
	buf[end - s] = '\0';
	errno = 0;
	*v = strtoll(buf, &stop, 10);
	return *stop == '\0' && !errno;
}

/* [A:B] */
static int step_slice(struct target *t, struct value_ref *ref, const char *a, const char *colon, const char *b, struct pyspy_err *e)
{
	int64_t lo = 0, hi = INT64_MAX, n;
	bool has_lo = colon > a, has_hi = b > colon + 1;
	const char *p;
	for (p = a; p < colon && isspace((unsigned char)*p); p++)
		;
	has_lo = p < colon;
	for (p = colon + 1; p < b && isspace((unsigned char)*p); p++)
		;
	has_hi = p < b;
	if ((has_lo && !parse_int(a, colon, &lo)) || (has_hi && !parse_int(colon + 1, b, &hi)) || memchr(colon + 1, ':', (size_t)(b - colon - 1)))
		return err_set(e, PS_EARG, "bad slice '[%.*s]': expected [start:stop] with whole numbers", (int)(b - a), a);
	enum pyobj_kind kind;
	char tname[64];
	int64_t base = 0;
	if (ref->kind == VREF_SLICE) {
		base = ref->start;
		n = ref->stop - ref->start;
	} else if (ref->kind == VREF_OBJ) {
		int rc = seq_len(t, ref->obj, &kind, tname, sizeof(tname), &n, e);
		if (rc < 0)
			return rc;
		if (n < 0)
			return err_set(e, PS_EARG, "'%s' object is not sliceable here (only str, bytes, list and tuple)", tname);
	} else
		return err_set(e, PS_EARG, "a single item cannot be sliced further");
	lo = has_lo ? clamp(lo, n) : 0;
	hi = has_hi ? clamp(hi, n) : n;
	if (hi < lo)
		hi = lo;
	ref->kind = VREF_SLICE;
	ref->start = base + lo;
	ref->stop = base + hi;
	return 0;
}

/* [N] on a sequence, or on a part of one. */
static int step_index(struct target *t, struct value_ref *ref, int64_t index, struct pyspy_err *e)
{
	enum pyobj_kind kind;
	char tname[64];
	int64_t n, base = 0;
	if (ref->kind == VREF_TEXT || ref->kind == VREF_ITEM) {
		if (ref->kind == VREF_ITEM && t->layout.str_model != STR_MODEL_PY2 &&
		    seq_len(t, ref->obj, &kind, tname, sizeof(tname), &n, e) == 0 && kind == PYK_BYTES)
			return err_set(e, PS_EARG, "'int' object is not subscriptable");
		if (ref->kind == VREF_ITEM && (index == 0 || index == -1))
			return 0;
		return err_set(e, PS_EARG, "index %" PRId64 " of a one-character str is not there", index);
	}
	int rc = seq_len(t, ref->obj, &kind, tname, sizeof(tname), &n, e);
	if (rc < 0)
		return rc;
	if (n < 0)
		return 1;
	if (ref->kind == VREF_SLICE) {
		base = ref->start;
		n = ref->stop - ref->start;
	}
	int64_t i = index < 0 ? index + n : index;
	if (i < 0 || i >= n)
		return err_set(e, PS_EARG, "index %" PRId64 " out of range (len %" PRId64 ")", index, n);
	if (kind == PYK_LIST || kind == PYK_TUPLE) {
		ref->kind = VREF_OBJ;
		return seq_item(t, ref->obj, kind == PYK_TUPLE, base + i, &ref->obj, e);
	}
	ref->kind = VREF_ITEM;
	ref->start = base + i;
	ref->stop = base + i + 1;
	return 0;
}

/* [KEY], [N], [A:B]: s points after '['; *end gets the position after ']'. */
static int step_item(struct target *t, struct value_ref *ref, const char *s, const char **end, struct pyspy_err *e)
{
	const char *close = bracket_end(s);
	if (!close) {
		*end = s + strlen(s);
		return err_set(e, PS_EARG, "'[' without its ']' at '[%s'", s);
	}
	*end = close + 1;
	const char *colon = NULL;
	for (const char *p = s; p < close && !colon; p++)
		if (*p == ':')
			colon = p;
	int64_t index;
	bool number = parse_int(s, close, &index);
	if (colon && !memchr(s, '\'', (size_t)(close - s)) && !memchr(s, '"', (size_t)(close - s)))
		return step_slice(t, ref, s, colon, close, e);
	if (number) {
		int rc = step_index(t, ref, index, e);
		if (rc <= 0)
			return rc;
	} else if (ref->kind != VREF_OBJ)
		return err_set(e, PS_EARG, "a part of a str, bytes, list or tuple takes only [index] and [start:stop]");
	/* a dict, by key */
	const struct type_info *ti;
	int rc = pyobj_type(t, ref->obj, &ti, e);
	if (rc < 0)
		return rc;
	char tname[64];
	snprintf(tname, sizeof(tname), "%s", ti->name);
	if (!(ti->flags & t->layout.tpflags.dict_subclass)) {
		enum pyobj_kind kind;
		int64_t n;
		if (seq_len(t, ref->obj, &kind, tname, sizeof(tname), &n, e) == 0 && n >= 0)
			return err_set(e, PS_EARG, "'%s' indices must be whole numbers or start:stop, not %.*s", tname,
				       (int)(close - s), s);
		return err_set(e, PS_EARG, "'%s' object is not subscriptable", tname);
	}
	struct lookup_key k;
	raddr_t value = 0;
	if ((rc = lookup_key_parse(s, (size_t)(close - s), t->layout.str_model == STR_MODEL_PY2, &k, e)) == 0 &&
	    (rc = lookup_key_find(t, ref->obj, &k, &value, e)) == 0 && !value)
		rc = err_set(e, PS_EARG, "key %s not found", strbuf_str(&k.canon));
	lookup_key_release(&k);
	if (rc == 0)
		ref->obj = value;
	return rc;
}

int value_lookup_ref(struct target *t, const struct py_frame *f, const char *expr, struct value_ref *out, struct pyspy_err *e)
{
	char name[NAME_MAX_LEN];
	const char *s = expr;
	int rc;

	memset(out, 0, sizeof(*out));
	out->kind = VREF_OBJ;
	while (isspace((unsigned char)*s))
		s++;
	const char *first = s;
	size_t n = ident_len(s);
	if (n == 0 || n >= sizeof(name))
		return err_set(e, PS_EARG, "expected a name at '%s'", s);
	memcpy(name, s, n);
	name[n] = '\0';
	if ((rc = lookup_name(t, f, name, &out->obj, e)) < 0)
		return rc;
	for (s += n; *s && !isspace((unsigned char)*s);) {
		if (*s == '.') {
			n = ident_len(++s);
			if (n == 0 || n >= sizeof(name))
				return err_set(e, PS_EARG, "expected an attribute name at '%s'", s);
			memcpy(name, s, n);
			name[n] = '\0';
			s += n;
			rc = step_attr(t, out, name, e);
		} else if (*s == '[') {
			rc = step_item(t, out, s + 1, &s, e);
		} else
			return err_set(e, PS_EARG, "unexpected '%c' in '%s'", *s, expr);
		if (rc < 0) {
			if (e->code == PS_EARG)
				err_wrap(e, "%.*s", (int)(s - first), first);
			return rc;
		}
	}
	while (isspace((unsigned char)*s))
		s++;
	return *s ? err_set(e, PS_EARG, "unexpected text '%s' after the expression", s) : 0;
}

int value_lookup(struct target *t, const struct py_frame *f, const char *expr, raddr_t *out, struct pyspy_err *e)
{
	struct value_ref ref;
	int rc = value_lookup_ref(t, f, expr, &ref, e);
	if (rc < 0)
		return rc;
	*out = ref.obj;
	return ref.kind == VREF_OBJ ? 0 : err_set(e, PS_EARG, "'%s' is a part of a value, not an object", expr);
}
