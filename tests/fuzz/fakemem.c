/*
 * fakemem.c — the in-memory address space behind the fuzz harnesses (see
 * fakemem.h).  Parsing never fails past the header: whatever bytes follow
 * become regions, so every mutation of an input is a valid address space.
 */
#include "fakemem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/values/locals.h"
#include "engine/values/repr.h"

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int fakemem_parse(struct fakemem *m, const uint8_t *data, size_t size)
{
	memset(m, 0, sizeof(*m));
	if (size < 9)
		return -1;
	m->layout = data[0] % (unsigned)layout_table_count;
	m->root = le(data + 1, 8);
	m->v = calloc(FAKEMEM_MAX_REGIONS, sizeof(*m->v));
	if (!m->v)
		return -1;
	size_t at = 9;
	while (size - at >= 12 && m->n < FAKEMEM_MAX_REGIONS) {
		struct fakemem_region *r = &m->v[m->n++];
		uint64_t len = le(data + at + 8, 4);
		r->addr = le(data + at, 8);
		at += 12;
		r->len = len < size - at ? (size_t)len : size - at;
		r->data = data + at;
		at += r->len;
	}
	return 0;
}

void fakemem_release(struct fakemem *m)
{
	free(m->v);
	memset(m, 0, sizeof(*m));
}

int fakemem_read(void *ctx, raddr_t addr, void *buf, size_t len)
{
	const struct fakemem *m = ctx;
	for (size_t i = 0; i < m->n; i++) {
		const struct fakemem_region *r = &m->v[i];
		if (addr >= r->addr && addr - r->addr <= r->len && len <= r->len - (addr - r->addr)) {
			memcpy(buf, r->data + (addr - r->addr), len);
			return 0;
		}
	}
	return EFAULT;
}

void fakemem_target(struct target *t, struct fakemem *m)
{
	target_init_offline(t, layout_tables[m->layout]);
	t->mem.backend = fakemem_read;
	t->mem.backend_ctx = m;
}

static uint64_t rd64(const uint8_t *b, int32_t off)
{
	uint64_t v;
	memcpy(&v, b + off, sizeof(v));
	return v;
}

static void repr_locals(struct target *t, const struct py_frame *f)
{
	struct py_var *vars = NULL;
	size_t n = 0;
	struct pyspy_err e;
	struct repr_opts o = REPR_OPTS_DEFAULT;
	if (locals_read(t, f, &vars, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n && i < 16; i++) {
		struct strbuf sb;
		strbuf_init(&sb, 0);
		repr_value(t, vars[i].value, &o, &sb, &e);
		strbuf_release(&sb);
	}
	free(vars);
}

void fakemem_walk_thread(struct target *t, raddr_t tstate, uint8_t *ts, struct py_thread *th, int names)
{
	struct pyspy_err e;
	memset(th, 0, sizeof(*th));
	if (remote_read(&t->mem, tstate, ts, t->tstate_len, &e) < 0)
		return;
	frames_walk(t, ts, th, &e);
	for (size_t i = 0; i < th->nframes && i < 3; i++)
		if (th->frames[i].ci)
			repr_locals(t, &th->frames[i]);
	if (!names)
		return;
	char name[256];
	raddr_t interp = t->interp;
	t->interp = rd64(ts, t->layout.tstate.interp);
	if (t->interp)
		threads_name(t, 0, rd64(ts, t->layout.tstate.thread_id), name, sizeof(name));
	t->interp = interp;
}
