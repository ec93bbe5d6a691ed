/*
 * pyslots.c — the values an instance keeps in __slots__.
 *
 * A class with __slots__ has no per-instance dict for those names: each slot
 * is a pointer at a fixed offset inside the object, described by a PyMemberDef
 * that type_new() wrote right after the heap type object itself (at
 * type + Py_TYPE(type)->tp_basicsize; Py_SIZE(type) of them).  So reading the
 * slots of an instance means walking its type and heap base types, reading
 * their member tables, and then one pointer per slot.  Static (C) types are
 * never walked: their members are C fields, not Python values.
 *
 * Member type codes are the stable ABI's T_OBJECT (6) and T_OBJECT_EX (16);
 * only those hold object pointers.
 */
#include <inttypes.h>
#include <string.h>

#include "engine/python/pyobj.h"

#define SLOTS_MAX_TYPES 8
#define SLOTS_MAX_PER_TYPE 256
#define MEMBER_T_OBJECT 6
#define MEMBER_T_OBJECT_EX 16

static int member_name(struct target *t, raddr_t at, const char **out, struct pyspy_err *e)
{
	char name[128];
	memset(name, 0, sizeof(name));
	int rc;
	if (remote_read(&t->mem, at, name, sizeof(name) - 1, NULL) < 0 &&
	    (rc = remote_read(&t->mem, at, name, 16, e)) < 0)
		return rc;
	name[sizeof(name) - 1] = '\0';
	*out = strtab_intern(&t->strings, name, strlen(name));
	return *out ? 0 : err_set(e, PS_ENOMEM, "out of memory");
}

/* Visit the slots one heap type declares itself. */
static int type_slots(struct target *t, raddr_t obj, raddr_t type, slot_visit_fn fn, void *arg, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	const struct type_info *meta;
	int64_t n;
	uint8_t buf[SLOTS_MAX_PER_TYPE * 64];
	int rc;

	if (L->member.size <= 0 || L->member.size > 64)
		return 0;
	if ((rc = remote_read(&t->mem, type + (raddr_t)L->object.var_size, &n, sizeof(n), e)) < 0 ||
	    (rc = pyobj_type(t, type, &meta, e)) < 0)
		return rc;
	if (n <= 0)
		return 0;
	if (n > SLOTS_MAX_PER_TYPE || meta->basicsize <= 0 || meta->basicsize > 1 << 16)
		return err_set(e, PS_ECORRUPT, "type at 0x%" PRIx64 " has %" PRId64 " slots", type, n);
	size_t msz = (size_t)L->member.size;
	if ((rc = remote_read(&t->mem, type + (raddr_t)meta->basicsize, buf, (size_t)n * msz, e)) < 0)
		return rc;
	for (int64_t i = 0; i < n; i++) {
		const uint8_t *m = buf + (size_t)i * msz;
		int32_t kind;
		int64_t off;
		raddr_t name, value;
		const char *s;
		memcpy(&kind, m + L->member.type, sizeof(kind));
		memcpy(&off, m + L->member.offset, sizeof(off));
		memcpy(&name, m + L->member.name, sizeof(name));
		if ((kind != MEMBER_T_OBJECT && kind != MEMBER_T_OBJECT_EX) || off <= 0 || off > 1 << 20)
			continue;
		if ((rc = remote_read_ptr(&t->mem, obj + (raddr_t)off, &value, e)) < 0)
			return rc;
		if (!value)
			continue;
		if ((rc = member_name(t, name, &s, e)) < 0)
			return rc;
		if ((rc = fn(arg, s, value)) != 0)
			return rc;
	}
	return 0;
}

int pyobj_slots_foreach(struct target *t, raddr_t obj, slot_visit_fn fn, void *arg, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	const struct type_info *ti;
	raddr_t type;
	int rc = remote_read_ptr(&t->mem, obj + (raddr_t)L->object.type, &type, e);

	for (int depth = 0; rc == 0 && type && depth < SLOTS_MAX_TYPES; depth++) {
		if ((rc = pyobj_type_at(t, type, &ti, e)) < 0)
			return rc;
		if (!(ti->flags & PYOBJ_TPFLAGS_HEAPTYPE))
			return 0;
		if ((rc = type_slots(t, obj, type, fn, arg, e)) != 0)
			return rc > 0 ? 0 : rc;
		rc = remote_read_ptr(&t->mem, type + (raddr_t)L->type.base, &type, e);
	}
	return rc;
}
