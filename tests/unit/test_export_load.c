/*
 * test_export_load.c — profiles saved and read back (export_load.c), with no
 * target.
 *
 * A small profile (a recursion, two threads, a name with ';' and bad UTF-8)
 * is saved as folded and as pstats and read back: the own weights per
 * function must come back exactly (folded: every stack; pstats: own time in
 * µs of a cpu-mode profile).  Then every prefix of the pstats file, and a
 * handful of hostile marshal blobs (a reference to nothing, a length past
 * the end, nesting past the limit, an unknown code), must be refused with
 * -PS_EARG and a message, never crash or hang; and a text file that is not
 * folded stacks names its bad line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/export/export.h"
#include "unit.h"

static char dir[] = "/tmp/pyspy-unit-load-XXXXXX";

static struct py_frame fr(const char *qualname, const char *file, int line)
{
	struct py_frame f = { 0 };
	f.function = f.qualname = qualname;
	f.file = file;
	f.line = line;
	return f;
}

/* innermost first */
static void add(struct profile *p, int tid, const struct py_frame *f, size_t n, uint64_t w)
{
	CHECK_INT(profile_add(p, (uint64_t)tid, tid, NULL, f, n, w, 0), 0);
}

static struct profile *sample_profile(void)
{
	struct profile *p = profile_new();
	struct py_frame mod = fr("<module>", "app.py", 1), run = fr("run", "app.py", 10);
	struct py_frame rec = fr("rec", "lib.py", 5), odd = fr("we;ird\xff", "lib.py", 20);
	profile_meta(p)->unit = PROF_UNIT_CPU_US;
	struct py_frame s1[] = { rec, rec, run, mod };
	struct py_frame s2[] = { odd, run, mod };
	struct py_frame s3[] = { run, mod };
	add(p, 1, s1, 4, 3000);
	add(p, 2, s2, 3, 1000);
	add(p, 1, s3, 2, 500);
	return p;
}

/* Own weight of the function named q (after the folded writer's escaping). */
static uint64_t own_of(const struct profile *p, const char *q)
{
	struct prof_row *rows;
	size_t n;
	uint64_t w = 0;
	if (profile_top(p, PROF_BY_FUNCTION, &rows, &n) < 0)
		return (uint64_t)-1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rows[i].qualname, q))
			w += rows[i].own;
	free(rows);
	return w;
}

static void path_in(char *buf, size_t cap, const char *name)
{
	snprintf(buf, cap, "%s/%s", dir, name);
}

static void round_trip(void)
{
	struct profile *p = sample_profile(), *back = NULL;
	struct pyspy_err e = { 0 };
	char folded[256], pstats[256];
	path_in(folded, sizeof(folded), "p.txt");
	path_in(pstats, sizeof(pstats), "p.pstats");
	CHECK_INT(export_folded(p, folded, NULL, &e), 0);
	CHECK_INT(export_pstats(p, pstats, NULL, &e), 0);

	CHECK_INT(export_load(folded, &back, &e), 0);
	if (CHECK(back)) {
		CHECK_INT(own_of(back, "rec"), 3000);
		CHECK_INT(own_of(back, "run"), 500);
		CHECK_INT(own_of(back, "we:ird\xef\xbf\xbd"), 1000);   /* ';' and the bad byte as written */
		CHECK_INT(profile_weight(back), 4500);
		profile_free(back);
	}
	CHECK_INT(export_load(pstats, &back, &e), 0);
	if (CHECK(back)) {
		CHECK_INT(own_of(back, "rec"), 3000);
		CHECK_INT(own_of(back, "run"), 500);
		CHECK_INT(profile_weight(back), 4500);
		CHECK_INT(profile_meta(back)->unit, PROF_UNIT_CPU_US);
		profile_free(back);
	}
	profile_free(p);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

static int load_bytes(const void *buf, size_t len, struct pyspy_err *e)
{
	char path[256];
	struct profile *p = NULL;
	path_in(path, sizeof(path), "bad.pstats");
	write_file(path, buf, len);
	int rc = export_load(path, &p, e);
	profile_free(p);
	return rc;
}

static void hostile(void)
{
	struct profile *p = sample_profile();
	struct pyspy_err e = { 0 };
	char pstats[256];
	path_in(pstats, sizeof(pstats), "h.pstats");
	CHECK_INT(export_pstats(p, pstats, NULL, &e), 0);
	profile_free(p);
	FILE *f = fopen(pstats, "rb");
	unsigned char buf[4096];
	size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	CHECK(len > 100 && len < sizeof(buf));
	int refused = 0;
	for (size_t cut = 1; cut < len; cut++)
		refused += load_bytes(buf, cut, &e) == -PS_EARG;
	CHECK_INT(refused, (long long)len - 1);

	static const unsigned char ref_nothing[] = { '{', 'r', 5, 0, 0, 0, 0 };
	static const unsigned char long_len[] = { '{', '(', 0xff, 0xff, 0xff, 0x7f, '0' };
	static const unsigned char unknown[] = { '{', 'Q', 0, '0' };
	unsigned char deep[200];
	memset(deep, '[', sizeof(deep));
	deep[0] = '{';
	for (size_t i = 1; i + 5 <= sizeof(deep); i += 5) {
		deep[i] = '[';
		deep[i + 1] = 1;
		deep[i + 2] = deep[i + 3] = deep[i + 4] = 0;
	}
	CHECK_INT(load_bytes(ref_nothing, sizeof(ref_nothing), &e), -PS_EARG);
	CHECK(strstr(e.msg, "a reference to nothing") != NULL);
	CHECK_INT(load_bytes(long_len, sizeof(long_len), &e), -PS_EARG);
	CHECK_INT(load_bytes(unknown, sizeof(unknown), &e), -PS_EARG);
	CHECK_INT(load_bytes(deep, sizeof(deep), &e), -PS_EARG);

	static const char text[] = "a;b 3\nnot a profile line\n";
	CHECK_INT(load_bytes(text, sizeof(text) - 1, &e), -PS_EARG);
	CHECK(strstr(e.msg, "line 2 is not folded stacks") != NULL);
	CHECK_INT(load_bytes("", 0, &e), -PS_EARG);
	CHECK(strstr(e.msg, "no samples") != NULL);
	struct profile *none = NULL;
	CHECK_INT(export_load("/nonexistent-dir/x.txt", &none, &e), -PS_EIO);
	CHECK(none == NULL);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	round_trip();
	hostile();
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return unit_done();
}
