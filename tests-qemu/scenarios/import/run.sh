#!/bin/bash
# keelctl update from an image on a disk, in a real boot (issue 13): the
# host makes web v2 as an OCI image layout tarred (an OCI archive, from
# busybox-static, offline) onto an ext4 disk; keel mounts it read-only
# from /etc/fstab; a test container (updater) runs `keelctl update web
# /media/images/web-v2.oci.tar`: keel starts the importer container the
# image carries (keel-mkimage --importer), the new deployment runs v2,
# is committed, and its digest is the image's manifest digest.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../lib/harness.sh"

kq_scenario import mkfs.ext4:e2fsprogs jq umoci
export DISK=$KQ_DIR/disk.img

# The image: busybox, /etc/version, a command that prints both.
skip_all() { kq_skip "$@"; }
. "$KQ_TOP/tests/integration/image-lib.sh"
fixture_need jq
img=$KQ_DIR/img
mkdir -p "$img/root/bin" "$img/root/etc" "$KQ_DIR/disk"
cp "$BUSYBOX" "$img/root/bin/busybox"
for a in sh cat echo sleep; do ln -s busybox "$img/root/bin/$a"; done
echo v2 >"$img/root/etc/version"
fixture_layer "$img/root" "$img/layer.tar" gzip
jq -n '{architecture: "amd64", os: "linux", config: {Env: ["PATH=/bin"],
	Cmd: ["/bin/sh", "-c", "echo \"web: $(cat /etc/version) imported\"; trap \"exit 0\" TERM; sleep 100000 & wait"]}}' \
	>"$img/cfg.json"
fixture_oci_image "$img/layout" latest "$img/cfg.json" "$img/layer.tar:gzip"
(cd "$img/layout" && tar --sort=name --mtime=@0 --owner=0 --group=0 -cf "$KQ_DIR/disk/web-v2.oci.tar" oci-layout index.json blobs)
jq -r '.manifests[0].digest' "$img/layout/index.json" >"$KQ_DIR/disk/web-v2.digest"
mkfs.ext4 -q -F -L keelimages -d "$KQ_DIR/disk" "$DISK" 32M >/dev/null 2>&1 ||
	{ echo "not ok 1 - mkfs.ext4 failed"; echo "1..1"; exit 1; }

mk=(--init "$keel" --containers "$here/containers.d" --busybox-rootfs --importer
	--file "$here/fstab:/etc/fstab")
if ! kq_image "$KQ_DIR/initrd.img" "${mk[@]}" >"$KQ_DIR/mkimage.log" 2>&1; then
	echo "not ok 1 - keel-mkimage failed"
	sed 's/^/#   /' "$KQ_DIR/mkimage.log"
	echo "1..1"
	exit 1
fi
rc=0
kq_start -disk "$DISK" "$KQ_DIR/initrd.img"
kq_expect_file "$here/expect" || rc=1
[ "$rc" = 0 ] || KQ_NAME=import kq_fail_log
kq_running && kq_stop
echo "1..$KQ_CHECKS"
exit $rc
