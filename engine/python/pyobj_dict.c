/*
 * pyobj_dict.c — dict lookups and instance attributes in remote memory.
 *
 * Three dict generations, chosen by the layout's dict model: 2.7's open
 * table, the 3.6 compact dict, the 3.11 keys with kinds.  Instance attributes
 * additionally live in split "values" (3.11+), which pair with the type's
 * cached keys; the instance-dict model says where.  Every table size read
 * from the target is capped before it sizes a read.
 */
#include "pyobj.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define DICT_MAX_ENTRIES (1u << 20)

struct dict_scan {
	raddr_t entries;           /* address of the first entry */
	uint64_t count;            /* entries to look at */
	uint32_t entry_size;
	int32_t key_off, value_off;
	raddr_t values;            /* split table: values[i], or 0 */
};

static int visit_entries(struct target *t, const struct dict_scan *d, dict_visit_fn fn, void *arg, struct pyspy_err *e)
{
	uint8_t buf[4096];
	raddr_t vals[512];
	/* entry sizes come from the layout: a stride the key and value fit in */
	if (d->entry_size < 16 || d->entry_size > 64 || d->key_off < 0 || d->value_off < 0 ||
	    (uint32_t)d->key_off + 8 > d->entry_size || (uint32_t)d->value_off + 8 > d->entry_size)
		return err_set(e, PS_EUNSUP, "no usable dict entry layout");
	uint64_t per = sizeof(buf) / d->entry_size;
	if (d->count > DICT_MAX_ENTRIES)
		return err_set(e, PS_ECORRUPT, "dict with %" PRIu64 " entries is implausible", d->count);
	for (uint64_t i = 0; i < d->count; i += per) {
		if (pyspy_interrupted)
			return err_set(e, PS_EINTR, "interrupted");
		uint64_t n = d->count - i < per ? d->count - i : per;
		if (n > 512)
			n = 512;
		int rc = remote_read(&t->mem, d->entries + i * d->entry_size, buf, n * d->entry_size, e);
		if (rc == 0 && d->values)
			rc = remote_read(&t->mem, d->values + i * 8, vals, n * 8, e);
		if (rc < 0)
			return rc;
		for (uint64_t j = 0; j < n; j++) {
			raddr_t key = rbuf_u64(buf, (int32_t)(j * d->entry_size) + d->key_off);
			raddr_t value = d->values ? vals[j] : rbuf_u64(buf, (int32_t)(j * d->entry_size) + d->value_off);
			if (key && value && (rc = fn(arg, key, value)) != 0)
				return rc > 0 ? 0 : rc;
		}
		if (n < per && i + n < d->count)
			per = n;
	}
	return 0;
}

/* Describe the entries of a keys object (3.6+), with an optional split values array. */
static int keys_scan(struct target *t, raddr_t keys, raddr_t values, struct dict_scan *d, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint8_t kb[128];
	if (L->dictkeys.indices <= 0 || L->dictkeys.indices > (int32_t)sizeof(kb))
		return err_set(e, PS_EUNSUP, "no usable dict keys layout");
	int rc = remote_read(&t->mem, keys, kb, (size_t)L->dictkeys.indices, e);
	if (rc < 0)
		return rc;
	uint64_t index_bytes;
	memset(d, 0, sizeof(*d));
	d->count = rbuf_u64(kb, L->dictkeys.nentries);
	d->entry_size = (uint32_t)L->dictkeys.entry_size;
	d->key_off = 8;
	d->value_off = 16;
	if (L->dict_model == DICT_MODEL_COMPACT311) {
		if (L->dictkeys.log2_size < 0 || L->dictkeys.log2_index_bytes < 0 || L->dictkeys.kind < 0)
			return err_set(e, PS_EUNSUP, "no usable dict keys layout");
		unsigned log2_size = kb[L->dictkeys.log2_size];
		unsigned log2_ib = kb[L->dictkeys.log2_index_bytes];
		if (log2_size > 40 || log2_ib > 43)
			return err_set(e, PS_ECORRUPT, "dict keys at 0x%" PRIx64 " have a bad size", keys);
		index_bytes = 1ull << log2_ib;
		if (kb[L->dictkeys.kind] != 0) {
			d->entry_size = (uint32_t)L->dictkeys.unicode_entry_size;
			d->key_off = 0;
			d->value_off = 8;
		}
	} else {
		uint64_t size = rbuf_u64(kb, L->dictkeys.dk_size);
		if (size > (1ull << 40))
			return err_set(e, PS_ECORRUPT, "dict keys at 0x%" PRIx64 " have a bad size", keys);
		index_bytes = size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffull ? 4 : 8);
	}
	d->entries = keys + (raddr_t)L->dictkeys.indices + index_bytes;
	d->values = values ? values + (raddr_t)L->dictvalues.values : 0;
	return 0;
}

int pyobj_dict_foreach(struct target *t, raddr_t dict, dict_visit_fn fn, void *arg, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint8_t db[256];
	struct dict_scan d;
	if (L->dict.size <= 0 || L->dict.size > (int32_t)sizeof(db))
		return err_set(e, PS_EUNSUP, "no usable dict layout");
	int rc = remote_read(&t->mem, dict, db, (size_t)L->dict.size, e);
	if (rc < 0)
		return rc;
	if (L->dict_model == DICT_MODEL_PY2) {
		memset(&d, 0, sizeof(d));
		d.entries = rbuf_u64(db, L->dict.py2_table);
		d.count = rbuf_u64(db, L->dict.py2_mask) + 1;
		d.entry_size = (uint32_t)L->dict.py2_entry_size;
		d.key_off = 8;
		d.value_off = 16;
	} else if ((rc = keys_scan(t, rbuf_u64(db, L->dict.keys), rbuf_u64(db, L->dict.values), &d, e)) < 0)
		return rc;
	return visit_entries(t, &d, fn, arg, e);
}

struct find_str {
	struct target *t;
	const char *name;
	raddr_t value;
};

static int match_str(void *arg, raddr_t key, raddr_t value)
{
	struct find_str *f = arg;
	char buf[256];
	if (pyobj_str(f->t, key, buf, sizeof(buf), NULL, NULL) == 0 && strcmp(buf, f->name) == 0) {
		f->value = value;
		return 1;
	}
	return 0;
}

int pyobj_dict_get_str(struct target *t, raddr_t dict, const char *name, raddr_t *value, struct pyspy_err *e)
{
	struct find_str f = { t, name, 0 };
	int rc = pyobj_dict_foreach(t, dict, match_str, &f, e);
	*value = f.value;
	return rc;
}

struct find_int {
	struct target *t;
	uint64_t n;
	raddr_t value;
};

static int match_int(void *arg, raddr_t key, raddr_t value)
{
	struct find_int *f = arg;
	uint64_t mag;
	bool neg;
	if (pyobj_int(f->t, key, &mag, &neg, NULL) == 0 && (neg ? (uint64_t)0 - mag : mag) == f->n) {
		f->value = value;
		return 1;
	}
	return 0;
}

int pyobj_dict_get_int(struct target *t, raddr_t dict, uint64_t n, raddr_t *value, struct pyspy_err *e)
{
	struct find_int f = { t, n, 0 };
	int rc = pyobj_dict_foreach(t, dict, match_int, &f, e);
	*value = f.value;
	return rc;
}

/* ---- instance attributes ---- */

static int split_get(struct target *t, raddr_t keys, raddr_t values, const char *name, raddr_t *value, struct pyspy_err *e)
{
	struct dict_scan d;
	struct find_str f = { t, name, 0 };
	int rc = keys_scan(t, keys, values, &d, e);
	if (rc == 0)
		rc = visit_entries(t, &d, match_str, &f, e);
	*value = f.value;
	return rc;
}

/* Where obj keeps its attributes: a dict (*dict), or split values (*values)
 * that pair with the type's cached keys (*keys); all 0 when it has none. */
static int attr_storage(struct target *t, raddr_t obj, raddr_t *dict, raddr_t *keys, raddr_t *values, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	const struct type_info *ti;
	raddr_t slot = 0, vals = 0;
	int rc = pyobj_type(t, obj, &ti, e);

	*dict = *keys = *values = 0;
	if (rc < 0)
		return rc;
	if (L->instdict_model == INSTDICT_MODEL_OFFSET || !(ti->flags & L->tpflags.managed_dict)) {
		if (ti->dictoffset <= 0)
			return 0;
		return remote_read_ptr(&t->mem, obj + (raddr_t)ti->dictoffset, dict, e);
	}
	rc = remote_read_ptr(&t->mem, obj + (raddr_t)(int64_t)L->managed_dict_offset, &slot, e);
	if (rc < 0)
		return rc;
	switch (L->instdict_model) {
	case INSTDICT_MODEL_OFFSET:
		break;
	case INSTDICT_MODEL_MANAGED311:
		if (!slot)
			rc = remote_read_ptr(&t->mem, obj + (raddr_t)(int64_t)L->managed_values_offset, &vals, e);
		break;
	case INSTDICT_MODEL_MANAGED312:
		if (slot & 1) {
			/* tagged: the values pointer is stored minus one */
			vals = slot + 1;
			slot = 0;
		}
		break;
	case INSTDICT_MODEL_INLINE313:
		if (!slot && (ti->flags & L->tpflags.inline_values)) {
			uint8_t valid = 0;
			vals = obj + (raddr_t)ti->basicsize;
			if (L->dictvalues.valid >= 0)
				rc = remote_read(&t->mem, vals + (raddr_t)L->dictvalues.valid, &valid, 1, e);
			if (!valid)
				vals = 0;
		}
		break;
	}
	*dict = slot;
	if (vals && ti->cached_keys) {
		*values = vals;
		*keys = ti->cached_keys;
	}
	return rc;
}

int pyobj_attr_dict(struct target *t, raddr_t obj, raddr_t *dict, struct pyspy_err *e)
{
	raddr_t keys, values;
	return attr_storage(t, obj, dict, &keys, &values, e);
}

int pyobj_attr(struct target *t, raddr_t obj, const char *name, raddr_t *value, struct pyspy_err *e)
{
	raddr_t dict, keys, values;
	int rc = attr_storage(t, obj, &dict, &keys, &values, e);

	*value = 0;
	if (rc < 0)
		return rc;
	if (dict)
		return pyobj_dict_get_str(t, dict, name, value, e);
	if (values)
		return split_get(t, keys, values, name, value, e);
	return 0;
}

int pyobj_attr_foreach(struct target *t, raddr_t obj, dict_visit_fn fn, void *arg, struct pyspy_err *e)
{
	raddr_t dict, keys, values;
	struct dict_scan d;
	int rc = attr_storage(t, obj, &dict, &keys, &values, e);

	if (rc < 0)
		return rc;
	if (dict)
		return pyobj_dict_foreach(t, dict, fn, arg, e);
	if (!values)
		return 0;
	if ((rc = keys_scan(t, keys, values, &d, e)) < 0)
		return rc;
	return visit_entries(t, &d, fn, arg, e);
}
