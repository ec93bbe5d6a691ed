/*
 * test_core.c — core files (engine/os/core.c) made here byte by byte.
 *
 * A core of one "executable" (a small ELF file with a build-id, mapped at
 * 0x10000 over two pages, of which the core holds only the first) and one
 * anonymous page, two threads, a SIGSEGV, the program's name and pid.
 * Checked: the notes are read (threads with tid, signal, registers; the
 * signal and fault address; comm and pid; the executable from the entry
 * point); reads come from the core, from the file for the page it left out,
 * across the two, and fail outside; the maps.  Refused with the right code:
 * the executable replaced by a different build (--exe), a missing one, a
 * truncated core, another architecture, an NT_FILE note whose count runs
 * past the note, a file that is no ELF.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/os/core.h"
#include "unit.h"

#define PAGE 4096
#define EXE_VADDR 0x10000ull
#define ANON_VADDR 0x20000ull

static char dir[] = "/tmp/pyspy-unit-core-XXXXXX";

/* An ELF file of two pages: a build-id note in the first, 0xB0 bytes in the second. */
static void write_exe(const char *path, uint8_t id)
{
	static uint8_t img[2 * PAGE];
	memset(img, 0, sizeof(img));
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0, .p_vaddr = 0, .p_filesz = 2 * PAGE, .p_memsz = 2 * PAGE };
	ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x200, .p_vaddr = 0x200, .p_filesz = 36, .p_memsz = 36 };
	uint32_t hdr[3] = { 4, 20, NT_GNU_BUILD_ID };
	memcpy(img + 0x200, hdr, 12);
	memcpy(img + 0x20c, "GNU", 4);
	memset(img + 0x210, id, 20);
	memset(img + PAGE, 0xB0, PAGE);
	FILE *f = fopen(path, "wb");
	fwrite(img, 1, sizeof(img), f);
	fclose(f);
}

struct blob {
	uint8_t *p;
	size_t n;
};

static void put(struct blob *b, const void *d, size_t n)
{
	b->p = realloc(b->p, b->n + n + 8);
	memcpy(b->p + b->n, d, n);
	b->n += n;
	while (b->n % 4)
		b->p[b->n++] = 0;
}

static void note(struct blob *b, const char *name, uint32_t type, const void *desc, size_t n)
{
	uint32_t hdr[3] = { (uint32_t)strlen(name) + 1, (uint32_t)n, type };
	put(b, hdr, 12);
	put(b, name, strlen(name) + 1);
	put(b, desc, n);
}

/* The core; machine and file_count let a test spoil it. */
static size_t write_core(const char *path, const char *exe, uint16_t machine, uint64_t file_count)
{
	struct blob notes = { 0 };
	uint8_t ps[136] = { 0 };
	int32_t pid = 4242;
	memcpy(ps + 24, &pid, 4);
	memcpy(ps + 40, "python3", 7);
	note(&notes, "CORE", NT_PRPSINFO, ps, sizeof(ps));
	for (int i = 0; i < 2; i++) {
		uint8_t st[336] = { 0 };
		int16_t sig = i == 0 ? 11 : 0;
		int32_t tid = 4242 + i;
		uint64_t rip = 0x10100 + (uint64_t)i;
		memcpy(st + 12, &sig, 2);
		memcpy(st + 32, &tid, 4);
		memcpy(st + 112 + 16 * 8, &rip, 8);
		note(&notes, "CORE", NT_PRSTATUS, st, sizeof(st));
	}
	uint8_t si[128] = { 0 };
	int32_t signo = 11, code = 1;
	uint64_t addr = 0xdead;
	memcpy(si, &signo, 4);
	memcpy(si + 8, &code, 4);
	memcpy(si + 16, &addr, 8);
	note(&notes, "CORE", 0x53494749, si, sizeof(si));
	uint64_t auxv[4] = { AT_ENTRY, EXE_VADDR + 0x100, AT_NULL, 0 };
	note(&notes, "CORE", NT_AUXV, auxv, sizeof(auxv));
	struct blob nf = { 0 };
	uint64_t head[5] = { file_count, PAGE, EXE_VADDR, EXE_VADDR + 2 * PAGE, 0 };
	put(&nf, head, sizeof(head));
	put(&nf, exe, strlen(exe) + 1);
	note(&notes, "CORE", 0x46494c45, nf.p, nf.n);

	size_t phoff = sizeof(Elf64_Ehdr), data = PAGE * 2;
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_CORE;
	eh.e_machine = machine;
	eh.e_phoff = phoff;
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 3;
	Elf64_Phdr ph[3] = {
		{ .p_type = PT_NOTE, .p_offset = phoff + sizeof(ph), .p_filesz = notes.n },
		{ .p_type = PT_LOAD, .p_flags = PF_R, .p_offset = data, .p_vaddr = EXE_VADDR, .p_filesz = PAGE, .p_memsz = 2 * PAGE },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W, .p_offset = data + PAGE, .p_vaddr = ANON_VADDR, .p_filesz = PAGE, .p_memsz = PAGE },
	};
	uint8_t *img = calloc(1, data + 2 * PAGE);
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + phoff, ph, sizeof(ph));
	memcpy(img + phoff + sizeof(ph), notes.p, notes.n);
	/* the executable's first page as mapped: its header, with build-id 0x11 */
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s/first", dir);
	write_exe(tmp, 0x11);
	FILE *f = fopen(tmp, "rb");
	if (fread(img + data, 1, PAGE, f) != PAGE)
		CHECK(!"read back the first page");
	fclose(f);
	memset(img + data + PAGE, 0xA5, PAGE);
	f = fopen(path, "wb");
	fwrite(img, 1, data + 2 * PAGE, f);
	fclose(f);
	free(img);
	free(notes.p);
	free(nf.p);
	return data + 2 * PAGE;
}

static void test_good(const char *core, const char *exe)
{
	struct core c;
	struct pyspy_err e = { 0 };
	uint8_t buf[16];
	if (!CHECK_INT(core_open(&c, core, NULL, &e), 0)) {
		fprintf(stderr, "  %s\n", e.msg);
		return;
	}
	CHECK_INT(c.nthreads, 2);
	CHECK_INT(c.threads[0].tid, 4242);
	CHECK_INT(c.threads[0].signal, 11);
	CHECK_INT(c.threads[1].regs[16], 0x10101);
	CHECK_INT(c.signal, 11);
	CHECK_INT(c.fault_addr, 0xdead);
	CHECK_INT(c.pid, 4242);
	CHECK_STR(c.comm, "python3");
	CHECK_STR(c.exe, exe);
	CHECK_INT(core_read(&c, ANON_VADDR + 8, buf, 8), 0);
	CHECK_INT(buf[0], 0xA5);
	CHECK_INT(core_read(&c, EXE_VADDR + PAGE + 8, buf, 8), 0);   /* left out: from the file */
	CHECK_INT(buf[7], 0xB0);
	CHECK_INT(core_read(&c, EXE_VADDR + PAGE - 4, buf, 8), 0);   /* across the two */
	CHECK_INT(buf[0], 0);
	CHECK_INT(buf[4], 0xB0);
	CHECK_INT(core_read(&c, 0x30000, buf, 8), EFAULT);
	CHECK_INT(core_read(&c, ANON_VADDR + PAGE - 4, buf, 8), EFAULT);
	struct maps m;
	CHECK_INT(core_maps(&c, &m, &e), 0);
	CHECK_INT(m.n, 2);
	CHECK_STR(m.v[0].path, exe);
	CHECK(m.v[1].path == NULL);
	CHECK_STR(m.v[1].perms, "rw-p");
	maps_release(&m);
	CHECK(core_file_ok(&c, exe));
	core_close(&c);
}

static void expect_refused(const char *core, const char *exe, int code, const char *words)
{
	struct core c;
	struct pyspy_err e = { 0 };
	int rc = core_open(&c, core, exe, &e);
	CHECK_INT(rc, -code);
	if (!CHECK(strstr(e.msg, words) != NULL))
		fprintf(stderr, "  message %s; expected it to say %s\n", e.msg, words);
}

int main(void)
{
	char exe[4200], other[4200], core[4200], bad[4200];
	if (!mkdtemp(dir))
		return 1;
	snprintf(exe, sizeof(exe), "%s/python3", dir);
	snprintf(other, sizeof(other), "%s/python-other", dir);
	snprintf(core, sizeof(core), "%s/core", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	write_exe(exe, 0x11);
	write_exe(other, 0x22);
	size_t size = write_core(core, exe, EM_X86_64, 1);
	test_good(core, exe);
	expect_refused(core, other, PS_ENOTPY, "not the executable");
	expect_refused(core, "/nonexistent/python", PS_ENOTPY, "cannot be read");
	if (truncate(core, (off_t)(size - 100)) == 0)
		expect_refused(core, NULL, PS_ENOTPY, "truncated");
	write_core(bad, exe, EM_AARCH64, 1);
	expect_refused(bad, NULL, PS_EUNSUP, "aarch64");
	write_core(bad, exe, EM_X86_64, 1000000);
	expect_refused(bad, NULL, PS_ENOTPY, "notes");
	expect_refused(exe, NULL, PS_ENOTPY, "not a core");
	expect_refused("/nonexistent/core", NULL, PS_ENOPROC, "cannot open");
	char cmd[4300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return unit_done();
}
