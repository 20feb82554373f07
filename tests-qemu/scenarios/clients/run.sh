#!/bin/bash
# podman and containerd driving keel-runtime, with runc beside it, in a
# guest booted by keel on a pure cgroup v2 hierarchy (this host is hybrid:
# tests/integration/clients-*.sh cover v1 there).  The host's clients and
# everything they load go onto an ext4 disk with a busybox userland: podman,
# conmon, containerd, its runc v2 shim, ctr, runc, umoci (builds the OCI
# image for ctr), catatonit (podman --init), keel, their shared libraries
# at the host's paths, /etc/containers and /usr/share/containers, and the
# two tests with their libraries.  A privileged oneshot mounts the disk and makes it its root
# (containers.d/clients), then guest.sh runs both tests: in `make check`
# the quick set (CLIENTS_QUICK: what differs by hierarchy, and the
# lifecycle) with keel alone, 2 to 5 minutes under TCG here (load); with
# KEEL_CLIENTS_FULL=1 (`make check-clients-guest`) every case, keel and
# runc side by side, which under TCG takes too long for `make check`.
# Their TAP lines come back on the console and are reported here as this
# test's own, named "guest podman" / "guest containerd".
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
keel=${KEEL:-$top/build/keel}
. "$top/tests/lib/bundle.sh"

bins="podman conmon containerd containerd-shim-runc-v2 ctr runc umoci"
for b in $bins; do
	command -v "$b" >/dev/null ||
		{ echo "1..0 # SKIP $b is not installed (deps/packages.sh: podman, containerd, runc, umoci)"; exit 77; }
done
command -v mkfs.ext4 >/dev/null || { echo "1..0 # SKIP mkfs.ext4 is not installed"; exit 77; }
bundle_busybox >/dev/null || { echo "1..0 # SKIP no static busybox (busybox-static)"; exit 77; }
[ -f "$keel" ] || { echo "1..0 # SKIP keel binary $keel not built"; exit 77; }

tmp=$(mktemp -d /tmp/kgu-clients.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
disk=$tmp/disk
bundle_rootfs "$disk" || { echo "not ok 1 - a busybox tree for the disk"; echo "1..1"; exit 1; }
mkdir -p "$disk/old" "$disk/var/tmp" "$disk/var/lib" "$disk/usr/share" "$disk/keel-tests/tests" \
	"$disk/etc/containers"
for b in $bins; do
	p=$(command -v "$b")
	cp "$p" "$disk/bin/$b"
	# at the host's paths: the programs' PT_INTERP and DT_NEEDED name them
	for lib in $(ldd "$p" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*'); do
		mkdir -p "$disk$(dirname "$lib")"
		[ -e "$disk$lib" ] || cp -L "$lib" "$disk$lib"
	done
done
cp "$keel" "$disk/bin/keel"
# podman --init (full set): catatonit where podman looks for it, static
if [ -x /usr/libexec/podman/catatonit ]; then
	mkdir -p "$disk/usr/libexec/podman"
	cp /usr/libexec/podman/catatonit "$disk/usr/libexec/podman/"
fi
cp -a /etc/containers/. "$disk/etc/containers/"
cp -a /usr/share/containers "$disk/usr/share/"
cp -a "$top/tests/lib" "$disk/keel-tests/tests/"
mkdir -p "$disk/keel-tests/tests/integration"
cp "$top"/tests/integration/clients-*.sh "$disk/keel-tests/tests/integration/"
cp "$here/guest.sh" "$disk/keel-tests/guest.sh"
if [ -n "${KEEL_CLIENTS_FULL:-}" ]; then
	touch "$disk/keel-tests/full"
	export KEEL_QEMU_TIMEOUT=${KEEL_QEMU_TIMEOUT:-4} # expect's 900 s, 4 times
fi
size=$(( $(du -sm "$disk" | cut -f1) + 64 ))M

"$top/tests-qemu/keel-qemu-test" --keel "$keel" --console-copy "$tmp/console" \
	--disk-dir "$disk" --disk-size "$size" --mem 1536 "$here" >"$tmp/out"
rc=$?
grep -v '^1\.\.' "$tmp/out"
n=$(grep -cE '^(not )?ok ' "$tmp/out")
if [ -f "$tmp/console" ]; then
	sed -n 's/^.*clients | //p' "$tmp/console" | tr -d '\r' >"$tmp/guest"
	file='' guest_fail=0 guest_n=0
	while IFS= read -r l; do
		case $l in
		'== '*' exit '*) echo "# guest ${l#== integration/}" ;;
		'== '*) file=${l#== integration/clients-}; file=${file%.sh} ;;
		'ok '* | 'not ok '*)
			n=$((n + 1)) guest_n=$((guest_n + 1))
			case $l in 'not ok '*) guest_fail=$((guest_fail + 1)); st="not ok" ;; *) st=ok ;; esac
			desc=$(printf '%s' "$l" | sed -E 's/^(not )?ok [0-9]+ ?-? ?//')
			echo "$st $n - guest $file: $desc" ;;
		'#'*) echo "# guest $file: ${l#\#}" ;;
		'1..0 # SKIP'*) echo "# guest $file skipped:${l#1..0 # SKIP}" ;;
		'1..'*) ;;
		*) echo "# guest: $l" ;;
		esac
	done <"$tmp/guest"
	if [ "$guest_n" = 0 ]; then
		n=$((n + 1))
		echo "not ok $n - the client tests reported nothing in the guest"
		rc=1
	fi
	[ "$guest_fail" = 0 ] || rc=1
fi
echo "1..$n"
exit $rc
