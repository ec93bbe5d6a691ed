/*
 * launch.c — start a Python program under pyspy-sh's eye.
 *
 * The child is an ordinary child process: same terminal, same output, nothing
 * injected, but in its own process group, so the Ctrl-C that stops `sample`
 * is not also a KeyboardInterrupt in the program.  It is held at its exec
 * (engine/os/spawn.c: a gate pipe, PTRACE_SEIZE, no signal) and then run in
 * slices of a millisecond or so; between slices, while it stands still,
 * pyspy-sh tries to attach.  The first success is the moment the
 * interpreter state exists, well before site and the program's own code
 * have run.  An executable that can hold no interpreter (no libpython
 * needed or mapped, no Python symbols) is refused unless it execs again
 * within half a second (a wrapper such as env).
 *
 * What happens next depends on the first command.  A command marked
 * CMD_FROM_START (`sample`) starts right away, so a profile covers the
 * program from its first line.  Any other first command (`bt`, an
 * interactive prompt) waits until the program's own code is on the main
 * thread's stack — its script's frames, the file compared after resolving
 * both paths — and then until its main thread rests, each up to a bound,
 * so the first `bt` shows the program, not Python's start-up.
 */
#include "launch.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands/command.h"
#include "commands/session.h"
#include "engine/os/spawn.h"
#include "engine/python/target.h"

#define LAUNCH_WAIT_MS 10000       /* for the interpreter, then for the program's code */
#define LAUNCH_NOTPY_MS 500        /* a non-Python executable's chance to exec again */
#define LAUNCH_SLICE_US 1000       /* how long the held child runs between attach attempts */
#define LAUNCH_SCAN_MS 2000        /* before this, find the interpreter by symbol or section only */
#define FINISH_QUIET_MS 1000       /* a program ending this soon needs no word */

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The script a python command line runs: the first argument that is a file. */
static const char *script_of(char **argv, char *buf)
{
	for (int i = 1; argv[i]; i++) {
		if (argv[i][0] == '-') {
			if (!strcmp(argv[i], "-m") || !strcmp(argv[i], "-c"))
				return NULL;
			continue;
		}
		if (access(argv[i], R_OK) == 0 && realpath(argv[i], buf))
			return buf;
		return NULL;
	}
	return NULL;
}

/* Attach without a word: failing is expected until the interpreter exists.
 * Attached means a thread with a Python frame can be read too: earlier in
 * start-up (3.11) the interpreter can be found before its thread state is
 * final.  The first Python code is importlib's bootstrap, still well before
 * site and the program. */
static bool attach_quietly(struct session *s, pid_t pid, enum locate_method how)
{
	enum locate_method user = s->set.locate;
	FILE *saved = s->err, *quiet = fopen("/dev/null", "w");
	struct snapshot snap;
	struct pyspy_err e = { 0 };
	if (!quiet)
		return false;
	s->err = quiet;
	if (user == LOCATE_ANY)
		s->set.locate = how;
	session_attach(s, (int)pid);
	s->set.locate = user;
	s->err = saved;
	fclose(quiet);
	if (!s->attached)
		return false;
	bool ok = snapshot_take(&s->target, SNAP_FRAMES, &snap, &e) == 0;
	if (ok) {
		ok = snap.nthreads > 0 && snap.threads[0].nframes > 0;
		snapshot_release(&snap);
	}
	if (!ok)
		session_detach(s);
	return ok;
}

static int refuse(struct session *s, struct spawn *sp, const char *what, const char *why)
{
	pid_t pid = sp->pid;
	spawn_kill(sp);
	cmd_error(s, "%s (pid %d) is not a Python program: %s; killed it", what, (int)pid, why);
	return CMD_NOATTACH;
}

/* Run the held child in slices until pyspy-sh is attached to its interpreter. */
static int hold_until_attached(struct session *s, struct spawn *sp, const char *what)
{
	struct pyspy_err e = { 0 };
	char exe[PATH_MAX];
	int python = target_probe(sp->pid, exe, sizeof(exe), &e);
	double start = now_ms(), notpy_since = start;
	char why[sizeof(e.msg)];
	snprintf(why, sizeof(why), "%s", e.msg);
	for (int n = 0;; n++) {
		/* A scan can take a half-built structure for the interpreter in the
		 * middle of start-up: symbol and section first, a scan only late. */
		enum locate_method how = now_ms() - start > LAUNCH_SCAN_MS ? LOCATE_ANY
					 : n % 2 ? LOCATE_SECTION : LOCATE_SYMBOL;
		if (attach_quietly(s, sp->pid, how))
			return CMD_OK;
		double t = now_ms();
		if (python != 1 && t - notpy_since > LAUNCH_NOTPY_MS)
			return refuse(s, sp, what, why[0] ? why : "its executable has no Python interpreter in it");
		if (t - start > LAUNCH_WAIT_MS || pyspy_interrupted)
			return CMD_FAILED;   /* attach once more, loudly, to say why */
		int ev = spawn_step(sp, LAUNCH_SLICE_US, &e);
		if (ev == SPAWN_EXITED)
			return cmd_error(s, "%s exited (status %d) before its interpreter started", what, sp->status),
			       CMD_NOATTACH;
		if (ev < 0)
			return cmd_engine_error(s, ev, e.msg);
		if (ev == SPAWN_EXEC) {
			memset(&e, 0, sizeof(e));
			python = target_probe(sp->pid, exe, sizeof(exe), &e);
			snprintf(why, sizeof(why), "%s", e.msg);
			notpy_since = now_ms();
		}
	}
}

/* Wait until the program's own code is on a stack, then a moment for it to rest. */
static void wait_for_program(struct session *s, pid_t pid, const char *script)
{
	char link[64], cwd[PATH_MAX];
	snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
	ssize_t n = readlink(link, cwd, sizeof(cwd) - 1);
	cwd[n > 0 ? n : 0] = '\0';
	for (double start = now_ms(); now_ms() - start < LAUNCH_WAIT_MS && !pyspy_interrupted; sleep_ms(5)) {
		if (!launch_running(pid))
			return;
		if (session_program_started(s, script, cwd)) {
			session_settle(s);
			return;
		}
	}
}

int launch_and_attach(struct session *s, char **argv, bool from_start, pid_t *child)
{
	char script_buf[PATH_MAX], what[300];
	const char *script = script_of(argv, script_buf);
	struct spawn sp;
	struct pyspy_err e = { 0 };

	*child = 0;
	fflush(NULL);
	int rc = spawn_start(&sp, argv, &e);
	if (rc < 0)
		return cmd_error(s, "%s", e.msg), CMD_NOATTACH;
	*child = s->launched = sp.pid;
	snprintf(what, sizeof(what), "'%s'", argv[0]);
	rc = hold_until_attached(s, &sp, what);
	spawn_release(&sp);
	if (sp.ended || (rc == CMD_NOATTACH && !launch_running(sp.pid))) {
		*child = s->launched = 0;   /* reaped: nothing left to wait for */
		return CMD_NOATTACH;
	}
	if (rc == CMD_NOATTACH)
		return rc;
	if (!s->attached)
		return session_attach(s, (int)sp.pid);   /* once more, to report why */
	if (!from_start)
		wait_for_program(s, sp.pid, script);
	return CMD_OK;
}

bool launch_running(pid_t child)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return false;
	return si.si_pid == 0;
}

static int reap(pid_t child)
{
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Give the terminal's foreground to pgrp, if pyspy-sh's group holds it now
 * (SIGTTOU blocked: a background caller would otherwise be stopped). */
static bool hand_terminal(pid_t pgrp)
{
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp())
		return false;
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTTOU);
	sigprocmask(SIG_BLOCK, &block, &old);
	bool ok = tcsetpgrp(STDIN_FILENO, pgrp) == 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ok;
}

static void take_terminal_back(void)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTTOU);
	sigprocmask(SIG_BLOCK, &block, &old);
	tcsetpgrp(STDIN_FILENO, getpgrp());
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int launch_finish(pid_t child, bool kill_it)
{
	if (kill_it) {
		kill(-child, SIGKILL);
		kill(child, SIGKILL);
		return reap(child);
	}
	for (double start = now_ms(); now_ms() - start < FINISH_QUIET_MS; sleep_ms(10))
		if (!launch_running(child))
			return reap(child);
	bool handed = hand_terminal(child);
	fprintf(stderr, "pyspy-sh: waiting for the launched program (pid %d) to exit%s\n", (int)child,
		handed ? "; it has the terminal now" : "; Ctrl-C interrupts it, a second Ctrl-C kills it");
	fflush(stderr);
	int status, signals = 0;
	pyspy_interrupted = 0;
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR)
			return 1;
		if (pyspy_interrupted) {
			pyspy_interrupted = 0;
			kill(-child, signals++ ? SIGKILL : SIGINT);
		}
	}
	if (handed)
		take_terminal_back();
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
