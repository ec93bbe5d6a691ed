/*
 * symbolize.h — machine addresses in a target to function, library, file:line.
 *
 * Built on elfutils' libdwfl: the process's modules are reported once (from
 * /proc/PID/maps) and each lookup is answered from the ELF symbol tables
 * (.symtab, or .dynsym when the file is stripped) and, where the file or a
 * separate debug file found by build-id has DWARF, the line table.  Every
 * answer is cached by address, so a sampler that sees the same return
 * addresses tick after tick never reads an ELF file twice.
 */
#ifndef PYSPY_SYMBOLIZE_H
#define PYSPY_SYMBOLIZE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/error.h"
#include "engine/strtab.h"

struct symbolizer;

struct native_sym {
	const char *function;      /* symbol name, interned; NULL when unknown */
	const char *library;       /* the module's file name without directories; NULL: no module */
	const char *path;          /* the module's full path as mapped; NULL: no module */
	const char *file;          /* source file from DWARF; NULL without debug information */
	int line;                  /* 0 when unknown */
	uint64_t offset;           /* address minus the symbol's start (0 when unknown) */
	uint64_t start;            /* the function's start address: the symbol's, or for an
				      unnamed function the start of its unwind table entry
				      (filled by native.c); 0 when unknown */
	uint64_t module_base;      /* where the module is loaded (its lowest address); 0: no module */
};

/* Report pid's modules.  Strings are interned into `strings`, which must
 * outlive the symbolizer.  0, or PS_ENOMEM / PS_EIO. */
int symbolize_new(struct symbolizer **out, pid_t pid, struct strtab *strings, struct pyspy_err *e);
void symbolize_free(struct symbolizer *s);

/* The same for a core file: the modules are the files of m (paths as the
 * process saw them), each reported once from the file core_file_path()
 * names, when the core found it readable and the same build; a file it
 * refused stays unknown (its frames unnamed).  Nothing is re-read later. */
struct core;
struct maps;
int symbolize_new_core(struct symbolizer **out, struct core *c, const struct maps *m, struct strtab *strings,
		       struct pyspy_err *e);

/* The libdwfl session behind s (a Dwfl *), for the core unwinder. */
void *symbolize_dwfl(struct symbolizer *s);

/* Look one address up.  A return address should be passed minus one so that
 * the call, not the next line, is named.  An address outside every known
 * module makes the symbolizer re-read the maps (at most ten times a second:
 * a library loaded since attach; modules already known keep what they have
 * loaded) before it answers "unknown".  Never fails: unknown parts are NULL. */
void symbolize_addr(struct symbolizer *s, uint64_t addr, struct native_sym *out);

/* Forget every module and cached answer (the maps changed). */
void symbolize_reset(struct symbolizer *s);

/* Lookups answered / answered from the cache (for tests and the benchmark). */
void symbolize_counts(const struct symbolizer *s, unsigned long *lookups, unsigned long *hits);

#endif
