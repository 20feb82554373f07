#!/bin/sh
# The container's filesystem (config.md "root", "mounts", config-linux.md
# maskedPaths/readonlyPaths, the default /dev), checked from inside it:
# mount flags in /proc/self/mountinfo, EROFS on read-only paths, masked
# paths read empty, bind mounts, the default devices.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

R=$T/rootfs
mkdir -p "$R/scratch" "$R/hostdir" "$R/masked-dir" "$R/ro-dir" "$R/rw-dir"
echo secret >"$R/masked-file"
echo secret >"$R/masked-dir/file"
mkdir -p "$T/host"
echo from-host >"$T/host/file"

cfg root-ro
cfg_sh 'touch /newfile 2>&1; echo rc=$?'
ctr_run
like "$OUT" "Read-only file system" "root.readonly: writing to / fails with EROFS"
like "$OUT" "rc=1" "root.readonly: the write fails"

cfg tmpfs
cfg_set '.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs",
	options: ["nosuid", "nodev", "noexec", "size=1m", "mode=1770"]}]'
cfg_sh 'grep " /scratch " /proc/self/mountinfo; stat -c %a /scratch; touch /scratch/f && echo written'
ctr_run
line=$(printf '%s\n' "$OUT" | head -1)
like "$line" " /scratch [^ ]*nosuid,nodev,noexec" "tmpfs: nosuid,nodev,noexec in mountinfo"
like "$line" " - tmpfs tmpfs .*size=1024k" "tmpfs: size=1m in the superblock options"
if [ "$RT_NAME" = runc ]; then
	skip "tmpfs: mode=1770" "runc 1.1 copies the mode of the directory it mounts over"
else
	is "$(printf '%s\n' "$OUT" | sed -n 2p)" 1770 "tmpfs: mode=1770"
fi
is "$(printf '%s\n' "$OUT" | sed -n 3p)" written "tmpfs: writable under a read-only root"

cfg bind
cfg_set '.mounts += [{destination: "/hostdir", type: "bind", source: $src,
	options: ["rbind", "ro", "nosuid"]}]' --arg src "$T/host"
cfg_sh 'cat /hostdir/file; grep " /hostdir " /proc/self/mountinfo; touch /hostdir/x 2>&1'
ctr_run
is "$(printf '%s\n' "$OUT" | head -1)" from-host "bind mount: the host directory is visible"
like "$(printf '%s\n' "$OUT" | sed -n 2p)" " /hostdir ro,nosuid" "bind mount: ro,nosuid in mountinfo"
like "$OUT" "Read-only file system" "bind mount: ro gives EROFS"
[ ! -e "$T/host/x" ]
check "bind mount: nothing was written to the host directory"

cfg masked
cfg_set '.linux.maskedPaths += ["/masked-file", "/masked-dir"]'
cfg_sh 'echo "[$(cat /masked-file)]"; ls -A /masked-dir | wc -l; echo "[$(cat /proc/kcore 2>/dev/null | head -c 4)]"'
ctr_run
is "$OUT" "[]
0
[]" "maskedPaths: a masked file reads empty, a masked directory is empty (and /proc/kcore)"
is "$(cat "$R/masked-file")" secret "maskedPaths: the file itself is untouched"

cfg missing-paths
cfg_set '.linux.maskedPaths += ["/no/such/masked"] | .linux.readonlyPaths += ["/no/such/ro"]'
ctr_run
is "$RC" 0 "masked and readonly paths that do not exist in the rootfs are skipped"

cfg nopivot
cfg_sh 'ls /bin/busybox; [ -e "'"$T"'" ] && echo host-visible; grep -c . /proc/self/mountinfo >/dev/null && echo proc-ok'
ctr_run --no-pivot
is "$RC" 0 "--no-pivot: runs"
is "$OUT" "/bin/busybox
proc-ok" "--no-pivot: the rootfs is / and the host's files are out of reach"

cfg readonly
cfg_set '.root.readonly = false | .linux.readonlyPaths += ["/ro-dir"]'
cfg_sh 'touch /ro-dir/x 2>&1; touch /rw-dir/x && echo rw-ok; (echo 1 > /proc/sys/kernel/domainname) 2>&1'
ctr_run
like "$(printf '%s\n' "$OUT" | head -1)" "Read-only file system" "readonlyPaths: /ro-dir gives EROFS"
like "$OUT" "rw-ok" "readonlyPaths: the rest of a writable root stays writable"
like "$(printf '%s\n' "$OUT" | tail -1)" "Read-only file system" "readonlyPaths: /proc/sys is read-only"
rm -f "$R/rw-dir/x"

cfg dev
cfg_sh 'for d in null zero full random urandom tty; do [ -c /dev/$d ] && printf "%s " $d; done; echo
	for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done
	echo x >/dev/null && echo null-ok; head -c 3 /dev/zero | od -An -tx1 | tr -d " "
	[ -d /dev/pts ] && [ -d /dev/shm ] && [ -d /dev/mqueue ] && echo dirs-ok
	grep -E " /dev (/dev )?" /proc/self/mountinfo | cut -d" " -f5 | sort | tr "\n" " "'
ctr_run
out_line() { printf '%s\n' "$OUT" | sed -n "$1p"; }
is "$(out_line 1)" "null zero full random urandom tty " "default /dev: the six character devices"
like "$(out_line 2)" "^(/dev/)?pts/ptmx$" "default /dev: ptmx -> pts/ptmx"
is "$(printf '%s\n' "$OUT" | sed -n 3,6p | tr '\n' ' ')" \
	"/proc/self/fd /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 " \
	"default /dev: fd, stdin, stdout, stderr links"
is "$(out_line 7)" null-ok "default /dev: /dev/null is writable"
is "$(out_line 8)" 000000 "default /dev: /dev/zero reads zeros"
is "$(out_line 9)" dirs-ok "default /dev: pts, shm and mqueue mounted"

cfg devices
cfg_set '.linux.devices = [{path: "/dev/kmsg-test", type: "c", major: 1, minor: 3,
	fileMode: 432, uid: 0, gid: 0}]'
cfg_sh 'stat -c "%F %t:%T %a" /dev/kmsg-test; echo x >/dev/kmsg-test && echo ok'
ctr_run
is "$OUT" "character special file 1:3 660
ok" "linux.devices: a device node with its type, numbers and mode"

cfg proc
cfg_sh 'grep -E " /(proc|sys) " /proc/self/mountinfo | cut -d" " -f5,6,9 | sort'
ctr_run
like "$(printf '%s\n' "$OUT" | head -1)" "^/proc rw,[^ ]* proc$" "proc is mounted at /proc"
like "$(printf '%s\n' "$OUT" | tail -1)" "^/sys ro,[^ ]* sysfs$" "sysfs is mounted read-only at /sys"

cfg propagation
cfg_set '.linux.rootfsPropagation = "private"'
cfg_sh 'awk "\$5 == \"/\" { print \$7 }" /proc/self/mountinfo'
ctr_run
is "$RC" 0 "rootfsPropagation private: runs"
unlike_shared=$(printf '%s\n' "$OUT" | grep -c shared)
is "$unlike_shared" 0 "rootfsPropagation private: / is not shared"

done_testing
