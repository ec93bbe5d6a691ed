/*
 * layout.h — where things are inside a CPython process, as data.
 *
 * pyspy-sh reads the interpreter's own structures out of another process, so it
 * must know, for the exact CPython minor version it is looking at, the offset of
 * every field it touches.  Those offsets are not written by hand: a generator in
 * this folder (gen_layout.c, driven by generate.sh) is compiled once against each
 * version's real headers, Py_BUILD_CORE included, and prints one table of
 * offsetof() values per version.  The generated tables are committed, so users
 * need no headers.  For 3.13 and later the target carries its own
 * _Py_DebugOffsets; debug_offsets.c fills a layout from those and the table is
 * used as a cross-check.
 *
 * Conventions:
 *   - every offset is an int32_t in bytes, relative to the start of the named
 *     struct; OFF_NONE (-1) means "this version has no such field";
 *   - sizes are sizeof() of the named struct (0 if the struct does not exist);
 *   - behaviour that changes shape between versions (how frames chain, how
 *     strings, ints and dicts are stored) is an enum "model", so the engine
 *     branches on a model, never on version numbers scattered through code.
 */
#ifndef PYSPY_LAYOUT_H
#define PYSPY_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define OFF_NONE (-1)

/* How a thread's Python frames are chained. */
enum frame_model {
	FRAME_MODEL_OBJECT = 1,  /* 2.7–3.10: tstate->frame, PyFrameObject.f_back */
	FRAME_MODEL_CFRAME,      /* 3.11–3.12: tstate->cframe->current_frame, _PyInterpreterFrame.previous */
	FRAME_MODEL_CURRENT,     /* 3.13+: tstate->current_frame, _PyInterpreterFrame.previous */
};

/* How a code object maps instruction offsets to lines. */
enum linetable_model {
	LINETABLE_LNOTAB = 1,    /* 3.6–3.9 co_lnotab, byte offsets (f_lasti is a byte offset), signed line deltas */
	LINETABLE_LNOTAB_PY2,    /* 2.7 co_lnotab: the same with unsigned line deltas */
	LINETABLE_310,           /* 3.10 co_linetable, byte offsets (f_lasti counts code units) */
	LINETABLE_LOCATIONS,     /* 3.11+ co_linetable location table, code units */
};

/* How the interpreter is found from the runtime. */
enum interp_model {
	INTERP_MODEL_HEAD = 1,   /* 2.7, 3.6: static `interp_head` in pystate.c */
	INTERP_MODEL_RUNTIME,    /* 3.7+: _PyRuntime.interpreters.head */
};

/* How to tell which thread holds the GIL. */
enum gil_model {
	GIL_MODEL_CURRENT_SYMBOL = 1, /* 2.7, 3.6: the _PyThreadState_Current global */
	GIL_MODEL_RUNTIME_TSTATE,     /* 3.7–3.11: _PyRuntime.gilstate.tstate_current */
	GIL_MODEL_RUNTIME_GIL,        /* (unused so far) _PyRuntime.ceval.gil {locked, last_holder} */
	GIL_MODEL_INTERP_GIL,         /* 3.12+: *interp->ceval.gil {locked, last_holder} */
};

/* How str objects are stored. */
enum str_model {
	STR_MODEL_PY2 = 1,       /* 2.7: PyStringObject (bytes) and PyUnicodeObject {length, Py_UNICODE *str} */
	STR_MODEL_PEP393,        /* 3.3+: compact/ascii/legacy kinds, PyASCIIObject.state bitfield */
};

/* How int objects are stored. */
enum long_model {
	LONG_MODEL_SIZE = 1,     /* ≤3.11: ob_size is the signed digit count */
	LONG_MODEL_TAG,          /* 3.12+: lv_tag = ndigits << 3 | sign bits (0 pos, 1 zero, 2 neg) */
};

/* How dicts are stored. */
enum dict_model {
	DICT_MODEL_PY2 = 1,      /* 2.7: ma_mask, ma_table of {hash, key, value} */
	DICT_MODEL_COMPACT36,    /* 3.6–3.10: keys {dk_size, dk_nentries, dk_indices[]}, entries after the indices */
	DICT_MODEL_COMPACT311,   /* 3.11+: keys {dk_log2_size, dk_log2_index_bytes, dk_kind, dk_nentries, dk_indices[]} */
};

/* Where an instance's attribute dict lives. */
enum instdict_model {
	INSTDICT_MODEL_OFFSET = 1, /* ≤3.10: *(obj + tp_dictoffset) */
	INSTDICT_MODEL_MANAGED311, /* 3.11: Py_TPFLAGS_MANAGED_DICT, dict at obj-3*8, values at obj-4*8 */
	INSTDICT_MODEL_MANAGED312, /* 3.12: Py_TPFLAGS_MANAGED_DICT, obj-3*8 holds a dict, or (values - 1), odd */
	INSTDICT_MODEL_INLINE313,  /* 3.13+: Py_TPFLAGS_INLINE_VALUES values at obj+tp_basicsize, dict at obj-3*8 */
};

/* Which C function runs a Python frame: what a native unwind looks for. */
enum eval_model {
	EVAL_MODEL_FRAME_EX = 1, /* 2.7: PyEval_EvalFrameEx */
	EVAL_MODEL_DEFAULT,      /* 3.6+: _PyEval_EvalFrameDefault */
};

/* Where threading.Thread keeps its name. */
enum thread_name_model {
	THREAD_NAME_MANGLED = 1, /* 2.7: self.__name, stored as _Thread__name */
	THREAD_NAME_PLAIN,       /* 3.x: self._name */
};

struct py_layout {
	uint32_t version;          /* PY_VERSION_HEX of the minor: 0x030b0000 for 3.11 */
	const char *headers;       /* the full version whose headers produced it: "3.11.7" */

	enum frame_model frame_model;
	enum linetable_model linetable_model;
	enum interp_model interp_model;
	enum gil_model gil_model;
	enum str_model str_model;
	enum long_model long_model;
	enum dict_model dict_model;
	enum instdict_model instdict_model;
	enum eval_model eval_model;
	enum thread_name_model thread_name_model;

	int32_t digit_bits;        /* PYLONG_BITS_IN_DIGIT: 15 or 30 */
	int32_t unicode_size;      /* 2.7 only: Py_UNICODE_SIZE of the headers (2 or 4); a target may differ */

	/* Type flag bits (tp_flags) used to recognise built-in types quickly. */
	struct {
		uint64_t managed_dict;   /* Py_TPFLAGS_MANAGED_DICT, 0 if none */
		uint64_t inline_values;  /* Py_TPFLAGS_INLINE_VALUES, 0 if none */
		uint64_t int_subclass;   /* 2.7 Py_TPFLAGS_INT_SUBCLASS, 0 on 3.x */
		uint64_t long_subclass, list_subclass, tuple_subclass, bytes_subclass,
			 unicode_subclass, dict_subclass, type_subclass;
	} tpflags;

	/* _PyRuntimeState (3.7+; size 0 before). */
	struct {
		int32_t size;
		int32_t interpreters_head;    /* interpreters.head */
		int32_t interpreters_main;    /* interpreters.main */
		int32_t gilstate_tstate_current; /* gilstate.tstate_current, 3.7–3.11 */
		int32_t ceval_gil;            /* ceval.gil (struct _gil_runtime_state inline), 3.7–3.11 */
		int32_t finalizing;           /* _finalizing */
	} runtime;

	/* PyInterpreterState. */
	struct {
		int32_t size;
		int32_t next;
		int32_t id;                   /* 3.7+ */
		int32_t tstate_head;          /* tstate_head (≤3.10) or threads.head (3.11+) */
		int32_t modules;              /* modules (≤3.11) or imports.modules (3.12+) */
		int32_t sysdict;
		int32_t builtins;
		int32_t ceval_gil;            /* 3.12+: ceval.gil, a pointer to struct _gil_runtime_state */
		int32_t gc;                   /* 3.9+: gc, the struct _gc_runtime_state inside it */
	} interp;

	/* struct _gil_runtime_state. */
	struct {
		int32_t size;
		int32_t locked;               /* _Py_atomic_int locked */
		int32_t last_holder;          /* _Py_atomic_address last_holder */
		int32_t switch_number;        /* unsigned long: times the GIL went to another thread */
	} gil;

	/* struct _gc_runtime_state (3.9+, inside the interpreter state). */
	struct {
		int32_t collecting;           /* int collecting: a collection runs */
	} gcstate;

	/* PyThreadState. */
	struct {
		int32_t size;
		int32_t prev;                 /* 3.3+ */
		int32_t next;
		int32_t interp;
		int32_t frame;                /* ≤3.10: PyFrameObject *frame */
		int32_t cframe;               /* 3.10–3.12: _PyCFrame *cframe */
		int32_t current_frame;        /* 3.13+: _PyInterpreterFrame *current_frame */
		int32_t thread_id;            /* unsigned long thread_id (pthread_self()) */
		int32_t native_thread_id;     /* 3.11+: unsigned long native_thread_id (gettid()) */
		int32_t datastack_chunk;      /* 3.11+ */
		int32_t datastack_top;        /* 3.11+ */
		int32_t datastack_limit;      /* 3.11+ */
	} tstate;

	/* _PyCFrame (3.10–3.12; only current_frame matters, 3.11–3.12). */
	struct {
		int32_t size;
		int32_t current_frame;
		int32_t previous;
	} cframe;

	/* _PyStackChunk (3.11+). */
	struct {
		int32_t size;
		int32_t previous;
		int32_t chunk_size;           /* size_t size */
		int32_t top;                  /* size_t top, in pointers */
		int32_t data;                 /* PyObject *data[] */
	} chunk;

	/* PyFrameObject (all versions; on 3.11+ only a wrapper around an interpreter frame). */
	struct {
		int32_t size;
		int32_t back;                 /* f_back */
		int32_t code;                 /* f_code (≤3.10) */
		int32_t lasti;                /* int f_lasti (≤3.10) */
		int32_t lineno;               /* int f_lineno */
		int32_t globals;              /* f_globals (≤3.10) */
		int32_t locals;               /* f_locals (≤3.10) */
		int32_t localsplus;           /* f_localsplus (≤3.10) */
		int32_t builtins;             /* f_builtins (≤3.10) */
		int32_t iframe;               /* 3.11+: _PyInterpreterFrame *f_frame */
	} pyframe;

	/* _PyInterpreterFrame (3.11+). */
	struct {
		int32_t size;
		int32_t previous;
		int32_t code;                 /* f_code (3.11–3.12) or f_executable (3.13+) */
		int32_t instr;                /* prev_instr (3.11–3.12) or instr_ptr (3.13+) */
		int32_t localsplus;
		int32_t stacktop;             /* int stacktop (3.11–3.13) */
		int32_t owner;                /* char owner */
		int32_t is_entry;             /* 3.11 only: bool is_entry */
		int32_t globals;              /* f_globals */
		int32_t builtins;             /* f_builtins */
		int32_t locals;               /* f_locals */
		int32_t frame_obj;            /* PyFrameObject *frame_obj */
	} iframe;
	int32_t owner_cstack;             /* FRAME_OWNED_BY_CSTACK (3.12+), OFF_NONE if absent */
	int32_t owner_generator;          /* FRAME_OWNED_BY_GENERATOR (3.11+) */

	/* PyCodeObject. */
	struct {
		int32_t size;
		int32_t argcount;
		int32_t posonlyargcount;      /* 3.8+ */
		int32_t kwonlyargcount;       /* 3.x */
		int32_t nlocals;
		int32_t nlocalsplus;          /* 3.11+ */
		int32_t flags;
		int32_t firstlineno;
		int32_t firsttraceable;       /* 3.11+: int _co_firsttraceable */
		int32_t code;                 /* co_code bytes (≤3.10) */
		int32_t filename;
		int32_t name;
		int32_t qualname;             /* 3.11+ */
		int32_t lnotab;               /* co_lnotab (≤3.9) */
		int32_t linetable;            /* co_linetable (3.10+) */
		int32_t varnames;             /* ≤3.10 */
		int32_t cellvars;             /* ≤3.10 */
		int32_t freevars;             /* ≤3.10 */
		int32_t localsplusnames;      /* 3.11+ */
		int32_t localspluskinds;      /* 3.11+ */
		int32_t code_adaptive;        /* 3.11+: co_code_adaptive */
	} code;

	/* PyObject / PyVarObject. */
	struct {
		int32_t refcnt;
		int32_t type;
		int32_t var_size;             /* PyVarObject.ob_size */
	} object;

	/* PyTypeObject and PyHeapTypeObject. */
	struct {
		int32_t size;
		int32_t name;                 /* const char *tp_name */
		int32_t basicsize;
		int32_t itemsize;
		int32_t flags;                /* unsigned long tp_flags */
		int32_t dictoffset;
		int32_t base;
		int32_t dict;                 /* tp_dict */
		int32_t mro;
		int32_t heap_size;            /* sizeof(PyHeapTypeObject) */
		int32_t ht_name;
		int32_t ht_qualname;          /* 3.3+ */
		int32_t ht_cached_keys;       /* 3.3+ */
	} type;

	struct { int32_t size, items; } tuple;            /* ob_size is object.var_size */
	struct { int32_t size, items, allocated; } list;

	/* PyDictObject, PyDictKeysObject, PyDictValues. */
	struct {
		int32_t size;
		int32_t used;                 /* ma_used */
		int32_t keys;                 /* ma_keys (3.x) */
		int32_t values;               /* ma_values (3.x) */
		int32_t py2_fill, py2_mask, py2_table; /* 2.7 */
		int32_t py2_entry_size;       /* sizeof(PyDictEntry) */
	} dict;
	struct {
		int32_t size;
		int32_t dk_size;              /* 3.6–3.10: Py_ssize_t dk_size */
		int32_t log2_size;            /* 3.11+: uint8_t dk_log2_size */
		int32_t log2_index_bytes;     /* 3.11+: uint8_t dk_log2_index_bytes */
		int32_t kind;                 /* 3.11+: uint8_t dk_kind (0 general, 1 unicode, 2 split) */
		int32_t nentries;             /* dk_nentries */
		int32_t indices;              /* dk_indices */
		int32_t entry_size;           /* sizeof(PyDictKeyEntry): {hash, key, value} */
		int32_t unicode_entry_size;   /* 3.11+: sizeof(PyDictUnicodeEntry): {key, value} */
	} dictkeys;
	struct {
		int32_t values;               /* offset of the values array in PyDictValues (0 before 3.13) */
		int32_t valid;                /* 3.13+: uint8_t valid */
	} dictvalues;
	int32_t managed_dict_offset;      /* 3.11+: where the dict (pointer) sits, relative to the object: -24 */
	int32_t managed_values_offset;    /* 3.11 only: -32 */

	struct { int32_t size, fval; } float_obj;
	struct { int32_t size, digits, tag; } long_obj;  /* tag: lv_tag (3.12+) */
	struct { int32_t size, ival; } int_obj;           /* 2.7 PyIntObject */
	struct { int32_t size, sval; } bytes;             /* PyBytesObject (3.x) or PyStringObject (2.7); length is object.var_size */

	/* PyUnicodeObject. */
	struct {
		int32_t size;                 /* sizeof(PyUnicodeObject) */
		int32_t length;               /* Py_ssize_t length */
		int32_t state;                /* PEP 393 state bitfield (an unsigned int) */
		int32_t ascii_size;           /* sizeof(PyASCIIObject): compact ASCII data starts here */
		int32_t compact_size;         /* sizeof(PyCompactUnicodeObject): other compact data starts here */
		int32_t data;                 /* PyUnicodeObject.data.any, for non-compact strings */
		int32_t py2_str;              /* 2.7: Py_UNICODE *str */
		/* state bits, from the headers' bitfield layout: interned:2 kind:3 compact:1 ascii:1 ... */
		int32_t state_kind_shift;
		int32_t state_compact_shift;
		int32_t state_ascii_shift;
	} unicode;

	/* PySetObject. */
	struct {
		int32_t size, fill, used, mask, table;
		int32_t entry_size;           /* sizeof(setentry): {key, hash} */
		int32_t entry_key;            /* offsetof(setentry, key) */
		int32_t entry_hash;           /* offsetof(setentry, hash) */
	} set;

	struct { int32_t size, dict; } module;          /* PyModuleObject.md_dict */
	struct { int32_t size, frame, iframe, code; } gen; /* gi_frame (≤3.10), gi_iframe (3.11+), gi_code */

	/* Added for 3.14 (debug_offsets.c); 3.14 has no generated table. */
	int32_t owner_interpreter;        /* FRAME_OWNED_BY_INTERPRETER (3.14+: entry frames, skip them like
	                                     owner_cstack), OFF_NONE if absent */
	int32_t stackref_mask;            /* 3.14+: frame slots (iframe.code, localsplus) are _PyStackRef,
	                                     tagged in the low bits: the object is value & ~mask; a value with
	                                     (value & 3) == 3 is a tagged int, not a pointer. 0 before 3.14 */

	/* Added for locals and values. */
	struct { int32_t size, ob_ref; } cell;            /* PyCellObject */
	/* PyMemberDef: a heap type's __slots__ descriptors follow the PyHeapTypeObject. */
	struct { int32_t size, name, type, offset; } member;

	/* Added for `sample --mode exception`: a thread's exceptions. */
	struct {
		int32_t curexc_type;          /* ≤3.11: PyThreadState.curexc_type, being raised */
		int32_t current_exception;    /* 3.12+: PyThreadState.current_exception, being raised */
		int32_t exc_type;             /* ≤3.6: PyThreadState.exc_type, being handled (sys.exc_info) */
		int32_t exc_info;             /* 3.7+: PyThreadState.exc_info, the top _PyErr_StackItem */
		int32_t item_type;            /* 3.7–3.10: _PyErr_StackItem.exc_type */
		int32_t item_value;           /* 3.7+: _PyErr_StackItem.exc_value */
		int32_t item_previous;        /* 3.7+: _PyErr_StackItem.previous_item */
	} exc;
};

/* The generated tables, one per supported minor version (layouts/py*.generated.c). */
extern const struct py_layout *const layout_tables[];
extern const size_t layout_table_count;

/* The table for a major.minor, or NULL. */
const struct py_layout *layout_for_version(unsigned major, unsigned minor);

#endif
