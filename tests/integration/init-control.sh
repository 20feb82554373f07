#!/bin/sh
# The control socket: restart, stop (which stops what requires it), start,
# validation of requests, and poweroff (exit 0 outside boot mode).
. "$(dirname "$0")/init-lib.sh"

make_rootfs
entry a 'echo "a-up $$"; trap "exit 0" TERM; while :; do sleep 0.1; done'
entry b 'echo b-up; trap "exit 0" TERM; while :; do sleep 0.1; done' '{"requires": ["a"]}'

start_keel
wait_for 'Startup finished' 10
check "started"
pid1=$(ctl status a | awk '/^pid:/ {print $2}')

ctl restart a
check "keelctl restart a"
wait_count 'a \| a-up' 2 5
check "a ran again"
wait_for 'Started a' 1
pid2=$(ctl status a | awk '/^pid:/ {print $2}')
[ -n "$pid2" ] && [ "$pid2" != "$pid1" ] && [ "$pid2" != 0 ]
check "a has a new process ($pid1 -> $pid2)"
like "$(ctl status b)" 'state: ready' "b untouched by a restart of a"

ctl stop a
check "keelctl stop a"
wait_for 'Stopped b' 5
check "stopping a stops b, which requires it"
sleep 0.3
like "$(ctl status a)" 'state: stopped' "a stopped"
like "$(ctl status b)" 'state: blocked' "b blocked"

ctl start a && ctl start b
check "keelctl start a, b"
wait_count 'b \| b-up' 2 5
check "b ran again after a"
like "$(ctl status b)" 'state: ready' "b ready"

ctl start a 2>"$T/err"
is "$?" 1 "start of a running container refused"
like "$(cat "$T/err")" 'a is already ready' "with a reason"
ctl stop 'x/../y' 2>"$T/err"
like "$(cat "$T/err")" 'stop needs a container name' "invalid name refused"
ctl list extra 2>"$T/err"
like "$(cat "$T/err")" 'unknown request' "list takes no argument"
long=$(head -c 300 /dev/zero | tr '\0' a)
ctl status "$long" 2>"$T/err"
like "$(cat "$T/err")" 'request too long' "overlong request refused"
printf 'list' | timeout 5 nsenter -t "$KPID" -m true
check "PID 1 still alive after bad requests"

ctl poweroff
check "keelctl poweroff accepted"
n=100
while [ "$n" -gt 0 ] && kill -0 "$KPID" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
wait "$UPID"
is "$?" 0 "poweroff outside boot mode: everything stopped, exit 0"
UPID=
[ "$(tail -n +"$(line_of 'keelctl: stopping')" "$T/console.log" | grep -n 'Stopping b' | cut -d: -f1)" -lt \
  "$(tail -n +"$(line_of 'keelctl: stopping')" "$T/console.log" | grep -n 'Stopping a' | cut -d: -f1)" ]
check "b stopped before a at poweroff"
show_log_on_failure
done_testing
