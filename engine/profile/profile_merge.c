/*
 * profile_merge.c — adding one profile into another (Lua's :merge, and
 * repeated `sample` runs): frames are re-interned, the trie rebuilt node by
 * node through the target's own interning, counts added, and the two
 * timelines interleaved by time.
 */
#include <stdlib.h>
#include <string.h>

#include "profile_impl.h"

/* ---- merge ---- */

static int merge_frames(struct profile *into, const struct profile *from, uint32_t *fmap)
{
	for (size_t i = 0; i < from->nframes; i++) {
		const struct prof_frame *f = &from->frames[i];
		fmap[i] = profile_frame_canonical(into, f->qualname, f->file, f->function, f->line);
		if (fmap[i] == PROF_NONE)
			return -PS_ENOMEM;
		if (!into->frames[fmap[i]].first_line)
			into->frames[fmap[i]].first_line = f->first_line;
	}
	return 0;
}

static int merge_nodes(struct profile *into, const struct profile *from, const uint32_t *fmap,
		       uint32_t *nmap)
{
	nmap[0] = 0;
	/* A node is always created after its parent, so parents are mapped first. */
	for (size_t i = 1; i < from->nnodes; i++) {
		const struct pnode *n = &from->nodes[i];
		nmap[i] = profile_child(into, nmap[n->parent], fmap[n->frame]);
		if (nmap[i] == PROF_NONE)
			return -PS_ENOMEM;
	}
	return 0;
}

static int merge_counts(struct profile *into, const struct profile *from, uint32_t *tmap,
			const uint32_t *nmap)
{
	for (size_t i = 0; i < from->nthreads; i++) {
		const struct prof_thread *t = &from->threads[i];
		tmap[i] = profile_thread_find(into, t->thread_id, t->os_tid, t->name);
		if (tmap[i] == PROF_NONE)
			return -PS_ENOMEM;
		into->threads[tmap[i]].samples += t->samples;
		into->threads[tmap[i]].weight += t->weight;
	}
	for (size_t i = 0; i < from->nleaves; i++) {
		const struct leaf *l = &from->leaves[i];
		uint32_t k = profile_leaf(into, tmap[l->thread], nmap[l->node]);
		if (k == PROF_NONE)
			return -PS_ENOMEM;
		into->leaves[k].count += l->count;
		into->leaves[k].weight += l->weight;
	}
	into->samples += from->samples;
	into->weight += from->weight;
	return 0;
}

/* Interleave the two timelines by time into a new one. */
static void merge_timeline(struct profile *into, const struct profile *from, const uint32_t *tmap,
			   const uint32_t *nmap)
{
	struct timeline nt = { 0 };
	size_t ia = 0, ib = 0;
	uint64_t ta = into->tl.first, tb = from->tl.first;
	struct prof_event a = { 0 }, b = { 0 };
	bool ha = profile_tl_step(&into->tl, &ia, &ta, &a), hb = profile_tl_step(&from->tl, &ib, &tb, &b);

	while (ha || hb) {
		if (ha && (!hb || a.ts_us <= b.ts_us)) {
			profile_tl_push(into, &nt, a.ts_us, a.thread, a.stack);
			ha = profile_tl_step(&into->tl, &ia, &ta, &a);
		} else {
			profile_tl_push(into, &nt, b.ts_us, tmap[b.thread], nmap[b.stack]);
			hb = profile_tl_step(&from->tl, &ib, &tb, &b);
		}
	}
	nt.dropped += into->tl.dropped + from->tl.dropped;
	/* thinned timelines stay as thin as the thinnest of them */
	if (into->tl.stride > nt.stride)
		nt.stride = into->tl.stride;
	if (from->tl.stride > nt.stride)
		nt.stride = from->tl.stride;
	profile_tl_release(&into->tl);
	into->tl = nt;
}

static void merge_meta(struct profile_meta *m, const struct profile_meta *f)
{
	if (f->start_us && !m->start_us) {
		m->start_us = f->start_us;
		m->duration_us = f->duration_us;
	} else if (f->start_us) {
		uint64_t start = m->start_us < f->start_us ? m->start_us : f->start_us;
		uint64_t end = m->start_us + m->duration_us, fend = f->start_us + f->duration_us;
		m->start_us = start;
		m->duration_us = (end > fend ? end : fend) - start;
	}
	m->ticks += f->ticks;
	m->errors += f->errors;
	m->torn += f->torn;
}

int profile_merge(struct profile *into, const struct profile *from)
{
	if (into == from)
		return -PS_EARG;
	/* µs of CPU and sample counts do not add up; an empty profile takes either */
	if (into->samples == 0 && into->nleaves == 0) {
		into->meta.unit = from->meta.unit;
		into->meta.no_schedstat = from->meta.no_schedstat;
		if (!into->meta.mode[0])
			memcpy(into->meta.mode, from->meta.mode, sizeof(into->meta.mode));
	} else if (from->samples && into->meta.unit != from->meta.unit) {
		return -PS_EARG;
	}
	uint32_t *fmap = malloc((from->nframes + 1) * sizeof(*fmap));
	uint32_t *nmap = malloc(from->nnodes * sizeof(*nmap));
	uint32_t *tmap = malloc((from->nthreads + 1) * sizeof(*tmap));
	int rc = -PS_ENOMEM;

	if (!fmap || !nmap || !tmap)
		goto out;
	if ((rc = merge_frames(into, from, fmap)) < 0 ||
	    (rc = merge_nodes(into, from, fmap, nmap)) < 0 ||
	    (rc = merge_counts(into, from, tmap, nmap)) < 0)
		goto out;
	merge_timeline(into, from, tmap, nmap);
	merge_meta(&into->meta, &from->meta);
out:
	free(tmap);
	free(nmap);
	free(fmap);
	return rc;
}
