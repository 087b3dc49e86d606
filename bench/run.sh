#!/usr/bin/env bash
# Runs ebb's benchmark suite: every workload on every table whose driver was built, each run in
# its own process, raw results to build/bench/results/*.csv, then the report (bench/report.py):
# build/bench/report.md and build/bench/plots/*.svg.
#
#   bench/run.sh [--full | --smoke] [--only SECTION...]
#     sections: ops grow tail churn pattern (grow includes the incident: kind strval)
#   BENCH_TABLES="ebb boost ..."   restrict the tables (default: every driver in build/bench)
#   BUILD=build                    the build tree holding libebb.a and bench/drv_*
#   BENCH_OUT=DIR                  where results/, report.md and plots/ go (default BUILD/bench)
#   BENCH_CMD="make ..."           the command the report names (make targets set it)
#
# Sizes: quick (default, a few minutes), --full (the issue's sizes), --smoke (seconds, for tests).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
B=$BUILD/bench
mode=quick; only=""
args="$*"
while [ $# -gt 0 ]; do
    case "$1" in
        --full) mode=full ;;
        --smoke) mode=smoke ;;
        --quick) mode=quick ;;
        --only) only="$only $2"; shift ;;
        *) echo "usage: bench/run.sh [--full|--quick|--smoke] [--only SECTION]..." >&2; exit 2 ;;
    esac
    shift
done
[ -n "$only" ] || only="ops grow tail churn pattern"

case $mode in
    # OPS_SIZES; REPS timed repetitions (u64 / the other kinds), after a warm-up in each process;
    # GROW_N (u64 and the incident under every allocator, str and big under glibc); TAIL_N;
    # CHURN_LIVE and CHURN_OPS (insert+delete pairs); PATTERN_N, _REPS, _SECS (a phase stops after
    # SECS: a collapsed table is quadratic). Quick takes ~3 min on 2 cores; full 34-39 min in the
    # last three runs.
    smoke) OPS_SIZES="20000"; REPS_U64=1; REPS=1; GROW_N=20000; TAIL_N=20000; CHURN_LIVE=10000
           CHURN_OPS=100000; PATTERN_N=20000; PATTERN_REPS=1; PATTERN_SECS=1 ;;
    quick) OPS_SIZES="1000000"; REPS_U64=3; REPS=3; GROW_N=1000000; TAIL_N=1000000
           CHURN_LIVE=1000000; CHURN_OPS=5000000; PATTERN_N=1000000; PATTERN_REPS=3; PATTERN_SECS=1 ;;
    full)  OPS_SIZES="1000000 10000000"; REPS_U64=5; REPS=3; GROW_N=10000000; TAIL_N=10000000
           CHURN_LIVE=1000000; CHURN_OPS=100000000; PATTERN_N=1000000; PATTERN_REPS=3; PATTERN_SECS=2 ;;
esac
GROW_KINDS="u64 strval str big"
GROW_ALL_ALLOCS="u64 strval"
OPS_KINDS="u64 str big"

tables=()
for t in ${BENCH_TABLES:-ebb boost absl std glib uthash go}; do
    if [ -x "$B/drv_$t" ]; then tables+=("$t"); else echo "bench: no driver for $t (package missing?): skipped" >&2; fi
done
[ ${#tables[@]} -gt 0 ] || { echo "bench: no drivers built in $B" >&2; exit 1; }

# Allocators by preloading; the Go runtime has its own (it runs once, as "go").
allocs=("glibc:")
for a in jemalloc:libjemalloc.so.2 mimalloc:libmimalloc.so.2; do
    lib=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/${a#*:}
    if [ -e "$lib" ]; then allocs+=("${a%%:*}:$lib"); else echo "bench: ${a#*:} missing: ${a%%:*} skipped" >&2; fi
done

OUT=${BENCH_OUT:-$B}
R=$OUT/results
mkdir -p "$R"
t_start=$SECONDS
fail=0
run() { # csv-file, command...: append the command's rows; a failure is reported, not fatal
    local f=$1; shift
    if ! "$@" >>"$f" 2>>"$R/errors.log"; then
        echo "bench: FAILED: $*" | tee -a "$R/errors.log" >&2
        fail=1
    fi
}
section() { echo "bench: $1 ($mode) at $((SECONDS - t_start)) s" >&2; }

{
    echo "mode=$mode"
    echo "command=${BENCH_CMD:-${BENCH_TABLES:+BENCH_TABLES=\"$BENCH_TABLES\" }bench/run.sh${args:+ $args}}"
    echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
    echo "commit=$(git rev-parse --short HEAD 2>/dev/null)"
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "cores=$(nproc)"
    echo "mem_gib=$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "gcc=$(gcc -dumpfullversion)"
    echo "gxx=$(g++ -dumpfullversion 2>/dev/null)"
    echo "go=$(go version 2>/dev/null | awk '{print $3}')"
    for p in libboost1.81-dev libabsl-dev libglib2.0-dev uthash-dev golang-go libjemalloc2 libmimalloc2.0; do
        echo "pkg_$p=$(dpkg-query -W -f='${Version}' $p 2>/dev/null)"
    done
    echo "tables=${tables[*]}"
    echo "allocs=$(for a in "${allocs[@]}"; do printf '%s ' "${a%%:*}"; done)"
    echo "cflags=-std=c11 -O2 (C), -std=c++20 -O2 (C++), go build defaults"
    echo "sizes=ops:$OPS_SIZES reps:u64 $REPS_U64 others $REPS grow:$GROW_N tail:$TAIL_N churn:$CHURN_LIVE/$CHURN_OPS pattern:$PATTERN_N"
} >"$R/machine.txt"

for s in $only; do
    case $s in
    ops)
        section ops
        : >"$R/ops.csv"
        # Rounds outside, tables inside: a slow patch of the machine hits every table alike.
        for n in $OPS_SIZES; do
            for ((r = 1; r <= REPS_U64; r++)); do
                for k in $OPS_KINDS; do
                    [ "$k" != u64 ] && [ $r -gt $REPS ] && continue
                    for t in "${tables[@]}"; do run "$R/ops.csv" "$B/drv_$t" ops "$k" "$n" 1; done
                done
            done
        done ;;
    grow)
        section grow
        : >"$R/grow.csv"; : >"$R/grow_ts.csv"
        for k in $GROW_KINDS; do
            for t in "${tables[@]}"; do
                for a in "${allocs[@]}"; do
                    name=${a%%:*}; lib=${a#*:}
                    [ "$name" != glibc ] && [ "$t" = go ] && continue
                    [ "$name" != glibc ] && [[ " $GROW_ALL_ALLOCS " != *" $k "* ]] && continue
                    [ "$t" = go ] && name=go
                    tmp=$R/.grow.tmp
                    : >"$tmp"
                    run "$tmp" env BENCH_ALLOC="$name" ${lib:+LD_PRELOAD=$lib} "$B/drv_$t" grow "$k" "$GROW_N"
                    grep '^grow,' "$tmp" >>"$R/grow.csv"
                    grep '^grow_ts,' "$tmp" >>"$R/grow_ts.csv"
                    rm -f "$tmp"
                done
            done
        done ;;
    tail)
        section tail
        : >"$R/tail.csv"
        for t in "${tables[@]}"; do run "$R/tail.csv" "$B/drv_$t" tail "$TAIL_N"; done ;;
    churn)
        section churn
        : >"$R/churn.csv"; : >"$R/churn_ts.csv"
        for t in "${tables[@]}"; do
            tmp=$R/.churn.tmp
            : >"$tmp"
            run "$tmp" "$B/drv_$t" churn "$CHURN_LIVE" "$CHURN_OPS"
            grep '^churn,' "$tmp" >>"$R/churn.csv"
            grep '^churn_ts,' "$tmp" >>"$R/churn_ts.csv"
            rm -f "$tmp"
        done ;;
    pattern)
        section pattern
        : >"$R/pattern.csv"
        for t in "${tables[@]}"; do run "$R/pattern.csv" "$B/drv_$t" pattern "$PATTERN_N" "$PATTERN_REPS" "$PATTERN_SECS"; done ;;
    *) echo "bench: unknown section $s" >&2; exit 2 ;;
    esac
done
echo "elapsed_s=$((SECONDS - t_start))" >>"$R/machine.txt"
section "report"
python3 bench/report.py "$OUT" || fail=1
# A full run is the one the docs quote: docs/benchmarks.md and its plots in docs/bench/.
if [ $mode = full ] && [ $fail -eq 0 ] && [ "$only" = "ops grow tail churn pattern" ]; then
    mkdir -p docs/bench
    rm -f docs/bench/*.svg
    cp "$OUT"/plots/*.svg docs/bench/ 2>/dev/null
    python3 bench/report.py "$OUT" --plots-url bench/ --out docs/benchmarks.md >/dev/null || fail=1
    echo "bench: published docs/benchmarks.md and docs/bench/" >&2
fi
echo "bench: done in $((SECONDS - t_start)) s: $OUT/report.md" >&2
exit $fail
