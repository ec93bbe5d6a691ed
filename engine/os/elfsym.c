/*
 * elfsym.c — ELF symbol and section lookup with libelf.
 *
 * The .gnu.hash walk follows the layout documented for the GNU toolchain:
 * nbuckets, symoffset, bloom_size, bloom_shift, the bloom words, the buckets,
 * then one hash-chain word per symbol from symoffset on, the low bit marking
 * the end of a chain.  The SysV .hash is nbucket, nchain, buckets, chains.
 */
#include "elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static Elf_Scn *section_named(Elf *elf, const char *want, GElf_Shdr *out)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && strcmp(name, want) == 0) {
			*out = sh;
			return scn;
		}
	}
	return NULL;
}

static const void *section_bytes(Elf *elf, const char *name, size_t *size, uint32_t want_type)
{
	GElf_Shdr sh;
	Elf_Scn *scn = section_named(elf, name, &sh);
	if (!scn || sh.sh_type == SHT_NOBITS || (want_type && sh.sh_type != want_type))
		return NULL;
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return NULL;
	*size = d->d_size;
	return d->d_buf;
}

int elfsym_open(struct elfsym *s, const char *path, struct pyspy_err *e)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return err_set(e, PS_EIO, "libelf is unusable: %s", elf_errmsg(-1));
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		return err_set(e, errno == EACCES ? PS_EPERM : PS_EIO, "cannot open '%s': %s", path, strerror(errno));
	Elf *elf = elf_begin(s->fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(s->fd);
		s->fd = -1;
		return err_set(e, PS_ENOTPY, "'%s' is not an ELF file", path);
	}
	s->elf = elf;

	GElf_Ehdr eh;
	size_t nph = 0;
	s->is_dyn = gelf_getehdr(elf, &eh) && eh.e_type == ET_DYN;
	s->load_vaddr = UINT64_MAX;
	if (elf_getphdrnum(elf, &nph) == 0) {
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_vaddr < s->load_vaddr)
				s->load_vaddr = ph.p_vaddr & ~(uint64_t)0xfff;
		}
	}
	if (s->load_vaddr == UINT64_MAX)
		s->load_vaddr = 0;

	s->dynsym = section_bytes(elf, ".dynsym", &s->dynsym_size, SHT_DYNSYM);
	s->dynstr = section_bytes(elf, ".dynstr", &s->dynstr_size, 0);
	s->gnuhash = section_bytes(elf, ".gnu.hash", &s->gnuhash_size, 0);
	s->sysvhash = section_bytes(elf, ".hash", &s->sysvhash_size, 0);
	return 0;
}

void elfsym_close(struct elfsym *s)
{
	if (s->elf)
		elf_end(s->elf);
	if (s->fd >= 0)
		close(s->fd);
	s->elf = NULL;
	s->fd = -1;
}

static uint32_t gnu_hash(const char *name)
{
	uint32_t h = 5381;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = h * 33 + *p;
	return h;
}

static uint32_t sysv_hash(const char *name)
{
	uint32_t h = 0, g;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h = (h << 4) + *p;
		g = h & 0xf0000000u;
		if (g)
			h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

/* Section data is used where the file has it, and a hostile file can place
 * a section at any offset: read its words and symbols through memcpy, never
 * through a cast pointer that may be misaligned. */
static uint32_t word32(const void *base, size_t i)
{
	uint32_t v;
	memcpy(&v, (const uint8_t *)base + i * 4, sizeof(v));
	return v;
}

static uint64_t word64(const void *base, size_t i)
{
	uint64_t v;
	memcpy(&v, (const uint8_t *)base + i * 8, sizeof(v));
	return v;
}

static void sym_at(const void *base, size_t i, Elf64_Sym *out)
{
	memcpy(out, (const uint8_t *)base + i * sizeof(Elf64_Sym), sizeof(*out));
}

/* Whether dynamic symbol i is `name` and defined; fills value/size if so. */
static int dynsym_match(struct elfsym *s, uint32_t i, const char *name, uint64_t *value, uint64_t *size)
{
	Elf64_Sym sym;
	if (((uint64_t)i + 1) * sizeof(Elf64_Sym) > s->dynsym_size)
		return -1;
	sym_at(s->dynsym, i, &sym);
	if (sym.st_name >= s->dynstr_size || sym.st_shndx == SHN_UNDEF)
		return -1;
	const char *sn = (const char *)s->dynstr + sym.st_name;
	size_t maxlen = s->dynstr_size - sym.st_name;
	if (strnlen(sn, maxlen) == maxlen || strcmp(sn, name) != 0)
		return -1;
	*value = sym.st_value;
	if (size)
		*size = sym.st_size;
	return 0;
}

static int find_gnu(struct elfsym *s, const char *name, uint64_t *value, uint64_t *size)
{
	const void *w = s->gnuhash;
	size_t nwords = s->gnuhash_size / 4;
	if (nwords < 4)
		return -1;
	uint32_t nbuckets = word32(w, 0), symoffset = word32(w, 1), bloom_size = word32(w, 2), bloom_shift = word32(w, 3);
	size_t buckets_at = 4 + (size_t)bloom_size * 2;   /* 64-bit bloom words */
	/* found by fuzzing: a zero bloom size divided by zero, a shift of 32 or more is undefined */
	if (nbuckets == 0 || bloom_size == 0 || bloom_shift >= 32 || buckets_at + nbuckets > nwords)
		return -1;
	uint32_t h = gnu_hash(name);
	uint64_t word = word64((const uint8_t *)w + 16, (h / 64) % bloom_size);
	if (!((word >> (h % 64)) & (word >> ((h >> bloom_shift) % 64)) & 1))
		return -1;
	uint32_t i = word32(w, buckets_at + h % nbuckets);
	if (i < symoffset)
		return -1;
	for (;; i++) {
		size_t ci = (size_t)i - symoffset;
		if (buckets_at + nbuckets + ci >= nwords || i == UINT32_MAX)
			return -1;
		uint32_t ch = word32(w, buckets_at + nbuckets + ci);
		if ((ch | 1) == (h | 1) && dynsym_match(s, i, name, value, size) == 0)
			return 0;
		if (ch & 1)
			return -1;
	}
}

static int find_sysv(struct elfsym *s, const char *name, uint64_t *value, uint64_t *size)
{
	const void *w = s->sysvhash;
	size_t nwords = s->sysvhash_size / 4;
	if (nwords < 2)
		return -1;
	uint32_t nbucket = word32(w, 0), nchain = word32(w, 1);
	if (nbucket == 0 || 2 + (size_t)nbucket + nchain > nwords)
		return -1;
	uint32_t steps = 0;
	for (uint32_t i = word32(w, 2 + sysv_hash(name) % nbucket); i && i < nchain && steps++ < nchain;
	     i = word32(w, 2 + (size_t)nbucket + i))
		if (dynsym_match(s, i, name, value, size) == 0)
			return 0;
	return -1;
}

static int find_symtab(struct elfsym *s, const char *name, uint64_t *value, uint64_t *size)
{
	if (!s->symtab) {
		s->symtab = section_bytes(s->elf, ".symtab", &s->symtab_size, SHT_SYMTAB);
		s->strtab = section_bytes(s->elf, ".strtab", &s->strtab_size, 0);
		if (!s->symtab || !s->strtab)
			return -1;
	}
	size_t n = s->symtab_size / sizeof(Elf64_Sym);
	size_t want = strlen(name) + 1;
	for (size_t i = 0; i < n; i++) {
		Elf64_Sym sym;
		sym_at(s->symtab, i, &sym);
		if (sym.st_shndx == SHN_UNDEF || sym.st_name >= s->strtab_size)
			continue;
		/* the whole name and its NUL must lie in the table: not a prefix cut by its end */
		const char *sn = (const char *)s->strtab + sym.st_name;
		if (s->strtab_size - sym.st_name >= want && memcmp(sn, name, want) == 0) {
			*value = sym.st_value;
			if (size)
				*size = sym.st_size;
			return 0;
		}
	}
	return -1;
}

int elfsym_find(struct elfsym *s, const char *name, uint64_t *value, uint64_t *size, bool use_symtab)
{
	if (!s->elf)
		return -1;
	if (s->dynsym && s->dynstr) {
		if (s->gnuhash && find_gnu(s, name, value, size) == 0)
			return 0;
		if (!s->gnuhash && s->sysvhash && find_sysv(s, name, value, size) == 0)
			return 0;
	}
	return use_symtab ? find_symtab(s, name, value, size) : -1;
}

int elfsym_section(struct elfsym *s, const char *name, uint64_t *addr, uint64_t *size, uint64_t *file_off)
{
	GElf_Shdr sh;
	if (!s->elf || !section_named(s->elf, name, &sh))
		return -1;
	if (addr)
		*addr = sh.sh_addr;
	if (size)
		*size = sh.sh_size;
	if (file_off)
		*file_off = sh.sh_offset;
	return 0;
}

const void *elfsym_section_data(struct elfsym *s, const char *name, size_t *size)
{
	return s->elf ? section_bytes(s->elf, name, size, 0) : NULL;
}

bool elfsym_needs(struct elfsym *s, const char *prefix)
{
	size_t size, len = strlen(prefix);
	const Elf64_Dyn *dyn = elfsym_section_data(s, ".dynamic", &size);
	if (!dyn || !s->dynstr)
		return false;
	for (size_t i = 0; (i + 1) * sizeof(*dyn) <= size; i++) {
		Elf64_Dyn d;
		memcpy(&d, (const uint8_t *)dyn + i * sizeof(d), sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag != DT_NEEDED || d.d_un.d_val >= s->dynstr_size)
			continue;
		const char *name = (const char *)s->dynstr + d.d_un.d_val;
		if (strnlen(name, s->dynstr_size - d.d_un.d_val) >= len && !strncmp(name, prefix, len))
			return true;
	}
	return false;
}
