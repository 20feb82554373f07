# Shared setup for the client tests (tests/integration/clients-*.sh): podman
# and containerd driving keel as their OCI runtime, with runc beside it as
# the reference.  Source after tap.sh and bundle.sh.  Everything lives under
# $T (a mktemp dir): the busybox image, podman's storage, containerd's root,
# state and socket, and a symlink named keel-runtime to $KEEL.
#
#   clients_setup       make $T, $T/keel-runtime, $T/rootfs.tar; set RUNTIMES
#   rt_path NAME        the binary for keel or runc
#   show_err FILE       print a file's first lines as TAP comments

clients_setup() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -x "${KEEL:-}" ] || skip_all "KEEL is not set to a built keel binary"
	RUNC=$(command -v runc) || skip_all "runc (the reference runtime) is not installed"
	bundle_busybox >/dev/null || skip_all "no static busybox (Debian's busybox-static)"
	T=$(mktemp -d /tmp/keel-clients.XXXXXX) || exit 1
	ln -s "$KEEL" "$T/keel-runtime"
	bundle_rootfs "$T/rootfs" || skip_all "cannot build the busybox rootfs"
	tar -C "$T/rootfs" -cf "$T/rootfs.tar" . || exit 1
	RUNTIMES="keel runc"
}

rt_path() {
	case $1 in
	keel) echo "$T/keel-runtime" ;;
	runc) echo "$RUNC" ;;
	crun) command -v crun ;;
	esac
}

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
	for _m in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
		_d=$_m$1
		[ -d "$_d" ] || continue
		case $(stat -f -c %T "$_m") in
		tmpfs) rm -rf "$_d" ;;
		*) find "$_d" -depth -type d -exec rmdir {} \; 2>/dev/null ;;
		esac
	done
}
