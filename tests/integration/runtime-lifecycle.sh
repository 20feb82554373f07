#!/bin/sh
# The lifecycle of runtime.md: create -> created, start -> running, the
# process exits or is killed -> stopped, delete -> gone, with `state` JSON
# at each step; kill (names, numbers, --all), delete --force, list, run and
# its exit status, run -d, --keep, --pid-file, a delete --force from
# elsewhere while run waits.  After each container nothing is left: no
# state, no process, no cgroup, no mount.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

# --- the start time ---------------------------------------------------------
# keel records the start time (field 22 of /proc/PID/stat) against pid
# reuse; it takes it from the boot clock read around the clone when both
# reads fall in one tick, from /proc otherwise: the two must agree, for
# twenty creates in a row (a tick boundary, where /proc is read, is rare).
if [ "$RT_NAME" = keel ]; then
	agree=0
	for i in $(seq 20); do
		cfg "st$i"
		cfg_set '.process.args = ["sleep", "1000"]'
		rt create --bundle "$B" "st$i" </dev/null >/dev/null 2>&1 || break
		p=$(ctr_state "st$i" pid)
		recorded=$(jq -r .starttime "$STATE/st$i/state.json")
		actual=$(sed 's/.*) //' "/proc/$p/stat" | cut -d' ' -f20)
		[ "$recorded" = "$actual" ] && agree=$((agree + 1))
		rt delete --force "st$i" >/dev/null 2>&1
	done
	is "$agree" 20 "state.json's starttime is /proc/PID/stat's, create after create"
fi

# --- create / start / state / kill / delete --------------------------------
cfg life
cfg_set '.process.args = ["sleep", "1000"]'
rt create --bundle "$B" life </dev/null >/dev/null 2>"$T/err"
check "create exits 0"
is "$(ctr_state life status)" created "state after create: created"
pid=$(ctr_state life pid)
[ -n "$pid" ] && [ "$pid" -gt 0 ] && kill -0 "$pid"
check "state after create: pid $pid is a live process"
is "$(ctr_state life id)" life "state: id"
is "$(ctr_state life bundle)" "$B" "state: bundle is the absolute bundle path"
like "$(ctr_state life ociVersion)" "^1\.[0-9]" "state: ociVersion"
rt state life | jq -e 'has("status") and has("pid") and has("bundle") and has("id")' >/dev/null
check "state: runtime-spec fields present"

rt start life
check "start exits 0"
ctr_wait_status life running
check "state after start: running"
is "$(ctr_state life pid)" "$pid" "state after start: same pid"
like "$(cat /proc/"$pid"/cmdline | tr '\0' ' ')" "^sleep 1000 $" "the process is the config's args"
rt start life 2>"$T/err"
[ $? != 0 ]
check "start twice fails"
rt delete life 2>"$T/err"
[ $? != 0 ] && [ -d "/proc/$pid" ]
check "delete of a running container without --force fails and leaves it running"

# list while it runs
rt list >"$T/list" 2>&1
if [ "$RT_NAME" = crun ]; then
	skip "list: runc's table" "crun prints its own table (NAME, BUNDLE PATH)"
else
	like "$(head -1 "$T/list")" "^ID +PID +STATUS +BUNDLE +CREATED +OWNER" "list: runc's table header"
	like "$(grep '^life ' "$T/list")" \
		"^life +$pid +running +$B +[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ +root$" \
		"list: a row with id, pid, status, bundle, created, owner"
fi
is "$(rt list -q)" life "list -q: the ids"
is "$(rt list --format json | jq -r '.[] | .id + " " + .status')" "life running" "list --format json"
is "$(rt list -f json | jq -r '.[0].pid')" "$pid" "list -f json: pid"

is "$(rt ps --format json life | jq -c .)" "[$pid]" "ps --format json: the container's pid"

rt kill life KILL
check "kill ID KILL"
ctr_wait_status life stopped
check "state after the process died: stopped"
! proc_alive "$pid"
check "the process is gone after kill"
rt kill life KILL 2>/dev/null
[ $? != 0 ]
check "kill of a stopped container fails (runtime.md)"
rt start life 2>/dev/null
[ $? != 0 ]
check "start of a stopped container fails"
rt delete life
check "delete a stopped container"
ctr_gone life "$pid"

# --- signals by name and number reach the process -------------------------
sigs="TERM SIGTERM 15"
[ "$RT_NAME" = crun ] || sigs="$sigs sigterm" # crun 1.8 wants upper case
for sig in $sigs; do
	cfg "sig$sig"
	cfg_sh 'trap "exit 0" TERM; touch /dev/shm/ready; while :; do sleep 0.05; done'
	rt create --bundle "$B" "$CTR" </dev/null >/dev/null 2>&1 && rt start "$CTR"
	pid=$(ctr_state "$CTR" pid)
	ctr_wait_status "$CTR" running
	sleep 0.2 # let the trap be installed
	rt kill "$CTR" "$sig"
	ctr_wait_status "$CTR" stopped
	check "kill ID $sig: the process handles TERM and exits"
	rt delete "$CTR"
	ctr_gone "$CTR" "$pid"
done
cfg default-sig
cfg_sh 'trap "exit 0" TERM; while :; do sleep 0.05; done'
rt create --bundle "$B" "$CTR" </dev/null >/dev/null 2>&1 && rt start "$CTR"
sleep 0.2
rt kill "$CTR"
ctr_wait_status "$CTR" stopped
check "kill ID without a signal sends TERM"
rt delete --force "$CTR"
rt kill "$CTR" NOSUCHSIG 2>/dev/null
[ $? != 0 ]
check "kill with an unknown signal fails"

# --- kill --all, delete --force -----------------------------------------------
cfg killall
cfg_sh 'sleep 1000 & sleep 1000 & wait'
rt create --bundle "$B" killall </dev/null >/dev/null 2>&1 && rt start killall
pid=$(ctr_state killall pid)
sleep 0.3
children=$(cat /proc/"$pid"/task/*/children 2>/dev/null)
is "$(echo $children | wc -w)" 2 "kill --all: the container has two more processes"
is "$(rt ps --format json killall | jq -c 'sort')" \
	"$(echo "$pid $children" | tr ' ' '\n' | sort -n | jq -sc .)" "ps --format json: all three processes"
rt kill --all killall KILL
check "kill --all ID KILL"
ctr_wait_status killall stopped
check "kill --all: stopped"
sleep 0.2
left=0
for c in $children; do proc_alive "$c" && left=$((left + 1)); done
is "$left" 0 "kill --all: no process of the container is left"
rt delete killall
ctr_gone killall "$pid"

cfg force
cfg_set '.process.args = ["sleep", "1000"]'
rt run -d --bundle "$B" force </dev/null >/dev/null 2>&1
check "run -d returns"
is "$(ctr_state force status)" running "run -d: the container runs"
pid=$(ctr_state force pid)
rt delete --force force
check "delete --force of a running container"
ctr_gone force "$pid"
rt delete --force never-existed 2>/dev/null
check "delete --force of a container that does not exist succeeds"
rt state never-existed 2>"$T/err"
[ $? != 0 ]
check "state of a container that does not exist fails"
if [ "$RT_NAME" = runc ]; then
	skip "the error names the container" "runc says only \"container does not exist\""
else
	like "$(cat "$T/err")" "never-existed" "the error names the container"
fi

# --- run: exit status, --keep, --pid-file ------------------------------------
cfg exit3
cfg_sh 'exit 3'
ctr_run
is "$RC" 3 "run exits with the container's exit status"
ctr_gone exit3 ""

cfg exit0
ctr_run --pid-file "$T/exit0.pid"
is "$RC" 0 "run of true exits 0"
[ -s "$T/exit0.pid" ] && [ "$(cat "$T/exit0.pid")" -gt 0 ]
check "run --pid-file writes the pid"

cfg killed
cfg_set '.process.args = ["sleep", "1000"]'
rt run --bundle "$B" --pid-file "$T/killed.pid" killed </dev/null >/dev/null 2>&1 &
runpid=$!
RT_PIDS="$RT_PIDS $runpid"
ctr_wait_status killed running
is "$(cat "$T/killed.pid")" "$(ctr_state killed pid)" "--pid-file holds the container's pid"
rt kill killed KILL
wait $runpid
is "$?" 137 "run exits 128+9 when SIGKILL killed the container"
ctr_gone killed ""

# A delete --force from another shell while run waits: run exits with the
# status of the process that delete killed (runc and crun: 137) and says
# nothing; nothing is left.
cfg gone
cfg_set '.process.args = ["sleep", "1000"]'
$RUNTIME --root "$STATE" run --bundle "$B" gone </dev/null >/dev/null 2>"$T/gone.err" &
runpid=$!
RT_PIDS="$RT_PIDS $runpid"
ctr_wait_status gone running
pid=$(ctr_state gone pid)
rt delete --force gone
check "delete --force of a container that run waits for"
wait $runpid
is "$?" 137 "run exits 128+9 when a delete --force elsewhere killed its container"
is "$(cat "$T/gone.err")" "" "run says nothing about the delete it was spared"
ctr_gone gone "$pid"

# The same, and a new container of that id made before run notices: run's
# delete is of the container it made (keel's run holds its state
# directory), never of the new one.  run is held stopped meanwhile, so
# this order is certain.
if [ "$RT_NAME" != keel ]; then
	skip "run leaves a new container of its id alone" "$RT_NAME's run deletes by id"
else
	$RUNTIME --root "$STATE" run --bundle "$B" gone </dev/null >/dev/null 2>"$T/gone.err" &
	runpid=$!
	RT_PIDS="$RT_PIDS $runpid"
	ctr_wait_status gone running
	kill -STOP $runpid
	rt delete --force gone
	check "delete --force while run is stopped"
	rt create --bundle "$B" gone </dev/null >/dev/null 2>&1
	check "a new container of the same id"
	pid=$(ctr_state gone pid)
	kill -CONT $runpid
	wait $runpid
	is "$?" 137 "run exits 128+9 all the same"
	is "$(ctr_state gone status)" created "the new container is still there, created"
	proc_alive "$pid"
	check "its process ($pid) lives"
	rt delete --force gone
	ctr_gone gone "$pid"
fi

cfg fwd
cfg_sh 'trap "exit 7" TERM; while :; do sleep 0.05; done'
# not through rt(): $! must be the runtime itself
$RUNTIME --root "$STATE" run --bundle "$B" fwd </dev/null >/dev/null 2>&1 &
runpid=$!
RT_PIDS="$RT_PIDS $runpid"
ctr_wait_status fwd running
sleep 0.2
kill -TERM $runpid
wait $runpid
is "$?" 7 "run forwards SIGTERM to the container and exits with its status"
ctr_gone fwd ""

if ! rt run --help 2>&1 | grep -q -- --keep; then
	skip "run --keep" "$RT_NAME has no run --keep"
else
	cfg keep
	cfg_sh 'exit 5'
	ctr_run --keep
	is "$RC" 5 "run --keep: exit status"
	is "$(ctr_state keep status)" stopped "run --keep: the container stays, stopped"
	rt delete keep
	ctr_gone keep ""
fi

# --- pause / resume ---------------------------------------------------------------
mkdir -p "$T/ticks"
cfg pause
cfg_set '.mounts += [{destination: "/ticks", type: "bind", source: $d, options: ["rbind", "rw"]}]' \
	--arg d "$T/ticks"
cfg_sh 'while :; do echo . >>/ticks/t; sleep 0.05; done'
rt run -d --bundle "$B" pause </dev/null >/dev/null 2>&1
pid=$(ctr_state pause pid)
sleep 0.3
rt pause pause
check "pause"
is "$(ctr_state pause status)" paused "state after pause: paused"
like "$(rt list 2>/dev/null | grep '^pause ')" " paused " "list shows paused"
sleep 0.2
n1=$(wc -l <"$T/ticks/t")
sleep 0.5
n2=$(wc -l <"$T/ticks/t")
is "$n2" "$n1" "paused: the process makes no progress"
rt resume pause
check "resume"
is "$(ctr_state pause status)" running "state after resume: running"
sleep 0.5
[ "$(wc -l <"$T/ticks/t")" -gt "$n2" ]
check "resumed: the process runs again"
if [ "$RT_NAME" = crun ]; then
	skip "resume of a container that is not paused fails" "crun 1.8 accepts it"
else
	rt resume pause 2>/dev/null
	[ $? != 0 ]
	check "resume of a container that is not paused fails"
fi
rt pause pause && rt delete --force pause
check "delete --force of a paused container"
ctr_gone pause "$pid"

# --- processes that outlive the init: run's delete kills them -----------------
# Without a pid namespace of its own the init's exit leaves its children
# running in the container's cgroups.  delete first tries one rmdir per
# cgroup (the usual, empty case); the kernel refuses it here, and delete
# must then find the processes, kill them and remove every cgroup (v1 ones
# too on a hybrid host), as runc and crun do.
cfg orphan
cfg_set '.linux.namespaces = [.linux.namespaces[] | select(.type != "pid")]'
cfg_sh 'sleep 1000 </dev/null >/dev/null 2>&1 & echo $!'
rt run --bundle "$B" orphan </dev/null >"$T/orphan.out" 2>"$T/err"
check "run of an init that leaves a child behind exits 0"
left=$(cat "$T/orphan.out")
[ -n "$left" ] && ! proc_alive "$left"
check "the child left behind ($left) was killed by run's delete"
ctr_gone orphan "$left"
cg=$(basename "$(ctr_cgroup_dir orphan)")
is "$(ls -d /sys/fs/cgroup/*/"$cg" 2>/dev/null)" "" "no cgroup of it left in any hierarchy"

# --- concurrent commands on one container --------------------------------------
cfg conc
cfg_set '.process.args = ["sleep", "1000"]'
rt run -d --bundle "$B" conc </dev/null >/dev/null 2>&1
pid=$(ctr_state conc pid)
for i in 1 2 3 4 5 6; do rt state conc >/dev/null 2>&1 & done
for i in 1 2 3; do rt delete --force conc >/dev/null 2>&1 & done
wait
ctr_gone conc "$pid"
is "$(rt list -q)" "" "list is empty at the end"

done_testing
