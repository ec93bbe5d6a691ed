/*
 * test_pyversion.c — version numbers from hex, text, file names and .rodata.
 */
#include <string.h>

#include "engine/python/pyversion.h"
#include "unit.h"

static void fmt_is(const struct pyversion *v, const char *want)
{
	char buf[32];
	pyversion_format(v, buf, sizeof(buf));
	CHECK_STR(buf, want);
}

static void test_hex(void)
{
	struct pyversion v;
	CHECK_INT(pyversion_from_hex(0x030c01f0, &v), 0);
	fmt_is(&v, "3.12.1");
	CHECK_INT(pyversion_from_hex(0x030d00c2, &v), 0);
	fmt_is(&v, "3.13.0rc2");
	CHECK_INT(pyversion_from_hex(0x030e00a3, &v), 0);
	fmt_is(&v, "3.14.0a3");
	CHECK_INT(pyversion_from_hex(0x020712f0, &v), 0);
	fmt_is(&v, "2.7.18");
	CHECK_INT(pyversion_from_hex(0, &v), -1);
	CHECK_INT(pyversion_from_hex(0x040000f0, &v), -1);
	CHECK_INT(pyversion_from_hex(0x030b0070, &v), -1);       /* level 7 is not a level */
	CHECK_INT(pyversion_from_hex(0x1030b00f0ull, &v), -1);    /* more than 32 bits */
}

static void test_text(void)
{
	struct pyversion v;
	CHECK_INT(pyversion_parse("3.11.7", &v), 0);
	CHECK(v.major == 3 && v.minor == 11 && v.micro == 7 && v.level == 'f');
	CHECK_INT(pyversion_parse("3.13.0rc2+", &v), 0);
	fmt_is(&v, "3.13.0rc2");
	CHECK_INT(pyversion_parse("2.7.18+", &v), 0);
	fmt_is(&v, "2.7.18");
	CHECK_INT(pyversion_parse("3.12.0b4", &v), 0);
	fmt_is(&v, "3.12.0b4");
	CHECK_INT(pyversion_parse("3.12", &v), -1);
	CHECK_INT(pyversion_parse("3.12.1 (main)", &v), -1);
	CHECK_INT(pyversion_parse("1.5.2", &v), -1);
	CHECK_INT(pyversion_parse("3.11.x", &v), -1);
	CHECK_INT(pyversion_parse("", &v), -1);
	CHECK_INT(pyversion_parse("3.123456.1", &v), -1);
}

static void test_filename(void)
{
	struct pyversion v;
	CHECK_INT(pyversion_from_filename("/usr/lib/libpython3.9.so.1.0", &v), 0);
	CHECK(v.major == 3 && v.minor == 9 && !v.micro_known);
	fmt_is(&v, "3.9");
	CHECK_INT(pyversion_from_filename("/x/lib/libpython3.6m.so.1.0", &v), 0);
	CHECK(v.minor == 6);
	CHECK_INT(pyversion_from_filename("/usr/bin/python3.11", &v), 0);
	CHECK(v.minor == 11);
	CHECK_INT(pyversion_from_filename("python2.7", &v), 0);
	CHECK(v.major == 2 && v.minor == 7);
	CHECK_INT(pyversion_from_filename("libpython3.13t.so", &v), 0);
	CHECK_INT(pyversion_from_filename("/usr/bin/python3", &v), -1);
	CHECK_INT(pyversion_from_filename("/bin/sleep", &v), -1);
	CHECK_INT(pyversion_from_filename("libpython3.so", &v), -1);
	CHECK_INT(pyversion_from_filename("python3.11-config", &v), -1);
}

static void test_scan(void)
{
	static const char ro[] = "\0hello\0%.80s (%.80s)\0/tmp/build/Python-3.9.18\0" "3.8.1\0x3.7.2\0";
	struct pyversion v;
	CHECK_INT(pyversion_scan(ro, sizeof(ro), 3, 9, &v), 0);
	fmt_is(&v, "3.9.18");
	CHECK_INT(pyversion_scan(ro, sizeof(ro), 3, 8, &v), 0);
	fmt_is(&v, "3.8.1");
	CHECK_INT(pyversion_scan(ro, sizeof(ro), 3, 10, &v), -1);
	CHECK_INT(pyversion_scan(ro, sizeof(ro), 0, 0, &v), 0);   /* the first one */
	fmt_is(&v, "3.9.18");
	CHECK_INT(pyversion_scan("3.9.1", 5, 0, 0, &v), -1);      /* no terminator: not a string */
	struct pyversion s = { 3, 11, 2, 'f', 0, 1 };
	CHECK(pyversion_supported(&s));
	s.minor = 5;
	CHECK(!pyversion_supported(&s));
	s.minor = 14;
	CHECK(!pyversion_supported(&s));
}

int main(void)
{
	test_hex();
	test_text();
	test_filename();
	test_scan();
	return unit_done();
}
