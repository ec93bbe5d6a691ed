/*
 * test_layouts.c — the per-version layout tables and the debug-offsets reader.
 *
 * The tables are generated, so what can go wrong is the plumbing around them:
 * a field added to layout.h but never generated (it would silently read as
 * 0), a table missing from the lookup, a model that contradicts its version.
 * The debug-offsets reader is checked against the real thing: libpython3.13's
 * .PyRuntime section starts with the statically initialised _Py_DebugOffsets,
 * which must agree with the table generated from the 3.13 headers.  A 3.14
 * table is synthesised from the 3.13 one to exercise the 3.14 parser without
 * its own table's help.  The real 3.14 and 3.15 tables (Debian's builds) are
 * recorded in tests/unit/data/debug_offsets_3.1X.txt and must agree with the
 * tables generated from the same headers; bumped to 3.16.0, or marked
 * free-threaded, they must be refused with the message the user sees.
 *
 * Prints one line per check and ends with "N passed, N failed".
 * Usage: test_layouts [datadir]   (default: $PYSPY_UNIT_DATA, else
 * tests/unit/data, i.e. run from the repository root).
 * Build: cc -std=c11 -Wall -Wextra -Werror -Ilayouts tests/unit/test_layouts.c
 *        layouts/[a-z]*.c -lelf   (every .c in layouts/)
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layouts/debug_offsets.h"
#include "layouts/layout.h"
#include "layouts/layout_check.h"
#include "layouts/layout_fields.h"

#define LIBPY313 "/root/.pyenv/versions/3.13.0/lib/libpython3.13.so.1.0"

static int passed, failed;

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (ok)
		passed++;
	else
		failed++;
}

/* Every int32 field from `runtime` to the end is listed once, without holes. */
static void test_field_list(void)
{
	static unsigned char seen[sizeof(struct py_layout)];
	size_t start = offsetof(struct py_layout, runtime), end = start;
	int dup = 0, hole = 0;

#define MARK(f) { \
	size_t o = offsetof(struct py_layout, f); \
	for (size_t b = o; b < o + sizeof(int32_t); b++) \
		dup |= seen[b]++; \
	if (o + sizeof(int32_t) > end) \
		end = o + sizeof(int32_t); \
}
	LAYOUT_OFFSET_FIELDS(MARK)
#undef MARK
	for (size_t b = start; b < end; b++)
		hole |= !seen[b];
	check(!dup, "layout_fields.h lists no field twice");
	check(!hole && sizeof(struct py_layout) - end < _Alignof(struct py_layout),
	      "layout_fields.h covers every int32 field of struct py_layout");
}

static int model_ok(const struct py_layout *l)
{
	unsigned minor = l->version >> 16 & 0xff;

	if (l->frame_model < FRAME_MODEL_OBJECT || l->frame_model > FRAME_MODEL_CURRENT)
		return 0;
	if ((l->frame_model == FRAME_MODEL_OBJECT) != (l->version < 0x030b0000))
		return 0;
	if ((l->str_model == STR_MODEL_PY2) != (l->version >> 24 == 2))
		return 0;
	if ((l->interp_model == INTERP_MODEL_HEAD) != (l->version < 0x03070000))
		return 0;
	if ((l->long_model == LONG_MODEL_TAG) != (l->version >= 0x030c0000))
		return 0;
	if (l->dict_model < DICT_MODEL_PY2 || l->dict_model > DICT_MODEL_COMPACT311)
		return 0;
	if (l->instdict_model < INSTDICT_MODEL_OFFSET || l->instdict_model > INSTDICT_MODEL_INLINE313)
		return 0;
	if (l->gil_model < GIL_MODEL_CURRENT_SYMBOL || l->gil_model > GIL_MODEL_INTERP_GIL)
		return 0;
	/* the 2.7-only shapes are models too, so nothing else asks for the version */
	bool py2 = l->version >> 24 == 2;
	if ((l->linetable_model == LINETABLE_LNOTAB_PY2) != py2 ||
	    (l->eval_model == EVAL_MODEL_FRAME_EX) != py2 || (l->thread_name_model == THREAD_NAME_MANGLED) != py2)
		return 0;
	if (!l->eval_model || !l->thread_name_model)
		return 0;
	/* 3.14+: tagged stack references, entry frames owned by the interpreter */
	if ((l->stackref_mask != 0) != (l->version >= 0x030e0000) ||
	    (l->owner_interpreter != OFF_NONE) != (l->version >= 0x030e0000))
		return 0;
	return minor <= 15 && (l->digit_bits == 15 || l->digit_bits == 30);
}

/* The fields the frame walk of each model cannot do without. */
static int walk_fields_ok(const struct py_layout *l)
{
	if (l->tstate.next == OFF_NONE || l->tstate.interp == OFF_NONE ||
	    l->interp.tstate_head == OFF_NONE || l->code.name == OFF_NONE ||
	    l->code.filename == OFF_NONE || l->object.type == OFF_NONE)
		return 0;
	switch (l->frame_model) {
	case FRAME_MODEL_OBJECT:
		return l->tstate.frame != OFF_NONE && l->pyframe.back != OFF_NONE &&
		       l->pyframe.code != OFF_NONE;
	case FRAME_MODEL_CFRAME:
		return l->tstate.cframe != OFF_NONE && l->cframe.current_frame != OFF_NONE &&
		       l->iframe.previous != OFF_NONE && l->chunk.data != OFF_NONE;
	case FRAME_MODEL_CURRENT:
		return l->tstate.current_frame != OFF_NONE && l->iframe.previous != OFF_NONE &&
		       l->chunk.data != OFF_NONE;
	}
	return 0;
}

static void test_tables(void)
{
	check(layout_table_count == 11, "11 generated tables (got %zu)", layout_table_count);
	for (size_t i = 0; i < layout_table_count; i++) {
		const struct py_layout *l = layout_tables[i];
		unsigned major = l->version >> 24, minor = l->version >> 16 & 0xff;
		char prefix[16];

		snprintf(prefix, sizeof prefix, "%u.%u.", major, minor);
		check((l->version & 0xffff) == 0 && l->headers &&
		      strncmp(l->headers, prefix, strlen(prefix)) == 0,
		      "table %zu: version 0x%08x matches headers %s", i, l->version,
		      l->headers ? l->headers : "(null)");
		check(model_ok(l), "table %u.%u: models agree with the version", major, minor);
		check(walk_fields_ok(l), "table %u.%u: frame-walk fields present", major, minor);
		check(layout_for_version(major, minor) == l, "layout_for_version(%u, %u)", major, minor);
	}
	check(layout_for_version(3, 5) == NULL, "layout_for_version(3, 5) is NULL");
	check(layout_for_version(3, 16) == NULL, "layout_for_version(3, 16) is NULL");
	check(layout_for_version(4, 0) == NULL, "layout_for_version(4, 0) is NULL");
}

/* Copy the .PyRuntime section's leading bytes; 0 on success. */
static int read_pyruntime(const char *path, unsigned char *buf, size_t len)
{
	int fd, rc = -1;
	Elf *elf = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_version(EV_CURRENT) == EV_NONE || (fd = open(path, O_RDONLY)) < 0)
		return -1;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		goto out;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (strcmp(name, ".PyRuntime") != 0)
			continue;
		data = elf_getdata(scn, NULL);
		if (data && data->d_buf && data->d_size >= len) {
			memcpy(buf, data->d_buf, len);
			rc = 0;
		}
		break;
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return rc;
}

static void word_copy(uint64_t *dst, size_t di, const uint64_t *src, size_t si, size_t n)
{
	memcpy(dst + di, src + si, n * sizeof *dst);
}

/* A 3.14-shaped table holding 3.13's values where the groups overlap. */
static void synth_314(const unsigned char *blob313, unsigned char *out)
{
	uint64_t w3[73], w4[95];

	memcpy(w3, blob313, sizeof w3);
	memset(w4, 0, sizeof w4);
	word_copy(w4, 0, w3, 0, 6);	/* header, runtime */
	w4[1] = 0x030e00f0;
	word_copy(w4, 6, w3, 6, 4);	/* interp up to threads_head */
	word_copy(w4, 11, w3, 10, 9);	/* gc .. gil holder */
	word_copy(w4, 22, w3, 19, 9);	/* thread state */
	word_copy(w4, 31, w3, 28, 6);	/* interpreter frame */
	word_copy(w4, 39, w3, 34, 10);	/* code object */
	word_copy(w4, 50, w3, 44, 12);	/* object, type, tuple, list */
	w4[62] = 200, w4[63] = 24, w4[64] = 40, w4[65] = 32;	/* set */
	word_copy(w4, 66, w3, 56, 17);	/* dict .. gc */
	w4[83] = 80, w4[85] = 72;	/* gen size, gi_iframe */
	memcpy(out, w4, sizeof w4);
}

static void test_errors(const unsigned char *blob, size_t len)
{
	unsigned char bad[1024];
	struct py_layout l;
	char why[160];
	uint64_t v;

	memcpy(bad, blob, len);
	bad[0] = 'X';
	check(layout_from_debug_offsets(bad, len, &l, why, sizeof why) == -1 &&
	      strstr(why, "cookie"), "bad cookie refused: %s", why);
	memcpy(bad, blob, len);
	bad[16] = 1;
	check(layout_from_debug_offsets(bad, len, &l, why, sizeof why) == LAYOUT_DEBUG_REFUSED &&
	      strcmp(why, "free-threaded CPython 3.13t is not supported yet") == 0,
	      "free-threaded refused: %s", why);
	check(layout_from_debug_offsets(blob, 100, &l, why, sizeof why) == -1 &&
	      strstr(why, "truncated"), "truncated blob refused: %s", why);
	memcpy(bad, blob, len);
	v = 0x031000a1;
	memcpy(bad + 8, &v, sizeof v);
	check(layout_from_debug_offsets(bad, len, &l, why, sizeof why) == LAYOUT_DEBUG_REFUSED &&
	      strcmp(why, "unsupported Python 3.16.0a1: pyspy-sh reads 2.7 to 3.15") == 0,
	      "3.16 alpha refused: %s", why);
}

static void test_314(const unsigned char *blob313)
{
	const struct py_layout *t = layout_for_version(3, 13);
	unsigned char blob[760];
	struct py_layout l;
	char why[160] = "", diff[512];
	int n;

	synth_314(blob313, blob);
	check(layout_debug_offsets_size(0x030e00f0) == sizeof blob, "3.14 size is 760");
	check(layout_from_debug_offsets(blob, sizeof blob, &l, why, sizeof why) == 0,
	      "synthetic 3.14 table parses %s", why);
	check(l.version == 0x030e0000 && l.owner_cstack == 4 && l.owner_interpreter == 3 &&
	      l.stackref_mask == 3 && l.chunk.data == t->chunk.data &&
	      l.iframe.globals == t->iframe.globals && l.set.fill == t->set.fill,
	      "3.14 facts and inherited fields");
	check(l.iframe.stacktop == OFF_NONE && l.type.ht_cached_keys == t->type.ht_cached_keys,
	      "3.14: no stacktop; ht_cached_keys inherited (%d)", l.type.ht_cached_keys);
	n = layout_crosscheck(t, &l, diff, sizeof diff);
	/* the rest of what changed comes from the 3.14 table: pyframe.size,
	 * code.firsttraceable, type.heap_size */
	check(n == 5 && strstr(diff, "owner_cstack") && strstr(diff, "stackref_mask") &&
	      strstr(diff, "type.heap_size: table 928, debug 936"),
	      "3.13 table vs 3.14 differs in the 3.14 facts and fields (%d: %s)", n, diff);
}

/* A recorded table (tests/unit/data/debug_offsets_X.Y.txt) into blob; its size or 0. */
static size_t load_recorded(const char *dir, const char *minor, unsigned char *blob, size_t cap)
{
	char path[512], line[256], name[128], val[64];
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/debug_offsets_%s.txt", dir, minor);
	if (!(f = fopen(path, "r")))
		return 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || sscanf(line, "%127s %63s", name, val) != 2)
			continue;
		if (strcmp(name, "cookie") == 0 && len == 0 && strlen(val) == 8) {
			memcpy(blob, val, 8);
			len = 8;
		} else if (len >= 8 && len + 8 <= cap) {
			uint64_t v = strtoull(val, NULL, 10);
			memcpy(blob + len, &v, 8);
			len += 8;
		} else {
			len = 0;
			break;
		}
	}
	fclose(f);
	return len;
}

static void set_word(unsigned char *blob, size_t word, uint64_t v)
{
	memcpy(blob + word * 8, &v, sizeof v);
}

/* A real table parses, agrees with its generated table, and refuses when
 * bumped to a later minor or marked free-threaded. */
static void test_recorded(const char *dir, const char *minor, size_t size, unsigned char *blob)
{
	unsigned mn = (unsigned)atoi(minor + 2);
	const struct py_layout *t = layout_for_version(3, mn);
	struct py_layout l;
	char why[160] = "", diff[512] = "", bad[1024];
	size_t len = load_recorded(dir, minor, blob, 1024);
	int n;

	check(len == size, "%s: recorded table is %zu bytes (got %zu)", minor, size, len);
	if (len != size || !t)
		return;
	check(layout_debug_offsets_size(3u << 24 | mn << 16 | 0xf0) == size, "%s size is %zu", minor, size);
	check(layout_from_debug_offsets(blob, len, &l, why, sizeof why) == 0, "%s parses %s", minor, why);
	n = layout_crosscheck(t, &l, diff, sizeof diff);
	check(n == 0, "%s debug offsets agree with the generated table (%d: %s)", minor, n, diff);
	check(l.type.ht_cached_keys == t->type.ht_cached_keys && l.type.ht_cached_keys > 0 &&
	      l.owner_interpreter == 3 && l.stackref_mask == 3 && l.owner_generator == 1 &&
	      l.frame_model == FRAME_MODEL_CURRENT && l.instdict_model == INSTDICT_MODEL_INLINE313,
	      "%s: ht_cached_keys %d, owners, stack refs, models", minor, l.type.ht_cached_keys);
	memcpy(bad, blob, len);
	set_word((unsigned char *)bad, 2, 1);
	snprintf(diff, sizeof diff, "free-threaded CPython %st is not supported yet", minor);
	check(layout_from_debug_offsets(bad, len, &l, why, sizeof why) == LAYOUT_DEBUG_REFUSED &&
	      strcmp(why, diff) == 0, "%s free_threaded=1 refused: %s", minor, why);
	memcpy(bad, blob, len);
	set_word((unsigned char *)bad, 1, 0x031000f0);
	check(layout_debug_offsets_size(0x031000f0) == 0, "3.16.0 has no known shape");
	check(layout_from_debug_offsets(bad, LAYOUT_DEBUG_HEADER_SIZE, &l, why, sizeof why) == LAYOUT_DEBUG_REFUSED &&
	      strcmp(why, "unsupported Python 3.16.0: pyspy-sh reads 2.7 to 3.15") == 0,
	      "%s bumped to 3.16.0 refused from the header: %s", minor, why);
	check(layout_from_debug_offsets(bad, len, &l, why, sizeof why) == LAYOUT_DEBUG_REFUSED &&
	      strcmp(why, "unsupported Python 3.16.0: pyspy-sh reads 2.7 to 3.15") == 0,
	      "%s bumped to 3.16.0 refused from the whole table: %s", minor, why);
}

static void test_315(const char *dir)
{
	unsigned char blob[1024], bad[1024];
	struct py_layout l;
	char why[160] = "";
	int rc;

	test_recorded(dir, "3.14", 760, blob);
	test_recorded(dir, "3.15", 888, blob);
	if (load_recorded(dir, "3.15", blob, sizeof blob) != 888)
		return;
	layout_from_debug_offsets(blob, 888, &l, why, sizeof why);
	/* what 3.15 gives directly (notes: Debian 3.15.2) */
	check(l.type.basicsize == 32 && l.type.dictoffset == 288 && l.type.heap_size == 944 &&
	      l.type.ht_cached_keys == 888 && l.unicode.compact_size == 56 &&
	      l.tstate.thread_id == 176 && l.tstate.datastack_chunk == 256 && l.owner_cstack == OFF_NONE,
	      "3.15: tp_basicsize, tp_dictoffset, heap type, compact unicode, thread state, no cstack owner");
	/* a shorter pre-release shape read as 3.15 lands offsets outside their structs */
	memcpy(bad, blob, 888);
	memmove(bad + 216, bad + 240, 888 - 240);	/* no base_frame .. last_profiled_frame_seq */
	rc = layout_from_debug_offsets(bad, 888, &l, why, sizeof why);
	check((rc == -1 && strstr(why, "unknown shape")) || (rc == LAYOUT_DEBUG_INCONSISTENT && why[0]),
	      "3.15 table of another shape refused: %s", why);
}

static void test_debug_offsets(void)
{
	unsigned char blob[584];
	struct py_layout l;
	const struct py_layout *t = layout_for_version(3, 13);
	char why[160] = "", diff[512] = "";
	int n;

	check(layout_debug_offsets_size(0) == 24, "header size is 24");
	check(layout_debug_offsets_size(0x030d00f0) == sizeof blob, "3.13 size is 584");
	check(layout_debug_offsets_size(0x030c00f0) == 0, "3.12 has no debug offsets");
	if (access(LIBPY313, R_OK) != 0) {
		printf("SKIP - %s not found: real 3.13 debug offsets not checked\n", LIBPY313);
		return;
	}
	if (read_pyruntime(LIBPY313, blob, sizeof blob) != 0) {
		check(0, "read .PyRuntime from %s", LIBPY313);
		return;
	}
	check(memcmp(blob, "xdebugpy", 8) == 0, ".PyRuntime starts with the cookie");
	check(layout_from_debug_offsets(blob, sizeof blob, &l, why, sizeof why) == 0,
	      "3.13 debug offsets parse %s", why);
	n = layout_crosscheck(t, &l, diff, sizeof diff);
	check(n == 0, "3.13 debug offsets agree with the generated table (%d: %s)", n, diff);
	check(l.tstate.current_frame == t->tstate.current_frame && l.gil.locked == t->gil.locked &&
	      l.interp.tstate_head == t->interp.tstate_head && l.code.code_adaptive == t->code.code_adaptive,
	      "3.13 key fields: current_frame %d, gil.locked %d, threads.head %d",
	      l.tstate.current_frame, l.gil.locked, l.interp.tstate_head);
	test_errors(blob, sizeof blob);
	test_314(blob);
}


/* ---- hostile tables: tests/unit/data/debug_offsets-*.bin, read from live targets ---- */

static int read_blob(const char *path, unsigned char *buf, size_t len)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, len, f) : 0;

	if (f)
		fclose(f);
	return n == len ? 0 : -1;
}

static void put_word(unsigned char *blob, int slot, uint64_t v)
{
	memcpy(blob + slot * 8, &v, sizeof v);
}

/* A scribbled copy of blob: slot a = va (and b = vb when b > 0); the parse result. */
static int scribbled(const unsigned char *blob, size_t len, int a, uint64_t va, int b, uint64_t vb,
		     struct py_layout *l, char *why, size_t whylen)
{
	unsigned char bad[1024];

	memcpy(bad, blob, len);
	put_word(bad, a, va);
	if (b > 0)
		put_word(bad, b, vb);
	return layout_from_debug_offsets(bad, len, l, why, whylen);
}

static void test_hostile(void)
{
	unsigned char b313[584], b314[760];
	const struct py_layout *t = layout_for_version(3, 13);
	struct py_layout l;
	char why[200];
	int rc, ok;

	for (size_t i = 0; i < layout_table_count; i++)
		check(layout_check(layout_tables[i], why, sizeof why) == 0, "table %s fits the engine's buffers %s",
		      layout_tables[i]->headers, why);
	if (read_blob("tests/unit/data/debug_offsets-3.13.0.bin", b313, sizeof b313) != 0 ||
	    read_blob("tests/unit/data/debug_offsets-3.14.10.bin", b314, sizeof b314) != 0) {
		printf("SKIP - tests/unit/data/debug_offsets-*.bin not found (run from the repository root)\n");
		return;
	}
	/* a well-formed table gives exactly the generated table: no behaviour change */
	rc = layout_from_debug_offsets(b313, sizeof b313, &l, why, sizeof why);
	ok = rc == 0;
#define SAME(f) ok = ok && l.f == t->f;
	LAYOUT_SCALAR_FIELDS(SAME)
	LAYOUT_OFFSET_FIELDS(SAME)
	LAYOUT_TPFLAG_FIELDS(SAME)
#undef SAME
	check(ok && l.frame_model == t->frame_model && l.dict_model == t->dict_model,
	      "real 3.13 table gives the generated layout, every field %s", why);
	rc = layout_from_debug_offsets(b314, sizeof b314, &l, why, sizeof why);
	check(rc == 0 && layout_check(&l, why, sizeof why) == 0 && l.tstate.current_frame == 72,
	      "real 3.14 table (Debian 3.14.10) parses and fits %s", why);
	/* the exact message: thread_state.size (word 19), current_frame (word 23) */
	rc = scribbled(b313, sizeof b313, 19, 80, 23, 100000, &l, why, sizeof why);
	check(rc == LAYOUT_DEBUG_INCONSISTENT && strcmp(why, "thread_state.current_frame = 100000 past its size 80") == 0,
	      "3.13 current_frame past a shrunk thread_state: %s", why);
	rc = scribbled(b314, sizeof b314, 22, 80, 26, 100000, &l, why, sizeof why);
	check(rc == LAYOUT_DEBUG_INCONSISTENT && strcmp(why, "thread_state.current_frame = 100000 past its size 80") == 0,
	      "3.14 current_frame past a shrunk thread_state: %s", why);
	rc = scribbled(b313, sizeof b313, 28, 1ull << 40, 0, 0, &l, why, sizeof why);
	check(rc == LAYOUT_DEBUG_INCONSISTENT && strstr(why, "interpreter_frame.size = 1099511627776, not within 1 to 512"),
	      "3.13 interpreter_frame.size 2^40 refused: %s", why);
	rc = scribbled(b313, sizeof b313, 23, (uint64_t)-8, 0, 0, &l, why, sizeof why);
	check(rc == LAYOUT_DEBUG_INCONSISTENT && strstr(why, "thread_state.current_frame = 18446744073709551608 past"),
	      "3.13 current_frame -8 refused: %s", why);
	rc = scribbled(b313, sizeof b313, 23, 7, 0, 0, &l, why, sizeof why);
	check(rc == LAYOUT_DEBUG_INCONSISTENT && strstr(why, "not aligned to 8"), "3.13 current_frame 7 refused: %s", why);
	rc = scribbled(b314, sizeof b314, 35, 100000, 0, 0, &l, why, sizeof why);
	check(rc == LAYOUT_DEBUG_INCONSISTENT && strstr(why, "interpreter_frame.localsplus = 100000 past its size 88"),
	      "3.14 localsplus 100000 refused: %s", why);
	/* consistent but wrong: accepted, and the table's tstate-only fields are not half-trusted */
	rc = scribbled(b313, sizeof b313, 23, 8, 0, 0, &l, why, sizeof why);
	check(rc == 0 && l.tstate.current_frame == 8 && l.tstate.datastack_top == OFF_NONE &&
	      l.iframe.globals == t->iframe.globals && layout_check(&l, why, sizeof why) == 0,
	      "3.13 current_frame 8: accepted, datastack_top dropped, other structs kept %s", why);
	/* a struct the engine needs, disowned by a disagreement */
	rc = scribbled(b313, sizeof b313, 58, 16, 0, 0, &l, why, sizeof why);
	check(rc == LAYOUT_DEBUG_INCONSISTENT && strstr(why, "cannot be trusted"),
	      "3.13 dict_object.ma_values moved: dict keys not guessed: %s", why);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("PYSPY_UNIT_DATA");

	if (!dir)
		dir = "tests/unit/data";
	test_field_list();
	test_tables();
	test_debug_offsets();
	test_315(dir);
	test_hostile();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
