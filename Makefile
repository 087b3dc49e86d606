# ebb — top-level build (plain make, no generator).
#
#   make              library (build/libebb.a, build/libebb.so) and the tool (build/ebb)
#   make demo         build everything but the benchmarks (library, tool, tests, examples), then
#                     run the demonstration (DEMO_ARGS="--entries N")
#   make test         build and run every test; then the whole suite again under ASan+UBSan,
#                     and the threaded tests under TSan
#   make install      PREFIX=/usr/local DESTDIR= : headers, libraries, tool, pkg-config, CMake
#   make bench-boost  ebb next to boost::unordered_flat_map (installs libboost1.81-dev)
#   make bench-pages  what returning memory costs here: page faults, releases, mremap, deletes
#   make bench-tail   what the slowest inserts and deletes were doing: page faults, resize steps
#                     or neither (BENCH_ARGS="N THRESHOLD_US", default 10000000 100)
#   make bench-sizes  the slowest inserts and deletes by entry size, 16 to 2056 bytes
#                     (BENCH_ARGS="MIB THRESHOLD_US", default 200 100)
#   make bench-walks  iteration and draining by entry size, 16 to 256 bytes
#                     (BENCH_ARGS="N ROUNDS", default 1000000 5)
#   make bench-lookups  hits, misses and the two mixed, by entry size, 16 to 256 bytes
#                     (BENCH_ARGS="N ROUNDS", default 1000000 5)
#   make bench-ab     a change's before and after: A=rev B=rev (default HEAD and the working
#                     tree), ops workload alternating, per-round ratios (AB_ARGS: bench/ab.py -h)
#   make bench-duel   ebb and boost in one process, taking turns every few thousand operations:
#                     per-batch ratios, steadier than separate processes on a shared machine
#                     (BENCH_ARGS="[u64|str|big] N ROUNDS BATCH", default u64 1000000 5 4096; installs boost;
#                     BENCH_CFLAGS="-D..." builds the drivers with a variant of the template)
#   make fuzz         search for inputs the map mishandles, with clang's libFuzzer
#                     (tests/test_fuzz_map.c; FUZZ_SECS, default 300; corpus in BUILD/fuzz)
#   make coverage     line coverage: the suite on an unoptimised --coverage build, then the lines
#                     of src/, include/ebb/ and tool/ it ran (COVERAGE_ARGS=--lines lists the rest)
#   make format       clang-format every source file
#
# One build tree per flavour: BUILD=build (default, -O2), BUILD=build/asan SAN=1 (ASan+UBSan) or
# BUILD=build/tsan SAN=thread.

.DEFAULT_GOAL := all
BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := 0.1.0
SOVER   := 0

OPT  ?= -O2
WARN := -Wall -Wextra -Wpedantic
ifeq ($(SAN),1)
OPT      := -O1
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ifeq ($(SAN),thread)
OPT      := -O1
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
endif
ALL_CPPFLAGS := -Iinclude -D_GNU_SOURCE $(CPPFLAGS)
ALL_CFLAGS   := -std=c11 $(OPT) -g -fPIC $(WARN) $(SANFLAGS) $(CFLAGS)
ALL_CXXFLAGS := -std=c++11 $(OPT) -g $(WARN) $(SANFLAGS) $(CXXFLAGS)
ALL_LDFLAGS  := $(SANFLAGS) $(LDFLAGS)

# Debian packages (scripts/deps.sh installs them, or says how): those the library and the tool
# need, and those only the tests need, asked for when something of the tests is built. g++ builds
# the C++ header test; jemalloc and mimalloc run the memory test under each; clang, cmake,
# valgrind, python3 and locales are for tests that would otherwise be skipped (under CI=true they
# fail instead): clang warnings, UBSan and libFuzzer, CMake's find_package, valgrind's leak check,
# a decimal-comma locale for the statistics.
DEB_PACKAGES      := libmicrohttpd-dev pkg-config
TEST_DEB_PACKAGES := g++ libjemalloc2 libmimalloc2.0 clang libclang-rt-14-dev cmake valgrind python3 \
                     locales
TOOL_LIBS    := $(shell pkg-config --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd) -lm -lpthread

LIB_SRC      := $(wildcard src/*.c)
TOOL_SRC     := $(wildcard tool/*.c)
TOOLLIB_SRC  := $(filter-out tool/main.c,$(TOOL_SRC))
TEST_SRC     := $(wildcard tests/test_*.c)
CXXTEST_SRC  := $(wildcard tests/test_*.cpp)
HELPER_SRC   := $(wildcard tests/helpers/*.c)
EXAMPLE_SRC  := $(wildcard examples/*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
LIB_OBJ     := $(call obj,$(LIB_SRC))
TOOLLIB_OBJ := $(call obj,$(TOOLLIB_SRC))
TESTS       := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
CXXTESTS    := $(patsubst tests/%.cpp,$(BUILD)/tests/%,$(CXXTEST_SRC))
HELPERS     := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRC))
EXAMPLES    := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRC))

.PHONY: all demo test tests test-run install uninstall format clean deps bench-boost bench-pages \
        bench-tail bench-sizes bench-walks bench-lookups bench-ab bench-duel fuzz coverage
all: $(BUILD)/libebb.a $(BUILD)/libebb.so $(BUILD)/ebb

deps: $(BUILD)/.deps $(BUILD)/.deps-test
$(BUILD)/.deps: scripts/deps.sh Makefile
	@mkdir -p $(@D)
	@scripts/deps.sh $(DEB_PACKAGES)
	@touch $@
# After .deps, never beside it: two apt-get runs at once under `make -j` and the second fails
# on dpkg's lock.
$(BUILD)/.deps-test: scripts/deps.sh Makefile | $(BUILD)/.deps
	@mkdir -p $(@D)
	@scripts/deps.sh $(TEST_DEB_PACKAGES)
	@touch $@

$(BUILD)/obj/%.o: %.c | $(BUILD)/.deps
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.cpp | $(BUILD)/.deps $(BUILD)/.deps-test
	@mkdir -p $(@D)
	$(CXX) $(ALL_CPPFLAGS) $(ALL_CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libebb.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libebb.so: $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libebb.so.$(SOVER) $(ALL_LDFLAGS) -o $@ $^ -lpthread

# Everything of the tool but main(), so tests can link its parts.
$(BUILD)/libebbtool.a: $(TOOLLIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/ebb: $(BUILD)/obj/tool/main.o $(BUILD)/libebbtool.a $(BUILD)/libebb.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TOOL_LIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libebbtool.a $(BUILD)/libebb.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TOOL_LIBS)

# Tests of the headers from C++ (tests/test_*.cpp), linked by the C++ compiler.
$(CXXTESTS): $(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libebb.a
	@mkdir -p $(@D)
	$(CXX) $(ALL_LDFLAGS) -o $@ $^ -lpthread

$(BUILD)/examples/%: $(BUILD)/obj/examples/%.o $(BUILD)/libebb.a
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -lm

# Everything of the tests waits for their packages (the C++ test compiles with g++).
$(call obj,$(TEST_SRC) $(HELPER_SRC) $(EXAMPLE_SRC)): | $(BUILD)/.deps-test
tests: all $(TESTS) $(CXXTESTS) $(HELPERS) $(EXAMPLES)

demo: all tests
	$(BUILD)/ebb demo $(DEMO_ARGS)

# The suite runs twice: optimised, then instrumented with ASan+UBSan (LeakSanitizer included);
# the tests with threads (the pager's, concurrent readers') also run under TSan.
TSAN_TESTS := $(BUILD)/tsan/tests/test_pager $(BUILD)/tsan/tests/test_readers
test:
	$(MAKE) tests BUILD=$(BUILD)
	$(MAKE) tests BUILD=$(BUILD)/asan SAN=1
	$(MAKE) $(TSAN_TESTS) BUILD=$(BUILD)/tsan SAN=thread
	tests/run.sh $(BUILD) $(BUILD)/asan $(BUILD)/tsan

test-run: tests
	tests/run.sh $(BUILD)

# Paths are quoted: a prefix may hold spaces (unquoted, `uninstall` removed a directory beside
# it). ebb.pc and the CMake package find the prefix from where they lie, so neither spaces nor a
# relative PREFIX break them. A system-wide install refreshes the loader's cache, so programs
# linked with pkg-config find libebb.so at once. Uninstall removes only the headers it
# installed: another package's in include/ebb/ stay.
DEST = $(DESTDIR)$(PREFIX)
HEADERS := $(notdir $(wildcard include/ebb/*.h))
install: all
	install -d "$(DEST)/include/ebb" "$(DEST)/lib/pkgconfig" "$(DEST)/lib/cmake/ebb" "$(DEST)/bin"
	install -m 644 $(addprefix include/ebb/,$(HEADERS)) "$(DEST)/include/ebb/"
	install -m 644 $(BUILD)/libebb.a "$(DEST)/lib/"
	install -m 755 $(BUILD)/libebb.so "$(DEST)/lib/libebb.so.$(VERSION)"
	ln -sf libebb.so.$(VERSION) "$(DEST)/lib/libebb.so.$(SOVER)"
	ln -sf libebb.so.$(SOVER) "$(DEST)/lib/libebb.so"
	install -m 755 $(BUILD)/ebb "$(DEST)/bin/ebb"
	sed -e 's|@VERSION@|$(VERSION)|g' scripts/ebb.pc.in \
	    > "$(DEST)/lib/pkgconfig/ebb.pc"
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@SOVER@|$(SOVER)|g' scripts/ebbConfig.cmake.in \
	    > "$(DEST)/lib/cmake/ebb/ebbConfig.cmake"
	sed -e 's|@VERSION@|$(VERSION)|g' scripts/ebbConfigVersion.cmake.in \
	    > "$(DEST)/lib/cmake/ebb/ebbConfigVersion.cmake"
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null; then \
	    ldconfig; fi

uninstall:
	rm -f $(foreach h,$(HEADERS),"$(DEST)/include/ebb/$(h)") "$(DEST)/lib/cmake/ebb/ebbConfig.cmake" \
	    "$(DEST)/lib/cmake/ebb/ebbConfigVersion.cmake" "$(DEST)/lib/libebb.a" \
	    "$(DEST)/lib/libebb.so" "$(DEST)/lib/libebb.so.$(SOVER)" \
	    "$(DEST)/lib/libebb.so.$(VERSION)" "$(DEST)/lib/pkgconfig/ebb.pc" "$(DEST)/bin/ebb"
	-rmdir "$(DEST)/include/ebb" "$(DEST)/lib/cmake/ebb" 2>/dev/null

# gcov's counts add up over runs, so they are cleared before the suite; the benchmark drivers
# that bench_smoke builds link the instrumented library, hence BENCH_CFLAGS. About 7 minutes here.
COV := $(BUILD)/coverage
coverage:
	$(MAKE) tests BUILD=$(COV) OPT=-O0 CFLAGS=--coverage LDFLAGS=--coverage
	find $(COV) -name '*.gcda' -delete
	BENCH_CFLAGS=--coverage tests/run.sh $(COV)
	scripts/coverage.py $(COV) $(COVERAGE_ARGS)

FUZZ_SECS ?= 300
fuzz: $(BUILD)/.deps-test
	scripts/fuzz.sh $(BUILD)/fuzz $(BUILD)/fuzz/corpus -max_total_time=$(FUZZ_SECS)

bench-pages: all
	$(MAKE) -f bench/bench.mk $(BUILD)/bench/page_costs BUILD=$(BUILD)
	$(BUILD)/bench/page_costs $(BENCH_ARGS)

bench-tail: all
	$(MAKE) -f bench/bench.mk $(BUILD)/bench/tail_faults BUILD=$(BUILD)
	$(BUILD)/bench/tail_faults $(BENCH_ARGS)

bench-sizes: all
	$(MAKE) -f bench/bench.mk $(BUILD)/bench/value_sizes BUILD=$(BUILD)
	$(BUILD)/bench/value_sizes $(BENCH_ARGS)

bench-walks bench-lookups: bench-%: all
	$(MAKE) -f bench/bench.mk $(BUILD)/bench/$* BUILD=$(BUILD)
	$(BUILD)/bench/$* $(BENCH_ARGS)

bench-ab: deps
	bench/ab.py $(AB_ARGS) $(or $(A),HEAD) $(or $(B),work)

bench-duel: all
	@scripts/deps.sh g++ libboost1.81-dev
	$(MAKE) -f bench/bench.mk $(BUILD)/bench/duel BUILD=$(BUILD)
	$(BUILD)/bench/duel $(BENCH_ARGS)

bench-boost: all
	@scripts/deps.sh g++ libboost1.81-dev
	$(MAKE) -f bench/bench.mk bench-boost BUILD=$(BUILD)

# make bench [FULL=1]: ebb next to boost, absl, std, glib, uthash and Go (bench/run.sh); installs
# the peers' Debian packages first (bench/setup.sh). FULL=1 also publishes docs/benchmarks.md.
.PHONY: bench
bench: all
	@bench/setup.sh
	$(MAKE) -f bench/bench.mk drivers BUILD=$(BUILD)
	BENCH_CMD="make bench$(if $(filter 1,$(FULL)), FULL=1)" BUILD=$(BUILD) \
	    bench/run.sh $(if $(filter 1,$(FULL)),--full)

format:
	clang-format -i $(wildcard include/ebb/*.h src/*.c src/*.h tool/*.c tool/*.h tests/*.c tests/*.cpp tests/*.h \
	    tests/helpers/*.c examples/*.c bench/*.c bench/*.h bench/*.cpp)

clean:
	@case "$(BUILD)" in ""|/|.|..|./) echo "clean: refusing to remove BUILD='$(BUILD)'" >&2; exit 1;; esac
	rm -rf "$(BUILD)"

# Objects are never intermediate: deleting them after a first build made the second rebuild them.
.SECONDARY:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
