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
grep -q 'reaped' "$T/stdout.log" || true

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
t0=$(date +%s%N)
ctl list >/dev/null
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ "$ms" -lt 1000 ]
check "keelctl list answers in ${ms} ms while flood floods"
before=$(grep -c 'quiet | tick' "$T/console.log")
sleep 1
after=$(grep -c 'quiet | tick' "$T/console.log")
[ "$after" -gt "$before" ]
check "the quiet container still logs during the flood ($before -> $after)"
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

# A slow console (a pipe drained by a shell loop) and a container flooding
# it: container lines are dropped with a note, keel's own lines and the
# control socket keep working.
D=$T/containers.d-slow
mkdir -p "$D"
entry flood 'exec yes "flooding the console flooding the console"' '{"stop": {"signal": "KILL"}}'
entry quiet 'while :; do echo tick; sleep 0.2; done' '{"stop": {"signal": "KILL"}}'
mkfifo "$T/console.fifo"
: >"$T/console.log"
(while IFS= read -r l; do printf '%s\n' "$l"; done <"$T/console.fifo" >"$T/console.log") &
READER=$!
CONSOLE=$T/console.fifo start_keel
wait_for 'keel: console too slow: [0-9]+ bytes of container output dropped' 15
check "the slow console gets a note about dropped container output"
t0=$(date +%s%N)
out=$(ctl list)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
like "$out" 'flood +ready' "keelctl answers while the console is saturated (${ms} ms)"
[ "$ms" -lt 1000 ]
check "and quickly"
like "$(ctl logs quiet 5)" 'tick' "the quiet container's ring is still fed"
stop_keel
is "$RC" 0 "clean exit with a saturated console"
wait_for 'All containers stopped' 10
check "keel's own last line reached the slow console"
kill "$READER" 2>/dev/null
show_log_on_failure
done_testing
