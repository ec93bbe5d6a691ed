/*
 * procfs.h — what /proc says about a process: its mappings, its tasks, their
 * scheduler state, its name and executable.
 *
 * Paths of mapped files are as the target sees them; to open one from here,
 * go through /proc/PID/root (procfs_path), so a target inside a container or
 * chroot is read from the right file system.
 */
#ifndef PYSPY_PROCFS_H
#define PYSPY_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "engine/error.h"
#include "rbuf.h"

struct map_region {
	raddr_t start, end;
	uint64_t offset;
	char perms[5];
	char *path;                /* NULL for anonymous mappings; "[heap]" etc. kept as is */
};

struct maps {
	struct map_region *v;
	size_t n;
};

int maps_read(pid_t pid, struct maps *m, struct pyspy_err *e);
void maps_release(struct maps *m);
/* The region holding addr, or NULL. */
const struct map_region *maps_find(const struct maps *m, raddr_t addr);
/* Whether [addr, addr+len) lies in readable mappings. */
bool maps_readable(const struct maps *m, raddr_t addr, size_t len);

/* The task ids of pid, in /proc order.  *tids is malloc'd. */
int procfs_tasks(pid_t pid, pid_t **tids, size_t *n, struct pyspy_err *e);

/* The state letter of a task (R, S, D, Z, t, ...), or 0 if it is gone. */
char procfs_task_state(pid_t pid, pid_t tid);

/* The process's state letter, its name (comm) and its executable path. */
char procfs_state(pid_t pid);
/* The state letter in the text of a /proc/.../stat file, 0 if there is none. */
char procfs_stat_state(const char *stat);
/* Whether pid exists and is neither a zombie nor dead. */
bool procfs_alive(pid_t pid);
void procfs_comm(pid_t pid, char *buf, size_t len);
/* When the process started, in seconds since the epoch (to the kernel's clock
 * tick, and to the second of the boot time it counts from): 0, or -1. */
int procfs_start_time(pid_t pid, double *epoch);
int procfs_exe(pid_t pid, char *buf, size_t len);

/* A fingerprint of the program image the process runs (its auxiliary
 * vector: entry point, stack and vDSO addresses, the file executed), which
 * every exec replaces; 0 when unreadable. */
uint64_t procfs_image_id(pid_t pid);

/* "/proc/PID/root" + path: how to open a file the target sees at path. */
void procfs_path(pid_t pid, const char *path, char *buf, size_t len);

/* Record PS_EPERM for pid: "permission denied WHAT: " and how to fix it. */
int procfs_perm_error(struct pyspy_err *e, pid_t pid, const char *what);

/* Check that pid exists and can be inspected: PS_ENOPROC, PS_EGONE (zombie), PS_EPERM. */
int procfs_check(pid_t pid, struct pyspy_err *e);

#endif
