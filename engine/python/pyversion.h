/*
 * pyversion.h — CPython version numbers from the places a process shows them.
 *
 * A version arrives as PY_VERSION_HEX (from _Py_DebugOffsets or the Py_Version
 * symbol), as the text of PY_VERSION ("3.12.1", "3.13.0rc2+") found in the
 * binary, or only as a file name ("libpython3.9.so.1.0", "python2.7").  All of
 * them parse into one struct.
 */
#ifndef PYSPY_PYVERSION_H
#define PYSPY_PYVERSION_H

#include <stddef.h>
#include <stdint.h>

struct pyversion {
	unsigned major, minor, micro;  /* micro is 0 when only major.minor is known */
	char level;                    /* 'a', 'b', 'c' (rc) or 'f' (final) */
	unsigned serial;
	int micro_known;               /* 0 when only major.minor came from a file name */
};

/* From PY_VERSION_HEX: 0x030c01f0 is 3.12.1 final.  Returns 0, or -1 if implausible. */
int pyversion_from_hex(uint64_t hex, struct pyversion *v);

/* From PY_VERSION text: "3.12.1", "3.13.0rc2", "2.7.18+".  The whole string must match. */
int pyversion_parse(const char *s, struct pyversion *v);

/* From a file name: ".../libpython3.9.so.1.0", "libpython3.6m.so", "python3.11", "python2.7". */
int pyversion_from_filename(const char *path, struct pyversion *v);

/* "3.12.1", "3.13.0rc2", or "3.9" when the micro is unknown. */
void pyversion_format(const struct pyversion *v, char *buf, size_t len);

/* Whether pyspy-sh knows this major.minor well (2.7, 3.6–3.13). */
int pyversion_supported(const struct pyversion *v);

/* Find a NUL-terminated PY_VERSION string inside a block of bytes (.rodata).
 * If want_major/want_minor are non-zero, only a matching version is accepted. */
int pyversion_scan(const void *data, size_t len, unsigned want_major, unsigned want_minor, struct pyversion *v);

#endif
