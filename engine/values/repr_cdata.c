/*
 * repr_cdata.c — the standard C types whose repr is made from their fields.
 *
 * datetime packs its values into bytes (year as two big-endian bytes, then
 * month, day, hour, minute, second, microsecond as three), Decimal keeps its
 * coefficient in base-10**19 words (libmpdec's mpd_t), deque keeps its items
 * in blocks of 64 (62 on 2.7) pointers linked both ways.  The struct offsets
 * below are those of CPython's own module sources, the same on every
 * version the layouts cover (noted where 2.7 differs); they sit behind
 * PyObject_HEAD (16 bytes) or PyObject_VAR_HEAD (24), so each decoder first
 * checks that the type's tp_basicsize holds the fields it reads.
 *
 *   date/datetime/time   hashcode at 16, hastzinfo (char) at 24, data[] at 25;
 *                        datetime: data[10], fold at 35 (3.6+), tzinfo at 40;
 *                        time: data[6], fold at 31, tzinfo at 32
 *   timedelta            days, seconds, microseconds: ints at 24, 28, 32
 *   timezone             offset (a timedelta) at 16, name at 24 (NULL if none)
 *   Decimal (_decimal)   mpd_t at 24: flags (uint8) 24, exp 32, digits 40, len 48, data 64
 *   deque                leftblock 24, rightblock 32, leftindex 40, rightindex 48, maxlen 64;
 *                        its length is ob_size (3.x) or the len field at 48 (2.7, whose
 *                        fields start at 16)
 *   complex              two doubles at 16
 *   range                start, stop, step objects at 16, 24, 32; 2.7 xrange: longs start,
 *                        step, len at 16, 24, 32
 *   bytearray            ob_size at 16, the data pointer at 40 (ob_start, or 2.7's ob_bytes)
 *   memoryview           flags (int) at 40, bit 0: released (3.x)
 *   defaultdict          default_factory is the last field: at tp_basicsize - 8
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repr_impl.h"

#define DEC_WORD_DIGITS 19
#define DEC_MAX_WORDS 64             /* 1216 digits: more prints as the object */
#define DEQUE_MAX_BLOCKS 4096

static bool need_size(const struct type_info *ti, int64_t bytes)
{
	return ti->basicsize >= bytes && ti->basicsize < (1 << 16);
}

static bool rd(struct rctx *c, raddr_t at, void *buf, size_t n)
{
	return remote_read(&c->t->mem, at, buf, n, NULL) == 0;
}

static bool rd_i64(struct rctx *c, raddr_t at, int64_t *v)
{
	return rd(c, at, v, sizeof(*v));
}

static bool rd_ptr(struct rctx *c, raddr_t at, raddr_t *v)
{
	return remote_read_ptr(&c->t->mem, at, v, NULL) == 0;
}

/* ---- ints ---- */

int std_read_u128(struct rctx *c, raddr_t obj, uint8_t out[16])
{
	const struct py_layout *L = &c->t->layout;
	const struct type_info *ti;
	uint8_t head[64];
	memset(out, 0, 16);
	if (pyobj_type(c->t, obj, &ti, NULL) < 0)
		return -1;
	enum pyobj_kind k = pyobj_kind(c->t, ti);
	if (k != PYK_INT && k != PYK_LONG)
		return -1;
	if (L->tpflags.int_subclass && (ti->flags & L->tpflags.int_subclass)) {
		int64_t v;
		if (!rd_i64(c, obj + (raddr_t)L->int_obj.ival, &v) || v < 0)
			return -1;
		memcpy(out, &v, 8);
		return 0;
	}
	size_t hdr = (size_t)L->long_obj.digits;
	if (L->long_obj.digits <= 0 || hdr > sizeof(head) || !rd(c, obj, head, hdr))
		return -1;
	uint64_t nd;
	if (L->long_model == LONG_MODEL_TAG) {
		uint64_t tag = rbuf_u64(head, L->long_obj.tag);
		if ((tag & 3) == 2)
			return -1;
		nd = tag >> 3;
	} else {
		int64_t size = (int64_t)rbuf_u64(head, L->object.var_size);
		if (size < 0)
			return -1;
		nd = (uint64_t)size;
	}
	int bits = L->digit_bits, dsize = bits == 30 ? 4 : 2;
	if (nd * (uint64_t)bits > 128 + (uint64_t)bits)
		return -1;
	uint8_t raw[64];
	if (!rd(c, obj + hdr, raw, nd * (size_t)dsize))
		return -1;
	unsigned __int128 v = 0;
	for (uint64_t i = nd; i-- > 0;) {
		uint32_t d = 0;
		memcpy(&d, raw + i * (size_t)dsize, (size_t)dsize);
		if (v >> (128 - bits))
			return -1;
		v = (v << bits) | d;
	}
	memcpy(out, &v, 16);
	return 0;
}

/* ---- Decimal ---- */

void std_decimal_text(struct strbuf *sb, const struct dec_text *d)
{
	if (d->negative)
		strbuf_addch(sb, '-');
	if (d->special) {
		strbuf_addstr(sb, d->special == 'I' ? "Infinity" : d->special == 'q' ? "NaN" : "sNaN");
		if (d->special != 'I' && !(d->ndigits == 1 && d->digits[0] == '0'))
			strbuf_add(sb, d->digits, d->ndigits);
		return;
	}
	int64_t n = (int64_t)d->ndigits, adjusted = d->exp + n - 1;
	if (d->exp <= 0 && adjusted >= -6) {
		if (d->exp == 0)
			strbuf_add(sb, d->digits, d->ndigits);
		else if (n > -d->exp) {
			strbuf_add(sb, d->digits, (size_t)(n + d->exp));
			strbuf_addch(sb, '.');
			strbuf_add(sb, d->digits + n + d->exp, (size_t)-d->exp);
		} else {
			strbuf_addstr(sb, "0.");
			for (int64_t i = 0; i < -d->exp - n; i++)
				strbuf_addch(sb, '0');
			strbuf_add(sb, d->digits, d->ndigits);
		}
		return;
	}
	strbuf_addch(sb, d->digits[0]);
	if (n > 1) {
		strbuf_addch(sb, '.');
		strbuf_add(sb, d->digits + 1, d->ndigits - 1);
	}
	strbuf_addf(sb, "E%s%" PRId64, adjusted >= 0 ? "+" : "", adjusted);
}

static bool r_decimal(struct rctx *c, raddr_t obj, const struct type_info *ti)
{
	uint8_t m[72];
	if (!need_size(ti, 72) || !rd(c, obj + 24, m, sizeof(m) - 24))
		return false;
	uint8_t flags = m[0];
	int64_t exp = (int64_t)rbuf_u64(m, 8), digits = (int64_t)rbuf_u64(m, 16), len = (int64_t)rbuf_u64(m, 24);
	raddr_t data = rbuf_u64(m, 40);
	uint64_t w[DEC_MAX_WORDS];
	char text[DEC_MAX_WORDS * DEC_WORD_DIGITS + 32] = "0";
	size_t k = 1;
	if ((flags & 14) && (len == 0 || digits == 0))
		len = 0;                                 /* a NaN or Infinity without a payload */
	else if (len < 1 || len > DEC_MAX_WORDS || digits < 1 || digits > len * DEC_WORD_DIGITS ||
		 !rd(c, data, w, (size_t)len * 8))
		return false;
	if (len) {
		k = (size_t)snprintf(text, sizeof(text), "%" PRIu64, w[len - 1]);
		for (int64_t i = len - 2; i >= 0; i--)
			k += (size_t)snprintf(text + k, sizeof(text) - k, "%019" PRIu64, w[i]);
		if ((int64_t)k != digits)
			return false;
	}
	struct dec_text d = { .negative = flags & 1, .digits = text, .ndigits = k, .exp = exp };
	if (flags & 2)
		d.special = 'I';
	else if (flags & 4)
		d.special = 'q';
	else if (flags & 8)
		d.special = 's';
	strbuf_addf(&c->sb, "%s('", std_short_name(ti->name));
	std_decimal_text(&c->sb, &d);
	strbuf_addstr(&c->sb, "')");
	return true;
}

/* ---- datetime ---- */

static bool r_date(struct rctx *c, raddr_t obj, const struct type_info *ti)
{
	uint8_t b[4];
	if (!need_size(ti, 29) || !rd(c, obj + 25, b, sizeof(b)))
		return false;
	strbuf_addf(&c->sb, "%s(%d, %d, %d)", ti->name, b[0] << 8 | b[1], b[2], b[3]);
	return true;
}

/* ", fold=1)" and ", tzinfo=...)" closing a datetime or time. */
static void tz_tail(struct rctx *c, raddr_t obj, int fold_at, int tz_at, int level)
{
	uint8_t has_tz = 0, fold = 0;
	raddr_t tz = 0;
	if (!c->py2 && rd(c, obj + (raddr_t)fold_at, &fold, 1) && fold)
		strbuf_addstr(&c->sb, ", fold=1");
	if (rd(c, obj + 24, &has_tz, 1) && has_tz && rd_ptr(c, obj + (raddr_t)tz_at, &tz) && tz) {
		strbuf_addstr(&c->sb, ", tzinfo=");
		repr_obj(c, tz, level + 1);
	}
	strbuf_addch(&c->sb, ')');
}

static bool r_datetime(struct rctx *c, raddr_t obj, const struct type_info *ti, int level)
{
	uint8_t b[10];
	if (!need_size(ti, 48) || !rd(c, obj + 25, b, sizeof(b)))
		return false;
	int us = b[7] << 16 | b[8] << 8 | b[9];
	strbuf_addf(&c->sb, "%s(%d, %d, %d, %d, %d", ti->name, b[0] << 8 | b[1], b[2], b[3], b[4], b[5]);
	if (b[6] || us)
		strbuf_addf(&c->sb, ", %d", b[6]);
	if (us)
		strbuf_addf(&c->sb, ", %d", us);
	tz_tail(c, obj, 35, 40, level);
	return true;
}

static bool r_time(struct rctx *c, raddr_t obj, const struct type_info *ti, int level)
{
	uint8_t b[6];
	if (!need_size(ti, 40) || !rd(c, obj + 25, b, sizeof(b)))
		return false;
	int us = b[3] << 16 | b[4] << 8 | b[5];
	strbuf_addf(&c->sb, "%s(%d, %d", ti->name, b[0], b[1]);
	if (b[2] || us)
		strbuf_addf(&c->sb, ", %d", b[2]);
	if (us)
		strbuf_addf(&c->sb, ", %d", us);
	tz_tail(c, obj, 31, 32, level);
	return true;
}

static bool r_timedelta(struct rctx *c, raddr_t obj, const struct type_info *ti)
{
	int32_t v[3];
	struct repr_dialect d;
	if (!need_size(ti, 36) || !rd(c, obj + 24, v, sizeof(v)))
		return false;
	strbuf_addf(&c->sb, "%s(", ti->name);
	if (!repr_dialect(c, &d)->timedelta_keywords) {
		if (v[2])
			strbuf_addf(&c->sb, "%d, %d, %d)", v[0], v[1], v[2]);
		else if (v[1])
			strbuf_addf(&c->sb, "%d, %d)", v[0], v[1]);
		else
			strbuf_addf(&c->sb, "%d)", v[0]);
		return true;
	}
	static const char *const names[] = { "days", "seconds", "microseconds" };
	int n = 0;
	for (int i = 0; i < 3; i++)
		if (v[i])
			strbuf_addf(&c->sb, "%s%s=%d", n++ ? ", " : "", names[i], v[i]);
	strbuf_addstr(&c->sb, n ? ")" : "0)");
	return true;
}

/* datetime.timezone.utc, or datetime.timezone(OFFSET[, NAME]). */
static bool r_timezone(struct rctx *c, raddr_t obj, const struct type_info *ti, int level)
{
	raddr_t offset, name;
	int32_t v[3];
	if (!need_size(ti, 32) || !rd_ptr(c, obj + 16, &offset) || !rd_ptr(c, obj + 24, &name) ||
	    !offset || !rd(c, offset + 24, v, sizeof(v)))
		return false;
	if (!name && !v[0] && !v[1] && !v[2]) {       /* timezone(timedelta(0)) is the utc singleton */
		strbuf_addf(&c->sb, "%s.utc", ti->name);
		return true;
	}
	strbuf_addf(&c->sb, "%s(", ti->name);
	repr_obj(c, offset, level + 1);
	if (name) {
		strbuf_addstr(&c->sb, ", ");
		repr_obj(c, name, level + 1);
	}
	strbuf_addch(&c->sb, ')');
	return true;
}

/* ---- deque ---- */

static bool r_deque(struct rctx *c, raddr_t obj, const struct type_info *ti, int level)
{
	/* 2.7's block is data[62], rightlink, leftlink; 3.x's leftlink, data[64], rightlink */
	int blocklen = c->py2 ? 62 : 64, base = c->py2 ? 16 : 24, data_at = c->py2 ? 0 : 8;
	int right_at = c->py2 ? blocklen * 8 : 8 + blocklen * 8;
	int64_t f[4], n, maxlen;
	if (!need_size(ti, 72) || !rd(c, obj + (raddr_t)base, f, sizeof(f)) ||
	    !rd_i64(c, obj + (c->py2 ? 48 : 16), &n) || !rd_i64(c, obj + 64, &maxlen))
		return false;
	raddr_t block = (raddr_t)f[0];
	int64_t idx = f[2];
	if (n < 0 || idx < 0 || idx >= blocklen)
		return false;
	struct repr_dialect d;
	strbuf_addf(&c->sb, "%s([", repr_dialect(c, &d)->c_subclass_name ? std_short_name(ti->name) : "deque");
	if (n && repr_enter(c, obj, level, "...")) {
		size_t k = repr_item_cap(c, (uint64_t)n), i = 0;
		raddr_t data[64];
		int blocks = 0;
		bool have = false;
		for (; i < k && !strbuf_full(&c->sb) && !c->fatal; i++, idx++) {
			if (idx == blocklen) {
				if (!rd_ptr(c, block + (raddr_t)right_at, &block) || !block || ++blocks > DEQUE_MAX_BLOCKS)
					break;
				idx = 0;
				have = false;
			}
			if (!have && !(have = rd(c, block + (raddr_t)data_at, data, (size_t)blocklen * 8)))
				break;
			if (i)
				strbuf_addstr(&c->sb, ", ");
			repr_obj(c, data[idx], level + 1);
		}
		if (i < k && !strbuf_full(&c->sb) && !c->fatal) {
			struct pyspy_err e = { 0 };
			err_set(&e, PS_ETORN, "deque block");
			strbuf_addstr(&c->sb, i ? ", " : "");
			repr_unreadable(c, &e);
		}
		repr_more(c, i, (uint64_t)n);
		repr_leave(c);
	}
	strbuf_addch(&c->sb, ']');
	if (maxlen >= 0)
		strbuf_addf(&c->sb, ", maxlen=%" PRId64, maxlen);
	strbuf_addch(&c->sb, ')');
	return true;
}

/* ---- numbers, ranges, buffers ---- */

static bool r_complex(struct rctx *c, raddr_t obj)
{
	double v[2];
	if (!rd(c, obj + 16, v, sizeof(v)))
		return false;
	if (v[0] == 0 && !signbit(v[0])) {
		repr_float_text(c, v[1], false);
		strbuf_addch(&c->sb, 'j');
		return true;
	}
	strbuf_addch(&c->sb, '(');
	repr_float_text(c, v[0], false);
	if (!signbit(v[1]) || isnan(v[1]))
		strbuf_addch(&c->sb, '+');
	repr_float_text(c, v[1], false);
	strbuf_addstr(&c->sb, "j)");
	return true;
}

static bool r_range(struct rctx *c, raddr_t obj, int level)
{
	raddr_t p[3];
	uint64_t step;
	bool neg;
	if (!rd(c, obj + 16, p, sizeof(p)) || !p[0] || !p[1] || !p[2] || pyobj_int(c->t, p[2], &step, &neg, NULL) < 0)
		return false;
	strbuf_addstr(&c->sb, "range(");
	repr_obj(c, p[0], level + 1);
	strbuf_addstr(&c->sb, ", ");
	repr_obj(c, p[1], level + 1);
	if (step != 1 || neg) {
		strbuf_addstr(&c->sb, ", ");
		repr_obj(c, p[2], level + 1);
	}
	strbuf_addch(&c->sb, ')');
	return true;
}

static bool r_xrange(struct rctx *c, raddr_t obj)
{
	int64_t v[3];               /* start, step, len */
	if (!rd(c, obj + 16, v, sizeof(v)))
		return false;
	int64_t stop = v[0] + v[1] * v[2];
	if (v[0] == 0 && v[1] == 1)
		strbuf_addf(&c->sb, "xrange(%" PRId64 ")", stop);
	else if (v[1] == 1)
		strbuf_addf(&c->sb, "xrange(%" PRId64 ", %" PRId64 ")", v[0], stop);
	else
		strbuf_addf(&c->sb, "xrange(%" PRId64 ", %" PRId64 ", %" PRId64 ")", v[0], stop, v[1]);
	return true;
}

static bool r_bytearray(struct rctx *c, raddr_t obj, const struct type_info *ti)
{
	struct repr_dialect d;
	int64_t n;
	raddr_t data;
	if (!need_size(ti, 48) || !rd_i64(c, obj + 16, &n) || !rd_ptr(c, obj + 40, &data) || n < 0 || (n && !data))
		return false;
	strbuf_addf(&c->sb, "%s(", ti->name);
	if (n)
		repr_bytes_at(c, data, n, "b", repr_dialect(c, &d)->bytearray_squote);
	else
		strbuf_addstr(&c->sb, "b''");
	strbuf_addch(&c->sb, ')');
	return true;
}

static bool r_memoryview(struct rctx *c, raddr_t obj)
{
	int32_t flags = 0;
	if (!c->py2 && !rd(c, obj + 40, &flags, sizeof(flags)))
		return false;
	strbuf_addf(&c->sb, "<%smemory at 0x%" PRIx64 ">", flags & 1 ? "released " : "", obj);
	return true;
}

/* The tp_basicsize of collections.defaultdict itself, among ti's bases: a
 * subclass's own is larger (its __dict__, __weakref__). */
static int64_t defaultdict_size(struct rctx *c, const struct type_info *ti)
{
	raddr_t type = ti->addr;
	for (int i = 0; type && i < 16; i++) {
		const struct type_info *b;
		if (pyobj_type_at(c->t, type, &b, NULL) < 0)
			return -1;
		if (strcmp(b->name, "collections.defaultdict") == 0)
			return b->basicsize;
		if (remote_read_ptr(&c->t->mem, type + (raddr_t)c->t->layout.type.base, &type, NULL) < 0)
			return -1;
	}
	return -1;
}

/* defaultdict(<class 'list'>, {'a': [1]}) */
static bool r_defaultdict(struct rctx *c, raddr_t obj, const struct type_info *ti, int level)
{
	struct repr_dialect d;
	raddr_t factory;
	int64_t size = defaultdict_size(c, ti);
	if (size < 16 || size >= (1 << 16) || !rd_ptr(c, obj + (raddr_t)size - 8, &factory))
		return false;
	strbuf_addf(&c->sb, "%s(", repr_dialect(c, &d)->c_subclass_name ? std_short_name(ti->name) : "defaultdict");
	if (factory)
		repr_obj(c, factory, level + 1);
	else
		strbuf_addstr(&c->sb, "None");
	strbuf_addstr(&c->sb, ", ");
	repr_dict(c, obj, level);
	strbuf_addch(&c->sb, ')');
	return true;
}

bool repr_cdata(struct rctx *c, raddr_t obj, const struct type_info *ti, int level)
{
	switch (ti->tag) {
	case STD_DECIMAL: return r_decimal(c, obj, ti);
	case STD_DATE: return r_date(c, obj, ti);
	case STD_DATETIME: return r_datetime(c, obj, ti, level);
	case STD_TIME: return r_time(c, obj, ti, level);
	case STD_TIMEDELTA: return r_timedelta(c, obj, ti);
	case STD_TIMEZONE: return r_timezone(c, obj, ti, level);
	case STD_DEQUE: return r_deque(c, obj, ti, level);
	case STD_COMPLEX: return r_complex(c, obj);
	case STD_RANGE: return r_range(c, obj, level);
	case STD_XRANGE: return r_xrange(c, obj);
	case STD_BYTEARRAY: return r_bytearray(c, obj, ti);
	case STD_MEMORYVIEW: return r_memoryview(c, obj);
	case STD_DEFAULTDICT: return r_defaultdict(c, obj, ti, level);
	default: return false;
	}
}
