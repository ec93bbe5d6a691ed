/*
 * pair_index.c — the integer-pair index (see pair_index.h).
 *
 * Linear probing over a power-of-two table of element numbers.  The hash is
 * a 64-bit finalizer over the two keys side by side: trie nodes and counts
 * are numbered densely, so their keys are small and close together, and a
 * plain multiply would cluster them.  A grown table is refilled from the
 * caller's elements in order, not from the old table, so the old one can go
 * first.
 */
#include "pair_index.h"

#include <stdlib.h>
#include <string.h>

#include "engine/error.h"

#define EMPTY UINT32_MAX

static uint64_t pair_hash(uint32_t a, uint32_t b)
{
	uint64_t x = ((uint64_t)a << 32) | b;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static const uint32_t *key_of(const void *elems, size_t size, uint32_t i)
{
	return (const uint32_t *)((const char *)elems + (size_t)i * size);
}

uint32_t pair_index_find(const struct pair_index *x, const void *elems, size_t size, uint32_t a, uint32_t b)
{
	if (!x->cap)
		return EMPTY;
	size_t mask = x->cap - 1;
	for (size_t j = pair_hash(a, b) & mask;; j = (j + 1) & mask) {
		uint32_t i = x->slots[j];
		if (i == EMPTY)
			return EMPTY;
		const uint32_t *k = key_of(elems, size, i);
		if (k[0] == a && k[1] == b)
			return i;
	}
}

static void place(struct pair_index *x, const void *elems, size_t size, uint32_t i)
{
	const uint32_t *k = key_of(elems, size, i);
	size_t mask = x->cap - 1;
	size_t j = pair_hash(k[0], k[1]) & mask;
	while (x->slots[j] != EMPTY)
		j = (j + 1) & mask;
	x->slots[j] = i;
}

int pair_index_put(struct pair_index *x, const void *elems, size_t size, uint32_t i)
{
	if (((size_t)i + 1) * 2 > x->cap) {
		size_t ncap = x->cap ? x->cap * 2 : 1024;
		uint32_t *ns = malloc(ncap * sizeof(*ns));
		if (!ns)
			return -PS_ENOMEM;
		x->allocs++;
		memset(ns, 0xff, ncap * sizeof(*ns));
		free(x->slots);
		x->slots = ns;
		x->cap = ncap;
		for (uint32_t k = 0; k < i; k++)
			place(x, elems, size, k);
	}
	place(x, elems, size, i);
	return 0;
}

void pair_index_clear(struct pair_index *x)
{
	if (x->cap)
		memset(x->slots, 0xff, x->cap * sizeof(*x->slots));
}

void pair_index_release(struct pair_index *x)
{
	free(x->slots);
	memset(x, 0, sizeof(*x));
}
