#!/bin/sh
# Installs the Debian 12 packages keel's build, tests and demo need
# (`deps/packages.sh conformance bench chart`: also the groups below).
# Idempotent: does nothing when every package is already present.
# Must run as root on a fresh machine (CI, new developer box).
set -eu

PKGS="build-essential pkg-config musl-tools cmake ninja-build meson gperf
autoconf automake autopoint libtool gettext bison flex dpkg-dev
python3-jinja2 kconfig-frontends-nox
libjson-c-dev libcap-dev libmount-dev libblkid-dev libseccomp-dev libudev-dev
libkmod-dev libcmocka-dev valgrind clang libclang-rt-14-dev
busybox-static crun runc umoci skopeo jq podman catatonit containerd criu
qemu-system-x86 qemu-utils cpio zstd gzip kmod e2fsprogs iproute2 util-linux
curl file ca-certificates
containernetworking-plugins iptables"
# Groups, named as arguments (any number), not pulled into every `make check`:
# - conformance: `make conformance` (runc's bats suite and its Go helpers);
# - bench: bench/plot draws SVGs with Debian's matplotlib (for /usr/bin/python3);
# - chart: headless Chromium, which renders `keelctl boot-time --svg` in
#   tests/integration/init-bootstat.sh and tests-qemu/scenarios/boottime
#   (tests/lib/check-boot-svg.py; without it they check the SVG as XML and
#   skip the rendering, saying so).  Large (about 300 MB installed).
for group in "$@"; do
	case $group in
	conformance) PKGS="$PKGS bats gawk golang-go golang-github-opencontainers-runc-dev" ;;
	bench) PKGS="$PKGS python3-matplotlib" ;;
	chart) PKGS="$PKGS chromium" ;;
	*) echo "deps/packages.sh: unknown group $group (conformance, bench, chart)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps/packages.sh: missing packages:$missing (run as root to install)" >&2
	exit 1
fi
echo "deps/packages.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
