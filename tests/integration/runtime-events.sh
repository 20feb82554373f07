#!/bin/sh
# `events`: a container's cgroup statistics as runc 1.1's JSON
# ({"type":"stats","id":ID,"data":{...}}), once with --stats or every
# --interval until the container stops, and an {"type":"oom"} event when
# its memory cgroup reports an OOM.  Every number is checked against the
# kernel's own file for the container's cgroup (v1 on a hybrid or legacy
# host, v2 on a unified one).
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"

rt_setup "$@"

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	V2=/sys/fs/cgroup
	cgfile() { cat "$V2/keeltest-$$-$1/$3" 2>/dev/null; } # cgfile CTR CONTROLLER FILE
else
	V2=
	cgfile() { cat "/sys/fs/cgroup/$2/keeltest-$$-$1/$3" 2>/dev/null; }
	[ -f /sys/fs/cgroup/memory/cgroup.procs ] && [ -f /sys/fs/cgroup/pids/cgroup.procs ] ||
		skip_all "no v1 memory and pids hierarchies at /sys/fs/cgroup/{memory,pids}"
fi

if [ "$RT_NAME" = crun ] && ! rt events --help >/dev/null 2>&1; then
	skip_all "crun $(crun --version | awk 'NR == 1 { print $3 }') has no events command"
fi

start_detached() {
	rm -f "$T/$CTR.pid"
	rt run -d --bundle "$B" --pid-file "$T/$CTR.pid" "$CTR" </dev/null >/dev/null 2>"$T/err"
	_rc=$?
	[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
	pid=$(cat "$T/$CTR.pid" 2>/dev/null)
	return $_rc
}

# features says what create and update apply: rdma limits go to rdma.max.
if [ "$(rt features 2>/dev/null | jq -r .linux.cgroup.rdma)" = null ]; then
	skip "features: linux.cgroup.rdma" "$RT_NAME's features has no linux.cgroup.rdma"
else
	is "$(rt features 2>/dev/null | jq -r .linux.cgroup.rdma)" true "features: linux.cgroup.rdma is true"
fi

# wait_exit PID: wait (up to ~5 s) for our background `events` to exit.
wait_exit() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# after_kill PID ID: the container was killed; runc's events (whose OOM
# notifier only closes when the cgroup goes) keeps running until `delete`,
# keel's ends with the container's process.  Checks, and never leaves PID
# running.
after_kill() {
	if ! wait_exit "$1" && [ "$RT_NAME" != keel ]; then
		echo "# $RT_NAME: events still runs after the container was killed; deleting it"
		rt delete --force "$2" >/dev/null 2>&1
		wait_exit "$1"
	fi
	check "events exits when the container is killed"
	kill -9 "$1" 2>/dev/null
	wait "$1"
	is "$?" 0 "... with status 0"
}

# --- --stats -----------------------------------------------------------------

cfg stats
cfg_set '.process.args = ["sleep", "1000"]
	| .linux.resources.memory = {limit: 67108864}
	| .linux.resources.pids = {limit: 20}'
start_detached
check "stats: a container with memory and pids limits runs"

rt events --stats stats >"$T/ev" 2>"$T/err"
is "$?" 0 "events --stats exits 0"
[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
is "$(wc -l <"$T/ev")" 1 "... and prints one line"
jq -e . "$T/ev" >/dev/null 2>&1
check "... which is JSON"
is "$(jq -r '.type' "$T/ev")" stats ".type is stats"
is "$(jq -r '.id' "$T/ev")" stats ".id is the container's"

ev() { jq -r ".data.$1 // empty" "$T/ev"; }

usage=$(ev memory.usage.usage)
[ "${usage:-0}" -gt 0 ]
check "memory.usage.usage > 0 ($usage)"
if [ -n "$V2" ]; then
	is "$(ev memory.usage.limit)" "$(cgfile stats memory memory.max)" "memory.usage.limit is memory.max"
	k_usage=$(cgfile stats memory memory.current)
	k_cur=$(cgfile stats pids pids.current)
	k_cpu=$(awk '$1 == "usage_usec" { print $2 * 1000 }' "$V2/keeltest-$$-stats/cpu.stat")
else
	is "$(ev memory.usage.limit)" "$(cgfile stats memory memory.limit_in_bytes)" \
		"memory.usage.limit is memory.limit_in_bytes"
	k_usage=$(cgfile stats memory memory.usage_in_bytes)
	k_cur=$(cgfile stats pids pids.current)
	k_cpu=$(cgfile stats cpuacct cpuacct.usage)
	is "$(ev memory.raw.cache)" "$(awk '$1 == "cache" { print $2 }' \
		/sys/fs/cgroup/memory/keeltest-$$-stats/memory.stat)" "memory.raw.cache is memory.stat's cache"
fi
is "$(ev memory.usage.limit)" 67108864 "... the configured 64 MiB"
# usage moves a little between two reads: within 1 MiB of the kernel's
[ -n "$k_usage" ] && [ "$(( usage > k_usage ? usage - k_usage : k_usage - usage ))" -lt 1048576 ]
check "memory.usage.usage ($usage) is the kernel's ($k_usage), within 1 MiB"
is "$(ev pids.current)" "$k_cur" "pids.current is the kernel's pids.current"
[ "$(ev pids.current)" -ge 1 ] 2>/dev/null
check "pids.current >= 1"
is "$(ev pids.limit)" 20 "pids.limit is the configured 20"
is "$(cgfile stats pids pids.max)" 20 "... as pids.max says"
total=$(ev cpu.usage.total)
[ "${total:-0}" -gt 0 ]
check "cpu.usage.total > 0 ($total)"
# sleep 1000 uses no more cpu after it started: the kernel's later read is
# the same or a little higher
[ -n "$k_cpu" ] && [ "$k_cpu" -ge "$total" ] && [ "$((k_cpu - total))" -lt 100000000 ]
check "cpu.usage.total is the kernel's ($k_cpu ns), within 0.1 s"
jq -e '.data.cpu.usage | has("kernel") and has("user")' "$T/ev" >/dev/null
check "cpu.usage has kernel and user (runc prints them even when 0)"
jq -e '.data.hugetlb | type == "object"' "$T/ev" >/dev/null
check "hugetlb is a map"
# "0-2,5" -> "0,1,2,5"
expand() { awk -F, '{ for (i = 1; i <= NF; i++) { n = split($i, r, "-"); for (c = r[1]; c <= r[n]; c++) printf "%s%d", (o++ ? "," : ""), c } }'; }
if [ -n "$V2" ]; then
	k_cpus=$(cgfile stats cpuset cpuset.cpus.effective | expand)
else
	k_cpus=$(cgfile stats cpuset cpuset.cpus | expand)
fi
is "$(jq -r '.data.cpuset.cpus // [] | map(tostring) | join(",")' "$T/ev")" "$k_cpus" \
	"cpuset.cpus is the kernel's list ($k_cpus)"

# --- streaming ---------------------------------------------------------------

rt events --interval 1s stats >"$T/stream" 2>"$T/stream.err" &
epid=$!
RT_PIDS="$RT_PIDS $epid"
sleep 3.3
n=$(grep -c '"type":"stats"' "$T/stream")
[ "$n" -ge 2 ] && [ "$n" -le 4 ]
check "events --interval 1s: $n stats lines in 3.3 s"
jq -e -s 'all(.[]; .id == "stats" and (.data.pids.current >= 1))' "$T/stream" >/dev/null 2>&1
check "... each JSON with the id and pids.current"
rt kill stats KILL 2>/dev/null
after_kill "$epid" stats
[ -s "$T/stream.err" ] && printf '# stderr: %s\n' "$(head -3 "$T/stream.err")"

# --- stopped and unknown -----------------------------------------------------

cfg stopped
start_detached
rt kill stopped KILL 2>/dev/null
ctr_wait_status stopped stopped
rt events --stats stopped >/dev/null 2>"$T/err"
is "$?" 1 "events on a stopped container exits 1"
like "$(cat "$T/err")" "container with id stopped is not running" "... with runc's message"
rt delete --force stats >/dev/null 2>&1
rt delete stopped >/dev/null 2>&1

rt events --stats nosuch >/dev/null 2>"$T/err"
is "$?" 1 "events on an unknown container exits 1"
printf '# %s: %s\n' "$RT_NAME" "$(head -1 "$T/err")"

# --- OOM ---------------------------------------------------------------------

cfg oom
# The container's own shell allocates, in a subshell the OOM killer picks
# (the biggest task of the cgroup), then sleeps on.  Not `exec`: a process
# that missed the container's memory cgroup would grow in the host's.  The
# subshell checks it is in the container's memory cgroup and stops at
# 128 MiB whatever happens.
cfg_set '.process.args = ["sh", "-c", $s] | .linux.resources.memory = {limit: 16777216}' \
	--arg s "sleep 1; grep -Eq '(:memory:|^0::)/keeltest-$$-oom\$' /proc/self/cgroup &&
	(x=0123456789abcdef; i=0; while [ \$i -lt 23 ]; do x=\$x\$x; i=\$((i + 1)); done); sleep 1000"
if [ -z "$V2" ] && [ -f /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
	# without a memsw limit the allocation could go to swap instead
	cfg_set '.linux.resources.memory.swap = 16777216'
fi
start_detached
check "oom: a container with a 16 MiB limit runs"
rt events --interval 10s oom >"$T/oomev" 2>"$T/oom.err" &
epid=$!
RT_PIDS="$RT_PIDS $epid"
sleep 2.5
if [ -z "$V2" ]; then
	k_oom=$(awk '$1 == "oom_kill" { print $2 }' /sys/fs/cgroup/memory/keeltest-$$-oom/memory.oom_control)
else
	k_oom=$(awk '$1 == "oom_kill" { print $2 }' "$V2/keeltest-$$-oom/memory.events")
fi
sleep 0.5
if [ "${k_oom:-0}" -eq 0 ]; then
	skip "oom event" "the kernel reported no OOM kill for the 16 MiB cgroup (oom_kill ${k_oom:-?})"
else
	n=$(grep -c '"type":"oom"' "$T/oomev")
	[ "$n" -ge 1 ]
	check "an oom event appears after the kernel's OOM kill (kernel oom_kill $k_oom, events $n)"
	is "$(grep '"type":"oom"' "$T/oomev" | head -1 | jq -c .)" '{"type":"oom","id":"oom"}' \
		"... as runc prints it"
fi
rt kill oom KILL 2>/dev/null
after_kill "$epid" oom
[ -s "$T/oom.err" ] && printf '# stderr: %s\n' "$(head -3 "$T/oom.err")"
rt delete --force oom >/dev/null 2>&1

done_testing
