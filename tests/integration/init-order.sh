#!/bin/sh
# keel init as PID 1 of a PID namespace: dependency order, a oneshot
# gating its dependents, broken entries (bad JSON, unknown dependency,
# cycle, missing rootfs) reported precisely while the rest still boots,
# logs captured, and SIGTERM stopping everything in reverse order.
. "$(dirname "$0")/init-lib.sh"

make_rootfs
# setup (oneshot) <- db (service) <- web (service, requires db, after setup)
#                                  <- check (oneshot, wants web)
entry setup 'echo setup-ran; sleep 0.3; echo setup-done' '{"kind": "oneshot"}'
# db is PID 1 of its PID namespace and has no TERM handler: the kernel
# drops the signal, so its stop timeout must end it with SIGKILL
entry db 'echo db-up; exec sleep 1000' '{"requires": ["setup"], "stop": {"timeout": "1s"}}'
entry web 'echo web-up; trap "echo web-got-term; exit 0" TERM; while :; do sleep 0.1; done' \
	'{"requires": ["db"], "after": ["setup"]}'
entry check 'echo check-saw-web' '{"kind": "oneshot", "wants": ["web"]}'
entry free 'echo free-up; exec sleep 1000' '{"stop": {"signal": "KILL"}}'
printf 'd %s/tmpf/free-state 0750 0 0 - -\nf %s/tmpf/free-state/hello 0640 0 0 - hi\n' "$T" "$T" \
	>"$D/free/tmpfiles.conf"
# broken entries
entry badtmp 'true'
printf 'd /ok 0755 0 0 - -\np /what 0755 0 0 - -\n' >"$D/badtmp/tmpfiles.conf"
entry badjson 'true' '{"restart": {"delay": "abc"}}'
entry needsbad 'true' '{"requires": ["badjson"]}'
entry unknown 'true' '{"requires": ["nosuch"]}'
entry cyc1 'true' '{"requires": ["cyc2"]}'
entry cyc2 'true' '{"after": ["cyc3"]}'
entry cyc3 'true' '{"wants": ["cyc1"]}'
mkdir -p "$D/tty" && sed 's/"user": {"uid": 0, "gid": 0},/"terminal": true, "user": {"uid": 0, "gid": 0},/' \
	"$D/free/config.json" >"$D/tty/config.json"
mkdir -p "$D/norootfs" && sed "s#\"path\": \"$ROOTFS\"#\"path\": \"rootfs\"#" \
	"$D/free/config.json" >"$D/norootfs/config.json"

start_keel
wait_for 'Startup finished' 20
check "startup finished"

like "$(cat "$T/console.log")" \
	"\[FAILED\] $D/badjson/keel.json: restart.delay: expected a duration like \"500ms\" or a number of seconds, got \"abc\"" \
	"bad JSON value: one line naming the file and the JSON path"
like "$(cat "$T/console.log")" \
	"$D/unknown/keel.json: requires\[0\]: unknown container \"nosuch\"" "unknown dependency named"
like "$(cat "$T/console.log")" \
	"$D/cyc1/keel.json: requires\[0\]: dependency cycle among cyc1, cyc2, cyc3: cyc1 requires cyc2, cyc2 after cyc3, cyc3 wants cyc1" \
	"cycle: every member named"
like "$(cat "$T/console.log")" "$D/cyc3/keel.json: wants\[0\]: dependency cycle among cyc1, cyc2, cyc3" \
	"cycle reported on each member"
like "$(cat "$T/console.log")" "$D/norootfs/config.json: root.path: .* is not a directory" \
	"missing rootfs reported"
like "$(cat "$T/console.log")" "$D/tty/config.json: process.terminal: keel gives a container a log pipe, not a terminal; set it to false" \
	"a terminal container is refused up front"
like "$(cat "$T/console.log")" "Dependency failed for needsbad: requires badjson, which failed" \
	"a dependent of a broken entry is blocked"

# order: setup finished before db started, db before web, web before check
s=$(line_of 'setup \| setup-done') f=$(line_of 'Finished setup')
d=$(line_of 'db \| db-up') w=$(line_of 'web \| web-up') c=$(line_of 'check \| check-saw-web')
[ "$s" -gt 0 ] && [ "$f" -gt "$s" ] && [ "$d" -gt "$f" ] && [ "$w" -gt "$d" ] && [ "$c" -gt "$w" ]
check "order observed: setup done ($s) < finished ($f) < db ($d) < web ($w) < check ($c)"
grep -q 'free | free-up' "$T/console.log"
check "an independent entry runs"
is "$(stat -c '%a' "$T/tmpf/free-state" 2>&1) $(cat "$T/tmpf/free-state/hello" 2>&1)" "750 hi" \
	"its tmpfiles.conf was applied before it started"
like "$(cat "$T/console.log")" "\[FAILED\] $D/badtmp/tmpfiles.conf:2: " "a bad tmpfiles.conf names file and line"

out=$(ctl list)
like "$out" "^web +ready +service" "keelctl list shows web ready"
like "$out" "setup +done +oneshot" "keelctl list shows the oneshot done"
like "$out" "cyc2 +failed" "keelctl list shows the cycle member failed"
is "$(ctl logs setup)" "setup-ran
setup-done" "keelctl logs returns the ring buffer"
like "$(ctl status badjson)" "error: .*restart.delay" "keelctl status shows the error"
ctl logs nosuch 2>"$T/err"; is "$?" 1 "unknown container: exit 1"
like "$(cat "$T/err")" 'no container "nosuch"' "and a precise message"
ctl 'bogus' 2>"$T/err"; like "$(cat "$T/err")" 'unknown request "bogus"' "unknown request refused"

stop_keel
is "$RC" 0 "keel exits 0 on SIGTERM outside boot mode"
sw=$(line_of 'Stopping web') sd=$(line_of 'Stopping db') sf=$(line_of 'Stopped db')
[ "$sw" -gt 0 ] && [ "$sd" -gt "$sw" ]
check "reverse order: web stopped ($sw) before db ($sd)"
grep -q 'web | web-got-term' "$T/console.log"
check "web got its stop signal"
like "$(cat "$T/console.log")" "db did not stop within 1000ms; killing it" "stop timeout reached for db"
like "$(cat "$T/console.log")" "Stopped db \(killed by SIGKILL\)" "db killed after its stop timeout"
like "$(cat "$T/console.log")" "Stopped free \(killed by SIGKILL\)" "stop.signal KILL honoured"
[ -z "$(ls "$T/run")" ]
check "runtime state cleaned up"
[ ! -d "$CGMNT/$CGROOT" ] || [ -z "$(find "$CGMNT/$CGROOT" -mindepth 1 -type d)" ]
check "no container cgroup left"
show_log_on_failure
done_testing
