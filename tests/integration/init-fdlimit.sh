#!/bin/sh
# Many entries against a small open-file limit for PID 1 (the kernel gives
# PID 1 1024/4096; here 128/4096 with 120 entries, the same shortage at a
# tenth of the cost):
#  - keel raises its own limit (to fs.nr_open with CAP_SYS_RESOURCE, else
#    to its hard limit) and starts them all, and the containers still get
#    1024 soft unless their config.json says otherwise;
#  - when it cannot raise it (no CAP_SYS_RESOURCE, hard limit 128), the
#    starts that run out of descriptors fail with a message, keel keeps
#    running and stops cleanly, and no cgroup is left behind.
. "$(dirname "$0")/init-lib.sh"

N=${KEEL_FDLIMIT_ENTRIES:-120}
command -v prlimit >/dev/null || skip_all "needs prlimit(1)"
command -v setpriv >/dev/null || skip_all "needs setpriv(1)"
make_rootfs
i=0
while [ "$i" -lt "$N" ]; do
	entry "kfl$i" 'echo "nofile $(ulimit -Sn) $(ulimit -Hn)"; exec sleep 1000' '{"stop": {"signal": "KILL"}}'
	i=$((i + 1))
done
entry kflown 'echo "nofile $(ulimit -Sn) $(ulimit -Hn)"; exec sleep 1000' '{"stop": {"signal": "KILL"}}'
sed -i 's|"cwd": "/"$|"cwd": "/", "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 4096}]|' \
	"$D/kflown/config.json"
total=$((N + 1))
nr_open=$(cat /proc/sys/fs/nr_open)
# raising a hard limit needs CAP_SYS_RESOURCE (CAP 24), which not every
# sandbox grants
if [ $(( 0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24 & 1 )) = 1 ]; then
	want_hard=$nr_open
else
	want_hard=4096
fi

# the "nofile SOFT HARD" line container NAME printed (5 s at most)
nofile_of() {
	_n=50
	while [ "$_n" -gt 0 ] && ! ctl logs "$1" | grep -q nofile; do sleep 0.1; _n=$((_n - 1)); done
	ctl logs "$1" | grep nofile
}

cgroups_left() {
	find "$CGMNT/$CGROOT" /sys/fs/cgroup/*/"$CGROOT" -mindepth 1 -type d 2>/dev/null | wc -l
}

# 1. keel raises its limit: everything starts
KEEL_WRAP="prlimit --nofile=128:4096"
start_keel
KEEL_WRAP=
wait_for 'Startup finished' 120
check "startup finished"
like "$(grep 'Startup finished' "$T/console.log")" ": $total ready, 0 done, 0 failed" \
	"all $total entries ready with PID 1 started at 128/4096 open files"
is "$(awk '/^Max open files/ {print $4 ":" $5}' /proc/"$KPID"/limits)" "$want_hard:$want_hard" \
	"PID 1 raised its limit to $want_hard"
child_hard=$((want_hard < 524288 ? want_hard : 524288))
is "$(nofile_of kfl0)" "nofile 1024 $child_hard" "a container gets 1024 soft, $child_hard hard"
is "$(nofile_of kflown)" "nofile 2048 4096" "config.json's RLIMIT_NOFILE wins"
stop_keel
is "$RC" 0 "clean exit"
is "$(cgroups_left)" 0 "no cgroup left after the stop"
show_log_on_failure

# 2. keel cannot raise it: some starts fail, none leaves anything behind
: >"$T/console.log"
_tap_failed_before=$_tap_failed
prlimit --nofile=128:128 setpriv --bounding-set -sys_resource --inh-caps -sys_resource \
	unshare --pid --fork --mount-proc "$KEEL" init --no-boot --dir "$D" --root "$T/run" \
	--state "$T/state" --cgroup-root "$CGROOT" --console "$T/console.log" >"$T/stdout.log" 2>&1 &
UPID=$!
for _ in $(seq 50); do
	KPID=$(cat "/proc/$UPID/task/$UPID/children" 2>/dev/null | awk '{print $1}')
	[ -n "$KPID" ] && break
	sleep 0.1
done
wait_for 'Startup finished' 120
check "startup finished without CAP_SYS_RESOURCE"
is "$(awk '/^Max open files/ {print $4}' /proc/"$KPID"/limits)" 128 "PID 1 stayed at 128 open files"
failed=$(grep 'Startup finished' "$T/console.log" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
[ "${failed:-0}" -gt 0 ]
check "some starts failed for want of descriptors ($failed)"
grep -q 'Failed to start kfl[0-9]*: .*\(No file descriptors\|Too many open files\)' "$T/console.log"
check "with a message that says so"
like "$(ctl list)" 'kfl0 ' "keel still answers"
stop_keel
is "$RC" 0 "clean exit after the failed starts"
is "$(cgroups_left)" 0 "no cgroup left after the stop, failed starts included"
grep 'Failed to start' "$T/console.log" | sed 's/.*Failed to start [a-z0-9]*: //; s/`[^`]*`/PATH/g' |
	sort | uniq -c | sed 's/^/# failed starts: /'
[ "$_tap_failed" = "$_tap_failed_before" ] || show_log_on_failure
done_testing
