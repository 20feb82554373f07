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
# RuntimeDirectory= becomes tmpfiles.conf lines, ExecStopPost= poststop
# hooks in config.json; Before=, RequiredBy= and WantedBy= are kept for the
# entries they name (atomic_reverse).
atomic_policy() {
	s=$1/rootfs/exports/service.template
	if [ -f "$s" ]; then
		atomic_subst "$s" "$work/unit" /exports/service.template
		jqx -Rs -L "$jqlib" --arg d "$description" --slurpfile v "$work/values.json" --arg net "$network" \
			'include "keel"; unit_policy("/exports/service.template"; $v[0]; $net) | .description //= $d' "$work/unit" >"$work/policy.json"
	else
		jqx -n -L "$jqlib" --arg d "$description" 'include "keel"; default_policy | .description = $d' >"$work/policy.json"
	fi
	jq -r '.warnings[]' "$work/policy.json" | while IFS= read -r w; do warn "$w"; done
	# systemd makes RuntimeDirectory= under /run before the start (and
	# removes it after the stop, which keel does not).
	jq -r '.runtimeDirMode as $m | .runtimeDirs[]? | "d /run/\(.) \($m) 0 0 - -"' "$work/policy.json" >"$work/rundirs"
	if [ -s "$work/rundirs" ]; then
		cat "$work/rundirs" >>"$1/tmpfiles.conf" || die "cannot write $1/tmpfiles.conf"
	fi
	if jq -e '(.stopPost // []) | length > 0' "$work/policy.json" >/dev/null; then
		jq --slurpfile p "$work/policy.json" '.hooks.poststop = ((.hooks.poststop // []) + $p[0].stopPost)' \
			"$1/config.json" >"$work/c.json" && mv "$work/c.json" "$1/config.json" ||
			die "cannot write $1/config.json"
	fi
	atomic_reverse_in "$work/policy.json"
	jqx -L "$jqlib" 'include "keel"; policy_file' "$work/policy.json" >"$1/keel.json"
}

# atomic_reverse_in POLICY: what entries already imported into $dest said
# about this one (their Before=, RequiredBy=, WantedBy= naming it, kept in
# their import.json) joins its policy.
atomic_reverse_in() {
	for f in "$dest"/*/import.json; do
		[ -f "$f" ] || continue
		other=$(basename "$(dirname "$f")")
		[ "$other" != "$name" ] || continue
		jq -e --arg n "$name" '[(.reverse // {})[] | index($n)] | any' "$f" >/dev/null 2>&1 || continue
		jq --slurpfile o "$f" --arg n "$name" --arg other "$other" '
			reduce ("after", "requires", "wants") as $k (.;
				if (($o[0].reverse // {})[$k] // []) | index($n) then .[$k] = (.[$k] + [$other] | unique) else . end)' \
			"$1" >"$work/p.json" && mv "$work/p.json" "$1" || die "cannot update the policy"
		note "$other names $name in Before=/RequiredBy=/WantedBy=: carried into its keel.json"
	done
}

# atomic_reverse_out: this entry's Before=, RequiredBy= and WantedBy= go
# into the keel.json of the entries of $dest they name, now (those not
# there yet get them when imported, from import.json).  Their new keel.json
# are checked with the entry, in a copy of $dest (atomic_check_dir).
atomic_reverse_out() {
	[ -f "$work/policy.json" ] || return 0
	jq -r '(.reverse // {}) | to_entries[] | .key as $k | .value[] | "\($k) \(.)"' "$work/policy.json" >"$work/reverse"
	: >"$work/reverse.done"
	while read -r k other; do
		if [ ! -f "$dest/$other/keel.json" ]; then
			note "$other is not in $dest yet: it gets $k $name when imported"
			continue
		fi
		if [ ! -d "$work/with/$other" ]; then
			mkdir -p "$work/with/$other" || die "cannot create $work/with/$other"
			for f in "$dest/$other"/*; do
				ln -s "$f" "$work/with/$other/" || die "cannot link $f"
			done
			rm "$work/with/$other/keel.json"
			cp "$dest/$other/keel.json" "$work/with/$other/keel.json" || die "cannot copy $dest/$other/keel.json"
		fi
		jq --arg k "$k" --arg n "$name" '.[$k] = ((.[$k] // []) + [$n] | unique)' "$work/with/$other/keel.json" >"$work/k.json" &&
			mv "$work/k.json" "$work/with/$other/keel.json" || die "cannot update $other's keel.json"
		echo "$other" >>"$work/reverse.done"
	done <"$work/reverse"
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
