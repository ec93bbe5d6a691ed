/*
 * aio_graph.c — who awaits whom.
 *
 * 3.14+ record it on the awaited task itself (task_awaited_by: one future,
 * or a set of them), for a plain `await task`, gather, TaskGroup and shield
 * alike.  Before 3.14 it is found the way those APIs wire it:
 *  - `await X`: the awaiting task's fut_waiter is X;
 *  - gather: the waiter is a _GatheringFuture whose _children are the
 *    awaited tasks (or nested _GatheringFutures);
 *  - TaskGroup: each child's done callbacks hold the bound method
 *    TaskGroup._on_task_done, whose group's _parent_task awaits it;
 *  - shield: the shielded task's done callback _inner_done_callback closes
 *    over the outer future, which is what the awaiting task waits on.
 * Then a depth-first walk finds the cycles (tasks awaiting each other), each
 * reported once and never followed round.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "aio.h"
#include "pyobj.h"

#define GATHER_DEPTH 8
#define CALLBACKS_MAX 1024
/* PyMethodObject {PyObject_HEAD; im_func; im_self}, the same in every 3.x */
#define METHOD_SELF 24
#define SHIELD_CALLBACK "shield.<locals>._inner_done_callback"

int aio_add_awaiter(struct aio_task *task, raddr_t waiter)
{
	for (size_t i = 0; i < task->nawaited_by; i++)
		if (task->awaited_by[i] == waiter)
			return 0;
	if (task->nawaited_by == task->cap_awaited_by) {
		size_t cap = task->cap_awaited_by ? task->cap_awaited_by * 2 : 2;
		raddr_t *v = realloc(task->awaited_by, cap * sizeof(*v));
		if (!v)
			return -1;
		task->awaited_by = v;
		task->cap_awaited_by = cap;
	}
	task->awaited_by[task->nawaited_by++] = waiter;
	return 0;
}

static bool type_named(struct target *t, raddr_t obj, const char *name)
{
	const struct type_info *ti;
	return obj && pyobj_type(t, obj, &ti, NULL) == 0 && strcmp(ti->name, name) == 0;
}

/* Every item of a list: fn(arg, item). */
static int list_items(struct target *t, raddr_t list, raddr_t *items, size_t max, size_t *n)
{
	const struct py_layout *L = &t->layout;
	uint8_t head[64];
	*n = 0;
	if (!list || L->list.size <= 0 || (size_t)L->list.size > sizeof(head) ||
	    remote_read(&t->mem, list, head, (size_t)L->list.size, NULL) < 0)
		return -1;
	uint64_t len = rbuf_u64(head, L->object.var_size);
	raddr_t arr = rbuf_u64(head, L->list.items);
	if (len > max)
		len = max;
	if (len && remote_read(&t->mem, arr, items, (size_t)len * 8, NULL) < 0)
		return -1;
	*n = (size_t)len;
	return 0;
}

static int gathered(struct target *t, struct aio_tasks *a, raddr_t fut, raddr_t waiter, int depth)
{
	raddr_t children = 0, items[CALLBACKS_MAX];
	size_t n;
	if (depth > GATHER_DEPTH || pyobj_attr(t, fut, "_children", &children, NULL) < 0 ||
	    list_items(t, children, items, CALLBACKS_MAX, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		long k = aio_index_of(a, items[i]);
		if (k >= 0) {
			if (aio_add_awaiter(&a->v[k], waiter) < 0)
				return -1;
		} else if (type_named(t, items[i], "_GatheringFuture") &&
			   gathered(t, a, items[i], waiter, depth + 1) < 0) {
			return -1;
		}
	}
	return 0;
}

/* A task's done callbacks: callback0, then the first item of each (callback, context) tuple. */
static size_t callbacks(struct target *t, const struct aio_task *task, raddr_t *out, size_t max)
{
	raddr_t items[CALLBACKS_MAX];
	size_t n = 0, m;
	if (task->callback0)
		out[n++] = task->callback0;
	if (!task->callbacks || list_items(t, task->callbacks, items, CALLBACKS_MAX, &m) < 0)
		return n;
	for (size_t i = 0; i < m && n < max; i++)
		if (target_read_ptr(t, items[i] + (raddr_t)t->layout.tuple.items, &out[n], NULL) == 0 && out[n])
			n++;
	return n;
}

/* A shielded task's outer future, from its _inner_done_callback closure; 0 if none. */
static raddr_t shield_outer(struct target *t, raddr_t fn)
{
	/* PyFunctionObject: func_qualname and func_closure (3.8–3.9: 104 and 48; 3.10–3.13: 40 and 72) */
	bool old = t->version.minor <= 9;
	raddr_t qual, closure;
	char name[64];
	const struct py_layout *L = &t->layout;
	if (!type_named(t, fn, "function") ||
	    target_read_ptr(t, fn + (old ? 104 : 40), &qual, NULL) < 0 ||
	    pyobj_str(t, qual, name, sizeof(name), NULL, NULL) < 0 || strcmp(name, SHIELD_CALLBACK) != 0 ||
	    target_read_ptr(t, fn + (old ? 48 : 72), &closure, NULL) < 0 || !closure)
		return 0;
	uint64_t n = 0;
	if (remote_read(&t->mem, closure + (raddr_t)L->object.var_size, &n, 8, NULL) < 0 || n > 8)
		return 0;
	for (uint64_t i = 0; i < n; i++) {
		raddr_t cell, v;
		if (target_read_ptr(t, closure + (raddr_t)L->tuple.items + i * 8, &cell, NULL) == 0 &&
		    target_read_ptr(t, cell + (raddr_t)L->cell.ob_ref, &v, NULL) == 0 &&
		    type_named(t, v, "_asyncio.Future"))
			return v;
	}
	return 0;
}

struct outer_pair {
	raddr_t outer;
	size_t inner;
};

static int graph_registries(struct target *t, struct aio_tasks *a)
{
	struct outer_pair *shields = NULL;
	size_t nshields = 0, capshields = 0;
	raddr_t cbs[CALLBACKS_MAX];
	int rc = 0;

	/* children: TaskGroup parents and shield outers, from their callbacks */
	for (size_t i = 0; i < a->n && rc == 0; i++) {
		size_t n = callbacks(t, &a->v[i], cbs, CALLBACKS_MAX);
		for (size_t k = 0; k < n && rc == 0; k++) {
			raddr_t self, parent = 0, outer;
			if (type_named(t, cbs[k], "method")) {
				if (target_read_ptr(t, cbs[k] + METHOD_SELF, &self, NULL) == 0 &&
				    type_named(t, self, "TaskGroup") &&
				    pyobj_attr(t, self, "_parent_task", &parent, NULL) == 0 && aio_index_of(a, parent) >= 0)
					rc = aio_add_awaiter(&a->v[i], parent);
			} else if ((outer = shield_outer(t, cbs[k])) != 0) {
				if (nshields == capshields) {
					capshields = capshields ? capshields * 2 : 8;
					struct outer_pair *v = realloc(shields, capshields * sizeof(*v));
					if (!v) {
						rc = -1;
						break;
					}
					shields = v;
				}
				shields[nshields++] = (struct outer_pair){ outer, i };
			}
		}
	}
	/* waiters: a task, a gathering future, or a shield's outer future */
	raddr_t *types = calloc(a->n + 1, sizeof(*types));
	uint8_t *ok = calloc(a->n + 1, 1);
	if (!types || !ok)
		rc = -1;
	for (size_t i = 0; i < a->n && rc == 0; i++) {
		raddr_t w = a->v[i].waiter;
		types[i] = w && aio_index_of(a, w) < 0 ? w + (raddr_t)t->layout.object.type : 0;
	}
	if (rc == 0)
		aio_batch_read(t, types, a->n, 8, (uint8_t *)types, ok);
	for (size_t i = 0; i < a->n && rc == 0; i++) {
		raddr_t w = a->v[i].waiter;
		long k = aio_index_of(a, w);
		const struct type_info *ti;
		if (!w)
			continue;
		if (k >= 0)
			rc = aio_add_awaiter(&a->v[k], a->v[i].addr);
		else if (ok[i] && pyobj_type_at(t, types[i], &ti, NULL) == 0 && strcmp(ti->name, "_GatheringFuture") == 0)
			rc = gathered(t, a, w, a->v[i].addr, 0);
		else
			for (size_t s = 0; s < nshields && rc == 0; s++)
				if (shields[s].outer == w)
					rc = aio_add_awaiter(&a->v[shields[s].inner], a->v[i].addr);
	}
	free(types);
	free(ok);
	free(shields);
	return rc;
}

/* 3.14+: the task's own awaited_by, a future or a set of futures. */
static int graph_recorded(struct target *t, struct aio_tasks *a)
{
	const struct py_layout *L = &t->layout;
	for (size_t i = 0; i < a->n; i++) {
		raddr_t by = a->v[i].awaited_raw;
		if (!by)
			continue;
		if (!a->v[i].awaited_is_set) {
			if (aio_add_awaiter(&a->v[i], by) < 0)
				return -1;
			continue;
		}
		uint8_t head[256];
		if (L->set.size <= 0 || (size_t)L->set.size > sizeof(head) ||
		    remote_read(&t->mem, by, head, (size_t)L->set.size, NULL) < 0)
			continue;
		uint64_t mask = rbuf_u64(head, L->set.mask);
		raddr_t table = rbuf_u64(head, L->set.table);
		size_t esz = (size_t)L->set.entry_size;
		if (mask >= CALLBACKS_MAX || ((mask + 1) & mask))
			continue;
		uint8_t tab[CALLBACKS_MAX * 16];
		if (esz > 16 || remote_read(&t->mem, table, tab, (size_t)(mask + 1) * esz, NULL) < 0)
			continue;
		for (size_t k = 0; k <= mask; k++) {
			raddr_t key = rbuf_u64(tab + k * esz, L->set.entry_key);
			int64_t hash = (int64_t)rbuf_u64(tab + k * esz, L->set.entry_hash);
			if (key && hash != -1 && aio_add_awaiter(&a->v[i], key) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- cycles ---- */

enum { WHITE, GREY, BLACK };

struct dfs {
	struct aio_tasks *a;
	uint8_t *colour;
	size_t *path;
	size_t *next;              /* per task: the next of its awaiters to follow */
	size_t depth;
};

static int add_cycle(struct dfs *d, size_t from)
{
	struct aio_tasks *a = d->a;
	size_t start = d->depth;
	while (start > 0 && d->path[start - 1] != from)
		start--;
	if (start == 0)
		return 0;
	start--;
	struct aio_cycle *v = realloc(a->cycles, (a->ncycles + 1) * sizeof(*v));
	if (!v)
		return -1;
	a->cycles = v;
	struct aio_cycle *c = &a->cycles[a->ncycles];
	c->n = d->depth - start;
	if (!(c->v = malloc(c->n * sizeof(*c->v))))
		return -1;
	for (size_t i = 0; i < c->n; i++)
		c->v[i] = a->v[d->path[start + i]].addr;
	a->ncycles++;
	return 0;
}

/* Iterative depth-first walk along "is awaited by" edges. */
static int visit(struct dfs *d, size_t root)
{
	struct aio_tasks *a = d->a;
	size_t *next = d->next;
	d->depth = 0;
	d->path[d->depth++] = root;
	d->colour[root] = GREY;
	while (d->depth) {
		size_t u = d->path[d->depth - 1];
		if (next[u] >= a->v[u].nawaited_by) {
			d->colour[u] = BLACK;
			d->depth--;
			continue;
		}
		long w = aio_index_of(a, a->v[u].awaited_by[next[u]++]);
		if (w < 0)
			continue;
		if (d->colour[w] == GREY) {
			if (add_cycle(d, (size_t)w) < 0)
				return -1;
		} else if (d->colour[w] == WHITE) {
			d->colour[w] = GREY;
			d->path[d->depth++] = (size_t)w;
		}
	}
	return 0;
}

static int find_cycles(struct aio_tasks *a)
{
	size_t n = a->n ? a->n : 1;
	struct dfs d = { a, calloc(n, 1), calloc(n, sizeof(size_t)), calloc(n, sizeof(size_t)), 0 };
	int rc = d.colour && d.path && d.next ? 0 : -1;
	for (size_t i = 0; i < a->n && rc == 0; i++)
		if (d.colour[i] == WHITE)
			rc = visit(&d, i);
	free(d.colour);
	free(d.path);
	free(d.next);
	return rc;
}

int aio_graph(struct target *t, const struct aio_layout *A, struct aio_tasks *a, struct pyspy_err *e)
{
	int rc = A->registry == AIO_REG_LLIST ? graph_recorded(t, a) : graph_registries(t, a);
	if (rc == 0)
		rc = find_cycles(a);
	return rc < 0 ? err_set(e, PS_ENOMEM, "out of memory") : 0;
}
