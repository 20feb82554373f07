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

keel=${KEEL:-$KQ_TOP/build/keel}
[ -f "$keel" ] || { echo "1..0 # SKIP keel binary $keel not built"; exit 77; }
for t in mkfs.ext4 jq umoci; do
	command -v "$t" >/dev/null || { echo "1..0 # SKIP $t not installed"; exit 77; }
done
kq_setup import
case $? in
0) ;;
2) echo "1..0 # SKIP qemu-system-x86_64 not installed"; exit 77 ;;
*) echo "1..0 # SKIP cannot fetch Debian's kernel"; exit 77 ;;
esac
export KQ_DIR TESTDIR=$here DISK=$KQ_DIR/disk.img

# The image: busybox, /etc/version, a command that prints both.
skip_all() { echo "1..0 # SKIP $*"; exit 77; }
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
