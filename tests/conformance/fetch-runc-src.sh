#!/bin/sh
# tests/conformance/fetch-runc-src.sh: Debian's runc source package (1.1.5,
# the runc Debian 12 ships, with Debian's patches applied) unpacked into
# the cache, for runc-bats.sh; prints its directory.  Uses only what a
# fresh Debian machine has: APT's deb-src (added as deps/build.sh does when
# missing).  Does nothing but print the directory when it is already there.
#   usage: tests/conformance/fetch-runc-src.sh   (as root the first time)
set -eu

cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}
dir=$cache/runc-src
die() { echo "fetch-runc-src.sh: $*" >&2; exit 1; }

if [ -f "$dir/tree/tests/integration/helpers.bash" ]; then
	echo "$dir/tree"
	exit 0
fi
mkdir -p "$dir/dl"
exec 9>"$dir.lock"
flock 9

have_deb_src() {
	grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list ||
		grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}
if ! ls "$dir/dl"/runc_*.dsc >/dev/null 2>&1; then
	if ! have_deb_src; then
		[ "$(id -u)" = 0 ] || die "no deb-src entry in APT sources; run as root once to add one"
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then
			sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
				>/etc/apt/sources.list.d/keel-deb-src.sources
		elif [ -f /etc/apt/sources.list ]; then
			sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list \
				>/etc/apt/sources.list.d/keel-deb-src.list
		else
			die "cannot find Debian's APT sources to derive deb-src entries from"
		fi
		apt-get update -q >&2
	elif ! apt-cache showsrc runc >/dev/null 2>&1; then
		apt-get update -q >&2
	fi
	(cd "$dir/dl" && apt-get source --download-only -q runc >&2) || die "apt-get source runc failed"
fi
rm -rf "$dir/tree"
# shellcheck disable=SC2012 # Debian file names; the newest version sorts last
dpkg-source -x "$(ls "$dir/dl"/runc_*.dsc | tail -n 1)" "$dir/tree" >&2 ||
	die "dpkg-source -x failed"
echo "$dir/tree"
