/*
 * pause.c — seize, interrupt, wait, detach.
 *
 * Each task is seized and interrupted, then waited for with a bounded poll
 * (a task in uninterruptible sleep stops only when it returns to user space,
 * and pyspy-sh must never hang on it).  Two passes over /proc/PID/task catch a
 * thread created while the first pass ran.
 */
#include "pause.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "clock.h"
#include "procfs.h"

#define STOP_WAIT_NS (500L * 1000 * 1000)

static int held(const struct pause *p, pid_t tid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->tids[i] == tid)
			return 1;
	return 0;
}

/* Wait until tid reports its stop.  0 stopped, 1 gone, -1 timed out. */
static int wait_stop(pid_t tid)
{
	uint64_t deadline = clock_now_ns() + STOP_WAIT_NS;
	for (int spins = 0;; spins++) {
		int status;
		pid_t r = waitpid(tid, &status, __WALL | WNOHANG);
		if (r == tid) {
			if (WIFEXITED(status) || WIFSIGNALED(status))
				return 1;
			if (WIFSTOPPED(status)) {
				if ((status >> 16) == PTRACE_EVENT_STOP)
					return 0;
				/* a signal-delivery stop: let the signal through, keep waiting for ours */
				ptrace(PTRACE_CONT, tid, 0, WSTOPSIG(status));
				ptrace(PTRACE_INTERRUPT, tid, 0, 0);
			}
			continue;
		}
		if (r < 0)
			return errno == ECHILD ? 1 : -1;
		if (clock_now_ns() > deadline)
			return -1;
		if (spins > 50) {
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
	}
}

static int hold(struct pause *p, pid_t tid, struct pyspy_err *e)
{
	if (p->n == p->cap) {
		size_t ncap = p->cap ? p->cap * 2 : 16;
		pid_t *nt = realloc(p->tids, ncap * sizeof(pid_t));
		if (!nt)
			return err_set(e, PS_ENOMEM, "out of memory");
		p->tids = nt;
		p->cap = ncap;
	}
	if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0) {
		if (errno == ESRCH)
			return 0;
		if (errno == EPERM)
			return err_set(e, PS_EPERM, "cannot pause pid %d: permission denied (another tracer is attached, or run as root / grant CAP_SYS_PTRACE)", (int)p->pid);
		return err_set(e, PS_EIO, "cannot pause task %d: %s", (int)tid, strerror(errno));
	}
	p->tids[p->n++] = tid;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 && errno != ESRCH)
		return err_set(e, PS_EIO, "cannot interrupt task %d: %s", (int)tid, strerror(errno));
	return 0;
}

int pause_all(struct pause *p, pid_t pid, struct pyspy_err *e)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	for (int pass = 0; pass < 2; pass++) {
		pid_t *tids;
		size_t n, before = p->n;
		int rc = procfs_tasks(pid, &tids, &n, e);
		if (rc < 0) {
			pause_release(p);
			return rc;
		}
		for (size_t i = 0; i < n && rc == 0; i++)
			if (!held(p, tids[i]))
				rc = hold(p, tids[i], e);
		free(tids);
		for (size_t i = before; i < p->n && rc == 0; i++) {
			int w = wait_stop(p->tids[i]);
			if (w < 0)
				rc = err_set(e, PS_EIO, "task %d of pid %d did not stop within %d ms", (int)p->tids[i], (int)pid, (int)(STOP_WAIT_NS / 1000000));
		}
		if (rc < 0) {
			pause_release(p);
			return rc;
		}
		if (p->n == before)
			break;
	}
	if (p->n == 0)
		return err_set(e, PS_EGONE, "pid %d has exited", (int)pid);
	return 0;
}

int pause_task(struct pause *p, pid_t pid, pid_t tid, struct pyspy_err *e)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->one = true;
	int rc = hold(p, tid, e);
	if (rc == 0 && p->n == 0)
		rc = err_set(e, PS_EGONE, "task %d has exited", (int)tid);
	if (rc == 0) {
		int w = wait_stop(tid);
		if (w)
			rc = w > 0 ? err_set(e, PS_EGONE, "task %d has exited", (int)tid)
				   : err_set(e, PS_EIO, "task %d did not stop within %d ms", (int)tid, (int)(STOP_WAIT_NS / 1000000));
	}
	if (rc < 0)
		pause_release(p);
	return rc;
}

static uint64_t released_ns;

uint64_t pause_released_ns(void)
{
	return released_ns;
}

void pause_release(struct pause *p)
{
	for (size_t i = 0; i < p->n; i++)
		ptrace(PTRACE_DETACH, p->tids[i], 0, 0);
	if (p->n && !p->one)
		released_ns = clock_now_ns();
	free(p->tids);
	p->tids = NULL;
	p->n = p->cap = 0;
}
