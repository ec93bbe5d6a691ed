/*
 * profile.c — the profile store: frames, the stack trie, counts, the timeline.
 *
 * profile_add() is on the sampler's hot path, so everything it touches in the
 * steady state is an open-addressing table probed by integers or pointers:
 *
 *   caller's (qualname, file, function) pointers + line  → frame id   (cache)
 *   (parent node, frame id)                               → trie node
 *   (thread index, trie node)                             → count
 *
 * The cache sits in front of the real interning: on a miss the strings are
 * copied into the profile's own strtab and the frame is found (or created) by
 * the profile's own pointers, which are canonical, so two different caller
 * pointers with the same text still give one frame id.  A stack is a trie node;
 * its frames are the path to the root, so a stack costs one node per distinct
 * suffix and nothing per sample.  Tables grow at half load and never shrink.
 *
 * The timeline is the one part that grows with samples: 12 bytes per sample
 * (a µs delta from the previous entry, a thread index, a node) in fixed chunks
 * of 64K entries, up to a cap, after which samples are only counted as dropped.
 */
#include "profile.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "profile_impl.h"
#include "engine/python/code.h"
#include "engine/strtab.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t fkey_hash(const char *q, const char *f, const char *fn, int line)
{
	uint64_t h = (uintptr_t)q * 0x9e3779b97f4a7c15ull;
	h ^= (uintptr_t)f * 0xbf58476d1ce4e5b9ull;
	h ^= (uintptr_t)fn * 0x94d049bb133111ebull;
	return mix64(h ^ (uint32_t)line);
}

/* Grow *arr so it holds at least `need` elements of `size` bytes. */
static int grow_array(struct profile *p, void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap *= 2;
	void *n = realloc(*arr, ncap * size);
	if (!n)
		return -PS_ENOMEM;
	p->allocs++;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* ---- frame maps ---- */

static uint32_t fmap_find(const struct fmap *m, const char *q, const char *f, const char *fn,
			  int line)
{
	if (!m->cap)
		return PROF_NONE;
	size_t mask = m->cap - 1;
	for (size_t j = fkey_hash(q, f, fn, line) & mask;; j = (j + 1) & mask) {
		const struct fkey *k = &m->slots[j];
		if (k->id == PROF_NONE)
			return PROF_NONE;
		if (k->q == q && k->f == f && k->fn == fn && k->line == line)
			return k->id;
	}
}

static void fmap_place(struct fkey *slots, size_t cap, const struct fkey *k)
{
	size_t j = fkey_hash(k->q, k->f, k->fn, k->line) & (cap - 1);
	while (slots[j].id != PROF_NONE)
		j = (j + 1) & (cap - 1);
	slots[j] = *k;
}

static int fmap_put(struct profile *p, struct fmap *m, const struct fkey *k)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 256;
		struct fkey *ns = malloc(ncap * sizeof(*ns));
		if (!ns)
			return -PS_ENOMEM;
		p->allocs++;
		for (size_t i = 0; i < ncap; i++)
			ns[i].id = PROF_NONE;
		for (size_t i = 0; i < m->cap; i++)
			if (m->slots[i].id != PROF_NONE)
				fmap_place(ns, ncap, &m->slots[i]);
		free(m->slots);
		m->slots = ns;
		m->cap = ncap;
	}
	fmap_place(m->slots, m->cap, k);
	m->n++;
	return 0;
}

static void fmap_release(struct fmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- lifecycle ---- */

struct profile *profile_new(void)
{
	struct profile *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	strtab_init(&p->strs);
	p->tl_cap = PROF_TIMELINE_CAP_DEFAULT;
	if (grow_array(p, (void **)&p->nodes, &p->nodes_cap, 1, sizeof(*p->nodes)) < 0) {
		free(p);
		return NULL;
	}
	p->nodes[0] = (struct pnode){ PROF_NONE, PROF_NONE, 0 };
	p->nnodes = 1;
	return p;
}

void profile_tl_release(struct timeline *tl)
{
	for (size_t i = 0; i < tl->nchunks; i++)
		free(tl->chunks[i]);
	free(tl->chunks);
	memset(tl, 0, sizeof(*tl));
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	profile_tl_release(&p->tl);
	fmap_release(&p->cache);
	fmap_release(&p->index);
	free(p->frames);
	free(p->func_of);
	free(p->nodes);
	pair_index_release(&p->node_index);
	free(p->leaves);
	pair_index_release(&p->leaf_index);
	free(p->threads);
	for (size_t i = 0; i < p->paths_cap; i++)
		free(p->paths[i].keys);
	free(p->paths);
	strtab_release(&p->strs);
	free(p);
}

struct profile_meta *profile_meta(const struct profile *p)
{
	return (struct profile_meta *)&p->meta;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap) {
		n = cap - 1;
		while (n && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;       /* never cut a UTF-8 character */
	}
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

void profile_set_command(struct profile *p, const char *command)
{
	copy_str(p->meta.command, sizeof(p->meta.command), command);
}

void profile_set_python(struct profile *p, const char *version)
{
	copy_str(p->meta.python, sizeof(p->meta.python), version);
}

void profile_set_timeline_cap(struct profile *p, size_t cap)
{
	p->tl_cap = cap;
}

static void paths_forget(struct profile *p)
{
	for (size_t i = 0; i < p->paths_cap; i++)
		p->paths[i].n = 0;
}

void profile_forget_pointers(struct profile *p)
{
	fmap_release(&p->cache);
	paths_forget(p);
}

/* ---- the hot path ---- */

static const char *own(struct profile *p, const char *s)
{
	size_t before = p->strs.n;
	const char *r = strtab_intern(&p->strs, s, strlen(s));
	if (p->strs.n != before)
		p->allocs++;
	return r;
}

/* The frame id of (q, f, fn, line) in the profile's own strings, made if new. */
uint32_t profile_frame_canonical(struct profile *p, const char *q, const char *f, const char *fn,
				int line)
{
	const char *oq = own(p, q), *of = own(p, f), *ofn = own(p, fn);
	if (!oq || !of || !ofn)
		return PROF_NONE;
	uint32_t id = fmap_find(&p->index, oq, of, ofn, line);
	if (id != PROF_NONE)
		return id;
	if (p->nframes >= PROF_NONE - 1 ||
	    grow_array(p, (void **)&p->frames, &p->frames_cap, p->nframes + 1, sizeof(*p->frames)) < 0)
		return PROF_NONE;
	if (grow_array(p, (void **)&p->func_of, &p->func_cap, p->nframes + 1, sizeof(*p->func_of)) < 0)
		return PROF_NONE;
	id = (uint32_t)p->nframes;
	/* The function key lives in the same index, under a line no frame has. */
	uint32_t fid = fmap_find(&p->index, oq, of, ofn, FUNC_LINE);
	struct fkey k = { oq, of, ofn, line, id }, fk = { oq, of, ofn, FUNC_LINE, id };
	if (fmap_put(p, &p->index, &k) < 0 || (fid == PROF_NONE && fmap_put(p, &p->index, &fk) < 0))
		return PROF_NONE;
	p->func_of[id] = fid == PROF_NONE ? id : fid;
	p->frames[p->nframes++] = (struct prof_frame){ ofn, oq, of, line, 0 };
	return id;
}

static uint32_t frame_id(struct profile *p, const struct py_frame *fr)
{
	const char *fn = fr->function ? fr->function : "???";
	const char *q = fr->qualname ? fr->qualname : fn;
	const char *f = fr->file ? fr->file : "???";
	int line = fr->line < -1 ? -1 : fr->line;
	uint32_t id = fmap_find(&p->cache, q, f, fn, line);
	if (id != PROF_NONE)
		return id;
	id = profile_frame_canonical(p, q, f, fn, line);
	if (id == PROF_NONE)
		return id;
	if (!p->frames[id].first_line && fr->ci && fr->ci->firstlineno > 0)
		p->frames[id].first_line = fr->ci->firstlineno;
	/* A caller whose pointers never repeat would grow the cache forever. */
	if (p->cache.n > 4 * p->nframes + 4096) {
		fmap_release(&p->cache);
		paths_forget(p);
	}
	struct fkey k = { q, f, fn, line, id };
	if (fmap_put(p, &p->cache, &k) < 0)
		return PROF_NONE;
	return id;
}

uint32_t profile_child(struct profile *p, uint32_t parent, uint32_t frame)
{
	uint32_t i = pair_index_find(&p->node_index, p->nodes, sizeof(*p->nodes), parent, frame);
	if (i != PROF_NONE)
		return i;
	if (p->nnodes >= PROF_NONE - 1 ||
	    grow_array(p, (void **)&p->nodes, &p->nodes_cap, p->nnodes + 1, sizeof(*p->nodes)) < 0)
		return PROF_NONE;
	i = (uint32_t)p->nnodes;
	uint32_t depth = p->nodes[parent].depth + 1;
	p->nodes[i] = (struct pnode){ parent, frame, depth };
	if (pair_index_put(&p->node_index, p->nodes, sizeof(*p->nodes), i) < 0)
		return PROF_NONE;
	p->nnodes++;
	if (depth > p->max_depth)
		p->max_depth = depth;
	return i;
}

uint32_t profile_leaf(struct profile *p, uint32_t thread, uint32_t node)
{
	uint32_t i = pair_index_find(&p->leaf_index, p->leaves, sizeof(*p->leaves), thread, node);
	if (i != PROF_NONE)
		return i;
	if (grow_array(p, (void **)&p->leaves, &p->leaves_cap, p->nleaves + 1, sizeof(*p->leaves)) < 0)
		return PROF_NONE;
	i = (uint32_t)p->nleaves;
	p->leaves[i] = (struct leaf){ thread, node, 0, 0 };
	if (pair_index_put(&p->leaf_index, p->leaves, sizeof(*p->leaves), i) < 0)
		return PROF_NONE;
	p->nleaves++;
	return i;
}

static bool thread_is(const struct prof_thread *t, uint64_t thread_id, pid_t os_tid)
{
	return t->thread_id == thread_id && t->os_tid == os_tid;
}

static int thread_rename(struct profile *p, struct prof_thread *t, const char *name)
{
	if (!name || name == t->name || (t->name && strcmp(t->name, name) == 0))
		return 0;
	const char *n = own(p, name);
	if (!n)
		return -PS_ENOMEM;
	t->name = n;
	return 0;
}

/* The sampler visits threads in the same order every tick: try the last one
 * and the next one before scanning. */
uint32_t profile_thread_find(struct profile *p, uint64_t thread_id, pid_t os_tid, const char *name)
{
	uint32_t i = PROF_NONE, last = p->last_thread;
	if (last < p->nthreads && thread_is(&p->threads[last], thread_id, os_tid))
		i = last;
	else if (last + 1 < p->nthreads && thread_is(&p->threads[last + 1], thread_id, os_tid))
		i = last + 1;
	for (size_t k = 0; i == PROF_NONE && k < p->nthreads; k++)
		if (thread_is(&p->threads[k], thread_id, os_tid))
			i = (uint32_t)k;
	if (i == PROF_NONE) {
		if (grow_array(p, (void **)&p->threads, &p->threads_cap, p->nthreads + 1,
			       sizeof(*p->threads)) < 0)
			return PROF_NONE;
		i = (uint32_t)p->nthreads++;
		p->threads[i] = (struct prof_thread){ thread_id, os_tid, NULL, 0, 0 };
	}
	if (thread_rename(p, &p->threads[i], name) < 0)
		return PROF_NONE;
	p->last_thread = i;
	return i;
}

/* Drop every other tick of the timeline in place (a tick: the entries with
 * one timestamp), counting back from the last, which stays (it may be the
 * tick being pushed); the step between kept ticks doubles. */
static void tl_thin(struct timeline *tl)
{
	size_t w = 0, ticks = 0, k = 0;
	uint64_t ts = tl->first, kept_ts = tl->first, cur = 0;
	for (size_t i = 0; i < tl->n; i++) {
		ts += profile_tl_at(tl, i)->dt;
		if (i == 0 || ts != cur)
			ticks++, cur = ts;
	}
	ts = tl->first;
	for (size_t i = 0; i < tl->n; i++) {
		struct tl_ent e = *profile_tl_at(tl, i);
		ts += e.dt;
		if (i == 0 || ts != cur)
			k++, cur = ts;
		if ((ticks - k) % 2) {
			tl->dropped++;
			continue;
		}
		e.dt = (uint32_t)(ts - kept_ts < UINT32_MAX ? ts - kept_ts : UINT32_MAX);
		kept_ts = ts;
		*profile_tl_at(tl, w++) = e;
	}
	tl->n = w;
	tl->last = kept_ts;
	size_t need = (w + TL_CHUNK - 1) / TL_CHUNK;
	while (tl->nchunks > need)
		free(tl->chunks[--tl->nchunks]);
	tl->stride = (tl->stride > 1 ? tl->stride : 1) * 2;
	tl->skip = tl->stride - 1;
}

void profile_tl_push(struct profile *p, struct timeline *tl, uint64_t ts, uint32_t thread,
		    uint32_t node)
{
	if (p->tl_cap == 0) {
		tl->dropped++;
		return;
	}
	if (!tl->any || ts != tl->tick_ts) {
		/* a new tick: kept if it is its stride's turn */
		tl->any = true;
		tl->tick_ts = ts;
		tl->tick_kept = tl->skip == 0;
		tl->skip = tl->tick_kept ? (tl->stride > 1 ? tl->stride - 1 : 0) : tl->skip - 1;
	}
	if (!tl->tick_kept) {
		tl->dropped++;
		return;
	}
	if (tl->n >= p->tl_cap) {
		/* thin the ticks before this one; this one stays */
		tl_thin(tl);
		if (tl->n >= p->tl_cap) {
			tl->dropped++;     /* one tick fills the cap: nothing to thin */
			return;
		}
	}
	if (tl->n == tl->nchunks * TL_CHUNK) {
		struct tl_ent *c;
		if (grow_array(p, (void **)&tl->chunks, &tl->chunks_cap, tl->nchunks + 1,
			       sizeof(*tl->chunks)) < 0 ||
		    !(c = malloc(TL_CHUNK * sizeof(*c)))) {
			tl->dropped++;
			return;
		}
		p->allocs++;
		tl->chunks[tl->nchunks++] = c;
	}
	if (tl->n == 0)
		tl->first = tl->last = ts;
	uint64_t dt = ts > tl->last ? ts - tl->last : 0;
	if (dt > UINT32_MAX)
		dt = UINT32_MAX;
	tl->last += dt;
	*profile_tl_at(tl, tl->n++) = (struct tl_ent){ (uint32_t)dt, thread, node };
}

/* Thread t's last path, with room for n frames; NULL (no shortcut) on failure. */
static struct lastpath *path_for(struct profile *p, uint32_t t, size_t n)
{
	if (t >= p->paths_cap) {
		size_t ncap = p->paths_cap ? p->paths_cap : 4;
		while (ncap <= t)
			ncap *= 2;
		struct lastpath *np = realloc(p->paths, ncap * sizeof(*np));
		if (!np)
			return NULL;
		memset(np + p->paths_cap, 0, (ncap - p->paths_cap) * sizeof(*np));
		p->paths = np;
		p->paths_cap = ncap;
		p->allocs++;
	}
	struct lastpath *lp = &p->paths[t];
	if (n > lp->cap) {
		struct fkey *nk = realloc(lp->keys, n * sizeof(*nk));
		if (!nk) {
			lp->n = 0;
			return NULL;
		}
		lp->keys = nk;
		lp->cap = n;
		p->allocs++;
	}
	return lp;
}

static bool same_frame(const struct fkey *k, const struct py_frame *fr)
{
	return k->q == fr->qualname && k->f == fr->file && k->fn == fr->function && k->line == fr->line;
}

int profile_add(struct profile *p, uint64_t thread_id, pid_t os_tid, const char *thread_name,
		const struct py_frame *frames, size_t nframes, uint64_t weight, uint64_t timestamp_us)
{
	if (!frames && nframes)
		return -PS_EARG;
	uint32_t t = profile_thread_find(p, thread_id, os_tid, thread_name);
	if (t == PROF_NONE)
		return -PS_ENOMEM;
	struct lastpath *lp = path_for(p, t, nframes);
	uint32_t node = 0;
	size_t d = 0;
	for (; lp && d < lp->n && d < nframes && same_frame(&lp->keys[d], &frames[nframes - 1 - d]); d++)
		node = lp->keys[d].id;
	for (; d < nframes; d++) {
		const struct py_frame *fr = &frames[nframes - 1 - d];
		uint32_t fid = frame_id(p, fr);
		if (fid == PROF_NONE || (node = profile_child(p, node, fid)) == PROF_NONE) {
			if (lp)
				lp->n = 0;
			return -PS_ENOMEM;
		}
		if (lp)
			lp->keys[d] = (struct fkey){ fr->qualname, fr->file, fr->function, fr->line, node };
	}
	if (lp)
		lp->n = nframes;
	uint32_t l = profile_leaf(p, t, node);
	if (l == PROF_NONE)
		return -PS_ENOMEM;
	p->leaves[l].count++;
	p->leaves[l].weight += weight;
	p->threads[t].samples++;
	p->threads[t].weight += weight;
	p->samples++;
	p->weight += weight;
	profile_tl_push(p, &p->tl, timestamp_us, t, node);
	return 0;
}
