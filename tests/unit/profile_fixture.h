/*
 * profile_fixture.h — the synthetic profile the profile tests share
 * (test_profile.c: the store; test_profile_export.c: the exporters).
 *
 * Two threads, recursion, two lines of one function, and names with ';', '&',
 * '<', a newline and non-ASCII letters, interned like the target's strtab.
 */
#ifndef PYSPY_PROFILE_FIXTURE_H
#define PYSPY_PROFILE_FIXTURE_H

#include <stdlib.h>
#include <string.h>

#include "engine/profile/profile.h"
#include "engine/strtab.h"
#include "unit.h"

/* ---- synthetic stacks: strings interned like the target's strtab ---- */

static struct strtab target_strs;

static inline struct py_frame fr(const char *qualname, const char *function, const char *file, int line)
{
	struct py_frame f = { 0 };
	f.qualname = strtab_intern(&target_strs, qualname, strlen(qualname));
	f.function = strtab_intern(&target_strs, function, strlen(function));
	f.file = strtab_intern(&target_strs, file, strlen(file));
	f.line = line;
	return f;
}

#define MAIN_TID 100
#define WORK_TID 101
#define T0 1700000000000000ull

/* Frames are listed root first here and reversed for profile_add(). */
static inline void add(struct profile *p, int tid, const struct py_frame *rootfirst, size_t n,
		unsigned times, uint64_t *ts)
{
	struct py_frame inner[16];
	for (size_t i = 0; i < n; i++)
		inner[i] = rootfirst[n - 1 - i];
	const char *name = tid == MAIN_TID ? "MainThread" : "worker;1";
	for (unsigned k = 0; k < times; k++) {
		CHECK_INT(profile_add(p, (uint64_t)tid * 0x1000, tid, name, inner, n, 1, *ts), 0);
		*ts += 10000;
	}
}

static inline struct profile *sample_profile(void)
{
	struct profile *p = profile_new();
	struct py_frame mod = fr("<module>", "<module>", "app.py", 1);
	struct py_frame a = fr("App.a", "a", "app.py", 20);
	struct py_frame b30 = fr("App.b", "b", "app.py", 30), b31 = fr("App.b", "b", "app.py", 31);
	struct py_frame c = fr("c", "c", "lib/util.py", 5), r = fr("rec", "rec", "lib/util.py", 40);
	struct py_frame run = fr("run", "run", "thr.py", 3), fg = fr("f;g&h", "f;g&h", "thr.py", 7);
	struct py_frame uni = fr("\xc3\xbcn\xc3\xaf" "code", "\xc3\xbcn\xc3\xaf" "code", "thr.py", 9);
	uint64_t ts = T0, tw = T0 + 85000;   /* the timeline wants time order */
	struct profile_meta *m = profile_meta(p);

	add(p, MAIN_TID, (struct py_frame[]){ mod, a, b30 }, 3, 2, &ts);
	add(p, MAIN_TID, (struct py_frame[]){ mod, a, b31 }, 3, 1, &ts);
	add(p, MAIN_TID, (struct py_frame[]){ mod, a, c }, 3, 2, &ts);
	add(p, MAIN_TID, (struct py_frame[]){ mod, r, r, r }, 4, 4, &ts);
	add(p, WORK_TID, (struct py_frame[]){ run, fg, uni }, 3, 1, &tw);
	m->pid = 4242;
	m->start_us = T0;
	m->duration_us = 90000;
	m->rate_hz = 100;
	m->ticks = 9;
	profile_set_command(p, "python3 app.py --serve");
	profile_set_python(p, "3.12.3");
	return p;
}

#endif
