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
 * And the 3.12+ rule, evaluation calls found by the address of each run's
 * entry frame inside a C frame's stack: unnamed calls (a PGO .cold part)
 * found and named, the order kept, and refusals with their reason: a run
 * without an entry frame, an entry frame in no C frame, a frame named after
 * the evaluation function that holds none, and the 3.15 base frame at the
 * end of the chain playing no part.
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
	{ 0x1, { .function = "clock_nanosleep", .library = "libc.so.6" }, 0, 0 },
	{ 0x2, { .function = "time_sleep", .library = "libpython" }, NATIVE_INTERP, 0 },
	{ 0x3, { .function = "cfunction_vectorcall_O", .library = "libpython" }, PL, 0 },
	{ 0x4, { .function = "_PyEval_EvalFrameDefault", .library = "libpython" }, EV, 0 },
	{ 0x5, { .function = "builtin_sorted", .library = "libpython" }, NATIVE_INTERP, 0 },
	{ 0x6, { .function = "_PyEval_EvalFrameDefault", .library = "libpython" }, EV, 0 },
	{ 0x7, { .function = "main", .library = "python" }, NATIVE_PLUMBING, 0 },
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
	t.layout.frame_model = FRAME_MODEL_CFRAME;   /* 3.11: entry frames are marked, not shims */
	t.layout.owner_cstack = t.layout.owner_interpreter = OFF_NONE;
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

/*
 * 3.12+: sort_caller -> sorted (C) -> key -> sleep (C), in a PGO build where
 * the evaluation loop's return addresses are in an unnamed cold part.  C
 * stack frames hold [sp, next sp); the shim of each run (the entry frame's
 * entry_frame) is a local of its evaluation call.
 */
static struct native_frame pgo_stack(uint64_t sp, const char *fn, unsigned flags)
{
	struct native_frame f = nf(fn, "python3.14", flags);
	f.sp = sp;
	return f;
}

static void pgo_setup(struct native_frame *c)
{
	c[0] = pgo_stack(0x7000, "clock_nanosleep", 0);
	c[0].sym.library = "libc.so.6";
	c[1] = pgo_stack(0x7040, "time_sleep", NATIVE_INTERP);
	c[2] = pgo_stack(0x7100, NULL, PL);          /* eval .cold: holds the inner shim at 0x7150 */
	c[3] = pgo_stack(0x7400, NULL, PL);          /* _PyFunction_Vectorcall */
	c[4] = pgo_stack(0x7440, "builtin_sorted", NATIVE_INTERP);
	c[5] = pgo_stack(0x7480, NULL, PL);          /* eval .cold: holds the outer shim at 0x7500 */
	c[6] = pgo_stack(0x7800, "PyEval_EvalCode", PL);
	c[7] = pgo_stack(0x7840, "main", NATIVE_PLUMBING);
}

static void test_entry_address(void)
{
	struct target t = { 0 };
	t.layout.frame_model = FRAME_MODEL_CURRENT;
	t.layout.eval_model = EVAL_MODEL_DEFAULT;
	t.layout.owner_cstack = OFF_NONE;
	t.layout.owner_interpreter = 3;
	struct native_frame c[8];
	pgo_setup(c);
	struct py_frame py[] = { pf("key", true), pf("sort_caller", false), pf("<module>", true) };
	py[0].entry_frame = 0x7150;
	py[2].entry_frame = 0x7500;
	struct py_thread th = { .frames = py, .nframes = 3 };
	struct native_stack ns = { .frames = c, .n = 8 };
	struct merged_frame *m;
	size_t n;
	struct pyspy_err e = { 0 };
	/* by name there is no evaluation frame at all: the address finds both */
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), 0);
	static const char *const want[] = { "clock_nanosleep", "time_sleep", "key", NULL, "builtin_sorted",
					    "sort_caller", "<module>" };
	CHECK_INT((long long)n, 7);
	for (size_t i = 0; i < n && i < 7; i++)
		CHECK_STR(name_of(&m[i]), want[i]);
	CHECK(n == 7 && m[3].native == &c[3]);
	CHECK((c[2].flags & NATIVE_ENTRY) && (c[5].flags & NATIVE_ENTRY) && !(c[3].flags & NATIVE_ENTRY));
	free(m);
	/* with --native-all the calls are shown, named after the evaluation function */
	CHECK_INT(native_merge(&t, &th, &ns, true, &m, &n, &e), 0);
	static const char *const all[] = { "clock_nanosleep", "time_sleep", "key", "_PyEval_EvalFrameDefault",
					   NULL, "builtin_sorted", "sort_caller", "<module>",
					   "_PyEval_EvalFrameDefault", "PyEval_EvalCode", "main" };
	CHECK_INT((long long)n, 11);
	for (size_t i = 0; i < n && i < 11; i++)
		CHECK_STR(name_of(&m[i]), all[i]);
	free(m);

	/* a shim on the edge: the first byte of a frame is its own, its end is the next one's */
	pgo_setup(c);
	py[0].entry_frame = 0x7100;
	py[2].entry_frame = 0x77ff;
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), 0);
	CHECK((c[2].flags & NATIVE_ENTRY) && (c[5].flags & NATIVE_ENTRY));
	free(m);
	pgo_setup(c);
	py[2].entry_frame = 0x7800;   /* PyEval_EvalCode's: not an evaluation call, but taken as one */
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), 0);
	CHECK(c[6].flags & NATIVE_ENTRY);
	free(m);

	/* refused: a shim outside every C frame (here, in none outward of the previous run's) */
	pgo_setup(c);
	py[0].entry_frame = 0x7500;
	py[2].entry_frame = 0x7150;
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), -PS_ETORN);
	CHECK(m == NULL);
	CHECK(strstr(e.msg, "native merge failed: the entry frame of <module> (0x7150) lies in none of C frames #6-#7")
	      != NULL);
	pgo_setup(c);
	py[0].entry_frame = 0x9000;   /* beyond the outermost frame, whose end is unknown */
	py[2].entry_frame = 0x7500;
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), -PS_ETORN);
	CHECK(strstr(e.msg, "native merge failed: the entry frame of key (0x9000) lies in none of C frames #0-#7") != NULL);

	/* refused: a run whose entry frame is not known */
	pgo_setup(c);
	py[0].entry_frame = 0;
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), -PS_ETORN);
	CHECK(strstr(e.msg, "native merge failed: the run of Python frames ending in key has no entry frame") != NULL);

	/* refused: the names say there is a third evaluation call, holding no shim */
	pgo_setup(c);
	py[0].entry_frame = 0x7150;
	c[3].sym.function = "_PyEval_EvalFrameDefault";
	c[3].flags = EV;
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), -PS_ETORN);
	CHECK(strstr(e.msg, "native merge failed: C frame #3, _PyEval_EvalFrameDefault, holds no entry frame (2 runs")
	      != NULL);

	/* named evaluation calls that hold their shims (3.12/3.13 with symbols): the cross-check agrees */
	pgo_setup(c);
	c[2].sym.function = c[5].sym.function = "_PyEval_EvalFrameDefault";
	c[2].flags = c[5].flags = EV;
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), 0);
	CHECK_INT((long long)n, 7);
	free(m);

	/* the unwind cut short: its own reason, whatever the addresses say */
	pgo_setup(c);
	ns.error = PS_ECORRUPT;
	snprintf(ns.msg, sizeof(ns.msg), "unwinding stopped at 0x7f00: no unwind info (code outside any module)");
	CHECK_INT(native_merge(&t, &th, &ns, false, &m, &n, &e), -PS_ETORN);
	CHECK(strstr(e.msg, "native merge failed: unwinding stopped at 0x7f00") != NULL);
}

int main(void)
{
	test_object_model();
	test_entry_model();
	test_stripped();
	test_unnamed();
	test_entry_address();
	return unit_done();
}
