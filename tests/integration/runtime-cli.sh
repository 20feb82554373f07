#!/bin/sh
# The command line itself: --version, --help, option and usage errors,
# --log/--log-format json, --cgroup-manager, `spec` (and that runc accepts
# what it writes), `features`, `list` on an empty root.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"
keel_only() { # keel_only NAME: true for keel, else a skip
	[ "$RT_NAME" = keel ] && return 0
	skip "$1" "keel's own wording/behaviour"
	return 1
}

out=$(rt --version)
check "--version exits 0"
like "$(echo "$out" | sed -n 1p)" "version [0-9]" "--version: the version line"
like "$out" "^spec: 1\.[0-9]" "--version: the spec line"
if keel_only "--version: keel-runtime and features line"; then
	like "$(echo "$out" | sed -n 1p)" "^keel-runtime version " "--version: named keel-runtime"
	like "$(echo "$out" | sed -n 3p)" "\+JSONC .*\+CAP .*\+MOUNT " "--version: the libraries line"
fi

rt --help >"$T/help" 2>&1
check "--help exits 0"
grep -q create "$T/help" && grep -q delete "$T/help"
check "--help lists the commands"
for cmd in create start state kill delete run list spec; do
	rt "$cmd" --help >"$T/help" 2>&1
	check "$cmd --help exits 0"
done
grep -q -- "--bundle" "$T/help"
check "spec --help mentions --bundle"

rt --no-such-option list >/dev/null 2>"$T/err"
rc=$?
[ $rc != 0 ]
check "an unknown global option fails"
if keel_only "unknown option: exit 1 and one line naming it"; then
	is "$rc" 1 "unknown option: exit status 1 (as runc)"
	is "$(wc -l <"$T/err")" 1 "unknown option: one line"
	like "$(cat "$T/err")" "unknown option \`--no-such-option\`" "unknown option: named"
fi
rt kill --bogus x >/dev/null 2>"$T/err"
[ $? != 0 ]
check "an unknown command option fails"
rt no-such-command >/dev/null 2>"$T/err"
[ $? != 0 ]
check "an unknown command fails"
rt delete >/dev/null 2>"$T/err"
[ $? != 0 ]
check "delete without an id fails"
# The commands whose one operand is the id: the same words for each.
if keel_only "start, state, pause, resume: usage errors"; then
	for cmd in start state pause resume; do
		rt "$cmd" --help >"$T/help" 2>&1
		is "$?" 0 "$cmd --help exits 0"
		like "$(head -1 "$T/help")" "^usage: keel-runtime $cmd CONTAINER-ID" "$cmd --help: its usage"
		rt "$cmd" >/dev/null 2>"$T/err"
		is "$?" 1 "$cmd without an id: exit 1"
		like "$(cat "$T/err")" "$cmd: missing container id" "... saying what is missing"
		rt "$cmd" a b >/dev/null 2>"$T/err"
		is "$?" 1 "$cmd with two ids: exit 1"
		like "$(cat "$T/err")" "$cmd: unexpected argument \`b\`" "... naming the extra one"
		rt "$cmd" --bogus a >/dev/null 2>"$T/err"
		is "$?" 1 "$cmd with an option it does not take: exit 1"
		like "$(cat "$T/err")" "$cmd: unknown option \`--bogus\`" "... naming it"
	done
fi
rt create --bundle "$T/base" "../evil" >/dev/null 2>"$T/err"
[ $? != 0 ] && [ ! -e "$STATE/../evil" ] && [ ! -e "$(dirname "$STATE")/evil" ]
check "an id with a slash is refused"

if keel_only "--systemd-cgroup refused"; then
	rt --systemd-cgroup list >/dev/null 2>"$T/err"
	is "$?" 1 "--systemd-cgroup is refused"
	like "$(cat "$T/err")" "systemd" "--systemd-cgroup: the error says why"
	rt --cgroup-manager systemd list >/dev/null 2>"$T/err"
	is "$?" 1 "--cgroup-manager systemd is refused"
	rt --cgroup-manager cgroupfs list >/dev/null 2>&1
	check "--cgroup-manager cgroupfs is accepted"
	rt --log-format yaml list >/dev/null 2>&1
	is "$?" 1 "--log-format yaml is refused"
fi
if [ "$RT_NAME" = runc ]; then
	skip "--cgroup-manager disabled" "runc has no --cgroup-manager"
else
	cfg nocg
	cfg_sh 'grep "^0::" /proc/self/cgroup'
	rt --cgroup-manager disabled run --bundle "$B" nocg </dev/null >"$T/out" 2>"$T/err"
	check "--cgroup-manager disabled: run works"
	is "$(cat "$T/out")" "$(grep '^0::' /proc/self/cgroup)" \
		"--cgroup-manager disabled: the container stays in the runtime's cgroup"
	[ ! -d "$(ctr_cgroup_dir nocg)" ]
	check "--cgroup-manager disabled: no cgroup created"
fi

if [ "$RT_NAME" = runc ]; then
	skip "run --config FILE" "runc has no --config"
else
	cfg altconfig
	cfg_sh 'echo from-alt-config'
	mv "$B/config.json" "$T/alt.json"
	out=$(rt run --bundle "$B" --config "$T/alt.json" altconfig </dev/null 2>"$T/err")
	is "$out" from-alt-config "run --config FILE reads FILE instead of BUNDLE/config.json"
fi
cfg createfail
cfg_set '.process.args = ["/no/such/binary"]'
rt run --bundle "$B" createfail </dev/null >/dev/null 2>"$T/err"
rc=$?
[ $rc != 0 ]
check "run of a missing executable fails"
[ "$RT_NAME" != keel ] || is "$rc" 1 "run: a failure to start is exit status 1"
[ "$RT_NAME" != keel ] || like "$(cat "$T/err")" "/no/such/binary" "run: the error names the executable"

# --- --log, --log-format json --------------------------------------------------
rt --log "$T/log.json" --log-format json state no-such-ctr >/dev/null 2>"$T/err"
[ $? != 0 ]
check "--log --log-format json: a failing command fails"
jq -e 'select(.level == "error") | .msg' "$T/log.json" >/dev/null 2>&1
check "--log-format json: the error is a JSON line with level and msg"
if keel_only "--log: names the container, and stderr has it in text"; then
	like "$(jq -r .msg "$T/log.json")" "no-such-ctr" "--log: the error names the container"
	# as runc: containerd's shim reads the failure from stderr
	like "$(cat "$T/err")" "^keel-runtime: state \`no-such-ctr\`: .*does not exist" \
		"--log: the error is on stderr too, as text"
	jq -e '.time | test("^[0-9]{4}-")' "$T/log.json" >/dev/null
	check "--log-format json: a time field"
fi

# --- spec ---------------------------------------------------------------------
mkdir -p "$T/spec"
(cd "$T/spec" && rt spec)
check "spec writes config.json in the working directory"
jq -e '.ociVersion and .process.args == ["sh"] and .root.path == "rootfs"' "$T/spec/config.json" >/dev/null
check "spec: a runc-like default (args [sh], root rootfs)"
jq -e '[.linux.namespaces[].type] | contains(["pid", "mount", "ipc", "uts", "network"])' \
	"$T/spec/config.json" >/dev/null
check "spec: the default namespaces"
sum=$(cksum <"$T/spec/config.json")
(cd "$T/spec" && rt spec) 2>"$T/err"
[ $? != 0 ] && [ "$(cksum <"$T/spec/config.json")" = "$sum" ]
check "spec refuses to overwrite an existing config.json"
mkdir -p "$T/spec-rootless"
rt spec --rootless --bundle "$T/spec-rootless"
check "spec --rootless --bundle DIR"
jq -e '.linux.namespaces | map(.type) | index("user")' "$T/spec-rootless/config.json" >/dev/null
check "spec --rootless: a user namespace"
if [ "$RT_NAME" = crun ]; then
	skip "spec --rootless: uid mappings" "crun leaves the mappings to run time"
else
	jq -e '.linux.uidMappings | length > 0' "$T/spec-rootless/config.json" >/dev/null
	check "spec --rootless: uid mappings"
fi

if command -v runc >/dev/null && [ "$RT_NAME" != runc ]; then
	mkdir -p "$T/byrunc"
	jq --arg root "$T/rootfs" '.process.terminal = false | .root.path = $root
		| .process.args = ["sh", "-c", "echo accepted"] | .linux.cgroupsPath = "/keeltest-'$$'-byrunc"' \
		"$T/spec/config.json" >"$T/byrunc/config.json"
	out=$(runc --root "$STATE/runc" run --bundle "$T/byrunc" "keeltest-$$-byrunc" </dev/null 2>"$T/err")
	is "$out" accepted "runc runs the config.json this runtime's spec wrote"
	rm -rf "$STATE/runc"
else
	skip "runc accepts the spec output" "runc not installed or under test"
fi

# --- features -------------------------------------------------------------------
if [ "$RT_NAME" = crun ]; then
	skip "features" "crun 1.8 has no features command"
else
	rt features >"$T/features.json"
	check "features exits 0"
	jq -e '.ociVersionMin and .ociVersionMax' "$T/features.json" >/dev/null
	check "features: ociVersionMin/Max"
	jq -e '.hooks | index("createRuntime") and index("poststop")' "$T/features.json" >/dev/null
	check "features: hooks"
	jq -e '.mountOptions | index("rbind") and index("nosuid")' "$T/features.json" >/dev/null
	check "features: mountOptions"
	jq -e '.linux.namespaces | index("pid") and index("user") and index("cgroup")' \
		"$T/features.json" >/dev/null
	check "features: linux.namespaces"
	jq -e '.linux.capabilities | index("CAP_SYS_ADMIN") and index("CAP_CHOWN")' \
		"$T/features.json" >/dev/null
	check "features: linux.capabilities"
	jq -e '.linux.cgroup.v2 == true' "$T/features.json" >/dev/null
	check "features: cgroup v2"
	jq -e '.linux.seccomp.enabled == false or (.linux.seccomp.actions | index("SCMP_ACT_ERRNO"))' \
		"$T/features.json" >/dev/null
	check "features: seccomp actions when enabled"
	if keel_only "features: LSMs disabled"; then
		jq -e '.linux.apparmor.enabled == false and .linux.selinux.enabled == false' \
			"$T/features.json" >/dev/null
		check "features: apparmor and selinux disabled (keel refuses them)"
	fi
fi

# --- update --cpu-rt-period / --cpu-rt-runtime ---------------------------------------
# runc's flags for realtime group scheduling, a v1 cpu controller feature
# (cpu.rt_period_us, cpu.rt_runtime_us with CONFIG_RT_GROUP_SCHED): written
# there, the runtime before the period when the new period is below the
# current runtime (the kernel checks runtime <= period at each write).
# cgroup v2 has no realtime files: keel refuses the flags as it refuses the
# config fields at create; runc 1.1 drops them there without a word (fs2).
cfg rtupd
cfg_set '.process.args = ["sleep", "1000"]'
rt run -d --bundle "$B" rtupd </dev/null >/dev/null 2>"$T/err"
check "update --cpu-rt-*: a detached container runs"
rtcg=/sys/fs/cgroup/cpu/keeltest-$$-rtupd
rt_files() { echo $(cat "$rtcg/cpu.rt_period_us" "$rtcg/cpu.rt_runtime_us" 2>&1); }
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	rt update --cpu-rt-period 100000 --cpu-rt-runtime 5000 rtupd 2>"$T/err"
	rc=$?
	if [ "$RT_NAME" = keel ]; then
		is "$rc" 1 "cgroup v2: update --cpu-rt-period/--cpu-rt-runtime fails"
		like "$(cat "$T/err")" "update .rtupd.: cgroup: cpu.realtimeRuntime/realtimePeriod are not supported by cgroup v2" \
			"... saying cgroup v2 has no realtime limits"
	else
		skip "cgroup v2: --cpu-rt-* refused" "$RT_NAME exits $rc there ($(head -1 "$T/err"))"
	fi
elif [ -f "$rtcg/cpu.rt_runtime_us" ]; then
	rt update --cpu-rt-period 100000 --cpu-rt-runtime 5000 rtupd 2>"$T/err"
	check "cgroup v1: update --cpu-rt-period 100000 --cpu-rt-runtime 5000"
	[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
	is "$(rt_files)" "100000 5000" "... cpu.rt_period_us and cpu.rt_runtime_us"
	lowered=yes
	if [ "$RT_NAME" = keel ]; then
		rt update --cpu-rt-period 4000 --cpu-rt-runtime 2000 rtupd 2>"$T/err"
		check "update to a period (4000) below the current runtime (5000), with a runtime that fits"
		[ -s "$T/err" ] && printf '# stderr: %s\n' "$(head -3 "$T/err")"
		is "$(rt_files)" "4000 2000" "... both written, the runtime first"
	else
		skip "a period below the current runtime" "$RT_NAME writes the period first and fails with EINVAL (runc 1.1.5's fs/cpu.go; the retry is runc 1.2's SetRtSched)"
		rt update --cpu-rt-runtime 2000 rtupd 2>"$T/err" && rt update --cpu-rt-period 4000 rtupd 2>>"$T/err" ||
			lowered="runtime 2000 then period 4000 failed: $(grep -o 'error.*' "$T/err" | head -1)"
	fi
	if [ "$lowered" = yes ]; then
		rt update --cpu-rt-runtime 3000 rtupd 2>"$T/err"
		is "$?:$(rt_files)" "0:4000 3000" "update --cpu-rt-runtime alone leaves the period"
		rt update --cpu-rt-runtime 9000 rtupd 2>"$T/err"
		[ $? != 0 ]
		check "a runtime above the period is refused (by the kernel)"
		is "$(rt_files)" "4000 3000" "... and changes nothing"
	else
		skip "update --cpu-rt-runtime under a lowered period" "$RT_NAME: $lowered"
	fi
else
	skip "update --cpu-rt-*" "no v1 cpu.rt_runtime_us at $rtcg (kernel without CONFIG_RT_GROUP_SCHED)"
fi
if keel_only "update --cpu-rt-period: a bad value"; then
	rt update --cpu-rt-period -5 rtupd 2>"$T/err"
	[ $? != 0 ]
	check "update --cpu-rt-period -5 fails"
	like "$(cat "$T/err")" "realtimePeriod|cpu-rt-period" "... naming the field"
fi
rt delete --force rtupd
ctr_gone rtupd ""

# --- list on an empty root --------------------------------------------------------
is "$(rt list -q)" "" "list -q on an empty root prints nothing"
if [ "$RT_NAME" != crun ]; then
	like "$(rt list)" "^ID +PID +STATUS +BUNDLE +CREATED +OWNER$" "list on an empty root: only the header"
fi

done_testing
