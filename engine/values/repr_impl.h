/*
 * repr_impl.h — what repr.c and repr_containers.c share; not an API.
 */
#ifndef PYSPY_REPR_IMPL_H
#define PYSPY_REPR_IMPL_H

#include <stdint.h>

#include "engine/python/pyobj.h"
#include "repr.h"
#include "engine/strbuf.h"

#define REPR_MAX_NEST 64

struct rctx {
	struct target *t;
	const struct repr_opts *o;
	struct strbuf sb;
	raddr_t stack[REPR_MAX_NEST];  /* containers being printed, outermost first */
	int nstack;
	bool py2;                      /* the layout's Python 2 object world */
	int fatal;                     /* the process is gone or memory ran out: stop */
	struct pyspy_err *e;           /* where a fatal error is reported */
};

/* A walk: set up, print into c->sb, then cut to the width and append to out. */
void repr_begin(struct rctx *c, struct target *t, const struct repr_opts *o, struct pyspy_err *e);
int repr_finish(struct rctx *c, struct strbuf *out);

void repr_obj(struct rctx *c, raddr_t obj, int level);
void repr_unreadable(struct rctx *c, struct pyspy_err *e);
size_t repr_room(const struct rctx *c);

void repr_int(struct rctx *c, raddr_t obj, const struct type_info *ti, bool py2_long);
void repr_float_text(struct rctx *c, double v, bool add_dot0);
void repr_bytes_at(struct rctx *c, raddr_t at, int64_t length, const char *prefix, bool bytearray);

/* Container helpers (repr_containers.c): the depth/cycle gate, how many
 * items to look at, the "...(N more)" tail, one dict item as k: v or (k, v). */
bool repr_enter(struct rctx *c, raddr_t obj, int level, const char *cut);
void repr_leave(struct rctx *c);
size_t repr_item_cap(const struct rctx *c, uint64_t n);
void repr_more(struct rctx *c, uint64_t shown, uint64_t total);
void repr_pair(struct rctx *c, raddr_t key, raddr_t value, int level, bool pairs);

void repr_sequence(struct rctx *c, raddr_t obj, int level, bool tuple);
/* obj[start:stop] of a list or tuple, of a str; stop -1 is the end. */
void repr_sequence_range(struct rctx *c, raddr_t obj, int level, bool tuple, int64_t start, int64_t stop);
void repr_str_range(struct rctx *c, raddr_t obj, int64_t start, int64_t stop);
void repr_dict(struct rctx *c, raddr_t obj, int level);
/* The items of a dict as [(k, v), ...] when pairs (2.7-3.11 OrderedDict). */
void repr_dict_as(struct rctx *c, raddr_t obj, int level, bool pairs);
/* subclass: the name a set subclass prints with (Name({1})), or NULL. */
void repr_set(struct rctx *c, raddr_t obj, int level, bool frozen, const char *subclass);
void repr_instance(struct rctx *c, raddr_t obj, const struct type_info *ti, int level);
void repr_module(struct rctx *c, raddr_t obj);

/* repr_stdlib.c: the standard library's own reprs (namedtuple, OrderedDict,
 * defaultdict, Counter, Decimal, datetime, deque, complex, range, bytearray,
 * memoryview, Enum, Path, UUID, Fraction, set subclasses).  True when obj's
 * type is one of them and its text was printed. */
bool repr_stdlib(struct rctx *c, raddr_t obj, const struct type_info *ti, int level);

/* type_info.tag: what repr_stdlib() recognised the type as. */
enum std_tag {
	STD_NONE = -1, STD_UNKNOWN = 0,
	STD_NAMEDTUPLE, STD_ODICT, STD_DEFAULTDICT, STD_COUNTER, STD_DEQUE, STD_ENUM, STD_PATH, STD_UUID,
	STD_FRACTION, STD_DECIMAL, STD_DATE, STD_DATETIME, STD_TIME, STD_TIMEDELTA, STD_TIMEZONE,
	STD_COMPLEX, STD_RANGE, STD_XRANGE, STD_BYTEARRAY, STD_MEMORYVIEW, STD_SET_SUB, STD_FROZENSET_SUB,
};

/* The reprs that changed between versions; repr_dialect() is the one place that knows which. */
struct repr_dialect {
	bool odict_pairs;          /* OrderedDict([('a', 1)]) before 3.12, OrderedDict({'a': 1}) since */
	bool timedelta_keywords;   /* timedelta(days=1, seconds=2) since 3.7, timedelta(1, 2) before */
	const char *type_word;     /* <class 'list'>, 2.7's <type 'list'> */
	bool bytearray_squote;     /* bytearray(b"'") escapes the ' before 3.15: bytearray(b"\'") */
	bool c_subclass_name;      /* a deque or defaultdict subclass prints its own name since 3.7 (the base's before) */
	bool namedtuple_own_name;  /* a namedtuple subclass prints its own name (2.7: the namedtuple's) */
};
const struct repr_dialect *repr_dialect(const struct rctx *c, struct repr_dialect *d);

/* Helpers repr_stdlib.c shares with repr_cdata.c. */
int std_type_dict_get(struct target *t, raddr_t type, const char *name, raddr_t *out);
int std_type_attr(struct target *t, raddr_t type, const char *name, raddr_t *out);
raddr_t std_attr(struct rctx *c, raddr_t obj, const char *name);
const char *std_short_name(const char *tp_name);
/* A non-negative int below 2**128 as 16 little-endian bytes: 0, or -1. */
int std_read_u128(struct rctx *c, raddr_t obj, uint8_t out[16]);

/* A decimal number as Decimal's str() prints it (scientific notation rules). */
struct dec_text {
	bool negative;
	char special;              /* 0 (finite), 'I' Infinity, 'q' NaN, 's' sNaN */
	const char *digits;        /* the coefficient (the NaN payload), no leading zeros but "0" */
	size_t ndigits;
	int64_t exp;
};
void std_decimal_text(struct strbuf *sb, const struct dec_text *d);

/* PurePosixPath / PosixPath (repr_path.c); false if not decodable. */
bool repr_path(struct rctx *c, raddr_t obj, const char *name);
/* repr() of a str whose UTF-8 text is s (repr_part.c). */
void repr_utf8_str(struct rctx *c, const char *s);

/* The C types decoded from their structs (repr_cdata.c); false if obj is not what ti says. */
bool repr_cdata(struct rctx *c, raddr_t obj, const struct type_info *ti, int level);

#endif
