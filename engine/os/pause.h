/*
 * pause.h — holding every task of a target still, safely.
 *
 * PTRACE_SEIZE + PTRACE_INTERRUPT stops each task without sending a signal, so
 * if pyspy-sh dies while holding them the kernel detaches and the target simply
 * runs on (a SIGSTOP-based pause would leave it stopped).  Nothing is written:
 * no POKE, no SETREGS.
 */
#ifndef PYSPY_PAUSE_H
#define PYSPY_PAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/error.h"

struct pause {
	pid_t pid;
	pid_t *tids;               /* the tasks we hold */
	size_t n, cap;
	bool one;                  /* pause_task(): not recorded as a pause of the process */
};

/* Stop every task of pid.  Tasks that exit meanwhile are skipped; tasks that
 * appear meanwhile are caught by a second pass.  Fails with PS_EPERM,
 * PS_EGONE, or PS_EIO when a task will not stop (after a bounded wait). */
int pause_all(struct pause *p, pid_t pid, struct pyspy_err *e);

/* Stop one task of pid (tid), as pause_all stops each.  PS_EGONE if it has
 * exited, PS_EPERM / PS_EIO as pause_all.  Its release is not recorded in
 * pause_released_ns(): it pauses one running thread, no waiter. */
int pause_task(struct pause *p, pid_t pid, pid_t tid, struct pyspy_err *e);

/* Let them all run again.  Safe to call twice. */
void pause_release(struct pause *p);

/*
 * When this process last released a pause (clock_now_ns()), or 0.  Pausing
 * interrupts every blocking call; a waiter restarts it when released and may
 * show as running ('R') for a while, waiting for a CPU to go back to sleep:
 * a state read just after says what the pause did, not what the program does.
 */
uint64_t pause_released_ns(void);

#endif
