/*
 * strbuf.c — see strbuf.h.  Lengths are counted in UTF-8 code points (a byte
 * that is not a continuation byte starts one), because the limit is what a
 * user sees as "characters", and a cut never splits a character.
 */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_lead(unsigned char c)
{
	return (c & 0xc0) != 0x80;
}

void strbuf_init(struct strbuf *sb, size_t limit_chars)
{
	memset(sb, 0, sizeof(*sb));
	sb->limit = limit_chars;
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb, sb->limit);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = sb->nchars = 0;
	sb->truncated = sb->oom = false;
	if (sb->buf)
		sb->buf[0] = '\0';
}

static bool grow(struct strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return true;
	size_t ncap = sb->cap ? sb->cap : 64;
	while (ncap < sb->len + extra + 1)
		ncap *= 2;
	char *nb = realloc(sb->buf, ncap);
	if (!nb) {
		sb->oom = true;
		return false;
	}
	sb->buf = nb;
	sb->cap = ncap;
	return true;
}

void strbuf_add(struct strbuf *sb, const char *s, size_t n)
{
	size_t keep = n, chars = 0;
	if (sb->oom || sb->truncated)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!is_lead((unsigned char)s[i]))
			continue;
		if (sb->limit && sb->nchars + chars == sb->limit) {
			keep = i;
			sb->truncated = true;
			break;
		}
		chars++;
	}
	if (!grow(sb, keep))
		return;
	memcpy(sb->buf + sb->len, s, keep);
	sb->len += keep;
	sb->nchars += chars;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		strbuf_add(sb, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		sb->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	strbuf_add(sb, big, (size_t)n);
	free(big);
}

void strbuf_cut_chars(struct strbuf *sb, size_t n)
{
	while (sb->nchars > n && sb->len > 0) {
		do
			sb->len--;
		while (sb->len > 0 && !is_lead((unsigned char)sb->buf[sb->len]));
		sb->nchars--;
	}
	if (sb->buf)
		sb->buf[sb->len] = '\0';
}

const char *strbuf_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

bool strbuf_full(const struct strbuf *sb)
{
	return sb->truncated || sb->oom;
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *b = sb->buf;
	if (len)
		*len = sb->len;
	sb->buf = NULL;
	sb->len = sb->cap = sb->nchars = 0;
	sb->truncated = sb->oom = false;
	return b;
}

size_t strbuf_utf8(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}
