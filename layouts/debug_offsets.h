/*
 * debug_offsets.h — a layout from a 3.13+ target's own _Py_DebugOffsets.
 *
 * From 3.13 on, CPython starts _PyRuntime with a table of the offsets an
 * out-of-process debugger needs ("xdebugpy", the version, then groups of
 * uint64).  It describes the exact build being inspected, so for 3.13+ it is
 * the better source; the generated tables fill what it does not carry and
 * serve as a cross-check.  These functions are pure: the caller reads the
 * bytes from the target (layout_debug_offsets_size() says how many) and hands
 * them over.  Nothing here reads memory, prints or allocates.
 */
#ifndef PYSPY_DEBUG_OFFSETS_H
#define PYSPY_DEBUG_OFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "layout.h"

#define LAYOUT_DEBUG_COOKIE "xdebugpy"
#define LAYOUT_DEBUG_HEADER_SIZE 24	/* cookie[8], version, free_threaded */

/* What the user is told pyspy-sh reads, in refusals. */
#define LAYOUT_SUPPORTED_RANGE "2.7 to 3.15"

/* layout_from_debug_offsets(): a build pyspy-sh knows it cannot read (a later
 * minor, a free-threaded build); `why` is then the whole message for the user. */
#define LAYOUT_DEBUG_REFUSED (-2)

/* layout_from_debug_offsets(): the table contradicts itself (a torn or scribbled table). */
#define LAYOUT_DEBUG_INCONSISTENT (-3)

/*
 * How many bytes of _PyRuntime to read for a target whose PY_VERSION_HEX is
 * `version`: pass 0 to get the header size (enough to learn the version),
 * then call again with the version found there.  0 means "no known shape".
 */
size_t layout_debug_offsets_size(uint64_t version);

/*
 * Fill *out from the debug offsets in blob[0..len).  The blob is untrusted
 * (the target can write it): every section's size is capped, every field
 * must lie inside its section, and the result passes layout_check().
 * Returns 0; -1 with a lowercase reason in why when the table is not one this
 * parser knows ("bad cookie", "unsupported Python 3.14: debug offsets lack
 * tstate.interp"); LAYOUT_DEBUG_REFUSED with the whole message in why for a
 * build pyspy-sh knows it cannot read ("free-threaded CPython 3.14t is not
 * supported yet", "unsupported Python 3.16.0: pyspy-sh reads 2.7 to 3.15"):
 * the header alone (len 24) is enough for a refusal; or
 * LAYOUT_DEBUG_INCONSISTENT when its numbers contradict each other, with the
 * first contradiction named as CPython names it in why
 * ("thread_state.current_frame = 100000 past its size 80").
 * Fields the debug offsets do not carry come from the generated table of the
 * same minor (3.13: for a struct only when the debug offsets agree with the
 * table on every field of it both carry), or for 3.14 and 3.15 from the 3.13
 * table where the struct is known unchanged (checked against fields both
 * carry), then from the table of the same minor when there is one; the rest
 * are OFF_NONE.  out->headers names the source, e.g. "3.14 _Py_DebugOffsets".
 */
int layout_from_debug_offsets(const void *blob, size_t len, struct py_layout *out,
			      char *why, size_t whylen);

/*
 * Compare two layouts field by field over the fields both carry (neither is
 * OFF_NONE).  Returns the number of disagreements and names them in diff
 * ("tstate.next: table 8, debug 16; ..."), truncated to difflen.
 */
int layout_crosscheck(const struct py_layout *table, const struct py_layout *fromdbg,
		      char *diff, size_t difflen);

#endif
