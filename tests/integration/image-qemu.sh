#!/bin/sh
# Imported images booted for real: the containers.d of image-boot.sh (made
# only by keel-import), plus web's atomic hostfs files put into the image's
# host tree, built into an initramfs by keel-mkimage and booted under QEMU
# with tests-qemu/keel-qemu-test.  Needs keel's static binary ($KEEL, else
# build/keel), QEMU and the cached kernel; skips without them.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/image.sh"

image_test /tmp/keel-image-qemu jq umoci skopeo sha256sum gzip tar
image_need_qemu
mkdir -p "$t/test/containers.d" "$t/hostfs"
fixture_boot_entries "$t" "$t/test/containers.d" "$t/hostfs"

# The atomic hostfs tree is the image's extra files: keel-mkimage --file.
echo "--file $t/hostfs:/" >"$t/test/options"
cat >"$t/test/expect" <<'X'
timeout 120
db \| db-ready as 1000$
Finished db
Started web
Startup finished in
# web's and plain's lines may come before or after that one
sleep 3
host grep -q 'web | web-up as 1000 after sh motd=hello-from-hostfs' "$CONSOLE"
host grep -q 'plain | plain-up plain' "$CONSOLE"
!FAILED
ctrl-alt-delete
web \| web-stopping
Stopped web \(exited with status 0\)
exit
X
image_boot image-qemu "keel-qemu-test: the imported containers.d boots in QEMU, in order, and reboots cleanly"

done_testing
