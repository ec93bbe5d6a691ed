/*
 * test_linetable.c — engine/linetable.c against CPython's own answers.
 *
 * The vectors in tests/unit/data/linetable_X.Y.txt were written by
 * gen_linetable_vectors.py under each CPython, which asked the interpreter's
 * PyCode_Addr2Line() for the line at every byte offset of every code object
 * of a set of awkward functions.  Here each table is copied into a buffer of
 * exactly its size (so a sanitizer build catches any over-read) and every
 * offset must give the same line.  Then the decoders get what a racing or
 * confused reader might hand them: truncated tables, random bytes, endless
 * varints, extreme offsets — they must return, within bounds, every time.
 *
 * Usage: test_linetable [datadir]   (default: $PYSPY_UNIT_DATA, else
 * tests/unit/data, i.e. run from the repository root).
 */
#include <limits.h>
#include <stdlib.h>

#include "engine/python/linetable.h"
#include "unit.h"

static const char *const versions[] = {
	"2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13",
};

/* One code object from a vector file; buffers are malloc'd to exact size. */
struct vec {
	char name[256];
	int firstlineno;
	size_t len, nlines;
	uint8_t *table;
	int *lines;             /* lines[i] is the line at byte offset i - 1 */
};

static int model_named(const char *s, enum linetable_model *out)
{
	static const struct { const char *name; enum linetable_model model; } names[] = {
		{ "lnotab27", LINETABLE_LNOTAB_PY2 },
		{ "lnotab", LINETABLE_LNOTAB },
		{ "310", LINETABLE_310 },
		{ "locations", LINETABLE_LOCATIONS },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].model;
			return 0;
		}
	return -1;
}

static void vec_free(struct vec *v)
{
	free(v->table);
	free(v->lines);
	v->table = NULL;
	v->lines = NULL;
}

/* Reads the next code object; 1 on success, 0 at the end, -1 on a bad file. */
static int vec_read(FILE *f, struct vec *v)
{
	char word[16];

	if (fscanf(f, "%15s", word) != 1)
		return 0;
	if (strcmp(word, "code") != 0 ||
	    fscanf(f, "%255s %d %zu %zu", v->name, &v->firstlineno, &v->len, &v->nlines) != 4 ||
	    v->nlines == 0)
		return -1;
	v->table = malloc(v->len ? v->len : 1);
	v->lines = malloc(v->nlines * sizeof(int));
	if (!v->table || !v->lines)
		return -1;
	if (v->len == 0 && (fscanf(f, "%15s", word) != 1 || strcmp(word, "-") != 0))
		return -1;
	for (size_t i = 0; i < v->len; i++) {
		unsigned b;

		if (fscanf(f, "%2x", &b) != 1)
			return -1;
		v->table[i] = (uint8_t)b;
	}
	for (size_t i = 0; i < v->nlines; i++)
		if (fscanf(f, "%d", &v->lines[i]) != 1)
			return -1;
	return 1;
}

/* Every offset of one code object; returns the number compared. */
static size_t check_vec(enum linetable_model model, const struct vec *v, const char *file)
{
	for (size_t i = 0; i < v->nlines; i++) {
		int addr = (int)i - 1;
		int got = linetable_line(model, v->len ? v->table : NULL, v->len,
					 v->firstlineno, addr);

		if (got != v->lines[i]) {
			fprintf(stderr, "%s %s: offset %d: got %d, want %d\n",
				file, v->name, addr, got, v->lines[i]);
			CHECK(got == v->lines[i]);
			return i;
		}
	}
	CHECK(1);
	return v->nlines;
}

/* Ranges from 0, contiguous, non-empty, at most one per table byte (+1 for LNOTAB's tail). */
static int walk_ok(enum linetable_model model, const uint8_t *t, size_t len)
{
	struct linetable_iter it;
	struct linetable_range r;
	int64_t at = 0;
	size_t n = 0;

	linetable_iter_init(&it, model, t, len, 1);
	while (linetable_iter_next(&it, &r)) {
		if (r.start != at || r.end <= r.start || ++n > len + 1)
			return 0;
		at = r.end;
	}
	return 1;
}

/* The first k bytes of a table, in a buffer of exactly k bytes. */
static int truncated_ok(enum linetable_model model, const struct vec *v, size_t k)
{
	uint8_t *t = malloc(k ? k : 1);
	int ok;

	if (!t)
		abort();
	memcpy(t, v->table, k);
	ok = walk_ok(model, t, k);
	for (size_t i = 0; i < v->nlines; i += 1 + v->nlines / 16)
		(void)linetable_line(model, t, k, v->firstlineno, (int)i - 1);
	(void)linetable_line(model, t, k, v->firstlineno, INT_MAX);
	free(t);
	return ok;
}

/*
 * A table cut short, as a reader racing the target might copy it.  A walk is
 * O(len), so big tables are cut at ~512 places rather than everywhere; the
 * last byte is always cut off once.
 */
static void check_truncations(enum linetable_model model, const struct vec *v)
{
	size_t step = 1 + v->len / 512;
	int ok = 1;

	for (size_t k = 0; k < v->len; k += step)
		ok &= truncated_ok(model, v, k);
	if (v->len)
		ok &= truncated_ok(model, v, v->len - 1);
	CHECK(ok);
}

static void run_file(const char *dir, const char *version)
{
	char path[1024], word[16], mname[32];
	enum linetable_model model;
	struct vec v = { .table = NULL };
	size_t ncode = 0, noff = 0;
	FILE *f;
	int c, rc;

	snprintf(path, sizeof(path), "%s/linetable_%s.txt", dir, version);
	f = fopen(path, "r");
	if (!CHECK(f != NULL)) {
		fprintf(stderr, "cannot open '%s'\n", path);
		return;
	}
	while ((c = fgetc(f)) == '#')
		while ((c = fgetc(f)) != EOF && c != '\n')
			;
	ungetc(c, f);
	if (!CHECK(fscanf(f, "%15s %31s", word, mname) == 2 && strcmp(word, "model") == 0 &&
		   model_named(mname, &model) == 0))
		goto out;
	while ((rc = vec_read(f, &v)) == 1) {
		noff += check_vec(model, &v, path);
		check_truncations(model, &v);
		ncode++;
		vec_free(&v);
	}
	CHECK(rc == 0);
	CHECK(ncode > 0);
	printf("%s: %zu code objects, %zu offsets\n", path, ncode, noff);
out:
	vec_free(&v);
	fclose(f);
}

/* Hand-made tables whose answers follow from CPython's rules. */
static void check_known(void)
{
	static const uint8_t jump200[] = { 0, 200, 2, 1 };
	static const uint8_t odd_lnotab[] = { 2, 1, 5 };
	static const uint8_t t310[] = { 2, 0x80, 4, 1, 0, 3, 2, 0xff };
	static const uint8_t odd310[] = { 4 };
	static const uint8_t none[] = { 0xf8 };
	/* code 13, 2 units, delta +300 (600 = 24 | 9 << 6); code 11, 1 unit; code 14, 1 unit, -5 */
	static const uint8_t loc[] = { 0xe9, 0x58, 0x09, 0xd8, 0x00, 0x00, 0xf0, 0x0b, 1, 2, 3 };
	static const enum linetable_model all[] = {
		LINETABLE_LNOTAB, LINETABLE_LNOTAB_PY2, LINETABLE_310, LINETABLE_LOCATIONS,
	};

	CHECK_INT(linetable_line(LINETABLE_LNOTAB_PY2, jump200, 4, 10, 0), 210);
	CHECK_INT(linetable_line(LINETABLE_LNOTAB_PY2, jump200, 4, 10, 2), 211);
	CHECK_INT(linetable_line(LINETABLE_LNOTAB, jump200, 4, 10, 0), -46);
	CHECK_INT(linetable_line(LINETABLE_LNOTAB, jump200, 4, 10, 1000), -45);
	CHECK_INT(linetable_line(LINETABLE_LNOTAB, odd_lnotab, 3, 10, 1), 10);
	CHECK_INT(linetable_line(LINETABLE_LNOTAB, odd_lnotab, 3, 10, 99), 11);
	CHECK_INT(linetable_line(LINETABLE_310, t310, 8, 10, 1), -1);
	CHECK_INT(linetable_line(LINETABLE_310, t310, 8, 10, 2), 11);
	CHECK_INT(linetable_line(LINETABLE_310, t310, 8, 10, 5), 11);
	CHECK_INT(linetable_line(LINETABLE_310, t310, 8, 10, 6), 13);
	CHECK_INT(linetable_line(LINETABLE_310, t310, 8, 10, 8), -1);
	CHECK_INT(linetable_line(LINETABLE_310, odd310, 1, 10, 3), 10);
	CHECK_INT(linetable_line(LINETABLE_310, odd310, 1, 10, 4), -1);
	CHECK_INT(linetable_line(LINETABLE_LOCATIONS, none, 1, 10, 0), -1);
	CHECK_INT(linetable_line(LINETABLE_LOCATIONS, loc, 11, 10, 3), 310);
	CHECK_INT(linetable_line(LINETABLE_LOCATIONS, loc, 11, 10, 4), 311);
	CHECK_INT(linetable_line(LINETABLE_LOCATIONS, loc, 11, 10, 6), 306);
	CHECK_INT(linetable_line(LINETABLE_LOCATIONS, loc, 11, 10, 8), -1);
	CHECK_INT(linetable_line((enum linetable_model)0, loc, 11, 10, 0), -1);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int empty = all[i] == LINETABLE_310 || all[i] == LINETABLE_LOCATIONS ? -1 : 7;

		CHECK_INT(linetable_line(all[i], loc, 11, 7, -1), 7);
		CHECK_INT(linetable_line(all[i], loc, 11, 7, INT_MIN), 7);
		CHECK_INT(linetable_line(all[i], NULL, 0, 7, 0), empty);
		CHECK_INT(linetable_line(all[i], NULL, 5, 7, 0), empty);
	}
}

static uint32_t rng = 2463534242u;

static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Random tables, small and large, every model: must return, ranges must be sane. */
static void check_random(void)
{
	static const enum linetable_model models[] = {
		LINETABLE_LNOTAB, LINETABLE_LNOTAB_PY2, LINETABLE_310, LINETABLE_LOCATIONS,
	};
	int ok = 1;

	for (int round = 0; round < 4000; round++) {
		size_t len = xorshift() % (round % 50 ? 64 : 8192);
		uint8_t *t = malloc(len ? len : 1);

		if (!t)
			abort();
		for (size_t i = 0; i < len; i++)
			t[i] = (uint8_t)xorshift();
		for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
			ok &= walk_ok(models[m], t, len);
			for (int q = 0; q < 8; q++)
				(void)linetable_line(models[m], t, len, (int)xorshift(),
						     (int)(xorshift() % (4 * len + 8)) - 2);
			(void)linetable_line(models[m], t, len, INT_MAX, INT_MAX);
			(void)linetable_line(models[m], t, len, INT_MIN, INT_MAX);
		}
		free(t);
	}
	CHECK(ok);
}

/* Varints that never end, and lines pushed toward overflow. */
static void check_extremes(void)
{
	size_t len = 1 << 20;
	uint8_t *t = malloc(len);

	if (!t)
		abort();
	t[0] = 0xf0;            /* code 14, then continuation bytes to the end */
	memset(t + 1, 0x7f, len - 1);
	CHECK(walk_ok(LINETABLE_LOCATIONS, t, len));
	(void)linetable_line(LINETABLE_LOCATIONS, t, len, 1, 0);
	memset(t, 0xef, len);   /* code 13 entries whose varints run into each other */
	CHECK(walk_ok(LINETABLE_LOCATIONS, t, len));
	(void)linetable_line(LINETABLE_LOCATIONS, t, len, INT_MAX, INT_MAX);
	memset(t, 0x7f, len);   /* lnotab/310: every pair adds 127 lines */
	CHECK(walk_ok(LINETABLE_LNOTAB, t, len));
	CHECK(walk_ok(LINETABLE_310, t, len));
	(void)linetable_line(LINETABLE_LNOTAB, t, len, INT_MAX, INT_MAX);
	(void)linetable_line(LINETABLE_310, t, len, INT_MAX, INT_MAX);
	memset(t, 0xff, len);
	(void)linetable_line(LINETABLE_LNOTAB_PY2, t, len, INT_MAX, INT_MAX);
	CHECK(walk_ok(LINETABLE_LNOTAB_PY2, t, len));
	free(t);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("PYSPY_UNIT_DATA");

	if (!dir)
		dir = "tests/unit/data";
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		run_file(dir, versions[i]);
	check_known();
	check_random();
	check_extremes();
	return unit_done();
}
