#!/bin/sh
# runtime-cgroup.sh where it means most: inside a QEMU guest booted by keel
# on a pure cgroup v2 hierarchy with the memory, pids and cpu controllers
# (this host is hybrid, so there the resource checks skip).  keel's PID 1
# runs one privileged oneshot container holding keel and the test files,
# which runs runtime-cgroup.sh with `keel runtime`; each TAP line it prints
# on the console is reported here again.  Only keel: RUNTIME=crun/runc
# skip (the guest has no other runtime).
. "$(dirname "$0")/../lib/tap.sh"
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$(dirname "$here")")
: "${KEEL:=$top/build/keel}"

[ -z "${RUNTIME:-}" ] || skip_all "the guest runs keel only (RUNTIME=$RUNTIME)"
[ "$(id -u)" = 0 ] || skip_all "needs root"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
[ -x "$top/tests-qemu/keel-qemu-test" ] || skip_all "tests-qemu/keel-qemu-test is missing"
[ -x "$KEEL" ] || skip_all "no keel binary at $KEEL"
if command -v file >/dev/null && ! file -L "$KEEL" | grep -q 'statically linked'; then
	skip_all "$KEEL is not the static build (make)"
fi

T=$(mktemp -d /tmp/keel-rt-guest.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
e=$T/test/containers.d/rttest
mkdir -p "$e"
echo '{"kind": "oneshot", "start_timeout": 0}' >"$e/keel.json"
# All capabilities, the host's /sys (its cgroup2 hierarchy) and /dev, no
# cgroup namespace: the nested runtime needs to create and fill cgroups at
# the root of the hierarchy like any runtime on a host.
caps=$(sed -n 's/^#define CAP_\([A-Z_]*\)[[:space:]]*[0-9][0-9]*$/"CAP_\1"/p' \
	/usr/include/linux/capability.h | grep -v LAST_CAP | paste -sd, -)
cat >"$e/config.json" <<JSON
{
  "ociVersion": "1.2.0",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/sh", "-c",
      "KEEL=/opt/keel/keel /opt/keel/tests/integration/runtime-cgroup.sh 2>&1; echo rt-exit=\$?" ],
    "env": [ "PATH=/bin:/sbin:/usr/bin:/usr/sbin" ],
    "cwd": "/",
    "capabilities": { "bounding": [$caps], "effective": [$caps], "permitted": [$caps] },
    "noNewPrivileges": false
  },
  "root": { "path": "rootfs", "readonly": false },
  "hostname": "rttest",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/sys", "type": "bind", "source": "/sys", "options": [ "rbind", "rw" ] },
    { "destination": "/dev", "type": "bind", "source": "/dev", "options": [ "rbind", "rw" ] },
    { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": [ "mode=1777" ] },
    { "destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": [ "mode=755" ] },
    { "destination": "/opt/keel", "type": "bind", "source": "/keel-tests", "options": [ "rbind", "ro" ] }
  ],
  "linux": { "namespaces": [ { "type": "mount" }, { "type": "uts" } ] }
}
JSON
cat >"$T/test/expect" <<'EXPECT'
timeout 900
rttest \| # runtime:
rttest \| rt-exit=
ctrl-alt-delete
Reached the end: reboot
exit
EXPECT

"$top/tests-qemu/keel-qemu-test" --keel "$KEEL" --name runtime-cgroup-guest \
	--file "$KEEL:/keel-tests/keel" \
	--file "$top/tests/lib:/keel-tests/tests/lib" \
	--file "$here/runtime-cgroup.sh:/keel-tests/tests/integration/runtime-cgroup.sh" \
	--console-copy "$T/console" "$T/test" >"$T/qemu.tap" 2>&1
qrc=$?
sed 's/^/# qemu: /' "$T/qemu.tap"
[ -f "$T/console" ] || { echo "not ok 1 - the guest booted"; echo "1..1"; exit 1; }

# The guest's TAP lines, renumbered as this test's.
sed -n 's/^\(\[[ 0-9.]*\] \)\{0,1\}rttest | //p' "$T/console" >"$T/guest.tap"
while IFS= read -r line; do
	case $line in
	"ok "*" # SKIP "* | "ok "*" # skip "*)
		desc=${line#ok * - }
		skip "guest: ${desc%% # *}" "${desc#* # [Ss][Kk][Ii][Pp] }"
		;;
	"ok "*) true; check "guest: ${line#ok * - }" ;;
	"not ok "*) false; check "guest: ${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$T/guest.tap"
is "$(sed -n 's/^rt-exit=//p' "$T/guest.tap")" 0 "runtime-cgroup.sh passed in the guest"
[ $qrc = 0 ]
check "the guest booted, ran the test and shut down cleanly"
done_testing
