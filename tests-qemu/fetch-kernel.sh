#!/bin/sh
# Fetch Debian's distribution kernel for the QEMU tests, unpacked into a
# cache outside the tree (never installed into /boot), and print the
# directory that holds it:
#   DIR/vmlinuz        the bzImage as Debian ships it
#   DIR/vmlinux        the uncompressed ELF extracted from it (PVH boot)
#   DIR/root/lib/modules/KVER   modules with depmod's indexes (depmod -b)
#   DIR/kver DIR/config DIR/System.map
#
# usage: fetch-kernel.sh [--update]
#   KEEL_KERNEL_DIR=DIR   use this already prepared directory as is
#   KEEL_KERNEL_PKG=NAME  Debian package to fetch (default: what
#                         linux-image-amd64 depends on)
#   KEEL_CACHE=DIR        cache root (default ~/.cache/keel)
# Once cached, no network is needed: the cache is used unless --update.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${KEEL_KERNEL_DIR:-}" ]; then
	[ -f "$KEEL_KERNEL_DIR/vmlinux" ] || { echo "fetch-kernel: $KEEL_KERNEL_DIR/vmlinux missing" >&2; exit 1; }
	echo "$KEEL_KERNEL_DIR"
	exit 0
fi
cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}/kernel
mkdir -p "$cache"

if [ "${1:-}" != --update ] && [ -f "$cache/current/vmlinux" ] && [ -f "$cache/current/kver" ]; then
	(cd "$cache/current" && pwd -P)
	exit 0
fi

# One fetch at a time: a concurrent caller waits and then reuses it.
exec 9>"$cache/.lock"
flock 9
if [ "${1:-}" != --update ] && [ -f "$cache/current/vmlinux" ]; then
	(cd "$cache/current" && pwd -P)
	exit 0
fi

pkg_of_meta() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1
}
pkg=${KEEL_KERNEL_PKG:-$(pkg_of_meta)}
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
	echo "fetch-kernel: no package lists yet, running apt-get update" >&2
	apt-get update -qq >&2
	pkg=$(pkg_of_meta)
fi
[ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 1; }

dl=$(mktemp -d "$cache/dl.XXXXXX")
trap 'rm -rf "$dl"' EXIT
echo "fetch-kernel: downloading $pkg" >&2
# apt's sandbox user must be able to write the download directory.
chmod 755 "$dl"
(cd "$dl" && apt-get download -q "$pkg" 2>&1 | grep -v -e '^W: Download is performed unsandboxed' -e '^Get:' -e '^Fetched' >&2 || :)
deb=$(ls "$dl"/*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || { echo "fetch-kernel: apt-get download $pkg failed" >&2; exit 1; }

dpkg-deb -x "$deb" "$dl/x"
kver=$(ls "$dl/x/lib/modules" | head -n1)
out=$dl/out
mkdir -p "$out/root/lib/modules"
mv "$dl/x/lib/modules/$kver" "$out/root/lib/modules/"
mv "$dl/x/boot/vmlinuz-$kver" "$out/vmlinuz"
mv "$dl/x/boot/config-$kver" "$out/config"
mv "$dl/x/boot/System.map-$kver" "$out/System.map"
echo "$kver" >"$out/kver"
echo "$pkg" >"$out/package"
"$here/extract-vmlinux.sh" "$out/vmlinuz" "$out/vmlinux"
depmod -b "$out/root" "$kver"

rm -rf "${cache:?}/$kver"
mv "$out" "$cache/$kver"
ln -sfn "$kver" "$cache/current"
echo "fetch-kernel: $kver ready in $cache/$kver" >&2
echo "$cache/$kver"
