/*
 * gen_layout.c — print one CPython version's struct py_layout as C source.
 *
 * pyspy-sh reads interpreter structures out of another process, so it needs
 * their offsets for every CPython minor version.  Typing them by hand is how
 * profilers end up wrong, so this program is compiled once per version against
 * that version's own headers (Py_BUILD_CORE, internal headers included) and the
 * compiler does the work: offsetof() and sizeof() over the real definitions.
 * generate.sh builds and runs it for each installed version and commits the
 * output as layouts/pyX_Y.generated.c.
 *
 * The program fills a struct py_layout in memory (every int32 field starts as
 * OFF_NONE), then prints it through the field list in layout_fields.h, so a
 * field that a version lacks is printed as OFF_NONE without anyone writing so.
 * Version guards are PY_VERSION_HEX comparisons; this is the one place in the
 * project where they belong.
 *
 * Three kinds of fact cannot come from offsetof():
 *   - bitfield positions (PyASCIIObject.state): found at run time by setting a
 *     field in a zeroed struct and looking for the bit;
 *   - the managed-dict slots before an object (3.11+): found by calling the
 *     headers' own pointer helpers on a fake object address;
 *   - structs the headers do not install (dict keys before 3.11, the module
 *     object before 3.10): mirrored below from Objects/dict-common.h and
 *     Objects/moduleobject.c of the same versions, and marked as mirrors.
 *
 * Build (generate.sh does this): cc -std=c11 -Wall -Wextra -Werror -DNDEBUG
 *   -DPYSPY_GEN_LAYOUT -DPy_BUILD_CORE -I<include/pythonX.Y> -I<.../internal>
 *   -Ilayouts gen_layout.c
 * Without -DPYSPY_GEN_LAYOUT the file compiles to nothing, so a build that
 * compiles every file in layouts/ (the program, the unit tests) needs no
 * Python headers.
 */
#ifndef PYSPY_GEN_LAYOUT
typedef int gen_layout_is_built_by_generate_sh;
#else
/* The headers are not ours: some trip -Wextra (unused parameters in inline helpers). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <Python.h>
#include <frameobject.h>
#include <structmember.h>

#if PY_VERSION_HEX < 0x030b0000
#include <code.h>
#include <longintrepr.h>
#endif

#if PY_VERSION_HEX >= 0x03070000 && PY_VERSION_HEX < 0x03080000
#include "internal/pystate.h"
#elif PY_VERSION_HEX >= 0x03080000
#include "pycore_pystate.h"
#endif
#if PY_VERSION_HEX >= 0x03090000
#include "pycore_runtime.h"
#include "pycore_interp.h"
#endif
#if PY_VERSION_HEX >= 0x030a0000
#include "pycore_moduleobject.h"
#endif
#if PY_VERSION_HEX >= 0x030b0000
#include "pycore_frame.h"
#include "pycore_dict.h"
#include "pycore_object.h"
#include "pycore_code.h"
#endif
#if PY_VERSION_HEX >= 0x030d0000
#include "pycore_genobject.h"
#endif
#if PY_VERSION_HEX >= 0x030e0000
#include "pycore_stackref.h"
#endif
#pragma GCC diagnostic pop

#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "layout_fields.h"

#define OFF(type, member) ((int32_t)offsetof(type, member))
#define SIZE(type) ((int32_t)sizeof(type))

/* Mirrors of structs the headers do not install (see the essay above). */
#if PY_VERSION_HEX < 0x030a0000
struct mirror_module {		/* Objects/moduleobject.c: md_dict follows the head */
	PyObject_HEAD
	PyObject *md_dict;
};
#endif
#if PY_VERSION_HEX >= 0x03060000 && PY_VERSION_HEX < 0x030b0000
struct mirror_dictkeys {	/* Objects/dict-common.h, 3.6-3.10 */
	Py_ssize_t dk_refcnt;
	Py_ssize_t dk_size;
	void *dk_lookup;
	Py_ssize_t dk_usable;
	Py_ssize_t dk_nentries;
	char dk_indices[];	/* 3.6.15's debug info agrees: a flexible char array */
};
struct mirror_dictentry {	/* PyDictKeyEntry */
	Py_hash_t me_hash;
	PyObject *me_key;
	PyObject *me_value;
};
#endif

static struct py_layout L;

static void fill_models(void)
{
	L.version = (uint32_t)(PY_MAJOR_VERSION << 24 | PY_MINOR_VERSION << 16);
	L.headers = PY_VERSION;
#if PY_VERSION_HEX < 0x030b0000
	L.frame_model = FRAME_MODEL_OBJECT;
#elif PY_VERSION_HEX < 0x030d0000
	L.frame_model = FRAME_MODEL_CFRAME;
#else
	L.frame_model = FRAME_MODEL_CURRENT;
#endif
#if PY_MAJOR_VERSION < 3
	L.linetable_model = LINETABLE_LNOTAB_PY2;
	L.eval_model = EVAL_MODEL_FRAME_EX;
	L.thread_name_model = THREAD_NAME_MANGLED;
#else
	L.eval_model = EVAL_MODEL_DEFAULT;
	L.thread_name_model = THREAD_NAME_PLAIN;
#endif
#if PY_MAJOR_VERSION < 3
#elif PY_VERSION_HEX < 0x030a0000
	L.linetable_model = LINETABLE_LNOTAB;
#elif PY_VERSION_HEX < 0x030b0000
	L.linetable_model = LINETABLE_310;
#else
	L.linetable_model = LINETABLE_LOCATIONS;
#endif
#if PY_VERSION_HEX < 0x03070000
	L.interp_model = INTERP_MODEL_HEAD;
	L.gil_model = GIL_MODEL_CURRENT_SYMBOL;
#elif PY_VERSION_HEX < 0x030c0000
	L.interp_model = INTERP_MODEL_RUNTIME;
	L.gil_model = GIL_MODEL_RUNTIME_TSTATE;
#else
	L.interp_model = INTERP_MODEL_RUNTIME;
	L.gil_model = GIL_MODEL_INTERP_GIL;
#endif
#if PY_MAJOR_VERSION < 3
	L.str_model = STR_MODEL_PY2;
	L.dict_model = DICT_MODEL_PY2;
#else
	L.str_model = STR_MODEL_PEP393;
#if PY_VERSION_HEX < 0x030b0000
	L.dict_model = DICT_MODEL_COMPACT36;
#else
	L.dict_model = DICT_MODEL_COMPACT311;
#endif
#endif
#if PY_VERSION_HEX < 0x030c0000
	L.long_model = LONG_MODEL_SIZE;
#else
	L.long_model = LONG_MODEL_TAG;
#endif
#if PY_VERSION_HEX < 0x030b0000
	L.instdict_model = INSTDICT_MODEL_OFFSET;
#elif PY_VERSION_HEX < 0x030c0000
	L.instdict_model = INSTDICT_MODEL_MANAGED311;
#elif PY_VERSION_HEX < 0x030d0000
	L.instdict_model = INSTDICT_MODEL_MANAGED312;
#else
	L.instdict_model = INSTDICT_MODEL_INLINE313;
#endif
	L.digit_bits = PYLONG_BITS_IN_DIGIT;
#if PY_MAJOR_VERSION < 3
	L.unicode_size = Py_UNICODE_SIZE;
#endif
#if PY_VERSION_HEX < 0x030e0000
	L.stackref_mask = 0;
#endif
}

static void fill_tpflags(void)
{
	memset(&L.tpflags, 0, sizeof L.tpflags);
#ifdef Py_TPFLAGS_MANAGED_DICT
	L.tpflags.managed_dict = Py_TPFLAGS_MANAGED_DICT;
#endif
#ifdef Py_TPFLAGS_INLINE_VALUES
	L.tpflags.inline_values = Py_TPFLAGS_INLINE_VALUES;
#endif
#ifdef Py_TPFLAGS_INT_SUBCLASS
	L.tpflags.int_subclass = Py_TPFLAGS_INT_SUBCLASS;
#endif
	L.tpflags.long_subclass = Py_TPFLAGS_LONG_SUBCLASS;
	L.tpflags.list_subclass = Py_TPFLAGS_LIST_SUBCLASS;
	L.tpflags.tuple_subclass = Py_TPFLAGS_TUPLE_SUBCLASS;
#if PY_MAJOR_VERSION < 3
	L.tpflags.bytes_subclass = Py_TPFLAGS_STRING_SUBCLASS;
#else
	L.tpflags.bytes_subclass = Py_TPFLAGS_BYTES_SUBCLASS;
#endif
	L.tpflags.unicode_subclass = Py_TPFLAGS_UNICODE_SUBCLASS;
	L.tpflags.dict_subclass = Py_TPFLAGS_DICT_SUBCLASS;
	L.tpflags.type_subclass = Py_TPFLAGS_TYPE_SUBCLASS;
}

static void fill_runtime(void)
{
#if PY_VERSION_HEX >= 0x03070000
	L.runtime.size = SIZE(_PyRuntimeState);
	L.runtime.interpreters_head = OFF(_PyRuntimeState, interpreters.head);
	L.runtime.interpreters_main = OFF(_PyRuntimeState, interpreters.main);
#if PY_VERSION_HEX < 0x030c0000
	L.runtime.gilstate_tstate_current = OFF(_PyRuntimeState, gilstate.tstate_current);
	L.runtime.ceval_gil = OFF(_PyRuntimeState, ceval.gil);
	L.gil.size = SIZE(struct _gil_runtime_state);
	L.gil.locked = OFF(struct _gil_runtime_state, locked);
	L.gil.last_holder = OFF(struct _gil_runtime_state, last_holder);
	L.gil.switch_number = OFF(struct _gil_runtime_state, switch_number);
#endif
#if PY_VERSION_HEX < 0x03090000
	L.runtime.finalizing = OFF(_PyRuntimeState, finalizing);
#else
	L.runtime.finalizing = OFF(_PyRuntimeState, _finalizing);
#endif
#endif
}

static void fill_interp(void)
{
	L.interp.size = SIZE(PyInterpreterState);
	L.interp.next = OFF(PyInterpreterState, next);
#if PY_VERSION_HEX >= 0x03070000
	L.interp.id = OFF(PyInterpreterState, id);
#endif
#if PY_VERSION_HEX < 0x030b0000
	L.interp.tstate_head = OFF(PyInterpreterState, tstate_head);
#else
	L.interp.tstate_head = OFF(PyInterpreterState, threads.head);
#endif
#if PY_VERSION_HEX < 0x030c0000
	L.interp.modules = OFF(PyInterpreterState, modules);
#else
	L.interp.modules = OFF(PyInterpreterState, imports.modules);
	L.interp.ceval_gil = OFF(PyInterpreterState, ceval.gil);
	L.gil.size = SIZE(struct _gil_runtime_state);
	L.gil.locked = OFF(struct _gil_runtime_state, locked);
	L.gil.last_holder = OFF(struct _gil_runtime_state, last_holder);
	L.gil.switch_number = OFF(struct _gil_runtime_state, switch_number);
#endif
#if PY_VERSION_HEX >= 0x03090000
	L.interp.gc = OFF(PyInterpreterState, gc);
	L.gcstate.collecting = OFF(struct _gc_runtime_state, collecting);
#endif
	L.interp.sysdict = OFF(PyInterpreterState, sysdict);
	L.interp.builtins = OFF(PyInterpreterState, builtins);
}

static void fill_tstate(void)
{
	L.tstate.size = SIZE(PyThreadState);
#if PY_MAJOR_VERSION >= 3
	L.tstate.prev = OFF(PyThreadState, prev);
#endif
	L.tstate.next = OFF(PyThreadState, next);
	L.tstate.interp = OFF(PyThreadState, interp);
#if PY_VERSION_HEX < 0x030b0000
	L.tstate.frame = OFF(PyThreadState, frame);
#endif
#if PY_VERSION_HEX >= 0x030a0000 && PY_VERSION_HEX < 0x030b0000
	L.tstate.cframe = OFF(PyThreadState, cframe);
	L.cframe.size = SIZE(CFrame);
	L.cframe.previous = OFF(CFrame, previous);
#elif PY_VERSION_HEX >= 0x030b0000 && PY_VERSION_HEX < 0x030d0000
	L.tstate.cframe = OFF(PyThreadState, cframe);
	L.cframe.size = SIZE(_PyCFrame);
	L.cframe.previous = OFF(_PyCFrame, previous);
#endif
#if PY_VERSION_HEX >= 0x030b0000 && PY_VERSION_HEX < 0x030d0000
	L.cframe.current_frame = OFF(_PyCFrame, current_frame);
#endif
#if PY_VERSION_HEX >= 0x030d0000
	L.tstate.current_frame = OFF(PyThreadState, current_frame);
#endif
	L.tstate.thread_id = OFF(PyThreadState, thread_id);
#if PY_VERSION_HEX >= 0x030b0000
	L.tstate.native_thread_id = OFF(PyThreadState, native_thread_id);
#endif
#if PY_VERSION_HEX >= 0x030b0000
	L.tstate.datastack_chunk = OFF(PyThreadState, datastack_chunk);
	L.tstate.datastack_top = OFF(PyThreadState, datastack_top);
	L.tstate.datastack_limit = OFF(PyThreadState, datastack_limit);
	L.chunk.size = SIZE(_PyStackChunk);
	L.chunk.previous = OFF(_PyStackChunk, previous);
	L.chunk.chunk_size = OFF(_PyStackChunk, size);
	L.chunk.top = OFF(_PyStackChunk, top);
	L.chunk.data = OFF(_PyStackChunk, data);
#endif
}

static void fill_exc(void)
{
#if PY_VERSION_HEX < 0x030c0000
	L.exc.curexc_type = OFF(PyThreadState, curexc_type);
#else
	L.exc.current_exception = OFF(PyThreadState, current_exception);
#endif
#if PY_VERSION_HEX < 0x03070000
	L.exc.exc_type = OFF(PyThreadState, exc_type);
#else
	L.exc.exc_info = OFF(PyThreadState, exc_info);
	L.exc.item_value = OFF(_PyErr_StackItem, exc_value);
	L.exc.item_previous = OFF(_PyErr_StackItem, previous_item);
#endif
#if PY_VERSION_HEX >= 0x03070000 && PY_VERSION_HEX < 0x030b0000
	L.exc.item_type = OFF(_PyErr_StackItem, exc_type);
#endif
}

static void fill_frames(void)
{
	L.pyframe.size = SIZE(PyFrameObject);
	L.pyframe.back = OFF(PyFrameObject, f_back);
	L.pyframe.lineno = OFF(PyFrameObject, f_lineno);
#if PY_VERSION_HEX < 0x030b0000
	L.pyframe.code = OFF(PyFrameObject, f_code);
	L.pyframe.lasti = OFF(PyFrameObject, f_lasti);
	L.pyframe.globals = OFF(PyFrameObject, f_globals);
	L.pyframe.locals = OFF(PyFrameObject, f_locals);
	L.pyframe.localsplus = OFF(PyFrameObject, f_localsplus);
	L.pyframe.builtins = OFF(PyFrameObject, f_builtins);
#else
	L.pyframe.iframe = OFF(PyFrameObject, f_frame);
	L.iframe.size = SIZE(_PyInterpreterFrame);
	L.iframe.previous = OFF(_PyInterpreterFrame, previous);
#if PY_VERSION_HEX < 0x030d0000
	L.iframe.code = OFF(_PyInterpreterFrame, f_code);
	L.iframe.instr = OFF(_PyInterpreterFrame, prev_instr);
#else
	L.iframe.code = OFF(_PyInterpreterFrame, f_executable);
	L.iframe.instr = OFF(_PyInterpreterFrame, instr_ptr);
#endif
	L.iframe.localsplus = OFF(_PyInterpreterFrame, localsplus);
#if PY_VERSION_HEX < 0x030e0000
	L.iframe.stacktop = OFF(_PyInterpreterFrame, stacktop);	/* 3.14: stackpointer */
#endif
	L.iframe.owner = OFF(_PyInterpreterFrame, owner);
#if PY_VERSION_HEX < 0x030c0000
	L.iframe.is_entry = OFF(_PyInterpreterFrame, is_entry);
#elif PY_VERSION_HEX < 0x030f0000
	L.owner_cstack = FRAME_OWNED_BY_CSTACK;	/* 3.14 declares it unused; 3.15 drops it */
#endif
#if PY_VERSION_HEX >= 0x030e0000
	/* entry frames (and 3.15's base frame) are owned by the interpreter;
	 * frame slots are tagged _PyStackRefs */
	L.owner_interpreter = FRAME_OWNED_BY_INTERPRETER;
	L.stackref_mask = (int32_t)Py_TAG_BITS;
#endif
	L.iframe.globals = OFF(_PyInterpreterFrame, f_globals);
	L.iframe.builtins = OFF(_PyInterpreterFrame, f_builtins);
	L.iframe.locals = OFF(_PyInterpreterFrame, f_locals);
	L.iframe.frame_obj = OFF(_PyInterpreterFrame, frame_obj);
	L.owner_generator = FRAME_OWNED_BY_GENERATOR;
#endif
}

static void fill_code(void)
{
	L.code.size = SIZE(PyCodeObject);
	L.code.argcount = OFF(PyCodeObject, co_argcount);
#if PY_VERSION_HEX >= 0x03080000
	L.code.posonlyargcount = OFF(PyCodeObject, co_posonlyargcount);
#endif
#if PY_MAJOR_VERSION >= 3
	L.code.kwonlyargcount = OFF(PyCodeObject, co_kwonlyargcount);
#endif
	L.code.nlocals = OFF(PyCodeObject, co_nlocals);
	L.code.flags = OFF(PyCodeObject, co_flags);
	L.code.firstlineno = OFF(PyCodeObject, co_firstlineno);
	L.code.filename = OFF(PyCodeObject, co_filename);
	L.code.name = OFF(PyCodeObject, co_name);
#if PY_VERSION_HEX < 0x030b0000
	L.code.code = OFF(PyCodeObject, co_code);
	L.code.varnames = OFF(PyCodeObject, co_varnames);
	L.code.cellvars = OFF(PyCodeObject, co_cellvars);
	L.code.freevars = OFF(PyCodeObject, co_freevars);
#else
	L.code.nlocalsplus = OFF(PyCodeObject, co_nlocalsplus);
	L.code.firsttraceable = OFF(PyCodeObject, _co_firsttraceable);
	L.code.qualname = OFF(PyCodeObject, co_qualname);
	L.code.localsplusnames = OFF(PyCodeObject, co_localsplusnames);
	L.code.localspluskinds = OFF(PyCodeObject, co_localspluskinds);
	L.code.code_adaptive = OFF(PyCodeObject, co_code_adaptive);
#endif
#if PY_VERSION_HEX < 0x030a0000
	L.code.lnotab = OFF(PyCodeObject, co_lnotab);
#else
	L.code.linetable = OFF(PyCodeObject, co_linetable);
#endif
}

static void fill_types(void)
{
	L.object.refcnt = OFF(PyObject, ob_refcnt);
	L.object.type = OFF(PyObject, ob_type);
	L.object.var_size = OFF(PyVarObject, ob_size);
	L.type.size = SIZE(PyTypeObject);
	L.type.name = OFF(PyTypeObject, tp_name);
	L.type.basicsize = OFF(PyTypeObject, tp_basicsize);
	L.type.itemsize = OFF(PyTypeObject, tp_itemsize);
	L.type.flags = OFF(PyTypeObject, tp_flags);
	L.type.dictoffset = OFF(PyTypeObject, tp_dictoffset);
	L.type.base = OFF(PyTypeObject, tp_base);
	L.type.dict = OFF(PyTypeObject, tp_dict);
	L.type.mro = OFF(PyTypeObject, tp_mro);
	L.type.heap_size = SIZE(PyHeapTypeObject);
	L.type.ht_name = OFF(PyHeapTypeObject, ht_name);
#if PY_MAJOR_VERSION >= 3
	L.type.ht_qualname = OFF(PyHeapTypeObject, ht_qualname);
	L.type.ht_cached_keys = OFF(PyHeapTypeObject, ht_cached_keys);
#endif
}

static void fill_containers(void)
{
	L.tuple.size = SIZE(PyTupleObject);
	L.tuple.items = OFF(PyTupleObject, ob_item);
	L.list.size = SIZE(PyListObject);
	L.list.items = OFF(PyListObject, ob_item);
	L.list.allocated = OFF(PyListObject, allocated);
	L.set.size = SIZE(PySetObject);
	L.set.fill = OFF(PySetObject, fill);
	L.set.used = OFF(PySetObject, used);
	L.set.mask = OFF(PySetObject, mask);
	L.set.table = OFF(PySetObject, table);
	L.set.entry_size = SIZE(setentry);
	L.set.entry_key = OFF(setentry, key);
	L.set.entry_hash = OFF(setentry, hash);
	L.cell.size = SIZE(PyCellObject);
	L.cell.ob_ref = OFF(PyCellObject, ob_ref);
	L.member.size = SIZE(PyMemberDef);
	L.member.name = OFF(PyMemberDef, name);
	L.member.type = OFF(PyMemberDef, type);
	L.member.offset = OFF(PyMemberDef, offset);
#if PY_VERSION_HEX < 0x030a0000
	L.module.size = SIZE(struct mirror_module);
	L.module.dict = OFF(struct mirror_module, md_dict);
#else
	L.module.size = SIZE(PyModuleObject);
	L.module.dict = OFF(PyModuleObject, md_dict);
#endif
	L.gen.size = SIZE(PyGenObject);
#if PY_VERSION_HEX < 0x030b0000
	L.gen.frame = OFF(PyGenObject, gi_frame);
#else
	L.gen.iframe = OFF(PyGenObject, gi_iframe);
#endif
#if PY_VERSION_HEX < 0x030c0000
	L.gen.code = OFF(PyGenObject, gi_code);
#endif
}

static void fill_dicts(void)
{
	L.dict.size = SIZE(PyDictObject);
	L.dict.used = OFF(PyDictObject, ma_used);
#if PY_MAJOR_VERSION < 3
	L.dict.py2_fill = OFF(PyDictObject, ma_fill);
	L.dict.py2_mask = OFF(PyDictObject, ma_mask);
	L.dict.py2_table = OFF(PyDictObject, ma_table);
	L.dict.py2_entry_size = SIZE(PyDictEntry);
#else
	L.dict.keys = OFF(PyDictObject, ma_keys);
	L.dict.values = OFF(PyDictObject, ma_values);
#endif
#if PY_MAJOR_VERSION >= 3 && PY_VERSION_HEX < 0x030b0000
	L.dictkeys.size = SIZE(struct mirror_dictkeys);
	L.dictkeys.dk_size = OFF(struct mirror_dictkeys, dk_size);
	L.dictkeys.nentries = OFF(struct mirror_dictkeys, dk_nentries);
	L.dictkeys.indices = OFF(struct mirror_dictkeys, dk_indices);
	L.dictkeys.entry_size = SIZE(struct mirror_dictentry);
	L.dictvalues.values = 0;
#elif PY_VERSION_HEX >= 0x030b0000
	L.dictkeys.size = SIZE(PyDictKeysObject);
	L.dictkeys.log2_size = OFF(PyDictKeysObject, dk_log2_size);
	L.dictkeys.log2_index_bytes = OFF(PyDictKeysObject, dk_log2_index_bytes);
	L.dictkeys.kind = OFF(PyDictKeysObject, dk_kind);
	L.dictkeys.nentries = OFF(PyDictKeysObject, dk_nentries);
	L.dictkeys.indices = OFF(PyDictKeysObject, dk_indices);
	L.dictkeys.entry_size = SIZE(PyDictKeyEntry);
	L.dictkeys.unicode_entry_size = SIZE(PyDictUnicodeEntry);
	L.dictvalues.values = OFF(PyDictValues, values);
#endif
#if PY_VERSION_HEX >= 0x030d0000
	L.dictvalues.valid = OFF(PyDictValues, valid);
#endif
}

/* The managed-dict slots sit before the object; ask the headers' own helpers
 * where, on a fake object address (they only do pointer arithmetic). */
static void fill_managed(void)
{
#if PY_VERSION_HEX >= 0x030b0000
	static char buf[256];
	PyObject *obj = (PyObject *)(void *)(buf + 128);
	char *base = (char *)obj;
#if PY_VERSION_HEX < 0x030c0000
	L.managed_dict_offset = (int32_t)((char *)_PyObject_ManagedDictPointer(obj) - base);
	L.managed_values_offset = (int32_t)((char *)_PyObject_ValuesPointer(obj) - base);
#elif PY_VERSION_HEX < 0x030d0000
	L.managed_dict_offset = (int32_t)((char *)_PyObject_DictOrValuesPointer(obj) - base);
#else
	L.managed_dict_offset = (int32_t)((char *)_PyObject_ManagedDictPointer(obj) - base);
#endif
#endif
}

static void fill_scalars(void)
{
	L.float_obj.size = SIZE(PyFloatObject);
	L.float_obj.fval = OFF(PyFloatObject, ob_fval);
	L.long_obj.size = SIZE(PyLongObject);
#if PY_VERSION_HEX < 0x030c0000
	L.long_obj.digits = OFF(PyLongObject, ob_digit);
#else
	L.long_obj.digits = OFF(PyLongObject, long_value.ob_digit);
	L.long_obj.tag = OFF(PyLongObject, long_value.lv_tag);
#endif
#if PY_MAJOR_VERSION < 3
	L.int_obj.size = SIZE(PyIntObject);
	L.int_obj.ival = OFF(PyIntObject, ob_ival);
	L.bytes.size = SIZE(PyStringObject);
	L.bytes.sval = OFF(PyStringObject, ob_sval);
#else
	L.bytes.size = SIZE(PyBytesObject);
	L.bytes.sval = OFF(PyBytesObject, ob_sval);
#endif
}

#if PY_MAJOR_VERSION >= 3
/* Bit position of the one bit set in the state word of s. */
static int32_t state_bit(const PyASCIIObject *s)
{
	unsigned int word;
	memcpy(&word, (const char *)s + offsetof(PyASCIIObject, state), sizeof word);
	for (int32_t bit = 0; bit < 32; bit++)
		if (word == 1u << bit)
			return bit;
	return OFF_NONE;
}
#endif

static void fill_unicode(void)
{
	L.unicode.size = SIZE(PyUnicodeObject);
#if PY_MAJOR_VERSION < 3
	L.unicode.length = OFF(PyUnicodeObject, length);
	L.unicode.py2_str = OFF(PyUnicodeObject, str);
#else
	PyASCIIObject s;

	L.unicode.length = OFF(PyASCIIObject, length);
	L.unicode.state = OFF(PyASCIIObject, state);
	L.unicode.ascii_size = SIZE(PyASCIIObject);
	L.unicode.compact_size = SIZE(PyCompactUnicodeObject);
	L.unicode.data = OFF(PyUnicodeObject, data);
	memset(&s, 0, sizeof s);
	s.state.kind = 1;
	L.unicode.state_kind_shift = state_bit(&s);
	memset(&s, 0, sizeof s);
	s.state.compact = 1;
	L.unicode.state_compact_shift = state_bit(&s);
	memset(&s, 0, sizeof s);
	s.state.ascii = 1;
	L.unicode.state_ascii_shift = state_bit(&s);
#endif
}

static const char *frame_model_name(enum frame_model m)
{
	switch (m) {
	case FRAME_MODEL_OBJECT: return "FRAME_MODEL_OBJECT";
	case FRAME_MODEL_CFRAME: return "FRAME_MODEL_CFRAME";
	case FRAME_MODEL_CURRENT: return "FRAME_MODEL_CURRENT";
	}
	return "0";
}

static const char *linetable_model_name(enum linetable_model m)
{
	switch (m) {
	case LINETABLE_LNOTAB: return "LINETABLE_LNOTAB";
	case LINETABLE_LNOTAB_PY2: return "LINETABLE_LNOTAB_PY2";
	case LINETABLE_310: return "LINETABLE_310";
	case LINETABLE_LOCATIONS: return "LINETABLE_LOCATIONS";
	}
	return "0";
}

static const char *interp_model_name(enum interp_model m)
{
	return m == INTERP_MODEL_HEAD ? "INTERP_MODEL_HEAD" : "INTERP_MODEL_RUNTIME";
}

static const char *gil_model_name(enum gil_model m)
{
	switch (m) {
	case GIL_MODEL_CURRENT_SYMBOL: return "GIL_MODEL_CURRENT_SYMBOL";
	case GIL_MODEL_RUNTIME_TSTATE: return "GIL_MODEL_RUNTIME_TSTATE";
	case GIL_MODEL_RUNTIME_GIL: return "GIL_MODEL_RUNTIME_GIL";
	case GIL_MODEL_INTERP_GIL: return "GIL_MODEL_INTERP_GIL";
	}
	return "0";
}

static const char *dict_model_name(enum dict_model m)
{
	switch (m) {
	case DICT_MODEL_PY2: return "DICT_MODEL_PY2";
	case DICT_MODEL_COMPACT36: return "DICT_MODEL_COMPACT36";
	case DICT_MODEL_COMPACT311: return "DICT_MODEL_COMPACT311";
	}
	return "0";
}

static const char *instdict_model_name(enum instdict_model m)
{
	switch (m) {
	case INSTDICT_MODEL_OFFSET: return "INSTDICT_MODEL_OFFSET";
	case INSTDICT_MODEL_MANAGED311: return "INSTDICT_MODEL_MANAGED311";
	case INSTDICT_MODEL_MANAGED312: return "INSTDICT_MODEL_MANAGED312";
	case INSTDICT_MODEL_INLINE313: return "INSTDICT_MODEL_INLINE313";
	}
	return "0";
}

static void print_int(const char *name, int32_t v)
{
	if (v == OFF_NONE)
		printf("\t.%s = OFF_NONE,\n", name);
	else
		printf("\t.%s = %d,\n", name, (int)v);
}

static void print_table(void)
{
	printf("/*\n * GENERATED FILE, do not edit: the struct offsets of CPython %d.%d.\n",
	       PY_MAJOR_VERSION, PY_MINOR_VERSION);
	printf(" * Produced by `layouts/generate.sh` (layouts/gen_layout.c compiled\n");
	printf(" * against the CPython %s headers); rerun it to regenerate.\n */\n", PY_VERSION);
	printf("#include \"layout.h\"\n\n");
	printf("const struct py_layout layout_py%d_%d = {\n", PY_MAJOR_VERSION, PY_MINOR_VERSION);
	printf("\t.version = 0x%08x,\n", (unsigned)L.version);
	printf("\t.headers = \"%s\",\n", L.headers);
	printf("\t.frame_model = %s,\n", frame_model_name(L.frame_model));
	printf("\t.linetable_model = %s,\n", linetable_model_name(L.linetable_model));
	printf("\t.interp_model = %s,\n", interp_model_name(L.interp_model));
	printf("\t.gil_model = %s,\n", gil_model_name(L.gil_model));
	printf("\t.str_model = %s,\n", L.str_model == STR_MODEL_PY2 ? "STR_MODEL_PY2" : "STR_MODEL_PEP393");
	printf("\t.long_model = %s,\n", L.long_model == LONG_MODEL_SIZE ? "LONG_MODEL_SIZE" : "LONG_MODEL_TAG");
	printf("\t.dict_model = %s,\n", dict_model_name(L.dict_model));
	printf("\t.instdict_model = %s,\n", instdict_model_name(L.instdict_model));
	printf("\t.eval_model = %s,\n", L.eval_model == EVAL_MODEL_FRAME_EX ? "EVAL_MODEL_FRAME_EX" : "EVAL_MODEL_DEFAULT");
	printf("\t.thread_name_model = %s,\n",
	       L.thread_name_model == THREAD_NAME_MANGLED ? "THREAD_NAME_MANGLED" : "THREAD_NAME_PLAIN");
#define PRINT_FLAG(f) printf("\t.%s = 0x%llxULL,\n", #f, (unsigned long long)L.f);
	LAYOUT_TPFLAG_FIELDS(PRINT_FLAG)
#undef PRINT_FLAG
#define PRINT_INT(f) print_int(#f, L.f);
	LAYOUT_SCALAR_FIELDS(PRINT_INT)
	LAYOUT_OFFSET_FIELDS(PRINT_INT)
#undef PRINT_INT
	printf("};\n");
}

int main(void)
{
	memset(&L, 0xff, sizeof L);	/* every int32 field starts as OFF_NONE */
	fill_models();
	fill_tpflags();
	fill_runtime();
	fill_interp();
	fill_tstate();
	fill_exc();
	fill_frames();
	fill_code();
	fill_types();
	fill_containers();
	fill_dicts();
	fill_managed();
	fill_scalars();
	fill_unicode();
	print_table();
	return ferror(stdout) ? 1 : 0;
}

#endif /* PYSPY_GEN_LAYOUT */
