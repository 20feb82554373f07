#!/bin/sh
# keel.json "mounts" when keel is not the machine's init (--no-boot): fstab
# is not read, so an entry that needs a mount is blocked with that reason
# at once (never left waiting), its dependents with it, and the entries
# that need no mount start.  Mounting at boot is tests-qemu/scenarios/fstab
# and tests/unit/test_mounter.c.
. "$(dirname "$0")/init-lib.sh"

make_rootfs
entry needs 'echo needs-ran; exec sleep 1000' '{"mounts": ["/var/lib/data"], "stop": {"signal": "KILL"}}'
entry after-needs 'echo after-needs-ran' '{"kind": "oneshot", "requires": ["needs"]}'
entry other 'echo other-up; exec sleep 1000' '{"stop": {"signal": "KILL"}}'
start_keel
wait_for 'other \| other-up' 10
check "an entry without mounts starts"
wait_for 'Dependency failed for needs: needs mount /var/lib/data: keel mounts fstab only as the machine.s init' 5
check "the entry that needs a mount is blocked, with the reason"
wait_for 'Dependency failed for after-needs' 5
check "and what requires it"
like "$(ctl status needs)" 'blocked' "keelctl status shows it blocked"
wait_for 'Startup finished' 5
check "startup finishes: nothing is left waiting"
ctl start needs >/dev/null 2>&1
wait_count 'Dependency failed for needs: needs mount /var/lib/data' 2 5
check "keelctl start: blocked again with the reason, not left waiting"
like "$(ctl status needs)" 'blocked' "and keelctl status shows it blocked"
! grep -q 'needs-ran\|after-needs-ran' "$T/console.log"
check "neither ran"

stop_keel
is "$RC" 0 "clean exit"
show_log_on_failure
done_testing
