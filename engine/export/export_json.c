/*
 * export_json.c — speedscope's file format and Chrome trace events.
 *
 * speedscope (https://www.speedscope.app/file-format-schema.json) wants frames
 * shared once and, per profile, stacks as arrays of frame indexes from the
 * root with a weight each.  That is exactly the merged tree split by thread:
 * one "sampled" profile per thread, one sample per tree node that has self
 * weight, its weight the self weight: "microseconds" of CPU for a cpu-mode
 * profile, "none" (sample counts) for the others.
 *
 * The Chrome trace (chrome://tracing, Perfetto, speedscope too) is about time,
 * so it reads the timeline instead: per thread it keeps the stack currently
 * "open", and each sample closes the frames that are gone ("E") and opens the
 * new ones ("B"), so consecutive samples of the same frame merge into one span.
 * A sample stands for one sampling period; a thread not seen for more than a
 * few periods has its frames closed one period after its last sample, so idle
 * time does not show up as a long call.
 */
#include "export_impl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void json_frame_fields(FILE *f, const struct profile *p, uint32_t id, enum prof_by by)
{
	const struct prof_frame *fr = profile_frame(p, id);
	fputs("{\"name\":", f);
	export_json_str(f, fr->qualname);
	fputs(",\"file\":", f);
	export_json_str(f, fr->file);
	if (by == PROF_BY_LINE && fr->line >= 0)
		fprintf(f, ",\"line\":%d", fr->line);
	putc('}', f);
}

/* ---- speedscope ---- */

struct ss_ctx {
	const struct profile *p;
	const struct export_opts *o;
	struct prof_tree tree;
	uint32_t *index;           /* key frame id → shared.frames index */
	uint32_t *path;
	struct strbuf sb;
};

static void ss_frames(FILE *f, struct ss_ctx *c)
{
	uint32_t next = 0;
	fputs("\"shared\":{\"frames\":[", f);
	for (uint32_t n = 1; n < c->tree.n; n++) {
		uint32_t id = c->tree.nodes[n].frame;
		if (id == PROF_NONE || c->index[id] != PROF_NONE)
			continue;
		c->index[id] = next;
		fputs(next++ ? ",\n" : "\n", f);
		json_frame_fields(f, c->p, id, c->o->by);
	}
	fputs("]},\n", f);
}

static void ss_sample(FILE *f, struct ss_ctx *c, uint32_t thread_node, uint32_t n, bool first)
{
	uint32_t base = c->tree.nodes[thread_node].depth;
	size_t depth = c->tree.nodes[n].depth - base;
	for (uint32_t k = n; k != thread_node; k = c->tree.nodes[k].parent)
		c->path[c->tree.nodes[k].depth - base - 1] = c->index[c->tree.nodes[k].frame];
	fputs(first ? "[" : ",[", f);
	for (size_t i = 0; i < depth; i++)
		fprintf(f, "%s%" PRIu32, i ? "," : "", c->path[i]);
	putc(']', f);
}

/* One "sampled" profile for the subtree under a thread node. */
static void ss_profile(FILE *f, struct ss_ctx *c, uint32_t tn)
{
	const struct prof_node *t = &c->tree.nodes[tn];
	bool first = true;
	prof_node_label(c->p, &c->tree, tn, &c->sb);
	fputs("{\"type\":\"sampled\",\"name\":", f);
	export_json_str(f, strbuf_str(&c->sb));
	fprintf(f, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%" PRIu64 ",\n\"samples\":[",
		profile_meta(c->p)->unit == PROF_UNIT_CPU_US ? "microseconds" : "none", t->total);
	for (uint32_t n = prof_tree_next(&c->tree, tn);
	     n != PROF_NONE && c->tree.nodes[n].depth > t->depth; n = prof_tree_next(&c->tree, n))
		if (c->tree.nodes[n].self) {
			ss_sample(f, c, tn, n, first);
			first = false;
		}
	fputs("],\n\"weights\":[", f);
	first = true;
	for (uint32_t n = prof_tree_next(&c->tree, tn);
	     n != PROF_NONE && c->tree.nodes[n].depth > t->depth; n = prof_tree_next(&c->tree, n))
		if (c->tree.nodes[n].self) {
			fprintf(f, "%s%" PRIu64, first ? "" : ",", c->tree.nodes[n].self);
			first = false;
		}
	fputs("]}", f);
}

static int ss_body(FILE *f, void *ctx, struct pyspy_err *e)
{
	struct ss_ctx *c = ctx;
	const struct profile_meta *m = profile_meta(c->p);
	uint32_t active = 0, k = 0;
	uint64_t best = 0;
	char name[1200];

	for (uint32_t tn = c->tree.nodes[0].first_child; tn != PROF_NONE; tn = c->tree.nodes[tn].next_sibling, k++)
		if (c->tree.nodes[tn].total > best) {
			best = c->tree.nodes[tn].total;
			active = k;
		}
	snprintf(name, sizeof(name), "pyspy-sh pid %d%s%s", (int)m->pid, m->command[0] ? ": " : "",
		 m->command);
	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n", f);
	fputs("\"exporter\":\"pyspy-sh\",\n\"name\":", f);
	export_json_str(f, name);
	fprintf(f, ",\n\"activeProfileIndex\":%" PRIu32 ",\n", active);
	ss_frames(f, c);
	fputs("\"profiles\":[", f);
	k = 0;
	for (uint32_t tn = c->tree.nodes[0].first_child; tn != PROF_NONE; tn = c->tree.nodes[tn].next_sibling) {
		fputs(k++ ? ",\n" : "\n", f);
		ss_profile(f, c, tn);
	}
	fputs("]}\n", f);
	return c->sb.oom ? err_set(e, PS_ENOMEM, "out of memory") : 0;
}

int export_speedscope(const struct profile *p, const char *path,
			     const struct export_opts *o, struct pyspy_err *e)
{
	struct export_opts def = { 0 };
	struct ss_ctx c = { .p = p, .o = o ? o : &def };
	size_t nf = profile_nframes(p);
	int rc;

	strbuf_init(&c.sb, 0);
	if ((rc = profile_tree_threads(p, c.o->by, &c.tree)) < 0 ||
	    (rc = prof_tree_sort(p, &c.tree)) < 0 ||
	    !(c.path = malloc((c.tree.max_depth + 1) * sizeof(*c.path))) ||
	    !(c.index = malloc((nf + 1) * sizeof(*c.index)))) {
		rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	memset(c.index, 0xff, (nf + 1) * sizeof(*c.index));
	rc = export_atomic(path, ss_body, &c, e);
out:
	free(c.index);
	free(c.path);
	strbuf_release(&c.sb);
	prof_tree_release(&c.tree);
	return rc;
}

/* ---- Chrome trace events ---- */

struct open_stack {
	uint32_t *keys;
	size_t depth, cap;
	uint64_t last;             /* ts of the thread's last sample, relative */
	bool seen;
};

struct ct_ctx {
	const struct profile *p;
	enum prof_by by;
	struct open_stack *threads;
	uint32_t *buf;
	size_t bufcap;
	uint64_t period, origin;
	char *label;
	size_t labcap;
	pid_t *pid_of;             /* thread index → its process (--subprocesses), else the target's */
};

static long ct_tid(const struct profile *p, uint32_t thread)
{
	const struct prof_thread *t = profile_thread(p, thread);
	return t && t->os_tid ? (long)t->os_tid : (long)thread + 1;
}

static const char *ct_label(struct ct_ctx *c, uint32_t key)
{
	size_t need = profile_label(c->p, key, c->by, c->label, c->labcap) + 1;
	if (need > c->labcap) {
		char *nl = realloc(c->label, need);
		if (!nl)
			return "???";
		c->label = nl;
		c->labcap = need;
		profile_label(c->p, key, c->by, c->label, c->labcap);
	}
	return c->label;
}

static void ct_event(FILE *f, struct ct_ctx *c, char ph, uint32_t thread, uint32_t key, uint64_t ts)
{
	const struct prof_frame *fr = profile_frame(c->p, key);
	fputs(",\n{\"name\":", f);
	export_json_str(f, ct_label(c, key));
	fprintf(f, ",\"cat\":\"python\",\"ph\":\"%c\",\"ts\":%" PRIu64 ",\"pid\":%d,\"tid\":%ld",
		ph, ts, (int)c->pid_of[thread], ct_tid(c->p, thread));
	if (ph == 'B') {
		fputs(",\"args\":{\"function\":", f);
		export_json_str(f, fr->function);
		fputs(",\"file\":", f);
		export_json_str(f, fr->file);
		fprintf(f, ",\"line\":%d}", fr->line);
	}
	putc('}', f);
}

static void ct_close_to(FILE *f, struct ct_ctx *c, uint32_t thread, size_t keep, uint64_t ts)
{
	struct open_stack *o = &c->threads[thread];
	while (o->depth > keep) {
		o->depth--;
		ct_event(f, c, 'E', thread, o->keys[o->depth], ts);
	}
}

/* The stack of an event as granular keys, root first, into c->buf. */
static int ct_keys(struct ct_ctx *c, uint32_t stack, size_t *depth)
{
	*depth = profile_stack_frames(c->p, stack, c->buf, c->bufcap);
	if (*depth > c->bufcap) {
		uint32_t *nb = realloc(c->buf, *depth * sizeof(*nb));
		if (!nb)
			return -PS_ENOMEM;
		c->buf = nb;
		c->bufcap = *depth;
		profile_stack_frames(c->p, stack, c->buf, c->bufcap);
	}
	for (size_t i = 0; i < *depth; i++)
		c->buf[i] = profile_frame_key(c->p, c->by, c->buf[i]);
	return 0;
}

static int ct_sample(FILE *f, struct ct_ctx *c, const struct prof_event *ev)
{
	struct open_stack *o = &c->threads[ev->thread];
	uint64_t ts = ev->ts_us - c->origin;
	size_t depth, k = 0;
	if (ct_keys(c, ev->stack, &depth) < 0)
		return -PS_ENOMEM;
	if (o->seen && ts > o->last + c->period * 5 / 2)
		ct_close_to(f, c, ev->thread, 0, o->last + c->period);
	while (k < o->depth && k < depth && o->keys[k] == c->buf[k])
		k++;
	ct_close_to(f, c, ev->thread, k, ts);
	if (depth > o->cap) {
		uint32_t *nk = realloc(o->keys, depth * sizeof(*nk));
		if (!nk)
			return -PS_ENOMEM;
		o->keys = nk;
		o->cap = depth;
	}
	for (; o->depth < depth; o->depth++) {
		o->keys[o->depth] = c->buf[o->depth];
		ct_event(f, c, 'B', ev->thread, o->keys[o->depth], ts);
	}
	o->last = ts;
	o->seen = true;
	return 0;
}

/*
 * --subprocesses: each thread's process (profile_thread_processes), and one
 * process_name event per other process into f.  0 or -PS_ENOMEM.
 */
static int ct_processes(FILE *f, struct ct_ctx *c)
{
	size_t nt = profile_nthreads(c->p), ndone = 0;
	pid_t root = profile_meta(c->p)->pid, *done = malloc((nt + 1) * sizeof(*done));
	const char **cmd = calloc(nt + 1, sizeof(*cmd));
	int rc = -PS_ENOMEM;
	if (done && cmd && (rc = profile_thread_processes(c->p, c->pid_of, cmd)) == 0)
		for (size_t t = 0; t < nt; t++) {
			size_t k = 0;
			while (k < ndone && done[k] != c->pid_of[t])
				k++;
			if (k < ndone || c->pid_of[t] == root || !cmd[t])
				continue;
			done[ndone++] = c->pid_of[t];
			fprintf(f, ",\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":",
				(int)c->pid_of[t]);
			export_json_str(f, cmd[t]);
			fputs("}}", f);
		}
	free(done);
	free(cmd);
	return rc;
}

static void ct_metadata(FILE *f, struct ct_ctx *c)
{
	const struct profile_meta *m = profile_meta(c->p);
	fprintf(f, "[\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":",
		(int)m->pid);
	export_json_str(f, m->command[0] ? m->command : "python");
	fputs("}}", f);
	if (m->processes)
		ct_processes(f, c);   /* out of memory: every thread keeps the target's pid */
	for (uint32_t t = 0; t < profile_nthreads(c->p); t++) {
		char label[512];
		profile_thread_label(c->p, t, label, sizeof(label));
		fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%ld,\"args\":{\"name\":",
			(int)c->pid_of[t], ct_tid(c->p, t));
		export_json_str(f, label);
		fputs("}}", f);
	}
}

static int ct_body(FILE *f, void *ctx, struct pyspy_err *e)
{
	struct ct_ctx *c = ctx;
	struct prof_tl_iter it;
	struct prof_event ev;
	bool first = true;

	ct_metadata(f, c);
	prof_tl_init(&it, c->p);
	while (prof_tl_next(&it, &ev)) {
		if (first)
			c->origin = ev.ts_us;
		first = false;
		if (ct_sample(f, c, &ev) < 0)
			return err_set(e, PS_ENOMEM, "out of memory");
	}
	for (uint32_t t = 0; t < profile_nthreads(c->p); t++)
		ct_close_to(f, c, t, 0, c->threads[t].last + c->period);
	fputs("\n]\n", f);
	return 0;
}

int export_chrome(const struct profile *p, const char *path, const struct export_opts *o,
			 struct pyspy_err *e)
{
	double rate = profile_meta(p)->rate_hz;
	struct ct_ctx c = { .p = p, .by = o ? o->by : PROF_BY_FUNCTION };
	size_t nt = profile_nthreads(p);
	int rc;

	c.period = rate > 0 && rate <= 1e6 ? (uint64_t)(1e6 / rate + 0.5) : 10000;
	/* a long run's timeline holds one tick in `stride`: each event stands for that many */
	struct profile_stats st;
	profile_stats(p, &st);
	c.period *= st.timeline_stride;
	if (!(c.threads = calloc(nt + 1, sizeof(*c.threads))) || !(c.pid_of = calloc(nt + 1, sizeof(*c.pid_of)))) {
		rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	for (size_t i = 0; i < nt; i++)
		c.pid_of[i] = profile_meta(p)->pid;
	rc = export_atomic(path, ct_body, &c, e);
out:
	for (size_t i = 0; c.threads && i < nt; i++)
		free(c.threads[i].keys);
	free(c.threads);
	free(c.pid_of);
	free(c.buf);
	free(c.label);
	return rc;
}
