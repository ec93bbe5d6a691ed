/*
 * spawn.h — start a program held at its first instruction, in its own
 * process group, and let it run in small steps until the caller is ready.
 *
 * The child waits on a pipe before exec; the parent seizes it meanwhile
 * (PTRACE_SEIZE with PTRACE_O_TRACEEXEC, no signal sent), then opens the
 * gate, so the child stops at its exec before the new image runs a single
 * instruction.  From there spawn_step() lets it run for a slice and stops it
 * again with PTRACE_INTERRUPT.  Nothing is written to the child: no POKE, no
 * SETREGS; signals it receives meanwhile are passed on.  If pyspy-sh dies
 * while holding it, the kernel detaches and the program simply runs on.
 */
#ifndef PYSPY_SPAWN_H
#define PYSPY_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "engine/error.h"

struct spawn {
	pid_t pid;                 /* the child, 0 when none */
	bool traced;               /* seized: held between spawn_step() calls */
	int pending_sig;           /* a signal it received while held, passed on when it runs */
	int status;                /* its exit status (128+N for a signal) once it has ended */
	bool ended;
};

enum spawn_event {
	SPAWN_HELD = 0,            /* stopped after its slice */
	SPAWN_EXEC,                /* stopped at a new exec (the first one, or a wrapper's) */
	SPAWN_EXITED,              /* it ended; status is set and the child reaped */
};

/* Fork and exec argv (PATH searched) in a new process group, held stopped at
 * the exec.  Fails with the exec's own error ("cannot run 'x': ..."). */
int spawn_start(struct spawn *sp, char *const argv[], struct pyspy_err *e);

/* Let it run for about `us` microseconds, then hold it again.  Returns a
 * spawn_event, or a negative code. */
int spawn_step(struct spawn *sp, long us, struct pyspy_err *e);

/* Stop tracing: it runs freely from here on. */
void spawn_release(struct spawn *sp);

/* Kill its process group and reap it. */
void spawn_kill(struct spawn *sp);

#endif
