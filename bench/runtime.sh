#!/bin/sh
# `run` of /bin/true in one busybox bundle with keel, crun, runc and the
# floor (bench/floor.c: the same kernel work and nothing else) side by
# side: the runtimes alternate, N runs each (BENCH_N, default 50), and for
# each the median wall time, CPU time (user+sys of the runtime and all it
# waited for) and peak RSS (ru_maxrss from wait4, measured by the tiny
# bench/measure.c) are printed with the
# keel/floor, keel/crun and keel/runc ratios; keel runs a second time as
# "bound", memfd-bound (below).  Nothing is asserted.
# BENCH_JSON=FILE also writes every sample and the medians there (bench/plot
# draws them).  BENCH_V2_ONLY=1: see below.
#
# usage: bench/runtime.sh KEEL_BINARY [BASELINE_KEEL_BINARY]
#
# A second keel binary (an older build, e.g. the one before a change) runs
# as "base" in the same alternation, so the cost of a change is read from
# one run on one machine state: `git worktree add /tmp/old BASE && make -C
# /tmp/old && bench/runtime.sh build/keel /tmp/old/build/keel`.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
keel=$(realpath "${1:-$top/build/keel}")
base=${2:+$(realpath "$2")}
n=${BENCH_N:-50}

[ "$(id -u)" = 0 ] || { echo "bench/runtime.sh: needs root"; exit 0; }
for tool in python3 jq cc; do
	command -v $tool >/dev/null || { echo "bench/runtime.sh: needs $tool"; exit 0; }
done
[ -x "$keel" ] || { echo "bench/runtime.sh: no keel binary at $keel"; exit 1; }
[ -z "$base" ] || [ -x "$base" ] || { echo "bench/runtime.sh: no keel binary at $base"; exit 1; }

# Debian's crun refuses a hybrid cgroup host; the usual empty
# cgroup.controllers in a private mount namespace gets it going.  The whole
# benchmark runs in that namespace so every runtime pays the same.
# The same private namespace gets a tmpfs for the runtimes' state (below).
ctl=/sys/fs/cgroup/unified/cgroup.controllers
if [ -z "${KEEL_BENCH_NS:-}" ]; then
	KEEL_BENCH_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
# BENCH_V2_ONLY=1 on a hybrid host: unmount the v1 hierarchies in this
# namespace and mount the cgroup2 hierarchy at /sys/fs/cgroup, so every
# runtime sees a host shaped as a v2 one (crun and runc are left out: they
# cannot tell), and the v1 share of a run is the difference.  Its
# controllers stay with the v1 hierarchies of the host's namespace; the
# device filter is an eBPF program for keel and the floor alike.  Before
# the tenth pass cgroup2 stayed at /sys/fs/cgroup/unified, on a tmpfs,
# where keel still read mountinfo to tell the host's shape (a v2 host's
# /sys/fs/cgroup answers statfs alone); BENCH_V2_ONLY=unified does that.
if [ -n "${BENCH_V2_ONLY:-}" ] && [ -f "$ctl" ]; then
	for h in /sys/fs/cgroup/*; do
		[ "$h" = /sys/fs/cgroup/unified ] || ! mountpoint -q "$h" || umount "$h"
	done
	if [ "$BENCH_V2_ONLY" != unified ]; then
		umount /sys/fs/cgroup/unified && umount /sys/fs/cgroup &&
			mount -t cgroup2 cgroup2 /sys/fs/cgroup ||
			{ echo "bench/runtime.sh: cannot mount cgroup2 at /sys/fs/cgroup"; exit 1; }
	fi
	export FLOOR_V1=0
fi
if [ -f "$ctl" ]; then
	empty=$(mktemp /tmp/keel-bench-empty.XXXXXX)
	mount --bind "$empty" "$ctl"
	rm -f "$empty"
fi

. "$top/tests/lib/bundle.sh"
dir=$(mktemp -d /tmp/keel-bench.XXXXXX)
# The runtimes' state directories (--root) on a tmpfs, where they live in
# real use (/run/keel, /run/crun, /run/runc, a tmpfs): on ext4 the state files'
# inode allocation alone was ~13% of keel's CPU time here.
# /run is not a tmpfs on every machine (it is not here), so the private
# mount namespace gets its own.
state=$dir/state
mkdir "$state"
mount -t tmpfs -o mode=0700 tmpfs "$state"
# the floor's parent cgroups (bench/floor.c makes keel-floor/ID) go too;
# a memfd-bind (below) takes its mount away first
mb=
trap '[ -z "$mb" ] || { kill "$mb"; wait "$mb"; }; umount "$state"; rm -rf "$dir"
	rmdir /sys/fs/cgroup/*/keel-floor /sys/fs/cgroup/keel-floor 2>/dev/null' EXIT
bundle_rootfs "$dir/bundle/rootfs" || { echo "bench/runtime.sh: no static busybox"; exit 0; }
# One config for all: runc's default with /bin/true and no terminal.
(cd "$dir" && runc spec 2>/dev/null || "$keel" runtime spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$dir/config.json" \
	>"$dir/bundle/config.json"

# The measuring helper, static so that its own pre-exec footprint (which
# ru_maxrss includes) is as small as a process gets.
cc -O2 -static -o "$dir/measure" "$here/measure.c" 2>/dev/null ||
	cc -O2 -o "$dir/measure" "$here/measure.c"
# The floor (bench/floor.c): the same kernel work with nothing else,
# static with musl like keel (glibc's static start-up alone asks the CPU
# for its cache sizes with cpuid, which traps to the hypervisor in a VM).
musl-gcc -O2 -static -o "$dir/floor" "$here/floor.c" 2>/dev/null ||
	cc -O2 -static -o "$dir/floor" "$here/floor.c" 2>/dev/null ||
	cc -O2 -o "$dir/floor" "$here/floor.c"

# keel once more as "bound": the same binary, copied, with a sealed copy
# in memory mounted over the copy by `keel runtime memfd-bind` (runtime/
# cli/memfd-bind.c), so it skips its re-exec from a protected file (the
# CVE-2019-5736 protection, lib/selfclone.c): keel as a host that runs
# memfd-bind has it.  BENCH_BOUND=0 leaves it out.
bound=
if [ "${BENCH_BOUND:-1}" != 0 ]; then
	mkdir "$dir/bound"
	cp "$keel" "$dir/bound/keel"
	# run from the copy: pages of $keel mapped by a process that stays
	# would not be dropped from the page cache below (its own RSS 0.98
	# MiB instead of 0.73)
	"$dir/bound/keel" runtime memfd-bind "$dir/bound/keel" >"$dir/bound.out" 2>"$dir/bound.err" &
	mb=$!
	i=0
	while ! grep -qx ready "$dir/bound.out" && [ $i -lt 100 ] && kill -0 $mb 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	if grep -qx ready "$dir/bound.out"; then
		bound=$dir/bound/keel
	else
		echo "bench/runtime.sh: no bound column: $(cat "$dir/bound.err")"
		kill $mb 2>/dev/null
		mb=
	fi
fi

runtimes="keel=$keel runtime"
[ -z "$bound" ] || runtimes="$runtimes
bound=$bound runtime"
[ -z "$base" ] || runtimes="$runtimes
base=$base runtime"
if [ -z "${BENCH_V2_ONLY:-}" ]; then
	command -v crun >/dev/null && runtimes="$runtimes
crun=crun"
	command -v runc >/dev/null && runtimes="$runtimes
runc=runc"
fi
runtimes="$runtimes
floor=$dir/floor"

echo "bench/runtime: run /bin/true, $n runs per runtime, alternating ($(nproc) cpus, $(uname -r))"
STATE=$state RUNTIMES=$runtimes BENCH_JSON=${BENCH_JSON:-} python3 - "$dir" "$n" <<'PY'
import json, os, random, shutil, statistics, subprocess, sys

work, n = sys.argv[1], int(sys.argv[2])
runtimes = []
for line in os.environ["RUNTIMES"].splitlines():
    name, cmd = line.split("=", 1)
    runtimes.append((name, cmd.split()))

def once(name, cmd, i):
    root = os.path.join(os.environ["STATE"], name)
    argv = cmd + ["--root", root, "run", "--bundle", os.path.join(work, "bundle"),
                  "bench-%s-%d" % (name, i)]
    out = subprocess.run([os.path.join(work, "measure")] + argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    # the container's own stdout (nothing, for /bin/true) comes first
    code, wall_ns, cpu_us, rss_kib = out.split()[-4:]
    return (int(code), int(wall_ns) / 1e9, int(cpu_us) / 1e6, int(rss_kib))

results = {name: [] for name, _ in runtimes}
failures = {name: 0 for name, _ in runtimes}
# Every binary as an installed one is: read back from the disk, not the
# page cache its writer left.  A file just written by the linker and strip
# sits in the page cache in the pieces it was written in, and a process
# mapping it is charged more resident pages for the same code: keel's own
# peak RSS was 1.04 MiB from build/, 0.79 MiB from a `cp` of it and 0.73
# MiB once read back from the disk (docs/performance.md, sixth pass).
# (The bound copy is a memfd: memory, with no disk behind it.)
for name, cmd in runtimes:
    if name == "bound":
        continue
    fd = os.open(shutil.which(cmd[0]), os.O_RDONLY)
    os.fdatasync(fd)  # dirty pages stay cached until written
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
for name, cmd in runtimes:  # one warm-up each (page cache, first cgroup)
    once(name, cmd, -1)
# Each round runs the runtimes in a new random order (a fixed seed, so a
# rerun repeats it): every runtime takes every place, and follows every
# other, about equally often.  Which one ran just before matters: whichever
# runs first in a round was measured ~2% slower in CPU (seventh pass), and
# in the old fixed cyclic order (only the starting point moved) "base"
# always followed "keel", which made the same binary in the base slot look
# 1-2% faster than in the keel slot (docs/performance.md, ninth pass).
rng = random.Random(int(os.environ.get("BENCH_SEED") or 1))
for i in range(n):
    order = runtimes[:]
    rng.shuffle(order)
    for name, cmd in order:
        rc, wall, cpu, rss = once(name, cmd, i)
        if rc != 0:
            failures[name] += 1
        else:
            results[name].append((wall, cpu, rss))

med = {}
print("%-6s %12s %12s %12s %8s" % ("", "wall (ms)", "cpu (ms)", "peak RSS", "failed"))
for name, _ in runtimes:
    r = results[name]
    if not r:
        print("%-6s %12s %12s %12s %8d" % (name, "-", "-", "-", failures[name]))
        continue
    w = statistics.median(x[0] for x in r) * 1000
    c = statistics.median(x[1] for x in r) * 1000
    m = statistics.median(x[2] for x in r) / 1024
    med[name] = (w, c, m)
    print("%-6s %12.2f %12.2f %9.2f MiB %8d" % (name, w, c, m, failures[name]))
for mine, other in (("keel", "floor"), ("bound", "floor"), ("keel", "base"), ("keel", "crun"),
                    ("keel", "runc"), ("bound", "keel")):
    if mine in med and other in med:
        k, o = med[mine], med[other]
        print("%s/%s: wall %.2f  cpu %.2f  rss %.2f" % (mine, other, k[0] / o[0], k[1] / o[1],
                                                         k[2] / o[2]))
# The runtime's own peak RSS: `run`'s figure above is that of the largest
# process waited for, and the container's busybox /bin/true (1.3 MiB)
# outweighs keel; create, start and delete as separate processes leave the
# container out (create does not wait for it).  The floor has no steps.
own = {}
def step(name, cmd, sub):
    res = os.path.join(work, "measure.out")
    subprocess.run([os.path.join(work, "measure")] + cmd +
                   ["--root", os.path.join(os.environ["STATE"], name)] + sub,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=dict(os.environ, MEASURE_OUT=res))
    with open(res) as f:
        return int(f.read().split()[-1])
for name, cmd in runtimes:
    if name == "floor":
        continue
    peaks = []
    for i in range(5):
        cid = "bench-own-%s-%d" % (name, i)
        peaks.append(max(step(name, cmd, ["create", "--bundle", os.path.join(work, "bundle"), cid]),
                         step(name, cmd, ["start", cid]),
                         step(name, cmd, ["delete", "--force", cid])))
    own[name] = statistics.median(peaks) / 1024
print("own peak RSS (largest of create, start, delete; median of 5): " +
      ", ".join("%s %.2f MiB" % (k, v) for k, v in own.items()))
if os.environ.get("BENCH_JSON"):
    with open(os.environ["BENCH_JSON"], "w") as f:
        json.dump({"n": n, "cpus": os.cpu_count(), "kernel": os.uname().release,
                   "median": {k: {"wall_ms": v[0], "cpu_ms": v[1], "rss_mib": v[2]}
                              for k, v in med.items()},
                   "own_rss_mib": own, "samples": results, "failed": failures}, f, indent=1)

# The self-clone alone (lib/selfclone.c): `create` of a bundle that does not
# exist re-execs from a protected copy of the binary and then fails; `state`
# of a container that does not exist fails the same way without the copy.
# Both parse the same global options; the difference is the clone (and, for
# the private overlayfs, its teardown when the process exits).  keel and
# base alternate here too.
def fail_fast(rt, sub):
    argv = rt + ["--root", os.path.join(os.environ["STATE"], "clone")] + sub
    out = subprocess.run([os.path.join(work, "measure")] + argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    _, wall_ns, cpu_us, _ = out.split()[-4:]
    return int(wall_ns) / 1e6, int(cpu_us) / 1e3
keels = [k for k in ("keel", "bound", "base") if k in dict(runtimes)]
clone = {k: [] for k in keels}
plain = {k: [] for k in keels}
for i in range(max(n, 100)):
    for k in keels:
        rt = dict(runtimes)[k]
        clone[k].append(fail_fast(rt, ["create", "--bundle", os.path.join(work, "missing"), "x"]))
        plain[k].append(fail_fast(rt, ["state", "x"]))
for k in keels:
    cw, cc = (statistics.median(x[j] for x in clone[k]) for j in (0, 1))
    pw, pc = (statistics.median(x[j] for x in plain[k]) for j in (0, 1))
    print("%s self-clone (create of a missing bundle minus state of a missing container): "
          "wall %.2f ms, cpu %.2f ms (%d KiB binary)" % (k, cw - pw, cc - pc,
                                                         os.path.getsize(dict(runtimes)[k][0]) // 1024))
PY
