#!/bin/sh
# cgroup v2: the container's cgroup from cgroupsPath in the unified
# hierarchy, its removal at delete, and linux.resources applied to the
# cgroup files (memory, pids, cpu, unified).  Resource checks need a pure
# v2 host with the controllers (the QEMU guest); on a hybrid host they skip
# with the reason, and keel must refuse a resource whose controller is not
# there with an error naming it.  Needs only busybox: no jq, no python, so
# it runs inside a guest too.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup_minimal "$@"

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	CGROOT=/sys/fs/cgroup
elif [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
	CGROOT=/sys/fs/cgroup/unified
else
	skip_all "no cgroup v2 (unified) hierarchy"
fi
pure_v2=no
[ "$CGROOT" = /sys/fs/cgroup ] && pure_v2=yes

# write_config NAME ARGS_JSON RESOURCES_JSON: a whole config.json.
write_config() {
	CTR=$1
	B=$T/b/$1
	mkdir -p "$B"
	cat >"$B/config.json" <<JSON
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": $2,
    "env": [ "PATH=/bin" ],
    "cwd": "/",
    "noNewPrivileges": true
  },
  "root": { "path": "$T/rootfs", "readonly": true },
  "hostname": "keeltest",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] }
  ],
  "linux": {
    "cgroupsPath": "/keeltest-$$-$1",
    "resources": $3,
    "namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" } ]
  }
}
JSON
}

start_detached() { # start_detached: run -d $CTR, pid in $pid
	rm -f "$T/$CTR.pid"
	rt run -d --bundle "$B" --pid-file "$T/$CTR.pid" "$CTR" </dev/null >/dev/null 2>"$T/err"
	_rc=$?
	pid=$(cat "$T/$CTR.pid" 2>/dev/null)
	return $_rc
}

# --- placement, without resources (any host with a unified hierarchy) -------
write_config plain '["sleep", "1000"]' '{}'
start_detached
check "a container without resources runs"
cg=$CGROOT/keeltest-$$-plain
[ -d "$cg" ]
check "its cgroup $cg exists in the unified hierarchy"
grep -qx "$pid" "$cg/cgroup.procs"
check "its process is in that cgroup"
like "$(grep '^0::' /proc/"$pid"/cgroup)" "^0::/keeltest-$$-plain$" "/proc/PID/cgroup names it"
controllers=$(cat "$CGROOT/cgroup.controllers")
has() { case " $controllers " in *" $1 "*) return 0 ;; esac; return 1; }
# On a hybrid host with a v1 memory hierarchy keel puts the limit there
# (runtime-cgroup-v1.sh); only with memory nowhere is it an error.
v1_memory=no
[ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ] && v1_memory=yes
if [ "$RT_NAME" = keel ] && ! has memory && [ "$v1_memory" = no ]; then
	rt update --memory 64m plain 2>"$T/err"
	is "$?" 1 "update --memory without the memory controller fails"
	like "$(cat "$T/err")" "memory" "update: the error names the memory controller"
fi
rt delete --force plain
check "delete --force"
ctr_gone plain "$pid"

# --- a parent frozen beforehand: refused at once, not waited on forever -----
# A new cgroup under a frozen parent is frozen from the start: its
# cgroup.events says "frozen 1" while its own cgroup.freeze reads 0.  A
# check of cgroup.freeze alone lets the container process be held frozen
# before it reports, and create never returns (keel did until 2026-12).
P=$CGROOT/keeltest-$$-frzp
mkdir -p "$P"
if [ "$RT_NAME" != keel ]; then
	skip "frozen parent" "runc 1.1 and crun read only the cgroup's own cgroup.freeze and wait"
elif ! [ -f "$P/cgroup.freeze" ]; then
	skip "frozen parent" "no cgroup.freeze (kernel before 5.2)"
else
	echo 1 >"$P/cgroup.freeze"
	write_config frzp '["true"]' '{}'
	sed -i "s#\"/keeltest-$$-frzp\"#\"/keeltest-$$-frzp/c\"#" "$B/config.json"
	timeout 20 $RUNTIME --root "$STATE" run --bundle "$B" frzp </dev/null >/dev/null 2>"$T/err"
	rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ]
	check "run under a frozen parent cgroup fails at once (rc $rc, 124 = hung)"
	like "$(cat "$T/err")" "cgroup unexpectedly frozen" "... saying the cgroup is frozen (runc's words)"
	[ "$rc" = 124 ] && { echo 0 >"$P/cgroup.freeze"; rt delete --force frzp >/dev/null 2>&1; }
	left=
	for d in /sys/fs/cgroup/*/keeltest-$$-frzp/c "$P/c"; do [ -d "$d" ] && left="$left $d"; done
	is "$left" "" "... and removes the cgroups it made under it, in every hierarchy"
	is "$(cat "$P/cgroup.freeze" 2>/dev/null)" 1 "... and leaves the parent, not its own, frozen"
	echo 0 >"$P/cgroup.freeze"
fi
for d in /sys/fs/cgroup/*/keeltest-$$-frzp/c /sys/fs/cgroup/*/keeltest-$$-frzp "$P/c" "$P"; do
	[ -d "$d" ] && rmdir "$d"
done
[ "$RT_NAME" = keel ] && ctr_gone frzp ""

# --- resources ----------------------------------------------------------------------

if ! has memory; then
	skip "memory resources" "no memory controller in $CGROOT (hybrid host: it is bound to v1, see runtime-cgroup-v1.sh); the QEMU guest runs this"
	if [ "$RT_NAME" = keel ] && [ "$v1_memory" = no ]; then
		write_config nomem '["true"]' '{ "memory": { "limit": 67108864 } }'
		rt run --bundle "$B" nomem </dev/null >/dev/null 2>"$T/err"
		is "$?" 1 "a memory limit without the memory controller is an error"
		like "$(cat "$T/err")" "memory" "the error names the memory controller"
		ctr_gone nomem ""
	fi
else
	write_config mem '["sleep", "1000"]' \
		'{ "memory": { "limit": 67108864, "reservation": 33554432 }, "unified": { "memory.high": "62914560" } }'
	start_detached
	check "memory: runs"
	cg=$CGROOT/keeltest-$$-mem
	is "$(cat "$cg/memory.max" 2>/dev/null)" 67108864 "memory.limit -> memory.max"
	is "$(cat "$cg/memory.low" 2>/dev/null)" 33554432 "memory.reservation -> memory.low"
	is "$(cat "$cg/memory.high" 2>/dev/null)" 62914560 "unified memory.high"
	echo '{ "memory": { "limit": 50331648 } }' >"$T/res.json"
	rt update --resources "$T/res.json" mem
	check "update --resources FILE"
	is "$(cat "$cg/memory.max" 2>/dev/null)" 50331648 "update --resources: memory.max changed"
	rt update --memory 40m mem
	is "$(cat "$cg/memory.max" 2>/dev/null)" 41943040 "update --memory 40m"
	rt delete --force mem
	ctr_gone mem "$pid"

	# The effect, not only the file: filling a tmpfs (charged to the
	# container) past memory.max, with no swap to escape to, gets the
	# writer OOM-killed.
	write_config oom '["sh", "-c", "mount -t tmpfs -o size=128m t /tmp && head -c 67108864 /dev/zero >/tmp/fill && echo filled"]' \
		'{ "memory": { "limit": 33554432, "swap": 33554432 } }'
	out=$(rt run --bundle "$B" oom </dev/null 2>"$T/err")
	rc=$?
	[ $rc != 0 ] && [ "$out" != filled ]
	check "memory: writing 64 MiB under a 32 MiB memory.max fails (status $rc)"
	ctr_gone oom ""
fi

if ! has cpuset; then
	skip "cpuset resources" "no cpuset controller in $CGROOT"
else
	write_config cpuset '["sleep", "1000"]' '{ "cpu": { "cpus": "0", "mems": "0" } }'
	start_detached
	check "cpuset: runs"
	cg=$CGROOT/keeltest-$$-cpuset
	is "$(cat "$cg/cpuset.cpus" 2>/dev/null)" 0 "cpu.cpus -> cpuset.cpus"
	is "$(cat "$cg/cpuset.mems" 2>/dev/null)" 0 "cpu.mems -> cpuset.mems"
	is "$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/"$pid"/status)" 0 \
		"cpuset: the process may run on cpu 0 only"
	rt delete --force cpuset
	ctr_gone cpuset "$pid"
fi

if ! has pids; then
	skip "pids resources" "no pids controller in $CGROOT"
else
	write_config pids '["sh", "-c", "i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done 2>/dev/null; wait; echo done"]' \
		'{ "pids": { "limit": 5 } }'
	rt run -d --bundle "$B" pids </dev/null >/dev/null 2>&1
	check "pids: runs"
	cg=$CGROOT/keeltest-$$-pids
	is "$(cat "$cg/pids.max" 2>/dev/null)" 5 "pids.limit -> pids.max"
	sleep 0.5
	[ "$(cat "$cg/pids.current" 2>/dev/null)" -le 5 ]
	check "pids: the container cannot go past 5 processes"
	rt delete --force pids
	ctr_gone pids ""

	write_config pidsupd '["sleep", "1000"]' '{ "pids": { "limit": 5 } }'
	start_detached
	rt update --pids-limit 9 pidsupd
	check "update --pids-limit 9"
	is "$(cat "$CGROOT/keeltest-$$-pidsupd/pids.max" 2>/dev/null)" 9 "update: pids.max changed"
	rt delete --force pidsupd
	ctr_gone pidsupd "$pid"
fi

if ! has cpu; then
	skip "cpu resources" "no cpu controller in $CGROOT"
else
	write_config cpu '["sleep", "1000"]' '{ "cpu": { "quota": 50000, "period": 100000, "shares": 1024 } }'
	start_detached
	check "cpu: runs"
	cg=$CGROOT/keeltest-$$-cpu
	is "$(cat "$cg/cpu.max" 2>/dev/null)" "50000 100000" "cpu.quota/period -> cpu.max"
	[ -n "$(cat "$cg/cpu.weight" 2>/dev/null)" ]
	check "cpu.shares -> cpu.weight"
	rt delete --force cpu
	ctr_gone cpu "$pid"
fi

if [ "$pure_v2" = no ]; then
	skip "kill --all through cgroup.kill" "hybrid host: checked by runtime-lifecycle"
else
	write_config killall '["sh", "-c", "sleep 1000 & sleep 1000 & wait"]' '{}'
	start_detached
	sleep 0.3
	rt kill --all killall KILL
	sleep 0.3
	is "$(cat "$CGROOT/keeltest-$$-killall/cgroup.procs" 2>/dev/null | wc -l)" 0 \
		"kill --all KILL empties the cgroup"
	rt delete --force killall
	ctr_gone killall "$pid"
fi

# No linux.resources.devices: a device filter all the same (the default
# devices, the rest denied), as runc and crun; CAP_MKNOD lets the
# container make /dev/kmsg's node (1:11), the filter must refuse opening it.
if [ "$pure_v2" = no ]; then
	skip "the default device filter on v2" "hybrid host: the v1 devices controller enforces it (runtime-cgroup-v1.sh), or the eBPF filter on the unified cgroup when v1 has no devices hierarchy (runtime-cgroup-devices.sh)"
else
	write_config devnone '["sh", "-c", "echo x >/dev/null && echo null-ok; mknod /dev/k c 1 11 && (exec 3>/dev/k) && echo opened"]' '{}'
	sed -i 's/"noNewPrivileges": true/"noNewPrivileges": true, "capabilities": { "bounding": ["CAP_MKNOD"], "effective": ["CAP_MKNOD"], "permitted": ["CAP_MKNOD"] }/' "$B/config.json"
	out=$(rt run --bundle "$B" devnone </dev/null 2>"$T/err")
	is "$out" null-ok "devices: without rules, /dev/null works and a device outside the defaults cannot be opened (v2 filter)"
	rt delete --force devnone >/dev/null 2>&1
	ctr_gone devnone ""
fi

done_testing
