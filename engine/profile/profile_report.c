/*
 * profile_report.c — what reports are made of: top rows, the merged call tree,
 * and the labels every exporter prints.
 *
 * These read the store only through profile.h.  Both the top table and the
 * tree work at a granularity: by line a frame id is its own key, by function
 * every frame of one (qualname, file, function) shares the key of the first
 * one seen (profile_frame_key), so "one row per function" is an array lookup.
 *
 * Rows and tree nodes add up weights (µs of CPU, or samples: see enum
 * prof_unit); rows count samples too.  "total" counts a sample once per key even when the key appears several
 * times in its stack (recursion): a per-row stamp remembers the last stack
 * that counted it.  The tree needs no such care: recursion is nesting there.
 */
#include "profile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- labels ---- */

size_t profile_label(const struct profile *p, uint32_t frame, enum prof_by by, char *buf, size_t cap)
{
	const struct prof_frame *f = profile_frame(p, frame);
	int n;
	if (!f)
		n = snprintf(buf, cap, "???");
	else if (by == PROF_BY_LINE && f->line >= 0)
		n = snprintf(buf, cap, "%s (%s:%d)", f->qualname, f->file, f->line);
	else
		n = snprintf(buf, cap, "%s (%s)", f->qualname, f->file);
	return n < 0 ? 0 : (size_t)n;
}

/* The name ("0x7f.." when unknown) and the id in brackets (kernel tid, else ident). */
static void thread_parts(const struct prof_thread *t, char *name, size_t ncap, char *id, size_t icap)
{
	if (t->name)
		snprintf(name, ncap, "%s", t->name);
	else
		snprintf(name, ncap, "0x%" PRIx64, t->thread_id);
	if (t->os_tid)
		snprintf(id, icap, "%d", (int)t->os_tid);
	else
		snprintf(id, icap, "0x%" PRIx64, t->thread_id);
}

size_t profile_thread_label(const struct profile *p, uint32_t thread, char *buf, size_t cap)
{
	const struct prof_thread *t = profile_thread(p, thread);
	char id[32], hex[32];
	if (!t)
		return (size_t)snprintf(buf, cap, "thread ?");
	thread_parts(t, hex, sizeof(hex), id, sizeof(id));
	int n = snprintf(buf, cap, "thread %s (%s)", t->name ? t->name : hex, id);
	return n < 0 ? 0 : (size_t)n;
}

/* ---- top ---- */

static int row_cmp(const void *a, const void *b)
{
	const struct prof_row *x = a, *y = b;
	if (x->own != y->own)
		return x->own > y->own ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	int c = strcmp(x->qualname, y->qualname);
	if (c)
		return c;
	if ((c = strcmp(x->file, y->file)))
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

bool profile_frame_is_process(const struct prof_frame *f)
{
	return f && f->function && !strcmp(f->function, "<process>");
}

int profile_thread_processes(const struct profile *p, pid_t *pid_of, const char **command_of)
{
	struct prof_iter it;
	struct prof_stack st;
	int rc;
	prof_iter_init(&it, p);
	while ((rc = prof_iter_next(&it, &st)) > 0) {
		const struct prof_frame *fr = st.nframes ? profile_frame(p, st.frames[0]) : NULL;
		if (!profile_frame_is_process(fr))
			continue;
		pid_t pid = (pid_t)atoi(fr->qualname + strcspn(fr->qualname, "0123456789"));
		if (pid <= 0)
			continue;
		pid_of[st.thread] = pid;
		command_of[st.thread] = fr->file;
	}
	prof_iter_release(&it);
	return rc < 0 ? -PS_ENOMEM : 0;
}

/* One row per key; row_of maps every frame id to its key's row (PROF_NONE
 * for process frames: they are a column, not rows). */
static size_t make_rows(const struct profile *p, enum prof_by by, struct prof_row *rows,
			uint32_t *row_of)
{
	size_t nrows = 0, nf = profile_nframes(p);
	for (uint32_t id = 0; id < nf; id++) {
		uint32_t k = profile_frame_key(p, by, id);
		const struct prof_frame *f = profile_frame(p, id);
		if (profile_frame_is_process(f)) {
			row_of[id] = PROF_NONE;
		} else if (k == id) {
			rows[nrows] = (struct prof_row){ f->qualname, f->function, f->file,
							 by == PROF_BY_LINE ? f->line : 0, 0, 0, 0, 0, 0 };
			row_of[id] = (uint32_t)nrows++;
		} else {
			row_of[id] = row_of[k];   /* k < id: the key frame came first */
		}
	}
	return nrows;
}

/* Rows are nrows keys times np processes: row (r, q) is rows[r * np + q]. */
static void count_rows(const struct prof_stack *s, uint64_t stamp, struct prof_row *rows,
		       const uint32_t *row_of, uint64_t *seen, const uint32_t *proc_of, size_t np)
{
	size_t q = 0;
	if (np > 1 && s->nframes && proc_of[s->frames[0]] != PROF_NONE)
		q = proc_of[s->frames[0]];
	for (size_t i = 0; i < s->nframes; i++) {
		if (row_of[s->frames[i]] == PROF_NONE)
			continue;
		size_t r = row_of[s->frames[i]] * np + q;
		if (seen[r] != stamp) {
			seen[r] = stamp;
			rows[r].total += s->weight;
			rows[r].total_samples += s->count;
		}
	}
	if (s->nframes && row_of[s->frames[s->nframes - 1]] != PROF_NONE) {
		struct prof_row *leaf = &rows[row_of[s->frames[s->nframes - 1]] * np + q];
		leaf->own += s->weight;
		leaf->own_samples += s->count;
	}
}

/* Drop rows no sample reached, sort the rest. */
static size_t finish_rows(struct prof_row *rows, size_t nrows)
{
	size_t n = 0;
	for (size_t i = 0; i < nrows; i++)
		if (rows[i].total_samples)
			rows[n++] = rows[i];
	qsort(rows, n, sizeof(*rows), row_cmp);
	return n;
}

/* Each process frame's column (PROF_NONE for other frames) and the pids; the count. */
static size_t number_processes(const struct profile *p, uint32_t *proc_of, pid_t *pids)
{
	size_t np = 0, nf = profile_nframes(p);
	for (uint32_t id = 0; id < nf; id++) {
		const struct prof_frame *f = profile_frame(p, id);
		proc_of[id] = PROF_NONE;
		if (profile_frame_is_process(f)) {
			pids[np] = (pid_t)atoi(f->qualname + strcspn(f->qualname, "0123456789"));
			proc_of[id] = (uint32_t)np++;
		}
	}
	return np;
}

static int top(const struct profile *p, enum prof_by by, bool per_process, struct prof_row **rows, size_t *n)
{
	size_t nf = profile_nframes(p), np = 1;
	struct prof_row *r = malloc((nf + 1) * sizeof(*r)), *big = NULL;
	uint32_t *row_of = malloc((nf + 1) * sizeof(*row_of));
	uint32_t *proc_of = malloc((nf + 1) * sizeof(*proc_of));
	pid_t *pids = malloc((nf + 1) * sizeof(*pids));
	uint64_t *seen = NULL;
	struct prof_iter it;
	struct prof_stack s;
	int rc = -PS_ENOMEM;

	*rows = NULL;
	*n = 0;
	prof_iter_init(&it, p);
	if (!r || !row_of || !proc_of || !pids)
		goto out;
	size_t nrows = make_rows(p, by, r, row_of);
	if (per_process) {
		size_t k = number_processes(p, proc_of, pids);
		np = k ? k : 1;
		if (!(big = malloc((nrows * np + 1) * sizeof(*big))))
			goto out;
		for (size_t i = 0; i < nrows; i++)
			for (size_t q = 0; q < np; q++) {
				big[i * np + q] = r[i];
				big[i * np + q].pid = k ? pids[q] : 0;
			}
		free(r);
		r = big;
		nrows *= np;
	}
	if (!(seen = calloc(nrows + 1, sizeof(*seen))))
		goto out;
	for (uint64_t stamp = 1; (rc = prof_iter_next(&it, &s)) > 0; stamp++)
		count_rows(&s, stamp, r, row_of, seen, proc_of, np);
	if (rc < 0)
		goto out;
	*n = finish_rows(r, nrows);
	if (*n) {
		*rows = r;
		r = NULL;
	}
out:
	prof_iter_release(&it);
	free(seen);
	free(pids);
	free(proc_of);
	free(row_of);
	free(r);
	return rc;
}

int profile_top(const struct profile *p, enum prof_by by, struct prof_row **rows, size_t *n)
{
	return top(p, by, false, rows, n);
}

int profile_top_processes(const struct profile *p, enum prof_by by, struct prof_row **rows, size_t *n)
{
	return top(p, by, true, rows, n);
}

/* ---- the merged tree ---- */

struct tbuild {
	struct prof_tree *t;
	size_t cap;
	uint32_t *slots;           /* (parent, frame) → node */
	size_t scap;
	uint32_t *thread_node;     /* thread index → its node, by_thread only */
	bool threads_top;          /* thread nodes under the root even above process frames */
};

static uint64_t tb_hash(uint32_t parent, uint32_t frame)
{
	uint64_t x = ((uint64_t)parent << 32 | frame) * 0x9e3779b97f4a7c15ull;
	return x ^ (x >> 29);
}

static void tb_place(struct tbuild *b, uint32_t i)
{
	const struct prof_node *n = &b->t->nodes[i];
	size_t j = tb_hash(n->parent, n->frame) & (b->scap - 1);
	while (b->slots[j] != PROF_NONE)
		j = (j + 1) & (b->scap - 1);
	b->slots[j] = i;
}

static int tb_grow(struct tbuild *b)
{
	if (b->t->n + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 256;
		struct prof_node *nn = realloc(b->t->nodes, ncap * sizeof(*nn));
		if (!nn)
			return -PS_ENOMEM;
		b->t->nodes = nn;
		b->cap = ncap;
	}
	if ((b->t->n + 1) * 2 > b->scap) {
		size_t ncap = b->scap ? b->scap * 2 : 512;
		uint32_t *ns = malloc(ncap * sizeof(*ns));
		if (!ns)
			return -PS_ENOMEM;
		memset(ns, 0xff, ncap * sizeof(*ns));
		free(b->slots);
		b->slots = ns;
		b->scap = ncap;
		for (uint32_t i = 1; i < b->t->n; i++)
			if (b->t->nodes[i].frame != PROF_NONE)
				tb_place(b, i);
	}
	return 0;
}

static uint32_t tb_new(struct tbuild *b, uint32_t parent, uint32_t frame, uint32_t thread)
{
	if (tb_grow(b) < 0)
		return PROF_NONE;
	struct prof_tree *t = b->t;
	uint32_t i = (uint32_t)t->n++;
	struct prof_node *par = parent == PROF_NONE ? NULL : &t->nodes[parent];
	t->nodes[i] = (struct prof_node){ frame, thread, parent, PROF_NONE,
					  par ? par->first_child : PROF_NONE,
					  par ? par->depth + 1 : 0, 0, 0 };
	if (par)
		par->first_child = i;
	if (t->nodes[i].depth > t->max_depth)
		t->max_depth = t->nodes[i].depth;
	if (frame != PROF_NONE)
		tb_place(b, i);
	return i;
}

static uint32_t tb_child(struct tbuild *b, uint32_t parent, uint32_t frame)
{
	if (b->scap) {
		size_t mask = b->scap - 1;
		for (size_t j = tb_hash(parent, frame) & mask; b->slots[j] != PROF_NONE;
		     j = (j + 1) & mask) {
			const struct prof_node *n = &b->t->nodes[b->slots[j]];
			if (n->parent == parent && n->frame == frame)
				return b->slots[j];
		}
	}
	return tb_new(b, parent, frame, PROF_NONE);
}

static int tb_add(struct tbuild *b, const struct profile *p, const struct prof_stack *s)
{
	uint32_t node = 0;
	size_t i = 0;
	if (b->thread_node) {
		/* --subprocesses: a thread is a child of its process's root frame */
		if (!b->threads_top && s->nframes && profile_frame_is_process(profile_frame(p, s->frames[0]))) {
			if ((node = tb_child(b, 0, profile_frame_key(p, b->t->by, s->frames[0]))) == PROF_NONE)
				return -PS_ENOMEM;
			i = 1;
		}
		if (b->thread_node[s->thread] == PROF_NONE)
			b->thread_node[s->thread] = tb_new(b, node, PROF_NONE, s->thread);
		node = b->thread_node[s->thread];
		if (node == PROF_NONE)
			return -PS_ENOMEM;
	}
	for (; i < s->nframes; i++) {
		node = tb_child(b, node, profile_frame_key(p, b->t->by, s->frames[i]));
		if (node == PROF_NONE)
			return -PS_ENOMEM;
	}
	b->t->nodes[node].self += s->weight;
	for (; node != PROF_NONE; node = b->t->nodes[node].parent)
		b->t->nodes[node].total += s->weight;
	return 0;
}

static int tree(const struct profile *p, enum prof_by by, bool by_thread, bool threads_top, struct prof_tree *t)
{
	struct tbuild b = { .t = t, .threads_top = threads_top };
	struct prof_iter it;
	struct prof_stack s;
	size_t nt = profile_nthreads(p);
	int rc = -PS_ENOMEM;

	memset(t, 0, sizeof(*t));
	t->by = by;
	prof_iter_init(&it, p);
	if (by_thread) {
		if (!(b.thread_node = malloc((nt + 1) * sizeof(uint32_t))))
			goto out;
		memset(b.thread_node, 0xff, (nt + 1) * sizeof(uint32_t));
	}
	if (tb_new(&b, PROF_NONE, PROF_NONE, PROF_NONE) == PROF_NONE)
		goto out;
	while ((rc = prof_iter_next(&it, &s)) > 0)
		if ((rc = tb_add(&b, p, &s)) < 0)
			break;
out:
	if (rc < 0)
		prof_tree_release(t);
	prof_iter_release(&it);
	free(b.slots);
	free(b.thread_node);
	return rc < 0 ? rc : 0;
}

int profile_tree(const struct profile *p, enum prof_by by, bool by_thread, struct prof_tree *t)
{
	return tree(p, by, by_thread, false, t);
}

int profile_tree_threads(const struct profile *p, enum prof_by by, struct prof_tree *t)
{
	return tree(p, by, true, true, t);
}

void prof_tree_release(struct prof_tree *t)
{
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

/* ---- ordering children by label ---- */

struct sortkey {
	uint32_t node;
	const char *a, *b;
	long c;
};

static int sortkey_cmp(const void *x, const void *y)
{
	const struct sortkey *p = x, *q = y;
	int r = strcmp(p->a, q->a);
	if (!r)
		r = strcmp(p->b, q->b);
	return r ? r : (p->c > q->c) - (p->c < q->c);
}

static struct sortkey key_of(const struct profile *p, const struct prof_tree *t, uint32_t i)
{
	const struct prof_node *n = &t->nodes[i];
	if (n->frame == PROF_NONE) {
		const struct prof_thread *th = profile_thread(p, n->thread);
		return (struct sortkey){ i, th && th->name ? th->name : "", "",
					 th ? (long)th->os_tid : 0 };
	}
	const struct prof_frame *f = profile_frame(p, n->frame);
	return (struct sortkey){ i, f->qualname, f->file, t->by == PROF_BY_LINE ? f->line : 0 };
}

static void sort_children(const struct profile *p, struct prof_tree *t, uint32_t parent,
			  struct sortkey *keys)
{
	size_t k = 0;
	for (uint32_t c = t->nodes[parent].first_child; c != PROF_NONE; c = t->nodes[c].next_sibling)
		keys[k++] = key_of(p, t, c);
	if (k < 2)
		return;
	qsort(keys, k, sizeof(*keys), sortkey_cmp);
	t->nodes[parent].first_child = keys[0].node;
	for (size_t i = 0; i + 1 < k; i++)
		t->nodes[keys[i].node].next_sibling = keys[i + 1].node;
	t->nodes[keys[k - 1].node].next_sibling = PROF_NONE;
}

int prof_tree_sort(const struct profile *p, struct prof_tree *t)
{
	struct sortkey *keys = malloc((t->n + 1) * sizeof(*keys));
	if (!keys)
		return -PS_ENOMEM;
	for (uint32_t i = 0; i < t->n; i++)
		sort_children(p, t, i, keys);
	free(keys);
	return 0;
}

uint32_t prof_tree_next(const struct prof_tree *t, uint32_t n)
{
	if (t->nodes[n].first_child != PROF_NONE)
		return t->nodes[n].first_child;
	for (; n != 0 && n != PROF_NONE; n = t->nodes[n].parent)
		if (t->nodes[n].next_sibling != PROF_NONE)
			return t->nodes[n].next_sibling;
	return PROF_NONE;
}

void prof_node_label(const struct profile *p, const struct prof_tree *t, uint32_t node,
		     struct strbuf *sb)
{
	const struct prof_node *n = &t->nodes[node];
	strbuf_reset(sb);
	if (node == 0) {
		strbuf_addstr(sb, "all");
	} else if (n->frame == PROF_NONE) {
		const struct prof_thread *th = profile_thread(p, n->thread);
		char id[32], hex[32];
		if (th) {
			thread_parts(th, hex, sizeof(hex), id, sizeof(id));
			strbuf_addf(sb, "thread %s (%s)", th->name ? th->name : hex, id);
		}
	} else {
		const struct prof_frame *f = profile_frame(p, n->frame);
		if (t->by == PROF_BY_LINE && f->line >= 0)
			strbuf_addf(sb, "%s (%s:%d)", f->qualname, f->file, f->line);
		else
			strbuf_addf(sb, "%s (%s)", f->qualname, f->file);
	}
}
