#!/bin/sh
# keel init as PID 1 of a PID namespace applies an entry's tmpfiles.conf
# before its first start, with the types atomic images use beyond creation:
# Z (recursive owner and mode) and r/R (removal, globs), x (kept), C (copy),
# and a container that reads the result through a bind mount.  The trees are
# the container's own (bind-mounted, writable by it), so they hold what an
# attacker in it would plant: symlinks to host files and directories.  Z
# and R must change the links, never what they point at.
. "$(dirname "$0")/init-lib.sh"

make_rootfs
S=$T/ktf-state   # bind-mounted into the container at /state
H=$T/ktf-host    # "the host": files no tmpfiles line names
mkdir -p "$S/db/sub" "$S/run" "$S/old/deep/er" "$H/dir" "$T/ktf-factory/conf.d"
echo secret >"$H/secret"; chmod 0600 "$H/secret"
echo keep >"$H/dir/keep"
echo data >"$S/db/sub/file"; chmod 0600 "$S/db/sub/file"
echo 123 >"$S/run/a.pid"; echo 456 >"$S/run/b.pid"; echo sock >"$S/run/c.sock"
echo x >"$S/old/deep/er/x"; echo kept >"$S/old/keep.me"
# what the container planted in its writable tree
ln -s "$H/secret" "$S/db/sub/to-secret"
ln -s "$H" "$S/db/to-host"
ln -s "$H/dir" "$S/old/deep/to-dir"
echo 'a=1' >"$T/ktf-factory/conf.d/app.conf"

entry tf 'echo "state: $(stat -c "%u:%g %a" /state/db)"; ls /state/run | tr "\n" " "; echo; cat /state/conf.d/app.conf; echo "old: $(ls /state/old)"; exec sleep 1000' \
	'{"stop": {"signal": "KILL"}}'
sed -i "s#\"mounts\": \[#\"mounts\": [\n    {\"destination\": \"/state\", \"type\": \"bind\", \"source\": \"$S\", \"options\": [\"rbind\"]},#" \
	"$D/tf/config.json"
cat >"$D/tf/tmpfiles.conf" <<EOF
Z $S/db 0750 1000 1001
r $S/run/*.pid
R $S/old
x $S/old/keep.*
C $S/conf.d - - - - $T/ktf-factory/conf.d
d $S/made 0700 - -
EOF
# an entry whose tmpfiles.conf fails applying: the entry fails, naming the line
entry tfbad 'echo should-not-run'
printf 'r %s\n' "$S/db" >"$D/tfbad/tmpfiles.conf"

# a failing service restarted on failure: its tmpfiles.conf is applied once
# (w+ appends a line each time it runs), before the first start only
mkdir -p "$T/ktf-once"; : >"$T/ktf-once/log"
entry tfonce 'echo tfonce-ran; exit 3' \
	'{"restart": {"policy": "on-failure", "delay": "100ms", "limit": {"burst": 3, "interval": "60s"}}}'
printf 'w+ %s - - - - applied\\n\n' "$T/ktf-once/log" >"$D/tfonce/tmpfiles.conf"

start_keel
wait_for 'tf \| old:' 20
check "the container started after its tmpfiles.conf was applied"
log=$(cat "$T/console.log")
like "$log" 'tf \| state: 1000:1001 750$' "Z: the container sees its directory owned 1000:1001, mode 0750"
is "$(stat -c '%u:%g %a' "$S/db/sub" "$S/db/sub/file" | tr '\n' ' ')" "1000:1001 750 1000:1001 750 " \
	"Z: and everything below it"
like "$log" 'tf \| c.sock $' "r with a glob: the two .pid files are gone, the rest stays"
like "$log" 'tf \| a=1' "C: the factory copy is there"
like "$log" 'tf \| old: keep.me' "R removed the tree, x kept what it names"
is "$(stat -c '%u:%g %a' "$H/secret" "$H" | tr '\n' ' ')" "0:0 600 0:0 $(stat -c %a "$H") " \
	"Z did not follow the planted symlinks to host files"
is "$(stat -c '%u' "$S/db/sub/to-secret")" 1000 "Z changed the owner of the link itself"
is "$(cat "$H/dir/keep" 2>&1)" keep "R removed the planted link, not the host directory it points at"
[ ! -e "$S/old/deep" ]
check "R removed the rest of the tree"
is "$(stat -c '%a' "$S/made")" 700 "d still works beside them"
like "$log" "\[FAILED\] Failed to start tfbad: $D/tfbad/tmpfiles.conf:1: remove \`$S/db\` \(r removes empty directories, R the rest\): Directory not empty" \
	"a line that fails to apply fails its entry, naming file, line and reason"
[ -d "$S/db/sub" ]
check "and removed nothing"
! grep -q 'should-not-run' "$T/console.log"
check "that entry's container did not run"

wait_count 'tfonce \| tfonce-ran' 3 20
check "tfonce was started three times"
is "$(cat "$T/ktf-once/log")" applied "its tmpfiles.conf was applied once, not at each restart"

stop_keel
is "$RC" 0 "keel exits 0 on SIGTERM"
show_log_on_failure
done_testing
