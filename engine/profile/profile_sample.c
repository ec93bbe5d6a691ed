/*
 * profile_sample.c — sampling straight into a profile.
 *
 * The sampler (sampler.c) knows nothing of profiles, and the profile store
 * knows nothing of timing: this file is where the two meet.  It fills the
 * profile's metadata (pid, command line, Python version, wall-clock start,
 * and the run's duration and counters), counts every sample, and then hands
 * the sample on to the caller's own emit, if any — the shell's `sample` has
 * none, Lua's on_sample does.  Both `sample` and `pyspy.sample()` come here,
 * so the two can never disagree about what a profile holds.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <stdlib.h>

#include "aio_root.h"
#include "proc_group.h"
#include "profile.h"
#include "sampler.h"

struct chain {
	struct profile *p;
	const struct sampler_opts *user;
	struct aio_root *by_task;  /* --async, or NULL */
	struct proc_group *procs;  /* --subprocesses, or NULL */
	struct py_frame *rooted;   /* procs: a stack with its process frame added */
	size_t rooted_cap;
};

/* frames[0..n), innermost first, then the frame naming smp's process. */
static int add_process_root(struct chain *c, const struct sample *smp, const struct py_frame **frames, size_t *n)
{
	const struct py_frame *root = proc_group_frame(c->procs, smp->target);
	if (!root)
		return 0;
	if (*n + 1 > c->rooted_cap) {
		size_t ncap = (*n + 1) * 2;
		struct py_frame *nb = realloc(c->rooted, ncap * sizeof(*nb));
		if (!nb)
			return -1;
		c->rooted = nb;
		c->rooted_cap = ncap;
	}
	memcpy(c->rooted, *frames, *n * sizeof(**frames));
	c->rooted[*n] = *root;
	*frames = c->rooted;
	(*n)++;
	return 0;
}

static int count_then_emit(void *arg, const struct sample *smp)
{
	struct chain *c = arg;
	const struct py_thread *th = smp->thread;
	const struct py_frame *frames = th->frames;
	size_t n = th->nframes;
	if (c->by_task)
		aio_root_frames(c->by_task, th, smp->timestamp_us, &frames, &n);
	if (c->procs && add_process_root(c, smp, &frames, &n) < 0)
		return 1;
	if (profile_add(c->p, th->thread_id, th->os_tid, th->name, frames, n, smp->weight, smp->timestamp_us) < 0)
		return 1;
	return c->user->emit ? c->user->emit(c->user->ctx, smp) : 0;
}

static void pass_progress(void *arg, const struct sampler_stats *st)
{
	struct chain *c = arg;
	if (c->user->progress)
		c->user->progress(c->user->ctx, st);
}

/* The target's command line, NULs turned to spaces ("" when unreadable). */
static void read_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	buf[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return;
	for (ssize_t i = 0; i < n - 1; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
}

int profile_sample(struct target *t, const struct sampler_opts *o, struct profile *p,
		   struct sampler_stats *st, struct pyspy_err *e)
{
	struct chain c = { p, o, NULL, NULL, NULL, 0 };
	struct sampler_opts so = *o;
	struct profile_meta *m = profile_meta(p);
	struct timeval tv;
	char cmd[1024];

	so.emit = count_then_emit;
	so.progress = pass_progress;
	so.ctx = &c;
	m->pid = t->pid;
	m->rate_hz = o->rate;
	gettimeofday(&tv, NULL);
	m->start_us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	read_cmdline(t->pid, cmd, sizeof(cmd));
	profile_set_command(p, cmd);
	profile_set_python(p, t->version_str);
	static const char *const modes[] = { [SAMPLER_CPU] = "cpu", [SAMPLER_WALL] = "wall", [SAMPLER_GIL] = "gil",
					     [SAMPLER_EXCEPTION] = "exception" };
	snprintf(m->mode, sizeof(m->mode), "%s", modes[o->mode]);
	if (o->by_task && !(c.by_task = aio_root_new(t, e)))
		return -e->code;
	int rc;
	if (o->subprocesses) {
		struct sampler_group g = { 0 };
		/* new children are looked for every tick, at most every 1 ms (a
		 * look at a four-process tree costs about 75 us: at 1 kHz the CPU
		 * per process-sample went from 0.8x to 1.1x one process's) */
		uint64_t scan = (uint64_t)(1e9 / o->rate);
		if (!(c.procs = proc_group_new(t, scan > 1000000ull ? scan : 1000000ull)))
			return err_set(e, PS_ENOMEM, "out of memory");
		proc_group_scan(c.procs);
		proc_group_bind(c.procs, &g);
		rc = sampler_run_group(&g, &so, st, e);
		m->processes = proc_group_count(c.procs);
		proc_group_free(c.procs);
		free(c.rooted);
	} else {
		rc = sampler_run(t, &so, st, e);
	}
	aio_root_free(c.by_task);
	m->unit = st->cpu_weights ? PROF_UNIT_CPU_US : PROF_UNIT_SAMPLES;
	m->no_schedstat = st->no_schedstat;
	m->duration_us += (uint64_t)(st->elapsed_s * 1e6);
	m->ticks += st->ticks;
	m->errors += st->errors;
	m->torn += st->torn;
	m->retried += st->retried;
	m->held += st->held;
	return rc;
}
