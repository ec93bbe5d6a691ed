/*
 * debug_offsets.c — fill a struct py_layout from a target's _Py_DebugOffsets.
 *
 * CPython 3.13 and later start _PyRuntime with a table of offsets written by
 * the compiler that built the target: the most trustworthy description of
 * that process there is.  Its shape is fixed within a minor version and
 * changes between minors, so each known shape is mirrored as a struct of
 * uint64_t (debug_offsets_impl.h: 3.13: 584 bytes; 3.14: 760 bytes; 3.15: 888
 * bytes, from CPython's Include/internal/pycore_debug_offsets.h) and copied
 * out of the caller's bytes with memcpy, never cast in place.  The header
 * carries no size, so the shape is chosen by major.minor from `shapes[]`
 * below, the one list of what this file can read: a minor not in it, or a
 * free-threaded build of one, is refused with a message for the user, never
 * read in a guessed shape.
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
 * The blob is remote memory the target can write: it is checked whole first
 * (debug_offsets_check.c), every value is range-checked again before it
 * becomes an int32 offset, and the merged layout must pass layout_check().
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "debug_offsets.h"
#include "debug_offsets_impl.h"
#include "layout_check.h"
#include "layout_fields.h"

/*
 * 3.13: the debug offsets carry part of each struct, the generated table all
 * of it.  A field only the table has is taken for a struct only when the
 * debug offsets agree with the table on every field of that struct they both
 * carry (and on its anchor struct: the dict for its keys, the object header
 * for cells and modules, the thread state for its exception fields): a table that disagrees is not half-trusted.  What
 * is left out stays OFF_NONE, and a field the engine cannot do without is an
 * error (see `required` below).
 */
struct trust_group {
	size_t at, len, anchor_at, anchor_len;
};

#define TG(g) offsetof(struct py_layout, g), sizeof(((struct py_layout *)0)->g)
#define TG_ALONE(g) { TG(g), 0, 0 }
#define TG_ANCHORED(g, a) { TG(g), TG(a) }
static const struct trust_group groups_313[] = {
	TG_ALONE(runtime), TG_ALONE(interp), TG_ALONE(gil), TG_ALONE(tstate), TG_ALONE(cframe),
	TG_ALONE(chunk), TG_ALONE(pyframe), TG_ALONE(iframe), TG_ALONE(code), TG_ALONE(object),
	TG_ALONE(type), TG_ALONE(tuple), TG_ALONE(list), TG_ALONE(dict),
	TG_ANCHORED(dictkeys, dict), TG_ANCHORED(dictvalues, dict),
	TG_ALONE(float_obj), TG_ALONE(long_obj), TG_ALONE(int_obj), TG_ALONE(bytes),
	TG_ALONE(unicode), TG_ALONE(set), TG_ANCHORED(module, object), TG_ANCHORED(gen, iframe),
	TG_ANCHORED(cell, object), TG_ALONE(member), TG_ANCHORED(exc, tstate),
};

/* Whether the debug-filled fields in [at, at+len) all equal the table's. */
static int group_agrees(const struct py_layout *out, const struct py_layout *table, size_t at, size_t len)
{
	for (size_t off = at; off + sizeof(int32_t) <= at + len; off += sizeof(int32_t)) {
		int32_t mine, theirs;
		memcpy(&mine, (const char *)out + off, sizeof mine);
		memcpy(&theirs, (const char *)table + off, sizeof theirs);
		if (mine != OFF_NONE && mine != theirs)
			return 0;
	}
	return 1;
}

static void inherit_313(struct py_layout *out, const struct py_layout *table)
{
	for (size_t i = 0; i < sizeof groups_313 / sizeof groups_313[0]; i++) {
		const struct trust_group *g = &groups_313[i];
		if (!group_agrees(out, table, g->at, g->len) ||
		    (g->anchor_len && !group_agrees(out, table, g->anchor_at, g->anchor_len)))
			continue;
		for (size_t off = g->at; off + sizeof(int32_t) <= g->at + g->len; off += sizeof(int32_t)) {
			int32_t mine;
			memcpy(&mine, (const char *)out + off, sizeof mine);
			if (mine == OFF_NONE)
				memcpy((char *)out + off, (const char *)table + off, sizeof mine);
		}
	}
}

/* Facts of the minor that are not struct offsets: models, flags, enum values. */
static void facts_313(struct py_layout *out, const struct py_layout *table)
{
	memcpy(out, table, offsetof(struct py_layout, runtime));
	out->owner_cstack = table->owner_cstack;
	out->owner_generator = table->owner_generator;
	out->managed_dict_offset = table->managed_dict_offset;
	out->managed_values_offset = table->managed_values_offset;
	out->owner_interpreter = table->owner_interpreter;
	out->stackref_mask = table->stackref_mask;
}

static int parse_313(struct conv *c, const void *blob, size_t len)
{
	struct dbg313 d;
	const struct py_layout *table = layout_for_version(3, 13);

	if (len < sizeof d)
		return dbg_fail(c, "debug offsets truncated: %zu bytes, 3.13 needs %zu", len, sizeof d);
	if (dbg_check_raw(c, blob, 13) < 0)
		return c->failed;
	memcpy(&d, blob, sizeof d);
	dbg_layout_clear(c->out);
	if (table)
		facts_313(c->out, table);
	c->out->headers = "3.13 _Py_DebugOffsets";
	dbg_apply_runtime(c, &d.runtime);
	{
		const struct dbg_core core = CORE_FROM(&d);
		dbg_apply_core(c, &core);
	}
	dbg_apply_tstate(c, &d.tstate);
	dbg_apply_objects(c, &d.object, &d.type, &d.tuple, &d.list, &d.dict);
	dbg_apply_scalars(c, &d.float_obj, &d.long_obj, &d.bytes, &d.unicode);
	PUT(interp.gc, d.interp.gc);
	PUT(gcstate.collecting, d.gc.a);
	if (c->failed)
		return c->failed;
	if (!table)
		return dbg_fail(c, "no generated 3.13 table to complete the debug offsets");
	inherit_313(c->out, table);
	return 0;
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

/*
 * What the engine cannot list threads, walk stacks or read names without
 * (3.13 and 3.14): it reads these from local copies without checking for
 * OFF_NONE.
 */
static const struct { const char *name; size_t field; } required[] = {
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
	R(unicode.state_ascii_shift), R(unicode.compact_size), R(unicode.data),
	R(code.size), R(type.size), R(type.basicsize),
	R(type.dictoffset), R(bytes.size), R(long_obj.digits), R(long_obj.tag),
	R(dict.size), R(dict.keys), R(dict.values), R(dictkeys.indices), R(dictkeys.nentries),
	R(dictkeys.log2_size), R(dictkeys.log2_index_bytes), R(dictkeys.kind),
	R(dictkeys.entry_size), R(dictkeys.unicode_entry_size), R(iframe.size),
	R(tstate.size),
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
	PUT(interp.gc, d->interp.gc);
	PUT(gcstate.collecting, d->gc.a);
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
		return dbg_fail(c, "debug offsets truncated: %zu bytes, 3.14 needs %zu", len, sizeof d);
	if (dbg_check_raw(c, blob, 14) < 0)
		return c->failed;
	memcpy(&d, blob, sizeof d);
	dbg_layout_clear(c->out);
	models_314(c->out, t313);
	dbg_apply_runtime(c, &d.runtime);
	{
		const struct dbg_core core = CORE_FROM(&d);
		dbg_apply_core(c, &core);
	}
	dbg_apply_tstate(c, &d.tstate);
	dbg_apply_objects(c, &d.object, &d.type, &d.tuple, &d.list, &d.dict);
	dbg_apply_scalars(c, &d.float_obj, &d.long_obj, &d.bytes, &d.unicode);
	apply_314_only(c, &d);
	if (c->failed)
		return c->failed;
	if (t313)
		inherit_314(c->out, t313);
	fill_gaps(c->out, layout_for_version(3, 14));
	return 0;
}

/* After the merge: nothing the engine needs is missing, and everything fits. */
static int finish(struct conv *c, unsigned minor)
{
	char why[200];

	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		if (field_of(c->out, required[i].field) != OFF_NONE)
			continue;
		if (minor == 13)
			return dbg_inconsistent(c, "%s cannot be trusted: the debug offsets disagree with "
					    "the 3.13 table on its struct", required[i].name);
		return dbg_fail(c, "unsupported Python 3.%u: debug offsets lack %s", minor, required[i].name);
	}
	if (layout_check(c->out, why, sizeof why) < 0)
		return dbg_inconsistent(c, "%s", why);
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

	dbg_apply_runtime(c, &d->runtime);
	{
		const struct dbg_core core = CORE_FROM(d);
		dbg_apply_core(c, &core);
	}
	dbg_apply_tstate(c, &ts);
	dbg_apply_objects(c, &d->object, &d->type.base, &d->tuple, &d->list, &d->dict);
	dbg_apply_scalars(c, &d->float_obj, &d->long_obj, &d->bytes, &d->unicode.base);
	PUT(type.basicsize, d->type.tp_basicsize);
	PUT(type.dictoffset, d->type.tp_dictoffset);
	PUT(type.heap_size, d->heap_type.size);
	PUT(type.ht_cached_keys, d->heap_type.a);
	PUT(unicode.compact_size, d->unicode.compact_size);
	PUT(interp.gc, d->interp.gc);
	PUT(gcstate.collecting, d->gc.collecting);
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
				return dbg_fail(c, "3.15 debug offsets of an unknown shape (%s field %zu "
					    "at %llu, size %llu)", groups[g].name, i + 1,
					    (unsigned long long)w[groups[g].first / 8 + i],
					    (unsigned long long)size);
	}
	if (d->heap_type.a < d->type.base.size || d->heap_type.a >= d->heap_type.size)
		return dbg_fail(c, "3.15 debug offsets of an unknown shape (ht_cached_keys %llu)",
			    (unsigned long long)d->heap_type.a);
	return 0;
}

static int parse_315(struct conv *c, const void *blob, size_t len)
{
	struct dbg315 d;
	const struct py_layout *t313 = layout_for_version(3, 13);

	if (len < sizeof d)
		return dbg_fail(c, "debug offsets truncated: %zu bytes, 3.15 needs %zu", len, sizeof d);
	/* as untrusted input first, like 3.13 and 3.14 (a scribbled table gets the
	 * same message on every version); then the shape: a pre-release table of
	 * another shape that happens to pass those checks is still refused */
	if (dbg_check_raw(c, blob, 15) < 0)
		return c->failed;
	memcpy(&d, blob, sizeof d);
	if (check_315(c, &d) < 0)
		return -1;
	dbg_layout_clear(c->out);
	models_315(c->out, t313);
	apply_315(c, &d);
	if (c->failed)
		return -1;
	/* 3.14's rules hold for 3.15 where their anchors still agree with 3.13 */
	if (t313)
		inherit_314(c->out, t313);
	fill_gaps(c->out, layout_for_version(3, 15));
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
	int rc;

	if (why && whylen)
		why[0] = '\0';
	if (!blob || len < sizeof h)
		return dbg_fail(&c, "debug offsets truncated: %zu bytes", blob ? len : 0);
	memcpy(&h, blob, sizeof h);
	if (memcmp(h.cookie, LAYOUT_DEBUG_COOKIE, sizeof h.cookie) != 0)
		return dbg_fail(&c, "bad cookie: not a _Py_DebugOffsets table");
	major = (unsigned)(h.version >> 24 & 0xff);
	minor = (unsigned)(h.version >> 16 & 0xff);
	if (h.version >> 32 || major != 3 || minor < 13)
		return dbg_fail(&c, "implausible debug offsets version 0x%llx",
			    (unsigned long long)h.version);
	version_text(h.version, ver, sizeof ver);
	if ((sh = shape_for(minor, h.free_threaded != 0)) != NULL) {
		rc = sh->parse(&c, blob, len);
		return rc < 0 ? rc : finish(&c, minor);
	}
	if (h.free_threaded && shape_for(minor, 0)) {
		dbg_fail(&c, "free-threaded CPython %u.%ut is not supported yet", major, minor);
		return LAYOUT_DEBUG_REFUSED;
	}
	dbg_fail(&c, "unsupported Python %s: pyspy-sh reads %s", ver, LAYOUT_SUPPORTED_RANGE);
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
