/*
 * native_core.h — the core file's unwinder (libdwfl), beside native.c's
 * libunwind-ptrace one for live tasks.  native.c calls it; frames come back
 * with ip and sp only, and native.c names and classifies them as it does
 * live ones.
 */
#ifndef PYSPY_NATIVE_CORE_H
#define PYSPY_NATIVE_CORE_H

#include <sys/types.h>

#include "native.h"

/* Hand the core's threads to the symbolizer's Dwfl (once per target). */
int native_core_attach(struct target *t, void *dwfl, struct pyspy_err *e);

/* Unwind thread tid of the core: out->frames get ip and sp, innermost
 * first.  0, or a negative code with out->msg saying why (frames so far kept). */
int native_core_walk(struct target *t, void *dwfl, pid_t tid, struct native_stack *out);

#endif
