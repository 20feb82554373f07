#!/bin/sh
# What the runtime passes from its own environment into the container, as
# systemd and podman rely on with runc and crun:
# - NOTIFY_SOCKET: the container gets a socket of its own (never the
#   caller's), and its READY=1 reaches the caller's socket;
# - no "mount" in linux.namespaces: the container uses the runtime's mount
#   namespace (chroot into root.path);
# - LISTEN_FDS/LISTEN_PID (socket activation) with --preserve-fds;
# - crun's annotation run.oci.keep_original_groups (podman's --group-add
#   keep-groups): the runtime's supplementary groups are kept.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- NOTIFY_SOCKET ------------------------------------------------------

# The sender inside the container: keel's `keelctl notify` (an sd_notify
# client: one datagram of its arguments, one line each), whatever the
# runtime under test is.
notify_ready=
PY=$(command -v python3)
if [ -z "$PY" ]; then
	notify_skip="python3 is not installed (the host's end of NOTIFY_SOCKET)"
elif [ ! -x "$KEEL" ]; then
	notify_skip="no keel binary at $KEEL for the sd_notify client in the container"
else
	cp "$KEEL" "$T/rootfs/bin/keelctl"
	if ! file -L "$KEEL" 2>/dev/null | grep -q 'statically linked'; then
		for lib in $(ldd "$KEEL" | grep -o '/[^ ]*'); do
			mkdir -p "$T/rootfs$(dirname "$lib")"
			cp -L "$lib" "$T/rootfs$lib"
		done
	fi
	notify_ready=1
fi

# notify_listen NAME: the caller's socket $T/NAME.sock; what it receives
# goes to $T/NAME.got, one "pid=PID: LINE" per line.
notify_listen() {
	"$PY" "$(dirname "$0")/../lib/notify-recv.py" "$T/$1.sock" "$T/$1.got" 20 &
	RT_PIDS="$RT_PIDS $!"
	_i=0
	while [ ! -e "$T/$1.got.ready" ] && [ $_i -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	touch "$T/$1.got"
}

# Wait (up to ~5 s) until $T/NAME.got has a line matching PATTERN.
notify_wait() {
	_i=0
	while ! grep -qE "$2" "$T/$1.got" 2>/dev/null && [ $_i -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
}

if [ -n "$notify_ready" ]; then
	# create + start: start returns once the container is ready.
	notify_listen host
	cfg notify
	cfg_sh 'echo "socket=$NOTIFY_SOCKET"; [ -S "$NOTIFY_SOCKET" ] && echo is-a-socket
		stat -c "inode=%d:%i" "$NOTIFY_SOCKET"; sleep 1
		keelctl notify "STATUS=warming up"
		keelctl notify READY=1 MAINPID=4242 FDSTORE=1; exec sleep 100'
	NOTIFY_SOCKET=$T/host.sock rt create --bundle "$B" notify </dev/null >"$T/notify.out" 2>&1
	is "$?" 0 "notify: create with NOTIFY_SOCKET set exits 0"
	pid=$(ctr_state notify pid)
	t0=$(now_ms)
	NOTIFY_SOCKET=$T/host.sock rt start notify >"$T/start.out" 2>&1
	is "$?" 0 "notify: start exits 0"
	t1=$(now_ms)
	[ $((t1 - t0)) -ge 900 ]
	check "notify: start waited for READY=1 ($((t1 - t0)) ms for the container's 1 s)"
	notify_wait host 'READY=1'
	like "$(cat "$T/host.got")" '^pid=[0-9]+: READY=1$' "notify: READY=1 reached the caller's socket"
	like "$(cat "$T/notify.out")" '^socket=/' "notify: NOTIFY_SOCKET is set in the container"
	like "$(cat "$T/notify.out")" '^is-a-socket$' "notify: the container's NOTIFY_SOCKET is a socket"
	host_inode=inode=$(stat -c %d:%i "$T/host.sock")
	! grep -qx "$host_inode" "$T/notify.out"
	check "notify: the container's socket is not the caller's ($host_inode)"
	! grep -q 'MAINPID=4242' "$T/host.got"
	check "notify: a MAINPID sent from inside is not passed on"
	if [ "$RT_NAME" = crun ]; then
		skip "notify: MAINPID is the container's pid" "crun 1.8 sends no MAINPID"
	else
		like "$(cat "$T/host.got")" "^(pid=[0-9]+: )?MAINPID=$pid\$" \
			"notify: MAINPID is the container's pid ($pid)"
	fi
	if [ "$RT_NAME" = keel ]; then
		like "$(cat "$T/host.got")" '^pid=[0-9]+: STATUS=warming up$' "notify: STATUS= passed on"
		! grep -q 'FDSTORE' "$T/host.got"
		check "notify: FDSTORE is not passed on"
	else
		skip "notify: STATUS= passed on" "$RT_NAME passes on READY=1 only"
		skip "notify: FDSTORE is not passed on" "checked for keel only"
	fi
	rt delete --force notify >/dev/null 2>&1
	[ ! -e "$STATE/notify" ]
	check "notify: delete removes the state directory with the proxy socket"

	# Someone on the host who finds the proxy's socket cannot make the
	# container ready: only the container's processes are heard.
	if [ "$RT_NAME" = keel ]; then
		notify_listen imp
		cfg impostor
		cfg_sh 'sleep 1.5; keelctl notify READY=1; exec sleep 100'
		NOTIFY_SOCKET=$T/imp.sock rt create --bundle "$B" impostor </dev/null >/dev/null 2>&1
		t0=$(now_ms)
		NOTIFY_SOCKET=$T/imp.sock rt start impostor >/dev/null 2>&1 &
		_i=0
		while [ ! -S "$STATE/impostor/notify/notify.sock" ] && [ $_i -lt 100 ]; do
			sleep 0.05
			_i=$((_i + 1))
		done
		NOTIFY_SOCKET=$STATE/impostor/notify/notify.sock "$KEEL" ctl notify \
			"STATUS=impostor" READY=1 2>/dev/null
		wait $!
		t1=$(now_ms)
		notify_wait imp 'READY=1'
		! grep -q impostor "$T/imp.got"
		check "notify: a sender outside the container is not passed on"
		[ $((t1 - t0)) -ge 1400 ]
		check "notify: start still waited for the container ($((t1 - t0)) ms)"
		rt delete --force impostor >/dev/null 2>&1
	else
		skip "notify: a sender outside the container is not passed on" \
			"$RT_NAME passes on whoever sends"
		skip "notify: start still waited for the container" "$RT_NAME passes on whoever sends"
	fi

	# run in the foreground
	notify_listen run
	cfg notify-run
	cfg_sh 'sleep 0.5; keelctl notify READY=1 && echo sent'
	NOTIFY_SOCKET=$T/run.sock ctr_run
	is "$RC" 0 "notify: run with NOTIFY_SOCKET exits 0"
	notify_wait run 'READY=1'
	like "$(cat "$T/run.got")" '^pid=[0-9]+: READY=1$' "notify: run passes READY=1 on"

	# no NOTIFY_SOCKET: nothing in the container
	# (an id without "notify": cgroup v1 mounts show the container's id)
	cfg plain
	cfg_sh 'echo "socket=${NOTIFY_SOCKET-unset}"; grep -c notify /proc/self/mountinfo'
	ctr_run
	is "$OUT" "socket=unset
0" "notify: without NOTIFY_SOCKET the container gets no socket"
else
	skip "notify: NOTIFY_SOCKET tests" "$notify_skip"
fi

# ---- no mount namespace ---------------------------------------------------

# runc refuses maskedPaths/readonlyPaths without a mount namespace ("unable
# to restrict sys entries"): without them, all three run the container.
cfg nomnt
cfg_set '.linux.namespaces |= map(select(.type != "mount"))
	| del(.linux.maskedPaths) | del(.linux.readonlyPaths) | .root.readonly = false'
cfg_sh 'readlink /proc/self/ns/mnt; [ -x /bin/busybox ] && [ ! -e /b ] && echo in-rootfs'
ctr_run
is "$RC" 0 "no mount namespace: run exits 0"
is "$OUT" "$(readlink /proc/self/ns/mnt)
in-rootfs" "no mount namespace: the runtime's namespace, root.path as /"
if [ "$RT_NAME" = keel ]; then
	is "$(_rt_mounts_under_t | wc -l)" "$RT_MOUNTS_BEFORE" \
		"no mount namespace: no mount left in the caller's namespace"
	# a create that fails after /proc, /dev, ... were mounted
	cfg nomnt-fail
	cfg_set '.linux.namespaces |= map(select(.type != "mount"))
		| del(.linux.maskedPaths) | del(.linux.readonlyPaths)
		| .mounts += [{destination: "/mnt", type: "bind", source: "/nonexistent-keel-test",
			options: ["bind"]}]'
	ctr_run
	[ "$RC" != 0 ]
	check "no mount namespace: a bad mount fails run"
	is "$(_rt_mounts_under_t | wc -l)" "$RT_MOUNTS_BEFORE" \
		"no mount namespace: nothing left mounted after a failed create"
else
	skip "no mount namespace: no mount left in the caller's namespace" \
		"$RT_NAME leaves the rootfs mounts behind"
fi

if [ "$RT_NAME" = runc ]; then
	skip "no mount namespace: maskedPaths" \
		"runc refuses maskedPaths/readonlyPaths without a mount namespace"
else
	cfg nomnt-masked
	cfg_set '.linux.namespaces |= map(select(.type != "mount")) | .root.readonly = false
		| .linux.maskedPaths += ["/etc"]'
	cfg_sh 'ls -A /etc | wc -l'
	ctr_run
	is "$RC:$OUT" "0:0" "no mount namespace: maskedPaths applied"
fi
if [ "$RT_NAME" = keel ]; then
	cfg nomnt-ro
	cfg_set '.linux.namespaces |= map(select(.type != "mount")) | .root.readonly = true'
	cfg_sh 'touch /x 2>/dev/null || echo read-only'
	ctr_run
	is "$RC:$OUT" "0:read-only" "no mount namespace: root.readonly applied"
	[ ! -e "$T/rootfs/x" ]
	check "no mount namespace: the rootfs on the host was not written"
else
	skip "no mount namespace: root.readonly applied" \
		"$RT_NAME applies root.readonly only in a mount namespace of the container's own"
fi

# ---- LISTEN_FDS -------------------------------------------------------------

echo socket-activated >"$T/listen"
echo preserved >"$T/preserved"
fds_script='echo "LISTEN_FDS=${LISTEN_FDS-unset} LISTEN_PID=${LISTEN_PID-unset}"
	cat <&3 2>/dev/null || echo no-fd-3; cat <&4 2>/dev/null || echo no-fd-4'
# rt_activated PID_WORD ARGS: the runtime as systemd starts it with one
# socket (fd 3); LISTEN_PID is the runtime's pid ("self") or another's.
rt_activated() {
	_lp=$1
	shift
	sh -c 'if [ "$1" = self ]; then LISTEN_PID=$$; else LISTEN_PID=$1; fi
		shift; export LISTEN_PID LISTEN_FDS=1; exec "$@"' sh "$_lp" \
		$RUNTIME --root "$STATE" run --bundle "$B" "$@" "$CTR" 3<"$T/listen" 4<"$T/preserved" \
		</dev/null 2>"$T/err"
}

cfg listen
cfg_sh "$fds_script"
if [ "$RT_NAME" = crun ]; then
	skip "LISTEN_FDS: passed with LISTEN_PID=1" "crun 1.8 sets LISTEN_PID=1 but not LISTEN_FDS"
	skip "LISTEN_FDS: for another pid" "crun 1.8 passes the fds whatever LISTEN_PID says"
else
	is "$(rt_activated self)" "LISTEN_FDS=1 LISTEN_PID=1
socket-activated
no-fd-4" "LISTEN_FDS: fd 3 passed, LISTEN_PID=1 (the container's init)"
	cfg listen-other
	cfg_sh "$fds_script"
	is "$(rt_activated 1)" "LISTEN_FDS=unset LISTEN_PID=unset
no-fd-3
no-fd-4" "LISTEN_FDS: for another pid, nothing passed"
	cfg listen-preserve
	cfg_sh "$fds_script"
	is "$(rt_activated self --preserve-fds 1)" "LISTEN_FDS=1 LISTEN_PID=1
socket-activated
preserved" "LISTEN_FDS with --preserve-fds 1: the listen fds first, then the preserved one"
fi
# LISTEN_FDS in config.json's env is the container's own business.
cfg listen-config
cfg_set '.process.env += ["LISTEN_FDS=1"]'
cfg_sh 'echo "LISTEN_FDS=${LISTEN_FDS-unset} LISTEN_PID=${LISTEN_PID-unset}"'
ctr_run
is "$OUT" "LISTEN_FDS=1 LISTEN_PID=unset" "LISTEN_FDS in process.env: LISTEN_PID is not added"

# ---- run.oci.keep_original_groups ---------------------------------------------

if setpriv --groups 7,8 true 2>/dev/null; then
	groups_of() { # ANNOTATION_VALUE|none
		cfg "groups-$1"
		cfg_set '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20]}'
		[ "$1" = none ] || cfg_set '.annotations["run.oci.keep_original_groups"] = $v' --arg v "$1"
		cfg_sh 'grep ^Groups: /proc/self/status | tr -s "\t " " "'
		setpriv --groups 7,8 $RUNTIME --root "$STATE" run --bundle "$B" "$CTR" </dev/null
	}
	if [ "$RT_NAME" = runc ]; then
		skip "keep_original_groups=1 keeps the runtime's groups" \
			"runc ignores the crun annotation run.oci.keep_original_groups"
	else
		is "$(groups_of 1)" "Groups: 7 8 " "keep_original_groups=1 keeps the runtime's groups"
	fi
	is "$(groups_of 0)" "Groups: 10 20 " "keep_original_groups=0: additionalGids"
	is "$(groups_of none)" "Groups: 10 20 " "no annotation: additionalGids, not the runtime's groups"
else
	skip "run.oci.keep_original_groups" "no setpriv with --groups here (util-linux's; busybox's lacks it)"
fi

done_testing
