/*
 * prefetch.h — the read-ahead's side of remote_read(), private to engine/os/.
 * The public calls (enable, begin, refresh, end, disable) are in remote.h.
 */
#ifndef PYSPY_PREFETCH_H
#define PYSPY_PREFETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "remote.h"

bool prefetch_active(const struct remote_prefetch *pf);
/* Copy len bytes at addr from this tick's fetch; false when not there. */
bool prefetch_serve(struct remote *r, raddr_t addr, void *buf, size_t len);
/* A read that went to the target and succeeded: fetch it from the next tick on. */
void prefetch_remember(struct remote_prefetch *pf, raddr_t addr, size_t len);

#endif
