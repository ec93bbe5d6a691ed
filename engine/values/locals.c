/*
 * locals.c — the variables of one frame.
 *
 * Both frame models keep a frame's variables in one array of object pointers
 * ("localsplus"): inside the PyFrameObject up to 3.10, inside the
 * _PyInterpreterFrame from 3.11.  The code object names each slot and says its
 * kind (code_vars), so reading the variables is one read of n pointers, then
 * one more read per cell to follow it to its value.
 *
 * Cells need care.  Up to 3.10 every cell slot holds a cell from the frame's
 * start, and an argument that is captured keeps a (stale or NULL) local slot
 * besides its cell: the two are merged under the argument's name.  From 3.11
 * an argument that is captured has one slot of kind LOCAL|CELL, which holds
 * the plain argument until the MAKE_CELL prologue has run and a cell after;
 * so a CELL slot is dereferenced only when it really holds a cell, told by the
 * type of what it holds (a static type named "cell").  FREE slots hold the
 * closure's cells.  From 3.14 slots are tagged references: the layout's
 * stackref_mask clears the tag bits, and a tagged int is read as no object.
 */
#include "locals.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/python/code.h"
#include "engine/python/pyobj.h"

#define LOCALS_MAX_SLOTS 65536

static int frame_field(struct target *t, const struct py_frame *f, int32_t obj_off, int32_t iframe_off,
		       raddr_t *out, const char *what, struct pyspy_err *e)
{
	int32_t off = t->layout.frame_model == FRAME_MODEL_OBJECT ? obj_off : iframe_off;
	*out = 0;
	if (off < 0)
		return err_set(e, PS_EUNSUP, "this Python's layout has no frame %s", what);
	if (!f->addr)
		return err_set(e, PS_EFAULT, "frame has no address");
	return remote_read_ptr(&t->mem, f->addr + (raddr_t)off, out, e);
}

int globals_dict(struct target *t, const struct py_frame *f, raddr_t *dict, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	int rc = frame_field(t, f, L->pyframe.globals, L->iframe.globals, dict, "globals", e);
	if (rc == 0 && !*dict)
		return err_set(e, PS_EFAULT, "frame of %s has no globals", f->function);
	return rc;
}

int builtins_dict(struct target *t, const struct py_frame *f, raddr_t *dict, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	if (frame_field(t, f, L->pyframe.builtins, L->iframe.builtins, dict, "builtins", NULL) == 0 && *dict)
		return 0;
	if (L->interp.builtins < 0)
		return err_set(e, PS_EUNSUP, "this Python's layout has no builtins");
	return target_read_ptr(t, t->interp + (raddr_t)L->interp.builtins, dict, e);
}

/* The value a cell holds, or the object itself when it is not a cell. */
static raddr_t deref_cell(struct target *t, raddr_t obj)
{
	const struct type_info *ti;
	raddr_t v = 0;
	if (!obj || pyobj_type(t, obj, &ti, NULL) < 0)
		return obj;
	if ((ti->flags & PYOBJ_TPFLAGS_HEAPTYPE) || strcmp(ti->name, "cell") != 0)
		return obj;
	if (t->layout.cell.ob_ref < 0 || remote_read_ptr(&t->mem, obj + (raddr_t)t->layout.cell.ob_ref, &v, NULL) < 0)
		return 0;
	return v;
}

static int read_slots(struct target *t, const struct py_frame *f, raddr_t *slots, int n, struct pyspy_err *e)
{
	const struct py_layout *L = &t->layout;
	int32_t off = L->frame_model == FRAME_MODEL_OBJECT ? L->pyframe.localsplus : L->iframe.localsplus;
	if (off < 0)
		return err_set(e, PS_EUNSUP, "this Python's layout has no frame locals");
	if (n == 0)
		return 0;
	int rc = remote_read(&t->mem, f->addr + (raddr_t)off, slots, (size_t)n * sizeof(*slots), e);
	/* a tagged int (low bits 3) is a value, not an object: no pointer to follow */
	for (int i = 0; rc == 0 && i < n; i++)
		slots[i] = L->stackref_mask && (slots[i] & 3) == 3 ? 0 : slots[i] & ~(raddr_t)L->stackref_mask;
	return rc;
}

/* Fold a cell that repeats a local's name (≤3.10 captured arguments) into the local. */
static bool merge_into_local(struct py_var *vars, size_t n, const struct py_var *cell)
{
	for (size_t i = 0; i < n; i++) {
		if (vars[i].name == cell->name && vars[i].kind == PY_VAR_LOCAL) {
			vars[i].kind = PY_VAR_CELL;
			vars[i].value = cell->value;
			return true;
		}
	}
	return false;
}

static enum py_var_kind kind_of(uint8_t k)
{
	if (k & CODE_FAST_FREE)
		return PY_VAR_FREE;
	return (k & CODE_FAST_CELL) ? PY_VAR_CELL : PY_VAR_LOCAL;
}

int locals_read(struct target *t, const struct py_frame *f, struct py_var **vars, size_t *n, struct pyspy_err *e)
{
	const struct code_vars *cv;
	struct code_info *ci = f->ci;
	int rc;

	*vars = NULL;
	*n = 0;
	if (!ci && (rc = code_get(t, f->code, &ci, e)) < 0)
		return rc;
	if ((rc = code_vars(t, ci, &cv, e)) < 0)
		return rc;
	if (cv->n > LOCALS_MAX_SLOTS)
		return err_set(e, PS_ECORRUPT, "%s has %d variables", ci->name, cv->n);
	raddr_t *slots = malloc((size_t)(cv->n ? cv->n : 1) * sizeof(*slots));
	struct py_var *out = calloc((size_t)(cv->n ? cv->n : 1), sizeof(*out));
	if (!slots || !out) {
		rc = err_set(e, PS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = read_slots(t, f, slots, cv->n, e)) < 0) {
		err_wrap(e, "locals of %s", ci->name);
		goto out;
	}
	size_t k = 0;
	for (int i = 0; i < cv->n; i++) {
		uint8_t kind = cv->kinds[i];
		if (kind & CODE_FAST_HIDDEN)
			continue;
		struct py_var v = { cv->names[i], slots[i], i < cv->nargs, kind_of(kind) };
		if (kind & (CODE_FAST_CELL | CODE_FAST_FREE))
			v.value = deref_cell(t, v.value);
		if (v.kind != PY_VAR_LOCAL && !(kind & CODE_FAST_LOCAL) && merge_into_local(out, k, &v))
			continue;
		out[k++] = v;
	}
	*vars = out;
	*n = k;
	out = NULL;
out:
	free(slots);
	free(out);
	return rc;
}
