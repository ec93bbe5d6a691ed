/*
 * test_prefetch.c — the sampler's read-ahead (engine/os/prefetch.c), run on
 * this process's own memory (process_vm_readv on our own pid): pieces are
 * fetched at the next tick and served from that copy; a piece in the same
 * iovec as an unmapped one still arrives; after a re-read only that snapshot
 * serves; held-still reads come from whole blocks.  (That a late piece is
 * copied last shows in torn_deep's impossible stacks on 3.11-3.13.)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/os/remote.h"
#include "unit.h"

#define PAGE 4096

static uint64_t get(struct remote *r, void *p)
{
	uint64_t v = 0;
	struct pyspy_err e = { 0 };
	if (remote_read(r, (raddr_t)(uintptr_t)p, &v, sizeof(v), &e) < 0)
		return UINT64_MAX;
	return v;
}

/* Read at one tick, served from the copy the next tick took: a change made
 * after that tick's start is not seen until the tick after. */
static void test_served_from_copy(void)
{
	struct remote r;
	uint64_t *a = malloc(64), *b = malloc(64);
	remote_init(&r, getpid());
	CHECK_INT(remote_prefetch_enable(&r), 0);
	a[0] = 1;
	b[0] = 2;
	remote_prefetch_begin(&r);
	CHECK_INT((long long)get(&r, a), 1);     /* first time: read, remembered */
	CHECK_INT((long long)get(&r, b), 2);
	remote_prefetch_end(&r);

	remote_prefetch_begin(&r);               /* fetched here */
	unsigned long reads = r.nreads;
	a[0] = 10;
	CHECK_INT((long long)get(&r, a), 1);     /* the copy, no syscall */
	CHECK_INT((long long)get(&r, b), 2);
	CHECK_INT((long long)(r.nreads - reads), 0);
	remote_prefetch_end(&r);

	remote_prefetch_begin(&r);
	CHECK_INT((long long)get(&r, a), 10);
	remote_prefetch_end(&r);
	remote_release(&r);
	free(a);
	free(b);
}

/*
 * Pieces a page apart are joined into one remote iovec; when one of them is
 * unmapped before the fetch, the others still arrive (the kernel stops at the bad page; the fetch goes on after it,
 * one piece to an iovec) and the bad one is not served.
 */
static void test_fault_in_a_joined_iovec(void)
{
	struct remote r;
	uint8_t *m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(m != MAP_FAILED))
		return;
	uint64_t *p0 = (uint64_t *)(m + 64), *p1 = (uint64_t *)(m + PAGE + 64), *p2 = (uint64_t *)(m + 2 * PAGE + 64);
	*p0 = 100;
	*p1 = 101;
	*p2 = 102;
	remote_init(&r, getpid());
	remote_prefetch_enable(&r);
	remote_prefetch_begin(&r);
	get(&r, p0);
	get(&r, p1);
	get(&r, p2);
	remote_prefetch_end(&r);
	CHECK_INT(munmap(m + PAGE, PAGE), 0);    /* the middle page goes */

	remote_prefetch_begin(&r);
	unsigned long reads = r.nreads;
	CHECK_INT((long long)get(&r, p0), 100);
	CHECK_INT((long long)get(&r, p2), 102);
	CHECK_INT((long long)(r.nreads - reads), 0);   /* both from the tick's fetch */
	CHECK_INT((long long)get(&r, p1), -1);         /* not served, and the read fails */
	remote_prefetch_end(&r);
	remote_release(&r);
	munmap(m, PAGE);
	munmap(m + 2 * PAGE, PAGE);
}

/*
 * A re-read serves its own snapshot only: a piece the tick's first fetch
 * copied but the re-read did not is read anew, not served stale next to it.
 */
static void test_reread_floor(void)
{
	struct remote r;
	uint64_t *a = malloc(64), *b = malloc(64), first = 0;
	remote_init(&r, getpid());
	remote_prefetch_enable(&r);
	a[0] = 1;
	b[0] = 2;
	remote_prefetch_begin(&r);
	get(&r, a);
	get(&r, b);
	remote_prefetch_end(&r);

	remote_prefetch_begin(&r);               /* a and b copied: 1, 2 */
	int mark = remote_prefetch_mark(&r);
	CHECK_INT((long long)get(&r, a), 1);     /* read since the mark */
	a[0] = 11;
	b[0] = 22;
	struct remote_iov again = { (raddr_t)(uintptr_t)a, &first, sizeof(first) };
	CHECK_INT(remote_prefetch_reread(&r, mark, &again, 1), 0);
	CHECK_INT((long long)first, 11);
	CHECK_INT((long long)get(&r, a), 11);    /* re-read */
	CHECK_INT((long long)get(&r, b), 22);    /* not in the re-read: read anew, not the stale 2 */
	CHECK_INT((long long)remote_prefetch_mark(&r) >= 0, 1);   /* a new walk */
	remote_prefetch_end(&r);
	remote_release(&r);
	free(a);
	free(b);
}

/* Held still: nothing copied before is served, and reads come from whole
 * 16 KiB blocks (neighbours cost no syscall); off again, the copy serves. */
static void test_still_blocks(void)
{
	struct remote r;
	uint8_t *m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(m != MAP_FAILED))
		return;
	uint8_t *block = (uint8_t *)(((uintptr_t)m + 16383) & ~(uintptr_t)16383);   /* 16 KiB inside it */
	uint64_t *x = (uint64_t *)(block + 8), *y = (uint64_t *)(block + 3 * PAGE + 8);
	*x = 5;
	*y = 6;
	remote_init(&r, getpid());
	remote_prefetch_enable(&r);
	remote_prefetch_begin(&r);
	get(&r, x);
	remote_prefetch_end(&r);
	remote_prefetch_begin(&r);               /* x copied: 5 */
	*x = 50;
	remote_prefetch_still(&r, true);
	unsigned long reads = r.nreads;
	CHECK_INT((long long)get(&r, x), 50);    /* fresh, from its block */
	CHECK_INT((long long)get(&r, y), 6);     /* same block: no syscall of its own */
	CHECK_INT((long long)(r.nreads - reads), 1);
	remote_prefetch_still(&r, false);
	remote_prefetch_end(&r);
	remote_release(&r);
	munmap(m, 8 * PAGE);
}

int main(void)
{
	test_served_from_copy();
	test_fault_in_a_joined_iovec();
	test_reread_floor();
	test_still_blocks();
	return unit_done();
}
