/*
 * tasks.c — `tasks`: the target's asyncio tasks, as a list, a tree or JSON.
 *
 * The engine (engine/python/aio.h) reads the tasks while the target is held
 * still, right after a snapshot of its threads; this file only shows them.
 * The tree follows "is awaited by" edges downwards from the tasks nobody
 * awaits: a task awaited by two others appears under both (the second time
 * without its chain), and a task met again on its own path is a cycle,
 * marked and not followed.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/python/aio.h"
#include "command.h"
#include "json.h"
#include "session.h"

enum { OPT_TREE, OPT_JSON };

static const struct cmd_opt tasks_opts[] = {
	[OPT_TREE] = { "tree", 't', OPT_BOOL, NULL, "the await tree: who awaits whom, each with its coroutine chain" },
	[OPT_JSON] = { "json", 0, OPT_BOOL, NULL, "one JSON document, for programs" },
	{ 0 },
};

static const char *state_of(const struct aio_task *k)
{
	return k->running ? "running" : "pending";
}

static void text_list(struct session *s, const struct aio_tasks *a)
{
	const struct palette *c = session_palette(s);
	fprintf(s->out, "  %-16s %-8s %-8s %-24s %s\n", "id", "state", "OS tid", "name", "waiting in");
	for (size_t i = 0; i < a->n; i++) {
		const struct aio_task *k = &a->v[i];
		char name[64], tid[16] = "-";
		snprintf(name, sizeof(name), "\"%s\"", k->name);
		if (k->os_tid)
			snprintf(tid, sizeof(tid), "%d", (int)k->os_tid);
		fprintf(s->out, "  0x%-14" PRIx64 " %-8s %-8s %-24s", k->addr, state_of(k), tid, name);
		if (k->nframes)
			fprintf(s->out, " %s%s%s (%s%s%s:%s%d%s)", c->func, k->frames[0].qualname, c->reset, c->file,
				k->frames[0].file, c->reset, c->line, k->frames[0].line, c->reset);
		if (k->nawaited_by)
			fprintf(s->out, "  awaited by %zu", k->nawaited_by);
		if (k->error[0])
			fprintf(s->out, "  (%s)", k->error);
		fputc('\n', s->out);
	}
}

static void text_cycles(struct session *s, const struct aio_tasks *a)
{
	for (size_t i = 0; i < a->ncycles; i++) {
		fputs("cycle: ", s->out);
		for (size_t j = 0; j <= a->cycles[i].n; j++) {
			const struct aio_task *k = aio_find(a, a->cycles[i].v[j % a->cycles[i].n]);
			fprintf(s->out, "%s\"%s\"", j ? " is awaited by " : "", k ? k->name : "?");
		}
		fputs(" (never resolves)\n", s->out);
	}
}

/* ---- the tree ---- */

struct tree {
	struct session *s;
	const struct aio_tasks *a;
	size_t **children;         /* per task: the tasks it awaits */
	size_t *nchildren;
	uint8_t *shown;            /* 1: its chain was printed */
	uint8_t *onpath;
	char prefix[512];
};

static void tree_node(struct tree *tr, size_t i, size_t plen, bool last, int depth)
{
	const struct aio_task *k = &tr->a->v[i];
	const struct palette *c = session_palette(tr->s);
	FILE *o = tr->s->out;
	tr->prefix[plen] = '\0';
	fprintf(o, "%s%s\"%s\" 0x%" PRIx64 " (%s, ", tr->prefix, depth ? (last ? "`-- " : "|-- ") : "", k->name,
		k->addr, state_of(k));
	if (k->os_tid)
		fprintf(o, "OS tid %d)", (int)k->os_tid);
	else
		fputs("no thread)", o);
	if (tr->onpath[i]) {
		fputs("  <- cycle: awaits a task that awaits it\n", o);
		return;
	}
	if (tr->shown[i]) {
		fputs("  (shown above)\n", o);
		return;
	}
	fputc('\n', o);
	tr->shown[i] = 1;
	size_t clen = plen;
	if (depth && clen + 4 < sizeof(tr->prefix)) {
		memcpy(tr->prefix + clen, last ? "    " : "|   ", 4);
		clen += 4;
	}
	tr->prefix[clen] = '\0';
	for (size_t f = 0; f < k->nframes; f++)
		fprintf(o, "%s%s  #%-2zu %s%s%s (%s%s%s:%s%d%s)\n", tr->prefix, tr->nchildren[i] ? "|" : " ", f,
			c->func, k->frames[f].qualname, c->reset, c->file, k->frames[f].file, c->reset, c->line,
			k->frames[f].line, c->reset);
	if (k->error[0])
		fprintf(o, "%s   (%s)\n", tr->prefix, k->error);
	if (depth > 200)
		return;
	tr->onpath[i] = 1;
	for (size_t j = 0; j < tr->nchildren[i]; j++)
		tree_node(tr, tr->children[i][j], clen, j + 1 == tr->nchildren[i], depth + 1);
	tr->onpath[i] = 0;
	tr->prefix[plen] = '\0';
}

static int text_tree(struct session *s, const struct aio_tasks *a)
{
	struct tree tr = { s, a, calloc(a->n + 1, sizeof(size_t *)), calloc(a->n + 1, sizeof(size_t)),
			   calloc(a->n + 1, 1), calloc(a->n + 1, 1), "" };
	int rc = 0;
	if (!tr.children || !tr.nchildren || !tr.shown || !tr.onpath) {
		rc = -1;
		goto out;
	}
	/* edges: parent (an awaiter) -> child (the task it awaits) */
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < a->v[i].nawaited_by; j++) {
			long p = aio_index_of(a, a->v[i].awaited_by[j]);
			if (p < 0)
				continue;
			size_t *v = realloc(tr.children[p], (tr.nchildren[p] + 1) * sizeof(*v));
			if (!v) {
				rc = -1;
				goto out;
			}
			tr.children[p] = v;
			v[tr.nchildren[p]++] = i;
		}
	/* roots: awaited by no task that is listed; then whatever a cycle kept unreached */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < a->n; i++) {
			bool root = true;
			for (size_t j = 0; j < a->v[i].nawaited_by && pass == 0; j++)
				root &= aio_index_of(a, a->v[i].awaited_by[j]) < 0;
			if (root && !tr.shown[i])
				tree_node(&tr, i, 0, true, 0);
		}
out:
	for (size_t i = 0; tr.children && i < a->n; i++)
		free(tr.children[i]);
	free(tr.children);
	free(tr.nchildren);
	free(tr.shown);
	free(tr.onpath);
	return rc;
}

/* ---- JSON ---- */

static void json_frame(FILE *o, const struct py_frame *f)
{
	fputs("{\"function\": ", o);
	json_str(o, f->function);
	fputs(", \"qualname\": ", o);
	json_str(o, f->qualname);
	fputs(", \"file\": ", o);
	json_str(o, f->file);
	fprintf(o, ", \"line\": %d}", f->line);
}

static void json_tasks(struct session *s, const struct aio_tasks *a)
{
	FILE *o = s->out;
	fprintf(o, "{\"pid\": %d, \"python\": ", (int)s->target.pid);
	json_str(o, s->target.version_str);
	fprintf(o, ", \"asyncio\": %s, \"tasks\": [", a->has_asyncio ? "true" : "false");
	for (size_t i = 0; i < a->n; i++) {
		const struct aio_task *k = &a->v[i];
		fprintf(o, "%s{\"id\": %" PRIu64 ", \"name\": ", i ? ", " : "", k->addr);
		json_str(o, k->name);
		fprintf(o, ", \"state\": \"%s\", \"thread\": ", state_of(k));
		if (k->os_tid)
			fprintf(o, "%d", (int)k->os_tid);
		else
			fputs("null", o);
		fprintf(o, ", \"thread_id\": %" PRIu64 ", \"coroutine\": [", k->thread_id);
		for (size_t f = 0; f < k->nframes; f++) {
			if (f)
				fputs(", ", o);
			json_frame(o, &k->frames[f]);
		}
		fputs("], \"awaited_by\": [", o);
		for (size_t j = 0; j < k->nawaited_by; j++)
			fprintf(o, "%s%" PRIu64, j ? ", " : "", k->awaited_by[j]);
		fputc(']', o);
		if (k->error[0]) {
			fputs(", \"error\": ", o);
			json_str(o, k->error);
		}
		fputc('}', o);
	}
	fputs("], \"cycles\": [", o);
	for (size_t i = 0; i < a->ncycles; i++) {
		fputs(i ? ", [" : "[", o);
		for (size_t j = 0; j < a->cycles[i].n; j++)
			fprintf(o, "%s%" PRIu64, j ? ", " : "", a->cycles[i].v[j]);
		fputc(']', o);
	}
	fputs("]}\n", o);
}

/* TASKS [--tree] [--json] */
static int do_tasks(struct session *s, const struct cmd_args *a)
{
	struct snapshot snap;
	struct aio_tasks at;
	struct pyspy_err e = { 0 };
	bool partial = false;

	if (a->set[OPT_TREE] && a->set[OPT_JSON])
		return cmd_error(s, "tasks: --tree and --json cannot be combined (the JSON has awaited_by)");
	int rc = session_snapshot(s, SNAP_ALL | SNAP_KEEP_PAUSED, &snap);
	if (rc != CMD_OK)
		return rc;
	if (aio_read(&s->target, snap.threads, snap.nthreads, &at, &e) < 0) {
		snapshot_release(&snap);
		aio_release(&at);
		return cmd_error(s, "tasks: %s", e.msg);
	}
	snapshot_release(&snap);
	for (size_t i = 0; i < at.n; i++)
		partial |= at.v[i].error[0] != 0;
	if (a->set[OPT_JSON]) {
		json_tasks(s, &at);
	} else if (!at.has_asyncio) {
		fputs("(no asyncio: the program has not imported asyncio)\n", s->out);
	} else if (at.n == 0) {
		fputs("(no pending asyncio tasks)\n", s->out);
	} else {
		if (a->set[OPT_TREE]) {
			if (text_tree(s, &at) < 0)
				partial = true;
		} else {
			text_list(s, &at);
		}
		text_cycles(s, &at);
	}
	if (at.foreign && !a->set[OPT_JSON])
		fprintf(s->out, "(%zu object%s in asyncio's task registries not shown: not of a Task class)\n",
			at.foreign, at.foreign == 1 ? "" : "s");
	aio_release(&at);
	return partial ? CMD_FAILED : CMD_OK;
}

const struct command cmd_tasks = {
	.name = "tasks",
	.usage = "tasks [--tree] [--json]",
	.summary = "List the target's pending asyncio tasks (Python 3.8 and later).",
	.help = "One line per pending task: its id (the task object's address), state\n"
		"('running' for the task its loop is executing, else 'pending'), the kernel\n"
		"thread id of the thread whose loop owns it ('-' when no thread runs that\n"
		"loop), its name, the innermost frame of its coroutine chain (where it\n"
		"waits) and how many tasks await it.\n"
		"--tree shows the await tree, like pstree: each task under the tasks awaiting\n"
		"it (directly, through gather, a TaskGroup or shield), with its coroutine chain\n"
		"innermost first ('#I  QUALNAME (FILE:LINE)', following cr_await down to what\n"
		"it waits on).  Tasks awaiting each other are reported as a cycle.\n"
		"With --json: {\"pid\", \"python\", \"asyncio\", \"tasks\": [{\"id\", \"name\", \"state\",\n"
		"\"thread\", \"thread_id\", \"coroutine\": [{\"function\", \"qualname\", \"file\",\n"
		"\"line\"}], \"awaited_by\": [ids]}], \"cycles\": [[ids]]}.\n"
		"Tasks are found in asyncio's own registries on 3.8-3.13 and through the\n"
		"target's AsyncioDebug offsets on 3.14 and later; finished tasks are not\n"
		"listed.  The target is paused while it is read unless 'nonblocking' is set.",
	.opts = tasks_opts,
	.max_args = 0,
	.flags = CMD_NEEDS_TARGET | CMD_REPEATS,
	.handler = do_tasks,
};
