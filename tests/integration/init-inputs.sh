#!/bin/sh
# Every file keel reads at boot comes from outside: a FIFO, a device, a
# directory or a bad JSON text in place of one refuses that entry with one
# console line "FILE: [JSON PATH:] reason", and everything else goes on.
# Above all a FIFO must not block PID 1 in open(2): before lib/input.c,
# a FIFO keel.json left nothing started, keelctl hanging and SIGTERM
# ignored.
. "$(dirname "$0")/init-lib.sh"

make_rootfs
entry good 'echo good-up; trap "exit 0" TERM; while :; do sleep 0.1; done'
entry after 'echo after-up; exec sleep 1000' '{"after": ["fifopolicy", "good"], "stop": {"signal": "KILL"}}'

# files that are not regular files
entry fifopolicy 'true'
mkfifo "$D/fifopolicy/keel.json"
entry fifoconfig 'true'
rm "$D/fifoconfig/config.json"
mkfifo "$D/fifoconfig/config.json"
entry fifotmpfiles 'true'
mkfifo "$D/fifotmpfiles/tmpfiles.conf"
entry zero 'true'
rm "$D/zero/config.json"
ln -s /dev/zero "$D/zero/config.json"
entry dirpolicy 'true'
mkdir "$D/dirpolicy/keel.json"
# a rootfs that is the host's / (through a link)
entry slash 'true'
sed -i "s|\"path\": \"$ROOTFS\"|\"path\": \"rootlink\"|" "$D/slash/config.json"
ln -s / "$D/slash/rootlink"

# JSON mistakes: line and column, the literal, the path
entry syntax 'true' '{
  "kind": "service",
  "restart": always
}'
entry csyntax 'true'
printf '{\n  "ociVersion": "1.0.2",\n  "root": {"path": "%s"}\n  "hostname": "x"\n}\n' \
	"$ROOTFS" >"$D/csyntax/config.json"
entry big 'true' '{"restart": {"limit": {"burst": 99999999999999999999999}}}'
entry dup 'true' '{"kind": "service",
 "kind": "oneshot"}'
entry cdup 'true' '' yes '"hostname": "again"'
entry hex 'true' '{"stop": {"timeout": "0x10"}}'
entry exp 'true' '{"stop": {"timeout": "1e2"}}'

start_keel
wait_for 'Startup finished' 10
check "the boot finished although eight entries are unreadable or invalid"
wait_for 'good \| good-up' 5
check "a good entry started"
wait_for 'after \| after-up' 5
check "an entry ordered after a refused one started too"

console=$(cat "$T/console.log")
failed() { # failed 'EXACT MESSAGE' "description": one [FAILED] console line
	n=$(printf '%s\n' "$console" | grep -cF -- "[FAILED] $1")
	is "$n" 1 "$2"
	[ "$n" = 1 ] || echo "#   wanted: [FAILED] $1"
}
failed "$D/fifopolicy/keel.json: a FIFO, not a regular file" "keel.json a FIFO: refused, named"
failed "$D/fifoconfig/config.json: a FIFO, not a regular file" "config.json a FIFO: refused, named"
failed "$D/fifotmpfiles/tmpfiles.conf: a FIFO, not a regular file" \
	"tmpfiles.conf a FIFO: refused, named"
failed "$D/zero/config.json: a character device, not a regular file" \
	"config.json linked to /dev/zero: refused before reading, no garbled prefix"
failed "$D/dirpolicy/keel.json: a directory, not a regular file" \
	"keel.json a directory: the same FILE: reason shape"
failed "$D/slash/config.json: root.path: \`$D/slash/rootlink\` is the host's root directory; a container needs its own rootfs" \
	"a rootfs linked to / is refused at validation, not at start"
failed "$D/syntax/keel.json: invalid JSON at line 3, column 14: unexpected character" \
	"keel.json syntax error: line and column"
failed "$D/csyntax/config.json: invalid JSON at line 4, column 3: object value separator ',' expected" \
	"config.json syntax error: line and column, not a byte offset"
failed "$D/big/keel.json: restart.limit.burst: 99999999999999999999999 does not fit in 64 bits (the greatest is 18446744073709551615) (line 1, column 33)" \
	"an overflowing number is named as written"
failed "$D/dup/keel.json: kind: key given twice (line 1, column 2 and line 2, column 2)" \
	"a duplicate key in keel.json: file and JSON path"
n=$(printf '%s\n' "$console" | grep -cE -- "\[FAILED\] $D/cdup/config.json: hostname: key given twice \(line [0-9]+, column [0-9]+ and line [0-9]+, column [0-9]+\)$")
is "$n" 1 "a duplicate key in config.json: file, JSON path, both places"
failed "$D/hex/keel.json: stop.timeout: expected a duration like \"500ms\" or a number of seconds, got \"0x10\"" \
	"a \"0x10\" duration is refused"
failed "$D/exp/keel.json: stop.timeout: expected a duration like \"500ms\" or a number of seconds, got \"1e2\"" \
	"a \"1e2\" duration is refused"
! printf '%s\n' "$console" | grep -q 'Failed to start slash'
check "slash never reached the runtime"

out=$(timeout 10 "$KEEL" ctl --socket "$T/state/keel.sock" list)
check "keelctl list answers"
like "$out" 'good .*ready' "keelctl list shows the good entry ready"
st=$(timeout 10 "$KEEL" ctl --socket "$T/state/keel.sock" status fifopolicy)
like "$st" 'state: failed' "keelctl status shows the FIFO entry failed"
like "$st" 'a FIFO, not a regular file' "with the reason"

stop_keel
is "$RC" 0 "SIGTERM stops keel (exit 0)"
grep -q 'Stopped good' "$T/console.log"
check "the good entry was stopped"

show_log_on_failure
done_testing
