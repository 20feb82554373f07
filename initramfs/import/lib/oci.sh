# keel-import: OCI image layouts (image-spec image-layout.md): pick one image
# manifest, verify every blob it reaches against its descriptor (size and
# digest) and the layers against the config's rootfs.diff_ids, then stage a
# minimal layout holding exactly that image for umoci.  Sourced; uses $work.
# shellcheck disable=SC3043 # local: see common.sh

MT_INDEX=application/vnd.oci.image.index.v1+json
MT_MANIFEST=application/vnd.oci.image.manifest.v1+json
MT_DOCKER_LIST=application/vnd.docker.distribution.manifest.list.v2+json
MT_DOCKER_MANIFEST=application/vnd.docker.distribution.manifest.v2+json

# The GOARCH spelling of this machine's architecture (image-spec platform).
host_goarch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	armv7l | armv6l) echo arm ;;
	i?86) echo 386 ;;
	ppc64le) echo ppc64le ;;
	s390x) echo s390x ;;
	riscv64) echo riscv64 ;;
	*) uname -m ;;
	esac
}

# blob_file LAYOUT DIGEST ROLE: the blob's path; dies on a malformed digest
# (a digest is also a path component, so it is checked before any use).
blob_file() {
	local alg hex len
	alg=${2%%:*} hex=${2#*:}
	case $alg in
	sha256) len=64 ;;
	sha512) len=128 ;;
	*) die "$3: unsupported digest algorithm in \`$2\` (sha256 and sha512 are supported)" ;;
	esac
	case $hex in *[!0-9a-f]*) die "$3: malformed digest \`$2\`" ;; esac
	[ ${#hex} = "$len" ] || die "$3: malformed digest \`$2\` (want $len hex digits)"
	echo "$1/blobs/$alg/$hex"
}

# verify_blob LAYOUT DIGEST SIZE ROLE: the blob exists, has SIZE bytes and
# hashes to DIGEST; every failure names the blob and what it was for.
verify_blob() {
	local bf actual sum
	bf=$(blob_file "$1" "$2" "$4") || exit 1
	[ -f "$bf" ] || die "blob $2 ($4) is missing: no file $bf"
	actual=$(stat -c %s "$bf") || die "cannot stat $bf"
	[ "$actual" = "$3" ] || die "blob $2 ($4) has $actual bytes, its descriptor says $3: $bf"
	sum=$("${2%%:*}sum" <"$bf" | cut -d' ' -f1)
	[ "${2%%:*}:$sum" = "$2" ] ||
		die "blob $2 ($4) is corrupt: its content hashes to ${2%%:*}:$sum: $bf"
}

# uncompressed_digest FILE MEDIATYPE: sha256 of the layer's tar stream; its
# length in bytes goes to $work/ulen (layer_bytes adds them up).
uncompressed_digest() {
	local dec s
	case $2 in
	*+gzip | *.tar.gzip) dec='gzip -dc' ;;
	*+zstd) dec='zstd -dcq' ;;
	*.tar) dec='cat' ;;
	*) dec= ;;
	esac
	if [ -z "$dec" ]; then
		# No media type (docker-archive): sniff the magic bytes.
		case $(od -An -tx1 -N4 "$1" | tr -d ' \n') in
		1f8b*) dec='gzip -dc' ;;
		28b52ffd) dec='zstd -dcq' ;;
		*) dec='cat' ;;
		esac
	fi
	rm -f "$work/ulen.fifo" "$work/ulen"
	mkfifo "$work/ulen.fifo" || return 1
	wc -c <"$work/ulen.fifo" >"$work/ulen" &
	s=$($dec <"$1" | tee "$work/ulen.fifo" | sha256sum | cut -d' ' -f1) || return 1
	wait $! || return 1
	echo "sha256:$s"
}

# layer_bytes ROLE: add the layer just hashed to $layers_total and refuse
# an image whose layers unpack to more than $KEEL_IMPORT_MAX_BYTES (the
# importer's limit on a node, keel-mkimage --importer-max-size; unset or 0:
# none): a tar stream is at least as large as the files it makes, so a
# layer that would fill the disk is refused before anything is unpacked.
layer_bytes() {
	local b
	b=$(cat "$work/ulen" 2>/dev/null) || b=0
	layers_total=$((${layers_total:-0} + b))
	if [ "${KEEL_IMPORT_MAX_BYTES:-0}" -gt 0 ] && [ "$layers_total" -gt "$KEEL_IMPORT_MAX_BYTES" ]; then
		die "$1: the layers unpack to more than $KEEL_IMPORT_MAX_BYTES bytes ($layers_total so far), the most an import may write here"
	fi
}

# oci_pick_descriptor LAYOUT INDEXFILE REF WHERE: print the chosen
# descriptor (compact JSON) of an index: by ref name when REF is set, else
# the only entry, else the one for linux/$(host_goarch).
oci_pick_descriptor() {
	jqx -c --arg ref "$3" --arg arch "$(host_goarch)" --arg where "$4" '
		(.manifests // []) as $m
		| if ($m | length) == 0 then error("\($where) lists no manifests") else . end
		| if $ref != "" then
			([$m[] | select(.annotations["org.opencontainers.image.ref.name"] == $ref)]
			 | if length == 0 then
				error("\($where) has no image named `\($ref)` (it has: \([$m[] | .annotations["org.opencontainers.image.ref.name"] // empty] | join(", ")))")
			   else .[0] end)
		  elif ($m | length) == 1 then $m[0]
		  else
			([$m[] | select((.platform // {}) | .os == "linux" and .architecture == $arch)]
			 | if length >= 1 then .[0]
			   else error("\($where) holds \($m | length) images and none is linux/\($arch): choose one with --ref (names: \([$m[] | .annotations["org.opencontainers.image.ref.name"] // empty] | join(", ")))")
			   end)
		  end' "$2"
}

# oci_resolve LAYOUT REF: sets manifest_digest, manifest_size, config_digest,
# config_file, and writes $work/layers (one "digest size mediatype" a line)
# after verifying every blob of the chosen image.
oci_resolve() {
	layout=$1 ref=$2
	[ -f "$layout/oci-layout" ] || die "$layout is not an OCI image layout: no oci-layout file"
	jq -e '.imageLayoutVersion == "1.0.0"' "$layout/oci-layout" >/dev/null 2>&1 ||
		die "$layout/oci-layout: imageLayoutVersion is not \"1.0.0\""
	[ -f "$layout/index.json" ] || die "$layout is not an OCI image layout: no index.json"
	jq -e 'type == "object"' "$layout/index.json" >/dev/null 2>&1 || die "$layout/index.json is not a JSON object"
	desc=$(oci_pick_descriptor "$layout" "$layout/index.json" "$ref" "$layout/index.json") || exit 1
	where="image ${ref:-in $layout}"
	depth=0
	while :; do
		d=$(printf '%s' "$desc" | jq -r .digest) s=$(printf '%s' "$desc" | jq -r .size)
		mt=$(printf '%s' "$desc" | jq -r '.mediaType // empty')
		verify_blob "$layout" "$d" "$s" "manifest of $where"
		f=$(blob_file "$layout" "$d" "$where")
		[ -n "$mt" ] || mt=$(jq -r '.mediaType // empty' "$f")
		case $mt in
		"$MT_INDEX" | "$MT_DOCKER_LIST")
			depth=$((depth + 1))
			[ $depth -le 4 ] || die "$where: image indexes nested deeper than 4"
			desc=$(oci_pick_descriptor "$layout" "$f" "" "index $d") || exit 1
			;;
		"$MT_MANIFEST") break ;;
		"$MT_DOCKER_MANIFEST")
			die "$where: manifest $d is a Docker schema 2 manifest; convert the layout with \`skopeo copy --format oci\` first" ;;
		*) die "$where: descriptor $d has unsupported media type \`$mt\`" ;;
		esac
	done
	manifest_digest=$d manifest_size=$s
	jq -e '.schemaVersion == 2 and (.config | type) == "object" and (.layers | type) == "array"' "$f" >/dev/null 2>&1 ||
		die "manifest $d ($where) is not an image manifest (schemaVersion 2 with config and layers)"
	config_digest=$(jq -r .config.digest "$f")
	verify_blob "$layout" "$config_digest" "$(jq -r .config.size "$f")" "config of manifest $d"
	config_file=$(blob_file "$layout" "$config_digest" config)
	jq -e '(.rootfs.diff_ids | type) == "array"' "$config_file" >/dev/null 2>&1 ||
		die "config $config_digest of manifest $d has no rootfs.diff_ids array"
	jq -r '.layers[] | "\(.digest) \(.size) \(.mediaType)"' "$f" >"$work/layers"
	n=$(wc -l <"$work/layers")
	nd=$(jq '.rootfs.diff_ids | length' "$config_file")
	[ "$n" = "$nd" ] || die "manifest $d has $n layers but its config $config_digest lists $nd rootfs.diff_ids"
	i=0 layers_total=0
	while read -r ld ls lmt; do
		i=$((i + 1))
		role="layer $i/$n of manifest $d"
		verify_blob "$layout" "$ld" "$ls" "$role"
		want=$(jq -r --argjson i $((i - 1)) '.rootfs.diff_ids[$i]' "$config_file")
		got=$(uncompressed_digest "$(blob_file "$layout" "$ld" "$role")" "$lmt") ||
			die "blob $ld ($role) cannot be decompressed as $lmt"
		layer_bytes "blob $ld ($role)"
		[ "$got" = "$want" ] ||
			die "blob $ld ($role): its uncompressed content hashes to $got, config rootfs.diff_ids[$((i - 1))] says $want"
	done <"$work/layers"
}

# oci_stage LAYOUT DIR: a layout at DIR holding only the verified image,
# tagged `keel`, so umoci sees exactly what was checked.
oci_stage() {
	mkdir -p "$2/blobs/sha256" "$2/blobs/sha512" || die "cannot create $2"
	printf '{"imageLayoutVersion":"1.0.0"}\n' >"$2/oci-layout"
	for dg in "$manifest_digest" "$config_digest" $(cut -d' ' -f1 "$work/layers"); do
		src=$(blob_file "$1" "$dg" blob) dst=$(blob_file "$2" "$dg" blob)
		[ -e "$dst" ] || link_or_copy "$src" "$dst"
	done
	jq -n --arg d "$manifest_digest" --argjson s "$manifest_size" --arg mt "$MT_MANIFEST" \
		'{schemaVersion: 2, manifests: [{mediaType: $mt, digest: $d, size: $s,
		  annotations: {"org.opencontainers.image.ref.name": "keel"}}]}' >"$2/index.json"
}
