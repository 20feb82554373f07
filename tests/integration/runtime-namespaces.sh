#!/bin/sh
# linux.namespaces from inside the container: a user namespace with its
# uid/gid maps, joining an existing namespace by path, new network/ipc/
# cgroup namespaces, a time namespace with offsets.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

ns_of() { readlink "/proc/$1/ns/$2"; }

# --- user namespace ------------------------------------------------------------
if [ ! -e /proc/self/ns/user ]; then
	skip "user namespace" "the kernel has no user namespaces"
else
	cfg userns
	cfg_set '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 200000, size: 1000}]'
	cfg_sh 'tr -s " " <"/proc/self/uid_map"; tr -s " " </proc/self/gid_map; id -u; grep ^CapEff /proc/self/status'
	ctr_run
	is "$RC" 0 "user namespace: run exits 0"
	is "$(echo "$OUT" | sed -n 1p)" " 0 100000 65536" "user namespace: uid_map"
	is "$(echo "$OUT" | sed -n 2p)" " 0 200000 1000" "user namespace: gid_map"
	is "$(echo "$OUT" | sed -n 3p)" 0 "user namespace: uid 0 inside"
	cfg userns-host
	cfg_set '.linux.namespaces += [{type: "user"}] | .process.args = ["sleep", "1000"]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	rt run -d --bundle "$B" userns-host </dev/null >/dev/null 2>&1
	pid=$(ctr_state userns-host pid)
	is "$(awk '/^Uid:/ { print $2 }' /proc/"$pid"/status 2>/dev/null)" 100000 \
		"user namespace: the process runs as host uid 100000"
	[ "$(ns_of "$pid" user)" != "$(ns_of self user)" ]
	check "user namespace: a new one"
	rt delete --force userns-host
	ctr_gone userns-host "$pid"

	# The container's root (host uid 100000) may not search host root's
	# mode 0700 directories: neither the caller's working directory nor a
	# mount point made so.  keel mounts on a directory from inside it and
	# changes back to the caller's directory after (runtime/mounts.c,
	# mount_in); where it cannot, it goes by /proc/self/fd as before, and
	# the mounts must land all the same.
	cfg userns-search
	cfg_set '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .mounts += [{destination: "/locked", type: "tmpfs", source: "tmpfs",
			options: ["mode=755"]}]'
	cfg_sh 'stat -c %a /locked; grep -c " /locked " /proc/self/mountinfo'
	mkdir -p -m 0700 "$T/rootfs/locked" "$T/cwd-0700"
	cd "$T/cwd-0700" || exit 1
	ctr_run
	cd / || exit 1
	is "$RC" 0 "user namespace: run from a directory its root may not search"
	is "$(echo "$OUT" | tr '\n' ' ')" "755 1 " \
		"user namespace: a tmpfs on a mount point its root may not search"
	rmdir "$T/rootfs/locked" "$T/cwd-0700"
fi

# --- new namespaces -------------------------------------------------------------
cfg newns
cfg_set '.linux.namespaces = [{type: "pid"}, {type: "network"}, {type: "ipc"}, {type: "uts"},
	{type: "mount"}, {type: "cgroup"}] | .process.args = ["sleep", "1000"]'
rt run -d --bundle "$B" newns </dev/null >/dev/null 2>&1
pid=$(ctr_state newns pid)
for ns in pid net ipc uts mnt cgroup; do
	a=$(ns_of "$pid" "$ns")
	[ -n "$a" ] && [ "$a" != "$(ns_of self "$ns")" ]
	check "new $ns namespace"
done
rt delete --force newns
ctr_gone newns "$pid"

cfg netns
cfg_sh 'ls /sys/class/net | tr "\n" " "'
ctr_run
is "$OUT" "lo " "network namespace: only lo"

cfg cgroupns
cfg_set '.linux.namespaces += [{type: "cgroup"}]'
cfg_sh 'grep "^0::" /proc/self/cgroup'
ctr_run
is "$OUT" "0::/" "cgroup namespace: the container's cgroup is its root"

cfg nonetns
cfg_set '.linux.namespaces = [.linux.namespaces[] | select(.type != "network")]
	| .process.args = ["sleep", "1000"]'
rt run -d --bundle "$B" nonetns </dev/null >/dev/null 2>&1
pid=$(ctr_state nonetns pid)
is "$(ns_of "$pid" net)" "$(ns_of self net)" "no network entry: the runtime's network namespace is kept"
rt delete --force nonetns

# --- joining by path -------------------------------------------------------------
unshare --net --uts sleep 1000 &
holder=$!
RT_PIDS="$RT_PIDS $holder"
sleep 0.2
cfg join
cfg_set '.linux.namespaces = [.linux.namespaces[] | select(.type != "network" and .type != "uts")]
	+ [{type: "network", path: $n}, {type: "uts", path: $u}] | .process.args = ["sleep", "1000"]
	| del(.hostname)' \
	--arg n "/proc/$holder/ns/net" --arg u "/proc/$holder/ns/uts"
rt run -d --bundle "$B" join </dev/null >"$T/out" 2>&1
check "join namespaces by path: runs"
pid=$(ctr_state join pid)
is "$(ns_of "$pid" net)" "$(ns_of "$holder" net)" "join by path: the holder's network namespace"
is "$(ns_of "$pid" uts)" "$(ns_of "$holder" uts)" "join by path: the holder's uts namespace"
rt delete --force join
ctr_gone join "$pid"
kill "$holder"

# --- time namespace ---------------------------------------------------------------
if [ ! -e /proc/self/ns/time ]; then
	skip "time namespace" "the kernel has no time namespaces"
elif [ "$RT_NAME" = runc ]; then
	skip "time namespace" "runc 1.1 does not support time namespaces"
elif [ "$RT_NAME" = crun ]; then
	skip "time namespace" "crun 1.8 fails (\"write to sync socket: Connection reset\")"
else
	cfg timens
	cfg_set '.linux.namespaces += [{type: "time"}]
		| .linux.timeOffsets = {boottime: {secs: 864000, nanosecs: 0},
			monotonic: {secs: 172800, nanosecs: 500}}'
	cfg_sh 'cut -d. -f1 /proc/uptime; sort /proc/self/timens_offsets | tr -s " "'
	host_up=$(cut -d. -f1 /proc/uptime)
	ctr_run
	is "$RC" 0 "time namespace: run exits 0"
	up=$(echo "$OUT" | sed -n 1p)
	[ -n "$up" ] && [ "$up" -ge $((host_up + 864000)) ] && [ "$up" -lt $((host_up + 864000 + 60)) ]
	check "time namespace: boottime offset of 10 days in /proc/uptime ($up vs host $host_up)"
	is "$(echo "$OUT" | sed -n 2,3p | tr '\n' ,)" "boottime 864000 0,monotonic 172800 500," \
		"time namespace: both offsets in /proc/self/timens_offsets"
fi

done_testing
