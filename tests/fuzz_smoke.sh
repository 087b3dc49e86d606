#!/usr/bin/env bash
# The fuzz target under libFuzzer for a fixed number of runs from a fixed seed (about 15 s): it
# still builds with clang -Werror, and a short coverage-guided search finds nothing. `make fuzz`
# searches for longer; tests/test_fuzz_map replays saved and random inputs in every build.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
command -v clang >/dev/null || { skip_missing clang; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if ! scripts/fuzz.sh "$tmp" "$tmp/corpus" -runs=8000 -seed=1 >"$tmp/log" 2>&1; then
    grep -q "fuzzer.*not found\|cannot find.*fuzzer\|libclang_rt.fuzzer" "$tmp/log" &&
        { skip_missing "clang's libFuzzer runtime (libclang-rt-14-dev)"; exit 0; }
    echo "FAIL: the fuzz target failed"; tail -n 30 "$tmp/log"; exit 1
fi
runs=$(grep -o "Done [0-9]* runs" "$tmp/log")
[ -n "$runs" ] || { echo "FAIL: libFuzzer did not finish"; tail -n 30 "$tmp/log"; exit 1; }
echo "ok   $runs, corpus of $(ls "$tmp/corpus" | wc -l) inputs"
