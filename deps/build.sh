#!/bin/sh
# deps/build.sh [SYSROOT] -- build keel's private static musl sysroot.
#
# Builds json-c, libcap, libmount + libblkid (util-linux), libseccomp,
# libudev (systemd) and libkmod (kmod) from Debian's own source packages
# with musl-gcc, as static archives, and installs them into SYSROOT:
#   include/  lib/*.a  lib/pkgconfig/*.pc  bin/musl-cc  kernel-include/
# SYSROOT/.stamp records a hash of deps/; when it matches, this script does
# nothing, so `make` can call it on every build.  See deps/README.md.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}
SYSROOT=${1:-$cache/sysroot}
mkdir -p "$SYSROOT"
SYSROOT=$(cd "$SYSROOT" && pwd)
# Sources, build trees and logs live next to the sysroot, never in the tree.
WORK=${KEEL_DEPS_WORK:-$(dirname "$SYSROOT")/src}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}

# The Debian source packages, as `apt-get source` names them.
SOURCES="json-c libcap2 util-linux libseccomp systemd kmod"

# ---- stamp ------------------------------------------------------------------

# What decides the sysroot's contents: this script, the shims and patches;
# not the README, nor packages.sh (the list of host packages).
deps_hash() {
	(cd "$here" && find . -type f ! -name README.md ! -name packages.sh | LC_ALL=C sort |
		xargs sha256sum) | sha256sum | cut -d' ' -f1
}

# The stamp is a make comment: the Makefile includes it to order the build.
stamp_line="# keel deps sysroot $(deps_hash)"
stamp_ok() { [ -f "$SYSROOT/.stamp" ] && [ "$(cat "$SYSROOT/.stamp")" = "$stamp_line" ]; }
stamp_ok && exit 0

# One build at a time per sysroot (make in two worktrees, a test calling
# `make deps`): wait for the other, then look at the stamp again.
exec 9>"$SYSROOT.lock"
flock 9
stamp_ok && exit 0

started=$(date +%s)
step() { printf '  DEPS    %s\n' "$*"; }
die() { printf 'deps/build.sh: %s\n' "$*" >&2; exit 1; }

# run NAME CMD...: run a build step with its output in WORK/log/NAME.log;
# on failure show the log's tail and stop.
run() {
	_name=$1
	shift
	_log=$WORK/log/$_name.log
	printf '+ %s\n' "$*" >>"$_log"
	if ! "$@" >>"$_log" 2>&1; then
		printf 'deps/build.sh: %s failed; last lines of %s:\n' "$_name" "$_log" >&2
		tail -n 40 "$_log" >&2
		exit 1
	fi
}

# ---- host packages and Debian sources -----------------------------------------

if [ "$(id -u)" = 0 ]; then
	sh "$here/packages.sh"
else
	sh "$here/packages.sh" || step "not root: trying with what is installed"
fi

have_deb_src() {
	grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list ||
		grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}

# Adds deb-src twins of the Debian deb entries (deb822 or one-line style).
add_deb_src() {
	[ "$(id -u)" = 0 ] || die "no deb-src entry in APT sources; run as root once to add one"
	step "adding deb-src entries to APT"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			>/etc/apt/sources.list.d/keel-deb-src.sources
	elif [ -f /etc/apt/sources.list ]; then
		sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list \
			>/etc/apt/sources.list.d/keel-deb-src.list
	else
		die "cannot find Debian's APT sources to derive deb-src entries from"
	fi
}

mkdir -p "$WORK/dl" "$WORK/log"
rm -f "$WORK"/log/*.log

# Downloads (once) every source package into WORK/dl.
fetch_sources() {
	set --
	for _p in $SOURCES; do
		ls "$WORK/dl/$_p"_*.dsc >/dev/null 2>&1 || set -- "$@" "$_p"
	done
	[ $# -gt 0 ] || return 0
	if ! have_deb_src; then
		add_deb_src
		run apt apt-get update -q
	elif ! apt-cache showsrc "$@" >/dev/null 2>&1; then
		run apt apt-get update -q
	fi
	for _p in "$@"; do
		step "fetching Debian source $_p"
		(cd "$WORK/dl" && run "fetch-$_p" apt-get source --download-only -q "$_p")
	done
}
fetch_sources

# unpack PKG: fresh copy of PKG's Debian source (with Debian's patches) in
# WORK/build/PKG; sets $src and $src_version (upstream part).
unpack() {
	src=$WORK/build/$1
	rm -rf "$src"
	mkdir -p "$WORK/build"
	# shellcheck disable=SC2012 # Debian file names; the newest version sorts last
	_dsc=$(ls "$WORK/dl/$1"_*.dsc | tail -n 1)
	run "$1" dpkg-source -x "$_dsc" "$src"
	src_version=$(sed -n 's/^Version: *//p' "$_dsc" | sed 's/^[0-9]*://; s/-[^-]*$//')
}

# ---- the sysroot and its compiler ----------------------------------------------

step "building sysroot $SYSROOT (sources and logs in $WORK)"
# Only ever clear a directory this script made (or an empty one).
if [ -n "$(ls -A "$SYSROOT")" ] && [ ! -e "$SYSROOT/.stamp" ] && [ ! -e "$SYSROOT/bin/musl-cc" ]; then
	die "$SYSROOT is not empty and not a keel sysroot; refusing to clear it"
fi
rm -rf "$SYSROOT"
mkdir -p "$SYSROOT/bin" "$SYSROOT/include" "$SYSROOT/lib/pkgconfig" "$SYSROOT/kernel-include"

# musl's include path has no kernel uapi headers; seccomp.h, libudev's
# sources and keel include <linux/...> and <asm/...>.  A wrapper rather than
# CFLAGS, because some generators run `$CC -E` without CFLAGS.
cp -a /usr/include/linux /usr/include/asm-generic "$SYSROOT/kernel-include/"
cp -a "/usr/include/$(gcc -dumpmachine)/asm" "$SYSROOT/kernel-include/"
cat >"$SYSROOT/bin/musl-cc" <<WRAP
#!/bin/sh
# musl-gcc that also sees the kernel's uapi headers (written by deps/build.sh)
exec musl-gcc -isystem "$SYSROOT/kernel-include" "\$@"
WRAP
chmod +x "$SYSROOT/bin/musl-cc"

CC=$SYSROOT/bin/musl-cc
AR="ar"
# Sections per function and object so keel's --gc-sections drops what it
# does not call; no unwind tables (C code, no exceptions; ~10% smaller).
CFLAGS="-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables"
export CC AR CFLAGS
PATH=$SYSROOT/bin:$PATH

# write_pc NAME VERSION LIBS [REQUIRES_PRIVATE]: a pkg-config file for the sysroot.
write_pc() {
	cat >"$SYSROOT/lib/pkgconfig/$1.pc" <<PC
prefix=$SYSROOT
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $1
Description: $1 (static, musl; built by keel's deps/build.sh)
Version: $2
Requires.private: ${4:-}
Libs: -L\${libdir} $3
Cflags: -I\${includedir}
PC
}

# ---- the libraries ------------------------------------------------------------

build_json_c() {
	unpack json-c
	run json-c cmake -S "$src" -B "$src/_build" -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
		-DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_INSTALL_PREFIX="$SYSROOT" \
		-DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF -DBUILD_STATIC_LIBS=ON \
		-DBUILD_TESTING=OFF -DBUILD_APPS=OFF -DDISABLE_EXTRA_LIBS=ON -DDISABLE_WERROR=ON
	run json-c ninja -C "$src/_build" -j "$JOBS" json-c
	run json-c ninja -C "$src/_build" install
	rm -rf "$SYSROOT/lib/cmake"
}

build_libcap() {
	unpack libcap2
	# lib=lib: Make.Rules otherwise guesses lib64 from the host's ld.so.
	run libcap make -C "$src/libcap" -j "$JOBS" install-static-cap \
		prefix="$SYSROOT" lib=lib CC="$CC" BUILD_CC=gcc AR="$AR" RANLIB=ranlib \
		COPTS="$CFLAGS" SHARED=no PTHREADS=no GOLANG=no
}

build_libseccomp() {
	unpack libseccomp
	(cd "$src" && run libseccomp ./configure --prefix="$SYSROOT" --host=x86_64-linux-musl \
		--enable-static --disable-shared --disable-python)
	# Only the library: the tools and tests are not needed.
	run libseccomp make -C "$src/src" -j "$JOBS" libseccomp.la
	cp "$src/src/.libs/libseccomp.a" "$SYSROOT/lib/"
	cp "$src/include/seccomp.h" "$src/include/seccomp-syscalls.h" "$SYSROOT/include/"
	write_pc libseccomp "$src_version" -lseccomp
}

build_util_linux() {
	unpack util-linux
	# A Debian patch touches configure.ac: regenerate once so make does not
	# try to rerun autotools halfway through the build.  The tarball ships
	# gtk-doc.make; gtkdocize (gtk-doc-tools) is not needed without docs.
	(cd "$src" && GTKDOCIZE=true run util-linux autoreconf -fi)
	(cd "$src" && run util-linux ./configure --prefix="$SYSROOT" --host=x86_64-linux-musl \
		--disable-all-programs --enable-libblkid --enable-libmount \
		--disable-shared --enable-static --disable-nls --disable-rpath \
		--disable-asciidoc --disable-poman --disable-bash-completion --disable-pylibmount \
		--without-python --without-systemd --without-udev --without-selinux \
		--without-audit --without-cap-ng --without-libz --without-libmagic \
		--without-ncursesw --without-tinfo --without-readline --without-econf \
		--without-cryptsetup --without-btrfs --without-smack --without-user)
	run util-linux make -C "$src" -j "$JOBS" libblkid.la libmount.la
	cp "$src/.libs/libblkid.a" "$src/.libs/libmount.a" "$SYSROOT/lib/"
	cp "$src/libblkid/src/blkid.h" "$src/libmount/src/libmount.h" "$SYSROOT/include/"
	write_pc blkid "$src_version" -lblkid
	write_pc mount "$src_version" -lmount blkid
}

# systemd's meson options that are booleans/combos rather than features:
# everything off but what libudev itself needs.
SYSTEMD_OFF="acl analyze apparmor audit backlight binfmt blkid bzip2 coredump dbus efi elfutils
environment-d fdisk firstboot gcrypt glib gnu-efi gnutls gshadow hibernate homed hostnamed html
hwdb idn ima importd kernel-install kmod ldconfig libcryptsetup libcurl libfido2 libidn libidn2
libiptc link-boot-shared link-journalctl-shared link-networkd-shared link-systemctl-shared
link-timesyncd-shared link-udev-shared localed logind lz4 machined man microhttpd networkd
nss-myhostname nss-mymachines nss-resolve nss-systemd oomd openssl p11kit pam pcre2 polkit
portabled pstore pwquality qrencode quotacheck randomseed remote repart resolve rfkill seccomp
selinux smack sysext sysupdate sysusers tests timedated timesyncd tmpfiles tpm tpm2 translations
userdb utmp vconsole xdg-autostart xkbcommon xz zlib zstd bpf-framework log-message-verification"

build_libudev() {
	unpack systemd
	for _p in "$here"/patches/systemd/*.patch; do
		run libudev patch -d "$src" -p1 -i "$_p"
	done
	_off=
	for _o in $SYSTEMD_OFF; do
		_off="$_off -D$_o=false"
	done
	# musl lacks some glibc headers and extensions systemd uses: the shims in
	# deps/musl-shims (see deps/README.md).  __UAPI_DEF_ETHHDR=0: musl's
	# <netinet/if_ether.h> defines struct ethhdr, which the kernel's
	# libc-compat.h only recognises for glibc.  -Wno-error=format: rlim_t is
	# unsigned long long on musl, printed with PRIu64 (%lu); same size.
	_shims=$here/musl-shims
	# Debian's python3 (with jinja2) runs systemd's generators, whatever
	# python a developer has first in PATH.
	# shellcheck disable=SC2086
	(cd "$src" && PATH=/usr/bin:/bin:$PATH PKG_CONFIG_LIBDIR="$SYSROOT/lib/pkgconfig" \
		run libudev meson setup _build --buildtype=minsize -Ddebug=false -Db_pie=false \
		-Dmode=release -Dstatic-libudev=true -Dstandalone-binaries=false $_off \
		-Dc_args="-isystem $SYSROOT/include -I$_shims -include $_shims/musl-compat.h \
			-D__UAPI_DEF_ETHHDR=0 -Wno-error=format $CFLAGS" \
		-Dc_link_args="-L$SYSROOT/lib")
	(cd "$src" && PATH=/usr/bin:/bin:$PATH run libudev ninja -C _build -j "$JOBS" version.h)
	(cd "$src" && PATH=/usr/bin:/bin:$PATH run libudev ninja -C _build -j "$JOBS" libudev.a)

	# libudev.a carries systemd's internal helpers as global symbols, and some
	# (parse_size, parse_range) clash with util-linux's in a static link.
	# Link it into one object and keep only the public API global.
	# --unique keeps every input section separate: merged same-named sections
	# (static functions and tables of the same name in different files) would
	# defeat --gc-sections and triple what libudev adds to keel.
	sed -n 's/^[[:space:]]*\(udev_[a-z0-9_]*\);.*/\1/p' "$src/src/libudev/libudev.sym" \
		>"$src/_build/libudev.keep"
	run libudev ld -r --unique -o "$src/_build/libudev-all.o" \
		--whole-archive "$src/_build/libudev.a"
	run libudev objcopy --strip-debug --keep-global-symbols="$src/_build/libudev.keep" \
		"$src/_build/libudev-all.o" "$src/_build/libudev.o"
	rm -f "$SYSROOT/lib/libudev.a"
	run libudev ar rcs "$SYSROOT/lib/libudev.a" "$src/_build/libudev.o"
	cp "$src/src/libudev/libudev.h" "$SYSROOT/include/"
	_v=$(sed -n "s/^[[:space:]]*version : '\([0-9.]*\)',.*/\1/p" "$src/meson.build" | head -n 1)
	write_pc libudev "$_v" -ludev libcap
}

build_libkmod() {
	unpack kmod
	# Debian's kmod source has no configure script; gtk-doc is not needed
	# (its make fragment only has to exist for automake).
	touch "$src/libkmod/docs/gtk-doc.make"
	(cd "$src" && run libkmod autoreconf -fi)
	# kmod's configure refuses --enable-static, but its own tests link
	# libkmod-internal.la, a static convenience archive of libkmod and
	# its shared helpers: build that.  Modules in keel's images are plain
	# .ko files, so no decompression (zstd, xz, zlib) and no signature
	# reading (openssl).
	(cd "$src" && run libkmod ./configure --prefix="$SYSROOT" --host=x86_64-linux-musl \
		--disable-tools --disable-manpages --disable-test-modules --disable-python \
		--disable-gtk-doc --disable-logging --disable-debug \
		--without-zstd --without-xz --without-zlib --without-openssl)
	run libkmod make -C "$src" -j "$JOBS" libkmod/libkmod-internal.la
	# Like libudev: kmod's helpers (hash_new, strbuf_*, mkdir_p...) are
	# global symbols that could clash with util-linux's; keep only the
	# kmod_* API of libkmod.sym global.
	sed -n 's/^[[:space:]]*\(kmod_[a-z0-9_]*\);.*/\1/p' "$src/libkmod/libkmod.sym" \
		>"$src/libkmod.keep"
	run libkmod ld -r --unique -o "$src/libkmod-all.o" \
		--whole-archive "$src/libkmod/.libs/libkmod-internal.a"
	run libkmod objcopy --strip-debug --keep-global-symbols="$src/libkmod.keep" \
		"$src/libkmod-all.o" "$src/libkmod.o"
	rm -f "$SYSROOT/lib/libkmod.a"
	run libkmod ar rcs "$SYSROOT/lib/libkmod.a" "$src/libkmod.o"
	cp "$src/libkmod/libkmod.h" "$SYSROOT/include/"
	write_pc libkmod "$src_version" -lkmod
}

# ---- main ---------------------------------------------------------------------

# build NAME FUNCTION: one library, with a progress line and its time.
build() {
	_t=$(date +%s)
	printf '  DEPS    %-11s (log: %s)\n' "$1" "$WORK/log/$1.log"
	"$2"
	printf '  DEPS    %-11s done in %d s\n' "$1" $(($(date +%s) - _t))
}

build json-c build_json_c
build libcap build_libcap
build libseccomp build_libseccomp
build util-linux build_util_linux
build libudev build_libudev
build libkmod build_libkmod

# A short check that the six link together statically.
cat >"$WORK/build/link-check.c" <<'EOF2'
#include <json-c/json.h>
#include <libmount.h>
#include <libkmod.h>
#include <libudev.h>
#include <seccomp.h>
#include <sys/capability.h>
int main (void)
{
	struct udev *u = udev_new ();
	cap_t c = cap_get_proc ();
	const char *v;

	mnt_get_library_version (&v);
	json_object_put (json_object_new_string (v));
	seccomp_release (seccomp_init (SCMP_ACT_ALLOW));
	cap_free (c);
	udev_unref (u);
	kmod_unref (kmod_new (NULL, NULL));
	return 0;
}
EOF2
# shellcheck disable=SC2086 # CFLAGS is a list of flags
run link-check "$CC" $CFLAGS -isystem "$SYSROOT/include" -static -Wl,--gc-sections \
	-o "$WORK/build/link-check" "$WORK/build/link-check.c" -L"$SYSROOT/lib" \
	-lmount -lblkid -ludev -lkmod -lseccomp -lcap -ljson-c
run link-check "$WORK/build/link-check"

printf '%s\n' "$stamp_line" >"$SYSROOT/.stamp"
step "done in $(($(date +%s) - started)) s: $(cd "$SYSROOT/lib" && echo ./*.a | sed 's|\./||g')"
