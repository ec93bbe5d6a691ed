/*
 * fuzz_pyobj.c — libFuzzer harness for the object decoder and repr.
 *
 * The input's root is an object in a fake address space (fakemem.h).  The
 * harness decodes it every way the engine can: repr_value() with the default
 * limits and with wide ones (attributes, slots, nested containers, every str
 * kind, big ints, floats), and the typed readers pyobj_str, pyobj_int,
 * pyobj_bytes, dict iteration and instance attributes.  Seeds are real
 * objects recorded from live interpreters (capture.c, the values target).
 */
#include <stdint.h>
#include <stdlib.h>

#include "engine/python/pyobj.h"
#include "engine/values/repr.h"
#include "fakemem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count(void *arg, raddr_t key, raddr_t value)
{
	(void)key;
	(void)value;
	return ++*(int *)arg >= 100000;
}

static int count_slot(void *arg, const char *name, raddr_t value)
{
	(void)name;
	(void)value;
	return ++*(int *)arg >= 100000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fakemem m;
	struct target t;
	struct pyspy_err e;
	if (fakemem_parse(&m, data, size) < 0)
		return 0;
	fakemem_target(&t, &m);

	struct repr_opts narrow = REPR_OPTS_DEFAULT;
	struct repr_opts wide = { .width = 4000, .depth = 6, .max_items = 1000, .attrs = true };
	const struct repr_opts *opts[2] = { &narrow, &wide };
	for (int i = 0; i < 2; i++) {
		struct strbuf sb;
		strbuf_init(&sb, 0);
		repr_value(&t, m.root, opts[i], &sb, &e);
		strbuf_release(&sb);
	}
	char buf[4096];
	pyobj_str(&t, m.root, buf, sizeof(buf), NULL, &e);
	uint64_t mag;
	bool neg;
	pyobj_int(&t, m.root, &mag, &neg, &e);
	uint8_t *bytes;
	size_t len;
	if (pyobj_bytes(&t, m.root, &bytes, &len, 1u << 20, &e) == 0)
		free(bytes);
	int n = 0;
	pyobj_dict_foreach(&t, m.root, count, &n, &e);
	raddr_t v;
	pyobj_dict_get_str(&t, m.root, "name", &v, &e);
	pyobj_attr(&t, m.root, "_name", &v, &e);
	n = 0;
	pyobj_attr_foreach(&t, m.root, count, &n, &e);
	n = 0;
	pyobj_slots_foreach(&t, m.root, count_slot, &n, &e);

	target_detach(&t);
	fakemem_release(&m);
	return 0;
}
