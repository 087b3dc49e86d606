#!/usr/bin/env bash
# `ebb watch` on live processes, with time scaled 60x so the whole file runs in about 20 s:
# interval 1/60 s, baseline window 0.5 s (30 s / 60), leak window 5 s (5 min / 60), and leak
# rates 60x (10 MB/min -> 10 MB/s). So "reported within 2 minutes" becomes "within 2 s".
# Covers: leak detection time and ETA (10 and 2 MB/min), no false alarm on a sawtooth, --on-alert
# with the PID, a process exiting mid-watch, launch mode (status, signal forwarding), INT/TERM
# ending the run promptly whatever it is doing, /metrics on loopback (live and replayed) and a
# port in use, a failing hook said, a PID reused while watched, permission denied.
set -u
cd "$(dirname "$0")/.."
B=${EBB_BUILD:-build}
EBB=$B/ebb
H=$B/tests/helpers
T=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null; done; rm -rf "$T"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
SCALED=(-i 16.667ms -b 0.5s -w 5s --confirm 3)
MB=1048576

# ---- three workloads at once (2 cores; ebb itself uses a few % of one) ----
# Leaks: 100 MB flat for 6 s (the detector's warm-up is one leak window, 5 s), then the leak.
$EBB watch "${SCALED[@]}" --json --limit 300M --cooldown 0 \
    --on-alert "echo \$EBB_EVENT \$EBB_PID >>$T/hook10.log" \
    -- $H/leaker 100 10 6 9 >"$T/leak10.jsonl" 2>"$T/leak10.err" &
w1=$!
# A failing hook here: said on stderr while the watch goes on, and the status stays the command's.
$EBB watch "${SCALED[@]}" --json --limit 300M --on-alert "echo \$\$ >>$T/hook2.pids; exit 4" \
    -- $H/leaker 100 2 6 17 >"$T/leak2.jsonl" 2>"$T/leak2.err" &
w2=$!
# Sawtooth: ±20% around 100 MB, period 1 s (60 s unscaled), 15 s (15 min unscaled).
$EBB watch "${SCALED[@]}" --json -- $H/sawtooth 100 0.2 1 15 >"$T/saw.jsonl" 2>"$T/saw.err" &
w3=$!
pids+=($w1 $w2 $w3)

# ---- meanwhile, the quick ones ----
# A process that exits while watched: status 3 and a message.
sleep 0.6 & short=$!
out=$($EBB watch -i 50ms $short 2>&1 >/dev/null); rc=$?
[ $rc -eq 3 ] || fail "watching a process that exits: status $rc, expected 3"
grep -q "process $short exited while watched" <<<"$out" || fail "exit message: $out"

# PID reuse: the watched process exits and another takes its PID before the next sample (in a PID
# namespace of our own, where ns_last_pid hands the PID out again). The watch and the check must
# say it exited (3), not go on reading the newcomer.
if [ "$(id -u)" -eq 0 ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
    reuse() { # ARGS... of ebb (the PID is appended): its status; stderr in $T/reuse.err
        unshare --pid --fork --mount-proc bash -c '
            err=$1; shift
            sleep 60 & old=$!
            "$@" $old >/dev/null 2>"$err" & ebb=$!
            sleep 0.4
            kill $old; wait $old
            echo $((old - 1)) >/proc/sys/kernel/ns_last_pid
            sleep 60 & new=$!
            wait $ebb; rc=$?
            kill $new
            [ $new = $old ] || { echo "PID $old was not reused ($new)" >>"$err"; exit 99; }
            exit $rc' reuse "$T/reuse.err" "$@"
    }
    reuse $EBB watch -q -i 1s -d 2.5s; rc=$?
    [ $rc -eq 3 ] && grep -q "^ebb watch: process [0-9]* exited while watched$" "$T/reuse.err" ||
        fail "watch of a PID reused: status $rc, expected 3: $(cat "$T/reuse.err")"
    reuse $EBB check --max-ratio 5 -i 1s --for 2s; rc=$?
    [ $rc -eq 3 ] && grep -q "^ebb check: process [0-9]* exited during the check$" "$T/reuse.err" ||
        fail "check of a PID reused: status $rc, expected 3: $(cat "$T/reuse.err")"
else
    echo "note: not root or no unshare; PID reuse test skipped"
fi

# Launch mode: the command's status, 128+signal, and signals forwarded.
$EBB watch -q -i 50ms -- sh -c 'sleep 0.2; exit 7' 2>/dev/null; rc=$?
[ $rc -eq 7 ] || fail "launch mode status $rc, expected 7"
$EBB watch -q -i 50ms -- sh -c 'kill -KILL $$' 2>/dev/null; rc=$?
[ $rc -eq 137 ] || fail "launch mode, command killed by SIGKILL: status $rc, expected 137"
$EBB watch -q -i 50ms -- sh -c 'trap "exit 42" TERM; while :; do sleep 0.05; done' 2>/dev/null &
launcher=$!
sleep 0.5
kill -TERM $launcher
wait $launcher; rc=$?
[ $rc -eq 42 ] || fail "SIGTERM not forwarded to the command (status $rc, expected 42)"

# INT/TERM end the run promptly in every phase, not only while it sleeps between samples: waiting
# on a silent pipe or for a FIFO's other end, replaying, writing to a stalled pipe, waiting for
# hooks. stops SIGNAL PID STATUS WHAT: PID must end within 2 s of SIGNAL with STATUS (a watchdog
# kills it after 5 s, so that a regression fails rather than hangs).
stops() {
    local sig=$1 pid=$2 want=$3 what=$4 start rc took dog
    sleep 0.4
    start=$(date +%s%N)
    kill -"$sig" "$pid"
    (sleep 5; kill -KILL "$pid" 2>/dev/null) & dog=$!
    wait "$pid"; rc=$?
    took=$((($(date +%s%N) - start) / 1000000))
    kill $dog 2>/dev/null; wait $dog 2>/dev/null
    [ $rc -eq "$want" ] && [ $took -lt 2000 ] ||
        fail "$what: SIG$sig ended it after $took ms with status $rc (expected $want within 2 s)"
}
mkfifo "$T/in" "$T/in2" "$T/rec" "$T/out"
sleep 30 >"$T/in" & pids+=($!)
$EBB watch --replay "$T/in" >/dev/null 2>&1 &
stops INT $! 0 "replay from a silent pipe"
$EBB watch --replay "$T/in2" >/dev/null 2>&1 &
stops TERM $! 0 "replay waiting for a writer"
sleep 60 & target=$!; pids+=($target)
$EBB watch --record "$T/rec" $target >/dev/null 2>&1 &
stops INT $! 0 "--record to a FIFO without a reader"
$EBB watch --record "$T/rec" -- touch "$T/launched" >/dev/null 2>&1 &
stops TERM $! 0 "launch mode, --record to a FIFO without a reader"
[ ! -e "$T/launched" ] || fail "a watch stopped before it began launched its command"
awk 'BEGIN { for (t = 0; t < 600000; t++) printf "%d,%d\n", t, 100000000 + t % 97 * 10000 }' \
    >"$T/long.csv"
$EBB watch -q --replay "$T/long.csv" >/dev/null 2>&1 &
stops INT $! 0 "a long replay"
# The write a stop cuts short is lost output: said, and status 5.
sleep 30 <"$T/out" & pids+=($!)
$EBB watch --replay "$T/long.csv" >"$T/out" 2>"$T/stalled.err" &
stops TERM $! 5 "a replay writing to a stalled pipe"
grep -q "^ebb watch: standard output: Interrupted system call$" "$T/stalled.err" ||
    fail "no word of the output a stop cut short: $(cat "$T/stalled.err")"
awk 'BEGIN { for (t = 0; t <= 70; t++) printf "%d,%d\n", t, (t >= 60 && t < 65) ? 3e8 : 1e8 }' \
    >"$T/spike.csv"
$EBB watch -q --replay "$T/spike.csv" --on-alert "echo \$\$ >$T/hook.pid; exec sleep 30" \
    >/dev/null 2>"$T/hook.err" &
stops INT $! 1 "waiting for a hung hook"
grep -q -- "--on-alert command still running after a stop signal; left running" "$T/hook.err" ||
    fail "no word of the hook left running: $(cat "$T/hook.err")"
kill "$(cat "$T/hook.pid")" 2>/dev/null || fail "the hook was not left running"

# /metrics on loopback (port 0: the kernel picks a free one), with a bash /dev/tcp client.
$EBB watch -q -i 50ms --listen 127.0.0.1:0 $target 2>"$T/http.err" &
server=$!; pids+=($server)
# The port a watch started with --listen ...:0 announced on its stderr (in FILE), waiting up to
# 2.5 s for it; empty when none came.
announced_port() { # FILE
    local port=
    for _ in $(seq 50); do
        port=$(sed -n 's/.*serving metrics on port \([0-9]*\).*/\1/p' "$1")
        [ -n "$port" ] && break
        sleep 0.05
    done
    echo "$port"
}
port=$(announced_port "$T/http.err")
fetch() { # PATH -> response on stdout
    exec 3<>/dev/tcp/127.0.0.1/$port || return 1
    printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3
    cat <&3
    exec 3<&-
}
if [ -z "$port" ]; then
    fail "no port announced: $(cat "$T/http.err")"
else
    sleep 0.3
    body=$(fetch /metrics)
    grep -q '^HTTP/1.[01] 200' <<<"$body" || fail "/metrics status: $(head -1 <<<"$body")"
    grep -qi '^Content-Type: text/plain; version=0.0.4' <<<"$body" || fail "/metrics content type"
    for m in ebb_watch_rss_bytes ebb_watch_baseline_bytes ebb_watch_ratio ebb_watch_severity \
             ebb_watch_leak_bytes_per_second ebb_watch_eta_seconds ebb_watch_samples_total; do
        grep -q "^# TYPE $m " <<<"$body" || fail "/metrics lacks $m"
    done
    grep -q "^ebb_watch_info{pid=\"$target\"} 1" <<<"$body" || fail "/metrics lacks the pid"
    rss=$(awk '$1 == "ebb_watch_rss_bytes" { print $2 }' <<<"$body" | tr -d '\r')
    awk -v r="$rss" 'BEGIN { exit !(r > 100000) }' || fail "/metrics rss_bytes '$rss'"
    grep -q '^ebb_watch_eta_seconds +Inf' <<<"$body" || fail "eta should be +Inf without a leak"
    fetch /nothing | grep -q '^HTTP/1.[01] 404' || fail "/nothing should be 404"
    # The same port again: a clear error, status 5.
    out=$($EBB watch --listen 127.0.0.1:$port $target 2>&1); rc=$?
    [ $rc -eq 5 ] || fail "port in use: status $rc, expected 5"
    grep -q "cannot listen on 127.0.0.1:$port: Address already in use" <<<"$out" || fail "port in use message: $out"
fi
kill $server; wait $server 2>/dev/null
# A replay watches no process: its info metric has no pid label (as the JSON's pid is null).
awk 'BEGIN { for (t = 0; t < 40; t++) printf "%d,%d\n", t, 1e8 }' >"$T/few.csv"
(cat "$T/few.csv"; sleep 3) | $EBB watch -q --replay - --listen 127.0.0.1:0 2>"$T/http2.err" &
server=$!; pids+=($server)
port=$(announced_port "$T/http2.err")
if [ -z "$port" ]; then
    fail "no port announced for the replay: $(cat "$T/http2.err")"
else
    sleep 0.3
    body=$(fetch /metrics | tr -d '\r')
    grep -qx 'ebb_watch_info 1' <<<"$body" && ! grep -q 'pid=' <<<"$body" &&
        grep -qx 'ebb_watch_samples_total 40' <<<"$body" ||
        fail "replay /metrics: $(grep -E 'info|samples_total' <<<"$body")"
fi
wait $server 2>/dev/null

# Permission denied: an unprivileged user may not read smaps_rollup (--pss) of PID 1; the
# counters of /proc/PID/status stay readable, so the default watch and check still work.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
    asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
    out=$(asnobody $EBB watch --pss -d 0.2s 1 2>&1); rc=$?
    [ $rc -eq 4 ] || fail "permission denied: status $rc, expected 4 ($out)"
    grep -q "permission denied reading process 1 (run as its owner or root, or drop --pss)" <<<"$out" ||
        fail "permission message: $out"
    asnobody $EBB watch -q -i 50ms -d 0.2s 1 >/dev/null 2>&1 || fail "watch without --pss as another user"
    asnobody $EBB check 1 --max-rss 100G >/dev/null || fail "check as another user"
else
    echo "note: not root or no setpriv; permission test skipped"
fi

# ---- the workloads' verdicts ----
wait $w1; rc1=$?
wait $w2; rc2=$?
wait $w3; rc3=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc3 -eq 0 ] || fail "workload statuses $rc1 $rc2 $rc3 (children exit 0)"
# leak_verdict FILE RATE_MB_PER_S DEADLINE_S: first report within DEADLINE of the leak's start
# (6 s), not before it, and the ETA within 25% of (300 MB - rss) / rate at every report.
leak_verdict() {
    $H/jsonl "$1" t rss_bytes leak_bytes_per_s eta_s >"$1.tsv" || { fail "$1 is not valid JSON lines"; return; }
    awk -F'\t' -v rate="$2" -v deadline="$3" -v mb=$MB -v name="$1" '
        $3 != "null" && first == "" { first = $1 }
        $3 != "null" { truth = (300 * mb - $2) / (rate * mb); err = $4 / truth - 1
                       if (err > worst) worst = err; if (-err > worst) worst = -err }
        END { printf "%s: leak of %g MB/s (scaled) reported at t=%s (leak began at 6 s), worst ETA error %.1f%%\n",
                     name, rate, first, 100 * worst
              if (first == "" || first < 6 || first > 6 + deadline || worst > 0.25) exit 1 }' "$1.tsv" ||
        fail "leak verdict for $1"
}
leak_verdict "$T/leak10.jsonl" 10 2
leak_verdict "$T/leak2.jsonl" 2 10
hook_pid=$(head -1 "$T/hook2.pids" 2>/dev/null)
[ -n "$hook_pid" ] &&
    grep -Eq "ebb watch: --on-alert command for leak at t=[0-9.]+s \(pid $hook_pid\) exited with status 4$" \
        "$T/leak2.err" || fail "no word of the failed hook: $(cat "$T/leak2.err")"
leak_pid=$(head -1 "$T/leak10.jsonl.tsv" >/dev/null; $H/jsonl "$T/leak10.jsonl" pid | head -1)
grep -q "^leak $leak_pid$" "$T/hook10.log" 2>/dev/null || fail "--on-alert did not see 'leak $leak_pid': $(cat "$T/hook10.log" 2>&1)"
$H/jsonl "$T/saw.jsonl" severity leak_bytes_per_s >"$T/saw.tsv" || fail "sawtooth JSON"
awk -F'\t' '$2 != "null" { leak++ } $1 == "medium" || $1 == "severe" { high++ }
    END { printf "sawtooth: %d samples, %d with a leak, %d above light\n", NR, leak, high; exit (leak || high || NR < 500) }' "$T/saw.tsv" ||
    fail "false alarm on the sawtooth"

[ $failures -eq 0 ] && echo "watch_live: all passed"
exit $((failures > 0))
