/*
 * strtab.h — interned strings.
 *
 * Function names and file names repeat in every sample; interning makes each
 * one a single stored copy whose pointer can be compared and hashed instead of
 * its text.  Strings live until the table is released (at detach).
 */
#ifndef PYSPY_STRTAB_H
#define PYSPY_STRTAB_H

#include <stddef.h>

struct strtab {
	const char **slots;
	size_t cap, n;
	struct strtab_block *blocks;
};

void strtab_init(struct strtab *t);
void strtab_release(struct strtab *t);
/* The interned copy of s[0..len), NUL-terminated, or NULL when out of memory. */
const char *strtab_intern(struct strtab *t, const char *s, size_t len);

#endif
