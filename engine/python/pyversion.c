/*
 * pyversion.c — parsing CPython version numbers.
 *
 * The text scan is used for 2.7–3.10 binaries, which have neither
 * _Py_DebugOffsets nor Py_Version: PY_VERSION is stored in .rodata as its own
 * NUL-terminated string, preceded by another string's NUL.  The file name gives
 * major.minor; the scan, restricted to that major.minor, gives the micro.
 */
#include "pyversion.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int pyversion_from_hex(uint64_t hex, struct pyversion *v)
{
	unsigned level = (hex >> 4) & 0xf;
	memset(v, 0, sizeof(*v));
	v->major = (hex >> 24) & 0xff;
	v->minor = (hex >> 16) & 0xff;
	v->micro = (hex >> 8) & 0xff;
	v->serial = hex & 0xf;
	v->micro_known = 1;
	if (hex >> 32 || (v->major != 2 && v->major != 3) || v->minor > 40 || level < 0xa || level > 0xf || level == 0xd || level == 0xe)
		return -1;
	v->level = level == 0xa ? 'a' : level == 0xb ? 'b' : level == 0xc ? 'c' : 'f';
	return 0;
}

static int parse_uint(const char **p, unsigned *out, unsigned max)
{
	unsigned n = 0;
	int digits = 0;
	while (isdigit((unsigned char)**p) && digits < 4) {
		n = n * 10 + (unsigned)(**p - '0');
		(*p)++;
		digits++;
	}
	if (!digits || isdigit((unsigned char)**p) || n > max)
		return -1;
	*out = n;
	return 0;
}

int pyversion_parse(const char *s, struct pyversion *v)
{
	const char *p = s;
	memset(v, 0, sizeof(*v));
	if (parse_uint(&p, &v->major, 3) < 0 || v->major < 2 || *p++ != '.')
		return -1;
	if (parse_uint(&p, &v->minor, 40) < 0 || *p++ != '.')
		return -1;
	if (parse_uint(&p, &v->micro, 99) < 0)
		return -1;
	v->level = 'f';
	v->micro_known = 1;
	if (*p == 'a' || *p == 'b' || (p[0] == 'r' && p[1] == 'c')) {
		v->level = *p == 'r' ? 'c' : *p;
		p += *p == 'r' ? 2 : 1;
		if (parse_uint(&p, &v->serial, 99) < 0)
			return -1;
	}
	if (*p == '+')
		p++;
	return *p == '\0' ? 0 : -1;
}

int pyversion_from_filename(const char *path, struct pyversion *v)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *p = NULL;
	if (strncmp(base, "libpython", 9) == 0)
		p = base + 9;
	else if (strncmp(base, "python", 6) == 0)
		p = base + 6;
	if (!p)
		return -1;
	memset(v, 0, sizeof(*v));
	if (parse_uint(&p, &v->major, 3) < 0 || v->major < 2 || *p++ != '.')
		return -1;
	if (parse_uint(&p, &v->minor, 40) < 0)
		return -1;
	/* what may follow: ABI flags (d, m, u, t), ".so", end of name */
	while (*p == 'd' || *p == 'm' || *p == 'u' || *p == 't')
		p++;
	if (*p != '\0' && *p != '.')
		return -1;
	v->level = 'f';
	return 0;
}

void pyversion_format(const struct pyversion *v, char *buf, size_t len)
{
	if (!v->micro_known) {
		snprintf(buf, len, "%u.%u", v->major, v->minor);
		return;
	}
	if (v->level == 'f')
		snprintf(buf, len, "%u.%u.%u", v->major, v->minor, v->micro);
	else
		snprintf(buf, len, "%u.%u.%u%s%u", v->major, v->minor, v->micro,
			 v->level == 'c' ? "rc" : v->level == 'a' ? "a" : "b", v->serial);
}

int pyversion_supported(const struct pyversion *v)
{
	return (v->major == 2 && v->minor == 7) || (v->major == 3 && v->minor >= 6 && v->minor <= 13);
}

int pyversion_scan(const void *data, size_t len, unsigned want_major, unsigned want_minor, struct pyversion *v)
{
	const char *d = data;
	for (size_t i = 1; i + 6 < len; i++) {
		/* PY_VERSION may be the tail of a merged string ("Python-3.9.18") */
		char before = d[i - 1];
		if ((before >= '0' && before <= '9') || before == '.' || (d[i] != '2' && d[i] != '3') || d[i + 1] != '.')
			continue;
		size_t n = strnlen(d + i, len - i);
		if (n >= 16 || i + n >= len)
			continue;
		if (pyversion_parse(d + i, v) < 0)
			continue;
		if (want_major && (v->major != want_major || v->minor != want_minor))
			continue;
		return 0;
	}
	return -1;
}
