/*
 * pyobj.c — decoding types, strings and ints from remote memory (dicts and
 * instance attributes: pyobj_dict.c).
 *
 * Three storage generations matter here, each chosen by a layout model:
 *  - str: 2.7's PyStringObject/PyUnicodeObject, or PEP 393's compact kinds;
 *  - int: a signed digit count in ob_size (≤3.11) or the lv_tag (3.12+);
 *  - dict: 2.7's open table, the 3.6 compact dict, the 3.11 keys with kinds;
 *    instance attributes additionally live in split "values" (3.11+), which
 *    pair with the type's cached keys.
 * A read of a small object grabs its header and a little inline data in one
 * go, so a short name costs one syscall.
 */
#include "pyobj.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/strbuf.h"

#define TYPECACHE_SLOTS 256
#define STR_MAX_BYTES (1u << 24)

struct typecache {
	struct type_info v[TYPECACHE_SLOTS];
};

int pyobj_type_at(struct target *t, raddr_t type, const struct type_info **out, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	if (!t->types) {
		if (!(t->types = calloc(1, sizeof(*t->types))))
			return err_set(e, PS_ENOMEM, "out of memory");
		target_on_detach(t, pyobj_release);
	}
	struct type_info *ti = &t->types->v[(type >> 4) % TYPECACHE_SLOTS];
	if (ti->addr == type && type) {
		*out = ti;
		return 0;
	}
	uint8_t buf[1024];
	size_t len = (size_t)(L->type.heap_size > 0 ? L->type.heap_size : L->type.size);
	if (len > sizeof(buf) || len == 0 || L->type.size <= 0 || (size_t)L->type.size > sizeof(buf))
		return err_set(e, PS_ECORRUPT, "type object layout too large");
	/* A static type is not a heap type: the tail may not exist.  Read the base part first. */
	int rc = remote_read(&t->mem, type, buf, (size_t)L->type.size, e);
	if (rc < 0)
		return rc;
	memset(ti, 0, sizeof(*ti));
	ti->flags = rbuf_u64(buf, L->type.flags);
	ti->dictoffset = (int64_t)rbuf_u64(buf, L->type.dictoffset);
	ti->basicsize = (int64_t)rbuf_u64(buf, L->type.basicsize);
	if (L->type.ht_cached_keys >= 0 && (ti->flags & (1ul << 9)) /* Py_TPFLAGS_HEAPTYPE */)
		remote_read_ptr(&t->mem, type + (raddr_t)L->type.ht_cached_keys, &ti->cached_keys, NULL);
	raddr_t name = rbuf_u64(buf, L->type.name);
	if (name && remote_read(&t->mem, name, ti->name, sizeof(ti->name) - 1, NULL) < 0)
		remote_read(&t->mem, name, ti->name, 8, NULL);
	ti->name[sizeof(ti->name) - 1] = '\0';
	ti->addr = type;
	*out = ti;
	return 0;
}

int pyobj_type(struct target *t, raddr_t obj, const struct type_info **out, struct pyspy_err *e)
{
	raddr_t type;
	int rc = remote_read_ptr(&t->mem, obj + (raddr_t)t->layout.object.type, &type, e);
	if (rc < 0)
		return rc;
	return pyobj_type_at(t, type, out, e);
}

void pyobj_release(struct target *t)
{
	free(t->types);
	t->types = NULL;
}

/* ---- strings ---- */

static size_t put_utf8(char *buf, size_t cap, size_t at, uint32_t cp)
{
	char tmp[4];
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = 0xfffd;
	size_t n = strbuf_utf8(cp, tmp);
	if (at + n >= cap)
		return 0;
	memcpy(buf + at, tmp, n);
	return n;
}

/* Convert `count` code units of width `kind` (1, 2, 4) to UTF-8. */
static size_t units_to_utf8(const uint8_t *src, size_t count, int kind, char *buf, size_t cap)
{
	size_t at = 0;
	for (size_t i = 0; i < count; i++) {
		uint32_t cp;
		if (kind == 1)
			cp = src[i];
		else if (kind == 2) {
			uint16_t u;
			memcpy(&u, src + 2 * i, 2);
			cp = u;
			if (u >= 0xd800 && u < 0xdc00 && i + 1 < count) {
				uint16_t lo;
				memcpy(&lo, src + 2 * i + 2, 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + (((uint32_t)u - 0xd800) << 10) + (lo - 0xdc00u);
					i++;
				}
			}
		} else
			memcpy(&cp, src + 4 * i, 4);
		size_t n = put_utf8(buf, cap, at, cp);
		if (n == 0)
			break;
		at += n;
	}
	buf[at] = '\0';
	return at;
}

/* Read [obj, obj+want) in one read, falling back to `need` bytes near the end of a mapping. */
static int read_head(struct target *t, raddr_t obj, uint8_t *buf, size_t want, size_t need, size_t *got, struct pyspy_err *e)
{
	if (remote_read(&t->mem, obj, buf, want, NULL) == 0) {
		*got = want;
		return 0;
	}
	*got = need;
	return remote_read(&t->mem, obj, buf, need, e);
}

/* Fetch `len` data bytes at `at`, from the head buffer when they are in it. */
static int str_data(struct target *t, const uint8_t *head, size_t got, raddr_t obj, raddr_t at,
		    size_t len, uint8_t **data, uint8_t *local, size_t localcap, struct pyspy_err *e)
{
	if (at >= obj && at - obj + len <= got) {
		*data = (uint8_t *)head + (at - obj);
		return 0;
	}
	*data = len <= localcap ? local : malloc(len ? len : 1);
	if (!*data)
		return err_set(e, PS_ENOMEM, "out of memory reading a string of %zu bytes", len);
	int rc = remote_read(&t->mem, at, *data, len, e);
	if (rc < 0 && *data != local)
		free(*data);
	return rc;
}

static int str_pep393(struct target *t, raddr_t obj, const uint8_t *head, size_t got, char *buf, size_t cap, size_t *outlen, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint32_t state = rbuf_u32(head, L->unicode.state);
	int64_t length = (int64_t)rbuf_u64(head, L->unicode.length);
	int kind = (int)((state >> L->unicode.state_kind_shift) & 7);
	int compact = (state >> L->unicode.state_compact_shift) & 1;
	int ascii = (state >> L->unicode.state_ascii_shift) & 1;
	raddr_t at;

	if (length < 0 || (kind != 1 && kind != 2 && kind != 4) || (ascii && kind != 1))
		return err_set(e, PS_ECORRUPT, "str at 0x%" PRIx64 " has a bad header", obj);
	if (compact)
		at = obj + (raddr_t)(ascii ? L->unicode.ascii_size : L->unicode.compact_size);
	else {
		int rc = remote_read_ptr(&t->mem, obj + (raddr_t)L->unicode.data, &at, e);
		if (rc < 0)
			return rc;
	}
	/* never fetch more than the output can hold: a UTF-8 char is at least one byte */
	size_t count = (size_t)length < cap ? (size_t)length : cap - 1;
	uint8_t local[1024], *data;
	int rc = str_data(t, head, got, obj, at, count * (size_t)kind, &data, local, sizeof(local), e);
	if (rc < 0)
		return rc;
	size_t n = units_to_utf8(data, count, kind, buf, cap);
	if (data != local && (data < head || data >= head + got))
		free(data);
	if (outlen)
		*outlen = n;
	return 0;
}

static int str_py2(struct target *t, raddr_t obj, const uint8_t *head, size_t got, uint64_t flags, char *buf, size_t cap, size_t *outlen, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint8_t local[1024], *data;
	size_t n;
	int rc;

	if (flags & L->tpflags.bytes_subclass) {
		int64_t length = (int64_t)rbuf_u64(head, L->object.var_size);
		if (length < 0)
			return err_set(e, PS_ECORRUPT, "str at 0x%" PRIx64 " has a bad length", obj);
		size_t count = (size_t)length < cap ? (size_t)length : cap - 1;
		rc = str_data(t, head, got, obj, obj + (raddr_t)L->bytes.sval, count, &data, local, sizeof(local), e);
		if (rc < 0)
			return rc;
		/* 2.7 str holds bytes; names and paths are UTF-8 already, so pass them through */
		memcpy(buf, data, count);
		buf[count] = '\0';
		n = count;
	} else {
		int64_t length = (int64_t)rbuf_u64(head, L->unicode.length);
		raddr_t at = rbuf_u64(head, L->unicode.py2_str);
		int kind = L->unicode_size;
		if (length < 0)
			return err_set(e, PS_ECORRUPT, "unicode at 0x%" PRIx64 " has a bad length", obj);
		size_t count = (size_t)length < cap ? (size_t)length : cap - 1;
		rc = str_data(t, head, got, obj, at, count * (size_t)kind, &data, local, sizeof(local), e);
		if (rc < 0)
			return rc;
		n = units_to_utf8(data, count, kind, buf, cap);
	}
	if (data != local && (data < head || data >= head + got))
		free(data);
	if (outlen)
		*outlen = n;
	return 0;
}

int pyobj_str(struct target *t, raddr_t obj, char *buf, size_t cap, size_t *len, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint8_t head[256];
	size_t got;

	if (cap == 0)
		return err_set(e, PS_EARG, "no room for a string");
	buf[0] = '\0';
	if (!obj)
		return err_set(e, PS_EFAULT, "NULL string object");
	int32_t most = L->unicode.compact_size > L->bytes.sval ? L->unicode.compact_size : L->bytes.sval;
	if (L->unicode.size > most)
		most = L->unicode.size;
	if (most <= 0 || most > (int32_t)sizeof(head))
		return err_set(e, PS_EUNSUP, "no usable str layout");
	size_t need = (size_t)most;
	int rc = read_head(t, obj, head, sizeof(head), need, &got, e);
	if (rc < 0)
		return rc;
	return pyobj_str_head(t, obj, head, got, buf, cap, len, e);
}

int pyobj_str_head(struct target *t, raddr_t obj, const uint8_t *head, size_t got, char *buf, size_t cap,
		   size_t *len, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	const struct type_info *ti;

	if (cap == 0)
		return err_set(e, PS_EARG, "no room for a string");
	buf[0] = '\0';
	int32_t most = L->unicode.compact_size > L->bytes.sval ? L->unicode.compact_size : L->bytes.sval;
	if (L->unicode.size > most)
		most = L->unicode.size;
	if (most <= 0 || got < (size_t)most)
		return err_set(e, PS_EARG, "string head too short");
	int rc = pyobj_type_at(t, rbuf_u64(head, L->object.type), &ti, e);
	if (rc < 0)
		return rc;
	if (L->str_model == STR_MODEL_PY2) {
		if (!(ti->flags & (L->tpflags.bytes_subclass | L->tpflags.unicode_subclass)))
			return err_set(e, PS_ECORRUPT, "object at 0x%" PRIx64 " is a %s, not a str", obj, ti->name);
		return str_py2(t, obj, head, got, ti->flags, buf, cap, len, e);
	}
	if (!(ti->flags & L->tpflags.unicode_subclass))
		return err_set(e, PS_ECORRUPT, "object at 0x%" PRIx64 " is a %s, not a str", obj, ti->name);
	return str_pep393(t, obj, head, got, buf, cap, len, e);
}

int pyobj_str_intern(struct target *t, raddr_t obj, const char **out, struct pyspy_err *e)
{
	char buf[4096];
	size_t len = 0;
	int rc = pyobj_str(t, obj, buf, sizeof(buf), &len, e);
	if (rc < 0)
		return rc;
	*out = strtab_intern(&t->strings, buf, len);
	return *out ? 0 : err_set(e, PS_ENOMEM, "out of memory");
}

int pyobj_check_span(struct target *t, raddr_t obj, const char *what, raddr_t at, uint64_t len, struct pyspy_err *e)
{
	uint8_t last;
	if (len == 0)
		return 0;
	if (at + len < at || remote_read(&t->mem, at + len - 1, &last, 1, NULL) < 0)
		return err_set(e, PS_ETORN, "%s at 0x%" PRIx64 " claims %" PRIu64 " bytes that are not there", what, obj, len);
	return 0;
}

int pyobj_bytes(struct target *t, raddr_t obj, uint8_t **out, size_t *len, size_t max, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint8_t head[64];
	*out = NULL;
	*len = 0;
	if (L->bytes.sval <= 0 || L->bytes.sval > (int32_t)sizeof(head) || L->object.var_size + 8 > L->bytes.sval)
		return err_set(e, PS_EUNSUP, "no usable bytes layout");
	int rc = remote_read(&t->mem, obj, head, (size_t)L->bytes.sval, e);
	if (rc < 0)
		return rc;
	int64_t n = (int64_t)rbuf_u64(head, L->object.var_size);
	if (n < 0 || (uint64_t)n > max)
		return err_set(e, PS_ECORRUPT, "bytes at 0x%" PRIx64 " has a bad length %" PRId64, obj, n);
	if ((rc = pyobj_check_span(t, obj, "bytes", obj + (raddr_t)L->bytes.sval, (uint64_t)n, e)) < 0)
		return rc;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return err_set(e, PS_ENOMEM, "out of memory");
	rc = remote_read(&t->mem, obj + (raddr_t)L->bytes.sval, *out, (size_t)n, e);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		return rc;
	}
	*len = (size_t)n;
	return 0;
}

/* ---- ints ---- */

int pyobj_int(struct target *t, raddr_t obj, uint64_t *mag, bool *negative, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	const struct type_info *ti;
	uint8_t buf[64];
	int rc = pyobj_type(t, obj, &ti, e);
	if (rc < 0)
		return rc;
	*negative = false;
	if (L->int_obj.ival + 8 > (int32_t)sizeof(buf) || L->long_obj.digits + 12 > (int32_t)sizeof(buf) ||
	    L->long_obj.digits < 0)
		return err_set(e, PS_EUNSUP, "no usable int layout");
	if (ti->flags & L->tpflags.int_subclass) {
		rc = remote_read(&t->mem, obj, buf, (size_t)L->int_obj.ival + 8, e);
		if (rc < 0)
			return rc;
		int64_t v = (int64_t)rbuf_u64(buf, L->int_obj.ival);
		*negative = v < 0;
		*mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
		return 0;
	}
	if (!(ti->flags & L->tpflags.long_subclass))
		return err_set(e, PS_ECORRUPT, "object at 0x%" PRIx64 " is a %s, not an int", obj, ti->name);
	size_t hdr = (size_t)L->long_obj.digits;
	rc = remote_read(&t->mem, obj, buf, hdr + 12, e);
	if (rc < 0)
		return rc;
	uint64_t ndigits;
	if (L->long_model == LONG_MODEL_TAG) {
		uint64_t tag = rbuf_u64(buf, L->long_obj.tag);
		ndigits = tag >> 3;
		*negative = (tag & 3) == 2;
	} else {
		int64_t size = (int64_t)rbuf_u64(buf, L->object.var_size);
		*negative = size < 0;
		ndigits = size < 0 ? (uint64_t)-size : (uint64_t)size;
	}
	int bits = L->digit_bits;
	int dsize = bits == 30 ? 4 : 2;
	if (ndigits * (uint64_t)bits > 64 + (uint64_t)bits - 1 || ndigits * (uint64_t)dsize > 12)
		return err_set(e, PS_ECORRUPT, "int at 0x%" PRIx64 " does not fit in 64 bits", obj);
	uint64_t v = 0;
	for (uint64_t i = ndigits; i-- > 0;) {
		uint32_t d = 0;
		memcpy(&d, buf + hdr + i * (uint64_t)dsize, (size_t)dsize);
		if (v >> (64 - bits))      /* the shift would lose high bits */
			return err_set(e, PS_ECORRUPT, "int at 0x%" PRIx64 " does not fit in 64 bits", obj);
		v = (v << bits) | d;
	}
	*mag = v;
	return 0;
}

/* ---- classification ---- */

bool pyobj_static_named(const struct type_info *ti, const char *name)
{
	return !(ti->flags & PYOBJ_TPFLAGS_HEAPTYPE) && strcmp(ti->name, name) == 0;
}

enum pyobj_kind pyobj_kind(const struct target *t, const struct type_info *ti)
{
	const struct py_layout *L = &t->layout;
	uint64_t f = ti->flags;
	if (pyobj_static_named(ti, "NoneType"))
		return PYK_NONE;
	if (pyobj_static_named(ti, "bool"))
		return PYK_BOOL;
	if (f & L->tpflags.long_subclass)
		return L->str_model == STR_MODEL_PY2 ? PYK_LONG : PYK_INT;
	if (f & L->tpflags.int_subclass)
		return PYK_INT;
	if (pyobj_static_named(ti, "float"))
		return PYK_FLOAT;
	if (f & L->tpflags.unicode_subclass)
		return PYK_STR;
	if (f & L->tpflags.bytes_subclass)
		return PYK_BYTES;
	if (f & L->tpflags.list_subclass)
		return PYK_LIST;
	if (f & L->tpflags.tuple_subclass)
		return PYK_TUPLE;
	if (f & L->tpflags.dict_subclass)
		return PYK_DICT;
	if (pyobj_static_named(ti, "set"))
		return PYK_SET;
	if (pyobj_static_named(ti, "frozenset"))
		return PYK_FROZENSET;
	return PYK_OTHER;
}

/* ---- the sys module ---- */

int pyobj_sys_str(struct target *t, const char *name, char *buf, size_t cap)
{
	raddr_t sysdict, value;
	if (t->layout.interp.sysdict < 0 ||
	    target_read_ptr(t, t->interp + (raddr_t)t->layout.interp.sysdict, &sysdict, NULL) < 0 || !sysdict ||
	    pyobj_dict_get_str(t, sysdict, name, &value, NULL) < 0 || !value ||
	    pyobj_str(t, value, buf, cap, NULL, NULL) < 0)
		return -1;
	return 0;
}
