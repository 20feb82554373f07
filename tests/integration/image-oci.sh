#!/bin/sh
# keel-import on an OCI image layout built here from busybox-static: layers
# with whiteouts and an opaque directory, digest verification, config.json
# and keel.json fields, name/ref selection and every refusal's message.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/image.sh"

image_test /tmp/keel-image-oci jq umoci sha256sum gzip tar

fixture_base_layers "$t"
fixture_oci_image "$t/img" latest "$t/cfg.json" "$t/L1.tar" "$t/L2.tar:gzip"
mkdir "$t/cd"

out=$("$IMPORT" -q --name web "$t/img" "$t/cd" 2>&1)
check "imports an OCI layout"
is "$out" "" "quiet import prints nothing"
r=$t/cd/web/rootfs

# Layers in order, whiteouts applied.
[ -x "$r/bin/busybox" ] && [ -L "$r/bin/sh" ]
check "layer 1: busybox and its links"
is "$(cat "$r/keep.txt")" "keep-v2" "layer 2 replaces keep.txt"
[ ! -e "$r/gone.txt" ]
check "whiteout .wh.gone.txt removes gone.txt"
[ ! -e "$r/olddir" ]
check "whiteout .wh.olddir removes the whole directory"
is "$(ls -A "$r/data" | tr '\n' ' ')" "c " "opaque data/ hides layer 1's a and b"
is "$(find "$r" -name '.wh.*' | wc -l | tr -d ' ')" "0" "no whiteout file is left in the rootfs"
is "$(cat "$r/srv/www/index.html")" "hello from keel" "layer 1 content kept"

# config.json.
c=$t/cd/web/config.json
j() { jq -c "$1" "$c"; }
is "$(j .process.args)" '["/bin/sh","-c","echo hello from $FOO"]' "Entrypoint + Cmd -> process.args"
is "$(j .process.env)" '["PATH=/bin","FOO=bar","HOME=/home/app"]' "Env kept, HOME from passwd, no TERM"
is "$(j .process.cwd)" '"/srv"' "WorkingDir -> cwd"
is "$(j .process.user)" '{"uid":1000,"gid":1000,"additionalGids":[10,29]}' "User app -> uid/gid and groups from /etc/passwd and /etc/group"
is "$(j .process.terminal)" false "no terminal"
is "$(j '.process.capabilities | keys')" '["bounding","effective","permitted"]' "runc's default capability sets, no inheritable (CVE-2022-29162) and so no ambient"
is "$(j .process.capabilities.bounding)" '["CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]' "runc's default capabilities"
is "$(j .root)" '{"path":"rootfs","readonly":true}' "read-only rootfs"
is "$(j .hostname)" '"web"' "hostname is the entry name"
is "$(j '[.linux.namespaces[].type]')" '["cgroup","ipc","mount","network","pid","uts"]' "namespaces"
is "$(j '[.mounts[].destination]')" '["/proc","/dev","/dev/pts","/dev/shm","/dev/mqueue","/sys","/sys/fs/cgroup","/cache","/var/data"]' "default mounts then the image's volumes"
is "$(j '.mounts[] | select(.destination == "/var/data") | [.type, .source, .options]')" '["tmpfs","none",["rw","nosuid","nodev","noexec","relatime"]]' "a volume is a tmpfs"
is "$(j '.mounts[] | select(.destination == "/cache") | .options')" '["rw","nosuid","nodev","noexec","relatime","mode=0750","uid=1000","gid=1000"]' \
	"a volume's tmpfs takes the mode and owner of the image's directory"
[ -d "$r/var/data" ] && [ -d "$r/cache" ]
check "volume mount points exist in the read-only rootfs"
is "$(j '.annotations["org.opencontainers.image.exposedPorts"]')" '"53/udp,8080/tcp"' "ExposedPorts noted as an annotation"
is "$(j '.annotations["org.example.role"]')" '"test"' "labels become annotations"
is "$(j '.linux.maskedPaths | index("/proc/keys") != null')" true "runc's masked paths"

# keel.json.
is "$(jq -c . "$t/cd/web/keel.json")" '{"description":"image img (manifest '"$(jq -r '.manifests[0].digest' "$t/img/index.json" | cut -c1-19)"')","kind":"service","restart":{"policy":"on-failure"},"readiness":"started","stop":{"signal":"SIGQUIT"}}' \
	"default policy: a service restarted on failure, StopSignal kept, a description for keelctl status"
is "$(jq -r .manifest "$t/cd/web/import.json")" "$(jq -r '.manifests[0].digest' "$t/img/index.json")" "import.json records the manifest digest"
is "$(ls -A "$t/cd")" "web" "nothing else is left in containers.d"

# The same layout as a tarball (skopeo's oci-archive).
tar -C "$t/img" -cf "$t/img.tar" .
"$IMPORT" -q --name arch "$t/img.tar" "$t/cd"
check "a tarred OCI layout imports"
is "$(jq -r .manifest "$t/cd/arch/import.json")" "$(jq -r '.manifests[0].digest' "$t/img/index.json")" "... the same manifest"
"$IMPORT" -q -f --name arch --ref latest "oci-archive:$t/img.tar" "$t/cd"
check "oci-archive: prefix and --ref"
rm -rf "$t/cd/arch"

# Options: --volume, --writable, --force, names from --ref.
out=$("$IMPORT" -q --name web "$t/img" "$t/cd" 2>&1)
is "$out" "keel-import: error: $t/cd/web already exists (use --force to replace it)" "an existing entry is kept without --force"
"$IMPORT" -q -f --name web --writable -v /var/data=/srv/data -v /extra=/mnt/extra "$t/img" "$t/cd"
check "--force replaces the entry"
is "$(j .root.readonly)" false "--writable"
is "$(j '.mounts[] | select(.destination == "/var/data")')" '{"destination":"/var/data","type":"bind","source":"/srv/data","options":["rbind","rw","nosuid","nodev"]}' "--volume turns a volume into a bind mount"
is "$(j '.mounts[-1].destination')" '"/extra"' "--volume adds a bind mount elsewhere"
"$IMPORT" -q --ref latest "$t/img" "$t/cd"
check "--ref selects by org.opencontainers.image.ref.name"
[ -f "$t/cd/img/config.json" ]
check "a bare tag does not name the entry: the layout's directory does"
# keel's one name rule (lib/name.h, checked against this shell copy by
# name-rule.sh): up to 128 characters; the hostname keeps the first 64,
# all sethostname(2) takes.
long=$(printf '%100s' '' | tr ' ' n)
"$IMPORT" -q --name "$long" "$t/img" "$t/cd"
check "a 100-character name imports"
is "$(jq -r .hostname "$t/cd/$long/config.json")" "$(printf '%64s' '' | tr ' ' n)" \
	"its hostname is the name's first 64 characters"
rm -rf "${t:?}/cd/$long"
out=$("$IMPORT" -q --name "$(printf '%129s' '' | tr ' ' n)" "$t/img" "$t/cd" 2>&1)
like "$out" "is not a valid entry name \\(\\[A-Za-z0-9_\\+\\.-\\], at most 128, not starting with \\. or -\\)" \
	"a 129-character name is refused with the rule"
out=$("$IMPORT" -q --name v2 --ref v2 "$t/img" "$t/cd" 2>&1)
is "$out" "keel-import: error: $t/img/index.json has no image named \`v2\` (it has: latest)" "an unknown ref is refused, naming those present"

# A multi-platform image: index.json -> an image index -> one manifest per
# platform; this machine's (linux/amd64 here) is chosen.
fixture_layer "$t/l1" "$t/L1.tar"
fixture_oci_image "$t/multi" amd "$t/cfg.json" "$t/L1.tar"
amd=$(jq -c '.manifests[0] | del(.annotations)' "$t/multi/index.json")
jq '.config.Cmd = ["arm"]' "$t/cfg.json" >"$t/cfga.json"
fixture_layer "$t/l1" "$t/L1.tar"
mkdir "$t/multi-arm"
fixture_oci_image "$t/multi-arm" arm "$t/cfga.json" "$t/L1.tar"
cp -n "$t"/multi-arm/blobs/sha256/* "$t/multi/blobs/sha256/"
arm=$(jq -c '.manifests[0] | del(.annotations)' "$t/multi-arm/index.json")
jq -n -c --argjson a "$amd" --argjson r "$arm" '{schemaVersion: 2,
	mediaType: "application/vnd.oci.image.index.v1+json",
	manifests: [($r + {platform: {os: "linux", architecture: "arm64"}}),
		($a + {platform: {os: "linux", architecture: "amd64"}})]}' >"$t/idx"
set -- $(fixture_blob "$t/multi" "$t/idx")
jq -n -c --arg d "$1" --argjson s "$2" '{schemaVersion: 2, manifests: [{
	mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $s,
	annotations: {"org.opencontainers.image.ref.name": "multi:1"}}]}' >"$t/multi/index.json"
if [ "$(uname -m)" = x86_64 ]; then
	"$IMPORT" -q "$t/multi" "$t/cd"
	check "a nested image index is followed"
	is "$(jq -r .manifest "$t/cd/multi/import.json")" "$(printf '%s' "$amd" | jq -r .digest)" "this machine's platform (linux/amd64) is chosen"
	is "$(jq -c .process.args "$t/cd/multi/config.json")" '["/bin/sh","-c","echo hello from $FOO"]' "... with its own config"
	rm -rf "$t/cd/multi"
else
	skip "a nested image index is followed" "the fixture's platforms are amd64 and arm64 only"
fi

# A user that the image does not have.
jq '.config.User = "nobody:wheel"' "$t/cfg.json" >"$t/cfg2.json"
fixture_layer "$t/l1" "$t/L1.tar"
fixture_oci_image "$t/img2" latest "$t/cfg2.json" "$t/L1.tar"
out=$("$IMPORT" -q --name u "$t/img2" "$t/cd" 2>&1)
is "$out" "keel-import: error: image config User \`nobody:wheel\`: no user \`nobody\` in the image's /etc/passwd" \
	"an unknown user name is an error naming it"
jq '.config.User = "app:nogroup"' "$t/cfg.json" >"$t/cfg2.json"
rm -rf "$t/img2"
fixture_layer "$t/l1" "$t/L1.tar"
fixture_oci_image "$t/img2" latest "$t/cfg2.json" "$t/L1.tar"
out=$("$IMPORT" -q --name u "$t/img2" "$t/cd" 2>&1)
is "$out" "keel-import: error: image config User \`app:nogroup\`: no group \`nogroup\` in the image's /etc/group" \
	"an unknown group name is an error naming it"
jq '.config.User = "4242:29"' "$t/cfg.json" >"$t/cfg2.json"
fixture_layer "$t/l1" "$t/L1.tar"
rm -rf "$t/img2"
fixture_oci_image "$t/img2" latest "$t/cfg2.json" "$t/L1.tar"
"$IMPORT" -q --name u "$t/img2" "$t/cd"
is "$(jq -c .process.user "$t/cd/u/config.json")" '{"uid":4242,"gid":29}' "numeric uid:gid taken as is"

# The image's /etc/passwd is looked up inside the image: an absolute
# symlink to a host file is not followed out of it, while links within the
# image are (here /etc -> usr/etc, /usr/etc/passwd -> /usr/lib/passwd).
echo "evil:x:4242:4242::/:/bin/sh" >"$t/host-passwd"
rm -rf "$t/sym"
mkdir -p "$t/sym/etc" "$t/sym/bin"
ln -s "$t/host-passwd" "$t/sym/etc/passwd"
fixture_layer "$t/sym" "$t/S.tar"
jq '.config.User = "evil" | .config.Volumes = {}' "$t/cfg.json" >"$t/cfgs.json"
fixture_oci_image "$t/imgs" latest "$t/cfgs.json" "$t/S.tar"
out=$("$IMPORT" -q --name s "$t/imgs" "$t/cd" 2>&1)
is "$out" "keel-import: error: image config User \`evil\`: no user \`evil\` in the image's /etc/passwd" \
	"an /etc/passwd symlink to a host file is not followed out of the image"
rm -rf "$t/sym" "$t/imgs"
mkdir -p "$t/sym/usr/etc" "$t/sym/usr/lib" "$t/sym/bin"
ln -s usr/etc "$t/sym/etc"
ln -s /usr/lib/passwd "$t/sym/usr/etc/passwd"
echo "evil:x:4343:4344::/home/evil:/bin/sh" >"$t/sym/usr/lib/passwd"
fixture_layer "$t/sym" "$t/S.tar"
fixture_oci_image "$t/imgs" latest "$t/cfgs.json" "$t/S.tar"
"$IMPORT" -q --name s "$t/imgs" "$t/cd"
is "$(jq -c .process.user "$t/cd/s/config.json")" '{"uid":4343,"gid":4344}' "symlinks inside the image are followed inside it"
rm -rf "$t/cd/s"

# Nothing to run.
jq '.config |= del(.Entrypoint, .Cmd)' "$t/cfg.json" >"$t/cfgn.json"
fixture_layer "$t/l1" "$t/L1.tar"
fixture_oci_image "$t/imgn" latest "$t/cfgn.json" "$t/L1.tar"
cn=$(jq -r .config.digest "$t/imgn/blobs/sha256/$(jq -r '.manifests[0].digest' "$t/imgn/index.json" | cut -c8-)")
out=$("$IMPORT" -q --name n "$t/imgn" "$t/cd" 2>&1)
is "$out" "keel-import: error: image config $cn has neither Entrypoint nor Cmd: nothing to run" \
	"an image with nothing to run is refused (umoci would run sh)"

# A volume under a symlink that points out of the image: the mount point
# is not created through it (the runtime resolves it inside the rootfs).
mkdir -p "$t/esc/bin" "$t/escape"
ln -s "$t/escape" "$t/esc/lnk"
fixture_layer "$t/esc" "$t/E.tar"
jq '.config.Volumes = {"/lnk/sub": {}} | .config.User = "0"' "$t/cfg.json" >"$t/cfge.json"
fixture_oci_image "$t/imge" latest "$t/cfge.json" "$t/E.tar"
"$IMPORT" -q --name esc "$t/imge" "$t/cd"
check "an image with a volume under an escaping symlink imports"
[ ! -e "$t/escape/sub" ]
check "... and nothing is created outside its rootfs"
rm -rf "$t/cd/esc"

# Corruption: every kind names the blob and its role; nothing is written.
manifest=$(jq -r '.manifests[0].digest' "$t/img/index.json")
layer2=$(jq -r '.layers[1].digest' "$t/img/blobs/sha256/${manifest#sha256:}")
config=$(jq -r '.config.digest' "$t/img/blobs/sha256/${manifest#sha256:}")
corrupt() { # corrupt NAME: a copy of the layout; the caller breaks a blob
	rm -rf "${t:?}/$1"
	cp -a "$t/img" "$t/$1"
}
corrupt bad1
b=$t/bad1/blobs/sha256/${layer2#sha256:}
printf 'X' | dd of="$b" bs=1 seek=100 conv=notrunc 2>/dev/null
out=$("$IMPORT" -q --name bad "$t/bad1" "$t/cd" 2>&1)
like "$out" "^keel-import: error: blob $layer2 \\(layer 2/2 of manifest $manifest\\) is corrupt: its content hashes to sha256:[0-9a-f]{64}: $b\$" \
	"a flipped byte in a layer is named precisely"
is "$(ls -A "$t/cd" | tr '\n' ' ')" "img u web " "a failed import leaves nothing behind"
corrupt bad2
echo more >>"$t/bad2/blobs/sha256/${config#sha256:}"
out=$("$IMPORT" -q --name bad "$t/bad2" "$t/cd" 2>&1)
like "$out" "^keel-import: error: blob $config \\(config of manifest $manifest\\) has [0-9]+ bytes, its descriptor says [0-9]+: " \
	"a config of the wrong size is named"
corrupt bad3
rm "$t/bad3/blobs/sha256/${layer2#sha256:}"
out=$("$IMPORT" -q --name bad "$t/bad3" "$t/cd" 2>&1)
is "$out" "keel-import: error: blob $layer2 (layer 2/2 of manifest $manifest) is missing: no file $t/bad3/blobs/sha256/${layer2#sha256:}" \
	"a missing layer is named"
# A layer whose blob is intact but whose content is not what the config's
# diff_ids promise (the image was assembled wrongly).
rm -rf "$t/bad4"
jq -c '.' "$t/cfg.json" >"$t/cfg4.json"
fixture_layer "$t/l1" "$t/L1.tar"
fixture_oci_image "$t/bad4" latest "$t/cfg4.json" "$t/L1.tar"
m4=$(jq -r '.manifests[0].digest' "$t/bad4/index.json")
c4=$(jq -r .config.digest "$t/bad4/blobs/sha256/${m4#sha256:}")
jq -c '.rootfs.diff_ids[0] = "sha256:'"$(printf '%064d' 0)"'"' "$t/bad4/blobs/sha256/${c4#sha256:}" >"$t/c4"
c4n=$(sha256sum <"$t/c4" | cut -d' ' -f1)
mv "$t/c4" "$t/bad4/blobs/sha256/$c4n"
jq -c --arg d "sha256:$c4n" --argjson s "$(stat -c %s "$t/bad4/blobs/sha256/$c4n")" '.config.digest = $d | .config.size = $s' \
	"$t/bad4/blobs/sha256/${m4#sha256:}" >"$t/m4"
m4n=$(sha256sum <"$t/m4" | cut -d' ' -f1)
mv "$t/m4" "$t/bad4/blobs/sha256/$m4n"
jq -c --arg d "sha256:$m4n" --argjson s "$(stat -c %s "$t/bad4/blobs/sha256/$m4n")" '.manifests[0].digest = $d | .manifests[0].size = $s' \
	"$t/bad4/index.json" >"$t/i4" && mv "$t/i4" "$t/bad4/index.json"
l4=$(jq -r '.layers[0].digest' "$t/bad4/blobs/sha256/$m4n")
out=$("$IMPORT" -q --name bad "$t/bad4" "$t/cd" 2>&1)
is "$out" "keel-import: error: blob $l4 (layer 1/1 of manifest sha256:$m4n): its uncompressed content hashes to $l4, config rootfs.diff_ids[0] says sha256:$(printf '%064d' 0)" \
	"a layer that is not the config's diff_id is named"
corrupt bad5
jq '.manifests[0].digest = "sha256:../../../etc/passwd"' "$t/img/index.json" >"$t/bad5/index.json"
out=$("$IMPORT" -q --name bad "$t/bad5" "$t/cd" 2>&1)
is "$out" "keel-import: error: manifest of image in $t/bad5: malformed digest \`sha256:../../../etc/passwd\`" \
	"a digest is never used as a path before it is validated"
is "$(ls -A "$t/cd" | tr '\n' ' ')" "img u web " "failed imports leave nothing behind"

done_testing
