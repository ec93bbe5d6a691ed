/*
 * core_read.c — a core file's memory: core_read(), the remote backend of a
 * target opened with --core (core.c opens the core and sorts its segments).
 *
 * A read is a binary search over the segments and a memcpy.  File-backed
 * parts the kernel did not dump are read from the files named in NT_FILE,
 * each opened on first use and checked once: the build-id in the core's copy
 * of the file's first page must equal the file's own (when the core left the
 * note out, the ELF and program headers must agree).  A file that fails is
 * named in c->warnings and never read.
 */
#include "core.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUILD_ID_MAX 64

/* One line of c->warnings: "FILE: WHAT". */
static void warn(struct core *c, const char *file, const char *what)
{
	size_t n = strlen(c->warnings);
	if (n + 1 < sizeof(c->warnings))
		snprintf(c->warnings + n, sizeof(c->warnings) - n, "%s: %s\n", file, what);
}

/* ---- reading ---- */

/* The core's own bytes at addr: how many of len it holds contiguously (0: none). */
static size_t from_core(const struct core *c, raddr_t addr, void *buf, size_t len, size_t *seg_left)
{
	size_t lo = 0, hi = c->nsegs;
	*seg_left = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct core_seg *s = &c->segs[mid];
		if (addr < s->vaddr)
			hi = mid;
		else if (addr - s->vaddr >= s->memsz)
			lo = mid + 1;
		else {
			uint64_t in = addr - s->vaddr;
			*seg_left = (size_t)(s->memsz - in);
			if (in >= s->filesz)
				return 0;
			size_t n = (size_t)(s->filesz - in) < len ? (size_t)(s->filesz - in) : len;
			if (buf)
				memcpy(buf, c->data + s->offset + in, n);
			return n;
		}
	}
	return 0;
}

static int file_read_build_id(int fd, uint64_t size, uint8_t *id, size_t *idlen);
static int same_headers(struct core *c, raddr_t base, int fd);
static int mem_build_id(struct core *c, raddr_t base, uint8_t *id, size_t *idlen);

static void hex(const uint8_t *id, size_t n, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < n && 2 * i + 3 <= len; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* Open the file behind f, once, and check that it is the build the core ran. */
static void file_open(struct core *c, struct core_file *f)
{
	struct stat st;
	f->fd = open(f->open_path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st) < 0) {
		warn(c, f->open_path, "cannot be opened: the parts the core left out are unreadable");
		if (f->fd >= 0)
			close(f->fd);
		f->fd = -1;
		return;
	}
	f->size = (uint64_t)st.st_size;
	/* every mapping of this path shares the verdict */
	for (size_t i = 0; i < c->nfiles; i++)
		if (&c->files[i] != f && strcmp(c->files[i].path, f->path) == 0 && c->files[i].checked) {
			if (c->files[i].fd < 0) {
				close(f->fd);
				f->fd = -1;
			}
			f->checked = true;
			return;
		}
	f->checked = true;
	uint8_t want[BUILD_ID_MAX], have[BUILD_ID_MAX];
	size_t nwant = 0, nhave = 0;
	raddr_t base = 0;
	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, f->path) == 0 && c->files[i].offset == 0)
			base = c->files[i].start;
	if (!base)
		return;   /* the core kept no header to check against */
	int same;
	char what[2 * BUILD_ID_MAX + 80];
	if (mem_build_id(c, base, want, &nwant) == 0) {
		char w[2 * BUILD_ID_MAX + 1];
		same = file_read_build_id(f->fd, f->size, have, &nhave) == 0 && nhave == nwant && memcmp(want, have, nwant) == 0;
		hex(want, nwant, w, sizeof(w));
		snprintf(what, sizeof(what), "a different build from the one the core ran (build-id %s): not read", w);
	} else {
		/* the note lies in a page the core left out: the ELF and program
		 * headers, which nothing rewrites at run time, must then agree */
		if ((same = same_headers(c, base, f->fd)) < 0)
			return;
		snprintf(what, sizeof(what), "a different build from the one the core ran (its ELF headers differ): not read");
	}
	if (!same) {
		warn(c, f->open_path, what);
		close(f->fd);
		f->fd = -1;
		for (size_t i = 0; i < c->nfiles; i++)
			if (strcmp(c->files[i].path, f->path) == 0) {
				c->files[i].checked = true;
				if (&c->files[i] != f && c->files[i].fd >= 0)
					close(c->files[i].fd);
				c->files[i].fd = -1;
			}
	}
}

/* The file's bytes at addr (a part the core left out): how many, 0 if none. */
static size_t from_file(struct core *c, raddr_t addr, void *buf, size_t len)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		struct core_file *f = &c->files[i];
		if (addr < f->start || addr >= f->end)
			continue;
		if (f->fd == -2)
			file_open(c, f);
		if (f->fd < 0)
			return 0;
		uint64_t off = f->offset + (addr - f->start);
		size_t n = (size_t)(f->end - addr) < len ? (size_t)(f->end - addr) : len;
		if (off >= f->size)
			return 0;
		if (n > f->size - off)
			n = (size_t)(f->size - off);
		ssize_t got = pread(f->fd, buf, n, (off_t)off);
		return got > 0 ? (size_t)got : 0;
	}
	return 0;
}

int core_read(void *ctx, raddr_t addr, void *buf, size_t len)
{
	struct core *c = ctx;
	uint8_t *out = buf;
	while (len > 0) {
		size_t seg_left;
		size_t n = from_core(c, addr, out, len, &seg_left);
		/* a part the core left out, or a whole mapping it has no segment
		 * for (gdb's gcore writes none for read-only file mappings) */
		if (n == 0)
			n = from_file(c, addr, out, seg_left && seg_left < len ? seg_left : len);
		if (n == 0)
			return EFAULT;
		out += n;
		addr += n;
		len -= n;
	}
	return 0;
}

/* ---- build-ids ---- */

/* The NT_GNU_BUILD_ID in a block of notes. */
static int notes_build_id(const uint8_t *p, size_t len, uint8_t *id, size_t *idlen)
{
	size_t at = 0;
	while (at + 12 <= len) {
		uint32_t nsz, dsz, type;
		memcpy(&nsz, p + at, 4);
		memcpy(&dsz, p + at + 4, 4);
		memcpy(&type, p + at + 8, 4);
		size_t name = at + 12, desc = name + ((nsz + 3u) & ~3u);
		if (nsz > len || dsz > len || desc + dsz > len)
			return -1;
		if (type == NT_GNU_BUILD_ID && nsz == 4 && memcmp(p + name, "GNU", 4) == 0 && dsz && dsz <= BUILD_ID_MAX) {
			memcpy(id, p + desc, dsz);
			*idlen = dsz;
			return 0;
		}
		at = desc + ((dsz + 3u) & ~3u);
	}
	return -1;
}

static int file_read_build_id(int fd, uint64_t size, uint8_t *id, size_t *idlen)
{
	Elf64_Ehdr eh;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
		return -1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph))
			return -1;
		if (ph.p_type != PT_NOTE || ph.p_filesz > 65536 || ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
			continue;
		uint8_t *buf = malloc(ph.p_filesz);
		int rc = buf && pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz
				 ? notes_build_id(buf, ph.p_filesz, id, idlen) : -1;
		free(buf);
		if (rc == 0)
			return 0;
	}
	return -1;
}

/* Whether the ELF header and program headers the core holds at base are the
 * file's: 1 yes, 0 no, -1 when the core does not hold them. */
static int same_headers(struct core *c, raddr_t base, int fd)
{
	Elf64_Ehdr eh, feh;
	uint8_t mine[256 * sizeof(Elf64_Phdr)], theirs[256 * sizeof(Elf64_Phdr)];
	size_t left;
	if (from_core(c, base, &eh, sizeof(eh), &left) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return -1;
	if (pread(fd, &feh, sizeof(feh), 0) != (ssize_t)sizeof(feh) || memcmp(&eh, &feh, sizeof(eh)) != 0)
		return 0;
	size_t n = (size_t)eh.e_phnum * eh.e_phentsize;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256 || eh.e_phoff > 4096)
		return -1;
	if (from_core(c, base + eh.e_phoff, mine, n, &left) != n)
		return -1;
	return pread(fd, theirs, n, (off_t)eh.e_phoff) == (ssize_t)n && memcmp(mine, theirs, n) == 0;
}

/* The build-id of the ELF file mapped at base, from the core's own bytes only. */
static int mem_build_id(struct core *c, raddr_t base, uint8_t *id, size_t *idlen)
{
	Elf64_Ehdr eh;
	size_t left;
	if (from_core(c, base, &eh, sizeof(eh), &left) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
		return -1;
	Elf64_Phdr ph[256];
	size_t n = eh.e_phnum * sizeof(Elf64_Phdr);
	if (from_core(c, base + eh.e_phoff, ph, n, &left) != n)
		return -1;
	uint64_t first = UINT64_MAX;
	for (unsigned i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first)
			first = ph[i].p_vaddr & ~(uint64_t)4095;
	if (first == UINT64_MAX)
		return -1;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		uint8_t buf[1024];
		if (ph[i].p_type != PT_NOTE || ph[i].p_filesz > sizeof(buf) || ph[i].p_vaddr < first)
			continue;
		if (from_core(c, base + (ph[i].p_vaddr - first), buf, ph[i].p_filesz, &left) == ph[i].p_filesz &&
		    notes_build_id(buf, ph[i].p_filesz, id, idlen) == 0)
			return 0;
	}
	return -1;
}

/* ---- what the target layer asks ---- */

bool core_file_ok(struct core *c, const char *path)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, path) == 0) {
			if (c->files[i].fd == -2)
				file_open(c, &c->files[i]);
			return c->files[i].fd >= 0;
		}
	return false;
}
