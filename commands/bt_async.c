/*
 * bt_async.c — `bt --async`: a thread's stack says where the running task
 * is; this says which task that is and who is waiting for it, walking the
 * await graph upwards (awaited_by) from the running task: each awaiting
 * task with its coroutine chain, then the tasks awaiting that one, and so
 * on.  A task met twice is named, not walked again, so a cycle ends.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bt_async.h"
#include "json.h"

#define UP_MAX 64

const struct aio_task *bt_async_running(const struct aio_tasks *a, const struct py_thread *th)
{
	for (size_t i = 0; a && i < a->n; i++)
		if (a->v[i].running && a->v[i].thread_id && a->v[i].thread_id == th->thread_id)
			return &a->v[i];
	return NULL;
}

struct up {
	const struct aio_tasks *a;
	const struct aio_task *seen[UP_MAX];
	int nseen;
};

static bool seen(struct up *u, const struct aio_task *k)
{
	for (int i = 0; i < u->nseen; i++)
		if (u->seen[i] == k)
			return true;
	if (u->nseen < UP_MAX)
		u->seen[u->nseen++] = k;
	return false;
}

static void text_up(struct session *s, struct up *u, const struct aio_task *k, int depth)
{
	const struct palette *c = session_palette(s);
	for (size_t j = 0; j < k->nawaited_by; j++) {
		const struct aio_task *w = aio_find(u->a, k->awaited_by[j]);
		if (!w)
			continue;
		fprintf(s->out, "%*s  awaited by task \"%s\" 0x%" PRIx64, depth * 2, "", w->name, w->addr);
		if (seen(u, w) || depth >= UP_MAX) {
			fputs(" (shown above: a cycle)\n", s->out);
			continue;
		}
		fputc('\n', s->out);
		for (size_t f = 0; f < w->nframes; f++)
			fprintf(s->out, "%*s    #%-2zu %s%s%s (%s%s%s:%s%d%s)\n", depth * 2, "", f, c->func,
				w->frames[f].qualname, c->reset, c->file, w->frames[f].file, c->reset, c->line,
				w->frames[f].line, c->reset);
		text_up(s, u, w, depth + 1);
	}
}

void bt_async_text(struct session *s, const struct aio_tasks *a, const struct py_thread *th)
{
	const struct aio_task *k = bt_async_running(a, th);
	if (!a->has_asyncio) {
		fputs("  (no asyncio)\n", s->out);
		return;
	}
	if (!k) {
		fputs("  (no asyncio task running on this thread)\n", s->out);
		return;
	}
	struct up u = { a, { k }, 1 };
	fprintf(s->out, "  running task \"%s\" 0x%" PRIx64 "\n", k->name, k->addr);
	text_up(s, &u, k, 0);
}

static void json_frames(FILE *o, const struct aio_task *k)
{
	fputs("\"coroutine\": [", o);
	for (size_t f = 0; f < k->nframes; f++) {
		fputs(f ? ", {\"function\": " : "{\"function\": ", o);
		json_str(o, k->frames[f].function);
		fputs(", \"qualname\": ", o);
		json_str(o, k->frames[f].qualname);
		fputs(", \"file\": ", o);
		json_str(o, k->frames[f].file);
		fprintf(o, ", \"line\": %d}", k->frames[f].line);
	}
	fputc(']', o);
}

/* Each awaiting task once, breadth-first, with its depth above the running task. */
static void json_up(FILE *o, struct up *u, const struct aio_task *start)
{
	const struct aio_task *queue[UP_MAX];
	int depth[UP_MAX], head = 0, tail = 0, shown = 0;
	queue[tail] = start;
	depth[tail++] = 0;
	while (head < tail) {
		const struct aio_task *k = queue[head];
		int d = depth[head++];
		for (size_t j = 0; j < k->nawaited_by; j++) {
			const struct aio_task *w = aio_find(u->a, k->awaited_by[j]);
			if (!w || seen(u, w) || tail >= UP_MAX)
				continue;
			fprintf(o, "%s{\"id\": %" PRIu64 ", \"name\": ", shown++ ? ", " : "", w->addr);
			json_str(o, w->name);
			fprintf(o, ", \"depth\": %d, \"awaits\": %" PRIu64 ", ", d + 1, k->addr);
			json_frames(o, w);
			fputc('}', o);
			queue[tail] = w;
			depth[tail++] = d + 1;
		}
	}
}

void bt_async_json(struct session *s, const struct aio_tasks *a, const struct py_thread *th)
{
	FILE *o = s->out;
	const struct aio_task *k = bt_async_running(a, th);
	if (!k) {
		fputs(", \"async\": null", o);
		return;
	}
	struct up u = { a, { k }, 1 };
	fprintf(o, ", \"async\": {\"task\": %" PRIu64 ", \"name\": ", k->addr);
	json_str(o, k->name);
	fputs(", \"awaited_by\": [", o);
	json_up(o, &u, k);
	fputs("]}", o);
}
