#!/usr/bin/env bash
# Every public header compiles on its own, as C11 and as C++11 and C++20, with the project's
# warnings made errors, under gcc and clang (g++/clang++ when installed); and map.h refuses, in
# C++, a key or value that is not trivially copyable (entries move between tables as bytes),
# with its own message, rather than let it corrupt memory at run time.
#   bash tests/cxx_headers.sh
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; ran=0
flags=(-Iinclude -Wall -Wextra -Wpedantic -Werror -fsyntax-only)

# A translation unit that includes one header, and for map.h also generates a map.
unit() { # header
    if [ "$1" = map.h ]; then
        printf '#include <stdint.h>\n#define EBB_NAME t_map\n#define EBB_KEY uint32_t\n'
        printf '#define EBB_VAL double\n#include "ebb/map.h"\n'
    else
        printf '#include "ebb/%s"\n' "$1"
    fi
}

compile() { # compiler, language flag, standard, file
    local out
    ran=$((ran + 1))
    if out=$("$1" -x "$2" "-std=$3" "${flags[@]}" "$4" 2>&1); then
        echo "ok   $1 -std=$3 $(basename "$4")"
    else
        echo "FAIL $1 -std=$3 $(basename "$4")"; printf '%s\n' "$out" | head -n 20 | sed 's/^/     | /'
        fail=1
    fi
}

for c in gcc clang g++ clang++; do
    command -v $c >/dev/null || skip_missing $c
done
for h in include/ebb/*.h; do
    h=$(basename "$h")
    unit "$h" >"$tmp/${h%.h}.c"
    for cc in gcc clang; do
        command -v $cc >/dev/null && compile $cc c c11 "$tmp/${h%.h}.c"
    done
    for cxx in g++ clang++; do
        command -v $cxx >/dev/null || continue
        compile $cxx c++ c++11 "$tmp/${h%.h}.c"
        compile $cxx c++ c++20 "$tmp/${h%.h}.c"
    done
done

refused() { # what (key or value), EBB_KEY, EBB_VAL: must fail with map.h's own message
    local out
    printf '#include <string>\n#define EBB_NAME bad_map\n#define EBB_KEY %s\n#define EBB_VAL %s\n%s\n' \
        "$2" "$3" '#include "ebb/map.h"' >"$tmp/bad.cpp"
    ran=$((ran + 1))
    if out=$(g++ -std=c++11 "${flags[@]}" "$tmp/bad.cpp" 2>&1); then
        echo "FAIL a std::string $1 compiled"; fail=1
    elif grep -q "$1s must be trivially copyable" <<<"$out"; then
        echo "ok   a std::string $1 is refused: must be trivially copyable"
    else
        echo "FAIL a std::string $1 failed without ebb's message:"
        printf '%s\n' "$out" | head -n 20 | sed 's/^/     | /'; fail=1
    fi
}
refused key std::string int
refused value int std::string

echo "$ran checks"
exit $fail
