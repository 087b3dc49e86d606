# Builds the benchmark drivers (called by `make bench`, bench/run.sh and tests/bench_smoke.sh).
# Same -O2 for every C and C++ driver; a driver is built only when its peer's package is there.
BUILD ?= build
BOUT  := $(BUILD)/bench
CC    ?= gcc
CXX   ?= g++
FLAGS := -O2 -g -Iinclude -Ibench -D_GNU_SOURCE $(BENCH_CFLAGS)
CFL   := -std=c11 $(FLAGS) -Wall -Wextra -Wpedantic
CXXFL := -std=c++20 $(FLAGS) -Wall -Wextra
LIB   := $(BUILD)/libebb.a
DEPS  := bench/common.h bench/workload.h $(LIB) $(wildcard include/ebb/*.h)
have   = $(shell dpkg-query -W -f='$${Status}' $(1) 2>/dev/null | grep -q 'ok installed' && echo y)

DRIVERS := $(BOUT)/drv_ebb
ifeq ($(call have,libboost1.81-dev),y)
DRIVERS += $(BOUT)/drv_boost $(BOUT)/duel
endif
ifeq ($(call have,libabsl-dev),y)
DRIVERS += $(BOUT)/drv_absl
endif
ifneq ($(shell command -v $(CXX)),)
DRIVERS += $(BOUT)/drv_std
endif
ifeq ($(call have,libglib2.0-dev),y)
DRIVERS += $(BOUT)/drv_glib
endif
ifeq ($(call have,uthash-dev),y)
DRIVERS += $(BOUT)/drv_uthash
endif
ifneq ($(shell command -v go),)
DRIVERS += $(BOUT)/drv_go
endif

drivers: $(DRIVERS) $(BOUT)/page_costs $(BOUT)/tail_faults $(BOUT)/value_sizes $(BOUT)/walks \
         $(BOUT)/lookups
.PHONY: drivers

# Not a driver: what memory return costs on this machine (bench/page_costs.c, `make bench-pages`).
$(BOUT)/page_costs: bench/page_costs.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $< $(LIB) -o $@

# Not a driver either: what the slowest operations were doing (bench/tail_faults.c, `make
# bench-tail`).
$(BOUT)/tail_faults: bench/tail_faults.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $< $(LIB) -o $@

# Nor this: the slowest operations by entry size (bench/value_sizes.c, `make bench-sizes`).
$(BOUT)/value_sizes: bench/value_sizes.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $< $(LIB) -o $@

# Nor these: by entry size, iteration and draining (bench/walks.c, `make bench-walks`) and
# lookups (bench/lookups.c, `make bench-lookups`).
$(BOUT)/walks $(BOUT)/lookups: $(BOUT)/%: bench/%.c bench/entry_maps.h $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $< $(LIB) -o $@

# ebb and boost in one process, batch by batch (bench/duel.c, `make bench-duel`).
$(BOUT)/duel: bench/duel.c bench/duel_ebb.c bench/duel_boost.cpp bench/duel.h $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) -c bench/duel.c -o $@-main.o
	$(CC) $(CFL) -c bench/duel_ebb.c -o $@-ebb.o
	$(CXX) $(CXXFL) -c bench/duel_boost.cpp -o $@-boost.o
	$(CXX) $(BENCH_CFLAGS) $@-main.o $@-ebb.o $@-boost.o $(LIB) -o $@
	rm -f $@-main.o $@-ebb.o $@-boost.o

$(BOUT)/drv_ebb: bench/drv_ebb.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $< $(LIB) -o $@
$(BOUT)/drv_uthash: bench/drv_uthash.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $< $(LIB) -o $@
$(BOUT)/drv_glib: bench/drv_glib.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $(shell pkg-config --cflags glib-2.0) $< $(LIB) $(shell pkg-config --libs glib-2.0) -o $@
$(BOUT)/drv_%: bench/drv_%.cpp bench/cxx_adapter.h $(DEPS)
	@mkdir -p $(@D)
	$(CXX) $(CXXFL) $< $(LIB) $(if $(filter absl,$*),$(shell pkg-config --libs absl_raw_hash_set)) -o $@
# Debian's go, offline: no module beyond the standard library, caches under build/.
$(BOUT)/drv_go: bench/go/main.go bench/go/keys.go bench/go/go.mod
	@mkdir -p $(@D)
	cd bench/go && GOCACHE="$(abspath $(BOUT))/go/cache" GOPATH="$(abspath $(BOUT))/go/path" \
	    GOTOOLCHAIN=local GOPROXY=off GOFLAGS= go build -o "$(abspath $@)" .

# The first side-by-side with boost, kept as `make bench-boost`: now the ops workload of ebb and
# boost alone (quick sizes; BENCH_ARGS=--full for 1M and 10M), report in build/bench/boost/.
bench-boost: $(BOUT)/drv_ebb $(BOUT)/drv_boost
	BENCH_OUT=$(BOUT)/boost BENCH_TABLES="ebb boost" BUILD=$(BUILD) \
	    BENCH_CMD="make bench-boost$(if $(BENCH_ARGS), BENCH_ARGS=$(BENCH_ARGS))" \
	    bench/run.sh --only ops $(BENCH_ARGS)
.PHONY: bench-boost
