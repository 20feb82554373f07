#!/bin/bash
# keelctl boot-time from a booted guest: a container holding keel as
# keelctl, with /run/keel (the control socket) bound read-only and a virtio
# ext4 disk, writes the text, JSON and SVG renderings there; after the
# guest's clean reboot check.sh reads them back from the disk image.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
keel=${KEEL:-$top/build/keel}
exec "$here/../../keel-qemu-test" --keel "$keel" \
	--file "$keel:/containers.d/analyze/rootfs/usr/bin/keelctl" "$here"
