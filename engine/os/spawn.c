/*
 * spawn.c — a child held at its exec, then run in slices (see spawn.h).
 *
 * Why a gate pipe and PTRACE_SEIZE rather than PTRACE_TRACEME or SIGSTOP:
 * the child stays an ordinary process (no ptrace request of its own, no stop
 * signal it could observe or a dying pyspy-sh could leave it in), and the
 * parent is the one that seizes, so it can let go at any moment.  A second
 * pipe, close-on-exec, carries the exec's errno back when exec fails.
 */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void exit_status(struct spawn *sp, int status)
{
	sp->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	sp->ended = true;
	sp->traced = false;
}

static void child(char *const argv[], int gate, int report)
{
	char c;
	setpgid(0, 0);
	while (read(gate, &c, 1) < 0 && errno == EINTR)
		;
	close(gate);
	execvp(argv[0], argv);
	int err = errno;
	while (write(report, &err, sizeof(err)) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* Wait for the next stop or the end; returns a spawn_event or -1 (a signal
 * stop: passed on, try again). */
static int next_event(struct spawn *sp, struct pyspy_err *e)
{
	int status;
	for (;;) {
		pid_t r = waitpid(sp->pid, &status, __WALL);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_set(e, PS_EGONE, "cannot wait for pid %d: %s", (int)sp->pid, strerror(errno));
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			exit_status(sp, status);
			return SPAWN_EXITED;
		}
		if (!WIFSTOPPED(status))
			continue;
		int event = status >> 16;
		if (event == PTRACE_EVENT_EXEC)
			return SPAWN_EXEC;
		if (event == PTRACE_EVENT_STOP)
			return SPAWN_HELD;
		/* a signal on its way to the child: hand it over and keep waiting */
		ptrace(PTRACE_CONT, sp->pid, NULL, (void *)(long)WSTOPSIG(status));
	}
}

int spawn_start(struct spawn *sp, char *const argv[], struct pyspy_err *e)
{
	int gate[2], report[2];
	memset(sp, 0, sizeof(*sp));
	if (pipe2(gate, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0)
		return err_set(e, PS_EIO, "cannot start '%s': %s", argv[0], strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(gate[0]), close(gate[1]), close(report[0]), close(report[1]);
		return err_set(e, PS_EIO, "cannot start '%s': %s", argv[0], strerror(err));
	}
	if (pid == 0) {
		close(gate[1]);
		close(report[0]);
		child(argv, gate[0], report[1]);
	}
	close(gate[0]);
	close(report[1]);
	setpgid(pid, pid);   /* the child does it too: whoever runs first */
	sp->pid = pid;
	sp->traced = ptrace(PTRACE_SEIZE, pid, NULL, (void *)(long)PTRACE_O_TRACEEXEC) == 0;
	close(gate[1]);      /* the gate opens: the child execs */
	int err = 0, rc = SPAWN_EXEC;
	if (sp->traced) {
		while ((rc = next_event(sp, e)) == SPAWN_HELD)
			ptrace(PTRACE_CONT, pid, NULL, NULL);   /* a stray interrupt stop before exec */
	}
	ssize_t n;
	while ((n = read(report[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (n == (ssize_t)sizeof(err)) {
		if (!sp->ended)
			waitpid(pid, NULL, __WALL);
		sp->pid = 0;
		sp->traced = false;
		return err_set(e, PS_ENOPROC, "cannot run '%s': %s", argv[0], strerror(err));
	}
	return rc < 0 ? rc : 0;
}

int spawn_step(struct spawn *sp, long us, struct pyspy_err *e)
{
	if (sp->ended)
		return SPAWN_EXITED;
	if (!sp->traced) {
		struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
		nanosleep(&ts, NULL);
		return SPAWN_HELD;
	}
	int sig = sp->pending_sig;
	sp->pending_sig = 0;
	if (ptrace(PTRACE_CONT, sp->pid, NULL, (void *)(long)sig) < 0)
		return err_set(e, PS_EGONE, "pid %d cannot be resumed: %s", (int)sp->pid, strerror(errno));
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
	ptrace(PTRACE_INTERRUPT, sp->pid, NULL, NULL);
	return next_event(sp, e);
}

void spawn_release(struct spawn *sp)
{
	if (sp->traced && !sp->ended)
		ptrace(PTRACE_DETACH, sp->pid, NULL, (void *)(long)sp->pending_sig);
	sp->traced = false;
	sp->pending_sig = 0;
}

void spawn_kill(struct spawn *sp)
{
	int status;
	if (!sp->pid || sp->ended)
		return;
	kill(-sp->pid, SIGKILL);
	kill(sp->pid, SIGKILL);
	while (waitpid(sp->pid, &status, __WALL) < 0 && errno == EINTR)
		;
	exit_status(sp, status);
}
