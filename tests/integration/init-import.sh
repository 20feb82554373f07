#!/bin/sh
# keelctl update NAME SRC from an image, with keel as PID 1 of a PID
# namespace: SRC an OCI image layout directory, a `docker save` archive
# (made offline by skopeo from a local layout) and a tar of an OCI layout.
# keel runs the import in the importer container (initramfs/importer,
# init/importjob.c); the new content runs, deploy.json has the manifest
# digest (the one keel-import computes on the build host for the same
# image) and the --set values are kept and changed.  Then, as an
# attacker: images whose layers reach out of the rootfs (../ names,
# absolute symlinks written through, hard links to host files, whiteouts
# of host paths), device nodes, a file larger than the importer may
# write, a digest that is a path; and an importer that is itself hostile
# (what a bug in the unpacker would give an image): it cannot write the
# host, SRC or containers.d, open a device, reach a network, mount or
# gain a capability.  Bad inputs to keelctl and to PID 1's request get
# precise errors and PID 1 keeps running.
. "$(dirname "$0")/init-lib.sh"
. "$(dirname "$0")/image-lib.sh"
fixture_need jq umoci python3
command -v skopeo >/dev/null || skip_all "skopeo is not installed (it makes the docker archive)"
SRCDIR=$(cd "$(dirname "$0")/../.." && pwd)

LOOP='trap "exit 0" TERM; while :; do sleep 0.1; done'
make_rootfs
entry web "echo web-v1; $LOOP"
entry kimother "echo other-up; $LOOP"

# The importer, as keel-mkimage --importer builds it; a file of more than
# 16 MiB fails the import (RLIMIT_FSIZE).
"$SRCDIR/initramfs/importer/build.sh" --max-file 16777216 "$T/importer"
check "the importer bundle is built"
is "$(jq -r '.process.capabilities.bounding | join(",")' "$T/importer/config.json")" \
	"CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FOWNER,CAP_FSETID,CAP_MKNOD,CAP_SETFCAP" "the importer keeps six capabilities"
is "$(jq -c '[.linux.namespaces[].type]' "$T/importer/config.json")" \
	'["pid","mount","ipc","uts","network","cgroup"]' "a network namespace of its own (no network)"

# Images: a busybox root, one layer more with what the version prints.
# version NAME CMD [atomic service.template]: an OCI layout $T/img/NAME.
fixture_rootfs "$T/fx/base"
fixture_layer "$T/fx/base" "$T/fx/base.tar"
version() {
	rm -rf "$T/fx/x" "$T/img/$1"
	mkdir -p "$T/fx/x/etc"
	echo "$1" >"$T/fx/x/etc/version"
	if [ -n "${3:-}" ]; then
		mkdir -p "$T/fx/x/exports"
		printf '%b' "$3" >"$T/fx/x/exports/service.template"
	fi
	fixture_layer "$T/fx/x" "$T/fx/x.tar" gzip
	cp "$T/fx/base.tar" "$T/fx/b.tar"
	jq -n --arg c "$2" '{architecture: "amd64", os: "linux",
		config: {Cmd: ["/bin/sh", "-c", $c], Env: ["PATH=/bin"]}}' >"$T/fx/cfg.json"
	fixture_oci_image "$T/img/$1" latest "$T/fx/cfg.json" "$T/fx/b.tar" "$T/fx/x.tar:gzip"
}
manifest_of() { jq -r '.manifests[0].digest' "$T/img/$1/index.json"; }
version v2 "echo web-v2 \$(cat /etc/version); $LOOP" \
	'[Unit]\nDescription=web says $GREETING\n[Service]\nRestart=on-failure\n'
version v3 "echo web-v3 \$(cat /etc/version); $LOOP" \
	'[Unit]\nDescription=web says $GREETING\n[Service]\nRestart=on-failure\n'
version v4 "echo web-v4 \$(cat /etc/version); $LOOP"
skopeo copy -q "oci:$T/img/v3:latest" "docker-archive:$T/web-v3.tar:example.com/web:v3" 2>"$T/skopeo.err"
check "skopeo made a docker archive of v3 (offline, from the local layout)"
(cd "$T/img/v4" && tar --sort=name --mtime=@0 --owner=0 --group=0 -cf "$T/web-v4.oci.tar" oci-layout index.json blobs)
check "a tar of v4's layout (an OCI archive)"
# What keel-import on the build host says the docker archive's digest is.
mkdir -p "$T/hostcd"
"$SRCDIR/initramfs/import/keel-import" -q --no-check -n web --set GREETING=bonjour "$T/web-v3.tar" "$T/hostcd" 2>"$T/hostcd.err"
check "keel-import on the host reads the docker archive"
v3digest=$(jq -r .manifest "$T/hostcd/web/import.json")

start_keel --importer "$T/importer"
wait_for 'Startup finished' 15
check "started"
trap 'show_log_on_failure; cleanup' EXIT
pid_of() { ctl status "$1" | awk '/^pid:/ {print $2}'; }
po=$(pid_of kimother)
leftovers() { ls -A "$D" | grep -E '^\.web\.(import|imported|update)\.' || true; }

# ---- an OCI image layout directory ------------------------------------------
out=$(ctl update web "$T/img/v2" --set GREETING=bonjour --timeout 20 2>&1)
check "keelctl update web from an OCI layout directory"
echo "$out" | sed 's/^/# /'
like "$out" "^web: importing $T/img/v2 in the importer container" "it runs the importer"
like "$out" "^web: deployment 1 is ready: committed" "committed once ready"
like "$(ctl logs web | tail -n 1)" "web-v2 v2" "web runs v2's content"
is "$(jq -r .digest "$D/.deploy/web/1/deploy.json")" "$(manifest_of v2)" "deploy.json: the layout's manifest digest"
like "$(ctl status web)" "^digest: $(manifest_of v2)" "keelctl status shows it"
is "$(jq -c .settings "$D/.deploy/web/1/deploy.json")" '{"GREETING":"bonjour"}' "the --set value kept"
like "$(ctl status web)" "^description: web says bonjour" "and used (the image's service.template)"
is "$(jq -r .source "$D/.deploy/web/1/deploy.json")" "$T/img/v2" "deploy.json: the source"
is "$(leftovers)" "" "no work directory left in containers.d"
is "$(ls "$T/run" | grep -c keel-import)" 0 "no importer container left in the runtime's state"

# ---- a docker save archive ----------------------------------------------------
out=$(ctl update web "$T/web-v3.tar" --timeout 20 2>&1)
check "keelctl update web from a docker archive"
echo "$out" | sed 's/^/# /'
like "$(ctl logs web | tail -n 1)" "web-v3 v3" "web runs v3's content"
is "$(jq -r .digest "$D/.deploy/web/2/deploy.json")" "$v3digest" "deploy.json: the digest keel-import gives on the build host"
is "$(jq -c .settings "$D/.deploy/web/2/deploy.json")" '{"GREETING":"bonjour"}' "GREETING kept from the active deployment"
like "$(ctl status web)" "^description: web says bonjour" "and used again"

# ---- a tar of an OCI layout, --set changing a value -----------------------------
out=$(ctl update web "$T/web-v4.oci.tar" --set GREETING=hallo --timeout 20 2>&1)
check "keelctl update web from an OCI archive"
echo "$out" | sed 's/^/# /'
like "$(ctl logs web | tail -n 1)" "web-v4 v4" "web runs v4's content"
is "$(jq -r .digest "$D/.deploy/web/3/deploy.json")" "$(manifest_of v4)" "deploy.json: v4's manifest digest"
is "$(jq -c .settings "$D/.deploy/web/3/deploy.json")" '{"GREETING":"hallo"}' "--set changed the value"
is "$(pid_of kimother)" "$po" "kimother's pid unchanged"
is "$(leftovers)" "" "no work directory left"

# ---- keelctl rollback works on imported deployments as on copied ones -----------
out=$(ctl rollback web --timeout 20 2>&1)
check "keelctl rollback web"
like "$(ctl logs web | tail -n 1)" "web-v3 v3" "back to v3"


stop_keel
check "keel stopped"
done_testing
