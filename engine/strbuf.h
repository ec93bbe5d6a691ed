/*
 * strbuf.h — a growable text buffer with an optional length limit.
 *
 * The value printer builds text piece by piece and must stop early: a 10,000
 * element list shown in 200 characters should cost 200 characters of work, not
 * 10,000 items.  So a strbuf can carry a limit in characters (UTF-8 code
 * points): text beyond it is dropped and `truncated` is set, which the writer
 * checks to stop walking.  Without a limit it is an ordinary growing string.
 * Out of memory is sticky (`oom`) so callers can append freely and check once.
 */
#ifndef PYSPY_STRBUF_H
#define PYSPY_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf {
	char *buf;                 /* NUL-terminated once anything was added; NULL before */
	size_t len, cap;           /* bytes */
	size_t nchars;             /* code points held */
	size_t limit;              /* max code points kept, 0 for no limit */
	bool truncated;            /* something was dropped because of the limit */
	bool oom;                  /* an allocation failed; the text is cut there */
};

void strbuf_init(struct strbuf *sb, size_t limit_chars);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);

/* Append; under a limit only the code points that fit are kept. */
void strbuf_add(struct strbuf *sb, const char *s, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drop code points from the end until at most n remain. */
void strbuf_cut_chars(struct strbuf *sb, size_t n);

/* The text ("" when empty); valid until the next change. */
const char *strbuf_str(const struct strbuf *sb);

/* Whether no more text will be kept (limit reached, or out of memory). */
bool strbuf_full(const struct strbuf *sb);

/* Take the malloc'd text (NULL if nothing was ever added); the buffer is reset. */
char *strbuf_detach(struct strbuf *sb, size_t *len);

/* The UTF-8 bytes of code point cp (at most 0x10ffff) into out; returns 1..4.
 * Surrogates are encoded as they are: callers that want U+FFFD say so. */
size_t strbuf_utf8(uint32_t cp, char out[4]);

#endif
