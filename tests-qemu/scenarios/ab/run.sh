#!/bin/bash
# Whole-node A/B (issue 13; docs/deployments.md, "Whole-node A/B"): every
# boot is QEMU's -kernel/-initrd with a small selector image (keel, no
# containers) and keel.slots=LABEL=keelboot; the selector reads boot.json
# on that ext4 disk, spends a try and kexec_file_load()s the chosen slot's
# bzImage and initramfs with keel.slot=X on the command line.  A QEMU exit
# (-no-reboot) and a new start of the same disk is a reboot.
#   boot 0 (expect.0): keel.slots= names a disk that is not there: the
#                      selector gives up after 10 s and keel boots the
#                      selector image's own (empty) containers.d
#   boot 1 (expect.1): boot.json has B on trial, but slot B has no files:
#                      the selector records failed=B and loads A instead,
#                      in the same boot; A is good; the updater in it
#                      installs the good image from /boot/staging/B.1 into
#                      slot B (keelctl slot install: next=B, 1 try) and
#                      reboots
#   boot 2 (expect.2): B on trial (keel.slot=B keel.slot.trial), every
#                      essential entry ready: B marked good; its updater
#                      installs a bad image (an essential oneshot that
#                      fails) into slot A and reboots
#   boot 3 (expect.3): A on trial, its essential entry fails: not marked,
#                      and a slot on trial reboots (not powers off)
#   boot 4 (expect.4): A's try is spent without a mark: the selector says
#                      so, records failed=A, boots B; B is good; its
#                      updater installs an image whose essential oneshot
#                      never ends into A, with keel.slot.timeout=15 in
#                      A's cmdline, and reboots
#   boot 5 (expect.5): A on trial never settles: 15 s later keel says the
#                      trial ran out and reboots
#   boot 6 (expect.6): back to B again, failed=A; nothing left to install
# After each boot the host reads boot.json with debugfs and checks it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/harness.sh"

kq_scenario ab mkfs.ext4:e2fsprogs debugfs:e2fsprogs
export DISK=$KQ_DIR/boot.img
[ -f "$KQ_KDIR/vmlinuz" ] || kq_skip "no bzImage (vmlinuz) beside the kernel: kexec_file_load needs one"

fail_setup() {
	echo "not ok 1 - $1"
	[ ! -f "${2:-}" ] || sed 's/^/#   /' "$2"
	echo "1..1"
	exit 1
}

# The selector: keel and the disk's drivers, no containers.
mkdir -p "$KQ_DIR/none.d"
kq_image "$KQ_DIR/selector.img" --init "$keel" --containers "$KQ_DIR/none.d" \
	>"$KQ_DIR/mkimage.log" 2>&1 || fail_setup "keel-mkimage (selector) failed" "$KQ_DIR/mkimage.log"
# The slots' image, good and bad (the bad one has an essential entry that fails).
mk=(--init "$keel" --busybox-rootfs --file "$here/fstab:/etc/fstab")
kq_image "$KQ_DIR/good.img" "${mk[@]}" --containers "$here/containers.d" \
	>"$KQ_DIR/mkimage.log" 2>&1 || fail_setup "keel-mkimage (good) failed" "$KQ_DIR/mkimage.log"
for v in bad hang; do # an essential entry that fails; one that never ends
	mkdir -p "$KQ_DIR/$v.d"
	cp -a "$here/containers.d/." "$here/$v.d/." "$KQ_DIR/$v.d/" ||
		fail_setup "the $v image's entries ($here/$v.d) are missing"
	kq_image "$KQ_DIR/$v.img" "${mk[@]}" --containers "$KQ_DIR/$v.d" \
		>"$KQ_DIR/mkimage.log" 2>&1 || fail_setup "keel-mkimage ($v) failed" "$KQ_DIR/mkimage.log"
done

# The boot disk: slot A installed and good, B empty, and a trial of B set
# by an update whose files never arrived.  The updates that will reach
# the node wait in staging/SLOT.N; the updaters install them in order.
d=$KQ_DIR/disk
stage() { # stage DIR IMAGE [CMDLINE]
	mkdir -p "$d/$1"
	cp "$KQ_KDIR/vmlinuz" "$d/$1/vmlinuz"
	cp "$KQ_DIR/$2" "$d/$1/initrd.img"
	[ -z "${3:-}" ] || echo "$3" >"$d/$1/cmdline"
}
stage A good.img
mkdir -p "$d/B"
stage staging/B.1 good.img "keel.hostname=node-b" # with a command line of its own
stage staging/A.1 bad.img
stage staging/A.2 hang.img "keel.slot.timeout=15" # a short trial deadline
echo '{"good": "A", "next": "B", "tries": 1}' >"$d/boot.json"
mkfs.ext4 -q -F -L keelboot -d "$d" "$DISK" 200M >/dev/null 2>&1 ||
	fail_setup "mkfs.ext4 -L keelboot failed"

rc=0
for boot in 0 1 2 3 4 5 6; do
	# boot 0: the selector is given a disk that is not there
	slots=LABEL=keelboot
	[ "$boot" != 0 ] || slots=LABEL=nosuchdisk
	echo "# boot $boot of the same boot disk (keel.slots=$slots)"
	kq_start -disk "$DISK" -append "keel.slots=$slots" "$KQ_DIR/selector.img"
	kq_expect_file "$here/expect.$boot" || rc=1
	[ "$rc" = 0 ] || KQ_NAME=ab-boot$boot kq_fail_log
	kq_running && kq_stop
	[ "$rc" = 0 ] || break
done
echo "1..$KQ_CHECKS"
exit "$rc"
