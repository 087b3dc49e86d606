#!/usr/bin/env bash
# The cache-line prefetches of the hot paths are in the code the compilers generate. A prefetch
# has no effect a compiler must keep, and GCC 12 once deleted every lookup's: it split the
# helper holding it into a function of its own, found that free of side effects and dropped the
# call (ebb/table.h, EBB_ALWAYS_INLINE). Nothing else notices: results stay right, only 10M u64
# hits went from boost's time to 1.2x it. So each operation is compiled alone, as an
# application would inline it, under gcc and clang at -O2 and -O3, and the function it is inlined
# into must hold a prefetch. A lookup fetches only once a tag matches (ebb_prefetch_matched): its
# prefetch must come after the match, not before the control bytes.
#   bash tests/prefetch_codegen.sh
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
if [ "$(uname -m)" != x86_64 ]; then
    echo "skip: the check reads x86-64 assembly"
    exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; ran=0

# A translation unit holding one operation of one map type, called from an exported function.
unit() { # u64|big|str, operation call
    printf '#include <stdint.h>\ntypedef struct { uint64_t w[7]; } big;\n#define EBB_NAME m\n'
    case $1 in
        u64) printf '#define EBB_KEY uint64_t\n#define EBB_VAL uint64_t\n' ;;
        big) printf '#define EBB_KEY uint64_t\n#define EBB_VAL big\n' ;;
        str) printf '#define EBB_KEY const char *\n#define EBB_VAL uint64_t\n#define EBB_CSTR_KEY\n' ;;
    esac
    printf '#include "ebb/map.h"\nint op(m *map, m_key k, m_val v) { (void)v; return %s; }\n' "$2"
}

# Compile source ($3) to assembly in $tmp/u.s with compiler $1 at level $2 (more flags after);
# on failure report it under the label $4 and return 1.
compile() {
    local cc=$1 level=$2 src=$3 label=$4 out
    shift 4
    if ! out=$("$cc" -std=c11 "$level" -Iinclude "$@" -S -o "$tmp/u.s" "$src" 2>&1); then
        echo "FAIL $cc $level $label: does not compile"; printf '%s\n' "$out" | head -n 20 | sed 's/^/     | /'
        fail=1; return 1
    fi
}

# Prefetch instructions in function $1 of $tmp/u.s, and in the copies a compiler may have made
# of it (fn.constprop.0, fn.part.0, ...); with $2 = after, only those that come after the
# function's first byte-mask extraction (pmovmskb: the tag match).
prefetches_in() {
    awk -v fn="$1" -v after="${2:-}" '
        function named(s) { return s == fn || index(s, fn ".") == 1 }
        /^[A-Za-z_][^ \t]*:/ { f = named(substr($1, 1, length($1) - 1)); m = 0 }
        f && /pmovmskb/ { m = 1 }
        f && /prefetch/ && (after != "after" || m) { n++ }
        END { print n + 0 }' "$tmp/u.s"
}

# Report one check: label, prefetches found (wanted: some).
report() {
    if [ "$2" -gt 0 ]; then
        echo "ok   $1: $2 prefetch"
    else
        echo "FAIL $1: no prefetch"; fail=1
    fi
}

check() { # compiler, level, kind, call
    ran=$((ran + 1))
    unit "$3" "$4" >"$tmp/u.c"
    compile "$1" "$2" "$tmp/u.c" "$3" || return
    # In op itself, where the operation's common case is inlined (the out-of-line rest of a
    # lookup prefetches too, for the retiring table).
    report "$1 $2 $3 '$4'" "$(prefetches_in op)"
}

# A lookup: prefetches in op, every one after the match.
check_matched() { # compiler, level, kind
    local after all
    ran=$((ran + 1))
    unit "$3" 'm_get(map, k) != 0' >"$tmp/u.c"
    compile "$1" "$2" "$tmp/u.c" "$3" || return
    all=$(prefetches_in op)
    after=$(prefetches_in op after)
    if [ "$all" -gt 0 ] && [ "$after" -eq "$all" ]; then
        echo "ok   $1 $2 $3 'm_get(map, k) != 0': $all prefetch, after the match"
    else
        echo "FAIL $1 $2 $3 'm_get(map, k) != 0': $all prefetch, $after after the match"; fail=1
    fi
}

# The repair after a delete (src/table.c) fetches the entry it will read next while it moves one:
# ebb_core_repair, where pull_back is inlined, must hold that prefetch.
check_repair() { # compiler, level
    ran=$((ran + 1))
    compile "$1" "$2" src/table.c src/table.c -D_GNU_SOURCE || return
    report "$1 $2 ebb_core_repair" "$(prefetches_in ebb_core_repair)"
}

# Walks in address order over 64-byte entries fetch the groups ahead (ebb_fetch_group_ahead):
# iteration, in m_begin's seek wherever the compiler put it, and a resize's migration.
check_walks() { # compiler, level
    ran=$((ran + 2))
    unit big 'm_begin(map).key != 0' >"$tmp/u.c"
    compile "$1" "$2" "$tmp/u.c" big || return
    report "$1 $2 big iteration" "$(($(prefetches_in op) + $(prefetches_in m__seek)))"
    unit big 'm_put(map, k, v)' >"$tmp/u.c"
    compile "$1" "$2" "$tmp/u.c" big || return
    report "$1 $2 big migration" "$(prefetches_in m__migrate_group)"
}

for cc in gcc clang; do
    command -v $cc >/dev/null || { skip_missing $cc; continue; }
    for level in -O2 -O3; do
        check_repair $cc $level
        check_walks $cc $level
        for kind in u64 big str; do
            check $cc $level $kind 'm_put(map, k, v)'
            check $cc $level $kind 'm_delete(map, k)'
            check_matched $cc $level $kind
        done
    done
done
echo "$ran checks"
exit $fail
