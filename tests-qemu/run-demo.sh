#!/bin/bash
# `make run`: build an initramfs from a containers.d, boot it under keel in
# QEMU with user networking and a host port forward, show the boot log,
# show the service answering from the host, and stop cleanly on ctrl-c or
# after a demo timeout.
#
# usage: run-demo.sh [--keel FILE] [--ci] [CONTAINERS_D]
#   --ci                 non-interactive: shut down as soon as the service
#                        answered; exit status says whether it did
#   KEEL_DEMO_TIMEOUT    seconds to keep the guest up after it answered
#                        (default 60; 0 = stop at once)
#   KEEL_DEMO_PORT       host port forwarded to the guest's port 80 (8080)
#   KEEL_DEMO_PATH       URL path to fetch (default /)
#   KEEL_DEMO_WAIT       seconds to wait for the service (default 120)
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/harness.sh"

keel=$KQ_TOP/build/keel cdir=$KQ_TOP/containers.d ci=0
while [ $# -gt 0 ]; do
	case $1 in
	--keel) keel=$2; shift 2 ;;
	--ci) ci=1; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) cdir=$1; shift ;;
	esac
done
[ -t 0 ] || ci=1
[ -n "${CI:-}" ] && ci=1
port=${KEEL_DEMO_PORT:-8080}
linger=${KEEL_DEMO_TIMEOUT:-60}
[ "$ci" = 1 ] && linger=${KEEL_DEMO_TIMEOUT:-0}
url=http://127.0.0.1:$port${KEEL_DEMO_PATH:-/}

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ -f "$keel" ] || die "no keel binary at $keel (make builds it)"
[ -d "$cdir" ] || die "no containers.d at $cdir"
for t in qemu-system-x86_64 cpio zstd depmod curl; do
	command -v "$t" >/dev/null || die "$t is missing: deps/packages.sh installs it"
done
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
	die "port $port is taken on this host; set KEEL_DEMO_PORT"
fi

say "fetching Debian's kernel (cached after the first time)"
kq_setup demo || die "cannot fetch the kernel (apt-get download linux-image-amd64)"
say "kernel $KQ_KVER; building the initramfs from $cdir"
img=$KQ_TOP/build/demo.img
mkdir -p "$(dirname "$img")"
kq_image "$img" --init "$keel" --containers "$cdir" --busybox-rootfs ||
	die "keel-mkimage failed"
say "image $img: $(stat -c %s "$img") bytes; booting (TCG: a few seconds)"

# The console is shown by this script itself, whole lines at a time, so
# its own messages never land in the middle of a console line.
shown=0
show_console() {
	local total
	total=$(wc -l <"$KQ_DIR/console.log")
	[ "$total" -gt "$shown" ] || return 0
	sed -n "$((shown + 1)),${total}p" "$KQ_DIR/console.log" | tr -d '\r' >&2
	shown=$total
}
pause() { sleep 0.3; show_console; }

stopping=0
shutdown_guest() {
	[ "$stopping" = 0 ] || return 0
	stopping=1
	kq_running || return 0
	say "shutting down: ctrl-alt-delete to keel (SIGINT: stop all containers, then reboot)"
	kq_mon "sendkey ctrl-alt-delete"
	local end=$(( $(date +%s) + 30 ))
	while kq_running && [ "$(date +%s)" -lt "$end" ]; do
		pause
	done
	show_console
	if ! kq_wait_exit 1; then
		say "guest did not stop in 30 s; killing QEMU"
		kq_stop
		return 1
	fi
	say "QEMU exited cleanly"
}
trap 'echo >&2; shutdown_guest; exit 130' INT TERM

kq_start -hostfwd "tcp:127.0.0.1:$port-:80" "$img"
say "serial console follows; ctrl-c stops the guest cleanly"

wait_s=${KEEL_DEMO_WAIT:-120}
deadline=$(( $(date +%s) + wait_s ))
answered=0
while kq_running && [ "$(date +%s)" -lt "$deadline" ]; do
	show_console
	if body=$(curl -fsS --max-time 2 "$url" 2>/dev/null); then
		answered=1
		break
	fi
	pause
done
pause
if [ "$answered" = 1 ]; then
	say "the service answers from the host: curl $url"
	printf '%s\n' "$body" | head -n 20 >&2
else
	say "no answer from $url within ${wait_s}s"
fi

if [ "$answered" = 1 ] && [ "$linger" -gt 0 ] && kq_running; then
	say "guest stays up for ${linger}s (KEEL_DEMO_TIMEOUT); ctrl-c stops it sooner"
	end=$(( $(date +%s) + linger ))
	while kq_running && [ "$(date +%s)" -lt "$end" ]; do
		pause
	done
fi
shutdown_guest || answered=0
kq_ended_by 'reboot: (Restarting system|Power down)' || { say "the guest did not end cleanly"; answered=0; }
[ "$answered" = 1 ]
