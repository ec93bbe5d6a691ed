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

#include "fakemem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fakemem m;
	struct target t;
	if (fakemem_parse(&m, data, size) < 0)
		return 0;
	fakemem_target(&t, &m);
	uint8_t *ts = calloc(1, t.tstate_len);
	if (ts) {
		struct py_thread th;
		fakemem_walk_thread(&t, m.root, ts, &th, 1);
		free(th.frames);
	}
	free(ts);
	target_detach(&t);
	fakemem_release(&m);
	return 0;
}
