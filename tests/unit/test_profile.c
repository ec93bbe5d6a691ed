/*
 * test_profile.c — the profile store, on synthetic stacks (profile_fixture.h):
 * counts, top's own and total (recursion counted once per sample), the
 * per-thread last-path shortcut, merge, the timeline's thinning at its cap,
 * and the hot path: adding a stack seen before must not allocate, and its
 * cost is printed.  The exporters are test_profile_export.c's.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/profile/profile.h"
#include "profile_fixture.h"
#include "unit.h"

/* ---- the store ---- */

static void test_counts(void)
{
	struct profile *p = sample_profile();
	struct profile_stats st;
	struct prof_iter it;
	struct prof_stack s;
	uint64_t sum = 0;
	int n = 0;

	profile_stats(p, &st);
	CHECK_INT(profile_samples(p), 10);
	CHECK_INT(st.threads, 2);
	CHECK_INT(st.stacks, 5);
	CHECK_INT(st.frames, 9);
	CHECK_INT(st.timeline, 10);
	CHECK_STR(profile_thread(p, 1)->name, "worker;1");
	CHECK_INT(profile_thread(p, 0)->samples, 9);
	prof_iter_init(&it, p);
	while (prof_iter_next(&it, &s) > 0) {
		n++;
		sum += s.count;
		if (s.count == 4) {   /* the recursive stack, root first */
			CHECK_INT(s.nframes, 4);
			CHECK_STR(profile_frame(p, s.frames[0])->qualname, "<module>");
			CHECK_STR(profile_frame(p, s.frames[3])->qualname, "rec");
			CHECK(s.frames[1] == s.frames[2] && s.frames[2] == s.frames[3]);
		}
	}
	prof_iter_release(&it);
	CHECK_INT(n, 5);
	CHECK_INT(sum, 10);
	profile_free(p);
}

static void check_row(const struct prof_row *r, const char *q, int line, uint64_t own, uint64_t total)
{
	CHECK_STR(r->qualname, q);
	CHECK_INT(r->line, line);
	CHECK_INT(r->own, own);
	CHECK_INT(r->total, total);
}

/* The per-thread last-path shortcut: a stack that is a prefix of the last one,
 * a longer one, and caller pointers whose text changed after
 * profile_forget_pointers() (the target was detached and its strings freed). */
static void test_lastpath(void)
{
	struct profile *p = profile_new();
	struct py_frame m = fr("<module>", "<module>", "x.py", 1), a = fr("a", "a", "x.py", 2);
	struct py_frame b = fr("b", "b", "x.py", 3);
	uint64_t ts = T0;
	char name[8] = "old";
	struct py_frame v = { .qualname = name, .function = name, .file = "y.py", .line = 7 };
	struct prof_row *rows;
	size_t n;

	add(p, MAIN_TID, (struct py_frame[]){ m, a, b }, 3, 1, &ts);
	add(p, MAIN_TID, (struct py_frame[]){ m, a }, 2, 1, &ts);
	add(p, MAIN_TID, (struct py_frame[]){ m, a, b, b }, 4, 1, &ts);
	add(p, MAIN_TID, (struct py_frame[]){ m, a, v }, 3, 1, &ts);
	profile_forget_pointers(p);
	strcpy(name, "new");
	add(p, MAIN_TID, (struct py_frame[]){ m, a, v }, 3, 1, &ts);
	CHECK_INT(profile_top(p, PROF_BY_FUNCTION, &rows, &n), 0);
	bool saw_old = false, saw_new = false;
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(rows[i].qualname, "a"))
			check_row(&rows[i], "a", 0, 1, 5);
		if (!strcmp(rows[i].qualname, "b"))
			check_row(&rows[i], "b", 0, 2, 2);
		saw_old |= !strcmp(rows[i].qualname, "old");
		saw_new |= !strcmp(rows[i].qualname, "new");
	}
	CHECK(saw_old && saw_new);
	free(rows);
	struct profile_stats st;
	profile_stats(p, &st);
	CHECK_INT(st.stacks, 5);
	profile_free(p);
}

static void test_top(void)
{
	struct profile *p = sample_profile();
	struct prof_row *rows;
	size_t n;

	CHECK_INT(profile_top(p, PROF_BY_FUNCTION, &rows, &n), 0);
	if (CHECK_INT(n, 8)) {
		check_row(&rows[0], "rec", 0, 4, 4);           /* recursion counted once */
		check_row(&rows[1], "App.b", 0, 3, 3);
		check_row(&rows[2], "c", 0, 2, 2);
		check_row(&rows[3], "\xc3\xbcn\xc3\xaf" "code", 0, 1, 1);
		check_row(&rows[4], "<module>", 0, 0, 9);
		check_row(&rows[5], "App.a", 0, 0, 5);
		check_row(&rows[6], "f;g&h", 0, 0, 1);
		check_row(&rows[7], "run", 0, 0, 1);
		CHECK_STR(rows[1].function, "b");
		CHECK_STR(rows[2].file, "lib/util.py");
	}
	free(rows);
	CHECK_INT(profile_top(p, PROF_BY_LINE, &rows, &n), 0);
	if (CHECK_INT(n, 9)) {
		check_row(&rows[0], "rec", 40, 4, 4);
		check_row(&rows[1], "App.b", 30, 2, 2);
		check_row(&rows[2], "c", 5, 2, 2);
		check_row(&rows[3], "App.b", 31, 1, 1);
	}
	free(rows);
	profile_free(p);
}

static void test_merge(void)
{
	struct profile *p = sample_profile(), *q = profile_new();
	struct prof_row *rows;
	struct profile_stats st;
	struct prof_tl_iter it;
	struct prof_event ev;
	uint64_t last = 0;
	size_t n, events = 0;
	bool sorted = true;

	CHECK_INT(profile_merge(q, p), 0);
	CHECK_INT(profile_merge(q, p), 0);
	CHECK_INT(profile_merge(q, q), -PS_EARG);
	profile_free(p);   /* q must not depend on p's strings */
	profile_stats(q, &st);
	CHECK_INT(profile_samples(q), 20);
	CHECK_INT(st.stacks, 5);
	CHECK_INT(st.frames, 9);
	CHECK_INT(profile_meta(q)->ticks, 18);
	CHECK_INT(profile_meta(q)->start_us, T0);
	CHECK_INT(profile_top(q, PROF_BY_FUNCTION, &rows, &n), 0);
	if (CHECK_INT(n, 8))
		check_row(&rows[0], "rec", 0, 8, 8);
	free(rows);
	prof_tl_init(&it, q);
	while (prof_tl_next(&it, &ev)) {
		sorted = sorted && ev.ts_us >= last;
		last = ev.ts_us;
		events++;
	}
	CHECK_INT(events, 20);
	CHECK(sorted);
	profile_free(q);
}

/* ---- the hot path ---- */

static void deep_stack(struct py_frame *f, size_t n)
{
	char name[32];
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "func_%zu", i);
		f[i] = fr(name, name, "/srv/app/deep/module.py", (int)(10 * i + 1));
	}
}

static void test_no_alloc(void)
{
	struct profile *p = profile_new();
	struct py_frame f[30];
	struct profile_stats a, b;

	deep_stack(f, 30);
	profile_set_timeline_cap(p, 0);
	CHECK_INT(profile_add(p, 1, 1, "MainThread", f, 30, 1, 0), 0);
	profile_stats(p, &a);
	struct mallinfo2 before = mallinfo2();
	for (int i = 0; i < 1000000; i++)
		profile_add(p, 1, 1, "MainThread", f, 30, 1, (uint64_t)i);
	struct mallinfo2 after = mallinfo2();
	profile_stats(p, &b);
	CHECK_INT(b.allocs, a.allocs);
	CHECK_INT(after.uordblks, before.uordblks);
	CHECK_INT(b.samples, 1000001);
	CHECK_INT(b.nodes, 31);
	CHECK_INT(b.timeline_dropped, 1000001);
	profile_free(p);

	/* With the timeline: one chunk per 64K samples, nothing else. */
	p = profile_new();
	profile_add(p, 1, 1, "MainThread", f, 30, 1, 0);
	profile_stats(p, &a);
	for (int i = 0; i < 1000000; i++)
		profile_add(p, 1, 1, "MainThread", f, 30, 1, (uint64_t)i);
	profile_stats(p, &b);
	CHECK(b.allocs - a.allocs <= 1000000 / 65536 + 2);
	CHECK_INT(b.timeline, 1000001);
	profile_free(p);
}

/* At its cap the timeline drops every other tick, counting back from the
 * last, and keeps one tick in two from then on: 50 ticks of 30 threads into
 * a cap of 1000 keep the odd ticks whole (17 + 8 of them), in time order. */
static void test_timeline_thinning(void)
{
	struct profile *p = profile_new();
	struct py_frame f[3];
	struct profile_stats st;
	char name[16];

	deep_stack(f, 3);
	profile_set_timeline_cap(p, 1000);
	for (int tick = 0; tick < 50; tick++)
		for (int th = 0; th < 30; th++) {
			snprintf(name, sizeof(name), "w%d", th);
			profile_add(p, 100 + (uint64_t)th, 200 + th, name, f, 3, 1, (uint64_t)tick * 1000);
		}
	profile_stats(p, &st);
	CHECK_INT(st.samples, 1500);
	CHECK_INT(st.timeline, 750);
	CHECK_INT(st.timeline_dropped, 750);
	CHECK_INT(st.timeline_stride, 2);
	struct prof_tl_iter it;
	struct prof_event ev;
	uint64_t last = 0;
	int n = 0, bad = 0, per_tick = 0;
	uint32_t seen = 0;
	prof_tl_init(&it, p);
	while (prof_tl_next(&it, &ev)) {
		if (ev.ts_us % 2000 != 1000 || ev.ts_us < last)
			bad++;
		if (n && ev.ts_us != last) {
			bad += per_tick != 30 || seen != (1u << 30) - 1;
			per_tick = 0;
			seen = 0;
		}
		seen |= 1u << (ev.thread % 30);
		per_tick++;
		last = ev.ts_us;
		n++;
	}
	CHECK_INT(n, 750);
	CHECK_INT(bad, 0);
	CHECK_INT(per_tick, 30);
	CHECK_INT((long long)last, 49000);
	profile_free(p);
}

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* Informational: the cost of one sample of a 30-frame stack seen before. */
static void bench_add(size_t cap, const char *what)
{
	struct profile *p = profile_new();
	struct py_frame f[30];
	const int n = 1000000;

	deep_stack(f, 30);
	profile_set_timeline_cap(p, cap);
	profile_add(p, 1, 1, "MainThread", f, 30, 1, 0);
	double t = now_ns();
	for (int i = 0; i < n; i++)
		profile_add(p, 1, 1, "MainThread", f, 30, 1, (uint64_t)i * 100);
	t = now_ns() - t;
	printf("bench: profile_add, 30-frame stack seen before, %s: %.1f ns/add\n", what, t / n);
	profile_free(p);
}

int main(void)
{
	strtab_init(&target_strs);
	test_counts();
	test_top();
	test_lastpath();
	test_merge();
	test_no_alloc();
	test_timeline_thinning();
	bench_add(0, "no timeline");
	bench_add(PROF_TIMELINE_CAP_DEFAULT, "with timeline");
	strtab_release(&target_strs);
	return unit_done();
}
