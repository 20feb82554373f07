# keel-import: Project Atomic system containers (`atomic install --system`).
# An image whose rootfs carries /exports describes how it wants to be
# installed: config.json or config.json.template, manifest.json
# (defaultValues, installedFilesTemplate, renameFiles, noContainerService),
# service.template, tmpfiles.template and hostfs/.  This file turns those into
# keel's entry files.  Sourced; uses $work, $jqlib and the main script's
# variables (name, image_name, image_id, sets, destdir, hostfs_dir).

atomic_present() {
	e=$1/exports
	not_a_link "$e" /exports
	[ -d "$e" ] || return 1
	for f in config.json config.json.template manifest.json service.template tmpfiles.template hostfs; do
		[ -e "$e/$f" ] && return 0
	done
	return 1
}

# atomic_subst TEMPLATE OUT LABEL: substitute $work/values.json into TEMPLATE.
atomic_subst() {
	not_a_link "$1" "$3"
	jqx -Rsj -L "$jqlib" --slurpfile v "$work/values.json" --arg file "$3" \
		'include "keel"; tsubst($v[0]; $file)' "$1" >"$2"
}

atomic_values() {
	m=$1/exports/manifest.json
	not_a_link "$m" /exports/manifest.json
	if [ -f "$m" ]; then
		jq -e 'type == "object"' "$m" >/dev/null 2>&1 || die "invalid manifest.json in image $image_name: /exports/manifest.json is not a JSON object"
		jq -e '(.defaultValues // {}) | type == "object"' "$m" >/dev/null ||
			die "/exports/manifest.json: defaultValues must be an object"
		cp "$m" "$work/manifest.json"
	else
		echo null >"$work/manifest.json"
	fi
	uuid=$(cat /proc/sys/kernel/random/uuid)
	jqx -n -L "$jqlib" --argjson user "$sets" --slurpfile m "$work/manifest.json" \
		--arg name "$name" --arg destdir "$destdir" --arg image "$image_name" \
		--arg image_id "${image_id#*:}" --arg uuid "$uuid" \
		'include "keel"; atomic_values($user; $m[0]; {name: $name, destdir: $destdir,
			image: $image, image_id: $image_id, uuid: $uuid})' >"$work/values.json"
}

# atomic_config ENTRY: config.json from /exports (copied, or substituted
# from the template); returns 1 when the image has neither.
atomic_config() {
	e=$1/rootfs/exports
	not_a_link "$e/config.json" /exports/config.json
	if [ -f "$e/config.json" ]; then
		cp "$e/config.json" "$1/config.json" || die "cannot copy /exports/config.json"
		label=/exports/config.json
	elif [ -f "$e/config.json.template" ]; then
		atomic_subst "$e/config.json.template" "$1/config.json" /exports/config.json.template
		label=/exports/config.json.template
	else
		return 1
	fi
	jq -e 'type == "object"' "$1/config.json" >/dev/null 2>&1 ||
		die "$label: the result is not a JSON object: $(jq . "$1/config.json" 2>&1 >/dev/null | head -n1)"
	jqx -L "$jqlib" --arg f "$label" 'include "keel"; upgrade_pre10($f) | drop_labels($f)' "$1/config.json" >"$work/upgrade.json"
	jq -r '.warnings[]' "$work/upgrade.json" | while IFS= read -r w; do warn "$w"; done
	jq '.config' "$work/upgrade.json" >"$1/config.json" || die "cannot write $1/config.json"
	# atomic refuses a writable root for system containers; so does keel-import.
	jq -e '.root.readonly == true' "$1/config.json" >/dev/null ||
		die "$label: root.readonly must be true (system containers run from a read-only rootfs)"
	jq -e '.root.path == "rootfs"' "$1/config.json" >/dev/null ||
		warn "$label: root.path is $(jq -c .root.path "$1/config.json"), not \"rootfs\" (the image is unpacked in rootfs/)"
	return 0
}

# atomic_tmpfiles ENTRY: ENTRY/tmpfiles.conf, created by keel at boot.
atomic_tmpfiles() {
	t=$1/rootfs/exports/tmpfiles.template
	if [ -f "$t" ]; then
		atomic_subst "$t" "$1/tmpfiles.conf" /exports/tmpfiles.template
	else
		jqx -r -L "$jqlib" --slurpfile v "$work/values.json" \
			'include "keel"; bind_dirs_tmpfiles($v[0])' "$1/config.json" >"$1/tmpfiles.conf"
		if [ -z "$(cat "$1/tmpfiles.conf")" ]; then
			rm -f "$1/tmpfiles.conf"
		fi
	fi
	return 0
}

# atomic_policy ENTRY: keel.json from service.template (After=, Requires=,
# Wants=, Restart=, RestartSec=, Type=, ...), else keel-import's default.
atomic_policy() {
	s=$1/rootfs/exports/service.template
	if [ -f "$s" ]; then
		atomic_subst "$s" "$work/unit" /exports/service.template
		jqx -Rs -L "$jqlib" --arg d "$description" \
			'include "keel"; unit_policy("/exports/service.template") | .description //= $d' "$work/unit" >"$work/policy.json"
	else
		jqx -n -L "$jqlib" --arg d "$description" 'include "keel"; default_policy | .description = $d' >"$work/policy.json"
	fi
	jq -r '.warnings[]' "$work/policy.json" | while IFS= read -r w; do warn "$w"; done
	jqx -L "$jqlib" 'include "keel"; policy_file' "$work/policy.json" >"$1/keel.json"
}

# atomic_hostfs ROOTFS DEST: copy /exports/hostfs into DEST as atomic copies
# it to the host: directories created, files never overwritten (a warning
# instead), renameFiles applied, then installedFilesTemplate files (named
# by their renamed path, as atomic does) substituted.
atomic_hostfs() {
	h=$1/exports/hostfs
	not_a_link "$h" /exports/hostfs
	[ -d "$h" ] || return 0
	nl='
'
	bad=$(cd "$h" && find . -name "*$nl*" | head -n1)
	[ -z "$bad" ] || die "/exports/hostfs holds a file name with a newline"
	(cd "$h" && find . -mindepth 1 \( -type d -printf 'd %P\n' \) -o -printf 'f %P\n') | sort -k2 >"$work/hostfs.list"
	# renameFiles values are templates themselves (atomic substitutes them).
	jqx -R -r -L "$jqlib" --slurpfile m "$work/manifest.json" --slurpfile v "$work/values.json" '
		include "keel";
		(($m[0] // {}).renameFiles // {} | map_values(tsubst($v[0]; "/exports/manifest.json renameFiles"))) as $r0
		| (($m[0] // {}).installedFilesTemplate // []) as $tpl
		| capture("^(?<t>[df]) (?<p>.*)$") as $e
		| ("/" + $e.p) as $src
		| ($src | atomic_rename($r0)) as $dst
		| "\($e.t) \(if $tpl | index($dst) then "tpl" else "copy" end) \($src | @sh) \($dst | @sh)"' \
		"$work/hostfs.list" >"$work/hostfs.ops"
	mkdir -p "$2" || die "cannot create $2"
	while read -r kind how src dst; do
		eval "src=$src dst=$dst"
		case $dst in /*) ;; *) die "hostfs: renameFiles makes $src land on \`$dst\`, not an absolute path" ;; esac
		case $dst/ in */../*) die "hostfs: renameFiles makes $src land on \`$dst\`, outside the tree" ;; esac
		if [ "$kind" = d ]; then
			mkdir -p "$2$dst" || die "cannot create $2$dst"
			continue
		fi
		if [ -e "$2$dst" ] || [ -L "$2$dst" ]; then
			warn "hostfs: $dst already exists in $2: not overwritten"
			continue
		fi
		mkdir -p "$(dirname "$2$dst")" || die "cannot create $(dirname "$2$dst")"
		if [ "$how" = tpl ]; then
			atomic_subst "$h$src" "$2$dst" "/exports/hostfs$src"
			chmod --reference="$h$src" "$2$dst"
		else
			cp -a "$h$src" "$2$dst" || die "cannot copy /exports/hostfs$src to $2$dst"
		fi
	done <"$work/hostfs.ops"
}
