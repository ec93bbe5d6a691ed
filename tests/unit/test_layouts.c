/*
 * test_layouts.c — the per-version layout tables and the debug-offsets reader.
 *
 * The tables are generated, so what can go wrong is the plumbing around them:
 * a field added to layout.h but never generated (it would silently read as
 * 0), a table missing from the lookup, a model that contradicts its version.
 * The debug-offsets reader is checked against the real thing: libpython3.13's
 * .PyRuntime section starts with the statically initialised _Py_DebugOffsets,
 * which must agree with the table generated from the 3.13 headers.  A 3.14
 * table is synthesised from the 3.13 one to exercise the 3.14 parser.
 *
 * Prints one line per check and ends with "N passed, N failed".
 * Build: cc -std=c11 -Wall -Wextra -Werror -Ilayouts tests/unit/test_layouts.c
 *        layouts/[a-z]*.c -lelf   (every .c in layouts/)
 */
#include <fcntl.h>
#include <gelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
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
	return minor <= 13 && (l->digit_bits == 15 || l->digit_bits == 30);
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
	check(layout_table_count == 9, "9 generated tables (got %zu)", layout_table_count);
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
	check(layout_for_version(3, 14) == NULL, "layout_for_version(3, 14) is NULL");
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
	check(layout_from_debug_offsets(bad, len, &l, why, sizeof why) == -1 &&
	      strcmp(why, "free-threaded builds are not supported") == 0,
	      "free-threaded refused: %s", why);
	check(layout_from_debug_offsets(blob, 100, &l, why, sizeof why) == -1 &&
	      strstr(why, "truncated"), "truncated blob refused: %s", why);
	memcpy(bad, blob, len);
	v = 0x030f00a0;
	memcpy(bad + 8, &v, sizeof v);
	check(layout_from_debug_offsets(bad, len, &l, why, sizeof why) == -1 &&
	      strstr(why, "unsupported Python 3.15"), "3.15 refused: %s", why);
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
	check(l.iframe.stacktop == OFF_NONE && l.type.ht_cached_keys == OFF_NONE,
	      "3.14 leaves uncovered fields OFF_NONE");
	n = layout_crosscheck(t, &l, diff, sizeof diff);
	check(n == 2 && strstr(diff, "owner_cstack") && strstr(diff, "stackref_mask"),
	      "3.13 table vs 3.14 differs only in owner_cstack, stackref_mask (%d: %s)", n, diff);
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

int main(void)
{
	test_field_list();
	test_tables();
	test_debug_offsets();
	test_hostile();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
