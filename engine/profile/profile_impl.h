/*
 * profile_impl.h — the profile store's private layout, shared by profile.c
 * (interning, the trie, counts, reading) and profile_merge.c (merging two
 * profiles).  Nothing outside those two files includes it.
 */
#ifndef PYSPY_PROFILE_IMPL_H
#define PYSPY_PROFILE_IMPL_H

#include <limits.h>
#include <stddef.h>
#include <stdbool.h>

#include "pair_index.h"
#include "profile.h"
#include "engine/strtab.h"

#define TL_CHUNK 65536u
#define FUNC_LINE INT_MIN           /* index key of a function, not a line */

struct fkey {
	const char *q, *f, *fn;
	int line;
	uint32_t id;               /* PROF_NONE: empty slot */
};

struct fmap {
	struct fkey *slots;
	size_t cap, n;
};

/* Both begin with their pair_index key. */
struct pnode {
	uint32_t parent, frame, depth;
};

struct leaf {
	uint32_t thread, node;
	uint64_t count, weight;
};

_Static_assert(offsetof(struct pnode, frame) == sizeof(uint32_t), "pnode's key is not first");
_Static_assert(offsetof(struct leaf, node) == sizeof(uint32_t), "leaf's key is not first");

/* The last stack added for one thread, root first, as the caller's pointers,
 * with the trie node each prefix reached (keys[d].id): a thread sampled again
 * in the same place skips the interning and the trie walk for the part of
 * its stack that did not change. */
struct lastpath {
	struct fkey *keys;
	size_t n, cap;
};

struct tl_ent {
	uint32_t dt, thread, node;
};

struct timeline {
	struct tl_ent **chunks;
	size_t nchunks, chunks_cap, n;
	uint64_t first, last, dropped;
	uint32_t stride;           /* one tick in `stride` is kept (0 or 1: all); doubles at the cap */
	uint32_t skip;             /* ticks still to pass over before the next kept one */
	uint64_t tick_ts;          /* the timestamp of the tick last pushed */
	bool tick_kept;            /* whether that tick's samples are kept */
	bool any;                  /* tick_ts is set */
};

struct profile {
	struct profile_meta meta;
	struct strtab strs;
	struct fmap cache;         /* caller's pointers → frame id */
	struct fmap index;         /* own pointers → frame id */
	struct prof_frame *frames;
	uint32_t *func_of;         /* frame id → first frame id of the same function */
	size_t nframes, frames_cap, func_cap;
	struct pnode *nodes;
	size_t nnodes, nodes_cap;
	struct pair_index node_index;   /* (parent, frame) → node */
	struct leaf *leaves;
	size_t nleaves, leaves_cap;
	struct pair_index leaf_index;   /* (thread, node) → leaf */
	struct prof_thread *threads;
	size_t nthreads, threads_cap;
	struct lastpath *paths;    /* per thread index; forgotten with the caller's pointers */
	size_t paths_cap;
	uint32_t last_thread;
	uint32_t max_depth;
	uint64_t samples, weight;
	struct timeline tl;
	size_t tl_cap;
	uint64_t allocs;
};

static inline struct tl_ent *profile_tl_at(const struct timeline *tl, size_t i)
{
	return &tl->chunks[i / TL_CHUNK][i % TL_CHUNK];
}

uint32_t profile_frame_canonical(struct profile *p, const char *q, const char *f, const char *fn, int line);
uint32_t profile_child(struct profile *p, uint32_t parent, uint32_t frame);
uint32_t profile_leaf(struct profile *p, uint32_t thread, uint32_t node);
uint32_t profile_thread_find(struct profile *p, uint64_t thread_id, pid_t os_tid, const char *name);
void profile_tl_push(struct profile *p, struct timeline *tl, uint64_t ts, uint32_t thread, uint32_t node);
bool profile_tl_step(const struct timeline *tl, size_t *pos, uint64_t *ts, struct prof_event *ev);
void profile_tl_release(struct timeline *tl);

#endif
