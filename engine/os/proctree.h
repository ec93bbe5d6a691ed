/*
 * proctree.h — a process and its descendants, as /proc says they are now.
 *
 * `ps` and `sample --subprocesses` need the tree under a target: children,
 * grandchildren through a shell or any other program in between.  Each
 * process lists its own children in /proc/PID/task/TID/children (one file
 * per thread: a child belongs to the thread that forked it), so the walk
 * reads a file per task of each process in the tree, not every process on
 * the machine; a kernel without those files (CONFIG_PROC_CHILDREN off) is
 * served by one pass over every /proc/N/stat instead.
 */
#ifndef PYSPY_PROCTREE_H
#define PYSPY_PROCTREE_H

#include <stddef.h>
#include <sys/types.h>

#include "engine/error.h"

struct proc_entry {
	pid_t pid, ppid;
	int depth;                 /* the root 0, its children 1, ... */
};

/* root and its descendants, depth first (each child after its parent,
 * children by pid); at most PROCTREE_MAX.  *out is malloc'd.  0, or
 * -PS_ENOPROC when root does not exist, -PS_ENOMEM. */
#define PROCTREE_MAX 4096
int proctree_list(pid_t root, struct proc_entry **out, size_t *n, struct pyspy_err *e);

/* pid's command line, arguments joined by spaces ("" when unreadable: a
 * zombie or a kernel thread), cut to len - 1 bytes. */
void proctree_cmdline(pid_t pid, char *buf, size_t len);

#endif
