/*
 * proc_group.c — finding the Python processes under a target while sampling.
 *
 * Before a tick (at most every min_scan_ns) the tree under the root is read
 * again (proctree.c).  A process not seen before is attached; one that is not
 * Python (a shell between the parent and its children, a helper program) or
 * not Python yet (a spawned interpreter still starting: its runtime is not
 * there) is tried again after 20 ms, then twice as long each time up to a
 * second, and at once when its program image changes (an exec).  Processes
 * walked through are never sampled; their children are.  Every target stays
 * attached until the group is freed, after the profile has been fed: the
 * profile finds frames by their string pointers, which a detached target's
 * string table would free.
 */
#include "proc_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/os/clock.h"
#include "engine/os/procfs.h"
#include "engine/os/proctree.h"

#define RETRY_FIRST_NS 20000000ull
#define RETRY_MAX_NS 1000000000ull

struct pg_seen {
	pid_t pid;
	bool attached;
	uint64_t image;            /* procfs_image_id at the last try */
	uint64_t retry_at, backoff;
};

struct pg_member {
	struct target *t;
	bool owned;                /* attached here (not the root) */
	struct py_frame root;
	char qualname[32];
	char command[160];
};

struct proc_group {
	struct target *root;
	uint64_t min_scan_ns, next_scan;
	struct pg_member **m;      /* each allocated once: the profile keeps pointers to their strings */
	struct target **tv;        /* what the sampler reads: m[i].t */
	size_t n, cap;
	struct pg_seen *seen;
	size_t nseen, seencap;
};

static int add_member(struct proc_group *pg, struct target *t, bool owned)
{
	if (pg->n == pg->cap) {
		size_t ncap = pg->cap ? pg->cap * 2 : 8;
		struct pg_member **nm = realloc(pg->m, ncap * sizeof(*nm));
		if (!nm)
			return -1;
		pg->m = nm;
		struct target **nt = realloc(pg->tv, ncap * sizeof(*nt));
		if (!nt)
			return -1;
		pg->tv = nt;
		pg->cap = ncap;
	}
	struct pg_member *mb = calloc(1, sizeof(*mb));
	if (!mb)
		return -1;
	pg->m[pg->n] = mb;
	mb->t = t;
	mb->owned = owned;
	snprintf(mb->qualname, sizeof(mb->qualname), "process %d", (int)t->pid);
	proctree_cmdline(t->pid, mb->command, sizeof(mb->command));
	if (!mb->command[0])
		snprintf(mb->command, sizeof(mb->command), "%s", t->comm);
	/* folded files separate frames with ';' and end with a count */
	for (char *c = mb->command; *c; c++)
		if (*c == ';' || (unsigned char)*c < 0x20)
			*c = ' ';
	mb->root.function = "<process>";
	mb->root.qualname = mb->qualname;
	mb->root.file = mb->command;
	mb->root.line = -1;
	pg->tv[pg->n++] = t;
	return 0;
}

struct proc_group *proc_group_new(struct target *root, uint64_t min_scan_ns)
{
	struct proc_group *pg = calloc(1, sizeof(*pg));
	if (!pg)
		return NULL;
	pg->root = root;
	pg->min_scan_ns = min_scan_ns;
	if (add_member(pg, root, false) < 0) {
		proc_group_free(pg);
		return NULL;
	}
	return pg;
}

void proc_group_free(struct proc_group *pg)
{
	if (!pg)
		return;
	for (size_t i = 0; i < pg->n; i++) {
		if (pg->m[i]->owned) {
			target_detach(pg->m[i]->t);
			free(pg->m[i]->t);
		}
		free(pg->m[i]);
	}
	free(pg->m);
	free(pg->tv);
	free(pg->seen);
	free(pg);
}

static struct pg_seen *seen_get(struct proc_group *pg, pid_t pid, uint64_t now)
{
	for (size_t i = 0; i < pg->nseen; i++)
		if (pg->seen[i].pid == pid)
			return &pg->seen[i];
	if (pg->nseen == pg->seencap) {
		size_t ncap = pg->seencap ? pg->seencap * 2 : 16;
		struct pg_seen *ns = realloc(pg->seen, ncap * sizeof(*ns));
		if (!ns)
			return NULL;
		pg->seen = ns;
		pg->seencap = ncap;
	}
	struct pg_seen *s = &pg->seen[pg->nseen++];
	*s = (struct pg_seen){ pid, false, 0, now, 0 };
	return s;
}

/* Try to attach s's process; on failure schedule the next try. */
static void try_attach(struct proc_group *pg, struct pg_seen *s, uint64_t now)
{
	uint64_t image = procfs_image_id(s->pid);
	if (image != s->image) {
		s->image = image;
		s->backoff = 0;
	} else if (now < s->retry_at) {
		return;
	}
	struct target *t = calloc(1, sizeof(*t));
	struct pyspy_err e = { 0 };
	struct attach_opts opts = { .locate = LOCATE_ANY };
	if (t && target_attach(t, s->pid, &opts, &e) == 0) {
		if (add_member(pg, t, true) == 0) {
			s->attached = true;
			return;
		}
		target_detach(t);
	}
	free(t);
	s->backoff = s->backoff ? s->backoff * 2 : RETRY_FIRST_NS;
	if (s->backoff > RETRY_MAX_NS)
		s->backoff = RETRY_MAX_NS;
	s->retry_at = now + s->backoff;
}

static void refresh(void *ctx, struct sampler_group *g, uint64_t now)
{
	struct proc_group *pg = ctx;
	struct proc_entry *v;
	size_t n;
	struct pyspy_err e;
	if (now < pg->next_scan)
		return;
	pg->next_scan = now + pg->min_scan_ns;
	if (proctree_list(pg->root->pid, &v, &n, &e) < 0)
		return;
	for (size_t i = 1; i < n; i++) {
		struct pg_seen *s = seen_get(pg, v[i].pid, now);
		if (s && !s->attached)
			try_attach(pg, s, now);
	}
	free(v);
	g->t = pg->tv;
	g->n = pg->n;
}

void proc_group_scan(struct proc_group *pg)
{
	struct sampler_group g = { 0 };
	refresh(pg, &g, clock_now_ns());
}

void proc_group_bind(struct proc_group *pg, struct sampler_group *g)
{
	g->t = pg->tv;
	g->n = pg->n;
	g->refresh = refresh;
	g->ctx = pg;
}

const struct py_frame *proc_group_frame(struct proc_group *pg, const struct target *t)
{
	for (size_t i = 0; i < pg->n; i++)
		if (pg->m[i]->t == t)
			return &pg->m[i]->root;
	return NULL;
}

size_t proc_group_count(const struct proc_group *pg)
{
	return pg->n;
}
