/*
 * capture.c — record seed inputs for the frame and object harnesses from a
 * live interpreter.
 *
 *     capture frames  PID OUTDIR PREFIX   one seed per thread, up to 4 (root: its thread state)
 *     capture objects PID OUTDIR PREFIX   one seed per local of the main thread's frames
 *
 * It attaches like pyspy-sh, then installs a recording backend on the
 * target's struct remote: each read goes to the process as usual and is
 * also remembered as (address, bytes).  It then does what the harness will
 * do, with every cache emptied first, so the recorded regions are exactly
 * the memory the harness needs to replay the same walk — a real thread
 * state, frame chain, code objects, names and line tables, or a real object
 * graph.  The file format is fakemem.h's.  Used once, by gen_seeds.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "engine/python/code.h"
#include "engine/values/locals.h"
#include "engine/python/pyobj.h"
#include "engine/values/repr.h"
#include "engine/python/snapshot.h"
#include "fakemem.h"

struct rec_region {
	raddr_t addr;
	size_t len;
	uint8_t *bytes;
};

struct rec {
	pid_t pid;
	struct rec_region *v;
	size_t n, cap;
};

static int rec_read(void *ctx, raddr_t addr, void *buf, size_t len)
{
	struct rec *r = ctx;
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t got = process_vm_readv(r->pid, &local, 1, &remote, 1, 0);
	if (got != (ssize_t)len)
		return got < 0 ? errno : EFAULT;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].addr == addr && r->v[i].len >= len)
			return 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v)
			abort();
	}
	r->v[r->n].addr = addr;
	r->v[r->n].len = len;
	r->v[r->n].bytes = malloc(len);
	memcpy(r->v[r->n].bytes, buf, len);
	r->n++;
	return 0;
}

static void rec_reset(struct rec *r, struct target *t)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].bytes);
	r->n = 0;
	code_cache_clear(t);
	pyobj_release(t);
}

static void put(FILE *f, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		fputc((int)((v >> (8 * i)) & 0xff), f);
}

static int rec_write(const struct rec *r, const struct target *t, raddr_t root, const char *path)
{
	unsigned idx = 0;
	for (size_t i = 0; i < layout_table_count; i++)
		if (layout_tables[i]->version == t->layout.version)
			idx = (unsigned)i;
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	put(f, idx, 1);
	put(f, root, 8);
	for (size_t i = 0; i < r->n; i++) {
		put(f, r->v[i].addr, 8);
		put(f, r->v[i].len, 4);
		fwrite(r->v[i].bytes, 1, r->v[i].len, f);
	}
	return fclose(f);
}

static int capture_frames(struct target *t, struct rec *r, const char *dir, const char *prefix)
{
	raddr_t ts;
	struct pyspy_err e;
	char path[4096];
	int k = 0;
	if (remote_read_ptr(&t->mem, t->interp + (raddr_t)t->layout.interp.tstate_head, &ts, &e) < 0)
		return -1;
	t->mem.backend = rec_read;
	t->mem.backend_ctx = r;
	for (; ts && k < 4; k++) {
		uint8_t *b = calloc(1, t->tstate_len);
		struct py_thread th;
		rec_reset(r, t);
		/* no thread names: the walk of sys.modules would make every seed
		 * ~50 KB; the pyobj corpus covers dicts */
		fakemem_walk_thread(t, ts, b, &th, 0);
		if (!r->n)
			return -1;
		snprintf(path, sizeof(path), "%s/%s-thread%d", dir, prefix, k);
		if (rec_write(r, t, ts, path) < 0)
			return -1;
		memcpy(&ts, b + t->layout.tstate.next, 8);
		free(th.frames);
		free(b);
	}
	return k;
}

static int capture_objects(struct target *t, struct rec *r, const char *dir, const char *prefix)
{
	struct snapshot s;
	struct pyspy_err e;
	char path[4096];
	int k = 0;
	if (snapshot_take(t, SNAP_FRAMES, &s, &e) < 0 || !s.nthreads)
		return -1;
	t->mem.backend = rec_read;
	t->mem.backend_ctx = r;
	const struct py_thread *th = &s.threads[0];
	struct repr_opts o = { .width = 4000, .depth = 6, .max_items = 1000, .attrs = true };
	for (size_t i = 0; i < th->nframes && i < 6 && k < 48; i++) {
		struct py_var *vars = NULL;
		size_t n = 0;
		if (locals_read(t, &th->frames[i], &vars, &n, &e) < 0)
			continue;
		for (size_t j = 0; j < n && k < 48; j++) {
			if (!vars[j].value)
				continue;
			rec_reset(r, t);
			struct strbuf sb;
			strbuf_init(&sb, 0);
			repr_value(t, vars[j].value, &o, &sb, &e);
			strbuf_release(&sb);
			snprintf(path, sizeof(path), "%s/%s-%s", dir, prefix, vars[j].name);
			if (rec_write(r, t, vars[j].value, path) == 0)
				k++;
		}
		free(vars);
	}
	snapshot_release(&s);
	return k;
}

int main(int argc, char **argv)
{
	struct target t;
	struct pyspy_err e;
	if (argc != 5 || (strcmp(argv[1], "frames") && strcmp(argv[1], "objects"))) {
		fprintf(stderr, "usage: capture frames|objects PID OUTDIR PREFIX\n");
		return 64;
	}
	if (target_attach(&t, (pid_t)atoi(argv[2]), NULL, &e) < 0) {
		fprintf(stderr, "capture: %s\n", e.msg);
		return 2;
	}
	struct rec r = { .pid = t.pid };
	int n = !strcmp(argv[1], "frames") ? capture_frames(&t, &r, argv[3], argv[4])
					   : capture_objects(&t, &r, argv[3], argv[4]);
	rec_reset(&r, &t);
	free(r.v);
	t.mem.backend = NULL;
	target_detach(&t);
	if (n <= 0) {
		fprintf(stderr, "capture: nothing captured from pid %s\n", argv[2]);
		return 1;
	}
	printf("%d seeds\n", n);
	return 0;
}
