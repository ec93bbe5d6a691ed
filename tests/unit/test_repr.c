/*
 * test_repr.c — the pure text rules of the value printer (reprfmt.c, strbuf.c).
 *
 * Every expected string here is what CPython's repr() printed for the same
 * value (Python 3 unless marked 2.7), so these tests pin the formatting
 * without a target process: shortest float digits and their layout, string
 * quoting and escapes, bytes, exact big-integer decimals, and the strbuf's
 * character limit that the width option is built on.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/values/reprfmt.h"
#include "engine/strbuf.h"
#include "unit.h"

static void check_float(double v, const char *want)
{
	char buf[40];
	reprfmt_float(v, buf, sizeof(buf));
	if (!unit_check(strcmp(buf, want) == 0, __FILE__, __LINE__, want))
		fprintf(stderr, "  got %s\n", buf);
}

static void test_floats(void)
{
	check_float(1.5, "1.5");
	check_float(0.1, "0.1");
	check_float(1e300, "1e+300");
	check_float(-0.0, "-0.0");
	check_float(0.0, "0.0");
	check_float(INFINITY, "inf");
	check_float(-INFINITY, "-inf");
	check_float(NAN, "nan");
	check_float(1e16, "1e+16");
	check_float(1e15, "1000000000000000.0");
	check_float(123456789012345680.0, "1.2345678901234568e+17");
	check_float(0.0001, "0.0001");
	check_float(0.00001, "1e-05");
	check_float(0.1 + 0.2, "0.30000000000000004");
	check_float(1.0 / 3, "0.3333333333333333");
	check_float(-2.5e-10, "-2.5e-10");
	check_float(100.0, "100.0");
	check_float(5e-324, "5e-324");
	check_float(1.7976931348623157e308, "1.7976931348623157e+308");
	check_float(12345.678, "12345.678");
}

static void check_text(const uint32_t *cp, size_t n, bool py2, const char *want)
{
	struct strbuf sb;
	strbuf_init(&sb, 0);
	reprfmt_unicode(&sb, cp, n, py2);
	if (!unit_check(strcmp(strbuf_str(&sb), want) == 0, __FILE__, __LINE__, want))
		fprintf(stderr, "  got %s\n", strbuf_str(&sb));
	strbuf_release(&sb);
}

static void test_strings(void)
{
	static const uint32_t cafe[] = { 'c', 'a', 'f', 0xe9 };
	static const uint32_t quotes[] = { 'i', 't', '\'', 's' };
	static const uint32_t both[] = { '\'', '"' };
	static const uint32_t ctl[] = { '\n', '\t', '\\', 7, 0x7f, 0xa0, 0x3a9, 0x1f600, 0x200b };
	static const uint32_t pair[] = { 0xd83d, 0xde00 };
	check_text(cafe, 4, false, "'café'");
	check_text(cafe, 4, true, "u'caf\\xe9'");
	check_text(quotes, 4, false, "\"it's\"");
	check_text(both, 2, false, "'\\'\"'");
	check_text(ctl, 9, false, "'\\n\\t\\\\\\x07\\x7f\\xa0Ω😀\\u200b'");
	check_text(ctl, 9, true, "u'\\n\\t\\\\\\x07\\x7f\\xa0\\u03a9\\U0001f600\\u200b'");
	check_text(pair, 2, true, "u'\\U0001f600'");   /* 2.7 narrow build */
	check_text(NULL, 0, false, "''");
	CHECK(reprfmt_printable(0xe9) && reprfmt_printable(0x1f600) && !reprfmt_printable(0xad));
}

static void test_bytes(void)
{
	struct strbuf sb;
	static const uint8_t b[] = { 'a', 0, 0xff, '\'', '\r' };
	strbuf_init(&sb, 0);
	reprfmt_bytes(&sb, b, sizeof(b), "b");
	CHECK_STR(strbuf_str(&sb), "b\"a\\x00\\xff'\\r\"");
	strbuf_reset(&sb);
	reprfmt_bytes(&sb, b, 1, "");
	CHECK_STR(strbuf_str(&sb), "'a'");
	strbuf_release(&sb);
}

static void check_int(uint32_t *d, size_t n, int bits, bool neg, const char *want)
{
	struct strbuf sb;
	strbuf_init(&sb, 0);
	reprfmt_bigint(&sb, d, n, bits, neg);
	CHECK_STR(strbuf_str(&sb), want);
	strbuf_release(&sb);
}

static void test_bigints(void)
{
	uint32_t zero[1] = { 0 };
	uint32_t one[1] = { 1 };
	uint32_t two64[3] = { 0, 0, 16 };          /* 2**64 in 30-bit digits */
	uint32_t two64_15[5] = { 0, 0, 0, 0, 16 }; /* 2**64 in 15-bit digits */
	uint32_t e9[1] = { 1000000000 };
	check_int(zero, 0, 30, false, "0");
	check_int(zero, 1, 30, true, "0");
	check_int(one, 1, 30, true, "-1");
	check_int(two64, 3, 30, false, "18446744073709551616");
	check_int(two64_15, 5, 15, true, "-18446744073709551616");
	check_int(e9, 1, 30, false, "1000000000");
	/* 3**419, the 200-digit int of tests/targets/values.py, built here in base 2**30 */
	uint32_t d[32] = { 1 };
	size_t n = 1;
	for (int i = 0; i < 419; i++) {
		uint64_t carry = 0;
		for (size_t j = 0; j < n; j++) {
			uint64_t v = (uint64_t)d[j] * 3 + carry;
			d[j] = (uint32_t)(v & 0x3fffffff);
			carry = v >> 30;
		}
		if (carry)
			d[n++] = (uint32_t)carry;
	}
	check_int(d, n, 30, false,
		  "81998465946267992316297544466932378146944579134120267577546932019281399540662285224990263210666168845602984913989193350923580530081665257252576406168967042636539181238132231567428583802173771149357467");
}

static void test_strbuf_limit(void)
{
	struct strbuf sb;
	strbuf_init(&sb, 5);
	strbuf_addstr(&sb, "caf\xc3\xa9");     /* 4 characters, 5 bytes */
	CHECK(!strbuf_full(&sb));
	strbuf_addstr(&sb, "\xc3\xa9\xc3\xa9");
	CHECK(strbuf_full(&sb));
	CHECK_STR(strbuf_str(&sb), "caf\xc3\xa9\xc3\xa9");
	CHECK_INT((long long)sb.nchars, 5);
	strbuf_cut_chars(&sb, 3);
	CHECK_STR(strbuf_str(&sb), "caf");
	strbuf_release(&sb);
}

int main(void)
{
	test_floats();
	test_strings();
	test_bytes();
	test_bigints();
	test_strbuf_limit();
	return unit_done();
}
