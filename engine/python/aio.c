/*
 * aio.c — finding the target's asyncio tasks (see aio.h for where they live
 * in each minor) and reading each one: name, state, loop, coroutine, what it
 * awaits; then the loop's thread and whether it is the running task.
 *
 * 3.8–3.13 keep their tasks in Python containers reached through
 * sys.modules['asyncio.tasks']; a WeakSet is a set of weak references whose
 * referent (wr_object) is the task, or None once it died.  3.14+ link every
 * task into a circular list on the thread state that created it (moved to
 * the interpreter's list when that thread ends), with offsets from the
 * AsyncioDebug section of the module holding _asyncio, checked before use
 * (layouts/aio_layout.c).  Every object is checked to be a C task before its
 * fields are read at this minor's offsets.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aio.h"
#include "engine/os/elfsym.h"
#include "pyobj.h"

#define SET_MAX_SLOTS (1u << 22)

struct aio_index {
	raddr_t *keys;
	size_t *vals;
	size_t cap;
};

struct reader {
	struct target *t;
	const struct aio_layout *A;
	struct aio_tasks *a;
	raddr_t task_types[8];     /* types found to be C tasks */
	raddr_t other_types[8];    /* and not */
	int ntask_types, nother_types;
};

/* ---- the address index ---- */

static size_t slot_of(raddr_t k, size_t cap)
{
	return (size_t)((k >> 4) * 0x9e3779b97f4a7c15ull >> 7) & (cap - 1);
}

static int index_put(struct aio_tasks *a, raddr_t k, size_t v)
{
	struct aio_index *x = a->index;
	if (!x && !(x = a->index = calloc(1, sizeof(*x))))
		return -1;
	if ((a->n + 1) * 2 > x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		raddr_t *keys = calloc(cap, sizeof(*keys));
		size_t *vals = calloc(cap, sizeof(*vals));
		if (!keys || !vals) {
			free(keys);
			free(vals);
			return -1;
		}
		for (size_t i = 0; i < x->cap; i++) {
			if (!x->keys[i])
				continue;
			size_t s = slot_of(x->keys[i], cap);
			while (keys[s])
				s = (s + 1) & (cap - 1);
			keys[s] = x->keys[i];
			vals[s] = x->vals[i];
		}
		free(x->keys);
		free(x->vals);
		x->keys = keys;
		x->vals = vals;
		x->cap = cap;
	}
	size_t s = slot_of(k, x->cap);
	while (x->keys[s] && x->keys[s] != k)
		s = (s + 1) & (x->cap - 1);
	x->keys[s] = k;
	x->vals[s] = v;
	return 0;
}

long aio_index_of(const struct aio_tasks *a, raddr_t k)
{
	const struct aio_index *x = a->index;
	if (!x || !x->cap || !k)
		return -1;
	for (size_t s = slot_of(k, x->cap); x->keys[s]; s = (s + 1) & (x->cap - 1))
		if (x->keys[s] == k)
			return (long)x->vals[s];
	return -1;
}

const struct aio_task *aio_find(const struct aio_tasks *a, raddr_t addr)
{
	long i = aio_index_of(a, addr);
	return i < 0 ? NULL : &a->v[i];
}

/* ---- tasks ---- */

/* Whether the type at `type` is _asyncio.Task or derives from it. */
static bool is_c_task(struct reader *r, raddr_t type)
{
	struct target *t = r->t;
	for (int i = 0; i < r->ntask_types; i++)
		if (r->task_types[i] == type)
			return true;
	for (int i = 0; i < r->nother_types; i++)
		if (r->other_types[i] == type)
			return false;
	bool yes = false;
	raddr_t at = type;
	for (int depth = 0; at && depth < 16; depth++) {
		const struct type_info *ti;
		if (pyobj_type_at(t, at, &ti, NULL) < 0)
			break;
		if (strcmp(ti->name, "_asyncio.Task") == 0) {
			yes = ti->basicsize == r->A->task_size;
			break;
		}
		if (t->layout.type.base < 0 || target_read_ptr(t, at + (raddr_t)t->layout.type.base, &at, NULL) < 0)
			break;
	}
	if (yes && r->ntask_types < 8)
		r->task_types[r->ntask_types++] = type;
	else if (!yes && r->nother_types < 8)
		r->other_types[r->nother_types++] = type;
	return yes;
}

/* "Task-N" for a name stored as its number (3.13+ name tasks lazily). */
static const char *task_name(struct target *t, raddr_t name)
{
	char buf[256];
	const struct type_info *ti;
	const char *s;
	uint64_t n;
	bool neg;

	if (!name)
		return "?";
	if (pyobj_str_intern(t, name, &s, NULL) == 0)
		return s;
	if (pyobj_type(t, name, &ti, NULL) < 0)
		return "?";
	enum pyobj_kind k = pyobj_kind(t, ti);
	if ((k == PYK_INT || k == PYK_LONG) && pyobj_int(t, name, &n, &neg, NULL) == 0) {
		int len = snprintf(buf, sizeof(buf), "Task-%s%" PRIu64, neg ? "-" : "", n);
		return strtab_intern(&t->strings, buf, (size_t)len);
	}
	return "?";
}

static struct aio_task *new_task(struct aio_tasks *a)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct aio_task *v = realloc(a->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		a->v = v;
		a->cap = cap;
	}
	struct aio_task *task = &a->v[a->n];
	memset(task, 0, sizeof(*task));
	return task;
}

#define BATCH REMOTE_IOV_MAX
/* bytes of a task's name read in the batch: a short str is whole in them */
#define NAME_HEAD 96

void aio_batch_read(struct target *t, const raddr_t *addrs, size_t n, size_t len, uint8_t *out, uint8_t *ok)
{
	for (size_t i = 0; i < n;) {
		struct remote_iov iov[BATCH];
		size_t at[BATCH];
		int k = 0;
		for (; i < n && k < BATCH; i++) {
			ok[i] = 0;
			if (!addrs[i])
				continue;
			at[k] = i;
			iov[k++] = (struct remote_iov){ addrs[i], out + i * len, len };
		}
		if (k && remote_readv(&t->mem, iov, k, NULL) == 0) {
			for (int j = 0; j < k; j++)
				ok[at[j]] = 1;
			continue;
		}
		/* one piece failed (a task freed while read): the others one by one */
		for (int j = 0; j < k; j++)
			ok[at[j]] = remote_read(&t->mem, iov[j].addr, iov[j].buf, len, NULL) == 0;
	}
}

/* Whether the type at `type` is a heap class named Task or derives from one:
 * asyncio's pure-Python Task (asyncio.tasks._PyTask) and its subclasses. */
static bool is_py_task_type(struct reader *r, raddr_t type)
{
	struct target *t = r->t;
	raddr_t at = type;
	for (int depth = 0; at && depth < 16; depth++) {
		const struct type_info *ti;
		if (pyobj_type_at(t, at, &ti, NULL) < 0)
			return false;
		if ((ti->flags & PYOBJ_TPFLAGS_HEAPTYPE) && strcmp(ti->name, "Task") == 0)
			return true;
		if (t->layout.type.base < 0 || target_read_ptr(t, at + (raddr_t)t->layout.type.base, &at, NULL) < 0)
			return false;
	}
	return false;
}

/* An attribute, with None read as absent (0). */
static raddr_t attr_or_0(struct target *t, raddr_t obj, const char *name)
{
	raddr_t v = 0;
	const struct type_info *ti;
	if (pyobj_attr(t, obj, name, &v, NULL) < 0 || !v || pyobj_type(t, v, &ti, NULL) < 0 ||
	    pyobj_static_named(ti, "NoneType"))
		return 0;
	return v;
}

/* A task of a pure-Python Task class: its fields are instance attributes
 * (_coro, _state, _loop, _fut_waiter, _name, _callbacks; 3.14+
 * _asyncio_awaited_by), each absent from the instance while it keeps the
 * class's default.  1 when it is one (kept if pending), 0 if not. */
static int keep_py_task(struct reader *r, raddr_t addr, raddr_t type, struct pyspy_err *e)
{
	struct target *t = r->t;
	char state[16];
	raddr_t coro, st;

	if (!is_py_task_type(r, type) || !(coro = attr_or_0(t, addr, "_coro")))
		return 0;
	/* _state stays the class's 'PENDING' until the future is done */
	if ((st = attr_or_0(t, addr, "_state")) != 0 &&
	    (pyobj_str(t, st, state, sizeof(state), NULL, NULL) < 0 || strcmp(state, "PENDING") != 0))
		return 1;
	struct aio_task *task = new_task(r->a);
	if (!task)
		return err_set(e, PS_ENOMEM, "out of memory");
	task->addr = addr;
	task->coro = coro;
	task->loop = attr_or_0(t, addr, "_loop");
	task->waiter = attr_or_0(t, addr, "_fut_waiter");
	task->callbacks = attr_or_0(t, addr, "_callbacks");
	task->name_obj = attr_or_0(t, addr, "_name");
	if (r->A->registry == AIO_REG_LLIST && (task->awaited_raw = attr_or_0(t, addr, "_asyncio_awaited_by")))
		task->awaited_is_set = true;
	if (index_put(r->a, addr, r->a->n) < 0)
		return err_set(e, PS_ENOMEM, "out of memory");
	r->a->n++;
	return 1;
}

/* Keep the object at addr, whose task_size bytes are in buf, when it is a
 * pending task not seen yet.  0, or negative on failure. */
static int keep_task(struct reader *r, raddr_t addr, const uint8_t *buf, struct pyspy_err *e)
{
	struct target *t = r->t;
	const struct aio_layout *A = r->A;

	if (!addr || aio_index_of(r->a, addr) >= 0)
		return 0;
	if (r->a->n >= AIO_TASKS_MAX)
		return err_set(e, PS_ECORRUPT, "more than %u tasks: the task list loops or is corrupt", AIO_TASKS_MAX);
	raddr_t type = rbuf_u64(buf, t->layout.object.type);
	if (!is_c_task(r, type)) {
		int rc = keep_py_task(r, addr, type, e);
		if (rc == 0)
			r->a->foreign++;
		return rc < 0 ? rc : 0;
	}
	if (rbuf_u32(buf, A->fut_state) != AIO_STATE_PENDING)
		return 0;
	struct aio_task *task = new_task(r->a);
	if (!task)
		return err_set(e, PS_ENOMEM, "out of memory");
	task->addr = addr;
	task->loop = rbuf_u64(buf, A->fut_loop);
	task->coro = rbuf_u64(buf, A->task_coro);
	task->waiter = rbuf_u64(buf, A->task_fut_waiter);
	task->callback0 = rbuf_u64(buf, A->fut_callback0);
	task->callbacks = rbuf_u64(buf, A->fut_callbacks);
	if (A->task_awaited_by >= 0) {
		task->awaited_raw = rbuf_u64(buf, A->task_awaited_by);
		task->awaited_is_set = buf[A->task_awaited_by_is_set] != 0;
	}
	task->name_obj = rbuf_u64(buf, A->task_name);
	if (index_put(r->a, addr, r->a->n) < 0)
		return err_set(e, PS_ENOMEM, "out of memory");
	r->a->n++;
	return 0;
}

/* Read each candidate object and keep the pending C tasks. */
static int read_tasks(struct reader *r, const raddr_t *cands, size_t n, struct pyspy_err *e)
{
	size_t len = (size_t)r->A->task_size;
	uint8_t *buf = malloc(n * len + 1), *ok = malloc(n + 1);
	int rc = 0;

	if (!buf || !ok || len > 4096)
		rc = err_set(e, PS_ENOMEM, "out of memory");
	if (rc == 0)
		aio_batch_read(r->t, cands, n, len, buf, ok);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (pyspy_interrupted)
			rc = err_set(e, PS_EINTR, "interrupted");
		else if (ok[i])
			rc = keep_task(r, cands[i], buf + i * len, e);
	}
	free(buf);
	free(ok);
	return rc;
}

/* ---- Python containers (3.8–3.13) ---- */

/* The tasks of a set: its keys, or (weak) the referents of its weak references. */
static int set_tasks(struct reader *r, raddr_t set, bool weak, struct pyspy_err *e)
{
	struct target *t = r->t;
	const struct py_layout *L = &t->layout;
	uint8_t head[256];
	raddr_t *keys = NULL;
	size_t n = 0;
	int rc;

	if (!set)
		return 0;
	if ((size_t)L->set.size > sizeof(head) || L->set.size <= 0 || L->set.entry_size <= 0)
		return err_set(e, PS_EUNSUP, "no set layout");
	if ((rc = remote_read(&t->mem, set, head, (size_t)L->set.size, e)) < 0)
		return rc;
	uint64_t mask = rbuf_u64(head, L->set.mask);
	raddr_t table = rbuf_u64(head, L->set.table);
	if (mask + 1 > SET_MAX_SLOTS || ((mask + 1) & mask))
		return err_set(e, PS_ECORRUPT, "a task set of %" PRIu64 " slots", mask + 1);
	size_t esz = (size_t)L->set.entry_size, len = (size_t)(mask + 1) * esz;
	uint8_t *tab = malloc(len);
	if (!tab || !(keys = malloc((size_t)(mask + 1) * sizeof(*keys)))) {
		rc = err_set(e, PS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = remote_read(&t->mem, table, tab, len, e)) < 0)
		goto out;
	for (size_t i = 0; i <= mask; i++) {
		raddr_t key = rbuf_u64(tab + i * esz, L->set.entry_key);
		int64_t hash = (int64_t)rbuf_u64(tab + i * esz, L->set.entry_hash);
		if (key && hash != -1)	/* not empty, not a dummy left by a removal */
			keys[n++] = key + (weak ? (raddr_t)r->A->weakref_object : 0);
	}
	if (weak) {	/* each weak reference's wr_object, in place */
		uint8_t *ok = malloc(n + 1);
		if (!ok) {
			rc = err_set(e, PS_ENOMEM, "out of memory");
			goto out;
		}
		aio_batch_read(t, keys, n, 8, (uint8_t *)keys, ok);
		for (size_t i = 0; i < n; i++)
			if (!ok[i])
				keys[i] = 0;
		free(ok);
	}
	rc = read_tasks(r, keys, n, e);
out:
	free(keys);
	free(tab);
	return rc < 0 ? rc : 0;
}

static int module_dict(struct target *t, const char *name, raddr_t *mdict, struct pyspy_err *e)
{
	raddr_t modules, mod = 0;
	int rc = target_read_ptr(t, t->interp + (raddr_t)t->layout.interp.modules, &modules, e);
	*mdict = 0;
	if (rc == 0)
		rc = pyobj_dict_get_str(t, modules, name, &mod, e);
	if (rc == 0 && mod)
		rc = target_read_ptr(t, mod + (raddr_t)t->layout.module.dict, mdict, e);
	return rc;
}

static int weakset(struct reader *r, raddr_t mdict, const char *name, struct pyspy_err *e)
{
	raddr_t ws = 0, data = 0;
	int rc = pyobj_dict_get_str(r->t, mdict, name, &ws, e);
	if (rc == 0 && ws)
		rc = pyobj_attr(r->t, ws, "data", &data, e);
	return rc < 0 ? rc : set_tasks(r, data, true, e);
}

/* The tasks of every loop's _current_tasks entry are running. */
static int visit_current(void *arg, raddr_t key, raddr_t value)
{
	struct aio_tasks *a = arg;
	long i = aio_index_of(a, value);
	(void)key;
	if (i >= 0)
		a->v[i].running = true;
	return 0;
}

static int read_registries(struct reader *r, struct pyspy_err *e)
{
	struct target *t = r->t;
	raddr_t mdict, cur = 0, eager = 0;
	int rc;

	if ((rc = module_dict(t, "asyncio.tasks", &mdict, e)) < 0)
		return rc;
	if (!mdict)
		return 0;
	r->a->has_asyncio = true;
	if (r->A->registry == AIO_REG_ALL_TASKS) {
		r->a->source = "asyncio.tasks._all_tasks";
		rc = weakset(r, mdict, "_all_tasks", e);
	} else {
		r->a->source = "asyncio.tasks._scheduled_tasks and _eager_tasks";
		rc = weakset(r, mdict, "_scheduled_tasks", e);
		if (rc == 0 && (rc = pyobj_dict_get_str(t, mdict, "_eager_tasks", &eager, e)) == 0)
			rc = set_tasks(r, eager, false, e);
	}
	if (rc == 0 && (rc = pyobj_dict_get_str(t, mdict, "_current_tasks", &cur, e)) == 0 && cur)
		rc = pyobj_dict_foreach(t, cur, visit_current, r->a, e);
	return rc;
}

/* ---- linked lists (3.14+) ---- */

/* Where the AsyncioDebug section is in the target: the _asyncio extension's
 * file, or the interpreter's own module when _asyncio is built in. */
static int find_debug_section(struct target *t, raddr_t *where, struct pyspy_err *e)
{
	const char *seen[8];
	int nseen = 0;

	*where = 0;
	for (size_t i = 0; i < t->maps.n && !*where; i++) {
		const char *p = t->maps.v[i].path, *base;
		if (!p || p[0] != '/')
			continue;
		base = strrchr(p, '/') + 1;
		if (strncmp(base, "_asyncio.", 9) != 0 && strcmp(p, t->pymodule) != 0)
			continue;
		bool again = false;
		for (int k = 0; k < nseen; k++)
			again |= strcmp(seen[k], p) == 0;
		if (again || nseen == 8)
			continue;
		seen[nseen++] = p;
		char real[PATH_MAX + 32];
		struct elfsym es;
		uint64_t addr, size;
		procfs_path(t->pid, p, real, sizeof(real));
		if (elfsym_open(&es, real, NULL) < 0)
			continue;
		if (elfsym_section(&es, AIO_DEBUG_SECTION, &addr, &size, NULL) == 0 && size >= AIO_DEBUG_SIZE) {
			raddr_t lo = 0;
			for (size_t j = 0; j < t->maps.n; j++)
				if (t->maps.v[j].path && strcmp(t->maps.v[j].path, p) == 0 && (!lo || t->maps.v[j].start < lo))
					lo = t->maps.v[j].start;
			*where = lo - es.load_vaddr + addr;
		}
		elfsym_close(&es);
	}
	(void)e;
	return 0;
}

/* The tasks of the circular list whose head node is at `head`: each step
 * reads the whole task, whose task_node holds the next link. */
static int walk_list(struct reader *r, raddr_t head, struct pyspy_err *e)
{
	uint8_t buf[4096];
	size_t len = (size_t)r->A->task_size, steps = 0;
	raddr_t node;
	int rc;

	if (len > sizeof(buf) || (size_t)r->A->task_node + 8 > len)
		return err_set(e, PS_EUNSUP, "task layout too large");
	if ((rc = target_read_ptr(r->t, head, &node, e)) < 0)
		return rc;
	while (node && node != head) {
		raddr_t task = node - (raddr_t)r->A->task_node;
		if (++steps > AIO_TASKS_MAX || pyspy_interrupted)
			return pyspy_interrupted ? err_set(e, PS_EINTR, "interrupted")
				: err_set(e, PS_ECORRUPT, "the task list at 0x%" PRIx64 " does not end", head);
		if ((rc = remote_read(&r->t->mem, task, buf, len, e)) < 0)
			return rc;
		if ((rc = keep_task(r, task, buf, e)) < 0)
			return rc;
		node = rbuf_u64(buf, r->A->task_node);
	}
	return 0;
}

static int read_lists(struct reader *r, struct aio_layout *A, const struct py_thread *threads, size_t n,
		      struct pyspy_err *e)
{
	struct target *t = r->t;
	raddr_t sect, mdict;
	uint8_t blob[AIO_DEBUG_SIZE];
	char why[200];
	int rc;

	if ((rc = module_dict(t, "asyncio", &mdict, e)) < 0)
		return rc;
	if (!mdict)
		return 0;
	r->a->has_asyncio = true;
	find_debug_section(t, &sect, e);
	if (!sect)
		return err_set(e, PS_EUNSUP, "asyncio is loaded but its AsyncioDebug section was not found "
			       "(in _asyncio's module or %s)", t->pymodule);
	if ((rc = remote_read(&t->mem, sect, blob, sizeof(blob), e)) < 0)
		return rc;
	if (aio_layout_from_debug(blob, sizeof(blob), &t->layout, A, why, sizeof(why)) < 0)
		return err_set(e, PS_EUNSUP, "the target's AsyncioDebug offsets cannot be trusted: %s", why);
	r->a->source = "the thread states' task lists (AsyncioDebug)";
	r->a->running_task_off = A->tstate_running_task;
	for (size_t i = 0; i < n; i++) {
		if (threads[i].interp != t->interp)
			continue;
		if ((rc = walk_list(r, threads[i].tstate + (raddr_t)A->tstate_tasks_head, e)) < 0)
			return rc;
	}
	if ((rc = walk_list(r, t->interp + (raddr_t)A->interp_tasks_head, e)) < 0)
		return rc;
	/* tasks of other Task classes are only in this WeakSet: counted as foreign */
	raddr_t tdict;
	if (module_dict(t, "asyncio.tasks", &tdict, NULL) == 0 && tdict &&
	    (rc = weakset(r, tdict, "_scheduled_tasks", e)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		raddr_t task, loop;
		if (threads[i].interp != t->interp)
			continue;
		if (target_read_ptr(t, threads[i].tstate + (raddr_t)A->tstate_running_task, &task, NULL) == 0) {
			long k = aio_index_of(r->a, task);
			if (k >= 0)
				r->a->v[k].running = true;
		}
		if (target_read_ptr(t, threads[i].tstate + (raddr_t)A->tstate_running_loop, &loop, NULL) == 0 && loop)
			for (size_t k = 0; k < r->a->n; k++)
				if (r->a->v[k].loop == loop) {
					r->a->v[k].thread_id = threads[i].thread_id;
					r->a->v[k].os_tid = threads[i].os_tid;
				}
	}
	return 0;
}

/* Every task's name: the heads of the str objects in batches. */
static int name_tasks(struct target *t, struct aio_tasks *a, struct pyspy_err *e)
{
	raddr_t *addrs = malloc((a->n + 1) * sizeof(*addrs));
	uint8_t *heads = malloc((a->n + 1) * NAME_HEAD), *ok = malloc(a->n + 1);
	int rc = 0;

	if (!addrs || !heads || !ok) {
		rc = err_set(e, PS_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < a->n; i++)
		addrs[i] = a->v[i].name_obj;
	aio_batch_read(t, addrs, a->n, NAME_HEAD, heads, ok);
	for (size_t i = 0; i < a->n; i++) {
		char buf[1024];
		size_t len;
		if (ok[i] && pyobj_str_head(t, addrs[i], heads + i * NAME_HEAD, NAME_HEAD, buf, sizeof(buf),
					    &len, NULL) == 0)
			a->v[i].name = strtab_intern(&t->strings, buf, len);
		if (!a->v[i].name)
			a->v[i].name = task_name(t, addrs[i]);
	}
out:
	free(addrs);
	free(heads);
	free(ok);
	return rc;
}

/* ---- threads ---- */

/* Each loop's thread, from its _thread_id (set by run_forever, None otherwise). */
static void map_threads(struct target *t, struct aio_tasks *a, const struct py_thread *threads, size_t n)
{
	raddr_t loops[16];
	uint64_t ids[16];
	int nloops = 0;

	for (size_t i = 0; i < a->n; i++) {
		struct aio_task *task = &a->v[i];
		uint64_t id = 0;
		int k;
		if (task->thread_id || !task->loop)
			continue;
		for (k = 0; k < nloops && loops[k] != task->loop; k++)
			;
		if (k < nloops) {
			id = ids[k];
		} else {
			raddr_t v = 0;
			bool neg;
			if (pyobj_attr(t, task->loop, "_thread_id", &v, NULL) < 0 || !v ||
			    pyobj_int(t, v, &id, &neg, NULL) < 0)
				id = 0;
			if (nloops < 16) {
				loops[nloops] = task->loop;
				ids[nloops++] = id;
			}
		}
		task->thread_id = id;
		for (size_t j = 0; j < n && id; j++)
			if (threads[j].thread_id == id)
				task->os_tid = threads[j].os_tid;
	}
}

int aio_read(struct target *t, const struct py_thread *threads, size_t nthreads, struct aio_tasks *out,
	     struct pyspy_err *e)
{
	struct aio_layout A;
	const struct aio_layout *table;
	struct reader r;
	int rc;

	memset(out, 0, sizeof(*out));
	out->running_task_off = -1;
	if (t->version.major != 3 || t->version.minor < 8)
		return err_set(e, PS_EUNSUP, "asyncio tasks are read on Python 3.8 and later; this is Python %s",
			       t->version_str);
	if (!(table = aio_layout_for_minor(t->version.minor)))
		return err_set(e, PS_EUNSUP, "no asyncio layout for Python %s", t->version_str);
	A = *table;
	memset(&r, 0, sizeof(r));
	r.t = t;
	r.A = &A;
	r.a = out;
	if (A.registry == AIO_REG_LLIST)
		rc = read_lists(&r, &A, threads, nthreads, e);
	else
		rc = read_registries(&r, e);
	if (rc < 0)
		return rc;
	if ((rc = name_tasks(t, out, e)) < 0)
		return rc;
	map_threads(t, out, threads, nthreads);
	if ((rc = aio_chains(t, &A, out, e)) < 0)
		return rc;
	return aio_graph(t, &A, out, e);
}

void aio_release(struct aio_tasks *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].frames);
		free(a->v[i].awaited_by);
	}
	for (size_t i = 0; i < a->ncycles; i++)
		free(a->cycles[i].v);
	free(a->cycles);
	free(a->v);
	if (a->index) {
		free(a->index->keys);
		free(a->index->vals);
		free(a->index);
	}
	memset(a, 0, sizeof(*a));
}
