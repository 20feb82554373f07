# keel's QEMU harness (bash; source this file).  One guest at a time per
# shell: start it, wait for console lines, talk to it, shut it down from
# the host, check how it ended.  Every guest gets a work directory holding
#   console.log  everything the guest printed on its serial console
#   console.in   a FIFO: what is written there is typed on the console
#   mon.in/.out  the QEMU human monitor (pipe chardev; no socat needed)
#   qemu.cmd     the exact QEMU command line
# The console log is kept (in $KEEL_QEMU_LOGDIR) when a check fails.
#
#   kq_scenario NAME TOOL... a scenario's own run.sh starts here: skips
#                            (exit 77, with the reason) without keel, a
#                            TOOL, QEMU or the kernel; else kq_setup NAME
#   kq_setup NAME            work dir, kernel, cleanup trap
#   kq_image OUT ARGS...     initramfs/keel-mkimage with this kernel's modules
#   kq_start [opts] INITRD   boot: -m MEM, -smp N, -append ARGS, -disk FILE,
#                            -hostfwd RULE (user networking), -q ARG (raw qemu)
#   kq_wait REGEX [SECS]     the next console line (after the last match)
#                            matching the extended REGEX; 1 on timeout/exit
#   kq_wait_any REGEX [SECS] REGEX anywhere on the console (order-free)
#   kq_expect_file FILE      kq_wait every line of an expect file, in order
#   kq_send TEXT             type TEXT and a newline on the console
#   kq_mon CMD               a monitor command (sendkey ctrl-alt-delete, ...)
#   kq_wait_exit [SECS]      wait for QEMU to end; KQ_RC is its exit status
#   kq_ended_by REGEX        the console shows the guest ended that way
#   kq_stop                  kill QEMU if still running
#   kq_fail_log              keep the console log and print its tail
#
# Environment: KEEL_QEMU_KVM=1 tries KVM first (probed once, falls back to
# TCG when it cannot boot); KEEL_QEMU_TIMEOUT scales every timeout (a
# factor, default 1); KEEL_QEMU_LOGDIR (default build/test-logs);
# KEEL_QEMU_VERBOSE=1 copies the console to stderr as it arrives.

KQ_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KQ_TOP=$(cd "$KQ_LIB/../.." && pwd)
KQ_MKIMAGE=$KQ_TOP/initramfs/keel-mkimage
KQ_LINE=0
KQ_PID=
KQ_RC=
KQ_MATCH=

kq_now_ms() { date +%s%3N; }

kq_setup() {
	KQ_NAME=$1
	KQ_DIR=$(mktemp -d "${TMPDIR:-/tmp}/keel-qemu.$KQ_NAME.XXXXXX")
	KQ_LOGDIR=${KEEL_QEMU_LOGDIR:-$KQ_TOP/build/test-logs}
	trap 'kq_cleanup' EXIT
	command -v qemu-system-x86_64 >/dev/null || return 2
	KQ_KDIR=$("$KQ_TOP/tests-qemu/fetch-kernel.sh") || return 3
	KQ_KVER=$(cat "$KQ_KDIR/kver")
	kq_probe_accel
}

kq_skip() { # kq_skip REASON: this whole scenario cannot run here
	echo "1..0 # SKIP $*"
	exit 77
}

# kq_scenario NAME TOOL[:PACKAGE]...: $keel is $KEEL (else build/keel) and
# must be there, every TOOL on PATH (PACKAGE, when given, is named in the
# reason), then kq_setup NAME; KQ_DIR and TESTDIR (the folder of the
# run.sh that called it) are exported for the scenario's own scripts.
kq_scenario() {
	local name=$1 t tool
	shift
	keel=${KEEL:-$KQ_TOP/build/keel}
	[ -f "$keel" ] || kq_skip "keel binary $keel not built"
	for t in "$@"; do
		tool=${t%%:*}
		[ "$tool" = "$t" ] && t= || t=" (${t#*:})"
		command -v "$tool" >/dev/null || kq_skip "$tool not installed$t"
	done
	kq_setup "$name"
	case $? in
	0) ;;
	2) kq_skip "qemu-system-x86_64 not installed" ;;
	*) kq_skip "cannot fetch Debian's kernel" ;;
	esac
	TESTDIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
	export KQ_DIR TESTDIR
}

kq_cleanup() {
	kq_stop
	[ -n "${KEEL_QEMU_KEEP:-}" ] || rm -rf "$KQ_DIR"
}

# Boot-critical modules every keel image gets: virtio transport and the
# block, console and network drivers, ext4, and the ACPI power button with evdev (keel reads it).
KQ_MODULES="virtio_pci virtio_blk virtio_console virtio_net ext4 button evdev"

kq_image() {
	local out mods m
	out=$1; shift
	mods=
	for m in $KQ_MODULES; do mods="$mods --module $m"; done
	"$KQ_MKIMAGE" -o "$out" --kernel-dir "$KQ_KDIR" $mods "$@"
}

# tests-qemu/helpers/keel-test-helper.c as a static binary at $1.
kq_build_helper() {
	local src
	src=$KQ_TOP/tests-qemu/helpers/keel-test-helper.c
	if command -v musl-gcc >/dev/null; then
		musl-gcc -static -Os -o "$1" "$src"
	else
		${CC:-cc} -static -Os -o "$1" "$src"
	fi
}

kq_timeout() { # scale a timeout by KEEL_QEMU_TIMEOUT
	echo $(( ($1 * ${KEEL_QEMU_TIMEOUT:-1} * 100 + 99) / 100 ))
}

# KVM is used only where it demonstrably boots: a tiny guest must reach a
# kernel panic (no root) within 20 s; here it hangs (nested virtualisation).
# Probed once per machine and kernel: the answer is cached beside the kernel.
kq_probe_accel() {
	local cache
	KQ_ACCEL=tcg
	[ "${KEEL_QEMU_KVM:-0}" = 1 ] && [ -w /dev/kvm ] || return 0
	cache=$KQ_KDIR/kvm-probe.$(uname -r)
	if [ ! -f "$cache" ]; then
		if timeout 20 qemu-system-x86_64 -accel kvm -M pc -nodefaults -display none -no-reboot \
			-m 256 -kernel "$KQ_KDIR/vmlinux" -append "console=ttyS0 panic=-1 rdinit=/nonexistent" \
			-serial stdio </dev/null 2>/dev/null | grep -q -m1 'Kernel panic\|No working init'; then
			echo kvm >"$cache"
		else
			echo tcg >"$cache"
		fi
	fi
	KQ_ACCEL=$(cat "$cache")
	[ "$KQ_ACCEL" = kvm ] || echo "# KVM does not boot a guest here (cached in $cache); using TCG" >&2
}

kq_accel() { echo "$KQ_ACCEL"; }

kq_start() {
	local mem smp append extra disk_n initrd cpu
	mem=${KEEL_QEMU_MEM:-1024} smp=${KEEL_QEMU_SMP:-1} append= extra=() disk_n=0
	while [ $# -gt 1 ]; do
		case $1 in
		-m) mem=$2; shift 2 ;;
		-smp) smp=$2; shift 2 ;;
		-append) append="$append $2"; shift 2 ;;
		-disk)
			extra+=(-drive "file=$2,format=raw,if=none,id=disk$disk_n,cache=writeback"
				-device "virtio-blk-pci,drive=disk$disk_n,serial=keel$disk_n")
			disk_n=$((disk_n + 1)); shift 2 ;;
		-hostfwd)
			extra+=(-netdev "user,id=net0,hostfwd=$2" -device virtio-net-pci,netdev=net0)
			shift 2 ;;
		-q) extra+=("$2"); shift 2 ;;
		*) echo "kq_start: unknown option $1" >&2; return 2 ;;
		esac
	done
	initrd=$1
	if [ "$KQ_ACCEL" = kvm ]; then
		cpu=(-accel kvm -cpu host)
	else
		cpu=(-accel tcg,thread=multi -cpu max)
	fi
	rm -f "$KQ_DIR/console.in" "$KQ_DIR/mon.in" "$KQ_DIR/mon.out"
	mkfifo "$KQ_DIR/console.in" "$KQ_DIR/mon.in" "$KQ_DIR/mon.out"
	: >"$KQ_DIR/console.log"
	KQ_LINE=0
	# Held open read-write so QEMU never sees end of file on its stdin or
	# its monitor, and writers never block waiting for a reader.
	kq_stop
	exec {KQ_CONSOLE_FD}<>"$KQ_DIR/console.in"
	exec {KQ_MON_FD}<>"$KQ_DIR/mon.in"
	KQ_CMD=(qemu-system-x86_64 "${cpu[@]}" -M pc -m "$mem" -smp "$smp"
		-nodefaults -display none -no-reboot
		-chardev stdio,id=con,signal=off -serial chardev:con
		-chardev "pipe,id=mon,path=$KQ_DIR/mon" -mon chardev=mon,mode=readline
		-kernel "$KQ_KDIR/vmlinux" -initrd "$initrd"
		-append "console=ttyS0 panic=-1 $append${KEEL_QEMU_APPEND:+ $KEEL_QEMU_APPEND}"
		"${extra[@]}")
	printf '%q ' "${KQ_CMD[@]}" >"$KQ_DIR/qemu.cmd"
	echo >>"$KQ_DIR/qemu.cmd"
	# The monitor's replies: cat's open waits for QEMU's, and it ends at
	# QEMU's exit.  Nothing of this script's stdout or stderr is inherited,
	# so a pipeline reading this script's output never waits on it.
	cat "$KQ_DIR/mon.out" >"$KQ_DIR/mon.log" 2>/dev/null &
	KQ_MONCAT=$!
	KQ_T0=$(kq_now_ms)
	# Its own session: a ctrl-c on the terminal reaches this script (which
	# shuts the guest down cleanly), not QEMU.
	setsid "${KQ_CMD[@]}" <&"$KQ_CONSOLE_FD" >"$KQ_DIR/console.log" 2>&1 &
	KQ_PID=$!
	KQ_RC=
	if [ "${KEEL_QEMU_VERBOSE:-0}" = 1 ]; then
		tail -n +1 -f --pid="$KQ_PID" "$KQ_DIR/console.log" 2>/dev/null | tr -d '\r' >&2 &
	fi
}

kq_running() { [ -n "$KQ_PID" ] && kill -0 "$KQ_PID" 2>/dev/null; }

# The console without carriage returns, from line $1 on.
kq_console_from() { tail -n "+$1" "$KQ_DIR/console.log" | tr -d '\r'; }

kq_wait() {
	local re t deadline alive hit
	re=$1
	t=$(kq_timeout "${2:-60}")
	deadline=$(( $(kq_now_ms) + t * 1000 ))
	while :; do
		alive=0
		kq_running && alive=1
		hit=$(kq_console_from $((KQ_LINE + 1)) | grep -n -m1 -E -- "$re") || hit=
		if [ -n "$hit" ]; then
			KQ_LINE=$((KQ_LINE + ${hit%%:*}))
			KQ_MATCH=${hit#*:}
			return 0
		fi
		if [ "$alive" = 0 ]; then
			echo "# QEMU ended before a console line matched /$re/" >&2
			return 1
		fi
		if [ "$(kq_now_ms)" -ge "$deadline" ]; then
			echo "# timed out after ${t}s waiting for /$re/" >&2
			return 1
		fi
		sleep 0.1
	done
}

# Wait until REGEX appears anywhere on the console, without moving the
# cursor kq_wait uses: for lines whose order relative to others is not
# defined (a container's output against keel's status lines).
kq_wait_any() {
	local re=$1 t deadline
	t=$(kq_timeout "${2:-60}")
	deadline=$(( $(kq_now_ms) + t * 1000 ))
	while ! kq_console_from 1 | grep -qE -- "$re"; do
		if ! kq_running; then
			kq_console_from 1 | grep -qE -- "$re" && return 0
			echo "# QEMU ended before /$re/ appeared" >&2
			return 1
		fi
		if [ "$(kq_now_ms)" -ge "$deadline" ]; then
			echo "# timed out after ${t}s waiting for /$re/ anywhere" >&2
			return 1
		fi
		sleep 0.1
	done
}

# An expect file (tests-qemu/README.md): one directive per line, run in
# order; a plain line is an extended regex the next console lines must
# match.  Prints one TAP line per check, numbered from KQ_CHECKS.
KQ_CHECKS=0
kq_tap() { # kq_tap OK|"not ok" DESCRIPTION
	KQ_CHECKS=$((KQ_CHECKS + 1))
	echo "$1 $KQ_CHECKS - $2"
}

kq_expect_file() {
	local ef tmo n bad line where cmd out re m forbid
	ef=$1 tmo=60 n=0 bad=0
	forbid=('Kernel panic')
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		where="${ef##*/}:$n"
		case $line in
		'' | '#'*) continue ;;
		'timeout '*) tmo=${line#timeout }; continue ;;
		'!'*) forbid+=("${line#!}"); continue ;;
		ctrl-alt-delete) kq_mon "sendkey ctrl-alt-delete"; continue ;;
		'monitor '*) kq_mon "${line#monitor }"; continue ;;
		'send '*) kq_send "${line#send }"; continue ;;
		'sleep '*) sleep "${line#sleep }"; continue ;;
		'any '*)
			if kq_wait_any "${line#any }" "$tmo"; then
				kq_tap ok "$where anywhere /${line#any }/"
			else
				kq_tap "not ok" "$where anywhere /${line#any }/"
				bad=1
			fi
			continue ;;
		'host '*)
			cmd=${line#host }
			# $CONSOLE: the console so far, without carriage returns.
			kq_console_from 1 >"$KQ_DIR/console.txt"
			export CONSOLE=$KQ_DIR/console.txt
			if out=$(cd "${TESTDIR:-.}" && timeout "$(kq_timeout "$tmo")" bash -c "$cmd" 2>&1); then
				kq_tap ok "$where host: $cmd"
			else
				kq_tap "not ok" "$where host: $cmd"
				printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
				bad=1
			fi
			continue ;;
		exit)
			if kq_wait_exit "$tmo"; then
				kq_tap ok "$where QEMU exited (status $KQ_RC) after $((KQ_ELAPSED / 1000)).$((KQ_ELAPSED % 1000 / 100)) s"
			else
				kq_tap "not ok" "$where QEMU did not exit within ${tmo}s"
				bad=1
				break
			fi
			continue ;;
		esac
		if kq_wait "$line" "$tmo"; then
			kq_tap ok "$where /$line/"
		else
			kq_tap "not ok" "$where /$line/"
			bad=1
			break
		fi
	done <"$ef"
	for re in "${forbid[@]}"; do
		if m=$(kq_console_from 1 | grep -m1 -E -- "$re"); then
			kq_tap "not ok" "console never shows /$re/"
			echo "#   got: $m"
			bad=1
		else
			kq_tap ok "console never shows /$re/"
		fi
	done
	return $bad
}

kq_send() { printf '%s\n' "$1" >&"$KQ_CONSOLE_FD"; }

kq_mon() { printf '%s\n' "$1" >&"$KQ_MON_FD"; }

kq_wait_exit() {
	local t deadline
	t=$(kq_timeout "${1:-60}")
	deadline=$(( $(kq_now_ms) + t * 1000 ))
	while kq_running; do
		[ "$(kq_now_ms)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
	KQ_RC=0
	wait "$KQ_PID" || KQ_RC=$?
	KQ_PID=
	KQ_ELAPSED=$(( $(kq_now_ms) - KQ_T0 ))
	return 0
}

# How the kernel itself said it ended: "reboot: Power down",
# "reboot: Restarting system", "Kernel panic".
kq_ended_by() { kq_console_from 1 | grep -qE -- "$1"; }

kq_stop() {
	if kq_running; then
		kill "$KQ_PID" 2>/dev/null
		sleep 0.2
		kq_running && kill -9 "$KQ_PID" 2>/dev/null
		wait "$KQ_PID" 2>/dev/null
	fi
	KQ_PID=
	if [ -n "${KQ_MONCAT:-}" ]; then
		kill "$KQ_MONCAT" 2>/dev/null
		wait "$KQ_MONCAT" 2>/dev/null
		KQ_MONCAT=
	fi
	[ -z "${KQ_CONSOLE_FD:-}" ] || exec {KQ_CONSOLE_FD}>&-
	[ -z "${KQ_MON_FD:-}" ] || exec {KQ_MON_FD}>&-
	KQ_CONSOLE_FD= KQ_MON_FD=
}

kq_fail_log() {
	local keep
	mkdir -p "$KQ_LOGDIR"
	keep=$KQ_LOGDIR/qemu-$KQ_NAME.console.log
	tr -d '\r' <"$KQ_DIR/console.log" >"$keep"
	echo "# console log kept in $keep; its last lines:"
	tail -n 25 "$keep" | sed 's/^/#   /'
}
