/*
 * taskstat.c — per-task scheduler figures through cached descriptors.
 *
 * The table is open addressing keyed by tid with linear probing; removing
 * happens only in taskstat_sweep(), which rebuilds the table from the
 * entries that stay, so no tombstones are needed.  Descriptors are opened on
 * first use of each file, so a mode that never asks for the state letter
 * never opens stat.  PYSPY_NO_SCHEDSTAT=1 in the environment makes the
 * kernel look as if it had no schedstats (for tests of the fallback).
 */
#include "taskstat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

static size_t slot_of(pid_t tid, size_t cap)
{
	uint64_t x = (uint64_t)(uint32_t)tid * 0x9e3779b97f4a7c15ull;
	return (size_t)(x >> 17) & (cap - 1);
}

void taskstat_init(struct taskstat *ts, pid_t pid)
{
	memset(ts, 0, sizeof(*ts));
	ts->pid = pid;
	ts->schedstat = -1;
}

static void entry_close(struct taskstat_entry *en)
{
	if (en->stat_fd >= 0)
		close(en->stat_fd);
	if (en->sched_fd >= 0)
		close(en->sched_fd);
	en->stat_fd = en->sched_fd = -1;
}

void taskstat_release(struct taskstat *ts)
{
	for (size_t i = 0; i < ts->cap; i++)
		if (ts->v[i].tid)
			entry_close(&ts->v[i]);
	free(ts->v);
	ts->v = NULL;
	ts->n = ts->cap = 0;
}

static void place(struct taskstat_entry *v, size_t cap, const struct taskstat_entry *en)
{
	size_t j = slot_of(en->tid, cap);
	while (v[j].tid)
		j = (j + 1) & (cap - 1);
	v[j] = *en;
}

/* Rebuild into a table of ncap slots, keeping the entries keep() accepts. */
static int rebuild(struct taskstat *ts, size_t ncap, uint64_t keep_since)
{
	struct taskstat_entry *nv = calloc(ncap, sizeof(*nv));
	if (!nv)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < ts->cap; i++) {
		struct taskstat_entry *en = &ts->v[i];
		if (!en->tid)
			continue;
		if (en->used < keep_since) {
			entry_close(en);
			continue;
		}
		place(nv, ncap, en);
		n++;
	}
	free(ts->v);
	ts->v = nv;
	ts->cap = ncap;
	ts->n = n;
	return 0;
}

struct taskstat_entry *taskstat_get(struct taskstat *ts, pid_t tid)
{
	if (tid <= 0)
		return NULL;
	if (ts->cap) {
		for (size_t j = slot_of(tid, ts->cap);; j = (j + 1) & (ts->cap - 1)) {
			if (ts->v[j].tid == tid) {
				ts->v[j].used = ts->round;
				return &ts->v[j];
			}
			if (!ts->v[j].tid)
				break;
		}
	}
	if ((ts->n + 1) * 2 > ts->cap && rebuild(ts, ts->cap ? ts->cap * 2 : 64, 0) < 0)
		return NULL;
	struct taskstat_entry en = { .tid = tid, .stat_fd = -1, .sched_fd = -1,
				     .used = ts->round };
	place(ts->v, ts->cap, &en);
	ts->n++;
	return taskstat_get(ts, tid);
}

void taskstat_sweep(struct taskstat *ts, uint64_t keep)
{
	uint64_t since = ts->round >= keep ? ts->round - keep + 1 : 0;
	bool stale = false;
	for (size_t i = 0; i < ts->cap && !stale; i++)
		stale = ts->v[i].tid && ts->v[i].used < since;
	if (stale)
		rebuild(ts, ts->cap, since);
	ts->round++;
}

static int open_task_file(pid_t pid, pid_t tid, const char *name)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* One pread of the file behind *fd, reopened once when the descriptor went
 * stale (its task ended; the tid may now be another task's). */
static ssize_t read_task_file(struct taskstat *ts, pid_t tid, int *fd, const char *name, char *buf,
			      size_t len, bool *reopened)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		if (*fd < 0) {
			if ((*fd = open_task_file(ts->pid, tid, name)) < 0)
				return -1;
			*reopened = true;
		}
		ssize_t n = pread(*fd, buf, len - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			return n;
		}
		close(*fd);
		*fd = -1;
	}
	return -1;
}

char taskstat_state(struct taskstat *ts, struct taskstat_entry *en, uint64_t now_ns)
{
	char buf[512];
	bool reopened = false;
	en->state = 0;
	if (read_task_file(ts, en->tid, &en->stat_fd, "stat", buf, sizeof(buf), &reopened) > 0)
		en->state = procfs_stat_state(buf);
	en->state_ns = now_ns;
	return en->state;
}

bool taskstat_has_cpu(struct taskstat *ts)
{
	if (ts->schedstat < 0) {
		const char *no = getenv("PYSPY_NO_SCHEDSTAT");
		int fd = open_task_file(ts->pid, ts->pid, "schedstat");
		ts->schedstat = fd >= 0 && !(no && *no && strcmp(no, "0"));
		if (fd >= 0)
			close(fd);
	}
	return ts->schedstat == 1;
}

int taskstat_cpu(struct taskstat *ts, struct taskstat_entry *en, uint64_t now_ns)
{
	char buf[128];
	bool reopened = false;
	if (!taskstat_has_cpu(ts))
		return -2;
	if (read_task_file(ts, en->tid, &en->sched_fd, "schedstat", buf, sizeof(buf), &reopened) < 0)
		return -1;
	if (reopened)
		en->have_base = false;   /* first read, or another task now: no baseline of ours */
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (end == buf || errno)
		return -1;
	en->cpu_ns = v;
	en->cpu_at = now_ns;
	return 0;
}
