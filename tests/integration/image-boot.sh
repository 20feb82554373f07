#!/bin/sh
# Imported images boot: keel init (PID 1 of a new PID namespace, no boot
# mode) runs a containers.d made only by keel-import: an atomic oneshot
# `db`, an atomic service `web` whose service.template Requires= db, and a
# plain image from a docker archive.  Checks the order, the users and
# output the images promise, and a clean SIGTERM shutdown.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
KEEL=${KEEL:-$top/build/dev/keel}
# init-lib.sh: the skips, $T and $D, start_keel, wait_for, line_of, cleanup.
. "$here/init-lib.sh"
. "$here/image-lib.sh"
IMPORT=$top/initramfs/import/keel-import

fixture_need jq umoci skopeo sha256sum gzip tar
"$KEEL" init --help >/dev/null 2>&1 || skip_all "$KEEL has no init yet"

fixture_boot_entries "$T" "$D"

start_keel
[ -n "$KPID" ]
check "keel init started"

wait_for 'Startup finished' 30
check "startup finished"
wait_for 'web \| web-up' 10
wait_for 'plain \| plain-up' 10
like "$(grep -E 'db \| ' "$T/console.log")" 'db \| db-ready as 1000$' "db ran as the image's user app (1000)"
like "$(grep -E 'web \| ' "$T/console.log")" 'web \| web-up as 1000 after sh motd=none$' "web ran as app, as its own PID 1"
like "$(grep -E 'plain \| ' "$T/console.log")" 'plain \| plain-up plain$' "plain ran from its two layers"
db=$(line_of 'db \| db-ready') web=$(line_of 'web \| web-up')
[ "$db" -gt 0 ] && [ "$db" -lt "$web" ]
check "web started after the oneshot db finished (service.template Requires=)"
like "$(grep -cE 'FAILED' "$T/console.log")" '^0$' "nothing failed"
is "$(stat -c '%a %u %g' "$T/tmpfiles/db-state" 2>&1)" "750 1000 1000" "init created db's tmpfiles.conf directory before starting it"

kill -TERM "$KPID"
wait "$UPID"
is "$?" 0 "SIGTERM: keel init stops everything and exits 0"
wait_for 'web \| web-stopping' 1
check "web got its stop signal"
like "$(grep -c 'did not stop' "$T/console.log")" '^0$' "both services stopped on SIGTERM, none killed"
[ ! -d "$CGMNT/$CGROOT" ] || [ -z "$(find "$CGMNT/$CGROOT" -mindepth 1 -type d)" ]
check "no container cgroup left"
grep -q . "$T/console.log" && sed 's/^/# /' "$T/console.log" | tail -n 20

done_testing
