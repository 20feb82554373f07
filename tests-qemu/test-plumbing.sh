#!/bin/bash
# The QEMU plumbing without keel: Debian's kernel booted through its PVH
# entry with an initramfs from keel-mkimage whose /init is a busybox script
# (tests-qemu/plumbing/init).  Proves kernel fetch, vmlinux extraction, the
# module list and its load order, console input and output, a virtio ext4
# disk written by the guest and read back on the host, and both host-side
# shutdown paths (ctrl-alt-delete as SIGINT to PID 1, and as the kernel's
# own reboot).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/lib/tap.sh"
. "$here/lib/harness.sh"

kq_setup plumbing
case $? in
0) ;;
2) skip_all "qemu-system-x86_64 not installed" ;;
*) skip_all "cannot fetch Debian's kernel (apt-get download linux-image-amd64 failed)" ;;
esac
[ -x /bin/busybox ] || skip_all "busybox-static not installed"
fail() { kq_fail_log; done_testing; }

kq_image "$KQ_DIR/initrd.img" --init "$here/plumbing/init" --file /bin/busybox:/bin/busybox
check "keel-mkimage builds the plumbing image"
mods=$(zstd -dc "$KQ_DIR/initrd.img" | cpio -i --quiet --to-stdout etc/keel/modules | grep -v '^#')
pos() { printf '%s\n' "$mods" | grep -n "/$1.ko$" | cut -d: -f1; }
[ -n "$(pos virtio_pci)" ] && [ "$(pos virtio)" -lt "$(pos virtio_pci)" ] &&
	[ "$(pos virtio_ring)" -lt "$(pos virtio)" ] && [ "$(pos jbd2)" -lt "$(pos ext4)" ]
check "module list puts dependencies first (virtio_ring < virtio < virtio_pci, jbd2 < ext4)"
is "$(printf '%s\n' "$mods" | sort | uniq -d)" "" "module list has no duplicates"

mkdir -p "$KQ_DIR/disk"
echo hello-from-host >"$KQ_DIR/disk/hello"
mkfs.ext4 -q -F -d "$KQ_DIR/disk" "$KQ_DIR/disk.img" 16M >/dev/null
check "mkfs.ext4 -d makes a disk image"

kq_start -disk "$KQ_DIR/disk.img" "$KQ_DIR/initrd.img"
kq_wait 'Run /init as init process' 60
check "kernel boots the PVH vmlinux and runs /init"
kq_wait 'plumbing: init pid 1' 10
check "/init runs as PID 1 with the console open"
kq_wait 'plumbing: loaded button.ko' 30
check "init loads every listed module"
is "$(kq_console_from 1 | grep -c 'plumbing: failed')" 0 "no module failed to load"
kq_wait 'hello-from-host' 20
check "the guest reads the host's file from the virtio ext4 disk"
kq_wait 'plumbing: ready' 20 || fail
check "guest ready"
kq_send "typed on the host"
kq_wait 'plumbing: echo typed on the host' 10
check "text typed on the host reaches the guest's console"
kq_mon "sendkey ctrl-alt-delete"
kq_wait 'plumbing: got SIGINT' 10
check "ctrl-alt-delete reaches PID 1 as SIGINT once the kernel's CAD is off"
kq_wait_exit 30
check "QEMU exits after the guest powers off"
is "$KQ_RC" 0 "QEMU exit status"
kq_ended_by 'reboot: Power down'
check "the kernel powered down"
! kq_ended_by 'Kernel panic'
check "no kernel panic"
is "$(debugfs -R 'cat /from-guest' "$KQ_DIR/disk.img" 2>/dev/null)" "written by the guest" \
	"the host reads the guest's file from the disk after QEMU exits"

# Second boot: with the kernel's own ctrl-alt-del handling armed the key
# reboots immediately, and -no-reboot turns that into QEMU exiting.
kq_start "$KQ_DIR/initrd.img"
kq_wait 'plumbing: ready' 60 || fail
kq_send cad-kernel
kq_wait 'plumbing: cad armed' 10
check "kernel ctrl-alt-del armed"
kq_mon "sendkey ctrl-alt-delete"
kq_wait_exit 30
check "QEMU exits on the kernel's ctrl-alt-del reboot (-no-reboot)"
kq_ended_by 'reboot: Restarting system'
check "the kernel restarted"
[ "$_tap_failed" = 0 ] || kq_fail_log
done_testing
