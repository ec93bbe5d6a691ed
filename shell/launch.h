/*
 * launch.h — `pyspy-sh -- python3 app.py ARGS`: start a program and attach.
 */
#ifndef PYSPY_LAUNCH_H
#define PYSPY_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

struct session;

/* Start argv as a child in its own process group (its output is the
 * terminal's, not captured; Ctrl-C at the terminal reaches pyspy-sh, not
 * it), held at its exec and run in small steps until its interpreter state
 * exists, then attach.  With from_start the commands begin right there,
 * before the program's own code; otherwise pyspy-sh waits until the
 * program's own code runs and rests, so a first `bt` shows the program.
 * A program that cannot hold an interpreter is killed and refused.
 * Returns a cmd_status; *child gets the pid (0 when no child is left). */
int launch_and_attach(struct session *s, char **argv, bool from_start, pid_t *child);

/* Whether the child has not ended yet (it is not reaped). */
bool launch_running(pid_t child);

/* The session is over: kill the child (kill_it) or wait for it — quietly
 * for a second, then saying so, with the terminal handed to it if
 * pyspy-sh holds it; Ctrl-C then interrupts it, a second Ctrl-C kills it.
 * Returns an exit status that passes its status through (128+N for a
 * signal, as a shell does). */
int launch_finish(pid_t child, bool kill_it);

#endif
