/*
 * export_load.c — a saved profile read back: folded stacks or pstats.
 *
 * A diff flame graph compares the profile at hand with one saved earlier,
 * and a script may want to look at an old profile (pyspy.load), so the two
 * formats that carry a whole profile's numbers are read back into a profile
 * store.  Folded stacks come back whole: each line is a stack, root first,
 * of labels "qualname (file:line)" or "qualname (file)", and its count.
 * The file has no header, so its unit is unknown: the counts come back as
 * samples.
 *
 * pstats holds functions and caller edges, not stacks.  Each function with
 * own time becomes one stack that weighs its own time (in µs), under its
 * heaviest caller, that caller's heaviest caller and so on up to a root (a
 * function seen twice ends the chain).  Own shares come back exactly;
 * cumulative ones follow the heaviest path only.  The reader is a small
 * marshal decoder that takes what Python 2.7 to 3.15 write for pstats
 * (cProfile's files as well as ours): ints, longs, floats, the string kinds,
 * tuples, lists, dicts, and references (FLAG_REF, 'r', 2.7's 'R').
 * Remote or not, a file is untrusted: every read is bounded by its length and
 * nesting is limited.
 */
#include "export_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine/strtab.h"

#define MAX_DEPTH 64
#define MAX_STACK 256

/* ---- marshal ---- */

enum mkind { M_NONE, M_INT, M_FLOAT, M_STR, M_SEQ, M_DICT };

struct mval {
	enum mkind kind;
	int64_t i;
	double d;
	const char *s;             /* M_STR: interned, NUL-terminated */
	struct mval **items;       /* M_SEQ: n items; M_DICT: n keys and values, alternating */
	size_t n;
};

struct mreader {
	const unsigned char *buf;
	size_t len, pos;
	struct mval **all;         /* every value made, to free */
	size_t nall, capall;
	struct mval **refs;        /* FLAG_REF table */
	size_t nrefs, caprefs;
	struct mval **interned;    /* 2.7's 't' strings, for 'R' */
	size_t nint, capint;
	struct strtab *strs;
	const char *err;
};

static int push(struct mval ***arr, size_t *n, size_t *cap, struct mval *v)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		struct mval **na = realloc(*arr, c * sizeof(*na));
		if (!na)
			return -1;
		*arr = na;
		*cap = c;
	}
	(*arr)[(*n)++] = v;
	return 0;
}

static struct mval *mnew(struct mreader *r, enum mkind k)
{
	struct mval *v = calloc(1, sizeof(*v));
	if (!v || push(&r->all, &r->nall, &r->capall, v) < 0) {
		free(v);
		r->err = "out of memory";
		return NULL;
	}
	v->kind = k;
	return v;
}

static bool need(struct mreader *r, size_t n)
{
	if (r->len - r->pos < n) {
		r->err = "the file ends inside a value";
		return false;
	}
	return true;
}

static int64_t rd_i32(struct mreader *r)
{
	const unsigned char *b = r->buf + r->pos;
	r->pos += 4;
	return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
}

static struct mval *mread(struct mreader *r, int depth);

static struct mval *rd_str(struct mreader *r, struct mval *v, size_t n, bool py2_interned)
{
	if (!need(r, n))
		return NULL;
	v->kind = M_STR;
	v->s = strtab_intern(r->strs, (const char *)r->buf + r->pos, n);
	r->pos += n;
	if (!v->s || (py2_interned && push(&r->interned, &r->nint, &r->capint, v) < 0)) {
		r->err = "out of memory";
		return NULL;
	}
	return v;
}

static struct mval *rd_seq(struct mreader *r, struct mval *v, int64_t n, int depth)
{
	if (n < 0 || (size_t)n > r->len - r->pos) {
		r->err = "a container's length is wrong";
		return NULL;
	}
	v->kind = M_SEQ;
	if (n && !(v->items = calloc((size_t)n, sizeof(*v->items)))) {
		r->err = "out of memory";
		return NULL;
	}
	for (v->n = 0; v->n < (size_t)n; v->n++)
		if (!(v->items[v->n] = mread(r, depth + 1)))
			return NULL;
	return v;
}

static struct mval *rd_dict(struct mreader *r, struct mval *v, int depth)
{
	size_t cap = 0;
	v->kind = M_DICT;
	for (;;) {
		if (!need(r, 1))
			return NULL;
		if (r->buf[r->pos] == '0') {
			r->pos++;
			return v;
		}
		struct mval *k = mread(r, depth + 1), *val = k ? mread(r, depth + 1) : NULL;
		if (!val || push(&v->items, &v->n, &cap, k) < 0 || push(&v->items, &v->n, &cap, val) < 0) {
			if (!r->err)
				r->err = "out of memory";
			return NULL;
		}
	}
}

static struct mval *rd_long(struct mreader *r, struct mval *v)
{
	int64_t n = rd_i32(r), an = n < 0 ? -n : n;
	double d = 0, scale = 1;
	if (!need(r, (size_t)an * 2))
		return NULL;
	for (int64_t k = 0; k < an; k++, r->pos += 2, scale *= 32768.0)
		d += scale * (double)(r->buf[r->pos] | r->buf[r->pos + 1] << 8);
	v->kind = M_INT;
	v->i = d > 9e18 ? INT64_MAX : (int64_t)d;
	v->d = n < 0 ? -d : d;
	if (n < 0)
		v->i = -v->i;
	return v;
}

static struct mval *rd_float_text(struct mreader *r, struct mval *v)
{
	char tmp[64];
	if (!need(r, 1))
		return NULL;
	size_t n = r->buf[r->pos++];
	if (!need(r, n) || n >= sizeof(tmp))
		return r->err ? NULL : (r->err = "a float is too long", NULL);
	memcpy(tmp, r->buf + r->pos, n);
	tmp[n] = 0;
	r->pos += n;
	v->kind = M_FLOAT;
	v->d = strtod(tmp, NULL);
	return v;
}

static struct mval *mread(struct mreader *r, int depth)
{
	if (depth > MAX_DEPTH) {
		r->err = "values nest too deep";
		return NULL;
	}
	if (!need(r, 1))
		return NULL;
	unsigned char code = r->buf[r->pos++];
	bool ref = code & 0x80;
	code &= 0x7f;
	if (code == 'r' || code == 'R') {
		if (!need(r, 4))
			return NULL;
		int64_t k = rd_i32(r);
		struct mval **tab = code == 'r' ? r->refs : r->interned;
		size_t n = code == 'r' ? r->nrefs : r->nint;
		if (k < 0 || (size_t)k >= n || !tab[k]) {
			r->err = "a reference to nothing";
			return NULL;
		}
		return tab[k];
	}
	struct mval *v = mnew(r, M_NONE);
	if (!v || (ref && push(&r->refs, &r->nrefs, &r->caprefs, v) < 0))
		return r->err ? NULL : (r->err = "out of memory", NULL);
	switch (code) {
	case 'N': case 'F': case 'T': case 'S': case '.':
		return v;
	case 'i':
		if (!need(r, 4))
			return NULL;
		v->kind = M_INT;
		v->i = rd_i32(r);
		v->d = (double)v->i;
		return v;
	case 'I':
		if (!need(r, 8))
			return NULL;
		v->kind = M_INT;
		v->i = (int64_t)((uint64_t)(uint32_t)rd_i32(r) | (uint64_t)(uint32_t)rd_i32(r) << 32);
		v->d = (double)v->i;
		return v;
	case 'l':
		return need(r, 4) ? rd_long(r, v) : NULL;
	case 'g': {
		if (!need(r, 8))
			return NULL;
		uint64_t bits = (uint64_t)(uint32_t)rd_i32(r);
		bits |= (uint64_t)(uint32_t)rd_i32(r) << 32;
		v->kind = M_FLOAT;
		memcpy(&v->d, &bits, sizeof(v->d));
		return v;
	}
	case 'f':
		return rd_float_text(r, v);
	case 's': case 't': case 'u': case 'a': case 'A':
		return need(r, 4) ? rd_str(r, v, (size_t)(uint32_t)rd_i32(r), code == 't') : NULL;
	case 'z': case 'Z':
		return need(r, 1) ? rd_str(r, v, r->buf[r->pos++], false) : NULL;
	case '(': case '[': case '<': case '>':
		return need(r, 4) ? rd_seq(r, v, rd_i32(r), depth) : NULL;
	case ')':
		return need(r, 1) ? rd_seq(r, v, r->buf[r->pos++], depth) : NULL;
	case '{':
		return rd_dict(r, v, depth);
	default:
		r->err = "a value of a kind pstats files do not hold";
		return NULL;
	}
}

static void mreader_release(struct mreader *r)
{
	for (size_t i = 0; i < r->nall; i++) {
		free(r->all[i]->items);
		free(r->all[i]);
	}
	free(r->all);
	free(r->refs);
	free(r->interned);
}

/* ---- pstats into a profile ---- */

struct ps_fn {
	const char *file, *name;
	int line;
	double tt;
	const struct mval *callers;
};

static double mnum(const struct mval *v)
{
	return v->kind == M_INT || v->kind == M_FLOAT ? v->d : 0;
}

static bool is_key(const struct mval *k)
{
	return k->kind == M_SEQ && k->n == 3 && k->items[0]->kind == M_STR && k->items[1]->kind == M_INT &&
	       k->items[2]->kind == M_STR;
}

/* The functions, and an index over their keys (interned: pointers compare). */
struct ps_fns {
	struct ps_fn *fn;
	size_t n;
	long *slots;               /* -1 empty; a power of two, over twice n */
	size_t nslots;
};

static size_t key_hash(const struct ps_fns *t, const char *file, const char *name, int64_t line)
{
	uint64_t h = (uint64_t)(uintptr_t)file * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)name * 31 ^
		     (uint64_t)line;
	return (size_t)(h ^ h >> 29) & (t->nslots - 1);
}

static long fn_find(const struct ps_fns *t, const struct mval *k)
{
	const char *file = k->items[0]->s, *name = k->items[2]->s;
	for (size_t i = key_hash(t, file, name, k->items[1]->i);; i = (i + 1) & (t->nslots - 1)) {
		long f = t->slots[i];
		if (f < 0 || (t->fn[f].file == file && t->fn[f].name == name && t->fn[f].line == k->items[1]->i))
			return f;
	}
}

static int fns_index(struct ps_fns *t)
{
	for (t->nslots = 16; t->nslots < 2 * t->n + 2; t->nslots *= 2)
		;
	if (!(t->slots = malloc(t->nslots * sizeof(*t->slots))))
		return -PS_ENOMEM;
	for (size_t i = 0; i < t->nslots; i++)
		t->slots[i] = -1;
	for (size_t f = 0; f < t->n; f++) {
		size_t i = key_hash(t, t->fn[f].file, t->fn[f].name, t->fn[f].line);
		while (t->slots[i] >= 0)
			i = (i + 1) & (t->nslots - 1);
		t->slots[i] = (long)f;
	}
	return 0;
}

/* The caller of function i with the most cumulative time, or -1. */
static long heaviest_caller(const struct ps_fns *t, size_t i)
{
	const struct mval *c = t->fn[i].callers;
	double best = -1;
	long who = -1;
	for (size_t k = 0; c && c->kind == M_DICT && k + 1 < c->n; k += 2) {
		const struct mval *v = c->items[k + 1];
		double w = v->kind == M_SEQ && v->n >= 4 ? mnum(v->items[3]) : mnum(v);
		long f;
		if (is_key(c->items[k]) && w > best && (f = fn_find(t, c->items[k])) >= 0) {
			best = w;
			who = f;
		}
	}
	return who;
}

static int pstats_stacks(struct profile *p, const struct ps_fns *t)
{
	const struct ps_fn *fns = t->fn;
	struct py_frame frames[MAX_STACK];
	size_t chain[MAX_STACK];
	for (size_t i = 0; i < t->n; i++) {
		uint64_t w = fns[i].tt > 0 ? (uint64_t)(fns[i].tt * 1e6 + 0.5) : 0;
		size_t depth = 0;
		if (!w)
			continue;
		for (long f = (long)i; f >= 0 && depth < MAX_STACK; f = heaviest_caller(t, (size_t)f)) {
			bool seen = false;
			for (size_t k = 0; k < depth; k++)
				seen |= chain[k] == (size_t)f;
			if (seen)
				break;
			chain[depth] = (size_t)f;
			frames[depth++] = (struct py_frame){ .function = fns[f].name, .qualname = fns[f].name,
							     .file = fns[f].file, .line = fns[f].line };
		}
		if (profile_add(p, 1, 0, NULL, frames, depth, w, 0) < 0)
			return -PS_ENOMEM;
	}
	return 0;
}

static int load_pstats(struct profile *p, const unsigned char *buf, size_t len, struct strtab *strs,
		       const char *path, struct pyspy_err *e)
{
	struct mreader r = { .buf = buf, .len = len, .strs = strs };
	struct ps_fns t = { 0 };
	int rc = 0;
	struct mval *top = mread(&r, 0);
	if (!top || top->kind != M_DICT) {
		rc = err_set(e, PS_EARG, "cannot read '%s': not a pstats file (%s)", path,
			     r.err ? r.err : "not a dictionary");
		goto out;
	}
	if (!(t.fn = calloc(top->n / 2 + 1, sizeof(*t.fn)))) {
		rc = err_set(e, PS_ENOMEM, "cannot read '%s': out of memory", path);
		goto out;
	}
	for (size_t k = 0; k + 1 < top->n; k += 2) {
		const struct mval *key = top->items[k], *v = top->items[k + 1];
		if (!is_key(key) || v->kind != M_SEQ || v->n < 5) {
			rc = err_set(e, PS_EARG, "cannot read '%s': an entry is not (file, line, name): "
				     "(cc, nc, tt, ct, callers)", path);
			goto out;
		}
		t.fn[t.n++] = (struct ps_fn){ key->items[0]->s, key->items[2]->s, (int)key->items[1]->i,
					   mnum(v->items[2]), v->items[4] };
	}
	profile_meta(p)->unit = PROF_UNIT_CPU_US;
	if (fns_index(&t) < 0 || pstats_stacks(p, &t) < 0)
		rc = err_set(e, PS_ENOMEM, "cannot read '%s': out of memory", path);
out:
	free(t.fn);
	free(t.slots);
	mreader_release(&r);
	return rc;
}

/* ---- folded ---- */

/* "qualname (file:line)" or "qualname (file)" into a frame; anything else is all qualname. */
static int parse_label(struct strtab *strs, const char *s, size_t n, struct py_frame *fr)
{
	const char *open = NULL;
	int line = -1;
	if (n >= 3 && s[n - 1] == ')')
		for (size_t i = n - 1; i-- > 1;)
			if (s[i] == '(' && s[i - 1] == ' ') {
				open = s + i;
				break;
			}
	const char *q = s, *f = "", *fend = NULL;
	size_t qn = n;
	if (open) {
		qn = (size_t)(open - 1 - s);
		f = open + 1;
		fend = s + n - 1;
		const char *colon = fend;
		while (colon > f && colon[-1] >= '0' && colon[-1] <= '9')
			colon--;
		if (colon < fend && colon > f && colon[-1] == ':') {
			line = atoi(colon);
			fend = colon - 1;
		}
	}
	fr->qualname = fr->function = strtab_intern(strs, q, qn);
	fr->file = strtab_intern(strs, f, fend ? (size_t)(fend - f) : 0);
	fr->line = line;
	return fr->qualname && fr->file ? 0 : -PS_ENOMEM;
}

static int folded_line(struct profile *p, struct strtab *strs, char *line, struct py_frame *frames)
{
	char *sp = strrchr(line, ' '), *end;
	if (!sp)
		return -PS_EARG;
	errno = 0;
	unsigned long long count = strtoull(sp + 1, &end, 10);
	if (errno || end == sp + 1 || (*end && *end != '\n' && *end != '\r'))
		return -PS_EARG;
	size_t depth = 0;
	for (char *s = line; s < sp && depth < MAX_STACK;) {
		char *semi = memchr(s, ';', (size_t)(sp - s));
		char *stop = semi ? semi : sp;
		depth++;
		/* innermost first: fill from the end once the depth is known */
		if (parse_label(strs, s, (size_t)(stop - s), &frames[MAX_STACK - depth]) < 0)
			return -PS_ENOMEM;
		s = semi ? semi + 1 : sp;
	}
	if (!depth)
		return -PS_EARG;
	return profile_add(p, 1, 0, NULL, frames + MAX_STACK - depth, depth, count, 0);
}

static int load_folded(struct profile *p, char *buf, size_t len, struct strtab *strs, const char *path,
		       struct pyspy_err *e)
{
	struct py_frame *frames = calloc(MAX_STACK, sizeof(*frames));
	size_t lineno = 0;
	int rc = 0;
	if (!frames)
		return err_set(e, PS_ENOMEM, "cannot read '%s': out of memory", path);
	for (char *s = buf; s < buf + len && !rc;) {
		char *nl = memchr(s, '\n', (size_t)(buf + len - s));
		if (nl)
			*nl = 0;
		lineno++;
		if (*s && (rc = folded_line(p, strs, s, frames)) == -PS_EARG)
			rc = err_set(e, PS_EARG, "cannot read '%s': line %zu is not folded stacks ('a;b;c COUNT') "
				     "nor is the file pstats", path, lineno);
		else if (rc < 0)
			rc = err_set(e, PS_ENOMEM, "cannot read '%s': out of memory", path);
		s = nl ? nl + 1 : buf + len;
	}
	free(frames);
	return rc;
}

/* ---- the file ---- */

static int read_all(const char *path, char **buf, size_t *len, struct pyspy_err *e)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16;
	if (!f)
		return err_set(e, PS_EIO, "cannot read '%s': %s", path, strerror(errno));
	*len = 0;
	*buf = malloc(cap + 1);
	while (*buf) {
		*len += fread(*buf + *len, 1, cap - *len, f);
		if (*len < cap)
			break;
		char *nb = cap < ((size_t)1 << 31) ? realloc(*buf, cap * 2 + 1) : NULL;
		if (!nb) {
			free(*buf);
			*buf = NULL;
			break;
		}
		*buf = nb;
		cap *= 2;
	}
	int bad = ferror(f);
	fclose(f);
	if (!*buf)
		return err_set(e, PS_ENOMEM, "cannot read '%s': out of memory or too large", path);
	if (bad) {
		free(*buf);
		return err_set(e, PS_EIO, "cannot read '%s': read error", path);
	}
	(*buf)[*len] = 0;
	return 0;
}

int export_load(const char *path, struct profile **out, struct pyspy_err *e)
{
	struct strtab strs;
	char *buf = NULL;
	size_t len = 0;
	int rc;
	*out = NULL;
	if ((rc = read_all(path, &buf, &len, e)) < 0)
		return rc;
	struct profile *p = profile_new();
	if (!p) {
		free(buf);
		return err_set(e, PS_ENOMEM, "cannot read '%s': out of memory", path);
	}
	strtab_init(&strs);
	profile_set_timeline_cap(p, 0);
	profile_set_command(p, path);
	/* marshal's dict code, with or without FLAG_REF; folded text never starts with it */
	if (len && ((unsigned char)buf[0] == '{' || (unsigned char)buf[0] == ('{' | 0x80)) &&
	    memchr(buf, 0, len))
		rc = load_pstats(p, (const unsigned char *)buf, len, &strs, path, e);
	else
		rc = load_folded(p, buf, len, &strs, path, e);
	if (rc == 0 && !profile_samples(p))
		rc = err_set(e, PS_EARG, "cannot read '%s': it holds no samples", path);
	/* the profile copied every string; its pointer cache must not outlive strs */
	profile_forget_pointers(p);
	strtab_release(&strs);
	free(buf);
	if (rc < 0) {
		profile_free(p);
		return rc;
	}
	*out = p;
	return 0;
}
