/*
 * test_native_merge.c — the merge of C and Python stacks, on synthetic stacks.
 *
 * Both frame models: one Python frame per evaluation call (≤3.10), and runs
 * ended by entry frames (3.11+).  Checked: order (Python callee, C in between,
 * Python caller), plumbing hidden and kept with `all` (the evaluation frame
 * just outside its run), a count mismatch refused with a message rather than
 * guessed, an unwind cut short refused, and the conversion for the profile
 * store ("symbol" with the library as file, line -1; "LIBRARY+0xOFFSET" for
 * an unnamed function whose start is known, "??" when nothing is).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/native/native.h"
#include "engine/python/target.h"
#include "unit.h"

static struct native_frame nf(const char *fn, const char *lib, unsigned flags)
{
	struct native_frame f = { 0 };
	f.ip = 0x1000;
	f.sym.function = fn;
	f.sym.library = lib;
	f.flags = flags;
	return f;
}

static struct py_frame pf(const char *fn, bool entry)
{
	struct py_frame f = { 0 };
	f.function = f.qualname = fn;
	f.file = "app.py";
	f.line = 1;
	f.entry = entry;
	return f;
}

static const char *name_of(const struct merged_frame *m)
{
	return m->kind == FRAME_PYTHON ? m->py->function : m->native->sym.function;
}

static void check_names(const struct merged_frame *m, size_t n, const char *const *want, size_t nwant)
{
	CHECK_INT((long long)n, (long long)nwant);
	for (size_t i = 0; i < n && i < nwant; i++)
		CHECK_STR(name_of(&m[i]), want[i]);
}

#define EV (NATIVE_EVAL | NATIVE_INTERP)
#define PL (NATIVE_PLUMBING | NATIVE_INTERP)

/* sort_caller -> sorted (C) -> key -> sleep (C) */
static struct native_frame cstack[] = {
	{ 0x1, { .function = "clock_nanosleep", .library = "libc.so.6" }, 0 },
	{ 0x2, { .function = "time_sleep", .library = "libpython" }, NATIVE_INTERP },
	{ 0x3, { .function = "cfunction_vectorcall_O", .library = "libpython" }, PL },
	{ 0x4, { .function = "_PyEval_EvalFrameDefault", .library = "libpython" }, EV },
	{ 0x5, { .function = "builtin_sorted", .library = "libpython" }, NATIVE_INTERP },
	{ 0x6, { .function = "_PyEval_EvalFrameDefault", .library = "libpython" }, EV },
	{ 0x7, { .function = "main", .library = "python" }, NATIVE_PLUMBING },
};

static void test_object_model(void)
{
	struct target t = { 0 };
	t.layout.frame_model = FRAME_MODEL_OBJECT;
	struct py_frame py[] = { pf("key", false), pf("sort_caller", false) };
	struct py_thread th = { .frames = py, .nframes = 2 };
	struct native_stack ns = { .frames = cstack, .n = 7 };
	struct merged_frame *m;
	size_t n;
	struct pyspy_err e = { 0 };
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), 0);
	static const char *const want[] = { "clock_nanosleep", "time_sleep", "key", "builtin_sorted", "sort_caller" };
	check_names(m, n, want, 5);
	free(m);
	CHECK_INT(native_merge(&t, &th, &ns, true, &m, &n, &e), 0);
	static const char *const all[] = { "clock_nanosleep", "time_sleep", "cfunction_vectorcall_O", "key",
					   "_PyEval_EvalFrameDefault", "builtin_sorted", "sort_caller",
					   "_PyEval_EvalFrameDefault", "main" };
	check_names(m, n, all, 9);
	free(m);
	/* three Python frames, two evaluation calls: refused, not guessed */
	struct py_frame py3[] = { pf("key", false), pf("sort_caller", false), pf("<module>", false) };
	th.frames = py3;
	th.nframes = 3;
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), -PS_ETORN);
	CHECK(m == NULL);
	CHECK(strstr(e.msg, "native merge failed: 2 evaluation frames in the C stack, 3 runs") != NULL);
}

static void test_entry_model(void)
{
	struct target t = { 0 };
	t.layout.frame_model = FRAME_MODEL_CFRAME;
	/* key + helper run in the inner evaluation call, sort_caller + run + <module> in the outer */
	struct py_frame py[] = { pf("key", false), pf("helper", true), pf("sort_caller", false), pf("run", false),
				 pf("<module>", true) };
	struct py_thread th = { .frames = py, .nframes = 5 };
	struct native_stack ns = { .frames = cstack, .n = 7 };
	struct merged_frame *m;
	size_t n;
	struct pyspy_err e = { 0 };
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), 0);
	static const char *const want[] = { "clock_nanosleep", "time_sleep", "key", "helper", "builtin_sorted",
					    "sort_caller", "run", "<module>" };
	check_names(m, n, want, 8);

	struct py_frame buf[16];
	struct strtab strs;
	strtab_init(&strs);
	t.strings = strs;
	size_t k = native_as_py_frames(&t, m, n, buf, 16);
	CHECK_INT((long long)k, 8);
	CHECK_STR(buf[0].function, "clock_nanosleep");
	CHECK_STR(buf[0].file, "libc.so.6");
	CHECK_INT(buf[0].line, -1);
	CHECK_STR(buf[2].function, "key");
	CHECK_STR(buf[2].file, "app.py");
	free(m);
	strtab_release(&t.strings);

	/* an unwind cut short is refused whatever the counts */
	struct native_stack cut = { .frames = cstack, .n = 7, .error = PS_ECORRUPT };
	snprintf(cut.msg, sizeof(cut.msg), "unwinding stopped at 0x7");
	CHECK_INT(native_merge(&t, &th, &cut, false, &m, &n, &e), -PS_ETORN);
	CHECK(strstr(e.msg, "unwinding stopped") != NULL);
}

/* A stripped interpreter: its C functions have no names.  A hidden run of
 * them leaves one frame between shown frames, none at the outer end. */
static void test_stripped(void)
{
	struct target t = { 0 };
	t.layout.frame_model = FRAME_MODEL_OBJECT;
	struct native_frame c[] = {
		nf("clock_nanosleep", "libc.so.6", 0),
		nf(NULL, "python3", PL),
		nf("_PyEval_EvalFrameDefault", "python3", EV),
		nf(NULL, "python3", PL),
		nf("PyObject_Call", "python3", PL),
		nf(NULL, "python3", PL),
		nf("_PyEval_EvalFrameDefault", "python3", EV),
		nf(NULL, "python3", PL),
		nf("start_thread", "libc.so.6", NATIVE_PLUMBING),
	};
	c[3].ip = 0x3333;
	struct py_frame py[] = { pf("key", false), pf("sort_caller", false) };
	struct py_thread th = { .frames = py, .nframes = 2 };
	struct native_stack ns = { .frames = c, .n = 9 };
	struct merged_frame *m;
	size_t n;
	struct pyspy_err e = { 0 };
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), 0);
	static const char *const want[] = { "clock_nanosleep", NULL, "key", NULL, "sort_caller" };
	CHECK_INT((long long)n, 5);
	for (size_t i = 0; i < n && i < 5; i++)
		CHECK_STR(name_of(&m[i]), want[i]);
	CHECK(n == 5 && m[3].native == &c[3]);   /* the innermost of the run */
	free(m);
}

static void test_unnamed(void)
{
	struct target t = { 0 };
	t.layout.frame_model = FRAME_MODEL_OBJECT;
	strtab_init(&t.strings);
	struct native_frame f = nf(NULL, NULL, 0);
	struct merged_frame m = { FRAME_NATIVE, NULL, &f };
	struct py_frame out;
	CHECK_INT((long long)native_as_py_frames(&t, &m, 1, &out, 1), 1);
	CHECK_STR(out.function, "??");
	CHECK_STR(out.file, "??");
	/* no symbol, but the unwinder knows where the function starts */
	struct native_frame g = nf(NULL, "libz.so.1", 0);
	g.sym.module_base = 0x7f0000000000;
	g.sym.start = 0x7f0000005d80;
	m.native = &g;
	CHECK_INT((long long)native_as_py_frames(&t, &m, 1, &out, 1), 1);
	CHECK_STR(out.function, "libz.so.1+0x5d80");
	CHECK_STR(out.file, "libz.so.1");
	strtab_release(&t.strings);
}

int main(void)
{
	test_object_model();
	test_entry_model();
	test_stripped();
	test_unnamed();
	return unit_done();
}
