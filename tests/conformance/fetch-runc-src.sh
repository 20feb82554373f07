#!/bin/sh
# tests/conformance/fetch-runc-src.sh: Debian's runc source package (1.1.5,
# the runc Debian 12 ships, with Debian's patches applied) unpacked into
# the cache, for runc-bats.sh; prints its directory.  Uses only what a
# fresh Debian machine has: APT, with deb-src entries added beside the deb
# ones when there are none (a fresh Debian 12 has only "Types: deb" in
# /etc/apt/sources.list.d/debian.sources; older layouts a sources.list).
# Does nothing but print the directory when it is already there.
# On failure: exit 1 and one line on stderr, "fetch-runc-src.sh: REASON",
# that says what failed (apt's own error for a network that is missing),
# so that `make check` can skip with it.
#   usage: tests/conformance/fetch-runc-src.sh   (as root the first time)
set -eu

cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}
dir=$cache/runc-src
die() {
	echo "fetch-runc-src.sh: $*" >&2
	exit 1
}

if [ -f "$dir/tree/tests/integration/helpers.bash" ]; then
	echo "$dir/tree"
	exit 0
fi
for t in apt-get apt-cache dpkg-source flock; do
	command -v $t >/dev/null || die "$t is not installed: this needs Debian's APT and dpkg-dev (or give RUNC_SRC=DIR)"
done
mkdir -p "$dir/dl" || die "cannot create $dir"
exec 9>"$dir.lock"
flock 9
log=$dir/apt.log

# apt's verdict for the reason line: its last error, else its last warning
# (an update without network only warns, "W: Failed to fetch ...").
apt_says() {
	{ grep '^E:' "$log" || grep '^W: Failed to fetch' "$log" || grep '^W:' "$log"; } 2>/dev/null |
		tail -n 1 | tr -s ' ' | cut -c1-300
}

have_deb_src() {
	grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list ||
		grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}
: >"$log"
if ! ls "$dir/dl"/runc_*.dsc >/dev/null 2>&1; then
	if ! have_deb_src; then
		[ "$(id -u)" = 0 ] || die "no deb-src entry in APT's sources; run as root once to add one (or give RUNC_SRC=DIR)"
		# The same archives as the deb entries, for sources.
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
				>/etc/apt/sources.list.d/keel-deb-src.sources
		elif [ -f /etc/apt/sources.list ] && grep -Eqs '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list; then
			sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list \
				>/etc/apt/sources.list.d/keel-deb-src.list
		else
			die "no deb-src entry and no Debian APT source to derive one from (/etc/apt/sources.list.d/debian.sources, /etc/apt/sources.list)"
		fi
		need_update=1
	elif apt-cache showsrc runc 2>/dev/null | grep -q '^Package: runc'; then
		need_update=
	else
		need_update=1
	fi
	if [ -n "$need_update" ]; then
		[ "$(id -u)" = 0 ] || die "APT's source index has no runc; run as root once (apt-get update)"
		apt-get update -q >>"$log" 2>&1 || die "apt-get update failed: $(apt_says)"
	fi
	# apt-get update without network only warns: no index, no runc.
	apt-cache showsrc runc 2>/dev/null | grep -q '^Package: runc' ||
		die "APT knows no source package runc after apt-get update: $(apt_says || true)"
	if ! (cd "$dir/dl" && apt-get source --download-only -q runc) >>"$log" 2>&1; then
		rm -f "$dir/dl"/runc_* # no half download taken for a whole one next time
		die "apt-get source runc failed: $(apt_says)"
	fi
fi
rm -rf "$dir/tree"
# shellcheck disable=SC2012 # Debian file names; the newest version sorts last
dpkg-source -x "$(ls "$dir/dl"/runc_*.dsc | tail -n 1)" "$dir/tree" >>"$log" 2>&1 ||
	die "dpkg-source -x failed: $(tail -n 1 "$log")"
[ -f "$dir/tree/tests/integration/helpers.bash" ] ||
	die "Debian's runc source has no tests/integration/helpers.bash"
echo "$dir/tree"
