/*
 * reprfmt.c — see reprfmt.h.
 *
 * Floats: Python's repr uses David Gay's shortest round-trip digits.  The
 * same digits come from trying "%.*e" with 1, 2, ... 17 significant digits
 * and keeping the first that strtod() reads back as the same double (the
 * correctly rounded p-digit string is the closest p-digit decimal, so if any
 * p-digit string round-trips, it does).  The layout then follows
 * float_repr_style 'short': exponent form when the decimal point position is
 * <= -4 or > 16, else positional with ".0" added to whole numbers.
 *
 * Strings: Python 3 keeps a non-ASCII character as itself when
 * str.isprintable() says so, which needs the Unicode database.  Here the
 * categories Python treats as non-printable are approximated by ranges:
 * controls (Cc), separators other than space (Zs, Zl, Zp), the common format
 * characters (Cf), surrogates (Cs), private use (Co) and the noncharacters.
 * Unassigned code points (Cn) cannot be told without the database and print
 * as themselves; that is the one known difference from Python.
 */
#include "reprfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- floats ---- */

/* Shortest "%.*e" text of v that round-trips: digits without the point, and the exponent. */
static void shortest_digits(double v, char *digits, size_t cap, int *exp10)
{
	char tmp[40];
	for (int p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	const char *s = tmp + (tmp[0] == '-');
	size_t n = 0;
	for (; *s && *s != 'e'; s++)
		if (*s != '.' && n + 1 < cap)
			digits[n++] = *s;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*exp10 = *s == 'e' ? atoi(s + 1) : 0;
}

void reprfmt_float(double v, char *buf, size_t cap)
{
	char d[32];
	int exp10;
	if (isnan(v)) {
		snprintf(buf, cap, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, cap, "%sinf", v < 0 ? "-" : "");
		return;
	}
	shortest_digits(v, d, sizeof(d), &exp10);
	int nd = (int)strlen(d), decpt = v == 0 ? 1 : exp10 + 1;
	char t[64];
	size_t k = 0;
	if (signbit(v))
		t[k++] = '-';
	if (decpt <= -4 || decpt > 16) {
		t[k++] = d[0];
		if (nd > 1)
			t[k++] = '.';
		for (int i = 1; i < nd; i++)
			t[k++] = d[i];
		snprintf(t + k, sizeof(t) - k, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
	} else {
		if (decpt <= 0) {
			t[k++] = '0';
			t[k++] = '.';
			for (int i = decpt; i < 0; i++)
				t[k++] = '0';
		}
		for (int i = 0; i < nd || i < decpt; i++) {
			if (i == decpt && decpt > 0)
				t[k++] = '.';
			t[k++] = i < nd ? d[i] : '0';
		}
		if (decpt >= nd) {
			t[k++] = '.';
			t[k++] = '0';
		}
		t[k] = '\0';
	}
	snprintf(buf, cap, "%s", t);
}

/* ---- strings ---- */

bool reprfmt_printable(uint32_t c)
{
	if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad)
		return false;
	if (c < 0x378)
		return true;
	static const uint32_t ranges[][2] = {
		{ 0x600, 0x605 }, { 0x61c, 0x61c }, { 0x6dd, 0x6dd }, { 0x70f, 0x70f },
		{ 0x890, 0x891 }, { 0x8e2, 0x8e2 }, { 0x1680, 0x1680 }, { 0x180e, 0x180e },
		{ 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x205f, 0x2064 }, { 0x2066, 0x206f },
		{ 0x3000, 0x3000 }, { 0xd800, 0xf8ff }, { 0xfdd0, 0xfdef }, { 0xfeff, 0xfeff },
		{ 0xfff9, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
		{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
		{ 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f }, { 0xf0000, 0x10ffff },
	};
	if ((c & 0xfffe) == 0xfffe)
		return false;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (c >= ranges[i][0] && c <= ranges[i][1])
			return false;
	return c <= 0x10ffff;
}

static void put_utf8(struct strbuf *sb, uint32_t cp)
{
	char t[4];
	strbuf_add(sb, t, strbuf_utf8(cp, t));
}

/* Python picks ' unless the text has a ' and no ". */
static char pick_quote(bool has_single, bool has_double)
{
	return has_single && !has_double ? '"' : '\'';
}

/* The escapes ASCII shares across str, unicode and bytes; false if c needs none. */
static bool ascii_escape(struct strbuf *sb, uint32_t c, char quote)
{
	if (c == (uint32_t)quote || c == '\\') {
		char t[2] = { '\\', (char)c };
		strbuf_add(sb, t, 2);
	} else if (c == '\t')
		strbuf_add(sb, "\\t", 2);
	else if (c == '\n')
		strbuf_add(sb, "\\n", 2);
	else if (c == '\r')
		strbuf_add(sb, "\\r", 2);
	else if (c < 0x20 || c == 0x7f)
		strbuf_addf(sb, "\\x%02x", (unsigned)c);
	else if (c < 0x7f)
		strbuf_addch(sb, (char)c);
	else
		return false;
	return true;
}

static void escape_wide(struct strbuf *sb, uint32_t c)
{
	if (c <= 0xff)
		strbuf_addf(sb, "\\x%02x", (unsigned)c);
	else if (c <= 0xffff)
		strbuf_addf(sb, "\\u%04x", (unsigned)c);
	else
		strbuf_addf(sb, "\\U%08x", (unsigned)c);
}

void reprfmt_unicode(struct strbuf *sb, const uint32_t *cp, size_t n, bool py2)
{
	bool s1 = false, s2 = false;
	for (size_t i = 0; i < n && !(s1 && s2); i++) {
		s1 |= cp[i] == '\'';
		s2 |= cp[i] == '"';
	}
	char q = pick_quote(s1, s2);
	if (py2)
		strbuf_addch(sb, 'u');
	strbuf_addch(sb, q);
	for (size_t i = 0; i < n && !strbuf_full(sb); i++) {
		uint32_t c = cp[i];
		if (ascii_escape(sb, c, q))
			continue;
		/* 2.7 narrow builds store astral characters as surrogate pairs; repr joins them */
		if (py2 && c >= 0xd800 && c < 0xdc00 && i + 1 < n && cp[i + 1] >= 0xdc00 && cp[i + 1] < 0xe000) {
			c = 0x10000 + ((c - 0xd800) << 10) + (cp[i + 1] - 0xdc00);
			i++;
		}
		if (!py2 && reprfmt_printable(c))
			put_utf8(sb, c);
		else
			escape_wide(sb, c);
	}
	strbuf_addch(sb, q);
}

void reprfmt_bytes(struct strbuf *sb, const uint8_t *b, size_t n, const char *prefix)
{
	reprfmt_bytes_as(sb, b, n, prefix, false);
}

void reprfmt_bytes_as(struct strbuf *sb, const uint8_t *b, size_t n, const char *prefix, bool bytearray)
{
	char q = pick_quote(memchr(b, '\'', n) != NULL, memchr(b, '"', n) != NULL);
	strbuf_addstr(sb, prefix);
	strbuf_addch(sb, q);
	for (size_t i = 0; i < n && !strbuf_full(sb); i++) {
		if (bytearray && b[i] == '\'')
			strbuf_addstr(sb, "\\'");
		else if (!ascii_escape(sb, b[i], q))
			strbuf_addf(sb, "\\x%02x", b[i]);
	}
	strbuf_addch(sb, q);
}

/* ---- big integers ---- */

#define CHUNK 1000000000u   /* 10^9: nine decimal digits per division pass */

void reprfmt_bigint(struct strbuf *sb, uint32_t *d, size_t n, int bits, bool negative)
{
	uint32_t *chunks = malloc((n * 2 + 2) * sizeof(*chunks));
	size_t nc = 0;
	if (!chunks) {
		sb->oom = true;
		return;
	}
	while (n > 0 && d[n - 1] == 0)
		n--;
	while (n > 0) {
		uint64_t rem = 0;
		for (size_t i = n; i-- > 0;) {
			uint64_t cur = (rem << bits) | d[i];
			d[i] = (uint32_t)(cur / CHUNK);
			rem = cur % CHUNK;
		}
		chunks[nc++] = (uint32_t)rem;
		while (n > 0 && d[n - 1] == 0)
			n--;
	}
	if (!nc) {
		strbuf_addch(sb, '0');
		free(chunks);
		return;
	}
	if (negative)
		strbuf_addch(sb, '-');
	strbuf_addf(sb, "%u", chunks[nc - 1]);
	for (size_t i = nc - 1; i-- > 0 && !strbuf_full(sb);)
		strbuf_addf(sb, "%09u", chunks[i]);
	free(chunks);
}
