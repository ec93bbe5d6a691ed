/*
 * export_pstats.c — the profile as the marshalled dictionary Python's own
 * pstats.Stats(FILE) loads (and snakeviz, gprof2dot, tuna, which read it
 * through pstats).
 *
 * pstats wants what cProfile records: for each function, keyed by
 * (file, first line, name), a tuple (primitive calls, calls, own time,
 * cumulative time, callers), where callers maps each calling function's key
 * to the same four numbers for that edge.  A sampler has no calls, so the
 * calls are the samples the function appears in, and times come from the
 * profile's weights: µs of CPU for a cpu-mode profile (so the seconds are CPU
 * seconds, as `top` shows them), samples times the achieved interval between
 * ticks otherwise.  Cumulative time counts a sample once per function and
 * once per (caller, callee) edge however deep the recursion, as cProfile does.
 * Every thread goes into the one dictionary, as cProfile's does.
 *
 * The marshal format is written by hand with only the codes every CPython
 * since 2.7 reads: '{' dict ... '0', '(' tuple with a 4-byte length, 'i'
 * 32-bit int, 'g' binary double, 'u' UTF-8 text (a str on 3.x, unicode on
 * 2.7).  All little-endian.
 */
#include "export_impl.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/profile/pair_index.h"

struct ps_func {
	uint64_t n, own, cum;      /* samples it appears in, own and cumulative weight */
	uint64_t stamp;            /* last stack that counted it, plus one */
	uint32_t first_edge;       /* its callers: an edge list, PROF_NONE ends */
};

struct ps_edge {
	uint32_t caller, callee;   /* the edges' pair_index key */
	uint32_t next;             /* the callee's next caller edge */
	uint64_t n, own, cum, stamp;
};

_Static_assert(offsetof(struct ps_edge, callee) == sizeof(uint32_t), "ps_edge's key is not first");

struct ps_ctx {
	const struct profile *p;
	struct ps_func *funcs;     /* by function key (a frame id) */
	struct ps_edge *edges;
	size_t nedges, edges_cap;
	struct pair_index index;   /* (caller, callee) → edge */
	double secs;               /* seconds per unit of weight */
	struct strbuf sb;
};

static struct ps_edge *edge_get(struct ps_ctx *c, uint32_t caller, uint32_t callee)
{
	uint32_t i = pair_index_find(&c->index, c->edges, sizeof(*c->edges), caller, callee);
	if (i != PROF_NONE)
		return &c->edges[i];
	if (c->nedges == c->edges_cap) {
		size_t cap = c->edges_cap ? c->edges_cap * 2 : 256;
		struct ps_edge *ne = realloc(c->edges, cap * sizeof(*ne));
		if (!ne)
			return NULL;
		c->edges = ne;
		c->edges_cap = cap;
	}
	i = (uint32_t)c->nedges;
	struct ps_edge *e = &c->edges[i];
	*e = (struct ps_edge){ caller, callee, c->funcs[callee].first_edge, 0, 0, 0, 0 };
	if (pair_index_put(&c->index, c->edges, sizeof(*c->edges), i) < 0)
		return NULL;
	c->funcs[callee].first_edge = i;
	c->nedges++;
	return e;
}

/* Count one (thread, stack): stamp is its position plus one. */
static int ps_count(struct ps_ctx *c, const struct prof_stack *st, uint64_t stamp)
{
	uint32_t prev = PROF_NONE;
	for (size_t i = 0; i < st->nframes; i++) {
		uint32_t k = profile_frame_key(c->p, PROF_BY_FUNCTION, st->frames[i]);
		struct ps_func *f = &c->funcs[k];
		bool leaf = i + 1 == st->nframes;
		if (f->stamp != stamp) {
			f->stamp = stamp;
			f->n += st->count;
			f->cum += st->weight;
		}
		if (leaf)
			f->own += st->weight;
		if (prev != PROF_NONE) {
			struct ps_edge *e = edge_get(c, prev, k);
			if (!e)
				return -PS_ENOMEM;
			if (e->stamp != stamp) {
				e->stamp = stamp;
				e->n += st->count;
				e->cum += st->weight;
			}
			if (leaf)
				e->own += st->weight;
		}
		prev = k;
	}
	return 0;
}

/* ---- marshal ---- */

static void m_u32(FILE *f, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		putc((int)((v >> (8 * i)) & 0xff), f);
}

static void m_int(FILE *f, uint64_t v)
{
	putc('i', f);
	m_u32(f, v > INT32_MAX ? INT32_MAX : (uint32_t)v);
}

static void m_float(FILE *f, double d)
{
	uint64_t bits;
	memcpy(&bits, &d, sizeof(bits));
	putc('g', f);
	m_u32(f, (uint32_t)bits);
	m_u32(f, (uint32_t)(bits >> 32));
}

/* Text as valid UTF-8 (bad bytes become U+FFFD), which marshal's 'u' requires. */
static void m_text(FILE *f, struct strbuf *sb, const char *s)
{
	strbuf_reset(sb);
	while (*s) {
		size_t n = export_utf8_len(s);
		if (n)
			strbuf_add(sb, s, n);
		else
			strbuf_addstr(sb, EXPORT_REPLACEMENT);
		s += n ? n : 1;
	}
	putc('u', f);
	m_u32(f, (uint32_t)sb->len);
	fwrite(strbuf_str(sb), 1, sb->len, f);
}

static void m_key(FILE *f, struct ps_ctx *c, uint32_t k)
{
	const struct prof_frame *fr = profile_frame(c->p, k);
	putc('(', f);
	m_u32(f, 3);
	m_text(f, &c->sb, fr->file);
	m_int(f, fr->first_line > 0 ? (uint64_t)fr->first_line : fr->line > 0 ? (uint64_t)fr->line : 0);
	m_text(f, &c->sb, fr->qualname);
}

static void m_numbers(FILE *f, struct ps_ctx *c, uint64_t n, uint64_t own, uint64_t cum)
{
	m_int(f, n);
	m_int(f, n);
	m_float(f, (double)own * c->secs);
	m_float(f, (double)cum * c->secs);
}

static int ps_body(FILE *f, void *ctx, struct pyspy_err *e)
{
	struct ps_ctx *c = ctx;
	size_t nf = profile_nframes(c->p);
	putc('{', f);
	for (uint32_t k = 0; k < nf; k++) {
		const struct ps_func *fn = &c->funcs[k];
		if (!fn->n)
			continue;
		m_key(f, c, k);
		putc('(', f);
		m_u32(f, 5);
		m_numbers(f, c, fn->n, fn->own, fn->cum);
		putc('{', f);
		for (uint32_t i = fn->first_edge; i != PROF_NONE; i = c->edges[i].next) {
			m_key(f, c, c->edges[i].caller);
			putc('(', f);
			m_u32(f, 4);
			m_numbers(f, c, c->edges[i].n, c->edges[i].own, c->edges[i].cum);
		}
		putc('0', f);
	}
	putc('0', f);
	return c->sb.oom ? err_set(e, PS_ENOMEM, "out of memory") : 0;
}

/* Seconds per unit of weight: µs, or the achieved interval between ticks. */
static double ps_seconds(const struct profile *p)
{
	const struct profile_meta *m = profile_meta(p);
	if (m->unit == PROF_UNIT_CPU_US)
		return 1e-6;
	if (m->ticks && m->duration_us)
		return (double)m->duration_us / 1e6 / (double)m->ticks;
	return m->rate_hz > 0 ? 1.0 / m->rate_hz : 0.01;
}

int export_pstats(const struct profile *p, const char *path, const struct export_opts *o,
		  struct pyspy_err *e)
{
	struct ps_ctx c = { .p = p, .secs = ps_seconds(p) };
	size_t nf = profile_nframes(p);
	struct prof_iter it;
	struct prof_stack st;
	uint64_t stamp = 0;
	int rc;

	(void)o;
	strbuf_init(&c.sb, 0);
	prof_iter_init(&it, p);
	if (!(c.funcs = calloc(nf + 1, sizeof(*c.funcs))))
		goto oom;
	for (size_t i = 0; i < nf; i++)
		c.funcs[i].first_edge = PROF_NONE;
	while ((rc = prof_iter_next(&it, &st)) > 0)
		if (ps_count(&c, &st, ++stamp) < 0)
			goto oom;
	if (rc < 0)
		goto oom;
	rc = export_atomic(path, ps_body, &c, e);
	goto out;
oom:
	rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
out:
	prof_iter_release(&it);
	free(c.funcs);
	free(c.edges);
	pair_index_release(&c.index);
	strbuf_release(&c.sb);
	return rc;
}
