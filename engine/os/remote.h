/*
 * remote.h — reading another process's memory.
 *
 * Everything pyspy-sh knows about a target comes through here.  Reads use
 * process_vm_readv (one syscall, no stop of the target); where the kernel lacks
 * it, /proc/PID/mem with pread.  Nothing here can write: pyspy-sh is read-only.
 * The errno of a failed read is translated into the engine's codes (ESRCH: the
 * process is gone, EPERM: permission, EFAULT: bad address).
 */
#ifndef PYSPY_REMOTE_H
#define PYSPY_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/error.h"
#include "rbuf.h"

struct remote_prefetch;

/*
 * Another memory source: when set, every read goes to it instead of a
 * process.  A core file (core.h, `--core`) is one; the fuzz harnesses
 * (memory made of fuzz bytes) and their seed recorder (a live target,
 * recorded) set it too.  Returns 0 when all len bytes were copied, else an
 * errno value (EFAULT: not mapped).
 */
typedef int (*remote_backend_fn)(void *ctx, raddr_t addr, void *buf, size_t len);

struct remote {
	pid_t pid;
	int memfd;                 /* /proc/PID/mem, opened only if process_vm_readv is missing */
	unsigned long nreads;      /* syscalls issued, for the benchmark */
	unsigned long nbytes;      /* bytes asked for */
	struct remote_prefetch *pf;   /* the sampler's per-tick read-ahead, or NULL */
	remote_backend_fn backend;    /* NULL for a live process: see above */
	void *backend_ctx;
};

/* One piece of a vectored read. */
struct remote_iov {
	raddr_t addr;
	void *buf;
	size_t len;
};

void remote_init(struct remote *r, pid_t pid);
void remote_release(struct remote *r);

/* Read exactly len bytes at addr, or fail. */
int remote_read(struct remote *r, raddr_t addr, void *buf, size_t len, struct pyspy_err *e);

/* Read several pieces (up to REMOTE_IOV_MAX; more go one by one) in one
 * syscall; all of them, or fail. */
#define REMOTE_IOV_MAX 64
int remote_readv(struct remote *r, const struct remote_iov *iov, int n, struct pyspy_err *e);

/* Read one pointer-sized value. */
int remote_read_ptr(struct remote *r, raddr_t addr, raddr_t *out, struct pyspy_err *e);

/*
 * Read-ahead for the sampler (prefetch.c).  Between remote_prefetch_begin()
 * and remote_prefetch_end(), reads of a piece fetched at begin are served
 * from memory.  Every piece read in the last 3 ticks is fetched again at the
 * next begin, all of them in one vectored syscall per 1024 pieces, so a
 * steady sampler reads the target once per tick, and the data is as fresh as
 * that syscall.  Outside begin/end every read is a syscall.
 */
int remote_prefetch_enable(struct remote *r);
void remote_prefetch_begin(struct remote *r);
void remote_prefetch_end(struct remote *r);
/* Between begin and end, with a read-ahead enabled. */
bool remote_prefetch_active(const struct remote *r);
/*
 * Within a tick: remote_prefetch_mark() names the point reached, and
 * remote_prefetch_reread() reads `first` (into its buffers), then every piece
 * read since the mark, again, in one syscall: a walk that came back torn is
 * read again from one new snapshot, its thread state first.  Without a
 * read-ahead it reads `first` alone.  0, or -1 if `first` could not be read.
 */
int remote_prefetch_mark(struct remote *r);
/*
 * Within a tick: fetch these pieces now, in this order, in one syscall (per
 * 1024), and serve them for the rest of the tick; a piece with a buffer is
 * also copied into it.  Like every piece read, they are fetched again at the
 * next begins while they are read.  -1 without an active read-ahead.
 */
int remote_prefetch_now(struct remote *r, const struct remote_iov *iov, int n);
/* Whether len bytes at addr were fetched this tick and will be served. */
bool remote_prefetch_fresh(struct remote *r, raddr_t addr, size_t len);
int remote_prefetch_reread(struct remote *r, int mark, const struct remote_iov *first, int nfirst);
/* Count these n pieces of len bytes as read since the mark, so that the next
 * reread fetches them too (the frames a torn walk did not reach). */
void remote_prefetch_want(struct remote *r, const raddr_t *addrs, size_t n, size_t len);
/*
 * Within a tick, while a thread is held still (the sampler's last try at a
 * torn walk): nothing copied before is served, and a read is served from the
 * 16 KiB-aligned block around it, read whole once (frame objects sit in the
 * allocator's 4 KiB pools, several to a page: a 400-frame chain is a dozen
 * blocks, not 400 reads).  Off again: the tick's copy serves as before.
 */
void remote_prefetch_still(struct remote *r, bool on);
/*
 * When to fetch this piece among the others, from now on: REMOTE_FIRST
 * before everything (the GIL's state: what says which thread states can
 * have changed since), REMOTE_EARLY before the rest (what points into them:
 * a thread's state, its pointer to its top frame), REMOTE_LATE after the rest
 * (what checks them: the data-stack top again, after the chunk); 0, the
 * rest, in address order.  A re-read's own pieces (the thread state) go early.
 */
#define REMOTE_FIRST (-2)
#define REMOTE_EARLY (-1)
#define REMOTE_LATE 1
void remote_prefetch_order(struct remote *r, raddr_t addr, size_t len, int order);
void remote_prefetch_disable(struct remote *r);

#endif
