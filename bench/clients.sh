#!/bin/sh
# The cost of a container as a client sees it: N x `podman run --rm IMG
# true` and N x `ctr run --rm IMG ID true` with keel, crun and runc as the
# OCI runtime, interleaved run by run (one warm-up each), printing the
# median wall time of each and the keel/crun and keel/runc ratios.  Nothing
# is asserted.  The clients' own work (podman's storage and conmon,
# containerd's shim and snapshot) is in every figure; the ratios read
# against bench/runtime.sh's say how much of it the runtime is.
#
# usage: bench/clients.sh [KEEL_BINARY]      BENCH_N runs each (default 20)
#
# podman and containerd run on private state under a temp dir, exactly as
# tests/integration/clients-*.sh set them up (tests/lib/clients.sh).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
KEEL=$(realpath "${1:-$top/build/keel}")
n=${BENCH_N:-20}

[ "$(id -u)" = 0 ] || { echo "bench/clients.sh: needs root"; exit 0; }
[ -x "$KEEL" ] || { echo "bench/clients.sh: no keel binary at $KEEL"; exit 1; }
for tool in python3 runc; do
	command -v $tool >/dev/null || { echo "bench/clients.sh: needs $tool"; exit 0; }
done

# As bench/runtime.sh: Debian's crun refuses a hybrid cgroup host; an
# empty cgroup.controllers in a private mount namespace gets it going, and
# everything (podman, containerd, every runtime) runs in that namespace.
ctl=/sys/fs/cgroup/unified/cgroup.controllers
if [ -z "${KEEL_BENCH_NS:-}" ] && [ -f "$ctl" ]; then
	KEEL_BENCH_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
if [ -n "${KEEL_BENCH_NS:-}" ]; then
	empty=$(mktemp /tmp/keel-bench-empty.XXXXXX)
	mount --bind "$empty" "$ctl"
	rm -f "$empty"
fi

. "$top/tests/lib/bundle.sh"
. "$top/tests/lib/clients.sh"
RUNC=$(command -v runc)
T=$(mktemp -d /tmp/keel-bench-clients.XXXXXX)
CGP=keeltest-bench-$$
cleanup() {
	podman_cleanup
	containerd_cleanup
	cg_cleanup "$CGP"
	clients_rm_T
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ln -s "$KEEL" "$T/keel-runtime"
bundle_rootfs "$T/rootfs" || { echo "bench/clients.sh: no static busybox"; exit 0; }
tar -C "$T/rootfs" -cf "$T/rootfs.tar" .

runtimes="keel=$T/keel-runtime"
command -v crun >/dev/null && runtimes="$runtimes crun=$(command -v crun)"
runtimes="$runtimes runc=$RUNC"

clients=
if ! command -v podman >/dev/null; then
	echo "bench/clients.sh: podman is not installed: no podman figures"
elif podman_setup "/$CGP" >"$T/setup.out" 2>&1; then
	clients="$clients podman"
else
	echo "bench/clients.sh: no podman figures: $WHY"
fi
if ! command -v containerd >/dev/null || ! command -v umoci >/dev/null; then
	echo "bench/clients.sh: containerd or umoci is not installed: no ctr figures"
elif containerd_setup "keelbench-$$" >"$T/setup.out" 2>&1; then
	clients="$clients ctr"
else
	echo "bench/clients.sh: no ctr figures: $WHY"
fi
[ -n "$clients" ] || exit 0

echo "bench/clients: podman run --rm / ctr run --rm of true, $n runs per runtime, alternating ($(nproc) cpus, $(uname -r))"
P=${P:-} RUNTIMES=$runtimes CLIENTS=$clients T=$T CGP=$CGP IMG=$IMG CNS=keelbench-$$ \
	python3 - "$n" <<'PY'
import os, random, statistics, subprocess, sys, time

n = int(sys.argv[1])
env = os.environ
T, cgp, img = env["T"], env["CGP"], env["IMG"]
runtimes = [r.split("=", 1) for r in env["RUNTIMES"].split()]
clients = env["CLIENTS"].split()
count = [0]

def argv(client, path):
    count[0] += 1
    if client == "podman":
        return env["P"].split() + ["run", "--rm", "--network", "none", "--cgroup-parent", "/" + cgp,
                                   "--runtime", path, img, "true"]
    cid = "b%d" % count[0]
    return ["ctr", "--address", T + "/containerd.sock", "-n", env["CNS"], "run", "--rm",
            "--snapshotter", "native", "--fifo-dir", T + "/fifo", "--runc-binary", path,
            "--runc-root", T + "/runc-root", "--cgroup", "/%s/%s" % (cgp, cid), img, cid, "true"]

def once(client, path):
    a = argv(client, path)
    t0 = time.monotonic()
    rc = subprocess.run(a, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL).returncode
    return rc, time.monotonic() - t0

for client in clients:
    wall = {name: [] for name, _ in runtimes}
    failed = {name: 0 for name, _ in runtimes}
    for name, path in runtimes:  # one warm-up each
        once(client, path)
    # a new random order each round (a fixed seed): every runtime follows
    # every other about equally often (see runtime.sh)
    rng = random.Random(int(os.environ.get("BENCH_SEED") or 1))
    for i in range(n):
        order = runtimes[:]
        rng.shuffle(order)
        for name, path in order:
            rc, w = once(client, path)
            if rc == 0:
                wall[name].append(w)
            else:
                failed[name] += 1
    print("%-12s %12s %8s" % (client, "wall (ms)", "failed"))
    med = {}
    for name, _ in runtimes:
        if wall[name]:
            med[name] = statistics.median(wall[name]) * 1000
            print("  %-10s %12.1f %8d" % (name, med[name], failed[name]))
        else:
            print("  %-10s %12s %8d" % (name, "-", failed[name]))
    for other in ("crun", "runc"):
        if "keel" in med and other in med:
            print("  keel/%s: wall %.2f" % (other, med["keel"] / med[other]))
PY
