/*
 * pair_index.h — an open-addressing index over an array whose elements are
 * keyed by a pair of 32-bit integers: the profile's trie (parent, frame) and
 * counts (thread, node), the Gecko export's stacks (prefix, frame) and the
 * pstats export's edges (caller, callee).
 *
 * The index holds only element numbers; the keys stay in the caller's array,
 * which must start each element with its two uint32_t keys, in order.  The
 * caller's array may move (realloc) between calls: every call is given its
 * current base and element size.  Elements are numbered 0..n-1 in the order
 * they were added, and the index is grown from them, so it never needs its own
 * copy of a key.  Grows at half load and never shrinks.
 */
#ifndef PYSPY_PAIR_INDEX_H
#define PYSPY_PAIR_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct pair_index {
	uint32_t *slots;           /* element numbers, UINT32_MAX empty */
	size_t cap;                /* a power of two, or 0 */
	uint64_t allocs;           /* slot tables allocated (the profile store reports them) */
};

/* The element of elems (each `size` bytes) keyed (a, b), or UINT32_MAX. */
uint32_t pair_index_find(const struct pair_index *x, const void *elems, size_t size, uint32_t a, uint32_t b);

/* Index element i, already stored in elems, with elements 0..i-1 already
 * indexed.  0, or -PS_ENOMEM with the index as it was (i not in it). */
int pair_index_put(struct pair_index *x, const void *elems, size_t size, uint32_t i);

/* Forget every element, keep the slots for reuse. */
void pair_index_clear(struct pair_index *x);

void pair_index_release(struct pair_index *x);

#endif
