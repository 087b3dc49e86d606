#!/usr/bin/env bash
# The map's tests under clang's UndefinedBehaviorSanitizer, which checks what gcc's does not
# (an offset applied to a null pointer: every lookup in an empty map did that until the empty
# table's slots pointed somewhere). Built straight from the sources, run at a quarter scale.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
command -v clang >/dev/null || { skip_missing clang; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
flags=(-std=c11 -O1 -g -D_GNU_SOURCE -Iinclude -fsanitize=undefined -fno-sanitize-recover=all
       -Wall -Wextra -Wpedantic -Werror)
fail=0
for t in test_map_unit test_map_diff test_alloc_fail test_ownership; do
    if ! clang "${flags[@]}" "tests/$t.c" src/*.c -o "$tmp/$t" -lpthread -lm 2>"$tmp/$t.cc"; then
        echo "FAIL: $t does not build with clang"; cat "$tmp/$t.cc"; fail=1; continue
    fi
    if EBB_TEST_SCALE=0.25 "$tmp/$t" >"$tmp/$t.log" 2>&1; then
        echo "ok   $t"
    else
        echo "FAIL $t"; grep -m5 "runtime error\|FAIL" "$tmp/$t.log"; fail=1
    fi
done
exit $fail
