/*
 * rbuf.h — remote addresses, and fields of local copies of remote memory.
 *
 * The engine copies a remote struct (a thread state, a frame, a code object)
 * into a local buffer in one read, then picks its fields out at the offsets
 * the layout gives.  Those buffers are plain bytes with no alignment promise,
 * so a field is taken with memcpy, never through a cast pointer.  The caller
 * has checked that off + the field's width lies inside what was read.
 */
#ifndef PYSPY_RBUF_H
#define PYSPY_RBUF_H

#include <stdint.h>
#include <string.h>

/* An address in the target.  Never a local pointer type. */
typedef uint64_t raddr_t;

/* A field at a negative offset (OFF_NONE: absent in this version) reads as 0. */
static inline uint64_t rbuf_u64(const uint8_t *buf, int32_t off)
{
	uint64_t v;
	if (off < 0)
		return 0;
	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static inline uint32_t rbuf_u32(const uint8_t *buf, int32_t off)
{
	uint32_t v;
	if (off < 0)
		return 0;
	memcpy(&v, buf + off, sizeof(v));
	return v;
}

#endif
