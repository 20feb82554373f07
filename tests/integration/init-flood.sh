#!/bin/sh
# A slow console (≈400 KB/s, a FIFO read at a bounded rate) and two
# containers writing into it at full speed beside a quiet one:
#  - the quiet container's lines all get through (fair share per container),
#  - the flooders share what is left about evenly,
#  - drops are summed up in one note per second, not one per line,
#  - keel's own lines, the shutdown ones included, are all kept,
#  - keelctl answers meanwhile.
. "$(dirname "$0")/init-lib.sh"

make_rootfs
entry flood1 'exec yes "flood1 floods the console flood1 floods the console"' '{"stop": {"signal": "KILL"}}'
entry flood2 'exec yes "flood2 floods the console flood2 floods the console"' '{"stop": {"signal": "KILL"}}'
entry quiet 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done' '{"stop": {"signal": "KILL"}}'

slow_console
start_keel
wait_for 'Startup finished' 15
check "all three started under the flood"
t0=$(date +%s)
sleep 6
t0_ms=$(date +%s%N)
out=$(timeout 10 "$KEEL" ctl --socket "$T/state/keel.sock" list)
ms=$(( ($(date +%s%N) - t0_ms) / 1000000 ))
like "$out" 'flood1 +ready' "keelctl list answers while the console is saturated (in ${ms} ms)"
last=$(ctl logs quiet 4096 | awk '/^tick/ {n = $2} END {print n + 0}')
stop_keel
is "$RC" 0 "clean exit"
# the reader ends when keel closes the FIFO
slow_console_wait
check "the console reader saw the end of the output"
secs=$(( $(date +%s) - t0 ))

# every tick the quiet one wrote made it
got=$(grep -cE 'quiet \| tick [0-9]+$' "$T/console.log")
[ "$last" -ge 3 ]
check "the quiet container ticked during the flood (tick $last when keel was stopped)"
[ "$got" -ge $((last * 9 / 10)) ] && [ "$got" -gt 10 ]
check "the quiet container's lines got through: $got of $last (before: 1 in 63)"
f1=$(grep -c 'flood1 | flood1 floods' "$T/console.log")
f2=$(grep -c 'flood2 | flood2 floods' "$T/console.log")
[ "$f1" -gt 0 ] && [ "$f2" -gt 0 ] && [ "$f1" -le $((f2 * 3)) ] && [ "$f2" -le $((f1 * 3)) ]
check "the two floods share the console ($f1 and $f2 lines)"
notes=$(grep -c 'keel: console too slow' "$T/console.log")
[ "$notes" -ge 1 ] && [ "$notes" -le $((secs + 3)) ]
check "one drop summary per second at most ($notes notes in ${secs} s; before: 166,729)"
like "$(grep 'keel: console too slow' "$T/console.log" | head -3)" \
	'[0-9]+ lines \([0-9]+ bytes\) of container output dropped \((flood[12] [0-9]+, flood[12] [0-9]+|flood[12] [0-9]+)\)' \
	"the summary counts lines and bytes and names the containers"
note_bytes=$(grep 'keel: console too slow' "$T/console.log" | wc -c)
all_bytes=$(wc -c <"$T/console.log")
[ $((note_bytes * 100)) -lt "$all_bytes" ]
check "notes are under 1% of the console ($note_bytes of $all_bytes bytes)"
for l in 'SIGTERM: stopping all containers' 'Stopped flood1' 'Stopped flood2' 'Stopped quiet' \
	'All containers stopped'; do
	grep -q "$l" "$T/console.log"
	check "keel's shutdown line \"$l\" was kept"
done
if [ "$_tap_failed" != 0 ]; then # the console is megabytes: its keel lines and its end
	grep -v ' | flood' "$T/console.log" | tail -60 | sed 's/^/# /'
	sed 's/^/# stdout: /' "$T/stdout.log"
fi
done_testing
