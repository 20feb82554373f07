#!/bin/sh
# keelctl slot on a boot disk's directory (docs/deployments.md, "Whole-node
# A/B"): status of a fresh disk, install into the other slot (files copied
# whole, next set only after them, the good slot refused), a failed install
# leaves no trial of a half-written slot, set-next and good, and a damaged
# or linked boot.json refused with the file and the reason, untouched.
# The booted slot comes from /proc/cmdline; the selector and the mark are
# booted for real in tests-qemu/scenarios/ab.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
KEEL=${KEEL:-$top/build/keel}
[ -x "$KEEL" ] || skip_all "no $KEEL (make first)"
grep -q 'keel\.slot=' /proc/cmdline && skip_all "this machine was booted from an A/B slot"
t=$(mktemp -d /tmp/kab-slot-ctl.XXXXXX)
trap 'rm -rf "$t"' EXIT
b=$t/boot
mkdir -p "$b" "$t/new" "$t/half"
slot() { "$KEEL" ctl slot --dir "$b" "$@"; }
head -c 300000 /dev/urandom >"$t/new/vmlinuz"
head -c 700000 /dev/urandom >"$t/new/initrd.img"
echo "quiet keel.debug" >"$t/new/cmdline"
echo kernel-only >"$t/half/vmlinuz"

out=$(slot status 2>&1)
check "status of a fresh disk"
like "$out" "^good: A \(no boot.json yet\)" "no boot.json: slot A is good"
like "$out" "^booted: - " "not booted from a slot"
[ ! -e "$b/boot.json" ]
check "status writes nothing"

out=$(slot install A "$t/new" 2>&1)
[ $? = 1 ]
check "install into the good slot fails"
like "$out" "slot A is the good one" "and says why"
[ ! -e "$b/A" ]
check "nothing was copied"

slot install B "$t/new" --tries 3 >/dev/null
check "install B"
cmp -s "$t/new/vmlinuz" "$b/B/vmlinuz" && cmp -s "$t/new/initrd.img" "$b/B/initrd.img" &&
	cmp -s "$t/new/cmdline" "$b/B/cmdline"
check "kernel, initramfs and cmdline copied whole"
is "$(cat "$b/boot.json")" '{"good": "A", "next": "B", "tries": 3}' "next is B, 3 tries"
is "$(ls -A "$b/B" | tr '\n' ' ')" "cmdline initrd.img vmlinuz " "no temporary file left"

out=$(slot install B "$t/half" 2>&1)
[ $? = 1 ]
check "install of a source without initrd.img fails"
like "$out" "install slot B: open \`initrd.img\`: No such file" "naming the missing file"
is "$(cat "$b/boot.json")" '{"good": "A", "next": "A", "tries": 0}' \
	"B's trial was cancelled before its files changed"

# A cmdline the selector would refuse at the boot (spending B's trial) is
# refused by the install, before anything changes.
cp -R "$b" "$t/before"
printf 'quiet "keel.hostname=x\n' >"$t/new/cmdline"
out=$(slot install B "$t/new" 2>&1)
is "$?" 1 "a cmdline with an open quote is refused"
like "$out" "install slot B: $t/new/cmdline: a double quote without its end" "naming the file and why"
printf 'quiet\001 keel.debug\n' >"$t/new/cmdline"
out=$(slot install B "$t/new" 2>&1)
like "$out" "install slot B: $t/new/cmdline: a control character \(byte 5\)" "a control character is refused"
head -c 1500 /dev/zero | tr '\0' x >"$t/new/cmdline"
out=$(slot install B "$t/new" 2>&1)
like "$out" "install slot B: $t/new/cmdline: .*larger than" "a cmdline over 1 KiB is refused"
diff -r "$t/before" "$b" >/dev/null
check "the boot disk is unchanged by the refusals"
rm -rf "$t/before"
rm "$t/new/cmdline"
slot install B "$t/new" >/dev/null
check "install B again, without a cmdline"
[ ! -e "$b/B/cmdline" ]
check "the slot's old cmdline is gone"
is "$(slot status --json)" '{"good": "A", "next": "B", "tries": 1}' "status --json: 1 try by default"

slot set-next A --tries 2 >/dev/null
is "$(cat "$b/boot.json")" '{"good": "A", "next": "A", "tries": 0}' "set-next of the good slot is no trial"
slot set-next B --tries 2 >/dev/null
is "$(cat "$b/boot.json")" '{"good": "A", "next": "B", "tries": 2}' "set-next B --tries 2"
out=$(slot set-next B --tries 17 2>&1)
[ $? = 2 ]
check "--tries 17 refused"
like "$out" "expected 1 to 16" "with the range"
out=$(slot set-next C 2>&1)
[ $? = 2 ]
check "slot C refused"

out=$(slot good 2>&1)
[ $? = 2 ]
check "good without a slot, not booted from one: refused"
slot good B >/dev/null
is "$(cat "$b/boot.json")" '{"good": "B", "next": "B", "tries": 0}' "good B ends its trial"
out=$(slot install B "$t/new" 2>&1)
[ $? = 1 ]
check "B is good now: install B refused"

echo '{"good": "B", "next": "A", "tries": "many"}' >"$b/boot.json"
out=$(slot set-next A 2>&1)
[ $? = 1 ]
check "a damaged boot.json is refused"
like "$out" "$b/boot.json: tries: expected an integer from 0 to 16" "with the file, the key and the reason"
is "$(cat "$b/boot.json")" '{"good": "B", "next": "A", "tries": "many"}' "and left as it was"

rm "$b/boot.json"
echo '{"good": "A", "next": "A"}' >"$t/elsewhere.json"
ln -s "$t/elsewhere.json" "$b/boot.json"
out=$(slot status 2>&1)
[ $? = 1 ]
check "a boot.json that is a symlink is refused"

# The booted slot as keel reads its command line (a fake /proc/cmdline
# bound in a mount namespace of this test's own): a quoted value holding
# " keel.slot=A " is one word, so slot B booted and installing B is
# refused (keelctl split on spaces alone, saw A and overwrote the slot
# that runs).
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
	printf 'keel.slot=B keel.slot.trial x="a keel.slot=A b" quiet\n' >"$t/cmdline"
	b=$t/boot2
	mkdir -p "$b" && echo '{"good": "A", "next": "B", "tries": 1}' >"$b/boot.json"
	cp -R "$b" "$t/before"
	out=$(unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" /proc/cmdline && shift && exec "$@"' \
		sh "$t/cmdline" "$KEEL" ctl slot --dir "$b" status 2>&1)
	like "$out" "^booted: B \(on trial\)" "a quoted keel.slot=A in a value is not the booted slot"
	out=$(unshare -m sh -c 'mount --make-rprivate / && mount --bind "$1" /proc/cmdline && shift && exec "$@"' \
		sh "$t/cmdline" "$KEEL" ctl slot --dir "$b" install B "$t/new" 2>&1)
	like "$out" "slot B is the one running" "so installing into B, the running slot, is refused"
	diff -r "$t/before" "$b" >/dev/null
	check "and the boot disk is unchanged"
	rm -rf "$t/before"
else
	skip "the booted slot from a quoted command line" "no unshare -m here"
fi

done_testing
