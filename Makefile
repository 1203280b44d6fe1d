# SPDX-License-Identifier: GPL-2.0-only
# kipc: `make help` lists the targets.

# The kernel to build kipc.ko against: the running one when its headers are
# installed, else the newest installed 6.1 headers (Debian 12's own kernel;
# tools/deps also installs 6.12's, which the test lanes name with KDIR),
# else the newest installed headers.
KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build),$(lastword $(shell ls -d /lib/modules/6.1.*/build 2>/dev/null | sort -V)),$(lastword $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V)))

BUILD := build
PREFIX ?= /usr/local
CFLAGS ?= -O2 -g
KIPC_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Iinclude -Iinclude/uapi $(CPPFLAGS) $(CFLAGS)

# libipc.so.0.<minor>.0, from tools/version (MAJOR.MINOR.0).
VERSION := $(shell tools/version)
LIB_VERSION := $(VERSION)
LIB_SONAME := libipc.so.0
LIB_DIR := $(BUILD)/lib
LIB_SO := $(LIB_DIR)/libipc.so.$(LIB_VERSION)
LIB_A := $(LIB_DIR)/libipc.a
LIB_SRCS := $(wildcard lib/*.c)
LIB_HDRS := include/libipc.h include/uapi/linux/kipc.h $(wildcard include/kipc/*.h)

# Files taken from Debian's linux-source-6.1 at build time, never committed.
LINUX_TAR := /usr/src/linux-source-6.1.tar.xz
LINUX_X := $(BUILD)/linux
LINUX_FILES := scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch \
	tools/testing/selftests/kselftest_harness.h \
	tools/testing/selftests/kselftest.h
KSFT_DIR := $(LINUX_X)/tools/testing/selftests

# Tests: tests/driver/ need the module (VM); tests/lib/ run on the host.
DRIVER_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/driver/*_test.c))
HOST_TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/lib/*_test.c))
TOOLS := $(BUILD)/tools/kipc-info $(BUILD)/tools/kipc

PY_CONFIG := /usr/bin/python3-config

.PHONY: all module lib tests tools python-ext deps deps-check lint check check-full check-install demo install uninstall clean help

all: module lib tests tools python-ext

help:
	@echo 'make              kipc.ko (against KDIR=$(KDIR)), libipc, tests, tools'
	@echo 'make demo         load kipc.ko in a VM and show the API handshake'
	@echo 'make check        lint and every test suite (VM, Debian and debug kernels)'
	@echo 'make check-full   make check with the whole Python suite and a long fuzz on the debug kernel'
	@echo 'make check-install  build the .debs, install them here, test them in the VM, purge them'
	@echo 'make fuzz         the ABI fuzzer in a VM (SECONDS=120 SEED=S KERNEL=debian|debug)'
	@echo 'make bench        benchmarks in a VM, side by side (bench-quick: short)'
	@echo 'make lint         checkpatch --strict and sparse on the driver'
	@echo 'make deps         install the Debian packages kipc needs (as root)'
	@echo 'make install      install kipc.ko, libipc, headers and the kipc command (PREFIX=$(PREFIX))'

deps:
	@tools/deps

deps-check:
	@tools/deps --check

module: | deps-check
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# --- libipc ------------------------------------------------------------------
lib: $(LIB_SO) $(LIB_A)

$(LIB_DIR)/pic/%.o: lib/%.c $(LIB_HDRS) | deps-check
	@mkdir -p $(@D)
	$(CC) $(KIPC_CFLAGS) -fPIC -fvisibility=default -c -o $@ $<

$(LIB_DIR)/static/%.o: lib/%.c $(LIB_HDRS) | deps-check
	@mkdir -p $(@D)
	$(CC) $(KIPC_CFLAGS) -c -o $@ $<

$(LIB_SO): $(patsubst lib/%.c,$(LIB_DIR)/pic/%.o,$(LIB_SRCS)) lib/libipc.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) -Wl,--version-script=lib/libipc.map \
		-Wl,--no-undefined -o $@ $(filter %.o,$^)
	ln -sf libipc.so.$(LIB_VERSION) $(LIB_DIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(LIB_DIR)/libipc.so

$(LIB_A): $(patsubst lib/%.c,$(LIB_DIR)/static/%.o,$(LIB_SRCS))
	rm -f $@
	$(AR) rcs $@ $^

# --- tests and tools ---------------------------------------------------------
tests: $(DRIVER_TESTS) $(HOST_TESTS)

$(LINUX_X)/.stamp: | deps-check
	@mkdir -p $(LINUX_X)
	tar -xJf $(LINUX_TAR) -C $(LINUX_X) --strip-components=1 \
		$(addprefix linux-source-6.1/,$(LINUX_FILES))
	@touch $@

$(BUILD)/tests/%: tests/%.c $(LIB_A) $(LINUX_X)/.stamp $(wildcard include/kipc/*.h)
	@mkdir -p $(@D)
	$(CC) $(KIPC_CFLAGS) -pthread -isystem $(KSFT_DIR) -o $@ $< $(LIB_A) -luring

# The kipc command's output helpers are tested on the host: cli_test.c
# includes tools/kipc/output.c.
$(BUILD)/tests/lib/cli_test: tools/kipc/output.c tools/kipc/kipc.h

tools: $(TOOLS)

$(BUILD)/tools/%: tools/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(KIPC_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A)

# The kipc command: one file per subcommand or concept, in tools/kipc/.
KIPC_SRCS := $(wildcard tools/kipc/*.c)

$(BUILD)/tools/kipc: $(KIPC_SRCS) tools/kipc/kipc.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(KIPC_CFLAGS) $(LDFLAGS) -o $@ $(KIPC_SRCS) $(LIB_A)

# --- Python extension: kipc._speedups ---------------------------------------
# Found by python/kipc/_lib.py in the build tree. It calls the libipc that
# kipc loads with ctypes (through bind()), so it links no copy of its own.
PY_EXT := $(BUILD)/python/kipc/_speedups$(shell $(PY_CONFIG) --extension-suffix 2>/dev/null)

python-ext: $(PY_EXT)

$(PY_EXT): python/kipc/_speedups.c $(LIB_HDRS) | deps-check
	@mkdir -p $(@D)
	$(CC) $(KIPC_CFLAGS) $(shell $(PY_CONFIG) --includes 2>/dev/null) -fPIC -shared \
		-fvisibility=hidden -o $@ $<

# --- lint --------------------------------------------------------------------
KERNEL_SRCS := $(wildcard driver/*.c driver/*.h include/kipc/*.h) include/uapi/linux/kipc.h

lint: $(LINUX_X)/.stamp
	perl $(LINUX_X)/scripts/checkpatch.pl --strict --no-tree --quiet --show-types \
		-f $(KERNEL_SRCS)
	@echo "checkpatch --strict: clean"
	tools/sparse-check $(KDIR) $(BUILD)/kmod/sparse

# --- the README's two commands -----------------------------------------------
demo: deps
	$(MAKE) all
	PYTHONPATH=$(CURDIR)/python tools/vm/run -- \
		sh -c '$(BUILD)/tools/kipc-info && /usr/bin/python3 tools/demo.py'

check: deps
	$(MAKE) all
	tools/check

# make check, plus the whole Python suite on the debug kernel at full scale
# and a 15-minute fuzz there: about 60 minutes; run before resolving.
check-full: deps
	$(MAKE) all
	tools/check --full

# The packages as a user meets them: built, installed on this machine with
# apt, DKMS's module loaded in the VM on each kernel, then purged (tools/
# check-install; root, about 15 minutes). CI runs it after make check.
.PHONY: check-install
check-install: deps
	$(MAKE) all
	tools/check-install

# --- check-man: manual pages build cleanly and cover the library and tools ---
.PHONY: check-man
check-man: tools | deps-check
	tools/check-man

# Benchmarks: their own makefile fragment.
include $(wildcard tools/bench/bench.mk)
# The ABI fuzzer: its own makefile fragment too.
include $(wildcard tests/fuzz/fuzz.mk)

# --- install (non-Debian systems) ---------------------------------------------
# `make uninstall` removes exactly the files listed here. DESTDIR and PREFIX
# are honoured; the module goes under /lib/modules of KDIR's kernel.
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
UDEVDIR ?= /lib/udev/rules.d
# KDIR is /lib/modules/<release>/build (Debian headers report another release).
KREL = $(notdir $(patsubst %/,%,$(dir $(KDIR))))
MAN_PAGES = $(wildcard man/man1/*.1 man/man3/*.3 man/man7/*.7)
INST_FILES = $(LIBDIR)/libipc.so.$(LIB_VERSION) $(LIBDIR)/$(LIB_SONAME) \
	$(LIBDIR)/libipc.so $(LIBDIR)/libipc.a $(LIBDIR)/pkgconfig/libipc.pc \
	$(INCLUDEDIR)/libipc.h $(INCLUDEDIR)/libipc-uring.h \
	$(INCLUDEDIR)/linux/kipc.h $(PREFIX)/bin/kipc $(PREFIX)/bin/kipc-info \
	$(UDEVDIR)/60-kipc.rules /etc/modules-load.d/kipc.conf \
	$(foreach m,$(MAN_PAGES),$(MANDIR)/$(patsubst man/%,%,$(m)))

$(BUILD)/libipc.pc: lib/libipc.pc.in tools/version include/libipc.h
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# Generated so the version is written only in include/libipc.h.
dkms.conf: dkms.conf.in tools/version include/libipc.h
	sed -e 's|@VERSION@|$(VERSION)|' $< > $@

install: module lib tools $(BUILD)/libipc.pc
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=extra modules_install
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/linux \
		$(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UDEVDIR) $(DESTDIR)/etc/modules-load.d
	install -m 0755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	install -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	ln -sf libipc.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libipc.so
	install -m 0644 $(BUILD)/libipc.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -m 0644 include/libipc.h include/libipc-uring.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 include/uapi/linux/kipc.h $(DESTDIR)$(INCLUDEDIR)/linux/
	install -m 0755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 udev/60-kipc.rules $(DESTDIR)$(UDEVDIR)/
	install -m 0644 udev/kipc.conf $(DESTDIR)/etc/modules-load.d/
	for m in $(MAN_PAGES); do d=$(DESTDIR)$(MANDIR)/$${m#man/}; \
		install -D -m 0644 $$m $$d || exit 1; done
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KREL) && ldconfig; fi

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INST_FILES))
	rm -f $(DESTDIR)/lib/modules/$(KREL)/extra/kipc.ko
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KREL) && ldconfig; fi

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(BUILD)

# --- Debian packages ------------------------------------------------------------
# Built from a copy of the tree in build/deb/src so the checkout stays clean;
# the .debs land in build/deb. debian/changelog is made from tools/version.
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	git ls-files -z | xargs -0 cp --parents -t $(BUILD)/deb/src
	printf 'kipc (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- kipc developers <kipc-devel@example.org>  %s\n' \
		$(VERSION) $(VERSION) "$$(date -R)" > $(BUILD)/deb/src/debian/changelog
	cd $(BUILD)/deb/src && dpkg-buildpackage -b -us -uc
	-lintian $(BUILD)/deb/*.changes
.PHONY: deb
