/*
 * launch.c — start a Python program under pyspy-sh's eye.
 *
 * The child is an ordinary child process: same terminal, same output, nothing
 * injected.  pyspy-sh attaches once the interpreter exists, then waits until
 * the program's own code is on the main thread's stack (its script's
 * <module> frame, or any frame outside the interpreter's start-up when the
 * script cannot be told) and then until its main thread rests (sleeps), each
 * up to a bound — so the first `bt` shows the program, not Python's start-up.
 */
#include "launch.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands/command.h"
#include "commands/session.h"

#define LAUNCH_WAIT_MS 10000

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The script a python command line runs: the first argument that is a file. */
static const char *script_of(char **argv, char *buf, size_t len)
{
	for (int i = 1; argv[i]; i++) {
		if (argv[i][0] == '-') {
			if (!strcmp(argv[i], "-m") || !strcmp(argv[i], "-c"))
				return NULL;
			continue;
		}
		if (access(argv[i], R_OK) == 0 && realpath(argv[i], buf))
			return buf;
		(void)len;
		return NULL;
	}
	return NULL;
}

int launch_and_attach(struct session *s, char **argv, pid_t *child)
{
	char script_buf[PATH_MAX];
	const char *script = script_of(argv, script_buf, sizeof(script_buf));
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		*child = 0;
		return cmd_error(s, "cannot start '%s': %s", argv[0], strerror(errno));
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "pyspy-sh: cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	*child = pid;
	FILE *saved = s->err;
	FILE *quiet = fopen("/dev/null", "w");
	int rc = CMD_NOATTACH;
	for (long waited = 0; waited < LAUNCH_WAIT_MS; waited += 5) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			s->err = saved;
			if (quiet)
				fclose(quiet);
			*child = 0;
			return cmd_error(s, "'%s' exited (status %d) before pyspy-sh could attach", argv[0],
					 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		}
		if (!s->attached) {
			s->err = quiet ? quiet : saved;
			rc = session_attach(s, (int)pid);
			s->err = saved;
		}
		if (s->attached && session_program_started(s, script)) {
			session_settle(s);
			rc = CMD_OK;
			break;
		}
		sleep_ms(5);
	}
	if (quiet)
		fclose(quiet);
	if (!s->attached)
		return session_attach(s, (int)pid);   /* once more, to report why */
	return s->attached ? CMD_OK : rc;
}

int launch_wait(pid_t child)
{
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
