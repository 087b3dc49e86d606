#!/usr/bin/env bash
# Builds the map's fuzz target (tests/test_fuzz_map.c) with clang's libFuzzer, ASan and UBSan,
# and runs it: saved cases (tests/fuzz_cases) seed the corpus, what the fuzzer finds new goes to
# CORPUS, and an input that fails is written to OUT as crash-<hash>. Replay one with
# `build/tests/test_fuzz_map FILE`; keep it as a regression case by copying it into
# tests/fuzz_cases/.
#   scripts/fuzz.sh OUT CORPUS [libFuzzer flags...]     e.g. -max_total_time=300, -runs=1500
set -u
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: scripts/fuzz.sh OUT CORPUS [libFuzzer flags...]" >&2; exit 2; }
out=$1 corpus=$2; shift 2
mkdir -p "$out" "$corpus" || exit 1
clang -std=c11 -O1 -g -D_GNU_SOURCE -Iinclude -DEBB_LIBFUZZER -Wall -Wextra -Wpedantic -Werror \
      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
      tests/test_fuzz_map.c src/*.c -o "$out/fuzz_map" -lpthread || exit 1
seeds=(); [ -d tests/fuzz_cases ] && seeds=(tests/fuzz_cases)
exec "$out/fuzz_map" -max_len=4096 -artifact_prefix="$out/" "$@" "$corpus" "${seeds[@]}"
