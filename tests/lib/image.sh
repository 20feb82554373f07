# The start of every image-*.sh test (and of the QEMU scenarios built on
# their fixtures); source it with $top set to the tree's top:
#   image_test PREFIX TOOL...
# TAP (tap.sh) and the fixture builders (tests/integration/image-lib.sh);
# $IMPORT is keel-import; skips the whole test, with the reason, without a
# TOOL, a static busybox or root (umoci keeps the layers' owners); then $t
# is a new directory PREFIX.XXXXXX, removed when the test exits.
. "$top/tests/lib/tap.sh"
. "$top/tests/integration/image-lib.sh"
IMPORT=$top/initramfs/import/keel-import

image_test() {
	_prefix=$1
	shift
	fixture_need "$@"
	[ "$(id -u)" = 0 ] || skip_all "needs root (umoci keeps the layers' owners)"
	t=$(mktemp -d "$_prefix.XXXXXX") || skip_all "cannot make a directory $_prefix.XXXXXX"
	trap 'rm -rf "$t"' EXIT
	trap 'exit 1' INT TERM
}

# image_need_keel: $KEEL (default build/keel) is there to run.
image_need_keel() {
	KEEL=${KEEL:-$top/build/keel}
	[ -x "$KEEL" ] || skip_all "no $KEEL (make first)"
}

# image_need_qemu: the tests that boot their images under QEMU also need
# the harness, qemu-system-x86_64 and keel's static binary as $KEEL.
image_need_qemu() {
	KEEL=${KEEL:-$top/build/keel}
	[ -x "$top/tests-qemu/keel-qemu-test" ] || skip_all "no tests-qemu/keel-qemu-test in this tree"
	command -v qemu-system-x86_64 >/dev/null || skip_all "no qemu-system-x86_64"
	[ -x "$KEEL" ] && file -L "$KEEL" | grep -q 'statically linked' ||
		skip_all "no static keel at $KEEL (make)"
}

# image_boot NAME WHAT: boot $t/test (containers.d, expect, options) with
# keel-qemu-test; its TAP lines become this test's checks ("qemu: ..."),
# and WHAT is checked by its exit status.
image_boot() {
	"$top/tests-qemu/keel-qemu-test" --keel "$KEEL" --name "$1" "$t/test" >"$t/kqt.log" 2>&1
	_rc=$?
	while IFS= read -r l; do
		case $l in
		"ok "*) true; check "qemu: ${l#ok * - }" ;;
		"not ok "*) false; check "qemu: ${l#not ok * - }" ;;
		*) printf '# %s\n' "$l" ;;
		esac
	done <"$t/kqt.log"
	is "$_rc" 0 "$2"
}
