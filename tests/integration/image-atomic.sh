#!/bin/sh
# keel-import on a Project Atomic system container image built here: every
# /exports file (config.json.template, manifest.json, service.template,
# tmpfiles.template, hostfs/), atomic's variable precedence, and the errors
# for an unset variable, a stray `$` and a writable root.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/image.sh"

image_test /tmp/keel-image-atomic jq umoci sha256sum gzip tar

# Layer 1: busybox.  Layer 2: /exports.
fixture_rootfs "$t/l1"
e=$t/l2/exports
mkdir -p "$e/hostfs/etc/app" "$e/hostfs/usr/bin" "$e/hostfs/var/lib/empty"
cat >"$e/config.json.template" <<'T'
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": {"uid": 0, "gid": 0},
		"args": ["/bin/httpd", "-f", "-p", "$PORT", "-h", "/srv/www"],
		"env": ["PATH=/bin", "NAME=$NAME", "GREETING=${GREETING}", "PRICE=$$5",
			"IMAGE=$IMAGE_NAME", "ID=$IMAGE_ID", "UUID=$UUID", "PIDFILE=$PIDFILE",
			"DESTDIR=$DESTDIR", "CONF=$CONF_DIRECTORY", "HOST=$HOST_UID:$HOST_GID"],
		"cwd": "/",
		"capabilities": {"bounding": [$ALL_PROCESS_CAPABILITIES], "effective": ["CAP_NET_BIND_SERVICE"]}
	},
	"root": {"path": "rootfs", "readonly": true},
	"hostname": "$NAME",
	"mounts": [
		{"destination": "/proc", "type": "proc", "source": "proc"},
		{"destination": "/var/lib/app", "type": "bind", "source": "${STATE_DIRECTORY}/${NAME}", "options": ["rbind", "rw"]},
		{"destination": "/run/app", "type": "bind", "source": "$RUN_DIRECTORY/$NAME", "options": ["bind", "rw"]}
	],
	"linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "uts"}]}
}
T
cat >"$e/manifest.json" <<'T'
{
	"version": "1.0",
	"defaultValues": {"PORT": "8080", "GREETING": "hello", "RUN_DIRECTORY": "/manifest/cannot/override/this"},
	"renameFiles": {"/etc/app/app.conf": "/etc/app/${NAME}.conf"},
	"installedFilesTemplate": ["/etc/app/${NAME}.conf", "/etc/app/sys.conf"]
}
T
cat >"$e/service.template" <<'T'
[Unit]
Description=The $NAME web server
After=network.target etcd.service
Requires=etcd.service
Wants=metrics.service

[Service]
ExecStart=$EXEC_START
ExecStop=$EXEC_STOP
Restart=always
RestartSec=5
TimeoutStopSec=20s
WorkingDirectory=$DESTDIR

[Install]
WantedBy=multi-user.target
T
cat >"$e/tmpfiles.template" <<'T'
d ${STATE_DIRECTORY}/${NAME} 0750 0 0 - -
d $RUN_DIRECTORY/$NAME 0755 0 0 - -
T
printf 'listen=$PORT\nname=$NAME\n' >"$e/hostfs/etc/app/app.conf"
printf '#!/bin/sh\necho $NOT_A_TEMPLATE\n' >"$e/hostfs/usr/bin/app-ctl"
chmod 755 "$e/hostfs/usr/bin/app-ctl"
fixture_layer "$t/l1" "$t/L1.tar"
fixture_layer "$t/l2" "$t/L2.tar" gzip
echo '{"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]}}' >"$t/cfg.json"
fixture_oci_image "$t/img" sys "$t/cfg.json" "$t/L1.tar" "$t/L2.tar:gzip"
mkdir "$t/cd" "$t/host"
# What the service.template names (Requires=etcd.service, Wants=metrics.service):
# keel-import checks the entry among those of the containers.d, as PID 1 will.
fixture_entry "$t/cd" etcd
fixture_entry "$t/cd" metrics
echo "already here" >"$t/host/keep"
mkdir -p "$t/host/usr/bin"
echo "host's own" >"$t/host/usr/bin/app-ctl"

out=$("$IMPORT" -q --name sys --ref sys --set PORT=9090 --set RUN_DIRECTORY=/run/sys --hostfs "$t/host" "$t/img" "$t/cd" 2>&1)
check "installs a system container"
is "$out" "keel-import: warning: /exports/service.template: After=network.target dropped: no entry brings the network up (give keel-import --network NAME)
keel-import: warning: hostfs: /usr/bin/app-ctl already exists in $t/host: not overwritten" "warns about what it cannot carry over"
c=$t/cd/sys/config.json
j() { jq -c "$1" "$c"; }
is "$(j .process.args)" '["/bin/httpd","-f","-p","9090","-h","/srv/www"]' "--set beats manifest defaultValues"
is "$(j .process.env)" '["PATH=/bin","NAME=sys","GREETING=hello","PRICE=$5","IMAGE=sys","ID='"$(jq -r .config "$t/cd/sys/import.json" | cut -c8-)"'","UUID='"$(jq -r .values.UUID "$t/cd/sys/import.json")"'","PIDFILE=/run/sys/container-sys.pid","DESTDIR=/containers.d/sys","CONF=/etc","HOST=0:0"]' \
	"manifest defaults, \$\$, forced NAME/IMAGE_NAME/IMAGE_ID/DESTDIR/HOST_UID, PIDFILE from RUN_DIRECTORY"
like "$(jq -r .values.UUID "$t/cd/sys/import.json")" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "UUID is a fresh uuid"
is "$(j '.process.capabilities.bounding | length')" 41 "ALL_PROCESS_CAPABILITIES expands to every capability"
is "$(j '.process.capabilities.bounding[0,40]')" '"CAP_CHOWN"
"CAP_CHECKPOINT_RESTORE"' "from CAP_CHOWN to CAP_CHECKPOINT_RESTORE"
is "$(j '[.mounts[1].source, .mounts[2].source]')" '["/var/lib/sys","/run/sys/sys"]' "STATE_DIRECTORY default; RUN_DIRECTORY from --set, not the manifest"
is "$(j .hostname)" '"sys"' "the image's own config is used, not keel's default"
[ -d "$t/cd/sys/rootfs/var/lib/app" ] && [ -d "$t/cd/sys/rootfs/run/app" ]
check "its mount points exist in the read-only rootfs"

# tmpfiles.template -> tmpfiles.conf.
is "$(cat "$t/cd/sys/tmpfiles.conf")" "d /var/lib/sys 0750 0 0 - -
d /run/sys/sys 0755 0 0 - -" "tmpfiles.conf is the substituted tmpfiles.template"

# service.template -> keel.json.
is "$(jq -c . "$t/cd/sys/keel.json")" '{"description":"The sys web server","kind":"service","requires":["etcd"],"after":["etcd"],"wants":["metrics"],"restart":{"policy":"always","delay":"5000ms"},"readiness":"started","stop":{"timeout":"20000ms"}}' \
	"Description=/After=/Requires=/Wants=/Restart=/RestartSec=/TimeoutStopSec= carried into keel.json"

# hostfs -> the host tree.
is "$(cat "$t/host/etc/app/sys.conf")" "listen=9090
name=sys" "hostfs: renameFiles applied, installedFilesTemplate substituted"
[ ! -e "$t/host/etc/app/app.conf" ]
check "the renamed file is not also copied under its old name"
is "$(cat "$t/host/usr/bin/app-ctl")" "host's own" "an existing host file is not overwritten"
[ -d "$t/host/var/lib/empty" ]
check "hostfs directories are created"
is "$(cat "$t/host/keep")" "already here" "other host files untouched"
is "$(jq -c '.values | {PORT, RUN_DIRECTORY, NAME}' "$t/cd/sys/import.json")" '{"PORT":"9090","RUN_DIRECTORY":"/run/sys","NAME":"sys"}' \
	"the values used are recorded in import.json"

# Without --hostfs, hostfs lands in the entry's hostfs/ for the image builder.
"$IMPORT" -q --name sys2 --set PORT=1 "$t/img" "$t/cd" 2>/dev/null
check "installs with defaults"
is "$(cat "$t/cd/sys2/hostfs/usr/bin/app-ctl")" '#!/bin/sh
echo $NOT_A_TEMPLATE' "files not listed as templates are copied verbatim"
[ -x "$t/cd/sys2/hostfs/usr/bin/app-ctl" ]
check "modes kept"
is "$(jq -c .process.args "$t/cd/sys2/config.json")" '["/bin/httpd","-f","-p","1","-h","/srv/www"]' "--set again"
is "$(jq -c '.mounts[2].source' "$t/cd/sys2/config.json")" '"/run/sys2"' "RUN_DIRECTORY is /run unless --set (manifest defaults cannot change it)"

# --no-exports imports it as a plain image.
"$IMPORT" -q --name plain --no-exports "$t/img" "$t/cd"
is "$(jq -c .process.args "$t/cd/plain/config.json")" '["/bin/sh"]' "--no-exports ignores /exports"

# Errors: an unset variable, a stray $, a writable root, names the file.
mk() { # mk NAME: an image whose layer 2 is $t/bad/, made by the caller
	fixture_layer "$t/l1" "$t/L1.tar"
	fixture_layer "$t/bad" "$t/B.tar"
	rm -rf "${t:?}/$1"
	fixture_oci_image "$t/$1" latest "$t/cfg.json" "$t/L1.tar" "$t/B.tar"
}
mkdir -p "$t/bad/exports"
printf '{"ociVersion": "1.0.2", "process": {"args": ["/bin/sh"], "cwd": "/"},\n "hostname": "$NAME", "linux": {"namespaces": [{"type": "uts"}]},\n "root": {"path": "rootfs", "readonly": true}, "annotations": {"x": "$UNSET_ONE"}}\n' >"$t/bad/exports/config.json.template"
mk img-unset
out=$("$IMPORT" -q --name u "$t/img-unset" "$t/cd" 2>&1)
is "$out" "keel-import: error: /exports/config.json.template:3: variable \`UNSET_ONE\` is not set (give it with --set UNSET_ONE=VALUE or in manifest.json defaultValues)" \
	"an unset variable is an error naming it, the file and the line"
"$IMPORT" -q --name u --set UNSET_ONE=ok "$t/img-unset" "$t/cd"
is "$(jq -r .annotations.x "$t/cd/u/config.json")" ok "... which --set fixes"
printf '[Service]\nRestart=$POLICY\n' >"$t/bad/exports/service.template"
mk img-unset2
out=$("$IMPORT" -q --name u2 --set UNSET_ONE=ok "$t/img-unset2" "$t/cd" 2>&1)
is "$out" "keel-import: error: /exports/service.template:2: variable \`POLICY\` is not set (give it with --set POLICY=VALUE or in manifest.json defaultValues)" \
	"in service.template too"
out=$("$IMPORT" -q --name u2 --set UNSET_ONE=ok --set POLICY=sometimes "$t/img-unset2" "$t/cd" 2>&1)
is "$out" "keel-import: error: /exports/service.template: Restart=sometimes: unknown restart policy" "an unknown Restart= is refused"
rm "$t/bad/exports/service.template"
printf '{"root": {"path": "rootfs", "readonly": true}, "hostname": "cost: $5"}\n' >"$t/bad/exports/config.json.template"
mk img-dollar
out=$("$IMPORT" -q --name d "$t/img-dollar" "$t/cd" 2>&1)
is "$out" "keel-import: error: /exports/config.json.template:1: invalid placeholder: \`\$\` must start \$NAME, \${NAME} or \$\$" "a stray \$ is refused like string.Template"
rm "$t/bad/exports/config.json.template"
printf '{"root": {"path": "rootfs", "readonly": false}}\n' >"$t/bad/exports/config.json"
mk img-rw
out=$("$IMPORT" -q --name rw "$t/img-rw" "$t/cd" 2>&1)
is "$out" "keel-import: error: /exports/config.json: root.readonly must be true (system containers run from a read-only rootfs)" "a writable root is refused, as atomic does"
printf '{"ociVersion": "1.0.2", "process": {"args": ["/bin/sh"], "cwd": "/"}, "root": {"path": "rootfs", "readonly": true}, "mounts": [{"destination": "/data", "type": "bind", "source": "/var/lib/rw/data", "options": ["rbind"]}, {"destination": "/etc/resolv.conf", "type": "bind", "source": "/etc/resolv.conf", "options": ["bind"]}]}\n' >"$t/bad/exports/config.json"
mk img-notmp
"$IMPORT" -q --name notmp "$t/img-notmp" "$t/cd"
is "$(cat "$t/cd/notmp/tmpfiles.conf")" "d /var/lib/rw/data 0700 0 0 - -" \
	"without tmpfiles.template, bind sources under the state/run directories get created at boot"
[ -f "$t/cd/notmp/rootfs/etc/resolv.conf" ] && [ ! -s "$t/cd/notmp/rootfs/etc/resolv.conf" ]
check "the mount point of a file bind (/etc/resolv.conf) is an empty file, not a directory"
[ -d "$t/cd/notmp/rootfs/data" ]
check "... and a directory bind's is a directory"

# A runtime-spec 0.3.0 config as hello-world ships it: platform, flat
# linux.capabilities, linux.rlimits.
cat >"$t/bad/exports/config.json" <<'C'
{"ociVersion": "0.3.0", "platform": {"os": "linux", "arch": "amd64"},
 "process": {"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["/bin/sh"], "cwd": "/"},
 "root": {"path": "rootfs", "readonly": true}, "hooks": {},
 "linux": {"capabilities": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
	"rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
	"namespaces": [{"type": "pid"}, {"type": "mount"}]}}
C
mk img-030
out=$("$IMPORT" -q --name old "$t/img-030" "$t/cd" 2>&1)
check "a 0.3.0 config is imported"
is "$out" 'keel-import: warning: /exports/config.json: ociVersion "0.3.0" is a runtime-spec draft before 1.0: upgraded to "1.0.0" (docs/images.md)
keel-import: warning: /exports/config.json: platform (runtime-spec 0.x) dropped: 1.0 has no such field
keel-import: warning: /exports/config.json: linux.capabilities (runtime-spec 0.x) moved to process.capabilities: bounding, effective, inheritable and permitted, as runc applied it
keel-import: warning: /exports/config.json: linux.rlimits (runtime-spec 0.x) moved to process.rlimits' "every change is said"
is "$(jq -c '[.ociVersion, has("platform"), .linux.capabilities, .linux.rlimits, .process.rlimits[0].hard]' "$t/cd/old/config.json")" '["1.0.0",false,null,null,1024]' 	"upgraded: nothing left at the old places"
is "$(jq -c '.process.capabilities | [keys, (map_values(. == ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]) | all)]' "$t/cd/old/config.json")" 	'[["bounding","effective","inheritable","permitted"],true]' "the flat list is in the four sets runc 0.x applied it to"

# 1.0.0-rc: a flat process.capabilities, "user": {}, an SELinux label.
cat >"$t/bad/exports/config.json" <<'C'
{"ociVersion": "1.0.0-rc3", "platform": {"os": "linux", "arch": "amd64"},
 "process": {"user": {}, "args": ["/bin/sh"], "cwd": "/", "capabilities": ["CAP_KILL"],
	"selinuxLabel": "system_u:system_r:container_t:s0"},
 "root": {"path": "rootfs", "readonly": true},
 "linux": {"mountLabel": "system_u:object_r:container_file_t:s0"}}
C
mk img-rc
out=$("$IMPORT" -q --name rc "$t/img-rc" "$t/cd" 2>&1)
check "a 1.0.0-rc config is imported"
is "$out" 'keel-import: warning: /exports/config.json: ociVersion "1.0.0-rc3" is a runtime-spec draft before 1.0: upgraded to "1.0.0" (docs/images.md)
keel-import: warning: /exports/config.json: platform (runtime-spec 0.x) dropped: 1.0 has no such field
keel-import: warning: /exports/config.json: process.capabilities is a flat list (runtime-spec 1.0.0-rc): given to the bounding, effective, inheritable and permitted sets, as runc applied it
keel-import: warning: /exports/config.json: process.selinuxLabel "system_u:system_r:container_t:s0" dropped: keel applies no SELinux label
keel-import: warning: /exports/config.json: linux.mountLabel "system_u:object_r:container_file_t:s0" dropped: keel applies no SELinux label' 	"flat capabilities upgraded, SELinux labels dropped, each said"
is "$(jq -c '[.process.user, .process.capabilities.permitted, .process.selinuxLabel, .linux.mountLabel]' "$t/cd/rc/config.json")" '[{},["CAP_KILL"],null,null]' 	'"user": {} is kept (uid 0, as runc reads it)'

# service.template lines with a keel meaning elsewhere, as flannel's: the
# network targets, Before=, RequiredBy=, WantedBy=, RuntimeDirectory=,
# ExecStopPost=; a warning for every line dropped.
mkdir "$t/cd2"
fixture_entry "$t/cd2" net
fixture_entry "$t/cd2" docker
echo '{"ociVersion": "1.0.2", "process": {"args": ["/bin/sh"], "cwd": "/"}, "root": {"path": "rootfs", "readonly": true}}' >"$t/bad/exports/config.json"
cat >"$t/bad/exports/service.template" <<'U'
[Unit]
Description=flannel-like
After=network.target
After=network-online.target
Wants=network-online.target
Before=docker.service later.service
StartLimitInterval=0

[Service]
Type=notify
NotifyAccess=all
ExecStart=$EXEC_START
ExecStop=$EXEC_STOP
ExecStopPost=-/bin/rm "/etc/x/$NAME one.conf"
ExecStopPost=$EXEC_STOPPOST
ExecStopPost=rm /relative
Restart=on-failure
WorkingDirectory=$DESTDIR
RuntimeDirectory=${NAME} ${NAME}-b
LimitNOFILE=4096

[Install]
WantedBy=multi-user.target
RequiredBy=docker.service
U
mk img-fl
out=$("$IMPORT" -q --name fl "$t/img-fl" "$t/cd2" 2>&1)
check "a flannel-like unit is imported"
is "$out" 'keel-import: warning: /exports/service.template: StartLimitInterval=0 (no start limit) dropped: keel always has one (restart.limit, default 5 starts in 10 s)
keel-import: warning: /exports/service.template: ExecStopPost=rm /relative dropped: the command must be an absolute path
keel-import: warning: /exports/service.template: LimitNOFILE=4096 dropped: keel has no equivalent' \
	"a warning for each line dropped, none for what maps"
is "$(jq -c '{after, wants, readiness}' "$t/cd2/fl/keel.json")" '{"after":["net"],"wants":["net"],"readiness":"notify"}' \
	"After=/Wants=network-online.target: after and wants the entry that brings the network up (net)"
is "$(jq -c '{after, requires}' "$t/cd2/docker/keel.json")" '{"after":["fl"],"requires":["fl"]}' \
	"Before=docker.service and RequiredBy=docker.service: docker's keel.json gets after and requires fl"
is "$(cat "$t/cd2/fl/tmpfiles.conf")" 'd /run/fl 0755 0 0 - -
d /run/fl-b 0755 0 0 - -' "RuntimeDirectory=: tmpfiles.conf lines"
is "$(jq -c .hooks.poststop "$t/cd2/fl/config.json")" '[{"path":"/bin/rm","args":["/bin/rm","/etc/x/fl one.conf"]}]' \
	"ExecStopPost=: a poststop hook (quotes and the - prefix read as systemd does; atomic's own delete left out)"
is "$(jq -c .reverse "$t/cd2/fl/import.json")" '{"after":["docker","later"],"requires":["docker"],"wants":[]}' \
	"the reverse dependencies are kept in import.json"
printf '[Unit]\nDescription=later\n' >"$t/bad/exports/service.template"
mk img-later
"$IMPORT" -q --name later "$t/img-later" "$t/cd2"
is "$(jq -c .after "$t/cd2/later/keel.json")" '["fl"]' "an entry imported later gets the Before= that named it"
printf '[Unit]\nRequires=a.service\nBefore=a.service\n' >"$t/bad/exports/service.template"
mk img-cyc
fixture_entry "$t/cd2" a
out=$("$IMPORT" -q --name cyc "$t/img-cyc" "$t/cd2" 2>&1)
like "$out" "^keel-import: error: $t/cd2/cyc/keel.json: requires\\[0\\]: dependency cycle among a, cyc" \
	"a cycle made through another entry's keel.json (Before=) is refused"
is "$(jq -c .after "$t/cd2/a/keel.json")" null "... and that entry is left as it was"
rm "$t/bad/exports/service.template"

rm "$t/bad/exports/config.json"
echo '{"root": {"path": "rootfs", "readonly": true}, "hostname": "host-secret"}' >"$t/host-template"
ln -s "$t/host-template" "$t/bad/exports/config.json.template"
mk img-link
out=$("$IMPORT" -q --name link "$t/img-link" "$t/cd" 2>&1)
is "$out" "keel-import: error: /exports/config.json.template is a symlink in the image: refusing to follow it on the build host" \
	"an /exports file that is a symlink is refused (it would be read on the build host)"
rm -rf "$t/bad/exports"
ln -s "$t/host-exports" "$t/bad/exports"
mk img-link2
out=$("$IMPORT" -q --name link "$t/img-link2" "$t/cd" 2>&1)
is "$out" "keel-import: error: /exports is a symlink in the image: refusing to follow it on the build host" "so is /exports itself"
is "$(ls -A "$t/cd" | tr '\n' ' ')" "etcd metrics notmp old plain rc sys sys2 u " "failed installs leave nothing behind"

done_testing
