#!/bin/sh
# CVE-2019-5736 / CVE-2016-9962: a container must not reach the runtime's
# binary, nor the runtime's open files, through the /proc of a process the
# runtime put into its pid namespace.  Container A runs the attacker's
# shell in its own pid namespace; B joins that namespace by path and is
# left `created`, i.e. still the runtime's own process, waiting for start.
# From inside A: readlink, open for reading and for appending
# /proc/B/exe; read a 0600 host file through B's fds (/proc/B/fd/N); hold
# /proc/B/exe open across `start` and append through the held fd then.
# Every attempt must fail and the binary's checksum stay the same.  Then
# again with CAP_SYS_PTRACE in A, which non-dumpable does not stop: the
# exe it reaches must be a sealed or read-only copy, B's fds must lead to
# no host directory.  Then a privileged A (CAP_SYS_ADMIN, CAP_SYS_PTRACE,
# CAP_DAC_READ_SEARCH, ...) also runs tests/lib/exe-attack.c against B:
# /proc/B/exe and /proc/B/map_files opened for writing, the exe's mount
# made writable (mount_setattr, a clone by open_tree, a bind remounted rw),
# its superblock reached (fspick) and open_by_handle_at; every try must be
# refused (it never writes or reconfigures: reaching is the proof).
# Debian's runc 1.1.5 and crun 1.8.1 fail that one: they are dynamically
# linked, and /proc/B/map_files of their created process opens the host's
# shared libraries for writing, and fspick reaches the superblock under
# their bind mount; keel is static and its only mapped file is the
# protected binary.
#
# keel runs from a copy in the test's directory, so that a keel with the
# hole (this test on an old binary) damages only the copy.  Then keel
# again, with that copy memfd-bound (`keel-runtime memfd-bind`: its re-exec
# skipped, the bound sealed copy is what B runs from): the privileged
# attack and the shebang once more.  keel's run is in a private mount
# namespace, which takes the bind with it however the test ends.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
if [ "$RT_NAME" = keel ] && [ -z "${KEEL_TEST_EXE_NS:-}" ] && [ "$(id -u)" = 0 ] &&
	unshare -m --propagation private true 2>/dev/null; then
	KEEL_TEST_EXE_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
rt_setup "$@"

bin=$(command -v "${RUNTIME%% *}")
orig=$(realpath "$bin") # memfd-bind runs from $T: an absolute path
if [ "$RT_NAME" = keel ]; then
	mkdir -p "$T/bin"
	cp "$bin" "$T/bin/" || skip_all "cannot copy $bin"
	RUNTIME="$T/bin/$(basename "$bin")${RUNTIME#"${RUNTIME%% *}"}"
	bin=$T/bin/$(basename "$bin")
fi
bin=$(realpath "$bin")
sum_before=$(sha256sum "$bin" | cut -d' ' -f1)
echo "# binary under attack: $bin"

# The attacker's shell: waits for B's pid (as A sees it), tries
# everything, keeps /proc/B/exe open if it could, waits for B to be
# started, appends through what it kept.
attacker='until [ -s /share/go1 ]; do sleep 0.05; done
b=$(cat /share/go1)
{
	echo "readlink=$(readlink /proc/$b/exe 2>/dev/null)"
	if echo x 2>/dev/null >>/proc/$b/exe; then echo append=ok; else echo append=refused; fi
	if head -c 4 /proc/$b/exe 2>/dev/null | grep -q ELF; then echo read=ok; else echo read=refused; fi
	echo "fds=$(ls /proc/$b/fd 2>/dev/null | tr "\n" " ")"
	leak=
	for n in $(seq 0 40); do
		for f in /proc/$b/fd/$n/secret /proc/$b/fd/$n/../secret; do
			grep -qs hostsecret "$f" && leak="${leak:+$leak }$f"
		done
	done
	echo "leak=${leak:-none}"
	[ ! -x /share/exe-attack ] || /share/exe-attack /proc/$b 2>&1
} >/share/r1
# A failed redirection on exec would end the shell: try in a subshell first.
if (exec 3</proc/$b/exe) 2>/dev/null; then
	exec 3</proc/$b/exe
	echo held=ok
else
	echo held=refused
fi >>/share/r1
touch /share/ready1
until [ -e /share/go2 ]; do sleep 0.05; done
if echo x 2>/dev/null >>/proc/self/fd/3; then echo after-start=ok; else echo after-start=refused; fi >/share/r2
exec sleep 1000'

# attack NAME [JQ]: container NAME-a (the attacker, edited by JQ) and
# NAME-b (joins its pid namespace, left created); results in $R1, $R2.
attack() {
	sh=$T/share-$1
	mkdir -p "$sh"
	[ -z "$ATTACK_BIN" ] || cp "$ATTACK_BIN" "$sh/exe-attack"
	cfg "$1-a"
	cfg_set '.mounts += [{destination: "/share", type: "bind", source: $s, options: ["rbind", "rw"]}]' \
		--arg s "$sh"
	[ -z "${2:-}" ] || cfg_set "$2"
	cfg_sh "$attacker"
	rt run -d --bundle "$B" "$1-a" </dev/null >"$T/out" 2>&1
	check "$1: A (the attacker, own pid namespace) runs"
	apid=$(ctr_state "$1-a" pid)

	cfg "$1-b"
	cfg_set '.linux.namespaces = [.linux.namespaces[] | select(.type != "pid")]
		+ [{type: "pid", path: $p}]' --arg p "/proc/$apid/ns/pid"
	rt create --bundle "$B" "$1-b" </dev/null >"$T/out" 2>&1
	check "$1: B joins A's pid namespace by path and is created"
	bpid=$(ctr_state "$1-b" pid)
	# What B runs from, as the host sees it: file system and device.
	BEXE_FS=$(stat -L -f -c %T "/proc/$bpid/exe" 2>/dev/null)
	BEXE_DEV=$(stat -L -c %d "/proc/$bpid/exe" 2>/dev/null)
	BEXE_INO=$(stat -L -c %i "/proc/$bpid/exe" 2>/dev/null)
	# B's pid in A's namespace: the last NSpid field.
	bns=$(awk '/^NSpid:/ { print $NF }' "/proc/$bpid/status" 2>/dev/null)
	# A 0600 host file next to the state B's runtime keeps.
	for d in "$STATE" "$STATE/$1-b"; do
		[ -d "$d" ] && echo hostsecret >"$d/secret" && chmod 600 "$d/secret"
	done
	echo "$bns" >"$sh/go1"
	i=0
	while [ ! -e "$sh/ready1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$sh/ready1" ]
	check "$1: A made its attempts on /proc/$bns (host pid $bpid)"
	R1=$(cat "$sh/r1" 2>/dev/null)
	echo "$R1" | sed 's/^/# A saw: /'

	rt start "$1-b" >"$T/out" 2>&1
	check "$1: B starts"
	ctr_wait_status "$1-b" stopped
	touch "$sh/go2"
	i=0
	while [ ! -s "$sh/r2" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	R2=$(cat "$sh/r2" 2>/dev/null)
	rt delete --force "$1-b" >/dev/null 2>&1
	rt delete --force "$1-a" >/dev/null 2>&1
}

r1() { echo "$R1" | sed -n "s/^$1=//p"; }

# readlink must not name a host file: nothing (no access), a memfd copy
# (keel without overlayfs), "/", the root of a detached read-only bind
# mount of the binary (runc 1.1 and crun 1.8, which try that before a
# memfd copy), or "/NAME", the binary at the root of a private overlayfs
# (keel, runc 1.2): then the host must see B's exe on an overlayfs, not
# on the binary's own file system.
exe_hidden() {
	case $(r1 readlink) in
	"" | / | /memfd:*) true ;;
	"/$(basename "$bin")")
		[ "$BEXE_FS" = overlayfs ] && [ "$BEXE_DEV" != "$(stat -c %d "$bin")" ] ;;
	*) false ;;
	esac
	check "$1: readlink /proc/B/exe names no host file (got '$(r1 readlink)', on ${BEXE_FS:-?})"
}

# The lines of tests/lib/exe-attack.c: each try refused, and all seven ran.
attacks_refused() {
	[ -n "$ATTACK_BIN" ] || {
		skip "$1: exe-attack" "cannot build it statically: $(head -1 "$T/cc.err")"
		return
	}
	n=0
	for a in exe-open map_files setattr fspick open_tree handle bind; do
		v=$(r1 "$a")
		case $v in refused*) n=$((n + 1)) ;; *) echo "# $a: ${v:-did not run}" ;; esac
	done
	is "$n" 7 "$1: every exe-attack try (open, map_files, mount_setattr, fspick, open_tree, bind, handle) is refused"
}

# The privileged attacker's program; cc is there wherever keel is built.
ATTACK_BIN=
if cc -static -O2 -o "$T/exe-attack" "$(dirname "$0")/../lib/exe-attack.c" 2>"$T/cc.err"; then
	ATTACK_BIN=$T/exe-attack
fi

# --- a container with the default capabilities ------------------------------
attack plain
exe_hidden plain
is "$(r1 append)" refused "plain: /proc/B/exe cannot be opened for appending"
is "$(r1 read)" refused "plain: /proc/B/exe cannot be read"
is "$(r1 leak)" none "plain: no fd of B reaches a 0600 host file"
attacks_refused plain
is "$(r1 held)" refused "plain: /proc/B/exe cannot be held open across start"
is "$(echo "$R2" | sed -n 's/^after-start=//p')" refused \
	"plain: after start, nothing A held on /proc/B/exe writes to the binary"
is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum_before" "plain: the runtime binary is unchanged"

# --- an attacker with CAP_SYS_PTRACE -----------------------------------------
# Non-dumpable no longer stops it: it reads B's exe and fds.  What it reads
# must be a sealed copy, and B's fds must lead nowhere on the host.
attack ptrace '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
exe_hidden ptrace
is "$(r1 append)" refused "ptrace: /proc/B/exe cannot be opened for appending"
is "$(r1 leak)" none "ptrace: no fd of B reaches a 0600 host file"
attacks_refused ptrace
is "$(echo "$R2" | sed -n 's/^after-start=//p')" refused \
	"ptrace: after start, what A held on /proc/B/exe does not write to the binary"
is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum_before" "ptrace: the runtime binary is unchanged"

# --- a privileged attacker ------------------------------------------------------
# Every capability, so mounts, map_files and file handles are open to it.
# The exe it reaches must stay unwritable whatever it does to the mount.
attack priv '.process.capabilities |= with_entries(.value = (.value + ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE",
	"CAP_DAC_READ_SEARCH", "CAP_DAC_OVERRIDE", "CAP_CHECKPOINT_RESTORE", "CAP_FOWNER", "CAP_MKNOD"] | unique))'
exe_hidden priv
is "$(r1 append)" refused "priv: /proc/B/exe cannot be opened for appending"
attacks_refused priv
is "$(echo "$R2" | sed -n 's/^after-start=//p')" refused \
	"priv: after start, what A held on /proc/B/exe does not write to the binary"
is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum_before" "priv: the runtime binary is unchanged"

# --- the image's own program is `#!/proc/self/exe` --------------------------
# CVE-2019-5736's first way: at the container process's execve the kernel
# resolves a script's interpreter in the container, and /proc/self/exe
# there is still the runtime's own binary, so the container's process
# becomes the runtime's binary, run from whatever file the runtime ran
# from.  keel must have re-executed from its protected copy by then.  The
# keel so started is PID 1 of the container's pid namespace, i.e. keel
# init, which stays (an empty /containers.d); it must run from the
# runtime's protected copy, and a process of the container must not be
# able to write to it.  keel only: runc and crun print their usage
# and exit.
# shebang NAME: the container NAME runs /evil.
shebang() {
	cfg "$1"
	cfg_set '.process.args = ["/evil"] | .mounts += [{destination: "/run", type: "tmpfs",
		source: "tmpfs", options: ["nosuid", "nodev"]}]'
	rt run -d --bundle "$B" "$1" </dev/null >"$T/$1.out" 2>&1
	check "$1: run -d of a container whose program is #!/proc/self/exe"
	ctr_wait_status "$1" running
	check "$1: the container runs (keel init, from the script's interpreter)"
	p=$(ctr_state "$1" pid)
	like "$(tr '\0' ' ' <"/proc/$p/cmdline")" "^/proc/self/exe /evil" \
		"$1: the container's process is the interpreter run on /evil"
	[ "$(stat -L -c %d "/proc/$p/exe")" != "$(stat -c %d "$bin")" ]
	check "$1: /proc/PID/exe is not the host binary (another file system)"
	# keel init re-executes from a sealed memfd unless it already runs
	# from a protected file, so only the runtime's own copy (B's above)
	# tells that the runtime had protected itself before the execve
	is "$(stat -f -L -c %T "/proc/$p/exe")" "${BEXE_FS:-overlayfs}" \
		"$1: it runs from the runtime's own protected copy (as B did), not a copy init made"
	rt exec "$1" sh -c 'if echo x 2>/dev/null >>/proc/1/exe; then echo ok; else echo refused; fi' \
		>"$T/$1.append" 2>&1
	is "$(cat "$T/$1.append")" refused \
		"$1: a process of the container cannot append to its PID 1's exe"
	rt delete --force "$1" >/dev/null 2>&1
	is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum_before" "$1: the runtime binary is unchanged"
}
if [ "$RT_NAME" = keel ]; then
	printf '#!/proc/self/exe\n' >"$T/rootfs/evil"
	chmod 755 "$T/rootfs/evil"
	mkdir -p "$T/rootfs/containers.d"
	shebang shebang
else
	skip "shebang: #!/proc/self/exe" "$RT_NAME runs its own usage there and exits"
fi

# --- keel again, its binary memfd-bound ------------------------------------------
# `keel-runtime memfd-bind` mounts a sealed copy in memory over the binary;
# keel run from there skips its own clone, so B runs from that copy, shared
# by every keel process started from the path.  It must hold as the
# private overlay does: the privileged attack and the shebang again.
if [ "$RT_NAME" = keel ]; then
	rt_memfd_bind "$orig" "$bin" "$T/mb"
	check "bound: memfd-bind holds a sealed copy over $bin"
	attack bound '.process.capabilities |= with_entries(.value = (.value + ["CAP_SYS_ADMIN",
		"CAP_SYS_PTRACE", "CAP_DAC_READ_SEARCH", "CAP_DAC_OVERRIDE", "CAP_CHECKPOINT_RESTORE",
		"CAP_FOWNER", "CAP_MKNOD"] | unique))'
	is "$BEXE_DEV:$BEXE_INO" "$(stat -L -c '%d:%i' "$bin")" \
		"bound: B ran from the bound copy itself, not a clone of its own"
	exe_hidden bound
	is "$(r1 append)" refused "bound: /proc/B/exe cannot be opened for appending"
	attacks_refused bound
	is "$(echo "$R2" | sed -n 's/^after-start=//p')" refused \
		"bound: after start, what A held on /proc/B/exe does not write to the binary"
	shebang bound-shebang
	is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum_before" "bound: the bound copy is unchanged"
	kill -TERM "$MB"
	wait "$MB"
	check "bound: memfd-bind takes its mount away at SIGTERM"
	is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum_before" "bound: the runtime binary under it is unchanged"
else
	skip "bound: the attacks on a memfd-bound binary" "memfd-bind is keel's own command"
fi

done_testing
