/*
 * lookup.c — value_lookup(): the expressions of `print`.
 *
 * A tiny hand-written parser over NAME ( .ATTR | [INDEX] )*: no operators, no
 * calls, nothing that could need the target to run code, which pyspy-sh never
 * makes it do.  Each step reads one thing: a dict lookup, an attribute, an
 * item.  The errors read like Python's own, so the user knows which step
 * failed: "'Foo' object has no attribute 'y'", "key 'k' not found".
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "locals.h"
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

/* [KEY]: s points after '['; *end gets the position after ']'. */
static int get_item(struct target *t, raddr_t obj, const char *s, const char **end, raddr_t *out, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	const struct type_info *ti;
	char key[NAME_MAX_LEN];
	bool is_str = *s == '\'' || *s == '"';
	int64_t index = 0;
	int rc;

	if (is_str) {
		const char *close = strchr(s + 1, *s);
		if (!close || close[1] != ']' || (size_t)(close - s - 1) >= sizeof(key))
			return err_set(e, PS_EARG, "bad key at '%s': expected ['key']", s);
		memcpy(key, s + 1, (size_t)(close - s - 1));
		key[close - s - 1] = '\0';
		*end = close + 2;
	} else {
		char *stop;
		errno = 0;
		index = strtoll(s, &stop, 10);
		if (stop == s || *stop != ']' || errno)
			return err_set(e, PS_EARG, "bad index at '%s': expected [number] or ['key']", s);
		*end = stop + 1;
	}
	if ((rc = pyobj_type(t, obj, &ti, e)) < 0)
		return rc;
	uint64_t f = ti->flags;
	if (f & L->tpflags.dict_subclass) {
		rc = is_str ? pyobj_dict_get_str(t, obj, key, out, e) : pyobj_dict_get_int(t, obj, (uint64_t)index, out, e);
		if (rc < 0 || *out)
			return rc;
		if (is_str)
			return err_set(e, PS_EARG, "key '%s' not found", key);
		return err_set(e, PS_EARG, "key %" PRId64 " not found", index);
	}
	if (!is_str && (f & (L->tpflags.list_subclass | L->tpflags.tuple_subclass)))
		return seq_item(t, obj, !(f & L->tpflags.list_subclass), index, out, e);
	return err_set(e, PS_EARG, "'%s' object is not subscriptable%s", ti->name, is_str ? " by a str key" : "");
}

int value_lookup(struct target *t, const struct py_frame *f, const char *expr, raddr_t *out, struct pyspy_err *e)
{
	char name[NAME_MAX_LEN];
	const char *s = expr;
	int rc;

	while (isspace((unsigned char)*s))
		s++;
	size_t n = ident_len(s);
	if (n == 0 || n >= sizeof(name))
		return err_set(e, PS_EARG, "expected a name at '%s'", s);
	memcpy(name, s, n);
	name[n] = '\0';
	if ((rc = lookup_name(t, f, name, out, e)) < 0)
		return rc;
	for (s += n; *s && !isspace((unsigned char)*s);) {
		if (*s == '.') {
			n = ident_len(++s);
			if (n == 0 || n >= sizeof(name))
				return err_set(e, PS_EARG, "expected an attribute name at '%s'", s);
			memcpy(name, s, n);
			name[n] = '\0';
			s += n;
			rc = get_attr(t, *out, name, out, e);
		} else if (*s == '[') {
			rc = get_item(t, *out, s + 1, &s, out, e);
		} else
			return err_set(e, PS_EARG, "unexpected '%c' in '%s'", *s, expr);
		if (rc < 0)
			return rc;
	}
	while (isspace((unsigned char)*s))
		s++;
	return *s ? err_set(e, PS_EARG, "unexpected text '%s' after the expression", s) : 0;
}
