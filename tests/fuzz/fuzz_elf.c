/*
 * fuzz_elf.c — libFuzzer harness for the ELF reader (elfsym.c over libelf).
 *
 * The input is an ELF file.  elfsym opens files by path (attach opens the
 * target's modules through /proc/PID/root), so the bytes go into a memfd and
 * are opened as /proc/self/fd/N.  Then the harness asks what attach asks:
 * the interpreter's symbols through .gnu.hash / .hash and through .symtab,
 * the .PyRuntime, .data, .bss and .rodata sections, and a version scan of
 * .rodata.  Seeds are small real ELF files: shared objects with GNU and SysV
 * hash tables, an executable, a stripped one, all with Python-like symbols.
 */
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine/os/elfsym.h"
#include "engine/python/pyversion.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "_PyRuntime", "Py_Version", "interp_head", "PyCode_Type",
					     "_PyThreadState_Current", "Py_Initialize", "" };
	static const char *const sections[] = { ".PyRuntime", ".data", ".bss", ".rodata", ".dynsym", "" };
	int fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct elfsym es;
	struct pyspy_err e;
	if (elfsym_open(&es, path, &e) == 0) {
		uint64_t v, sz, off;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			elfsym_find(&es, names[i], &v, &sz, false);
			elfsym_find(&es, names[i], &v, &sz, true);
		}
		for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
			elfsym_section(&es, sections[i], &v, &sz, &off);
		size_t len;
		const void *ro = elfsym_section_data(&es, ".rodata", &len);
		struct pyversion pv;
		if (ro)
			pyversion_scan(ro, len, 0, 0, &pv);
		elfsym_close(&es);
	}
	close(fd);
	return 0;
}
