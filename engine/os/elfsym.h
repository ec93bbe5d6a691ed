/*
 * elfsym.h — symbols and sections of an ELF file, through libelf.
 *
 * Attaching must be quick, so a symbol is looked up through the dynamic symbol
 * table's hash (.gnu.hash, else .hash) — a handful of probes — rather than by
 * loading the whole table.  Only when that fails, and the caller allows it,
 * is the full .symtab scanned (needed for static symbols such as 2.7's
 * interp_head, which never reach .dynsym).
 */
#ifndef PYSPY_ELFSYM_H
#define PYSPY_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/error.h"

struct elfsym {
	int fd;
	void *elf;                 /* Elf * */
	char path[4096];
	uint64_t load_vaddr;       /* lowest PT_LOAD p_vaddr, page aligned */
	bool is_dyn;               /* ET_DYN (shared object or PIE) */
	/* dynamic symbol lookup */
	const void *dynsym, *dynstr, *gnuhash, *sysvhash;
	size_t dynsym_size, dynstr_size, gnuhash_size, sysvhash_size;
	/* full symbol table, used only on request */
	const void *symtab, *strtab;
	size_t symtab_size, strtab_size;
};

/* Open the file at path (already prefixed with /proc/PID/root if needed). */
int elfsym_open(struct elfsym *s, const char *path, struct pyspy_err *e);
void elfsym_close(struct elfsym *s);

/* Find a symbol's value (a link-time address) and size.  Returns 0, or -1 if absent. */
int elfsym_find(struct elfsym *s, const char *name, uint64_t *value, uint64_t *size, bool use_symtab);

/* Find a section by name: its link-time address, size and file offset.  0 or -1. */
int elfsym_section(struct elfsym *s, const char *name, uint64_t *addr, uint64_t *size, uint64_t *file_off);

/* The bytes of a section in the file (for sections with contents), or NULL. */
const void *elfsym_section_data(struct elfsym *s, const char *name, size_t *size);

/* Whether the file names a library starting with prefix among its DT_NEEDED
 * entries (what the dynamic loader will map before the program starts). */
bool elfsym_needs(struct elfsym *s, const char *prefix);

#endif
