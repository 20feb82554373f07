#!/bin/sh
# keelctl reload and SIGHUP with keel as PID 1 of a PID namespace: the dry
# run prints the plan and touches nothing; the reload keeps unchanged
# entries running with the same pids, restarts a changed one, adds a new
# one, stops removed ones in reverse dependency order, reports a broken new
# entry and keeps the old one of a broken edit running; a second reload
# with nothing changed keeps everything; SIGHUP brings a removed entry back.
. "$(dirname "$0")/init-lib.sh"

LOOP='trap "exit 0" TERM; while :; do sleep 0.1; done'
make_rootfs
entry keda "echo keda-up; $LOOP"
entry kedb "echo kedb-up; $LOOP" '{"description": "first"}'
entry kedc "echo kedc-up; $LOOP"
entry kedd "echo kedd-up; $LOOP" '{"requires": ["kedc"]}'
entry kede "echo kede-up; $LOOP" '{"requires": ["keda"]}'

start_keel
wait_for 'Startup finished' 15
check "started"
trap 'show_log_on_failure; cleanup' EXIT

pid_of() { ctl status "$1" | awk '/^pid:/ {print $2}'; }
state_of() { ctl status "$1" | awk '/^state:/ {print $2}'; }
pa=$(pid_of keda) pb=$(pid_of kedb) pe=$(pid_of kede)
[ "$pa" -gt 0 ] && [ "$pb" -gt 0 ] && [ "$pe" -gt 0 ]
check "pids: keda $pa kedb $pb kede $pe"

# the edits: kedb's keel.json, kedc and kedd removed, kedf new, kedx new
# but broken (no config.json), kede's keel.json broken
printf '{"description": "second"}\n' >"$D/kedb/keel.json"
rm -rf "$D/kedc" "$D/kedd"
entry kedf "echo kedf-up; $LOOP"
mkdir -p "$D/kedx"
printf '{"requires": ["keda"], "kind": "servce"}\n' >"$D/kede/keel.json"

out=$(ctl reload --dry-run)
check "keelctl reload --dry-run"
echo "$out" | sed 's/^/# /'
like "$out" '^dry run: nothing done' "dry run says so"
like "$out" '^keep    keda \(running, untouched\)' "plan: keda kept"
like "$out" '^change  kedb: keel.json changed: restarted' "plan: kedb changed (keel.json)"
like "$out" '^remove  kedc' "plan: kedc removed"
like "$out" '^remove  kedd' "plan: kedd removed"
like "$out" '^stop order: kedd kedc' "plan: kedd stops before kedc, which it requires"
like "$out" '^add     kedf' "plan: kedf added"
like "$out" '^broken  kedx \(new, not started\): .*kedx/config.json: missing' "plan: kedx broken, why"
like "$out" '^broken  kede \(the old one keeps running\): .*kede/keel.json: kind' "plan: kede broken edit"
like "$out" '^1 kept, 1 added, 2 removed, 1 changed, 2 broken' "plan: the counts"
is "$(pid_of kedb)" "$pb" "dry run: kedb not restarted"
is "$(state_of kedc)" ready "dry run: kedc still running"
is "$(ctl status kedf 2>&1)" 'error: no container "kedf"' "dry run: kedf not added"
is "$(grep -c 'kedx/config.json: missing' "$T/console.log")" 0 "dry run: nothing on the console"

out=$(ctl reload)
check "keelctl reload"
wait_for 'Reloaded containers.d' 10
check "reload finished"
wait_for 'Started kedf' 10
check "kedf started"
wait_count 'kedb-up' 2 10
check "kedb ran again"
sleep 0.3
is "$(pid_of keda)" "$pa" "keda kept: same pid"
is "$(state_of keda)" ready "keda still ready"
is "$(pid_of kede)" "$pe" "kede (broken edit) kept: same pid"
is "$(state_of kede)" ready "kede still ready"
pb2=$(pid_of kedb)
[ "$pb2" -gt 0 ] && [ "$pb2" != "$pb" ]
check "kedb restarted ($pb -> $pb2)"
like "$(ctl status kedb)" 'description: second' "kedb runs with its new keel.json"
is "$(state_of kedb)" ready "kedb ready"
is "$(state_of kedc)" removed "kedc removed"
is "$(state_of kedd)" removed "kedd removed"
is "$(state_of kedf)" ready "kedf ready"
is "$(state_of kedx)" failed "kedx shown failed"
like "$(ctl status kedx)" 'error: .*kedx/config.json: missing' "kedx says why"
ld=$(line_of 'Stopped kedd') lc=$(line_of 'Stopped kedc')
[ "$ld" -gt 0 ] && [ "$lc" -gt "$ld" ]
check "kedd stopped before kedc (lines $ld, $lc)"
like "$(cat "$T/console.log")" 'Reload: kede keeps running as it was: its new files are broken' \
	"the console says kede keeps running"
[ -z "$(pgrep -f 'kedc-up' 2>/dev/null)" ] || ! ps -eo args | grep -q '[k]edc-up'
check "no kedc process left"

# kede's files on disk are still broken: a restart starts it as it was
# validated (init/launch.h: PID 1's own copy, not the files re-read)
ctl restart kede >/dev/null
check "keelctl restart kede"
i=0
while [ "$i" -lt 100 ]; do
	pe2=$(pid_of kede)
	[ "${pe2:-0}" -gt 0 ] && [ "$pe2" != "$pe" ] && [ "$(state_of kede)" = ready ] && break
	sleep 0.1
	i=$((i + 1))
done
[ "${pe2:-0}" -gt 0 ] && [ "$pe2" != "$pe" ]
check "kede restarted from the files it was validated with ($pe -> $pe2)"
is "$(state_of kede)" ready "kede ready after the restart"

# nothing changed: everything kept
out=$(ctl reload)
check "second reload"
like "$out" '^4 kept, 0 added, 0 removed, 0 changed, 1 broken' "second reload: all kept (kedx still broken, kede's edit still broken)"
sleep 0.5
is "$(pid_of keda)" "$pa" "keda: same pid after the second reload"
is "$(pid_of kedb)" "$pb2" "kedb: same pid after the second reload"

# a reload while one is under way is refused; SIGHUP brings kedc back
entry kedc "echo kedc-back; $LOOP"
kill -HUP "$KPID"
wait_for 'kedc \| kedc-back' 10
check "SIGHUP: kedc added again in its old slot"
sleep 0.3
is "$(state_of kedc)" ready "kedc ready again"
is "$(ctl list | grep -c '^kedc ')" 1 "kedc listed once"
like "$(cat "$T/console.log")" 'SIGHUP reload: add     kedc' "SIGHUP's plan on the console"

# a reload that waits for a slow stop: a second one is refused meanwhile
entry kedslow 'trap "" TERM; echo kedslow-up; while :; do sleep 0.1; done' '{"stop": {"timeout": "2s"}}'
ctl reload >/dev/null
wait_for 'kedslow \| kedslow-up' 10
check "kedslow added"
printf '{"stop": {"timeout": "1500ms"}}\n' >"$D/kedslow/keel.json"
like "$(ctl reload)" '^change  kedslow: keel.json changed' "kedslow changed"
like "$(ctl reload 2>&1)" '^error: a reload is under way' "a second reload is refused while one waits"
wait_count 'kedslow \| kedslow-up' 2 15
check "kedslow restarted once its stop timed out"

stop_keel
is "$RC" 0 "keel exits 0 after SIGTERM"
done_testing
