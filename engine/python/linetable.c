/*
 * linetable.c — decoders for CPython's line tables (see linetable.h).
 *
 * All three formats are read the same way: an iterator turns the table into
 * consecutive ranges of bytecode [start, end) with one line each, and a lookup
 * walks the ranges until one holds the offset.  That is also how CPython
 * itself answers (PyCode_Addr2Line over its PyCodeAddressRange in 3.10+, and
 * an equivalent running sum over co_lnotab before), so mirroring its edge
 * cases comes down to mirroring what each range is:
 *
 *   ≤3.9 lnotab: pairs (addr delta, line delta).  CPython adds each addr delta
 *   and stops at the first pair that passes the offset, so a pair with a zero
 *   addr delta only moves the line, and the last line runs on forever.  An odd
 *   trailing byte is ignored (it counts len / 2 pairs).
 *
 *   3.10: pairs (addr delta, line delta), line delta -128 meaning "no line";
 *   a zero addr delta makes an empty range, which is skipped.  An odd trailing
 *   byte is read with a 0 line delta, the bytes object's NUL terminator.
 *
 *   3.11+: an entry starts with a byte 1cccclll: length lll + 1 code units,
 *   code cccc says how the line delta is stored (0–9: same line, 10–12: delta
 *   cccc - 10, 13 and 14: signed varint after the first byte, 15: no line).
 *   The next entry starts at the next byte with bit 7 set.
 *
 * Offsets and lines are accumulated in 64 bits so that no table, however
 * hostile, can overflow them; every step consumes at least one byte, so a
 * walk ends within len steps.
 */
#include "linetable.h"

/* The byte at i, or 0 past the end: CPython's tables are NUL-terminated bytes. */
static unsigned byte_at(const uint8_t *t, size_t len, size_t i)
{
	return i < len ? t[i] : 0;
}

/* 6-bit little-endian groups, bit 6 = more follow (3.11+ varint). */
static unsigned read_varint(const uint8_t *t, size_t len, size_t i)
{
	unsigned b = byte_at(t, len, i);
	unsigned val = b & 63;
	unsigned shift = 0;

	/* Groups past bit 31 cannot change an unsigned int, so stop reading
	 * there: same value, and a run of continuation bytes stays linear. */
	while ((b & 64) && shift < 30) {
		b = byte_at(t, len, ++i);
		shift += 6;
		val |= (b & 63) << shift;
	}
	return val;
}

/* A byte read as two's complement, without relying on an implementation-defined cast. */
static int sbyte(unsigned b)
{
	return b >= 128 ? (int)b - 256 : (int)b;
}

/* Sign in the low bit, magnitude above it. */
static int read_signed_varint(const uint8_t *t, size_t len, size_t i)
{
	unsigned u = read_varint(t, len, i);

	return (u & 1) ? -(int)(u >> 1) : (int)(u >> 1);
}

void linetable_iter_init(struct linetable_iter *it, enum linetable_model model,
			 const uint8_t *table, size_t len, int firstlineno)
{
	it->model = (int)model;
	it->table = table;
	it->len = table ? len : 0;
	it->pos = 0;
	it->addr = 0;
	it->line = firstlineno;
	it->done = 0;
}

static int emit(struct linetable_iter *it, struct linetable_range *out,
		int64_t size, int line)
{
	out->start = it->addr;
	out->end = it->addr + size;
	out->line = line;
	it->addr = out->end;
	return 1;
}

/* ≤3.9: a range per pair with a non-zero addr delta, then an open last range. */
static int next_lnotab(struct linetable_iter *it, struct linetable_range *out)
{
	while (it->pos + 1 < it->len) {
		unsigned da = it->table[it->pos];
		unsigned dl = it->table[it->pos + 1];
		int line = (int)it->line;

		it->pos += 2;
		it->line += it->model == LINETABLE_LNOTAB_PY2 ? (int)dl : sbyte(dl);
		if (da)
			return emit(it, out, da, line);
	}
	if (it->done)
		return 0;
	it->done = 1;
	return emit(it, out, INT64_MAX - it->addr, (int)it->line);
}

/* 3.10: a range per pair, -128 = no line, empty ranges skipped. */
static int next_310(struct linetable_iter *it, struct linetable_range *out)
{
	while (it->pos < it->len) {
		unsigned da = it->table[it->pos];
		int dl = sbyte(byte_at(it->table, it->len, it->pos + 1));
		int line = -1;

		it->pos += 2;
		if (dl != -128) {
			it->line += dl;
			line = (int)it->line;
		}
		if (da)
			return emit(it, out, da, line);
	}
	return 0;
}

/* The line delta an entry's first byte (at pos) encodes. */
static int location_delta(const uint8_t *t, size_t len, size_t pos)
{
	unsigned code = (t[pos] >> 3) & 15;

	switch (code) {
	case 13:
	case 14:
		return read_signed_varint(t, len, pos + 1);
	case 10:
	case 11:
	case 12:
		return (int)code - 10;
	default:
		return 0;
	}
}

/* 3.11+: a range per entry. */
static int next_locations(struct linetable_iter *it, struct linetable_range *out)
{
	unsigned first;
	int line;

	if (it->pos >= it->len)
		return 0;
	first = it->table[it->pos];
	it->line += location_delta(it->table, it->len, it->pos);
	line = (first >> 3) == 0x1f ? -1 : (int)it->line;
	do
		it->pos++;
	while (it->pos < it->len && !(it->table[it->pos] & 128));
	return emit(it, out, ((first & 7) + 1) * 2, line);
}

int linetable_iter_next(struct linetable_iter *it, struct linetable_range *out)
{
	switch (it->model) {
	case LINETABLE_LNOTAB:
	case LINETABLE_LNOTAB_PY2:
		return next_lnotab(it, out);
	case LINETABLE_310:
		return next_310(it, out);
	case LINETABLE_LOCATIONS:
		return next_locations(it, out);
	default:
		return 0;
	}
}

int linetable_line(enum linetable_model model, const uint8_t *table, size_t len,
		   int firstlineno, int addr)
{
	struct linetable_iter it;
	struct linetable_range r;

	if (addr < 0)
		return firstlineno;
	linetable_iter_init(&it, model, table, len, firstlineno);
	while (linetable_iter_next(&it, &r))
		if (addr < r.end)
			return r.line;
	return -1;
}
