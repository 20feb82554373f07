#!/bin/sh
# exec: one more process in a running container, as runc's `exec`.  The
# process shares every namespace and the cgroup of the container's init,
# gets the config's env and the command line's options (--env, --cwd,
# --user, --cap, --no-new-privs, or a --process JSON), holds no fd of the
# caller, and its exit status is exec's.  A paused or stopped container is
# refused.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

# ex ARGS...: `exec ARGS` with no stdin: $RC, $OUT, $ERR
ex() {
	rt exec "$@" </dev/null >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

cfg exec
cfg_set '.process.args = ["sleep", "1000"] | .process.env = ["PATH=/bin:/sbin", "FROM_CONFIG=yes"]
	| .process.noNewPrivileges = false | .linux.namespaces += [{type: "cgroup"}]
	| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38}]}'
rt create --bundle "$B" exec </dev/null >/dev/null 2>"$T/err" && rt start exec
check "create and start a long-running container"
INIT=$(ctr_state exec pid)

# --- namespaces and cgroup ------------------------------------------------------
ex exec sh -c 'for n in pid net mnt ipc uts cgroup user; do
	[ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] || echo "$n differs"
done; echo done'
is "$OUT" "done" "every namespace of the exec'd process is the init's (/proc/1 inside)"
[ "$(readlink /proc/"$INIT"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
check "(the container's pid namespace is not the host's)"
ex exec sh -c 'tr "\0" " " </proc/1/cmdline; echo; hostname'
is "$OUT" "$(printf 'sleep 1000 \nkeeltest')" "the exec'd process sees the init as pid 1 and the container's hostname"
ex exec sh -c 'grep "^0::" /proc/self/cgroup; grep "^0::" /proc/1/cgroup'
is "$(echo "$OUT" | sed -n 1p)" "$(echo "$OUT" | sed -n 2p)" "in the init's cgroup (0:: line of /proc/PID/cgroup)"
# Every hierarchy, v1 ones too on a hybrid or legacy host: the devices,
# pids and memory limits live there.
ex exec sh -c 'cat /proc/self/cgroup | sort | tr "\n" " "; echo; cat /proc/1/cgroup | sort | tr "\n" " "'
is "$(echo "$OUT" | sed -n 1p)" "$(echo "$OUT" | sed -n 2p)" "in the init's cgroup in every hierarchy ($(grep -c . /proc/self/cgroup) here)"
# --cgroup SUB: SUB in every hierarchy of the container's, v1 ones too (as
# runc); on v1, CTRL[,CTRL]:SUB in those controllers' hierarchies only.
cgdirs() { ls -d /sys/fs/cgroup/keeltest-$$-exec /sys/fs/cgroup/*/keeltest-$$-exec 2>/dev/null; }
for d in $(cgdirs); do mkdir "$d/sub"; done
ex --cgroup sub exec sh -c 'sort /proc/self/cgroup | tr "\n" " "; echo; sort /proc/1/cgroup | tr "\n" " "'
# In a cgroup namespace of its own (the QEMU guest) the init's v2 line is
# 0::/ and the exec'd process's 0::/sub.
want=$(echo "$OUT" | sed -n 2p | tr ' ' '\n' | sed -e "/keeltest-$$-exec\$/s|\$|/sub|" -e 's|^0::/$|0::/sub|' | tr '\n' ' ' | sed 's/ *$//')
is "$(echo "$OUT" | sed -n 1p | sed 's/ *$//')" "$want" "--cgroup sub: the process is in sub of every hierarchy the init is in ($(cgdirs | wc -l) here)"
if [ ! -f /sys/fs/cgroup/cgroup.controllers ] && [ -d /sys/fs/cgroup/memory/keeltest-$$-exec ]; then
	mkdir /sys/fs/cgroup/memory/keeltest-$$-exec/msub
	ex --cgroup memory:msub --cgroup pids:sub exec sh -c 'for c in memory pids devices; do grep ":$c:" /proc/self/cgroup; grep ":$c:" /proc/1/cgroup; done'
	like "$(echo "$OUT" | sed -n 1p)" ":memory:.*/msub$" "--cgroup memory:msub --cgroup pids:sub: memory's sub-cgroup msub"
	like "$(echo "$OUT" | sed -n 3p)" ":pids:.*/sub$" "... pids' sub"
	is "$(echo "$OUT" | sed -n 5p)" "$(echo "$OUT" | sed -n 6p)" "... and the init's cgroup in the others (devices)"
	rmdir /sys/fs/cgroup/memory/keeltest-$$-exec/msub
	ex --cgroup whaaat:/ exec true
	[ "$RC" != 0 ]
	check "--cgroup CTRL:PATH with an unknown controller fails"
	like "$ERR" "unknown controller" "... saying so"
	ex --cgroup memory:nonexistent exec true
	[ "$RC" != 0 ]
	check "--cgroup CTRL:PATH to a missing sub-cgroup fails"
else
	skip "--cgroup CTRL:PATH" "no cgroup v1 memory hierarchy here"
fi
ex --cgroup .. exec true
[ "$RC" != 0 ]
check "--cgroup .. (out of the container's cgroup) is refused"
like "$ERR" " \\.\\. is not a sub cgroup path" "... in runc's words"
for d in $(cgdirs); do rmdir "$d/sub"; done

ex exec sh -c 'grep ^Seccomp: /proc/self/status; mkdir /x'
is "$OUT" "Seccomp:	2" "the container's linux.seccomp filters the exec'd process"
like "$ERR" "not implemented" "... mkdir gets the filter's errno (ENOSYS), not EROFS"

# --- exit status ------------------------------------------------------------------
ex exec sh -c 'exit 7'
is "$RC" 7 "exec exits with the process's status"
ex exec sh -c 'kill -TERM $$'
is "$RC" 143 "a process killed by SIGTERM: exec exits 128+15"
# shellcheck disable=SC2086 # $RUNTIME may be "keel runtime"
(exec $RUNTIME --root "$STATE" exec exec sh -c 'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done' \
	</dev/null >"$T/sig.out" 2>&1) &
xpid=$!
RT_PIDS="$RT_PIDS $xpid"
i=0
while [ "$(cat "$T/sig.out")" != ready ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM $xpid
wait $xpid
is "$?" 42 "SIGTERM to exec in the foreground reaches the process (it exits 42 from its trap)"
# podman maps exec's words to its own status: "not found" or "no such
# file" (any case) is 127, anything else 126 (its healthchecks rely on it).
lc() { printf '%s\n' "$ERR" | tr 'A-Z' 'a-z'; }
ex exec /no/such/binary
[ "$RC" != 0 ] && [ -n "$ERR" ]
check "a missing executable fails exec with a message"
like "$(lc)" "not found|no such file" "... which podman reads as not found (127)"
ex exec nosuchcommand
like "$(lc)" "not found|no such file" "a command not in PATH: podman's not found (127)"
ex exec /etc
[ "$RC" != 0 ] && ! lc | grep -qE "not found|no such file"
check "a directory as the command: podman's cannot invoke (126), not not-found"

# --- the process: env, cwd, user, caps, nnp -----------------------------------------
ex exec sh -c 'echo "$FROM_CONFIG $PATH"'
is "$OUT" "yes /bin:/sbin" "the config's env"
ex --env FOO=bar --env FROM_CONFIG=overridden exec /bin/sh -c 'echo "$FOO $FROM_CONFIG $PATH"'
if [ "$RT_NAME" = crun ] && [ "$OUT" != "bar overridden /bin:/sbin" ]; then
	skip "--env keeps the config's env" "crun 1.8's --env replaces it"
else
	is "$OUT" "bar overridden /bin:/sbin" "--env adds to (and overrides) the config's env"
fi
ex --cwd /etc exec pwd
is "$OUT" /etc "--cwd"
ex exec pwd
is "$OUT" / "without --cwd: the config's cwd"
ex --user 1000:1001 exec sh -c 'id -u; id -g'
is "$OUT" "$(printf '1000\n1001')" "--user UID:GID"
if [ "$RT_NAME" = crun ]; then
	skip "--additional-gids" "crun 1.8 has no such option"
else
	ex --user 1000 --additional-gids 20 --additional-gids 30 exec sh -c 'grep ^Groups /proc/self/status'
	is "$(echo "$OUT" | tr -s '\t ' ' ')" "Groups: 20 30 " "--additional-gids"
fi
ex exec grep ^CapEff /proc/self/status
before=$(echo "$OUT" | awk '{print $2}')
ex --cap CAP_SYS_TIME exec grep ^CapEff /proc/self/status
after=$(echo "$OUT" | awk '{print $2}')
is "$(printf '%016x' $((0x$after & ~0x$before)))" "$(cap_mask 25)" "--cap CAP_SYS_TIME adds that capability (and only it)"
ex exec grep ^NoNewPrivs /proc/self/status
is "$OUT" "NoNewPrivs:	0" "without --no-new-privs: the config's (false)"
ex --no-new-privs exec grep ^NoNewPrivs /proc/self/status
is "$OUT" "NoNewPrivs:	1" "--no-new-privs"

ex --apparmor unconfined exec true
[ "$RC" != 0 ]
check "--apparmor is refused"
[ "$RT_NAME" != keel ] || like "$ERR" "not supported" "... saying it is not supported"

# --- --process ------------------------------------------------------------------------
cat >"$T/process.json" <<'EOF'
{"args": ["sh", "-c", "echo $ONLY; pwd; id -u; exit 5"], "env": ["ONLY=file", "PATH=/bin"],
 "cwd": "/tmp", "user": {"uid": 7, "gid": 7}}
EOF
ex --process "$T/process.json" exec
is "$RC:$OUT" "5:$(printf 'file\n/tmp\n7')" "--process FILE: args, env, cwd and user from the file"
echo '{"args": [], "cwd": "/"}' >"$T/bad.json"
ex --process "$T/bad.json" exec
[ "$RC" != 0 ]
check "--process with empty args fails"
[ "$RT_NAME" != keel ] || like "$ERR" "bad.json: args" "--process errors name the JSON path"

# --- fds -------------------------------------------------------------------------------
# ls itself is the process; its directory fd of /proc/self/fd is left out.
open_fds() {
	echo "$OUT" | awk '$(NF-1) == "->" && $NF !~ "^/proc/[0-9]+/fd$" { printf "%s ", $(NF-2) }'
}
ex exec ls -l /proc/self/fd/ 7<"$T" 8<"$T/base.json"
is "$(open_fds)" "0 1 2 " "no fd of the caller but 0-2 reaches the exec'd process"
rt exec --preserve-fds 1 exec ls -l /proc/self/fd/ </dev/null 3<"$T/base.json" >"$T/out" 2>&1
OUT=$(cat "$T/out")
is "$(open_fds)" "0 1 2 3 " "--preserve-fds 1: fd 3 is passed, nothing else"
leaks=
for n in 3 4 5 6 7 8 9 10; do
	ex --cwd "/proc/self/fd/$n" exec sh -c 'ls ../../../../../../.. 2>/dev/null | grep -qx boot && echo HOSTROOT; pwd' 7<"$T"
	case $OUT in *HOSTROOT*|*"$T"*) leaks="$leaks $n" ;; esac
done
if [ "$RT_NAME" != keel ] && [ -n "$leaks" ]; then
	skip "--cwd /proc/self/fd/N" "$RT_NAME predates the CVE-2024-21626 fixes (leaked at$leaks)"
else
	is "$leaks" "" "--cwd /proc/self/fd/N (N = 3..10) never reaches the host"
fi

# --- detach ------------------------------------------------------------------------------
ex -d --pid-file "$T/exec.pid" exec sleep 300
is "$RC" 0 "exec -d returns at once"
epid=$(cat "$T/exec.pid" 2>/dev/null)
[ -n "$epid" ] && proc_alive "$epid"
check "--pid-file names the running process"
[ -n "$epid" ] && [ "$(readlink /proc/"$epid"/ns/pid)" = "$(readlink /proc/"$INIT"/ns/pid)" ]
check "the detached process is in the container's pid namespace"
[ -n "$epid" ] && kill -9 "$epid"

# --- a terminal through --console-socket -----------------------------------------------------
if ! command -v python3 >/dev/null; then
	skip "exec -t --console-socket" "python3 is needed for the console receiver"
else
	python3 "$_rt_here/console-recv.py" "$T/console.sock" "$T/console.out" &
	recv=$!
	RT_PIDS="$RT_PIDS $recv"
	i=0
	while [ ! -S "$T/console.sock" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	ex -t -d --console-socket "$T/console.sock" exec sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo all-tty'
	is "$RC" 0 "exec -t -d --console-socket"
	wait $recv
	out=$(tr -d '\r' <"$T/console.out")
	like "$(echo "$out" | sed -n 1p)" "^/dev/pts/[0-9]+$" "-t: the process has a pty of the container"
	is "$(echo "$out" | sed -n 2p)" all-tty "-t: stdin and stdout are the terminal"
fi
if command -v script >/dev/null; then
	script -qec "$RUNTIME --root $STATE exec -t exec sh -c 'tty; exit 4'" /dev/null </dev/null >"$T/out" 2>&1
	RC=$?
	is "$RC" 4 "exec -t in the foreground: the pty is proxied, the status passed on"
	like "$(tr -d '\r' <"$T/out" | sed -n 1p)" "/dev/pts/[0-9]+$" "exec -t in the foreground: the process has a pty"
fi

# --- user and time namespaces ------------------------------------------------------------
# same_ns NAMES: a script comparing the namespaces NAMES of the exec'd shell
# with the init's.
same_ns() {
	echo "for n in $*;"' do [ "$(readlink /proc/self/ns/$n)" = "$(readlink /proc/1/ns/$n)" ] || echo "$n differs"; done'
}
if [ ! -e /proc/self/ns/user ]; then
	skip "exec into a user namespace" "the kernel has no user namespaces"
else
	cfg userns
	cfg_set '.linux.namespaces += [{type: "user"}] | .process.args = ["sleep", "1000"]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	echo '{"args": ["/bin/cat", "/proc/self/oom_score_adj"], "cwd": "/", "env": ["PATH=/bin"], "user": {"uid": 0, "gid": 0},
		"oomScoreAdj": 500}' >"$T/oom.json"
	rt run -d --bundle "$B" userns </dev/null >/dev/null 2>"$T/err"
	check "run -d of a container with a user namespace"
	upid=$(ctr_state userns pid)
	# (Raised: lowering needs CAP_SYS_RESOURCE, which this host's root may lack.)
	ex --process "$T/oom.json" userns
	if [ "$RT_NAME" != keel ] && [ "$RC:$OUT" = "0:0" ]; then
		skip "exec --process with oomScoreAdj" "$RT_NAME ignores it on exec"
	else
		is "$RC:$OUT" "0:500" "exec into a user namespace: the process's oomScoreAdj"
	fi
	ex userns sh -c "$(same_ns user pid mnt net); id -u; tr -s ' ' </proc/self/uid_map"
	is "$OUT" "$(printf '0\n 0 100000 65536')" "exec into a user namespace: the init's namespaces, uid 0 inside"
	# Before Linux 5.8 (and without pidfd_open, before 5.3) the namespaces
	# are joined one /proc/PID/ns fd at a time, user first.
	if command -v python3 >/dev/null; then
		# shellcheck disable=SC2086 # $RUNTIME may be "keel runtime"
		OUT=$(python3 "$_rt_here/no-pidfd.py" $RUNTIME --root "$STATE" exec userns \
			sh -c "$(same_ns user pid mnt net ipc uts); echo joined" </dev/null 2>"$T/err")
		is "$OUT" joined "exec without pidfd_open: every namespace joined through /proc/PID/ns"
	else
		skip "exec without pidfd_open" "python3 is needed to filter pidfd_open"
	fi
	ex -d --pid-file "$T/u.pid" userns sleep 100
	epid=$(cat "$T/u.pid" 2>/dev/null)
	is "$(awk '/^Uid:/ { print $2 }' /proc/"$epid"/status 2>/dev/null)" 100000 \
		"exec into a user namespace: the process runs as host uid 100000"
	[ -n "$epid" ] && kill -9 "$epid"
	rt kill userns KILL
	ctr_wait_status userns stopped
	rt delete userns
	ctr_gone userns "$upid"
fi
if [ "$RT_NAME" != keel ] || [ ! -e /proc/self/ns/time ]; then
	skip "exec into a time namespace" "$RT_NAME 1.x cannot make one here (see runtime-namespaces.sh)"
else
	cfg timens
	cfg_set '.linux.namespaces += [{type: "time"}] | .process.args = ["sleep", "1000"]
		| .linux.timeOffsets = {boottime: {secs: 864000, nanosecs: 0}}'
	rt run -d --bundle "$B" timens </dev/null >/dev/null 2>"$T/err"
	tpid=$(ctr_state timens pid)
	ex timens sh -c "$(same_ns time pid); cut -d. -f1 /proc/uptime"
	host_up=$(cut -d. -f1 /proc/uptime)
	[ -n "$OUT" ] && [ "$OUT" -ge $((host_up + 864000 - 60)) ] 2>/dev/null
	check "exec into a time namespace: the init's, with its boottime offset ($OUT vs host $host_up)"
	rt delete --force timens
	ctr_gone timens "$tpid"
fi

# --- --no-pivot: the namespace's root is the moved rootfs, not the host's -------------------------
cfg nopivot
cfg_set '.process.args = ["sleep", "1000"]'
rt run -d --no-pivot --bundle "$B" nopivot </dev/null >/dev/null 2>"$T/err"
npid=$(ctr_state nopivot pid)
ex nopivot sh -c "[ -e /bin/busybox ] && echo container-root; [ -e $T ] && echo HOST-ROOT; pwd"
is "$RC:$OUT" "0:$(printf 'container-root\n/')" "exec into a --no-pivot container: / is the container's root"
rt delete --force nopivot
ctr_gone nopivot "$npid"

# --- a created container (runc allows it: its namespaces are all there) ---------------------------
cfg created
cfg_set '.process.args = ["sleep", "1000"]'
rt create --bundle "$B" created </dev/null >/dev/null 2>&1
cpid=$(ctr_state created pid)
# Compared from the host: the waiting init is non-dumpable until it execs
# (CVE-2016-9962), so a process in the container may not read its
# /proc/1/ns links.
rt exec -d --pid-file "$T/created.pid" created sleep 100 </dev/null >/dev/null 2>"$T/err"
RC=$?
xpid=$(cat "$T/created.pid" 2>/dev/null)
OUT=joined
for n in pid mnt net ipc uts; do
	[ -n "$xpid" ] && [ "$(readlink "/proc/$cpid/ns/$n")" = "$(readlink "/proc/$xpid/ns/$n")" ] ||
		OUT="$n differs"
done
if [ "$RT_NAME" = crun ] && [ "$RC" = 0 ] && [ "$OUT" != joined ]; then
	skip "exec into a created container" "crun 1.8's exec there lands outside the init's namespaces ($(echo $OUT))"
else
	is "$RC:$OUT" "0:joined" "exec into a created container: the namespaces of its waiting init"
fi
is "$(ctr_state created status)" created "... and it stays created"
rt delete --force created
ctr_gone created "$cpid"

# --- the config as it was at create --------------------------------------------------------------
# The container's own settings (seccomp here) are those of create for every
# runtime: runc keeps them in its state, crun and keel a copy of config.json.
# keel and crun take exec's process defaults (env, cwd) from that copy too,
# so an edit or removal of the bundle's config.json changes nothing; runc
# (1.1.5, and its main branch's exec.go getProcess) re-reads the bundle's
# file for them.
EB=$T/b/exec
cp "$EB/config.json" "$T/exec-config.json"
jq '.process.env = ["PATH=/bin:/sbin", "FROM_CONFIG=edited"] | .process.cwd = "/tmp" | del(.linux.seccomp)' \
	"$T/exec-config.json" >"$EB/config.json"
ex exec sh -c 'grep ^Seccomp: /proc/self/status; echo "$FROM_CONFIG $(pwd)"'
is "$(echo "$OUT" | sed -n 1p)" "$(printf 'Seccomp:\t2')" "config.json edited after create (seccomp removed): exec'd process still filtered by create's"
if [ "$RT_NAME" = runc ]; then
	skip "exec's process defaults from create's config" "runc re-reads the bundle's config.json for them (exec.go getProcess)"
	skip "exec with the bundle's config.json removed" "runc re-reads the bundle's config.json"
else
	is "$(echo "$OUT" | sed -n 2p)" "yes /" "... and its env and cwd are create's (FROM_CONFIG=yes, /), not the edit's"
	rm "$EB/config.json"
	ex exec sh -c 'echo "$FROM_CONFIG"'
	is "$RC:$OUT" "0:yes" "config.json removed from the bundle: exec still runs with the config of create"
fi
mv "$T/exec-config.json" "$EB/config.json"

# --- paused and stopped --------------------------------------------------------------------------
if rt pause exec 2>"$T/err"; then
	ex exec true
	[ "$RC" != 0 ]
	check "exec in a paused container fails"
	like "$ERR" "paused" "... saying it is paused"
	rt resume exec
else
	skip "exec in a paused container" "pause failed: $(cat "$T/err")"
fi
kill -9 "$INIT"
ctr_wait_status exec stopped
ex exec true
[ "$RC" != 0 ]
check "exec in a stopped container fails"
like "$ERR" "stopped|not running" "... saying it is not running"
rt delete exec
ctr_gone exec "$INIT"

done_testing
