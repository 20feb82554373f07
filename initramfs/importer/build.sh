#!/bin/sh
# build.sh: the importer bundle (config.json + rootfs/) that keel starts
# for `keelctl update NAME SRC` when SRC is an image (docs/deployments.md,
# "Importing an image on the node").  keel-mkimage --importer puts it at
# /usr/lib/keel/importer; tests build it anywhere.
#
#   initramfs/importer/build.sh [--busybox FILE] [--max-file BYTES]
#                               [--max-size BYTES] [--memory BYTES]
#                               [--epoch SECONDS] DIR
#
# From Debian's packaged binaries: busybox-static, jq, umoci, zstd (for
# zstd layers), with the shared libraries ldd names for them at the same
# paths (Debian builds them dynamically), and keel-import's scripts.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox max_file=4294967296 max_size=8589934592 memory=1073741824 epoch=${SOURCE_DATE_EPOCH:-0}
die() { echo "importer/build.sh: $*" >&2; exit 1; }
while [ $# -gt 1 ]; do
	case $1 in
	--busybox) busybox=$2; shift 2 ;;
	--max-file) max_file=$2; shift 2 ;;
	--max-size) max_size=$2; shift 2 ;;
	--memory) memory=$2; shift 2 ;;
	--epoch) epoch=$2; shift 2 ;;
	*) die "unknown argument \`$1\`" ;;
	esac
done
[ $# = 1 ] || die "usage: build.sh [--busybox FILE] [--max-file BYTES] [--max-size BYTES] [--memory BYTES] [--epoch SECONDS] DIR"
out=$1
for n in "$max_file" "$max_size" "$memory" "$epoch"; do
	case $n in '' | *[!0-9]*) die "\`$n\`: expected a number" ;; esac
done
[ -x "$busybox" ] || die "no busybox at $busybox (apt-get install busybox-static)"
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not statically linked (Debian's busybox-static is)"
for t in jq umoci; do
	command -v "$t" >/dev/null || die "\`$t\` is needed in the importer (apt-get install $t)"
done
[ ! -e "$out" ] || die "$out exists"

r=$out/rootfs
mkdir -p "$r"
for d in bin sbin usr/bin usr/sbin usr/lib/keel-import etc proc sys dev tmp src work; do
	mkdir -p "$r/$d"
done
cp "$busybox" "$r/bin/busybox"
"$busybox" --list-full | while IFS= read -r app; do
	[ "$app" = bin/busybox ] || [ -e "$r/$app" ] || ln -s /bin/busybox "$r/$app"
done
# A binary and the libraries it loads (nothing more for a static one).
with_libs() {
	rm -f "$r/usr/bin/$(basename "$1")"
	cp "$1" "$r/usr/bin/"
	ldd "$1" 2>/dev/null | grep -o '/[^ ]*' | while IFS= read -r lib; do
		[ -e "$r$lib" ] && continue
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
}
with_libs "$(command -v jq)"
with_libs "$(command -v umoci)"
# busybox has no zstd; Debian's, when there, unpacks zstd layers.
! command -v zstd >/dev/null || with_libs "$(command -v zstd)"
cp -R "$here/../import/keel-import" "$here/../import/lib" "$here/../import/jq" "$r/usr/lib/keel-import/"
cp "$here/keel-import-job" "$r/usr/bin/keel-import-job"
: >"$r/src.tar" # the mount point of an archive (a file)
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"

# The container: a read-only root; no network (a namespace of its own
# with only lo); six capabilities, the ones unpacking a rootfs as its
# owners made it needs (owners, modes, set-id bits, device nodes, file
# capabilities); no new privileges; bounded memory, processes and size of
# any one file it writes (RLIMIT_FSIZE: a layer's huge file fails the
# import); keel-import refuses layers larger than max_size in all
# (KEEL_IMPORT_MAX_BYTES) before it unpacks them.  A seccomp filter
# refuses what unpacking never needs and a kernel exploit would: new
# namespaces (unshare, setns, clone with a CLONE_NEW* flag; clone3 says
# ENOSYS so the C libraries use clone), mounts, keyrings, bpf, perf,
# userfaultfd, ptrace, io_uring, modules, kexec, clocks, reboot.  /src or /src.tar (the
# image, read-only) and /work (its work directory in containers.d) are
# added by keel for each job (init/importjob.c).
caps='"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_MKNOD", "CAP_SETFCAP"'
cat >"$out/config.json" <<JSON
{
  "ociVersion": "1.0.2",
  "process": {
    "user": {"uid": 0, "gid": 0},
    "args": ["/usr/bin/keel-import-job"],
    "env": ["PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/tmp", "TMPDIR=/tmp", "KEEL_IMPORT_MAX_BYTES=$max_size"],
    "cwd": "/work",
    "capabilities": {"bounding": [$caps], "effective": [$caps], "permitted": [$caps]},
    "rlimits": [
      {"type": "RLIMIT_FSIZE", "hard": $max_file, "soft": $max_file},
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 4096},
      {"type": "RLIMIT_CORE", "hard": 0, "soft": 0}
    ],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "keel-import",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "noexec", "mode=755", "size=64k"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "mode=1777", "size=65536k"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}, {"type": "network"}, {"type": "cgroup"}],
    "resources": {"memory": {"limit": $memory}, "pids": {"limit": 256}, "devices": [{"allow": false, "access": "rwm"}]},
    "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [
      {"names": ["unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "fsopen", "fsmount", "fsconfig", "fspick", "move_mount", "open_tree", "mount_setattr", "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "ptrace", "process_vm_readv", "process_vm_writev", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff", "reboot", "syslog", "acct", "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "iopl", "ioperm", "quotactl", "io_uring_setup", "io_uring_enter", "io_uring_register", "personality"],
       "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
      {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
      {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 131072, "valueTwo": 131072, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 33554432, "valueTwo": 33554432, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 67108864, "valueTwo": 67108864, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 134217728, "valueTwo": 134217728, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 536870912, "valueTwo": 536870912, "op": "SCMP_CMP_MASKED_EQ"}]},
      {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": 1073741824, "valueTwo": 1073741824, "op": "SCMP_CMP_MASKED_EQ"}]}
      ]
    }
  }
}
JSON
# Same inputs, same bytes (keel-mkimage normalises modes and times again).
chmod -R u+rwX,go+rX,go-w "$out"
find "$out" -exec touch -h -d "@$epoch" {} +
