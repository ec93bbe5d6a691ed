/*
 * reprfmt.h — the pure text rules of Python's repr(), without a target.
 *
 * Turning a double, a run of code points, some bytes or a big integer's
 * digits into the text Python's repr() would print is pure computation, so it
 * lives here apart from the remote reading (repr.c), where a unit test can
 * check it against values Python printed (tests/unit/test_repr.c).
 */
#ifndef PYSPY_REPRFMT_H
#define PYSPY_REPRFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/strbuf.h"

/* repr(float): the shortest digits that read back as the same double, laid
 * out as Python does ('1.5', '1e+300', '0.0001', '1e-05', '-0.0', 'inf', 'nan').
 * cap of 32 is always enough. */
void reprfmt_float(double v, char *buf, size_t cap);

/* repr(str) of text given as code points.  py2 selects 2.7's repr(unicode):
 * a u prefix and every non-ASCII character escaped; otherwise Python 3's rule
 * keeps printable characters as they are.  The quote is chosen from the code
 * points given, as Python chooses it from the whole string. */
void reprfmt_unicode(struct strbuf *sb, const uint32_t *cp, size_t n, bool py2);

/* repr of bytes (Python 3 bytes with prefix "b", 2.7 str with prefix ""). */
void reprfmt_bytes(struct strbuf *sb, const uint8_t *b, size_t n, const char *prefix);
/* The same; bytearray's repr escapes a ' even between double quotes. */
void reprfmt_bytes_as(struct strbuf *sb, const uint8_t *b, size_t n, const char *prefix, bool bytearray);

/* The exact decimal of a non-negative integer given as n little-endian digits
 * of `bits` bits (15 or 30), with a '-' when negative.  The digits are
 * clobbered.  Quadratic in n: callers bound n. */
void reprfmt_bigint(struct strbuf *sb, uint32_t *digits, size_t n, int bits, bool negative);

/* Whether Python 3 prints this code point as itself in a repr (an
 * approximation of str.isprintable() that needs no Unicode database; see
 * reprfmt.c). */
bool reprfmt_printable(uint32_t cp);

#endif
