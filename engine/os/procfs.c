/*
 * procfs.c — parsing /proc/PID/{maps,task,stat,comm,exe}.
 *
 * These files are read once per attach (maps) or once per snapshot (task
 * states), so clarity wins over speed here; the one hot reader,
 * procfs_task_state(), avoids stdio.
 */
#include "procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int add_region(struct maps *m, size_t *cap, const struct map_region *r)
{
	if (m->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct map_region *nv = realloc(m->v, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		m->v = nv;
		*cap = ncap;
	}
	m->v[m->n++] = *r;
	return 0;
}

/*
 * The one message for "not allowed to look at this process": what failed,
 * then how to fix it, naming the owner when it is another user, and the
 * Yama ptrace_scope setting when it is what stands in the way.
 */
int procfs_perm_error(struct pyspy_err *e, pid_t pid, const char *what)
{
	char path[64], hint[160] = "";
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	bool other = stat(path, &st) == 0 && st.st_uid != geteuid();
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	int scope = 0;
	if (f) {
		if (fscanf(f, "%d", &scope) != 1)
			scope = 0;
		fclose(f);
	}
	if (scope > 0 && !other)
		snprintf(hint, sizeof(hint), "; or allow ptrace of your own processes: sysctl kernel.yama.ptrace_scope=0 (it is %d)", scope);
	if (other)
		return err_set(e, PS_EPERM, "permission denied %s: pid %d belongs to uid %u; run pyspy-sh as root (sudo) or as that user, "
			       "or grant it CAP_SYS_PTRACE (setcap cap_sys_ptrace+ep pyspy-sh)%s",
			       what, (int)pid, (unsigned)st.st_uid, hint);
	return err_set(e, PS_EPERM, "permission denied %s: run pyspy-sh as root or grant it CAP_SYS_PTRACE "
		       "(setcap cap_sys_ptrace+ep pyspy-sh)%s", what, hint);
}

int maps_read(pid_t pid, struct maps *m, struct pyspy_err *e)
{
	char path[64], *line = NULL;
	size_t linecap = 0, cap = 0;
	FILE *f;

	m->v = NULL;
	m->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f) {
		if (errno == EACCES || errno == EPERM) {
			char what[96];
			snprintf(what, sizeof(what), "reading '%s'", path);
			return procfs_perm_error(e, pid, what);
		}
		return err_set(e, PS_ENOPROC, "no process with pid %d", (int)pid);
	}
	while (getline(&line, &linecap, f) > 0) {
		struct map_region r = { 0 };
		uint64_t start, end, off;
		char perms[8];
		int pathpos = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n",
			   &start, &end, perms, &off, &pathpos) < 4)
			continue;
		r.start = start;
		r.end = end;
		r.offset = off;
		memcpy(r.perms, perms, 4);
		char *p = pathpos ? line + pathpos : NULL;
		if (p) {
			p[strcspn(p, "\n")] = '\0';
			r.path = *p ? strdup(p) : NULL;
		}
		if (add_region(m, &cap, &r) < 0) {
			free(r.path);
			free(line);
			fclose(f);
			maps_release(m);
			return err_set(e, PS_ENOMEM, "out of memory reading '%s'", path);
		}
	}
	free(line);
	fclose(f);
	if (m->n == 0)
		return err_set(e, PS_EGONE, "pid %d has no memory mappings (it has exited or is a kernel thread)", (int)pid);
	return 0;
}

void maps_release(struct maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

const struct map_region *maps_find(const struct maps *m, raddr_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

bool maps_readable(const struct maps *m, raddr_t addr, size_t len)
{
	raddr_t end = addr + len;
	if (end < addr)
		return false;
	while (addr < end) {
		const struct map_region *r = maps_find(m, addr);
		if (!r || r->perms[0] != 'r')
			return false;
		addr = r->end;
	}
	return true;
}

int procfs_tasks(pid_t pid, pid_t **tids, size_t *n, struct pyspy_err *e)
{
	char path[64];
	size_t cap = 16;
	DIR *d;
	struct dirent *de;

	*n = 0;
	*tids = malloc(cap * sizeof(pid_t));
	if (!*tids)
		return err_set(e, PS_ENOMEM, "out of memory listing tasks");
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d) {
		free(*tids);
		*tids = NULL;
		return err_set(e, PS_EGONE, "cannot list the threads of pid %d: it has exited", (int)pid);
	}
	while ((de = readdir(d))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);
		if (*end || tid <= 0)
			continue;
		if (*n == cap) {
			pid_t *nt = realloc(*tids, cap * 2 * sizeof(pid_t));
			if (!nt)
				break;
			*tids = nt;
			cap *= 2;
		}
		(*tids)[(*n)++] = (pid_t)tid;
	}
	closedir(d);
	return 0;
}

static char stat_state(const char *path)
{
	char buf[512];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	return procfs_stat_state(buf);
}

char procfs_stat_state(const char *stat)
{
	/* the name in parentheses may itself hold ") ": the state follows the last one */
	const char *p = strrchr(stat, ')');
	return (p && p[1] == ' ') ? p[2] : 0;
}

bool procfs_alive(pid_t pid)
{
	char st = procfs_state(pid);
	return st && st != 'Z' && st != 'X';
}

char procfs_task_state(pid_t pid, pid_t tid)
{
	char path[80];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	return stat_state(path);
}

char procfs_state(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	return stat_state(path);
}

int procfs_start_time(pid_t pid, double *epoch)
{
	char path[64], buf[1024], line[256];
	unsigned long long start = 0, btime = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	/* starttime is field 22; the space after ')' comes before field 3 */
	for (int field = 3; p && field <= 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return -1;
	if (!(f = fopen("/proc/stat", "re")))
		return -1;
	while (fgets(line, sizeof(line), f) && sscanf(line, "btime %llu", &btime) != 1)
		;
	fclose(f);
	long hz = sysconf(_SC_CLK_TCK);
	if (!btime || hz <= 0)
		return -1;
	*epoch = (double)btime + (double)start / (double)hz;
	return 0;
}

void procfs_comm(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	buf[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

int procfs_exe(pid_t pid, char *buf, size_t len)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, buf, len - 1);
	if (n < 0) {
		buf[0] = '\0';
		return -errno;
	}
	buf[n] = '\0';
	return 0;
}

uint64_t procfs_image_id(pid_t pid)
{
	char path[64];
	uint8_t buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/auxv", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a */
	for (ssize_t i = 0; i < n; i++)
		h = (h ^ buf[i]) * 0x100000001b3ull;
	return n > 0 ? h : 0;
}

void procfs_path(pid_t pid, const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "/proc/%d/root%s", (int)pid, path);
}

int procfs_check(pid_t pid, struct pyspy_err *e)
{
	char path[64], comm[64];
	if (pid <= 0)
		return err_set(e, PS_EARG, "bad pid %d", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (access(path, F_OK) < 0)
		return err_set(e, PS_ENOPROC, "no process with pid %d", (int)pid);
	char st = procfs_state(pid);
	procfs_comm(pid, comm, sizeof(comm));
	if (st == 'Z' || st == 'X')
		return err_set(e, PS_EGONE, "pid %d (%s) is a zombie: it has exited and waits for its parent to reap it", (int)pid, comm);
	if (st == 0)
		return err_set(e, PS_ENOPROC, "no process with pid %d", (int)pid);
	if (pid == getpid())
		return err_set(e, PS_ENOTPY, "pid %d is pyspy-sh itself", (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if (access(path, R_OK) < 0 && (errno == EACCES || errno == EPERM)) {
		char what[128];
		snprintf(what, sizeof(what), "reading pid %d (%s)", (int)pid, comm);
		return procfs_perm_error(e, pid, what);
	}
	return 0;
}
