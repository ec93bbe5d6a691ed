/*
 * test_proctree.c — engine/os/proctree.c on a real tree made here: this
 * process forks a child that sleeps, and a child that forks a grandchild;
 * the list must hold all three under their parents, depth first, and a
 * pid that does not exist must be refused.
 */
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/os/proctree.h"
#include "unit.h"

static pid_t sleeper(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

int main(void)
{
	int pipefd[2];
	CHECK_INT(pipe(pipefd), 0);
	pid_t a = sleeper();
	pid_t b = fork();
	if (b == 0) {
		pid_t c = sleeper();
		if (write(pipefd[1], &c, sizeof(c)) != sizeof(c))
			_exit(1);
		pause();
		_exit(0);
	}
	pid_t c = 0;
	CHECK_INT(read(pipefd[0], &c, sizeof(c)), sizeof(c));

	struct proc_entry *v;
	size_t n;
	struct pyspy_err e = { 0 };
	CHECK_INT(proctree_list(getpid(), &v, &n, &e), 0);
	int seen = 0;
	if (CHECK_INT(n, 4)) {
		CHECK_INT(v[0].pid, getpid());
		CHECK_INT(v[0].ppid, getppid());
		CHECK_INT(v[0].depth, 0);
		for (size_t i = 1; i < n; i++) {
			if (v[i].pid == a && v[i].ppid == getpid() && v[i].depth == 1)
				seen |= 1;
			if (v[i].pid == b && v[i].ppid == getpid() && v[i].depth == 1)
				seen |= 2;
			/* the grandchild comes right after its parent */
			if (v[i].pid == c && v[i].ppid == b && v[i].depth == 2 && v[i - 1].pid == b)
				seen |= 4;
		}
	}
	CHECK_INT(seen, 7);
	free(v);

	char cmd[256];
	proctree_cmdline(getpid(), cmd, sizeof(cmd));
	CHECK(strstr(cmd, "test_proctree") != NULL);
	proctree_cmdline(c, cmd, 8);
	CHECK(strlen(cmd) <= 7);

	CHECK_INT(proctree_list(0x3ffffff0, &v, &n, &e), -PS_ENOPROC);
	CHECK(strstr(e.msg, "no process with pid") != NULL);

	kill(c, SIGKILL);
	kill(b, SIGKILL);
	kill(a, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	return unit_done();
}
