#!/bin/sh
# Imported images boot: keel init (PID 1 of a new PID namespace, no boot
# mode) runs a containers.d made only by keel-import: an atomic oneshot
# `db`, an atomic service `web` whose service.template Requires= db, and a
# plain image from a docker archive.  Checks the order, the users and
# output the images promise, and a clean SIGTERM shutdown.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"
. "$here/image-lib.sh"
IMPORT=$top/initramfs/import/keel-import
KEEL=${KEEL:-$top/build/dev/keel}

fixture_need jq umoci skopeo sha256sum gzip tar unshare
[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$KEEL" ] || skip_all "no keel binary at $KEEL"
"$KEEL" init --help >/dev/null 2>&1 || skip_all "$KEEL has no init yet"
unshare --pid --fork --mount-proc true 2>/dev/null || skip_all "cannot unshare a PID namespace here"
CGMNT=$([ -d /sys/fs/cgroup/unified ] && echo /sys/fs/cgroup/unified || echo /sys/fs/cgroup)
[ -f "$CGMNT/cgroup.procs" ] || skip_all "no cgroup v2 hierarchy mounted"

t=$(mktemp -d /tmp/keel-image-boot.XXXXXX)
CGROOT=keel-image-boot-$$
UPID='' KPID=''
cleanup() {
	if [ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null; then
		kill -KILL "$KPID" 2>/dev/null
	fi
	[ -z "$UPID" ] || wait "$UPID" 2>/dev/null
	[ ! -d "$CGMNT/$CGROOT" ] || find "$CGMNT/$CGROOT" -depth -type d -exec rmdir {} + 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# wait_for PATTERN [SECONDS]: until a console line matches.
wait_for() {
	n=$((${2:-20} * 10))
	while [ "$n" -gt 0 ]; do
		grep -qE -- "$1" "$t/console.log" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	echo "# timed out waiting for: $1"
	return 1
}
line_of() { grep -nE -- "$1" "$t/console.log" | head -n1 | cut -d: -f1; }

D=$t/containers.d
mkdir "$D"
fixture_boot_entries "$t" "$D"

unshare --pid --fork --mount-proc "$KEEL" init --no-boot --dir "$D" --root "$t/run" \
	--state "$t/state" --cgroup-root "$CGROOT" --console "$t/console.log" >"$t/stdout.log" 2>&1 &
UPID=$!
for _ in $(seq 50); do
	KPID=$(cut -d' ' -f1 "/proc/$UPID/task/$UPID/children" 2>/dev/null)
	[ -n "$KPID" ] && break
	sleep 0.1
done
[ -n "$KPID" ]
check "keel init started"

wait_for 'Startup finished' 30
check "startup finished"
wait_for 'web \| web-up' 10
wait_for 'plain \| plain-up' 10
like "$(grep -E 'db \| ' "$t/console.log")" 'db \| db-ready as 1000$' "db ran as the image's user app (1000)"
like "$(grep -E 'web \| ' "$t/console.log")" 'web \| web-up as 1000 after sh motd=none$' "web ran as app, as its own PID 1"
like "$(grep -E 'plain \| ' "$t/console.log")" 'plain \| plain-up plain$' "plain ran from its two layers"
db=$(line_of 'db \| db-ready') web=$(line_of 'web \| web-up')
[ -n "$db" ] && [ -n "$web" ] && [ "$db" -lt "$web" ]
check "web started after the oneshot db finished (service.template Requires=)"
like "$(grep -cE 'FAILED' "$t/console.log")" '^0$' "nothing failed"
if grep -l 'tmpfiles_apply' "$top"/init/*.c 2>/dev/null | grep -qv 'init/tmpfiles.c$'; then
	is "$(stat -c '%a %u %g' "$t/tmpfiles/db-state" 2>&1)" "750 1000 1000" "init created db's tmpfiles.conf directory before starting it"
else
	skip "init created db's tmpfiles.conf directory before starting it" "init does not call tmpfiles_apply (init/tmpfiles.h) yet"
fi

kill -TERM "$KPID"
wait "$UPID"
is "$?" 0 "SIGTERM: keel init stops everything and exits 0"
wait_for 'web \| web-stopping' 1
check "web got its stop signal"
like "$(grep -c 'did not stop' "$t/console.log")" '^0$' "both services stopped on SIGTERM, none killed"
[ ! -d "$CGMNT/$CGROOT" ] || [ -z "$(find "$CGMNT/$CGROOT" -mindepth 1 -type d)" ]
check "no container cgroup left"
grep -q . "$t/console.log" && sed 's/^/# /' "$t/console.log" | tail -n 20

done_testing
