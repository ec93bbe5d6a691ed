/*
 * launch.h — `pyspy-sh -- python3 app.py ARGS`: start a program and attach.
 */
#ifndef PYSPY_LAUNCH_H
#define PYSPY_LAUNCH_H

#include <sys/types.h>

struct session;

/* Start argv as a child (its output is the terminal's, not captured) and
 * attach once its interpreter is running the program.  Returns a cmd_status;
 * *child gets the pid (or 0 when it could not be started). */
int launch_and_attach(struct session *s, char **argv, pid_t *child);

/* Wait for the child and return an exit status for pyspy-sh that passes its
 * status through (128+N for a signal, as a shell does). */
int launch_wait(pid_t child);

#endif
