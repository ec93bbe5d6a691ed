/*
 * target.h — an attached CPython process.
 *
 * target_attach() does all the one-time work: checks the pid, reads the maps,
 * finds the module that holds the interpreter (libpython, or the executable
 * for a static build), learns the version, picks the layout, and finds and
 * validates the interpreter state.  Everything after that (snapshots, frame
 * walks, object decoding, sampling) reads through the struct target.
 *
 * Nothing here stops or changes the target.  Pausing is a separate, explicit
 * step (pause.h).
 */
#ifndef PYSPY_TARGET_H
#define PYSPY_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "layouts/layout.h"
#include "engine/error.h"
#include "engine/os/procfs.h"
#include "pyversion.h"
#include "engine/os/remote.h"
#include "engine/strtab.h"

struct code_info;
struct core;
struct native_state;
struct target;

/* Called at detach for state another module hung on the target. */
typedef void (*target_release_fn)(struct target *t);
#define TARGET_HOOKS 8

/* How the interpreter state was found, for `info` and tests. */
enum locate_method {
	LOCATE_ANY = 0,            /* try symbol, then section, then scan */
	LOCATE_SYMBOL,             /* _PyRuntime or interp_head */
	LOCATE_SECTION,            /* the .PyRuntime ELF section */
	LOCATE_SCAN,               /* a validated scan of the module's data and bss */
};

struct codecache {
	struct code_info **slots;
	size_t cap, n;
	struct code_info *retired; /* entries whose code object died: kept, frames may point at them */
};

struct target {
	pid_t pid;
	struct remote mem;
	struct maps maps;
	char comm[64];
	char exe[PATH_MAX];
	char pymodule[PATH_MAX];   /* the file holding the interpreter, as the target sees it */
	raddr_t pymodule_bias;     /* load address minus link-time address */
	bool pymodule_is_exe;

	struct pyversion version;
	char version_str[32];
	struct py_layout layout;
	char layout_origin[384];   /* "the built-in table 3.11 (...)", "both cross-checked: ..." */
	enum locate_method located_by;
	char locate_detail[128];

	raddr_t runtime;           /* _PyRuntime, 0 before 3.7 or when unknown */
	raddr_t interp;            /* the main PyInterpreterState */
	raddr_t gil;               /* 3.12+: its interp->ceval.gil once read non-zero (set at its start, and
	                              only cleared when it ends), so the sampler reads it once, not each tick */
	raddr_t tstate_current;    /* 2.7/3.6: address of _PyThreadState_Current, else 0 */
	raddr_t code_type;         /* PyCode_Type, for validating code objects; 0 if unknown */

	size_t tstate_len;         /* bytes of PyThreadState to read: enough for every field used, <= TARGET_TSTATE_MAX */
	size_t iframe_len;         /* bytes of a frame struct to read, <= TARGET_FRAME_MAX; 0: no usable layout */
	int pthread_tid_offset;    /* ≤3.7: where glibc keeps the tid in struct pthread; -1 unknown */

	uint64_t image_id;         /* procfs_image_id() at attach: an exec changes it */
	struct core *core;         /* a core file instead of a process (target_open_core), else NULL;
	                              pid is then the pid the core records, never asked of /proc */

	struct codecache codes;
	struct strtab strings;
	struct typecache *types;
	uint8_t *chunk_buf;        /* the frame walk's copy of a data-stack chunk, reused */
	size_t chunk_cap;
	struct native_state *native; /* native.c: unwinder and symbolizer, made on first use */
	struct paused_states *before_pause; /* snapshot.c: the task states its last pause read first */

	target_release_fn on_detach[TARGET_HOOKS]; /* see target_on_detach() */
	int nhooks;
};

/* The most of a thread state and of a frame struct one read fetches (the
 * frame walk's stack buffer is TARGET_FRAME_MAX bytes). */
#define TARGET_TSTATE_MAX 4096
#define TARGET_FRAME_MAX 512

struct attach_opts {
	enum locate_method locate; /* LOCATE_ANY unless testing one method */
};

/* Attach to pid.  On failure the target is left released; e says why:
 * PS_ENOPROC, PS_EGONE (zombie/exited), PS_EPERM, PS_ENOTPY, PS_EUNSUP. */
int target_attach(struct target *t, pid_t pid, const struct attach_opts *opts, struct pyspy_err *e);

/* The same on a core file: memory, maps and threads come from the core
 * (core.h); exe, when not NULL, is the executable to read (--exe).  Besides
 * the codes above, a core that cannot be used is PS_ENOTPY / PS_EUNSUP with
 * the reason (truncated, another architecture, executable missing or a
 * different build).  target_detach() closes the core. */
int target_open_core(struct target *t, const char *path, const char *exe, const struct attach_opts *opts,
		     struct pyspy_err *e);
void target_detach(struct target *t);

/* Whether the process has exec'd another program since attach (same pid, a
 * new address space: nothing read from it means what the layout says).
 * Returns 0 if not, else -PS_EGONE with a message naming the new program. */
int target_check_exec(struct target *t, struct pyspy_err *e);

/* Before attaching (launch mode, at the exec): whether pid's program can hold
 * an interpreter — libpython mapped, the executable needing libpython
 * (DT_NEEDED), carrying Python's symbols, or named pythonX.Y.  1 yes, 0 no
 * (e->msg says why), negative on failure to look.  exe gets its path. */
int target_probe(pid_t pid, char *exe, size_t len, struct pyspy_err *e);

/* A target with no process behind it, for tests and fuzz harnesses: the given
 * layout, every size derived from it, reads through t->mem (set its backend).
 * Release with target_detach(). */
void target_init_offline(struct target *t, const struct py_layout *layout);

/*
 * Have release(t) called when t is detached, the last registered first; a
 * function registered again is still called once.  Each module that hangs a
 * cache or state on the target (code objects, types, the frame walk's chunk
 * buffer, the native unwinder) registers when it first makes it, so that
 * attaching needs to know none of them.
 */
void target_on_detach(struct target *t, target_release_fn release);

/* Read a pointer in the target, refusing values that are not plausible user-space pointers. */
int target_read_ptr(struct target *t, raddr_t addr, raddr_t *out, struct pyspy_err *e);

/* Text of a locate method ("symbol", "section", "scan"). */
const char *locate_method_name(enum locate_method m);

#endif
