#!/bin/sh
# A bad config.json fails create before anything is done: exit status 1,
# (keel) exactly one line on stderr naming the container, the step and the
# JSON path, and nothing left behind (state, cgroup, mounts).  The full
# corpus of invalid configs is tests/unit's; this checks the command line
# end to end on a representative few.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

n=0
# bad NAME JQ-FILTER KEEL-PATTERN
bad() {
	n=$((n + 1))
	cfg "bad$n"
	if [ "$2" = "TRUNCATE" ]; then
		head -c 100 "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
	else
		cfg_set "$2"
	fi
	rt create --bundle "$B" "$CTR" </dev/null >/dev/null 2>"$T/err"
	rc=$?
	if [ $rc = 0 ] && [ "$RT_NAME" != keel ]; then
		# runc and crun let some of these through (or fail only at start)
		skip "$1: create fails" "$RT_NAME accepts this config"
		rt delete --force "$CTR" >/dev/null 2>&1
		return
	fi
	[ $rc != 0 ]
	check "$1: create fails"
	if [ "$RT_NAME" = keel ]; then
		is "$rc" 1 "$1: exit status 1"
		is "$(wc -l <"$T/err" | tr -d ' ')" 1 "$1: one line of error"
		like "$(cat "$T/err")" "^keel-runtime: create \`$CTR\`: .*$3" "$1: names container, step and field"
	fi
	ctr_gone "$CTR" ""
}

bad "unknown namespace" '.linux.namespaces[2].type = "pidd"' 'linux\.namespaces\[2\]\.type.*pidd'
bad "empty args" '.process.args = []' 'process\.args'
bad "unsupported ociVersion" '.ociVersion = "2.0.0"' 'ociVersion'
bad "missing rootfs" '.root.path = "/nonexistent/rootfs"' 'root'
bad "unknown capability" '.process.capabilities.bounding += ["CAP_NOPE"]' 'capabilities\.bounding\[[0-9]+\]'
bad "unknown rlimit" '.process.rlimits = [{type: "RLIMIT_NOPE", soft: 1, hard: 1}]' 'process\.rlimits\[0\]\.type'
bad "relative mount destination" '.mounts += [{destination: "relative", type: "tmpfs", source: "tmpfs"}]' 'mounts\[[0-9]+\]\.destination'
bad "args not a list" '.process.args = "sh"' 'process\.args'
bad "truncated JSON" TRUNCATE 'config\.json'
bad "uid mappings without user namespace" '.linux.uidMappings = [{containerID: 0, hostID: 1000, size: 1}]
	| .linux.gidMappings = [{containerID: 0, hostID: 1000, size: 1}]' 'uidMappings|user'
bad "seccomp unknown action" '.linux.seccomp = {defaultAction: "SCMP_ACT_NOPE"}' 'linux\.seccomp\.defaultAction'
bad "namespace twice" '.linux.namespaces += [{type: "pid"}]' 'linux\.namespaces\[[0-9]+\]'

cfg nobundle
rt create --bundle "$T/no-such-bundle" nobundle </dev/null >/dev/null 2>"$T/err"
[ $? != 0 ]
check "a missing bundle directory fails create"
ctr_gone nobundle ""

done_testing
