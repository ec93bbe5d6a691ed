/*
 * layout_fields.h — every numeric field of struct py_layout, as one list.
 *
 * Three pieces of code need to walk a layout field by field: the generator
 * (to print a table), the debug-offsets cross-check (to name the fields two
 * layouts disagree on) and the unit test (to prove no field was forgotten).
 * Writing the list once, as X-macros, keeps them from drifting apart.  A field
 * added to layout.h must be added here too; test_layouts.c checks that the
 * int32 fields listed here cover struct py_layout from `runtime` to the end.
 *
 * X(path) is called with the member path inside struct py_layout, e.g.
 * X(tstate.next); stringify it with #path to get the designator.
 */
#ifndef PYSPY_LAYOUT_FIELDS_H
#define PYSPY_LAYOUT_FIELDS_H

/* uint64_t type-flag bits. */
#define LAYOUT_TPFLAG_FIELDS(X) \
	X(tpflags.managed_dict) X(tpflags.inline_values) X(tpflags.int_subclass) \
	X(tpflags.long_subclass) X(tpflags.list_subclass) X(tpflags.tuple_subclass) \
	X(tpflags.bytes_subclass) X(tpflags.unicode_subclass) X(tpflags.dict_subclass) \
	X(tpflags.type_subclass)

/* int32_t values that are not struct offsets but still compared. */
#define LAYOUT_SCALAR_FIELDS(X) \
	X(digit_bits) X(unicode_size)

/* int32_t offsets and sizes, in declaration order from `runtime` onwards. */
#define LAYOUT_OFFSET_FIELDS(X) \
	X(runtime.size) X(runtime.interpreters_head) X(runtime.interpreters_main) \
	X(runtime.gilstate_tstate_current) X(runtime.ceval_gil) X(runtime.finalizing) \
	X(interp.size) X(interp.next) X(interp.id) X(interp.tstate_head) \
	X(interp.modules) X(interp.sysdict) X(interp.builtins) X(interp.ceval_gil) \
	X(interp.gc) \
	X(gil.size) X(gil.locked) X(gil.last_holder) X(gil.switch_number) \
	X(gcstate.collecting) \
	X(tstate.size) X(tstate.prev) X(tstate.next) X(tstate.interp) X(tstate.frame) \
	X(tstate.cframe) X(tstate.current_frame) X(tstate.thread_id) \
	X(tstate.native_thread_id) X(tstate.datastack_chunk) X(tstate.datastack_top) \
	X(tstate.datastack_limit) \
	X(cframe.size) X(cframe.current_frame) X(cframe.previous) \
	X(chunk.size) X(chunk.previous) X(chunk.chunk_size) X(chunk.top) X(chunk.data) \
	X(pyframe.size) X(pyframe.back) X(pyframe.code) X(pyframe.lasti) \
	X(pyframe.lineno) X(pyframe.globals) X(pyframe.locals) X(pyframe.localsplus) \
	X(pyframe.builtins) X(pyframe.iframe) \
	X(iframe.size) X(iframe.previous) X(iframe.code) X(iframe.instr) \
	X(iframe.localsplus) X(iframe.stacktop) X(iframe.owner) X(iframe.is_entry) \
	X(iframe.globals) X(iframe.builtins) X(iframe.locals) X(iframe.frame_obj) \
	X(owner_cstack) X(owner_generator) \
	X(code.size) X(code.argcount) X(code.posonlyargcount) X(code.kwonlyargcount) \
	X(code.nlocals) X(code.nlocalsplus) X(code.flags) X(code.firstlineno) \
	X(code.firsttraceable) X(code.code) X(code.filename) X(code.name) \
	X(code.qualname) X(code.lnotab) X(code.linetable) X(code.varnames) \
	X(code.cellvars) X(code.freevars) X(code.localsplusnames) \
	X(code.localspluskinds) X(code.code_adaptive) \
	X(object.refcnt) X(object.type) X(object.var_size) \
	X(type.size) X(type.name) X(type.basicsize) X(type.itemsize) X(type.flags) \
	X(type.dictoffset) X(type.base) X(type.dict) X(type.mro) X(type.heap_size) \
	X(type.ht_name) X(type.ht_qualname) X(type.ht_cached_keys) \
	X(tuple.size) X(tuple.items) \
	X(list.size) X(list.items) X(list.allocated) \
	X(dict.size) X(dict.used) X(dict.keys) X(dict.values) X(dict.py2_fill) \
	X(dict.py2_mask) X(dict.py2_table) X(dict.py2_entry_size) \
	X(dictkeys.size) X(dictkeys.dk_size) X(dictkeys.log2_size) \
	X(dictkeys.log2_index_bytes) X(dictkeys.kind) X(dictkeys.nentries) \
	X(dictkeys.indices) X(dictkeys.entry_size) X(dictkeys.unicode_entry_size) \
	X(dictvalues.values) X(dictvalues.valid) \
	X(managed_dict_offset) X(managed_values_offset) \
	X(float_obj.size) X(float_obj.fval) \
	X(long_obj.size) X(long_obj.digits) X(long_obj.tag) \
	X(int_obj.size) X(int_obj.ival) \
	X(bytes.size) X(bytes.sval) \
	X(unicode.size) X(unicode.length) X(unicode.state) X(unicode.ascii_size) \
	X(unicode.compact_size) X(unicode.data) X(unicode.py2_str) \
	X(unicode.state_kind_shift) X(unicode.state_compact_shift) \
	X(unicode.state_ascii_shift) \
	X(set.size) X(set.fill) X(set.used) X(set.mask) X(set.table) \
	X(set.entry_size) X(set.entry_key) X(set.entry_hash) \
	X(module.size) X(module.dict) \
	X(gen.size) X(gen.frame) X(gen.iframe) X(gen.code) \
	X(owner_interpreter) X(stackref_mask) \
	X(cell.size) X(cell.ob_ref) \
	X(member.size) X(member.name) X(member.type) X(member.offset) \
	X(exc.curexc_type) X(exc.current_exception) X(exc.exc_type) X(exc.exc_info) \
	X(exc.item_type) X(exc.item_value) X(exc.item_previous)

#endif
