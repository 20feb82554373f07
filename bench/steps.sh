#!/bin/sh
# Where `run` of /bin/true spends its wall time, step by step, for keel and
# for the floor (bench/floor.c) side by side: `perf trace` records only a
# few marker system calls (so it slows the run little, unlike strace of
# every call), the runs alternate, and the median of each step is printed.
#
#   start     the runtime's first system call -> clone3 (keel's
#             self-clone, parsing, state directory, cgroups)
#   clone     clone3 -> the child's sethostname (namespaces made, the
#             parent joined the child to the v1 cgroups and woke it)
#   mounts    sethostname -> pivot_root (the config's mounts, devices)
#   process   pivot_root -> execve of /bin/true (masked and read-only
#             paths, the process's credentials, keel: waiting for start)
#   container execve of /bin/true -> its exit_group
#   delete    the container's exit_group -> the runtime's exit_group
#             (wait, cgroups removed, keel: state removed)
#
# usage: bench/steps.sh KEEL_BINARY     (BENCH_N=20 by default; needs perf)
# Figures only; nothing is asserted.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
keel=$(realpath "${1:-$top/build/keel}")
n=${BENCH_N:-20}
[ "$(id -u)" = 0 ] || { echo "bench/steps.sh: needs root"; exit 0; }
command -v perf >/dev/null || { echo "bench/steps.sh: needs perf (linux-perf)"; exit 0; }

# The same private namespace, empty cgroup.controllers and state tmpfs as
# bench/runtime.sh, so the figures compare.
if [ -z "${KEEL_BENCH_NS:-}" ]; then
	KEEL_BENCH_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
. "$top/tests/lib/bundle.sh"
dir=$(mktemp -d /tmp/keel-steps.XXXXXX)
mkdir "$dir/state"
mount -t tmpfs -o mode=0700 tmpfs "$dir/state"
trap 'umount "$dir/state"; rm -rf "$dir"; rmdir /sys/fs/cgroup/*/keel-floor /sys/fs/cgroup/keel-floor 2>/dev/null' EXIT
bundle_rootfs "$dir/bundle/rootfs" || { echo "bench/steps.sh: no static busybox"; exit 0; }
(cd "$dir" && runc spec 2>/dev/null || "$keel" runtime spec)
jq '.process.terminal = false | .process.args = ["/bin/true"]' "$dir/config.json" \
	>"$dir/bundle/config.json"
musl-gcc -O2 -static -o "$dir/floor" "$here/floor.c" 2>/dev/null ||
	cc -O2 -static -o "$dir/floor" "$here/floor.c"

echo "bench/steps: run /bin/true under perf trace (markers only), $n runs each, alternating"
python3 - "$dir" "$n" "$keel" <<'PY'
import os, random, re, statistics, subprocess, sys

work, n, keel = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cmds = {"keel": [keel, "runtime"], "floor": [os.path.join(work, "floor")]}
steps = ["start", "clone", "mounts", "process", "container", "delete"]
line = re.compile(r"^\s*([0-9.]+) \(\s*[0-9.]*\s*(?:ms)?\): (\S+)/(\d+) (\w+)\(")

def once(name, i):
    argv = cmds[name] + ["--root", os.path.join(work, "state", name), "run", "--bundle",
                         os.path.join(work, "bundle"), "steps-%s-%d" % (name, i)]
    out = subprocess.run(["perf", "trace", "-e",
                          "set_tid_address,clone3,sethostname,pivot_root,execve,exit_group", "--"] + argv,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True).stderr
    ev = []
    for l in out.splitlines():
        m = line.match(l)
        if m:
            ev.append((float(m.group(1)), m.group(2), int(m.group(3)), m.group(4)))
    if not ev:
        return None
    t = {}
    # musl's start-up makes set_tid_address the first call of a static
    # binary: the runtime's own first instruction, nearly
    t0 = ev[0][0]
    for ts, comm, pid, sc in ev:
        if sc == "clone3" and "clone" not in t:
            t["clone"] = ts
        elif sc == "sethostname":
            t["mounts"] = ts
        elif sc == "pivot_root":
            t["process"] = ts
        elif sc == "execve" and "process" in t and "container" not in t:
            t["container"] = ts
        elif sc == "exit_group" and "container" in t and "delete" not in t:
            t["delete"] = ts
        elif sc == "exit_group":
            t["end"] = ts
    keys = ["clone", "mounts", "process", "container", "delete", "end"]
    if any(k not in t for k in keys):
        return None
    marks = [t0] + [t[k] for k in keys]
    return [b - a for a, b in zip(marks, marks[1:])]

res = {k: [] for k in cmds}
# a new random order each round (a fixed seed): keel and the floor each
# follow the other about as often as themselves (see runtime.sh)
rng = random.Random(int(os.environ.get("BENCH_SEED") or 1))
for i in range(n):
    order = list(cmds)
    rng.shuffle(order)
    for name in order:
        r = once(name, i)
        if r:
            res[name].append(r)
print("%-8s %s %9s" % ("ms", " ".join("%9s" % s for s in steps), "total"))
med = {}
for name in cmds:
    if not res[name]:
        print("%-8s no complete trace" % name)
        continue
    med[name] = [statistics.median(r[j] for r in res[name]) for j in range(len(steps))]
    tot = statistics.median(sum(r) for r in res[name])
    print("%-8s %s %9.2f   (%d runs)" % (name, " ".join("%9.2f" % v for v in med[name]), tot,
                                         len(res[name])))
if len(med) == 2:
    print("%-8s %s" % ("keel-flr", " ".join("%+9.2f" % (a - b) for a, b in zip(med["keel"], med["floor"]))))
PY
