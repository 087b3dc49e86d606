#!/usr/bin/env bash
# Runs every example: each must exit 0. The optimised build's examples, then the ASan+UBSan
# build's when present (LeakSanitizer then checks that they free everything), then the optimised
# build's again under valgrind's leak checker when valgrind is installed.
#   EBB_BUILD=build bash tests/examples.sh
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh
build=${EBB_BUILD:-build}
fail=0; ran=0
run() { # binary
    local out rc
    out=$("$@" 2>&1); rc=$?
    ran=$((ran + 1))
    if [ $rc -eq 0 ]; then
        echo "ok   $*"
    else
        echo "FAIL $* (exit $rc)"; printf '%s\n' "$out" | tail -n 20 | sed 's/^/     | /'
        fail=1
    fi
}
dirs=("$build/examples")
if [ "$build" != build/asan ]; then
    if [ -d build/asan/examples ]; then dirs+=(build/asan/examples); else echo "skip build/asan: not built"; fi
fi
for dir in "${dirs[@]}"; do
    for x in "$dir"/*; do
        [ -f "$x" ] && [ -x "$x" ] && run "$x"
    done
done
[ $ran -gt 0 ] || { echo "FAIL no example found under $build/examples"; fail=1; }
if command -v valgrind >/dev/null 2>&1; then
    for x in "$build"/examples/*; do
        [ -f "$x" ] && [ -x "$x" ] || continue
        run valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
            --error-exitcode=1 "$x"
    done
else
    skip_missing valgrind
fi
exit $fail
