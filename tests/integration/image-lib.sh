# Fixture builders for the image-*.sh tests; source this file (it is not a
# test itself, hence not executable).  Everything is built locally from
# busybox-static's /bin/busybox with tar, gzip, sha256sum and jq: no network,
# no committed binaries.  Tarballs are made reproducible (sorted names, fixed
# mtime, uid/gid 0) so digests are stable within a run.
#
#   fixture_rootfs DIR                 a small busybox root with users/groups
#   fixture_layer SRC OUT [gzip]       tar SRC's contents into OUT (optionally gzip)
#   fixture_blob LAYOUT FILE           move FILE into LAYOUT/blobs/sha256, print "sha256:HEX SIZE"
#   fixture_oci_image LAYOUT REF CONFIG_JSON LAYER...   write config, manifest, index
#   fixture_entry CONTAINERS_D NAME    a small valid entry (for dependencies to name)

BUSYBOX=${BUSYBOX:-/bin/busybox}

fixture_need() {
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
	done
	[ -x "$BUSYBOX" ] && file_is_static "$BUSYBOX" || skip_all "no static $BUSYBOX (busybox-static)"
}

file_is_static() {
	# A static busybox has no PT_INTERP; ldd says so in every locale we care about.
	! LC_ALL=C ldd "$1" 2>/dev/null | grep -q '=>'
}

fixture_rootfs() {
	d=$1
	mkdir -p "$d/bin" "$d/etc" "$d/srv/www" "$d/data" "$d/olddir/sub" "$d/tmp" "$d/var"
	cp "$BUSYBOX" "$d/bin/busybox"
	for a in sh cat ls echo sleep id env pwd httpd true false mkdir touch; do
		ln -s busybox "$d/bin/$a"
	done
	cat >"$d/etc/passwd" <<-'P'
	root:x:0:0:root:/root:/bin/sh
	daemon:x:1:1:daemon:/usr/sbin:/bin/false
	app:x:1000:1000:app user:/home/app:/bin/sh
	P
	cat >"$d/etc/group" <<-'G'
	root:x:0:
	daemon:x:1:
	wheel:x:10:app,root
	audio:x:29:app
	app:x:1000:
	G
	echo "hello from keel" >"$d/srv/www/index.html"
	echo gone >"$d/gone.txt"
	echo keep-v1 >"$d/keep.txt"
	echo a >"$d/data/a"
	echo b >"$d/data/b"
	echo x >"$d/olddir/sub/x"
	chmod 1777 "$d/tmp"
	chown -R 0:0 "$d"
}

# Owners are kept (numerically), so a fixture can hold a non-root directory.
fixture_layer() {
	tar -C "$1" --sort=name --mtime=@0 --numeric-owner -cf "$2" . || return 1
	if [ "${3:-}" = gzip ]; then
		gzip -n -9 "$2" && mv "$2.gz" "$2"
	fi
}

fixture_blob() {
	mkdir -p "$1/blobs/sha256"
	h=$(sha256sum "$2" | cut -d' ' -f1)
	s=$(stat -c %s "$2")
	mv "$2" "$1/blobs/sha256/$h"
	echo "sha256:$h $s"
}

# fixture_oci_image LAYOUT REF CONFIG_JSON_FILE LAYER_FILE[:gzip]...
# The image config's rootfs.diff_ids are computed from the uncompressed layers.
fixture_oci_image() {
	layout=$1 ref=$2 cfg=$3
	shift 3
	mkdir -p "$layout/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
	layers='[]' diffs='[]'
	for l in "$@"; do
		f=${l%:gzip}
		if [ "$f" != "$l" ]; then
			mt=application/vnd.oci.image.layer.v1.tar+gzip
			diff=sha256:$(gzip -dc "$f" | sha256sum | cut -d' ' -f1)
		else
			mt=application/vnd.oci.image.layer.v1.tar
			diff=sha256:$(sha256sum "$f" | cut -d' ' -f1)
		fi
		set -- $(fixture_blob "$layout" "$f")
		layers=$(jq -c --arg mt "$mt" --arg d "$1" --argjson s "$2" \
			'. + [{mediaType: $mt, digest: $d, size: $s}]' <<-E
		$layers
		E
		)
		diffs=$(jq -c --arg d "$diff" '. + [$d]' <<-E
		$diffs
		E
		)
	done
	jq -c --argjson d "$diffs" '.rootfs = {type: "layers", diff_ids: $d}' "$cfg" >"$layout/cfg.tmp"
	set -- $(fixture_blob "$layout" "$layout/cfg.tmp")
	jq -n -c --arg cd "$1" --argjson cs "$2" --argjson l "$layers" '{
		schemaVersion: 2,
		mediaType: "application/vnd.oci.image.manifest.v1+json",
		config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
		layers: $l}' >"$layout/manifest.tmp"
	set -- $(fixture_blob "$layout" "$layout/manifest.tmp")
	jq -n -c --arg md "$1" --argjson ms "$2" --arg ref "$ref" '{
		schemaVersion: 2,
		mediaType: "application/vnd.oci.image.index.v1+json",
		manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
			digest: $md, size: $ms,
			annotations: {"org.opencontainers.image.ref.name": $ref}}]}' >"$layout/index.json"
}

# fixture_base_layers DIR: DIR/L1.tar (a busybox root) and DIR/L2.tar
# (gzip: whiteouts .wh.gone.txt and .wh.olddir, an opaque data/ with a new
# file c, keep.txt replaced); DIR/cfg.json an image config using them.
fixture_base_layers() {
	fixture_rootfs "$1/l1"
	mkdir -p "$1/l2/data"
	: >"$1/l2/.wh.gone.txt"
	: >"$1/l2/.wh.olddir"
	: >"$1/l2/data/.wh..wh..opq"
	echo c >"$1/l2/data/c"
	echo keep-v2 >"$1/l2/keep.txt"
	mkdir -p "$1/l2/cache"
	chown -R 0:0 "$1/l2"
	chown 1000:1000 "$1/l2/cache"
	chmod 0750 "$1/l2/cache"
	fixture_layer "$1/l1" "$1/L1.tar"
	fixture_layer "$1/l2" "$1/L2.tar" gzip
	cat >"$1/cfg.json" <<-'C'
	{"architecture": "amd64", "os": "linux",
	 "config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hello from $FOO"],
	  "Env": ["PATH=/bin", "FOO=bar"], "WorkingDir": "/srv", "User": "app",
	  "Volumes": {"/var/data": {}, "/cache": {}}, "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
	  "StopSignal": "SIGQUIT", "Labels": {"org.example.role": "test"}}}
	C
}

# fixture_docker_archive DIR OUT TAG: a classic `docker save` tarball of the
# layers and config fixture_base_layers made (uncompressed layer tars, the
# config named by its digest, RepoTags TAG).
fixture_docker_archive() {
	a=$1/docker
	mkdir -p "$a"
	gzip -dc "$1/L2.tar" >"$1/L2u.tar"
	d1=$(sha256sum <"$1/L1.tar" | cut -d' ' -f1)
	d2=$(sha256sum <"$1/L2u.tar" | cut -d' ' -f1)
	mkdir -p "$a/$d1" "$a/$d2"
	cp "$1/L1.tar" "$a/$d1/layer.tar"
	mv "$1/L2u.tar" "$a/$d2/layer.tar"
	echo 1.0 >"$a/$d1/VERSION"
	echo 1.0 >"$a/$d2/VERSION"
	jq -c --arg d1 "sha256:$d1" --arg d2 "sha256:$d2" \
		'.rootfs = {type: "layers", diff_ids: [$d1, $d2]}' "$1/cfg.json" >"$a/cfg.tmp"
	c=$(sha256sum <"$a/cfg.tmp" | cut -d' ' -f1)
	mv "$a/cfg.tmp" "$a/$c.json"
	jq -n -c --arg c "$c.json" --arg t "$3" --arg l1 "$d1/layer.tar" --arg l2 "$d2/layer.tar" \
		'[{Config: $c, RepoTags: [$t], Layers: [$l1, $l2]}]' >"$a/manifest.json"
	tar -C "$a" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$2" .
}

# fixture_boot_entries T D [HOSTFS]: a containers.d D made only by
# keel-import ($IMPORT), for the boot tests:
#   db     atomic oneshot (service.template Type=oneshot), user app, with a
#          tmpfiles.template naming T/tmpfiles/db-state;
#   web    atomic service, Requires=db.service, user app, its hostfs carries
#          /etc/web/motd; with HOSTFS, hostfs goes there (--hostfs) and the
#          container bind-mounts the host's /etc/web; prints the motd;
#   plain  a docker-archive image of two layers.
# Services trap SIGTERM (a shell as PID 1 has no default action for it).
fixture_boot_entries() {
	bt=$1 bd=$2 bh=${3:-}
	fixture_rootfs "$bt/base"
	fixture_layer "$bt/base" "$bt/base.tar"

	_system_image() { # NAME CMD SERVICE_TEMPLATE TMPFILES_TEMPLATE [IMPORT ARGS...]
		sn=$1 sc=$2 ss=$3 stf=$4
		shift 4
		rm -rf "$bt/x"
		mkdir -p "$bt/x/exports/hostfs/etc/$sn"
		printf '%b' "$ss" >"$bt/x/exports/service.template"
		[ -z "$stf" ] || printf '%b' "$stf" >"$bt/x/exports/tmpfiles.template"
		echo "hello-from-hostfs" >"$bt/x/exports/hostfs/etc/$sn/motd"
		fixture_layer "$bt/x" "$bt/x.tar"
		cp "$bt/base.tar" "$bt/b.tar"
		jq -n --arg c "$sc" '{architecture: "amd64", os: "linux",
			config: {Cmd: ["/bin/sh", "-c", $c], User: "app", Env: ["PATH=/bin"]}}' >"$bt/cfg.json"
		rm -rf "$bt/img-$sn"
		fixture_oci_image "$bt/img-$sn" latest "$bt/cfg.json" "$bt/b.tar" "$bt/x.tar"
		"$IMPORT" -q --name "$sn" "$@" "$bt/img-$sn" "$bd" 2>"$bt/import.err"
	}
	_system_image db 'echo db-ready as $(id -u)' \
		'[Unit]\nDescription=database setup\n[Service]\nType=oneshot\n' \
		"d $bt/tmpfiles/\${NAME}-state 0750 1000 1000 - -\n"
	check "imported db (atomic oneshot)"
	is "$(cat "$bd/db/tmpfiles.conf")" "d $bt/tmpfiles/db-state 0750 1000 1000 - -" "db carries its tmpfiles.conf"
	if [ -n "$bh" ]; then
		set -- --hostfs "$bh" -v /etc/web=/etc/web
	else
		set --
	fi
	_system_image web 'trap "echo web-stopping; exit 0" TERM; echo web-up as $(id -u) after $(cat /proc/1/comm) motd=$(cat /etc/web/motd 2>/dev/null || echo none); sleep 1000 & wait' \
		'[Unit]\nRequires=db.service\nAfter=db.service network.target\n[Service]\nRestart=on-failure\nRestartSec=1\n' '' "$@"
	check "imported web (atomic service requiring db)"
	is "$(grep -v 'hostfs kept' "$bt/import.err")" "keel-import: warning: /exports/service.template: After=network.target dropped: no entry brings the network up (give keel-import --network NAME)" \
		"network.target is dropped with a warning (no entry brings the network up here)"
	is "$(jq -c '{kind, requires, restart}' "$bd/db/keel.json" "$bd/web/keel.json" | tr '\n' ' ')" \
		'{"kind":"oneshot","requires":null,"restart":{"policy":"no"}} {"kind":"service","requires":["db"],"restart":{"policy":"on-failure","delay":"1000ms"}} ' \
		"their policies"
	if [ -n "$bh" ]; then
		is "$(cat "$bh/etc/web/motd")" hello-from-hostfs "web's hostfs went to the host tree"
	else
		is "$(cat "$bd/web/hostfs/etc/web/motd")" hello-from-hostfs "web's hostfs is kept in the entry"
		is "$(grep 'hostfs kept' "$bt/import.err")" "keel-import: warning: /exports/hostfs kept in $bd/web/hostfs: for the host, give --hostfs DIR and put DIR in the image (keel-mkimage --file DIR:/)" \
			"... with a warning saying how to install it"
	fi

	cp "$bt/base.tar" "$bt/L1.tar"
	rm -rf "$bt/l2"
	mkdir -p "$bt/l2"
	echo plain >"$bt/l2/which"
	fixture_layer "$bt/l2" "$bt/L2.tar" gzip
	echo '{"architecture": "amd64", "os": "linux", "config": {"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["trap \"exit 0\" TERM; echo plain-up $(cat /which); sleep 1000 & wait"]}}' >"$bt/cfg.json"
	rm -rf "$bt/docker"
	fixture_docker_archive "$bt" "$bt/plain.tar" plain:1
	"$IMPORT" -q "$bt/plain.tar" "$bd"
	check "imported plain (docker archive)"
}

# fixture_entry CONTAINERS_D NAME: an entry keel accepts (an empty rootfs is
# enough: it is only checked, never started).
fixture_entry() {
	mkdir -p "$1/$2/rootfs"
	echo '{"kind": "service"}' >"$1/$2/keel.json"
	cat >"$1/$2/config.json" <<-'C'
	{"ociVersion": "1.0.2", "process": {"args": ["/bin/sh"], "cwd": "/"},
	 "root": {"path": "rootfs", "readonly": true}}
	C
}
