/*
 * repr_containers.c — lists, tuples, dicts, sets and instances for repr.c.
 *
 * Each container is entered through one gate that applies the depth limit
 * and the cycle check (the same address already being printed further out),
 * and each reads only as many items as can be shown: min(length, max_items,
 * characters left), since every item takes at least one character.  The
 * count of what was left out comes from the container's own length (ob_size,
 * ma_used, set.used), so it costs nothing to report.
 *
 * Sets: a removed entry keeps a "dummy" key so lookups can probe past it.
 * No symbol for the dummy object can be relied on (the system python3 is
 * stripped), so dummies are recognised by what set_discard leaves behind: on
 * 3.x the entry's hash is -1, which no real hash ever is; on 2.7 the key is
 * the str "<dummy key>".  Both checks run only when the set's fill exceeds its
 * used count, i.e. when it has dummies at all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repr_impl.h"

#define SEQ_MAX_LEN (1ull << 28)
#define CHUNK_ENTRIES 256

/* Enter a container: false (after printing `cut`) past the depth limit or in a cycle. */
bool repr_enter(struct rctx *c, raddr_t obj, int level, const char *cut)
{
	bool deep = (c->o->depth > 0 && level > c->o->depth) || c->nstack >= REPR_MAX_NEST;
	for (int i = 0; i < c->nstack && !deep; i++)
		deep = c->stack[i] == obj;
	if (deep) {
		if (cut)
			strbuf_addstr(&c->sb, cut);
		return false;
	}
	c->stack[c->nstack++] = obj;
	return true;
}

void repr_leave(struct rctx *c)
{
	c->nstack--;
}

/* How many of n items to look at. */
size_t repr_item_cap(const struct rctx *c, uint64_t n)
{
	uint64_t k = n;
	if (c->o->max_items && k > c->o->max_items)
		k = c->o->max_items;
	if (k > repr_room(c))
		k = repr_room(c);
	return (size_t)k;
}

void repr_more(struct rctx *c, uint64_t shown, uint64_t total)
{
	if (shown < total && !strbuf_full(&c->sb))
		strbuf_addf(&c->sb, "%s...(%" PRIu64 " more)", shown ? ", " : "", total - shown);
}

/* ---- list and tuple ---- */

void repr_sequence(struct rctx *c, raddr_t obj, int level, bool tuple)
{
	repr_sequence_range(c, obj, level, tuple, 0, -1);
}

void repr_sequence_range(struct rctx *c, raddr_t obj, int level, bool tuple, int64_t start, int64_t stop)
{
	const struct py_layout *L = &c->t->layout;
	struct pyspy_err e = { 0 };
	int64_t n;
	raddr_t items = obj + (raddr_t)L->tuple.items;

	if (remote_read(&c->t->mem, obj + (raddr_t)L->object.var_size, &n, sizeof(n), &e) < 0 ||
	    (!tuple && remote_read_ptr(&c->t->mem, obj + (raddr_t)L->list.items, &items, &e) < 0))
		return repr_unreadable(c, &e);
	if (n < 0 || (uint64_t)n > SEQ_MAX_LEN) {
		err_set(&e, PS_ECORRUPT, "%s at 0x%" PRIx64 " has a bad length", tuple ? "tuple" : "list", obj);
		return repr_unreadable(c, &e);
	}
	if (stop < 0 || stop > n)
		stop = n;
	if (start < 0 || start > stop)
		start = stop;
	items += (raddr_t)start * 8;
	n = stop - start;
	if (n == 0) {
		strbuf_addstr(&c->sb, tuple ? "()" : "[]");
		return;
	}
	if (!repr_enter(c, obj, level, tuple ? "(...)" : "[...]"))
		return;
	size_t k = repr_item_cap(c, (uint64_t)n), i = 0;
	if (pyobj_check_span(c->t, obj, tuple ? "tuple" : "list", items, (uint64_t)k * 8, &e) < 0) {
		repr_leave(c);
		return repr_unreadable(c, &e);
	}
	raddr_t *v = malloc((k ? k : 1) * sizeof(*v));
	strbuf_addch(&c->sb, tuple ? '(' : '[');
	if (!v)
		err_set(&e, PS_ENOMEM, "out of memory");
	if (!v || remote_read(&c->t->mem, items, v, k * sizeof(*v), &e) < 0)
		repr_unreadable(c, &e);
	else
		for (; i < k && !strbuf_full(&c->sb) && !c->fatal; i++) {
			if (i)
				strbuf_addstr(&c->sb, ", ");
			repr_obj(c, v[i], level + 1);
		}
	if (tuple && n == 1)
		strbuf_addch(&c->sb, ',');
	repr_more(c, i, (uint64_t)n);
	strbuf_addch(&c->sb, tuple ? ')' : ']');
	free(v);
	repr_leave(c);
}

/* ---- dict ---- */

struct dict_walk {
	struct rctx *c;
	int level;
	size_t cap, shown;
	bool pairs;
};

static int dict_item(void *arg, raddr_t key, raddr_t value)
{
	struct dict_walk *w = arg;
	if (w->shown >= w->cap || strbuf_full(&w->c->sb) || w->c->fatal)
		return 1;
	if (w->shown++)
		strbuf_addstr(&w->c->sb, ", ");
	repr_pair(w->c, key, value, w->level, w->pairs);
	return 0;
}

void repr_pair(struct rctx *c, raddr_t key, raddr_t value, int level, bool pairs)
{
	if (pairs)
		strbuf_addch(&c->sb, '(');
	repr_obj(c, key, level + 1);
	strbuf_addstr(&c->sb, pairs ? ", " : ": ");
	repr_obj(c, value, level + 1);
	if (pairs)
		strbuf_addch(&c->sb, ')');
}

void repr_dict_as(struct rctx *c, raddr_t obj, int level, bool pairs)
{
	struct pyspy_err e = { 0 };
	int64_t used;
	if (remote_read(&c->t->mem, obj + (raddr_t)c->t->layout.dict.used, &used, sizeof(used), &e) < 0)
		return repr_unreadable(c, &e);
	if (used <= 0) {
		strbuf_addstr(&c->sb, pairs ? "[]" : "{}");
		return;
	}
	if (!repr_enter(c, obj, level, pairs ? "[...]" : "{...}"))
		return;
	struct dict_walk w = { c, level, repr_item_cap(c, (uint64_t)used), 0, pairs };
	strbuf_addch(&c->sb, pairs ? '[' : '{');
	if (pyobj_dict_foreach(c->t, obj, dict_item, &w, &e) < 0)
		repr_unreadable(c, &e);
	repr_more(c, w.shown, (uint64_t)used);
	strbuf_addch(&c->sb, pairs ? ']' : '}');
	repr_leave(c);
}

void repr_dict(struct rctx *c, raddr_t obj, int level)
{
	repr_dict_as(c, obj, level, false);
}

/* ---- set and frozenset ---- */

static bool set_dummy(struct rctx *c, const uint8_t *entry, raddr_t key)
{
	const struct py_layout *L = &c->t->layout;
	char text[16];
	if (L->set.entry_hash >= 0 && (int64_t)rbuf_u64(entry, L->set.entry_hash) == -1)
		return true;
	return c->py2 && pyobj_str(c->t, key, text, sizeof(text), NULL, NULL) == 0 && strcmp(text, "<dummy key>") == 0;
}

/* Print up to cap live keys of the table; returns how many were printed. */
static size_t set_keys(struct rctx *c, raddr_t table, uint64_t slots, bool dummies, size_t cap, int level, struct pyspy_err *e)
{
	const struct py_layout *L = &c->t->layout;
	uint8_t buf[CHUNK_ENTRIES * 32];
	size_t esz = (size_t)L->set.entry_size, shown = 0;
	if (esz == 0 || esz > 32) {
		err_set(e, PS_ECORRUPT, "bad set entry size %zu", esz);
		repr_unreadable(c, e);
		return 0;
	}
	for (uint64_t i = 0; i < slots && shown < cap && !strbuf_full(&c->sb) && !c->fatal; i += CHUNK_ENTRIES) {
		size_t k = (size_t)(slots - i < CHUNK_ENTRIES ? slots - i : CHUNK_ENTRIES);
		if (remote_read(&c->t->mem, table + i * esz, buf, k * esz, e) < 0) {
			repr_unreadable(c, e);
			break;
		}
		for (size_t j = 0; j < k && shown < cap && !strbuf_full(&c->sb); j++) {
			raddr_t key = rbuf_u64(buf + j * esz, L->set.entry_key);
			if (!key || (dummies && set_dummy(c, buf + j * esz, key)))
				continue;
			if (shown++)
				strbuf_addstr(&c->sb, ", ");
			repr_obj(c, key, level + 1);
		}
	}
	return shown;
}

void repr_set(struct rctx *c, raddr_t obj, int level, bool frozen, const char *subclass)
{
	const struct py_layout *L = &c->t->layout;
	struct pyspy_err e = { 0 };
	uint8_t h[256];
	const char *name = subclass ? subclass : frozen ? "frozenset" : "set";
	const char *open = c->py2 ? "([" : "({", *close = c->py2 ? "])" : "})";
	if (L->set.size <= 0 || L->set.size > (int32_t)sizeof(h) ||
	    remote_read(&c->t->mem, obj, h, (size_t)L->set.size, &e) < 0) {
		if (!e.code)
			err_set(&e, PS_EUNSUP, "no set layout");
		return repr_unreadable(c, &e);
	}
	int64_t used = (int64_t)rbuf_u64(h, L->set.used), fill = L->set.fill >= 0 ? (int64_t)rbuf_u64(h, L->set.fill) : used + 1;
	uint64_t mask = rbuf_u64(h, L->set.mask);
	if (used <= 0) {
		strbuf_addf(&c->sb, "%s(%s)", name, c->py2 ? "[]" : "");
		return;
	}
	if (mask >= SEQ_MAX_LEN || (uint64_t)used > mask + 1) {
		err_set(&e, PS_ECORRUPT, "set at 0x%" PRIx64 " has a bad size", obj);
		return repr_unreadable(c, &e);
	}
	/* 3.x prints a set as {1, 2}; everything else wears its name */
	bool bare = !c->py2 && !frozen && !subclass;
	char cut[96];
	snprintf(cut, sizeof(cut), "%s%s...%s", bare ? "" : name, bare ? "{" : open, bare ? "}" : close);
	if (!repr_enter(c, obj, level, cut))
		return;
	if (bare)
		strbuf_addch(&c->sb, '{');
	else
		strbuf_addf(&c->sb, "%s%s", name, open);
	size_t shown = set_keys(c, rbuf_u64(h, L->set.table), mask + 1, fill > used, repr_item_cap(c, (uint64_t)used), level, &e);
	repr_more(c, shown, (uint64_t)used);
	strbuf_addstr(&c->sb, bare ? "}" : close);
	repr_leave(c);
}

/* ---- instances and modules ---- */

struct attr_walk {
	struct rctx *c;
	int level;
	size_t cap, shown, total;
};

static int attr_named(void *arg, const char *name, raddr_t value)
{
	struct attr_walk *w = arg;
	if (strbuf_full(&w->c->sb) || w->c->fatal)
		return 1;
	if (w->total++ >= w->cap)
		return 0;
	strbuf_addstr(&w->c->sb, w->shown++ ? ", " : " {");
	strbuf_addf(&w->c->sb, "%s=", name);
	repr_obj(w->c, value, w->level + 1);
	return 0;
}

static int attr_item(void *arg, raddr_t key, raddr_t value)
{
	struct attr_walk *w = arg;
	char name[256];
	if (pyobj_str(w->c->t, key, name, sizeof(name), NULL, NULL) < 0)
		snprintf(name, sizeof(name), "<key 0x%" PRIx64 ">", key);
	return attr_named(arg, name, value);
}

void repr_instance(struct rctx *c, raddr_t obj, const struct type_info *ti, int level)
{
	struct pyspy_err e = { 0 };
	strbuf_addf(&c->sb, "<%s object at 0x%" PRIx64 ">", ti->name, obj);
	if (!c->o->attrs || !repr_enter(c, obj, level, NULL))
		return;
	struct attr_walk w = { c, level, c->o->max_items ? c->o->max_items : SIZE_MAX, 0, 0 };
	if (pyobj_attr_foreach(c->t, obj, attr_item, &w, &e) < 0 ||
	    pyobj_slots_foreach(c->t, obj, attr_named, &w, &e) < 0) {
		strbuf_addstr(&c->sb, w.shown ? ", " : " {");
		w.shown++;
		repr_unreadable(c, &e);
	}
	if (w.total > w.shown && w.shown && !strbuf_full(&c->sb))
		strbuf_addf(&c->sb, ", ...(%zu more)", w.total - w.shown);
	if (w.shown)
		strbuf_addch(&c->sb, '}');
	repr_leave(c);
}

void repr_module(struct rctx *c, raddr_t obj)
{
	struct pyspy_err e = { 0 };
	raddr_t dict = 0, name = 0;
	char text[256];
	if (remote_read_ptr(&c->t->mem, obj + (raddr_t)c->t->layout.module.dict, &dict, &e) < 0 || !dict ||
	    pyobj_dict_get_str(c->t, dict, "__name__", &name, &e) < 0 || !name ||
	    pyobj_str(c->t, name, text, sizeof(text), NULL, &e) < 0)
		snprintf(text, sizeof(text), "?");
	strbuf_addf(&c->sb, "<module '%s'>", text);
}
