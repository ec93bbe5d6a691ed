/*
 * proctree.c — walking a process's descendants through /proc.
 *
 * The children files give each process's direct children; the walk goes
 * depth first from the root with an explicit stack, so a deep chain of
 * shells cannot overflow anything, and stops at PROCTREE_MAX processes.
 * A pid met twice (a child that exited and whose pid was reused between two
 * reads) is kept once.  Without children files, every /proc/N/stat gives its
 * parent and the tree is built from those.
 */
#include "proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pidvec {
	pid_t *v;
	size_t n, cap;
};

static int pv_push(struct pidvec *pv, pid_t pid)
{
	if (pv->n == pv->cap) {
		size_t ncap = pv->cap ? pv->cap * 2 : 16;
		pid_t *nv = realloc(pv->v, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		pv->v = nv;
		pv->cap = ncap;
	}
	pv->v[pv->n++] = pid;
	return 0;
}

static int pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

static size_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (size_t)-1;
	size_t got = 0;
	ssize_t r;
	while (got < len - 1 && (r = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)r;
	close(fd);
	buf[got] = '\0';
	return got;
}

/* The children of pid from its tasks' children files, appended to out.
 * -1: the kernel has no such files (or pid is gone). */
static int children_of(pid_t pid, struct pidvec *out)
{
	char path[64], buf[4096];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *de;
	int found = 0;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, de->d_name);
		if (read_small(path, buf, sizeof(buf)) == (size_t)-1) {
			if (errno == ENOENT && found == 0)
				found = -1;
			continue;
		}
		found = 1;
		for (char *p = buf, *end; *p; p = end) {
			long c = strtol(p, &end, 10);
			if (end == p)
				break;
			if (c > 0 && pv_push(out, (pid_t)c) < 0) {
				closedir(d);
				return -2;
			}
		}
	}
	closedir(d);
	return found < 0 ? -1 : 0;
}

/* Without children files: every process's parent, from /proc/N/stat. */
static int all_parents(struct pidvec *pids, struct pidvec *parents)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	struct dirent *de;
	char path[64], buf[512];
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%.16s/stat", de->d_name);
		if (read_small(path, buf, sizeof(buf)) == (size_t)-1)
			continue;
		char *rp = strrchr(buf, ')');
		int ppid;
		char st;
		if (!rp || sscanf(rp + 1, " %c %d", &st, &ppid) != 2)
			continue;
		if (pv_push(pids, (pid_t)atoi(de->d_name)) < 0 || pv_push(parents, (pid_t)ppid) < 0) {
			closedir(d);
			return -2;
		}
	}
	closedir(d);
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512];
	int ppid;
	char st;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) == (size_t)-1)
		return 0;
	char *rp = strrchr(buf, ')');
	return rp && sscanf(rp + 1, " %c %d", &st, &ppid) == 2 ? (pid_t)ppid : 0;
}

struct walk {
	struct proc_entry *v;
	size_t n, cap;
	bool use_scan;
	struct pidvec pids, parents;   /* use_scan only */
};

static bool seen(const struct walk *w, pid_t pid)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].pid == pid)
			return true;
	return false;
}

static int add_entry(struct walk *w, pid_t pid, pid_t ppid, int depth)
{
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 16;
		struct proc_entry *nv = realloc(w->v, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		w->v = nv;
		w->cap = ncap;
	}
	w->v[w->n++] = (struct proc_entry){ pid, ppid, depth };
	return 0;
}

static int kids(struct walk *w, pid_t pid, struct pidvec *out)
{
	out->n = 0;
	if (!w->use_scan) {
		int rc = children_of(pid, out);
		if (rc == -2)
			return -1;
		if (rc == 0 || w->n > 1)
			goto sort;
		/* the root has no children files: scan */
		w->use_scan = true;
		if (all_parents(&w->pids, &w->parents) < 0)
			return -1;
	}
	for (size_t i = 0; i < w->pids.n; i++)
		if (w->parents.v[i] == pid && pv_push(out, w->pids.v[i]) < 0)
			return -1;
sort:
	if (out->n)
		qsort(out->v, out->n, sizeof(pid_t), pid_cmp);
	return 0;
}

int proctree_list(pid_t root, struct proc_entry **out, size_t *n, struct pyspy_err *e)
{
	struct walk w = { 0 };
	struct pidvec stack = { 0 }, depth = { 0 }, ch = { 0 };
	char path[64];
	int rc = 0;
	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "/proc/%d", (int)root);
	if (access(path, F_OK) < 0)
		return err_set(e, PS_ENOPROC, "no process with pid %d", (int)root);
	if (add_entry(&w, root, parent_of(root), 0) < 0 || pv_push(&stack, root) < 0 || pv_push(&depth, 0) < 0)
		goto oom;
	while (stack.n && w.n < PROCTREE_MAX) {
		pid_t pid = stack.v[--stack.n];
		int d = depth.v[--depth.n];
		if (pid != root) {
			if (seen(&w, pid))
				continue;
			/* the parent is the entry this pid was pushed under: the last one of depth d-1 */
			pid_t ppid = 0;
			for (size_t i = w.n; i-- > 0;)
				if (w.v[i].depth == d - 1) {
					ppid = w.v[i].pid;
					break;
				}
			if (add_entry(&w, pid, ppid, d) < 0)
				goto oom;
		}
		if (kids(&w, pid, &ch) < 0)
			goto oom;
		/* pushed in reverse so that the smallest pid is walked first */
		for (size_t i = ch.n; i-- > 0;)
			if (pv_push(&stack, ch.v[i]) < 0 || pv_push(&depth, d + 1) < 0)
				goto oom;
	}
	goto done;
oom:
	rc = err_set(e, PS_ENOMEM, "out of memory listing the processes under pid %d", (int)root);
	free(w.v);
	w.v = NULL;
	w.n = 0;
done:
	free(stack.v);
	free(depth.v);
	free(ch.v);
	free(w.pids.v);
	free(w.parents.v);
	*out = w.v;
	*n = w.n;
	return rc;
}

void proctree_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	size_t got = read_small(path, buf, len);
	if (got == (size_t)-1 || got == 0) {
		buf[0] = '\0';
		return;
	}
	for (size_t i = 0; i + 1 < got; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	while (got > 0 && buf[got - 1] == '\0')
		got--;
	buf[got] = '\0';
}
