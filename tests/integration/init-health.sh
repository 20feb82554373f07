#!/bin/sh
# Health checks with keel as PID 1 of a PID namespace: a service whose
# check passes is "passing" in keelctl status; readiness "healthy" holds a
# dependent until the first pass; a service whose check starts failing
# (the test creates /sick-NAME in the shared rootfs, which the containers
# see) is marked unhealthy after `retries` failures, what requires it is
# stopped, and on-failure restarts it (a new pid, healthy again once the
# file is gone); restart "no" leaves it running unhealthy until a check
# passes again.  The check runs inside the container as `keel-runtime
# exec` would: its hostname (UTS namespace) and cgroup are the
# container's, it has the container's capabilities (none here), not
# PID 1's, and no fd of PID 1 (only 0-2, and ls's own).
. "$(dirname "$0")/init-lib.sh"

LOOP='trap "exit 0" TERM; while :; do sleep 0.1; done'
make_rootfs
# kedh: sick while /sick-kedh exists in its rootfs
entry kedh "$LOOP" \
	'{"restart": {"policy": "on-failure", "delay": "200ms"}, "health": {"command": "test \"$(hostname)\" = kedh && grep -q /kedh\\$ /proc/self/cgroup && grep -q \"^CapEff:.0000000000000000\\$\" /proc/self/status && test \"$(ls /proc/self/fd | wc -l)\" -le 4 && test ! -e /sick-kedh", "interval": "300ms", "timeout": "2s", "retries": 2}}'
entry kedreq "$LOOP" '{"requires": ["kedh"]}'
# kedr: ready only once its check passes (/run/up appears after 1 s)
entry kedr "sleep 1; touch /run/up; $LOOP" \
	'{"readiness": "healthy", "health": {"command": ["/bin/test", "-e", "/run/up"], "interval": "200ms", "timeout": "1s"}}'
entry kedafter "$LOOP" '{"requires": ["kedr"]}'
# kedn: restart "no": stays unhealthy, then healthy again
entry kedn "$LOOP" \
	'{"health": {"command": "test ! -e /sick-kedn", "interval": "300ms", "retries": 1}}'

start_keel
wait_for 'Startup finished' 20
check "started"
trap 'show_log_on_failure; cleanup' EXIT

pid_of() { ctl status "$1" | awk '/^pid:/ {print $2}'; }
state_of() { ctl status "$1" | awk '/^state:/ {print $2}'; }
health_of() { ctl status "$1" | sed -n 's/^health: //p'; }
wait_state() { # NAME STATE SECONDS
	_n=$(( $3 * 10 ))
	while [ "$_n" -gt 0 ]; do
		[ "$(state_of "$1")" = "$2" ] && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# readiness "healthy": kedr ready after its first pass, kedafter only then
lr=$(line_of 'Started kedr') la=$(line_of 'Started kedafter')
[ "$lr" -gt 0 ] && [ "$la" -gt "$lr" ]
check "kedr ready by its check before kedafter starts (lines $lr, $la)"
like "$(health_of kedr)" '^passing' "kedr: passing"

sleep 1
like "$(health_of kedh)" '^passing \([0-9]+ checks' "kedh: passing"
is "$(state_of kedh)" ready "kedh ready"
ph=$(pid_of kedh)

# make kedh sick
: >"$ROOTFS/sick-kedh"
wait_for 'kedh is unhealthy: its health check exited non-zero 2 times in a row' 10
check "kedh marked unhealthy after 2 failures"
rm -f "$ROOTFS/sick-kedh"
wait_for 'Stopping kedreq: it requires kedh, which unhealthy' 5
check "kedreq, which requires it, is told and stopped"
wait_for 'Restarting kedh' 10
check "on-failure restarts kedh"
wait_state kedh ready 10
check "kedh ready again"
ph2=$(pid_of kedh)
[ "$ph2" -gt 0 ] && [ "$ph2" != "$ph" ]
check "kedh has a new process ($ph -> $ph2)"
like "$(ctl status kedh)" 'restarts: 1' "kedh restarted once"
sleep 1
like "$(health_of kedh)" '^passing' "kedh passing in its new run"
is "$(state_of kedreq)" blocked "kedreq blocked until started again"

# restart "no": unhealthy, left running, healthy again
pn=$(pid_of kedn)
: >"$ROOTFS/sick-kedn"
wait_state kedn unhealthy 10
check "kedn unhealthy"
is "$(pid_of kedn)" "$pn" "kedn left running (restart no)"
like "$(ctl status kedn)" 'error: unhealthy: its health check exited non-zero 1 times in a row' \
	"kedn says why"
rm -f "$ROOTFS/sick-kedn"
wait_for 'kedn is healthy again' 10
check "kedn healthy again"
is "$(state_of kedn)" ready "kedn ready"

# no keel-health helper is left behind once stopped
stop_keel
is "$RC" 0 "keel exits 0 after SIGTERM"
is "$(ps -eo comm | grep -c '^keel-health$')" 0 "no health helper left"
done_testing
