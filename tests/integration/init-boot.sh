#!/bin/sh
# keel as the machine's PID 1 for real: an initramfs with keel as /init
# boots Debian's kernel under QEMU (TCG).  keel leaves the initramfs
# (a bind of it moved onto / + chroot: init/switchroot.c), mounts the world, sets up cgroup2
# with keel/containers/NAME, reads keel.* from the kernel command line,
# starts containers in order, and on ctrl-alt-delete (SIGINT once CAD is
# disabled) stops them in reverse order and reboots, which ends QEMU
# (-no-reboot).  Skips without qemu or a kernel (tests-qemu/fetch-kernel.sh
# caches one; KEEL_VMLINUX=PATH names another).
. "$(dirname "$0")/../lib/tap.sh"

: "${KEEL:?}"
command -v qemu-system-x86_64 >/dev/null || skip_all "no qemu-system-x86_64"
command -v cpio >/dev/null || skip_all "no cpio"
VMLINUX=${KEEL_VMLINUX:-${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}/kernel/current/vmlinux}
[ -f "$VMLINUX" ] || skip_all "no kernel at $VMLINUX (run tests-qemu/fetch-kernel.sh)"
file -L /bin/busybox | grep -q 'statically linked' || skip_all "needs busybox-static"

T=$(mktemp -d /tmp/keel-init-boot.XXXXXX)
QPID= MONCAT=
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null
	# the monitor's reader never sees EOF (fd 9 is read-write): it would
	# outlive the test and hold the caller's stderr open
	[ -n "$MONCAT" ] && kill "$MONCAT" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' INT TERM PIPE

I=$T/initramfs
mkdir -p "$I/dev" "$I/containers.d" "$I/shared/bin" "$I/shared/proc" "$I/shared/dev"
cp "$KEEL" "$I/init"
if ! file -L "$KEEL" | grep -q 'statically linked'; then
	for lib in $(ldd "$KEEL" | grep -o '/[^ ]*'); do
		mkdir -p "$I$(dirname "$lib")"
		cp -L "$lib" "$I$lib"
	done
fi
mknod -m 600 "$I/dev/console" c 5 1
cp /bin/busybox "$I/shared/bin/busybox"
for a in $(/bin/busybox --list); do [ -e "$I/shared/bin/$a" ] || ln -s busybox "$I/shared/bin/$a"; done

entry() { # NAME CMD POLICY
	mkdir -p "$I/containers.d/$1"
	cat >"$I/containers.d/$1/config.json" <<JSON
{"ociVersion": "1.0.2",
 "process": {"user": {"uid": 0, "gid": 0}, "args": ["/bin/sh", "-c", "$2"], "env": ["PATH=/bin"], "cwd": "/"},
 "root": {"path": "/shared", "readonly": true},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}]}}
JSON
	echo "$3" >"$I/containers.d/$1/keel.json"
}
entry setup 'echo setup-ran; sleep 0.5' '{"kind": "oneshot"}'
entry svc 'echo svc cgroup $(cat /proc/self/cgroup) host $(hostname); mount | grep \" / \"; trap \"echo svc-term; exit 0\" TERM; while :; do sleep 0.1; done' \
	'{"requires": ["setup"]}'
entry tail 'echo tail-up; trap \"exit 0\" TERM; while :; do sleep 0.1; done' '{"requires": ["svc"]}'
entry skipme 'echo should-not-run' '{}'
(cd "$I" && find . | sort | cpio -o -H newc --quiet | gzip -1) >"$T/initrd.gz"

mkfifo "$T/mon.in" "$T/mon.out"
qemu-system-x86_64 -M pc -cpu max -m 512 -nographic -no-reboot -kernel "$VMLINUX" -initrd "$T/initrd.gz" \
	-append "console=ttyS0 panic=-1 no_timer_check quiet keel.skip=skipme keel.hostname=testbox keel.bogus" \
	-serial "file:$T/console.log" -chardev pipe,id=mon,path="$T/mon" -mon chardev=mon,mode=readline \
	-display none >"$T/qemu.log" 2>&1 &
QPID=$!
# read-write: a write never blocks or raises SIGPIPE, even once QEMU is gone
exec 8<>"$T/mon.in" 9<>"$T/mon.out"
cat <&9 >/dev/null &
MONCAT=$!

wait_for() { # PATTERN SECONDS
	n=$(($2 * 10))
	while [ "$n" -gt 0 ]; do
		grep -qE -- "$1" "$T/console.log" 2>/dev/null && return 0
		kill -0 "$QPID" 2>/dev/null || return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

wait_for 'Startup finished' 120
check "booted to all containers started"
wait_for 'svc \| rootfs on /' 30
log=$(tr -d '\r' <"$T/console.log" | sed 's/\x1b\[[0-9;]*m//g')
like "$log" "keel .* starting as the machine's init \(pid 1\)" "PID 1 in boot mode"
like "$log" "kernel command line: ignoring keel.bogus" "unknown keel.* option reported, not fatal"
like "$log" 'svc \| svc cgroup 0::/keel/containers/svc host testbox' "cgroup keel/containers/NAME; keel.hostname applied"
like "$log" 'svc \| rootfs on / type rootfs \(ro' "container's root: its bind of the initramfs, read-only"
s=$(printf '%s\n' "$log" | grep -n 'Finished setup' | cut -d: -f1)
v=$(printf '%s\n' "$log" | grep -n 'Started svc' | cut -d: -f1)
[ -n "$s" ] && [ -n "$v" ] && [ "$v" -gt "$s" ]
check "order: setup finished before svc started"
printf '%s\n' "$log" | grep -q should-not-run
[ $? != 0 ]
check "keel.skip=skipme honoured"

sleep 1 # let svc install its TERM trap
echo "sendkey ctrl-alt-delete" >&8
n=600
while [ "$n" -gt 0 ] && kill -0 "$QPID" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
wait "$QPID"
is "$?" 0 "ctrl-alt-delete: QEMU ended by the guest's reboot"
QPID=
log=$(tr -d '\r' <"$T/console.log" | sed 's/\x1b\[[0-9;]*m//g')
like "$log" 'SIGINT \(ctrl-alt-del\): stopping all containers to reboot' "SIGINT means reboot"
t=$(printf '%s\n' "$log" | grep -n 'Stopping tail' | cut -d: -f1)
v=$(printf '%s\n' "$log" | grep -n 'Stopping svc' | cut -d: -f1)
[ -n "$t" ] && [ -n "$v" ] && [ "$v" -gt "$t" ]
check "reverse order: tail before svc"
like "$log" 'svc \| svc-term' "svc got its stop signal"
like "$log" 'Reached the end: reboot' "file systems unmounted, reboot(2) called"
like "$log" 'reboot: Restarting system' "the kernel rebooted"
if [ "$_tap_failed" != 0 ]; then sed 's/^/# /' "$T/console.log"; fi

# ---- an essential container fails: emergency shell, then power off -----
rm -rf "$I/containers.d"
entry vital 'echo vital-dies; exit 1' '{"essential": true}'
entry bystander 'trap \"exit 0\" TERM; while :; do sleep 0.1; done' '{}'
printf '#!/shared/bin/sh\necho "rescue shell ran as $$ on $(/shared/bin/tty)"\n' >"$I/rescue"
chmod 755 "$I/rescue"
(cd "$I" && find . | sort | cpio -o -H newc --quiet | gzip -1) >"$T/initrd.gz"
: >"$T/console.log"
qemu-system-x86_64 -M pc -cpu max -m 512 -nographic -no-reboot -kernel "$VMLINUX" -initrd "$T/initrd.gz" \
	-append "console=ttyS0 panic=-1 no_timer_check quiet keel.shell=/rescue" -serial "file:$T/console.log" \
	-display none -monitor none >"$T/qemu.log" 2>&1 &
QPID=$!
n=1200
while [ "$n" -gt 0 ] && kill -0 "$QPID" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
wait "$QPID"
is "$?" 0 "essential failure: the machine powered off by itself"
QPID=
log=$(tr -d '\r' <"$T/console.log" | sed 's/\x1b\[[0-9;]*m//g')
like "$log" 'vital is essential: its failure ends the boot; starting emergency shell /rescue' \
	"the emergency shell was started"
like "$log" 'rescue shell ran as [0-9]+ on /dev/console' "on the console"
like "$log" 'emergency shell exited: stopping all containers to power off' "its exit powers off"
like "$log" 'Stopped bystander' "the other containers were stopped"
like "$log" 'reboot: Power down' "the kernel powered off"
if [ "$_tap_failed" != 0 ]; then sed 's/^/# /' "$T/console.log"; fi

# ---- the example containers.d: network oneshot, httpd, checker --------
E1000=$(find "$(dirname "$VMLINUX")/" -name e1000.ko 2>/dev/null | head -1)
if [ -z "$E1000" ] || ! command -v curl >/dev/null; then
	skip "the example containers.d answers from the host" "no e1000.ko next to $VMLINUX, or no curl"
	done_testing
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$I/containers.d" "$I/shared" "$I/rescue"
cp -R "$top/containers.d" "$I/containers.d"
"$I/containers.d/build-rootfs.sh" "$I/containers.d" >/dev/null
mkdir -p "$I/lib/modules" "$I/etc/keel"
cp "$E1000" "$I/lib/modules/e1000.ko"
printf '# modules (initramfs/README.md)\n/lib/modules/e1000.ko\n' >"$I/etc/keel/modules"
(cd "$I" && find . | sort | cpio -o -H newc --quiet | gzip -1) >"$T/initrd.gz"
port=$((20000 + $$ % 20000))
: >"$T/console.log"
qemu-system-x86_64 -M pc -cpu max -m 512 -nographic -no-reboot -kernel "$VMLINUX" -initrd "$T/initrd.gz" \
	-append "console=ttyS0 panic=-1 no_timer_check quiet" -nic "user,model=e1000,hostfwd=tcp:127.0.0.1:$port-:80" \
	-serial "file:$T/console.log" -chardev pipe,id=mon,path="$T/mon" -mon chardev=mon,mode=readline \
	-display none >"$T/qemu.log" 2>&1 &
QPID=$!
wait_for 'Startup finished' 120
check "example machine booted"
log=$(tr -d '\r' <"$T/console.log" | sed 's/\x1b\[[0-9;]*m//g')
like "$log" 'Loaded 1 kernel modules' "modules from /etc/keel/modules loaded"
like "$log" 'net \| eth0 up: 10.0.2.15/24, default via 10.0.2.2' "net oneshot configured eth0"
like "$log" 'check \| check: web answered "Hello from keel"' "checker fetched the page"
like "$log" '1 ready, 2 done, 0 failed' "all three entries up"
like "$(curl -s -m 10 "http://127.0.0.1:$port/")" '<h1>Hello from keel</h1>' "httpd answers from the host"
echo "sendkey ctrl-alt-delete" >&8
n=600
while [ "$n" -gt 0 ] && kill -0 "$QPID" 2>/dev/null; do sleep 0.1; n=$((n - 1)); done
wait "$QPID"
is "$?" 0 "clean reboot"
QPID=
like "$(tr -d '\r' <"$T/console.log" | sed 's/\x1b\[[0-9;]*m//g')" 'Stopped web \(exited with status 0\)' \
	"web stopped by its SIGTERM, not killed"
if [ "$_tap_failed" != 0 ]; then sed 's/^/# /' "$T/console.log"; fi
done_testing
