/*
 * frames.h — walking one thread's Python frames (frames.c).
 */
#ifndef PYSPY_FRAMES_H
#define PYSPY_FRAMES_H

#include <stdint.h>

#include "threads.h"

/* Walk one thread's frames from its PyThreadState bytes (t->tstate_len of
 * them) into th->frames, reusing th's buffer. */
int frames_walk(struct target *t, const uint8_t *tstate, struct py_thread *th, struct pyspy_err *e);

#endif
