/*
 * prefetch.c — the sampler's read-ahead (see remote.h).
 *
 * Every piece the sampler reads is remembered as a region keyed by its
 * address.  At the start of each tick, every region used in the last
 * PF_KEEP_TICKS ticks is fetched again, in as few process_vm_readv calls as
 * the kernel allows (1024 pieces each), and the tick's reads are served from
 * that copy.  A region unused for PF_KEEP_TICKS ticks is dropped, so a stack
 * that bounces between depths keeps its deeper frames fetched, and a thread
 * that ended stops costing anything after a few ticks.
 *
 * Lookups are by exact address through an open-addressing table, so a tick
 * with thousands of pieces (a 600-deep stack of frame objects, or a hundred
 * threads) costs O(1) per read, not a scan.
 *
 * Memory is bounded: at most PF_MAX_REGIONS regions of at most
 * PF_MAX_REGION_BYTES each, PF_MAX_BYTES in all.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "prefetch.h"

#define PF_BATCH 1024                      /* UIO_MAXIOV: pieces per syscall */
#define PF_MAX_REGIONS 4096
#define PF_HASH (2 * PF_MAX_REGIONS)       /* a power of two, at most half full */
#define PF_MAX_REGION_BYTES (1u << 20)
#define PF_MAX_BYTES (8u << 20)
#define PF_KEEP_TICKS 3
#define PF_MAX_FAULTS 8                    /* failed pieces per fetch before giving up on the rest */
#define PF_PAGE 4096u
#define PF_BLOCK 16384u                    /* remote_prefetch_still: the unit read */
#define PF_MAX_PIECES (PF_MAX_REGIONS + 64)  /* the regions and a reread's own pieces */

struct pf_region {
	raddr_t addr;
	size_t len;
	size_t at, room;           /* its slot in buf: offset and size; room 0: none yet */
	unsigned last;             /* tick it was last read in */
	int seq;                   /* its place in `order` this tick, -1: not read yet */
	bool ok;                   /* fetched, fresh, this tick */
	int8_t order;              /* REMOTE_EARLY, 0 or REMOTE_LATE (remote_prefetch_order) */
	unsigned gen;              /* the fetch that last filled it */
};

/* One piece of a fetch: a region's slot or a caller's buffer. */
struct pf_piece {
	raddr_t addr;
	size_t len;
	uint8_t *dst;
	int region;                /* index into v; -1: one of the caller's own */
	int8_t order;
	bool got;                  /* copied whole */
	int span;                  /* the remote iovec it went in, in its batch */
	size_t off;                /* where it falls in its syscall's stream of bytes */
};

/* `order` is the tick's read order (a thread state before its frames): a
 * torn walk re-reads what it read after its mark.  A fetch itself goes in
 * address order, joined into as few remote iovecs as it can (see fetch). */
struct remote_prefetch {
	struct pf_region v[PF_MAX_REGIONS];
	int n;
	int order[PF_MAX_REGIONS];   /* indices into v, first read first, this tick */
	int norder;
	int slot[PF_HASH];           /* index into v, -1: empty */
	int used[PF_MAX_REGIONS];    /* the slots taken, so that clearing costs what is in it */
	int nused;
	struct pf_region tmp[PF_MAX_REGIONS];
	int all[PF_MAX_REGIONS];
	uint8_t *buf;
	size_t bufcap, bufused;
	unsigned tick;
	unsigned gen;              /* fetches so far */
	unsigned floor;            /* after a reread: only pieces of that fetch or later are served */
	bool active;
	bool still;                /* remote_prefetch_still(): reads are served from whole blocks */
	struct pf_piece pieces[PF_MAX_PIECES];
	struct iovec local[PF_BATCH], remote[PF_BATCH];
};

static unsigned slot_of(raddr_t addr)
{
	uint64_t h = (uint64_t)addr * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> 40) & (PF_HASH - 1);
}

static int lookup(const struct remote_prefetch *pf, raddr_t addr)
{
	for (unsigned s = slot_of(addr);; s = (s + 1) & (PF_HASH - 1)) {
		int i = pf->slot[s];
		if (i < 0 || pf->v[i].addr == addr)
			return i;
	}
}

static void hash_insert(struct remote_prefetch *pf, int i)
{
	unsigned s = slot_of(pf->v[i].addr);
	while (pf->slot[s] >= 0)
		s = (s + 1) & (PF_HASH - 1);
	pf->slot[s] = i;
	pf->used[pf->nused++] = (int)s;
}

static void hash_clear(struct remote_prefetch *pf)
{
	for (int k = 0; k < pf->nused; k++)
		pf->slot[pf->used[k]] = -1;
	pf->nused = 0;
}

/* Give region i a slot in buf big enough for its length; false if out of memory. */
static bool place(struct remote_prefetch *pf, int i)
{
	struct pf_region *g = &pf->v[i];
	if (g->room >= g->len)
		return true;
	if (pf->bufused + g->len > PF_MAX_BYTES)
		return false;
	if (pf->bufused + g->len > pf->bufcap) {
		size_t cap = pf->bufcap ? pf->bufcap : 65536;
		while (cap < pf->bufused + g->len)
			cap *= 2;
		uint8_t *nb = realloc(pf->buf, cap);
		if (!nb)
			return false;
		pf->buf = nb;
		pf->bufcap = cap;
	}
	g->at = pf->bufused;
	g->room = g->len;
	pf->bufused += g->len;
	return true;
}

/* Drop regions unused for PF_KEEP_TICKS ticks, put those read last tick first
 * in read order, give every one a slot in buf afresh, rebuild the table. */
static void compact(struct remote_prefetch *pf)
{
	int k = 0;
	for (int j = 0; j < pf->norder; j++)
		pf->tmp[k++] = pf->v[pf->order[j]];
	for (int i = 0; i < pf->n; i++)
		if (pf->v[i].seq < 0 && pf->tick - pf->v[i].last <= PF_KEEP_TICKS)
			pf->tmp[k++] = pf->v[i];
	memcpy(pf->v, pf->tmp, (size_t)k * sizeof(pf->v[0]));
	pf->n = k;
	pf->norder = 0;
	pf->bufused = 0;
	hash_clear(pf);
	for (int i = 0; i < k; i++) {
		pf->v[i].seq = -1;
		pf->v[i].ok = false;
		pf->v[i].room = 0;
		hash_insert(pf, i);
	}
}

/*
 * Read `first` (into the caller's buffers) and then the regions idx[0..n) in
 * as few syscalls as the kernel allows, each region into its slot.  A region
 * that cannot be read (the target freed and unmapped it) is skipped and ages
 * out unless something reads it again.  Returns -1 if a piece of `first` could
 * not be read, else 0.
 *
 * The kernel's cost is per remote iovec (each pins its pages and looks up its
 * mapping: ~0.6 us here, against ~2 us for the call itself), not per byte, so
 * the pieces are sorted by address and a piece that starts where the last
 * ended, in the page the last ended in or in the page after it, joins its
 * remote iovec; the bytes between them go to a scratch buffer.  A tick's read of a thread state, the
 * interpreter, the GIL and a two-page stack went from 10 remote iovecs to 7
 * (8.5 us to 6 us).  The span never touches a page no piece is in, so a
 * merged read faults exactly where the separate reads would have.
 */
static int piece_cmp(const void *a, const void *b)
{
	const struct pf_piece *x = a, *y = b;
	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* A tick's few pieces come nearly sorted (last tick's order): insertion sort
 * is cheaper than qsort there, which was 7% of a one-thread tick's own time. */
static void sort_pieces(struct pf_piece *p, int n)
{
	if (n > 64) {
		qsort(p, (size_t)n, sizeof(*p), piece_cmp);
		return;
	}
	for (int i = 1; i < n; i++) {
		struct pf_piece x = p[i];
		int j = i;
		for (; j > 0 && piece_cmp(&p[j - 1], &x) > 0; j--)
			p[j] = p[j - 1];
		p[j] = x;
	}
}

static uint8_t pf_gap[2 * PF_PAGE];     /* the bytes between joined pieces: never read back */

/* Fill local/remote iovecs from pieces[k..), joining as above (not before
 * index solo: those go one to an iovec); returns the next k. */
static int batch(struct remote_prefetch *pf, struct remote *r, int k, int np, int solo, int *nl_out, int *nr_out)
{
	int nl = 0, nr = 0;
	size_t off = 0;
	raddr_t end = 0;
	for (; k < np; k++) {
		struct pf_piece *p = &pf->pieces[k];
		bool join = nr && k >= solo && p->addr >= end && p->addr / PF_PAGE <= (end - 1) / PF_PAGE + 1;
		size_t gap = join ? (size_t)(p->addr - end) : 0;
		if (nl + (gap ? 2 : 1) > PF_BATCH || (!join && nr == PF_BATCH))
			break;
		if (gap) {
			pf->local[nl++] = (struct iovec){ pf_gap, gap };
			pf->remote[nr - 1].iov_len += gap;
			off += gap;
		}
		if (join)
			pf->remote[nr - 1].iov_len += p->len;
		else
			pf->remote[nr++] = (struct iovec){ (void *)(uintptr_t)p->addr, p->len };
		pf->local[nl++] = (struct iovec){ p->dst, p->len };
		p->span = nr - 1;
		p->off = off;
		off += p->len;
		end = p->addr + p->len;
		r->nbytes += p->len;
	}
	*nl_out = nl;
	*nr_out = nr;
	return k;
}

static int fetch(struct remote_prefetch *pf, struct remote *r, const struct remote_iov *first, int nfirst,
		 const int *idx, int n)
{
	int faults = 0, np = 0, rc = 0;
	for (int j = 0; j < n; j++)
		pf->v[idx[j]].ok = false;
	if (r->memfd >= 0 || r->backend)
		return nfirst ? -1 : 0;
	for (int j = 0; j < n; j++)
		place(pf, idx[j]);
	for (int j = 0; j < nfirst && np < PF_MAX_PIECES; j++)
		pf->pieces[np++] = (struct pf_piece){ first[j].addr, first[j].len, first[j].buf, -1, REMOTE_EARLY, false, 0, 0 };
	for (int j = 0; j < n && np < PF_MAX_PIECES; j++) {
		struct pf_region *g = &pf->v[idx[j]];
		if (g->room >= g->len)      /* else no slot: out of memory */
			pf->pieces[np++] = (struct pf_piece){ g->addr, g->len, pf->buf + g->at, idx[j], g->order, false, 0, 0 };
	}
	if (np < nfirst)
		rc = -1;
	int nf = np < nfirst ? np : nfirst;
	sort_pieces(pf->pieces, np);
	pf->gen++;
	int solo = 0;
	for (int k = 0; k < np;) {
		int nl, nr, from = k;
		k = batch(pf, r, k, np, solo, &nl, &nr);
		r->nreads++;
		ssize_t got = process_vm_readv(r->pid, pf->local, (unsigned long)nl, pf->remote, (unsigned long)nr, 0);
		/* a partial read is valid up to `got`: the pieces it covers whole */
		size_t done = got > 0 ? (size_t)got : 0;
		int j = from;
		for (; j < k && pf->pieces[j].off + pf->pieces[j].len <= done; j++) {
			pf->pieces[j].got = true;
			if (pf->pieces[j].region >= 0)
				pf->v[pf->pieces[j].region].ok = true, pf->v[pf->pieces[j].region].gen = pf->gen;
		}
		if (j == k)
			continue;
		if (++faults == PF_MAX_FAULTS)
			break;
		/* the kernel copies a remote iovec whole or not at all: when piece j
		 * shared its iovec, the bad piece may be another; go again from j
		 * with that iovec's pieces one to an iovec */
		int last = j;
		while (last + 1 < k && pf->pieces[last + 1].span == pf->pieces[j].span)
			last++;
		if (last > j && solo <= j) {
			solo = last + 1;
			k = j;
			continue;
		}
		/* piece j failed: go on after it */
		if (pf->pieces[j].region >= 0)
			pf->v[pf->pieces[j].region].last = pf->tick - PF_KEEP_TICKS - 1;
		k = j + 1;
	}
	/* the caller's own pieces that a failure nearby cut off: alone, once more */
	for (int k = 0; k < np && nf; k++) {
		struct pf_piece *p = &pf->pieces[k];
		if (p->region >= 0)
			continue;
		nf--;
		if (p->got)
			continue;
		struct iovec l = { p->dst, p->len }, rv = { (void *)(uintptr_t)p->addr, p->len };
		r->nreads++;
		if (process_vm_readv(r->pid, &l, 1, &rv, 1, 0) != (ssize_t)p->len)
			rc = -1;
	}
	return rc;
}

int remote_prefetch_enable(struct remote *r)
{
	if (r->pf)
		return 0;
	r->pf = calloc(1, sizeof(*r->pf));
	if (!r->pf)
		return -1;
	memset(r->pf->slot, 0xff, sizeof(r->pf->slot));
	return 0;
}

void remote_prefetch_disable(struct remote *r)
{
	if (!r->pf)
		return;
	free(r->pf->buf);
	free(r->pf);
	r->pf = NULL;
}

void remote_prefetch_begin(struct remote *r)
{
	struct remote_prefetch *pf = r->pf;
	if (!pf)
		return;
	pf->tick++;
	compact(pf);
	for (int i = 0; i < pf->n; i++)
		pf->all[i] = i;
	fetch(pf, r, NULL, 0, pf->all, pf->n);
	pf->active = true;
}

int remote_prefetch_mark(struct remote *r)
{
	if (!r->pf || !r->pf->active)
		return -1;
	r->pf->floor = 0;          /* a new walk: the tick's copy serves again */
	return r->pf->norder;
}

int remote_prefetch_reread(struct remote *r, int mark, const struct remote_iov *first, int nfirst)
{
	struct remote_prefetch *pf = r->pf;
	if (!pf || !pf->active || mark < 0 || mark > pf->norder)
		return remote_readv(r, first, nfirst, NULL);
	/* the walk goes on from this snapshot alone: a piece the tick's first
	 * copy holds but this one does not is stale next to it, and is read anew */
	int rc = fetch(pf, r, first, nfirst, pf->order + mark, pf->norder - mark);
	pf->floor = pf->gen;
	return rc;
}

bool remote_prefetch_fresh(struct remote *r, raddr_t addr, size_t len)
{
	struct remote_prefetch *pf = r->pf;
	if (!pf || !pf->active)
		return false;
	int i = lookup(pf, addr);
	return i >= 0 && pf->v[i].ok && pf->v[i].gen >= pf->floor && len <= pf->v[i].len;
}

int remote_prefetch_now(struct remote *r, const struct remote_iov *iov, int n)
{
	struct remote_prefetch *pf = r->pf;
	int m = 0;
	if (!pf || !pf->active)
		return -1;
	for (int j = 0; j < n && m < PF_MAX_REGIONS; j++) {
		if (!iov[j].len || iov[j].len > PF_MAX_REGION_BYTES)
			continue;
		int i = lookup(pf, iov[j].addr);
		if (i < 0) {
			if (pf->n == PF_MAX_REGIONS)
				continue;
			i = pf->n++;
			pf->v[i] = (struct pf_region){ .addr = iov[j].addr, .len = iov[j].len, .seq = -1, .last = pf->tick };
			hash_insert(pf, i);
		} else if (iov[j].len > pf->v[i].len)
			pf->v[i].len = iov[j].len;
		pf->all[m++] = i;
	}
	fetch(pf, r, NULL, 0, pf->all, m);
	for (int j = 0; j < n; j++) {
		int i = iov[j].buf ? lookup(pf, iov[j].addr) : -1;
		if (i >= 0 && pf->v[i].ok && pf->v[i].len >= iov[j].len)
			memcpy(iov[j].buf, pf->buf + pf->v[i].at, iov[j].len);
	}
	return 0;
}

void remote_prefetch_end(struct remote *r)
{
	if (r->pf)
		r->pf->active = false;
}

static void touch(struct remote_prefetch *pf, int i)
{
	struct pf_region *g = &pf->v[i];
	g->last = pf->tick;
	if (g->seq < 0) {
		g->seq = pf->norder;
		pf->order[pf->norder++] = i;
	}
}

bool prefetch_active(const struct remote_prefetch *pf)
{
	return pf->active;
}

bool remote_prefetch_active(const struct remote *r)
{
	return r->pf && r->pf->active;
}

void remote_prefetch_still(struct remote *r, bool on)
{
	struct remote_prefetch *pf = r->pf;
	if (!pf || !pf->active)
		return;
	pf->still = on;
	pf->floor = on ? pf->gen + 1 : 0;
}

/* Serve from the block around addr, fetching it first; false if it cannot be read. */
static bool serve_block(struct remote_prefetch *pf, struct remote *r, raddr_t addr, void *buf, size_t len)
{
	raddr_t block = addr & ~(raddr_t)(PF_BLOCK - 1);
	if (addr + len > block + PF_BLOCK)
		return false;          /* across two blocks: read as asked */
	int i = lookup(pf, block);
	if (i < 0 || pf->v[i].gen < pf->floor || !pf->v[i].ok || pf->v[i].len < PF_BLOCK) {
		if (i < 0) {
			if (pf->n == PF_MAX_REGIONS)
				return false;
			i = pf->n++;
			pf->v[i] = (struct pf_region){ .addr = block, .seq = -1 };
			hash_insert(pf, i);
		}
		pf->v[i].len = PF_BLOCK;
		/* not kept for the next ticks: its pieces are remembered one by one */
		pf->v[i].last = pf->tick - PF_KEEP_TICKS - 1;
		fetch(pf, r, NULL, 0, &i, 1);
		if (!pf->v[i].ok)
			return false;
	}
	memcpy(buf, pf->buf + pf->v[i].at + (addr - block), len);
	prefetch_remember(pf, addr, len);
	return true;
}

bool prefetch_serve(struct remote *r, raddr_t addr, void *buf, size_t len)
{
	struct remote_prefetch *pf = r->pf;
	if (!pf->active)
		return false;
	if (pf->still) {
		int k = lookup(pf, addr);
		if (k >= 0 && pf->v[k].ok && pf->v[k].gen >= pf->floor && len <= pf->v[k].len) {
			memcpy(buf, pf->buf + pf->v[k].at, len);
			touch(pf, k);
			return true;
		}
		return serve_block(pf, r, addr, buf, len);
	}
	int i = lookup(pf, addr);
	if (i < 0)
		return false;
	struct pf_region *g = &pf->v[i];
	touch(pf, i);
	if (len > g->len) {
		/* read longer this time: fetch the longer piece from the next tick */
		if (len <= PF_MAX_REGION_BYTES)
			g->len = len;
		g->ok = false;
		return false;
	}
	if (!g->ok || g->gen < pf->floor)
		return false;
	memcpy(buf, pf->buf + g->at, len);
	return true;
}

void remote_prefetch_order(struct remote *r, raddr_t addr, size_t len, int order)
{
	struct remote_prefetch *pf = r->pf;
	if (!pf || !pf->active || len == 0 || len > PF_MAX_REGION_BYTES)
		return;
	int i = lookup(pf, addr);
	if (i < 0) {
		if (pf->n == PF_MAX_REGIONS)
			return;
		i = pf->n++;
		pf->v[i] = (struct pf_region){ .addr = addr, .len = len, .seq = -1, .last = pf->tick };
		hash_insert(pf, i);
	}
	pf->v[i].order = (int8_t)order;
}

void remote_prefetch_want(struct remote *r, const raddr_t *addrs, size_t n, size_t len)
{
	for (size_t k = 0; r->pf && k < n; k++)
		if (addrs[k])
			prefetch_remember(r->pf, addrs[k], len);
}

void prefetch_remember(struct remote_prefetch *pf, raddr_t addr, size_t len)
{
	if (!pf->active || len == 0 || len > PF_MAX_REGION_BYTES)
		return;
	int i = lookup(pf, addr);
	if (i < 0) {
		if (pf->n == PF_MAX_REGIONS)
			return;
		i = pf->n++;
		pf->v[i] = (struct pf_region){ .addr = addr, .len = len, .seq = -1 };
		hash_insert(pf, i);
	}
	touch(pf, i);
}
