/*
 * debug_offsets_check.c — a target's _Py_DebugOffsets as untrusted input.
 *
 * A 3.13+ target can write the table pyspy-sh takes its struct offsets from
 * (ctypes is enough), so before any value in it is used, each section's size
 * must lie within the cap of the buffer the engine reads that struct into,
 * and each field, with the width read there, inside its section's size and
 * aligned to that width.  Names are CPython's (section.field of struct
 * _Py_DebugOffsets), so a refusal points at the slot that is wrong.
 * llist_node and debugger_support (3.14+) and err_stackitem (3.15) carry no
 * size and are never used, so they are not checked.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "debug_offsets_impl.h"
#include "layout_check.h"

struct dcheck {
	const char *name;
	size_t at;		/* offsetof the uint64 in the mirror struct */
	int width;		/* bytes read there; 0: a size; -1: this is a section's size */
	uint64_t cap;		/* for a section: the largest size accepted */
};

#define SEC(D, name, m, cap) { name, offsetof(D, m.size), -1, cap }
#define FLD(D, name, m, w) { name, offsetof(D, m), w, 0 }

#define CHECKS_HEAD(D) \
	SEC(D, "runtime_state", runtime, LAYOUT_MAX_STATE), \
	FLD(D, "runtime_state.finalizing", runtime.finalizing, 8), \
	FLD(D, "runtime_state.interpreters_head", runtime.interpreters_head, 8), \
	SEC(D, "interpreter_state", interp, LAYOUT_MAX_STATE), \
	FLD(D, "interpreter_state.id", interp.id, 8), \
	FLD(D, "interpreter_state.next", interp.next, 8), \
	FLD(D, "interpreter_state.threads_head", interp.threads_head, 8), \
	FLD(D, "interpreter_state.gc", interp.gc, 1), \
	FLD(D, "interpreter_state.imports_modules", interp.imports_modules, 8), \
	FLD(D, "interpreter_state.sysdict", interp.sysdict, 8), \
	FLD(D, "interpreter_state.builtins", interp.builtins, 8), \
	FLD(D, "interpreter_state.ceval_gil", interp.ceval_gil, 8), \
	FLD(D, "interpreter_state.gil_runtime_state", interp.gil_state, 1), \
	FLD(D, "interpreter_state.gil_runtime_state_enabled", interp.gil_enabled, 4), \
	FLD(D, "interpreter_state.gil_runtime_state_locked", interp.gil_locked, 4), \
	FLD(D, "interpreter_state.gil_runtime_state_holder", interp.gil_holder, 8)

#define CHECKS_TSTATE(D) \
	SEC(D, "thread_state", tstate, LAYOUT_MAX_TSTATE), \
	FLD(D, "thread_state.prev", tstate.prev, 8), \
	FLD(D, "thread_state.next", tstate.next, 8), \
	FLD(D, "thread_state.interp", tstate.interp, 8), \
	FLD(D, "thread_state.current_frame", tstate.current_frame, 8), \
	FLD(D, "thread_state.thread_id", tstate.thread_id, 8), \
	FLD(D, "thread_state.native_thread_id", tstate.native_thread_id, 8), \
	FLD(D, "thread_state.datastack_chunk", tstate.datastack_chunk, 8), \
	FLD(D, "thread_state.status", tstate.status, 4), \
	SEC(D, "interpreter_frame", iframe, LAYOUT_MAX_IFRAME), \
	FLD(D, "interpreter_frame.previous", iframe.previous, 8), \
	FLD(D, "interpreter_frame.executable", iframe.executable, 8), \
	FLD(D, "interpreter_frame.instr_ptr", iframe.instr_ptr, 8), \
	FLD(D, "interpreter_frame.localsplus", iframe.localsplus, 8), \
	FLD(D, "interpreter_frame.owner", iframe.owner, 1), \
	SEC(D, "code_object", code, LAYOUT_MAX_CODE), \
	FLD(D, "code_object.filename", code.filename, 8), \
	FLD(D, "code_object.name", code.name, 8), \
	FLD(D, "code_object.qualname", code.qualname, 8), \
	FLD(D, "code_object.linetable", code.linetable, 8), \
	FLD(D, "code_object.firstlineno", code.firstlineno, 4), \
	FLD(D, "code_object.argcount", code.argcount, 4), \
	FLD(D, "code_object.localsplusnames", code.localsplusnames, 8), \
	FLD(D, "code_object.localspluskinds", code.localspluskinds, 8), \
	FLD(D, "code_object.co_code_adaptive", code.code_adaptive, 2)

#define CHECKS_OBJECTS(D) \
	SEC(D, "pyobject", object, LAYOUT_MAX_SCALAR), \
	FLD(D, "pyobject.ob_type", object.a, 8), \
	SEC(D, "type_object", type, LAYOUT_MAX_TYPE), \
	FLD(D, "type_object.tp_name", type.tp_name, 8), \
	FLD(D, "type_object.tp_repr", type.tp_repr, 8), \
	FLD(D, "type_object.tp_flags", type.tp_flags, 8), \
	SEC(D, "tuple_object", tuple, LAYOUT_MAX_SMALL), \
	FLD(D, "tuple_object.ob_item", tuple.a, 8), \
	FLD(D, "tuple_object.ob_size", tuple.b, 8), \
	SEC(D, "list_object", list, LAYOUT_MAX_SMALL), \
	FLD(D, "list_object.ob_item", list.a, 8), \
	FLD(D, "list_object.ob_size", list.b, 8)

#define CHECKS_SCALARS(D) \
	SEC(D, "dict_object", dict, LAYOUT_MAX_SMALL), \
	FLD(D, "dict_object.ma_keys", dict.a, 8), \
	FLD(D, "dict_object.ma_values", dict.b, 8), \
	SEC(D, "float_object", float_obj, LAYOUT_MAX_SCALAR), \
	FLD(D, "float_object.ob_fval", float_obj.a, 8), \
	SEC(D, "long_object", long_obj, LAYOUT_MAX_SCALAR), \
	FLD(D, "long_object.lv_tag", long_obj.a, 8), \
	FLD(D, "long_object.ob_digit", long_obj.b, 4), \
	SEC(D, "bytes_object", bytes, LAYOUT_MAX_SCALAR), \
	FLD(D, "bytes_object.ob_size", bytes.a, 8), \
	FLD(D, "bytes_object.ob_sval", bytes.b, 1), \
	SEC(D, "unicode_object", unicode, LAYOUT_MAX_STR), \
	FLD(D, "unicode_object.state", unicode.state, 4), \
	FLD(D, "unicode_object.length", unicode.length, 8), \
	FLD(D, "unicode_object.asciiobject_size", unicode.ascii_size, 0), \
	SEC(D, "gc", gc, LAYOUT_MAX_STATE), \
	FLD(D, "gc.collecting", gc.a, 4)

static const struct dcheck checks_313[] = {
	CHECKS_HEAD(struct dbg313), CHECKS_TSTATE(struct dbg313),
	CHECKS_OBJECTS(struct dbg313), CHECKS_SCALARS(struct dbg313),
};

static const struct dcheck checks_314[] = {
	CHECKS_HEAD(struct dbg314),
	FLD(struct dbg314, "interpreter_state.threads_main", interp.threads_main, 8),
	FLD(struct dbg314, "interpreter_state.code_object_generation", interp.code_object_generation, 8),
	FLD(struct dbg314, "interpreter_state.tlbc_generation", interp.tlbc_generation, 4),
	CHECKS_TSTATE(struct dbg314),
	FLD(struct dbg314, "code_object.co_tlbc", code.co_tlbc, 8),
	SEC(struct dbg314, "interpreter_frame", iframe, LAYOUT_MAX_IFRAME),
	FLD(struct dbg314, "interpreter_frame.stackpointer", iframe.stackpointer, 8),
	FLD(struct dbg314, "interpreter_frame.tlbc_index", iframe.tlbc_index, 4),
	CHECKS_OBJECTS(struct dbg314),
	SEC(struct dbg314, "set_object", set, LAYOUT_MAX_SMALL),
	FLD(struct dbg314, "set_object.used", set.used, 8),
	FLD(struct dbg314, "set_object.table", set.table, 8),
	FLD(struct dbg314, "set_object.mask", set.mask, 8),
	CHECKS_SCALARS(struct dbg314),
	SEC(struct dbg314, "gen_object", gen, LAYOUT_MAX_TYPE),
	FLD(struct dbg314, "gen_object.gi_name", gen.gi_name, 8),
	FLD(struct dbg314, "gen_object.gi_iframe", gen.gi_iframe, 8),
	FLD(struct dbg314, "gen_object.gi_frame_state", gen.gi_frame_state, 1),
};

/* 3.15: 3.14's sections, thread_state's new fields, and the groups whose shape
 * changed (type_object, heap_type_object, unicode_object, gc) listed out. */
static const struct dcheck checks_315[] = {
	CHECKS_HEAD(struct dbg315),
	FLD(struct dbg315, "interpreter_state.threads_main", interp.threads_main, 8),
	FLD(struct dbg315, "interpreter_state.code_object_generation", interp.code_object_generation, 8),
	FLD(struct dbg315, "interpreter_state.tlbc_generation", interp.tlbc_generation, 4),
	CHECKS_TSTATE(struct dbg315),
	FLD(struct dbg315, "thread_state.base_frame", tstate.base_frame, 8),
	FLD(struct dbg315, "thread_state.last_profiled_frame", tstate.last_profiled_frame, 8),
	FLD(struct dbg315, "thread_state.holds_gil", tstate.holds_gil, 4),
	FLD(struct dbg315, "code_object.co_tlbc", code.co_tlbc, 8),
	SEC(struct dbg315, "interpreter_frame", iframe, LAYOUT_MAX_IFRAME),
	FLD(struct dbg315, "interpreter_frame.stackpointer", iframe.stackpointer, 8),
	FLD(struct dbg315, "interpreter_frame.tlbc_index", iframe.tlbc_index, 4),
	SEC(struct dbg315, "pyobject", object, LAYOUT_MAX_SCALAR),
	FLD(struct dbg315, "pyobject.ob_type", object.a, 8),
	SEC(struct dbg315, "type_object", type.base, LAYOUT_MAX_TYPE),
	FLD(struct dbg315, "type_object.tp_name", type.base.tp_name, 8),
	FLD(struct dbg315, "type_object.tp_repr", type.base.tp_repr, 8),
	FLD(struct dbg315, "type_object.tp_flags", type.base.tp_flags, 8),
	FLD(struct dbg315, "type_object.tp_basicsize", type.tp_basicsize, 8),
	FLD(struct dbg315, "type_object.tp_dictoffset", type.tp_dictoffset, 8),
	SEC(struct dbg315, "heap_type_object", heap_type, LAYOUT_MAX_TYPE),
	FLD(struct dbg315, "heap_type_object.ht_cached_keys", heap_type.a, 8),
	SEC(struct dbg315, "tuple_object", tuple, LAYOUT_MAX_SMALL),
	FLD(struct dbg315, "tuple_object.ob_item", tuple.a, 8),
	FLD(struct dbg315, "tuple_object.ob_size", tuple.b, 8),
	SEC(struct dbg315, "list_object", list, LAYOUT_MAX_SMALL),
	FLD(struct dbg315, "list_object.ob_item", list.a, 8),
	FLD(struct dbg315, "list_object.ob_size", list.b, 8),
	SEC(struct dbg315, "set_object", set, LAYOUT_MAX_SMALL),
	FLD(struct dbg315, "set_object.used", set.used, 8),
	FLD(struct dbg315, "set_object.table", set.table, 8),
	FLD(struct dbg315, "set_object.mask", set.mask, 8),
	SEC(struct dbg315, "dict_object", dict, LAYOUT_MAX_SMALL),
	FLD(struct dbg315, "dict_object.ma_keys", dict.a, 8),
	FLD(struct dbg315, "dict_object.ma_values", dict.b, 8),
	SEC(struct dbg315, "float_object", float_obj, LAYOUT_MAX_SCALAR),
	FLD(struct dbg315, "float_object.ob_fval", float_obj.a, 8),
	SEC(struct dbg315, "long_object", long_obj, LAYOUT_MAX_SCALAR),
	FLD(struct dbg315, "long_object.lv_tag", long_obj.a, 8),
	FLD(struct dbg315, "long_object.ob_digit", long_obj.b, 4),
	SEC(struct dbg315, "bytes_object", bytes, LAYOUT_MAX_SCALAR),
	FLD(struct dbg315, "bytes_object.ob_size", bytes.a, 8),
	FLD(struct dbg315, "bytes_object.ob_sval", bytes.b, 1),
	SEC(struct dbg315, "unicode_object", unicode.base, LAYOUT_MAX_STR),
	FLD(struct dbg315, "unicode_object.state", unicode.base.state, 4),
	FLD(struct dbg315, "unicode_object.length", unicode.base.length, 8),
	FLD(struct dbg315, "unicode_object.asciiobject_size", unicode.base.ascii_size, 0),
	FLD(struct dbg315, "unicode_object.compactunicodeobject_size", unicode.compact_size, 0),
	SEC(struct dbg315, "gc", gc, LAYOUT_MAX_STATE),
	FLD(struct dbg315, "gc.collecting", gc.collecting, 4),
	SEC(struct dbg315, "gen_object", gen, LAYOUT_MAX_TYPE),
	FLD(struct dbg315, "gen_object.gi_name", gen.gi_name, 8),
	FLD(struct dbg315, "gen_object.gi_iframe", gen.gi_iframe, 8),
	FLD(struct dbg315, "gen_object.gi_frame_state", gen.gi_frame_state, 1),
};

static uint64_t word_at(const void *blob, size_t at)
{
	uint64_t v;

	memcpy(&v, (const char *)blob + at, sizeof v);
	return v;
}
static int refuse(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int check_list(const void *blob, const struct dcheck *k, size_t n, char *why, size_t whylen)
{
	uint64_t size = 0;
	const char *section = "";

	for (size_t i = 0; i < n; i++) {
		uint64_t v = word_at(blob, k[i].at);
		uint64_t w = k[i].width > 0 ? (uint64_t)k[i].width : 0;
		uint64_t align = w >= 8 ? 8 : w ? w : 1;

		if (k[i].width < 0) {
			section = k[i].name;
			size = v;
			if (size == 0 || size > k[i].cap)
				return refuse(why, whylen, "%s.size = %llu, not within 1 to %llu", section,
					      (unsigned long long)size, (unsigned long long)k[i].cap);
			continue;
		}
		if (v > size || w > size - v)
			return refuse(why, whylen, "%s = %llu past its size %llu", k[i].name,
				      (unsigned long long)v, (unsigned long long)size);
		if (v % align)
			return refuse(why, whylen, "%s = %llu is not aligned to %llu", k[i].name,
				      (unsigned long long)v, (unsigned long long)align);
	}
	return 0;
}

int debug_offsets_check(const void *blob, unsigned minor, char *why, size_t whylen)
{
	if (minor == 13)
		return check_list(blob, checks_313, sizeof checks_313 / sizeof checks_313[0], why, whylen);
	if (minor == 14)
		return check_list(blob, checks_314, sizeof checks_314 / sizeof checks_314[0], why, whylen);
	if (minor == 15)
		return check_list(blob, checks_315, sizeof checks_315 / sizeof checks_315[0], why, whylen);
	return refuse(why, whylen, "no checks for Python 3.%u debug offsets", minor);
}
