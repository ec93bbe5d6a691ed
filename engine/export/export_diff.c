/*
 * export_diff.c — what a diff flame graph compares: each function's share
 * now and in a base profile.
 *
 * Shares are per function (qualname and file), as `top` gives them: own, the
 * share of the weight where it was the innermost frame, and total, where it
 * was anywhere on the stack (recursion once).  The base usually comes from
 * a file (a folded or pstats profile read back by export_load), so functions
 * are matched by their text, not by frame ids.  Functions of the base that
 * the current profile never saw are listed, heaviest first, for the graph's
 * note.
 */
#include "export_impl.h"

#include <stdlib.h>
#include <string.h>

/* Own and total shares (percent) per function key frame id of p. */
static int fn_shares(const struct profile *p, double **own, double **total)
{
	size_t nf = profile_nframes(p);
	uint64_t *stamp = calloc(nf + 1, sizeof(*stamp)), n = 0, all = profile_weight(p);
	struct prof_iter it;
	struct prof_stack st;
	int rc;
	*own = calloc(nf + 1, sizeof(**own));
	*total = calloc(nf + 1, sizeof(**total));
	if (!stamp || !*own || !*total) {
		free(stamp);
		return -PS_ENOMEM;
	}
	prof_iter_init(&it, p);
	while ((rc = prof_iter_next(&it, &st)) > 0) {
		n++;
		for (size_t i = 0; i < st.nframes; i++) {
			uint32_t k = profile_frame_key(p, PROF_BY_FUNCTION, st.frames[i]);
			if (stamp[k] != n) {
				stamp[k] = n;
				(*total)[k] += (double)st.weight;
			}
			if (i + 1 == st.nframes)
				(*own)[k] += (double)st.weight;
		}
	}
	prof_iter_release(&it);
	free(stamp);
	for (size_t k = 0; all && k < nf; k++) {
		(*own)[k] = 100.0 * (*own)[k] / (double)all;
		(*total)[k] = 100.0 * (*total)[k] / (double)all;
	}
	return rc < 0 ? -PS_ENOMEM : 0;
}

static uint32_t text_hash(const struct prof_frame *f)
{
	uint32_t h = 2166136261u;
	for (const char *s = f->qualname; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *s = f->file; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Base function keys, hashed by text, each looked up once per current key. */
static int match(struct export_diff *d, const struct profile *cur, const struct profile *base)
{
	size_t nc = profile_nframes(cur), nb = profile_nframes(base), ns = 16;
	bool *matched = calloc(nb + 1, sizeof(*matched));
	uint32_t *slots;
	while (ns < 2 * nb + 2)
		ns *= 2;
	if (!matched || !(slots = malloc(ns * sizeof(*slots)))) {
		free(matched);
		return -PS_ENOMEM;
	}
	memset(slots, 0xff, ns * sizeof(*slots));
	for (uint32_t k = 0; k < nb; k++)
		if (profile_frame_key(base, PROF_BY_FUNCTION, k) == k) {
			size_t i = text_hash(profile_frame(base, k)) & (ns - 1);
			while (slots[i] != PROF_NONE)
				i = (i + 1) & (ns - 1);
			slots[i] = k;
		}
	for (uint32_t k = 0; k < nc; k++) {
		d->base_own[k] = d->base_total[k] = -1;
		if (profile_frame_key(cur, PROF_BY_FUNCTION, k) != k)
			continue;
		const struct prof_frame *f = profile_frame(cur, k);
		for (size_t i = text_hash(f) & (ns - 1); slots[i] != PROF_NONE; i = (i + 1) & (ns - 1)) {
			const struct prof_frame *g = profile_frame(base, slots[i]);
			if (!strcmp(f->qualname, g->qualname) && !strcmp(f->file, g->file)) {
				d->base_own[k] = d->bown[slots[i]];
				d->base_total[k] = d->btotal[slots[i]];
				matched[slots[i]] = true;
				break;
			}
		}
	}
	for (uint32_t k = 0; k < nb; k++)
		if (profile_frame_key(base, PROF_BY_FUNCTION, k) == k && !matched[k] &&
		    (d->bown[k] > 0 || d->btotal[k] > 0))
			d->gone[d->ngone++] = k;
	free(slots);
	free(matched);
	return 0;
}

static int by_total(const void *a, const void *b, void *arg)
{
	const double *bt = arg;
	double x = bt[*(const uint32_t *)a], y = bt[*(const uint32_t *)b];
	return x < y ? 1 : x > y ? -1 : 0;
}

int export_diff_build(const struct profile *cur, const struct profile *base, struct export_diff *d)
{
	size_t nc = profile_nframes(cur), nb = profile_nframes(base);
	memset(d, 0, sizeof(*d));
	d->base = base;
	if (fn_shares(cur, &d->own, &d->total) < 0 || fn_shares(base, &d->bown, &d->btotal) < 0 ||
	    !(d->base_own = calloc(nc + 1, sizeof(double))) || !(d->base_total = calloc(nc + 1, sizeof(double))) ||
	    !(d->gone = calloc(nb + 1, sizeof(uint32_t))) || match(d, cur, base) < 0) {
		export_diff_release(d);
		return -PS_ENOMEM;
	}
	qsort_r(d->gone, d->ngone, sizeof(*d->gone), by_total, d->btotal);
	return 0;
}

void export_diff_release(struct export_diff *d)
{
	free(d->own);
	free(d->total);
	free(d->bown);
	free(d->btotal);
	free(d->base_own);
	free(d->base_total);
	free(d->gone);
	memset(d, 0, sizeof(*d));
}
