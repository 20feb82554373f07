#!/bin/sh
# Where containerd's shim (and people used to runc) rely on runc's exact
# behaviour beyond the runtime-spec: kill --all of an exited task, the
# phrases the shim matches in a failure's stderr, signal 0, `ps ID
# PS-ARGS`, and a few config corners (device access letters, sysctls that
# contradict hostname/domainname, hooks' environment and status, a cgroup
# shared with a running container).  Choices where runc and crun differ are
# in docs/runtime-linux.md.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

# What containerd's shim matches in stderr to tell "the task has exited"
# (it accepts runc's "container not running" and, lowercased, "no such
# process", which is all crun 1.8 says).
if [ "$RT_NAME" = crun ]; then
	NOT_RUNNING="No such process"
else
	NOT_RUNNING="container not running"
fi

# A hook without `env` must see this (the runtime's environment).
KEELTEST_HOOK_ENV=inherited
export KEELTEST_HOOK_ENV

# ---- kill of a stopped container ------------------------------------------

cfg stopped
rt create --bundle "$B" stopped </dev/null >/dev/null 2>&1 && rt start stopped
check "a container running \`true\` starts"
ctr_wait_status stopped stopped
check "... and stops"
rt kill --all stopped 9 2>"$T/err"
check "kill --all of a stopped container succeeds (the shim's kill of an exited task)"
rt kill --all stopped KILL 2>"$T/err"
check "... again, with a signal name"

rt kill stopped 9 2>"$T/err"
[ $? != 0 ]
check "kill without --all of a stopped container fails"
like "$(cat "$T/err")" "$NOT_RUNNING" "... and stderr says \"$NOT_RUNNING\""

# ---- errors on stderr as well as in --log ---------------------------------

rt --log "$T/kill.log" kill stopped 9 2>"$T/err"
[ $? != 0 ]
check "kill of a stopped container with --log fails"
like "$(cat "$T/err")" "$NOT_RUNNING" "--log: the error is on stderr too"
like "$(cat "$T/kill.log" 2>/dev/null)" "$NOT_RUNNING" "--log: the error is in the log"

rt --log "$T/json.log" --log-format json kill stopped 9 2>"$T/err"
like "$(cat "$T/err")" "$NOT_RUNNING" "--log-format json: the error is on stderr"
if [ "$RT_NAME" = crun ]; then
	skip "--log-format json: the log line is JSON" "crun 1.8 writes no error to a JSON log"
else
	like "$(tail -n 1 "$T/json.log" | jq -r 'select(.level == "error") | .msg' 2>/dev/null)" \
		"container not running" "--log-format json: the log's last line is a JSON error"
fi

for cmd in state kill delete; do
	rt --log "$T/$cmd.log" $cmd keeltest-nosuch 2>"$T/err"
	[ $? != 0 ]
	check "$cmd of an unknown id fails"
	if [ "$RT_NAME" = crun ]; then
		skip "$cmd of an unknown id: stderr says \"does not exist\"" \
			"crun 1.8 says \"No such file or directory\""
	else
		like "$(cat "$T/err")" "does not exist" "$cmd of an unknown id: stderr says \"does not exist\""
	fi
done

if [ "$RT_NAME" = keel ]; then
	# runc and crun print it twice
	rt --log /dev/stderr state keeltest-nosuch 2>"$T/err"
	is "$(grep -c . "$T/err")" 1 "--log /dev/stderr: the error is there once"
fi

# ---- signal 0, ps with ps's own arguments ---------------------------------

cfg created
rt create --bundle "$B" created </dev/null >/dev/null 2>&1
check "create a container"
rt kill -a created 0 2>"$T/err"
check "kill -a ID 0 of a created container succeeds"
rt kill created 0 2>"$T/err"
check "kill ID 0 of a created container succeeds"
is "$(ctr_state created status)" created "... and it is still created"

cfg running
cfg_sh 'exec sleep 1000'
rt run -d --bundle "$B" running </dev/null >/dev/null 2>&1
check "run -d a container"
pid=$(ctr_state running pid)
rt kill -a running 0 2>"$T/err"
check "kill -a ID 0 of a running container succeeds"
is "$(ctr_state running status)" running "... and it still runs"

if [ "$RT_NAME" = crun ]; then
	skip "ps ID PS-ARGS" "crun 1.8 takes no arguments after the id"
elif ! ps -e -x >/dev/null 2>&1; then
	# The runtime runs the host's ps with these arguments, as runc does.
	skip "ps ID PS-ARGS" "this host's ps does not take -e -x (busybox ps in the guest)"
else
rt ps running -e -x >"$T/ps" 2>"$T/err"
check "ps ID -e -x: arguments after the id go to ps"
like "$(head -n 1 "$T/ps")" "PID" "... its header is ps's"
like "$(awk -v p="$pid" '$1 == p' "$T/ps")" "sleep 1000" "... and it lists the container's process"
is "$(awk 'NR > 1' "$T/ps" | wc -l | tr -d ' ')" 1 "... and nothing but the container's processes"
rt ps running -ef >"$T/ps" 2>"$T/err"
check "ps ID -ef (runc's default)"
like "$(awk -v p="$pid" '$2 == p' "$T/ps")" "sleep 1000" "... finds the PID column where ps puts it"
rt ps running --no-such-ps-option >"$T/ps" 2>"$T/err"
[ $? != 0 ]
check "ps ID with an option ps refuses fails"
rt ps -- running -o pid,comm >"$T/ps" 2>"$T/err"
check "ps -- ID -o pid,comm"
is "$(awk -v p="$pid" '$1 == p { print $2 }' "$T/ps")" sleep "... lists the process with ps's -o columns"
if [ "$RT_NAME" = keel ]; then
	rt ps running -- -o pid,comm >"$T/ps" 2>"$T/err"
	check "ps ID -- -o pid,comm: the -- is not passed to ps"
	is "$(awk -v p="$pid" '$1 == p { print $2 }' "$T/ps")" sleep "... and the process is listed"
fi
rt ps --format json running -e >"$T/ps" 2>"$T/err"
check "ps --format json ID PS-ARGS: the arguments are ignored"
is "$(jq -c . "$T/ps" 2>/dev/null)" "[$pid]" "... and the pids are printed"
if [ "$RT_NAME" != crun ]; then
	rt ps running >"$T/ps" 2>"$T/err"
	check "ps ID without PS-ARGS"
	like "$(head -n 1 "$T/ps")" "UID +PID +PPID .*CMD" "... is ps -ef's table, as runc's"
	like "$(awk -v p="$pid" '$2 == p' "$T/ps")" "sleep 1000" "... with the container's process"
fi
fi
if [ "$RT_NAME" != crun ]; then
	# runc's list prints its Go struct's order; scripts match it as text.
	is "$(rt list --format json | jq -c '[.[] | keys_unsorted[:4]] | unique')" \
		'[["ociVersion","id","pid","status"]]' "list --format json: runc's key order"
fi
if [ "$RT_NAME" = keel ]; then
	# A host without ps (keel's own images): keel's own table.
	PATH=/nonexistent rt ps running >"$T/ps" 2>"$T/err"
	check "ps ID on a host without ps"
	is "$(head -n 1 "$T/ps" | tr -s ' ')" "PID CMD" "... prints keel's own table"
	like "$(awk -v p="$pid" '$1 == p' "$T/ps")" "sleep 1000" "... with the container's process"
	PATH=/nonexistent rt ps running -o pid >"$T/ps" 2>"$T/err"
	[ $? != 0 ]
	check "... but ps ID PS-ARGS there fails (PS-ARGS are for ps)"
fi

# ---- stderr closed under the runtime --------------------------------------
# An engine that went away, or `--debug ... | head`: every write to stderr
# fails with EPIPE.  The runtime must not die halfway through create (keel
# did, of SIGPIPE, leaving a "creating" state and cgroups `delete -f` left).
cfg epipe
cfg_sh 'exec sleep 1000'
rm -f "$T/fifo" && mkfifo "$T/fifo"
exec 4<>"$T/fifo" 5>"$T/fifo" 4<&- # fd 5: a pipe nobody reads any more
rt --debug run -d --bundle "$B" epipe </dev/null >/dev/null 2>&5
RC=$?
exec 5>&-
is "$RC" 0 "run -d --debug with stderr a pipe nobody reads succeeds"
is "$(ctr_state epipe status)" running "... and the container runs"
EPID=$(ctr_state epipe pid)
rt delete -f epipe >/dev/null 2>&1
ctr_gone epipe "$EPID"

# ---- a device rule with access "rwa" --------------------------------------

cfg rwa
cfg_set '.linux.resources.devices = [{allow: false, access: "rwm"},
	{allow: true, type: "c", major: 1, minor: 3, access: "rwa"}]'
cfg_sh 'echo x >/dev/null && echo ok'
ctr_run
if [ "$RT_NAME" = crun ]; then
	skip "devices access \"rwa\" is accepted" \
		"crun 1.8 writes it to cgroup v1's devices.allow, which refuses it"
elif [ "$RT_NAME" = runc ] && [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	skip "devices access \"rwa\" is accepted" "runc 1.1's eBPF filter (cgroup v2) refuses it"
else
	is "$RC" 0 "devices access \"rwa\" is accepted (the unknown letter is ignored)"
	is "$OUT" ok "... and the r and w of it apply"
fi
if [ "$RT_NAME" = keel ]; then
	like "$ERR" 'warning: .*linux\.resources\.devices\[1\]\.access: "rwa": ignoring "a"' \
		"... with a warning naming the field and the letter"
fi
rt delete --force rwa >/dev/null 2>&1

# ---- sysctls that contradict hostname / domainname ------------------------

cfg sysctl-host
cfg_set '.linux.sysctl = {"kernel.hostname": "other"}'
rt create --bundle "$B" "$CTR" </dev/null >/dev/null 2>"$T/err"
[ $? != 0 ]
check "sysctl kernel.hostname other than hostname: create fails"
if [ "$RT_NAME" = keel ]; then
	like "$(cat "$T/err")" 'linux\.sysctl\["kernel\.hostname"\].*"other".*hostname.*"keeltest"' \
		"... naming both JSON paths and values"
fi
ctr_gone "$CTR" ""

cfg sysctl-dom
cfg_set '.domainname = "example.org" | .linux.sysctl = {"kernel.domainname": "example.com"}'
rt create --bundle "$B" "$CTR" </dev/null >/dev/null 2>"$T/err"
rc=$?
if [ $rc = 0 ] && [ "$RT_NAME" != keel ]; then
	skip "sysctl kernel.domainname other than domainname: create fails" "$RT_NAME accepts it"
else
	[ $rc != 0 ]
	check "sysctl kernel.domainname other than domainname: create fails"
fi
if [ "$RT_NAME" = keel ]; then
	like "$(cat "$T/err")" 'linux\.sysctl\["kernel\.domainname"\].*domainname' \
		"... naming both JSON paths"
fi
rt delete --force "$CTR" >/dev/null 2>&1

cfg sysctl-same
cfg_set '.domainname = "example.org"
	| .linux.sysctl = {"kernel.hostname": "keeltest", "kernel.domainname": "example.org"}'
cfg_sh 'hostname; cat /proc/sys/kernel/domainname'
ctr_run
if [ "$RT_NAME" != keel ] && [ "$RC" != 0 ]; then
	skip "sysctls equal to hostname and domainname are accepted" \
		"$RT_NAME refuses kernel.hostname beside hostname whatever its value"
else
	is "$RC" 0 "sysctls equal to hostname and domainname are accepted"
	is "$OUT" "keeltest
example.org" "... and the container has them"
fi

# ---- hooks: environment and status ----------------------------------------

cfg hookenv
cfg_set '.hooks.prestart = [{path: "/bin/sh",
		args: ["sh", "-c", "cat >\($t)/prestart.json; env >\($t)/prestart.env"]}]
	| .hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "env >\($t)/empty.env"], env: []}]
	| .hooks.poststop = [{path: "/bin/sh", args: ["sh", "-c", "env >\($t)/poststop.env"]}]' \
	--arg t "$T"
ctr_run
is "$RC" 0 "a container with hooks without env runs"
grep -q '^KEELTEST_HOOK_ENV=inherited$' "$T/prestart.env" 2>/dev/null
check "a hook without env runs with the runtime's environment"
rt delete hookenv >/dev/null 2>&1
grep -q '^KEELTEST_HOOK_ENV=inherited$' "$T/poststop.env" 2>/dev/null
check "... a poststop hook too (run by a later command)"
[ -f "$T/empty.env" ] && ! grep -q KEELTEST_HOOK_ENV "$T/empty.env"
check "a hook with \"env\": [] gets an empty environment"
if [ "$RT_NAME" = runc ]; then
	skip "prestart hooks see status created" "runc 1.1 passes \"creating\""
else
	is "$(jq -r .status "$T/prestart.json" 2>/dev/null)" created "prestart hooks see status created (crun)"
fi

# ---- a second container in a running one's cgroup -------------------------

cfg second
cfg_set '.linux.cgroupsPath = $cg' --arg cg "/keeltest-$$-running"
cfg_sh 'exec sleep 1000'
rt run -d --bundle "$B" second </dev/null >/dev/null 2>"$T/err"
check "a container in the cgroup of a running one starts"
if [ "$RT_NAME" = crun ]; then
	skip "... with a warning that the cgroup is not empty" "crun 1.8 does not warn"
else
	like "$(cat "$T/err")" "cgroup.*not empty" "... with a warning that the cgroup is not empty"
fi
is "$(ctr_state running status)" running "... and the first one still runs"

cfg third
cfg_set '.linux.cgroupsPath = $cg' --arg cg "/keeltest-$$-running"
rt --log "$T/third.log" create --bundle "$B" third </dev/null >/dev/null 2>"$T/err"
check "a second container in that cgroup, with --log"
if [ "$RT_NAME" = crun ]; then
	skip "... the warning is in the log" "crun 1.8 does not warn"
else
	like "$(cat "$T/third.log" 2>/dev/null)" "cgroup.*not empty" "... the warning is in the log"
fi
rt delete --force third >/dev/null 2>&1
rt delete --force second >/dev/null 2>&1

# --- linux.devices as podman and ctr write them --------------------------------
# podman: fileMode with the node's type bits (020666); ctr --privileged
# --device: the same node listed twice (the first entry stands, as runc).
cfg devmodes
cfg_set '.linux.devices = [{path: "/dev/keelnull", type: "c", major: 1, minor: 3, fileMode: 8630},
	{path: "/dev/twice", type: "c", major: 1, minor: 3, fileMode: 384},
	{path: "/dev/twice", type: "c", major: 1, minor: 3, fileMode: 438}]
	| .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
cfg_sh 'stat -c "%F %a" /dev/keelnull /dev/twice | tr "\n" " "'
ctr_run
is "$RC:$OUT" "0:character special file 666 character special file 600 " \
	"linux.devices: fileMode 020666 (type bits) and a node listed twice are accepted as runc does"

done_testing
