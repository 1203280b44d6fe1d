# SPDX-License-Identifier: GPL-2.0-only
# The ABI fuzzer (tests/fuzz/): included from the top-level Makefile, so
# paths are relative to the repository root. Documentation/testing.rst.
#
#   make fuzz                      a run in the VM, Debian kernel, random seed
#   make fuzz SECONDS=600 SEED=7   longer, reproducible
#   make fuzz KERNEL=debug         on the debug kernel (KASAN, lockdep, kmemleak)
#   make fuzz FUZZ_ARGS="--skip large"   without one area of operations

FUZZ_DIR := $(BUILD)/tests/fuzz
FUZZ_BIN := $(FUZZ_DIR)/kipc-fuzz
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
FUZZ_OBJS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_SRCS))
SECONDS ?= 120
SEED ?=
KERNEL ?= debian
FUZZ_ARGS ?=

.PHONY: fuzz fuzz-build

all: $(FUZZ_BIN)
fuzz-build: $(FUZZ_BIN)

$(FUZZ_DIR)/obj/%.o: tests/fuzz/%.c tests/fuzz/fuzz.h $(LIB_HDRS) include/libipc-uring.h | deps-check
	@mkdir -p $(@D)
	$(CC) $(KIPC_CFLAGS) -D_GNU_SOURCE -pthread -c -o $@ $<

$(FUZZ_BIN): $(FUZZ_OBJS) $(LIB_A)
	$(CC) -pthread -o $@ $(FUZZ_OBJS) $(LIB_A) -luring

.SECONDARY: $(FUZZ_OBJS)

fuzz: deps $(FUZZ_BIN)
	env -u MAKEFLAGS -u MAKELEVEL tools/vm/run --kernel $(KERNEL) --timeout $$(( $(SECONDS) + 900 )) -- \
		$(FUZZ_BIN) --seconds $(SECONDS) $(if $(SEED),--seed $(SEED)) $(FUZZ_ARGS)
