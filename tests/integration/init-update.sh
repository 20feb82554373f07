#!/bin/sh
# keelctl update and rollback with keel as PID 1 of a PID namespace: web
# (a plain entry, deployment 0) updated to v2 (other output) is committed
# once ready; v3, which exits before it is ready, is rolled back to v2 by
# keelctl itself with the reason; v4, health-gated by a check that never
# passes, is rolled back at its deadline; `keelctl rollback` goes back to
# v1; keelctl status shows deployment, digest and activation time; the
# unrelated container keeps its pid throughout; the one that requires web
# runs again after each switch.
. "$(dirname "$0")/init-lib.sh"

LOOP='trap "exit 0" TERM; while :; do sleep 0.1; done'
make_rootfs
entry web "echo web-v1; $LOOP"
entry kdpother "echo other-up; $LOOP"
entry kdpdep "echo dep-up; $LOOP" '{"requires": ["web"]}'

# New versions of web, made beside containers.d as they would be copied in.
version() {
	_d=$D
	D=$T/src/$1
	mkdir -p "$D"
	entry web "$2" "${3:-}"
	printf '{"manifest": "sha256:%s"}\n' "$(printf %s "$1" | sha256sum | cut -c1-64)" >"$D/web/import.json"
	D=$_d
}
version v2 "echo web-v2; $LOOP"
version v3 "echo web-v3 failing; exit 3" '{"restart": {"policy": "no"}}'
version v4 "echo web-v4; $LOOP" '{"readiness": "healthy", "health": {"command": ["/bin/false"], "interval": "200ms", "retries": 2}}'

start_keel
wait_for 'Startup finished' 15
check "started"
trap 'show_log_on_failure; cleanup' EXIT

pid_of() { ctl status "$1" | awk '/^pid:/ {print $2}'; }
state_of() { ctl status "$1" | awk '/^state:/ {print $2}'; }
po=$(pid_of kdpother)
pd0=$(pid_of kdpdep)
[ "$po" -gt 0 ]
check "kdpother runs (pid $po)"

out=$(ctl update web "$T/src/v2/web" --set COLOR=red --keep 3 --timeout 20 2>&1)
check "keelctl update web v2"
echo "$out" | sed 's/^/# /'
like "$out" "^web: deployment 1 active, reloading" "the new deployment is 1 (the plain entry is 0)"
like "$out" "^web: deployment 1 is ready: committed" "committed once ready"
is "$(readlink "$D/web")" ".deploy/web/1" "containers.d/web -> deployment 1"
[ -d "$D/.deploy/web/0" ]
check "the plain entry kept as deployment 0"
like "$(ctl logs web)" "web-v2" "web runs v2"
st=$(ctl status web)
like "$st" "^deployment: 1 \(of 2 kept\)" "status: the deployment"
like "$st" "^digest: sha256:$(printf v2 | sha256sum | cut -c1-64)" "status: its digest"
like "$st" "^activated: 20[0-9-]*T[0-9:]*Z" "status: its activation time"
is "$(jq -c .settings "$D/.deploy/web/1/deploy.json")" '{"COLOR":"red"}' "the --set value kept with it"
is "$(pid_of kdpother)" "$po" "kdpother's pid unchanged"
pd=$(pid_of kdpdep)
like "$out" "^  kdpdep \(requires web\): restarted, ready" "kdpdep, which requires web, restarted after it"
[ "$pd" -gt 0 ] && [ "$pd" != "$pd0" ]
check "kdpdep runs with a new pid ($pd0 -> $pd)"

# v3 exits before it is ready: back to v2 by itself, saying why.
out=$(ctl update web "$T/src/v3/web" --keep 3 --timeout 20 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
is "$rc" 1 "keelctl update v3 fails"
like "$out" "update web: deployment 2 is failed: exited with status 3" "the reason: v3 exited with status 3"
like "$out" "rolled back: deployment 1 is ready again" "rolled back to deployment 1 (v2)"
like "$out" "^  kdpdep \(requires web\): started, ready" "kdpdep, stopped when v3 failed, started again"
is "$(jq -r .failed "$D/.deploy/web/2/deploy.json")" "is failed: exited with status 3" "deployment 2 records why it was rolled back"
is "$(readlink "$D/web")" ".deploy/web/1" "containers.d/web -> deployment 1 again"
is "$(state_of web)" ready "web is ready"
like "$(ctl logs web | tail -n 1)" "web-v2" "web runs v2 again"
is "$(jq -c .settings "$D/.deploy/web/2/deploy.json")" '{"COLOR":"red"}' "v3 reused v2's --set value"
is "$(pid_of kdpother)" "$po" "kdpother's pid unchanged"

# v4 never passes its health check: rolled back at the deadline.
out=$(ctl update web "$T/src/v4/web" --keep 3 --timeout 4 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
is "$rc" 1 "keelctl update v4 fails"
like "$out" "update web: deployment 3 (is unhealthy|was not ready within 4s)" "the reason: not healthy"
like "$out" "rolled back: deployment 1 is ready again" "rolled back to deployment 1"
like "$(ctl logs web | tail -n 1)" "web-v2" "web runs v2 again"
is "$(ls -A "$D/.deploy/web" | tr '\n' ' ')" "0 1 3 " "three kept: v1 (0), the active v2 (1), v4 (3); v3, rolled back from, pruned first"
is "$(state_of kdpdep)" ready "kdpdep (requires web) is ready after the rollbacks"

# By hand: back to v1, the plain entry's deployment 0.
out=$(ctl rollback web --timeout 20 2>&1)
check "keelctl rollback web"
echo "$out" | sed 's/^/# /'
like "$out" "^web: deployment 0 active and ready" "rollback goes to the deployment before (0)"
like "$(ctl logs web | tail -n 1)" "web-v1" "web runs v1 again"
is "$(readlink "$D/web")" ".deploy/web/0" "containers.d/web -> deployment 0"
is "$(pid_of kdpother)" "$po" "kdpother's pid unchanged after all of it"
out=$(ctl rollback web 2>&1)
is "$?" 1 "a second rollback: nothing older"
like "$out" "rollback web: no deployment older than the active one" "and says so"

# The machine goes down in the middle of an update (switched, not yet
# committed; made here by keel deploy add --pending): the next boot goes
# back to the deployment before, and says so.
stop_keel
check "keel stopped"
cp -a "$T/src/v2/web" "$D/.kdp-stage"
out=$("$KEEL" deploy add "$D" web --pending "$D/.kdp-stage")
is "$out" "web: deployment 4 active" "an uncommitted switch to v2 (deployment 4)"
: >"$T/console.log"
start_keel
wait_for 'Startup finished' 15
check "keel started again"
like "$(cat "$T/console.log")" "web: deployment 4 was switched to by an update that did not commit before the machine went down: back to deployment 0" \
	"the boot says it goes back"
is "$(readlink "$D/web")" ".deploy/web/0" "containers.d/web -> deployment 0"
like "$(ctl logs web)" "web-v1" "web runs v1"
is "$(jq -r .failed "$D/.deploy/web/4/deploy.json")" "not committed when the machine went down: rolled back at boot" "deployment 4 says why"
stop_keel
check "keel stopped"
done_testing
