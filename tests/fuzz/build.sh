#!/bin/sh
# Build every libFuzzer target (tests/fuzz/fuzz_*.c) with clang, ASan and
# UBSan into OUTDIR (default build/fuzz).
#
# libkeel is compiled by the Makefile itself (O=OUTDIR, the dev
# configuration, CC=clang, -fsanitize=fuzzer-no-link,address,undefined), so
# the targets exercise exactly the sources keel ships, rebuilt incrementally.
# Each target links that libkeel.a: the linker only pulls the objects the
# target reaches.  Libraries: json-c, libcap, libmount and libblkid for all;
# a target that reaches more (the control socket pulls in the supervisor
# and the runtime) names the extra ones on a line of its own source:
#   fuzz-libs: -lseccomp -ludev
# The others therefore also show, by linking, that their parser never
# calls libseccomp or libudev.
#
# usage: tests/fuzz/build.sh [OUTDIR] [TARGET...]   (TARGET: fuzz_policy, ...)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=${1:-build/fuzz}
[ $# -gt 0 ] && shift
CC=${CC:-clang}
sanitize="-fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"

[ -f "$out/.config" ] || make --no-print-directory O="$out" dev_defconfig
make --no-print-directory -j"$(nproc)" O="$out" CC="$CC" \
	EXTRA_CFLAGS="-O1 -gline-tables-only $sanitize -fsanitize=fuzzer-no-link" "$out/libkeel.a"

if [ $# -gt 0 ]; then
	targets=
	for n in "$@"; do targets="$targets tests/fuzz/$n.c"; done
else
	targets=$(ls tests/fuzz/fuzz_*.c)
fi
flags="-g -O1 $sanitize -fsanitize=fuzzer -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter
	-D_GNU_SOURCE -I. -I$out/include -include generated/autoconf.h
	$(pkg-config --cflags json-c mount)"
for t in $targets; do
	name=$(basename "$t" .c)
	extra=$(sed -n 's/^.*fuzz-libs: *\([^*]*\).*$/\1/p' "$t" | head -n 1)
	# up to date: newer than its source and than libkeel.a
	[ -n "$(find "$out/$name" -newer "$t" -newer "$out/libkeel.a" 2>/dev/null)" ] && continue
	echo "  FUZZ    $out/$name"
	# shellcheck disable=SC2086
	$CC $flags -o "$out/$name" "$t" "$out/libkeel.a" $extra -ljson-c -lcap -lmount -lblkid
done
