/*
 * clock.h — the one monotonic clock the engine measures with.
 */
#ifndef PYSPY_CLOCK_H
#define PYSPY_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t clock_now_ns(void);

#endif
