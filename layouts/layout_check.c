/*
 * layout_check.c — the bounds every layout must keep (see layout_check.h).
 *
 * The rules are data: for each struct, its size field, the cap the engine's
 * buffer puts on that size, and each field with the width the engine reads
 * there.  A few rules tie structs together where the engine reads one
 * struct's field out of a buffer sized for another (an object header inside
 * the bytes read up to ob_sval), and a few bound element sizes that size a
 * loop.  A struct whose size is OFF_NONE does not exist in that version and
 * its fields are not checked; a field that is OFF_NONE is absent.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "layout_check.h"

struct fit {
	const char *name;
	size_t at;		/* offsetof(struct py_layout, field) */
	int width;		/* bytes the engine reads there; 0: a size, at most the struct's */
};

struct group {
	const char *name;	/* of the size field */
	size_t size_at;
	int32_t cap;
	const struct fit *f;
	size_t n;
};

#define W(path, w) { #path, offsetof(struct py_layout, path), w }
#define G(path, cap, fits) { #path, offsetof(struct py_layout, path), cap, fits, sizeof fits / sizeof fits[0] }

static const struct fit runtime_f[] = {
	W(runtime.interpreters_head, 8), W(runtime.interpreters_main, 8),
	W(runtime.gilstate_tstate_current, 8), W(runtime.ceval_gil, 8), W(runtime.finalizing, 8),
};
static const struct fit interp_f[] = {
	W(interp.next, 8), W(interp.id, 8), W(interp.tstate_head, 8), W(interp.modules, 8),
	W(interp.sysdict, 8), W(interp.builtins, 8), W(interp.ceval_gil, 8), W(interp.gc, 4),
};
static const struct fit gil_f[] = { W(gil.locked, 4), W(gil.last_holder, 8), W(gil.switch_number, 8) };
static const struct fit tstate_f[] = {
	W(tstate.prev, 8), W(tstate.next, 8), W(tstate.interp, 8), W(tstate.frame, 8),
	W(tstate.cframe, 8), W(tstate.current_frame, 8), W(tstate.thread_id, 8),
	W(tstate.native_thread_id, 8), W(tstate.datastack_chunk, 8), W(tstate.datastack_top, 8),
	W(tstate.datastack_limit, 8),
};
static const struct fit cframe_f[] = { W(cframe.current_frame, 8), W(cframe.previous, 8) };
static const struct fit chunk_f[] = {
	W(chunk.previous, 8), W(chunk.chunk_size, 8), W(chunk.top, 8), W(chunk.data, 8),
};
static const struct fit pyframe_f[] = {
	W(pyframe.back, 8), W(pyframe.code, 8), W(pyframe.lasti, 4), W(pyframe.lineno, 4),
	W(pyframe.globals, 8), W(pyframe.locals, 8), W(pyframe.localsplus, 8),
	W(pyframe.builtins, 8), W(pyframe.iframe, 8),
};
static const struct fit iframe_f[] = {
	W(iframe.previous, 8), W(iframe.code, 8), W(iframe.instr, 8), W(iframe.localsplus, 8),
	W(iframe.stacktop, 4), W(iframe.owner, 1), W(iframe.is_entry, 1), W(iframe.globals, 8),
	W(iframe.builtins, 8), W(iframe.locals, 8), W(iframe.frame_obj, 8),
};
static const struct fit code_f[] = {
	W(code.argcount, 4), W(code.posonlyargcount, 4), W(code.kwonlyargcount, 4),
	W(code.nlocals, 4), W(code.nlocalsplus, 4), W(code.flags, 4), W(code.firstlineno, 4),
	W(code.firsttraceable, 4), W(code.code, 8), W(code.filename, 8), W(code.name, 8),
	W(code.qualname, 8), W(code.lnotab, 8), W(code.linetable, 8), W(code.varnames, 8),
	W(code.cellvars, 8), W(code.freevars, 8), W(code.localsplusnames, 8),
	W(code.localspluskinds, 8), W(code.code_adaptive, 2), W(object.type, 8),
};
static const struct fit type_f[] = {
	W(type.name, 8), W(type.basicsize, 8), W(type.itemsize, 8), W(type.flags, 8),
	W(type.dictoffset, 8), W(type.base, 8), W(type.dict, 8), W(type.mro, 8),
	W(object.type, 8), W(object.var_size, 8),
};
static const struct fit heaptype_f[] = {
	W(type.size, 0), W(type.ht_name, 8), W(type.ht_qualname, 8), W(type.ht_cached_keys, 8),
};
static const struct fit tuple_f[] = { W(tuple.items, 8), W(object.type, 8), W(object.var_size, 8) };
static const struct fit list_f[] = { W(list.items, 8), W(list.allocated, 8), W(object.var_size, 8) };
static const struct fit dict_f[] = {
	W(dict.used, 8), W(dict.keys, 8), W(dict.values, 8), W(dict.py2_fill, 8),
	W(dict.py2_mask, 8), W(dict.py2_table, 8),
};
static const struct fit dictkeys_f[] = {
	W(dictkeys.dk_size, 8), W(dictkeys.log2_size, 1), W(dictkeys.log2_index_bytes, 1),
	W(dictkeys.kind, 1), W(dictkeys.nentries, 8), W(dictkeys.indices, 0),
};
static const struct fit float_f[] = { W(float_obj.fval, 8) };
static const struct fit long_f[] = { W(long_obj.digits, 4), W(long_obj.tag, 8) };
static const struct fit int_f[] = { W(int_obj.ival, 8) };
static const struct fit bytes_f[] = { W(bytes.sval, 1), W(object.var_size, 8), W(object.type, 8) };
static const struct fit unicode_f[] = {
	W(unicode.length, 8), W(unicode.state, 4), W(unicode.ascii_size, 0),
	W(unicode.compact_size, 0), W(unicode.data, 8), W(unicode.py2_str, 8), W(object.type, 8),
};
static const struct fit set_f[] = { W(set.fill, 8), W(set.used, 8), W(set.mask, 8), W(set.table, 8) };
static const struct fit setentry_f[] = { W(set.entry_key, 8), W(set.entry_hash, 8) };
static const struct fit module_f[] = { W(module.dict, 8) };
static const struct fit gen_f[] = { W(gen.frame, 8), W(gen.iframe, 8), W(gen.code, 8) };
static const struct fit cell_f[] = { W(cell.ob_ref, 8) };
static const struct fit member_f[] = { W(member.name, 8), W(member.type, 4), W(member.offset, 8) };

static const struct group groups[] = {
	G(runtime.size, LAYOUT_MAX_STATE, runtime_f),
	G(interp.size, LAYOUT_MAX_STATE, interp_f),
	G(gil.size, LAYOUT_MAX_TSTATE, gil_f),
	G(tstate.size, LAYOUT_MAX_TSTATE, tstate_f),
	G(cframe.size, LAYOUT_MAX_SMALL, cframe_f),
	G(chunk.size, LAYOUT_MAX_SMALL, chunk_f),
	G(pyframe.size, LAYOUT_MAX_FRAME, pyframe_f),
	G(iframe.size, LAYOUT_MAX_IFRAME, iframe_f),
	G(code.size, LAYOUT_MAX_CODE, code_f),
	G(type.size, LAYOUT_MAX_TYPE, type_f),
	G(type.heap_size, LAYOUT_MAX_TYPE, heaptype_f),
	G(tuple.size, LAYOUT_MAX_SMALL, tuple_f),
	G(list.size, LAYOUT_MAX_SMALL, list_f),
	G(dict.size, LAYOUT_MAX_SMALL, dict_f),
	G(dictkeys.size, LAYOUT_MAX_KEYS, dictkeys_f),
	G(float_obj.size, LAYOUT_MAX_SCALAR, float_f),
	G(long_obj.size, LAYOUT_MAX_SCALAR, long_f),
	G(int_obj.size, LAYOUT_MAX_SCALAR, int_f),
	G(bytes.size, LAYOUT_MAX_SCALAR, bytes_f),
	G(unicode.size, LAYOUT_MAX_STR, unicode_f),
	G(set.size, LAYOUT_MAX_SMALL, set_f),
	G(set.entry_size, 32, setentry_f),
	G(module.size, LAYOUT_MAX_TYPE, module_f),
	G(gen.size, LAYOUT_MAX_TYPE, gen_f),
	G(cell.size, LAYOUT_MAX_TYPE, cell_f),
	G(member.size, LAYOUT_MAX_SCALAR, member_f),
};

/* Fields read from a buffer that holds only the bytes before another field. */
struct before {
	struct fit f;
	const char *limit_name;
	size_t limit_at;
};

#define B(path, w, lim) { W(path, w), #lim, offsetof(struct py_layout, lim) }
static const struct before befores[] = {
	B(object.type, 8, bytes.sval), B(object.var_size, 8, bytes.sval),
	B(object.type, 8, long_obj.digits), B(object.var_size, 8, long_obj.digits),
	B(long_obj.tag, 8, long_obj.digits), B(object.type, 8, int_obj.ival),
	B(dictkeys.nentries, 8, dictkeys.indices), B(dictkeys.dk_size, 8, dictkeys.indices),
	B(dictkeys.log2_size, 1, dictkeys.indices), B(dictkeys.log2_index_bytes, 1, dictkeys.indices),
	B(dictkeys.kind, 1, dictkeys.indices),
	B(unicode.length, 8, unicode.ascii_size), B(unicode.state, 4, unicode.ascii_size),
};

/* Element sizes that stride a table: {min, max}. */
struct stride {
	const char *name;
	size_t at;
	int32_t lo, hi;
};

#define S(path, lo, hi) { #path, offsetof(struct py_layout, path), lo, hi }
static const struct stride strides[] = {
	S(dictkeys.entry_size, 24, 64), S(dictkeys.unicode_entry_size, 16, 64),
	S(dict.py2_entry_size, 24, 64), S(set.entry_size, 16, 32),
	S(unicode.state_kind_shift, 0, 28), S(unicode.state_compact_shift, 0, 31),
	S(unicode.state_ascii_shift, 0, 31),
};

static int32_t get(const struct py_layout *l, size_t at)
{
	int32_t v;
	memcpy(&v, (const char *)l + at, sizeof v);
	return v;
}

static int bad(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why && whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* One field against a limit: inside it, and aligned to its width. */
static int fits(const struct fit *f, int32_t v, int32_t limit, const char *what, char *why, size_t whylen)
{
	int align = f->width >= 8 ? 8 : f->width > 1 ? f->width : 1;

	if (v < 0)
		return bad(why, whylen, "%s = %d is negative", f->name, (int)v);
	if ((int64_t)v + f->width > limit)
		return bad(why, whylen, "%s = %d past %s %d", f->name, (int)v, what, (int)limit);
	if (v % align)
		return bad(why, whylen, "%s = %d is not aligned to %d", f->name, (int)v, align);
	return 0;
}

static int check_group(const struct py_layout *l, const struct group *g, char *why, size_t whylen)
{
	int32_t size = get(l, g->size_at);

	if (size == OFF_NONE)
		return 0;
	if (size <= 0 || size > g->cap)
		return bad(why, whylen, "%s = %d, not within 1 to %d", g->name, (int)size, (int)g->cap);
	for (size_t i = 0; i < g->n; i++) {
		int32_t v = get(l, g->f[i].at);
		if (v != OFF_NONE && fits(&g->f[i], v, size, "its size", why, whylen) < 0)
			return -1;
	}
	return 0;
}

int layout_check(const struct py_layout *l, char *why, size_t whylen)
{
	if (why && whylen)
		why[0] = '\0';
	for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
		if (check_group(l, &groups[i], why, whylen) < 0)
			return -1;
	for (size_t i = 0; i < sizeof befores / sizeof befores[0]; i++) {
		int32_t v = get(l, befores[i].f.at), limit = get(l, befores[i].limit_at);
		char what[64];
		snprintf(what, sizeof what, "%s =", befores[i].limit_name);
		if (v != OFF_NONE && limit != OFF_NONE && fits(&befores[i].f, v, limit, what, why, whylen) < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof strides / sizeof strides[0]; i++) {
		int32_t v = get(l, strides[i].at);
		if (v != OFF_NONE && (v < strides[i].lo || v > strides[i].hi))
			return bad(why, whylen, "%s = %d, not within %d to %d", strides[i].name, (int)v,
				   (int)strides[i].lo, (int)strides[i].hi);
	}
	if (l->digit_bits != OFF_NONE && l->digit_bits != 15 && l->digit_bits != 30)
		return bad(why, whylen, "digit_bits = %d, not 15 or 30", (int)l->digit_bits);
	return 0;
}
