/*
 * pyobj.h — reading Python objects out of the target.
 *
 * The engine needs objects for names (code names, file names, thread names),
 * for finding modules and thread objects, and later for showing locals.  All
 * of it goes through these functions, which branch on the layout's models
 * (str, int, dict and instance-dict storage), never on version numbers.
 *
 * Remote memory is hostile: every length is bounded, every pointer is checked
 * by the read that uses it, and a failure is returned, never assumed away.
 */
#ifndef PYSPY_PYOBJ_H
#define PYSPY_PYOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "target.h"

/* What the engine knows about a type object (cached by address). */
struct type_info {
	raddr_t addr;
	uint64_t flags;            /* tp_flags */
	int64_t dictoffset;        /* tp_dictoffset */
	int64_t basicsize;         /* tp_basicsize */
	raddr_t cached_keys;       /* ht_cached_keys (heap types, 3.3+), 0 if none */
	char name[64];             /* tp_name, truncated */
	int tag;                   /* what engine/values made of the type (0: not looked at yet); refilled with it */
};

enum pyobj_kind {
	PYK_NONE, PYK_BOOL, PYK_INT, PYK_LONG /* 2.7 long */, PYK_FLOAT, PYK_STR, PYK_BYTES,
	PYK_LIST, PYK_TUPLE, PYK_DICT, PYK_SET, PYK_FROZENSET, PYK_OTHER,
};

/* Whether ti is the built-in (static, not heap) type of that tp_name: a user
 * class named "float" is not float. */
bool pyobj_static_named(const struct type_info *ti, const char *name);

/* What ti describes, by the layout's subclass bits and static type names. */
enum pyobj_kind pyobj_kind(const struct target *t, const struct type_info *ti);

/* The type of obj, read through the cache. */
int pyobj_type(struct target *t, raddr_t obj, const struct type_info **out, struct pyspy_err *e);
int pyobj_type_at(struct target *t, raddr_t type, const struct type_info **out, struct pyspy_err *e);

/* UTF-8 text of a str object (bytes or unicode on 2.7), truncated to cap-1 bytes.
 * *len (optional) gets the length written. */
int pyobj_str(struct target *t, raddr_t obj, char *buf, size_t cap, size_t *len, struct pyspy_err *e);

/* The same from the object's first `got` bytes, already read (at least the
 * str header: what is not in them is read): a reader of many names fetches
 * their heads in batches. */
int pyobj_str_head(struct target *t, raddr_t obj, const uint8_t *head, size_t got, char *buf, size_t cap,
		   size_t *len, struct pyspy_err *e);

/* The same, interned in the target's string table (names up to 4 KiB). */
int pyobj_str_intern(struct target *t, raddr_t obj, const char **out, struct pyspy_err *e);

/* The bytes of a bytes object (str on 2.7) in a malloc'd buffer, at most max bytes. */
/*
 * Before a length read from the target sizes a copy or an allocation: check
 * that the last byte of [at, at+len) can be read.  A torn or corrupt length
 * usually runs off the mapping; then -PS_ETORN, "<what> at 0x.. claims N
 * bytes that are not there", instead of a huge allocation.  0 if len is 0.
 */
int pyobj_check_span(struct target *t, raddr_t obj, const char *what, raddr_t at, uint64_t len, struct pyspy_err *e);

int pyobj_bytes(struct target *t, raddr_t obj, uint8_t **out, size_t *len, size_t max, struct pyspy_err *e);

/* An int (or 2.7 int/long) that fits in 64 bits: magnitude and sign. */
int pyobj_int(struct target *t, raddr_t obj, uint64_t *mag, bool *negative, struct pyspy_err *e);

/* Call fn for each (key, value) of a dict, in storage order, until it returns non-zero. */
typedef int (*dict_visit_fn)(void *arg, raddr_t key, raddr_t value);
int pyobj_dict_foreach(struct target *t, raddr_t dict, dict_visit_fn fn, void *arg, struct pyspy_err *e);

/* dict[name] for a str key; *value = 0 when absent (not an error). */
int pyobj_dict_get_str(struct target *t, raddr_t dict, const char *name, raddr_t *value, struct pyspy_err *e);

/* The text of a str in the interpreter's sys module (sys.version): 0, or -1
 * when the layout has no sysdict or the value is missing or not readable. */
int pyobj_sys_str(struct target *t, const char *name, char *buf, size_t cap);

/* dict[n] for an int key; *value = 0 when absent. */
int pyobj_dict_get_int(struct target *t, raddr_t dict, uint64_t n, raddr_t *value, struct pyspy_err *e);

/* An instance attribute found in the object's own attribute storage (its
 * __dict__, or the 3.11+ inline/split values); *value = 0 when absent. */
int pyobj_attr(struct target *t, raddr_t obj, const char *name, raddr_t *value, struct pyspy_err *e);

/* The dict object that holds obj's attributes; *dict = 0 when there is none
 * (no __dict__, or 3.11+ values kept inline with no dict made yet). */
int pyobj_attr_dict(struct target *t, raddr_t obj, raddr_t *dict, struct pyspy_err *e);

/* Call fn for each (name, value) of the object's own attribute storage, as
 * pyobj_attr sees it, in storage order; an object without one has none. */
int pyobj_attr_foreach(struct target *t, raddr_t obj, dict_visit_fn fn, void *arg, struct pyspy_err *e);

/* Call fn for each (name, value) stored in a __slots__ slot of obj (the
 * PyMemberDefs of obj's heap type and its heap bases); unset slots are skipped.
 * Names are interned.  Bounded: at most 8 types and 256 slots each. */
typedef int (*slot_visit_fn)(void *arg, const char *name, raddr_t value);
int pyobj_slots_foreach(struct target *t, raddr_t obj, slot_visit_fn fn, void *arg, struct pyspy_err *e);

/* Py_TPFLAGS_HEAPTYPE: the same bit in every version. */
#define PYOBJ_TPFLAGS_HEAPTYPE (1ul << 9)

/* Release the type cache (called at detach). */
void pyobj_release(struct target *t);

#endif
