#!/bin/sh
# Restarts: a crashing service restarted with growing delays, then given up
# at its start limit; the entry requiring it is stopped, the one that only
# wants it keeps running; `always` restarts a clean exit; an essential
# entry's failure ends the run with status 1.
. "$(dirname "$0")/init-lib.sh"

make_rootfs
entry crash 'echo crashing; sleep 0.3; exit 3' \
	'{"restart": {"policy": "on-failure", "delay": "200ms", "backoff": {"factor": 2, "max": "2s"},
	  "limit": {"burst": 4, "interval": "30s"}}}'
entry needs 'echo needs-up; exec sleep 1000' '{"requires": ["crash"], "stop": {"signal": "KILL"}}'
entry likes 'echo likes-up; exec sleep 1000' '{"wants": ["crash"], "stop": {"signal": "KILL"}}'
entry again 'echo again-ran; sleep 0.2; exit 0' \
	'{"restart": {"policy": "always", "delay": "100ms", "backoff": {"factor": 1},
	  "limit": {"burst": 3, "interval": "60s"}}}'

start_keel
wait_for 'crash started 4 times within 30000ms; gave up \(restart.limit\)' 20
check "crashing service given up at its start limit"
wait_for 'again started 3 times' 10
check "'always' restarts a clean exit, within its limit too"

log=$(cat "$T/console.log")
like "$log" 'crash exited with status 3' "exit status reported"
like "$log" 'Restarting crash in 200ms \(restart 1\)' "first delay 200ms"
like "$log" 'Restarting crash in 400ms \(restart 2\)' "backoff doubles: 400ms"
like "$log" 'Restarting crash in 800ms \(restart 3\)' "backoff doubles: 800ms"
is "$(grep -c 'crash | crashing' "$T/console.log")" 4 "crash ran 4 times"

# the gaps between runs grow with the backoff (0.3 s run + delay)
ts() { grep "$1" "$T/console.log" | sed 's/^\[ *\([0-9.]*\)\].*/\1/'; }
gaps=$(ts 'crash | crashing' | awk 'NR > 1 { printf "%d ", ($1 - p) * 1000 } { p = $1 }')
set -- $gaps
[ "$1" -ge 450 ] && [ "$2" -ge 650 ] && [ "$3" -ge 1050 ] && [ "$2" -gt "$1" ] && [ "$3" -gt "$2" ]
check "observed gaps grow: $gaps ms"

like "$log" 'Stopping needs: it requires crash, which failed' "the entry requiring it is stopped"
like "$(ctl status needs)" 'state: blocked' "and marked blocked"
like "$(ctl status crash)" 'state: failed' "crash is failed"
like "$(ctl status crash)" 'restarts: 3' "after 3 restarts"
like "$(ctl status crash)" 'error: started 4 times within 30000ms; gave up' "with the reason"
like "$(ctl status likes)" 'state: ready' "the entry that only wants it keeps running"

# a manual start forgets the history
ctl start crash
check "keelctl start crash accepted"
wait_count 'crash \| crashing' 5 5
is "$(grep -c 'crash | crashing' "$T/console.log")" 5 "it ran again after keelctl start"

stop_keel
is "$RC" 0 "SIGTERM: exit 0"
show_log_on_failure

# Issue 12: a service that can never start, with a backoff that spaces its
# starts further apart than the limit's interval on the wall clock (0.2,
# 0.4, 0.8 s between runs of a few ms; 4 starts in 1 s): it still ends
# failed, because the interval counts running time.  An entry ordered
# after it starts once its first start has failed; one that requires it
# waits, then is blocked.
D=$T/containers.d-limit
mkdir -p "$D"
entry etcd 'echo etcd-fails; exit 1' \
	'{"readiness": "notify", "restart": {"policy": "on-failure", "delay": "200ms",
	  "backoff": {"factor": 2, "max": "10s"}, "limit": {"burst": 4, "interval": "1s"}}}'
entry client 'echo client-up; exec sleep 1000' '{"after": ["etcd"], "stop": {"signal": "KILL"}}'
entry needy 'echo needy-up; exec sleep 1000' '{"requires": ["etcd"], "stop": {"signal": "KILL"}}'
: >"$T/console.log"
start_keel
wait_for 'etcd started 4 times within 1000ms; gave up \(restart.limit\)' 20
check "a service failing at once under backoff ends failed at its start limit"
wait_for 'Startup finished' 10
check "and the startup finishes"
like "$(ctl status etcd)" 'state: failed' "etcd is failed"
like "$(ctl status client)" 'state: ready' "the entry ordered after it runs"
first_fail=$(line_of 'etcd exited with status 1')
client_up=$(line_of 'Started client')
gave_up=$(line_of 'etcd started 4 times')
[ -n "$client_up" ] && [ "$first_fail" -lt "$client_up" ] && [ "$client_up" -lt "$gave_up" ]
check "after: it started once etcd's first start failed ($first_fail < $client_up), before etcd gave up ($gave_up)"
like "$(ctl status needy)" 'state: blocked' "the entry requiring it is blocked"
like "$(cat "$T/console.log")" 'Dependency failed for needy: requires etcd, which failed' "and says why"
! grep -q 'needy | needy-up' "$T/console.log"
check "it never ran"
stop_keel
is "$RC" 0 "SIGTERM: exit 0"
show_log_on_failure

# an essential entry that fails ends the run
D=$T/containers.d-essential
mkdir -p "$D"
entry vital 'echo vital; sleep 0.3; exit 1' '{"essential": true}'
entry other 'exec sleep 1000' '{"stop": {"signal": "KILL"}}'
: >"$T/console.log"
start_keel
n=100
while [ "$n" -gt 0 ] && kill -0 "$KPID" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
wait "$UPID"
is "$?" 1 "an essential failure stops everything and exits 1"
UPID=
like "$(cat "$T/console.log")" 'vital is essential: its failure ends the boot' "and says why"
like "$(cat "$T/console.log")" 'Stopped other' "the others were stopped"
show_log_on_failure
done_testing
