/*
 * linetable.h — instruction offset to source line, for every CPython line table.
 *
 * A code object carries a compressed table from bytecode offsets to lines, and
 * its format changed three times: ≤3.9 co_lnotab (byte pairs), 3.10
 * co_linetable (byte pairs with a "no line" marker), 3.11+ the location table
 * (variable-length entries with columns).  The engine copies the table bytes
 * out of the target and hands them here; these are pure functions over those
 * bytes: no I/O, no allocation, nothing printed.
 *
 * The answers mirror CPython's PyCode_Addr2Line() exactly, checked against it
 * offset by offset for 2.7–3.13 (tests/unit/gen_linetable_vectors.py):
 *   - addr < 0 (a frame that has not started; f_lasti == -1): firstlineno;
 *   - LNOTAB: an offset at or past the last entry keeps the last line, an
 *     empty table gives firstlineno everywhere;
 *   - 310 and LOCATIONS: an offset in a range the table marks "no line"
 *     (3.10: line delta -128; 3.11+: entry code 15) gives -1, and so does an
 *     offset at or past the end of the table (so an empty table gives -1).
 *     CPython returns -1 there too; frame.f_lineno shows it as None.  Callers
 *     should display -1 as "no line", not substitute firstlineno.
 * Garbage gives some int, never a read past len, a crash or an endless loop:
 * bytes past len read as 0, as CPython's bytes objects are NUL-terminated.
 */
#ifndef PYSPY_LINETABLE_H
#define PYSPY_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

#include "layouts/layout.h"

/*
 * The line for byte offset `addr`.  LNOTAB, LNOTAB_PY2: the instruction's byte
 * offset (f_lasti).  310: 2 * f_lasti.  LOCATIONS: 2 * code-unit index.
 * Returns the line, firstlineno for addr < 0, or -1 where CPython gives -1
 * (see above).  `table` may be NULL when len is 0 (a NULL table is read as
 * empty).  A model this file does not know gives -1.
 */
int linetable_line(enum linetable_model model, const uint8_t *table, size_t len,
		   int firstlineno, int addr);

/* A run of bytecode sharing one line: byte offsets [start, end); line -1 = none. */
struct linetable_range {
	int64_t start, end;
	int line;
};

/*
 * Walks a table as consecutive ranges from offset 0, the way CPython's
 * address-range iterator does (zero-length ranges are skipped).  For LNOTAB
 * the last range is open: end is INT64_MAX.  Useful to list a code object's
 * lines or find the first one that is not -1.
 */
struct linetable_iter {
	int model;              /* enum linetable_model, as int */
	const uint8_t *table;
	size_t len, pos;
	int64_t addr;           /* where the next range starts */
	int64_t line;           /* line as accumulated so far */
	int done;
};

void linetable_iter_init(struct linetable_iter *it, enum linetable_model model,
			 const uint8_t *table, size_t len, int firstlineno);
/* Fills *out and returns 1, or returns 0 at the end.  Each call consumes table bytes. */
int linetable_iter_next(struct linetable_iter *it, struct linetable_range *out);

#endif
