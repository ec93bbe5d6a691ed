/*
 * strtab.c — an open-addressing set of strings over bump-allocated blocks.
 */
#include "strtab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct strtab_block {
	struct strtab_block *next;
	size_t used, cap;
	char data[];
};

void strtab_init(struct strtab *t)
{
	memset(t, 0, sizeof(*t));
}

void strtab_release(struct strtab *t)
{
	struct strtab_block *b = t->blocks;
	while (b) {
		struct strtab_block *next = b->next;
		free(b);
		b = next;
	}
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static char *block_alloc(struct strtab *t, size_t len)
{
	struct strtab_block *b = t->blocks;
	if (!b || b->cap - b->used < len) {
		size_t cap = len > 16384 ? len : 16384;
		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = t->blocks;
		t->blocks = b;
	}
	char *p = b->data + b->used;
	b->used += len;
	return p;
}

static int grow(struct strtab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 1024;
	const char **ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		const char *s = t->slots[i];
		if (!s)
			continue;
		size_t j = hash_bytes(s, strlen(s)) & (ncap - 1);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = s;
	}
	free(t->slots);
	t->slots = ns;
	t->cap = ncap;
	return 0;
}

const char *strtab_intern(struct strtab *t, const char *s, size_t len)
{
	if ((t->n + 1) * 2 > t->cap && grow(t) < 0)
		return NULL;
	size_t j = hash_bytes(s, len) & (t->cap - 1);
	for (const char *cur; (cur = t->slots[j]); j = (j + 1) & (t->cap - 1))
		if (strncmp(cur, s, len) == 0 && cur[len] == '\0')
			return cur;
	char *copy = block_alloc(t, len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	t->slots[j] = copy;
	t->n++;
	return copy;
}
