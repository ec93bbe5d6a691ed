/*
 * bt.c — `bt`: Python backtraces, as text or JSON.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/native/native.h"
#include "bt_async.h"
#include "command.h"
#include "procs.h"
#include "json.h"
#include "session.h"
#include "values.h"

enum { OPT_ALL, OPT_JSON, OPT_LOCALS, OPT_NATIVE, OPT_NATIVE_ALL, OPT_ASYNC, OPT_SUBPROCESSES };

static const struct cmd_opt bt_opts[] = {
	[OPT_ALL] = { "all", 'a', OPT_BOOL, NULL, "every thread, not just the selected one" },
	[OPT_JSON] = { "json", 0, OPT_BOOL, NULL, "one JSON document, for programs" },
	[OPT_LOCALS] = { "locals", 'l', OPT_BOOL, NULL, "with each frame's arguments and local variables" },
	[OPT_NATIVE] = { "native", 'n', OPT_BOOL, NULL, "merge the C stack with the Python stack (pauses the target)" },
	[OPT_NATIVE_ALL] = { "native-all", 0, OPT_BOOL, NULL, "like --native, keeping the interpreter's own call frames" },
	[OPT_ASYNC] = { "async", 0, OPT_BOOL, NULL, "then the asyncio task the thread runs and the tasks awaiting it" },
	[OPT_SUBPROCESSES] = { "subprocesses", 's', OPT_BOOL, NULL, "with --all: every Python process under the target too, each under a header" },
	{ 0 },
};

/* One thread's native view: the merged stack, or why there is none. */
struct native_view {
	struct merged_frame *m;    /* NULL: show the Python stack */
	size_t n;
	const char *status;        /* "in syscall nanosleep", or NULL */
	char statusbuf[64];
	char error[600];           /* why the merge (or the unwind) failed; "" when it did not */
};

static void text_native_frame(struct session *s, size_t i, const struct native_frame *f)
{
	const struct palette *c = session_palette(s);
	const struct native_sym *y = &f->sym;
	fprintf(s->out, "  #%-2zu [native] %s", i, c->func);
	if (y->function)
		fputs(y->function, s->out);
	else
		fprintf(s->out, "0x%llx", (unsigned long long)f->ip);
	fprintf(s->out, "%s in %s", c->reset, y->library ? y->library : "??");
	if (y->file)
		fprintf(s->out, " (%s%s%s:%s%d%s)", c->file, y->file, c->reset, c->line, y->line, c->reset);
	fputc('\n', s->out);
}

static void text_py_frame(struct session *s, size_t i, const struct py_frame *f, bool locals)
{
	const struct palette *c = session_palette(s);
	fprintf(s->out, "  #%-2zu %s%s%s (%s%s%s:%s%d%s)\n", i, c->func, f->qualname, c->reset,
		c->file, f->file, c->reset, c->line, f->line, c->reset);
	if (locals)
		values_print_frame(s, f, "      ", false);
}

static void text_thread(struct session *s, const struct py_thread *th, size_t limit, bool locals,
			const struct native_view *nv)
{
	const struct palette *c = session_palette(s);
	char tid[16];
	fprintf(s->out, "%sThread %d%s (OS tid %s, %s%s%s%s): ", c->thread, th->number, c->reset, thread_tid(th, tid),
		thread_status(th), th->gil == 1 ? ", gil" : "", nv && nv->status ? ", " : "",
		nv && nv->status ? nv->status : "");
	if (th->name)
		fprintf(s->out, "\"%s\"", th->name);
	else
		fputs(thread_label(th) ? thread_label(th) : "(no name)", s->out);
	if (th->interp_id)
		fprintf(s->out, " in interpreter %lld", (long long)th->interp_id);
	fputc('\n', s->out);
	if (nv && nv->error[0])
		fprintf(s->out, "  (%s; showing the Python stack)\n", nv->error);
	size_t total = nv && nv->m ? nv->n : th->nframes;
	for (size_t i = 0; i < total && i < limit; i++) {
		if (nv && nv->m && nv->m[i].kind == FRAME_NATIVE)
			text_native_frame(s, i, nv->m[i].native);
		else
			text_py_frame(s, i, nv && nv->m ? nv->m[i].py : &th->frames[i], locals);
	}
	if (total > limit)
		fprintf(s->out, "  (%zu more frames)\n", total - limit);
	if (th->nframes == 0 && !th->walk_error)
		fputs("  (no Python frames)\n", s->out);
	if (th->walk_error)
		fprintf(s->out, "  (stack cut short: %s)\n", th->walk_msg);
}

static void json_py_frame(struct session *s, const struct py_frame *f, bool locals)
{
	FILE *o = s->out;
	fputs("{\"kind\": \"python\", \"function\": ", o);
	json_str(o, f->function);
	fputs(", \"qualname\": ", o);
	json_str(o, f->qualname);
	fputs(", \"file\": ", o);
	json_str(o, f->file);
	fprintf(o, ", \"line\": %d", f->line);
	if (locals)
		values_print_frame(s, f, "", true);
	fputc('}', o);
}

static void json_native_frame(FILE *o, const struct native_frame *f)
{
	fputs("{\"kind\": \"native\", \"function\": ", o);
	json_str(o, f->sym.function);
	fputs(", \"library\": ", o);
	json_str(o, f->sym.library);
	fputs(", \"file\": ", o);
	json_str(o, f->sym.file);
	if (f->sym.line > 0)
		fprintf(o, ", \"line\": %d", f->sym.line);
	else
		fputs(", \"line\": null", o);
	fprintf(o, ", \"address\": \"0x%llx\"}", (unsigned long long)f->ip);
}

static void json_thread(struct session *s, const struct py_thread *th, size_t limit, bool locals,
			const struct native_view *nv, const struct aio_tasks *aio)
{
	FILE *o = s->out;
	fprintf(o, "{\"number\": %d, \"thread_id\": %" PRIu64 ", \"os_tid\": ", th->number, th->thread_id);
	if (th->os_tid)
		fprintf(o, "%d", (int)th->os_tid);
	else
		fputs("null", o);
	fputs(", \"name\": ", o);
	json_str(o, th->name);
	fprintf(o, ", \"active\": %s, \"gil\": %s, \"interpreter\": %lld", th->active ? "true" : "false",
		th->gil < 0 ? "null" : th->gil ? "true" : "false", (long long)th->interp_id);
	if (nv) {
		fputs(", \"native_status\": ", o);
		json_str(o, nv->status);
		fputs(", \"native_error\": ", o);
		json_str(o, nv->error[0] ? nv->error : NULL);
	}
	fputs(", \"frames\": [", o);
	size_t total = nv && nv->m ? nv->n : th->nframes;
	for (size_t i = 0; i < total && i < limit; i++) {
		if (i)
			fputs(", ", o);
		if (nv && nv->m && nv->m[i].kind == FRAME_NATIVE)
			json_native_frame(o, nv->m[i].native);
		else
			json_py_frame(s, nv && nv->m ? nv->m[i].py : &th->frames[i], locals);
	}
	fputc(']', o);
	if (th->walk_error) {
		fputs(", \"error\": ", o);
		json_str(o, th->walk_msg);
	}
	if (aio)
		bt_async_json(s, aio, th);
	fputc('}', o);
}

/* Unwind and merge one thread; failures end up in nv->error, never fatal. */
static void native_view_fill(struct session *s, const struct py_thread *th, bool all,
			     struct native_stack *ns, struct native_view *nv)
{
	struct pyspy_err e = { 0 };
	memset(nv, 0, sizeof(*nv));
	if (native_thread_stack(&s->target, th, all, ns, &nv->m, &nv->n, &e) < 0)
		snprintf(nv->error, sizeof(nv->error), "%s", e.msg);
	nv->status = native_status_text(ns, nv->statusbuf, sizeof(nv->statusbuf));
}

struct bt_view {
	size_t limit;
	bool locals, native, native_all, json;
	const struct aio_tasks *aio;   /* --async: the tasks, read with the snapshot */
};

/* One thread, as text or JSON; false when what it shows is partial. */
static bool show_thread(struct session *s, const struct py_thread *th, const struct bt_view *v,
			struct native_stack *ns, int shown)
{
	struct native_view nv;
	if (v->native)
		native_view_fill(s, th, v->native_all, ns, &nv);
	if (v->json) {
		if (shown)
			fputs(", ", s->out);
		json_thread(s, th, v->limit, v->locals, v->native ? &nv : NULL, v->aio);
	} else {
		if (shown)
			fputc('\n', s->out);
		text_thread(s, th, v->limit, v->locals, v->native ? &nv : NULL);
		if (v->aio)
			bt_async_text(s, v->aio, th);
	}
	bool whole = th->walk_error == 0 && !(v->native && nv.error[0]);
	if (v->native)
		free(nv.m);
	return whole;
}

static int do_bt(struct session *s, const struct cmd_args *a);

/* --subprocesses: bt in one process of the tree, under its header */
static int bt_in_process(struct session *s, const struct proc_info *p, void *arg)
{
	struct cmd_args one = *(const struct cmd_args *)arg;
	one.set[OPT_SUBPROCESSES] = false;
	fprintf(s->out, "%sprocess %d (%s), Python %s:\n", p->depth ? "\n" : "",
		(int)p->pid, p->cmd, p->python);
	return do_bt(s, &one);
}

/* BT [N] [--all] [--locals] [--native|--native-all] [--json] [--subprocesses] */
static int do_bt(struct session *s, const struct cmd_args *a)
{
	if (a->set[OPT_SUBPROCESSES] || (s->subprocesses && a->set[OPT_ALL] && !a->set[OPT_JSON])) {
		if (!a->set[OPT_ALL])
			return cmd_error(s, "bt: --subprocesses shows every thread of every process: give --all too");
		if (a->set[OPT_JSON])
			return cmd_error(s, "bt: --subprocesses and --json cannot be combined (one document per process: use bt --all --json after attach PID)");
		struct cmd_args copy = *a;
		copy.set[OPT_SUBPROCESSES] = false;
		return procs_each(s, bt_in_process, &copy);
	}
	struct snapshot snap;
	struct bt_view v = { SIZE_MAX, a->set[OPT_LOCALS], a->set[OPT_NATIVE] || a->set[OPT_NATIVE_ALL],
			     a->set[OPT_NATIVE_ALL], a->set[OPT_JSON], NULL };
	struct aio_tasks aio = { 0 };
	if (a->argc == 1) {
		char *end;
		long n = strtol(a->argv[0], &end, 10);
		if (*end || n <= 0)
			return cmd_error(s, "bt: frame count must be a positive number, not '%s'", a->argv[0]);
		v.limit = (size_t)n;
	}
	unsigned flags = SNAP_ALL | (v.locals || v.native || a->set[OPT_ASYNC] ? SNAP_KEEP_PAUSED : 0);
	if (v.native && !s->held)
		flags |= SNAP_PAUSE;   /* libunwind reads a stopped task's registers: pause even when nonblocking */
	int rc = session_snapshot(s, flags, &snap);
	if (rc != CMD_OK)
		return rc;
	if (v.native && !snap.paused && !s->held && !s->target.core) {
		snapshot_release(&snap);
		return cmd_error(s, "bt: --native needs to pause the target, which failed");
	}
	if (a->set[OPT_ASYNC]) {
		struct pyspy_err e = { 0 };
		if (aio_read(&s->target, snap.threads, snap.nthreads, &aio, &e) < 0) {
			aio_release(&aio);
			snapshot_release(&snap);
			return cmd_error(s, "bt: --async: %s", e.msg);
		}
		v.aio = &aio;
	}
	struct native_stack ns = { 0 };
	struct py_thread *one = a->set[OPT_ALL] ? NULL : session_thread(s, &snap);
	bool partial = false;
	if (v.json) {
		fprintf(s->out, "{\"pid\": %d, \"python\": ", (int)s->target.pid);
		json_str(s->out, s->target.version_str);
		fputs(", \"threads\": [", s->out);
	}
	int shown = 0;
	for (size_t i = 0; i < snap.nthreads; i++) {
		if (one && &snap.threads[i] != one)
			continue;
		partial |= !show_thread(s, &snap.threads[i], &v, &ns, shown++);
	}
	if (v.json)
		fputs("]}\n", s->out);
	else if (!shown)
		fputs("(no Python threads)\n", s->out);
	native_stack_release(&ns);
	snapshot_release(&snap);
	aio_release(&aio);
	return partial ? CMD_FAILED : CMD_OK;
}

static const char *const bt_aliases[] = { "backtrace", "where", NULL };

const struct command cmd_bt = {
	.name = "bt",
	.aliases = bt_aliases,
	.usage = "bt [N] [--all] [--locals] [--native|--native-all] [--async] [--json] [--subprocesses]",
	.summary = "Show the Python stack of the selected thread, or of every thread.",
	.help = "Frames are listed innermost first, as '#I  QUALNAME (FILE:LINE)'; QUALNAME is\n"
		"the qualified name on Python 3.11 and later and the function name before.\n"
		"N limits the listing to the N innermost frames.  --locals adds each frame's\n"
		"arguments and local variables, as 'locals' shows them (in JSON: a \"locals\"\n"
		"array of {\"name\", \"arg\", \"value\"} per frame, values as repr text).\n"
		"The target is paused while it is read unless 'nonblocking' is set (or\n"
		"--nonblocking was given at start).\n"
		"With --json the output is one document: {\"pid\", \"python\", \"threads\": [{\"number\",\n"
		"\"thread_id\", \"os_tid\", \"name\", \"active\", \"gil\", \"interpreter\", \"frames\": [{\"kind\": \"python\",\n"
		"\"function\", \"qualname\", \"file\", \"line\"}]}]}.  A stack that could not be read\n"
		"whole is shown as far as it goes, with the reason, and the command reports\n"
		"failure.\n"
		"--native merges each thread's C stack in, as '#I  [native] FUNCTION in LIBRARY\n"
		"(FILE:LINE)' lines: every call of the interpreter's evaluation function is\n"
		"replaced by the Python frames it runs, and its call plumbing is left out\n"
		"(--native-all keeps it).  The thread header adds 'waiting for the GIL',\n"
		"'collecting garbage' or 'in syscall NAME'.  In JSON native frames are\n"
		"{\"kind\": \"native\", \"function\", \"library\", \"file\", \"line\", \"address\"} and\n"
		"threads gain \"native_status\" and \"native_error\".  When the two stacks cannot\n"
		"be matched the Python stack is shown with 'native merge failed: ...' and the\n"
		"command reports failure.\n"
		"Native mode always pauses the target (registers are read with ptrace).\n"
		"--async (Python 3.8+) adds, under each thread, the asyncio task it is running\n"
		"and, up the await graph, each task awaiting it with its coroutine chain\n"
		"('awaited by task \"NAME\" 0xID'); in JSON each thread gains \"async\": null or\n"
		"{\"task\", \"name\", \"awaited_by\": [{\"id\", \"name\", \"depth\", \"awaits\",\n"
		"\"coroutine\"}]}.  See also 'tasks'.",
	.opts = bt_opts,
	.max_args = 1,
	.flags = CMD_NEEDS_TARGET | CMD_REPEATS,
	.handler = do_bt,
};
