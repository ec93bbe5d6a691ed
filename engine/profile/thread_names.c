/*
 * thread_names.c — see thread_names.h.  Open addressing on the (thread id,
 * kernel tid, interpreter) key, rebuilt when it fills or when most of it is
 * threads that are gone.
 */
#include "thread_names.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a thread not looked up for this many rounds is forgotten */
#define FORGET_ROUNDS 64

struct tname {
	bool used;
	uint64_t thread_id;
	pid_t os_tid;
	raddr_t interp;
	char *name;                /* NULL: not known yet */
	uint64_t retry_ns;         /* when to ask again, if name is NULL */
	uint64_t wait_ns;          /* how long it waited last: doubled each miss */
	uint64_t seen;             /* the round it was last looked up */
};

static size_t slot_of(uint64_t thread_id, pid_t os_tid, raddr_t interp, size_t cap)
{
	uint64_t h = (thread_id ^ ((uint64_t)(uint32_t)os_tid << 32) ^ interp) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 17) & (cap - 1);
}

static struct tname *find(struct thread_names *c, const struct py_thread *th, bool *found)
{
	size_t j = slot_of(th->thread_id, th->os_tid, th->interp, c->cap);
	for (; c->v[j].used; j = (j + 1) & (c->cap - 1))
		if (c->v[j].thread_id == th->thread_id && c->v[j].os_tid == th->os_tid && c->v[j].interp == th->interp) {
			*found = true;
			return &c->v[j];
		}
	*found = false;
	return &c->v[j];
}

static bool stale(const struct thread_names *c, const struct tname *e)
{
	return e->seen + FORGET_ROUNDS < c->round;
}

/* Rebuild with room for `want` entries, keeping those seen recently (room is
 * made for all of them: a table filled to the last slot would make find()
 * probe forever). */
static int rebuild(struct thread_names *c, size_t want)
{
	size_t cap = 16, keep = 0;
	for (size_t i = 0; i < c->cap; i++)
		keep += c->v[i].used && !stale(c, &c->v[i]);
	if (want < keep + 1)
		want = keep + 1;
	while (cap < want * 2)
		cap *= 2;
	struct tname *old = c->v, *nv = calloc(cap, sizeof(*nv));
	size_t oldcap = c->cap;
	if (!nv)
		return -1;
	c->v = nv;
	c->cap = cap;
	c->n = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].used)
			continue;
		if (stale(c, &old[i])) {
			free(old[i].name);
			continue;
		}
		struct py_thread key = { .thread_id = old[i].thread_id, .os_tid = old[i].os_tid, .interp = old[i].interp };
		bool found;
		*find(c, &key, &found) = old[i];
		c->n++;
	}
	free(old);
	return 0;
}

struct rname {
	uint64_t thread_id;
	char *name;
};

static void round_clear(struct thread_names *c)
{
	for (size_t i = 0; i < c->rn; i++)
		free(c->rv[i].name);
	c->rn = 0;
	c->rall = false;
	c->rlookups = 0;
}

static void round_add(void *arg, uint64_t thread_id, const char *name)
{
	struct thread_names *c = arg;
	if (c->rn == c->rcap) {
		size_t ncap = c->rcap ? c->rcap * 2 : 64;
		struct rname *nv = realloc(c->rv, ncap * sizeof(*nv));
		if (!nv)
			return;
		c->rv = nv;
		c->rcap = ncap;
	}
	char *copy = strdup(name);
	if (copy)
		c->rv[c->rn++] = (struct rname){ thread_id, copy };
}

/* th's name as threading has it now, into buf; false if it has none */
static bool look_up(struct thread_names *c, struct target *t, const struct py_thread *th, char *buf, size_t len)
{
	if (c->rround != c->round || c->rinterp != th->interp) {
		round_clear(c);
		c->rround = c->round;
		c->rinterp = th->interp;
		c->ractive = threads_active_dict(t, th->interp);
	}
	if (!c->ractive)
		return false;
	if (!c->rall && ++c->rlookups >= 2) {
		threads_names_in(t, c->ractive, round_add, c);
		c->rall = true;
	}
	if (!c->rall)
		return threads_name_in(t, c->ractive, th->thread_id, buf, len) == 0 && buf[0];
	for (size_t i = 0; i < c->rn; i++)
		if (c->rv[i].thread_id == th->thread_id) {
			snprintf(buf, len, "%s", c->rv[i].name);
			return buf[0] != 0;
		}
	return false;
}

const char *thread_names_get(struct thread_names *c, struct target *t, const struct py_thread *th, uint64_t now_ns)
{
	bool found = false;
	if ((c->n + 1) * 2 > c->cap && rebuild(c, c->n + 1) < 0)
		return NULL;
	struct tname *e = find(c, th, &found);
	if (!found) {
		*e = (struct tname){ .used = true, .thread_id = th->thread_id, .os_tid = th->os_tid, .interp = th->interp };
		c->n++;
	}
	e->seen = c->round;
	if (e->name || (found && now_ns < e->retry_ns))
		return e->name;
	char buf[256];
	if (look_up(c, t, th, buf, sizeof(buf)))
		e->name = strdup(buf);
	else {
		e->wait_ns = !e->wait_ns ? THREAD_NAMES_RETRY_NS
			   : e->wait_ns >= THREAD_NAMES_RETRY_MAX_NS / 2 ? THREAD_NAMES_RETRY_MAX_NS : e->wait_ns * 2;
		e->retry_ns = now_ns + e->wait_ns;
	}
	return e->name;
}

void thread_names_round(struct thread_names *c, size_t alive)
{
	c->round++;
	/* mostly threads that are gone: start afresh from the recent ones (at
	 * most every FORGET_ROUNDS rounds, so heavy churn does not rebuild often) */
	if (c->n > 2 * alive + 64 && c->round % FORGET_ROUNDS == 0)
		rebuild(c, alive + 1);
}

void thread_names_release(struct thread_names *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free(c->v[i].name);
	round_clear(c);
	free(c->rv);
	free(c->v);
	memset(c, 0, sizeof(*c));
}
