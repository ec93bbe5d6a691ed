/*
 * profile_read.c — reading a profile store: totals, frames, threads, stacks
 * and the timeline, for reports and exporters.  Writing (interning, the
 * trie, counting) is profile.c's; both share profile_impl.h.
 */
#include "profile.h"

#include <stdlib.h>
#include <string.h>

#include "profile_impl.h"

/* ---- reading ---- */

uint64_t profile_samples(const struct profile *p)
{
	return p->samples;
}

uint64_t profile_weight(const struct profile *p)
{
	return p->weight;
}

const char *profile_unit_name(enum prof_unit u)
{
	return u == PROF_UNIT_CPU_US ? "cpu_us" : "samples";
}

const char *profile_unit_text(enum prof_unit u)
{
	return u == PROF_UNIT_CPU_US ? "\xc2\xb5s of CPU" : "samples";
}

void profile_stats(const struct profile *p, struct profile_stats *st)
{
	st->frames = p->nframes;
	st->nodes = p->nnodes;
	st->stacks = p->nleaves;
	st->threads = p->nthreads;
	st->samples = p->samples;
	st->weight = p->weight;
	st->timeline = p->tl.n;
	st->timeline_dropped = p->tl.dropped;
	st->timeline_stride = p->tl.stride > 1 ? p->tl.stride : 1;
	st->allocs = p->allocs + p->node_index.allocs + p->leaf_index.allocs;
	st->bytes = sizeof(*p) + p->frames_cap * sizeof(*p->frames) +
		    (p->cache.cap + p->index.cap) * sizeof(struct fkey) +
		    p->nodes_cap * sizeof(*p->nodes) + p->node_index.cap * sizeof(uint32_t) +
		    p->leaves_cap * sizeof(*p->leaves) + p->leaf_index.cap * sizeof(uint32_t) +
		    p->threads_cap * sizeof(*p->threads) + p->strs.cap * sizeof(char *) +
		    p->tl.nchunks * TL_CHUNK * sizeof(struct tl_ent);
}

size_t profile_nframes(const struct profile *p)
{
	return p->nframes;
}

const struct prof_frame *profile_frame(const struct profile *p, uint32_t id)
{
	return id < p->nframes ? &p->frames[id] : NULL;
}

uint32_t profile_frame_key(const struct profile *p, enum prof_by by, uint32_t id)
{
	if (id >= p->nframes)
		return PROF_NONE;
	return by == PROF_BY_LINE ? id : p->func_of[id];
}

size_t profile_nthreads(const struct profile *p)
{
	return p->nthreads;
}

const struct prof_thread *profile_thread(const struct profile *p, uint32_t idx)
{
	return idx < p->nthreads ? &p->threads[idx] : NULL;
}

size_t profile_stack_frames(const struct profile *p, uint32_t stack, uint32_t *buf, size_t cap)
{
	if (stack >= p->nnodes)
		return 0;
	size_t depth = p->nodes[stack].depth;
	for (size_t d = depth; d-- > 0; stack = p->nodes[stack].parent)
		if (d < cap)
			buf[d] = p->nodes[stack].frame;
	return depth;
}

void prof_iter_init(struct prof_iter *it, const struct profile *p)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
}

int prof_iter_next(struct prof_iter *it, struct prof_stack *out)
{
	const struct profile *p = it->p;
	if (it->pos >= p->nleaves)
		return 0;
	if (it->cap < (size_t)p->max_depth + 1) {
		uint32_t *nb = realloc(it->buf, ((size_t)p->max_depth + 1) * sizeof(*nb));
		if (!nb)
			return -PS_ENOMEM;
		it->buf = nb;
		it->cap = (size_t)p->max_depth + 1;
	}
	const struct leaf *l = &p->leaves[it->pos++];
	out->thread = l->thread;
	out->stack = l->node;
	out->count = l->count;
	out->weight = l->weight;
	out->frames = it->buf;
	out->nframes = profile_stack_frames(p, l->node, it->buf, it->cap);
	return 1;
}

void prof_iter_release(struct prof_iter *it)
{
	free(it->buf);
	memset(it, 0, sizeof(*it));
}

void prof_tl_init(struct prof_tl_iter *it, const struct profile *p)
{
	it->p = p;
	it->pos = 0;
	it->ts = p->tl.first;
}

bool profile_tl_step(const struct timeline *tl, size_t *pos, uint64_t *ts, struct prof_event *ev)
{
	if (*pos >= tl->n)
		return false;
	const struct tl_ent *e = profile_tl_at(tl, (*pos)++);
	*ts += e->dt;
	*ev = (struct prof_event){ *ts, e->thread, e->node };
	return true;
}

bool prof_tl_next(struct prof_tl_iter *it, struct prof_event *ev)
{
	return profile_tl_step(&it->p->tl, &it->pos, &it->ts, ev);
}
