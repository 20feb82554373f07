# Helpers for the init-*.sh integration tests (sourced, not run): a shared
# busybox rootfs, containers.d entries, keel init as PID 1 of a new PID
# namespace, and cleanup of everything they made.
. "$(dirname "$0")/../lib/tap.sh"

: "${KEEL:?KEEL must name the keel binary under test}"
[ "$(id -u)" = 0 ] || skip_all "needs root"
command -v unshare >/dev/null || skip_all "no unshare(1)"
BUSYBOX=${BUSYBOX:-/bin/busybox}
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	skip_all "needs a static busybox (busybox-static) at $BUSYBOX"
unshare --pid --fork --mount-proc true 2>/dev/null || skip_all "cannot unshare a PID namespace here"
CGMNT=$( [ -d /sys/fs/cgroup/unified ] && echo /sys/fs/cgroup/unified || echo /sys/fs/cgroup )
[ -f "$CGMNT/cgroup.procs" ] || skip_all "no cgroup v2 hierarchy mounted"

T=$(mktemp -d /tmp/keel-init-test.XXXXXX)
D=$T/containers.d
ROOTFS=$T/rootfs
CGROOT=keel-test-$$
KPID=
UPID=
mkdir -p "$D" "$T/state" "$T/run"

cleanup() {
	# a test's own extra cleanup (a device it made, ...)
	[ -z "${EXTRA_CLEANUP:-}" ] || eval "$EXTRA_CLEANUP"
	if [ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null; then
		kill -KILL "$KPID" 2>/dev/null
	fi
	[ -n "$UPID" ] && wait "$UPID" 2>/dev/null
	# cgroups the runtime made for our containers (deepest first), in the
	# unified hierarchy and, on a hybrid host, in every v1 one too
	for _cg in "$CGMNT/$CGROOT" /sys/fs/cgroup/*/"$CGROOT"; do
		[ -d "$_cg" ] && find "$_cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# The rootfs every entry shares (read-only): busybox and its applets.
make_rootfs() {
	mkdir -p "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/tmp" "$ROOTFS/etc" \
		"$ROOTFS/run" "$ROOTFS/sys"
	cp "$BUSYBOX" "$ROOTFS/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ -e "$ROOTFS/bin/$a" ] || ln -s busybox "$ROOTFS/bin/$a"
	done
	echo 'root:x:0:0:root:/:/bin/sh' >"$ROOTFS/etc/passwd"
	echo 'root:x:0:' >"$ROOTFS/etc/group"
}

# Put keel into the rootfs as keelctl (for `keelctl notify`), with its
# shared libraries when it is not static.
rootfs_add_keelctl() {
	cp "$KEEL" "$ROOTFS/bin/keelctl"
	if ! file -L "$KEEL" | grep -q 'statically linked'; then
		for lib in $(ldd "$KEEL" | grep -o '/[^ ]*'); do
			mkdir -p "$ROOTFS$(dirname "$lib")"
			cp -L "$lib" "$ROOTFS$lib"
		done
	fi
}

# entry NAME 'SHELL COMMAND' ['KEEL.JSON'] [pid-namespace: yes|no] ['"key": value' added to config.json]
entry() {
	name=$1 cmd=$2 policy=${3:-} pidns=${4:-yes} extra=${5:-}
	mkdir -p "$D/$name"
	ns='{"type":"mount"},{"type":"ipc"},{"type":"uts"}'
	[ "$pidns" = yes ] && ns="{\"type\":\"pid\"},$ns"
	esc=$(printf '%s' "$cmd" | sed 's/\\/\\\\/g; s/"/\\"/g')
	cat >"$D/$name/config.json" <<JSON
{
  "ociVersion": "1.0.2",
  "process": {
    "user": {"uid": 0, "gid": 0},
    "args": ["/bin/sh", "-c", "$esc"],
    "env": ["PATH=/bin", "NAME=$name"],
    "cwd": "/"
  },
  "root": {"path": "$ROOTFS", "readonly": true},
  "hostname": "$name",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "mode=755"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"},
    {"destination": "/run", "type": "tmpfs", "source": "tmpfs"}
  ],
  "linux": {"namespaces": [$ns]}${extra:+,
  $extra}
}
JSON
	[ -n "$policy" ] && printf '%s\n' "$policy" >"$D/$name/keel.json"
	return 0
}

# Start keel init as PID 1 of a new PID (and mount) namespace ($KEEL_WRAP:
# a command to run it under, e.g. prlimit --nofile=128:4096).
start_keel() {
	${KEEL_WRAP:-} unshare --pid --fork --mount-proc "$KEEL" init --no-boot --dir "$D" --root "$T/run" \
		--state "$T/state" --cgroup-root "$CGROOT" --console "${CONSOLE:-$T/console.log}" "$@" \
		>"$T/stdout.log" 2>&1 &
	UPID=$!
	for _ in $(seq 50); do
		KPID=$(cat "/proc/$UPID/task/$UPID/children" 2>/dev/null | awk '{print $1}')
		[ -n "$KPID" ] && break
		sleep 0.1
	done
}

# wait_for PATTERN [SECONDS]: until the console log has a matching line.
wait_for() {
	n=$(( ${2:-10} * 10 ))
	while [ "$n" -gt 0 ]; do
		grep -qE -- "$1" "$T/console.log" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "# timed out waiting for: $1"
	return 1
}

# wait_count PATTERN N [SECONDS]: until N console lines match.
wait_count() {
	n=$(( ${3:-10} * 10 ))
	while [ "$n" -gt 0 ]; do
		[ "$(grep -cE -- "$1" "$T/console.log")" -ge "$2" ] && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# Stop keel with SIGTERM and wait (30 s at most) for it to exit; its exit
# status (through unshare) lands in $RC.
stop_keel() {
	kill -TERM "$KPID"
	n=300
	while [ "$n" -gt 0 ] && kill -0 "$KPID" 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	wait "$UPID"
	RC=$?
	UPID=
}

# Line number of the first console line matching PATTERN (0 if none).
line_of() {
	grep -nE -- "$1" "$T/console.log" | head -1 | cut -d: -f1 | grep . || echo 0
}

ctl() {
	"$KEEL" ctl --socket "$T/state/keel.sock" "$@"
}

show_log_on_failure() {
	if [ "$_tap_failed" != 0 ]; then
		echo "# ---- console.log"
		sed 's/^/# /' "$T/console.log"
		echo "# ---- stdout/stderr"
		sed 's/^/# /' "$T/stdout.log"
	fi
}

# slow_console: a console of about 400 KB/s for the next start_keel (a FIFO
# read 4 KiB every 10 ms into $T/console.log); sets CONSOLE and READER.
# The reader opens the FIFO without blocking first (keel's non-blocking
# open of a FIFO needs a reader there) and takes end-of-file only once
# keel has written to it.
slow_console() {
	command -v perl >/dev/null || skip_all "needs perl for the slow console reader"
	CONSOLE=$T/console.fifo
	rm -f "$CONSOLE" "$T/reader.ready"
	mkfifo "$CONSOLE"
	: >"$T/console.log"
	perl -e 'use Fcntl; sysopen(my $in, $ARGV[0], O_RDONLY | O_NONBLOCK) or die "open: $!";
		fcntl($in, F_SETFL, 0) or die; open(my $out, ">", $ARGV[1]) or die;
		open(my $r, ">", $ARGV[2]); close($r); my ($b, $seen);
		for (;;) { my $n = sysread($in, $b, 4096); die "read: $!" unless defined $n;
			if ($n == 0) { last if $seen; select(undef, undef, undef, 0.01); next }
			$seen = 1; syswrite($out, $b); select(undef, undef, undef, 0.01) }' \
		"$CONSOLE" "$T/console.log" "$T/reader.ready" &
	READER=$!
	EXTRA_CLEANUP="${EXTRA_CLEANUP:+$EXTRA_CLEANUP; }kill $READER 2>/dev/null"
	while [ ! -e "$T/reader.ready" ] && kill -0 "$READER" 2>/dev/null; do sleep 0.05; done
}

# slow_console_wait: after keel stopped, until the reader has read all (10 s
# at most); fails if it had not.
slow_console_wait() {
	_n=100
	while [ "$_n" -gt 0 ] && kill -0 "$READER" 2>/dev/null; do sleep 0.1; _n=$((_n - 1)); done
	! kill -0 "$READER" 2>/dev/null
}
