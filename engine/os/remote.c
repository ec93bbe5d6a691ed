/*
 * remote.c — process_vm_readv with a /proc/PID/mem fallback.
 *
 * The sampler calls remote_read() on its hot path, so the success path is one
 * syscall and two counter increments; error formatting happens only on failure.
 * A short read is a failure: a half-filled buffer would be read as data.
 */
#include "remote.h"
#include "prefetch.h"
#include "procfs.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

void remote_init(struct remote *r, pid_t pid)
{
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	r->memfd = -1;
}

void remote_release(struct remote *r)
{
	remote_prefetch_disable(r);
	if (r->memfd >= 0)
		close(r->memfd);
	r->memfd = -1;
}

static int read_error(struct remote *r, int err, raddr_t addr, size_t len, struct pyspy_err *e)
{
	char what[64];
	switch (err) {
	case ESRCH:
		return err_set(e, PS_EGONE, "pid %d has exited", (int)r->pid);
	case EPERM:
	case EACCES:
		snprintf(what, sizeof(what), "reading pid %d", (int)r->pid);
		return procfs_perm_error(e, r->pid, what);
	case ENOMEM:
	case EFAULT:
	case EIO:
	case 0:
		return err_set(e, PS_EFAULT, "cannot read %zu bytes at 0x%" PRIx64 ": bad address", len, addr);
	default:
		return err_set(e, PS_EIO, "cannot read %zu bytes at 0x%" PRIx64 ": %s", len, addr, strerror(err));
	}
}

static int memfd_read(struct remote *r, raddr_t addr, void *buf, size_t len, struct pyspy_err *e)
{
	if (r->memfd < 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)r->pid);
		r->memfd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->memfd < 0)
			return read_error(r, errno == ENOENT ? ESRCH : errno, addr, len, e);
	}
	ssize_t got = pread(r->memfd, buf, len, (off_t)addr);
	if (got == (ssize_t)len)
		return 0;
	return read_error(r, got < 0 ? errno : 0, addr, len, e);
}

int remote_read(struct remote *r, raddr_t addr, void *buf, size_t len, struct pyspy_err *e)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };

	if (r->pf && prefetch_serve(r, addr, buf, len))
		return 0;
	r->nreads++;
	r->nbytes += len;
	if (len == 0)
		return 0;
	if (__builtin_expect(r->backend != NULL, 0)) {
		int err = r->backend(r->backend_ctx, addr, buf, len);
		return err ? read_error(r, err, addr, len, e) : 0;
	}
	if (r->memfd < 0) {
		ssize_t got = process_vm_readv(r->pid, &local, 1, &remote, 1, 0);
		if (got == (ssize_t)len) {
			if (r->pf)
				prefetch_remember(r->pf, addr, len);
			return 0;
		}
		if (got >= 0)
			return read_error(r, 0, addr, len, e);
		if (errno != ENOSYS)
			return read_error(r, errno, addr, len, e);
	}
	return memfd_read(r, addr, buf, len, e);
}

int remote_readv(struct remote *r, const struct remote_iov *iov, int n, struct pyspy_err *e)
{
	struct iovec local[REMOTE_IOV_MAX], remote[REMOTE_IOV_MAX];
	size_t total = 0;

	if (n > REMOTE_IOV_MAX || r->memfd >= 0 || r->backend || (r->pf && prefetch_active(r->pf))) {
		for (int i = 0; i < n; i++) {
			int rc = remote_read(r, iov[i].addr, iov[i].buf, iov[i].len, e);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	for (int i = 0; i < n; i++) {
		local[i].iov_base = iov[i].buf;
		local[i].iov_len = iov[i].len;
		remote[i].iov_base = (void *)(uintptr_t)iov[i].addr;
		remote[i].iov_len = iov[i].len;
		total += iov[i].len;
	}
	r->nreads++;
	r->nbytes += total;
	ssize_t got = process_vm_readv(r->pid, local, (unsigned long)n, remote, (unsigned long)n, 0);
	if (got == (ssize_t)total)
		return 0;
	if (got < 0 && errno == ENOSYS) {
		r->nreads--;
		r->nbytes -= total;
		for (int i = 0; i < n; i++) {
			int rc = memfd_read(r, iov[i].addr, iov[i].buf, iov[i].len, e);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	/* Name the first piece that did not arrive. */
	size_t done = got < 0 ? 0 : (size_t)got;
	int i = 0;
	while (i < n - 1 && done >= iov[i].len)
		done -= iov[i++].len;
	return read_error(r, got < 0 ? errno : 0, iov[i].addr, iov[i].len, e);
}

int remote_read_ptr(struct remote *r, raddr_t addr, raddr_t *out, struct pyspy_err *e)
{
	uint64_t v;
	int rc = remote_read(r, addr, &v, sizeof(v), e);
	*out = rc < 0 ? 0 : v;
	return rc;
}
