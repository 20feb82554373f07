#!/bin/sh
# checkpoint / restore through criu, as runc's: a running container's
# process tree written to images and made into a running container again,
# which carries on from where it was (its memory, its tmpfs, its pid 1).
# checkpoint without --leave-running ends and deletes the container;
# --leave-running keeps it.  Where criu itself cannot work (`criu check`
# fails: this kernel, this sandbox), the runtime's error carries criu's own
# cause and the rest is skipped with `criu check`'s words.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"
cd "$T" || exit 1 # runc leaves a runc-criu-log-*.log where criu fails
command -v criu >/dev/null || skip_all "criu is not installed (deps/packages.sh)"
# Debian's crun 1.8 is built without libcriu: it has no such command.
if rt checkpoint --help >/dev/null 2>"$T/err"; then :; elif grep -q 'unknown command' "$T/err"; then
	skip_all "$RT_NAME: $(head -1 "$T/err")"
fi

# The value the counter last wrote, read from outside through the init's root.
counter() { cat "/proc/$1/root/tmp/c" 2>/dev/null; }
# Wait (up to ~5 s) until the counter of PID passes $2.
counter_passes() {
	_i=0
	while [ $_i -lt 100 ]; do
		_v=$(counter "$1")
		[ -n "$_v" ] && [ "$_v" -gt "$2" ] && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

# rt_piped TAG ARGS...: `rt ARGS` with stdin on a pipe held open by a
# sleep and stdout and stderr on a pipe into $T/TAG.out, as containerd and
# podman give a container its stdio: criu hands pipes back on restore
# (--inherit-fd), while a host file or the host's /dev/null as the
# container's stdio lies outside its mount namespace, which criu refuses.
# $RC gets the runtime's status, $ERR what it printed.
rt_piped() {
	_tag=$1
	shift
	rm -f "$T/$_tag.rc"
	sh -c 'echo $$ >"$1"; exec sleep 1000' sh "$T/$_tag.holder" 2>/dev/null |
		{ rt "$@" 2>&1; echo $? >"$T/$_tag.rc"; } | cat >"$T/$_tag.out" &
	_i=0
	while [ ! -s "$T/$_tag.rc" ] && [ $_i -lt 600 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	sleep 0.1 # cat copies what the runtime printed
	RC=$(cat "$T/$_tag.rc" 2>/dev/null)
	ERR=$(cat "$T/$_tag.out")
}
# The sleeps holding the stdin pipes open (ours only, by pid).
kill_holders() {
	for _h in "$T"/*.holder; do
		[ -s "$_h" ] && kill "$(cat "$_h")" 2>/dev/null
	done
}

# start_counter NAME: a detached container counting into its /tmp (a tmpfs;
# the rootfs is read-only).
start_counter() {
	cfg "$1"
	cfg_set '.mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
		options: ["nosuid", "nodev", "mode=1777"]}]'
	cfg_sh 'i=0; while :; do echo $i > /tmp/c; i=$((i+1)); sleep 0.1; done'
	rt_piped "$1" run -d --bundle "$B" "$1"
	is "$RC" 0 "$1: a counter container runs"
	PID=$(ctr_state "$1" pid)
	counter_passes "$PID" 2
	check "$1: it counts"
}

# --- refused before criu runs ----------------------------------------------------
rt checkpoint --image-path "$T/none" nosuch >/dev/null 2>"$T/err"
RC=$?
[ $RC != 0 ]
check "checkpoint of an unknown container fails"
like "$(cat "$T/err")" "does not exist" "... saying it does not exist"

cfg held
cfg_sh 'sleep 100'
rt create --bundle "$B" held </dev/null >/dev/null 2>"$T/err"
check "a created (not started) container"
rt checkpoint --image-path "$T/held" held >/dev/null 2>"$T/err"
[ $? != 0 ]
check "checkpoint of a created container fails"
case $RT_NAME in
keel) like "$(cat "$T/err")" "is created, not running" "... because it is not running" ;;
*) skip "... because it is not running" "$RT_NAME's words differ" ;;
esac
rt delete -f held >/dev/null 2>&1

if [ "$RT_NAME" = keel ]; then
	start_counter cgmode
	rt checkpoint --manage-cgroups-mode bogus --image-path "$T/cgmode" cgmode >/dev/null 2>"$T/err"
	[ $? != 0 ]
	check "--manage-cgroups-mode bogus is refused"
	like "$(cat "$T/err")" "--manage-cgroups-mode .bogus.: not soft, full, strict or ignore" \
		"... naming the modes criu knows"
	is "$(ctr_state cgmode status)" running "... and the container keeps running"
	rt checkpoint --empty-ns mount --image-path "$T/cgmode" cgmode >/dev/null 2>"$T/err"
	like "$(cat "$T/err")" "--empty-ns .mount.: only .network. can be left empty" \
		"--empty-ns: criu can leave only the network namespace empty"
	rt checkpoint --lazy-pages --image-path "$T/cgmode" cgmode >/dev/null 2>"$T/err"
	like "$(cat "$T/err")" "--lazy-pages: keel does not run criu lazy-pages" \
		"--lazy-pages is refused plainly"
	rt checkpoint --page-server nowhere --image-path "$T/cgmode" cgmode >/dev/null 2>"$T/err"
	like "$(cat "$T/err")" "--page-server .nowhere.: not ADDRESS:PORT" \
		"--page-server must be ADDRESS:PORT"
	# shellcheck disable=SC2086 # $RUNTIME is "keel runtime", keel's path absolute
	PATH=/nonexistent $RUNTIME --root "$STATE" checkpoint --image-path "$T/cgmode" cgmode \
		>/dev/null 2>"$T/err"
	[ $? != 0 ]
	check "checkpoint without criu in PATH fails"
	like "$(cat "$T/err")" "exec .criu. .install Debian's criu package.: No such file or directory" \
		"... saying which package to install"
	is "$(ctr_state cgmode status)" running "... and the container keeps running"
	rt delete -f cgmode >/dev/null 2>&1
fi

# The caller's /dev/null as stdio (podman's stdin for a detached container)
# is swapped for the container's own, as runc does: criu cannot dump an fd
# on a mount outside the container's namespace.
cfg devnull
cfg_sh 'sleep 100'
rt run -d --bundle "$B" devnull </dev/null >/dev/null 2>&1
check "a container run with stdio on /dev/null"
P=$(ctr_state devnull pid)
HOST_MNT=$(awk '/^mnt_id/ { print $2 }' /proc/self/fdinfo/0 </dev/null)
for fd in 0 1 2; do
	m=$(awk '/^mnt_id/ { print $2 }' "/proc/$P/fdinfo/$fd")
	[ -n "$m" ] && [ "$m" != "$HOST_MNT" ] && [ "$(readlink "/proc/$P/fd/$fd")" = /dev/null ]
	check "... its fd $fd is the container's /dev/null (mount $m), not the caller's ($HOST_MNT)"
done
rt delete -f devnull >/dev/null 2>&1

# A restore that fails leaves nothing behind: no state, cgroup or mount.
if [ "$RT_NAME" = keel ]; then
	cfg gone
	rt restore -d --bundle "$B" --image-path "$T/noimages" gone </dev/null >/dev/null 2>"$T/err"
	[ $? != 0 ]
	check "restore from a directory without images fails"
	like "$(cat "$T/err")" "checkpoint images: .*descriptors.json.*No such file" \
		"... naming the missing file"
	ctr_gone gone ""
fi

# A --parent-path criu could not use is refused before criu stops the
# container for its dump (runc's checkpoint.bats "bad --parent-path").
start_counter parent
rt checkpoint --parent-path "$T/pimg-abs" --image-path "$T/pimg" parent >/dev/null 2>"$T/err"
[ $? != 0 ]
check "checkpoint --parent-path ABSOLUTE is refused"
like "$(cat "$T/err")" "--parent-path.*relative" "... saying it must be relative to the image path"
rt checkpoint --parent-path ../pimg-none --image-path "$T/pimg" parent >/dev/null 2>"$T/err"
[ $? != 0 ]
check "checkpoint --parent-path to nothing is refused"
like "$(cat "$T/err")" "--parent-path.*[Nn]o such file" "... naming the missing directory"
is "$(ctr_state parent status)" running "... and the container keeps running"
rt delete -f parent >/dev/null 2>&1
ctr_gone parent "$PID"

# --- can criu work here at all? -----------------------------------------------------
# Its cause as keel reports it: the first error another one follows.
criu check -v4 --work-dir "$T" --log-file check.log >"$T/check" 2>&1
CRIU_RC=$?
CRIU_WHY=$(awk '/Error \(/ { if (prev) { print prev; exit } prev = $0; next } { prev = "" }' \
	"$T/check.log" 2>/dev/null | sed 's/^([0-9. ]*) //')
[ -n "$CRIU_WHY" ] || CRIU_WHY=$(grep 'Error (' "$T/check.log" 2>/dev/null | tail -1 | sed 's/^([0-9. ]*) //')
[ -n "$CRIU_WHY" ] || CRIU_WHY="exit status $CRIU_RC: $(tail -1 "$T/check")"
if [ $CRIU_RC != 0 ]; then
	echo "# criu check: $CRIU_WHY"
	start_counter broken
	rt checkpoint --image-path "$T/broken" broken >/dev/null 2>"$T/err"
	RC=$?
	echo "# $RT_NAME checkpoint: $(head -c 300 "$T/err")"
	[ $RC != 0 ]
	check "checkpoint fails where criu cannot run"
	case $RT_NAME in
	keel) like "$(cat "$T/err")" "criu dump: $(printf '%s' "$CRIU_WHY" | sed 's/[][().*^$]/./g')" \
		"... with criu's own first error, as \`criu check\` gives it" ;;
	*) skip "... with criu's own first error" "$RT_NAME reports its own words" ;;
	esac
	is "$(ctr_state broken status)" running "... and the container keeps running"
	before=$(counter "$PID")
	counter_passes "$PID" "$before"
	check "... and counting"
	rt delete -f broken >/dev/null 2>&1
	ctr_gone broken "$PID"
	if [ "$RT_NAME" = keel ]; then
		# Images that get as far as criu: criu's refusal, then nothing left.
		mkdir -p "$T/fake"
		echo '["/dev/null","/dev/null","/dev/null"]' >"$T/fake/descriptors.json"
		rt restore -d --bundle "$B" --image-path "$T/fake" broken </dev/null >/dev/null 2>"$T/err"
		[ $? != 0 ]
		check "restore fails where criu cannot run"
		like "$(cat "$T/err")" "restore .broken.: criu restore: $(printf '%s' "$CRIU_WHY" | sed 's/[][().*^$]/./g')" \
			"... with criu's own first error"
		ctr_gone broken ""
		timeout 20 $RUNTIME --root "$STATE" restore --bundle "$B" --image-path "$T/fake" broken \
			</dev/null >/dev/null 2>"$T/err"
		is "$?" 1 "restore in the foreground fails the same way (exit status 1, no wait)"
		ctr_gone broken ""
	fi
	for t in "checkpoint then restore: counting resumes past the checkpoint" \
		"the restored container is running with the restored init as pid" \
		"checkpoint --leave-running keeps it running" \
		"exec in the restored container" \
		"restore in the foreground waits for the restored init" \
		"delete after restore leaves nothing" \
		"a terminal container: checkpoint and restore with a new pty"; do
		skip "$t" "criu check: $CRIU_WHY"
	done
	kill_holders
	done_testing
fi

# --- a checkpoint and its restore ----------------------------------------------------
start_counter count
# An incremental checkpoint: a pre-dump of the memory, then the dump of
# what changed since (its parent named relative to the image path).
rt checkpoint --pre-dump --image-path "$T/pre" count >/dev/null 2>"$T/err"
RC=$?
if [ $RC = 0 ]; then
	PARENT="--parent-path ../pre"
	is "$(ctr_state count status)" running "checkpoint --pre-dump leaves the container running"
else
	PARENT=
	skip "checkpoint --pre-dump leaves the container running" "$(head -c 200 "$T/err")"
fi
BEFORE=$(counter "$PID")
# shellcheck disable=SC2086 # $PARENT is two words or none
rt checkpoint $PARENT --image-path "$T/img" --work-path "$T/work" count >/dev/null 2>"$T/err"
RC=$?
is "$RC" 0 "checkpoint succeeds"
[ -n "$(cat "$T/err")" ] && echo "# $(head -c 300 "$T/err")"
! proc_alive "$PID"
check "checkpoint without --leave-running ends the container's process"
rt state count >/dev/null 2>&1
[ $? != 0 ]
check "... and deletes the container"

rt_piped restored restore -d --bundle "$B" --image-path "$T/img" --work-path "$T/work" \
	--pid-file "$T/restored.pid" count
is "$RC" 0 "restore -d succeeds"
[ -n "$ERR" ] && echo "# $(printf '%s' "$ERR" | head -c 300)"
is "$(ctr_state count status)" running "the restored container is running"
NEW=$(ctr_state count pid)
is "$(cat "$T/restored.pid" 2>/dev/null)" "$NEW" "--pid-file holds the restored init's pid"
is "$(grep NSpid "/proc/$NEW/status" | awk '{print $NF}')" 1 "... which is pid 1 in its pid namespace again"
is "$(tr '\0' ' ' <"/proc/$NEW/cmdline")" "sh -c $(jq -r '.process.args[2]' "$B/config.json") " \
	"... and runs the container's shell loop"
AT=$(counter "$NEW")
[ -n "$AT" ] && [ "$AT" -ge "$BEFORE" ]
check "its /tmp holds the count from the checkpoint ($AT, >= $BEFORE read before it)"
counter_passes "$NEW" "$AT"
check "the restored container keeps counting from there ($(counter "$NEW") > $AT)"
grep -q "^0::/keeltest-$$-count\$" "/proc/$NEW/cgroup" ||
	grep -q ":/keeltest-$$-count\$" "/proc/$NEW/cgroup"
check "the restored init is in the container's cgroup"

rt checkpoint --leave-running --image-path "$T/img2" count >/dev/null 2>"$T/err"
is "$?" 0 "checkpoint --leave-running succeeds"
is "$(ctr_state count status)" running "... and the container is still running"
AT=$(counter "$NEW")
counter_passes "$NEW" "$AT"
check "... and counting"
[ -f "$T/img2/inventory.img" ]
check "... with its images written"

AT=$(counter "$NEW")
rt exec count cat /tmp/c >"$T/exec.out" 2>&1
[ "$(cat "$T/exec.out")" -ge "$AT" ] 2>/dev/null
check "exec in the restored container reads its /tmp ($(cat "$T/exec.out") >= $AT)"

# restore in the foreground: the runtime waits for the restored init, exits
# with its status and deletes the container, as `run` does.
rt checkpoint --image-path "$T/img3" count >/dev/null 2>"$T/err"
is "$?" 0 "checkpoint again, to restore in the foreground"
rm -f "$T/fg.rc"
sh -c 'echo $$ >"$1"; exec sleep 1000' sh "$T/fg.holder" 2>/dev/null |
	{ rt restore --bundle "$B" --image-path "$T/img3" count 2>&1; echo $? >"$T/fg.rc"; } |
	cat >"$T/fg.out" &
ctr_wait_status count running
check "restore in the foreground: the container runs"
FG=$(ctr_state count pid)
AT=$(counter "$FG")
counter_passes "$FG" "$AT"
check "... and counts"
rt kill count KILL
_i=0
while [ ! -s "$T/fg.rc" ] && [ $_i -lt 200 ]; do
	sleep 0.05
	_i=$((_i + 1))
done
is "$(cat "$T/fg.rc" 2>/dev/null)" 137 "... restore exits 128+9 when the init is killed"
ctr_gone count "$FG"

# --- a terminal container ---------------------------------------------------------------
# Its stdio is the slave of a pty whose master the console socket's holder
# has (conmon, the shim).  criu dumps that pty as external; restore gives
# the tree a new one (runc has criu make it over its RPC), sends its master
# to restore's --console-socket, and it is again the init's stdio, its
# controlling terminal and /dev/console.
recv_console() { # recv_console SOCK OUT: a console-recv.py listening on SOCK
	python3 "$_rt_here/console-recv.py" "$1" "$2" &
	RT_PIDS="$RT_PIDS $!"
	_i=0
	while [ ! -S "$1" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
}
cfg tty
cfg_set '.process.terminal = true | .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs",
	options: ["nosuid", "nodev", "mode=1777"]}]'
cfg_sh 'i=0; while :; do echo $i > /tmp/c; i=$((i+1)); sleep 0.1; done'
if [ "$RT_NAME" = keel ]; then
	rt restore -d --bundle "$B" --image-path "$T/none" tty </dev/null >/dev/null 2>"$T/err"
	[ $? != 0 ]
	check "tty: restore -d of a terminal container without --console-socket is refused"
	like "$(cat "$T/err")" "process.terminal is set: a detached restore needs --console-socket" \
		"... saying where the pty's master would have to go"
	ctr_gone tty ""
fi
recv_console "$T/tty1.sock" "$T/tty1.out"
rt run -d --console-socket "$T/tty1.sock" --bundle "$B" tty </dev/null >/dev/null 2>"$T/err"
is "$?" 0 "tty: a terminal counter container runs (--console-socket)"
TPID=$(ctr_state tty pid)
counter_passes "$TPID" 2
check "tty: it counts"
rt checkpoint --image-path "$T/tty-img" tty >/dev/null 2>"$T/err"
is "$?" 0 "checkpoint of a terminal container succeeds"
show=$(head -c 300 "$T/err") && [ -n "$show" ] && echo "# $show"
recv_console "$T/tty2.sock" "$T/tty2.out"
rt restore -d --console-socket "$T/tty2.sock" --bundle "$B" --image-path "$T/tty-img" tty \
	</dev/null >/dev/null 2>"$T/err"
is "$?" 0 "restore -d --console-socket of it succeeds"
show=$(head -c 300 "$T/err") && [ -n "$show" ] && echo "# $show"
TNEW=$(ctr_state tty pid)
AT=$(counter "$TNEW")
counter_passes "$TNEW" "${AT:-0}"
check "... the restored init counts on (past ${AT:-?})"
rt exec tty sh -c 'for f in 0 1 2; do readlink /proc/1/fd/$f; done | sort -u | wc -l
	readlink /proc/1/fd/0; [ "$(cut -d" " -f7 /proc/1/stat)" != 0 ] && echo ctty
	[ "$(stat -L -c %t:%T /dev/console)" = "$(stat -L -c %t:%T /proc/1/fd/0)" ] && echo console
	echo to-the-terminal >/proc/1/fd/1' >"$T/tty.exec" 2>&1
is "$(sed -n 1p "$T/tty.exec")" 1 "... its stdin, stdout and stderr are one file"
like "$(sed -n 2p "$T/tty.exec")" "^/dev/pts/[0-9]+$" "... a pty"
is "$(sed -n 3,4p "$T/tty.exec" | tr '\n' ' ')" "ctty console " "... which is its controlling terminal and /dev/console"
_i=0
until grep -q to-the-terminal "$T/tty2.out" 2>/dev/null || [ $_i -ge 100 ]; do sleep 0.05; _i=$((_i + 1)); done
grep -q to-the-terminal "$T/tty2.out" 2>/dev/null
check "... and what is written to it reaches the new console socket's holder"
rt delete -f tty >/dev/null 2>&1
ctr_gone tty "$TNEW"
kill_holders
done_testing
