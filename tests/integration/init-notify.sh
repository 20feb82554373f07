#!/bin/sh
# sd_notify readiness: NOTIFY_SOCKET bind-mounted into the container,
# READY=1 gates dependents, STATUS= is kept, a sender outside the
# container is refused (SO_PASSCRED), and a start timeout kills a service
# that never becomes ready.
. "$(dirname "$0")/init-lib.sh"

make_rootfs
rootfs_add_keelctl
entry slow 'echo "socket=$NOTIFY_SOCKET"; touch /run/keel-notify/x 2>/dev/null && echo dir-writable || echo dir-readonly; sleep 1; keelctl notify "STATUS=warming up"; sleep 1;
	keelctl notify READY=1 "STATUS=serving"; exec sleep 1000' \
	'{"readiness": "notify", "stop": {"signal": "KILL"}}'
entry dep 'echo dep-started; exec sleep 1000' '{"requires": ["slow"], "stop": {"signal": "KILL"}}'
entry never 'echo never-ready; exec sleep 1000' '{"readiness": "notify", "start_timeout": "1s"}'
# create never completes: a createRuntime hook (run by the runtime in
# keel's start helper) hangs
entry hang 'echo hang-ran' '{"start_timeout": "1s"}' yes \
	'"hooks": {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "1000"]}]}'
entry longjob 'sleep 5; echo longjob-done' '{"kind": "oneshot", "start_timeout": "1s"}'

start_keel
wait_for 'slow \| socket=' 10
check "slow started"
like "$(cat "$T/console.log")" 'slow \| socket=/run/keel-notify/notify.sock' "NOTIFY_SOCKET set in the container"
wait_for 'slow \| dir-' 3
like "$(cat "$T/console.log")" 'slow \| dir-readonly' "the notify directory is read-only in the container"
like "$(ctl status slow)" 'state: running' "not ready before READY=1"
grep -q 'dep | dep-started' "$T/console.log"
[ $? != 0 ]
check "dependent not started before READY=1"

# an impostor in keel's PID namespace, outside the container's cgroup
nsenter --target "$KPID" --pid --mount -- env NOTIFY_SOCKET="$T/state/.notify/slow/notify.sock" \
	"$KEEL" ctl notify READY=1
check "impostor message sent"
wait_for 'slow: ignoring a notify message from pid [0-9]+ outside the container' 3
check "impostor refused"
like "$(ctl status slow)" 'state: running' "still not ready after the impostor"


wait_for 'slow \(ready after' 10
check "ready after READY=1"
wait_for 'dep \| dep-started' 5
check "dependent started"
r=$(line_of 'Started slow \(ready after') d=$(line_of 'dep \| dep-started')
[ "$r" -gt 0 ] && [ "$d" -gt "$r" ]
check "dependent started after readiness ($r < $d)"
ready_ms=$(grep -o 'ready after [0-9]*ms' "$T/console.log" | head -1 | grep -o '[0-9]*')
[ "$ready_ms" -ge 1900 ]
check "readiness took the container's 2 s ($ready_ms ms)"
like "$(ctl status slow)" 'status: serving' "STATUS= kept"

wait_for 'never did not become ready within 1000ms' 5
check "start timeout"
wait_for 'Stopped never|never killed by SIGKILL' 5
check "the unready service was killed"
like "$(ctl status never)" 'state: failed' "and marked failed"

wait_for 'hang did not become ready within 1000ms' 5
check "start timeout while the runtime's create hangs"
wait_for 'Failed to start hang: create did not complete within 1000ms; killed' 5
check "the stuck helper was killed"
like "$(ctl status hang)" 'state: failed' "hang marked failed"
wait_for 'longjob did not finish within 1000ms' 5
check "an explicit start_timeout bounds a oneshot"
like "$(ctl status longjob)" 'state: failed' "longjob marked failed"

stop_keel
is "$RC" 0 "clean exit"
show_log_on_failure
done_testing
