#!/bin/sh
# Escapes that runc and crun have been hit by, each tried for real and
# shown to fail: host fds reachable from the container's cwd or args[0]
# (CVE-2024-21626), fds left open in the container, symlinks in the rootfs
# where procfs, sysfs, /dev or a mount goes (CVE-2019-16884 and kin), a
# mount namespace joined by path, --no-pivot's host procfs, inheritable
# capabilities (CVE-2022-29162), a writable cgroupfs.  Run it against runc
# and crun with RUNTIME=runc|crun: they refuse all of these too.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"
. "$(dirname "$0")/../lib/escape.sh"

# A file and a script only the host has, at paths the rootfs lacks.
escape_targets "$T"

# --- CVE-2024-21626: a leaked fd as process.cwd or in args[0] ------------
leaks=
for n in 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	cfg cwd-fd-$n
	cfg_set '.process.cwd = $c' --arg c "/proc/self/fd/$n"
	cfg_sh "cat $UP$SECRET 2>/dev/null; ls $UP/ 2>/dev/null | grep -qx boot && echo HOSTROOT"
	ctr_run
	case $OUT in *host-only*|*HOSTROOT*) leaks="$leaks $n" ;; esac
done
is "$leaks" "" "process.cwd /proc/self/fd/N (N = 3..15) never reaches the host"

leaks=
for n in 3 4 5 6 7 8 9 10 11 12 13 14 15; do
	cfg exe-fd-$n
	cfg_set '.process.args = [$a]' --arg a "/proc/self/fd/$n/$UP$T/host-exe"
	ctr_run
	case $OUT in *ESCAPED*) leaks="$leaks $n" ;; esac
done
is "$leaks" "" "process.args[0] through /proc/self/fd/N never runs a host file"

cfg cwd-outside
cfg_set '.process.cwd = "/proc/self/fd/3"'
ctr_run
[ "$RC" != 0 ] || [ "$OUT" = "" ]
check "a cwd through an fd that is not a directory of the container fails"

# Only 0-2 (and the fds to preserve) reach the container's process.
# ls itself is the process (a shell would add pipes of its own); its
# directory fd of /proc/self/fd is left out.
open_fds() {
	echo "$OUT" | awk '$(NF-1) == "->" && $NF !~ "^/proc/[0-9]+/fd$" { printf "%s ", $(NF-2) }'
}
cfg fds
cfg_set '.process.args = ["ls", "-l", "/proc/self/fd/"]'
ctr_run
is "$(open_fds)" "0 1 2 " "only fds 0, 1 and 2 are open in the container"

cfg fds-preserve
cfg_set '.process.args = ["ls", "-l", "/proc/self/fd/"]'
rt run --preserve-fds 1 --bundle "$B" "$CTR" </dev/null 3<"$T/base.json" >"$T/out" 2>"$T/err"
OUT=$(cat "$T/out")
is "$(open_fds)" "0 1 2 3 " "--preserve-fds 1: fd 3 is passed, nothing else"

# --- capabilities and cgroupfs ------------------------------------------------
cfg capinh
cfg_set 'del(.process.capabilities.inheritable)'
cfg_sh 'grep ^CapInh /proc/self/status'
ctr_run
is "$OUT" "CapInh:	0000000000000000" "no inheritable capabilities unless the config lists them"

# No process.capabilities at all: no capability in any set (runc, crun).
cfg nocaps
cfg_set 'del(.process.capabilities)'
cfg_sh 'grep ^Cap /proc/self/status | cut -f2 | sort -u'
ctr_run
is "$OUT" "0000000000000000" "no process.capabilities: every capability set is empty"

cfg cgroupfs-ro
cfg_set '.linux.namespaces = [.linux.namespaces[] | select(.type != "cgroup")]
	| .mounts = [.mounts[] | select(.destination != "/sys/fs/cgroup")]
	+ [{destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
	    options: ["nosuid", "noexec", "nodev", "relatime", "ro"]}]'
cfg_sh 'mkdir /sys/fs/cgroup/keel-escape-$$ 2>/dev/null && echo WROTE; echo done'
ctr_run
if [ "$RT_NAME" = crun ] && [ "$OUT" != done ]; then
	skip "/sys/fs/cgroup read-only" "crun 1.8 on this hybrid host (cgroup.controllers masked by the harness) left it writable"
elif [ "$RC" = 0 ]; then
	is "$OUT" "done" "/sys/fs/cgroup without a cgroup namespace is read-only"
else
	true; check "/sys/fs/cgroup without a cgroup namespace: refused ($RT_NAME)"
fi
for d in /sys/fs/cgroup/keel-escape-* /sys/fs/cgroup/*/keel-escape-*; do
	[ -d "$d" ] && rmdir "$d"
done

# A runtime-spec 0.x config: its capability limit at linux.capabilities,
# which 1.0 runtimes skip as an unknown field.
cfg pre10-caps
cfg_set '.linux.capabilities = ["CAP_KILL"] | del(.process.capabilities)'
cfg_sh 'grep ^CapEff /proc/self/status'
ctr_run
if [ "$RT_NAME" = keel ]; then
	[ "$RC" != 0 ] && echo "$ERR" | grep -q "linux.capabilities: a runtime-spec 0.x field"
	check "a 0.x config limited only by linux.capabilities is refused, naming the field"
else
	skip "pre-1.0 linux.capabilities" "$RT_NAME ignores it and runs the process with: $OUT"
fi
cfg pre10-caps-both
cfg_set '.linux.capabilities = ["CAP_KILL"]'
cfg_sh 'grep ^CapEff /proc/self/status'
ctr_run
is "$RC" 0 "with process.capabilities too, linux.capabilities is ignored (keel warns)"

# --- symlinks in the rootfs where the runtime mounts ---------------------
# A rootfs of its own for each case, so the shared one stays clean.
sym_rootfs() {
	R=$T/rootfs-$1
	cp -a "$T/rootfs" "$R"
	cfg "$1"
	cfg_set '.root.path = $r | .root.readonly = false' --arg r "$R"
}

for fs in proc sys; do
	sym_rootfs "$fs-symlink"
	HOSTDIR=$T/host-$fs-target
	# The target exists on the host and in the rootfs.
	mkdir -p "$HOSTDIR" "$R$HOSTDIR"
	rm -rf "${R:?}/$fs"
	ln -s "$HOSTDIR" "$R/$fs"
	ctr_run
	[ "$RC" != 0 ]
	check "a rootfs whose /$fs is a symlink is refused"
	! grep -q " $HOSTDIR " /proc/self/mountinfo && [ -z "$(ls -A "$HOSTDIR")" ] &&
		[ -z "$(ls -A "$R$HOSTDIR")" ]
	check "/$fs symlink: nothing was mounted at its target, on the host or in the rootfs"
done

# The same symlink named so that the kernel follows it even with
# O_NOFOLLOW: a trailing slash, a last "." (refused as well).
for dest in /proc/ /proc/.; do
	case $dest in */) name=proc-slash ;; *) name=proc-dot ;; esac
	sym_rootfs "$name"
	HOSTDIR=$T/host-$name-target
	mkdir -p "$HOSTDIR" "$R$HOSTDIR"
	rm -rf "${R:?}/proc"
	ln -s "$HOSTDIR" "$R/proc"
	cfg_set '(.mounts[] | select(.type == "proc")).destination = $d' --arg d "$dest"
	ctr_run
	[ "$RC" != 0 ] && ! grep -q " $HOSTDIR " /proc/self/mountinfo &&
		[ -z "$(ls -A "$HOSTDIR")" ] && [ -z "$(ls -A "$R$HOSTDIR")" ]
	check "procfs destination \`$dest\` through a /proc symlink is refused, nothing mounted at its target"
	if [ "$RT_NAME" = keel ]; then
		like "$ERR" "must be mounted on an ordinary directory" "\`$dest\`: the error says why"
	fi
done

sym_rootfs proc-core-pattern
rm -rf "${R:?}/proc"
ln -s /proc/sys/kernel "$R/proc"
before=$(cat /proc/sys/kernel/core_pattern)
ctr_run
[ "$RC" != 0 ]
check "a rootfs whose /proc points into /proc/sys is refused"
is "$(cat /proc/sys/kernel/core_pattern)" "$before" "the host's core_pattern is untouched"

sym_rootfs dev-symlink
HOSTDEV=$T/host-dev-target
mkdir -p "$HOSTDEV"
rm -rf "${R:?}/dev"
ln -s "$HOSTDEV" "$R/dev"
ctr_run
if [ "$RT_NAME" = runc ] && [ -n "$(ls -A "$HOSTDEV")" ]; then
	skip "/dev symlink" "runc 1.1.5 makes its /dev/fd, /dev/ptmx... links at the host target (seen: $(ls "$HOSTDEV" | tr '\n' ' '))"
else
	[ -z "$(ls -A "$HOSTDEV")" ] && ! grep -q " $HOSTDEV " /proc/self/mountinfo
	check "a rootfs whose /dev is a symlink to a host path: nothing made on the host (rc $RC)"
fi

sym_rootfs devnull-symlink
rm -rf "${R:?}/dev"
mkdir "$R/dev"
ln -s /proc/sys/kernel/core_pattern "$R/dev/null"
cfg_sh 'echo "|/bin/evil %p" >/dev/null 2>&1; [ -c /dev/null ] && echo chardev'
ctr_run
is "$(cat /proc/sys/kernel/core_pattern)" "$before" "/dev/null symlinked to core_pattern: the host's core_pattern is untouched"
[ "$RC" != 0 ] || [ "$OUT" = chardev ]
check "/dev/null in the container is the null device (or the config is refused)"

sym_rootfs dest-symlink
HOSTMNT=$T/host-mount-target
mkdir -p "$HOSTMNT"
ln -s "$HOSTMNT" "$R/mnt"
cfg_set '.mounts += [{destination: "/mnt", type: "tmpfs", source: "tmpfs"}]'
cfg_sh 'touch /mnt/written && echo ok'
ctr_run
[ ! -e "$HOSTMNT/written" ] && ! grep -q " $HOSTMNT " /proc/self/mountinfo
check "a mount destination symlinked to a host path stays in the rootfs (rc $RC)"

sym_rootfs dangling-symlink
HOSTNEW=$T/host-dangling-target
ln -s "$HOSTNEW" "$R/mnt"
cfg_set '.mounts += [{destination: "/mnt", type: "tmpfs", source: "tmpfs"}]'
ctr_run
[ ! -e "$HOSTNEW" ]
check "a dangling symlink as mount destination never creates its host target (rc $RC)"

sym_rootfs mkdir-through-symlink
HOSTPARENT=$T/host-parent
mkdir -p "$HOSTPARENT"
ln -s "$UP$HOSTPARENT" "$R/up"
cfg_set '.mounts += [{destination: "/up/made/here", type: "tmpfs", source: "tmpfs"}]'
ctr_run
[ -z "$(ls -A "$HOSTPARENT")" ]
check "a mount point created through a relative symlink is made inside the rootfs (rc $RC)"

# /dev/console symlinked to a host path, in a /dev the config binds from
# the rootfs itself (a tmpfs /dev would hide the image's): the pty goes on
# the link inside the container, never on its target.
if ! command -v python3 >/dev/null; then
	skip "/dev/console symlink" "python3 is needed for the console receiver"
else
	sym_rootfs console-symlink
	HOSTCON=$T/host-console-target
	echo host-console >"$HOSTCON"
	rm -f "$R/dev/console"
	ln -s "$HOSTCON" "$R/dev/console"
	ln -s pts/ptmx "$R/dev/ptmx"
	mknod -m 666 "$R/dev/null" c 1 3
	cfg_set '.process.terminal = true
		| .mounts = [.mounts[] | if .destination == "/dev"
			then {destination: "/dev", type: "bind", source: $d, options: ["rbind", "rw"]}
			else . end]' --arg d "$R/dev"
	cfg_sh 'echo through-console >/dev/console; echo done'
	python3 "$_rt_here/console-recv.py" "$T/console.sock" "$T/console.out" &
	recv=$!
	RT_PIDS="$RT_PIDS $recv"
	i=0
	while [ ! -S "$T/console.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	rt create --bundle "$B" --console-socket "$T/console.sock" "$CTR" </dev/null >/dev/null 2>"$T/err" &&
		rt start "$CTR" 2>>"$T/err"
	rc=$?
	[ -s "$T/err" ] && echo "# stderr: $(head -c 300 "$T/err")"
	kill "$recv" 2>/dev/null
	wait "$recv" 2>/dev/null
	ctr_wait_status "$CTR" stopped
	rt delete --force "$CTR" >/dev/null 2>&1
	is "$(cat "$HOSTCON")" host-console "/dev/console symlinked to a host file: the host file is untouched (rc $rc)"
	! grep -q " $HOSTCON " /proc/self/mountinfo
	check "/dev/console symlinked to a host file: nothing is mounted on the host file"
fi

# --- a mount namespace joined by path ----------------------------------
unshare -m --propagation private sleep 600 </dev/null >/dev/null 2>&1 &
holder=$!
RT_PIDS="$RT_PIDS $holder"
i=0
while [ "$(readlink /proc/$holder/ns/mnt 2>/dev/null)" = "$(readlink /proc/self/ns/mnt)" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
touch "$T/rootfs-marker-only-in-rootfs" 2>/dev/null
cfg join-mnt
cfg_set '.linux.namespaces = [.linux.namespaces[] | if .type == "mount" then .path = $p else . end]' \
	--arg p "/proc/$holder/ns/mnt"
cfg_sh 'test -e /bin/busybox && echo busybox; test -e /etc/debian_version && echo HOST; test -e /boot && echo HOST; true'
ctr_run
[ "$RC" != 0 ] || [ "$OUT" = busybox ]
check "a joined mount namespace: the process's root is root.path, not the namespace's root ($(echo $OUT))"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# --- --no-pivot: the host's procfs must not let the container mount one --
# Mapping uid 0 in a nested user namespace needs CAP_SETFCAP (Linux 5.12).
cfg nopivot-proc
cfg_set '.process.capabilities.bounding += ["CAP_SETFCAP"]
	| .process.capabilities.effective += ["CAP_SETFCAP"]
	| .process.capabilities.permitted += ["CAP_SETFCAP"]
	| .process.args = ["unshare", "-mrpf", "sh", "-c", "mount -t proc none /proc && echo MOUNTED"]'
ctr_run --no-pivot
case $ERR in
*"write error"*) skip "no-pivot procfs" "a nested user namespace cannot be made here: $ERR" ;;
*)
	[ "$RC" != 0 ] && [ -z "$OUT" ]
	check "--no-pivot: a nested user+pid namespace cannot mount a bare procfs (rc $RC)"
	;;
esac

done_testing
