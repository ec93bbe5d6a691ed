/*
 * fakemem.h — a remote address space made of bytes, for the fuzz harnesses.
 *
 * The engine reads a target only through struct remote; its test backend
 * (remote.h) lets a harness answer those reads from memory instead.  An
 * input for the frame and object harnesses is one such address space:
 *
 *     u8  layout     index into layout_tables[] (taken modulo their count)
 *     u64 root       where to start: a thread state, or an object
 *     then regions:  u64 addr, u32 len, len bytes (cut at the end of input)
 *
 * all little-endian.  A read is served only when it lies wholly inside one
 * region (the first that holds it), like one mapping of a real process;
 * anything else is EFAULT.  The same format is what tests/fuzz/capture.c
 * writes from a live target, which is how the seed corpora were made.
 */
#ifndef PYSPY_FAKEMEM_H
#define PYSPY_FAKEMEM_H

#include <stddef.h>
#include <stdint.h>

#include "engine/python/snapshot.h"

#define FAKEMEM_MAX_REGIONS 4096

struct fakemem_region {
	uint64_t addr;
	const uint8_t *data;
	size_t len;
};

struct fakemem {
	unsigned layout;
	uint64_t root;
	struct fakemem_region *v;
	size_t n;
};

/* Parse an input; -1 if it is too short for the header. */
int fakemem_parse(struct fakemem *m, const uint8_t *data, size_t size);
void fakemem_release(struct fakemem *m);

/* The backend (remote_backend_fn) serving reads from m. */
int fakemem_read(void *ctx, raddr_t addr, void *buf, size_t len);

/* A target with m's layout whose reads go to m.  Release with target_detach(). */
void fakemem_target(struct target *t, struct fakemem *m);

/*
 * What the frame harness does to one thread, and what capture.c records:
 * read the thread state at tstate, walk its frames, read and repr the locals
 * of the innermost three.  With names, also look the thread's name up (the
 * harness does; the recorder does not, see capture.c).  Fills th (the caller
 * frees th->frames) and the thread-state bytes into ts (t->tstate_len).
 */
void fakemem_walk_thread(struct target *t, raddr_t tstate, uint8_t *ts, struct py_thread *th, int names);

#endif
