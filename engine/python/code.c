/*
 * code.c — the code-object cache.
 *
 * An open-addressing table from code address to struct code_info.  On a miss
 * the code object is read in one piece (its fixed part), then its name, file,
 * qualname and line table; every later frame of that function costs nothing.
 */
#include "code.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/os/clock.h"
#include "linetable.h"
#include "pyobj.h"

#define CODE_TABLE_MAX (1u << 20)

static int rd_int(const uint8_t *b, int32_t off)
{
	int32_t v;
	if (off < 0)
		return 0;
	memcpy(&v, b + off, sizeof(v));
	return v;
}

static size_t slot_of(raddr_t addr, size_t cap)
{
	uint64_t h = addr * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 20) & (cap - 1);
}

static int cache_grow(struct codecache *c)
{
	size_t ncap = c->cap ? c->cap * 2 : 256;
	struct code_info **ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -1;
	for (size_t i = 0; i < c->cap; i++) {
		struct code_info *ci = c->slots[i];
		if (!ci)
			continue;
		size_t j = slot_of(ci->addr, ncap);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = ci;
	}
	free(c->slots);
	c->slots = ns;
	c->cap = ncap;
	return 0;
}

static int read_code(struct target *t, raddr_t addr, struct code_info *ci, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	uint8_t buf[1024];
	size_t len = (size_t)L->code.size;
	int rc;

	/* every field read below lies inside code.size (layout_check) */
	if (L->code.size <= 0 || len > sizeof(buf))
		return err_set(e, PS_EUNSUP, "no usable code object layout");
	if ((rc = remote_read(&t->mem, addr, buf, len, e)) < 0)
		return rc;
	if (t->code_type && rbuf_u64(buf, L->object.type) != t->code_type)
		return err_set(e, PS_ECORRUPT, "object at 0x%" PRIx64 " is not a code object", addr);
	ci->addr = addr;
	ci->firstlineno = rd_int(buf, L->code.firstlineno);
	ci->firsttraceable = rd_int(buf, L->code.firsttraceable);
	ci->argcount = rd_int(buf, L->code.argcount);
	ci->kwonlyargcount = rd_int(buf, L->code.kwonlyargcount);
	ci->posonlyargcount = rd_int(buf, L->code.posonlyargcount);
	ci->nlocals = rd_int(buf, L->code.nlocals);
	ci->flags = rd_int(buf, L->code.flags);
	if ((rc = pyobj_str_intern(t, rbuf_u64(buf, L->code.name), &ci->name, e)) < 0)
		return err_wrap(e, "code object 0x%" PRIx64 " name", addr);
	if ((rc = pyobj_str_intern(t, rbuf_u64(buf, L->code.filename), &ci->file, e)) < 0)
		return err_wrap(e, "code object 0x%" PRIx64 " file name", addr);
	ci->name_ptr = rbuf_u64(buf, L->code.name);
	ci->module = !strcmp(ci->name, "<module>");
	ci->qualname = ci->name;
	if (L->code.qualname >= 0 && pyobj_str_intern(t, rbuf_u64(buf, L->code.qualname), &ci->qualname, e) < 0)
		return err_wrap(e, "code object 0x%" PRIx64 " qualname", addr);
	int32_t toff = L->linetable_model == LINETABLE_LNOTAB || L->linetable_model == LINETABLE_LNOTAB_PY2
			   ? L->code.lnotab : L->code.linetable;
	if (toff >= 0 && (rc = pyobj_bytes(t, rbuf_u64(buf, toff), &ci->table, &ci->table_len, CODE_TABLE_MAX, e)) < 0)
		return err_wrap(e, "code object 0x%" PRIx64 " line table", addr);
	for (int i = 0; i < 4; i++)
		ci->memo_addr[i] = -2;
	return 0;
}

/* Re-checked at most this often: a hit on <module> code is every sample of
 * every main thread, and one read each on that path would double a sampler's
 * reads for the rare module whose code object is freed and its address reused
 * (a new module's code is then labelled the old one's for at most this long). */
#define MODULE_CHECK_NS 10000000ull

/* Whether the object at a cached module code's address is still that code. */
static bool still_there(struct target *t, struct code_info *ci)
{
	uint64_t name, now = clock_now_ns();
	struct pyspy_err ignored;
	if (now - ci->checked_ns < MODULE_CHECK_NS)
		return true;
	err_clear(&ignored);
	if (remote_read(&t->mem, ci->addr + (raddr_t)t->layout.code.name, &name, sizeof(name), &ignored) < 0 ||
	    name != ci->name_ptr)
		return false;
	ci->checked_ns = now;
	return true;
}

/* Drop the entry in slot j, re-placing the run of entries after it. */
static void cache_drop(struct codecache *c, size_t j)
{
	struct code_info *gone = c->slots[j];
	c->slots[j] = NULL;
	c->n--;
	for (size_t k = (j + 1) & (c->cap - 1); c->slots[k]; k = (k + 1) & (c->cap - 1)) {
		struct code_info *ci = c->slots[k];
		c->slots[k] = NULL;
		size_t h = slot_of(ci->addr, c->cap);
		while (c->slots[h])
			h = (h + 1) & (c->cap - 1);
		c->slots[h] = ci;
	}
	gone->next_retired = c->retired;   /* a snapshot's frame may still point at it */
	c->retired = gone;
}

int code_get(struct target *t, raddr_t addr, struct code_info **out, struct pyspy_err *e)
{
	struct codecache *c = &t->codes;
	if (c->cap) {
		for (size_t j = slot_of(addr, c->cap); c->slots[j]; j = (j + 1) & (c->cap - 1))
			if (c->slots[j]->addr == addr) {
				if (c->slots[j]->module && !still_there(t, c->slots[j])) {
					cache_drop(c, j);
					break;
				}
				*out = c->slots[j];
				return 0;
			}
	}
	if (!addr)
		return err_set(e, PS_EFAULT, "frame has no code object");
	struct code_info *ci = calloc(1, sizeof(*ci));
	if (!ci)
		return err_set(e, PS_ENOMEM, "out of memory");
	if (!c->cap)
		target_on_detach(t, code_cache_clear);
	int rc = read_code(t, addr, ci, e);
	if (rc < 0 || ((c->n + 1) * 2 > c->cap && cache_grow(c) < 0)) {
		free(ci->table);
		free(ci);
		return rc < 0 ? rc : err_set(e, PS_ENOMEM, "out of memory");
	}
	size_t j = slot_of(addr, c->cap);
	while (c->slots[j])
		j = (j + 1) & (c->cap - 1);
	c->slots[j] = ci;
	c->n++;
	*out = ci;
	return 0;
}

int code_line(struct code_info *c, const struct py_layout *L, int byte_offset)
{
	int slot = (byte_offset >> 1) & 3;
	if (c->memo_addr[slot] == byte_offset)
		return c->memo_line[slot];
	int line = linetable_line(L->linetable_model, c->table, c->table_len, c->firstlineno, byte_offset);
	c->memo_addr[slot] = byte_offset;
	c->memo_line[slot] = line;
	return line;
}

/* ---- variable names (read lazily, for locals) ---- */

#define CODE_MAX_VARS 65536

static void vars_free(struct code_vars *v)
{
	if (!v)
		return;
	free(v->names);
	free(v->kinds);
	free(v);
}

/* Append the names of the tuple at `tuple`, each with `kind`; a NULL tuple is empty. */
static int add_names(struct target *t, raddr_t tuple, uint8_t kind, struct code_vars *v, int cap, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	raddr_t items[256];
	int64_t n;
	int rc;

	if (!tuple)
		return 0;
	if ((rc = remote_read(&t->mem, tuple + (raddr_t)L->object.var_size, &n, sizeof(n), e)) < 0)
		return rc;
	if (n < 0 || n > cap - v->n)
		return err_set(e, PS_ECORRUPT, "name tuple at 0x%" PRIx64 " has a bad length %" PRId64, tuple, n);
	for (int64_t i = 0; i < n; i += 256) {
		size_t k = (size_t)(n - i < 256 ? n - i : 256);
		raddr_t at = tuple + (raddr_t)L->tuple.items + (raddr_t)i * 8;
		if ((rc = remote_read(&t->mem, at, items, k * 8, e)) < 0)
			return rc;
		for (size_t j = 0; j < k; j++) {
			if ((rc = pyobj_str_intern(t, items[j], &v->names[v->n], e)) < 0)
				return rc;
			v->kinds[v->n++] = kind;
		}
	}
	return 0;
}

/* co_localspluskinds: one byte per slot. */
static int read_kinds(struct target *t, raddr_t bytes, struct code_vars *v, struct pyspy_err *e)
{
	uint8_t *b;
	size_t len;
	int rc = pyobj_bytes(t, bytes, &b, &len, CODE_MAX_VARS, e);
	if (rc < 0)
		return rc;
	if (len != (size_t)v->n) {
		free(b);
		return err_set(e, PS_ECORRUPT, "code has %d slot names but %zu slot kinds", v->n, len);
	}
	memcpy(v->kinds, b, len);
	free(b);
	return 0;
}

static int read_vars(struct target *t, struct code_info *c, struct code_vars *v, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	raddr_t p[3] = { 0, 0, 0 };
	int rc;

	v->names = calloc(CODE_MAX_VARS, sizeof(*v->names));
	v->kinds = calloc(CODE_MAX_VARS, 1);
	if (!v->names || !v->kinds)
		return err_set(e, PS_ENOMEM, "out of memory");
	/* counts come from remote memory: add them in 64 bits (found by fuzzing) */
	int64_t nargs = (int64_t)c->argcount + c->kwonlyargcount + !!(c->flags & 0x4) + !!(c->flags & 0x8);
	if (c->argcount < 0 || c->kwonlyargcount < 0 || nargs > CODE_MAX_VARS)
		return err_set(e, PS_ECORRUPT, "code has an implausible argument count %" PRId64, nargs);
	v->nargs = (int)nargs;
	if (L->code.localsplusnames >= 0) {
		if ((rc = remote_read_ptr(&t->mem, c->addr + (raddr_t)L->code.localsplusnames, &p[0], e)) < 0 ||
		    (rc = remote_read_ptr(&t->mem, c->addr + (raddr_t)L->code.localspluskinds, &p[1], e)) < 0 ||
		    (rc = add_names(t, p[0], 0, v, CODE_MAX_VARS, e)) < 0)
			return rc;
		return read_kinds(t, p[1], v, e);
	}
	const int32_t offs[3] = { L->code.varnames, L->code.cellvars, L->code.freevars };
	const uint8_t kinds[3] = { CODE_FAST_LOCAL, CODE_FAST_CELL, CODE_FAST_FREE };
	for (int i = 0; i < 3; i++) {
		if (offs[i] < 0)
			continue;
		if ((rc = remote_read_ptr(&t->mem, c->addr + (raddr_t)offs[i], &p[i], e)) < 0 ||
		    (rc = add_names(t, p[i], kinds[i], v, CODE_MAX_VARS, e)) < 0)
			return rc;
		if (i == 0 && v->n != c->nlocals)
			return err_set(e, PS_ECORRUPT, "code has %d locals but %d names", c->nlocals, v->n);
	}
	return 0;
}

int code_vars(struct target *t, struct code_info *c, const struct code_vars **out, struct pyspy_err *e)
{
	if (!c->vars) {
		struct code_vars *v = calloc(1, sizeof(*v));
		if (!v)
			return err_set(e, PS_ENOMEM, "out of memory");
		int rc = read_vars(t, c, v, e);
		if (rc < 0) {
			vars_free(v);
			return err_wrap(e, "variable names of %s", c->name);
		}
		/* give back the room not used */
		const char **nn = realloc(v->names, (size_t)(v->n ? v->n : 1) * sizeof(*nn));
		uint8_t *nk = realloc(v->kinds, (size_t)(v->n ? v->n : 1));
		if (nn)
			v->names = nn;
		if (nk)
			v->kinds = nk;
		c->vars = v;
	}
	*out = c->vars;
	return 0;
}

static void code_info_free(struct code_info *ci)
{
	vars_free(ci->vars);
	free(ci->table);
	free(ci);
}

void code_cache_clear(struct target *t)
{
	struct codecache *c = &t->codes;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i])
			code_info_free(c->slots[i]);
	while (c->retired) {
		struct code_info *next = c->retired->next_retired;
		code_info_free(c->retired);
		c->retired = next;
	}
	free(c->slots);
	memset(c, 0, sizeof(*c));
}
