#!/bin/sh
# Config corners Project Atomic images rely on, where keel does what runc
# does (RUNTIME=runc runs the same file): `"user": {}` is root, an SELinux
# label that cannot be applied is refused (as runc and crun do), and fields of
# runtime-spec drafts before 1.0 at their old places are never silently
# skipped: a flat capability list is refused, linux.rlimits is warned about.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
rt_setup "$@"

# ---- "user": {} --------------------------------------------------------------

cfg user-empty
cfg_set '.process.user = {}'
cfg_sh 'echo "$(id -u):$(id -g)"'
ctr_run
is "$RC" 0 '"user": {} runs'
is "$OUT" "0:0" '"user": {} is uid 0, gid 0 (as runc)'

cfg user-gid
cfg_set '.process.user = {gid: 1}'
cfg_sh 'echo "$(id -u):$(id -g)"'
ctr_run
is "$OUT" "0:1" 'a missing uid is 0'

# ---- process.selinuxLabel --------------------------------------------------------

# runc (libcontainer/configs/validate, since 1.0.0-rc1) and crun refuse a
# label they cannot apply; so does keel, which applies none.  keel-import
# drops Atomic images' labels with a warning instead (image-atomic.sh).
cfg selinux
cfg_set '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
cfg_sh 'echo ran'
ctr_run
if [ -e /sys/fs/selinux/enforce ] && [ "$RT_NAME" != keel ]; then
	skip "selinuxLabel refused" "this host has SELinux: $RT_NAME applies the label"
else
	[ "$RC" != 0 ] && [ -z "$OUT" ]
	check "process.selinuxLabel that cannot be applied is refused, not dropped"
fi

# ---- runtime-spec before 1.0 -------------------------------------------------------

# The bumped-ociVersion trap: 0.x kept the capability list in linux.capabilities;
# a 1.0 runtime skips it and, without process.capabilities, the process would
# keep every capability.
cfg pre10-linux-caps
cfg_set 'del(.process.capabilities) | .linux.capabilities = ["CAP_KILL"]'
cfg_sh 'grep ^CapEff /proc/self/status'
ctr_run
if [ "$RT_NAME" = keel ]; then
	[ "$RC" != 0 ]
	check "linux.capabilities without process.capabilities is refused"
	like "$ERR" "linux.capabilities: a runtime-spec 0.x field, which 1.0 runtimes ignore; process.capabilities is missing, so the process would keep every capability" \
		"... saying the process would keep every capability"
else
	# What keel refuses to do: runc runs it with every capability it has.
	is "$RC" 0 "$RT_NAME runs it"
	isnt_full=$(echo "$OUT" | awk '{print ($2 == "0000000000000020") ? "limited" : "full"}')
	is "$isnt_full" full "$RT_NAME ignores linux.capabilities: CapEff is not just CAP_KILL ($OUT)"
fi

if [ "$RT_NAME" = keel ]; then
	cfg pre10-version
	cfg_set '.ociVersion = "0.3.0"'
	ctr_run
	[ "$RC" != 0 ]
	check "ociVersion 0.3.0 is refused"
	like "$ERR" 'ociVersion: "0.3.0" is a runtime-spec draft before 1.0.*keel-import upgrades such configs' "... pointing at keel-import's upgrade"
fi

cfg pre10-flat
cfg_set '.ociVersion = "1.0.0-rc3" | .process.capabilities = ["CAP_KILL"]'
ctr_run
if [ "$RT_NAME" = crun ]; then
	skip "a flat process.capabilities is refused" "crun 1.8 runs it"
else
	[ "$RC" != 0 ]
	check "process.capabilities as a flat list (1.0.0-rc) is refused"
fi
if [ "$RT_NAME" = keel ]; then
	like "$ERR" 'process.capabilities: a flat list is the runtime-spec 1.0.0-rc form' "... naming the old form"
	
fi

cfg pre10-rlimits
cfg_set 'del(.process.rlimits) | .linux.rlimits = [{type: "RLIMIT_NOFILE", hard: 64, soft: 64}]'
cfg_sh 'ulimit -n'
ctr_run
is "$RC" 0 "linux.rlimits (0.x) alone: the container runs"
isnt() { [ "$1" != "$2" ]; check "$3"; }
isnt "$OUT" 64 "... without that limit (a 1.0 runtime does not read it there)"
if [ "$RT_NAME" = keel ]; then
	is "$ERR" "keel-runtime: warning: config.json: linux.rlimits: a runtime-spec 0.x field, ignored: the process runs without these limits (they belong in process.rlimits)" \
		"... and keel says so"
fi

cfg pre10-platform
cfg_set '.platform = {os: "linux", arch: "amd64"}'
ctr_run
is "$RC" 0 "platform (0.x) is accepted"
if [ "$RT_NAME" = keel ]; then
	is "$ERR" "keel-runtime: warning: config.json: platform: a runtime-spec 0.x field, ignored (1.0 has none)" "... with a warning"
fi

done_testing
