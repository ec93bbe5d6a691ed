/*
 * locals.h — a frame's variables, its globals, and `print EXPR` lookups.
 *
 * locals_read() gives every named slot of a frame: the locals (arguments
 * first), then the cell variables, then the free variables of a closure, in
 * the order CPython stores them, with cells already dereferenced: the value
 * is what the name is bound to, not the cell holding it.  A name that is both
 * a local and a cell (an argument captured by an inner function) appears once.
 * The slots are read in one remote read; the names come from the code object
 * once (code_vars) and are reused for every later frame of that function.
 *
 * value_lookup() resolves the small expression language of `print`:
 *
 *     NAME ( .ATTR | [INDEX] | [START:STOP] | [KEY] )*
 *
 * NAME is a local of the frame, else a global, else a builtin.  .ATTR is an
 * instance attribute (its __dict__, inline values or __slots__), a module's
 * global, or a class attribute (the class and its bases); __class__ and
 * __dict__ of any object, __name__ and __qualname__ of a class.  [N] indexes
 * a str, bytes, list or tuple (negative from the end) or looks up the int key
 * N in a dict; [START:STOP] slices a str, bytes, list or tuple (either bound
 * may be left out); [KEY] looks up a literal key in a dict: 'str', "str",
 * b'bytes', None, True, False, or a tuple of those (lookup_key.h).
 */
#ifndef PYSPY_LOCALS_H
#define PYSPY_LOCALS_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/python/snapshot.h"

enum py_var_kind {
	PY_VAR_LOCAL,              /* a plain local (or argument) */
	PY_VAR_CELL,               /* a local captured by an inner function */
	PY_VAR_FREE,               /* a variable of an enclosing function (closure) */
};

struct py_var {
	const char *name;          /* interned, valid while the target is attached */
	raddr_t value;             /* the object bound to the name; 0 = unbound */
	bool is_arg;               /* a parameter (including *args, **kwargs) */
	enum py_var_kind kind;
};

/* The variables of frame f, in a malloc'd array the caller frees with free().
 * A cell that cannot be read gives value 0 rather than failing the rest. */
int locals_read(struct target *t, const struct py_frame *f, struct py_var **vars, size_t *n, struct pyspy_err *e);

/* The frame's globals dict (f_globals). */
int globals_dict(struct target *t, const struct py_frame *f, raddr_t *dict, struct pyspy_err *e);

/* The frame's builtins dict (f_builtins), else the interpreter's. */
int builtins_dict(struct target *t, const struct py_frame *f, raddr_t *dict, struct pyspy_err *e);

/* Evaluate EXPR (grammar above) in frame f.  Errors are PS_EARG with messages
 * like "no local or global named 'x'", "'Foo' object has no attribute 'y'",
 * "index 10 out of range (len 3)", "key 'k' not found". */
int value_lookup(struct target *t, const struct py_frame *f, const char *expr, raddr_t *out, struct pyspy_err *e);

/* The same, where the result may be a part of an object (a slice, one
 * character of a str) rather than an object; value_lookup() refuses those.
 * Errors after the first name start with the part of EXPR that failed:
 * "point.y[5]: index 5 out of range (len 2)". */
struct value_ref;
int value_lookup_ref(struct target *t, const struct py_frame *f, const char *expr, struct value_ref *out, struct pyspy_err *e);

#endif
