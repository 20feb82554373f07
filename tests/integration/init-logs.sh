#!/bin/sh
# PID 1 reaps every zombie (orphans reparented to it included), captures
# logs (console prefix, ring buffer, rotated file), and a container that
# floods its output does not stall PID 1 or grow its memory.
. "$(dirname "$0")/init-lib.sh"

make_rootfs
# shares keel's PID namespace, so its orphans come to keel (PID 1)
entry orphans 'for i in 1 2 3 4 5 6 7 8; do (sleep 0.3 &); done; echo spawned; exec sleep 1000' \
	'{"stop": {"signal": "KILL"}}' no
entry chatty 'i=0; while [ $i -lt 3000 ]; do echo "line $i of chatty output"; i=$((i+1)); done; echo chatty-done' \
	"{\"kind\": \"oneshot\", \"logs\": {\"console\": false, \"file\": \"$T/logs/chatty.log\",
	  \"rotate\": {\"size\": \"16KiB\", \"count\": 3}, \"ring\": \"4KiB\"}}"
entry flood 'exec yes "flooding flooding flooding flooding flooding flooding"' \
	'{"stop": {"signal": "KILL"}, "logs": {"ring": "1MiB", "console": false}}'
entry quiet 'while :; do echo tick; sleep 0.2; done' '{"stop": {"signal": "KILL"}}'

start_keel
wait_for 'Startup finished' 10
rss0=$(awk '/VmRSS/ {print $2}' /proc/"$KPID"/status)
wait_for 'orphans \| spawned' 10
check "orphan maker ran"
sleep 1.5
zombies=0
for p in $(cat /proc/"$KPID"/task/*/children 2>/dev/null); do
	[ "$(awk '{print $3}' /proc/"$p"/stat 2>/dev/null)" = Z ] && zombies=$((zombies + 1))
done
is "$zombies" 0 "no zombie children of PID 1 after the orphans exited"

wait_for 'Finished chatty' 10
check "chatty finished"
f=$T/logs/chatty.log
[ -s "$f" ] && [ -s "$f.1" ] && [ -s "$f.2" ] && [ ! -e "$f.3" ]
check "log file rotated: chatty.log, .1, .2 and no .3"
[ "$(stat -c %s "$f.1")" -le 16384 ] && [ "$(stat -c %s "$f.1")" -gt 8192 ]
check "rotated files near the 16 KiB limit ($(stat -c %s "$f.1") bytes)"
tail -1 "$f" | grep -q chatty-done
check "the file ends with the last line"
grep -q 'chatty |' "$T/console.log"
[ $? != 0 ]
check "logs.console false keeps it off the console"
out=$(ctl logs chatty)
is "$(printf '%s\n' "$out" | tail -1)" chatty-done "keelctl logs: the tail of the ring"
[ "$(printf '%s' "$out" | wc -c)" -le 4096 ]
check "the ring holds at most 4 KiB"
is "$(ctl logs chatty 12)" "chatty-done" "keelctl logs NAME BYTES"

# flooding: PID 1 keeps answering and the quiet one keeps logging
sleep 2
# (bounded waits, not timings: a loaded machine may be slow, a blocked
# PID 1 never answers)
t0=$(date +%s%N)
out=$(timeout 10 "$KEEL" ctl --socket "$T/state/keel.sock" list)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
like "$out" 'flood +ready' "keelctl list answers while flood floods (in ${ms} ms)"
before=$(grep -c 'quiet | tick' "$T/console.log")
wait_count 'quiet \| tick' $((before + 3)) 10
check "the quiet container still logs during the flood ($before -> $(grep -c 'quiet | tick' "$T/console.log"))"
rss=$(awk '/VmRSS/ {print $2}' /proc/"$KPID"/status)
if ldd "$KEEL" 2>/dev/null | grep -q libasan; then
	skip "PID 1 RSS bounded during the flood" "ASan's quarantine keeps freed memory"
else
	[ $((rss - rss0)) -lt 4096 ]
	check "PID 1 RSS stays bounded during the flood (${rss0} -> ${rss} KiB; the ring is 1 MiB)"
fi
flood_bytes=$(ctl status flood | awk '/log-bytes/ {print $2}')
[ "$flood_bytes" -gt 1000000 ]
check "flood output was consumed ($flood_bytes bytes)"

stop_keel
is "$RC" 0 "clean exit"
show_log_on_failure

# A slow console (a FIFO read at about 400 KB/s) and a container flooding
# it: container lines are dropped with a summary, keel's own lines and the
# control socket keep working (init-flood.sh looks at the shares closely).
D=$T/containers.d-slow
mkdir -p "$D"
entry flood 'exec yes "flooding the console flooding the console"' '{"stop": {"signal": "KILL"}}'
entry quiet 'while :; do echo tick; sleep 0.2; done' '{"stop": {"signal": "KILL"}}'
slow_console
start_keel
wait_for 'keel: console too slow: [0-9]+ lines \([0-9]+ bytes\) of container output dropped \(flood [0-9]+\)' 15
check "the slow console gets a summary of the dropped container output"
t0=$(date +%s%N)
out=$(timeout 10 "$KEEL" ctl --socket "$T/state/keel.sock" list)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
like "$out" 'flood +ready' "keelctl answers while the console is saturated (in ${ms} ms)"
like "$(ctl logs quiet 5)" 'tick' "the quiet container's ring is still fed"
stop_keel
is "$RC" 0 "clean exit with a saturated console"
slow_console_wait
check "the console reader read to the end"
grep -q 'All containers stopped' "$T/console.log"
check "keel's own last line reached the slow console"
grep -q 'SIGTERM: stopping all containers' "$T/console.log"
check "and its first shutdown line"
if [ "$_tap_failed" != 0 ]; then # megabytes of flood: keel's lines and the end
	grep -v ' | flood' "$T/console.log" | tail -60 | sed 's/^/# /'
	sed 's/^/# stdout: /' "$T/stdout.log"
fi
done_testing
