#!/bin/sh
# keel-runtime memfd-bind FILE (runtime/cli/memfd-bind.c): a sealed copy of
# keel's binary in memory, mounted over FILE while the command runs.  What
# runs from FILE must then run from the copy itself (a created container's
# process has the copy's inode as its exe: no clone of its own); nobody,
# root on the host included, can write to FILE; SIGTERM takes only its own
# mount away; a memfd-bind killed without its cleanup leaves a mount that
# the next one, or --cleanup, removes; a second one on a live bind is
# refused; bad FILEs are refused in words that name them.  The container
# attacks on a bound binary are in runtime-exe.sh.
#
# The whole test runs in a private mount namespace: a mount it leaves
# (say, after a crash) goes with the namespace.  keel runs from a copy in
# the test's directory.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/runtime.sh"
if [ -z "${KEEL_TEST_MB_NS:-}" ] && [ "$(id -u)" = 0 ]; then
	unshare -m --propagation private true 2>/dev/null ||
		skip_all "no private mount namespace here (unshare -m)"
	KEEL_TEST_MB_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
rt_setup "$@"
[ "$RT_NAME" = keel ] || skip_all "memfd-bind is keel's own command"

keel=$(realpath "$(command -v "${RUNTIME%% *}")")
mkdir -p "$T/bin"
bin=$T/bin/keel
cp "$keel" "$bin" || skip_all "cannot copy $keel"
chmod 0751 "$bin"
sum=$(sha256sum "$bin" | cut -d' ' -f1)
file=$(stat -c '%d %i' "$bin")
RUNTIME="$bin runtime"

# bind_start: memfd-bind on $bin in the background ($MB its pid, its
# output $LOG.out and $LOG.err, a new LOG each time), ready once it returns.
n_binds=0
bind_start() {
	n_binds=$((n_binds + 1))
	LOG=$T/mb-$n_binds
	rt_memfd_bind "$keel" "$bin" "$LOG"
}

# mounted: a mount on $bin in this namespace.
mounted() {
	awk -v b="$bin" '$5 == b { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# --- bound ------------------------------------------------------------------
bind_start
check "memfd-bind prints ready once bound"
mounted
check "a mount is on the file"
is "$(stat -L -f -c %T "$bin")" tmpfs "the file now leads to a memfd (tmpfs)"
is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum" "the copy is the whole binary"
is "$(stat -L -c %a "$bin")" 751 "the copy has the file's permission bits"
is "$(readlink "/proc/$MB/cwd")" / "memfd-bind keeps no directory of the caller busy"
"$bin" --version >/dev/null 2>&1
check "keel runs from the bound file"

# root on the host cannot change it either
(echo x >>"$bin") 2>/dev/null
[ $? != 0 ]
check "appending to the bound file is refused"
(: >"$bin") 2>/dev/null
[ $? != 0 ]
check "truncating the bound file is refused"
is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum" "the bound file is unchanged"

# what runs from it skips its own clone: the created process's exe is the
# bound copy itself, not an overlay or a memfd of its own
cfg created
rt create --bundle "$B" created </dev/null >"$T/out" 2>&1
check "create from the bound file"
pid=$(ctr_state created pid)
like "$(readlink "/proc/$pid/exe")" '^/memfd:keel' "the created process runs from a memfd"
is "$(stat -L -c '%d %i' "/proc/$pid/exe")" "$(stat -L -c '%d %i' "$bin")" \
	"it is the bound copy itself: no clone of its own"
rt start created >"$T/out" 2>&1
check "start"
ctr_wait_status created stopped
check "the container ran and stopped"
rt delete created >"$T/out" 2>&1
check "delete"
cfg said
cfg_sh 'echo from-bound'
ctr_run
is "$RC:$OUT" "0:from-bound" "run from the bound file prints what the container says"

# a second one on a live bind is refused (were it to bind, it would stay:
# the timeout ends it)
timeout 20 "$keel" runtime memfd-bind "$bin" >"$T/second.out" 2>&1
is "$?" 1 "a second memfd-bind on a bound file fails"
like "$(cat "$T/second.out")" "$bin. is bound by a memfd-bind that is still running" \
	"and says the file is bound by a running one"

# SIGTERM: its mount goes, the file is the binary again
kill -TERM "$MB"
wait "$MB"
is "$?" 0 "memfd-bind exits 0 on SIGTERM"
! mounted
check "no mount is left on the file"
is "$(stat -c '%d %i' "$bin")" "$file" "the path names the binary's own file again"
is "$(sha256sum "$bin" | cut -d' ' -f1)" "$sum" "the binary is unchanged"

# --- killed without its cleanup ------------------------------------------------
bind_start
check "bound again"
kill -KILL "$MB"
wait "$MB" 2>/dev/null
"$bin" --version >/dev/null 2>&1
[ $? != 0 ]
check "after SIGKILL the mount leads nowhere: the file cannot be run"
bind_start
check "a new memfd-bind on the stale mount binds"
like "$(cat "$LOG.err")" "removed 1 stale mount from .$bin" "it says it removed the stale mount"
"$bin" --version >/dev/null 2>&1
check "keel runs from the file again"
kill -KILL "$MB"
wait "$MB" 2>/dev/null
out=$("$keel" runtime memfd-bind --cleanup "$bin" 2>&1)
is "$?:$out" "0:1 mount removed from $bin" "--cleanup removes a stale mount and says so"
! mounted
check "no mount is left after --cleanup"
is "$(stat -c '%d %i' "$bin")" "$file" "the path names the binary's own file again"
out=$("$keel" runtime memfd-bind --cleanup "$bin" 2>&1)
is "$?:$out" "0:0 mounts removed from $bin" "--cleanup on an unbound file removes nothing"

# --- only its own mount goes at SIGTERM --------------------------------------
bind_start
check "first memfd-bind"
first=$MB first_log=$LOG
"$keel" runtime memfd-bind --cleanup "$bin" >/dev/null 2>&1
check "--cleanup takes a live memfd-bind's mount away"
bind_start
check "a second memfd-bind binds"
kill -TERM "$first"
wait "$first"
is "$?" 0 "the first, stopped, exits 0"
like "$(cat "$first_log.err")" "$bin.: our mount was gone already" \
	"and says its own mount was gone"
mounted
check "the second's mount stays"
"$bin" --version >/dev/null 2>&1
check "and keel runs from it"
kill -TERM "$MB"
wait "$MB"
is "$?" 0 "the second exits 0 on SIGTERM"
! mounted
check "no mount is left"

# --- what it refuses --------------------------------------------------------------
refuses() { # refuses FILE PATTERN DESC
	out=$(timeout 20 "$keel" runtime memfd-bind "$1" 2>&1)
	is "$?" 1 "$3: exit 1"
	like "$out" "$2" "$3: says why"
}
ln -s keel "$T/bin/link"
refuses "$T/bin/link" "$T/bin/link. is a symbolic link; name the file it points to" "a symlink"
refuses "$T/bin" "$T/bin. is not a regular file" "a directory"
refuses "$T/bin/none" "open .$T/bin/none.: No such file or directory" "a missing file"
refuses /proc/self/exe "/proc/self/exe. is a symbolic link" "/proc/self/exe"
out=$(timeout 20 "$keel" runtime memfd-bind 2>&1)
is "$?" 1 "no FILE: exit 1"
like "$out" "memfd-bind: missing FILE" "no FILE: says so"
out=$(timeout 20 "$keel" runtime memfd-bind "$bin" "$bin" 2>&1)
is "$?" 1 "two FILEs: exit 1"
! mounted
check "nothing refused left a mount"

done_testing
