#!/bin/bash
# keel-qemu-test itself, with the busybox stand-in /init (plumbing/init):
# a passing expect file passes, and a failing one fails: a missing line
# times out, a forbidden line is caught, a failing host command counts,
# the exit status says so and the console log is kept.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/lib/tap.sh"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
[ -x /bin/busybox ] || skip_all "busybox-static not installed"
"$here/fetch-kernel.sh" >/dev/null 2>&1 || skip_all "cannot fetch Debian's kernel"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/t/containers.d/x"
echo '{}' >"$tmp/t/containers.d/x/config.json"
run() { # run EXPECT_TEXT: keel-qemu-test on it, output in $out, status in $rc
	printf '%s\n' "$1" >"$tmp/t/expect"
	out=$(KEEL_QEMU_LOGDIR=$tmp/logs "$here/keel-qemu-test" --name harness-self-test \
		--keel "$here/plumbing/init" --file /bin/busybox:/bin/busybox "$tmp/t" 2>&1)
	rc=$?
}

run 'timeout 60
plumbing: init pid 1
any plumbing: loaded virtio\.ko
plumbing: ready
send hello guest
plumbing: echo hello guest
host test -s "$CONSOLE"
ctrl-alt-delete
plumbing: got SIGINT
reboot: Power down
exit
!no such line ever'
is "$rc" 0 "a passing expect file exits 0"
is "$(printf '%s\n' "$out" | grep -c '^ok ')" 10 "one ok per check (8 waits and checks, 2 forbidden patterns)"
[ ! -e "$tmp/logs/qemu-harness-self-test.console.log" ]
check "no console log kept when everything passed"

run 'timeout 60
plumbing: ready
host false
!plumbing: ready
timeout 3
a line that never comes
plumbing: echo never'
is "$rc" 1 "a failing expect file exits 1"
like "$out" '^not ok [0-9]+ - expect:3 host: false' "a failing host command is reported"
like "$out" '^not ok [0-9]+ - expect:6 /a line that never comes/' "a missing line fails at its timeout"
! printf '%s\n' "$out" | grep -q 'plumbing: echo never'
check "the expect file stops at the first missing line"
like "$out" '^not ok [0-9]+ - console never shows /plumbing: ready/' "a forbidden line is caught"
like "$out" 'timed out after 3s' "the timeout is reported"
[ -s "$tmp/logs/qemu-harness-self-test.console.log" ] &&
	grep -q 'plumbing: ready' "$tmp/logs/qemu-harness-self-test.console.log"
check "the console log is kept on failure"
like "$out" '# console log kept in' "and its place printed"
! pgrep -f "keel-qemu.harness-self-test" >/dev/null
check "no QEMU left running"
done_testing
