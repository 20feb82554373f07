# Harness for the runtime integration tests (tests/integration/runtime-*.sh).
# Source tap.sh and this file, then call rt_setup.  The runtime under test
# is $RUNTIME: by default "$KEEL runtime"; RUNTIME=crun or RUNTIME=runc runs
# the same tests against Debian's crun or runc, which shows that the tests
# check the runtime-spec and not keel's own behaviour.
#
#   rt ARGS...          the runtime with --root of this test's state dir
#   rt_name             keel, crun or runc
#   cfg NAME            a fresh bundle $B (container id $CTR = NAME) from the
#                       base config: busybox rootfs, terminal off, cgroupsPath
#                       /keeltest-PID-NAME, args ["true"]
#   cfg_set JQ [ARGS]   edit $B/config.json with a jq filter (jq ARGS first)
#   cfg_sh SCRIPT       process.args = ["sh", "-c", SCRIPT]
#   ctr_run [OPTS]      `run` $CTR in the foreground: $RC, $OUT, $ERR
#   ctr_gone ID PID     check nothing of the container is left behind
#   rt_memfd_bind KEEL FILE LOG  keel's memfd-bind on FILE in the background
#
# Everything lives under one temporary directory and a per-test state root;
# the EXIT trap force-deletes every container, unmounts and removes it all.

_rt_here=$(cd "$(dirname "$0")/../lib" && pwd)
_rt_top=$(dirname "$(dirname "$_rt_here")")
. "$_rt_here/bundle.sh"

: "${KEEL:=$_rt_top/build/dev/keel}"
: "${RUNTIME:=$KEEL runtime}"
case $(basename "${RUNTIME%% *}") in
crun) RT_NAME=crun ;;
runc) RT_NAME=runc ;;
*) RT_NAME=keel ;;
esac

rt_name() { echo "$RT_NAME"; }
rt() { $RUNTIME --root "$STATE" "$@"; }

# Debian's crun 1.8 refuses to run on a cgroup hybrid host; in a private
# mount namespace an empty cgroup.controllers over the unified one gets it
# past that check without touching the host.  The test re-executes itself
# there (everything it mounts then also disappears with it).
_rt_crun_ns() {
	_ctl=/sys/fs/cgroup/unified/cgroup.controllers
	[ "$RT_NAME" = crun ] && [ -f "$_ctl" ] || return 0
	if [ -z "${KEEL_TEST_CRUN_NS:-}" ]; then
		KEEL_TEST_CRUN_NS=1 exec unshare -m --propagation private "$0" "$@"
	fi
	_empty=$(mktemp /tmp/keel-empty-controllers.XXXXXX) &&
		mount --bind "$_empty" "$_ctl" && rm -f "$_empty"
}

_rt_mounts_under_t() {
	awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo
}

rt_cleanup() {
	if [ -d "${STATE:-/nonexistent}" ]; then
		for _id in $(ls "$STATE" 2>/dev/null); do
			[ -d "$STATE/$_id" ] && rt delete --force "$_id" >/dev/null 2>&1
		done
	fi
	for _p in ${RT_PIDS:-}; do kill -9 "$_p" 2>/dev/null; done
	if [ -n "${T:-}" ]; then
		for _m in $(_rt_mounts_under_t | sort -r); do umount -l "$_m" 2>/dev/null; done
	fi
	for _cg in /sys/fs/cgroup/unified/keeltest-$$-* /sys/fs/cgroup/*/keeltest-$$-* \
		/sys/fs/cgroup/keeltest-$$-*; do
		[ -d "$_cg" ] && rmdir "$_cg" 2>/dev/null
	done
	[ -n "${T:-}" ] && rm -rf "$T"
	[ -n "${STATE:-}" ] && rm -rf "$STATE"
}

# rt_setup_minimal: what rt_setup does short of the jq-edited base config,
# for tests that must also run in a guest with only busybox (they write
# their config.json whole).
rt_setup_minimal() {
	[ "$(id -u)" = 0 ] || skip_all "runtime tests need root"
	bundle_busybox >/dev/null || skip_all "no static busybox (busybox-static)"
	if [ "$RT_NAME" = keel ] && [ ! -x "${RUNTIME%% *}" ]; then
		skip_all "no keel binary at ${RUNTIME%% *} (build it first)"
	fi
	command -v "${RUNTIME%% *}" >/dev/null || skip_all "runtime ${RUNTIME%% *} not found"
	_rt_crun_ns "$@"
	T=$(mktemp -d /tmp/keel-rt-test.XXXXXX)
	STATE=$(mktemp -d /tmp/keel-rt-state.XXXXXX)
	chmod 755 "$T" # a user namespace's root must reach the rootfs
	RT_PIDS=
	trap rt_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	echo "# runtime: $RUNTIME ($RT_NAME)"
	bundle_rootfs "$T/rootfs" || skip_all "cannot build the busybox rootfs"
	mkdir -p "$T/b"
	RT_MOUNTS_BEFORE=$(_rt_mounts_under_t | wc -l)
}

rt_setup() {
	command -v jq >/dev/null || skip_all "jq is not installed (deps/packages.sh)"
	rt_setup_minimal "$@"
	mkdir -p "$T/base"
	rt spec --bundle "$T/base" >/dev/null 2>"$T/spec.err" ||
		(cd "$T/base" && rt spec >/dev/null 2>"$T/spec.err") || {
		echo "# \`$RUNTIME spec\` failed: $(cat "$T/spec.err")"
		echo "not ok 1 - $RT_NAME spec writes a config.json"
		echo "1..1"
		exit 1
	}
	jq --arg root "$T/rootfs" '.process.terminal = false | .root.path = $root
		| .root.readonly = true | .hostname = "keeltest" | .process.args = ["true"]' \
		"$T/base/config.json" >"$T/base.json"
	RT_MOUNTS_BEFORE=$(_rt_mounts_under_t | wc -l)
}

cfg() {
	CTR=$1
	B=$T/b/$1
	mkdir -p "$B"
	jq --arg cg "/keeltest-$$-$1" '.linux.cgroupsPath = $cg' "$T/base.json" >"$B/config.json"
}

cfg_set() {
	_f=$1
	shift
	jq "$@" "$_f" "$B/config.json" >"$B/config.json.new" && mv "$B/config.json.new" "$B/config.json"
}

cfg_sh() {
	cfg_set '.process.args = ["sh", "-c", $s]' --arg s "$1"
}

# stdin is an empty file, not /dev/null: crun 1.8 chowns the container's
# stdio to its user, which would change the host's /dev/null.
ctr_run() {
	: >"$T/stdin"
	rt run --bundle "$B" "$@" "$CTR" <"$T/stdin" >"$T/out" 2>"$T/err"
	RC=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
	[ -z "$ERR" ] || printf '# stderr: %s\n' "$ERR" | head -5
}

# Field of `state ID` (status, pid, bundle, id), empty when state fails.
ctr_state() {
	rt state "$1" 2>/dev/null | jq -r ".$2 // empty" 2>/dev/null
}

# The cgroup the container got in the unified hierarchy.
ctr_cgroup_dir() {
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		echo "/sys/fs/cgroup/keeltest-$$-$1"
	else
		echo "/sys/fs/cgroup/unified/keeltest-$$-$1"
	fi
}

# Nothing of container ID (whose process was PID) is left: no state, no
# process, no cgroup, no mount.
ctr_gone() {
	rt state "$1" >/dev/null 2>&1
	[ $? != 0 ]
	check "$1: \`state\` fails after delete"
	[ ! -e "$STATE/$1" ]
	check "$1: no state directory left"
	if [ -n "$2" ] && [ "$2" != 0 ]; then
		! proc_alive "$2"
		check "$1: process $2 is gone"
	fi
	[ ! -d "$(ctr_cgroup_dir "$1")" ]
	check "$1: no cgroup left under the unified hierarchy"
	is "$(_rt_mounts_under_t | wc -l)" "$RT_MOUNTS_BEFORE" "$1: no mount left behind"
}

# True while PID runs (a zombie waiting for whoever adopted it to reap it
# counts as gone: it runs nothing and holds nothing but its pid).
proc_alive() {
	[ -d "/proc/$1" ] || return 1
	! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# rt_memfd_bind KEEL FILE LOG: `KEEL runtime memfd-bind FILE` in the
# background, started from $T (so that its leaving it shows), stdout in
# LOG.out, stderr in LOG.err; $MB is its pid (rt_cleanup kills it).  True
# once it printed `ready` (waits up to ~5 s, less if it exits).
rt_memfd_bind() {
	(cd "$T" && exec "$1" runtime memfd-bind "$2") >"$3.out" 2>"$3.err" &
	MB=$!
	RT_PIDS="${RT_PIDS:-} $MB"
	_i=0
	while ! grep -qx ready "$3.out" 2>/dev/null && [ $_i -lt 100 ] && proc_alive "$MB"; do
		sleep 0.05
		_i=$((_i + 1))
	done
	grep -qx ready "$3.out"
}

# Wait (up to ~5 s) until `state ID` says STATUS.
ctr_wait_status() {
	_i=0
	while [ $_i -lt 100 ]; do
		[ "$(ctr_state "$1" status)" = "$2" ] && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

# The capability mask (hex, as in /proc/self/status) of a list of numbers.
cap_mask() {
	_m=0
	for _c in "$@"; do _m=$((_m | (1 << _c))); done
	printf '%016x\n' "$_m"
}
