#!/bin/sh
# config.md "POSIX-platform Hooks": each hook runs at its point of the
# lifecycle with the container's state JSON on stdin; createRuntime,
# poststart and poststop in the runtime's namespaces, createContainer and
# startContainer in the container's (createContainer before pivot_root, so
# its path is still the host's; startContainer after it).  A failing createRuntime hook fails
# create and leaves nothing behind.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

H=$T/hooks
mkdir -p "$H" "$T/rootfs/hooks"
chmod 777 "$H"

# A host hook: save stdin and the argv/env it was given.
hook() { # hook NAME -> JSON of a hook writing $H/NAME.json
	jq -n --arg name "$1" --arg h "$H" '{path: "/bin/sh",
		args: ["sh", "-c", "cat > \($h)/\($name).json; echo \"$0 $1 $HOOKVAR\" > \($h)/\($name).args", "arg0", "arg1"],
		env: ["HOOKVAR=v-\($name)"]}'
}
# A hook run after pivot_root: /hooks is $H bind-mounted.
chook() {
	jq -n --arg name "$1" '{path: "/bin/sh",
		args: ["sh", "-c", "cat > /hooks/\($name).json; echo \"$$\" > /hooks/\($name).pid"]}'
}

cfg hooks
cfg_set '.mounts += [{destination: "/hooks", type: "bind", source: $h, options: ["rbind", "rw"]}]
	| .hooks = {createRuntime: [$cr], createContainer: [$cc], startContainer: [$sc],
		poststart: [$ps], poststop: [$pst]}
	| .process.args = ["sh", "-c", "echo $$ > /hooks/process.pid; sleep 1000"]' \
	--arg h "$H" --argjson cr "$(hook createRuntime)" --argjson cc "$(hook createContainer)" \
	--argjson sc "$(chook startContainer)" --argjson ps "$(hook poststart)" \
	--argjson pst "$(hook poststop)"

rt create --bundle "$B" hooks </dev/null >/dev/null 2>"$T/err"
check "create with hooks"
pid=$(ctr_state hooks pid)
[ -f "$H/createRuntime.json" ] && [ -f "$H/createContainer.json" ] && [ ! -e "$H/startContainer.json" ]
check "after create: createRuntime and createContainer ran, startContainer not yet"
is "$(jq -r .id "$H/createRuntime.json" 2>/dev/null)" hooks "createRuntime: state JSON on stdin (id)"
is "$(jq -r .pid "$H/createRuntime.json" 2>/dev/null)" "$pid" "createRuntime: state JSON has the pid"
is "$(jq -r .bundle "$H/createRuntime.json" 2>/dev/null)" "$B" "createRuntime: state JSON has the bundle"
if [ "$RT_NAME" = crun ]; then
	skip "createRuntime: status creating" "crun 1.8 passes \"created\""
else
	is "$(jq -r .status "$H/createRuntime.json" 2>/dev/null)" creating "createRuntime: status creating"
fi
is "$(cat "$H/createRuntime.args" 2>/dev/null)" "arg0 arg1 v-createRuntime" "createRuntime: args and env as configured"
is "$(jq -r .id "$H/createContainer.json" 2>/dev/null)" hooks "createContainer: state JSON on stdin"
if [ "$RT_NAME" = runc ]; then
	skip "poststart has not run before start" "runc 1.1 runs poststart hooks at create"
else
	[ ! -e "$H/poststart.json" ]
	check "poststart has not run before start"
fi

rt start hooks
check "start"
ctr_wait_status hooks running
i=0
while [ ! -f "$H/poststart.json" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -f "$H/startContainer.json" ]
check "startContainer ran"
is "$(jq -r .id "$H/poststart.json" 2>/dev/null)" hooks "poststart: state JSON on stdin"
like "$(jq -r .status "$H/poststart.json" 2>/dev/null)" "^(created|running)$" "poststart: status"
is "$(cat "$H/poststart.args" 2>/dev/null)" "arg0 arg1 v-poststart" "poststart: args and env"
[ "$(cat "$H/startContainer.pid" 2>/dev/null)" -gt 0 ] && [ "$(cat "$H/process.pid" 2>/dev/null)" = 1 ]
check "startContainer ran inside the container's pid namespace"
[ ! -e "$H/poststop.json" ]
check "poststop has not run while the container exists"

rt kill hooks KILL
ctr_wait_status hooks stopped
rt delete hooks
check "delete"
[ -f "$H/poststop.json" ]
check "poststop ran at delete"
is "$(jq -r .id "$H/poststop.json" 2>/dev/null)" hooks "poststop: state JSON on stdin"
ctr_gone hooks "$pid"

# A failing createRuntime hook aborts create and leaves nothing behind.
cfg hookfail
cfg_set '.hooks = {createRuntime: [{path: "/bin/false"}]} | .process.args = ["sleep", "1000"]'
rt create --bundle "$B" hookfail </dev/null >/dev/null 2>"$T/err"
[ $? != 0 ]
check "a failing createRuntime hook fails create"
ctr_gone hookfail ""

# A hook that outlives its timeout is killed and fails create.
cfg hooktimeout
cfg_set '.hooks = {createRuntime: [{path: "/bin/sleep", args: ["sleep", "30"], timeout: 1}]}'
start=$(date +%s)
rt create --bundle "$B" hooktimeout </dev/null >/dev/null 2>"$T/err"
rc=$?
[ $rc != 0 ] && [ $(($(date +%s) - start)) -lt 10 ]
check "a hook past its timeout fails create within the timeout"
ctr_gone hooktimeout ""

done_testing
