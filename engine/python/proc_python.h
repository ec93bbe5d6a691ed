/*
 * proc_python.h — whether a process is Python, and which: what `ps` and
 * pyspy.processes() show for each process of a tree.
 */
#ifndef PYSPY_PROC_PYTHON_H
#define PYSPY_PROC_PYTHON_H

#include <stddef.h>
#include <sys/types.h>

#include "engine/error.h"
#include "target.h"

/* Attach to pid and detach again: its Python version ("3.12.1") into buf.
 * 0, or the attach error (PS_ENOTPY for a shell or any other program,
 * PS_EGONE, PS_EPERM, ...; e says why) — the same answer `attach PID` and
 * `sample --subprocesses` get. */
int proc_python_version(pid_t pid, enum locate_method how, char *buf, size_t len, struct pyspy_err *e);

#endif
