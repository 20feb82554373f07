#!/bin/sh
# A `create` killed halfway (SIGKILL, the OOM killer) leaves a "creating"
# container: `list` and `state` show it, and `delete -f` removes its state
# and its cgroups in every hierarchy (unified and each v1 one), killing
# whatever is still in them, as runc's delete does.  create is killed at
# fixed points: strace injects SIGKILL into chosen syscalls (the first
# mkdir of a v1 cgroup, the mkfifo of exec.fifo, the release of the
# container process), a createRuntime hook that sleeps, a --pid-file FIFO
# nobody reads.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"

[ "$RT_NAME" = keel ] || skip_all "kills keel's create at keel's own steps"
command -v strace >/dev/null || skip_all "strace is not installed"
# Every cgroup hierarchy: the v1 mount points and the unified one.
HIERS=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup" || $(i + 1) == "cgroup2") print $5; break } }' \
	/proc/self/mountinfo)
[ -n "$HIERS" ] || skip_all "no cgroup hierarchy is mounted"
V1_PIDS=
[ -f /sys/fs/cgroup/pids/cgroup.procs ] && V1_PIDS=/sys/fs/cgroup/pids
V1_FREEZER=
[ -f /sys/fs/cgroup/freezer/freezer.state ] && V1_FREEZER=/sys/fs/cgroup/freezer
UNIFIED=/sys/fs/cgroup
[ -f /sys/fs/cgroup/unified/cgroup.procs ] && UNIFIED=/sys/fs/cgroup/unified
rt_setup "$@"
KEEL_BIN=${RUNTIME%% *}

# cg_dirs NAME: the hierarchies that have /keeltest-PID-NAME.
cg_dirs() {
	for _m in $HIERS; do
		[ -d "$_m/keeltest-$$-$1" ] && echo "$_m/keeltest-$$-$1"
	done
}

# killed_at NAME STRACE-ARGS...: create NAME under strace, which SIGKILLs it
# at the syscall its arguments pick; true when create died of SIGKILL.  The
# create process alone is traced (no -f): the container process it clones
# makes device nodes and opens files of its own.  -P compares the path as
# the syscall names it, so only absolute ones are picked that way.
killed_at() {
	_n=$1
	shift
	cfg "$_n"
	strace -qq -o /dev/null "$@" \
		$RUNTIME --root "$STATE" create --bundle "$B" "$_n" </dev/null >/dev/null 2>"$T/err"
	_rc=$?
	[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
	[ $_rc = 137 ] || { echo "# create exited $_rc, not by SIGKILL"; return 1; }
}

# after_kill NAME STATUS PROCS...: the leftover is listed with STATUS,
# `delete -f` removes it all and kills PROCS.
after_kill() {
	_n=$1
	_want=$2
	shift 2
	[ -d "$STATE/$_n" ]
	check "$_n: create killed left its state directory"
	rt list >"$T/list" 2>"$T/list.err"
	check "$_n: list succeeds with the leftover"
	grep "^$_n " "$T/list" | sed 's/^/# list: /'
	awk -v n="$_n" '$1 == n { print $3 }' "$T/list" >"$T/status"
	is "$(cat "$T/status")" "$_want" "$_n: list shows it, $_want"
	[ ! -s "$T/list.err" ]
	check "$_n: list warns of nothing ($(head -1 "$T/list.err"))"
	rt delete -f "$_n" 2>"$T/del.err"
	check "$_n: delete -f succeeds ($(head -1 "$T/del.err"))"
	[ ! -e "$STATE/$_n" ]
	check "$_n: no state directory left"
	is "$(cg_dirs "$_n" | tr '\n' ' ')" "" "$_n: no cgroup left in any hierarchy"
	for _p in "$@"; do
		! proc_alive "$_p"
		check "$_n: process $_p in its cgroups is killed"
	done
	# whatever is left (a failed check) must not outlive the test
	for _d in $(cg_dirs "$_n"); do
		[ -f "$_d/freezer.state" ] && echo THAWED >"$_d/freezer.state"
		for _p in $(cat "$_d/cgroup.procs" 2>/dev/null); do kill -9 "$_p"; done
		rmdir "$_d" 2>/dev/null
	done
}

# 1. Killed at its first mkdir in a v1 hierarchy (pids): the hierarchies
#    before it have the cgroup already, the unified one not yet.
if [ -n "$V1_PIDS" ]; then
	killed_at kc2-mkdir -P "$V1_PIDS/keeltest-$$-kc2-mkdir" -e trace=mkdir,mkdirat \
		-e inject=mkdir,mkdirat:signal=KILL
	check "kc2-mkdir: create is SIGKILLed at mkdir in the pids hierarchy"
	after_kill kc2-mkdir creating
else
	skip "kc2-mkdir" "no v1 pids hierarchy at /sys/fs/cgroup/pids"
fi

# 2. Killed at mkfifo of exec.fifo (create's first mknod): every cgroup
#    made, no process yet.  A
#    process put in them (one the dead create might have left) is killed,
#    thawed first where the v1 freezer holds it.
killed_at kc2-fifo -e trace=mknod,mknodat \
	-e inject=mknod,mknodat:signal=KILL
check "kc2-fifo: create is SIGKILLed at mkfifo"
cg_dirs kc2-fifo >"$T/dirs"
[ -s "$T/dirs" ]
check "kc2-fifo: its cgroups were made ($(wc -l <"$T/dirs") hierarchies)"
sleep 1000 </dev/null >/dev/null 2>&1 &
stray=$!
RT_PIDS="$RT_PIDS $stray"
for d in $(cat "$T/dirs"); do
	echo "$stray" >"$d/cgroup.procs" || echo "# cannot move $stray into $d"
done
if [ -n "$V1_FREEZER" ] && [ -d "$V1_FREEZER/keeltest-$$-kc2-fifo" ]; then
	echo FROZEN >"$V1_FREEZER/keeltest-$$-kc2-fifo/freezer.state"
fi
after_kill kc2-fifo creating "$stray"

# 3. Killed as it releases the container process (SYNC_GO), which has
#    joined its v1 cgroups itself (cgroup_v1_join_self): the process exists
#    in every cgroup (it exits once its create is gone).
if [ -n "$V1_PIDS" ]; then
	killed_at kc2-enter -e trace=sendmsg -e inject=sendmsg:signal=KILL
	check "kc2-enter: create is SIGKILLed as it releases the container process"
	after_kill kc2-enter creating
else
	skip "kc2-enter" "no v1 pids hierarchy at /sys/fs/cgroup/pids"
fi

# 4. Killed while a createRuntime hook runs (state.json says "creating").
cfg kc2-hook
cfg_set '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", $s]}]' \
	--arg s "echo \$\$ >$T/hook.pid; exec sleep 1000"
$RUNTIME --root "$STATE" create --bundle "$B" kc2-hook </dev/null >/dev/null 2>"$T/err" &
cpid=$!
i=0
while [ ! -s "$T/hook.pid" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
hook=$(cat "$T/hook.pid" 2>/dev/null)
RT_PIDS="$RT_PIDS $hook"
is "$(ctr_state kc2-hook status)" creating "kc2-hook: state says creating while the hook runs"
kill -9 "$cpid"
wait "$cpid"
is "$?" 137 "kc2-hook: create is SIGKILLed in its hook"
# the container process ends once its create is gone: state.json's
# "creating" then reads as stopped
ctr_wait_status kc2-hook stopped
check "kc2-hook: the leftover is stopped once its process ended"
after_kill kc2-hook stopped
kill -9 "$hook" 2>/dev/null

# 5. Killed writing --pid-file into a FIFO nobody reads: the container is
#    created (its process held before execve); delete -f kills it.
cfg kc2-pidf
mkfifo "$T/kc2-pidf.pid.tmp"
$RUNTIME --root "$STATE" create --bundle "$B" --pid-file "$T/kc2-pidf.pid" kc2-pidf </dev/null >/dev/null 2>"$T/err" &
cpid=$!
i=0
while [ "$(ctr_state kc2-pidf status)" != created ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
cpid_ctr=$(ctr_state kc2-pidf pid)
[ -n "$cpid_ctr" ] && [ "$cpid_ctr" != 0 ]
check "kc2-pidf: created, process $cpid_ctr, create blocked on the pid file"
kill -9 "$cpid"
wait "$cpid"
is "$?" 137 "kc2-pidf: create is SIGKILLed at its pid file"
after_kill kc2-pidf created "$cpid_ctr"

done_testing
