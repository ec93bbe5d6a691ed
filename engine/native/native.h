/*
 * native.h — C stacks of a paused target, and their merge with Python stacks.
 *
 * native_unwind() walks one task's machine stack with libunwind-ptrace (the
 * task must be ptrace-stopped by us: pause_all(), a snapshot taken with
 * SNAP_KEEP_PAUSED, or the sampler's blocking tick) and names every frame
 * through the symbolizer.  native_merge() then replaces each call of the
 * interpreter's evaluation function by the Python frames it was running, and
 * drops interpreter plumbing, giving one stack of mixed frames.  Both are
 * separate calls so that a script binding can ask for either.
 *
 * Everything is read: registers with PTRACE_PEEKUSER, memory with
 * process_vm_readv.  Nothing is written to the target.
 */
#ifndef PYSPY_NATIVE_H
#define PYSPY_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/python/snapshot.h"
#include "symbolize.h"

enum native_flags {
	NATIVE_EVAL = 1 << 0,      /* the interpreter's evaluation function */
	NATIVE_INTERP = 1 << 1,    /* in the module that holds the interpreter */
	NATIVE_PLUMBING = 1 << 2,  /* call machinery, startup, thread start: hidden unless --native-all */
	NATIVE_ENTRY = 1 << 3,     /* holds a Python entry frame in its stack (3.12+): an evaluation
	                              call, whatever its name; set by native_merge() */
	NATIVE_ANON = 1 << 4,      /* code in an anonymous executable mapping (JIT-compiled code) */
};

struct native_frame {
	uint64_t ip;               /* the frame's program counter (a return address for outer frames) */
	struct native_sym sym;     /* names; NULL parts are unknown */
	unsigned flags;            /* enum native_flags */
	uint64_t sp;               /* its stack pointer: the frame's locals lie in [sp, the next outer
	                              frame's sp); 0 when unknown */
};

enum native_status {
	NSTAT_NONE = 0,
	NSTAT_GIL,                 /* waiting for the GIL */
	NSTAT_GC,                  /* collecting garbage */
	NSTAT_SYSCALL,             /* in a system call: see syscall_name */
};

struct native_stack {
	struct native_frame *frames;   /* innermost first */
	size_t n, cap;             /* kept between calls when the stack is reused */
	enum native_status status;
	long syscall;              /* the system call number, -1 when not in one */
	const char *syscall_name;  /* "nanosleep", "futex", or NULL when the number is not known */
	int error;                 /* 0, or the code that cut the unwind short (frames so far are kept) */
	char msg[256];
};

/* The per-target state (address space, symbolizer); made on first use,
 * freed by target_detach(). */
struct native_state;
void native_state_free(struct native_state *ns);

/* Unwind task tid of t, which must be ptrace-stopped by the caller.  0 with
 * out filled (possibly partial: out->error says why), or a negative code
 * when nothing could be read. */
int native_unwind(struct target *t, pid_t tid, struct native_stack *out, struct pyspy_err *e);
void native_stack_release(struct native_stack *s);

/* Append a frame with ip and sp, its other fields zero (native.c's and
 * native_core.c's unwinders).  0, or -1 out of memory. */
int native_stack_push(struct native_stack *s, uint64_t ip, uint64_t sp);

/* "waiting for the GIL", "collecting garbage", "in syscall nanosleep"; NULL
 * when the native stack says nothing special. */
const char *native_status_text(const struct native_stack *s, char *buf, size_t len);

/* ---- merging (native_merge.c) ---- */

enum frame_kind { FRAME_PYTHON, FRAME_NATIVE };

struct merged_frame {
	enum frame_kind kind;
	const struct py_frame *py;         /* FRAME_PYTHON: points into the py_thread */
	const struct native_frame *native; /* FRAME_NATIVE: points into the native_stack */
};

/* The name of the layout's evaluation function ("_PyEval_EvalFrameDefault",
 * "PyEval_EvalFrameEx" on 2.7). */
const char *native_eval_function(const struct target *t);

/*
 * Merge th's Python frames into ns's native frames, innermost first.  Each
 * evaluation-function frame is replaced by the Python frames it runs: one
 * frame per call up to 3.10, the frames from one entry frame to the next on
 * 3.11+.  Where the layout's entry frames are locals of the evaluation call
 * (3.12+: shim frames owned by the C stack or the interpreter), evaluation
 * calls are the C frames whose stack holds an entry frame's address, named or
 * not: the merge marks them NATIVE_ENTRY, names an unnamed one after the
 * evaluation function, and refuses a frame named so that holds none; up to
 * 3.11 they are found by name.  Plumbing is dropped, except that a hidden run containing unnamed
 * interpreter code (a stripped binary) keeps its innermost unnamed frame;
 * with `all`, every frame is kept, evaluation frames just outside their
 * Python frames.  *out is malloc'd (caller frees).  When the counts do not
 * agree, or the unwind was cut short, the result is -PS_ETORN with the reason
 * in e ("native merge failed: ..."), and nothing is guessed.
 */
int native_merge(struct target *t, const struct py_thread *th, struct native_stack *ns, bool all,
		 struct merged_frame **out, size_t *n, struct pyspy_err *e);

/* Both steps for one thread of a paused target: unwind th->os_tid into ns
 * (reused between calls), then merge.  What a binding wants for "this
 * thread's mixed stack".  A failure of either step is the result; ns keeps
 * whatever was unwound (and its status) even when the merge fails. */
int native_thread_stack(struct target *t, const struct py_thread *th, bool all, struct native_stack *ns,
			struct merged_frame **out, size_t *n, struct pyspy_err *e);

/* The merged frames as py_frames for the profile store: a native frame
 * becomes function = qualname = its symbol (or "0x..." when unnamed), file =
 * its library, line = -1, so profile labels read "symbol (library)".  Fills
 * buf[0..cap), returns the count. */
size_t native_as_py_frames(struct target *t, const struct merged_frame *m, size_t n,
			   struct py_frame *buf, size_t cap);

#endif
