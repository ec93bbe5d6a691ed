/*
 * fuzz_frames.c — libFuzzer harness for the frame walker over a fake remote
 * address space (fakemem.h).
 *
 * The input's root is a PyThreadState.  From it the harness does what `bt
 * --all --locals` does to one thread: read the thread state, walk its frames
 * (every frame model: 2.7–3.10 frame objects, 3.11+ interpreter frames with
 * the data-stack chunk copy), decode each frame's code object and line
 * table, read the locals of the innermost frames and repr them, and look the
 * thread's name up in threading._active through the interpreter the thread
 * state points to.  Seeds are real thread states and frame chains recorded
 * from live interpreters (capture.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/locals.h"
#include "../../engine/repr.h"
#include "../../engine/snapshot.h"
#include "fakemem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rd64(const uint8_t *b, int32_t off)
{
	uint64_t v;
	memcpy(&v, b + off, sizeof(v));
	return v;
}

static void show_locals(struct target *t, const struct py_frame *f)
{
	struct py_var *vars = NULL;
	size_t n = 0;
	struct pyspy_err e;
	struct repr_opts o = REPR_OPTS_DEFAULT;
	if (locals_read(t, f, &vars, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n && i < 16; i++) {
		struct strbuf sb;
		strbuf_init(&sb, 0);
		repr_value(t, vars[i].value, &o, &sb, &e);
		strbuf_release(&sb);
	}
	free(vars);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fakemem m;
	struct target t;
	struct pyspy_err e;
	if (fakemem_parse(&m, data, size) < 0)
		return 0;
	fakemem_target(&t, &m);
	uint8_t *ts = calloc(1, t.tstate_len);
	if (ts && remote_read(&t.mem, m.root, ts, t.tstate_len, &e) == 0) {
		struct py_thread th = { 0 };
		frames_walk(&t, ts, &th, &e);
		for (size_t i = 0; i < th.nframes && i < 3; i++)
			if (th.frames[i].ci)
				show_locals(&t, &th.frames[i]);
		free(th.frames);
		char name[256];
		t.interp = rd64(ts, t.layout.tstate.interp);
		if (t.interp)
			thread_name(&t, rd64(ts, t.layout.tstate.thread_id), name, sizeof(name));
	}
	free(ts);
	target_detach(&t);
	fakemem_release(&m);
	return 0;
}
