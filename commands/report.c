/*
 * report.c — what to do with a profile: `top` (a table, or a live view),
 * `flamegraph PATH` and `save PATH`.
 *
 * Files are written by the engine's exporters, atomically; a failed write says
 * why and leaves the profile in the session, so it can be saved elsewhere.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "engine/export/export.h"
#include "engine/profile/sampler.h"
#include "command.h"
#include "sample.h"
#include "session.h"

/* ---- top ---- */

enum { TOP_BY, TOP_N, TOP_SORT, TOP_LIVE, TOP_RATE };

static const struct cmd_opt top_opts[] = {
	[TOP_BY] = { "by", 'b', OPT_STRING, "function|line", "one row per function (default) or per line" },
	[TOP_N] = { "n", 'n', OPT_INT, "ROWS", "how many rows (default 20)" },
	[TOP_SORT] = { "sort", 's', OPT_STRING, "own|total", "order by own time (default) or total time" },
	[TOP_LIVE] = { "live", 'l', OPT_BOOL, NULL, "sample continuously and refresh, until q or Ctrl-C" },
	[TOP_RATE] = { "rate", 'r', OPT_STRING, "HZ", "with --live: samples per second (default 100)" },
	{ 0 },
};

static int by_total(const void *a, const void *b)
{
	const struct prof_row *x = a, *y = b;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return x->own < y->own ? 1 : x->own > y->own ? -1 : 0;
}

/* What the header says about the sampling: from the profile, or, while
 * `top --live` is still sampling, from the sampler's running counts (the
 * profile's own are added up only when sampling ends). */
struct top_view {
	double seconds;
	uint64_t ticks, errors, torn;
	bool cpu, no_schedstat;
	const char *mode;
};

static struct top_view top_view(const struct profile *p, const struct sampler_stats *live)
{
	const struct profile_meta *m = profile_meta(p);
	struct top_view v = { (double)m->duration_us / 1e6, m->ticks, m->errors, m->torn,
			      m->unit == PROF_UNIT_CPU_US, m->no_schedstat, m->mode[0] ? m->mode : "?" };
	if (live) {
		v.seconds = live->elapsed_s;
		v.ticks = live->ticks;
		v.errors = live->errors;
		v.torn = live->torn;
		v.cpu = live->cpu_weights;
		v.no_schedstat = live->no_schedstat;
	}
	return v;
}

static void print_top_header(struct session *s, const struct profile *p, const struct top_view *v)
{
	const struct profile_meta *m = profile_meta(p);
	fprintf(s->out, "%llu samples from pid %d", (unsigned long long)profile_samples(p), (int)m->pid);
	if (m->processes > 1)
		fprintf(s->out, " and %zu subprocesses", m->processes - 1);
	fprintf(s->out, " over %.2fs (%llu ticks, %llu errors, %llu torn)", v->seconds,
		(unsigned long long)v->ticks, (unsigned long long)v->errors, (unsigned long long)v->torn);
	if (v->cpu)
		fprintf(s->out, "; mode %s: %.6f s of CPU (%llu \xc2\xb5s), shares of CPU time\n", v->mode,
			(double)profile_weight(p) / 1e6, (unsigned long long)profile_weight(p));
	else
		fprintf(s->out, "; mode %s: shares of samples%s\n", v->mode,
			v->no_schedstat ? " (no schedstat: threads the kernel showed running)" : "");
}

static void print_top(struct session *s, const struct profile *p, enum prof_by by, bool sort_total, long limit,
		      const struct sampler_stats *live)
{
	struct prof_row *rows = NULL;
	size_t n = 0;
	uint64_t all = profile_weight(p);
	struct top_view v = top_view(p, live);
	/* seconds per unit of weight: µs of CPU, or the achieved interval between
	 * ticks for sample counts (a requested rate may not have been reached) */
	double per = v.cpu ? 1e-6 : v.ticks ? v.seconds / (double)v.ticks : 0;
	bool procs = profile_meta(p)->processes > 1;
	if ((procs ? profile_top_processes(p, by, &rows, &n) : profile_top(p, by, &rows, &n)) < 0) {
		cmd_error(s, "top: out of memory");
		return;
	}
	if (sort_total)
		qsort(rows, n, sizeof(*rows), by_total);
	print_top_header(s, p, &v);
	fprintf(s->out, "%7s %7s %9s %9s  ", "own%", "total%", v.cpu ? "own(cpu)" : "own(s)",
		v.cpu ? "total(cpu)" : "total(s)");
	if (procs)
		fprintf(s->out, "%8s  ", "process");
	fprintf(s->out, "%s\n", by == PROF_BY_LINE ? "function (file:line)" : "function (file)");
	for (size_t i = 0; i < n && (long)i < limit; i++) {
		const struct prof_row *r = &rows[i];
		double own = all ? 100.0 * (double)r->own / (double)all : 0;
		double total = all ? 100.0 * (double)r->total / (double)all : 0;
		fprintf(s->out, "%6.2f%% %6.2f%% %9.3f %9.3f  ", own, total, (double)r->own * per, (double)r->total * per);
		if (procs)
			fprintf(s->out, "%8d  ", (int)r->pid);
		fprintf(s->out, "%s (%s", r->qualname, r->file);
		if (by == PROF_BY_LINE && r->line >= 0)   /* a native frame has no line */
			fprintf(s->out, ":%d", r->line);
		fputs(")\n", s->out);
	}
	if (n == 0)
		fputs(v.cpu ? "(no samples: the target's threads used no CPU; try 'sample ... --mode wall')\n"
			    : "(no samples: the target's threads were idle; try 'sample ... --mode wall')\n", s->out);
	free(rows);
}

/*
 * `top --live` on a terminal draws like top(1): on the alternate screen,
 * each frame over the last in place (home, each line cleared to its end, the
 * rest of the screen cleared), written straight to the terminal, never
 * through the pager (which would hold it all until the end).  When it ends
 * (q, Ctrl-C, the target exiting) the normal screen comes back and the last
 * table is printed there, as the session's profile.  Without a terminal each
 * frame is printed after the last, as before.
 */
struct live {
	struct session *s;
	struct profile *p;
	enum prof_by by;
	bool sort_total;
	long limit;
	bool quit;
	FILE *screen;              /* the terminal, or NULL: frames go to s->out */
};

static void live_draw(struct live *lv, const struct sampler_stats *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len), *saved = lv->s->out;
	if (!mem)
		return;
	lv->s->out = mem;
	print_top(lv->s, lv->p, lv->by, lv->sort_total, lv->limit, st);
	fputs("\n(q or Ctrl-C stops)\n", mem);
	lv->s->out = saved;
	fclose(mem);
	FILE *o = lv->screen ? lv->screen : saved;
	fputs(lv->screen ? "\033[H" : "\033[H\033[2J", o);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n' && lv->screen)
			fputs("\033[K", o);
		fputc(buf[i], o);
	}
	if (lv->screen)
		fputs("\033[J", o);
	fflush(o);
	free(buf);
}

static int live_tick(void *arg, const struct sampler_stats *st)
{
	struct live *lv = arg;
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	char ch;
	while (poll(&pfd, 1, 0) > 0 && read(STDIN_FILENO, &ch, 1) == 1)
		if (ch == 'q' || ch == 'Q')
			lv->quit = true;
	if (lv->quit)
		pyspy_interrupted = 1;   /* the sampler's stop signal, as Ctrl-C */
	live_draw(lv, st);
	return 0;
}

static int top_live(struct session *s, const struct cmd_args *a, enum prof_by by, bool sort_total, long limit)
{
	struct sample_request rq = { .rate = 100 };
	struct sampler_stats st;
	struct termios saved, raw;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	if (a->set[TOP_RATE] && sample_parse_rate(s, "top", a->str[TOP_RATE], &rq.rate) != CMD_OK)
		return CMD_FAILED;
	if (s->held)
		return cmd_error(s, "top: pid %d is stopped (by 'stop'): its threads use no CPU, so a live cpu profile "
				 "stays empty; 'continue' first", (int)s->target.pid);
	struct profile *p = profile_new();
	if (!p)
		return cmd_error(s, "top: out of memory");
	struct live lv = { s, p, by, sort_total, limit, false, NULL };
	if (s->interactive && isatty(STDOUT_FILENO)) {
		int fd = dup(STDOUT_FILENO);
		if (fd >= 0 && !(lv.screen = fdopen(fd, "w")))
			close(fd);
	}
	rq.tick = live_tick;
	rq.tick_arg = &lv;
	if (tty) {
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	if (lv.screen) {
		fputs("\033[?1049h\033[?25l\033[H\033[2J", lv.screen);   /* alternate screen, no cursor */
		fflush(lv.screen);
	}
	int rc = sample_into(s, &rq, p, &st);
	if (lv.screen) {
		fputs("\033[?25h\033[?1049l", lv.screen);
		fclose(lv.screen);
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	pyspy_interrupted = 0;
	print_top(s, p, by, sort_total, limit, NULL);
	if (s->profile)
		profile_free(s->profile);
	s->profile = p;
	s->profile_threads = false;
	return rc;
}

static int parse_by(struct session *s, const char *cmd, const struct cmd_args *a, int opt, enum prof_by *by)
{
	*by = PROF_BY_FUNCTION;
	if (!a->set[opt])
		return CMD_OK;
	if (!strcmp(a->str[opt], "line"))
		*by = PROF_BY_LINE;
	else if (strcmp(a->str[opt], "function"))
		return cmd_error(s, "%s: --by takes 'function' or 'line', not '%s'", cmd, a->str[opt]);
	return CMD_OK;
}

/* TOP [--by function|line] [-n ROWS] [--sort own|total] [--live [--rate HZ]] */
static int do_top(struct session *s, const struct cmd_args *a)
{
	enum prof_by by;
	long limit = a->set[TOP_N] ? a->num[TOP_N] : 20;
	bool sort_total = false;
	if (parse_by(s, "top", a, TOP_BY, &by) != CMD_OK)
		return CMD_FAILED;
	if (limit <= 0)
		return cmd_error(s, "top: -n must be positive");
	if (a->set[TOP_SORT]) {
		sort_total = !strcmp(a->str[TOP_SORT], "total");
		if (!sort_total && strcmp(a->str[TOP_SORT], "own"))
			return cmd_error(s, "top: --sort takes 'own' or 'total', not '%s'", a->str[TOP_SORT]);
	}
	if (a->set[TOP_LIVE]) {
		if (!s->attached)
			return cmd_error(s, "top: no process attached (use 'attach PID' or start with -p PID)");
		if (s->target.core)
			return cmd_error(s, "top --live: not available on a core file");
		return top_live(s, a, by, sort_total, limit);
	}
	if (!s->profile)
		return cmd_error(s, "top: no profile yet: run 'sample DURATION' first");
	print_top(s, s->profile, by, sort_total, limit, NULL);
	return CMD_OK;
}

const struct command cmd_top = {
	.name = "top",
	.usage = "top [--by function|line] [-n ROWS] [--sort own|total] [--live [--rate HZ]]",
	.summary = "The hottest functions of the last profile: own and total share and time.",
	.help = "own: where the function was running itself (the innermost frame); total:\n"
		"where it was anywhere on the stack (recursion counted once).  A cpu-mode\n"
		"profile (sample's default) adds up CPU time: the seconds are CPU seconds and\n"
		"the shares are shares of the CPU time the sampled threads used.  A wall or\n"
		"gil profile counts samples: its seconds are samples times the achieved\n"
		"interval between ticks.  --live samples (cpu mode) until q or\n"
		"Ctrl-C and redraws the table a few times a second, like top(1): on a\n"
		"terminal in place on the alternate screen, never through the pager; what it\n"
		"gathered becomes the session's profile and its table is printed at the end.",
	.opts = top_opts,
	.max_args = 0,
	.handler = do_top,
};

/* ---- flamegraph and save ---- */

enum { OUT_FORMAT, OUT_BY, OUT_THREADS, OUT_ICICLE, OUT_TITLE, OUT_DIFF };

static const struct cmd_opt out_opts[] = {
	[OUT_FORMAT] = { "format", 'f', OPT_STRING, "FMT", "folded, speedscope, chrometrace, svg, pstats, gecko or heatmap (default: from the file name)" },
	[OUT_BY] = { "by", 'b', OPT_STRING, "function|line", "frames per function or per line (default line)" },
	[OUT_THREADS] = { "threads", 't', OPT_BOOL, NULL, "a root frame per thread (default: as sampled)" },
	[OUT_ICICLE] = { "icicle", 0, OPT_BOOL, NULL, "flame graph upside down: roots at the top" },
	[OUT_TITLE] = { "title", 0, OPT_STRING, "TEXT", "the flame graph's title" },
	[OUT_DIFF] = { "diff", 0, OPT_STRING, "BASE", "flame graph coloured by the change since BASE (a folded or pstats file)" },
	{ 0 },
};

static int report_written(struct session *s, const char *path)
{
	const struct profile_meta *m = profile_meta(s->profile);
	fprintf(s->out, "wrote %s (%llu samples", path, (unsigned long long)profile_samples(s->profile));
	if (m->unit == PROF_UNIT_CPU_US)
		fprintf(s->out, ", weights in \xc2\xb5s of CPU: %llu in all", (unsigned long long)profile_weight(s->profile));
	fputs(")\n", s->out);
	return CMD_OK;
}

static int write_profile(struct session *s, const char *cmd, const char *path, enum export_format fmt, const struct cmd_args *a)
{
	struct export_opts o = { .by = PROF_BY_LINE, .by_thread = s->profile_threads || a->set[OUT_THREADS] };
	struct pyspy_err e = { 0 };
	char subtitle[512];
	int rc;
	if (!s->profile)
		return cmd_error(s, "%s: no profile yet: run 'sample DURATION' first", cmd);
	if (a->set[OUT_BY] && !strcmp(a->str[OUT_BY], "function"))
		o.by = PROF_BY_FUNCTION;
	else if (a->set[OUT_BY] && strcmp(a->str[OUT_BY], "line"))
		return cmd_error(s, "%s: --by takes 'function' or 'line', not '%s'", cmd, a->str[OUT_BY]);
	const struct profile_meta *m = profile_meta(s->profile);
	if (m->unit == PROF_UNIT_CPU_US)
		snprintf(subtitle, sizeof(subtitle), "pid %d: %.200s \xc2\xb7 %.3f s of CPU in %llu samples", (int)m->pid,
			 m->command, (double)profile_weight(s->profile) / 1e6,
			 (unsigned long long)profile_samples(s->profile));
	else
		snprintf(subtitle, sizeof(subtitle), "pid %d: %.200s \xc2\xb7 %llu samples", (int)m->pid, m->command,
			 (unsigned long long)profile_samples(s->profile));
	o.title = a->set[OUT_TITLE] ? a->str[OUT_TITLE] : fmt == EXPORT_FMT_HEATMAP ? "pyspy-sh heatmap" : "pyspy-sh flame graph";
	o.subtitle = subtitle;
	o.orient = a->set[OUT_ICICLE] ? EXPORT_ICICLE : EXPORT_FLAME;
	struct profile *base = NULL;
	if (a->set[OUT_DIFF] && fmt != EXPORT_FMT_SVG)
		return cmd_error(s, "%s: --diff makes a flame graph: write a .svg", cmd);
	if (a->set[OUT_DIFF] && export_load(a->str[OUT_DIFF], &base, &e) < 0)
		return cmd_error(s, "%s: --diff: %s", cmd, e.msg);
	o.diff = base;
	rc = export_write(s->profile, path, fmt, &o, &e);
	profile_free(base);
	if (rc < 0)
		return cmd_error(s, "%s: %s (the profile is kept: save it elsewhere)", cmd, e.msg);
	return report_written(s, path);
}

/* FLAMEGRAPH path [--by function|line] [--threads] [--icicle] [--title TEXT] [--diff BASE] */
static int do_flamegraph(struct session *s, const struct cmd_args *a)
{
	return write_profile(s, "flamegraph", a->argv[0], EXPORT_FMT_SVG, a);
}

const struct command cmd_flamegraph = {
	.name = "flamegraph",
	.usage = "flamegraph PATH [--by function|line] [--threads] [--icicle] [--title TEXT] [--diff BASE]",
	.summary = "Write the last profile as an interactive SVG flame graph.",
	.help = "Open it in a browser: hover for samples and percentages, click to zoom,\n"
		"Reset Zoom, and search with a regular expression (the matched share is\n"
		"shown).  The file is written whole or not at all.\n"
		"--diff BASE compares with a profile saved earlier (folded or pstats): the\n"
		"widths are this profile's, and each frame is painted by the change of its\n"
		"function's own share since BASE: red where it grew, blue where it shrank,\n"
		"grey where it stayed, stronger the bigger the change (full at 10 points).\n"
		"The tooltip gives both shares and the difference; functions BASE had and\n"
		"this profile lacks are listed under the graph.",
	.opts = out_opts,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_FILE_ARG,
	.handler = do_flamegraph,
};

/* HEATMAP path [--title TEXT] */
enum { HM_TITLE };

static const struct cmd_opt heatmap_opts[] = {
	[HM_TITLE] = { "title", 0, OPT_STRING, "TEXT", "the page's title" },
	{ 0 },
};

static int do_heatmap(struct session *s, const struct cmd_args *a)
{
	struct export_opts o = { .by = PROF_BY_LINE };
	struct pyspy_err e = { 0 };
	if (!s->profile)
		return cmd_error(s, "heatmap: no profile yet: run 'sample DURATION' first");
	o.title = a->set[HM_TITLE] ? a->str[HM_TITLE] : "pyspy-sh heatmap";
	if (export_heatmap(s->profile, a->argv[0], &o, &e) < 0)
		return cmd_error(s, "heatmap: %s (the profile is kept: save it elsewhere)", e.msg);
	return report_written(s, a->argv[0]);
}

const struct command cmd_heatmap = {
	.name = "heatmap",
	.usage = "heatmap PATH [--title TEXT]",
	.summary = "Write the last profile over its source code as one HTML page.",
	.help = "One self-contained page (no scripts, works offline) for any browser: the\n"
		"profiled source files, hottest first; each line with its own samples (it\n"
		"was running) and total samples (it was on the stack), its share of the\n"
		"profile (of the CPU time in cpu mode) and a bar; each file opens with its\n"
		"hottest lines and its functions, linked to their lines.  Sources are read\n"
		"now, from this machine: a file that is not there is listed by name with\n"
		"its lines' counts; only .py files readable by anyone or owned by you are\n"
		"shown (the names come from the target).  The file is written whole or not\n"
		"at all.",
	.opts = heatmap_opts,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_FILE_ARG,
	.handler = do_heatmap,
};

/* SAVE path [--format FMT] [--by function|line] [--threads] */
static int do_save(struct session *s, const struct cmd_args *a)
{
	enum export_format fmt = a->set[OUT_FORMAT] ? export_format_named(a->str[OUT_FORMAT]) : export_format_of_path(a->argv[0]);
	if (fmt == EXPORT_FMT_NONE && a->set[OUT_FORMAT])
		return cmd_error(s, "save: unknown format '%s' (folded, speedscope, chrometrace, svg, pstats, gecko or heatmap)", a->str[OUT_FORMAT]);
	if (fmt == EXPORT_FMT_NONE)
		return cmd_error(s, "save: cannot tell the format of '%s' from its name: use --format folded|speedscope|chrometrace|svg|pstats|gecko|heatmap", a->argv[0]);
	return write_profile(s, "save", a->argv[0], fmt, a);
}

const struct command cmd_save = {
	.name = "save",
	.usage = "save PATH [--format folded|speedscope|chrometrace|svg|pstats|gecko|heatmap] [--by function|line] [--threads]",
	.summary = "Write the last profile to a file, in a format other tools read.",
	.help = "The format comes from the name unless --format says: .txt, .folded:\n"
		"folded stacks ('a;b;c COUNT', for flamegraph.pl, inferno, speedscope;\n"
		"COUNT is µs of CPU for a cpu-mode profile, samples for wall and gil);\n"
		".json: speedscope (speedscope.app); .trace.json: Chrome trace events\n"
		"(chrome://tracing, Perfetto); .svg: the flame graph (any browser);\n"
		".pstats, .prof: Python's pstats (python -m pstats FILE, snakeviz), by\n"
		"function, times in CPU seconds for a cpu-mode profile, else samples times\n"
		"the achieved interval; .gecko.json: the Firefox Profiler\n"
		"(profiler.firefox.com, Load a profile from file), the samples in time\n"
		"order, one track per thread; .html: the source heatmap (see 'help\n"
		"heatmap').  Files are written whole or not at all.",
	.opts = out_opts,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_FILE_ARG,
	.handler = do_save,
};
