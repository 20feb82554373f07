#!/bin/sh
# Build the rootfs/ of every example entry from a static busybox, at image
# build time (no binaries are committed).  For each containers.d/NAME/ with
# a config.json this makes NAME/rootfs/ with busybox, a link per applet at
# its usual path, /etc/passwd and /etc/group, the mount points the
# config.json mounts on, then copies NAME/files/ over it.
#
# usage: containers.d/build-rootfs.sh [-b BUSYBOX] [CONTAINERS_D]
#   BUSYBOX       a statically linked busybox (default: /bin/busybox from
#                 Debian's busybox-static)
#   CONTAINERS_D  default: the directory of this script
# The result is the same for the same inputs (sorted, fixed mtimes), so
# an image built from it is reproducible.
set -eu

busybox=/bin/busybox
while getopts b: opt; do
	case $opt in
	b) busybox=$OPTARG ;;
	*) echo "usage: $0 [-b BUSYBOX] [CONTAINERS_D]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
dir=${1:-$(dirname "$0")}

if ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	echo "$0: $busybox is not a static busybox (apt-get install busybox-static)" >&2
	exit 1
fi

for entry in "$dir"/*/; do
	entry=${entry%/}
	[ -f "$entry/config.json" ] || continue
	root=$entry/rootfs
	rm -rf "$root"
	mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/etc" \
		"$root/proc" "$root/sys" "$root/dev" "$root/tmp" "$root/run" "$root/var/log"
	chmod 1777 "$root/tmp"
	cp "$busybox" "$root/bin/busybox"
	chmod 0755 "$root/bin/busybox"
	"$busybox" --list-full | sort | while read -r applet; do
		[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/www:/bin/false\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\nwww-data:x:33:\n' >"$root/etc/group"
	basename "$entry" >"$root/etc/hostname"
	if [ -d "$entry/files" ]; then
		cp -R "$entry/files/." "$root/"
	fi
	find "$root" -exec touch -h -d @0 {} +
	echo "  ROOTFS  $root"
done
