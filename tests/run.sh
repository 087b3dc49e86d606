#!/usr/bin/env bash
# Runs every test of the given build trees and prints one closing line: "N passed, N failed".
#   tests/run.sh BUILD [BUILD...]
# A test is a binary BUILD/tests/test_* (each a file of tests/), or a script tests/*.sh (but this
# one and lib.sh, which the scripts source), which receives EBB_BUILD=BUILD and runs for the first (optimised) build only. Instrumented builds
# (a path containing "asan" or "tsan") run with EBB_TEST_SCALE=0.5 so the suite stays within minutes.
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0; failed=()
run_one() { # name, command...
    local name=$1; shift
    local t0=$SECONDS
    if "$@" >"$log" 2>&1; then
        pass=$((pass + 1)); printf 'ok   %-40s %3ds\n' "$name" $((SECONDS - t0))
    else
        fail=$((fail + 1)); failed+=("$name"); printf 'FAIL %-40s %3ds\n' "$name" $((SECONDS - t0))
        tail -n 40 "$log" | sed 's/^/     | /'
    fi
}
log=$(mktemp); trap 'rm -f "$log"' EXIT
first=1
for build in "$@"; do
    scale=1; case "$build" in *asan* | *tsan*) scale=0.5 ;; esac
    for t in "$build"/tests/test_*; do
        [ -x "$t" ] || continue
        run_one "$t" env EBB_TEST_SCALE=$scale "$t"
    done
    if [ $first -eq 1 ]; then
        for s in tests/*.sh; do
            case $s in tests/run.sh | tests/lib.sh) continue ;; esac
            run_one "$s" env EBB_BUILD="$build" bash "$s"
        done
    fi
    first=0
done
[ $fail -eq 0 ] || printf 'failed: %s\n' "${failed[*]}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
