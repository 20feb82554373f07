#!/bin/sh
# PID 1 under load: keel init as PID 1 of a new PID namespace supervising
# 1 to 3000 busybox containers.  Prints, per N (median of RUNS runs):
#   startup   keel's own "Startup finished in X ms" (first start to all ready)
#   rss       PID 1's VmRSS once everything is up, and its peak (VmHWM)
#   cpu       PID 1's user+system CPU for the startup, and over IDLE s idle
# then per entry: startup and PID 1 CPU divided by N, and the growth
# against the first N >= 100 (1.00 everywhere means linear cost), and,
# for comparison, one container started with `runc run -d` (median).
# Figures only; nothing is asserted.
#
# usage: bench/init.sh [KEEL]
#   (default build/keel; env RUNS=3 IDLE=5 COUNTS="1 10 100 300 1000 3000")
# 3000 containers need about 6 GiB of memory and 7000 open files in PID 1.
set -u
KEEL=${1:-${KEEL:-build/keel}}
KEEL=$(cd "$(dirname "$KEEL")" && pwd)/$(basename "$KEEL")
RUNS=${RUNS:-3}
IDLE=${IDLE:-5}
COUNTS=${COUNTS:-"1 10 100 300 1000 3000"}
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ "$(id -u)" = 0 ] || { echo "bench/init.sh: needs root"; exit 0; }
[ -x "$KEEL" ] || { echo "bench/init.sh: no keel at $KEEL"; exit 1; }

T=$(mktemp -d "/tmp/${BENCH_PREFIX:-keel-bench}-init.XXXXXX")
CGMNT=$( [ -d /sys/fs/cgroup/unified ] && echo /sys/fs/cgroup/unified || echo /sys/fs/cgroup )
CGROOT=${BENCH_PREFIX:-keel-bench}-$$
UPID=
cleanup() {
	[ -n "$UPID" ] && kill -KILL "$UPID" 2>/dev/null
	# keel makes the containers' cgroups in every v1 hierarchy too on a
	# hybrid host: remove them there as well
	for h in "$CGMNT" /sys/fs/cgroup/*; do
		[ -d "$h/$CGROOT" ] && find "$h/$CGROOT" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

R=$T/rootfs
mkdir -p "$R/bin" "$R/proc" "$R/dev" "$R/tmp"
cp "$BUSYBOX" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
ln -s busybox "$R/bin/sleep"

config() { # DIR
	cat >"$1/config.json" <<JSON
{"ociVersion": "1.0.2",
 "process": {"user": {"uid": 0, "gid": 0}, "args": ["/bin/sleep", "100000"], "env": ["PATH=/bin"], "cwd": "/"},
 "root": {"path": "$R", "readonly": true},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "ipc"}, {"type": "uts"}]}}
JSON
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
cpu_ms() { # PID: utime+stime in ms
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"
}

one_run() { # N -> prints "startup_ms rss_kib hwm_kib cpu_start_ms cpu_idle_ms anon_kib"
	n=$1 d=$T/d$n
	rm -rf "$d" "$T/run" "$T/state"
	mkdir -p "$d" "$T/run" "$T/state"
	i=1
	while [ "$i" -le "$n" ]; do
		mkdir -p "$d/c$i"
		config "$d/c$i"
		echo '{"stop": {"signal": "KILL"}}' >"$d/c$i/keel.json"
		i=$((i + 1))
	done
	: >"$T/console.log"
	unshare --pid --fork --mount-proc "$KEEL" init --no-boot --dir "$d" --root "$T/run" \
		--state "$T/state" --cgroup-root "$CGROOT" --console "$T/console.log" \
		>"$T/out.log" 2>&1 &
	UPID=$!
	kpid=
	w=0
	# 60 s, and 60 ms more per entry on this 2-core machine
	while [ "$w" -lt $((1200 + n * 12 / 10)) ]; do
		[ -z "$kpid" ] && kpid=$(awk '{print $1}' "/proc/$UPID/task/$UPID/children" 2>/dev/null)
		grep -q 'Startup finished' "$T/console.log" && break
		sleep 0.05
		w=$((w + 1))
	done
	ms=$(sed -n 's/.*Startup finished in \([0-9]*\)ms.*/\1/p' "$T/console.log")
	ready=$(sed -n 's/.*Startup finished in [0-9]*ms: \([0-9]*\) ready.*/\1/p' "$T/console.log")
	c0=$(cpu_ms "$kpid")
	sleep "$IDLE"
	c1=$(cpu_ms "$kpid")
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$kpid/status")
	anon=$(awk '/RssAnon/ {print $2}' "/proc/$kpid/status")
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$kpid/status")
	kill -TERM "$kpid"
	wait "$UPID"
	UPID=
	[ "${ready:-0}" = "$n" ] || echo "# warning: only ${ready:-0} of $n ready" >&2
	echo "${ms:-0} $rss $hwm $c0 $((c1 - c0)) $anon"
}

echo "keel init as PID 1 of a PID namespace ($(basename "$KEEL"), $RUNS runs, median)"
printf '%-6s %12s %10s %10s %10s %14s %16s\n' N startup_ms rss_KiB anon_KiB peak_KiB cpu_start_ms \
	"cpu_idle_${IDLE}s_ms"
# Every entry holds a log pipe in PID 1 (two fds), and its helper one
# more while it starts: 3000 entries need more than the usual 1024.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
: >"$T/table"
for n in $COUNTS; do
	: >"$T/runs"
	r=0
	while [ "$r" -lt "$RUNS" ]; do
		one_run "$n" >>"$T/runs"
		r=$((r + 1))
	done
	printf '%-6s %12s %10s %10s %10s %14s %16s\n' "$n" \
		"$(awk '{print $1}' "$T/runs" | median)" "$(awk '{print $2}' "$T/runs" | median)" \
		"$(awk '{print $6}' "$T/runs" | median)" \
		"$(awk '{print $3}' "$T/runs" | median)" "$(awk '{print $4}' "$T/runs" | median)" \
		"$(awk '{print $5}' "$T/runs" | median)"
	echo "$n $(awk '{print $1}' "$T/runs" | median) $(awk '{print $4}' "$T/runs" | median)" >>"$T/table"
done
echo
echo "per entry (growth: against the first N >= 100; 1.00 is linear)"
awk 'BEGIN { printf "%-6s %16s %10s %14s %18s %10s\n", "N", "startup_ms/entry", "growth",
                    "startup_ratio", "pid1_cpu_us/entry", "growth" }
     { s = $2 / $1; c = $3 * 1000 / $1
       if (!base && $1 >= 100) { base = 1; s0 = s; c0 = c; t0 = $2; n0 = $1 }
       printf "%-6s %16.2f %10s %14s %18.1f %10s\n", $1, s,
              base && s0 ? sprintf ("%.2f", s / s0) : "-",
              base && t0 ? sprintf ("%.1fx (%gx N)", $2 / t0, $1 / n0) : "-",
              c, base && c0 ? sprintf ("%.2f", c / c0) : "-" }' "$T/table"

# One container through keel's linked runtime vs `runc run -d` (create +
# start as separate processes, as a container engine would do it).
b=$T/bundle
mkdir -p "$b"
config "$b"
if command -v runc >/dev/null; then
	: >"$T/runc"
	r=0
	while [ "$r" -lt 5 ]; do
		t0=$(date +%s%N)
		runc --root "$T/runc-root" run -d -b "$b" --pid-file "$T/pid" "bench$r" >/dev/null 2>&1 </dev/null
		rc=$?
		t1=$(date +%s%N)
		[ "$rc" = 0 ] && echo $(( (t1 - t0) / 1000000 )) >>"$T/runc"
		runc --root "$T/runc-root" delete -f "bench$r" >/dev/null 2>&1
		r=$((r + 1))
	done
	echo "runc run -d, one container: $(median <"$T/runc") ms (median of $(wc -l <"$T/runc") runs)"
fi
# crun 1.8 refuses this hybrid host's unified hierarchy unless its
# cgroup.controllers looks empty (brief): hide it in a private mount ns.
if command -v crun >/dev/null; then
	: >"$T/empty"
	: >"$T/crun"
	unshare -m sh -c '
		[ -f /sys/fs/cgroup/unified/cgroup.controllers ] &&
			mount --bind "$1/empty" /sys/fs/cgroup/unified/cgroup.controllers
		r=0
		while [ $r -lt 5 ]; do
			t0=$(date +%s%N)
			crun --root "$1/crun-root" run -d -b "$1/bundle" "bench$r" >/dev/null 2>&1 </dev/null &&
				echo $(( ($(date +%s%N) - t0) / 1000000 )) >>"$1/crun"
			crun --root "$1/crun-root" delete -f "bench$r" >/dev/null 2>&1
			r=$((r + 1))
		done' sh "$T"
	echo "crun run -d, one container: $(median <"$T/crun") ms (median of $(wc -l <"$T/crun") runs)"
fi
echo "(keel's N=1 startup includes reading containers.d, create + start in a helper, readiness)"
