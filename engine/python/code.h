/*
 * code.h — code objects, read once and cached.
 *
 * A code object never changes after creation, so everything a frame needs from
 * it (names, file, first line, the line table) is read on first sight and kept,
 * keyed by address.  A steady-state stack walk then costs no reads for code.
 * The one hazard is an address reused by a new code object after the old one
 * died; a cached entry is checked against the frame's code only by address, so
 * callers that run for long (the sampler) revalidate with code_cache_clear()
 * when they detect a mismatch (a line outside the function, a torn walk).
 */
#ifndef PYSPY_CODE_H
#define PYSPY_CODE_H

#include <stdbool.h>
#include <stdint.h>

#include "target.h"

struct code_info {
	raddr_t addr;
	const char *name;          /* interned co_name */
	const char *qualname;      /* interned co_qualname (3.11+), else co_name */
	const char *file;          /* interned co_filename */
	int firstlineno;
	int firsttraceable;        /* 3.11+: first instruction (code units) where the frame is complete */
	int argcount, kwonlyargcount, posonlyargcount, nlocals, flags;
	uint8_t *table;            /* the line table bytes */
	size_t table_len;
	int memo_addr[4], memo_line[4];
	struct code_vars *vars;    /* variable names: NULL until code_vars() is first asked */
	raddr_t name_ptr;          /* co_name as read: a module's code is checked against it */
	bool module;               /* co_name is "<module>": CPython frees it once the module has run */
	uint64_t checked_ns;       /* module code: when it was last found still there */
	struct code_info *next_retired;
};

/* Kinds of a frame slot, as CPython 3.11+ spells them in co_localspluskinds. */
#define CODE_FAST_HIDDEN 0x10      /* 3.12+: an inlined comprehension's variable */
#define CODE_FAST_LOCAL 0x20
#define CODE_FAST_CELL 0x40
#define CODE_FAST_FREE 0x80

/*
 * The names of a frame's slots, in slot order, with one kind per slot.  On
 * 3.11+ that is co_localsplusnames/co_localspluskinds as stored; before, it
 * is built from co_varnames (LOCAL), co_cellvars (CELL) and co_freevars
 * (FREE), which is exactly how f_localsplus is laid out there.
 */
struct code_vars {
	int n;
	const char **names;        /* interned */
	uint8_t *kinds;            /* CODE_FAST_* bits */
	int nargs;                 /* argcount + kwonlyargcount + *args + **kwargs */
};

/* The code object at addr, read on first use.  Fails if it is not a code object.
 * A cached module code object ("<module>") is the one kind CPython routinely
 * frees while the program runs (after every import, and all of start-up's),
 * so its address is often handed to the next code object compiled — the
 * program's own functions, in launch mode.  Such an entry is checked (one
 * 8-byte read of co_name) on a hit at most every 10 ms, not on every sample. */
int code_get(struct target *t, raddr_t addr, struct code_info **out, struct pyspy_err *e);

/* The line for a byte offset into the code (a small memo in front of the decoder). */
int code_line(struct code_info *c, const struct py_layout *L, int byte_offset);

/* The slot names of a code object, read on first use and then kept with it.
 * Only `locals` and `print` pay for them; the stack walk never does. */
int code_vars(struct target *t, struct code_info *c, const struct code_vars **out, struct pyspy_err *e);

/* Forget every cached code object. */
void code_cache_clear(struct target *t);

#endif
