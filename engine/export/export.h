/*
 * export.h — a profile written as files other tools read.
 *
 * Folded stacks (flamegraph.pl, inferno), speedscope's JSON, Chrome trace
 * events, an interactive SVG flame graph, Python's pstats and the Firefox
 * Profiler's Gecko profile.  Every writer reads the profile
 * only through profile.h (its tree, labels and iterators) and writes its file
 * through export_atomic(), so a failed export never leaves a half-written
 * file where a good one was.  A new format is one export_NAME.c beside the
 * others, a value of enum export_format and its names in export.c.
 */
#ifndef PYSPY_EXPORT_H
#define PYSPY_EXPORT_H

#include <stdbool.h>

#include "engine/error.h"
#include "engine/profile/profile.h"

enum export_orient { EXPORT_FLAME, EXPORT_ICICLE };

struct export_opts {
	enum prof_by by;
	bool by_thread;            /* a root frame per thread (folded, SVG); speedscope always splits */
	const char *title;         /* SVG; NULL: "pyspy-sh profile" */
	const char *subtitle;      /* SVG; NULL: pid, command, duration, rate, samples */
	enum export_orient orient;   /* SVG */
	int width;                 /* SVG pixels; 0: 1200 */
	const struct profile *diff;  /* SVG: a base profile; frames are coloured by the change of
	                                their function's own share since it (red grew, blue shrank) */
};

/*
 * Each writes `path` atomically: a temporary file in the same directory is
 * written, flushed, fsync'd and renamed over it.  On failure the temporary
 * file is removed, `path` is untouched, and the result is -PS_EIO ("cannot
 * write '/nope/out.svg': No such file or directory") or -PS_ENOMEM.  o may be
 * NULL (by function, no thread split, flame).
 */
int export_folded(const struct profile *p, const char *path, const struct export_opts *o,
			 struct pyspy_err *e);
int export_speedscope(const struct profile *p, const char *path,
			     const struct export_opts *o, struct pyspy_err *e);
int export_chrome(const struct profile *p, const char *path, const struct export_opts *o,
			 struct pyspy_err *e);
int export_svg(const struct profile *p, const char *path, const struct export_opts *o,
		      struct pyspy_err *e);
/* pstats.Stats(path) and snakeviz: every thread, by function (o->by is not used). */
int export_pstats(const struct profile *p, const char *path, const struct export_opts *o,
		  struct pyspy_err *e);
/* The Firefox Profiler's Gecko profile: one thread per sampled thread, samples in time. */
int export_gecko(const struct profile *p, const char *path, const struct export_opts *o,
		 struct pyspy_err *e);
/* One self-contained HTML page: the sources (read now, from this machine) with
 * each line's own and total samples, hottest files first (o->title only). */
int export_heatmap(const struct profile *p, const char *path, const struct export_opts *o,
		   struct pyspy_err *e);

/*
 * A profile saved earlier, read back: folded stacks or pstats (ours or
 * cProfile's), told apart by content.  Folded counts come back as samples;
 * pstats gives one stack per function with own time, weighing it in µs,
 * under its heaviest callers (own shares exact, cumulative ones approximate).
 * *out is the caller's (profile_free).  0, -PS_EIO ("cannot read 'x': No such
 * file or directory"), -PS_EARG (not a profile, with the line) or -PS_ENOMEM.
 */
int export_load(const char *path, struct profile **out, struct pyspy_err *e);

/* The format a name selects ("folded", "speedscope", "chrometrace", "svg",
 * "pstats", "gecko", "heatmap" and their aliases) or a path's ending implies
 * (.txt .folded .collapsed, .json, .trace.json .chrome.json, .svg, .pstats
 * .prof, .gecko.json, .html); EXPORT_FMT_NONE when neither says. */
enum export_format { EXPORT_FMT_NONE, EXPORT_FMT_FOLDED, EXPORT_FMT_SPEEDSCOPE, EXPORT_FMT_CHROME, EXPORT_FMT_SVG,
		     EXPORT_FMT_PSTATS, EXPORT_FMT_GECKO, EXPORT_FMT_HEATMAP };
enum export_format export_format_named(const char *name);
enum export_format export_format_of_path(const char *path);
/* Write p to path in format fmt (EXPORT_FMT_NONE: svg), as the writers above. */
int export_write(const struct profile *p, const char *path, enum export_format fmt,
		  const struct export_opts *o, struct pyspy_err *e);

#endif
