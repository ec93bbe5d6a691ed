/*
 * fuzz_offsets.c — libFuzzer harness for a target's own _Py_DebugOffsets
 * table: the parser, the validator, and then a walk with what they accepted.
 *
 * A 3.13+ target can write the table pyspy-sh takes its struct offsets from,
 * so every number in it is hostile input.  An input is
 *
 *     u8  scribbles    how many of the three below to apply (mod 4)
 *     3 x { u8 slot, u8 choice, u64 random }
 *                      write one 8-byte slot of the table (slot mod its
 *                      words): 0, 7, 4096, 100000, 2^31-1, 2^40, -8, the
 *                      random word, or the random word mod 1024 (choice mod 9)
 *     u16 length       of the table that follows (cut at the end of input)
 *     the table        as read from _PyRuntime (584 bytes for 3.13, 760 for 3.14)
 *     the rest         a fake address space as fakemem.h describes (its
 *                      layout byte is ignored: the table is the layout)
 *
 * all little-endian.  The scribbles do what tests/targets/scribble.py does
 * to a live process; libFuzzer mutates the rest.  A table the parser accepts
 * must pass layout_check() and give a target whose read lengths fit the
 * engine's buffers (checked here, an abort if not), and is then used the way
 * `bt --all --locals` uses it: read the thread state at the root, walk its
 * frames, decode code objects and locals, repr them, look up the thread name.
 * Seeds: the real 3.13 and 3.14 tables (tests/unit/data/) with thread states
 * and frame chains recorded from live interpreters (gen_offsets_seeds.py).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fakemem.h"
#include "layouts/debug_offsets.h"
#include "layouts/layout_check.h"

#define HEAD 31
#define BLOB_MAX 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void scribble(uint8_t *blob, size_t len, const uint8_t *head)
{
	static const uint64_t values[] = { 0, 7, 4096, 100000, 0x7fffffff, 1ull << 40, (uint64_t)-8 };
	size_t words = len / 8;

	for (unsigned i = 0; i < head[0] % 4u && words; i++) {
		const uint8_t *s = head + 1 + 10 * i;
		uint64_t r = le(s + 2, 8), v;
		unsigned choice = s[1] % 9u;
		v = choice < 7 ? values[choice] : choice == 7 ? r : r % 1024;
		memcpy(blob + (s[0] % words) * 8, &v, 8);
	}
}

static void walk(const struct py_layout *l, const uint8_t *rest, size_t n)
{
	struct fakemem m;
	struct target t;
	struct py_thread th;

	if (fakemem_parse(&m, rest, n) < 0)
		return;
	target_init_offline(&t, l);
	if (t.tstate_len == 0 || t.tstate_len > TARGET_TSTATE_MAX || t.iframe_len == 0 ||
	    t.iframe_len > TARGET_FRAME_MAX)
		abort();	/* an accepted layout must fit the buffers */
	t.mem.backend = fakemem_read;
	t.mem.backend_ctx = &m;
	uint8_t *ts = calloc(1, t.tstate_len);
	if (ts) {
		fakemem_walk_thread(&t, m.root, ts, &th, 1);
		free(th.frames);
	}
	free(ts);
	target_detach(&t);
	fakemem_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t blob[BLOB_MAX];
	struct py_layout l;
	char why[256], diff[512];

	if (size < HEAD + 2)
		return 0;
	size_t len = (size_t)le(data + HEAD, 2), at = HEAD + 2;
	if (len > BLOB_MAX)
		len = BLOB_MAX;
	if (len > size - at)
		len = size - at;
	memcpy(blob, data + at, len);
	scribble(blob, len, data);
	at += len;
	int rc = layout_from_debug_offsets(blob, len, &l, why, sizeof why);
	if (rc != 0) {
		/* the three kinds of refusal, nothing else */
		if (rc != -1 && rc != LAYOUT_DEBUG_INCONSISTENT && rc != LAYOUT_DEBUG_REFUSED)
			abort();
		return 0;
	}
	if (layout_check(&l, why, sizeof why) != 0)
		abort();	/* the parser must never hand back a layout that does not fit */
	const struct py_layout *t313 = layout_for_version(3, 13);
	if (t313)
		layout_crosscheck(t313, &l, diff, sizeof diff);
	walk(&l, data + at, size - at);
	return 0;
}
