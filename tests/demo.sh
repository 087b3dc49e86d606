#!/usr/bin/env bash
# `ebb demo`: the summary line's format and figures at a modest size, and bad input rejected
# with a message and exit status 2.
set -u
ebb=${EBB_BUILD:-build}/ebb
fail=0
bad() { echo "FAIL: $*"; fail=1; }

re='^summary: entries=([0-9]+) survivors=([0-9]+) rss_ratio=([0-9.]+) max_op_us=([0-9.]+) clear_rss_delta_mb=(-?[0-9.]+)$'
# check_summary LABEL ENTRIES OUTPUT: the last line is the summary, with its figures in range.
check_summary() {
    local label=$1 n=$2 last
    last=$(printf '%s\n' "$3" | tail -n 1)
    if [[ $last =~ $re ]]; then
        local entries=${BASH_REMATCH[1]} survivors=${BASH_REMATCH[2]} ratio=${BASH_REMATCH[3]}
        local delta=${BASH_REMATCH[5]}
        [ "$entries" = "$n" ] || bad "$label: entries=$entries"
        # one in ten survives, chosen by a hash of the index
        awk -v s="$survivors" -v n="$n" 'BEGIN { exit !(s > 0.095 * n && s < 0.105 * n) }' ||
            bad "$label: survivors=$survivors"
        awk -v r="$ratio" 'BEGIN { exit !(r > 0.5 && r <= 1.25) }' ||
            bad "$label: rss_ratio=$ratio above 1.25"
        awk -v d="$delta" 'BEGIN { exit !(d < 1.0 && d > -50) }' ||
            bad "$label: clear_rss_delta_mb=$delta not within 1 MB"
        echo "$label: $last"
    else
        bad "$label: last line is not the summary: $last"
    fi
}

out=$("$ebb" demo --entries 2M 2>/dev/null) || bad "demo --entries 2M exited $?"
check_summary demo 2000000 "$out"
for phase in insert lookup delete reference clear; do
    printf '%s\n' "$out" | grep -q "^$phase " || bad "no $phase line"
done
# Tails: inserts and deletes, and the two floors they are read against (a timed lookup, the
# empty operation), each over as many operations as it timed.
lat='latency  p99.9 < *[0-9.]+ us  p99.99 < *[0-9.]+ us  max *[0-9.]+ us  ops over 100 us: [0-9]+ of '
for l in insert:2000000 lookup:2000000 delete: noise:; do
    printf '%s\n' "$out" | grep -Eq "^${l%:*} +${lat}${l#*:}" || bad "no ${l%:*} latency line"
done

# With --pager: tables are unmapped on the pager's thread, which it reports; memory still follows
# the contents, and a clear gives it all back.
out=$("$ebb" demo --entries 1M --pager 2>/dev/null) || bad "demo --entries 1M --pager exited $?"
check_summary "demo --pager" 1000000 "$out"
printf '%s\n' "$out" | grep -Eq '^pager +[1-9][0-9]* tables \([0-9.]+ MB\) unmapped' ||
    bad "--pager: no pager line"

# The k suffix (M is used above): a count in thousands.
out=$("$ebb" demo --entries 50k 2>/dev/null) || bad "demo --entries 50k exited $?"
check_summary "demo 50k" 50000 "$out"

reject() { # args...: must exit 2 with a message on stderr naming the problem
    local err rc
    err=$("$ebb" demo "$@" 2>&1 >/dev/null); rc=$?
    [ $rc -eq 2 ] || bad "demo $* exited $rc, expected 2"
    [ -n "$err" ] || bad "demo $* printed no message"
}
reject --entries abc
reject --entries 0
reject --entries 5
reject --entries -5
reject --entries 10x
reject --entries ' 10'
reject --seed ' -1'
reject --entries 99999999999999999999999
reject --entries 2000000000
reject --entries 2G
reject --entries 1k5
reject --entries
reject --seed
reject --bogus
"$ebb" demo --help | grep -q '^usage: ebb demo' || bad "demo --help"
"$ebb" nosuchcommand >/dev/null 2>&1; [ $? -eq 2 ] || bad "unknown command should exit 2"
"$ebb" >/dev/null 2>&1; [ $? -eq 2 ] || bad "ebb without a command should exit 2"
"$ebb" 2>&1 >/dev/null | grep -q '^usage: ebb COMMAND' || bad "ebb without a command: no usage on stderr"
out=$("$ebb" --help) || bad "ebb --help exited $?"
for c in demo watch check; do grep -Eq "^  $c " <<<"$out" || bad "ebb --help does not list $c"; done
# Output that cannot be written is an error, not a success with the report lost.
lost() { # what, command...: must exit 1 and say on stderr that standard output failed
    local what=$1 err; shift
    err=$("$@" 2>&1 >/dev/full); local rc=$?
    [ $rc -eq 1 ] || bad "$what into /dev/full exited $rc, expected 1"
    grep -q 'standard output: No space left on device' <<<"$err" || bad "$what: no message: $err"
}
lost "ebb --help" "$ebb" --help
lost "demo --help" "$ebb" demo --help
lost "demo" "$ebb" demo --entries 1000
exit $fail
