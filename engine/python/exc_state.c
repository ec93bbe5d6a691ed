/*
 * exc_state.c — a thread's exceptions, read from its PyThreadState.
 *
 * An exception being raised sits in the thread state until an except clause
 * takes it: curexc_type (through 3.11) or current_exception (3.12+).  One
 * being handled is what sys.exc_info() returns.  Through 3.6 that is the
 * thread state's exc_type; from 3.7 it is the top of a chain of
 * _PyErr_StackItem (a generator running pushes its own), and sys.exc_info()
 * takes the first item whose exc_type (3.7–3.10) or exc_value (3.11+) is
 * neither NULL nor None.  The chain is walked the same way, bounded.
 *
 * None is told by its type; its address is then remembered (None is one
 * object for the process's life), so the steady cost is the thread-state
 * bytes the sampler read anyway plus one small read per chain item.
 */
#include "exc_state.h"

#include "engine/os/rbuf.h"
#include "pyobj.h"

#define CHAIN_MAX 64

static bool fits(const struct target *t, int32_t off)
{
	return off >= 0 && (size_t)off + 8 <= t->tstate_len;
}

/* 1 when obj holds an exception: not NULL, not None; -1 when unreadable. */
static int holds(struct target *t, raddr_t obj, raddr_t *none)
{
	const struct type_info *ti;
	if (!obj || obj == *none)
		return 0;
	if (*none)
		return 1;    /* None is one object: this is not it */
	if (pyobj_type(t, obj, &ti, NULL) < 0)
		return -1;
	if (pyobj_kind(t, ti) != PYK_NONE)
		return 1;
	*none = obj;
	return 0;
}

int exc_state_active(struct target *t, const uint8_t *tsbuf, raddr_t *none)
{
	const struct py_layout *L = &t->layout;
	int32_t raised = L->exc.current_exception >= 0 ? L->exc.current_exception : L->exc.curexc_type;
	if (!fits(t, raised))
		return -1;
	if (rbuf_u64(tsbuf, raised))
		return 1;
	if (L->exc.exc_info < 0)
		return fits(t, L->exc.exc_type) ? holds(t, rbuf_u64(tsbuf, L->exc.exc_type), none) : -1;
	if (!fits(t, L->exc.exc_info) || L->exc.item_previous < 0)
		return -1;
	int32_t field = L->exc.item_type >= 0 ? L->exc.item_type : L->exc.item_value;
	if (field < 0 || field > 64 || L->exc.item_previous > 64)
		return -1;
	raddr_t item = rbuf_u64(tsbuf, L->exc.exc_info);
	for (int i = 0; item && i < CHAIN_MAX; i++) {
		uint8_t buf[80];
		size_t len = (size_t)(field > L->exc.item_previous ? field : L->exc.item_previous) + 8;
		if (remote_read(&t->mem, item, buf, len, NULL) < 0)
			return -1;
		int h = holds(t, rbuf_u64(buf, field), none);
		if (h)
			return h;
		item = rbuf_u64(buf, L->exc.item_previous);
	}
	return 0;
}
