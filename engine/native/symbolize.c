/*
 * symbolize.c — libdwfl behind an address cache.
 *
 * libdwfl does the hard parts: it maps each address to its module with the
 * load bias applied, finds separate debug information (by build-id under
 * /usr/lib/debug, or .gnu_debuglink), and searches .symtab or .dynsym.  What
 * it does not do is remember answers, and a sampler asks about the same few
 * hundred return addresses thousands of times, so every answer goes into an
 * open-addressed table keyed by address, with its strings interned in the
 * target's string table (stable pointers, which the profile store relies on).
 *
 * A symbol is only trusted when it contains the address: in a stripped
 * binary the nearest exported symbol before a static function is a different
 * function, and naming it would be a guess.  Such frames stay unnamed (the
 * unwinder can still tell where their function starts: native.c).
 */
#include "symbolize.h"

#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/os/clock.h"
#include "engine/os/core.h"
#define REFRESH_NS 100000000ull   /* maps re-read at most 10 times a second */

struct sym_slot {
	uint64_t addr;             /* 0: empty */
	struct native_sym sym;
};

struct symbolizer {
	Dwfl *dwfl;
	pid_t pid;
	struct strtab *strings;
	struct sym_slot *slots;
	size_t cap, n;
	uint64_t last_refresh_ns;
	bool fixed;                /* a core: the modules never change, never re-read */
	unsigned long lookups, hits;
};

static char *debuginfo_path;
static const Dwfl_Callbacks core_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

/* (Re-)read the process's modules.  Reporting again into the same Dwfl keeps
 * the modules that are still mapped, with the ELF and DWARF already loaded. */
static int report(struct symbolizer *s, struct pyspy_err *e)
{
	if (!s->dwfl && !(s->dwfl = dwfl_begin(&callbacks)))
		return err_set(e, PS_ENOMEM, "cannot start libdwfl: %s", dwfl_errmsg(-1));
	dwfl_report_begin(s->dwfl);
	int rc = dwfl_linux_proc_report(s->dwfl, s->pid);
	dwfl_report_end(s->dwfl, NULL, NULL);
	s->last_refresh_ns = clock_now_ns();
	if (rc != 0)
		return err_set(e, PS_EIO, "cannot read the modules of pid %d: %s", (int)s->pid,
			       rc > 0 ? strerror(rc) : dwfl_errmsg(-1));
	return 0;
}

int symbolize_new(struct symbolizer **out, pid_t pid, struct strtab *strings, struct pyspy_err *e)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s)
		return err_set(e, PS_ENOMEM, "out of memory");
	s->pid = pid;
	s->strings = strings;
	int rc = report(s, e);
	if (rc < 0) {
		symbolize_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int symbolize_new_core(struct symbolizer **out, struct core *c, const struct maps *m, struct strtab *strings,
		       struct pyspy_err *e)
{
	struct symbolizer *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s)
		return err_set(e, PS_ENOMEM, "out of memory");
	s->strings = strings;
	s->fixed = true;
	if (!(s->dwfl = dwfl_begin(&core_callbacks))) {
		free(s);
		return err_set(e, PS_ENOMEM, "cannot start libdwfl: %s", dwfl_errmsg(-1));
	}
	dwfl_report_begin(s->dwfl);
	for (size_t i = 0; i < m->n; i++) {
		const struct map_region *r = &m->v[i];
		bool seen = false;
		if (!r->path || r->path[0] != '/' || r->offset != 0)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = m->v[j].path && strcmp(m->v[j].path, r->path) == 0 && m->v[j].offset == 0;
		if (seen || !core_file_ok(c, r->path))
			continue;
		/* named by the path the process saw, read from the file the core trusts */
		dwfl_report_elf(s->dwfl, r->path, core_file_path(c, r->path), -1, r->start, false);
	}
	dwfl_report_end(s->dwfl, NULL, NULL);
	*out = s;
	return 0;
}

void *symbolize_dwfl(struct symbolizer *s)
{
	return s->dwfl;
}

void symbolize_free(struct symbolizer *s)
{
	if (!s)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	free(s->slots);
	free(s);
}

void symbolize_reset(struct symbolizer *s)
{
	if (s->slots)
		memset(s->slots, 0, s->cap * sizeof(*s->slots));
	s->n = 0;
	if (s->fixed)
		return;
	if (s->dwfl)
		dwfl_end(s->dwfl);
	s->dwfl = NULL;
	report(s, NULL);
}

void symbolize_counts(const struct symbolizer *s, unsigned long *lookups, unsigned long *hits)
{
	*lookups = s->lookups;
	*hits = s->hits;
}

/* ---- the cache ---- */

static size_t slot_of(uint64_t addr, size_t cap)
{
	return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static struct sym_slot *cache_find(struct symbolizer *s, uint64_t addr)
{
	if (!s->cap)
		return NULL;
	for (size_t i = slot_of(addr, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (s->slots[i].addr == addr)
			return &s->slots[i];
		if (!s->slots[i].addr)
			return NULL;
	}
}

static void cache_put(struct symbolizer *s, uint64_t addr, const struct native_sym *sym)
{
	if (!addr)
		return;
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		struct sym_slot *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return;
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->slots[i].addr)
				continue;
			size_t j = slot_of(s->slots[i].addr, ncap);
			while (ns[j].addr)
				j = (j + 1) & (ncap - 1);
			ns[j] = s->slots[i];
		}
		free(s->slots);
		s->slots = ns;
		s->cap = ncap;
	}
	size_t i = slot_of(addr, s->cap);
	while (s->slots[i].addr)
		i = (i + 1) & (s->cap - 1);
	s->slots[i].addr = addr;
	s->slots[i].sym = *sym;
	s->n++;
}

/* ---- lookups ---- */

static const char *intern(struct symbolizer *s, const char *str)
{
	return str ? strtab_intern(s->strings, str, strlen(str)) : NULL;
}

static void lookup(struct symbolizer *s, Dwfl_Module *m, uint64_t addr, struct native_sym *out)
{
	Dwarf_Addr base = 0;
	const char *path = dwfl_module_info(m, NULL, &base, NULL, NULL, NULL, NULL, NULL);
	out->module_base = base;
	if (path) {
		const char *slash = strrchr(path, '/');
		out->path = intern(s, path);
		out->library = intern(s, slash ? slash + 1 : path);
	}
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(m, addr, &off, &sym, NULL, NULL, NULL);
	if (name && (sym.st_size == 0 || off < sym.st_size)) {
		/* .dynsym names may carry their symbol version ("clock_nanosleep@GLIBC_2.2.5") */
		const char *at = strchr(name, '@');
		out->function = at ? strtab_intern(s->strings, name, (size_t)(at - name)) : intern(s, name);
		out->offset = off;
		out->start = addr - off;
	}
	Dwfl_Line *l = dwfl_module_getsrc(m, addr);
	int line = 0;
	const char *src = l ? dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL) : NULL;
	if (src && line > 0) {
		out->file = intern(s, src);
		out->line = line;
	}
}

void symbolize_addr(struct symbolizer *s, uint64_t addr, struct native_sym *out)
{
	memset(out, 0, sizeof(*out));
	s->lookups++;
	struct sym_slot *hit = cache_find(s, addr);
	if (hit) {
		s->hits++;
		*out = hit->sym;
		return;
	}
	Dwfl_Module *m = s->dwfl ? dwfl_addrmodule(s->dwfl, addr) : NULL;
	if (!m && !s->fixed && clock_now_ns() - s->last_refresh_ns > REFRESH_NS) {
		/* perhaps a library loaded since: the answers cached so far stay good */
		report(s, NULL);
		m = s->dwfl ? dwfl_addrmodule(s->dwfl, addr) : NULL;
	}
	if (!m)
		return;   /* not cached: a later lookup may find a library mapped since */
	lookup(s, m, addr, out);
	cache_put(s, addr, out);
}
