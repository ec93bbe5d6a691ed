/*
 * cpu_spread.c — see cpu_spread.h.  A growable open-addressing table from
 * kernel tid to a small ring of stacks; frame arrays are kept and reused.
 */
#include "cpu_spread.h"

#include <stdlib.h>
#include <string.h>

struct held {
	uint64_t ts_us;
	struct py_frame *frames;
	size_t n, cap;
};

struct spread_thread {
	pid_t tid;                 /* 0: free slot */
	int first, count;          /* `count` stacks from `first` (a ring until full) */
	int used;                  /* held a stack since the last sweep */
	uint64_t seen;             /* stacks offered since the last credit */
	struct held h[CPU_SPREAD_MAX];
};

static size_t slot_of(pid_t tid, size_t cap)
{
	return ((size_t)(uint32_t)tid * 2654435761u) & (cap - 1);
}

static struct spread_thread *find(struct cpu_spread *c, pid_t tid, int add)
{
	if (add && (c->n + 1) * 2 > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 16;
		struct spread_thread *nv = calloc(ncap, sizeof(*nv));
		if (!nv)
			return NULL;
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->v[i].tid)
				continue;
			size_t j = slot_of(c->v[i].tid, ncap);
			while (nv[j].tid)
				j = (j + 1) & (ncap - 1);
			nv[j] = c->v[i];
		}
		free(c->v);
		c->v = nv;
		c->cap = ncap;
	}
	if (!c->cap)
		return NULL;
	size_t j = slot_of(tid, c->cap);
	for (; c->v[j].tid; j = (j + 1) & (c->cap - 1))
		if (c->v[j].tid == tid)
			return &c->v[j];
	if (!add)
		return NULL;
	memset(&c->v[j], 0, sizeof(c->v[j]));
	c->v[j].tid = tid;
	c->n++;
	return &c->v[j];
}

int cpu_spread_hold(struct cpu_spread *c, const struct py_thread *th, uint64_t ts_us)
{
	if (!c->rng)
		c->rng = 0x9e3779b97f4a7c15ull;
	struct spread_thread *s = find(c, th->os_tid, 1);
	if (!s)
		return -1;
	s->used = 1;
	s->seen++;
	struct held *h;
	if (s->count < CPU_SPREAD_MAX) {
		h = &s->h[(s->first + s->count) % CPU_SPREAD_MAX];
		s->count++;
	} else {
		/* full (a high rate, or a long wait for credit): keep a uniform
		 * sample of the window's stacks (reservoir sampling), not its end */
		c->rng ^= c->rng << 13;
		c->rng ^= c->rng >> 7;
		c->rng ^= c->rng << 17;
		uint64_t j = c->rng % s->seen;
		if (j >= CPU_SPREAD_MAX)
			return 0;
		h = &s->h[(s->first + j) % CPU_SPREAD_MAX];
	}
	if (th->nframes > h->cap) {
		struct py_frame *nf = realloc(h->frames, th->nframes * sizeof(*nf));
		if (!nf)
			return -1;
		h->frames = nf;
		h->cap = th->nframes;
	}
	if (th->nframes)
		memcpy(h->frames, th->frames, th->nframes * sizeof(*h->frames));
	h->n = th->nframes;
	h->ts_us = ts_us;
	return 0;
}

int cpu_spread_release_to(struct cpu_spread *c, pid_t tid, uint64_t weight, cpu_spread_visit_fn visit,
			  void *ctx)
{
	struct spread_thread *s = find(c, tid, 0);
	if (!s || !s->count)
		return 0;
	uint64_t each = weight / (uint64_t)s->count, left = weight;
	int rc = 0;
	for (int k = 0; k < s->count && !rc; k++) {
		const struct held *h = &s->h[(s->first + k) % CPU_SPREAD_MAX];
		uint64_t w = k == s->count - 1 ? left : each;
		left -= w;
		if (w)
			rc = visit(ctx, h->frames, h->n, h->ts_us, w);
	}
	s->first = 0;
	s->count = 0;
	s->seen = 0;
	return rc;
}

void cpu_spread_sweep(struct cpu_spread *c)
{
	struct spread_thread *old = c->v;
	size_t oldcap = c->cap;
	c->v = NULL;
	c->cap = c->n = 0;
	for (size_t i = 0; i < oldcap; i++) {
		struct spread_thread *s = &old[i], *t;
		if (s->tid && s->used && (t = find(c, s->tid, 1)) != NULL) {
			*t = *s;
			t->used = 0;
			continue;
		}
		for (int k = 0; k < CPU_SPREAD_MAX; k++)
			free(s->h[k].frames);
	}
	free(old);
}

void cpu_spread_free(struct cpu_spread *c)
{
	for (size_t i = 0; i < c->cap; i++)
		for (int k = 0; k < CPU_SPREAD_MAX; k++)
			free(c->v[i].h[k].frames);
	free(c->v);
	memset(c, 0, sizeof(*c));
}
