#!/bin/sh
# cgroup v1 and hybrid hosts: the container gets its cgroupsPath in every
# mounted v1 hierarchy (and in the unified one on a hybrid host), the limits
# podman's and ctr's default configs carry (pids, memory, cpu shares) go to
# the v1 files and take effect, pause/resume use the v1 freezer, device
# rules become devices.allow/deny lists, and delete removes the directory
# from every hierarchy.  On a pure cgroup v2 host (the QEMU guest) there is
# nothing to check: runtime-cgroup.sh covers v2.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"

[ -f /sys/fs/cgroup/cgroup.controllers ] &&
	skip_all "pure cgroup v2 host: no v1 hierarchy (runtime-cgroup.sh covers v2)"
# The mount points of the v1 hierarchies (fstype "cgroup" after the " - ").
V1=$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup") print $5; break } }' \
	/proc/self/mountinfo)
[ -n "$V1" ] || skip_all "no cgroup v1 hierarchy is mounted"
for c in pids memory cpu freezer devices; do
	[ -f "/sys/fs/cgroup/$c/cgroup.procs" ] ||
		skip_all "no v1 $c hierarchy at /sys/fs/cgroup/$c (this test expects the usual layout)"
done
UNIFIED=
[ -f /sys/fs/cgroup/unified/cgroup.procs ] && UNIFIED=/sys/fs/cgroup/unified
rt_setup "$@"

start_detached() { # start_detached: run -d $CTR, its pid in $pid
	rm -f "$T/$CTR.pid"
	rt run -d --bundle "$B" --pid-file "$T/$CTR.pid" "$CTR" </dev/null >/dev/null 2>"$T/err"
	_rc=$?
	[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
	pid=$(cat "$T/$CTR.pid" 2>/dev/null)
	return $_rc
}

# dirs_gone NAME: no hierarchy (v1 or unified) keeps /keeltest-PID-NAME.
dirs_gone() {
	_left=
	for _m in $V1 $UNIFIED; do
		[ -d "$_m/keeltest-$$-$1" ] && _left="$_left $_m/keeltest-$$-$1"
	done
	is "$_left" "" "$1: delete removed its directory from every hierarchy"
}

# podman's default spec carries a pids limit, ctr's cpu.shares.
podman_like() {
	cfg_set '.linux.resources.pids = {limit: 20}
		| .linux.resources.memory = {limit: 67108864}
		| .linux.resources.cpu = {shares: 512}'
}

if [ "$RT_NAME" = crun ]; then
	skip "features: linux.cgroup.v1" "crun 1.8 has no features command"
else
	rt features | jq -e '.linux.cgroup.v1 == true' >/dev/null 2>&1
	check "features: linux.cgroup.v1 is true"
fi

# --- placement --------------------------------------------------------------

cfg podman
podman_like
cfg_sh 'cat /proc/self/cgroup'
ctr_run
is "$RC" 0 "a podman-like config (pids.limit, memory.limit, cpu.shares) runs"
n_v1=$(echo "$V1" | wc -l)
n_in=$(echo "$OUT" | grep -c "^[1-9][0-9]*:[^:]*:/keeltest-$$-podman\$")
is "$n_in" "$n_v1" "/proc/self/cgroup in the container: cgroupsPath in each of the $n_v1 v1 hierarchies"
if [ -n "$UNIFIED" ]; then
	like "$OUT" "^0::/keeltest-$$-podman\$" "... and in the unified hierarchy (hybrid host)"
fi
is "$(echo "$OUT" | grep -vc ":/keeltest-$$-podman\$")" 0 "... and nowhere else"
rt delete podman >/dev/null 2>&1
dirs_gone podman

# The container process joins its v1 cgroups itself (the one move for
# which the kernel waits for no RCU grace period); in a user namespace it
# could not, and the runtime moves it: placed the same either way.
if [ -e /proc/self/ns/user ]; then
	cfg podns
	podman_like
	cfg_set '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	cfg_sh 'cat /proc/self/cgroup'
	ctr_run
	is "$RC" 0 "in a user namespace: runs"
	n_in=$(echo "$OUT" | grep -c "^[1-9][0-9]*:[^:]*:/keeltest-$$-podns\$")
	is "$n_in" "$n_v1" "... with cgroupsPath in each of the $n_v1 v1 hierarchies"
	rt delete podns >/dev/null 2>&1
	dirs_gone podns
fi

# --- the limits in the v1 files ---------------------------------------------

cfg limits
podman_like
cfg_set '.process.args = ["sleep", "1000"]'
start_detached
check "limits: a detached container runs"
is "$(cat /sys/fs/cgroup/pids/keeltest-$$-limits/pids.max 2>/dev/null)" 20 \
	"pids.limit -> pids.max"
is "$(cat /sys/fs/cgroup/memory/keeltest-$$-limits/memory.limit_in_bytes 2>/dev/null)" 67108864 \
	"memory.limit -> memory.limit_in_bytes"
is "$(cat /sys/fs/cgroup/cpu/keeltest-$$-limits/cpu.shares 2>/dev/null)" 512 \
	"cpu.shares -> cpu.shares"
grep -qx "$pid" /sys/fs/cgroup/freezer/keeltest-$$-limits/cgroup.procs 2>/dev/null
check "the process is in its freezer cgroup too (a hierarchy without limits)"

is "$(rt ps --format json limits 2>/dev/null | jq -c . 2>/dev/null)" "[$pid]" "ps --format json lists the process"

rt update --memory 41943040 --pids-limit 9 limits 2>"$T/err"
check "update --memory 41943040 --pids-limit 9 (crun 1.8 cannot parse 40m)"
[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
is "$(cat /sys/fs/cgroup/memory/keeltest-$$-limits/memory.limit_in_bytes 2>/dev/null)" 41943040 \
	"update: memory.limit_in_bytes changed"
is "$(cat /sys/fs/cgroup/pids/keeltest-$$-limits/pids.max 2>/dev/null)" 9 \
	"update: pids.max changed"

# --- a lower quota with a lower period under a limited parent (runc's bats
# "update cpu period in a pod cgroup with pod limit set") ------------------
pod=/sys/fs/cgroup/cpu/keeltest-$$-pod
mkdir -p "$pod" && echo 50000 >"$pod/cpu.cfs_quota_us"
cfg podctr
cfg_set '.process.args = ["sleep", "1000"] | .linux.cgroupsPath = $p' --arg p "/keeltest-$$-pod/ctr"
start_detached
check "run -d under a pod cgroup limited to 50% CPU"
# Above the pod's limit: refused by the kernel, as runc's test expects.
rt update --cpu-quota 60000 podctr 2>/dev/null
[ $? != 0 ]
check "update --cpu-quota 60000 (above the pod's 50%) fails"
rt update --cpu-period 10000 --cpu-quota 3000 podctr 2>"$T/err"
check "update --cpu-period 10000 --cpu-quota 3000 under it (the order of the two writes matters)"
[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
is "$(cat "$pod/ctr/cpu.cfs_period_us" "$pod/ctr/cpu.cfs_quota_us" 2>/dev/null | tr '\n' ' ')" "10000 3000 " \
	"the pod's container got period 10000 and quota 3000"
rt delete --force podctr >/dev/null 2>&1
for _m in $V1 $UNIFIED; do rmdir "$_m/keeltest-$$-pod" 2>/dev/null; done

# --- the "cgroup" mount: each v1 hierarchy, the container's own cgroup ----
cfg cgmount
podman_like
cfg_set '.linux.namespaces = [.linux.namespaces[] | select(.type != "cgroup")]'
cfg_sh 'echo $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max)
	ls /sys/fs/cgroup/memory /sys/fs/cgroup/unified 2>/dev/null | grep -c keeltest
	touch /sys/fs/cgroup/x 2>/dev/null && echo WRITABLE; echo end'
ctr_run
is "$(echo "$OUT" | sed -n 1p)" "67108864 20" "in the container, /sys/fs/cgroup/memory and pids are its own cgroups with its limits"
is "$(echo "$OUT" | sed -n 2p)" 0 "... and no other cgroup of the host shows there"
is "$(echo "$OUT" | sed -n 3p)" end "... and the tmpfs holding them is read-only"

# --- a cgroup frozen beforehand is refused, not waited on forever ---------
frz=/sys/fs/cgroup/freezer/keeltest-$$-frozen
mkdir -p "$frz" && echo FROZEN >"$frz/freezer.state"
cfg frozen
cfg_set ".linux.cgroupsPath = \"/keeltest-$$-frozen\""
cfg_set '.process.args = ["true"]'
timeout 20 $RUNTIME --root "$STATE" run -d --bundle "$B" frozen </dev/null >/dev/null 2>"$T/err"
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ]
check "run -d in a cgroup frozen beforehand fails at once (rc $rc, 124 = hung)"
like "$(cat "$T/err")" "cgroup unexpectedly frozen" "... saying the cgroup is frozen (runc's words)"
is "$(cat "$frz/freezer.state" 2>/dev/null)" FROZEN "... and leaves that cgroup, which is not its own, as it was"
timeout 20 $RUNTIME --root "$STATE" create --bundle "$B" frozen2 </dev/null >/dev/null 2>"$T/err"
[ $? != 0 ]
check "a second create there is refused too"
[ "$rc" = 124 ] && { echo THAWED >"$frz/freezer.state"; rt delete --force frozen >/dev/null 2>&1; }
{ echo THAWED >"$frz/freezer.state"; } 2>/dev/null
for _m in $V1 $UNIFIED; do rmdir "$_m/keeltest-$$-frozen" 2>/dev/null; done

# A new v1 freezer cgroup under a frozen parent is frozen from the start:
# refused as well, and the cgroups create made under that parent (in every
# hierarchy) are removed again, the parent left as it was.
frz=/sys/fs/cgroup/freezer/keeltest-$$-frzp
mkdir -p "$frz" && echo FROZEN >"$frz/freezer.state"
cfg frzp
cfg_set ".linux.cgroupsPath = \"/keeltest-$$-frzp/c\" | .process.args = [\"true\"]"
timeout 20 $RUNTIME --root "$STATE" run --bundle "$B" frzp </dev/null >/dev/null 2>"$T/err"
rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ]
check "run under a frozen v1 freezer parent fails at once (rc $rc, 124 = hung)"
like "$(cat "$T/err")" "cgroup unexpectedly frozen" "... saying the cgroup is frozen"
[ "$rc" = 124 ] && { echo THAWED >"$frz/freezer.state"; rt delete --force frzp >/dev/null 2>&1; }
_left=
for _m in $V1 $UNIFIED; do [ -d "$_m/keeltest-$$-frzp/c" ] && _left="$_left $_m/keeltest-$$-frzp/c"; done
is "$_left" "" "... and removes the cgroup it made under that parent in every hierarchy"
is "$(cat "$frz/freezer.state" 2>/dev/null)" FROZEN "... and leaves the parent frozen"
{ echo THAWED >"$frz/freezer.state"; } 2>/dev/null
for _m in $V1 $UNIFIED; do rmdir "$_m/keeltest-$$-frzp/c" "$_m/keeltest-$$-frzp" 2>/dev/null; done

# --- cgroups found rather than made -------------------------------------------

# A cpuset parent that exists with no cpus and no mems (made by a tool that
# did not fill it): the container's cgroup is made under it at once, and the
# parent is filled from its own parent first, or no task could join.
cs=/sys/fs/cgroup/cpuset/keeltest-$$-cs
mkdir -p "$cs"
is "$(cat "$cs/cpuset.cpus")" "" "cpuset: a parent made by hand has no cpus"
cfg csempty
cfg_set ".linux.cgroupsPath = \"/keeltest-$$-cs/c\""
cfg_sh 'echo ok'
ctr_run
is "$RC $OUT" "0 ok" "cpuset: a container under an empty cpuset parent runs"
is "$(cat "$cs/cpuset.cpus")" "$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)" "... and the parent got its parent's cpus"
is "$(cat "$cs/cpuset.mems")" "$(cat /sys/fs/cgroup/cpuset/cpuset.mems)" "... and mems"
for _m in $V1 $UNIFIED; do rmdir "$_m/keeltest-$$-cs/c" "$_m/keeltest-$$-cs" 2>/dev/null; done

# A create that fails (here in the container process, with every cgroup
# made) removes the cgroups it made, and only those: one that cgroupsPath
# named and that was there before is left.
pre=/sys/fs/cgroup/memory/keeltest-$$-pre
mkdir -p "$pre"
cfg pre
cfg_set ".linux.cgroupsPath = \"/keeltest-$$-pre\"
	| .mounts += [{destination: \"/mnt\", type: \"bind\", source: \"$T/no-such-source\", options: [\"bind\"]}]"
rt run --bundle "$B" pre </dev/null >/dev/null 2>"$T/err"
[ $? != 0 ]
check "pre: a create that fails (a bind mount of a missing source)"
[ -d "$pre" ]
check "... leaves the memory cgroup that was there before"
[ ! -d /sys/fs/cgroup/pids/keeltest-$$-pre ] && [ ! -d /sys/fs/cgroup/cpuset/keeltest-$$-pre ]
check "... and removes those it made (pids, cpuset)"
rt delete --force pre >/dev/null 2>&1
for _m in $V1 $UNIFIED; do rmdir "$_m/keeltest-$$-pre" 2>/dev/null; done

# --- more of runc's v1 mapping ------------------------------------------------

vda=$(cat /sys/block/vda/dev 2>/dev/null || cat "$(ls -d /sys/block/*/dev | head -1)")
maj=${vda%:*}
min=${vda#*:}
cfg more
cfg_set '.process.args = ["sleep", "1000"]
	| .linux.resources.memory = {limit: 67108864, reservation: 33554432, swappiness: 10}
	| .linux.resources.cpu = {shares: 256, quota: 50000, period: 100000, cpus: "0", mems: "0"}
	| .linux.resources.blockIO = {throttleReadBpsDevice: [{major: $maj, minor: $min, rate: 1048576}]}' \
	--argjson maj "$maj" --argjson min "$min"
if [ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
	cfg_set '.linux.resources.memory.swap = 134217728'
fi
start_detached
check "more: memory reservation/swappiness/swap, cpu quota/period/cpus, a read throttle"
m=/sys/fs/cgroup/memory/keeltest-$$-more
is "$(cat $m/memory.soft_limit_in_bytes 2>/dev/null)" 33554432 "memory.reservation -> memory.soft_limit_in_bytes"
is "$(cat $m/memory.swappiness 2>/dev/null)" 10 "memory.swappiness"
if [ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
	is "$(cat $m/memory.memsw.limit_in_bytes 2>/dev/null)" 134217728 \
		"memory.swap -> memory.memsw.limit_in_bytes"
else
	skip "memory.swap -> memory.memsw.limit_in_bytes" "no swap accounting on this kernel"
fi
c=/sys/fs/cgroup/cpu/keeltest-$$-more
is "$(cat $c/cpu.cfs_quota_us 2>/dev/null) $(cat $c/cpu.cfs_period_us 2>/dev/null)" \
	"50000 100000" "cpu.quota/period -> cpu.cfs_quota_us/cfs_period_us"
is "$(cat /sys/fs/cgroup/cpuset/keeltest-$$-more/cpuset.cpus 2>/dev/null)" 0 "cpu.cpus -> cpuset.cpus"
is "$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/"$pid"/status)" 0 \
	"cpuset: the process may run on cpu 0 only"
is "$(cat /sys/fs/cgroup/blkio/keeltest-$$-more/blkio.throttle.read_bps_device 2>/dev/null)" \
	"$maj:$min 1048576" "blockIO.throttleReadBpsDevice -> blkio.throttle.read_bps_device"
rt delete --force more >/dev/null 2>&1
dirs_gone more

# cpuset without cpus/mems in the config: the new cgroup gets its parent's,
# or the process could not join it.
cfg cpuset-inherit
cfg_set '.linux.cgroupsPath = "/keeltest-\($p)-cpuset-inherit/inner" | .process.args = ["true"]' \
	--arg p "$$"
ctr_run
is "$RC" 0 "a two-level path: the new cpuset cgroups inherit cpus and mems"
rmdir /sys/fs/cgroup/*/keeltest-$$-cpuset-inherit /sys/fs/cgroup/unified/keeltest-$$-cpuset-inherit \
	2>/dev/null

# --- pause / resume: the v1 freezer -------------------------------------------

rt pause limits 2>"$T/err"
check "pause"
is "$(cat /sys/fs/cgroup/freezer/keeltest-$$-limits/freezer.state 2>/dev/null)" FROZEN \
	"pause: freezer.state is FROZEN"
like "$(grep '^State:' /proc/"$pid"/status)" "(S|D)" "pause: the process is stopped (State: S or D)"
is "$(ctr_state limits status)" paused "state says paused"
rt resume limits 2>"$T/err"
check "resume"
is "$(cat /sys/fs/cgroup/freezer/keeltest-$$-limits/freezer.state 2>/dev/null)" THAWED \
	"resume: freezer.state is THAWED"
is "$(ctr_state limits status)" running "state says running again"

# A paused container can be deleted: the SIGKILL lands once it is thawed.
rt pause limits 2>/dev/null
rt delete --force limits 2>"$T/err"
check "delete --force of a paused container"
ctr_gone limits "$pid"
dirs_gone limits

# --- kill --all ----------------------------------------------------------------

cfg killall
cfg_set '.process.args = ["sh", "-c", "sleep 1000 & sleep 1000 & wait"]'
start_detached
sleep 0.3
rt kill --all killall KILL 2>"$T/err"
check "kill --all KILL"
sleep 0.3
is "$(cat /sys/fs/cgroup/pids/keeltest-$$-killall/cgroup.procs 2>/dev/null | wc -l)" 0 \
	"kill --all: nothing left in the pids cgroup"
rt delete --force killall >/dev/null 2>&1
dirs_gone killall

# --- the pids limit takes effect --------------------------------------------------

cfg forkbomb
cfg_set '.linux.resources.pids = {limit: 5}'
cfg_sh 'i=0; while [ $i -lt 20 ]; do sleep 2 & i=$((i+1)); done; wait; echo survived'
ctr_run
like "$ERR$OUT" "fork|Resource temporarily unavailable" \
	"20 children under pids.limit 5: fork fails in the container"
rt delete --force forkbomb >/dev/null 2>&1
dirs_gone forkbomb

# --- devices: v1 devices.allow / devices.deny ---------------------------------------

# /dev/kmsg's numbers (1:11) are in no default rule: made with mknod
# (allowed for every device), opening it is up to the rules.  Opened
# write-only: reading it needs CAP_SYSLOG whatever the rules say.
devcfg() {
	cfg "$1"
	cfg_set '.process.capabilities.bounding += ["CAP_MKNOD"]
		| .process.capabilities.effective += ["CAP_MKNOD"]
		| .process.capabilities.permitted += ["CAP_MKNOD"]'
	cfg_sh 'mknod /dev/k c 1 11 && (exec 3>/dev/k) && echo opened'
}
devcfg devdeny
cfg_set '.linux.resources.devices = [{allow: false, access: "rwm"}]'
ctr_run
[ "$RC" != 0 ] && [ "$OUT" != opened ]
check "devices: a device no rule allows cannot be opened"
like "$ERR$OUT" "not permitted" "... Operation not permitted"
grep -q "^c 1:11 " /sys/fs/cgroup/devices/keeltest-$$-devdeny/devices.list 2>/dev/null
[ $? != 0 ]
check "... and devices.list has no entry for it"
rt delete --force devdeny >/dev/null 2>&1

devcfg devallow
cfg_set '.linux.resources.devices = [{allow: false, access: "rwm"},
	{allow: true, type: "c", major: 1, minor: 11, access: "w"}]'
ctr_run
is "$OUT" opened "devices: a rule allowing c 1:11 w lets it be opened"
rt delete --force devallow >/dev/null 2>&1

devcfg devlater
cfg_set '.linux.resources.devices = [{allow: false, access: "rwm"},
	{allow: true, type: "c", major: 1, minor: 11, access: "rw"},
	{allow: false, type: "c", major: 1, minor: 11, access: "rw"}]'
ctr_run
[ "$RC" != 0 ] && [ "$OUT" != opened ]
check "devices: a later deny rule takes back an earlier allow"
rt delete --force devlater >/dev/null 2>&1
dirs_gone devlater

# The default devices come after the config's rules (runc appends the same
# list; keel does on v2 too): a rule denying /dev/null cannot take it away.
cfg devnull
cfg_set '.linux.resources.devices = [{allow: false, access: "rwm"},
	{allow: false, type: "c", major: 1, minor: 3, access: "rwm"}]'
cfg_sh 'echo x >/dev/null && echo null-ok'
ctr_run
is "$OUT" null-ok "devices: denying c 1:3 leaves /dev/null usable (the defaults come last)"
rt delete --force devnull >/dev/null 2>&1
dirs_gone devnull

# No rule in the config at all: the same default list as runc and crun,
# everything else denied (without it CAP_MKNOD reached every host device).
for what in resources.devices resources; do
	devcfg "devnone-$what"
	cfg_set "del(.linux.$what)"
	cfg_sh 'echo x >/dev/null && echo null-ok; mknod /dev/k c 1 11 && (exec 3>/dev/k) && echo opened'
	ctr_run
	is "$OUT" null-ok "devices: without linux.$what, /dev/null works and a device outside the defaults cannot be opened"
	rt delete --force "devnone-$what" >/dev/null 2>&1
	dirs_gone "devnone-$what"
done

# The default filter comes after the config's mounts (as runc sets its
# resources after them): a block device as a mount's source still mounts.
if command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null; then
	truncate -s 8M "$T/disk.img" && mkfs.ext4 -q -F "$T/disk.img" >/dev/null 2>&1 &&
		mkdir -p "$T/diskfill" && echo on-disk >"$T/diskfill/hello" &&
		debugfs -w -R "write $T/diskfill/hello hello" "$T/disk.img" >/dev/null 2>&1
	LOOP=$(losetup -f --show "$T/disk.img" 2>/dev/null)
	if [ -n "$LOOP" ]; then
		devcfg devmount
		cfg_set 'del(.linux.resources.devices) | .mounts += [{destination: "/mnt", type: "ext4", source: $dev, options: ["ro"]}]' --arg dev "$LOOP"
		cfg_sh 'cat /mnt/hello; mknod /dev/k c 1 11 && (exec 3>/dev/k) && echo opened'
		ctr_run
		is "$OUT" on-disk "devices: a config mount of a block device works under the default filter, which still denies the rest"
		rt delete --force devmount >/dev/null 2>&1
		dirs_gone devmount
		losetup -d "$LOOP"
	else
		skip "devices: a block-device mount under the default filter" "losetup refused here"
	fi
else
	skip "devices: a block-device mount under the default filter" "no mkfs.ext4 or losetup"
fi

# --- a legacy host: no cgroup2 at all ------------------------------------------------

# Simulated on this hybrid host: in a private mount namespace without the
# unified mount, the runtime sees v1 hierarchies only; state, ps, pause,
# kill --all and delete then go through them alone.
if [ -z "$UNIFIED" ]; then
	skip "legacy host" "already a legacy host: the checks above were on one"
elif ! command -v unshare >/dev/null; then
	skip "legacy host" "no unshare(1) to hide the unified hierarchy"
else
	cfg legacy
	cfg_set '.linux.resources.pids = {limit: 7}
		| .process.args = ["sh", "-c", "sleep 1000 & sleep 1000"]'
	cg=keeltest-$$-legacy
	export RUNTIME STATE B cg
	unshare -m --propagation private sh -c '
		rt() { $RUNTIME --root "$STATE" "$@"; }
		umount -l /sys/fs/cgroup/unified || exit 1
		rt run -d --bundle "$B" legacy </dev/null >/dev/null 2>&1 && echo "run=ok"
		echo "pidsmax=$(cat /sys/fs/cgroup/pids/$cg/pids.max 2>/dev/null)"
		echo "unified=$(grep -c "^0::/$cg" /proc/$(rt state legacy | sed -n "s/.*\"pid\": *\([0-9]*\).*/\1/p")/cgroup)"
		echo "ps=$(rt ps --format json legacy 2>/dev/null | tr -cd , | wc -c)"
		rt pause legacy 2>/dev/null && echo "pause=$(cat /sys/fs/cgroup/freezer/$cg/freezer.state)"
		rt resume legacy 2>/dev/null && echo "resume=ok"
		rt kill --all legacy KILL 2>/dev/null && echo "killall=ok"
		sleep 0.3
		echo "procs=$(cat /sys/fs/cgroup/pids/$cg/cgroup.procs | wc -l)"
		rt delete --force legacy 2>/dev/null && echo "delete=ok"
		echo "left=$(ls -d /sys/fs/cgroup/*/$cg 2>/dev/null | tr "\n" " ")"
		# With the unified mount gone, /sys/fs/cgroup/unified is a
		# plain directory of the host'"'"'s tmpfs (crun 1.8 makes one
		# there and writes a cgroup.procs file in it): remove ours.
		rm -f /sys/fs/cgroup/unified/$cg/cgroup.procs
		rmdir /sys/fs/cgroup/unified/$cg 2>/dev/null
	' >"$T/legacy" 2>&1
	val() { sed -n "s/^$1=//p" "$T/legacy"; }
	is "$(val run)" ok "legacy: a container with pids.limit runs"
	is "$(val pidsmax)" 7 "legacy: pids.max"
	is "$(val unified)" 0 "legacy: no unified cgroup path"
	is "$(val ps)" 1 "legacy: ps lists the 2 processes"
	is "$(val pause)" FROZEN "legacy: pause freezes"
	is "$(val resume)" ok "legacy: resume"
	is "$(val killall)" ok "legacy: kill --all KILL"
	is "$(val procs)" 0 "legacy: ... empties the cgroup"
	is "$(val delete)" ok "legacy: delete"
	if [ "$RT_NAME" = crun ]; then
		skip "legacy: no directory left in any hierarchy" \
			"crun 1.8 makes $cg (with a cgroup.procs file) in the tmpfs under the hidden unified mount point (removed here)"
	else
		is "$(val left)" "" "legacy: no directory left in any hierarchy"
	fi
	rt delete --force legacy >/dev/null 2>&1
fi

# --- what v1 cannot take, and nothing left behind --------------------------------

if [ "$RT_NAME" = keel ]; then
	cfg unified
	cfg_set '.linux.resources.unified = {"memory.high": "50000000"}'
	ctr_run
	is "$RC" 1 "linux.resources.unified on a v1 host is an error"
	like "$ERR" 'linux\.resources\.unified' "... naming the JSON path"
	dirs_gone unified
	# A value the kernel refuses: the error names the file, and the
	# directories made for the two-level path are gone again.
	cfg badcpus
	cfg_set '.linux.cgroupsPath = "/keeltest-\($p)-badcpus/inner" | .linux.resources.cpu = {cpus: "999"}' \
		--arg p "$$"
	ctr_run
	is "$RC" 1 "cpu.cpus 999: create fails"
	like "$ERR" 'set cpuset\.cpus to "999".*keeltest-[0-9]*-badcpus/inner/cpuset\.cpus' \
		"... naming the file and its directory"
	dirs_gone badcpus
	if [ ! -f /sys/fs/cgroup/hugetlb/cgroup.procs ]; then
		cfg hugetlb
		cfg_set '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 2097152}]'
		ctr_run
		is "$RC" 1 "hugepageLimits without a v1 hugetlb hierarchy is an error"
		like "$ERR" 'linux\.resources\.hugepageLimits: the "hugetlb" controller is not mounted' \
			"... naming the JSON path and the controller"
		dirs_gone hugetlb
	fi
fi

done_testing
