/*
 * proc_group.h — the processes `sample --subprocesses` reads: the target
 * and every Python process under it, found while sampling.
 */
#ifndef PYSPY_PROC_GROUP_H
#define PYSPY_PROC_GROUP_H

#include <stdint.h>

#include "engine/python/target.h"
#include "sampler.h"

struct proc_group;

/* A group rooted at root (attached by the caller, never detached here),
 * looking for new descendants at most every min_scan_ns.  NULL: no memory. */
struct proc_group *proc_group_new(struct target *root, uint64_t min_scan_ns);
/* Detaches every process it attached.  After the profile is fed. */
void proc_group_free(struct proc_group *pg);
/* Look at the tree now and attach what is there: before sampling starts, so
 * that the first tick is not held back by attaching every child. */
void proc_group_scan(struct proc_group *pg);
/* Wire g to the group: g->t, g->n, g->refresh, g->ctx. */
void proc_group_bind(struct proc_group *pg, struct sampler_group *g);
/* The root frame naming t's process (function "<process>", qualname
 * "process PID", file the command line), valid until proc_group_free. */
const struct py_frame *proc_group_frame(struct proc_group *pg, const struct target *t);
/* Processes sampled (attached), the root included. */
size_t proc_group_count(const struct proc_group *pg);

#endif
