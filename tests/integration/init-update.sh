#!/bin/sh
# keelctl update and rollback with keel as PID 1 of a PID namespace: web
# (a plain entry, deployment 0) updated to v2 (other output) is committed
# once ready; v3, which exits before it is ready, is rolled back to v2 by
# PID 1 with the reason (keelctl only reports it); v4, health-gated by a
# check that never passes, is rolled back at its deadline; `keelctl
# rollback` goes back to v1; keelctl status shows deployment, digest and
# activation time; the unrelated container keeps its pid throughout; the
# one that requires web runs again after each switch.  PID 1 owns the
# deadline: with keelctl killed (kill -9) right after the switch, PID 1
# rolls a bad version (v5, never ready) back at the deadline by itself,
# through a reload made meanwhile, and commits a good one; a boot undoes
# an uncommitted switch.
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
version v5 "echo web-v5 never ready; $LOOP" '{"readiness": "notify"}'

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
like "$(cat "$T/console.log")" "web: deployment 2 is failed: exited with status 3: not committed, back to deployment 1" \
	"PID 1 says on the console why it rolled back"
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
is "$(grep -c 'ERROR: LeakSanitizer' "$T/stdout.log" "$T/console.log" 2>/dev/null | awk -F: '{n += $NF} END {print n + 0}')" 0 \
	"no leak reported by keel, its helpers or containers' start helpers (in an ASan build: make asan)"
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

# ---- PID 1 owns the deadline: keelctl killed in the middle ------------------

# The request is checked like every other: name rule, bounded numbers.
out=$(ctl pending ../web 1 5 2>&1)
like "$out" "pending: container name" "pending: a bad name is refused"
out=$(ctl pending web 0 5 2>&1)
like "$out" 'pending: generation "0": expected 1 to 999999999' "pending: generation 0 is refused"
out=$(ctl pending web 5 86401 2>&1)
like "$out" 'pending: seconds "86401": expected 1 to 86400' "pending: a deadline over a day is refused"
out=$(ctl pending web 5 2>&1)
like "$out" "pending: expected NAME, or NAME GENERATION SECONDS" "pending: a missing argument is refused"
out=$(ctl pending web 2>&1)
like "$out" "pending: no update of web is watched" "pending: nothing watched after a boot"

# update_killed SRC TIMEOUT: keelctl update in the background, killed
# with SIGKILL as soon as PID 1 holds the deadline and the reload was
# asked; $gen gets the new deployment.
update_killed() {
	_reloads=$(grep -c 'Reloading containers.d' "$T/console.log")
	"$KEEL" ctl --socket "$T/state/keel.sock" update web "$1" --keep 10 --timeout "$2" \
		>"$T/update.out" 2>&1 &
	_kc=$!
	wait_for "web: deployment [0-9]+ is to be ready within $2s" 10 &&
		wait_count 'Reloading containers.d' $((_reloads + 1)) 10
	check "PID 1 took the deadline, the reload was asked"
	kill -KILL "$_kc"
	wait "$_kc" 2>/dev/null
	gen=$(sed -n 's/^web: deployment \([0-9]*\) active.*/\1/p' "$T/update.out")
	[ -n "$gen" ] && [ "$gen" -gt 0 ]
	check "keelctl killed after the switch to deployment $gen"
}

pd0=$(pid_of kdpdep)
po=$(pid_of kdpother)
active=$(readlink "$D/web" | sed 's|.*/||')
update_killed "$T/src/v5/web" 4
is "$(readlink "$D/web")" ".deploy/web/$gen" "containers.d/web -> deployment $gen (v5, not committed)"
is "$(jq -r .pending "$D/.deploy/web/$gen/deploy.json")" true "deployment $gen is pending"
wait_for "web \| web-v5 never ready" 10
check "v5 runs (never ready)"
# A reload while it is pending (an entry added): the deadline stays.
entry kdpnew "echo new-up; $LOOP"
out=$(ctl reload 2>&1)
check "a reload while deployment $gen is pending"
like "$out" "add +kdpnew" "the reload adds kdpnew"
like "$(ctl pending web)" "state: watching" "PID 1 still watches web after the reload"
wait_for "web: deployment $gen was not ready within 4s \(state running\): not committed, back to deployment $active" 15
check "PID 1 rolls v5 back at the deadline by itself, and says why on the console"
is "$(jq -r .failed "$D/.deploy/web/$gen/deploy.json")" "was not ready within 4s (state running)" \
	"deployment $gen records why (deploy.json failed)"
is "$(readlink "$D/web")" ".deploy/web/$active" "containers.d/web -> deployment $active again"
wait_for "web: deployment $active is ready again" 15
check "PID 1 waits for deployment $active to be ready again"
like "$(ctl logs web | tail -n 1)" "web-v1" "web runs v1 again"
st=$(ctl pending web)
like "$st" "state: rolled-back" "pending web: rolled back"
like "$st" "dependent: kdpdep (restarted|started)" "pending web: kdpdep restarted by PID 1"
n=50; while [ "$n" -gt 0 ] && { [ "$(state_of kdpdep)" != ready ] || [ "$(pid_of kdpdep)" = "$pd0" ]; }; do sleep 0.1; n=$((n - 1)); done
pd=$(pid_of kdpdep)
is "$(state_of kdpdep)" ready "kdpdep (requires web) ready again"
[ "$pd" -gt 0 ] && [ "$pd" != "$pd0" ]
check "kdpdep restarted by PID 1 ($pd0 -> $pd)"
is "$(pid_of kdpother)" "$po" "kdpother's pid unchanged"
is "$(state_of kdpnew)" ready "kdpnew, added by the reload meanwhile, runs"

# A good version, keelctl killed the same way: PID 1 commits it.
pd0=$(pid_of kdpdep)
update_killed "$T/src/v2/web" 20
wait_for "web: deployment $gen is ready: committed" 15
check "PID 1 commits deployment $gen (v2) by itself"
is "$(jq -r ".pending // false" "$D/.deploy/web/$gen/deploy.json")" false "deployment $gen: pending cleared"
is "$(jq -r .failed "$D/.deploy/web/$gen/deploy.json")" null "deployment $gen: no failure recorded"
is "$(readlink "$D/web")" ".deploy/web/$gen" "containers.d/web -> deployment $gen"
like "$(ctl logs web | tail -n 1)" "web-v2" "web runs v2"
like "$(ctl pending web)" "state: committed" "pending web: committed"
n=50; while [ "$n" -gt 0 ] && { [ "$(state_of kdpdep)" != ready ] || [ "$(pid_of kdpdep)" = "$pd0" ]; }; do sleep 0.1; n=$((n - 1)); done
pd=$(pid_of kdpdep)
[ "$pd" -gt 0 ] && [ "$pd" != "$pd0" ]
check "kdpdep restarted by PID 1 after the commit ($pd0 -> $pd)"
is "$(pid_of kdpother)" "$po" "kdpother's pid unchanged"

# keelctl killed after it handed over the deadline and switched, before
# it asked for the reload (made here by hand: keel deploy add --pending,
# then the pending request): web never ran the new files; at the deadline
# PID 1 switches back, and web and kdpdep keep their pids.
pw=$(pid_of web)
pd0=$(pid_of kdpdep)
active=$(readlink "$D/web" | sed 's|.*/||')
cp -a "$T/src/v5/web" "$D/.kdp-stage2"
out=$("$KEEL" deploy add "$D" web --pending --keep 10 "$D/.kdp-stage2")
gen=$(echo "$out" | sed -n 's/^web: deployment \([0-9]*\) active.*/\1/p')
[ -n "$gen" ] && [ "$gen" -gt "$active" ]
check "an uncommitted switch to deployment $gen, not reloaded"
ctl pending web "$gen" 2 >/dev/null
check "PID 1 takes its deadline"
wait_for "web: deployment $gen was not started within 2s \(keel still runs the files before it: not reloaded, or its new files are broken\): not committed, back to deployment $active" 10
check "at the deadline PID 1 switches back, saying why"
is "$(readlink "$D/web")" ".deploy/web/$active" "containers.d/web -> deployment $active again"
wait_for "web: deployment $active is ready again" 10
check "deployment $active is ready"
like "$(jq -r .failed "$D/.deploy/web/$gen/deploy.json")" "^was not started within 2s" "deployment $gen records why"
is "$(pid_of web)" "$pw" "web kept its pid (it never ran deployment $gen)"
is "$(pid_of kdpdep)" "$pd0" "kdpdep kept its pid (web never changed)"
stop_keel
check "keel stopped"
is "$(grep -c 'ERROR: LeakSanitizer' "$T/stdout.log" "$T/console.log" 2>/dev/null | awk -F: '{n += $NF} END {print n + 0}')" 0 \
	"no leak reported by keel, its helpers or containers' start helpers (in an ASan build: make asan)"
done_testing
