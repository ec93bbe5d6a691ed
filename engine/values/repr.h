/*
 * repr.h — Python-like text for a value in the target.
 *
 * repr_value() prints what Python's repr() would, for the types a user looks
 * at most: None, bool, int of any size (2.7 long with its 'L'), float (the
 * shortest round-trip digits), str (every PEP 393 kind; 2.7 str and unicode),
 * bytes, list, tuple, dict, set and frozenset; and the standard library's
 * own reprs, decoded from the fields their __repr__ reads (repr_stdlib.c):
 * Pt(x=1, y=2), OrderedDict({'a': 1}), defaultdict(<class 'list'>, {}),
 * Counter({'a': 2}), Decimal('1.5'), datetime.date(2024, 2, 29), deque([1]),
 * (1+2j), range(0, 5), bytearray(b'x'), <memory at 0x..>, <Color.RED: 1>,
 * PosixPath('/tmp'), UUID('...'), Fraction(3, 4), MySet({1}).  Any other
 * object prints as
 *
 *     <ClassName object at 0x7f3a2c1b4e50> {x=1, y=2}
 *
 * the type's tp_name (the short name for classes written in Python), its
 * address, and, when opts->attrs is set, the instance attributes it keeps in
 * its __dict__ (or inline/split values) and __slots__, as name=repr pairs in
 * storage order; the braces are left out when there are none.
 *
 * Everything is bounded by the options, so the cost follows what is shown,
 * not the size of the value:
 *   width      characters of the whole text; longer text is cut to width-3
 *              characters plus "...".  A 1 MB str costs width characters read.
 *   depth      container levels shown (the top value is level 1); a non-empty
 *              list, tuple, dict, set or instance below that prints as [...],
 *              (...), {...}, {...} or its bare <Foo object at ..> head.
 *   max_items  items shown per container; the rest is ", ...(N more)".
 * Zero means "no limit" for each.  A container met again inside itself prints
 * as at the depth limit ([[...]] for a list that holds itself, as Python does).
 * A part that cannot be read prints as <unreadable: reason> in its place; the
 * rest of the value is still shown.
 *
 * Known approximations: the quote of a str cut short is chosen from the part
 * read; str.isprintable() is approximated without the Unicode database
 * (reprfmt.c); an int of more than 4096 internal digits prints as
 * <int of N bits>; subclasses of builtin containers print as the builtin
 * (as Python's own list and dict reprs do; so does a dict subclass whose
 * own __repr__ would have to run), set subclasses with their name, and
 * subclasses of OrderedDict, defaultdict, Counter, deque and namedtuples without a
 * __repr__ of their own as their base with their own name;
 * an OrderedDict of more than 4096 items shows in insertion order (its
 * move_to_end() order is read below that); a Path never parsed nor turned into a str whose raw segments are not in
 * normal form (3.12+: 'a//b', './x') prints as <PosixPath object at 0x..>.
 */
#ifndef PYSPY_REPR_H
#define PYSPY_REPR_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/strbuf.h"
#include "engine/python/target.h"

struct repr_opts {
	size_t width;              /* max characters of the text, 0 = no limit */
	int depth;                 /* container levels shown, 0 = no limit */
	size_t max_items;          /* items per container, 0 = no limit */
	bool attrs;                /* show instance attributes after <Foo object at 0x..> */
};

#define REPR_OPTS_DEFAULT { .width = 200, .depth = 3, .max_items = 100, .attrs = true }

/* Append the repr of obj (0 prints as <unbound>) to out.  Returns 0, also when
 * parts were unreadable (they are marked in the text); a negative code only when
 * the process is gone or memory ran out, with what was made so far appended. */
int repr_value(struct target *t, raddr_t obj, const struct repr_opts *o, struct strbuf *out, struct pyspy_err *e);

/* What a `print` path names: an object, or a part of one that is not an
 * object in the target's memory (a slice, one character of a str, one byte of
 * a bytes, a type's C name). */
enum value_ref_kind {
	VREF_OBJ,                  /* obj */
	VREF_SLICE,                /* obj[start:stop] of a str, bytes, list or tuple (0 <= start <= stop <= len) */
	VREF_ITEM,                 /* obj[start] of a str or bytes: a one-character str, or an int (3.x bytes) */
	VREF_TEXT,                 /* a str whose UTF-8 text is `text` (a static type's __name__) */
};

struct value_ref {
	enum value_ref_kind kind;
	raddr_t obj;
	int64_t start, stop;
	const char *text;          /* VREF_TEXT: interned, valid while attached */
};

/* The repr of what ref names, as repr_value() prints an object. */
int repr_ref(struct target *t, const struct value_ref *ref, const struct repr_opts *o, struct strbuf *out, struct pyspy_err *e);

#endif
