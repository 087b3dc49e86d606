#!/usr/bin/env bash
# `make install` into a scratch prefix, then build and run a small program against it three
# times: with pkg-config, as C and as C++, and with CMake's find_package(ebb), whose version
# checks it runs too. Also checks the installed tool runs, and a prefix with a space.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
build=${EBB_BUILD:-build}
make -s install BUILD="$build" PREFIX="$tmp/prefix" >/dev/null
for f in include/ebb/ebb.h include/ebb/map.h include/ebb/u64map.h lib/libebb.a lib/libebb.so \
         lib/pkgconfig/ebb.pc lib/cmake/ebb/ebbConfig.cmake bin/ebb; do
    [ -e "$tmp/prefix/$f" ] || { echo "install: missing $f"; exit 1; }
done
"$tmp/prefix/bin/ebb" demo --entries 1000 2>/dev/null | tail -n 1 | grep -q '^summary: entries=1000 '

mkdir -p "$tmp/app"
cat > "$tmp/app/app.c" <<'C'
#include <stdio.h>
#include <ebb/u64map.h>
#define EBB_NAME counts
#define EBB_KEY uint64_t
#define EBB_VAL uint64_t
#include <ebb/map.h>
int main(void) {
    ebb_u64map a; counts b;
    ebb_u64map_init(&a); counts_init(&b);
    for (uint64_t i = 0; i < 100000; i++) { ebb_u64map_put(&a, i, i * 2); counts_put(&b, i, i); }
    int ok = ebb_u64map_count(&a) == 100000 && *ebb_u64map_get(&a, 777) == 1554 && *counts_get(&b, 5) == 5;
    ebb_u64map_destroy(&a); counts_destroy(&b);
    puts(ok ? "app ok" : "app WRONG");
    return !ok;
}
C
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -o "$tmp/app/pc" "$tmp/app/app.c" $(pkg-config --cflags --libs ebb)
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/app/pc" | grep -qx "app ok"
echo "pkg-config consumer: ok"
# shellcheck disable=SC2046
g++ -x c++ -std=c++11 -o "$tmp/app/pcxx" "$tmp/app/app.c" $(pkg-config --cflags --libs ebb)
LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/app/pcxx" | grep -qx "app ok"
echo "pkg-config C++ consumer: ok"

if command -v cmake >/dev/null; then
    cat > "$tmp/app/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.13)
project(app C)
find_package(ebb 0.1 REQUIRED)
add_executable(app app.c)
target_link_libraries(app ebb::ebb)
set_property(TARGET app PROPERTY C_STANDARD 11)
CM
    cmake -S "$tmp/app" -B "$tmp/app/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
    cmake --build "$tmp/app/build" >/dev/null
    LD_LIBRARY_PATH="$tmp/prefix/lib" "$tmp/app/build/app" | grep -qx "app ok"
    echo "cmake find_package consumer: ok"

    # What the version file accepts. Ranges once matched on their low end alone.
    mkdir -p "$tmp/ver"
    find_ebb() {
        printf 'cmake_minimum_required(VERSION 3.19)\nproject(v NONE)\nfind_package(ebb %s REQUIRED)\n' \
            "$1" >"$tmp/ver/CMakeLists.txt"
        rm -rf "$tmp/ver/build"
        cmake -S "$tmp/ver" -B "$tmp/ver/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null 2>&1
    }
    ver=$(sed -n 's/^VERSION *:= *//p' Makefile)
    for spec in "" 0.1 "$ver EXACT" 0.0.1 "0.1...1.0" "0.0.1...$ver" "$ver...<1"; do
        find_ebb "$spec" || { echo "find_package(ebb $spec) refused $ver"; exit 1; }
    done
    for spec in 99 1 0.2 "$ver.1 EXACT" "0.0.1...0.0.9" "0.0.1...<$ver" "0.2...1.0"; do
        if find_ebb "$spec"; then echo "find_package(ebb $spec) accepted $ver"; exit 1; fi
    done
    echo "cmake version ranges: ok"
else
    skip_missing cmake
fi

# A prefix with a space: install and uninstall quote their paths. Unquoted, uninstall removed
# "$tmp/pre" and everything in it.
mkdir -p "$tmp/pre"; echo keep >"$tmp/pre/canary"
make -s install BUILD="$build" PREFIX="$tmp/pre fix" >/dev/null
[ -x "$tmp/pre fix/bin/ebb" ] && [ -e "$tmp/pre fix/lib/libebb.so.0" ] ||
    { echo "install: prefix with a space"; exit 1; }
# ebb.pc once wrote the prefix as it was, and the space split the flags. The shell reads the
# flags as make's recipes do, escapes included.
eval "cc -std=c11 -o \"\$tmp/app/pcsp\" \"\$tmp/app/app.c\" \
    $(PKG_CONFIG_PATH="$tmp/pre fix/lib/pkgconfig" pkg-config --cflags --libs ebb)"
LD_LIBRARY_PATH="$tmp/pre fix/lib" "$tmp/app/pcsp" | grep -qx "app ok"
# Uninstall removes the files install made, and leaves another package's header beside them.
echo '/* not ebb */' >"$tmp/pre fix/include/ebb/other.h"
make -s uninstall BUILD="$build" PREFIX="$tmp/pre fix" >/dev/null
[ -e "$tmp/pre/canary" ] || { echo "uninstall removed a directory beside the prefix"; exit 1; }
[ -e "$tmp/pre fix/include/ebb/other.h" ] || { echo "uninstall removed a header not ebb's"; exit 1; }
left=$(find "$tmp/pre fix" -type f | wc -l)
[ "$left" -eq 1 ] || { echo "uninstall left $((left - 1)) of its files"; exit 1; }
echo "prefix with a space: install, pkg-config and uninstall ok"
