#!/bin/bash
# /etc/fstab at boot, over two boots of the same virtio disk (an ext4 image
# the host makes with mkfs.ext4 -L keeldata):
#   boot 1 (expect):   the disk is mounted by LABEL= before the container
#                      that lists it starts; a nofail line whose device never
#                      comes times out (x-keel.wait=3s) and holds back only
#                      the container that needs it; a bad line is reported
#                      with file:line and the others are mounted; the power
#                      button powers off and the mount comes off cleanly
#   boot 2 (expect.2): the same disk, the file written at boot 1 is there;
#                      then (expect.2b) a disk hot-plugged with device_add
#                      is mounted by LABEL= at its uevent, and the
#                      container that needs it starts
#   boot 3 (expect.3): a second disk, throttled by QEMU to one request a
#                      second, is /dev/vdb: its mount is still running when
#                      its x-keel.wait=3s ends; the helper is killed, only
#                      the container that needs it is held back, PID 1
#                      goes on (the others start, the power button works)
# Between and after, the host reads the disk (debugfs) and checks it
# (e2fsck -fn: a clean unmount leaves nothing to fix).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/harness.sh"

kq_scenario fstab mkfs.ext4:e2fsprogs debugfs:e2fsprogs
export DISK=$KQ_DIR/disk.img

mk=(--init "$keel" --containers "$here/containers.d" --busybox-rootfs
	--file "$here/fstab:/etc/fstab")
if kq_build_helper "$KQ_DIR/keel-test-helper" 2>/dev/null; then
	mk+=(--rootfs-file "$KQ_DIR/keel-test-helper:/bin/keel-test-helper")
fi
if ! kq_image "$KQ_DIR/initrd.img" "${mk[@]}" >"$KQ_DIR/mkimage.log" 2>&1; then
	echo "not ok 1 - keel-mkimage failed"
	sed 's/^/#   /' "$KQ_DIR/mkimage.log"
	echo "1..1"
	exit 1
fi
mkfs.ext4 -q -F -L keeldata -d "$here/disk" "$DISK" 64M >/dev/null 2>&1 ||
	{ echo "not ok 1 - mkfs.ext4 -L keeldata failed"; echo "1..1"; exit 1; }

mkfs.ext4 -q -F -L keelslow "$KQ_DIR/slow.img" 16M >/dev/null 2>&1 ||
	{ echo "not ok 1 - mkfs.ext4 -L keelslow failed"; echo "1..1"; exit 1; }
mkfs.ext4 -q -F -L keellate -d "$here/late" "$KQ_DIR/late.img" 8M >/dev/null 2>&1 ||
	{ echo "not ok 1 - mkfs.ext4 -L keellate failed"; echo "1..1"; exit 1; }
slow=(-q -drive -q "file=$KQ_DIR/slow.img,format=raw,if=none,id=slow,throttling.iops-total=1"
	-q -device -q "virtio-blk-pci,drive=slow,serial=slow")

rc=0
for boot in 1 2 3; do
	ef=$here/expect
	[ "$boot" = 1 ] || ef=$here/expect.$boot
	extra=()
	[ "$boot" != 3 ] || extra=("${slow[@]}")
	echo "# boot $boot of the same disk"
	kq_start -disk "$DISK" "${extra[@]}" "$KQ_DIR/initrd.img"
	if ! kq_expect_file "$ef"; then
		rc=1
	elif [ "$boot" = 2 ]; then
		# a disk that comes late: PCI hot-plug (the guest's acpiphp)
		kq_mon "drive_add 0 if=none,file=$KQ_DIR/late.img,format=raw,id=late"
		kq_mon "device_add virtio-blk-pci,drive=late,id=latedev,serial=late"
		kq_expect_file "$here/expect.2b" || rc=1
	fi
	[ "$rc" = 0 ] || KQ_NAME=fstab-boot$boot kq_fail_log
	kq_running && kq_stop
	[ "$rc" = 0 ] || break
done
echo "1..$KQ_CHECKS"
exit "$rc"
