/*
 * debug_offsets_impl.h — CPython's _Py_DebugOffsets, mirrored, for the
 * files that read it: debug_offsets.c (one reader per shape, into a struct
 * py_layout), debug_offsets_apply.c (the conversion steps those readers
 * share) and debug_offsets_check.c (the table as untrusted input).  Not an API.
 *
 * Each known shape (3.13: 584 bytes; 3.14: 760 bytes; 3.15: 888 bytes, from CPython's
 * Include/internal/pycore_debug_offsets.h) is a struct of uint64_t, copied
 * out of the caller's bytes with memcpy, never cast in place.
 */
#ifndef PYSPY_DEBUG_OFFSETS_IMPL_H
#define PYSPY_DEBUG_OFFSETS_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "debug_offsets.h"

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

/*
 * 0 if the table in blob (the shape of 3.`minor`, 13 or 14, whole) keeps
 * every section's size within the cap of the engine's buffer for it and every
 * field, with the width read there, inside its section and aligned; else -1
 * with the first violation in why, named as CPython names it:
 * "thread_state.current_frame = 100000 past its size 80".
 */
int debug_offsets_check(const void *blob, unsigned minor, char *why, size_t whylen);

/* ---- the conversion the readers share (debug_offsets_apply.c) ---- */

/* Conversion state: the first failure wins and stops further work. */
struct conv {
	struct py_layout *out;
	char *why;
	size_t whylen;
	int failed;		/* 0, or the value to return: -1 unsupported, LAYOUT_DEBUG_INCONSISTENT */
};

/* Fail: the target is not one this parser knows (cookie, version, build kind). */
int dbg_fail(struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Fail: the table's numbers contradict each other (a torn or scribbled table). */
int dbg_inconsistent(struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The raw table, before any value is used (debug_offsets_check()). */
int dbg_check_raw(struct conv *c, const void *blob, unsigned minor);
/* Store a remote offset or size after checking it fits an int32; _rel: one
 * relative to a sub-struct whose own offset is base. */
void dbg_put(struct conv *c, int32_t *dst, uint64_t v, const char *name);
void dbg_put_rel(struct conv *c, int32_t *dst, uint64_t v, uint64_t base, const char *name);
#define PUT(field, v) dbg_put(c, &c->out->field, (v), #field)

/* Interpreter, frame and code groups; the 3.14 parser passes its own values. */
struct dbg_core {
	uint64_t i_size, i_id, i_next, i_threads_head, i_modules, i_sysdict, i_builtins,
		 i_ceval_gil, i_gil_state, i_gil_locked, i_gil_holder;
	uint64_t f_size, f_previous, f_executable, f_instr_ptr, f_localsplus, f_owner;
	uint64_t c_size, c_filename, c_name, c_qualname, c_linetable, c_firstlineno,
		 c_argcount, c_localsplusnames, c_localspluskinds, c_code_adaptive;
};

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

/* The groups of fields 3.13, 3.14 and 3.15 carry alike. */
void dbg_apply_runtime(struct conv *c, const struct dbg_runtime *r);
void dbg_apply_tstate(struct conv *c, const struct dbg_tstate *t);
void dbg_apply_objects(struct conv *c, const struct dbg_sized2 *object, const struct dbg_type *type,
		       const struct dbg_sized3 *tuple, const struct dbg_sized3 *list, const struct dbg_sized3 *dict);
void dbg_apply_scalars(struct conv *c, const struct dbg_sized2 *fl, const struct dbg_sized3 *lo,
		       const struct dbg_sized3 *by, const struct dbg_unicode *u);
void dbg_apply_core(struct conv *c, const struct dbg_core *d);
/* Every int32 field OFF_NONE, scalars and flags zero, models unset. */
void dbg_layout_clear(struct py_layout *l);

#endif
