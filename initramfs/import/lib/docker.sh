# keel-import: docker-archive tarballs (`docker save`).  Two generations
# exist: the classic one (manifest.json naming a config HEX.json and layer
# tars ID/layer.tar, with digests only inside the config's rootfs.diff_ids)
# and Docker 25+'s, which is an OCI image layout plus the same manifest.json.
# The archive is unpacked into $work/archive and verified here; the classic
# kind is then converted to an OCI layout (docker_convert).  A tarred OCI layout
# (skopeo's oci-archive) is taken here too.  Sourced.
# shellcheck disable=SC3043 # local: see common.sh

# docker_pick ARCHIVE_DIR REF: index (0-based) of the chosen image in
# manifest.json: the one whose RepoTags has REF, else the only one.
docker_pick() {
	jqx -r --arg ref "$2" '
		if type != "array" or length == 0 then error("manifest.json of the archive lists no images") else . end
		| if $ref != "" then
			([to_entries[] | select((.value.RepoTags // []) | index($ref)) | .key]
			 | if length == 0 then error("the archive has no image tagged `\($ref)`") else .[0] end)
		  elif length == 1 then 0
		  else error("the archive holds \(length) images: choose one with --ref (tags: \([.[].RepoTags // [] | .[]] | join(", ")))")
		  end' "$1/manifest.json"
}

# docker_verify ARCHIVE_DIR INDEX: the config file and each layer against
# what the archive records (file names that are digests, and diff_ids).
docker_verify() {
	a=$1
	# The member names, read line by line below: strings, one line each
	# (a name with a newline would be read as two).
	jq -e --argjson i "$2" '.[$i].Config | type == "string" and (contains("\n") | not)' "$a/manifest.json" >/dev/null 2>&1 ||
		die "docker archive: manifest.json: [$2].Config: expected the config's member name (a string of one line)"
	jq -e --argjson i "$2" '.[$i].Layers | type == "array" and all(type == "string" and (contains("\n") | not))' "$a/manifest.json" >/dev/null 2>&1 ||
		die "docker archive: manifest.json: [$2].Layers: expected an array of member names (strings of one line)"
	cfg=$(jq -r --argjson i "$2" '.[$i].Config' "$a/manifest.json")
	safe_member "$cfg"
	cf=$(member "$a" "$cfg")
	[ -f "$cf" ] || die "docker archive: config \`$cfg\` named by manifest.json is missing"
	file_named_digest "$cf" "$cfg" "config"
	jq -e '(.rootfs.diff_ids | type) == "array"' "$cf" >/dev/null 2>&1 ||
		die "docker archive: config \`$cfg\` has no rootfs.diff_ids array"
	jq -r --argjson i "$2" '.[$i].Layers[]' "$a/manifest.json" >"$work/dlayers"
	n=$(wc -l <"$work/dlayers")
	nd=$(jq '.rootfs.diff_ids | length' "$cf")
	[ "$n" = "$nd" ] || die "docker archive: manifest.json lists $n layers but config \`$cfg\` has $nd rootfs.diff_ids"
	i=0 layers_total=0
	while read -r l; do
		i=$((i + 1))
		safe_member "$l"
		lf=$(member "$a" "$l")
		[ -f "$lf" ] || die "docker archive: layer $i/$n \`$l\` is missing"
		file_named_digest "$lf" "$l" "layer $i/$n"
		want=$(jq -r --argjson i $((i - 1)) '.rootfs.diff_ids[$i]' "$cf")
		got=$(uncompressed_digest "$lf" "") || die "docker archive: layer $i/$n \`$l\` cannot be decompressed"
		layer_bytes "docker archive: layer $i/$n \`$l\`"
		[ "$got" = "$want" ] ||
			die "docker archive: layer $i/$n \`$l\` is corrupt: its content hashes to $got, config rootfs.diff_ids[$((i - 1))] says $want"
	done <"$work/dlayers"
	# Docker's image id (docker_convert keeps the config's bytes: its digest too).
	docker_image_id=sha256:$(sha256sum <"$cf" | cut -d' ' -f1)
}

# member ARCHIVE_DIR NAME: where a member's content is, its symlinks (docker
# save links identical layers: ID/layer.tar -> ../ID2/layer.tar) followed
# inside the archive, never to a file of the build host.
member() {
	resolve_in_rootfs "$1" "/$2" || die "docker archive: \`$2\`: too many levels of symlinks"
}

# A member name from manifest.json must stay inside the archive.
safe_member() {
	case /$1/ in
	*/../* | //*) die "docker archive: refusing member name \`$1\`" ;;
	esac
}

# file_named_digest FILE NAME ROLE: when NAME is itself a digest (HEX.json,
# HEX/layer.tar is not, blobs/sha256/HEX is), the content must match it.
file_named_digest() {
	local base hex sum
	base=${2##*/}
	hex=${base%.json}
	case $2 in
	blobs/sha256/*) ;;
	*.json) ;;
	*) return 0 ;;
	esac
	case $hex in *[!0-9a-f]*) return 0 ;; esac
	[ ${#hex} = 64 ] || return 0
	sum=$(sha256sum <"$1" | cut -d' ' -f1)
	[ "$sum" = "$hex" ] || die "docker archive: $3 \`$2\` is corrupt: its content hashes to sha256:$sum"
}

# docker_import FILE REF: sets `layout` and `ref` to an OCI layout holding
# the verified image.
docker_import() {
	[ -f "$1" ] || die "archive \`$1\` is not a file"
	mkdir "$work/archive" || die "cannot create $work/archive"
	tar -xf "$1" -C "$work/archive" --no-same-owner 2>"$work/tar.err" ||
		die "archive \`$1\` cannot be read: $(head -n1 "$work/tar.err")"
	for f in manifest.json index.json oci-layout; do
		not_a_link "$work/archive/$f" "the archive's $f"
	done
	if [ ! -f "$work/archive/manifest.json" ] && [ -f "$work/archive/oci-layout" ]; then
		# An oci-archive: a tarred OCI layout, selected by --ref as a layout is.
		layout=$work/archive
		return 0
	fi
	[ -f "$work/archive/manifest.json" ] ||
		die "\`$1\` is neither a docker archive (no manifest.json) nor an OCI archive (no oci-layout)"
	idx=$(docker_pick "$work/archive" "$2") || exit 1
	if [ -f "$work/archive/oci-layout" ] && [ -f "$work/archive/index.json" ]; then
		# Docker 25+: the archive is an OCI layout; its manifest.json names the blobs.
		layout=$work/archive
		mref=$(jq -r --argjson i "$idx" '.[$i].RepoTags[0] // empty' "$layout/manifest.json")
		ref=
		if [ -n "$mref" ] && jq -e --arg r "$mref" \
			'[.manifests[] | select(.annotations["io.containerd.image.name"] == $r or .annotations["org.opencontainers.image.ref.name"] == $r)] | length > 0' \
			"$layout/index.json" >/dev/null 2>&1; then
			# Name the entry in a private index so oci_resolve can select it.
			jq --arg r "$mref" '.manifests |= map(select(.annotations["io.containerd.image.name"] == $r or .annotations["org.opencontainers.image.ref.name"] == $r) | .annotations["org.opencontainers.image.ref.name"] = "keel")' \
				"$layout/index.json" >"$work/index.json" && mv "$work/index.json" "$layout/index.json"
			ref=keel
		fi
		return 0
	fi
	docker_verify "$work/archive" "$idx"
	docker_convert "$work/archive" "$idx" "$work/converted"
	layout=$work/converted ref=keel
}

# docker_convert ARCHIVE_DIR INDEX LAYOUT: the verified classic image as an
# OCI layout, in jq rather than with skopeo (16 MB and its libraries, which
# the node's importer image would have to carry): the config's bytes as
# the config blob (its digest is then the docker image id), each layer
# file as it is (tar, or tar+gzip when it starts with gzip's magic), and a
# manifest naming them.  The same conversion on the build host and on the
# node: the same manifest digest for the same archive.
docker_convert() {
	local cf cfg l lf mt d s layers config
	mkdir -p "$3/blobs/sha256" || die "cannot create $3"
	printf '{"imageLayoutVersion":"1.0.0"}\n' >"$3/oci-layout"
	cfg=$(jq -r --argjson i "$2" '.[$i].Config' "$1/manifest.json")
	cf=$(member "$1" "$cfg")
	d=$(sha256sum <"$cf" | cut -d' ' -f1) s=$(stat -c %s "$cf")
	[ -e "$3/blobs/sha256/$d" ] || link_or_copy "$cf" "$3/blobs/sha256/$d"
	config="{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$d\",\"size\":$s}"
	layers=
	while read -r l; do
		lf=$(member "$1" "$l")
		case $(od -An -tx1 -N2 "$lf" | tr -d ' \n') in
		1f8b) mt=application/vnd.oci.image.layer.v1.tar+gzip ;;
		*) mt=application/vnd.oci.image.layer.v1.tar ;;
		esac
		d=$(sha256sum <"$lf" | cut -d' ' -f1) s=$(stat -c %s "$lf")
		[ -e "$3/blobs/sha256/$d" ] || link_or_copy "$lf" "$3/blobs/sha256/$d"
		layers="$layers${layers:+,}{\"mediaType\":\"$mt\",\"digest\":\"sha256:$d\",\"size\":$s}"
	done <"$work/dlayers"
	jq -c -n --argjson c "$config" --argjson l "[$layers]" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: $c, layers: $l}' \
		>"$3/manifest.tmp" || die "cannot write the converted manifest"
	d=$(sha256sum <"$3/manifest.tmp" | cut -d' ' -f1) s=$(stat -c %s "$3/manifest.tmp")
	mv "$3/manifest.tmp" "$3/blobs/sha256/$d" || die "cannot write the converted manifest"
	jq -c -n --arg d "sha256:$d" --argjson s "$s" \
		'{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
		  digest: $d, size: $s, annotations: {"org.opencontainers.image.ref.name": "keel"}}]}' \
		>"$3/index.json" || die "cannot write the converted index"
}
