#!/bin/sh
# Mount and process setup that other runtimes' conformance suites exercise:
# bind sources the container's user could not reach, dangling symlinks as
# mount destinations, device nodes outside /dev and their owners, a
# terminal under a read-only /dev, a cwd only the container's user can
# enter (or that does not exist), the pty's owner and HOME from the
# image's /etc/passwd.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

R=$T/rootfs
out_line() { printf '%s\n' "$OUT" | sed -n "$1p"; }
have_userns() { [ -e /proc/self/ns/user ]; }
# crun 1.8 chowns the process's stdio to its user, which for </dev/null or
# >/dev/null is the host's /dev/null: containers in a user namespace read
# an empty file, and terminal containers write create's output to a file.
: >"$T/empty"
ctr_run_ns() {
	rt run --bundle "$B" "$@" "$CTR" <"$T/empty" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	[ -z "$ERR" ] || printf '# stderr: %s\n' "$ERR" | head -5
}
userns() {
	cfg_set '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

# --- bind sources are opened with the runtime's privileges ----------------------
mkdir -p "$T/locked/src" "$T/private/src" "$R/mnt"
echo in-locked >"$T/locked/src/file"
echo in-private >"$T/private/src/file"
chmod 000 "$T/locked"
chmod 700 "$T/private"

cfg bind-000
cfg_set '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "ro"]}]' \
	--arg s "$T/locked/src"
cfg_sh 'cat /mnt/file'
ctr_run
is "$OUT" in-locked "bind source under a mode-000 directory is mounted"

if ! have_userns; then
	skip "bind source the mapped root cannot reach" "the kernel has no user namespaces"
else
	cfg bind-userns
	userns
	cfg_set '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["rbind", "ro"]},
		{destination: "/etc/bound-file", type: "bind", source: $f, options: ["bind", "ro"]}]' \
		--arg s "$T/private/src" --arg f "$T/locked/src/file"
	cfg_sh 'cat /mnt/file /etc/bound-file; ls -l /proc/$$/fd/ | grep -c -e private -e "/src"; true'
	: >"$R/etc/bound-file"
	ctr_run_ns
	is "$RC" 0 "user namespace: bind sources under 0700 and 000 root directories: run exits 0"
	is "$(out_line 1)" in-private "user namespace: the bind source (a directory) is mounted"
	is "$(out_line 2)" in-locked "user namespace: the bind source (a file) is mounted"
	is "$(out_line 3)" 0 "user namespace: no fd of the source is left to the container"
	cfg bind-userns-sibling
	userns
	echo secret >"$T/private/sibling"
	cfg_set '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: ["bind"]}]' \
		--arg s "$T/private/src"
	cfg_sh 'cat /mnt/file /mnt/../sibling 2>/dev/null; ls / | grep -c sibling
		grep " /mnt " /proc/self/mountinfo | cut -d" " -f4'
	ctr_run_ns
	is "$(printf '%s\n' "$OUT" | sed -n 1,2p)" "in-private
0" "user namespace: only the bind source is reachable, not its directory"
	# mountinfo's root is relative to the source's file system (a /tmp
	# of its own in the QEMU guest): a tail of the path, ending in src.
	root=$(out_line 3)
	case $root in /*/private/src) ;; *) root=unexpected ;; esac
	case $T/private/src in *"$root") root_ok=yes ;; *) root_ok="no: $root" ;; esac
	is "$root_ok" yes "user namespace: the mount's root is the source itself"
fi

# --- a dangling symlink as the destination -------------------------------------
ln -s /made/by/link "$R/dangling"
ln -s ../../escaped "$R/escape"
if [ "$RT_NAME" = crun ]; then
	skip "dangling symlink destination" "crun 1.8 refuses it (openat2: No such file or directory)"
else
	cfg dangling
	cfg_set '.mounts += [{destination: "/dangling", type: "tmpfs", source: "tmpfs", options: ["size=1m"]},
		{destination: "/escape", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	cfg_sh 'grep -E " /(made/by/link|escaped) " /proc/self/mountinfo | cut -d" " -f5 | sort | tr "\n" " "'
	ctr_run
	is "$RC" 0 "dangling symlink destination: run exits 0"
	is "$OUT" "/escaped /made/by/link " "dangling symlink destination: the target is created and mounted inside the rootfs"
	[ -d "$R/made/by/link" ] && [ -d "$R/escaped" ] && [ ! -e "$T/escaped" ] && [ ! -e /made ]
	check "dangling symlink destination: nothing is created outside the rootfs"
fi

kernel_at_least() { # MAJOR MINOR
	_v=$(uname -r)
	_maj=${_v%%.*} _rest=${_v#*.}
	_min=${_rest%%[!0-9]*}
	[ "$_maj" -gt "$1" ] || { [ "$_maj" -eq "$1" ] && [ "$_min" -ge "$2" ]; }
}

# --- device nodes ---------------------------------------------------------------
# A node outside /dev lives on the rootfs's own file system, which must
# not be mounted nodev (the QEMU guest's /tmp is).
mknod "$T/nodev-probe" c 1 3 && echo x 2>/dev/null >"$T/nodev-probe"
rootfs_dev=$?
rm -f "$T/nodev-probe"
if [ "$rootfs_dev" != 0 ]; then
	skip "linux.devices: a node outside /dev" "the rootfs's file system is mounted nodev here"
else
cfg dev-outside
cfg_set '.linux.devices = [{path: "/foo/null", type: "c", major: 1, minor: 3, fileMode: 438}]
	| .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
cfg_sh 'stat -c "%F %t:%T" /foo/null; echo x >/foo/null && echo written'
ctr_run
is "$OUT" "character special file 1:3
written" "linux.devices: a node outside /dev"
fi
if ! have_userns; then
	skip "device owner in a user namespace" "the kernel has no user namespaces"
elif [ "$RT_NAME" = runc ]; then
	skip "device owner in a user namespace" "runc 1.1 binds the host's node of the same path, and the host has no /dev/fuzz"
elif [ "$RT_NAME" = keel ] && ! kernel_at_least 6 15; then
	skip "device owner in a user namespace" "Linux $(uname -r) cannot clone a detached mount: keel binds the host's node, as runc, and the host has no /dev/fuzz"
else
	cfg dev-userns
	userns
	cfg_set '.linux.devices = [{path: "/dev/fuzz", type: "c", major: 1, minor: 5, fileMode: 438,
		uid: 1000, gid: 1000}]'
	cfg_sh 'stat -c "%F %t:%T %a %u:%g" /dev/fuzz; head -c 3 /dev/fuzz | od -An -tx1 | tr -d " "
		echo x >/dev/fuzz && echo written; echo x >/dev/null && echo null-written'
	ctr_run_ns
	if [ "$RT_NAME" = crun ]; then
		is "$(out_line 1 | cut -d" " -f1-4,6)" "character special file 1:5 1000:1000" \
			"user namespace: a linux.devices node has the configured owner"
	else
		is "$(out_line 1)" "character special file 1:5 666 1000:1000" \
			"user namespace: a linux.devices node has the configured mode and owner"
	fi
	is "$(out_line 2)" 000000 "user namespace: the node is usable"
	if [ "$RT_NAME" = crun ]; then
		skip "user namespace: the node is writable" "crun 1.8 applies the umask to fileMode (644)"
	else
		is "$(printf '%s\n' "$OUT" | sed -n 3,4p | tr '\n' ' ')" "written null-written " \
			"user namespace: the node and the default ones are writable"
	fi
	is "$(stat -c %u:%g /dev/null)" 0:0 "user namespace: the host's node keeps its owner"
fi

# --- terminals --------------------------------------------------------------------
# term_run NAME: create and start $B with a console socket; the terminal's
# output lands in $OUT.
term_run() {
	rm -f "$T/console.sock" "$T/console.out"
	python3 "$_rt_here/console-recv.py" "$T/console.sock" "$T/console.out" &
	recv=$!
	RT_PIDS="$RT_PIDS $recv"
	i=0
	while [ ! -S "$T/console.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	rt create --bundle "$B" --console-socket "$T/console.sock" "$1" <"$T/empty" >"$T/create.out" 2>"$T/err"
	RC=$?
	[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
	if [ $RC = 0 ]; then
		rt start "$1"
		wait $recv
		ctr_wait_status "$1" stopped
	else
		kill $recv 2>/dev/null
		wait $recv 2>/dev/null
	fi
	OUT=$(tr -d '\r' <"$T/console.out" 2>/dev/null)
	rt delete --force "$1" >/dev/null 2>&1
}
if ! command -v python3 >/dev/null; then
	skip "terminals" "python3 is needed for the console receiver"
else
	cfg term-ro-dev
	cfg_set '.process.terminal = true
		| (.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
	cfg_sh '[ -c /dev/console ] && echo console; touch /dev/x 2>&1'
	term_run term-ro-dev
	is "$RC" 0 "terminal with a read-only /dev: create succeeds"
	is "$(out_line 1)" console "terminal with a read-only /dev: /dev/console is the pty"
	like "$(out_line 2)" "Read-only file system" "terminal with a read-only /dev: /dev stays read-only"

	cfg term-user
	cfg_set '.process.terminal = true | .process.user = {uid: 1000, gid: 1000}'
	cfg_sh 'stat -c %u:%g "$(tty)"; id -u'
	term_run term-user
	is "$OUT" "1000:5
1000" "terminal: the pty belongs to the process's user, its group stays tty"
	if have_userns; then
		cfg term-user-ns
		userns
		cfg_set '.process.terminal = true | .process.user = {uid: 1000, gid: 1000}'
		cfg_sh 'stat -c %u:%g "$(tty)"; id -u'
		term_run term-user-ns
		is "$OUT" "1000:5
1000" "user namespace: the pty belongs to the process's user, its group stays tty"
	fi
fi

# --- process.cwd --------------------------------------------------------------------
mkdir -p "$R/home/u42"
chown 42:42 "$R/home/u42"
chmod 700 "$R/home/u42"
mkdir -p "$R/only-root"
chmod 700 "$R/only-root"
cfg cwd-user
cfg_set '.process.user = {uid: 42, gid: 42} | .process.cwd = "/home/u42"
	| .process.capabilities = {} | .root.readonly = false'
cfg_sh 'pwd; touch f && echo writable'
ctr_run
is "$RC" 0 "cwd only the container's user can enter: run exits 0"
is "$OUT" "/home/u42
writable" "cwd only the container's user can enter: it is the cwd"
rm -f "$R/home/u42/f"

# runc changes directory before the user switch, and again after only
# when that failed: a cwd only root may enter still works.
cfg cwd-root-only
cfg_set '.process.user = {uid: 42, gid: 42} | .process.cwd = "/only-root"'
cfg_sh 'pwd; ls . >/dev/null 2>&1 || echo unreadable'
ctr_run
is "$OUT" "/only-root
unreadable" "cwd only root can enter: the process starts there (runc)"

if ! have_userns; then
	skip "cwd in a user namespace" "the kernel has no user namespaces"
else
	# The mapped root lacks the host's DAC override: only uid 42 (host
	# 100042) may enter.
	mkdir -p "$R/home/m42"
	chown 100042:100042 "$R/home/m42"
	chmod 700 "$R/home/m42"
	cfg cwd-userns
	userns
	cfg_set '.process.user = {uid: 42, gid: 42} | .process.cwd = "/home/m42"'
	cfg_sh 'pwd'
	ctr_run_ns
	is "$OUT" /home/m42 "user namespace: a cwd only the mapped user can enter"
fi

cfg cwd-missing
cfg_set '.process.cwd = "/no/such/dir" | .root.readonly = false'
cfg_sh 'pwd; stat -c "%u:%g %a" .'
ctr_run
is "$RC" 0 "a missing cwd: run exits 0"
is "$(out_line 1)" /no/such/dir "a missing cwd is created"
is "$(out_line 2)" "0:0 755" "a missing cwd: created by root, mode 755 (as runc and crun)"
rm -rf "$R/no"

# --- HOME ---------------------------------------------------------------------------
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nu42:x:42:42::/home/u42:/bin/sh\n' \
	>"$R/etc/passwd"
cfg home
cfg_set '.process.env |= map(select(startswith("HOME=") | not))
	| .process.user = {uid: 42, gid: 42}'
cfg_sh 'echo "$HOME"'
ctr_run
is "$OUT" /home/u42 "HOME from the image's /etc/passwd"
cfg home-root
cfg_set '.process.env |= map(select(startswith("HOME=") | not))'
cfg_sh 'echo "$HOME"'
ctr_run
is "$OUT" /root "HOME of root from the image's /etc/passwd"
if [ "$RT_NAME" = crun ]; then
	skip "HOME is / for a user /etc/passwd does not name" "crun 1.8 leaves HOME unset"
else
	cfg home-none
	cfg_set '.process.env |= map(select(startswith("HOME=") | not)) | .process.user = {uid: 77, gid: 77}'
	cfg_sh 'echo "$HOME"'
	ctr_run
	is "$OUT" / "HOME is / for a user /etc/passwd does not name"
fi
cfg home-set
cfg_set '.process.env += ["HOME=/set"] | .process.user = {uid: 42, gid: 42}'
cfg_sh 'echo "$HOME"'
ctr_run
is "$OUT" /set "HOME from process.env wins"

done_testing
