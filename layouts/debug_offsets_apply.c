/*
 * debug_offsets_apply.c — the conversion steps every _Py_DebugOffsets reader
 * shares (debug_offsets.c has one reader per shape): how a failure is told
 * (not this shape, or a table whose numbers contradict each other), the raw
 * table's check, every value range-checked before it becomes an int32
 * offset, and the groups of fields 3.13, 3.14 and 3.15 carry alike.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "debug_offsets_impl.h"
#include "layout_fields.h"

static int fail_as(struct conv *c, int code, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

static int fail_as(struct conv *c, int code, const char *fmt, va_list ap)
{
	if (!c->failed && c->why && c->whylen)
		vsnprintf(c->why, c->whylen, fmt, ap);
	if (!c->failed)
		c->failed = code;
	return c->failed;
}

/* The target is not one this parser knows (cookie, version, build kind). */
int dbg_fail(struct conv *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = fail_as(c, -1, fmt, ap);
	va_end(ap);
	return rc;
}

/* The table's numbers contradict each other: a torn or scribbled table. */
int dbg_inconsistent(struct conv *c, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = fail_as(c, LAYOUT_DEBUG_INCONSISTENT, fmt, ap);
	va_end(ap);
	return rc;
}

/* The raw table, before any value is used (debug_offsets_check.c). */
int dbg_check_raw(struct conv *c, const void *blob, unsigned minor)
{
	char why[200];

	if (debug_offsets_check(blob, minor, why, sizeof why) < 0)
		return dbg_inconsistent(c, "%s", why);
	return 0;
}

/* Store a remote offset or size after checking it fits an int32. */
void dbg_put(struct conv *c, int32_t *dst, uint64_t v, const char *name)
{
	if (v > (uint64_t)INT32_MAX) {
		dbg_inconsistent(c, "%s = %llu is not an offset", name, (unsigned long long)v);
		return;
	}
	*dst = (int32_t)v;
}

/* A field relative to a sub-struct whose own offset is also given. */
void dbg_put_rel(struct conv *c, int32_t *dst, uint64_t v, uint64_t base, const char *name)
{
	if (v < base) {
		dbg_inconsistent(c, "%s = %llu before the struct it is in, at %llu", name,
			     (unsigned long long)v, (unsigned long long)base);
		return;
	}
	dbg_put(c, dst, v - base, name);
}

void dbg_apply_runtime(struct conv *c, const struct dbg_runtime *r)
{
	PUT(runtime.size, r->size);
	PUT(runtime.finalizing, r->finalizing);
	PUT(runtime.interpreters_head, r->interpreters_head);
}

void dbg_apply_tstate(struct conv *c, const struct dbg_tstate *t)
{
	PUT(tstate.size, t->size);
	PUT(tstate.prev, t->prev);
	PUT(tstate.next, t->next);
	PUT(tstate.interp, t->interp);
	PUT(tstate.current_frame, t->current_frame);
	PUT(tstate.thread_id, t->thread_id);
	PUT(tstate.native_thread_id, t->native_thread_id);
	PUT(tstate.datastack_chunk, t->datastack_chunk);
}

/* Object groups whose shape is the same in 3.13 and 3.14. */
void dbg_apply_objects(struct conv *c, const struct dbg_sized2 *object,
			  const struct dbg_type *type, const struct dbg_sized3 *tuple,
			  const struct dbg_sized3 *list, const struct dbg_sized3 *dict)
{
	PUT(object.type, object->a);
	PUT(object.var_size, tuple->b);
	PUT(type.size, type->size);
	PUT(type.name, type->tp_name);
	PUT(type.flags, type->tp_flags);
	PUT(tuple.size, tuple->size);
	PUT(tuple.items, tuple->a);
	PUT(list.size, list->size);
	PUT(list.items, list->a);
	PUT(dict.size, dict->size);
	PUT(dict.keys, dict->a);
	PUT(dict.values, dict->b);
}

void dbg_apply_scalars(struct conv *c, const struct dbg_sized2 *fl, const struct dbg_sized3 *lo,
			  const struct dbg_sized3 *by, const struct dbg_unicode *u)
{
	PUT(float_obj.size, fl->size);
	PUT(float_obj.fval, fl->a);
	PUT(long_obj.size, lo->size);
	PUT(long_obj.tag, lo->a);
	PUT(long_obj.digits, lo->b);
	PUT(bytes.size, by->size);
	PUT(bytes.sval, by->b);
	PUT(unicode.size, u->size);
	PUT(unicode.state, u->state);
	PUT(unicode.length, u->length);
	PUT(unicode.ascii_size, u->ascii_size);
}

void dbg_apply_core(struct conv *c, const struct dbg_core *d)
{
	PUT(interp.size, d->i_size);
	PUT(interp.id, d->i_id);
	PUT(interp.next, d->i_next);
	PUT(interp.tstate_head, d->i_threads_head);
	PUT(interp.modules, d->i_modules);
	PUT(interp.sysdict, d->i_sysdict);
	PUT(interp.builtins, d->i_builtins);
	PUT(interp.ceval_gil, d->i_ceval_gil);
	dbg_put_rel(c, &c->out->gil.locked, d->i_gil_locked, d->i_gil_state, "gil.locked");
	dbg_put_rel(c, &c->out->gil.last_holder, d->i_gil_holder, d->i_gil_state, "gil.last_holder");
	PUT(iframe.size, d->f_size);
	PUT(iframe.previous, d->f_previous);
	PUT(iframe.code, d->f_executable);
	PUT(iframe.instr, d->f_instr_ptr);
	PUT(iframe.localsplus, d->f_localsplus);
	PUT(iframe.owner, d->f_owner);
	PUT(code.size, d->c_size);
	PUT(code.filename, d->c_filename);
	PUT(code.name, d->c_name);
	PUT(code.qualname, d->c_qualname);
	PUT(code.linetable, d->c_linetable);
	PUT(code.firstlineno, d->c_firstlineno);
	PUT(code.argcount, d->c_argcount);
	PUT(code.localsplusnames, d->c_localsplusnames);
	PUT(code.localspluskinds, d->c_localspluskinds);
	PUT(code.code_adaptive, d->c_code_adaptive);
}

/* Every int32 field OFF_NONE, scalars and flags zero, models unset. */
void dbg_layout_clear(struct py_layout *l)
{
	memset(l, 0, sizeof *l);
#define CLEAR(f) l->f = OFF_NONE;
	LAYOUT_SCALAR_FIELDS(CLEAR)
	LAYOUT_OFFSET_FIELDS(CLEAR)
#undef CLEAR
	l->stackref_mask = 0;
}
