/*
 * pyvalue.h — a value in the target decoded into plain data.
 *
 * repr.h turns a value into text for people; this turns it into a small tree
 * that a script can walk: None, bool, an int that fits in 64 bits, float and
 * str become themselves; list and tuple become a sequence, dict a sequence of
 * key/value pairs; everything else — and any container past the depth limit,
 * or met again inside itself — becomes its repr text.  Keys that are
 * containers become their repr text too, so every key is a scalar.
 *
 * It classifies objects with pyobj_kind(), as repr.c does, so the two never
 * disagree about what an object is.
 */
#ifndef PYSPY_PYVALUE_H
#define PYSPY_PYVALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/python/pyobj.h"
#include "repr.h"

enum pyv_kind { PYV_NONE, PYV_BOOL, PYV_INT, PYV_FLOAT, PYV_STR, PYV_LIST, PYV_DICT, PYV_REPR };

struct py_value {
	enum pyv_kind kind;
	bool truncated;            /* LIST, DICT: more items than were read; STR: cut short */
	int64_t i;                 /* BOOL (0 or 1), INT */
	double f;                  /* FLOAT */
	char *s;                   /* STR (UTF-8), REPR: malloc'd, NUL-terminated */
	size_t len;
	struct py_value *items;    /* LIST: n items; DICT: 2n, key then value */
	size_t n;
};

struct pyvalue_opts {
	int depth;                 /* container levels decoded (the top is 1); 0: 1 */
	size_t max_items;          /* items read per container; 0: no limit */
	size_t max_str;            /* bytes of a str kept; 0: 64 KiB */
	struct repr_opts repr;     /* for the values that become text */
};

/* Decode obj (0, an unbound name, gives PYV_NONE).  Parts that cannot be read
 * become REPR text saying so; the result is negative only when the process is
 * gone, memory ran out or Ctrl-C was pressed, and out is then released. */
int pyvalue_read(struct target *t, raddr_t obj, const struct pyvalue_opts *o, struct py_value *out,
		 struct pyspy_err *e);
void pyvalue_release(struct py_value *v);

#endif
