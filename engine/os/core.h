/*
 * core.h — a core file as the memory of a process that is gone.
 *
 * A core is one more backend behind struct remote: remote_read() on a
 * target opened from a core copies from the core's PT_LOAD segments, and
 * where the core left a file-backed mapping out (read-only text and data,
 * usually all but the first page), from the file the core's NT_FILE note
 * names, at the recorded offset.  A file whose build-id is not the one the
 * core holds in its memory (its first page) is not read: a warning names it,
 * and the addresses it would have served read as unmapped.
 *
 * The notes give the rest: the threads with their registers (NT_PRSTATUS,
 * the thread that took the signal first), the signal and the faulting address
 * (NT_SIGINFO), the program's name and pid (NT_PRPSINFO), and its auxiliary
 * vector (NT_AUXV: the entry point, which says which mapping is the
 * executable).  Only x86-64 little-endian cores are read.
 */
#ifndef PYSPY_CORE_H
#define PYSPY_CORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/error.h"
#include "procfs.h"
#include "rbuf.h"

#define CORE_NREGS 27              /* x86-64 user_regs_struct, as NT_PRSTATUS holds it */

struct core_thread {
	pid_t tid;
	int signal;                /* pr_cursig: the signal it was handling, 0 if none */
	uint64_t regs[CORE_NREGS]; /* struct user_regs_struct order */
};

struct core_seg {
	raddr_t vaddr;
	uint64_t memsz, offset, filesz;
	uint32_t flags;            /* PF_R | PF_W | PF_X */
};

struct core_file {
	raddr_t start, end;
	uint64_t offset;           /* in the file, bytes */
	char *path;                /* as the process saw it */
	const char *open_path;     /* what is read: path, or --exe for the executable */
	int fd;                    /* -2 not tried yet, -1 not readable or refused */
	uint64_t size;
	bool checked;              /* the build-id check was done */
};

struct core {
	char path[PATH_MAX];
	int fd;
	const uint8_t *data;       /* the core, mapped read-only */
	size_t size;
	struct core_seg *segs;
	size_t nsegs;
	struct core_file *files;
	size_t nfiles;
	struct core_thread *threads;   /* the faulting thread first */
	size_t nthreads;
	pid_t pid;
	char comm[17];
	char psargs[81];
	int signal, sig_code;       /* from NT_SIGINFO, else the first thread's pr_cursig */
	uint64_t fault_addr;
	bool have_siginfo;
	uint64_t at_entry;
	char exe[PATH_MAX];        /* the executable's path as recorded */
	char exe_open[PATH_MAX];   /* the file read for it (--exe, or the same) */
	char warnings[1024];       /* "libfoo.so: different build (...)"; lines */
};

/*
 * Open path as a core.  exe, when not NULL, is the file to read for the
 * executable (--exe).  Checks: an ELF core for x86-64, whole (no segment past
 * the end of the file), with threads, and its executable readable and the
 * same build.  On failure the core is closed and e says why: PS_ENOPROC (no
 * such file), PS_EPERM, PS_ENOTPY (not a core, truncated, executable missing
 * or different), PS_EUNSUP (another architecture).
 */
int core_open(struct core *c, const char *path, const char *exe, struct pyspy_err *e);
void core_close(struct core *c);

/* The remote_backend_fn: ctx is the struct core.  0, or EFAULT. */
int core_read(void *ctx, raddr_t addr, void *buf, size_t len);

/* The mappings as /proc/PID/maps would have listed them (one per segment). */
int core_maps(const struct core *c, struct maps *m, struct pyspy_err *e);

/* The file to open for a path the process mapped (the --exe substitute for
 * the executable); path itself when the core does not know it. */
const char *core_file_path(const struct core *c, const char *path);

/* Whether the file the process mapped at path can be read: found, and the
 * same build as the core's copy of its first page says (checked once). */
bool core_file_ok(struct core *c, const char *path);

/* The threads' ids, the faulting thread first; *tids is malloc'd. */
int core_tids(const struct core *c, pid_t **tids, size_t *n, struct pyspy_err *e);

/* The thread of tid, or NULL. */
const struct core_thread *core_thread(const struct core *c, pid_t tid);

#endif
