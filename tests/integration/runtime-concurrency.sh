#!/bin/sh
# Concurrent commands on one container id are serialised by the state lock:
# of ten parallel `create` of one id exactly one wins and the others say the
# container already exists; parallel `start` starts it once; `state` racing
# a `delete --force` prints a whole state or a clean error; parallel
# `delete --force` removes it once and leaves nothing.  Twenty different
# containers created, started and deleted in parallel all succeed and leave
# nothing behind.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

N=10
# Every process a runtime started for this test carries this in its
# environment until it execs the container's process (which gets the
# config's environment instead).
MARK="KEELTEST_CONC=$$"

# Pids of live processes whose environment holds $MARK.
marked_pids() {
	for _e in /proc/[0-9]*/environ; do
		_p=${_e#/proc/}
		_p=${_p%/environ}
		[ "$_p" = "$$" ] && continue
		{ tr "\0" "\n" <"$_e"; } 2>/dev/null | grep -qx "$MARK" && proc_alive "$_p" && echo "$_p"
	done
}

# Run "$@" N times at once; job i writes its exit status to $T/par.i.rc and
# its stderr to $T/par.i.err.  Sets OKS (how many exited 0).
par() {
	rm -f "$T"/par.*
	_i=1
	while [ $_i -le $N ]; do
		# The mark goes on the runtime, not on timeout: busybox's timeout
		# leaves a watcher process behind for up to a second.
		(timeout 60 env "$MARK" $RUNTIME --root "$STATE" "$@" </dev/null >"$T/par.$_i.out" 2>"$T/par.$_i.err"
			echo $? >"$T/par.$_i.rc") &
		_i=$((_i + 1))
	done
	wait
	OKS=$(grep -lx 0 "$T"/par.*.rc | wc -l)
}

# The stderr of every job that failed, one per line.
par_errors() {
	for _rc in "$T"/par.*.rc; do
		[ "$(cat "$_rc")" = 0 ] || head -1 "${_rc%.rc}.err"
	done
}

# --- N x create of one id ----------------------------------------------------------
cfg dup
cfg_set '.process.args = ["sleep", "1000"]'
if [ "$RT_NAME" = runc ]; then
	# Seen here: a losing create fails on "exec fifo ... already exists"
	# and then tears down the winner's container.
	skip "$N parallel create of one id" "runc 1.1: a losing create can destroy the winner"
	env "$MARK" $RUNTIME --root "$STATE" create --bundle "$B" dup </dev/null >/dev/null
else
	par create --bundle "$B" dup
	is "$OKS" 1 "$N parallel create of one id: exactly one succeeds"
	errs=$(par_errors)
	is "$(echo "$errs" | grep -c .)" $((N - 1)) "the other $((N - 1)) fail"
	is "$(echo "$errs" | grep -vci 'exist')" 0 "each failure says the container already exists"
	echo "$errs" | sort | uniq -c | sed 's/^/#   /'
fi
is "$(ls "$STATE")" dup "one state directory"
is "$(ctr_state dup status)" created "state: created"
pid=$(ctr_state dup pid)
if [ "$RT_NAME" = runc ]; then
	skip "exactly one container process is left" "runc init does not inherit the runtime's environment"
else
	is "$(marked_pids | tr '\n' ' ')" "$pid " "exactly one container process is left: the winner's ($pid)"
fi
cg=$(ctr_cgroup_dir dup)
if [ -f "$cg/cgroup.procs" ]; then
	is "$(cat "$cg/cgroup.procs" | tr '\n' ' ')" "$pid " "the losers left the winner's cgroup alone"
else
	skip "the losers left the winner's cgroup alone" "$RT_NAME made no unified cgroup here"
fi

# --- N x start ------------------------------------------------------------------------
if [ "$RT_NAME" = runc ]; then
	# runc 1.1's start blocks forever on the exec fifo once another start won.
	skip "$N parallel start: exactly one succeeds" "runc 1.1 hangs in parallel start"
	rt start dup
else
	par start dup
	is "$OKS" 1 "$N parallel start: exactly one succeeds"
	echo "$(par_errors)" | sort | uniq -c | sed 's/^/#   /'
fi
ctr_wait_status dup running
check "state: running"
like "$(tr '\0' ' ' <"/proc/$pid/cmdline")" "^sleep 1000 $" "the process was started once and is the config's"

# --- N x state and kill while running -------------------------------------------
par state dup
is "$OKS" $N "$N parallel state: all succeed"
bad=0
for f in "$T"/par.*.out; do
	[ "$(jq -r '.status + " " + (.pid|tostring)' "$f" 2>/dev/null)" = "running $pid" ] || bad=$((bad + 1))
done
is "$bad" 0 "every parallel state prints a whole, consistent state"

# --- state racing delete --force ---------------------------------------------------
(i=0; while [ $i -lt 40 ]; do
	$RUNTIME --root "$STATE" state dup >"$T/race.$i.out" 2>"$T/race.$i.err"
	echo $? >"$T/race.$i.rc"; i=$((i + 1)); done) &
racer=$!
sleep 0.05
par delete --force dup
wait "$racer"
like "$OKS" '^[1-9]' "$N parallel delete --force: at least one succeeds ($OKS did)"
# crun 1.8 says "cannot open `.../status`: No such file or directory".
is "$(par_errors | grep -vciE 'exist|no such file')" 0 \
	"the failures (if any) say the container does not exist"
torn=0
i=0
while [ $i -lt 40 ]; do
	if [ "$(cat "$T/race.$i.rc")" = 0 ]; then
		jq -e '.id == "dup" and (.status | length > 0)' "$T/race.$i.out" >/dev/null 2>&1 ||
			torn=$((torn + 1))
	else
		grep -qiE 'exist|no such file' "$T/race.$i.err" || {
			torn=$((torn + 1))
			echo "# state during delete: $(head -1 "$T/race.$i.err")"
		}
	fi
	i=$((i + 1))
done
is "$torn" 0 "state racing delete: a whole state or \"does not exist\", nothing torn"
ctr_gone dup "$pid"
is "$(marked_pids | wc -l)" 0 "no runtime process of the test is left"

# --- 20 different containers in parallel ----------------------------------------------
M=20
i=1
while [ $i -le $M ]; do
	cfg "many$i"
	cfg_sh 'echo $$ >/dev/null; sleep 1000'
	i=$((i + 1))
done
i=1
while [ $i -le $M ]; do
	(id=many$i
		env "$MARK" $RUNTIME --root "$STATE" create --bundle "$T/b/$id" "$id" </dev/null \
			>/dev/null 2>"$T/$id.err" &&
			$RUNTIME --root "$STATE" start "$id" 2>>"$T/$id.err" &&
			$RUNTIME --root "$STATE" state "$id" >"$T/$id.state" 2>>"$T/$id.err" &&
			$RUNTIME --root "$STATE" delete --force "$id" 2>>"$T/$id.err"
		echo $? >"$T/$id.rc") &
	i=$((i + 1))
done
wait
fails=0
i=1
while [ $i -le $M ]; do
	if [ "$(cat "$T/many$i.rc")" != 0 ]; then
		fails=$((fails + 1))
		echo "# many$i: $(head -1 "$T/many$i.err")"
	fi
	i=$((i + 1))
done
is "$fails" 0 "$M containers created, started, deleted in parallel: all succeed"
is "$(ls "$STATE" | wc -l)" 0 "$M in parallel: no state directory left"
is "$(marked_pids | wc -l)" 0 "$M in parallel: no process left"
left=0
i=1
while [ $i -le $M ]; do
	[ -d "$(ctr_cgroup_dir "many$i")" ] && left=$((left + 1))
	i=$((i + 1))
done
is "$left" 0 "$M in parallel: no cgroup left"
is "$(_rt_mounts_under_t | wc -l)" "$RT_MOUNTS_BEFORE" "$M in parallel: no mount left"

done_testing
