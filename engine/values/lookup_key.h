/*
 * lookup_key.h — the literal inside `print d[KEY]`, and finding it in a dict.
 *
 * KEY is a Python literal: an int, a str ('k', "k", u'k'), a bytes (b'k'),
 * None, True, False, or a tuple of them ((1, 'a')).  Nothing is hashed or
 * compared in the target: the literal is turned into the text Python's repr()
 * gives its value, and the dict's keys are compared by their repr, read with
 * the same printer (a str key by its text, an int by its value, first).
 */
#ifndef PYSPY_LOOKUP_KEY_H
#define PYSPY_LOOKUP_KEY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/strbuf.h"
#include "engine/python/target.h"

enum lookup_key_kind { LKEY_INT, LKEY_STR, LKEY_OTHER };

struct lookup_key {
	enum lookup_key_kind kind;
	int64_t n;                 /* LKEY_INT */
	char text[256];            /* LKEY_STR: the str's UTF-8 text */
	struct strbuf canon;       /* the repr of the key's value: 'k', b'k', (1, 'a'), None */
};

/* Parse the len bytes at s as a key literal; -PS_EARG with the reason when it is not one.
 * Release k with lookup_key_release() whatever the result. */
int lookup_key_parse(const char *s, size_t len, bool py2, struct lookup_key *k, struct pyspy_err *e);

/* dict[key]: *value = 0 when absent. */
int lookup_key_find(struct target *t, raddr_t dict, const struct lookup_key *k, raddr_t *value, struct pyspy_err *e);

void lookup_key_release(struct lookup_key *k);

#endif
