/*
 * proc_python.c — a process's Python version, by attaching to it.
 *
 * Attaching is the one test of "is this Python" the rest of pyspy-sh
 * trusts (a libpython mapped, the version, a validated interpreter state), so
 * a process tree is looked at the same way: attach, read the version,
 * detach.  A spawned interpreter that is still starting has no interpreter
 * state yet and reads as not Python until it has one.
 */
#include "proc_python.h"

#include <stdio.h>
#include <stdlib.h>

int proc_python_version(pid_t pid, enum locate_method how, char *buf, size_t len, struct pyspy_err *e)
{
	struct target *t = calloc(1, sizeof(*t));
	struct attach_opts opts = { .locate = how };
	if (!t)
		return err_set(e, PS_ENOMEM, "out of memory");
	buf[0] = '\0';
	int rc = target_attach(t, pid, &opts, e);
	if (rc == 0) {
		snprintf(buf, len, "%s", t->version_str);
		target_detach(t);
	}
	free(t);
	return rc;
}
