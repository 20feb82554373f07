#!/bin/sh
# keel-import on `docker save` tarballs built here (no docker needed): the
# classic format converted with skopeo, Docker 25+'s OCI-layout format, tag
# selection, and corrupt members named precisely.
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/image.sh"

image_test /tmp/keel-image-docker jq umoci skopeo sha256sum gzip tar

fixture_base_layers "$t"
fixture_docker_archive "$t" "$t/web.tar" "example.com/team/web:1.2"
mkdir "$t/cd"

"$IMPORT" -q "docker-archive:$t/web.tar" "$t/cd"
check "imports a classic docker-archive"
r=$t/cd/web/rootfs
[ -d "$r" ]
check "the entry is named after the file"
is "$(cat "$r/keep.txt")" keep-v2 "layers applied in order"
[ ! -e "$r/gone.txt" ] && [ ! -e "$r/olddir" ]
check "whiteouts applied"
is "$(ls -A "$r/data" | tr '\n' ' ')" "c " "opaque directory applied"
is "$(find "$r" -name '.wh.*' | wc -l | tr -d ' ')" 0 "no whiteout file left"
c=$t/cd/web/config.json
is "$(jq -c .process.args "$c")" '["/bin/sh","-c","echo hello from $FOO"]' "process.args"
is "$(jq -c .process.user "$c")" '{"uid":1000,"gid":1000,"additionalGids":[10,29]}' "user resolved from the image"
is "$(jq -r .imageId "$t/cd/web/import.json")" "sha256:$(jq -r '.[0].Config' "$t/docker/manifest.json" | sed 's/\.json$//')" \
	"docker's image id (its config digest) is recorded"

"$IMPORT" -q -f --ref example.com/team/web:1.2 "$t/web.tar" "$t/cd"
check "--ref picks a RepoTag; a bare file path is a docker archive"
[ -f "$t/cd/web/config.json" ] || false
out=$("$IMPORT" -q --name other --ref web:latest "$t/web.tar" "$t/cd" 2>&1)
is "$out" "keel-import: error: the archive has no image tagged \`web:latest\`" "an unknown tag is refused"

# Corrupt members.
d2=$(jq -r '.[0].Layers[1]' "$t/docker/manifest.json")
cp -a "$t/docker" "$t/bad"
printf 'X' | dd of="$t/bad/$d2" bs=1 seek=700 conv=notrunc 2>/dev/null
tar -C "$t/bad" -cf "$t/bad.tar" .
out=$("$IMPORT" -q --name bad "$t/bad.tar" "$t/cd" 2>&1)
like "$out" "^keel-import: error: docker archive: layer 2/2 \`$d2\` is corrupt: its content hashes to sha256:[0-9a-f]{64}, config rootfs.diff_ids\\[1\\] says sha256:${d2%%/*}\$" \
	"a corrupt layer is named with what the config expects"
rm -rf "$t/bad"
cp -a "$t/docker" "$t/bad"
cfg=$(jq -r '.[0].Config' "$t/docker/manifest.json")
sed -i 's/"FOO=bar"/"FOO=baz"/' "$t/bad/$cfg"
tar -C "$t/bad" -cf "$t/bad.tar" .
out=$("$IMPORT" -q --name bad "$t/bad.tar" "$t/cd" 2>&1)
like "$out" "^keel-import: error: docker archive: config \`$cfg\` is corrupt: its content hashes to sha256:[0-9a-f]{64}\$" \
	"an edited config is caught by its name"
is "$(ls -A "$t/cd")" web "failed imports leave nothing behind"

# manifest.json's member names: strings of one line, named by JSON path.
for bad in '.[0].Config = 5' '.[0].Config = "a\nb.json"' '.[0].Layers = "x/layer.tar"' \
	'.[0].Layers = [.[0].Layers[0], null]' '.[0].Layers |= [.[0] + "\n" + .[1]]'; do
	n=$((${n:-0} + 1))
	rm -rf "$t/bad"
	cp -a "$t/docker" "$t/bad"
	jq -c "$bad" "$t/docker/manifest.json" >"$t/bad/manifest.json"
	tar -C "$t/bad" -cf "$t/bad.tar" .
	out=$("$IMPORT" -q --name bad "$t/bad.tar" "$t/cd" 2>&1)
	case $bad in
	*Config*) want="docker archive: manifest.json: \[0\].Config: expected the config's member name \(a string of one line\)" ;;
	*) want="docker archive: manifest.json: \[0\].Layers: expected an array of member names \(strings of one line\)" ;;
	esac
	like "$out" "^keel-import: error: $want\$" "bad member names $n/5 (Config 5, a Config of two lines, Layers a string, a null layer, two names in one): refused naming the JSON path"
done
rm -rf "$t/bad"
is "$(ls -A "$t/cd")" web "none of them was imported"

# Members are looked up inside the archive: docker's links between
# identical layers work, a link to a file of the build host does not.
d1=$(jq -r '.[0].Layers[0]' "$t/docker/manifest.json")
rm -rf "$t/bad"
cp -a "$t/docker" "$t/bad"
rm "$t/bad/$d2"
ln -s "$t/docker/$d2" "$t/bad/$d2"
tar -C "$t/bad" -cf "$t/bad.tar" .
out=$("$IMPORT" -q --name bad "$t/bad.tar" "$t/cd" 2>&1)
is "$out" "keel-import: error: docker archive: layer 2/2 \`$d2\` is missing" "a layer linked to a host file is not read"
rm -rf "$t/bad"
cp -a "$t/docker" "$t/bad"
mkdir "$t/bad/dup"
ln -s "../$d1" "$t/bad/dup/layer.tar"
cfg=$(jq -r '.[0].Config' "$t/docker/manifest.json")
jq -c '.rootfs.diff_ids = [.rootfs.diff_ids[0], .rootfs.diff_ids[0]]' "$t/bad/$cfg" >"$t/c"
c=$(sha256sum <"$t/c" | cut -d' ' -f1)
rm "$t/bad/$cfg"
mv "$t/c" "$t/bad/$c.json"
jq -c --arg c "$c.json" '.[0].Config = $c | .[0].Layers = [.[0].Layers[0], "dup/layer.tar"]' "$t/docker/manifest.json" >"$t/bad/manifest.json"
tar -C "$t/bad" -cf "$t/dup.tar" .
"$IMPORT" -q --name dup "$t/dup.tar" "$t/cd"
check "an archive whose identical layers are linked imports"
[ -f "$t/cd/dup/rootfs/gone.txt" ] && [ -x "$t/cd/dup/rootfs/bin/busybox" ]
check "... with its content"
rm -rf "$t/cd/dup"

# Docker 25+: the archive is an OCI layout with manifest.json beside it.
fixture_layer "$t/l1" "$t/L1.tar"
fixture_layer "$t/l2" "$t/L2.tar" gzip
fixture_oci_image "$t/d25" latest "$t/cfg.json" "$t/L1.tar" "$t/L2.tar:gzip"
m=$(jq -r '.manifests[0].digest' "$t/d25/index.json")
jq '.manifests[0].annotations["io.containerd.image.name"] = "docker.io/library/app:3"' "$t/d25/index.json" >"$t/i" && mv "$t/i" "$t/d25/index.json"
jq -n --arg c "blobs/sha256/$(jq -r .config.digest "$t/d25/blobs/sha256/${m#sha256:}" | cut -c8-)" \
	--argjson l "$(jq -c '[.layers[].digest | "blobs/sha256/" + .[7:]]' "$t/d25/blobs/sha256/${m#sha256:}")" \
	'[{Config: $c, RepoTags: ["app:3"], Layers: $l}]' >"$t/d25/manifest.json"
tar -C "$t/d25" -cf "$t/app.tar" .
"$IMPORT" -q --ref app:3 "$t/app.tar" "$t/cd"
check "imports a Docker 25+ archive (an OCI layout inside)"
is "$(cat "$t/cd/app/rootfs/keep.txt")" keep-v2 "its layers are applied"
is "$(jq -r .manifest "$t/cd/app/import.json")" "$m" "its manifest digest is recorded"

done_testing
