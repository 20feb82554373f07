#!/bin/sh
# "devices" in keel.json: an entry waits until the kernel announces its
# device (a kernel uevent, through libudev's monitor in PID 1's epoll set),
# then starts; the others do not wait for it.  The device is a zram disk
# hot-added only after keel is up (and removed at the end).  One that never
# comes fails the entry at its devices_timeout, naming the device.
. "$(dirname "$0")/init-lib.sh"

ctl_dir=/sys/class/zram-control
[ -w "$ctl_dir/hot_add" ] || skip_all "no zram hot_add (CONFIG_ZRAM) to make a device appear"
make_rootfs

# zram ids are allocated lowest-free first
id=0
while [ -e "/sys/class/block/zram$id" ]; do id=$((id + 1)); done
dev=zram$id

entry disk "echo disk-up; exec sleep 1000" "{\"devices\": [\"/dev/$dev\"], \"stop\": {\"signal\": \"KILL\"}}"
entry other 'echo other-up; exec sleep 1000' '{"stop": {"signal": "KILL"}}'
never=zram$((id + 40))
entry late "echo late-up" "{\"kind\": \"oneshot\", \"devices\": [\"/dev/$never\"], \"devices_timeout\": \"1s\"}"
start_keel
wait_for 'other \| other-up' 10
check "an entry without devices starts at once"
if grep -q 'built without CONFIG_UDEV' "$T/console.log"; then
	stop_keel
	skip_all "this keel is built without CONFIG_UDEV"
fi
wait_for "Waiting for device /dev/$dev for disk" 5
check "the entry waits for its device"
sleep 0.5
like "$(ctl status disk)" 'state: waiting' "still waiting"
grep -q 'Startup finished' "$T/console.log"
[ $? != 0 ]
check "startup is not finished while it waits"

wait_for "late: device /dev/$never did not appear within 1000ms" 5
check "an entry whose device never comes fails at its devices_timeout, naming it"
like "$(ctl status late)" 'state: failed' "it is failed"
like "$(ctl status disk)" 'state: waiting' "the other one still waits (its timeout is the default 90 s)"

got=$(cat "$ctl_dir/hot_add")
EXTRA_CLEANUP="echo $got >$ctl_dir/hot_remove 2>/dev/null"
is "$got" "$id" "the kernel added $dev"
wait_for 'disk \| disk-up' 10
check "started once /dev/$dev appeared"
wait_for 'Startup finished' 5
check "startup finished after the device"

! grep -q 'late-up' "$T/console.log"
check "the failed entry never ran"
stop_keel
is "$RC" 0 "clean exit"
echo "$got" >"$ctl_dir/hot_remove"
check "$dev removed"
EXTRA_CLEANUP=
show_log_on_failure
done_testing
