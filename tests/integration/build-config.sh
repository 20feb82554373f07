#!/bin/sh
# Kconfig decides what keel links: builds small variants of keel into
# temporary O= directories (reusing the cached static sysroot) and checks,
# with nm on the unstripped binaries and readelf on the dynamic one, that
# turning CONFIG_SECCOMP / CONFIG_UDEV off removes libseccomp / libudev, that
# the full static build has them, and that `keel --version` says which.
# Also shows that `make NAME_defconfig`, `make defconfig` and
# `make olddefconfig` work.  $KEEL is not used: this test builds its own.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/lib/tap.sh"

command -v kconfig-conf >/dev/null || skip_all "kconfig-frontends is not installed"
command -v nm >/dev/null || skip_all "binutils (nm) is not installed"

# A parent make (make check) must not hand its variables or jobserver down.
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d "${TMPDIR:-/tmp}/keel-build-config.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$top" || exit 1
jobs=-j$(nproc 2>/dev/null || echo 2)

kmake() { make --no-print-directory "$@" >>"$tmp/make.log" 2>&1; }

# The static variants need the sysroot; building it is cached (deps/README.md).
if ! kmake deps; then
	tail -n 20 "$tmp/make.log" | sed 's/^/# /'
	skip_all "the static musl sysroot cannot be built here (make deps failed)"
fi

# Config state of SYMBOL in DIR/.config: y or n.
state() { kconfig-tweak --file "$1/.config" --state "$2"; }

# Symbols of a given prefix that the binary defines (T/t/D/...), not imports.
defined() { nm "$1" 2>/dev/null | awk '$2 != "U" && $2 != "w" { print $3 }' | grep -cE "^($2)"; }

# Does libkeel.a call into PREFIX at all?  (Until device code lands nothing
# may call libudev, and then even the full build rightly links none of it.)
calls() { nm -u "$1/libkeel.a" 2>/dev/null | grep -q "^ *U $2"; }

# ---- tiny_defconfig: static, no seccomp, no udev ----------------------------
t=$tmp/tiny
kmake O="$t" tiny_defconfig
check "make tiny_defconfig writes a .config"
is "$(state "$t" STATIC)/$(state "$t" SECCOMP)/$(state "$t" UDEV)" "y/n/n" \
	"tiny: STATIC=y SECCOMP=n UDEV=n"
kmake O="$t" "$jobs" all
check "tiny: builds"
file -b "$t/keel" 2>/dev/null | grep -q 'statically linked'
check "tiny: keel is statically linked"
grep -q '^#define CONFIG_SECCOMP' "$t/include/generated/autoconf.h"
[ $? = 1 ]
check "tiny: autoconf.h does not define CONFIG_SECCOMP"
is "$(defined "$t/keel.unstripped" "seccomp_(init|load|rule_add)")" 0 "tiny: no libseccomp symbol (seccomp_init/load/rule_add) linked"
is "$(defined "$t/keel.unstripped" udev_)" 0 "tiny: no udev_* symbol linked"
is "$(defined "$t/keel.unstripped" kmod_)" 0 "tiny: no kmod_* symbol linked (libkmod comes with udev)"
ver=$("$t/keel" --version 2>&1)
like "$ver" '-SECCOMP -UDEV' "tiny: --version says -SECCOMP -UDEV"
like "$ver" '^\+JSONC [0-9.]+ \+CAP [0-9.]+ \+MOUNT [0-9.]+' "tiny: --version lists json-c, libcap, libmount"

# ---- keel_defconfig via `make defconfig`: static, everything -----------------
f=$tmp/full
kmake O="$f" defconfig
check "make defconfig (keel_defconfig) writes a .config"
is "$(state "$f" STATIC)/$(state "$f" SECCOMP)/$(state "$f" UDEV)" "y/y/y" \
	"full: STATIC=y SECCOMP=y UDEV=y"
kmake O="$f" "$jobs" all
check "full: builds"
file -b "$f/keel" 2>/dev/null | grep -q 'statically linked, stripped'
check "full: keel is statically linked and stripped"
[ "$(defined "$f/keel.unstripped" "seccomp_(init|load|rule_add)")" -gt 0 ]
check "full: libseccomp symbols are linked"
if calls "$f" udev_; then
	[ "$(defined "$f/keel.unstripped" udev_)" -gt 0 ]
	check "full: udev_* symbols are linked"
	[ "$(defined "$f/keel.unstripped" "kmod_(new|module_probe_insert_module)")" -ge 2 ]
	check "full: libkmod (kmod_new, kmod_module_probe_insert_module) is linked"
else
	skip "full: udev_* symbols are linked" "no keel code calls libudev yet"
fi
ver=$("$f/keel" --version 2>&1)
like "$ver" '\+SECCOMP [0-9]+\.[0-9]+\.[0-9]+ \+UDEV [0-9]+' "full: --version says +SECCOMP x.y.z +UDEV n"

# ---- a fragment on top of keel_defconfig: only seccomp off -------------------
s=$tmp/noseccomp
kmake O="$s" keel_defconfig && kconfig-tweak --file "$s/.config" --disable SECCOMP &&
	kmake O="$s" olddefconfig
check "keel_defconfig + SECCOMP off + make olddefconfig"
is "$(state "$s" SECCOMP)/$(state "$s" UDEV)" "n/y" "noseccomp: SECCOMP=n UDEV=y kept"
kmake O="$s" "$jobs" all
check "noseccomp: builds"
is "$(defined "$s/keel.unstripped" "seccomp_(init|load|rule_add)")" 0 "noseccomp: no libseccomp symbol (seccomp_init/load/rule_add) linked"
like "$("$s/keel" --version 2>&1)" '-SECCOMP \+UDEV [0-9]+' "noseccomp: --version says -SECCOMP +UDEV"

# ---- dynamic glibc build with both off: the libraries are not even NEEDED ----
if pkg-config --exists json-c mount libcap 2>/dev/null; then
	d=$tmp/dyn
	kmake O="$d" dev_defconfig && kconfig-tweak --file "$d/.config" --disable SECCOMP \
		--disable UDEV && kmake O="$d" olddefconfig && kmake O="$d" "$jobs" "$d/keel"
	check "dev_defconfig with SECCOMP and UDEV off builds"
	needed=$(readelf -d "$d/keel" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
	like "$needed" 'libjson-c' "dynamic: links libjson-c (NEEDED: $needed)"
	case $needed in
	*libseccomp* | *libudev*) false ;;
	*) true ;;
	esac
	check "dynamic: no libseccomp or libudev NEEDED"
else
	skip "dynamic build without seccomp and udev" "Debian -dev packages not installed"
fi

done_testing
