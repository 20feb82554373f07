#!/bin/sh
# The device filter on a hybrid host that mounts no cgroup v1 devices
# hierarchy (v1 controllers are mounted by choice; a host may mount only
# cpu and memory on v1).  The v1 devices controller cannot enforce
# anything there, so keel puts the filter (the config's
# linux.resources.devices, or the default list) in the eBPF program on the
# container's cgroup in the unified hierarchy, which the kernel runs
# whatever v1 does; exec'd processes and `update` go through the same
# program.  With no cgroup2 either (a legacy host), no filter is possible
# and create refuses the container, as runc 1.1 does ("mountpoint for
# devices not found").  Before this, such a container with CAP_MKNOD could
# make and open any host device: /dev/kmsg, a host disk.
#
# The host's devices hierarchy is hidden by unmounting it in a private
# mount namespace that the whole test runs in (the host keeps its mount);
# runtime-cgroup-v1.sh covers the usual layout with the v1 devices
# hierarchy, runtime-cgroup.sh pure cgroup v2.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"

[ -f /sys/fs/cgroup/cgroup.controllers ] &&
	skip_all "pure cgroup v2 host: the eBPF filter is all there is (runtime-cgroup.sh)"
[ -f /sys/fs/cgroup/unified/cgroup.procs ] ||
	skip_all "not a hybrid host: no cgroup2 at /sys/fs/cgroup/unified"
[ "$RT_NAME" = keel ] ||
	skip_all "$RT_NAME: runc 1.1 refuses every container without a v1 devices hierarchy"
command -v unshare >/dev/null || skip_all "no unshare(1) to hide the devices hierarchy"

# The mount points of v1 hierarchies with the devices controller.
devices_mounts() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") {
		if ($(i + 1) == "cgroup" && $(i + 3) ~ /(^|,)devices(,|$)/) print $5; break } }' \
		/proc/self/mountinfo
}

if [ -z "${KEEL_TEST_NODEVICES_NS:-}" ]; then
	KEEL_TEST_NODEVICES_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
for m in $(devices_mounts); do umount "$m" || skip_all "cannot unmount $m here"; done
rt_setup "$@"

is "$(devices_mounts)" "" "no v1 devices hierarchy is mounted in this namespace"

# Opened write-only: reading /dev/kmsg needs CAP_SYSLOG whatever the rules.
# A loop device stands for a host disk (7:N are in no default rule).
LOOP=
if command -v losetup >/dev/null; then
	printf 'keel-host-disk\n' >"$T/disk.img" && truncate -s 1M "$T/disk.img" &&
		LOOP=$(losetup -f --show "$T/disk.img" 2>/dev/null)
fi
loop_cleanup() { [ -n "$LOOP" ] && losetup -d "$LOOP"; }
trap 'loop_cleanup; rt_cleanup' EXIT
if [ -n "$LOOP" ]; then
	DISK_MAJ=$(printf '%d' "0x$(stat -c %t "$LOOP")")
	DISK_MIN=$(printf '%d' "0x$(stat -c %T "$LOOP")")
fi

# The probe: each line "WHAT=ok|no".  mknod is allowed for every device
# (the default "c *:* m"), so what the filter decides is the open.
PROBE='for n in null zero urandom; do head -c1 /dev/$n >/dev/null 2>&1 && echo $n=ok || echo $n=no; done
mknod /dev/k c 1 11 && echo mknod=ok || echo mknod=no
(exec 3>/dev/k) 2>/dev/null && echo kmsg=ok || echo kmsg=no
if [ -n "$DISK" ]; then
	mknod /dev/d b $DISK && head -c 14 /dev/d 2>/dev/null | grep -q keel-host-disk && echo disk=ok || echo disk=no
fi'
devcfg() {
	cfg "$1"
	cfg_set '.process.capabilities.bounding += ["CAP_MKNOD"]
		| .process.capabilities.effective += ["CAP_MKNOD"]
		| .process.capabilities.permitted += ["CAP_MKNOD"]
		| .process.env += ["DISK=\($disk)"]' --arg disk "${LOOP:+$DISK_MAJ $DISK_MIN}"
	cfg_sh "$PROBE"
}
val() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
# expect_denied OUT WHAT: the defaults usable, kmsg and the disk refused.
expect_denied() {
	is "$(val "$1" null)$(val "$1" zero)$(val "$1" urandom)" okokok \
		"$2: /dev/null, /dev/zero, /dev/urandom can be read"
	is "$(val "$1" mknod)" ok "$2: mknod c 1 11 is allowed (the default \"c *:* m\")"
	is "$(val "$1" kmsg)" no "$2: ... but opening it (/dev/kmsg) is refused"
	if [ -n "$LOOP" ]; then
		is "$(val "$1" disk)" no "$2: a host disk ($LOOP, $DISK_MAJ:$DISK_MIN) cannot be read"
	else
		skip "$2: a host disk cannot be read" "no loop device here"
	fi
}
dirs_gone() {
	_left=$(ls -d /sys/fs/cgroup/*/keeltest-$$-"$1" 2>/dev/null | tr '\n' ' ')
	is "$_left" "" "$1: delete removed its cgroup from every hierarchy"
}

# --- create: the default filter and the config's rules ----------------------

for what in resources.devices resources; do
	devcfg "nodev-$(echo "$what" | tr . -)"
	cfg_set "del(.linux.$what)"
	ctr_run
	is "$RC" 0 "without linux.$what: the container runs"
	expect_denied "$OUT" "default filter (no linux.$what)"
	rt delete --force "$CTR" >/dev/null 2>&1
	dirs_gone "$CTR"
done

devcfg denyall
cfg_set '.linux.resources.devices = [{allow: false, access: "rwm"}]'
ctr_run
is "$RC" 0 "a config with a deny-all rule runs (it was refused: \"devices\" controller not mounted)"
expect_denied "$OUT" "deny-all rule"
rt delete --force denyall >/dev/null 2>&1

devcfg allow
cfg_set '.linux.resources.devices = [{allow: false, access: "rwm"},
	{allow: true, type: "c", major: 1, minor: 11, access: "w"}]'
ctr_run
is "$(val "$OUT" kmsg)" ok "a rule allowing c 1:11 w lets /dev/kmsg be opened"
[ -n "$LOOP" ] && is "$(val "$OUT" disk)" no "... and the disk stays refused"
rt delete --force allow >/dev/null 2>&1

devcfg later
cfg_set '.linux.resources.devices = [{allow: false, access: "rwm"},
	{allow: true, type: "c", major: 1, minor: 11, access: "w"},
	{allow: false, type: "c", major: 1, minor: 11, access: "w"}]'
ctr_run
is "$(val "$OUT" kmsg)" no "a later deny rule takes back an earlier allow"
rt delete --force later >/dev/null 2>&1
dirs_gone later

# --- exec and update: the same program on the unified cgroup ----------------

devcfg live
cfg_set 'del(.linux.resources.devices) | .process.args = ["sleep", "1000"]
	| .linux.resources.pids = {limit: 50}'
rt run -d --bundle "$B" live </dev/null >/dev/null 2>"$T/err"
check "a detached container without device rules runs"
[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
pid=$(ctr_state live pid)
like "$(cat "/proc/$pid/cgroup" 2>/dev/null)" "^0::/keeltest-$$-live\$" \
	"its process is in its unified cgroup, where the filter is"
like "$(cat "/proc/$pid/cgroup" 2>/dev/null)" "^[0-9]+:devices:/\$" \
	"... and in the v1 devices root cgroup, which denies nothing"
OUT=$(rt exec --env "DISK=${LOOP:+$DISK_MAJ $DISK_MIN}" live sh -c "$PROBE" 2>&1)
expect_denied "$OUT" "exec"

printf '{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}], "pids": {"limit": 40}}\n' \
	>"$T/res.json"
rt update --resources "$T/res.json" live 2>"$T/err"
check "update --resources with device rules (was: \"devices\" controller not mounted)"
[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
is "$(cat "/sys/fs/cgroup/pids/keeltest-$$-live/pids.max" 2>/dev/null)" 40 \
	"update: the pids limit still goes to v1"
OUT=$(rt exec live sh -c "$PROBE" 2>&1)
is "$(val "$OUT" kmsg)" ok "update: the rule allowing c 1:11 w takes effect"
is "$(val "$OUT" null)" ok "update: the defaults stay"
printf '{"devices": [{"allow": false, "access": "rwm"}]}\n' >"$T/res.json"
rt update --resources "$T/res.json" live 2>/dev/null
check "update back to deny-all"
OUT=$(rt exec live sh -c "$PROBE" 2>&1)
is "$(val "$OUT" kmsg)" no "update: deny-all refuses /dev/kmsg again"
rt delete --force live >/dev/null 2>&1
dirs_gone live

# --- a legacy host without the devices hierarchy: refused --------------------

# No cgroup2 either (its mount hidden too, in a namespace of its own): no
# filter is possible, so nothing is created.
devcfg legacy
cfg_set 'del(.linux.resources.devices)'
export RUNTIME STATE B
unshare -m --propagation private sh -c '
	umount /sys/fs/cgroup/unified || exit 99
	$RUNTIME --root "$STATE" run --bundle "$B" legacy </dev/null >/dev/null 2>"$B/err"
	echo "rc=$?"
	# The hidden mount point is a directory of the host tmpfs: keel must
	# have made nothing in it.
	ls -d /sys/fs/cgroup/unified/keeltest-* 2>/dev/null
' >"$T/legacy" 2>&1
if ! grep -q '^rc=' "$T/legacy"; then
	skip "legacy, no devices hierarchy: create fails" "cannot unmount the unified hierarchy here"
else
	is "$(sed -n 's/^rc=//p' "$T/legacy")" 1 "legacy, no devices hierarchy: create fails"
	like "$(cat "$B/err")" "no device filter is possible on this host" "... saying why"
	is "$(ls "$STATE")" "" "... and leaves no state"
	dirs_gone legacy
	is "$(sed -n '2,$p' "$T/legacy")" "" "... nor a directory under the hidden unified mount point"
fi

done_testing
