/*
 * layout_check.h — is a layout safe to read a process with?
 *
 * The engine copies a remote struct into a local buffer of a fixed size and
 * picks fields out of it at the layout's offsets.  That is only safe when
 * every struct size fits the buffer it is read into and every field lies
 * inside its struct.  For the generated tables that holds by construction
 * (tests/unit/test_layouts.c checks it); for a layout filled from a 3.13+
 * target's own _Py_DebugOffsets it must be checked, because a target can
 * write that table.  layout_check() is that check, run on every layout at
 * attach: it is pure (no memory is read, nothing is printed).
 */
#ifndef PYSPY_LAYOUT_CHECK_H
#define PYSPY_LAYOUT_CHECK_H

#include <stddef.h>

#include "layout.h"

/*
 * The largest size the engine reads of each struct: the local buffers are
 * sized from these.  A layout with a larger struct is refused.
 */
#define LAYOUT_MAX_STATE     (1 << 24)  /* _PyRuntimeState, PyInterpreterState: never copied whole */
#define LAYOUT_MAX_TSTATE    4096       /* PyThreadState (3.14: 832) */
#define LAYOUT_MAX_FRAME     1024       /* PyFrameObject (2.7: 384) */
#define LAYOUT_MAX_IFRAME    512        /* _PyInterpreterFrame (3.14: 88) */
#define LAYOUT_MAX_CODE      1024       /* PyCodeObject (3.14: 216) */
#define LAYOUT_MAX_TYPE      1024       /* PyHeapTypeObject (2.7: 872) */
#define LAYOUT_MAX_SMALL     256        /* tuple, list, dict, set, _PyStackChunk, ... */
#define LAYOUT_MAX_KEYS      128        /* PyDictKeysObject up to dk_indices */
#define LAYOUT_MAX_STR       128        /* PyUnicodeObject (3.13: 64) */
#define LAYOUT_MAX_SCALAR    64         /* bytes, int, float, PyMemberDef */

/*
 * 0 if every struct size is at most its cap and every field (not OFF_NONE)
 * plus the width read there fits its struct and is aligned to that width;
 * else -1 with the first violation in why, e.g.
 * "tstate.current_frame = 100000 past its size 80".
 */
int layout_check(const struct py_layout *l, char *why, size_t whylen);

#endif
