/*
 * export_gecko.c — the Firefox Profiler's Gecko profile format
 * (https://profiler.firefox.com, "Load a profile from file").
 *
 * The format is the one Firefox's own profiler writes (documented in the
 * profiler's docs-developer/gecko-profile-format.md, with the later
 * versions' columns from its CHANGELOG-formats.md): a "meta" object
 * (interval and startTime in ms, the format version, the categories), and
 * one object per thread holding tables written as {schema, data} pairs:
 * samples (stack index, time in ms since meta.startTime, event delay),
 * stackTable (prefix stack or null, frame), frameTable (location string,
 * line, category...), and the thread's own stringTable.  The profiler turns
 * each distinct location string into a function, so a frame's location is
 * the function's label ("qualname (file)") and the line goes in the frame's
 * line column: the call tree groups by function and still knows the lines.
 *
 * Samples are the profile's timeline, in time order, one per sample taken.
 * The format has no weight column (each sample counts one), so a cpu-mode
 * profile's µs of CPU do not travel: its samples are the ones taken while the
 * thread was using a CPU, and their shares are what the file shows.  When
 * the timeline does not hold every sample (its cap, or a merged profile),
 * each (thread, stack) is written as many times as it was counted, spread
 * over the run at the sampling interval.
 */
#include "export_impl.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine/profile/pair_index.h"

#define GECKO_VERSION 27

struct gk_stack {
	uint32_t prefix, frame;    /* prefix PROF_NONE: a root; the stacks' pair_index key */
};

_Static_assert(offsetof(struct gk_stack, frame) == sizeof(uint32_t), "gk_stack's key is not first");

struct gk_ctx {
	const struct profile *p;
	uint32_t thread;           /* the thread being written */
	/* per-thread tables, rebuilt for each thread; *_gen says which thread filled a slot */
	uint32_t *frame_idx, *frame_gen;   /* frame id → frameTable index */
	uint32_t *str_idx, *str_gen;       /* function key → stringTable index */
	uint32_t *node_idx, *node_gen;     /* trie node → stackTable index */
	uint32_t *frames;          /* frameTable: frame ids */
	size_t nframes_out;
	uint32_t *strs;            /* stringTable: function keys */
	size_t nstrs;
	struct gk_stack *stacks;
	size_t nstacks, stacks_cap;
	struct pair_index index;   /* (prefix, frame) → stack */
	uint32_t *buf;             /* a stack's frame ids */
	size_t bufcap;
	double interval_ms;
	bool use_timeline;
	char *label;
	size_t labcap;
	pid_t *pid_of;             /* thread → its process (--subprocesses), else the target's */
	const char **command_of;   /* and that process's command line */
};

/* The frameTable index of frame id `id` in this thread, made if new. */
static uint32_t gk_frame(struct gk_ctx *c, uint32_t id)
{
	uint32_t gen = c->thread + 1;
	if (c->frame_gen[id] == gen)
		return c->frame_idx[id];
	uint32_t key = profile_frame_key(c->p, PROF_BY_FUNCTION, id);
	if (c->str_gen[key] != gen) {
		c->str_gen[key] = gen;
		c->str_idx[key] = (uint32_t)c->nstrs;
		c->strs[c->nstrs++] = key;
	}
	c->frame_gen[id] = gen;
	c->frame_idx[id] = (uint32_t)c->nframes_out;
	c->frames[c->nframes_out++] = id;
	return c->frame_idx[id];
}

/* The stackTable index of a trie node in this thread, made (with its prefixes) if new. */
static int gk_stack(struct gk_ctx *c, uint32_t node, uint32_t *out)
{
	uint32_t gen = c->thread + 1, prefix = PROF_NONE;
	if (c->node_gen[node] == gen) {
		*out = c->node_idx[node];
		return 0;
	}
	size_t depth = profile_stack_frames(c->p, node, c->buf, c->bufcap);
	if (depth > c->bufcap) {
		uint32_t *nb = realloc(c->buf, depth * sizeof(*nb));
		if (!nb)
			return -PS_ENOMEM;
		c->buf = nb;
		c->bufcap = depth;
		profile_stack_frames(c->p, node, c->buf, c->bufcap);
	}
	for (size_t i = 0; i < depth; i++) {
		uint32_t frame = gk_frame(c, c->buf[i]);
		uint32_t s = pair_index_find(&c->index, c->stacks, sizeof(*c->stacks), prefix, frame);
		if (s == PROF_NONE) {
			if (c->nstacks == c->stacks_cap) {
				size_t cap = c->stacks_cap ? c->stacks_cap * 2 : 256;
				struct gk_stack *ns = realloc(c->stacks, cap * sizeof(*ns));
				if (!ns)
					return -PS_ENOMEM;
				c->stacks = ns;
				c->stacks_cap = cap;
			}
			s = (uint32_t)c->nstacks;
			c->stacks[s] = (struct gk_stack){ prefix, frame };
			if (pair_index_put(&c->index, c->stacks, sizeof(*c->stacks), s) < 0)
				return -PS_ENOMEM;
			c->nstacks++;
		}
		prefix = s;
	}
	c->node_gen[node] = gen;
	c->node_idx[node] = prefix;
	*out = prefix;
	return 0;
}

static int gk_sample(FILE *f, struct gk_ctx *c, uint32_t node, double ms, bool *first)
{
	uint32_t s;
	if (gk_stack(c, node, &s) < 0)
		return -PS_ENOMEM;
	if (s == PROF_NONE)
		return 0;  /* an empty stack: nothing to show */
	fprintf(f, "%s[%" PRIu32 ",%.3f,0]", *first ? "" : ",\n", s, ms);
	*first = false;
	return 0;
}

/* The thread's samples: from the timeline, or each stack `count` times. */
static int gk_samples(FILE *f, struct gk_ctx *c)
{
	bool first = true;
	if (c->use_timeline) {
		struct prof_tl_iter it;
		struct prof_event ev;
		prof_tl_init(&it, c->p);
		while (prof_tl_next(&it, &ev))
			if (ev.thread == c->thread && gk_sample(f, c, ev.stack, (double)ev.ts_us / 1000.0, &first) < 0)
				return -PS_ENOMEM;
		return 0;
	}
	struct prof_iter it;
	struct prof_stack st;
	uint64_t k = 0;
	int rc;
	prof_iter_init(&it, c->p);
	while ((rc = prof_iter_next(&it, &st)) > 0) {
		if (st.thread != c->thread)
			continue;
		for (uint64_t i = 0; i < st.count && rc > 0; i++, k++)
			if (gk_sample(f, c, st.stack, (double)k * c->interval_ms, &first) < 0)
				rc = -PS_ENOMEM;
	}
	prof_iter_release(&it);
	return rc;
}

static const char *gk_label(struct gk_ctx *c, uint32_t key)
{
	size_t need = profile_label(c->p, key, PROF_BY_FUNCTION, c->label, c->labcap) + 1;
	if (need > c->labcap) {
		char *nl = realloc(c->label, need);
		if (!nl)
			return "???";
		c->label = nl;
		c->labcap = need;
		profile_label(c->p, key, PROF_BY_FUNCTION, c->label, c->labcap);
	}
	return c->label;
}

static void gk_tables(FILE *f, struct gk_ctx *c)
{
	fputs("\"stackTable\":{\"schema\":{\"prefix\":0,\"frame\":1},\"data\":[", f);
	for (size_t i = 0; i < c->nstacks; i++) {
		if (c->stacks[i].prefix == PROF_NONE)
			fprintf(f, "%s[null,%" PRIu32 "]", i ? ",\n" : "", c->stacks[i].frame);
		else
			fprintf(f, "%s[%" PRIu32 ",%" PRIu32 "]", i ? ",\n" : "", c->stacks[i].prefix, c->stacks[i].frame);
	}
	fputs("]},\n\"frameTable\":{\"schema\":{\"location\":0,\"relevantForJS\":1,\"innerWindowID\":2,"
	      "\"implementation\":3,\"line\":4,\"column\":5,\"category\":6,\"subcategory\":7},\"data\":[", f);
	for (size_t i = 0; i < c->nframes_out; i++) {
		const struct prof_frame *fr = profile_frame(c->p, c->frames[i]);
		uint32_t key = profile_frame_key(c->p, PROF_BY_FUNCTION, c->frames[i]);
		fprintf(f, "%s[%" PRIu32 ",false,0,null,", i ? ",\n" : "", c->str_idx[key]);
		if (fr->line > 0)
			fprintf(f, "%d", fr->line);
		else
			fputs("null", f);
		fputs(",null,0,0]", f);
	}
	fputs("]},\n\"stringTable\":[", f);
	for (size_t i = 0; i < c->nstrs; i++) {
		fputs(i ? ",\n" : "", f);
		export_json_str(f, gk_label(c, c->strs[i]));
	}
	fputs("]}", f);
}

static int gk_thread(FILE *f, struct gk_ctx *c, uint32_t t)
{
	const struct profile_meta *m = profile_meta(c->p);
	const struct prof_thread *th = profile_thread(c->p, t);
	char label[512];
	c->thread = t;
	c->nframes_out = c->nstrs = c->nstacks = 0;
	pair_index_clear(&c->index);
	profile_thread_label(c->p, t, label, sizeof(label));
	fputs("{\"name\":", f);
	export_json_str(f, label);
	fputs(",\"processType\":\"default\",\"processName\":", f);
	export_json_str(f, c->command_of[t] ? c->command_of[t] : m->command[0] ? m->command : "python");
	fprintf(f, ",\"pid\":%d,\"tid\":%ld,\"registerTime\":0,\"unregisterTime\":null,\n",
		(int)c->pid_of[t], th->os_tid ? (long)th->os_tid : (long)t + 1);
	fputs("\"markers\":{\"schema\":{\"name\":0,\"startTime\":1,\"endTime\":2,\"phase\":3,\"category\":4,"
	      "\"data\":5},\"data\":[]},\n\"samples\":{\"schema\":{\"stack\":0,\"time\":1,\"eventDelay\":2},\"data\":[\n", f);
	if (gk_samples(f, c) < 0)
		return -PS_ENOMEM;
	fputs("]},\n", f);
	gk_tables(f, c);
	return 0;
}

static void gk_meta(FILE *f, struct gk_ctx *c)
{
	const struct profile_meta *m = profile_meta(c->p);
	char product[1200];
	snprintf(product, sizeof(product), "pyspy-sh: Python %s, pid %d%s%s", m->python[0] ? m->python : "?",
		 (int)m->pid, m->command[0] ? ": " : "", m->command);
	fprintf(f, "{\"meta\":{\"version\":%d,\"interval\":%.6f,\"startTime\":%.3f,\"shutdownTime\":null,"
		"\"processType\":0,\"stackwalk\":0,\"debug\":0,\"gcpoison\":0,\"asyncstack\":0,"
		"\"platform\":\"Linux\",\"oscpu\":\"\",\"misc\":\"\",\"abi\":\"\",\"toolkit\":\"\",\"product\":",
		GECKO_VERSION, c->interval_ms, (double)m->start_us / 1000.0);
	export_json_str(f, product);
	fputs(",\"categories\":[{\"name\":\"Python\",\"color\":\"yellow\",\"subcategories\":[\"Other\"]},"
	      "{\"name\":\"Other\",\"color\":\"grey\",\"subcategories\":[\"Other\"]}],"
	      "\"markerSchema\":[],\"sampleUnits\":{\"time\":\"ms\",\"eventDelay\":\"ms\"},\n\"pyspy\":{\"mode\":", f);
	export_json_str(f, m->mode);
	fprintf(f, ",\"unit\":\"%s\",\"samples\":%" PRIu64 ",\"weight\":%" PRIu64 ",\"rate_hz\":%.3f}},\n",
		profile_unit_name(m->unit), profile_samples(c->p), profile_weight(c->p), m->rate_hz);
	fputs("\"libs\":[],\"pages\":[],\"pausedRanges\":[],\"processes\":[],\n\"threads\":[\n", f);
}

static int gk_body(FILE *f, void *ctx, struct pyspy_err *e)
{
	struct gk_ctx *c = ctx;
	gk_meta(f, c);
	for (uint32_t t = 0; t < profile_nthreads(c->p); t++) {
		if (t)
			fputs(",\n", f);
		if (gk_thread(f, c, t) < 0)
			return err_set(e, PS_ENOMEM, "out of memory");
	}
	fputs("]}\n", f);
	return 0;
}

static double gk_interval_ms(const struct profile *p)
{
	const struct profile_meta *m = profile_meta(p);
	if (m->ticks && m->duration_us)
		return (double)m->duration_us / 1000.0 / (double)m->ticks;
	return m->rate_hz > 0 ? 1000.0 / m->rate_hz : 10.0;
}

int export_gecko(const struct profile *p, const char *path, const struct export_opts *o,
		 struct pyspy_err *e)
{
	struct gk_ctx c = { .p = p, .interval_ms = gk_interval_ms(p) };
	struct profile_stats st;
	size_t nf = profile_nframes(p) + 1, nn, nt = profile_nthreads(p) + 1;
	int rc;

	(void)o;
	profile_stats(p, &st);
	nn = st.nodes + 1;
	c.use_timeline = st.timeline > 0 && st.timeline == st.samples && !st.timeline_dropped;
	if (!(c.frame_idx = calloc(nf, sizeof(uint32_t))) || !(c.frame_gen = calloc(nf, sizeof(uint32_t))) ||
	    !(c.str_idx = calloc(nf, sizeof(uint32_t))) || !(c.str_gen = calloc(nf, sizeof(uint32_t))) ||
	    !(c.node_idx = calloc(nn, sizeof(uint32_t))) || !(c.node_gen = calloc(nn, sizeof(uint32_t))) ||
	    !(c.frames = calloc(nf, sizeof(uint32_t))) || !(c.strs = calloc(nf, sizeof(uint32_t))) ||
	    !(c.pid_of = calloc(nt, sizeof(*c.pid_of))) || !(c.command_of = calloc(nt, sizeof(*c.command_of)))) {
		rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	/* each thread under its own process (--subprocesses), else the target's */
	for (size_t t = 0; t < nt; t++)
		c.pid_of[t] = profile_meta(p)->pid;
	if (profile_meta(p)->processes && profile_thread_processes(p, c.pid_of, c.command_of) < 0) {
		rc = err_set(e, PS_ENOMEM, "cannot write '%s': out of memory", path);
		goto out;
	}
	rc = export_atomic(path, gk_body, &c, e);
out:
	free(c.frame_idx);
	free(c.frame_gen);
	free(c.str_idx);
	free(c.str_gen);
	free(c.node_idx);
	free(c.node_gen);
	free(c.frames);
	free(c.strs);
	free(c.stacks);
	pair_index_release(&c.index);
	free(c.buf);
	free(c.label);
	free(c.pid_of);
	free(c.command_of);
	return rc;
}
