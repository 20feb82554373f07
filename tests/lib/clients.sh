# Shared setup for the client tests (tests/integration/clients-*.sh): podman
# and containerd driving keel as their OCI runtime, with runc beside it as
# the reference.  Source after tap.sh and bundle.sh.  Everything lives under
# $T (a mktemp dir): the busybox image, podman's storage, containerd's root,
# state and socket, and a symlink named keel-runtime to $KEEL.
#
#   clients_setup       make $T, $T/keel-runtime, $T/rootfs.tar; set RUNTIMES
#                       (keel runc, or $CLIENTS_RUNTIMES)
#   rt_path NAME        the binary for keel or runc
#   show_err FILE       print a file's first lines as TAP comments
#   cg_v2               true on a pure cgroup v2 host (the QEMU guest)
#   cg_file CTL REL V1 V2   a cgroup file of /REL: /sys/fs/cgroup/CTL/REL/V1
#                       on a v1 or hybrid host, /sys/fs/cgroup/REL/V2 on v2
#   clients_full        false with CLIENTS_QUICK set (the QEMU guest under
#                       TCG): only the cases that differ by hierarchy and
#                       the core lifecycle run there

clients_setup() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -x "${KEEL:-}" ] || skip_all "KEEL is not set to a built keel binary"
	RUNC=$(command -v runc) || skip_all "runc (the reference runtime) is not installed"
	bundle_busybox >/dev/null || skip_all "no static busybox (Debian's busybox-static)"
	T=$(mktemp -d /tmp/keel-clients.XXXXXX) || exit 1
	trap clients_rm_T EXIT # until the test sets its own cleanup
	ln -s "$KEEL" "$T/keel-runtime"
	bundle_rootfs "$T/rootfs" || skip_all "cannot build the busybox rootfs"
	tar -C "$T/rootfs" -cf "$T/rootfs.tar" . || exit 1
	# the QEMU guest's quick set runs keel alone (CLIENTS_RUNTIMES=keel)
	RUNTIMES=${CLIENTS_RUNTIMES:-keel runc}
	# --privileged: what the caller has, and a block device of the host
	# (the QEMU guest has no loop devices, but its disk)
	CAPBND=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
	HOSTBLK=
	for _b in /dev/loop0 /dev/vda /dev/sda /dev/nvme0n1; do
		[ -b "$_b" ] && HOSTBLK=$_b && break
	done
}

rt_path() {
	case $1 in
	keel) echo "$T/keel-runtime" ;;
	runc) echo "$RUNC" ;;
	crun) command -v crun ;;
	esac
}

cg_v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }
cg_file() {
	if cg_v2; then echo "/sys/fs/cgroup/$2/$4"; else echo "/sys/fs/cgroup/$1/$2/$3"; fi
}
clients_full() { [ -z "${CLIENTS_QUICK:-}" ]; }

show_err() {
	[ -s "$1" ] && sed -n '1,4s/^/#   /p' "$1"
	return 0
}

# cg_cleanup NAME: remove the cgroup /NAME and what is under it from every
# hierarchy: rmdir depth-first where /sys/fs/cgroup/X is a cgroup file
# system, and rm -rf where it is a plain directory of the /sys/fs/cgroup
# tmpfs (conmon mkdirs NAME/conmon and writes a `tasks` file there for the
# controllers this host does not mount: hugetlb, net_cls, perf_event...).
# Only ever called with a name the test made up (keeltest-clients-PID).
cg_cleanup() {
	for _m in /sys/fs/cgroup/ /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
		_d=$_m$1
		[ -d "$_d" ] || continue
		case $(stat -f -c %T "$_m") in
		tmpfs) rm -rf "$_d" ;;
		*) find "$_d" -depth -type d -exec rmdir {} \; 2>/dev/null ;;
		esac
	done
}

# podman_setup CGROUP_PARENT: private podman under $T (containers.conf,
# storage.conf, vfs, cgroupfs, file events log, no network, rlimits that
# fit the host) with the busybox image $IMG imported; sets P (the podman
# command line).  Returns 1 with the reason in WHY.  podman_cleanup undoes it.
podman_setup() {
	cat >"$T/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/events.log"
tmp_dir = "$T/tmp"
volume_path = "$T/volumes"
static_dir = "$T/libpod"
[network]
network_config_dir = "$T/net"
CONF
	cat >"$T/storage.conf" <<CONF
[storage]
driver = "vfs"
runroot = "$T/runroot"
graphroot = "$T/root"
CONF
	export CONTAINERS_CONF="$T/containers.conf" CONTAINERS_STORAGE_CONF="$T/storage.conf"
	P="podman --root $T/root --runroot $T/runroot --storage-driver vfs"
	IMG=localhost/keeltest-bb:clients
	PODMAN_CGP=$1
	$P import "$T/rootfs.tar" "$IMG" >"$T/import.out" 2>&1 || {
		show_err "$T/import.out"
		WHY="podman import of a local busybox tarball fails here"
		return 1
	}
	# One run with runc tells whether podman can run containers here at all.
	$P run --rm --network none --runtime "$RUNC" "$IMG" true >"$T/probe.out" 2>&1 || {
		show_err "$T/probe.out"
		WHY="podman refuses to run a container here even with runc: $(head -1 "$T/probe.out")"
		return 1
	}
}

podman_cleanup() {
	[ -n "${P:-}" ] || return 0
	$P rm -a -f -t 0 >/dev/null 2>&1
	$P rmi -a -f >/dev/null 2>&1
	cg_cleanup "${PODMAN_CGP#/}"
}

# containerd_setup NAMESPACE: a private containerd under $T (root, state,
# grpc and ttrpc sockets, no CRI plugin) started in the background (its pid
# in CPID), the busybox rootfs as an OCI layout tar (built with umoci)
# imported as $IMG; C runs ctr against it in NAMESPACE.  Returns 1 with the
# reason in WHY.  containerd_cleanup stops it.
C() { ctr --address "$T/containerd.sock" -n "$CNS" "$@"; }
containerd_setup() {
	CNS=$1
	IMG=localhost/keeltest-bb:clients
	{
		umoci init --layout "$T/oci" &&
			umoci new --image "$T/oci:clients" &&
			umoci unpack --image "$T/oci:clients" "$T/unpacked" &&
			cp -a "$T/rootfs/." "$T/unpacked/rootfs/" &&
			umoci repack --image "$T/oci:clients" "$T/unpacked" &&
			umoci config --image "$T/oci:clients" --config.cmd /bin/sh &&
			tar -C "$T/oci" -cf "$T/image.tar" .
	} >"$T/umoci.out" 2>&1 || {
		show_err "$T/umoci.out"
		WHY="umoci cannot build the OCI image here"
		return 1
	}
	rm -rf "$T/unpacked" "$T/oci"
	cat >"$T/config.toml" <<CONF
version = 2
root = "$T/croot"
state = "$T/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.internal.v1.opt",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.ttrpc.sock"
[debug]
  address = ""
[metrics]
  address = ""
CONF
	containerd --config "$T/config.toml" >"$T/containerd.log" 2>&1 &
	CPID=$!
	_i=0
	until C version >/dev/null 2>&1; do
		_i=$((_i + 1))
		if [ $_i -ge 100 ] || ! kill -0 "$CPID" 2>/dev/null; then
			show_err "$T/containerd.log"
			WHY="containerd does not start here with a private config"
			return 1
		fi
		sleep 0.1
	done
	C images import --base-name localhost/keeltest-bb "$T/image.tar" >"$T/import.out" 2>&1 || {
		show_err "$T/import.out"
		WHY="ctr images import of a local OCI layout tar fails here"
		return 1
	}
}

containerd_cleanup() {
	[ -n "${CPID:-}" ] || return 0
	for _t in $(C task ls -q 2>/dev/null); do
		C task kill -a -s KILL "$_t" >/dev/null 2>&1
		C task delete -f "$_t" >/dev/null 2>&1
	done
	for _c in $(C containers ls -q 2>/dev/null); do C containers rm "$_c" >/dev/null 2>&1; done
	C images rm "$IMG" >/dev/null 2>&1
	# A shim whose task could not be deleted: stop it by its pid file.
	for _p in "$T"/state/io.containerd.runtime.v2.task/"$CNS"/*/shim.pid; do
		[ -f "$_p" ] && kill "$(cat "$_p")" 2>/dev/null
	done
	kill "$CPID" 2>/dev/null
	wait "$CPID" 2>/dev/null
}

# clients_rm_T: remove $T unless something is still mounted under it
# (then say so and leave it).
clients_rm_T() {
	if grep -q " $T/" /proc/self/mountinfo; then
		echo "# left mounted under $T:" && grep " $T/" /proc/self/mountinfo | sed 's/^/#   /'
	else
		rm -rf "$T"
	fi
}
