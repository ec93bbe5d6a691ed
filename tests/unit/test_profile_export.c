/*
 * test_profile_export.c — every exporter, on the synthetic profile of
 * profile_fixture.h: folded lines compared exactly, JSON parsed by the small
 * reader in jsonread.h and walked for speedscope's required fields and
 * Chrome's balanced B/E spans, the SVG checked for escaping and, when python3
 * is installed, parsed as XML; the format a name or path selects; process
 * roots (--subprocesses) in top, folded, speedscope, Chrome and Gecko.
 * Writing to a bad path must fail with the path in the message and leave no
 * temporary file.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/export/export_impl.h"
#include "engine/profile/profile.h"
#include "jsonread.h"
#include "profile_fixture.h"
#include "unit.h"

/* ---- files ---- */

static char tmpdir[] = "/tmp/test_profile_export.XXXXXX";

static char *path_in(const char *name)
{
	static char buf[8][256];
	static int k;
	char *b = buf[k++ % 8];
	snprintf(b, 256, "%s/%s", tmpdir, name);
	return b;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	size_t got = fread(s, 1, (size_t)n, f);
	s[got] = '\0';
	fclose(f);
	return s;
}

static int count_temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *de; d && (de = readdir(d));)
		if (strstr(de->d_name, ".tmp-"))
			n++;
	if (d)
		closedir(d);
	return n;
}

static bool have_python(void)
{
	return system("command -v python3 >/dev/null 2>&1") == 0;
}

/* ---- exporters ---- */

static const char folded_by_function[] =
	"<module> (app.py);App.a (app.py);App.b (app.py) 3\n"
	"<module> (app.py);App.a (app.py);c (lib/util.py) 2\n"
	"<module> (app.py);rec (lib/util.py);rec (lib/util.py);rec (lib/util.py) 4\n"
	"run (thr.py);f:g&h (thr.py);\xc3\xbcn\xc3\xaf" "code (thr.py) 1\n";

static const char folded_by_line_threads[] =
	"thread MainThread (100);<module> (app.py:1);App.a (app.py:20);App.b (app.py:30) 2\n"
	"thread MainThread (100);<module> (app.py:1);App.a (app.py:20);App.b (app.py:31) 1\n"
	"thread MainThread (100);<module> (app.py:1);App.a (app.py:20);c (lib/util.py:5) 2\n"
	"thread MainThread (100);<module> (app.py:1);rec (lib/util.py:40);rec (lib/util.py:40);"
	"rec (lib/util.py:40) 4\n"
	"thread worker:1 (101);run (thr.py:3);f:g&h (thr.py:7);\xc3\xbcn\xc3\xaf" "code (thr.py:9) 1\n";

static void test_folded(void)
{
	struct profile *p = sample_profile();
	struct export_opts o = { .by = PROF_BY_LINE, .by_thread = true };
	struct pyspy_err e = { 0 };
	char *s;

	CHECK_INT(export_folded(p, path_in("a.folded"), NULL, &e), 0);
	CHECK_STR(s = slurp(path_in("a.folded")), folded_by_function);
	free(s);
	CHECK_INT(export_folded(p, path_in("b.folded"), &o, &e), 0);
	CHECK_STR(s = slurp(path_in("b.folded")), folded_by_line_threads);
	free(s);

	/* A newline in a name must not start a new line. */
	struct py_frame nl = fr("odd\nname", "odd\nname", "x.py", 1);
	CHECK_INT(profile_add(p, 7, 7, NULL, &nl, 1, 1, T0), 0);
	CHECK_INT(export_folded(p, path_in("c.folded"), NULL, &e), 0);
	s = slurp(path_in("c.folded"));
	CHECK(s && strstr(s, "\nodd name (x.py) 1\n"));
	free(s);
	profile_free(p);
}

static void check_ss_profile(const struct jv *prof, size_t nframes)
{
	const struct jv *samples = jget(prof, "samples", J_ARR), *weights = jget(prof, "weights", J_ARR);
	const struct jv *unit = jget(prof, "unit", J_STR);
	const struct jv *sv = jget(prof, "startValue", J_NUM), *ev = jget(prof, "endValue", J_NUM);
	double sum = 0;

	CHECK(jget(prof, "type", J_STR) && !strcmp(jget(prof, "type", J_STR)->str, "sampled"));
	CHECK(jget(prof, "name", J_STR));
	CHECK(unit && strstr(" none nanoseconds microseconds milliseconds seconds bytes ", unit->str));
	if (!CHECK(samples && weights && sv && ev) || !CHECK_INT(samples->n, weights->n))
		return;
	for (size_t i = 0; i < samples->n; i++) {
		const struct jv *stk = &samples->items[i];
		CHECK(stk->t == J_ARR && stk->n > 0);
		for (size_t k = 0; k < stk->n; k++)
			CHECK(stk->items[k].t == J_NUM && stk->items[k].num >= 0 &&
			      stk->items[k].num < (double)nframes);
		CHECK(weights->items[i].t == J_NUM);
		sum += weights->items[i].num;
	}
	CHECK(sum == ev->num - sv->num);
}

static void test_speedscope(void)
{
	struct profile *p = sample_profile();
	struct export_opts o = { .by = PROF_BY_LINE };
	struct pyspy_err e = { 0 };
	struct jv root;
	char *s;

	CHECK_INT(export_speedscope(p, path_in("a.speedscope.json"), &o, &e), 0);
	s = slurp(path_in("a.speedscope.json"));
	if (CHECK(s && jparse(s, &root))) {
		const struct jv *schema = jget(&root, "$schema", J_STR);
		const struct jv *shared = jget(&root, "shared", J_OBJ);
		const struct jv *frames = jget(shared, "frames", J_ARR);
		const struct jv *profiles = jget(&root, "profiles", J_ARR);
		const struct jv *active = jget(&root, "activeProfileIndex", J_NUM);
		CHECK(schema && !strcmp(schema->str, "https://www.speedscope.app/file-format-schema.json"));
		CHECK(jget(&root, "exporter", J_STR) && !strcmp(jget(&root, "exporter", J_STR)->str, "pyspy-sh"));
		CHECK(jget(&root, "name", J_STR));
		CHECK(frames && frames->n == 9);
		for (size_t i = 0; frames && i < frames->n; i++)
			CHECK(jget(&frames->items[i], "name", J_STR));
		CHECK(frames && jget(&frames->items[0], "line", J_NUM));
		if (CHECK(profiles && profiles->n == 2)) {
			check_ss_profile(&profiles->items[0], frames->n);
			check_ss_profile(&profiles->items[1], frames->n);
			CHECK_STR(jget(&profiles->items[1], "name", J_STR)->str, "thread worker;1 (101)");
			CHECK_INT(jget(&profiles->items[0], "endValue", J_NUM)->num, 9);
		}
		CHECK(active && active->num == 0);
		CHECK(strstr(s, "\"\xc3\xbcn\xc3\xaf" "code\""));   /* UTF-8 kept as is */
		jfree(&root);
	}
	free(s);
	profile_free(p);
}

/* Per tid: B and E balance like brackets, with non-decreasing ts. */
static void check_chrome(const struct jv *arr, int tid, int want_begins)
{
	int depth = 0, begins = 0;
	double last = 0;
	for (size_t i = 0; i < arr->n; i++) {
		const struct jv *ev = &arr->items[i];
		const struct jv *ph = jget(ev, "ph", J_STR), *t = jget(ev, "tid", J_NUM);
		CHECK(ph && t && jget(ev, "name", J_STR) && jget(ev, "pid", J_NUM));
		if (!ph || !t || (int)t->num != tid || !strcmp(ph->str, "M"))
			continue;
		const struct jv *ts = jget(ev, "ts", J_NUM);
		CHECK(ts && ts->num >= last && jget(ev, "cat", J_STR));
		last = ts ? ts->num : last;
		if (!strcmp(ph->str, "B")) {
			depth++;
			begins++;
			CHECK(jget(jget(ev, "args", J_OBJ), "file", J_STR));
		} else if (CHECK(!strcmp(ph->str, "E"))) {
			CHECK(--depth >= 0);
		}
	}
	CHECK_INT(depth, 0);
	CHECK_INT(begins, want_begins);
	CHECK_INT(last, tid == MAIN_TID ? 90000 : 95000);   /* a period after the last sample */
}

static void test_chrome(void)
{
	struct profile *p = sample_profile();
	struct pyspy_err e = { 0 };
	struct jv root;
	char *s;

	CHECK_INT(export_chrome(p, path_in("a.trace.json"), NULL, &e), 0);
	s = slurp(path_in("a.trace.json"));
	if (CHECK(s && jparse(s, &root)) && CHECK(root.t == J_ARR)) {
		/* by function: b@30 and b@31 merge; spans <module>, a, b, c, rec x3 */
		check_chrome(&root, MAIN_TID, 7);
		check_chrome(&root, WORK_TID, 3);
		jfree(&root);
	}
	free(s);
	profile_free(p);
}

static int count(const char *s, const char *what)
{
	int n = 0;
	for (const char *q = s; (q = strstr(q, what)); q += strlen(what))
		n++;
	return n;
}

static void test_svg(void)
{
	struct profile *p = sample_profile();
	struct export_opts o = { .by = PROF_BY_LINE, .by_thread = true, .title = "CPU <busy> & co" };
	struct pyspy_err e = { 0 };
	char *s;

	CHECK_INT(export_svg(p, path_in("a.svg"), &o, &e), 0);
	s = slurp(path_in("a.svg"));
	if (CHECK(s)) {
		CHECK_INT(count(s, "<g class=\"f\""), 1 + 2 + 8 + 3);
		CHECK(strstr(s, "<title>&lt;module&gt; (app.py:1) \xe2\x80\x94 9 samples, 90.00%</title>"));
		CHECK(strstr(s, "<title>f;g&amp;h (thr.py:7) \xe2\x80\x94 1 sample, 10.00%</title>"));
		CHECK(strstr(s, ">CPU &lt;busy&gt; &amp; co</text>"));
		CHECK(strstr(s, "pid 4242 \xc2\xb7 python3 app.py --serve \xc2\xb7 Python 3.12.3"));
		CHECK(strstr(s, "Reset Zoom") && strstr(s, "Matched: "));
		CHECK_INT(count(s, "<g"), count(s, "</g>"));
	}
	free(s);
	o.orient = EXPORT_ICICLE;
	o.by_thread = false;
	CHECK_INT(export_svg(p, path_in("b.svg"), &o, &e), 0);
	if (have_python()) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "python3 -c 'import sys, xml.dom.minidom as m; "
			 "[m.parse(f) for f in sys.argv[1:]]' %s %s", path_in("a.svg"), path_in("b.svg"));
		CHECK_INT(system(cmd), 0);
		snprintf(cmd, sizeof(cmd), "python3 -m json.tool %s >/dev/null && "
			 "python3 -m json.tool %s >/dev/null", path_in("a.speedscope.json"),
			 path_in("a.trace.json"));
		CHECK_INT(system(cmd), 0);
	} else {
		printf("skipped: python3 XML/JSON cross-check (no python3)\n");
	}
	profile_free(p);
}

static void test_atomic_failure(void)
{
	struct profile *p = sample_profile();
	struct pyspy_err e = { 0 };
	char *dir = path_in("sub");

	CHECK_INT(export_svg(p, "/nonexistent-dir/out.svg", NULL, &e), -PS_EIO);
	CHECK_STR(e.msg, "cannot write '/nonexistent-dir/out.svg': No such file or directory");
	/* The temporary file is written, then rename() over a directory fails. */
	mkdir(dir, 0755);
	mkdir(path_in("sub/keep"), 0755);
	CHECK_INT(export_folded(p, dir, NULL, &e), -PS_EIO);
	CHECK(strstr(e.msg, "cannot write '") && strstr(e.msg, "/sub': "));
	CHECK_INT(count_temp_files(tmpdir), 0);
	struct stat st;
	CHECK(stat(path_in("sub/keep"), &st) == 0);
	/* The profile is untouched: the caller can save elsewhere. */
	CHECK_INT(export_folded(p, path_in("again.folded"), NULL, &e), 0);
	CHECK_INT(profile_samples(p), 10);
	profile_free(p);
}

/* The format a name or a file name selects (shared by `save` and prof:save). */
static void test_formats(void)
{
	CHECK_INT(export_format_named("folded"), EXPORT_FMT_FOLDED);
	CHECK_INT(export_format_named("collapsed"), EXPORT_FMT_FOLDED);
	CHECK_INT(export_format_named("speedscope"), EXPORT_FMT_SPEEDSCOPE);
	CHECK_INT(export_format_named("chrome"), EXPORT_FMT_CHROME);
	CHECK_INT(export_format_named("flamegraph"), EXPORT_FMT_SVG);
	CHECK_INT(export_format_named("png"), EXPORT_FMT_NONE);
	CHECK_INT(export_format_of_path("a/b.svg"), EXPORT_FMT_SVG);
	CHECK_INT(export_format_of_path("x.trace.json"), EXPORT_FMT_CHROME);
	CHECK_INT(export_format_of_path("x.chrome.json"), EXPORT_FMT_CHROME);
	CHECK_INT(export_format_of_path("x.json"), EXPORT_FMT_SPEEDSCOPE);
	CHECK_INT(export_format_of_path("x.folded"), EXPORT_FMT_FOLDED);
	CHECK_INT(export_format_of_path("x.txt"), EXPORT_FMT_FOLDED);
	CHECK_INT(export_format_of_path("x.zzz"), EXPORT_FMT_NONE);
	CHECK_INT(export_format_of_path("json"), EXPORT_FMT_NONE);
}

/* --subprocesses: stacks rooted at "<process>" frames.  top leaves the roots
 * out and, per process, splits rows by pid; --threads puts each thread under
 * its process; speedscope (one profile per thread) still writes. */
static void test_processes(void)
{
	struct profile *p = profile_new();
	struct pyspy_err e = { 0 };
	struct py_frame a[3] = { fr("spin", "spin", "x.py", 2), fr("main", "main", "x.py", 1),
				 fr("process 10", "<process>", "cmd a", -1) };
	struct py_frame b[3] = { a[0], a[1], fr("process 20", "<process>", "cmd b", -1) };
	struct prof_row *rows;
	size_t n;
	char *s;

	profile_meta(p)->processes = 2;
	CHECK_INT(profile_add(p, 1, 10, "MainThread", a, 3, 3, T0), 0);
	CHECK_INT(profile_add(p, 1, 20, "MainThread", b, 3, 1, T0 + 10), 0);
	int nproc = 0;
	for (uint32_t id = 0; id < profile_nframes(p); id++)
		nproc += profile_frame_is_process(profile_frame(p, id)) &&
			 !strncmp(profile_frame(p, id)->qualname, "process ", 8);
	CHECK_INT(nproc, 2);
	CHECK_INT(profile_top(p, PROF_BY_FUNCTION, &rows, &n), 0);
	if (CHECK_INT(n, 2)) {
		CHECK_STR(rows[0].qualname, "spin");
		CHECK_INT(rows[0].own, 4);
		CHECK_STR(rows[1].qualname, "main");
		CHECK_INT(rows[1].total, 4);
	}
	free(rows);
	CHECK_INT(profile_top_processes(p, PROF_BY_FUNCTION, &rows, &n), 0);
	if (CHECK_INT(n, 4)) {
		CHECK_STR(rows[0].qualname, "spin");
		CHECK_INT(rows[0].pid, 10);
		CHECK_INT(rows[0].own, 3);
		CHECK_STR(rows[1].qualname, "spin");
		CHECK_INT(rows[1].pid, 20);
		CHECK_INT(rows[1].own, 1);
	}
	free(rows);
	struct export_opts o = { .by = PROF_BY_LINE, .by_thread = true };
	CHECK_INT(export_folded(p, path_in("p.folded"), &o, &e), 0);
	CHECK_STR(s = slurp(path_in("p.folded")),
		  "process 10 (cmd a);thread MainThread (10);main (x.py:1);spin (x.py:2) 3\n"
		  "process 20 (cmd b);thread MainThread (20);main (x.py:1);spin (x.py:2) 1\n");
	free(s);
	CHECK_INT(export_folded(p, path_in("q.folded"), NULL, &e), 0);
	CHECK_STR(s = slurp(path_in("q.folded")),
		  "process 10 (cmd a);main (x.py);spin (x.py) 3\nprocess 20 (cmd b);main (x.py);spin (x.py) 1\n");
	free(s);
	CHECK_INT(export_speedscope(p, path_in("p.json"), NULL, &e), 0);
	/* the Chrome trace: each thread under its own process */
	CHECK_INT(export_chrome(p, path_in("p.trace.json"), NULL, &e), 0);
	s = slurp(path_in("p.trace.json"));
	CHECK(s && strstr(s, "\"name\":\"process_name\",\"ph\":\"M\",\"pid\":20,\"tid\":0,\"args\":{\"name\":\"cmd b\"}"));
	CHECK(s && strstr(s, "\"ph\":\"B\",\"ts\":0,\"pid\":10,\"tid\":10"));
	CHECK(s && strstr(s, "\"pid\":20,\"tid\":20"));
	free(s);
	/* the Gecko profile: each thread's track under its own process */
	CHECK_INT(export_gecko(p, path_in("p.gecko.json"), NULL, &e), 0);
	s = slurp(path_in("p.gecko.json"));
	CHECK(s && strstr(s, "\"processName\":\"cmd a\",\"pid\":10,\"tid\":10,"));
	CHECK(s && strstr(s, "\"processName\":\"cmd b\",\"pid\":20,\"tid\":20,"));
	free(s);
	profile_free(p);
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	strtab_init(&target_strs);
	test_folded();
	test_speedscope();
	test_chrome();
	test_svg();
	test_atomic_failure();
	test_formats();
	test_processes();
	strtab_release(&target_strs);
	if (!getenv("KEEP_TEST_FILES")) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		CHECK_INT(system(cmd), 0);
	} else {
		printf("files kept in %s\n", tmpdir);
	}
	return unit_done();
}
