/*
 * core.c — opening a core file: its segments, its notes, and the files it
 * names; reading its memory is core_read.c.
 *
 * The core is mapped read-only once.  Everything in the core is untrusted
 * input: every offset and size is checked against the file before it is
 * used, and a segment that runs past the end of the file makes the whole
 * core refused (a truncated core would give stacks with holes in them, read
 * as data).
 */
#include "core.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif
#ifndef NT_SIGINFO
#define NT_SIGINFO 0x53494749
#endif

/* Offsets in struct elf_prstatus (x86-64): pr_cursig, pr_pid, pr_reg. */
#define PRSTATUS_CURSIG 12
#define PRSTATUS_PID 32
#define PRSTATUS_REG 112
#define PRSTATUS_SIZE 336
/* struct elf_prpsinfo (x86-64): pr_pid, pr_fname, pr_psargs. */
#define PRPSINFO_PID 24
#define PRPSINFO_FNAME 40
#define PRPSINFO_PSARGS 56
#define PRPSINFO_SIZE 136
/* ---- the notes ---- */

static int note_file(struct core *c, const uint8_t *d, size_t len)
{
	uint64_t count, page;
	if (len < 16)
		return -1;
	memcpy(&count, d, 8);
	memcpy(&page, d + 8, 8);
	if (count > (len - 16) / 24 || count > 65536)
		return -1;
	c->files = calloc(count ? count : 1, sizeof(*c->files));
	if (!c->files)
		return -1;
	const char *names = (const char *)d + 16 + count * 24, *end = (const char *)d + len;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t v[3];
		memcpy(v, d + 16 + i * 24, 24);
		size_t n = strnlen(names, (size_t)(end - names));
		if (names + n >= end)
			return -1;
		struct core_file *f = &c->files[c->nfiles++];
		f->start = v[0];
		f->end = v[1];
		f->offset = v[2] * page;
		f->path = strndup(names, n);
		f->open_path = f->path;
		f->fd = -2;
		if (!f->path)
			return -1;
		names += n + 1;
	}
	return 0;
}

static int note_prstatus(struct core *c, const uint8_t *d, size_t len)
{
	if (len < PRSTATUS_SIZE)
		return -1;
	struct core_thread *nt = realloc(c->threads, (c->nthreads + 1) * sizeof(*nt));
	if (!nt)
		return -1;
	c->threads = nt;
	struct core_thread *th = &nt[c->nthreads++];
	int16_t sig;
	int32_t pid;
	memcpy(&sig, d + PRSTATUS_CURSIG, 2);
	memcpy(&pid, d + PRSTATUS_PID, 4);
	th->tid = pid;
	th->signal = sig;
	memcpy(th->regs, d + PRSTATUS_REG, sizeof(th->regs));
	return 0;
}

static void note_one(struct core *c, uint32_t type, const uint8_t *d, size_t len, int *bad)
{
	switch (type) {
	case NT_PRSTATUS:
		if (note_prstatus(c, d, len) < 0)
			*bad = 1;
		break;
	case NT_PRPSINFO:
		if (len >= PRPSINFO_SIZE) {
			int32_t pid;
			memcpy(&pid, d + PRPSINFO_PID, 4);
			c->pid = pid;
			memcpy(c->comm, d + PRPSINFO_FNAME, 16);
			memcpy(c->psargs, d + PRPSINFO_PSARGS, 80);
		}
		break;
	case NT_SIGINFO:
		if (len >= 24) {
			int32_t v[3];
			memcpy(v, d, 12);
			c->signal = v[0];
			c->sig_code = v[2];
			memcpy(&c->fault_addr, d + 16, 8);
			c->have_siginfo = true;
		}
		break;
	case NT_AUXV:
		for (size_t at = 0; at + 16 <= len; at += 16) {
			uint64_t kv[2];
			memcpy(kv, d + at, 16);
			if (kv[0] == AT_ENTRY)
				c->at_entry = kv[1];
		}
		break;
	case NT_FILE:
		if (!c->files && note_file(c, d, len) < 0)
			*bad = 1;
		break;
	}
}

static int read_notes(struct core *c, const Elf64_Phdr *ph)
{
	const uint8_t *p = c->data + ph->p_offset;
	size_t len = ph->p_filesz, at = 0;
	int bad = 0;
	while (at + 12 <= len && !bad) {
		uint32_t nsz, dsz, type;
		memcpy(&nsz, p + at, 4);
		memcpy(&dsz, p + at + 4, 4);
		memcpy(&type, p + at + 8, 4);
		size_t desc = at + 12 + ((nsz + 3u) & ~3u);
		if (nsz > len || dsz > len || desc > len || dsz > len - desc)
			return -1;
		/* the kernel names its notes "CORE" (NT_FILE, NT_PRSTATUS...) or "LINUX" */
		note_one(c, type, p + desc, dsz, &bad);
		at = desc + ((dsz + 3u) & ~3u);
	}
	return bad ? -1 : 0;
}

/* ---- opening ---- */

static int seg_cmp(const void *a, const void *b)
{
	const struct core_seg *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

static int check_header(struct core *c, const Elf64_Ehdr *eh, struct pyspy_err *e)
{
	if (c->size < EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return err_set(e, PS_ENOTPY, "%s is not a core file (not ELF)", c->path);
	if (c->size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64) {
		const char *arch = eh->e_ident[EI_CLASS] != ELFCLASS64 ? "a 32-bit architecture"
				 : eh->e_machine == EM_AARCH64 ? "aarch64" : eh->e_machine == EM_PPC64 ? "ppc64"
				 : eh->e_machine == EM_S390 ? "s390x" : eh->e_machine == EM_RISCV ? "riscv64" : "another architecture";
		return err_set(e, PS_EUNSUP, "%s is a core of %s: pyspy-sh reads x86-64 cores", c->path, arch);
	}
	if (eh->e_type != ET_CORE)
		return err_set(e, PS_ENOTPY, "%s is an ELF file but not a core (give the core with --core, the program with --exe)", c->path);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum == PN_XNUM ||
	    eh->e_phoff > c->size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > c->size - eh->e_phoff)
		return err_set(e, PS_ENOTPY, "%s is truncated or corrupt: its program headers are not in the file", c->path);
	return 0;
}

static int read_segments(struct core *c, const Elf64_Ehdr *eh, struct pyspy_err *e)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(c->data + eh->e_phoff);
	c->segs = calloc(eh->e_phnum, sizeof(*c->segs));
	if (!c->segs)
		return err_set(e, PS_ENOMEM, "out of memory");
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr p;
		memcpy(&p, &ph[i], sizeof(p));
		if ((p.p_type == PT_LOAD || p.p_type == PT_NOTE) &&
		    (p.p_offset > c->size || p.p_filesz > c->size - p.p_offset))
			return err_set(e, PS_ENOTPY, "%s is truncated: a segment of %" PRIu64 " bytes at offset %" PRIu64
				       " runs past its end (%zu bytes); was the core size limited (ulimit -c)?",
				       c->path, p.p_filesz, p.p_offset, c->size);
		if (p.p_type == PT_NOTE && read_notes(c, &p) < 0)
			return err_set(e, PS_ENOTPY, "%s is corrupt: its notes cannot be read", c->path);
		if (p.p_type == PT_LOAD && p.p_memsz) {
			c->segs[c->nsegs++] = (struct core_seg){ p.p_vaddr, p.p_memsz, p.p_offset,
								 p.p_filesz < p.p_memsz ? p.p_filesz : p.p_memsz, p.p_flags };
		}
	}
	if (c->nsegs)
		qsort(c->segs, c->nsegs, sizeof(*c->segs), seg_cmp);
	return 0;
}

/* The executable: the mapping that holds the entry point. */
static void find_exe(struct core *c, const char *exe)
{
	for (size_t i = 0; i < c->nfiles && c->at_entry; i++)
		if (c->at_entry >= c->files[i].start && c->at_entry < c->files[i].end)
			snprintf(c->exe, sizeof(c->exe), "%s", c->files[i].path);
	if (!c->exe[0] && c->nfiles)
		snprintf(c->exe, sizeof(c->exe), "%s", c->files[0].path);
	snprintf(c->exe_open, sizeof(c->exe_open), "%s", exe ? exe : c->exe);
	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, c->exe) == 0)
			c->files[i].open_path = c->exe_open;
}

static int check_exe(struct core *c, const char *exe, struct pyspy_err *e)
{
	if (!c->exe[0])
		return err_set(e, PS_ENOTPY, "%s records no mapped files (NT_FILE): its executable is unknown", c->path);
	for (size_t i = 0; i < c->nfiles; i++) {
		if (c->files[i].open_path != c->exe_open)
			continue;
		if (core_file_ok(c, c->files[i].path))
			return 0;
		if (access(c->exe_open, R_OK) != 0)
			return err_set(e, PS_ENOTPY, "the executable the core was made from, %s, cannot be read%s", c->exe_open,
				       exe ? "" : ": give it with --exe PATH");
		return err_set(e, PS_ENOTPY, "%s is not the executable the core was made from (%s): a different build%s",
			       c->exe_open, c->exe, exe ? "" : "; give the right one with --exe PATH");
	}
	return 0;
}

int core_open(struct core *c, const char *path, const char *exe, struct pyspy_err *e)
{
	struct stat st;
	int rc;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if ((c->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		int err = errno;
		return err_set(e, err == ENOENT ? PS_ENOPROC : err == EACCES ? PS_EPERM : PS_EIO,
			       "cannot open core file %s: %s", path, strerror(err));
	}
	if (fstat(c->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(e, PS_ENOTPY, "%s is not a core file (not a regular file)", path);
		goto fail;
	}
	c->size = (size_t)st.st_size;
	Elf64_Ehdr eh = { 0 };
	if (c->size) {
		void *m = mmap(NULL, c->size, PROT_READ, MAP_PRIVATE, c->fd, 0);
		if (m == MAP_FAILED) {
			rc = err_set(e, PS_EIO, "cannot map core file %s: %s", path, strerror(errno));
			goto fail;
		}
		c->data = m;
		memcpy(&eh, c->data, c->size < sizeof(eh) ? c->size : sizeof(eh));
	}
	if ((rc = check_header(c, &eh, e)) < 0 || (rc = read_segments(c, &eh, e)) < 0)
		goto fail;
	if (!c->nthreads) {
		rc = err_set(e, PS_ENOTPY, "%s holds no threads (no NT_PRSTATUS note)", path);
		goto fail;
	}
	if (!c->have_siginfo)
		c->signal = c->threads[0].signal;
	find_exe(c, exe);
	if ((rc = check_exe(c, exe, e)) < 0)
		goto fail;
	return 0;
fail:
	core_close(c);
	return rc;
}

void core_close(struct core *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		if (c->files[i].fd >= 0)
			close(c->files[i].fd);
		free(c->files[i].path);
	}
	free(c->files);
	free(c->segs);
	free(c->threads);
	if (c->data)
		munmap((void *)c->data, c->size);
	if (c->fd >= 0)
		close(c->fd);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* ---- what the target layer asks ---- */

static int region_cmp(const void *a, const void *b)
{
	const struct map_region *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Whether [start, end) overlaps a segment of the core. */
static bool in_segments(const struct core *c, raddr_t start, raddr_t end)
{
	for (size_t i = 0; i < c->nsegs; i++)
		if (c->segs[i].vaddr < end && start < c->segs[i].vaddr + c->segs[i].memsz)
			return true;
	return false;
}

int core_maps(const struct core *c, struct maps *m, struct pyspy_err *e)
{
	m->v = calloc(c->nsegs + c->nfiles + 1, sizeof(*m->v));
	m->n = 0;
	if (!m->v)
		return err_set(e, PS_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nsegs; i++) {
		const struct core_seg *s = &c->segs[i];
		struct map_region *r = &m->v[m->n++];
		r->start = s->vaddr;
		r->end = s->vaddr + s->memsz;
		snprintf(r->perms, sizeof(r->perms), "%c%c%cp", s->flags & PF_R ? 'r' : '-', s->flags & PF_W ? 'w' : '-',
			 s->flags & PF_X ? 'x' : '-');
		for (size_t j = 0; j < c->nfiles; j++)
			if (c->files[j].start <= s->vaddr && s->vaddr < c->files[j].end) {
				r->offset = c->files[j].offset + (s->vaddr - c->files[j].start);
				if (!(r->path = strdup(c->files[j].path)))
					return err_set(e, PS_ENOMEM, "out of memory");
				break;
			}
	}
	/* file mappings with no segment at all: read-only, served from the file */
	for (size_t j = 0; j < c->nfiles; j++) {
		const struct core_file *f = &c->files[j];
		if (f->end <= f->start || in_segments(c, f->start, f->end))
			continue;
		struct map_region *r = &m->v[m->n++];
		r->start = f->start;
		r->end = f->end;
		r->offset = f->offset;
		snprintf(r->perms, sizeof(r->perms), "r--p");
		if (!(r->path = strdup(f->path)))
			return err_set(e, PS_ENOMEM, "out of memory");
	}
	if (m->n)
		qsort(m->v, m->n, sizeof(*m->v), region_cmp);
	return 0;
}

const char *core_file_path(const struct core *c, const char *path)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].path, path) == 0)
			return c->files[i].open_path;
	return path;
}

const struct core_thread *core_thread(const struct core *c, pid_t tid)
{
	for (size_t i = 0; i < c->nthreads; i++)
		if (c->threads[i].tid == tid)
			return &c->threads[i];
	return NULL;
}

int core_tids(const struct core *c, pid_t **tids, size_t *n, struct pyspy_err *e)
{
	*n = 0;
	if (!(*tids = malloc((c->nthreads ? c->nthreads : 1) * sizeof(**tids))))
		return err_set(e, PS_ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nthreads; i++)
		(*tids)[(*n)++] = c->threads[i].tid;
	return 0;
}
