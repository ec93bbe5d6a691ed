/*
 * profile.h — the profile store: sampled Python stacks, counted.
 *
 * The sampler calls profile_add() once per thread per tick, so adding a stack
 * that was seen before must cost a few hash probes and no allocation.  Frames
 * are interned into the profile's own string table (the profile outlives the
 * target: a user may detach and then save), each distinct (qualname, file,
 * line, function) gets a frame id, stacks are nodes of one trie of frame ids
 * grown from the root, and counts are kept per (thread, stack).  Memory grows
 * with distinct stacks, not with samples — except the optional timeline (one
 * 12-byte entry per sample, for the Chrome trace) which is capped.
 *
 * Everything a report needs is read through this header: the iterator over
 * (thread, stack, count), profile_top(), and profile_tree(), a call tree
 * merged at a granularity (function or line) that the exporters lay out.
 * Strings handed out (frame names, thread names, row fields) belong to the
 * profile and live as long as it does.
 */
#ifndef PYSPY_PROFILE_H
#define PYSPY_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/error.h"
#include "engine/python/snapshot.h"
#include "engine/strbuf.h"

#define PROF_NONE UINT32_MAX              /* no frame / no node / no thread */
#define PROF_TIMELINE_CAP_DEFAULT (1u << 20)

/*
 * What a profile's weights count.  PROF_UNIT_SAMPLES: one per sample (wall
 * and gil modes, and cpu mode on a kernel without schedstats).
 * PROF_UNIT_CPU_US: µs of CPU the thread used since the previous tick (cpu
 * mode).  Every profile also counts its samples; reports and exports show
 * weights.
 */
enum prof_unit { PROF_UNIT_SAMPLES, PROF_UNIT_CPU_US };

/* What the sampler knows about the run; plain data, written directly. */
struct profile_meta {
	pid_t pid;
	char command[1024];        /* the target's command line, spaces between args */
	char python[64];           /* "3.12.3" */
	uint64_t start_us;         /* wall clock (µs since the epoch) of the first tick */
	uint64_t duration_us;      /* how long sampling ran */
	double rate_hz;            /* the requested rate */
	uint64_t ticks;            /* sampling rounds taken (each reads every thread) */
	uint64_t errors;           /* rounds or threads that could not be read */
	uint64_t torn;             /* walks that came back inconsistent and were dropped */
	uint64_t retried;          /* walks read again because they came back torn */
	uint64_t held;             /* of those, read with their thread held (sampler_stats.held) */
	enum prof_unit unit;       /* what the weights count; set before the first sample */
	char mode[12];             /* "cpu", "wall", "gil", "exception" or "" when not sampled */
	bool no_schedstat;         /* cpu mode without schedstat: samples of running threads */
	size_t processes;          /* --subprocesses: processes sampled (each stack rooted at a
	                              "<process>" frame, see profile_frame_is_process); 0 without */
};

/* A frame as the profile stores it. */
struct prof_frame {
	const char *function;
	const char *qualname;
	const char *file;
	int line;                  /* -1 when unknown */
	int first_line;            /* the code object's first line (pstats, heatmap); 0 when unknown */
};

/* Whether f is the root frame naming a process (--subprocesses): function
 * "<process>", qualname "process PID", file the command line. */
bool profile_frame_is_process(const struct prof_frame *f);

struct prof_thread {
	uint64_t thread_id;        /* threading.get_ident() */
	pid_t os_tid;              /* 0 if unknown */
	const char *name;          /* the latest name seen; NULL if never known */
	uint64_t samples;
	uint64_t weight;           /* the samples' weights, in the profile's unit */
};

struct profile_stats {
	size_t frames, nodes, stacks, threads;  /* distinct frames, trie nodes, (thread, stack) pairs */
	uint64_t samples;          /* profile_add() calls that were counted */
	uint64_t weight;           /* their weights added up */
	size_t timeline;           /* timeline entries held */
	uint64_t timeline_dropped; /* samples not held: thinned out, or no memory */
	unsigned timeline_stride;  /* the timeline holds one tick in this many (1: every tick) */
	uint64_t allocs;           /* allocations the store made (a test watches this) */
	size_t bytes;              /* memory held, approximately */
};

struct profile;

struct profile *profile_new(void);
void profile_free(struct profile *p);

/* The run's metadata, for the sampler to fill and reports to read.  Like
 * strchr(), it takes a const profile and gives a writable pointer: only the
 * profile's owner should write. */
struct profile_meta *profile_meta(const struct profile *p);
/* Copy a string into meta.command / meta.python (truncated to fit). */
void profile_set_command(struct profile *p, const char *command);
void profile_set_python(struct profile *p, const char *version);
/* Entries kept for the timeline; 0 turns it off.  Default PROF_TIMELINE_CAP_DEFAULT.
 * At the cap the timeline is thinned, not cut: every other tick is dropped and
 * from then on one tick in two (then four, ...) is kept, so it still spans the
 * whole run, at a coarser step, in bounded memory (12 bytes an entry). */
void profile_set_timeline_cap(struct profile *p, size_t cap);

/*
 * Count one sample of `weight` (in the profile's unit; 1 for samples): a
 * thread and its frames, innermost first, as the walker gives them.  Strings are copied into the profile; a frame whose pointers were
 * seen before is found by those pointers without looking at the text, so they
 * must not be freed and reused for other text while the profile is fed (the
 * target's strtab guarantees this until detach; call profile_forget_pointers()
 * before feeding the same profile from another attach).  Timestamps should
 * not go backwards: the timeline stores deltas, and an earlier timestamp is
 * recorded as the latest one seen.  Returns 0 or
 * -PS_ENOMEM (the sample is then not counted; the profile stays consistent).
 */
int profile_add(struct profile *p, uint64_t thread_id, pid_t os_tid, const char *thread_name,
		const struct py_frame *frames, size_t nframes, uint64_t weight, uint64_t timestamp_us);
void profile_forget_pointers(struct profile *p);

/* Add every count and weight (and the timeline) of `from` into `into`; ticks,
 * errors and torn add up, the time span becomes the union.  Weights in
 * different units do not add: -PS_EARG then, unless `into` is still empty
 * (it takes from's unit).  0, -PS_EARG or -PS_ENOMEM. */
int profile_merge(struct profile *into, const struct profile *from);

void profile_stats(const struct profile *p, struct profile_stats *st);
uint64_t profile_samples(const struct profile *p);   /* counted samples, all threads */
uint64_t profile_weight(const struct profile *p);    /* their weights, in the profile's unit */
/* "cpu_us" or "samples" (Lua's prof.unit), and for people: "µs of CPU", "samples". */
const char *profile_unit_name(enum prof_unit u);
const char *profile_unit_text(enum prof_unit u);

size_t profile_nframes(const struct profile *p);
const struct prof_frame *profile_frame(const struct profile *p, uint32_t id);
size_t profile_nthreads(const struct profile *p);
const struct prof_thread *profile_thread(const struct profile *p, uint32_t idx);
/* The frame ids of a stack (a trie node), root first, into buf[0..cap);
 * returns the depth (which may exceed cap: then only cap ids were written). */
size_t profile_stack_frames(const struct profile *p, uint32_t stack, uint32_t *buf, size_t cap);

/* Iterate (thread, stack, count, weight) in the order first seen. */
struct prof_stack {
	uint32_t thread;           /* index for profile_thread() */
	uint32_t stack;            /* trie node, as in the timeline */
	const uint32_t *frames;    /* frame ids, root → leaf; valid until the next call */
	size_t nframes;
	uint64_t count;            /* samples */
	uint64_t weight;           /* their weights */
};
struct prof_iter {
	const struct profile *p;
	size_t pos;
	uint32_t *buf;
	size_t cap;
};
void prof_iter_init(struct prof_iter *it, const struct profile *p);
/* 1 and *out filled, 0 at the end, -PS_ENOMEM. */
int prof_iter_next(struct prof_iter *it, struct prof_stack *out);
void prof_iter_release(struct prof_iter *it);

/* --subprocesses: each thread's process, from the root frame of its stacks.
 * pid_of[t] and command_of[t] (the command line, the root frame's file) are
 * set for every thread that has such a root, and left as they are for the
 * others.  0, or -PS_ENOMEM (the arrays are then partly filled). */
int profile_thread_processes(const struct profile *p, pid_t *pid_of, const char **command_of);

/* The timeline, oldest first: absolute timestamps, thread index, stack node. */
struct prof_event {
	uint64_t ts_us;
	uint32_t thread;
	uint32_t stack;
};
struct prof_tl_iter {
	const struct profile *p;
	size_t pos;
	uint64_t ts;
};
void prof_tl_init(struct prof_tl_iter *it, const struct profile *p);
bool prof_tl_next(struct prof_tl_iter *it, struct prof_event *ev);

/* ---- reports ---- */

enum prof_by { PROF_BY_FUNCTION, PROF_BY_LINE };

struct prof_row {
	const char *qualname, *function, *file;
	int line;                  /* 0 by function */
	uint64_t own;              /* weight of the samples where it is the innermost frame */
	uint64_t total;            /* weight of the samples where it appears (recursion once) */
	uint64_t own_samples, total_samples;   /* the same, counting samples */
	pid_t pid;                 /* profile_top_processes(): the process; else 0 */
};
/* Rows sorted by own, then total, descending; *rows is malloc'd (caller
 * frees), NULL when *n is 0.  0 or -PS_ENOMEM. */
int profile_top(const struct profile *p, enum prof_by by, struct prof_row **rows, size_t *n);
/* The same with one row per (process, key): a profile taken with
 * --subprocesses, whose stacks are rooted at process frames. */
int profile_top_processes(const struct profile *p, enum prof_by by, struct prof_row **rows, size_t *n);

/* Two frames are the same at a granularity: by line, the frame id itself; by
 * function, the first frame id seen with that (qualname, file, function). */
uint32_t profile_frame_key(const struct profile *p, enum prof_by by, uint32_t id);

/*
 * A call tree merged at a granularity.  Node 0 is the root ("all"); with
 * by_thread its children are one node per thread (frame PROF_NONE, thread
 * set), then frames (with --subprocesses: one node per process root frame,
 * then its threads, then frames).  Children are linked first_child/next_sibling and, after
 * prof_tree_sort(), ordered by label.  total = self + the children's totals.
 */
struct prof_node {
	uint32_t frame;            /* a key frame id, or PROF_NONE for the root and thread nodes */
	uint32_t thread;           /* thread nodes: the thread index; else PROF_NONE */
	uint32_t parent, first_child, next_sibling;
	uint32_t depth;            /* root 0 */
	uint64_t self, total;      /* weights */
};
struct prof_tree {
	struct prof_node *nodes;
	size_t n;
	uint32_t max_depth;
	enum prof_by by;
};
int profile_tree(const struct profile *p, enum prof_by by, bool by_thread, struct prof_tree *t);
/* With --subprocesses, profile_tree(by_thread) puts each thread node under its
 * process's root frame; this one keeps every thread node a child of the root
 * (the process frame then under it), for formats with one profile per thread. */
int profile_tree_threads(const struct profile *p, enum prof_by by, struct prof_tree *t);
/* Order every node's children alphabetically by label (as profile_label gives). */
int prof_tree_sort(const struct profile *p, struct prof_tree *t);
void prof_tree_release(struct prof_tree *t);
/* The node after n in depth-first order (children in list order), PROF_NONE at the end. */
uint32_t prof_tree_next(const struct prof_tree *t, uint32_t n);
/* A node's label into sb (reset first): "all", a thread label, or profile_label(). */
void prof_node_label(const struct profile *p, const struct prof_tree *t, uint32_t node,
		     struct strbuf *sb);

/* "qualname (file:line)" by line, "qualname (file)" by function (the line is
 * left out when unknown), written into buf (always NUL-terminated); returns
 * the length it needed, like snprintf. */
size_t profile_label(const struct profile *p, uint32_t frame, enum prof_by by, char *buf, size_t cap);
/* "thread NAME (tid)"; "thread 0x7f.. (tid)" when the name is unknown. */
size_t profile_thread_label(const struct profile *p, uint32_t thread, char *buf, size_t cap);

/* ---- sampling into a profile (profile_sample.c) ---- */

struct sampler_opts;
struct sampler_stats;
/*
 * Run the sampler on t and count every sample in p, filling p's metadata
 * (pid, command line, Python version, start; duration, ticks, errors and torn
 * add up).  o->emit, if set, sees each sample after it is counted (non-zero
 * stops, the sample stays counted); o->progress as for sampler_run().
 * Returns what sampler_run() returns.
 */
int profile_sample(struct target *t, const struct sampler_opts *o, struct profile *p,
		   struct sampler_stats *st, struct pyspy_err *e);

#endif
