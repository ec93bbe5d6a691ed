/*
 * sample.c — `sample DURATION`: profile the target by sampling its stacks.
 *
 * The sampler (engine/sampler.c) hands each thread's stack to profile_add();
 * the profile stays in the session for `top`, `flamegraph` and `save`.  On a
 * terminal a progress line on standard error is refreshed a few times a
 * second; Ctrl-C stops early and keeps every sample taken.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "engine/profile/sampler.h"
#include "command.h"
#include "sample.h"
#include "session.h"

enum { OPT_RATE, OPT_MODE, OPT_IDLE, OPT_GIL, OPT_THREADS, OPT_NONBLOCKING, OPT_BLOCKING, OPT_NATIVE, OPT_NATIVE_ALL,
       OPT_ASYNC, OPT_SUBPROCESSES };

static const struct cmd_opt sample_opts[] = {
	[OPT_RATE] = { "rate", 'r', OPT_STRING, "HZ", "samples per second (default 100; up to what the machine allows)" },
	[OPT_MODE] = { "mode", 'm', OPT_STRING, "cpu|wall|gil|exception", "what a sample weighs: CPU time (default), wall time, GIL time; or only threads in an exception" },
	[OPT_IDLE] = { "idle", 'i', OPT_BOOL, NULL, "the same as --mode wall" },
	[OPT_GIL] = { "gil", 'g', OPT_BOOL, NULL, "the same as --mode gil" },
	[OPT_THREADS] = { "threads", 't', OPT_BOOL, NULL, "keep threads apart: a root frame per thread in exports" },
	[OPT_NONBLOCKING] = { "nonblocking", 0, OPT_BOOL, NULL, "never pause the target, not even one thread for a torn stack" },
	[OPT_BLOCKING] = { "blocking", 0, OPT_BOOL, NULL, "pause the target for each sample" },
	[OPT_NATIVE] = { "native", 'n', OPT_BOOL, NULL, "sample C frames too, merged with the Python frames (implies --blocking)" },
	[OPT_NATIVE_ALL] = { "native-all", 0, OPT_BOOL, NULL, "like --native, keeping the interpreter's own call frames" },
	[OPT_ASYNC] = { "async", 'a', OPT_BOOL, NULL, "profile by asyncio task: stacks rooted at the outermost awaiting task" },
	[OPT_SUBPROCESSES] = { "subprocesses", 's', OPT_BOOL, NULL, "the target and every Python process under it, each stack rooted at its process" },
	{ 0 },
};

int parse_duration(const char *s, double *seconds)
{
	char *end;
	if (!strcmp(s, "unlimited") || !strcmp(s, "forever")) {
		*seconds = 0;
		return 0;
	}
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !(v > 0) || !isfinite(v))
		return -1;
	if (!strcmp(end, "ms"))
		v /= 1000;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		v *= 60;
	else if (!strcmp(end, "h"))
		v *= 3600;
	else if (*end && strcmp(end, "s"))
		return -1;
	if (v > 30 * 86400.0)
		return -2;
	*seconds = v;
	return 0;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

struct sample_ctx {
	struct session *s;
	struct profile *p;
	double duration;
	int (*tick)(void *arg, const struct sampler_stats *st);
	void *tick_arg;
};

static void progress(void *arg, const struct sampler_stats *st)
{
	struct sample_ctx *c = arg;
	if (c->tick) {
		c->tick(c->tick_arg, st);
		return;
	}
	if (!c->s->interactive)
		return;
	char total[32] = "";
	if (c->duration > 0)
		snprintf(total, sizeof(total), " / %.1fs", c->duration);
	fprintf(c->s->err, "\rsampling pid %d: %.1fs%s, %llu samples, %llu errors, %llu torn  (Ctrl-C stops)  ",
		(int)c->s->target.pid, st->elapsed_s, total, (unsigned long long)st->samples,
		(unsigned long long)st->errors, (unsigned long long)st->torn);
	fflush(c->s->err);
}

int sample_into(struct session *s, const struct sample_request *rq, struct profile *p, struct sampler_stats *st)
{
	struct sampler_opts so = { .rate = rq->rate, .duration = rq->duration, .mode = (enum sampler_mode)rq->mode,
				   .blocking = rq->blocking || rq->native, .never_hold = rq->never_hold, .native = rq->native,
				   .native_all = rq->native_all, .by_task = rq->by_task, .subprocesses = rq->subprocesses,
				   .progress = progress };
	struct sample_ctx ctx = { s, p, rq->duration, rq->tick, rq->tick_arg };
	struct pyspy_err e = { 0 };

	so.ctx = &ctx;
	int rc = profile_sample(&s->target, &so, p, st, &e);
	if (s->interactive && !rq->tick)
		fputs("\r\033[K", s->err);
	if (rc < 0)
		return cmd_engine_error(s, rc, e.msg);
	return CMD_OK;
}

int sample_parse_rate(struct session *s, const char *cmd, const char *text, double *rate)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || *end || errno || !(v >= 1) || v > 10000000)
		return cmd_error(s, "%s: rate '%s' must be a number of samples per second from 1 to 10000000", cmd, text);
	*rate = v;
	return CMD_OK;
}

int sample_parse_mode(struct session *s, const char *cmd, const char *text, int *mode)
{
	if (!strcmp(text, "cpu"))
		*mode = SAMPLER_CPU;
	else if (!strcmp(text, "wall"))
		*mode = SAMPLER_WALL;
	else if (!strcmp(text, "gil"))
		*mode = SAMPLER_GIL;
	else if (!strcmp(text, "exception"))
		*mode = SAMPLER_EXCEPTION;
	else
		return cmd_error(s, "%s: --mode takes 'cpu', 'wall', 'gil' or 'exception', not '%s'", cmd, text);
	return CMD_OK;
}

/* The end of the summary line: the mode and what the weights count. */
static void print_mode(struct session *s, const struct sample_request *rq, const struct sampler_stats *st)
{
	static const char *const names[] = { [SAMPLER_CPU] = "cpu", [SAMPLER_WALL] = "wall", [SAMPLER_GIL] = "gil",
					     [SAMPLER_EXCEPTION] = "exception" };
	fprintf(s->out, "; mode %s", names[rq->mode]);
	if (st->cpu_weights)
		fprintf(s->out, " (weights: \xc2\xb5s of CPU, %llu in all)", (unsigned long long)st->weight);
	else if (st->no_schedstat)
		fputs(" (weights: samples of threads the kernel shows running: no schedstat)", s->out);
	else
		fputs(" (weights: samples)", s->out);
}

/* SAMPLE duration [--rate HZ] [--mode cpu|wall|gil|exception] [--threads] [--blocking|--nonblocking] */
static int do_sample(struct session *s, const struct cmd_args *a)
{
	struct sample_request rq = { .rate = 100 };
	struct sampler_stats st;
	int d = parse_duration(a->argv[0], &rq.duration);
	if (d == -2)
		return cmd_error(s, "sample: '%s' is longer than 30 days (use 'unlimited' and Ctrl-C)", a->argv[0]);
	if (d < 0)
		return cmd_error(s, "sample: '%s' is not a duration (like 500ms, 10s, 2m or unlimited)", a->argv[0]);
	if (a->set[OPT_RATE] && sample_parse_rate(s, "sample", a->str[OPT_RATE], &rq.rate) != CMD_OK)
		return CMD_FAILED;
	if (a->set[OPT_BLOCKING] && a->set[OPT_NONBLOCKING])
		return cmd_error(s, "sample: --blocking and --nonblocking contradict each other");
	if (a->set[OPT_MODE] && (a->set[OPT_IDLE] || a->set[OPT_GIL]))
		return cmd_error(s, "sample: --idle and --gil are other names for --mode wall and --mode gil: give one");
	if (a->set[OPT_MODE] && sample_parse_mode(s, "sample", a->str[OPT_MODE], &rq.mode) != CMD_OK)
		return CMD_FAILED;
	if (a->set[OPT_IDLE])
		rq.mode = SAMPLER_WALL;
	if (a->set[OPT_GIL])
		rq.mode = SAMPLER_GIL;   /* --gil --idle: the holder whatever its state, as before */
	rq.blocking = a->set[OPT_BLOCKING];
	rq.never_hold = a->set[OPT_NONBLOCKING];
	rq.native = a->set[OPT_NATIVE] || a->set[OPT_NATIVE_ALL];
	rq.native_all = a->set[OPT_NATIVE_ALL];
	rq.by_task = a->set[OPT_ASYNC];
	rq.subprocesses = a->set[OPT_SUBPROCESSES] || s->subprocesses;
	if (rq.subprocesses && rq.by_task)
		return cmd_error(s, "sample: --async and --subprocesses cannot be combined");
	if (rq.native && a->set[OPT_NONBLOCKING])
		return cmd_error(s, "sample: --native pauses the target at every tick: it cannot be --nonblocking");
	if (s->held && rq.mode == SAMPLER_CPU)
		return cmd_error(s, "sample: pid %d is stopped (by 'stop'): its threads use no CPU, so a cpu-mode "
				 "profile would be empty; 'continue' first, or 'sample ... --mode wall' for where it is held",
				 (int)s->target.pid);
	struct profile *p = profile_new();
	if (!p)
		return cmd_error(s, "sample: out of memory");
	double cpu0 = cpu_seconds();
	int rc = sample_into(s, &rq, p, &st);
	double cpu = cpu_seconds() - cpu0;
	if (s->profile)
		profile_free(s->profile);
	s->profile = p;
	s->profile_threads = a->set[OPT_THREADS];
	fprintf(s->out, "sampled pid %d", (int)s->target.pid);
	if (rq.subprocesses)
		fprintf(s->out, " and %zu subprocesses", profile_meta(p)->processes ? profile_meta(p)->processes - 1 : 0);
	fprintf(s->out, " for %.2fs at %g Hz: %llu ticks (%.0f/s), %llu samples, %llu errors, %llu torn, %llu late",
		st.elapsed_s, rq.rate, (unsigned long long)st.ticks,
		st.elapsed_s > 0 ? (double)st.ticks / st.elapsed_s : 0.0, (unsigned long long)st.samples,
		(unsigned long long)st.errors, (unsigned long long)st.torn, (unsigned long long)st.late);
	print_mode(s, &rq, &st);
	if (st.ticks)
		fprintf(s->out, "; %.1f us CPU and %.1f reads per tick", cpu * 1e6 / (double)st.ticks,
			(double)st.reads / (double)st.ticks);
	fputc('\n', s->out);
	if (st.no_schedstat)
		fputs("(this kernel has no /proc/PID/task/TID/schedstat: cpu mode counts one sample per thread the\n"
		      " kernel shows running, which includes threads waiting for a CPU)\n", s->out);
	if (st.retried) {
		uint64_t read = st.samples + st.torn;
		fprintf(s->out, "(%llu walks came back torn and were read again", (unsigned long long)st.retried);
		if (st.held)
			fprintf(s->out, ", %llu of them at last with their thread held (%.0f us each)",
				(unsigned long long)st.held, (double)st.held_ns / 1000.0 / (double)st.held);
		fprintf(s->out, "; %llu stacks still torn: %.1f%% of those read)\n", (unsigned long long)st.torn,
			read ? 100.0 * (double)st.torn / (double)read : 0.0);
	}
	if (st.unchanged)
		fprintf(s->out, "(%llu stacks were kept from an earlier tick without a read: their thread had not run since)\n",
			(unsigned long long)st.unchanged);
	if (st.quiet)
		fprintf(s->out, "(%llu ticks read only the thread state of the thread that held the GIL since the tick before)\n",
			(unsigned long long)st.quiet);
	if (st.errors && st.error_msg[0])
		fprintf(s->out, "(last error: %s)\n", st.error_msg);
	if (rq.native && st.native_failed)
		fprintf(s->out, "(%llu samples kept only their Python frames: the native stack could not be unwound or merged)\n",
			(unsigned long long)st.native_failed);
	if (s->held)
		fprintf(s->out, "(pid %d was stopped (by 'stop') throughout: every tick saw the same moment)\n",
			(int)s->target.pid);
	if (!strcmp(st.stop_msg, "interrupted"))
		fputs("(interrupted; the samples taken are kept)\n", s->out);
	else if (st.stop_msg[0])
		fprintf(s->out, "(stopped early: %s; the samples taken are kept)\n", st.stop_msg);
	return rc;
}

const struct command cmd_sample = {
	.name = "sample",
	.usage = "sample DURATION [--rate HZ] [--mode cpu|wall|gil|exception] [--threads] [--blocking] [--native|--native-all] [--async] [--subprocesses]",
	.summary = "Profile the target: sample its Python stacks for DURATION (500ms, 10s, 2m, unlimited).",
	.help = "Each tick reads the threads' stacks.  --mode says what a sample weighs:\n"
		"  cpu  (default) each thread's stack weighs the CPU time the thread used\n"
		"       since the previous tick, from the scheduler's own accounting\n"
		"       (/proc/PID/task/TID/schedstat); a thread that used none is left out.\n"
		"       top shows CPU seconds; folded files count µs of CPU, speedscope\n"
		"       says \"microseconds\", the flame graph ms or s of CPU.  On a kernel\n"
		"       without schedstats: one sample per thread the kernel shows running\n"
		"       (which counts threads waiting for a CPU too; the summary says so).\n"
		"  wall (--idle) every thread every tick, one sample each.\n"
		"  gil  (--gil) only the thread holding the GIL, one sample.\n"
		"  exception  only the threads raising an exception or handling one (in an\n"
		"       except block: what sys.exc_info() gives), one sample each.\n"
		"The summary line ends with the mode and the unit.  The rate is jittered a\n"
		"little so it does not lock onto periodic work.  Sampling is nonblocking by\n"
		"default: pausing the target at every tick (--blocking) slows it down and\n"
		"caps the rate; in cpu mode the CPU that pausing makes waiting threads spend\n"
		"is not counted.  Without it, a stack read as\n"
		"it changes is detected and read again, fresh, up to 6 times in the tick;\n"
		"one still inconsistent is read once more with its one thread held still\n"
		"(a fraction of a millisecond, no signal, nothing written; the summary\n"
		"counts them), and is dropped and counted as 'torn' only if that fails too (the\n"
		"summary and 'info' give the share lost).  --nonblocking never holds a\n"
		"thread: a stack still torn after the re-reads is dropped.  Ctrl-C stops early and\n"
		"keeps the samples; so does the target exiting.  The profile stays for\n"
		"'top', 'flamegraph' and 'save' until the next 'sample'.\n"
		"--native adds each thread's C frames (C extensions, the libc call it waits\n"
		"in, GIL waits) between its Python frames, as 'bt --native' shows them; a\n"
		"C frame is labelled 'SYMBOL (LIBRARY)' in top and the exports (a function\n"
		"without a symbol 'LIBRARY+0xOFFSET (LIBRARY)', where it starts).  It has to\n"
		"pause the target at every tick to read its registers, so it implies\n"
		"--blocking and costs the target more than Python-only sampling.\n"
		"--async (Python 3.8+) profiles by asyncio task: a thread running a task\n"
		"keeps the task's coroutine frames, then, instead of the event loop's own\n"
		"frames, the coroutine chains of the tasks awaiting it, outwards, under a\n"
		"root frame '<task NAME>' for the outermost one.  With --idle a thread whose\n"
		"loop is idle keeps its own stack (the selector's wait).\n"
		"--subprocesses (or pyspy-sh --subprocesses) samples the target and every\n"
		"Python process under it (see 'ps') at the same rate, each with its own\n"
		"layout; a shell or other program in between is walked through, not\n"
		"sampled.  Children that start while sampling are picked up within a tick\n"
		"(at most 10 ms); those that exit keep their samples.  Every stack is rooted\n"
		"at a frame 'process PID (COMMAND)' in the exports (threads under it with\n"
		"--threads); top adds a process column.",
	.opts = sample_opts,
	.min_args = 1,
	.max_args = 1,
	.flags = CMD_NEEDS_TARGET | CMD_FROM_START | CMD_LIVE,
	.handler = do_sample,
};
