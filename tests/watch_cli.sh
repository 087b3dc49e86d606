#!/usr/bin/env bash
# `ebb watch` / `ebb check` from the outside, without timing-sensitive workloads: help texts, every
# bad-input case (exit status and message), `ebb check` exit codes and size parsing, replayed
# detection, --json parsed, --on-alert environment, cooldown and a hung hook, --record/--replay,
# --plot, outputs that fail part-way (/dev/full, a closed pipe), files left alone by a run that
# cannot start, --duration kept to, descriptors kept from the command and hooks.
# Replayed series are generated here with awk (fixed formulas; noise from a fixed-seed LCG).
set -u
cd "$(dirname "$0")/.."
B=${EBB_BUILD:-build}
EBB=$B/ebb
JSONL=$B/tests/helpers/jsonl
T=$(mktemp -d)
trap 'kill $SLEEPER 2>/dev/null; rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect STATUS PATTERN CMD...: exit status must be STATUS and stdout+stderr must match PATTERN.
expect() {
    local want=$1 pattern=$2; shift 2
    local out; out=$("$@" 2>&1); local rc=$?
    [ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want: $out"
    grep -Eq -- "$pattern" <<<"$out" || fail "'$*' output lacks /$pattern/: $out"
}

sleep 300 & SLEEPER=$!
to_full() { "$@" >/dev/full; }

# ---- help texts: man-style sections ----
for cmd in watch check; do
    out=$($EBB $cmd --help) || fail "ebb $cmd --help exited non-zero"
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES; do
        grep -q "^$section" <<<"$out" || fail "ebb $cmd --help lacks $section"
    done
done

# ---- bad input: each a clear message and its own exit status ----
expect 2 "exactly one of PID"      $EBB watch
expect 2 "invalid PID 'abc'"       $EBB watch abc
expect 2 "invalid PID '1.5'"       $EBB watch 1.5
expect 2 "invalid PID '0'"         $EBB watch 0
expect 2 "bad --interval '1x'"     $EBB watch -i 1x $SLEEPER
expect 2 "bad --interval '0'"      $EBB watch -i 0 $SLEEPER
expect 2 "bad --limit '12Q'"       $EBB watch --limit 12Q $SLEEPER
expect 2 "levels must be three increasing" $EBB watch --levels 1.3,1.2,2 $SLEEPER
expect 2 "bad --levels"            $EBB watch --levels 1.3,1.8 $SLEEPER
# (-d 0.1s: were one of these accepted, the test would fail at once rather than watch for ever.)
expect 2 "bad --levels '1.3,,1.8,2.5'" $EBB watch -d 0.1s --levels 1.3,,1.8,2.5 $SLEEPER
expect 2 "bad --levels ',1.3,1.8,2.5'" $EBB watch -d 0.1s --levels ,1.3,1.8,2.5 $SLEEPER
expect 2 "bad --levels '1.3,1.8,2.5,'" $EBB watch -d 0.1s --levels 1.3,1.8,2.5, $SLEEPER
expect 2 "invalid PID '1.0'"       $EBB watch -d 0.1s 1.0
expect 2 "bad port in listen address ' 80'" $EBB watch -d 0.1s --listen " 80" $SLEEPER
# Samples too far apart for a detector to work: refused, naming the options.
expect 2 "--baseline-window 30s is too short for --interval 7s: --confirm 3 high samples" \
    $EBB watch -d 0.1s -i 7s $SLEEPER
expect 2 "--baseline-window 1s is too short for --interval 1s" $EBB watch -d 0.1s -b 1s $SLEEPER
expect 2 "--leak-window 300s is too short for --interval 60s" $EBB watch -d 0.1s -i 1m -b 10m $SLEEPER
expect 0 "1 samples"               $EBB watch -q -i 30s -b 3m -d 0.1s $SLEEPER
expect 2 "bad option"              $EBB watch --frobnicate $SLEEPER
expect 2 "bad --hysteresis '0.6'"  $EBB watch --hysteresis 0.6 $SLEEPER
expect 2 "bad --confirm '0'"       $EBB watch --confirm 0 $SLEEPER
expect 2 "bad --confirm '2.5'"     $EBB watch --confirm 2.5 $SLEEPER
expect 2 "bad --baseline-window '0'" $EBB watch --baseline-window 0 $SLEEPER
expect 2 "bad --leak-window 'x'"   $EBB watch --leak-window x $SLEEPER
# Values that make no sense are refused, naming the option; the meaningful ones next to them pass.
expect 2 "bad --interval '0.5ms' \(expected a duration of at least 1ms\)" \
    $EBB watch -d 0.1s -i 0.5ms $SLEEPER
expect 2 "bad --interval '0.0001' \(expected a duration of at least 1ms\)" \
    $EBB watch -d 0.1s -i 0.0001 --replay /dev/null
expect 0 "samples"                 $EBB watch -q -d 0.05s -i 1ms $SLEEPER
expect 2 "--levels: light 1.05 would only be left below 1.05 x \(1 - --hysteresis 0.05\) = 0.9975 times the baseline" \
    $EBB watch -d 0.1s --levels 1.05,1.5,2 $SLEEPER
expect 2 "--levels: light 1.3 would only be left below .* raise light above 1.429 or lower --hysteresis" \
    $EBB watch -d 0.1s --hysteresis 0.3 --replay /dev/null
expect 0 "samples"                 $EBB watch -q -d 0.1s --levels 1.06,1.5,2 $SLEEPER
expect 0 "samples"                 $EBB watch -q -d 0.1s --levels 1.2,1.5,2 --hysteresis 0 $SLEEPER
expect 2 "--leak-window 10800s at --interval 0.001s would hold 10800000 samples in memory \(at most 10000000\)" \
    $EBB watch -d 0.1s -i 1ms -w 3h $SLEEPER
expect 2 "--baseline-window 1.728e\+06s at --interval 0.1s would hold 17280000 samples" \
    $EBB watch -d 0.1s -i 100ms -b 20d -w 1m $SLEEPER
expect 0 "samples"                 $EBB watch -q -d 0.1s -i 1ms -w 2h $SLEEPER
expect 2 "--duration does not apply" $EBB watch -d 1s -- true
expect 2 "exactly one of PID"      $EBB watch $SLEEPER --replay /dev/null
expect 2 "no command after --"     $EBB watch --
expect 3 "process 4194000 does not exist" $EBB watch 4194000
expect 127 "cannot run '/nonexistent/cmd': No such file" $EBB watch -- /nonexistent/cmd
expect 5 "cannot open replay file" $EBB watch --replay "$T/missing.csv"
expect 5 "cannot open replay file '/tmp': Is a directory" $EBB watch --replay /tmp
expect 5 "/proc/self/mem: read error: " $EBB watch --replay /proc/self/mem
expect 5 "cannot write --record file" $EBB watch --record /nonexistent/dir/x.csv $SLEEPER
expect 5 "cannot write --plot file" $EBB watch --plot /nonexistent/dir/x.svg $SLEEPER
expect 2 "bad address"             $EBB watch --listen nohost:80 $SLEEPER
expect 2 "bad port"                $EBB watch --listen 127.0.0.1:99999 $SLEEPER
printf '0,100\n1,100\nhello world\n3,100\n' >"$T/garbage.csv"
expect 2 "garbage.csv:3: expected 'seconds,bytes', got 'hello world'" $EBB watch --replay "$T/garbage.csv"
printf '0,100\n1,1e3\n' >"$T/exp.csv"
expect 2 "exp.csv:2: expected" $EBB watch --replay "$T/exp.csv"
printf '0,100\n5,100\n4,100\n' >"$T/back.csv"
expect 2 "back.csv:3: time 4 is before" $EBB watch --replay "$T/back.csv"
printf '0,100\n1,1\x00000\n2,100\n' >"$T/nul.csv"
expect 2 "nul.csv:2: expected 'seconds,bytes', got '1,1' and a NUL byte" \
    $EBB watch --replay "$T/nul.csv"
printf '# only a comment\n\n' >"$T/empty.csv"
expect 2 "no samples" $EBB watch --replay "$T/empty.csv"
for i in $(seq 0 999); do echo "$((i + 100)),100000000"; done >"$T/flat.csv"
n=$($EBB watch -q -d 60s --replay "$T/flat.csv" 2>&1 | sed -n 's/^ebb watch: \([0-9]*\) samples.*/\1/p')
[ "$n" = 61 ] || fail "--duration 60s over a replay took $n samples, expected 61"
# Live, --duration ends the run on time even when the next sample is further away.
start=$(date +%s%N)
$EBB watch -q -i 3s -d 1s $SLEEPER 2>"$T/dur.err"; rc=$?
took_ms=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 0 ] && [ $took_ms -ge 900 ] && [ $took_ms -lt 2500 ] &&
    grep -q '^ebb watch: 1 samples' "$T/dur.err" ||
    fail "-i 3s -d 1s: status $rc after ${took_ms} ms, expected 0 after 1000: $(cat "$T/dur.err")"

# --pss adds the process's PSS to each sample: never more than its RSS (a page or so apart).
$EBB watch --pss --json -i 20ms -d 0.1s $SLEEPER >"$T/pss.jsonl" 2>/dev/null || fail "watch --pss exited non-zero"
awk -F'"pss_bytes":' 'NF == 2 { split($2, v, ","); n++; if (v[1] + 0 <= 0) bad++ }
    END { exit !(n >= 2 && !bad) }' "$T/pss.jsonl" || fail "watch --pss samples lack a positive pss_bytes: $(head -2 "$T/pss.jsonl")"

# ---- ebb check: exit codes and sizes ----
rss=$(awk '/^VmRSS/ {print $2 * 1024}' /proc/$SLEEPER/status)
expect 0 "^ok: pid $SLEEPER rss"          $EBB check $SLEEPER
expect 0 "^ok:"                           $EBB check $SLEEPER --max-rss 512M
expect 0 "^ok:"                           $EBB check $SLEEPER --max-rss 1.5GiB
expect 0 "^ok:"                           $EBB check $SLEEPER --max-rss $((rss + 4096))
expect 1 "^unhealthy: .*> max-rss"        $EBB check $SLEEPER --max-rss $((rss - 4096))
expect 1 "^unhealthy: .*max-rss 1.0 KiB"  $EBB check $SLEEPER --max-rss 1K
expect 1 "^unhealthy:"                    $EBB check $SLEEPER --max-rss 1000B
expect 0 "^ok: .*ratio 1.00"              $EBB check $SLEEPER --max-ratio 1.5 --max-leak-rate 1M/min --for 0.5s -i 100ms
expect 2 "bad --max-rss '512X'"           $EBB check $SLEEPER --max-rss 512X
expect 2 "bad --max-rss '-1G'"            $EBB check $SLEEPER --max-rss -1G
expect 2 "bad --max-rss '1.5'"            $EBB check $SLEEPER --max-rss 1.5
expect 2 "bad --max-rss ''"               $EBB check $SLEEPER --max-rss ''
expect 2 "bad --max-rss '0' \(expected a size above 0" $EBB check $SLEEPER --max-rss 0
expect 2 "bad --max-rss '0KiB'"           $EBB check $SLEEPER --max-rss 0KiB
expect 2 "bad --interval '0.9ms' \(expected a duration of at least 1ms\)" \
    $EBB check $SLEEPER --max-ratio 2 -i 0.9ms --for 0.01s
expect 0 "^ok: .* over 0.0s$"             $EBB check $SLEEPER --max-ratio 2 -i 1ms --for 0.005s
expect 0 "^ok:"                           $EBB check $SLEEPER --max-leak-rate 0 --for 0.5s
expect 2 "bad --max-leak-rate '1M/fortnight'" $EBB check $SLEEPER --max-leak-rate 1M/fortnight
expect 2 "bad --max-ratio"                $EBB check $SLEEPER --max-ratio abc
expect 2 "bad --for"                      $EBB check $SLEEPER --max-ratio 2 --for 3parsecs
expect 2 "bad --for"                      $EBB check $SLEEPER --max-ratio 2 --for 367d
expect 2 "bad --interval"                 $EBB check $SLEEPER --max-ratio 2 --interval 1000000d
expect 2 "invalid PID"                    $EBB check 12ab
expect 2 "exactly one PID"                $EBB check
expect 3 "does not exist"                 $EBB check 4194000 --max-rss 1G
expect 2 "invalid PID '1.0'"              $EBB check 1.0
# A ratio or a rate needs three samples: a shorter series is refused, not silently skipped.
expect 2 "--max-ratio needs a series of at least 3 samples, and --for 0s at --interval 0.25s" \
    $EBB check $SLEEPER --max-ratio 1 --for 0
expect 2 "--for 5s at --interval 10s takes 1" $EBB check $SLEEPER -i 10s --max-ratio 2
expect 2 "--max-leak-rate needs a series" $EBB check $SLEEPER --max-leak-rate 0 --for 0.4s
expect 2 "more than 4096 samples"         $EBB check $SLEEPER --max-ratio 2 --for 30m
# The series keeps its schedule to the end: --for 1s spans 1.0 s (0, 0.25, ... 1.0), three
# samples in --for 0.5s.
expect 0 "^ok: .* over 1.0s$"             $EBB check $SLEEPER --max-ratio 2 --for 1s
expect 0 "^ok: .* over 0.5s$"             $EBB check $SLEEPER --max-leak-rate 1M/s --for 0.5s
# Errors are a message on stderr; stdout, the probe's line, stays empty.
out=$($EBB check 4194000 --max-rss 1G 2>"$T/check.err"); rc=$?
[ $rc -eq 3 ] && [ -z "$out" ] &&
    grep -qx "ebb check: process 4194000 does not exist" "$T/check.err" ||
    fail "check of a missing process: status $rc, stdout '$out', stderr '$(cat "$T/check.err")'"
sleep 0.5 & short=$!
expect 3 "^ebb check: process $short exited during the check$" \
    $EBB check $short --max-ratio 2 --for 3s
# A kernel thread has no memory to watch (PID 2 is kthreadd, unless we are in a PID namespace).
if [ -r /proc/2/status ] && ! grep -q '^VmRSS:' /proc/2/status && grep -q '^PPid:[[:space:]]*0$' /proc/2/status; then
    expect 2 "process 2 is a kernel thread" $EBB watch 2
    expect 2 "process 2 is a kernel thread" $EBB check 2 --max-rss 1G
fi

# ---- standard output that cannot be written: status 5 and a message, never output lost unsaid ----
expect 5 "^ebb watch: standard output: No space left on device$" \
    to_full $EBB watch -i 50ms -d 0.2s $SLEEPER
expect 5 "^ebb watch: standard output: No space left on device$" \
    to_full $EBB watch --replay "$T/garbage.csv"
expect 5 "^ebb check: standard output: No space left on device$" to_full $EBB check $SLEEPER
expect 5 "^ebb watch: standard output: No space left on device$" to_full $EBB watch --help
expect 5 "^ebb check: standard output: No space left on device$" to_full $EBB check --help
# A reader that goes (| head -1) ends the watch, which would otherwise run on for ever.
timeout 10 $EBB watch -i 50ms $SLEEPER 2>"$T/pipe.err" | head -1 >/dev/null
rc=${PIPESTATUS[0]}
[ $rc -eq 5 ] && grep -q "^ebb watch: standard output: Broken pipe$" "$T/pipe.err" ||
    fail "watch | head -1: status $rc, expected 5: $(cat "$T/pipe.err")"

# ---- replayed detection: a leak is reported, a flat series is not ----
# 100 MB flat for 400 s, then 10 MB/min; noise ±1% from an LCG with a fixed seed.
awk 'BEGIN { s = 12345; for (t = 0; t <= 700; t++) { s = (s * 1103515245 + 12345) % 2147483648;
     b = 104857600 + (t > 400 ? (t - 400) * 10485760 / 60 : 0); printf "%d,%d\n", t, b * (0.99 + 0.02 * s / 2147483648) } }' >"$T/leak.csv"
awk 'BEGIN { s = 777; for (t = 0; t <= 700; t++) { s = (s * 1103515245 + 12345) % 2147483648;
     printf "%d,%d\n", t, 104857600 * (0.99 + 0.02 * s / 2147483648) } }' >"$T/flat.csv"
$EBB watch --replay "$T/flat.csv" --json >"$T/flat.jsonl" 2>/dev/null; rc=$?
[ $rc -eq 0 ] || fail "flat replay exited $rc, expected 0"
$EBB watch --replay "$T/leak.csv" --json --limit 400M >"$T/leak.jsonl" 2>/dev/null; rc=$?
[ $rc -eq 1 ] || fail "leak replay exited $rc, expected 1 (an alert)"
fields="t pid rss_bytes baseline_bytes ratio severity leak_bytes_per_s eta_s events"
$JSONL "$T/leak.jsonl" $fields >"$T/leak.tsv" || fail "--json output is not valid JSON lines with $fields"
[ "$(wc -l <"$T/leak.tsv")" -eq 701 ] || fail "expected 701 JSON objects"
awk -F'\t' '$2 != "null" { print "pid should be null in replay: " $0; exit 1 }
    $6 !~ /^(none|light|medium|severe)$/ { print "bad severity: " $0; exit 1 }
    ($7 == "null") != ($8 == "null") { print "leak and eta disagree: " $0; exit 1 }' "$T/leak.tsv" || fail "JSON field check"
first=$(awk -F'\t' '$7 != "null" { print $1; exit }' "$T/leak.tsv")
[ -n "$first" ] && awk -v f="$first" 'BEGIN { exit !(f > 400 && f <= 520) }' ||
    fail "replayed 10 MB/min leak first reported at t=${first:-never}, expected within (400, 520]"
# Time left at the first report, against the truth: (400 MB - size now) / rate.
awk -F'\t' -v f="$first" '$1 == f { truth = (419430400 - (104857600 + (f - 400) * 10485760 / 60)) / (10485760 / 60);
    err = $8 / truth - 1; if (err < -0.25 || err > 0.25) { print "eta " $8 " vs truth " truth; exit 1 } }' "$T/leak.tsv" ||
    fail "replayed ETA not within 25%"
grep -q '"events":\["leak"\]' "$T/leak.jsonl" || fail "no leak event in JSON"

# ---- --on-alert: environment and cooldown (sample time, so the replay is deterministic) ----
# Five 3x spikes of 5 s, 60 s apart; cooldown 100 s lets spikes 1, 3, 5 through (t = 60, 180, 300).
awk 'BEGIN { for (t = 0; t <= 330; t++) { b = 100000000; if (t >= 60 && (t - 60) % 60 < 5) b *= 3; printf "%d,%d\n", t, b } }' >"$T/spikes.csv"
$EBB watch --replay "$T/spikes.csv" --quiet --cooldown 100s \
    --on-alert "echo \"\$EBB_EVENT \$EBB_SEVERITY pid=\$EBB_PID t=\$EBB_T ratio=\$EBB_RATIO\" >>$T/hook.log" >"$T/spikes.out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "spike replay exited $rc, expected 1"
[ "$(grep -c '^ALERT level:severe' "$T/spikes.out")" -eq 5 ] || fail "expected 5 severe alerts: $(cat "$T/spikes.out")"
[ "$(grep -c 'skipped (cooldown)' "$T/spikes.out")" -eq 2 ] || fail "expected 2 alerts skipped by cooldown"
[ "$(wc -l <"$T/hook.log" 2>/dev/null)" = 3 ] || fail "hook ran $(wc -l <"$T/hook.log" 2>/dev/null) times, expected 3"
# Hooks run concurrently, so their lines may land in any order.
awk '{ print $4 }' "$T/hook.log" | sort -t= -k2 -n | tr '\n' ' ' | grep -q '^t=62 t=182 t=302 $' || fail "hook times: $(cat "$T/hook.log")"
grep -q '^level:severe severe pid= t=62 ratio=3$' "$T/hook.log" || fail "hook environment: $(head -1 "$T/hook.log")"

# A hook that fails is said on stderr, one line naming its PID and how it ended; the alert stands,
# so the status stays 1. (Not anchored at the start of a line: sh writes "sh: 1: " and the rest of
# its own complaint apart, and ebb's line may land between them.)
hook_fails() { # HOOK PATTERN: each of the three hooks run must be reported as PATTERN
    rm -f "$T/fail.pids"
    $EBB watch --replay "$T/spikes.csv" --quiet --cooldown 100s \
        --on-alert "echo \$\$ >>$T/fail.pids; $1" >"$T/fail.out" 2>&1
    local rc=$? p n=0
    [ $rc -eq 1 ] || fail "replay with the hook '$1' exited $rc, expected 1"
    for p in $(cat "$T/fail.pids"); do
        grep -Eq "ebb watch: --on-alert command for level:severe at t=[0-9.]+s \(pid $p\) $2\$" \
            "$T/fail.out" && n=$((n + 1))
    done
    [ $n -eq 3 ] && [ "$(grep -c -- '--on-alert command for' "$T/fail.out")" -eq 3 ] ||
        fail "hook '$1': $n of 3 reported as /$2/: $(cat "$T/fail.out")"
}
hook_fails 'exit 3' 'exited with status 3'
hook_fails 'kill -KILL $$' 'was killed by signal 9 \(Killed\)'
hook_fails '/nonexistent/hook' 'exited with status 127 \(sh could not run the command\)'
$EBB watch --replay "$T/spikes.csv" --quiet --cooldown 0 --on-alert 'exit 0' >"$T/fail.out" 2>&1
[ $? -eq 1 ] && ! grep -q -- '--on-alert command for' "$T/fail.out" ||
    fail "a hook that succeeded was reported: $(cat "$T/fail.out")"

# Samples too sparse for the windows: a replay says so. 1 s apart, a 3x spike of 5 samples is seen
# with -b 6s (2 x --confirm 3 intervals), not with -b 5s; -w 9s is too short for a slope.
expect 1 "ALERT level:severe: t=62.0s"   $EBB watch -q -b 6s -w 10s --replay "$T/spikes.csv"
expect 1 "spikes.csv: samples 1s apart on average: spikes go unseen \(--baseline-window 5s" \
    $EBB watch -q -b 5s -w 10s --replay "$T/spikes.csv"
expect 0 "flat.csv: samples 1s apart on average: no leak can be reported \(--leak-window 9s" \
    $EBB watch -q -w 9s --replay "$T/flat.csv"
$EBB watch -q -b 6s -w 10s --replay "$T/spikes.csv" 2>&1 | grep -q warning &&
    fail "a replay dense enough was warned about"

# Many samples at one time: each step took a pass over its whole baseline window, every sample
# here, so the time grew with the square of their number (100,000 took 23 s, so this, about
# 3.5 minutes); the windows are now kept in trees (0.2 s). `timeout 60` is a watchdog, not a
# measurement.
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "0,%d\n", 100000000 + i % 97 * 10000 }' \
    >"$T/same.csv"
timeout 60 $EBB watch -q --replay "$T/same.csv" 2>"$T/same.err"; rc=$?
[ $rc -eq 0 ] && grep -q '^ebb watch: 300000 samples, 0 alerts' "$T/same.err" ||
    fail "300000 samples at one time: status $rc (124: still running after 60 s): $(cat "$T/same.err")"

# ---- --record then --replay: the same detector output ----
$EBB watch -i 20ms -d 1s --json --record "$T/rec.csv" --plot "$T/rec.svg" $SLEEPER >"$T/live.jsonl" 2>/dev/null ||
    fail "live watch with --record exited non-zero"
$EBB watch --replay "$T/rec.csv" --json >"$T/replayed.jsonl" 2>/dev/null || fail "replay of a record exited non-zero"
cols="t rss_bytes baseline_bytes ratio severity leak_bytes_per_s eta_s"
if ! cmp -s <($JSONL "$T/live.jsonl" $cols) <($JSONL "$T/replayed.jsonl" $cols); then
    fail "record/replay round trip differs"
fi
[ "$(grep -vc '^#' "$T/rec.csv")" -ge 40 ] || fail "record has too few samples"
grep -q '<svg' "$T/rec.svg" && grep -q '<polyline' "$T/rec.svg" && grep -q '</svg>' "$T/rec.svg" || fail "plot is not an SVG chart"
$EBB watch --replay "$T/leak.csv" --plot "$T/leak.svg" --quiet >/dev/null 2>&1
[ "$(grep -c '<polyline' "$T/leak.svg")" -eq 5 ] || fail "leak plot should have 5 polylines (memory, baseline, 3 thresholds)"
grep -q 'fill="#8e24aa"' "$T/leak.svg" || fail "leak plot does not mark the leak"

# ---- files that cannot be written to the end, and the launched command's PID in --record ----
# An alert (1) turns into 5: the plot the user asked for is not there.
expect 5 "cannot write --plot file '/dev/full'" $EBB watch --replay "$T/spikes.csv" --quiet --plot /dev/full
expect 5 "cannot write --record file" $EBB watch --replay "$T/flat.csv" --quiet --record /dev/full
$EBB watch -i 50ms --quiet --record "$T/launch.csv" -- sleep 0.3 2>/dev/null || fail "launch mode with --record exited non-zero"
head -1 "$T/launch.csv" | grep -Eq '\(pid [1-9][0-9]*,' || fail "launch-mode --record header lacks the command's PID: $(head -1 "$T/launch.csv")"

# In launch mode the command is not ours to stop: when --record or stdout fails mid-run, the watch
# says so once, goes on without it, and ends with the command's status (0 turned into 5).
$EBB watch -q -i 50ms --record /dev/full -- sh -c "sleep 0.3; touch $T/ran; exit 7" \
    2>"$T/lost.err"; rc=$?
[ $rc -eq 7 ] && [ -e "$T/ran" ] ||
    fail "launch mode, --record failing mid-run: status $rc, expected 7 and the command's end"
n=$(grep -c "cannot write --record file '/dev/full': No space left on device; the watch goes on" \
    "$T/lost.err")
[ "$n" -eq 1 ] ||
    fail "--record failure not said exactly once: $(cat "$T/lost.err")"
expect 5 "cannot write --record file '/dev/full'" \
    $EBB watch -q -i 50ms --record /dev/full -- sh -c 'sleep 0.2'
rm -f "$T/ran"
$EBB watch -i 50ms -- sh -c "sleep 0.3; touch $T/ran; exit 3" >/dev/full 2>"$T/lost.err"; rc=$?
n=$(grep -c '^ebb watch: standard output: No space left on device; the watch goes on' "$T/lost.err")
[ $rc -eq 3 ] && [ -e "$T/ran" ] && [ "$n" -eq 1 ] ||
    fail "launch mode, stdout failing: status $rc, expected 3, the command's end, one message:" \
        "$(cat "$T/lost.err")"
expect 5 "standard output: No space left on device" to_full $EBB watch -i 50ms -- sh -c 'sleep 0.2'

# ---- nothing of the user's is truncated before the run is known to work ----
printf '0,1\n1,2\n' >"$T/run.csv"
cp "$T/run.csv" "$T/run.orig"
expect 2 "--record file '$T/run.csv' is the --replay file" \
    $EBB watch --replay "$T/run.csv" --record "$T/run.csv"
expect 2 "--plot file '$T/run.csv' is the --replay file" \
    $EBB watch --replay "$T/run.csv" --plot "$T/run.csv"
expect 2 "--record file '$T/run.csv' is the --replay file" \
    sh -c "$EBB watch --replay - --record '$T/run.csv' <'$T/run.csv'"
expect 2 "--plot file '$T/both' is the --record file" \
    $EBB watch --record "$T/both" --plot "$T/both" $SLEEPER
cmp -s "$T/run.csv" "$T/run.orig" || fail "the replay file was changed: $(cat "$T/run.csv")"
[ ! -e "$T/both" ] || fail "a run that never started left '$T/both' behind"
echo keep >"$T/keep.csv"
expect 127 "cannot run '/nonexistent/cmd'" $EBB watch --record "$T/keep.csv" -- /nonexistent/cmd
expect 5 "cannot open replay file" \
    $EBB watch --replay "$T/missing.csv" --record "$T/keep.csv"
expect 5 "cannot listen on 192.0.2.1:1" \
    $EBB watch --plot "$T/keep.csv" --listen 192.0.2.1:1 $SLEEPER
expect 5 "cannot listen on 192.0.2.1:1" \
    $EBB watch --record "$T/keep.csv" --listen 192.0.2.1:1 $SLEEPER
[ "$(cat "$T/keep.csv")" = keep ] || fail "a run that could not start emptied keep.csv"
expect 127 "cannot run" \
    $EBB watch --record "$T/new.csv" --plot "$T/new.svg" -- /nonexistent/cmd
[ ! -e "$T/new.csv" ] && [ ! -e "$T/new.svg" ] ||
    fail "a run that never started left new files behind"

# ---- the launched command and --on-alert hooks inherit none of our files ----
$EBB watch -q -i 50ms --record "$T/fd.csv" --plot "$T/fd.svg" \
    -- sh -c "ls -l /proc/\$\$/fd >$T/cmd.fds" 2>/dev/null
$EBB watch -q --replay "$T/spikes.csv" --record "$T/fd.csv" --plot "$T/fd.svg" \
    --on-alert "ls -l /proc/\$\$/fd >>$T/hook.fds" >/dev/null 2>&1
[ -s "$T/cmd.fds" ] && [ -s "$T/hook.fds" ] || fail "no descriptor listing from the command or hook"
! grep -E 'fd\.(csv|svg)|spikes\.csv' "$T/cmd.fds" "$T/hook.fds" ||
    fail "descriptors leaked into the command or a hook"

# ---- the chart stays XML whatever bytes its title holds (a replay file's name here) ----
ctl="$T/ctl"$'\x01\xff'".csv"
cp "$T/run.csv" "$ctl"
$EBB watch -q --replay "$ctl" --plot "$T/ctl.svg" 2>/dev/null || fail "replay of '$ctl' failed"
if command -v python3 >/dev/null; then
    python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$T/ctl.svg" ||
        fail "the chart of a replay file with control characters in its name is not XML"
else
    echo "note: python3 missing; the chart's XML is not parsed"
fi

# ---- a hung --on-alert command holds the exit by at most 5 s, and is left running ----
start=$(date +%s%N)
$EBB watch --replay "$T/spikes.csv" --quiet --cooldown 0 \
    --on-alert "echo \$\$ >>$T/hung.pids; exec sleep 60" >"$T/hung.out" 2>&1
rc=$? took_ms=$((($(date +%s%N) - start) / 1000000))
[ $rc -eq 1 ] || fail "replay with a hung hook exited $rc, expected 1"
[ $took_ms -ge 4500 ] && [ $took_ms -lt 9000 ] || fail "a hung hook held the exit ${took_ms} ms, expected about 5000"
grep -q -- "--on-alert commands still running after 5s; left running" "$T/hung.out" || fail "no word of the hung hooks: $(cat "$T/hung.out")"
[ "$(wc -l <"$T/hung.pids")" -eq 5 ] || fail "expected 5 hooks, ran $(wc -l <"$T/hung.pids")"
kill $(cat "$T/hung.pids") 2>/dev/null || fail "the hung hooks were not left running"

[ $failures -eq 0 ] && echo "watch_cli: all passed"
exit $((failures > 0))
