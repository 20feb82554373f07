#!/bin/bash
# Read the guest's boot-time renderings (and its status --json) back from
# the disk image and check them: the JSON's numbers (boot mode, a kernel part, web after net), the
# SVG as XML and, with Chromium, as pixels (tests/lib/check-boot-svg.py).
# The screenshot is kept in build/test-logs/qemu-boottime.png.
set -eu
disk=$1
top=$(cd "$(dirname "$0")/../../.." && pwd)
out=$(mktemp -d /tmp/kbt-boottime.XXXXXX)
trap 'rm -rf "$out"' EXIT
for f in boot.txt boot.json boot.svg status.json boot.err; do
	debugfs -R "dump /$f $out/$f" "$disk" >/dev/null 2>&1
done
[ ! -s "$out/boot.err" ] || { echo "# keelctl said:"; sed 's/^/#   /' "$out/boot.err"; exit 1; }
sed 's/^/# /' "$out/boot.txt"
python3 - "$out/boot.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
u = {x["name"]: x for x in j["units"]}
assert j["boot"] is True, j
assert j["kernel_ms"] > 100, j  # the kernel's own boot, before keel
assert j["keel_setup_ms"] > 0 and j["total_ms"] > j["kernel_ms"], j
# PID 1's re-exec from its sealed copy and its switch root, before its setup
assert j["keel_protect_ms"] > 0 and j["keel_switch_root_ms"] > 0, j
assert j["settled"] is True, j
n, w, a = u["net"], u["web"], u["analyze"]
assert n["end"] == "done" and w["end"] == "ready" and a["end"] == "ready", (n, w, a)
assert n["ready_ms"] >= 450, n  # its run: sleep 0.5
assert w["start_at_ms"] >= n["end_at_ms"], (w, n)
assert w["deps_ms"] >= 450, w
assert a["start_at_ms"] >= w["end_at_ms"], (a, w)
assert j["critical_chain"] == ["analyze", "web", "net"], j["critical_chain"]
print("# kernel %.0f ms, keel %.1f + %.1f + %.1f + %.1f ms, containers %.0f ms; net run %.0f ms, web deps %.0f ms"
      % (j["kernel_ms"], j["keel_protect_ms"], j["keel_switch_root_ms"], j["keel_setup_ms"], j["keel_load_ms"], j["containers_ms"],
         n["ready_ms"], w["deps_ms"]))
PY
python3 - "$out/status.json" <<'PY'
import json, sys
u = {x["name"]: x for x in json.load(open(sys.argv[1]))["units"]}
assert u["net"]["state"] == "done" and u["web"]["state"] == "ready", u
assert u["web"]["requires"] == ["net"] and u["analyze"]["after"] == ["web"], u
assert u["web"]["pid"] > 0 and u["web"]["cgroup"], u["web"]
PY
logdir=${KEEL_QEMU_LOGDIR:-$top/build/test-logs}
mkdir -p "$logdir"
cp "$out/boot.svg" "$logdir/qemu-boottime.svg"
rc=0
python3 "$top/tests/lib/check-boot-svg.py" "$out/boot.svg" "$logdir/qemu-boottime.png" \
	kernel net web analyze || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 77 ]
