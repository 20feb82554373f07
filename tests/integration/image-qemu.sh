#!/bin/sh
# Imported images booted for real: the containers.d of image-boot.sh (made
# only by keel-import), plus web's atomic hostfs files put into the image's
# host tree, built into an initramfs by keel-mkimage and booted under QEMU
# with tests-qemu/keel-qemu-test.  Needs keel's static binary ($KEEL, else
# build/keel), QEMU and the cached kernel; skips without them.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$here/image-lib.sh"
IMPORT=$top/initramfs/import/keel-import
KEEL=${KEEL:-$top/build/keel}
KQT=$top/tests-qemu/keel-qemu-test

fixture_need jq umoci skopeo sha256sum gzip tar
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$KQT" ] || skip_all "no tests-qemu/keel-qemu-test in this tree"
command -v qemu-system-x86_64 >/dev/null || skip_all "no qemu-system-x86_64"
[ -x "$KEEL" ] && file -L "$KEEL" | grep -q 'statically linked' ||
	skip_all "no static keel at $KEEL (make)"

t=$(mktemp -d /tmp/keel-image-qemu.XXXXXX)
trap 'rm -rf "$t"' EXIT
trap 'exit 1' INT TERM
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
"$KQT" --keel "$KEEL" --name image-qemu "$t/test" >"$t/kqt.log" 2>&1
rc=$?
# keel-qemu-test's own TAP lines become checks of this test.
while IFS= read -r l; do
	case $l in
	"ok "*) true; check "qemu: ${l#ok * - }" ;;
	"not ok "*) false; check "qemu: ${l#not ok * - }" ;;
	*) printf '# %s\n' "$l" ;;
	esac
done <"$t/kqt.log"
is "$rc" 0 "keel-qemu-test: the imported containers.d boots in QEMU, in order, and reboots cleanly"

done_testing
