#!/usr/bin/env bash
# The benchmark suite at tiny sizes (bench/run.sh --smoke), so it cannot rot: builds the drivers
# of the peers that are installed, runs every workload on each, and checks that the CSVs and the
# report hold a row per table and workload. Peers whose Debian package is missing are skipped
# (one "skipped: missing X" line each): `make test` does not install them (bench/setup.sh does).
set -u
cd "$(dirname "$0")/.."
BUILD=${EBB_BUILD:-build}
for tool in python3 make gcc; do
    command -v $tool >/dev/null || { echo "skipped: missing $tool"; exit 0; }
done
[ -f "$BUILD/libebb.a" ] || { echo "bench_smoke: $BUILD/libebb.a not built" >&2; exit 1; }
missing=$(bench/setup.sh --check)
for p in $missing; do echo "skipped: missing $p"; done

make -s -f bench/bench.mk drivers BUILD="$BUILD" || { echo "bench_smoke: drivers failed to build" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
tables=""
for t in ebb boost absl std glib uthash go; do [ -x "$BUILD/bench/drv_$t" ] && tables="$tables $t"; done
echo "bench_smoke: tables:$tables"
BENCH_OUT=$OUT BENCH_TABLES="$tables" BUILD=$BUILD bench/run.sh --smoke || {
    echo "bench_smoke: bench/run.sh failed" >&2; cat "$OUT/results/errors.log" >&2; exit 1; }

R=$OUT/results
# The page-cost probe runs and reports both of its parts.
pc=$("$BUILD/bench/page_costs" 20000 1) || { echo "bench_smoke: page_costs failed" >&2; exit 1; }
for line in "chunk  256 KiB" "shrinking (the default)" "held by reserve()"; do
    grep -qF "$line" <<<"$pc" || { echo "bench_smoke: page_costs printed no '$line'" >&2; exit 1; }
done
# The tail diagnosis runs and sorts every operation into one kind: at a threshold below any
# operation's time, each is slow, and the rows of an operation add up to how many it timed.
# Both ways of unmapping: inline, and on the pager's thread.
tf_row='^[a-z]+ +(page fault|resize step|neither) +([0-9]+) ops .*: +([0-9]+) +\( *[0-9.]+ per s\)$'
for mode in inline pager; do
    tf=$("$BUILD/bench/tail_faults" 20000 0.001 $mode) ||
        { echo "bench_smoke: tail_faults $mode failed" >&2; exit 1; }
    grep -q "^unmapping: " <<<"$tf" || { echo "bench_smoke: tail_faults $mode: no mode line" >&2; exit 1; }
    for what in insert:20000 delete:20000 lookup:40000 empty:40000; do
        op=${what%:*} ops=0 slow=0
        while read -r row; do
            [[ $row =~ $tf_row ]] || { echo "bench_smoke: tail_faults row: $row" >&2; exit 1; }
            ops=$((ops + BASH_REMATCH[2])) slow=$((slow + BASH_REMATCH[3]))
        done < <(grep "^$op " <<<"$tf")
        if [ $ops -ne "${what#*:}" ] || [ $slow -ne $ops ]; then
            echo "bench_smoke: tail_faults $mode: $op rows do not add up ($ops ops, $slow slow):" >&2
            echo "$tf" >&2; exit 1
        fi
    done
done
for bad in 0 -5 "10 nan" "10 1 2" "10 1 pager x"; do
    # shellcheck disable=SC2086 # the bad arguments are words on purpose
    if "$BUILD/bench/tail_faults" $bad >/dev/null 2>&1; then
        echo "bench_smoke: tail_faults accepted '$bad'" >&2; exit 1
    fi
done
# The value-size probe reports both phases of every size, every operation counted, and rejects
# bad arguments.
vs=$("$BUILD/bench/value_sizes" 2 1) || { echo "bench_smoke: value_sizes failed" >&2; exit 1; }
for size in 16:131072 64:32768 256:8192 2056:1020; do
    for phase in insert delete; do
        grep -Eq "^ +${size%:*} +$phase +${size#*:} +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+$" <<<"$vs" ||
            { echo "bench_smoke: value_sizes printed no $phase row for ${size%:*}: $vs" >&2; exit 1; }
    done
done
for bad in 0 -5 x 5x "10 0" "10 1x" "10 1 2" 20000; do
    # shellcheck disable=SC2086 # the bad arguments are words on purpose
    if "$BUILD/bench/value_sizes" $bad >/dev/null 2>&1; then
        echo "bench_smoke: value_sizes accepted '$bad'" >&2; exit 1
    fi
done
# The probes by entry size (walks: iteration and drain; lookups: hits, misses, mixed) report
# every size with three figures, and reject bad arguments.
for probe in walks lookups; do
    out=$("$BUILD/bench/$probe" 2000 1) || { echo "bench_smoke: $probe failed" >&2; exit 1; }
    for size in 16 32 64 128 256; do
        grep -Eq "^ *$size bytes +[0-9.]+ +[0-9.]+ +[0-9.]+$" <<<"$out" ||
            { echo "bench_smoke: $probe printed no row for $size: $out" >&2; exit 1; }
    done
    for bad in 0 -5 x 5x "2000 0" "2000 1x" "2000 100" "2000 1 2"; do
        # shellcheck disable=SC2086 # the bad arguments are words on purpose
        if "$BUILD/bench/$probe" $bad >/dev/null 2>&1; then
            echo "bench_smoke: $probe accepted '$bad'" >&2; exit 1
        fi
    done
done
# The duel (where boost is installed) runs every workload, its tables agreeing on every batch,
# and rejects bad sizes.
if [ -x "$BUILD/bench/duel" ]; then
    for kind in u64 str big; do
        du=$("$BUILD/bench/duel" $kind 20000 2 1000) || { echo "bench_smoke: duel $kind failed" >&2; exit 1; }
        for op in insert hit miss churn delete; do
            grep -Eq "^$op +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +\[[0-9.]+, [0-9.]+\] +[0-9.]+$" <<<"$du" ||
                { echo "bench_smoke: duel $kind printed no $op row: $du" >&2; exit 1; }
        done
    done
    for bad in 0 -5 "10 0" "10 1 0" "10 1 2000000" "1 2 3 4" "str 1 2 3 4" "u32 10"; do
        # shellcheck disable=SC2086 # the bad arguments are words on purpose
        if "$BUILD/bench/duel" $bad >/dev/null 2>&1; then
            echo "bench_smoke: duel accepted '$bad'" >&2; exit 1
        fi
    done
fi
# Every driver rejects counts that are not positive integers, and repetitions past its bound.
for t in $tables; do
    for bad in "ops u64 10 0" "ops u64 10 -5" "ops u64 10 2000000" "churn 10 x" "tail 1e3"; do
        # shellcheck disable=SC2086 # the bad arguments are words on purpose
        if "$BUILD/bench/drv_$t" $bad >/dev/null 2>&1; then
            echo "bench_smoke: drv_$t accepted '$bad'" >&2; exit 1
        fi
    done
done
# The drain profile runs on every C and C++ driver, and writes perf's commands where it is told.
for t in $tables; do
    [ $t = go ] && continue
    dr=$(BENCH_PERF_CTL="$OUT/ctl" "$BUILD/bench/drv_$t" drain 20000 2) || {
        echo "bench_smoke: $t drain failed" >&2; exit 1; }
    [ "$(grep -c "^drain,$t,u64,20000,[12],[0-9.]*$" <<<"$dr")" -eq 2 ] || {
        echo "bench_smoke: $t drain printed: $dr" >&2; exit 1; }
    [ "$(tr '\n' ' ' <"$OUT/ctl")" = "enable disable enable disable " ] || {
        echo "bench_smoke: $t drain wrote to the perf fifo: $(cat "$OUT/ctl")" >&2; exit 1; }
    dr=$("$BUILD/bench/drv_$t" drain 20000 1 big) && grep -q "^drain,$t,big,20000,1,[0-9.]*$" <<<"$dr" || {
        echo "bench_smoke: $t drain of 56-byte values printed: $dr" >&2; exit 1; }
    if "$BUILD/bench/drv_$t" drain 20000 1 str >/dev/null 2>&1; then
        echo "bench_smoke: $t drain accepted the kind 'str'" >&2; exit 1
    fi
done
# Go computes the same keys as the C drivers.
if [ -x "$BUILD/bench/drv_go" ] && ! cmp -s <("$BUILD/bench/drv_ebb" keys 2000) <("$BUILD/bench/drv_go" keys 2000); then
    echo "bench_smoke: the Go driver's keys differ from the C drivers'" >&2
    exit 1
fi
fail=0
expect() { # file, pattern, what
    if ! grep -q "$2" "$R/$1"; then echo "bench_smoke: no $3 in $1" >&2; fail=1; fi
}
for t in $tables; do
    for k in u64 str big; do
        for op in insert lookup_hit lookup_miss replace iterate churn delete; do
            expect ops.csv "^ops,$t,$k,20000,$op,1," "$t $k $op"
        done
    done
    allocs=glibc; [ $t = go ] && allocs=go
    for k in u64 big str strval; do
        for a in $allocs; do expect grow.csv "^grow,$t,$a,$k,20000," "$t $a $k growth"; done
        expect grow_ts.csv "^grow_ts,$t,[a-z]*,$k,20000,.*,cleared,0," "$t $k RSS samples"
    done
    for ph in insert delete noise; do expect tail.csv "^tail,$t,u64,20000,$ph," "$t tail $ph"; done
    expect churn.csv "^churn,$t,u64,10000,200000," "$t churn"
    for k in random timestamp_ms mul1024; do expect pattern.csv "^pattern,$t,$k,20000,insert," "$t pattern $k"; done
done
# Every fresh-process reference succeeded and every ratio is a number.
if awk -F, '$11 <= 0 { bad = 1 } END { exit !bad }' "$R/grow.csv"; then
    echo "bench_smoke: a reference process failed" >&2; fail=1
fi
[ -s "$R/errors.log" ] && { echo "bench_smoke: errors:" >&2; cat "$R/errors.log" >&2; fail=1; }
report=$OUT/report.md
for section in "## Summary" "## 1. Operations" "## 2. Growth and retreat" "## 3. Tail latency" \
    "## 4. Churn" "## 5. Patterned keys" "## 6. The incident"; do
    grep -qF "$section" "$report" || { echo "bench_smoke: report lacks '$section'" >&2; fail=1; }
done
for t in $tables; do
    case $t in ebb) name=ebb ;; boost) name=boost:: ;; absl) name=absl:: ;; std) name=std:: ;;
        glib) name="glib GHashTable" ;; uthash) name=uthash ;; go) name="Go map" ;; esac
    grep -qF "| $name" "$report" || { echo "bench_smoke: report has no row for $t" >&2; fail=1; }
done
[ $fail -eq 0 ] && echo "bench_smoke: ok ($(wc -l <"$R/ops.csv") ops rows, report $(wc -l <"$report") lines)"
exit $fail
