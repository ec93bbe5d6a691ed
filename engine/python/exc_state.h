/*
 * exc_state.h — whether a thread is raising or handling an exception, for
 * `sample --mode exception`.
 */
#ifndef PYSPY_EXC_STATE_H
#define PYSPY_EXC_STATE_H

#include <stdint.h>

#include "target.h"

/*
 * From a thread's PyThreadState bytes (t->tstate_len of them, as
 * threads_read() leaves them): 1 when the thread has an exception in flight
 * (PyThreadState's curexc_type, 3.12+ current_exception) or is handling one
 * (what sys.exc_info() would return: ≤3.6 exc_type, 3.7+ the first
 * _PyErr_StackItem of the exc_info chain that holds one), 0 when not, -1
 * when it cannot be told (a field the layout lacks, a read that failed).
 * *none caches Py_None's address between calls (start it at 0): an item
 * holding None holds no exception.
 */
int exc_state_active(struct target *t, const uint8_t *tsbuf, raddr_t *none);

#endif
