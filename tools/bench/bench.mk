# SPDX-License-Identifier: GPL-2.0-only
# Benchmarks (tools/bench/): included from the top-level Makefile, so paths
# are relative to the repository root. See Documentation/performance.rst.
#
#   make bench        full run in the VM: tables, build/bench/results.json, charts
#   make bench-quick  the same with short runs (a few minutes under emulation)
#   make bench-build  only the C programs (they also run on the host:
#                     build/bench/ipc-throughput --quick)

BENCH_DIR := $(BUILD)/bench
BENCH_OBJ := $(BENCH_DIR)/obj
BENCH_PROGS := ipc-throughput ipc-latency ipc-mpmc lock-bench
BENCH_BINS := $(addprefix $(BENCH_DIR)/,$(BENCH_PROGS))
# kipc's transports and locks (t_kipc*.c, l_kipc*.c) are picked up by name
# and linked with libipc.a; the other objects are the baselines.
BENCH_KIPC := $(patsubst tools/bench/%.c,%,$(wildcard tools/bench/t_kipc*.c tools/bench/l_kipc*.c))
BENCH_COMMON := bench transports ring t_pipe t_unix t_mq t_eventfd_ring \
	t_futex_ring l_robust_mutex l_named_sem $(BENCH_KIPC)
BENCH_COMMON_OBJS := $(patsubst %,$(BENCH_OBJ)/%.o,$(BENCH_COMMON))
BENCH_HDRS := $(wildcard tools/bench/*.h)
BENCH_LIBS := $(if $(BENCH_KIPC),$(LIB_A))
BENCH_VM_TIMEOUT ?= 3000

.PHONY: bench bench-quick bench-build bench-deps

bench-build: $(BENCH_BINS)

$(BENCH_OBJ)/%.o: tools/bench/%.c $(BENCH_HDRS)
	@mkdir -p $(@D)
	$(CC) $(KIPC_CFLAGS) -pthread -c -o $@ $<

$(BENCH_BINS): $(BENCH_DIR)/%: $(BENCH_OBJ)/%.o $(BENCH_COMMON_OBJS) $(BENCH_LIBS)
	$(CC) -pthread -o $@ $(filter %.o,$^) $(BENCH_LIBS) -luring -lrt

# Keep the objects: make would delete them as intermediates.
.SECONDARY: $(BENCH_COMMON_OBJS) $(patsubst %,$(BENCH_OBJ)/%.o,$(BENCH_PROGS))

bench-deps:
	@tools/bench/deps

# $(1): quick or full. The report is written even when some benchmark
# failed (from the rows that were produced); the target fails afterwards.
define bench_run
	@mkdir -p $(BENCH_DIR)
	@rc=0; \
	tools/vm/run --timeout $(BENCH_VM_TIMEOUT) -- tools/bench/run-all --$(1) \
		>$(BENCH_DIR)/raw-$(1).txt || rc=$$?; \
	/usr/bin/python3 tools/bench/report --mode $(1) --out $(BENCH_DIR) \
		$(BENCH_DIR)/raw-$(1).txt || rc=$$?; \
	[ $$rc = 0 ] || echo "kipc-bench: failed (exit $$rc); raw output in $(BENCH_DIR)/raw-$(1).txt" >&2; \
	exit $$rc
endef

# $(LIB_SO): the Python package kipc (python/) loads build/lib/libipc.so.0.
bench: deps bench-deps bench-build $(LIB_SO)
	$(call bench_run,full)

bench-quick: deps bench-deps bench-build $(LIB_SO)
	$(call bench_run,quick)
