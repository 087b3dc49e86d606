# Builds and runs bench/vs_boost (called by `make bench-boost`). Same -O2 for both sides.
BUILD ?= build
CXX ?= g++
BENCH_ARGS ?=
FLAGS := -O2 -g -Iinclude -Ibench -D_GNU_SOURCE

$(BUILD)/bench/vs_boost: bench/vs_boost.cpp bench/ebb_side.c bench/bench_sides.h $(BUILD)/libebb.a
	@mkdir -p $(@D)
	$(CC) -std=c11 $(FLAGS) -Wall -Wextra -Wpedantic -c bench/ebb_side.c -o $(BUILD)/bench/ebb_side.o
	$(CXX) -std=c++17 $(FLAGS) -Wall -Wextra bench/vs_boost.cpp $(BUILD)/bench/ebb_side.o $(BUILD)/libebb.a -o $@

run: $(BUILD)/bench/vs_boost
	$(BUILD)/bench/vs_boost $(BENCH_ARGS)
.DEFAULT_GOAL := run
