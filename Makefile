# pyspy-sh — build, test, demo, benchmark.
#
#   make            build ./pyspy-sh
#   make test       install what the tests need (apt), build, run every test:
#                   unit, end to end, fuzz (FUZZ_SECONDS each), end to end on the ASan build
#   make demo       install, build, start the demo target and open pyspy-sh on it
#   make bench      measure attach + bt and remote reads per walk
#   make asan       build ./pyspy-sh-asan with AddressSanitizer and UBSan
#   make fuzz       build the libFuzzer harnesses (clang) and run each for FUZZ_SECONDS
#   make install    install the binary, scripts, man page, bash completion (PREFIX, DESTDIR)
#   make layouts    regenerate layouts/*.generated.c from the installed CPython headers
#   make syscalls   regenerate engine/native/syscalls.generated.c from <asm/unistd_64.h>

CC      ?= cc
PKGS    := readline libunwind-ptrace libdw libelf lua5.4
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(WARN) $(CFLAGS) $(PKG_CFLAGS) -I. -D_GNU_SOURCE -MMD -MP \
             -DPYSPY_SCRIPTS_DIR='"$(PREFIX)/share/pyspy-sh/scripts"'
LDFLAGS ?=
ALL_LDFLAGS = -Wl,--as-needed $(LDFLAGS)
ASAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

ENGINE_SRC  := $(wildcard engine/*.c engine/*/*.c)
LAYOUT_SRC  := $(filter-out layouts/gen_layout.c,$(wildcard layouts/*.c))
COMMAND_SRC := $(wildcard commands/*.c)
SHELL_SRC   := $(wildcard shell/*.c)
SCRIPT_SRC  := $(wildcard scripts/*.c)
SRC := $(ENGINE_SRC) $(LAYOUT_SRC) $(COMMAND_SRC) $(SCRIPT_SRC) $(SHELL_SRC)
LIB_SRC := $(ENGINE_SRC) $(LAYOUT_SRC)

OBJ      := $(SRC:%.c=build/%.o)
ASAN_OBJ := $(SRC:%.c=build-asan/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/tests/%)

PYTHON_TEST ?= $(shell command -v python3 2>/dev/null || echo /usr/bin/python3)

.PHONY: all asan test unit e2e demo bench deps test-deps layouts syscalls clean install uninstall fuzz fuzz-build

PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(DESTDIR)$(PREFIX)/bin
DATADIR := $(DESTDIR)$(PREFIX)/share/pyspy-sh
MANDIR  := $(DESTDIR)$(PREFIX)/share/man/man1
COMPDIR := $(DESTDIR)$(PREFIX)/share/bash-completion/completions

all: pyspy-sh

pyspy-sh: $(OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $(OBJ) $(PKG_LIBS)

build/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $<"; $(CC) $(ALL_CFLAGS) -c -o $@ $<

asan: pyspy-sh-asan

pyspy-sh-asan: $(ASAN_OBJ)
	$(CC) $(ASAN) $(ALL_LDFLAGS) -o $@ $(ASAN_OBJ) $(PKG_LIBS)

build-asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (asan)"; $(CC) $(ALL_CFLAGS) $(ASAN) -O1 -c -o $@ $<

build/tests/%: tests/unit/%.c $(LIB_SRC:%.c=build/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_SRC:%.c=build/%.o) $(PKG_LIBS)

# Fuzzing: the engine built again with clang, libFuzzer, ASan and UBSan; one
# binary per harness in tests/fuzz/.  capture records seeds from a live target.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 15
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_NAMES   := linetable pyobj frames elf offsets
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build-fuzz/%.o) build-fuzz/tests/fuzz/fakemem.o
FUZZ_BIN     := $(FUZZ_NAMES:%=build-fuzz/fuzz_%)

build-fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC  $< (fuzz)"; $(FUZZ_CC) $(ALL_CFLAGS) -O1 $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

.PRECIOUS: build-fuzz/%.o

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	@echo "  LD  $@"; $(FUZZ_CC) $(ALL_CFLAGS) -O1 $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_OBJ) $(PKG_LIBS)

build/tests/capture: tests/fuzz/capture.c tests/fuzz/fakemem.c $(LIB_SRC:%.c=build/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ tests/fuzz/capture.c tests/fuzz/fakemem.c $(LIB_SRC:%.c=build/%.o) $(PKG_LIBS)

fuzz-build: $(FUZZ_BIN)

fuzz:
	$(PYTHON_TEST) tests/fuzz/run_fuzz.py --seconds $(FUZZ_SECONDS)

deps:
	@sh tests/install-deps.sh

test-deps:
	@sh tests/install-deps.sh --test
	@sh tests/install-pythons.sh

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do echo "== $$t"; $$t || fail=1; done; exit $$fail

e2e: pyspy-sh
	$(PYTHON_TEST) tests/e2e/run.py --binary ./pyspy-sh

test: test-deps
	@$(MAKE) --no-print-directory -j$$(nproc) all asan $(UNIT_BIN)
	@$(PYTHON_TEST) tests/run_all.py

demo: deps
	@$(MAKE) --no-print-directory all
	@sh tests/demo/demo.sh

bench: pyspy-sh
	$(PYTHON_TEST) tests/bench/bench.py --binary ./pyspy-sh

layouts:
	sh layouts/generate.sh

# the table is committed: a build never needs the kernel header
syscalls:
	sh engine/native/gen_syscalls.sh

install: pyspy-sh
	install -d $(BINDIR) $(DATADIR)/scripts $(MANDIR) $(COMPDIR)
	install -m 755 pyspy-sh $(BINDIR)/pyspy-sh
	for f in scripts/*.lua; do [ -e "$$f" ] && install -m 644 "$$f" $(DATADIR)/scripts/; done; true
	install -m 644 shell/data/pyspy-sh.1 $(MANDIR)/pyspy-sh.1
	install -m 644 shell/data/pyspy-sh.bash $(COMPDIR)/pyspy-sh

uninstall:
	rm -f $(BINDIR)/pyspy-sh $(MANDIR)/pyspy-sh.1 $(COMPDIR)/pyspy-sh
	rm -rf $(DATADIR)

clean:
	rm -rf build build-asan build-fuzz pyspy-sh pyspy-sh-asan

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d)
