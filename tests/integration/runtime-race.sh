#!/bin/sh
# The race attacks runc has been hit by, run for real: a racer (a process
# of a sibling container, here tests/lib/race-flip.c on the host) flips a
# symlink in a directory shared with the container being created, in a
# tight loop, while the runtime creates it again and again.  Afterwards
# nothing of the host or of procfs may have been touched:
#   CVE-2025-31133  maskedPaths bound from a /dev/null swapped for a symlink
#                   (or deleted)
#   CVE-2025-52565  /dev/console bound from a /dev/pts swapped for a symlink
#   CVE-2025-52881  a procfs write (linux.sysctl) redirected by a mount that a
#                   symlink in a volume steered into /proc
#   CVE-2021-30465  mount destinations swapped for symlinks out of the rootfs
#   CVE-2024-45310  directories and files made through a racing symlink
# Every target is harmless: files and directories of this test, the
# container's own fds; /proc/sys/kernel/core_pattern is only read.
# RUNTIME=runc|crun runs the same races against Debian's runc 1.1.5 and
# crun 1.8; where they lose, the check says so as a skip naming what was
# seen (docs/runtime-linux.md, "Races").  RACE_RUNS (default 20) is the
# number of creates per race.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

command -v python3 >/dev/null || skip_all "python3 is needed for the console receiver"
command -v cc >/dev/null || skip_all "no C compiler for the racer (tests/lib/race-flip.c)"
cc -O2 -o "$T/race-flip" "$_rt_here/race-flip.c" 2>"$T/cc.err" ||
	skip_all "cannot build tests/lib/race-flip.c: $(head -1 "$T/cc.err")"
RUNS=${RACE_RUNS:-20}
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # not a slow shim
CORE_PATTERN=$(cat /proc/sys/kernel/core_pattern)

# race_start MODE ARGS: the racer in the background ($RACER); at most 20 s.
race_start() {
	"$T/race-flip" -t 20 "$@" 2>"$T/racer.err" &
	RACER=$!
	RT_PIDS="$RT_PIDS $RACER"
	sleep 0.05
}
race_stop() {
	kill "$RACER" 2>/dev/null
	wait "$RACER" 2>/dev/null
	echo "# $(cat "$T/racer.err")"
}

# A known vulnerable runtime is a skip with what was seen, never a pass.
# No create that got through shows nothing either way: a skip, with why
# (the calm runs after each race show that the bundle itself runs).
verdict() { # verdict OK DESCRIPTION SEEN
	if [ "$RAN" = 0 ] && [ "$1" = 0 ]; then
		skip "$2" "no create got through the race: $(head -c 150 "$T/err")"
	elif [ "$1" = 0 ]; then
		true
		check "$2"
	elif [ "$RT_NAME" != keel ]; then
		skip "$2" "$RT_NAME $($RUNTIME --version | head -1 | awk '{print $3}') loses this race: $3"
	else
		false
		check "$2"
		echo "#   seen: $3"
	fi
}

# race_runs NAME: `run` the bundle $B RUNS times as NAME-1..NAME-RUNS;
# $RAN is how many got to run the container's script, $OUTS every output.
race_runs() {
	RAN=0
	OUTS=
	_run=1
	while [ $_run -le "$RUNS" ]; do
		CTR=$1-$_run
		: >"$T/stdin"
		if [ -n "${RUN_CONSOLE:-}" ]; then
			run_console
		else
			timeout -k 3 20 $RUNTIME --root "$STATE" run --bundle "$B" "$CTR" \
				<"${RUN_STDIN:-$T/stdin}" >"$T/out" 2>"$T/err"
		fi
		rt delete --force "$CTR" >/dev/null 2>&1
		if grep -q RAN "$T/out"; then
			RAN=$((RAN + 1))
		fi
		OUTS="$OUTS$(grep -aoE '(UNMASKED|CONSOLE-NOT-A-PTY|IP_FORWARD):[^ ]*' "$T/out")
"
		_run=$((_run + 1))
	done
	echo "# $1: $RAN of $RUNS creates ran the container (the others were refused); last stderr: $(head -c 200 "$T/err")"
}

# process.terminal through --console-socket, as containerd's shim runs it
# (runc's `run` wants a terminal on stdin for its own pty): create, start,
# wait, with console-recv.py copying the pty to $T/out.
run_console() {
	rm -f "$T/con.sock" "$T/out"
	$PY "$_rt_here/console-recv.py" "$T/con.sock" "$T/out" 2>/dev/null &
	_recv=$!
	_w=0
	while [ ! -S "$T/con.sock" ] && [ $_w -lt 100 ]; do sleep 0.02; _w=$((_w + 1)); done
	timeout -k 3 20 $RUNTIME --root "$STATE" create --bundle "$B" --console-socket "$T/con.sock" \
		"$CTR" <"${RUN_STDIN:-$T/stdin}" >/dev/null 2>"$T/err" &&
		rt start "$CTR" 2>>"$T/err" && ctr_wait_status "$CTR" stopped
	rt delete --force "$CTR" >/dev/null 2>&1
	_w=0
	while kill -0 "$_recv" 2>/dev/null && [ $_w -lt 50 ]; do sleep 0.02; _w=$((_w + 1)); done
	kill "$_recv" 2>/dev/null
	wait "$_recv" 2>/dev/null
	touch "$T/out"
}

# A /dev for the container in a directory the racer shares: the config
# binds it instead of a tmpfs, so the runtime makes no nodes of its own.
shared_dev() {
	mkdir -p "$1/pts" "$1/shm" "$1/mqueue"
	mknod -m 666 "$1/null" c 1 3
	mknod -m 666 "$1/zero" c 1 5
	mknod -m 666 "$1/full" c 1 7
	mknod -m 666 "$1/random" c 1 8
	mknod -m 666 "$1/urandom" c 1 9
	mknod -m 666 "$1/tty" c 5 0
	ln -s pts/ptmx "$1/ptmx"
	cfg_set '.mounts = [.mounts[] | if .destination == "/dev"
		then {destination: "/dev", type: "bind", source: $d, options: ["rbind", "rw"]}
		else . end]' --arg d "$1"
}

# --- CVE-2025-31133: maskedPaths and a racing /dev/null -------------------
# The masks are binds of /dev/null; a /dev/null that is a symlink to a
# procfs file when the runtime binds it makes a masked path that procfs
# file, writable.  Two targets: core_pattern (the CVE's; only read here,
# and the container's own later open of /dev/null then fails on the
# read-only /proc/sys, so few of those runs get far) and the container
# init's own oom_score_adj (harmless, and writable, so the runs go on and
# show the bind).  The container only looks: every masked file must be
# the null device.
MASK_SCRIPT='for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug \
	/proc/latency_stats /proc/timer_stats; do
	[ -e $p ] || [ -L $p ] || continue
	[ -c $p ] || echo "UNMASKED:$p"
done; echo RAN'

for target in /proc/sys/kernel/core_pattern /proc/self/oom_score_adj; do
	name=sc-mask-$(basename "$target" | tr _ -)
	cfg "$name"
	S=$T/dev-$name
	shared_dev "$S"
	ln -s "$target" "$S/null.evil"
	cfg_sh "$MASK_SCRIPT"
	race_start exchange "$S/null" "$S/null.evil"
	race_runs "$name"
	race_stop
	[ -z "$(echo $OUTS)" ]
	verdict $? "CVE-2025-31133: /dev/null raced to a symlink to $target: no masked path is a procfs file ($RAN of $RUNS ran)" \
		"$(echo "$OUTS" | grep . | sort | uniq -c | tr '\n' ' ')"
	[ -c "$S/null" ] && [ -L "$S/null.evil" ]
	check "the racer put /dev/null back"
done
is "$(cat /proc/sys/kernel/core_pattern)" "$CORE_PATTERN" "CVE-2025-31133: the host's core_pattern is unchanged"

# Deletion: a missing /dev/null must fail the create, not leave the path
# unmasked.
cfg sc-maskdel
S=$T/dev-maskdel
shared_dev "$S"
cfg_sh "$MASK_SCRIPT"
race_start toggle "$S/null" "$S/null.gone"
race_runs sc-maskdel
race_stop
[ -z "$(echo $OUTS)" ]
verdict $? "CVE-2025-31133: /dev/null raced away: no masked path is left unmasked ($RAN of $RUNS ran)" \
	"$(echo "$OUTS" | grep . | sort | uniq -c | tr '\n' ' ')"

# Without the racer the same bundle runs: the refusals above were the race.
CTR=sc-maskdel-calm
ctr_run
is "$OUT" RAN "with /dev/null left alone the masked container runs"

# --- CVE-2025-52565: /dev/console and a racing /dev/pts -------------------
# The console is a bind of the pty /dev/pts/N.  With /dev/pts a symlink
# when the runtime binds it by name, /dev/console becomes whatever N is
# there: in /proc/self/fd the runtime's own fd N (its stdin here is a host
# file of this test), or a plain file of the image (/sc-fake-pts/N, what
# any directory the container controls could hold).  /dev/console must be
# a pty (major 136) every time, and the host file untouched.
# Its ptmx leads back to the real devpts, which the swap renamed pts.evil,
# so that /dev/ptmx opens in either state, as an attacker would arrange.
mkdir -p "$T/rootfs/sc-fake-pts"
for n in 0 1 2 3; do echo fake >"$T/rootfs/sc-fake-pts/$n"; done
ln -s /dev/pts.evil/ptmx "$T/rootfs/sc-fake-pts/ptmx"
VICTIM=$T/console-victim
echo "host-file" >"$VICTIM"
for target in /proc/self/fd /sc-fake-pts; do
	name=sc-console-$(basename "$target")
	cfg "$name"
	S=$T/dev-$name
	shared_dev "$S"
	ln -s "$target" "$S/pts.evil"
	cfg_set '.process.terminal = true'
	cfg_sh 'ls -lL /dev/console | grep -q "^c.* 136, " ||
		echo "CONSOLE-NOT-A-PTY:$(ls -lL /dev/console | cut -c1-10)"; echo RAN'
	RUN_STDIN=$VICTIM RUN_CONSOLE=1
	race_start exchange "$S/pts" "$S/pts.evil"
	race_runs "$name"
	race_stop
	RUN_STDIN= RUN_CONSOLE=
	[ -z "$(echo $OUTS)" ] && [ "$(cat "$VICTIM")" = host-file ]
	verdict $? "CVE-2025-52565: /dev/pts raced to a symlink to $target: /dev/console is always the pty ($RAN of $RUNS ran)" \
		"$(echo "$OUTS" | grep . | sort | uniq -c | tr '\n' ' ') host file: $(head -c 40 "$VICTIM")"
done
CTR=sc-console-calm
: >"$T/stdin"
RUN_CONSOLE=1
run_console
RUN_CONSOLE=
if [ "$RT_NAME" = crun ] && ! grep -q RAN "$T/out"; then
	skip "console container without the race" "crun 1.8 cannot bind the console in a /dev bound from a directory: $(head -c 150 "$T/err")"
else
	like "$(cat "$T/out")" RAN "with /dev/pts left alone the console container runs"
fi

# --- CVE-2025-52881: a procfs write redirected by a racing mount ----------
# A volume shared with the racer holds x, flipped between a file and a
# symlink to /proc/sys/net/ipv4/ip_forward; the config binds a host file
# of this test on /vol/x and sets net.ipv4.ip_forward.  A bind steered
# into procfs would take the runtime's sysctl write (with a procfs file as
# the source, core_pattern): the host file must stay empty.
cfg sc-sysctl
V=$T/vol-sysctl
mkdir -p "$V"
: >"$V/x"
ln -s /proc/sys/net/ipv4/ip_forward "$V/x.evil"
SINK=$T/sysctl-sink
: >"$SINK"
cfg_set '.mounts += [{destination: "/vol", type: "bind", source: $v, options: ["rbind", "rw"]},
	{destination: "/vol/x", type: "bind", source: $s, options: ["bind", "rw"]}]
	| .linux.sysctl = {"net.ipv4.ip_forward": "1"}' --arg v "$V" --arg s "$SINK"
cfg_sh 'f=$(cat /proc/sys/net/ipv4/ip_forward); [ "$f" = 1 ] || echo "IP_FORWARD:$f"; echo RAN'
race_start exchange "$V/x" "$V/x.evil"
race_runs sc-sysctl
race_stop
[ ! -s "$SINK" ]
verdict $? "CVE-2025-52881: the sysctl write never lands on the host file a raced mount put on it ($RAN of $RUNS ran)" \
	"host file: '$(head -c 40 "$SINK")'"
[ -z "$(echo $OUTS)" ]
verdict $? "CVE-2025-52881: no raced mount lands on /proc/sys/net/ipv4/ip_forward, which reads 1 ($RAN of $RUNS ran)" \
	"$(echo "$OUTS" | grep . | sort | uniq -c | tr '\n' ' ')"
rm -f "$V/x.evil"
CTR=sc-sysctl-calm
ctr_run
is "$OUT" RAN "with the volume left alone the sysctl container runs and sets ip_forward"

# The runtime's procfs writes themselves: even with a mount on the very
# file (here the config's own bind of a host file on ip_forward, as lxcfs
# binds /proc/meminfo), the sysctl goes to the kernel, not to the mount.
cfg sc-sysctl-bound
: >"$SINK"
cfg_set '.mounts += [{destination: "/proc/sys/net/ipv4/ip_forward", type: "bind", source: $s,
	options: ["bind", "rw"]}] | .linux.sysctl = {"net.ipv4.ip_forward": "1"}' --arg s "$SINK"
cfg_sh 'echo RAN'
ctr_run
if [ "$RT_NAME" = keel ]; then
	[ "$OUT" = RAN ] && [ ! -s "$SINK" ]
	check "CVE-2025-52881: a bind on /proc/sys/net/ipv4/ip_forward does not take the sysctl write (host file: '$(head -c 20 "$SINK")')"
elif [ "$RC" != 0 ]; then
	skip "a bind on a sysctl file" "$RT_NAME refuses the mount (rc $RC)"
else
	[ ! -s "$SINK" ]
	verdict $? "CVE-2025-52881: a bind on /proc/sys/net/ipv4/ip_forward does not take the sysctl write" \
		"the host file got '$(head -c 20 "$SINK")'"
fi

# --- CVE-2021-30465: mount destinations swapped for symlinks --------------
# Four tmpfs mounts in a shared volume, each destination flipped between a
# directory and a symlink climbing out of the rootfs to a host directory.
# A createContainer hook (in the container's mount namespace, before
# pivot_root) lists any mount on that host directory.
cfg sc-dest
V=$T/vol-dest
HOSTDIR=$T/host-dest
mkdir -p "$V" "$HOSTDIR"
pairs=
mounts='[]'
for k in 1 2 3 4; do
	mkdir "$V/d$k"
	ln -s "../../../../../../../../../../..$HOSTDIR" "$V/d$k.evil"
	pairs="$pairs $V/d$k $V/d$k.evil"
done
cfg_set '.mounts += [{destination: "/vol", type: "bind", source: $v, options: ["rbind", "rw"]}]
	+ [range(1; 5) | {destination: "/vol/d\(.)", type: "tmpfs", source: "tmpfs",
	   options: ["size=64k"]}]
	| .hooks.createContainer = [{path: "/bin/sh",
	   args: ["sh", "-c", ("grep -F \" " + $h + "\" /proc/self/mountinfo >>" + $o + "; true")]}]' \
	--arg v "$V" --arg h "$HOSTDIR" --arg o "$T/hook-dest.out"
: >"$T/hook-dest.out"
cfg_sh 'echo RAN'
# shellcheck disable=SC2086 # the pairs are words
race_start exchange $pairs
race_runs sc-dest
race_stop
[ ! -s "$T/hook-dest.out" ] && [ -z "$(ls -A "$HOSTDIR")" ]
verdict $? "CVE-2021-30465: no raced mount destination lands on the host directory ($RAN of $RUNS ran)" \
	"$(head -c 200 "$T/hook-dest.out")"

# --- CVE-2024-45310: creating mount points through a racing symlink --------
# Mount points the runtime must create in a shared volume (a directory and
# a file) while the racer keeps putting a symlink out to a host directory
# where they go.  The host directory must stay empty.
cfg sc-mkdir
R=$T/rootfs-mkdir
cp -a "$T/rootfs" "$R"
V=$T/vol-mkdir
HOSTNEW=$T/host-mkdir
mkdir -p "$V" "$HOSTNEW"
echo file >"$T/mkdir-src"
cfg_set '.root.path = $r | .mounts += [{destination: "/vol", type: "bind", source: $v,
		options: ["rbind", "rw"]},
	{destination: "/vol/new/sub", type: "tmpfs", source: "tmpfs", options: ["size=64k"]},
	{destination: "/vol/newf/file", type: "bind", source: $f, options: ["bind"]}]' \
	--arg r "$R" --arg v "$V" --arg f "$T/mkdir-src"
cfg_sh 'echo RAN'
"$T/race-flip" -t 20 -p 200 link "$V/newf" "../../../../../../../../../../..$HOSTNEW" 2>"$T/racer2.err" &
racer2=$!
RT_PIDS="$RT_PIDS $racer2"
race_start -p 200 link "$V/new" "../../../../../../../../../../..$HOSTNEW"
race_runs sc-mkdir
race_stop
kill "$racer2" 2>/dev/null
wait "$racer2" 2>/dev/null
[ -z "$(ls -A "$HOSTNEW")" ]
verdict $? "CVE-2024-45310: nothing is created in the host directory the racing symlink points to ($RAN of $RUNS ran)" \
	"$(ls -A "$HOSTNEW" | tr '\n' ' ')"

# Nothing of the races is left: no container, no mount under the test's
# directory, no cgroup.
is "$(ls "$STATE" | wc -l)" 0 "no container state is left"
is "$(_rt_mounts_under_t | wc -l)" "$RT_MOUNTS_BEFORE" "no mount is left under the test directory"
left=
for cg in /sys/fs/cgroup/keeltest-$$-* /sys/fs/cgroup/*/keeltest-$$-*; do
	[ -d "$cg" ] && left="$left $cg"
done
is "$left" "" "no cgroup is left"

done_testing
