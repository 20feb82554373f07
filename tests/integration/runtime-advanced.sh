#!/bin/sh
# Less common runtime features, each from inside the container: the seccomp
# notify fd sent to linux.seccomp.listenerPath, a tmpfs with `tmpcopyup`,
# an idmapped bind mount, joining a user namespace by path with a new pid
# namespace, and `--no-pivot`.  (Time namespace offsets: runtime-namespaces.sh.)
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

ns_of() { readlink "/proc/$1/ns/$2"; }

# Wait (up to ~5 s) until FILE is not empty.
wait_file() {
	_i=0
	while [ $_i -lt 100 ]; do
		[ -s "$1" ] && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

# --- seccomp notify: the listener gets the fd -------------------------------------
if ! command -v python3 >/dev/null; then
	skip "seccomp listenerPath" "no python3 for the listener"
else
	cat >"$T/listener.py" <<'EOF'
import json, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(30)
conn, _ = srv.accept()
msg, fds, _, _ = socket.recv_fds(conn, 65536, 4)
res = {"msg": json.loads(msg), "nfds": len(fds),
       "fd": os.readlink("/proc/self/fd/%d" % fds[0]) if fds else ""}
with open(out + ".tmp", "w") as f:
    json.dump(res, f)
os.rename(out + ".tmp", out)
EOF
	python3 "$T/listener.py" "$T/seccomp.sock" "$T/seccomp.json" 2>"$T/listener.err" &
	listener=$!
	RT_PIDS="$RT_PIDS $listener"
	i=0
	while [ ! -S "$T/seccomp.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	cfg notify
	cfg_set '.process.args = ["sleep", "1000"]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $s,
			listenerMetadata: "keeltest-meta",
			syscalls: [{names: ["mkdirat", "mkdir"], action: "SCMP_ACT_NOTIFY"}]}' \
		--arg s "$T/seccomp.sock"
	rt run -d --bundle "$B" notify </dev/null >/dev/null 2>"$T/err"
	check "seccomp notify: run -d exits 0 $(head -1 "$T/err")"
	pid=$(ctr_state notify pid)
	wait_file "$T/seccomp.json"
	check "seccomp notify: the listener got a message"
	r=$(cat "$T/seccomp.json" 2>/dev/null)
	is "$(echo "$r" | jq -c .msg.fds)" '["seccompFd"]' 'seccomp notify: "fds": ["seccompFd"]'
	is "$(echo "$r" | jq -r .msg.pid)" "$pid" "seccomp notify: the container's pid"
	is "$(echo "$r" | jq -r .msg.metadata)" keeltest-meta "seccomp notify: listenerMetadata"
	is "$(echo "$r" | jq -r .msg.state.id)" notify "seccomp notify: the container state"
	is "$(echo "$r" | jq -r .nfds)" 1 "seccomp notify: one fd arrived"
	is "$(echo "$r" | jq -r .fd)" "anon_inode:seccomp notify" "seccomp notify: it is a seccomp notify fd"
	rt delete --force notify
	ctr_gone notify "$pid"
	kill "$listener" 2>/dev/null
	wait "$listener" 2>/dev/null
fi

# --- tmpcopyup ---------------------------------------------------------------------
cfg copyup
cfg_set '.mounts += [{destination: "/etc", type: "tmpfs", source: "tmpfs",
	options: ["tmpcopyup", "nosuid", "mode=755"]}]'
cfg_sh 'grep " /etc tmpfs" /proc/mounts | cut -d" " -f3; head -1 /etc/passwd; echo x >/etc/new && cat /etc/new'
ctr_run
is "$RC" 0 "tmpcopyup: run exits 0"
is "$(echo "$OUT" | sed -n 1p)" tmpfs "tmpcopyup: /etc is a tmpfs"
is "$(echo "$OUT" | sed -n 2p)" "root:x:0:0:root:/root:/bin/sh" "tmpcopyup: the image's /etc/passwd is in it"
is "$(echo "$OUT" | sed -n 3p)" x "tmpcopyup: and it is writable"
[ ! -e "$T/rootfs/etc/new" ]
check "tmpcopyup: the image is untouched"

# --- idmapped bind mount -------------------------------------------------------------
idmap_cfg() {
	cfg "$1"
	cfg_set '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .mounts += [{destination: "/idm", type: "bind", source: $d, options: ["bind"]}]' \
		--arg d "$T/idm"
	cfg_sh 'stat -c "%u:%g" /idm/file'
}
if [ ! -e /proc/self/ns/user ]; then
	skip "idmapped bind mount" "the kernel has no user namespaces"
elif [ "$RT_NAME" = runc ]; then
	skip "idmapped bind mount" "runc 1.1 has no idmapped mounts"
else
	mkdir "$T/idm" "$T/rootfs/idm" && : >"$T/idm/file" && chown 0:0 "$T/idm/file"
	idmap_cfg noidmap
	ctr_run
	is "$OUT" "65534:65534" "without idmap: host root's file is the overflow id inside"
	idmap_cfg idmap
	cfg_set '.mounts[-1].uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .mounts[-1].gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	[ "$RT_NAME" = crun ] && cfg_set '.mounts[-1].options += ["idmap"]'
	ctr_run
	# A filesystem without idmap support makes mount_setattr fail with EINVAL.
	if [ "$RC" != 0 ] && echo "$ERR" | grep -iE 'mount_setattr|idmap[^`]*mount `|idmapped' |
		grep -qiE 'invalid argument|not supported'; then
		skip "idmapped bind mount" "refused on $(stat -f -c %T "$T/idm"): $(echo "$ERR" | head -1)"
	else
		is "$RC" 0 "idmapped bind mount: run exits 0"
		is "$OUT" "0:0" "idmapped bind mount: host root's file is mapped to root inside"
		is "$(stat -c %u:%g "$T/idm/file")" 0:0 "idmapped bind mount: the file is unchanged on the host"
	fi
fi

# --- join a user namespace by path, new pid namespace -----------------------------------
if [ ! -e /proc/self/ns/user ]; then
	skip "join a user namespace" "the kernel has no user namespaces"
elif [ "$RT_NAME" = runc ]; then
	skip "join a user namespace" "runc 1.1 wants linux.uidMappings even to join one"
else
	unshare --user --map-root-user sleep 1000 &
	holder=$!
	RT_PIDS="$RT_PIDS $holder"
	sleep 0.2
	cfg joinuser
	# The holder maps only uid/gid 0: devpts cannot get gid=5 there.
	cfg_set '.linux.namespaces += [{type: "user", path: $u}] | .process.args = ["sleep", "1000"]
		| .mounts |= map(if .destination == "/dev/pts" then .options -= ["gid=5"] else . end)' \
		--arg u "/proc/$holder/ns/user"
	rt run -d --bundle "$B" joinuser </dev/null >/dev/null 2>"$T/err"
	check "join a user namespace by path with a new pid namespace: runs $(head -1 "$T/err")"
	pid=$(ctr_state joinuser pid)
	is "$(ns_of "$pid" user)" "$(ns_of "$holder" user)" "join userns: the holder's user namespace"
	[ -n "$pid" ] && [ "$(ns_of "$pid" pid)" != "$(ns_of self pid)" ] &&
		[ "$(ns_of "$pid" pid)" != "$(ns_of "$holder" pid)" ]
	check "join userns: a new pid namespace"
	is "$(awk '/^NSpid:/ { print $NF }' /proc/"$pid"/status 2>/dev/null)" 1 \
		"join userns: the process is pid 1 in it"
	is "$(tr -s ' ' <"/proc/$pid/uid_map" 2>/dev/null)" " 0 0 1" "join userns: the holder's uid_map"
	rt delete --force joinuser
	ctr_gone joinuser "$pid"
	kill "$holder"
	wait "$holder" 2>/dev/null
fi


# --- --no-pivot ------------------------------------------------------------------------
cfg nopivot
cfg_sh 'awk "\$5 == \"/\" { print \$4 }" /proc/self/mountinfo; cat /etc/hostname 2>/dev/null; hostname'
ctr_run --no-pivot
is "$RC" 0 "--no-pivot: run exits 0"
like "$(echo "$OUT" | head -1)" "/rootfs$" "--no-pivot: mountinfo shows the rootfs as /"
is "$(echo "$OUT" | tail -1)" keeltest "--no-pivot: the container's hostname"
cfg pivot
cfg_sh 'ls /proc/1/root/ >/dev/null && test -x /bin/busybox && echo ok'
ctr_run --no-pivot
is "$OUT" ok "--no-pivot: the rootfs's /bin/busybox"

done_testing
