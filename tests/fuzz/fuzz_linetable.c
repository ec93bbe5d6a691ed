/*
 * fuzz_linetable.c — libFuzzer harness for the line-table decoders.
 *
 * Input: u8 model (LNOTAB, 2.7 LNOTAB, 3.10, 3.11+ locations), i32
 * firstlineno, i32 a probe offset, then the table bytes.  Besides "no crash,
 * no hang, no read past the table", the iterator's promises are checked: the
 * ranges are consecutive from offset 0, none is empty, each call consumes
 * table bytes (so a walk ends within len + 1 ranges), and linetable_line()
 * agrees with the ranges it is built on.  A broken promise aborts, which
 * libFuzzer reports as a crash with the input saved.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/python/linetable.h"

static const enum linetable_model models[4] = {
	LINETABLE_LNOTAB, LINETABLE_LNOTAB_PY2, LINETABLE_310, LINETABLE_LOCATIONS,
};

static int32_t rd32(const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	int32_t s;
	memcpy(&s, &v, sizeof(s));
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 9)
		return 0;
	enum linetable_model model = models[data[0] & 3];
	int first = rd32(data + 1);
	int probe = rd32(data + 5);
	size_t len = size - 9;
	/* a copy of exactly len bytes, so ASan sees any read past the table */
	uint8_t *table = malloc(len ? len : 1);
	if (!table)
		return 0;
	memcpy(table, data + 9, len);

	struct linetable_iter it;
	struct linetable_range r;
	int64_t expect_start = 0;
	size_t steps = 0;
	linetable_iter_init(&it, model, table, len, first);
	while (linetable_iter_next(&it, &r)) {
		if (r.start != expect_start || r.end <= r.start || ++steps > len + 1)
			abort();
		/* the lookup answers from the same ranges (checked on the first
		 * ranges only: each lookup walks the table again) */
		if (steps <= 64 && r.start <= INT32_MAX && linetable_line(model, table, len, first, (int)r.start) != r.line)
			abort();
		expect_start = r.end;
	}
	int probes[] = { -1, 0, 1, 2, probe, probe & 0xffff, INT32_MAX };
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		(void)linetable_line(model, table, len, first, probes[i]);
	(void)linetable_line(model, NULL, 0, first, probe);
	free(table);
	return 0;
}
