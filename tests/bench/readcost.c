/*
 * readcost.c — the cost of one 64-byte process_vm_readv on this machine, the
 * unit the sampling benchmark expresses its per-sample costs in (so figures
 * compare across machines).  Reads from a child process that just sleeps.
 *
 *   readcost [COUNT]     prints "ns_per_read N"
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char target_data[4096];

int main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 200000;
	pid_t child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	char buf[64];
	struct iovec local = { buf, sizeof(buf) }, remote = { target_data, sizeof(buf) };
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < count; i++)
		if (process_vm_readv(child, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(buf)) {
			perror("process_vm_readv");
			kill(child, SIGKILL);
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &b);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)count;
	printf("ns_per_read %.1f\n", ns);
	return 0;
}
