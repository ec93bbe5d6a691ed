/*
 * procs.h — the target's process tree, for `ps` and the --subprocesses
 * options of `threads` and `bt`.
 */
#ifndef PYSPY_PROCS_H
#define PYSPY_PROCS_H

#include <sys/types.h>

struct session;

struct proc_info {
	pid_t pid, ppid;
	int depth;                 /* the target 0 */
	char python[32];           /* its Python version, "" when it is not Python */
	char why[160];             /* when not Python: why (the attach error) */
	char cmd[512];             /* the command line */
};

/* The session's target and its descendants, depth first, each looked at
 * (attached and detached again) to learn its Python version.  *out is
 * malloc'd.  A cmd_status; the error is printed. */
int procs_list(struct session *s, struct proc_info **out, size_t *n);

/* Call fn for the target and then each Python descendant, with that process
 * attached as the session's target for the call (the session's own target
 * and selection are back afterwards).  A descendant that exited or cannot be
 * attached any more is reported on the error stream and skipped.  Returns
 * the worst cmd_status. */
int procs_each(struct session *s, int (*fn)(struct session *s, const struct proc_info *p, void *arg), void *arg);

#endif
