#!/usr/bin/env bash
# The memory test again under other allocators (LD_PRELOAD): jemalloc and mimalloc keep and
# return memory differently from glibc, and ebb's promise (memory follows contents) must hold
# with each. An allocator that is not installed is skipped with a note, or fails under CI=true
# (Debian packages libjemalloc2 and libmimalloc2.0, which the build installs).
#   EBB_BUILD=build bash tests/memory_allocators.sh
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
build=${EBB_BUILD:-build}
test_bin=$build/tests/test_memory
[ -x "$test_bin" ] || { echo "FAIL $test_bin not built"; exit 1; }
find_lib() { # soname: print its path, or nothing
    local path
    path=$(ldconfig -p 2>/dev/null | awk -v so="$1" '$1 == so && /x86-64|64bit/ { print $NF; exit }')
    [ -n "$path" ] || path=$(ldconfig -p 2>/dev/null | awk -v so="$1" '$1 == so { print $NF; exit }')
    for dir in /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib; do
        [ -n "$path" ] && break
        [ -e "$dir/$1" ] && path=$dir/$1
    done
    printf '%s' "$path"
}
fail=0
for so in libjemalloc.so.2 libmimalloc.so.2; do
    lib=$(find_lib "$so")
    [ -n "$lib" ] || { skip_missing "$so"; continue; }
    if out=$(LD_PRELOAD=$lib "$test_bin" 2>&1); then
        echo "ok   $test_bin with $lib"
        printf '%s\n' "$out" | grep -E 'ratio|churn at' | sed 's/^/     /'
    else
        echo "FAIL $test_bin with $lib"
        printf '%s\n' "$out" | tail -n 20 | sed 's/^/     | /'
        fail=1
    fi
done
exit $fail
