# Builds the benchmark drivers (called by `make bench`, bench/run.sh and tests/bench_smoke.sh).
# Same -O2 for every C and C++ driver; a driver is built only when its peer's package is there.
BUILD ?= build
B     := $(BUILD)/bench
CC    ?= gcc
CXX   ?= g++
FLAGS := -O2 -g -Iinclude -Ibench -D_GNU_SOURCE
CFL   := -std=c11 $(FLAGS) -Wall -Wextra -Wpedantic
CXXFL := -std=c++20 $(FLAGS) -Wall -Wextra
LIB   := $(BUILD)/libebb.a
DEPS  := bench/common.h bench/workload.h $(LIB) $(wildcard include/ebb/*.h)
have   = $(shell dpkg-query -W -f='$${Status}' $(1) 2>/dev/null | grep -q 'ok installed' && echo y)

DRIVERS := $(B)/drv_ebb
ifeq ($(call have,libboost1.81-dev),y)
DRIVERS += $(B)/drv_boost
endif
ifeq ($(call have,libabsl-dev),y)
DRIVERS += $(B)/drv_absl
endif
ifneq ($(shell command -v $(CXX)),)
DRIVERS += $(B)/drv_std
endif
ifeq ($(call have,libglib2.0-dev),y)
DRIVERS += $(B)/drv_glib
endif
ifeq ($(call have,uthash-dev),y)
DRIVERS += $(B)/drv_uthash
endif
ifneq ($(shell command -v go),)
DRIVERS += $(B)/drv_go
endif

drivers: $(DRIVERS) $(B)/page_costs
.PHONY: drivers

# Not a driver: what memory return costs on this machine (bench/page_costs.c, `make bench-pages`).
$(B)/page_costs: bench/page_costs.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $< $(LIB) -o $@

$(B)/drv_ebb: bench/drv_ebb.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $< $(LIB) -o $@
$(B)/drv_uthash: bench/drv_uthash.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $< $(LIB) -o $@
$(B)/drv_glib: bench/drv_glib.c $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(CFL) $(shell pkg-config --cflags glib-2.0) $< $(LIB) $(shell pkg-config --libs glib-2.0) -o $@
$(B)/drv_%: bench/drv_%.cpp bench/cxx_adapter.h $(DEPS)
	@mkdir -p $(@D)
	$(CXX) $(CXXFL) $< $(LIB) $(if $(filter absl,$*),$(shell pkg-config --libs absl_raw_hash_set)) -o $@
# Debian's go, offline: no module beyond the standard library, caches under build/.
$(B)/drv_go: bench/go/main.go bench/go/keys.go bench/go/go.mod
	@mkdir -p $(@D)
	cd bench/go && GOCACHE=$(abspath $(B))/go/cache GOPATH=$(abspath $(B))/go/path GOTOOLCHAIN=local \
	    GOPROXY=off GOFLAGS= go build -o $(abspath $@) .

# The first side-by-side with boost, kept as `make bench-boost`: now the ops workload of ebb and
# boost alone (quick sizes; BENCH_ARGS=--full for 1M and 10M), report in build/bench/boost/.
bench-boost: $(B)/drv_ebb $(B)/drv_boost
	BENCH_OUT=$(B)/boost BENCH_TABLES="ebb boost" BUILD=$(BUILD) \
	    BENCH_CMD="make bench-boost$(if $(BENCH_ARGS), BENCH_ARGS=$(BENCH_ARGS))" \
	    bench/run.sh --only ops $(BENCH_ARGS)
.PHONY: bench-boost
