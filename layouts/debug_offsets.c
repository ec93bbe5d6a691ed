/*
 * debug_offsets.c — fill a struct py_layout from a target's _Py_DebugOffsets.
 *
 * CPython 3.13 and later start _PyRuntime with a table of offsets written by
 * the compiler that built the target: the most trustworthy description of
 * that process there is.  Its shape is fixed within a minor version and
 * changes between minors, so each known shape is mirrored here as a struct of
 * uint64_t (3.13: 584 bytes; 3.14: 760 bytes; 3.15: 888 bytes, from CPython's
 * Include/internal/pycore_debug_offsets.h) and copied out of the caller's
 * bytes with memcpy, never cast in place.  The header carries no size, so the
 * shape is chosen by major.minor from `shapes[]` below, the one list of what
 * this file can read: a minor not in it, or a free-threaded build of one, is
 * refused with a message for the user, never read in a guessed shape.
 *
 * The table carries fewer fields than struct py_layout.  For 3.13 the rest
 * comes from the generated 3.13 table.  For 3.14 there is no table, so a field
 * the debug offsets lack is taken from the 3.13 table only under a rule that
 * says why it is safe: the struct is known unchanged (_PyStackChunk), or a
 * neighbouring field that both versions carry sits at the same place (the
 * "anchor"), or the field is declared right next to an anchor in both.  What
 * no rule covers stays OFF_NONE, and a missing field the engine cannot do
 * without is an error, not a guess.  3.15 is read the same way (its table
 * gives more fields directly, e.g. tp_basicsize and ht_cached_keys).  When a
 * generated table of the target's own minor exists, it fills what is still
 * missing after that, and the caller cross-checks the two.
 *
 * The blob is remote memory: every value is range-checked before it becomes
 * an int32 offset.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "debug_offsets.h"
#include "layout_fields.h"

struct dbg_head {
	char cookie[8];
	uint64_t version;
	uint64_t free_threaded;
};

/* The groups both 3.13 and 3.14 have, in 3.13's shape. */
struct dbg_runtime { uint64_t size, finalizing, interpreters_head; };
struct dbg_tstate {
	uint64_t size, prev, next, interp, current_frame, thread_id, native_thread_id,
		 datastack_chunk, status;
};
struct dbg_sized2 { uint64_t size, a; };
struct dbg_sized3 { uint64_t size, a, b; };
struct dbg_type { uint64_t size, tp_name, tp_repr, tp_flags; };
struct dbg_unicode { uint64_t size, state, length, ascii_size; };

struct dbg313 {
	struct dbg_head h;
	struct dbg_runtime runtime;
	struct {
		uint64_t size, id, next, threads_head, gc, imports_modules, sysdict, builtins,
			 ceval_gil, gil_state, gil_enabled, gil_locked, gil_holder;
	} interp;
	struct dbg_tstate tstate;
	struct { uint64_t size, previous, executable, instr_ptr, localsplus, owner; } iframe;
	struct {
		uint64_t size, filename, name, qualname, linetable, firstlineno, argcount,
			 localsplusnames, localspluskinds, code_adaptive;
	} code;
	struct dbg_sized2 object;	/* ob_type */
	struct dbg_type type;
	struct dbg_sized3 tuple, list;	/* ob_item, ob_size */
	struct dbg_sized3 dict;		/* ma_keys, ma_values */
	struct dbg_sized2 float_obj;	/* ob_fval */
	struct dbg_sized3 long_obj;	/* lv_tag, ob_digit */
	struct dbg_sized3 bytes;	/* ob_size, ob_sval */
	struct dbg_unicode unicode;
	struct dbg_sized2 gc;		/* collecting */
};

struct dbg314 {
	struct dbg_head h;
	struct dbg_runtime runtime;
	struct {
		uint64_t size, id, next, threads_head, threads_main, gc, imports_modules,
			 sysdict, builtins, ceval_gil, gil_state, gil_enabled, gil_locked,
			 gil_holder, code_object_generation, tlbc_generation;
	} interp;
	struct dbg_tstate tstate;
	struct {
		uint64_t size, previous, executable, instr_ptr, localsplus, owner,
			 stackpointer, tlbc_index;
	} iframe;
	struct {
		uint64_t size, filename, name, qualname, linetable, firstlineno, argcount,
			 localsplusnames, localspluskinds, code_adaptive, co_tlbc;
	} code;
	struct dbg_sized2 object;
	struct dbg_type type;
	struct dbg_sized3 tuple, list;
	struct { uint64_t size, used, table, mask; } set;
	struct dbg_sized3 dict;
	struct dbg_sized2 float_obj;
	struct dbg_sized3 long_obj;
	struct dbg_sized3 bytes;
	struct dbg_unicode unicode;
	struct dbg_sized2 gc;
	struct { uint64_t size, gi_name, gi_iframe, gi_frame_state; } gen;
	struct { uint64_t next, prev; } llist_node;
	struct {
		uint64_t eval_breaker, remote_debugger_support, remote_debugging_enabled,
			 debugger_pending_call, debugger_script_path, debugger_script_path_size;
	} debugger_support;
};

/* 3.15: 3.14's groups plus new fields in thread_state, type_object, unicode
 * and gc, and two new groups (err_stackitem, heap_type_object). */
struct dbg315 {
	struct dbg_head h;
	struct dbg_runtime runtime;
	struct {
		uint64_t size, id, next, threads_head, threads_main, gc, imports_modules,
			 sysdict, builtins, ceval_gil, gil_state, gil_enabled, gil_locked,
			 gil_holder, code_object_generation, tlbc_generation;
	} interp;
	struct {
		uint64_t size, prev, next, interp, current_frame, base_frame,
			 last_profiled_frame, last_profiled_frame_seq, thread_id,
			 native_thread_id, datastack_chunk, status, holds_gil, gil_requested,
			 current_exception, exc_state;
	} tstate;
	struct { uint64_t exc_value; } err_stackitem;
	struct {
		uint64_t size, previous, executable, instr_ptr, localsplus, owner,
			 stackpointer, tlbc_index;
	} iframe;
	struct {
		uint64_t size, filename, name, qualname, linetable, firstlineno, argcount,
			 localsplusnames, localspluskinds, code_adaptive, co_tlbc;
	} code;
	struct dbg_sized2 object;
	struct { struct dbg_type base; uint64_t tp_basicsize, tp_dictoffset; } type;
	struct dbg_sized2 heap_type;	/* ht_cached_keys */
	struct dbg_sized3 tuple, list;
	struct { uint64_t size, used, table, mask; } set;
	struct dbg_sized3 dict;
	struct dbg_sized2 float_obj;
	struct dbg_sized3 long_obj;
	struct dbg_sized3 bytes;
	struct { struct dbg_unicode base; uint64_t compact_size; } unicode;
	struct { uint64_t size, collecting, frame, generation_stats_size, generation_stats; } gc;
	struct { uint64_t size, gi_name, gi_iframe, gi_frame_state; } gen;
	struct { uint64_t next, prev; } llist_node;
	struct {
		uint64_t eval_breaker, remote_debugger_support, remote_debugging_enabled,
			 debugger_pending_call, debugger_script_path, debugger_script_path_size;
	} debugger_support;
};

_Static_assert(sizeof(struct dbg_head) == LAYOUT_DEBUG_HEADER_SIZE, "header shape");
_Static_assert(sizeof(struct dbg313) == 584, "3.13 _Py_DebugOffsets shape");
_Static_assert(sizeof(struct dbg314) == 760, "3.14 _Py_DebugOffsets shape");
_Static_assert(sizeof(struct dbg315) == 888, "3.15 _Py_DebugOffsets shape");

/* Conversion state: the first failure wins and stops further work. */
struct conv {
	struct py_layout *out;
	char *why;
	size_t whylen;
	int failed;
};

static int fail(struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct conv *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->failed && c->why && c->whylen) {
		va_start(ap, fmt);
		vsnprintf(c->why, c->whylen, fmt, ap);
		va_end(ap);
	}
	c->failed = 1;
	return -1;
}

/* Store a remote offset or size after checking it fits an int32. */
static void put(struct conv *c, int32_t *dst, uint64_t v, const char *name)
{
	if (v > (uint64_t)INT32_MAX) {
		fail(c, "implausible debug offset for %s: %llu", name, (unsigned long long)v);
		return;
	}
	*dst = (int32_t)v;
}

/* A field relative to a sub-struct whose own offset is also given. */
static void put_rel(struct conv *c, int32_t *dst, uint64_t v, uint64_t base, const char *name)
{
	if (v < base) {
		fail(c, "implausible debug offset for %s: %llu before %llu", name,
		     (unsigned long long)v, (unsigned long long)base);
		return;
	}
	put(c, dst, v - base, name);
}

#define PUT(field, v) put(c, &c->out->field, (v), #field)

static void apply_runtime(struct conv *c, const struct dbg_runtime *r)
{
	PUT(runtime.size, r->size);
	PUT(runtime.finalizing, r->finalizing);
	PUT(runtime.interpreters_head, r->interpreters_head);
}

static void apply_tstate(struct conv *c, const struct dbg_tstate *t)
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
static void apply_objects(struct conv *c, const struct dbg_sized2 *object,
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

static void apply_scalars(struct conv *c, const struct dbg_sized2 *fl, const struct dbg_sized3 *lo,
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

/* Interpreter, frame and code groups; the 3.14 parser passes its own values. */
struct dbg_core {
	uint64_t i_size, i_id, i_next, i_threads_head, i_modules, i_sysdict, i_builtins,
		 i_ceval_gil, i_gil_state, i_gil_locked, i_gil_holder;
	uint64_t f_size, f_previous, f_executable, f_instr_ptr, f_localsplus, f_owner;
	uint64_t c_size, c_filename, c_name, c_qualname, c_linetable, c_firstlineno,
		 c_argcount, c_localsplusnames, c_localspluskinds, c_code_adaptive;
};

static void apply_core(struct conv *c, const struct dbg_core *d)
{
	PUT(interp.size, d->i_size);
	PUT(interp.id, d->i_id);
	PUT(interp.next, d->i_next);
	PUT(interp.tstate_head, d->i_threads_head);
	PUT(interp.modules, d->i_modules);
	PUT(interp.sysdict, d->i_sysdict);
	PUT(interp.builtins, d->i_builtins);
	PUT(interp.ceval_gil, d->i_ceval_gil);
	put_rel(c, &c->out->gil.locked, d->i_gil_locked, d->i_gil_state, "gil.locked");
	put_rel(c, &c->out->gil.last_holder, d->i_gil_holder, d->i_gil_state, "gil.last_holder");
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

#define CORE_FROM(d) { \
	(d)->interp.size, (d)->interp.id, (d)->interp.next, (d)->interp.threads_head, \
	(d)->interp.imports_modules, (d)->interp.sysdict, (d)->interp.builtins, \
	(d)->interp.ceval_gil, (d)->interp.gil_state, (d)->interp.gil_locked, \
	(d)->interp.gil_holder, \
	(d)->iframe.size, (d)->iframe.previous, (d)->iframe.executable, \
	(d)->iframe.instr_ptr, (d)->iframe.localsplus, (d)->iframe.owner, \
	(d)->code.size, (d)->code.filename, (d)->code.name, (d)->code.qualname, \
	(d)->code.linetable, (d)->code.firstlineno, (d)->code.argcount, \
	(d)->code.localsplusnames, (d)->code.localspluskinds, (d)->code.code_adaptive }

/* Every int32 field OFF_NONE, scalars and flags zero, models unset. */
static void layout_clear(struct py_layout *l)
{
	memset(l, 0, sizeof *l);
#define CLEAR(f) l->f = OFF_NONE;
	LAYOUT_SCALAR_FIELDS(CLEAR)
	LAYOUT_OFFSET_FIELDS(CLEAR)
#undef CLEAR
	l->stackref_mask = 0;
}

static int parse_313(struct conv *c, const void *blob, size_t len)
{
	struct dbg313 d;
	const struct py_layout *table = layout_for_version(3, 13);

	if (len < sizeof d)
		return fail(c, "debug offsets truncated: %zu bytes, 3.13 needs %zu", len, sizeof d);
	memcpy(&d, blob, sizeof d);
	if (table)
		*c->out = *table;
	else
		layout_clear(c->out);
	c->out->headers = "3.13 _Py_DebugOffsets";
	apply_runtime(c, &d.runtime);
	{
		const struct dbg_core core = CORE_FROM(&d);
		apply_core(c, &core);
	}
	apply_tstate(c, &d.tstate);
	apply_objects(c, &d.object, &d.type, &d.tuple, &d.list, &d.dict);
	apply_scalars(c, &d.float_obj, &d.long_obj, &d.bytes, &d.unicode);
	return c->failed ? -1 : 0;
}

/*
 * How a 3.14 field the debug offsets lack is taken from the 3.13 table:
 * SAME: copied when the anchor (carried by both) has the same value in both;
 * NEAR: declared next to the anchor in both versions, so it keeps its distance
 * from the anchor; ALWAYS: the struct is known unchanged (no anchor).
 */
enum inherit { SAME, NEAR, ALWAYS };

struct rule {
	size_t field, anchor;
	enum inherit how;
};

#define F(f) offsetof(struct py_layout, f)
static const struct rule rules_314[] = {
	{ F(chunk.size), 0, ALWAYS }, { F(chunk.previous), 0, ALWAYS },
	{ F(chunk.chunk_size), 0, ALWAYS }, { F(chunk.top), 0, ALWAYS },
	{ F(chunk.data), 0, ALWAYS },
	{ F(runtime.interpreters_main), F(runtime.interpreters_head), NEAR },
	{ F(tstate.datastack_top), F(tstate.datastack_chunk), NEAR },
	{ F(tstate.datastack_limit), F(tstate.datastack_chunk), NEAR },
	{ F(iframe.globals), F(iframe.instr), SAME },
	{ F(iframe.locals), F(iframe.instr), SAME },
	{ F(iframe.builtins), F(iframe.instr), SAME },
	{ F(iframe.frame_obj), F(iframe.instr), SAME },
	{ F(code.flags), F(code.argcount), SAME },
	{ F(code.posonlyargcount), F(code.argcount), SAME },
	{ F(code.kwonlyargcount), F(code.argcount), SAME },
	{ F(code.nlocalsplus), F(code.argcount), SAME },
	{ F(code.nlocals), F(code.argcount), SAME },
	{ F(object.refcnt), F(object.type), SAME },
	{ F(managed_dict_offset), F(object.type), SAME },
	{ F(module.dict), F(object.type), SAME },
	{ F(type.basicsize), F(type.size), SAME }, { F(type.itemsize), F(type.size), SAME },
	{ F(type.dictoffset), F(type.size), SAME }, { F(type.base), F(type.size), SAME },
	{ F(type.dict), F(type.size), SAME }, { F(type.mro), F(type.size), SAME },
	/* PyHeapTypeObject grew at its end in 3.14 (928 -> 936 bytes), after
	 * ht_cached_keys, which follows the PyTypeObject (416 bytes in both) */
	{ F(type.ht_cached_keys), F(type.size), SAME },
	{ F(type.ht_name), F(type.size), SAME }, { F(type.ht_qualname), F(type.size), SAME },
	{ F(list.allocated), F(list.items), SAME },
	{ F(dict.used), F(dict.keys), SAME },
	{ F(set.fill), F(set.used), SAME }, { F(set.entry_size), F(set.used), SAME },
	{ F(set.entry_key), F(set.used), SAME }, { F(set.entry_hash), F(set.used), SAME },
	{ F(cell.size), F(object.type), SAME }, { F(cell.ob_ref), F(object.type), SAME },
	/* PyMemberDef is public, stable API: unchanged since 2.x */
	{ F(member.size), 0, ALWAYS }, { F(member.name), 0, ALWAYS },
	{ F(member.type), 0, ALWAYS }, { F(member.offset), 0, ALWAYS },
	{ F(dictkeys.size), F(dict.size), SAME }, { F(dictkeys.log2_size), F(dict.size), SAME },
	{ F(dictkeys.log2_index_bytes), F(dict.size), SAME },
	{ F(dictkeys.kind), F(dict.size), SAME }, { F(dictkeys.nentries), F(dict.size), SAME },
	{ F(dictkeys.indices), F(dict.size), SAME },
	{ F(dictkeys.entry_size), F(dict.size), SAME },
	{ F(dictkeys.unicode_entry_size), F(dict.size), SAME },
	{ F(dictvalues.values), F(dict.size), SAME }, { F(dictvalues.valid), F(dict.size), SAME },
	{ F(unicode.compact_size), F(unicode.ascii_size), SAME },
	{ F(unicode.data), F(unicode.ascii_size), SAME },
	{ F(unicode.state_kind_shift), F(unicode.state), SAME },
	{ F(unicode.state_compact_shift), F(unicode.state), SAME },
	{ F(unicode.state_ascii_shift), F(unicode.state), SAME },
};

/* What the engine cannot list threads or walk stacks without. */
static const struct { const char *name; size_t field; } required_314[] = {
#define R(f) { #f, F(f) }
	R(runtime.interpreters_head), R(interp.next), R(interp.tstate_head),
	R(tstate.next), R(tstate.interp), R(tstate.current_frame), R(tstate.thread_id),
	R(tstate.native_thread_id), R(tstate.datastack_chunk),
	R(chunk.previous), R(chunk.chunk_size), R(chunk.top), R(chunk.data),
	R(iframe.previous), R(iframe.code), R(iframe.instr), R(iframe.localsplus),
	R(iframe.owner),
	R(code.filename), R(code.name), R(code.qualname), R(code.firstlineno),
	R(code.linetable), R(code.code_adaptive), R(code.localsplusnames),
	R(code.localspluskinds),
	R(object.type), R(object.var_size), R(type.name), R(type.flags), R(tuple.items),
	R(bytes.sval), R(unicode.state), R(unicode.length), R(unicode.ascii_size),
	R(unicode.state_kind_shift), R(unicode.state_compact_shift),
	R(unicode.state_ascii_shift),
#undef R
};

static int32_t *field_at(struct py_layout *l, size_t off)
{
	return (int32_t *)(void *)((char *)l + off);
}

static int32_t field_of(const struct py_layout *l, size_t off)
{
	int32_t v;

	memcpy(&v, (const char *)l + off, sizeof v);
	return v;
}

/* What is still OFF_NONE, from the generated table of the target's own minor. */
static void fill_gaps(struct py_layout *out, const struct py_layout *own)
{
	if (!own)
		return;
#define GAP(f) if (out->f == OFF_NONE) out->f = own->f;
	LAYOUT_OFFSET_FIELDS(GAP)
#undef GAP
}

static void inherit_314(struct py_layout *out, const struct py_layout *t313)
{
	for (size_t i = 0; i < sizeof rules_314 / sizeof rules_314[0]; i++) {
		const struct rule *r = &rules_314[i];
		int32_t from = field_of(t313, r->field);

		if (from == OFF_NONE || field_of(out, r->field) != OFF_NONE)
			continue;	/* the target's own value wins */
		if (r->how == ALWAYS) {
			*field_at(out, r->field) = from;
		} else if (r->how == SAME) {
			if (field_of(out, r->anchor) == field_of(t313, r->anchor))
				*field_at(out, r->field) = from;
		} else if (field_of(out, r->anchor) != OFF_NONE) {
			*field_at(out, r->field) = field_of(out, r->anchor) +
				(from - field_of(t313, r->anchor));
		}
	}
}

/* 3.14 facts that are not offsets: the same models as 3.13, new owner values. */
static void models_314(struct py_layout *out, const struct py_layout *t313)
{
	out->version = 0x030e0000;
	out->headers = "3.14 _Py_DebugOffsets";
	out->frame_model = FRAME_MODEL_CURRENT;
	out->linetable_model = LINETABLE_LOCATIONS;
	out->interp_model = INTERP_MODEL_RUNTIME;
	out->gil_model = GIL_MODEL_INTERP_GIL;
	out->str_model = STR_MODEL_PEP393;
	out->long_model = LONG_MODEL_TAG;
	out->dict_model = DICT_MODEL_COMPACT311;
	out->instdict_model = INSTDICT_MODEL_INLINE313;
	out->eval_model = EVAL_MODEL_DEFAULT;
	out->thread_name_model = THREAD_NAME_PLAIN;
	out->digit_bits = t313 ? t313->digit_bits : 30;
	if (t313)
		out->tpflags = t313->tpflags;
	out->owner_generator = 1;	/* enum _frameowner in 3.14 */
	out->owner_interpreter = 3;
	out->owner_cstack = 4;
	out->stackref_mask = 3;
}

static void apply_314_only(struct conv *c, const struct dbg314 *d)
{
	PUT(set.size, d->set.size);
	PUT(set.used, d->set.used);
	PUT(set.table, d->set.table);
	PUT(set.mask, d->set.mask);
	PUT(gen.size, d->gen.size);
	PUT(gen.iframe, d->gen.gi_iframe);
}

static int parse_314(struct conv *c, const void *blob, size_t len)
{
	struct dbg314 d;
	const struct py_layout *t313 = layout_for_version(3, 13);

	if (len < sizeof d)
		return fail(c, "debug offsets truncated: %zu bytes, 3.14 needs %zu", len, sizeof d);
	memcpy(&d, blob, sizeof d);
	layout_clear(c->out);
	models_314(c->out, t313);
	apply_runtime(c, &d.runtime);
	{
		const struct dbg_core core = CORE_FROM(&d);
		apply_core(c, &core);
	}
	apply_tstate(c, &d.tstate);
	apply_objects(c, &d.object, &d.type, &d.tuple, &d.list, &d.dict);
	apply_scalars(c, &d.float_obj, &d.long_obj, &d.bytes, &d.unicode);
	apply_314_only(c, &d);
	if (c->failed)
		return -1;
	if (t313)
		inherit_314(c->out, t313);
	fill_gaps(c->out, layout_for_version(3, 14));
	for (size_t i = 0; i < sizeof required_314 / sizeof required_314[0]; i++)
		if (field_of(c->out, required_314[i].field) == OFF_NONE)
			return fail(c, "unsupported Python 3.14: debug offsets lack %s",
				    required_314[i].name);
	return 0;
}

/* ---- 3.15 ---- */

/* 3.15 facts that are not offsets: 3.14's, without FRAME_OWNED_BY_CSTACK. */
static void models_315(struct py_layout *out, const struct py_layout *t313)
{
	models_314(out, t313);
	out->version = 0x030f0000;
	out->headers = "3.15 _Py_DebugOffsets";
	out->owner_cstack = OFF_NONE;	/* removed; entry and base frames are owner 3 */
}

static void apply_315(struct conv *c, const struct dbg315 *d)
{
	const struct dbg_tstate ts = {
		d->tstate.size, d->tstate.prev, d->tstate.next, d->tstate.interp,
		d->tstate.current_frame, d->tstate.thread_id, d->tstate.native_thread_id,
		d->tstate.datastack_chunk, d->tstate.status,
	};

	apply_runtime(c, &d->runtime);
	{
		const struct dbg_core core = CORE_FROM(d);
		apply_core(c, &core);
	}
	apply_tstate(c, &ts);
	apply_objects(c, &d->object, &d->type.base, &d->tuple, &d->list, &d->dict);
	apply_scalars(c, &d->float_obj, &d->long_obj, &d->bytes, &d->unicode.base);
	PUT(type.basicsize, d->type.tp_basicsize);
	PUT(type.dictoffset, d->type.tp_dictoffset);
	PUT(type.heap_size, d->heap_type.size);
	PUT(type.ht_cached_keys, d->heap_type.a);
	PUT(unicode.compact_size, d->unicode.compact_size);
	PUT(set.size, d->set.size);
	PUT(set.used, d->set.used);
	PUT(set.table, d->set.table);
	PUT(set.mask, d->set.mask);
	PUT(gen.size, d->gen.size);
	PUT(gen.iframe, d->gen.gi_iframe);
}

/*
 * The header has no size, so a table of another shape (a pre-release that
 * had fewer fields) would be read shifted by a field or more.  Offsets must
 * then land inside the struct they belong to: check that they do.
 */
static int check_315(struct conv *c, const struct dbg315 *d)
{
	static const struct { const char *name; size_t size, first, n; } groups[] = {
#define G(name, grp, first, last) { name, offsetof(struct dbg315, grp.size), \
		offsetof(struct dbg315, grp.first), \
		(offsetof(struct dbg315, grp.last) - offsetof(struct dbg315, grp.first)) / 8 + 1 }
		G("thread_state", tstate, prev, exc_state),
		G("interpreter_frame", iframe, previous, tlbc_index),
		G("code_object", code, filename, co_tlbc),
		G("set_object", set, used, mask),
		G("gen_object", gen, gi_name, gi_frame_state),
#undef G
	};
	uint64_t w[sizeof *d / 8];

	memcpy(w, d, sizeof w);
	for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
		uint64_t size = w[groups[g].size / 8];
		for (size_t i = 0; i < groups[g].n; i++)
			if (size == 0 || w[groups[g].first / 8 + i] >= size)
				return fail(c, "3.15 debug offsets of an unknown shape (%s field %zu "
					    "at %llu, size %llu)", groups[g].name, i + 1,
					    (unsigned long long)w[groups[g].first / 8 + i],
					    (unsigned long long)size);
	}
	if (d->heap_type.a < d->type.base.size || d->heap_type.a >= d->heap_type.size)
		return fail(c, "3.15 debug offsets of an unknown shape (ht_cached_keys %llu)",
			    (unsigned long long)d->heap_type.a);
	return 0;
}

static int parse_315(struct conv *c, const void *blob, size_t len)
{
	struct dbg315 d;
	const struct py_layout *t313 = layout_for_version(3, 13);

	if (len < sizeof d)
		return fail(c, "debug offsets truncated: %zu bytes, 3.15 needs %zu", len, sizeof d);
	memcpy(&d, blob, sizeof d);
	if (check_315(c, &d) < 0)
		return -1;
	layout_clear(c->out);
	models_315(c->out, t313);
	apply_315(c, &d);
	if (c->failed)
		return -1;
	/* 3.14's rules hold for 3.15 where their anchors still agree with 3.13 */
	if (t313)
		inherit_314(c->out, t313);
	fill_gaps(c->out, layout_for_version(3, 15));
	for (size_t i = 0; i < sizeof required_314 / sizeof required_314[0]; i++)
		if (field_of(c->out, required_314[i].field) == OFF_NONE)
			return fail(c, "unsupported Python 3.15: debug offsets lack %s",
				    required_314[i].name);
	return 0;
}

/* ---- the shapes this file reads ---- */

/*
 * One row per (minor, build kind) pyspy-sh can read.  A free-threaded build
 * has the same shape with other values (and other struct layouts behind
 * them): supporting one is a row with free_threaded = 1 and a parser that
 * sets the free-threaded models.
 */
static const struct shape {
	unsigned minor;
	int free_threaded;
	size_t size;
	int (*parse)(struct conv *, const void *, size_t);
} shapes[] = {
	{ 13, 0, sizeof(struct dbg313), parse_313 },
	{ 14, 0, sizeof(struct dbg314), parse_314 },
	{ 15, 0, sizeof(struct dbg315), parse_315 },
};

static const struct shape *shape_for(unsigned minor, int free_threaded)
{
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
		if (shapes[i].minor == minor && shapes[i].free_threaded == free_threaded)
			return &shapes[i];
	return NULL;
}

/* "3.16.0", "3.15.0a3", "3.14.0rc1" from a PY_VERSION_HEX. */
static void version_text(uint64_t hex, char *buf, size_t len)
{
	static const char *const level[] = { "a", "b", "rc" };
	unsigned lv = (unsigned)(hex >> 4 & 0xf), serial = (unsigned)(hex & 0xf);
	int n = snprintf(buf, len, "%u.%u.%u", (unsigned)(hex >> 24 & 0xff),
			 (unsigned)(hex >> 16 & 0xff), (unsigned)(hex >> 8 & 0xff));

	if (lv >= 0xa && lv <= 0xc && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "%s%u", level[lv - 0xa], serial);
}

size_t layout_debug_offsets_size(uint64_t version)
{
	const struct shape *sh;

	if (version == 0)
		return LAYOUT_DEBUG_HEADER_SIZE;
	if (version >> 24 != 3 || !(sh = shape_for((unsigned)(version >> 16 & 0xff), 0)))
		return 0;
	return sh->size;
}

int layout_from_debug_offsets(const void *blob, size_t len, struct py_layout *out,
			      char *why, size_t whylen)
{
	struct conv c = { out, why, whylen, 0 };
	struct dbg_head h;
	const struct shape *sh;
	unsigned major, minor;
	char ver[32];

	if (why && whylen)
		why[0] = '\0';
	if (!blob || len < sizeof h)
		return fail(&c, "debug offsets truncated: %zu bytes", blob ? len : 0);
	memcpy(&h, blob, sizeof h);
	if (memcmp(h.cookie, LAYOUT_DEBUG_COOKIE, sizeof h.cookie) != 0)
		return fail(&c, "bad cookie: not a _Py_DebugOffsets table");
	major = (unsigned)(h.version >> 24 & 0xff);
	minor = (unsigned)(h.version >> 16 & 0xff);
	if (h.version >> 32 || major != 3 || minor < 13)
		return fail(&c, "implausible debug offsets version 0x%llx",
			    (unsigned long long)h.version);
	version_text(h.version, ver, sizeof ver);
	if ((sh = shape_for(minor, h.free_threaded != 0)) != NULL)
		return sh->parse(&c, blob, len);
	if (h.free_threaded && shape_for(minor, 0)) {
		fail(&c, "free-threaded CPython %u.%ut is not supported yet", major, minor);
		return LAYOUT_DEBUG_REFUSED;
	}
	fail(&c, "unsupported Python %s: pyspy-sh reads %s", ver, LAYOUT_SUPPORTED_RANGE);
	return LAYOUT_DEBUG_REFUSED;
}

/* Append to a bounded string; keeps it terminated when it no longer fits. */
static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used;
	va_list ap;

	if (!buf || !len)
		return;
	used = strlen(buf);
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

int layout_crosscheck(const struct py_layout *table, const struct py_layout *fromdbg,
		      char *diff, size_t difflen)
{
	int n = 0;

	if (diff && difflen)
		diff[0] = '\0';
#define CMP(f) \
	if (table->f != OFF_NONE && fromdbg->f != OFF_NONE && table->f != fromdbg->f) { \
		append(diff, difflen, "%s%s: table %d, debug %d", n ? "; " : "", #f, \
		       (int)table->f, (int)fromdbg->f); \
		n++; \
	}
	LAYOUT_SCALAR_FIELDS(CMP)
	LAYOUT_OFFSET_FIELDS(CMP)
#undef CMP
	return n;
}
